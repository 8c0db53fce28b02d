/*
 * The parts of a presigned URL the doctor reads: host, decoded path and query, and the SigV4
 * parameters (credential scope, signing time, expiry, signed headers, signature).
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "core/syntax.h"
#include "core/time.h"
#include "doctor/doctor.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A copy of `len` bytes of `s` with %XX decoded ('+' too when `plus`); a bad escape is kept. */
static char *decode(const char *s, size_t len, bool plus)
{
    char *out = skycrate__malloc(len + 1), *w = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
            (lo = hex_digit(s[i + 2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *w++ = plus && s[i] == '+' ? ' ' : s[i];
        }
    }
    *w = '\0';
    return out;
}

static int add_param(skycrate__doctor_url *u, const char *p, size_t len, size_t *cap)
{
    int error;
    if ((error = skycrate__array_grow((void **)&u->query, cap, u->query_count + 1,
                                      sizeof(*u->query))) < 0)
        return error;
    const char *eq = memchr(p, '=', len);
    size_t name_len = eq ? (size_t)(eq - p) : len;
    skycrate__presign_header *q = &u->query[u->query_count];
    if ((q->name = decode(p, name_len, true)) == NULL ||
        (q->value = decode(eq ? eq + 1 : p + len, eq ? len - name_len - 1 : 0, true)) == NULL) {
        skycrate__free(q->name);
        q->name = NULL;
        return skycrate__error_nomem();
    }
    u->query_count++;
    return 0;
}

static const char *param(const skycrate__doctor_url *u, const char *name)
{
    for (size_t i = 0; i < u->query_count; i++)
        if (strcmp(u->query[i].name, name) == 0)
            return u->query[i].value;
    return NULL;
}

/* X-Amz-Credential is AKID/YYYYMMDD/region/service/aws4_request. */
static int read_sigv4(skycrate__doctor_url *u)
{
    u->algorithm = param(u, "X-Amz-Algorithm");
    u->credential = param(u, "X-Amz-Credential");
    u->amz_date = param(u, "X-Amz-Date");
    u->expires = param(u, "X-Amz-Expires");
    u->signed_headers = param(u, "X-Amz-SignedHeaders");
    u->signature = param(u, "X-Amz-Signature");
    u->token = param(u, "X-Amz-Security-Token");
    u->signed_at = u->expires_in = -1;
    if (u->amz_date && skycrate__parse_amz_date(&u->signed_at, u->amz_date) < 0) {
        skycrate_error_clear();
        u->signed_at = -1;
    }
    if (u->expires && *u->expires && strspn(u->expires, "0123456789") == strlen(u->expires) &&
        strlen(u->expires) < 10)
        u->expires_in = strtoll(u->expires, NULL, 10);
    const char *cred = u->credential ? u->credential : "";
    const char *slash1 = strchr(cred, '/');
    const char *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
    const char *slash3 = slash2 ? strchr(slash2 + 1, '/') : NULL;
    u->access_key_id = skycrate__strndup(cred, slash1 ? (size_t)(slash1 - cred) : strlen(cred));
    u->scope_region = slash3 ? skycrate__strndup(slash2 + 1, (size_t)(slash3 - slash2 - 1))
                             : skycrate__strdup("");
    return u->access_key_id && u->scope_region ? 0 : skycrate__error_nomem();
}

int skycrate__doctor_url_parse(skycrate__doctor_url *out, const char *url)
{
    int error = 0;
    size_t cap = 0;
    memset(out, 0, sizeof(*out));
    SKYCRATE_ASSERT_ARG(url != NULL);
    size_t skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
    const char *host = url + skip, *path = host + strcspn(host, "/?#");
    if (skip == 0 || path == host || !skycrate__url_text_ok(url))
        return skycrate__error_set(SKYCRATE_EINVAL, "not an http(s)://host/... URL");
    out->https = skip == 8;
    const char *query = path + strcspn(path, "?#");
    const char *end = query + strcspn(query, "#");
    if ((out->host = skycrate__strndup(host, (size_t)(path - host))) == NULL ||
        (out->path = decode(path, (size_t)(query - path), false)) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    if (*query == '?')
        query++;
    while (query < end) {
        size_t len = strcspn(query, "&#");
        if (len > 0 && (error = add_param(out, query, len, &cap)) < 0)
            goto done;
        query += len;
        if (query < end && *query == '&')
            query++;
    }
    error = read_sigv4(out);
done:
    if (error < 0)
        skycrate__doctor_url_dispose(out);
    return error;
}

void skycrate__doctor_url_dispose(skycrate__doctor_url *u)
{
    skycrate__free(u->host);
    skycrate__free(u->path);
    for (size_t i = 0; i < u->query_count; i++) {
        skycrate__free(u->query[i].name);
        skycrate__free_secret(u->query[i].value);
    }
    skycrate__free(u->query);
    skycrate__free(u->access_key_id);
    skycrate__free(u->scope_region);
    memset(u, 0, sizeof(*u));
}

bool skycrate__doctor_url_signs(const skycrate__doctor_url *u, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = u->signed_headers; p && *p;) {
        size_t len = strcspn(p, ";");
        if (len == n && strncasecmp(p, name, n) == 0)
            return true;
        p += len + (p[len] == ';');
    }
    return false;
}

/* Path style when the host is the endpoint's, else virtual-hosted: bucket.host/key. */
int skycrate__doctor_url_target(char **bucket_out, char **key_out, const skycrate__doctor_url *u,
                                const skycrate_presigner *p)
{
    *bucket_out = *key_out = NULL;
    const char *path = u->path;
    const char *prefix = p->has_endpoint ? p->endpoint.path_prefix : "";
    if (*prefix && strncmp(path, prefix, strlen(prefix)) == 0)
        path += strlen(prefix);
    if (*path == '/')
        path++;
    const char *dot = strchr(u->host, '.');
    bool path_style =
        (p->has_endpoint && strncmp(u->host, p->endpoint.host, strlen(p->endpoint.host)) == 0) ||
        dot == NULL || strncmp(u->host, "s3.", 3) == 0 || strncmp(u->host, "s3-", 3) == 0;
    if (path_style) {
        size_t len = strcspn(path, "/");
        *bucket_out = skycrate__strndup(path, len);
        *key_out = skycrate__strdup(path[len] ? path + len + 1 : "");
    } else {
        const char *s3 = strstr(u->host, ".s3");
        size_t len = s3 ? (size_t)(s3 - u->host) : (size_t)(dot - u->host);
        *bucket_out = skycrate__strndup(u->host, len);
        *key_out = skycrate__strdup(path);
    }
    int error = 0;
    if (*bucket_out == NULL || *key_out == NULL)
        error = skycrate__error_nomem();
    else if (**bucket_out == '\0')
        error = skycrate__error_set(SKYCRATE_EINVAL, "the URL names no bucket");
    if (error < 0) {
        skycrate__free(*bucket_out);
        skycrate__free(*key_out);
        *bucket_out = *key_out = NULL;
    }
    return error;
}
