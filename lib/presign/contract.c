/*
 * The presign contract: method, bucket, key, URL, the headers the client must send with their
 * exact values, the real expiry (and whether it was clamped), as accessors and as JSON
 * (skycrate/presigner.h); and, for diagnostics, the canonical request and string to sign.
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <string.h>

#include "core/common.h"
#include "core/json.h"
#include "core/time.h"
#include "presign/presign.h"

int skycrate__presigned_build(skycrate_presigned **out, const skycrate_presign_request *r,
                              char *url, int64_t signed_at, int64_t expires_in, bool clamped,
                              const skycrate__buf *canonical_request,
                              const skycrate__buf *string_to_sign)
{
    int error = 0;
    skycrate_presigned *c = skycrate__calloc(1, sizeof(*c));
    if (c == NULL) {
        skycrate__free(url);
        return skycrate__error_nomem();
    }
    c->magic = SKYCRATE_MAGIC_PRESIGNED;
    c->url = url;
    strcpy(c->method, r->method);
    c->signed_at = signed_at;
    c->expires_in = expires_in;
    c->clamped = clamped;
    c->part_number = r->part_number;
    if ((c->bucket = skycrate__strdup(r->bucket)) == NULL ||
        (c->key = skycrate__strdup(r->key)) == NULL ||
        (r->upload_id && (c->upload_id = skycrate__strdup(r->upload_id)) == NULL) ||
        (c->canonical_request = skycrate__strdup(skycrate__buf_cstr(canonical_request))) == NULL ||
        (c->string_to_sign = skycrate__strdup(skycrate__buf_cstr(string_to_sign))) == NULL)
        goto nomem;
    if (r->header_count &&
        (c->headers = skycrate__calloc(r->header_count, sizeof(*c->headers))) == NULL)
        goto nomem;
    for (size_t i = 0; i < r->header_count; i++) {
        c->header_count++;
        if ((c->headers[i].name = skycrate__strdup(r->headers[i].name)) == NULL ||
            (c->headers[i].value = skycrate__strdup(r->headers[i].value)) == NULL)
            goto nomem;
    }
    *out = c;
    return 0;
nomem:
    error = skycrate__error_nomem();
    skycrate_presigned_free(c);
    return error;
}

void skycrate_presigned_free(skycrate_presigned *c)
{
    if (!SKYCRATE_VALID_HANDLE(c, SKYCRATE_MAGIC_PRESIGNED))
        return;
    for (size_t i = 0; i < c->header_count; i++) {
        skycrate__free(c->headers[i].name);
        skycrate__free(c->headers[i].value);
    }
    skycrate__free(c->headers);
    skycrate__free(c->bucket);
    skycrate__free(c->key);
    /* The URL and the canonical request carry the session token and the signature. */
    skycrate__free_secret(c->url);
    skycrate__free_secret(c->canonical_request);
    skycrate__free(c->string_to_sign);
    skycrate__free(c->upload_id);
    c->magic = 0;
    skycrate__free(c);
}

static bool valid(const skycrate_presigned *c)
{
    return c != NULL && c->magic == SKYCRATE_MAGIC_PRESIGNED;
}

const char *skycrate_presigned_method(const skycrate_presigned *c)
{
    return valid(c) ? c->method : "";
}

const char *skycrate_presigned_bucket(const skycrate_presigned *c)
{
    return valid(c) ? c->bucket : "";
}

const char *skycrate_presigned_key(const skycrate_presigned *c)
{
    return valid(c) ? c->key : "";
}

const char *skycrate_presigned_url(const skycrate_presigned *c)
{
    return valid(c) ? c->url : "";
}

size_t skycrate_presigned_header_count(const skycrate_presigned *c)
{
    return valid(c) ? c->header_count : 0;
}

int skycrate_presigned_header(const char **name, const char **value, const skycrate_presigned *c,
                              size_t index)
{
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_PRESIGNED);
    if (index >= c->header_count)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "presign: no header #%zu (the contract has %zu)", index,
                                   c->header_count);
    if (name)
        *name = c->headers[index].name;
    if (value)
        *value = c->headers[index].value;
    return 0;
}

int64_t skycrate_presigned_expires_at(const skycrate_presigned *c)
{
    return valid(c) ? c->signed_at + c->expires_in : 0;
}

int64_t skycrate_presigned_expires_in(const skycrate_presigned *c)
{
    return valid(c) ? c->expires_in : 0;
}

int skycrate_presigned_clamped(const skycrate_presigned *c)
{
    return valid(c) && c->clamped ? 1 : 0;
}

int skycrate_presigned_explain(const char **canonical_request, const char **string_to_sign,
                               const skycrate_presigned *c)
{
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_PRESIGNED);
    if (canonical_request)
        *canonical_request = c->canonical_request;
    if (string_to_sign)
        *string_to_sign = c->string_to_sign;
    return 0;
}

/* Sets obj[name] = value (a new reference); false when jansson is out of memory. */
static bool put(json_t *obj, const char *name, json_t *value)
{
    return value != NULL && json_object_set_new(obj, name, value) == 0;
}

int skycrate_presigned_to_json(char **out, const skycrate_presigned *c, uint32_t flags)
{
    int error = 0;
    json_t *doc = NULL, *headers = NULL;
    char expires_at[21];
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_PRESIGNED);
    SKYCRATE_ASSERT_ARG((flags & ~SKYCRATE_JSON_PRETTY) == 0);
    skycrate__format_iso8601(expires_at, c->signed_at + c->expires_in);
    if ((doc = json_object()) == NULL || (headers = json_object()) == NULL)
        goto nomem;
    for (size_t i = 0; i < c->header_count; i++)
        if (!put(headers, c->headers[i].name, json_string(c->headers[i].value)))
            goto nomem;
    bool ok = put(doc, "method", json_string(c->method)) &&
              put(doc, "bucket", json_string(c->bucket)) && put(doc, "key", json_string(c->key)) &&
              put(doc, "url", json_string(c->url)) && put(doc, "headers", json_incref(headers)) &&
              put(doc, "expiresAt", json_string(expires_at)) &&
              put(doc, "expiresIn", json_integer(c->expires_in)) &&
              put(doc, "expiresClamped", json_boolean(c->clamped));
    if (ok && c->upload_id)
        ok = put(doc, "partNumber", json_integer(c->part_number)) &&
             put(doc, "uploadId", json_string(c->upload_id));
    if (!ok)
        goto nomem;
    error = skycrate__json_render(out, doc, flags);
    goto done;
nomem:
    error = skycrate__error_nomem();
done:
    json_decref(headers);
    json_decref(doc);
    return error;
}
