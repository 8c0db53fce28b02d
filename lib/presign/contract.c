/*
 * The presign contract: method, bucket, key, URL, the headers the client must send with their
 * exact values, the real expiry (and whether it was clamped), as accessors and as JSON
 * (skycrate/presigner.h); and, for diagnostics, the canonical request and string to sign.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "presign/presign.h"

static char *place(char **at, const char *s, size_t n)
{
    char *p = *at;
    if (s)
        memcpy(p, s, n);
    p[n] = '\0';
    *at += n + 1;
    return p;
}

int skycrate__presigned_alloc(skycrate_presigned **out, const skycrate_presign_request *r,
                              const skycrate__presign_lengths *len)
{
    size_t bucket = strlen(r->bucket), key = strlen(r->key);
    size_t upload_id = r->upload_id ? strlen(r->upload_id) : 0;
    size_t size = sizeof(skycrate_presigned) + r->header_count * sizeof(skycrate__presign_header) +
                  len->url + 1 + len->canonical_request + 1 + len->string_to_sign + 1 + bucket + 1 +
                  key + 1 + (r->upload_id ? upload_id + 1 : 0);
    for (size_t i = 0; i < r->header_count; i++)
        size += strlen(r->headers[i].name) + 1 + strlen(r->headers[i].value) + 1;
    skycrate_presigned *c = skycrate__malloc(size);
    *out = c;
    if (c == NULL)
        return skycrate__error_nomem();
    memset(c, 0, sizeof(*c));
    c->magic = SKYCRATE_MAGIC_PRESIGNED;
    strcpy(c->method, r->method);
    c->part_number = r->part_number;
    c->headers = (skycrate__presign_header *)(c + 1);
    c->header_count = r->header_count;
    char *at = (char *)(c->headers + r->header_count);
    c->url = place(&at, NULL, len->url);
    c->canonical_request = place(&at, NULL, len->canonical_request);
    c->string_to_sign = place(&at, NULL, len->string_to_sign);
    c->bucket = place(&at, r->bucket, bucket);
    c->key = place(&at, r->key, key);
    if (r->upload_id)
        c->upload_id = place(&at, r->upload_id, upload_id);
    for (size_t i = 0; i < r->header_count; i++) {
        const skycrate__presign_header *h = &r->headers[i];
        c->headers[i].name = place(&at, h->name, strlen(h->name));
        c->headers[i].value = place(&at, h->value, strlen(h->value));
    }
    return 0;
}

void skycrate_presigned_free(skycrate_presigned *c)
{
    if (!SKYCRATE_VALID_HANDLE(c, SKYCRATE_MAGIC_PRESIGNED))
        return;
    /* The URL and the canonical request carry the session token and the signature. */
    skycrate__wipe(c->url, strlen(c->url));
    skycrate__wipe(c->canonical_request, strlen(c->canonical_request));
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

/* The contract's JSON, in the key order skycrate_presigned_to_json() documents. */
size_t skycrate__presigned_render(char *out, const skycrate__presigned_view *v, const char *url,
                                  size_t url_len, bool pretty, size_t *url_at)
{
    skycrate__json_writer w;
    skycrate__json_writer_init(&w, out, pretty);
    skycrate__json_object_begin(&w);
    skycrate__json_member(&w, "method");
    skycrate__json_string(&w, v->method, strlen(v->method));
    skycrate__json_member(&w, "bucket");
    skycrate__json_string(&w, v->bucket, strlen(v->bucket));
    skycrate__json_member(&w, "key");
    skycrate__json_string(&w, v->key, strlen(v->key));
    skycrate__json_member(&w, "url");
    /* A URL holds only unreserved characters, '%', '/', ':', '?', '&' and '=': none of them is
     * escaped in JSON, so it goes in (or is signed in place) as it is. */
    skycrate__json_raw(&w, "\"", 1);
    if (url_at)
        *url_at = w.len;
    skycrate__json_raw(&w, url, url_len);
    skycrate__json_raw(&w, "\"", 1);
    skycrate__json_member(&w, "headers");
    skycrate__json_object_begin(&w);
    for (size_t i = 0; i < v->header_count; i++) {
        skycrate__json_member(&w, v->headers[i].name);
        skycrate__json_string(&w, v->headers[i].value, strlen(v->headers[i].value));
    }
    skycrate__json_object_end(&w);
    skycrate__json_member(&w, "expiresAt");
    skycrate__json_string(&w, v->expires_at, 20);
    skycrate__json_member(&w, "expiresIn");
    skycrate__json_int(&w, v->expires_in);
    skycrate__json_member(&w, "expiresClamped");
    skycrate__json_bool(&w, v->clamped);
    if (v->upload_id) {
        skycrate__json_member(&w, "partNumber");
        skycrate__json_int(&w, v->part_number);
        skycrate__json_member(&w, "uploadId");
        skycrate__json_string(&w, v->upload_id, strlen(v->upload_id));
    }
    skycrate__json_object_end(&w);
    return w.len;
}

int skycrate_presigned_to_json(char **out, const skycrate_presigned *c, uint32_t flags)
{
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_PRESIGNED);
    SKYCRATE_ASSERT_ARG((flags & ~SKYCRATE_JSON_PRETTY) == 0);
    skycrate__presigned_view v = {c->method,       c->bucket,    c->key,         c->headers,
                                  c->header_count, c->upload_id, c->part_number, "",
                                  c->expires_in,   c->clamped};
    skycrate__format_iso8601(v.expires_at, c->signed_at + c->expires_in);
    bool pretty = (flags & SKYCRATE_JSON_PRETTY) != 0;
    size_t url_len = strlen(c->url);
    size_t len = skycrate__presigned_render(NULL, &v, c->url, url_len, pretty, NULL);
    char *text = skycrate__malloc(len + 1);
    if (text == NULL)
        return skycrate__error_nomem();
    skycrate__presigned_render(text, &v, c->url, url_len, pretty, NULL);
    text[len] = '\0';
    *out = text;
    return 0;
}
