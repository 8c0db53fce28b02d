/*
 * Presign requests: every input checked by its setter, and the parts of the canonical request
 * that do not depend on time or credentials derived once (presign.h).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/syntax.h"
#include "core/utf8.h"
#include "presign/presign.h"
#include "s3/bucket_name.h"
#include "sigv4/sigv4.h"

#define MAX_KEY 1024
#define MAX_ITEMS 64
#define MAX_PART 10000

/* The X-Amz-* parameters of a presigned URL, sorted (see SKYCRATE__PRESIGN_SEGMENTS). */
static const char *const fixed_params[SKYCRATE__PRESIGN_SEGMENTS - 1] = {
    "X-Amz-Algorithm", "X-Amz-Credential",     "X-Amz-Date",
    "X-Amz-Expires",   "X-Amz-Security-Token", "X-Amz-SignedHeaders",
};

/* Query names and header names the signer owns. */
static const char *const reserved_params[] = {
    "x-amz-algorithm",     "x-amz-credential",     "x-amz-date",      "x-amz-expires",
    "x-amz-signedheaders", "x-amz-security-token", "x-amz-signature",
};
static const char *const reserved_headers[] = {
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-expires",
    "x-amz-signedheaders",
    "x-amz-signature",
};

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool same_name(const char *a, const char *b)
{
    while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (same_name(name, list[i]))
            return true;
    return false;
}

int skycrate__presign_check_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n < 1 || n > MAX_KEY)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: the key must have 1 to %d bytes",
                                   MAX_KEY);
    if (!skycrate__utf8_valid(key, n))
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: the key is not valid UTF-8");
    return 0;
}

/* An object key, or "" for a request on the bucket itself. */
static int check_request_key(const char *key)
{
    if (key && !*key)
        return 0;
    return skycrate__presign_check_key(key);
}

static int set_key(skycrate_presign_request *r, const char *key)
{
    size_t n = strlen(key);
    skycrate__buf *k = &r->key_enc;
    /* Room for the worst case first: then nothing below can fail. */
    if (skycrate__buf_grow(k, 3 * n > k->len ? 3 * n - k->len : 0) < 0)
        return SKYCRATE_ENOMEM;
    char *kp = NULL;
    if (r->key == NULL || strlen(r->key) < n) {
        if ((kp = skycrate__malloc(n + 1)) == NULL)
            return skycrate__error_nomem();
        skycrate__free(r->key);
        r->key = kp;
    }
    memcpy(r->key, key, n + 1);
    skycrate__buf_clear(k);
    return skycrate__uri_encode(k, key, n, true);
}

static void buf_swap(skycrate__buf *a, skycrate__buf *b)
{
    skycrate__buf t = *a;
    *a = *b;
    *b = t;
}

/* Rebuilds the canonical header lines, signed-header lists and query segments from sorted
 * headers and parameters (the request's, or replacements for them). On failure the request
 * keeps its earlier derived parts. */
static int derive(skycrate_presign_request *r, const skycrate__presign_header *hs, size_t hn,
                  const skycrate__presign_param *qs, size_t qn)
{
    int error = 0;
    skycrate__buf before = SKYCRATE_BUF_INIT, after = SKYCRATE_BUF_INIT;
    skycrate__buf sh = SKYCRATE_BUF_INIT, sh_enc = SKYCRATE_BUF_INIT;
    skycrate__buf seg[SKYCRATE__PRESIGN_SEGMENTS];
    for (int i = 0; i < SKYCRATE__PRESIGN_SEGMENTS; i++)
        seg[i] = (skycrate__buf)SKYCRATE_BUF_INIT;

    bool host_done = false;
    for (size_t i = 0; i <= hn; i++) {
        const skycrate__presign_header *h = i < hn ? &hs[i] : NULL;
        if (!host_done && (h == NULL || strcmp(h->name, "host") > 0)) {
            if ((sh.len > 0 && (error = skycrate__buf_putc(&sh, ';')) < 0) ||
                (error = skycrate__buf_puts(&sh, "host")) < 0)
                goto done;
            host_done = true;
        }
        if (h == NULL)
            break;
        skycrate__buf *lines = host_done ? &after : &before;
        if ((sh.len > 0 && (error = skycrate__buf_putc(&sh, ';')) < 0) ||
            (error = skycrate__buf_puts(&sh, h->name)) < 0 ||
            (error = skycrate__buf_printf(lines, "%s:%s\n", h->name, h->value)) < 0)
            goto done;
    }
    if ((error = skycrate__uri_encode(&sh_enc, sh.ptr, sh.len, false)) < 0)
        goto done;

    for (size_t i = 0; i < qn; i++) {
        int slot = 0;
        while (slot < SKYCRATE__PRESIGN_SEGMENTS - 1 &&
               strcmp(fixed_params[slot], qs[i].name_enc) < 0)
            slot++;
        if ((error = skycrate__buf_printf(&seg[slot], "&%s=%s", qs[i].name_enc, qs[i].value_enc)) <
            0)
            goto done;
    }
    /* Empty header lines and segments stay unallocated (the signer reads their lengths); the
     * signed-header lists always hold "host". */
    buf_swap(&r->hdr_before, &before);
    buf_swap(&r->hdr_after, &after);
    buf_swap(&r->signed_headers, &sh);
    buf_swap(&r->signed_headers_enc, &sh_enc);
    for (int i = 0; i < SKYCRATE__PRESIGN_SEGMENTS; i++)
        buf_swap(&r->seg[i], &seg[i]);
done:
    skycrate__buf_dispose(&before);
    skycrate__buf_dispose(&after);
    skycrate__buf_dispose(&sh);
    skycrate__buf_dispose(&sh_enc);
    for (int i = 0; i < SKYCRATE__PRESIGN_SEGMENTS; i++)
        skycrate__buf_dispose(&seg[i]);
    return error;
}

int skycrate_presign_request_new(skycrate_presign_request **out, const char *method,
                                 const char *bucket, const char *key)
{
    int error = 0;
    skycrate_presign_request *r = NULL;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    static const char *const methods[] = {"GET", "PUT", "HEAD", "DELETE"};
    const char *m = NULL;
    for (size_t i = 0; method && i < SKYCRATE_ARRAY_SIZE(methods); i++)
        if (same_name(method, methods[i]))
            m = methods[i];
    if (m == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "presign: the method must be GET, PUT, HEAD or DELETE");
    if ((error = skycrate__bucket_name_usable(bucket)) < 0 || (error = check_request_key(key)) < 0)
        return error;
    if ((r = skycrate__calloc(1, sizeof(*r))) == NULL)
        return skycrate__error_nomem();
    r->magic = SKYCRATE_MAGIC_PRESIGN_REQUEST;
    strcpy(r->method, m);
    r->expires = SKYCRATE__PRESIGN_DEFAULT_EXPIRES;
    if ((r->bucket = skycrate__strdup(bucket)) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    if ((error = set_key(r, key)) < 0 || (error = derive(r, NULL, 0, NULL, 0)) < 0)
        goto done;
    *out = r;
    r = NULL;
done:
    skycrate_presign_request_free(r);
    return error;
}

void skycrate_presign_request_free(skycrate_presign_request *r)
{
    if (!SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST))
        return;
    for (size_t i = 0; i < r->header_count; i++) {
        skycrate__free(r->headers[i].name);
        skycrate__free(r->headers[i].value);
    }
    skycrate__free(r->headers);
    for (size_t i = 0; i < r->param_count; i++) {
        skycrate__free(r->params[i].name);
        skycrate__free(r->params[i].value);
        skycrate__free(r->params[i].name_enc);
        skycrate__free(r->params[i].value_enc);
    }
    skycrate__free(r->params);
    skycrate__free(r->bucket);
    skycrate__free(r->key);
    skycrate__free(r->upload_id);
    skycrate__buf_dispose(&r->key_enc);
    skycrate__buf_dispose(&r->hdr_before);
    skycrate__buf_dispose(&r->hdr_after);
    skycrate__buf_dispose(&r->signed_headers);
    skycrate__buf_dispose(&r->signed_headers_enc);
    for (int i = 0; i < SKYCRATE__PRESIGN_SEGMENTS; i++)
        skycrate__buf_dispose(&r->seg[i]);
    r->magic = 0;
    skycrate__free(r);
}

int skycrate_presign_request_set_bucket(skycrate_presign_request *r, const char *bucket)
{
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    int error = skycrate__bucket_name_usable(bucket);
    if (error < 0)
        return error;
    char *b = skycrate__strdup(bucket);
    if (b == NULL)
        return skycrate__error_nomem();
    skycrate__free(r->bucket);
    r->bucket = b;
    return 0;
}

int skycrate_presign_request_set_key(skycrate_presign_request *r, const char *key)
{
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    int error = check_request_key(key);
    if (error == 0 && key[0] == '\0')
        for (size_t i = 0; i < r->param_count; i++)
            if (r->params[i].upload_part)
                return skycrate__error_set(SKYCRATE_EINVAL, "presign: an UploadPart needs a key");
    return error < 0 ? error : set_key(r, key);
}

int skycrate_presign_request_set_expires(skycrate_presign_request *r, int64_t seconds)
{
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    if (seconds < 1 || seconds > SKYCRATE__PRESIGN_MAX_EXPIRES)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "presign: expiry %lld s is outside 1..%d seconds",
                                   (long long)seconds, SKYCRATE__PRESIGN_MAX_EXPIRES);
    r->expires = seconds;
    return 0;
}

int skycrate_presign_request_set_time(skycrate_presign_request *r, int64_t unix_seconds)
{
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    if (unix_seconds == -1) {
        r->has_time = false;
        r->time = 0;
        return 0;
    }
    if (unix_seconds < 0 || unix_seconds > SKYCRATE__PRESIGN_MAX_TIME)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: signing time out of range");
    r->has_time = true;
    r->time = unix_seconds;
    return 0;
}

/* The value as S3 canonicalises it: blanks trimmed, inner runs made one space. */
static char *normalize_value(const char *v)
{
    size_t n = strlen(v);
    char *out = skycrate__malloc(n + 1), *p = out;
    if (out == NULL)
        return NULL;
    bool gap = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            gap = true;
            continue;
        }
        if (gap && p != out)
            *p++ = ' ';
        gap = false;
        *p++ = v[i];
    }
    *p = '\0';
    return out;
}

int skycrate_presign_request_add_header(skycrate_presign_request *r, const char *name,
                                        const char *value)
{
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    int error = 0;
    char *n = NULL, *v = NULL;
    if (name == NULL || name[0] == '\0')
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: empty header name");
    if (!skycrate__http_token_ok(name))
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: invalid header name");
    if (in_list(name, reserved_headers, SKYCRATE_ARRAY_SIZE(reserved_headers)))
        return skycrate__error_set(
            SKYCRATE_EINVAL, "presign: the header '%s' is set by the signer or the client", name);
    if (value == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: header '%s' without a value", name);
    if (!skycrate__http_value_ok(value))
        return skycrate__error_set(
            SKYCRATE_EINVAL,
            "presign: the value of header '%s' must be printable ASCII (encode others)", name);
    for (size_t i = 0; i < r->header_count; i++)
        if (same_name(r->headers[i].name, name))
            return skycrate__error_set(SKYCRATE_EINVAL, "presign: header '%s' given twice", name);
    if (r->header_count >= MAX_ITEMS)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: more than %d headers", MAX_ITEMS);

    skycrate__presign_header *hs = skycrate__calloc(r->header_count + 1, sizeof(*hs));
    if (hs == NULL)
        return skycrate__error_nomem();
    if ((n = skycrate__strdup(name)) == NULL || (v = normalize_value(value)) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    for (char *p = n; *p; p++)
        *p = (char)lower((unsigned char)*p);
    size_t at = 0;
    while (at < r->header_count && strcmp(r->headers[at].name, n) < 0)
        at++;
    if (r->header_count)
        memcpy(hs, r->headers, at * sizeof(*hs));
    hs[at] = (skycrate__presign_header){n, v};
    if (r->header_count)
        memcpy(&hs[at + 1], &r->headers[at], (r->header_count - at) * sizeof(*hs));
    if ((error = derive(r, hs, r->header_count + 1, r->params, r->param_count)) < 0)
        goto done;
    skycrate__free(r->headers);
    r->headers = hs;
    r->header_count++;
    hs = NULL;
    n = v = NULL;
done:
    skycrate__free(hs);
    skycrate__free(n);
    skycrate__free(v);
    return error;
}

static int encode_dup(char **out, const char *s)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    if (skycrate__uri_encode(&b, s, strlen(s), false) < 0 || skycrate__buf_grow(&b, 0) < 0) {
        skycrate__buf_dispose(&b);
        return SKYCRATE_ENOMEM;
    }
    *out = skycrate__buf_detach(&b);
    return 0;
}

static int param_cmp(const skycrate__presign_param *a, const skycrate__presign_param *b)
{
    int c = strcmp(a->name_enc, b->name_enc);
    return c ? c : strcmp(a->value_enc, b->value_enc);
}

static void param_free(skycrate__presign_param *q)
{
    skycrate__free(q->name);
    skycrate__free(q->value);
    skycrate__free(q->name_enc);
    skycrate__free(q->value_enc);
}

/*
 * Replaces the request's parameters by the kept ones (all when `keep_upload_part`, else those
 * not set by _set_upload_part) plus `add` (n of them), sorted, and derives. On success the
 * dropped parameters are freed and `add` belongs to the request; on failure nothing changes
 * and `add` stays the caller's.
 */
static int replace_params(skycrate_presign_request *r, bool keep_upload_part,
                          const skycrate__presign_param *add, size_t n)
{
    skycrate__presign_param *qs = skycrate__calloc(r->param_count + n + 1, sizeof(*qs));
    if (qs == NULL)
        return skycrate__error_nomem();
    size_t count = 0;
    for (size_t i = 0; i < r->param_count; i++)
        if (keep_upload_part || !r->params[i].upload_part)
            qs[count++] = r->params[i];
    for (size_t k = 0; k < n; k++) {
        size_t at = 0;
        while (at < count && param_cmp(&qs[at], &add[k]) < 0)
            at++;
        memmove(&qs[at + 1], &qs[at], (count - at) * sizeof(*qs));
        qs[at] = add[k];
        count++;
    }
    int error = derive(r, r->headers, r->header_count, qs, count);
    if (error < 0) {
        skycrate__free(qs);
        return error;
    }
    for (size_t i = 0; i < r->param_count; i++)
        if (!keep_upload_part && r->params[i].upload_part)
            param_free(&r->params[i]);
    skycrate__free(r->params);
    r->params = qs;
    r->param_count = count;
    return 0;
}

static int make_param(skycrate__presign_param *q, const char *name, const char *value,
                      bool upload_part)
{
    memset(q, 0, sizeof(*q));
    q->upload_part = upload_part;
    if ((q->name = skycrate__strdup(name)) == NULL ||
        (q->value = skycrate__strdup(value ? value : "")) == NULL ||
        encode_dup(&q->name_enc, q->name) < 0 || encode_dup(&q->value_enc, q->value) < 0) {
        param_free(q);
        return skycrate__error_nomem();
    }
    return 0;
}

static bool has_param(const skycrate_presign_request *r, const char *name)
{
    for (size_t i = 0; i < r->param_count; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return true;
    return false;
}

int skycrate_presign_request_add_query(skycrate_presign_request *r, const char *name,
                                       const char *value)
{
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    int error = 0;
    skycrate__presign_param q;
    if (name == NULL || name[0] == '\0')
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: empty query parameter name");
    if (in_list(name, reserved_params, SKYCRATE_ARRAY_SIZE(reserved_params)))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "presign: the query parameter '%s' is set by the signer", name);
    if (has_param(r, name))
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: query parameter '%s' given twice",
                                   name);
    if (r->param_count >= MAX_ITEMS)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: more than %d query parameters",
                                   MAX_ITEMS);
    if ((error = make_param(&q, name, value, false)) < 0)
        return error;
    if ((error = replace_params(r, true, &q, 1)) < 0)
        param_free(&q);
    return error;
}

int skycrate_presign_request_set_upload_part(skycrate_presign_request *r, const char *upload_id,
                                             uint32_t part_number)
{
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    int error = 0;
    skycrate__presign_param add[2];
    memset(add, 0, sizeof(add));
    size_t n = 0;
    char digits[16], *id_copy = NULL;

    if (upload_id != NULL) {
        if (strcmp(r->method, "PUT") != 0)
            return skycrate__error_set(SKYCRATE_EINVAL, "presign: an UploadPart is a PUT, not a %s",
                                       r->method);
        if (upload_id[0] == '\0')
            return skycrate__error_set(SKYCRATE_EINVAL, "presign: empty upload id");
        if (r->key[0] == '\0')
            return skycrate__error_set(SKYCRATE_EINVAL, "presign: an UploadPart needs a key");
        if (!skycrate__utf8_valid(upload_id, strlen(upload_id)))
            return skycrate__error_set(SKYCRATE_EINVAL, "presign: the upload id is not UTF-8");
        if (part_number < 1 || part_number > MAX_PART)
            return skycrate__error_set(SKYCRATE_EINVAL, "presign: part number %u outside 1..%d",
                                       part_number, MAX_PART);
        for (size_t i = 0; i < r->param_count; i++)
            if (!r->params[i].upload_part && (strcmp(r->params[i].name, "partNumber") == 0 ||
                                              strcmp(r->params[i].name, "uploadId") == 0))
                return skycrate__error_set(SKYCRATE_EINVAL,
                                           "presign: partNumber or uploadId already added as "
                                           "query parameters");
        snprintf(digits, sizeof(digits), "%u", part_number);
        if ((id_copy = skycrate__strdup(upload_id)) == NULL)
            return skycrate__error_nomem();
        if ((error = make_param(&add[n], "partNumber", digits, true)) < 0)
            goto done;
        n++;
        if ((error = make_param(&add[n], "uploadId", upload_id, true)) < 0)
            goto done;
        n++;
    }
    if ((error = replace_params(r, false, add, n)) < 0)
        goto done;
    n = 0;
    skycrate__free(r->upload_id);
    r->upload_id = id_copy;
    r->part_number = upload_id ? part_number : 0;
    id_copy = NULL;
done:
    for (size_t i = 0; i < n; i++)
        param_free(&add[i]);
    skycrate__free(id_copy);
    return error;
}
