/*
 * A diagnosis: the verdict, what it concerns, what was expected and found, the failed answer,
 * a sentence for a person; as accessors and as JSON.
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "core/utf8.h"
#include "doctor/doctor.h"
#include "core/json.h"

static const char *const verdict_names[] = {
    "ok",
    "unknown",
    "header-missing",
    "header-mismatch",
    "header-unsigned",
    "method-mismatch",
    "signature-mismatch",
    "access-denied",
    "cors-origin",
    "cors-method",
    "cors-header",
    "cors-preflight",
    "expired",
    "clock-skew",
    "not-s3",
    "wrong-region",
    "unknown-access-key",
    "too-large",
    "policy-condition",
    "not-presigned",
    "no-such-bucket",
};

const char *skycrate_verdict_name(skycrate_verdict verdict)
{
    size_t i = (size_t)verdict;
    return i < SKYCRATE_ARRAY_SIZE(verdict_names) ? verdict_names[i] : "unknown";
}

int skycrate__diagnosis_new(skycrate_diagnosis **out)
{
    skycrate_diagnosis *d = skycrate__calloc(1, sizeof(*d));
    if ((*out = d) == NULL)
        return skycrate__error_nomem();
    d->magic = SKYCRATE_MAGIC_DIAGNOSIS;
    d->verdict = SKYCRATE_VERDICT_OK;
    return 0;
}

/* Appends `s` as valid UTF-8: what a diagnosis says comes from what a client sent (URLs,
 * headers, escapes decoded) and a server answered, and it is rendered as JSON, which carries
 * UTF-8 only; a byte that does not start a character becomes U+FFFD. */
static int put_utf8(skycrate__buf *b, const char *s)
{
    size_t n = strlen(s), run = 0;
    int error = 0;
    for (size_t i = 0; i < n && error == 0;) {
        uint32_t cp;
        size_t len = skycrate__utf8_decode(s + i, n - i, &cp);
        if (len > 0) {
            i += len;
            run += len;
            continue;
        }
        if ((error = skycrate__buf_put(b, s + i - run, run)) == 0)
            error = skycrate__buf_puts(b, "\xef\xbf\xbd");
        run = 0;
        i++;
    }
    return error < 0 ? error : skycrate__buf_put(b, s + n - run, run);
}

static int replace(skycrate__buf *b, const char *s)
{
    skycrate__buf_clear(b);
    return s ? put_utf8(b, s) : 0;
}

int skycrate__diagnosis_set(skycrate_diagnosis *d, skycrate_verdict verdict, const char *subject,
                            const char *expected, const char *actual)
{
    int error;
    d->verdict = verdict;
    if ((error = replace(&d->subject, subject)) < 0 ||
        (error = replace(&d->expected, expected)) < 0)
        return error;
    return replace(&d->actual, actual);
}

int skycrate__diagnosis_say(skycrate_diagnosis *d, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return replace(&d->message, text);
}

void skycrate_diagnosis_free(skycrate_diagnosis *d)
{
    if (!SKYCRATE_VALID_HANDLE(d, SKYCRATE_MAGIC_DIAGNOSIS))
        return;
    skycrate__buf_dispose(&d->subject);
    skycrate__buf_dispose(&d->expected);
    skycrate__buf_dispose(&d->actual);
    skycrate__buf_dispose(&d->message);
    skycrate__buf_dispose(&d->code);
    d->magic = 0;
    skycrate__free(d);
}

static bool valid(const skycrate_diagnosis *d)
{
    return SKYCRATE_VALID_HANDLE(d, SKYCRATE_MAGIC_DIAGNOSIS);
}

skycrate_verdict skycrate_diagnosis_verdict(const skycrate_diagnosis *d)
{
    return valid(d) ? d->verdict : SKYCRATE_VERDICT_UNKNOWN;
}

const char *skycrate_diagnosis_subject(const skycrate_diagnosis *d)
{
    return valid(d) ? skycrate__buf_cstr(&d->subject) : "";
}

const char *skycrate_diagnosis_expected(const skycrate_diagnosis *d)
{
    return valid(d) ? skycrate__buf_cstr(&d->expected) : "";
}

const char *skycrate_diagnosis_actual(const skycrate_diagnosis *d)
{
    return valid(d) ? skycrate__buf_cstr(&d->actual) : "";
}

int64_t skycrate_diagnosis_seconds(const skycrate_diagnosis *d)
{
    return valid(d) ? d->seconds : 0;
}

int skycrate_diagnosis_status(const char **code_out, const skycrate_diagnosis *d)
{
    if (code_out)
        *code_out = valid(d) ? skycrate__buf_cstr(&d->code) : "";
    return valid(d) ? d->status : 0;
}

const char *skycrate_diagnosis_message(const skycrate_diagnosis *d)
{
    return valid(d) ? skycrate__buf_cstr(&d->message) : "";
}

static bool put(json_t *obj, const char *name, json_t *value)
{
    return value != NULL && json_object_set_new(obj, name, value) == 0;
}

static bool put_text(json_t *obj, const char *name, const skycrate__buf *b)
{
    return b->len == 0 || put(obj, name, json_stringn(b->ptr, b->len));
}

int skycrate_diagnosis_to_json(char **out, const skycrate_diagnosis *d, uint32_t flags)
{
    int error = 0;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(d, SKYCRATE_MAGIC_DIAGNOSIS);
    json_t *doc = json_object();
    bool ok = doc && put(doc, "verdict", json_string(skycrate_verdict_name(d->verdict))) &&
              put_text(doc, "message", &d->message) && put_text(doc, "subject", &d->subject) &&
              put_text(doc, "expected", &d->expected) && put_text(doc, "actual", &d->actual);
    if (ok && d->seconds != 0)
        ok = put(doc, "seconds", json_integer(d->seconds));
    if (ok && d->verdict == SKYCRATE_VERDICT_EXPIRED && d->seconds > 0) {
        char at[21];
        skycrate__format_iso8601(at, d->seconds);
        ok = put(doc, "expiredAt", json_string(at));
    }
    if (ok && d->status)
        ok = put(doc, "status", json_integer(d->status)) && put_text(doc, "code", &d->code);
    error = ok ? skycrate__json_render(out, doc, flags) : skycrate__error_nomem();
    json_decref(doc);
    return error;
}
