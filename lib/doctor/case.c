/*
 * The doctor handle and the case it diagnoses: the contract, what the client sent, the
 * server's answers and the bucket's settings, each set through a checked setter.
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "core/syntax.h"
#include "doctor/doctor.h"
#include "store/store.h"
#include "xml/xml.h"

int skycrate_doctor_new(skycrate_doctor **out, const skycrate_client *client)
{
    int error = 0;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    skycrate_doctor *d = skycrate__calloc(1, sizeof(*d));
    if (d == NULL)
        return skycrate__error_nomem();
    d->magic = SKYCRATE_MAGIC_DOCTOR;
    if ((error = skycrate_presigner_new(&d->presigner, client)) < 0) {
        skycrate__free(d);
        return error;
    }
    *out = d;
    return 0;
}

void skycrate_doctor_free(skycrate_doctor *doctor)
{
    if (!SKYCRATE_VALID_HANDLE(doctor, SKYCRATE_MAGIC_DOCTOR))
        return;
    skycrate_presigner_free(doctor->presigner);
    doctor->magic = 0;
    skycrate__free(doctor);
}

/* ---- header lists ---- */

int skycrate__doctor_headers_add(skycrate__doctor_headers *h, const char *name, const char *value)
{
    int error;
    if ((error = skycrate__array_grow((void **)&h->items, &h->cap, h->count + 1,
                                      sizeof(*h->items))) < 0)
        return error;
    skycrate__presign_header *item = &h->items[h->count];
    if ((item->name = skycrate__strdup(name)) == NULL ||
        (item->value = skycrate__strdup(value)) == NULL) {
        skycrate__free(item->name);
        item->name = NULL;
        return skycrate__error_nomem();
    }
    h->count++;
    return 0;
}

const char *skycrate__doctor_headers_get(const skycrate__doctor_headers *h, const char *name)
{
    for (size_t i = 0; i < h->count; i++)
        if (strcasecmp(h->items[i].name, name) == 0)
            return h->items[i].value;
    return NULL;
}

void skycrate__doctor_headers_dispose(skycrate__doctor_headers *h)
{
    for (size_t i = 0; i < h->count; i++) {
        skycrate__free(h->items[i].name);
        skycrate__free(h->items[i].value);
    }
    skycrate__free(h->items);
    *h = (skycrate__doctor_headers){0};
}

static int headers_copy(skycrate__doctor_headers *dst, const skycrate__doctor_headers *src)
{
    int error = 0;
    for (size_t i = 0; i < src->count && error == 0; i++)
        error = skycrate__doctor_headers_add(dst, src->items[i].name, src->items[i].value);
    return error;
}

/* ---- the case ---- */

int skycrate_doctor_case_new(skycrate_doctor_case **out)
{
    SKYCRATE_ASSERT_ARG(out != NULL);
    skycrate_doctor_case *c = skycrate__calloc(1, sizeof(*c));
    if ((*out = c) == NULL)
        return skycrate__error_nomem();
    c->magic = SKYCRATE_MAGIC_DOCTOR_CASE;
    c->block_public_acls = -1;
    c->time = -1;
    return 0;
}

void skycrate_doctor_case_free(skycrate_doctor_case *c)
{
    if (!SKYCRATE_VALID_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE))
        return;
    /* URLs carry signatures and session tokens. */
    skycrate__free(c->contract_method);
    skycrate__free_secret(c->contract_url);
    skycrate__doctor_headers_dispose(&c->contract_headers);
    skycrate__free(c->sent_method);
    skycrate__free_secret(c->sent_url);
    skycrate__doctor_headers_dispose(&c->sent_headers);
    skycrate__free(c->origin);
    skycrate__doctor_answer_dispose(&c->answer);
    skycrate__doctor_answer_dispose(&c->preflight);
    skycrate__free(c->cors_xml);
    skycrate__free(c->policy_json);
    c->magic = 0;
    skycrate__free(c);
}

/* Replaces *slot with a copy of `s` (NULL clears it). */
static int set_string(char **slot, const char *s, bool secret)
{
    char *copy = NULL;
    if (s && (copy = skycrate__strdup(s)) == NULL)
        return skycrate__error_nomem();
    if (secret)
        skycrate__free_secret(*slot);
    else
        skycrate__free(*slot);
    *slot = copy;
    return 0;
}

static int check_method(const char *method, char upper[8])
{
    static const char *const methods[] = {"GET", "PUT", "HEAD", "DELETE", "POST"};
    for (size_t i = 0; method && i < SKYCRATE_ARRAY_SIZE(methods); i++)
        if (strcasecmp(method, methods[i]) == 0) {
            strcpy(upper, methods[i]);
            return 0;
        }
    return skycrate__error_set(SKYCRATE_EINVAL,
                               "the method must be GET, PUT, HEAD, DELETE or POST");
}

static int check_url(const char *url)
{
    skycrate__doctor_url u;
    int error = skycrate__doctor_url_parse(&u, url);
    skycrate__doctor_url_dispose(&u);
    return error;
}

static int set_contract(skycrate_doctor_case *c, const char *method, const char *url)
{
    char upper[8];
    int error;
    if ((error = check_method(method, upper)) < 0 || (error = check_url(url)) < 0 ||
        (error = set_string(&c->contract_method, upper, false)) < 0 ||
        (error = set_string(&c->contract_url, url, true)) < 0)
        return error;
    skycrate__doctor_headers_dispose(&c->contract_headers);
    return 0;
}

int skycrate_doctor_case_set_contract(skycrate_doctor_case *c, const skycrate_presigned *contract)
{
    int error;
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    SKYCRATE_ASSERT_HANDLE(contract, SKYCRATE_MAGIC_PRESIGNED);
    if ((error = set_contract(c, contract->method, contract->url)) < 0)
        return error;
    for (size_t i = 0; i < contract->header_count && error == 0; i++)
        error = skycrate__doctor_headers_add(&c->contract_headers, contract->headers[i].name,
                                             contract->headers[i].value);
    return error;
}

int skycrate_doctor_case_set_contract_json(skycrate_doctor_case *c, const char *text)
{
    int error = 0;
    json_t *doc = NULL;
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    SKYCRATE_ASSERT_ARG(text != NULL);
    if ((error =
             skycrate__record_parse(&doc, text, strlen(text), SKYCRATE_EPARSE, "the contract")) < 0)
        return error;
    const char *method = json_string_value(json_object_get(doc, "method"));
    const char *url = json_string_value(json_object_get(doc, "url"));
    if (url == NULL)
        url = json_string_value(json_object_get(doc, "uploadUrl"));
    json_t *headers = json_object_get(doc, "headers");
    if (method == NULL || url == NULL || (headers && !json_is_object(headers))) {
        error = skycrate__error_set(SKYCRATE_EINVAL,
                                    "the contract needs a method, a url and an object of headers");
        goto done;
    }
    if ((error = set_contract(c, method, url)) < 0)
        goto done;
    const char *name;
    json_t *value;
    json_object_foreach(headers, name, value)
    {
        if (!json_is_string(value)) {
            error = skycrate__error_set(SKYCRATE_EINVAL, "the contract's header %s is not a string",
                                        name);
            goto done;
        }
        if ((error = skycrate__doctor_headers_add(&c->contract_headers, name,
                                                  json_string_value(value))) < 0)
            goto done;
    }
done:
    json_decref(doc);
    return error;
}

int skycrate_doctor_case_set_sent(skycrate_doctor_case *c, const char *method, const char *url)
{
    char upper[8];
    int error;
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    if ((error = check_method(method, upper)) < 0 || (error = check_url(url)) < 0 ||
        (error = set_string(&c->sent_method, upper, false)) < 0)
        return error;
    return set_string(&c->sent_url, url, true);
}

static bool header_ok(const char *name, const char *value)
{
    if (name == NULL || !*name || value == NULL)
        return false;
    if (!skycrate__http_token_ok(name)) /* the request layer's rule */
        return false;
    for (const char *p = value; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    return true;
}

int skycrate_doctor_case_add_sent_header(skycrate_doctor_case *c, const char *name,
                                         const char *value)
{
    int error;
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    if (!header_ok(name, value))
        return skycrate__error_set(SKYCRATE_EINVAL, "a header needs a token name and a one-line "
                                                    "value");
    if ((error = skycrate__doctor_headers_add(&c->sent_headers, name, value)) == 0)
        c->sent_headers_set = true;
    return error;
}

int skycrate_doctor_case_set_origin(skycrate_doctor_case *c, const char *origin)
{
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    if (origin && ((strncmp(origin, "http://", 7) && strncmp(origin, "https://", 8)) ||
                   strchr(origin, '\r') || strchr(origin, '\n')))
        return skycrate__error_set(SKYCRATE_EINVAL, "an origin is scheme://host[:port]");
    return set_string(&c->origin, origin, false);
}

int skycrate_doctor_case_set_answer(skycrate_doctor_case *c, int preflight, int status,
                                    const char *body, size_t body_len)
{
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    SKYCRATE_ASSERT_ARG(status >= 100 && status <= 599);
    skycrate__doctor_answer *a = preflight ? &c->preflight : &c->answer;
    skycrate__doctor_answer_dispose(a);
    a->status = status;
    return body ? skycrate__buf_put(&a->body, body, body_len) : 0;
}

int skycrate_doctor_case_add_answer_header(skycrate_doctor_case *c, int preflight, const char *name,
                                           const char *value)
{
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    skycrate__doctor_answer *a = preflight ? &c->preflight : &c->answer;
    if (a->status == 0 || !header_ok(name, value))
        return skycrate__error_set(SKYCRATE_EINVAL, "an answer header needs its answer first, a "
                                                    "token name and a one-line value");
    return skycrate__doctor_headers_add(&a->headers, name, value);
}

int skycrate_doctor_case_set_bucket(skycrate_doctor_case *c, const char *cors_xml,
                                    const char *policy_json)
{
    int error = 0;
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    if (cors_xml && *cors_xml) {
        skycrate__xml_node *root = NULL;
        error = skycrate__xml_parse_as(&root, cors_xml, strlen(cors_xml), "CORSConfiguration");
        skycrate__xml_free(root);
    }
    if (error == 0 && policy_json && *policy_json) {
        json_t *doc = NULL;
        error = skycrate__record_parse(&doc, policy_json, strlen(policy_json), SKYCRATE_EPARSE,
                                       "the bucket policy");
        json_decref(doc);
    }
    if (error < 0 || (error = set_string(&c->cors_xml, cors_xml, false)) < 0)
        return error;
    return set_string(&c->policy_json, policy_json, false);
}

int skycrate_doctor_case_set_time(skycrate_doctor_case *c, int64_t unix_seconds)
{
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    SKYCRATE_ASSERT_ARG(unix_seconds >= -1);
    c->time = unix_seconds;
    return 0;
}

static int answer_copy(skycrate__doctor_answer *dst, const skycrate__doctor_answer *src)
{
    dst->status = src->status;
    int error = src->body.len ? skycrate__buf_put(&dst->body, src->body.ptr, src->body.len) : 0;
    return error < 0 ? error : headers_copy(&dst->headers, &src->headers);
}

static int dup_or_null(char **dst, const char *src)
{
    return src && (*dst = skycrate__strdup(src)) == NULL ? skycrate__error_nomem() : 0;
}

/* A deep copy into a new (zeroed) case; the replay changes its copy, never the caller's. */
int skycrate__doctor_case_copy(skycrate_doctor_case *dst, const skycrate_doctor_case *src)
{
    int error;
    dst->magic = SKYCRATE_MAGIC_DOCTOR_CASE;
    dst->block_public_acls = src->block_public_acls;
    dst->time = src->time;
    dst->sent_headers_set = src->sent_headers_set;
    if ((error = dup_or_null(&dst->contract_method, src->contract_method)) < 0 ||
        (error = dup_or_null(&dst->contract_url, src->contract_url)) < 0 ||
        (error = headers_copy(&dst->contract_headers, &src->contract_headers)) < 0 ||
        (error = dup_or_null(&dst->sent_method, src->sent_method)) < 0 ||
        (error = dup_or_null(&dst->sent_url, src->sent_url)) < 0 ||
        (error = headers_copy(&dst->sent_headers, &src->sent_headers)) < 0 ||
        (error = dup_or_null(&dst->origin, src->origin)) < 0 ||
        (error = answer_copy(&dst->answer, &src->answer)) < 0 ||
        (error = answer_copy(&dst->preflight, &src->preflight)) < 0 ||
        (error = dup_or_null(&dst->cors_xml, src->cors_xml)) < 0)
        return error;
    return dup_or_null(&dst->policy_json, src->policy_json);
}
