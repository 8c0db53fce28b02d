/*
 * SigV4 canonical request, string to sign and signature, for header and query signing.
 * S3 rules by default (docs/HACKING.md); the flags give the generic-service variants.
 * SPDX-License-Identifier: MIT
 */
#include "sigv4/sigv4.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/syntax.h"
#include "core/time.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
/* Headers and query parameters sorted on the stack up to this many; more go to the heap. */
#define STACK_ITEMS 32
#define MAX_EXPIRES 604800
#define MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

typedef struct {
    const char *name;
    const char *value;
    size_t index; /* input order: repeated header names keep it */
} item;

static int header_cmp(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    const unsigned char *x = (const unsigned char *)a->name, *y = (const unsigned char *)b->name;
    while (*x && lower(*x) == lower(*y)) {
        x++;
        y++;
    }
    if (lower(*x) != lower(*y))
        return lower(*x) < lower(*y) ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

static int query_cmp(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    int c = skycrate__uri_encoded_cmp(a->name, b->name);
    return c ? c : skycrate__uri_encoded_cmp(a->value, b->value);
}

static bool same_name(const char *a, const char *b)
{
    while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* Lowercase name, for canonical headers and the signed-header list. */
static int put_lower(skycrate__buf *b, const char *s)
{
    size_t n = strlen(s);
    if (skycrate__buf_grow(b, n) < 0)
        return SKYCRATE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        b->ptr[b->len + i] = (char)lower((unsigned char)s[i]);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

/* The value with leading and trailing whitespace removed and inner runs made one space. */
static int put_trimmed(skycrate__buf *b, const char *v)
{
    size_t n = strlen(v);
    if (skycrate__buf_grow(b, n) < 0)
        return SKYCRATE_ENOMEM;
    char *start = b->ptr + b->len, *p = start;
    bool gap = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (is_space(c)) {
            gap = true;
            continue;
        }
        if (gap && p != start)
            *p++ = ' ';
        gap = false;
        *p++ = (char)c;
    }
    b->len += (size_t)(p - start);
    b->ptr[b->len] = '\0';
    return 0;
}

/* Printable ASCII with no space, and none of `bad`. */
static bool printable(const char *s, const char *bad)
{
    if (s == NULL || *s == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr(bad, *p) != NULL)
            return false;
    return true;
}

static int validate(const skycrate__sigv4_input *in, bool query)
{
    SKYCRATE_ASSERT_ARG(in != NULL);
    if (!skycrate__http_token_ok(in->method))
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: invalid method");
    if (!printable(in->host, ""))
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: invalid host");
    if (in->path == NULL || (in->path[0] != '\0' && in->path[0] != '/'))
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: the path must start with '/'");
    if (in->query_count > 0 && in->query == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: query parameters missing");
    for (size_t i = 0; i < in->query_count; i++)
        if (in->query[i].name == NULL)
            return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: query parameter without a name");
    if (in->header_count > 0 && in->headers == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: headers missing");
    for (size_t i = 0; i < in->header_count; i++) {
        if (!skycrate__http_token_ok(in->headers[i].name) || in->headers[i].value == NULL)
            return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: invalid header #%zu", i);
        if (same_name(in->headers[i].name, "host"))
            return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: host is given as input.host");
    }
    if (in->payload_hash != NULL && !printable(in->payload_hash, ""))
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: invalid payload hash");
    if (!printable(in->access_key_id, "/,"))
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: invalid access key id");
    if (in->secret_access_key == NULL || in->secret_access_key[0] == '\0')
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: missing secret access key");
    if (!printable(in->region, "/,") || !printable(in->service, "/,"))
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: invalid region or service");
    if (in->time < 0 || in->time > MAX_TIME)
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: signing time out of range");
    if (query && (in->expires < 1 || in->expires > MAX_EXPIRES))
        return skycrate__error_set(SKYCRATE_EINVAL, "sigv4: expiry must be 1..%d seconds",
                                   MAX_EXPIRES);
    return 0;
}

/* botocore's remove_dot_segments: drops empty and "." segments, resolves "..", keeps a
 * trailing '/' when something is left. `path` starts with '/' or is empty. */
static int normalize_path(skycrate__buf *out, const char *path)
{
    size_t n = strlen(path), count = 0;
    if (skycrate__buf_putc(out, '/') < 0)
        return SKYCRATE_ENOMEM;
    if (n == 0)
        return 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        if (len == 0 || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            if (count > 0) {
                char *last = strrchr(out->ptr, '/');
                out->len = count == 1 ? 1 : (size_t)(last - out->ptr);
                out->ptr[out->len] = '\0';
                count--;
            }
            continue;
        }
        if ((count > 0 && skycrate__buf_putc(out, '/') < 0) || skycrate__buf_put(out, seg, len) < 0)
            return SKYCRATE_ENOMEM;
        count++;
    }
    if (path[n - 1] == '/' && count > 0)
        return skycrate__buf_putc(out, '/');
    return 0;
}

static int put_canonical_uri(skycrate__buf *cr, const skycrate__sigv4_input *in,
                             const skycrate__buf *wire)
{
    uint32_t mode = in->flags & (SKYCRATE__SIGV4_NORMALIZE_PATH | SKYCRATE__SIGV4_DOUBLE_ENCODE);
    if (mode == 0)
        return skycrate__buf_put(cr, wire->ptr, wire->len);
    int error = 0;
    skycrate__buf norm = SKYCRATE_BUF_INIT, twice = SKYCRATE_BUF_INIT;
    const skycrate__buf *from = wire;
    if (mode & SKYCRATE__SIGV4_NORMALIZE_PATH) {
        /* Normalising commutes with encoding: encoding keeps '/' and '.' and makes neither. */
        if ((error = normalize_path(&norm, skycrate__buf_cstr(wire))) < 0)
            goto done;
        from = &norm;
    }
    if (mode & SKYCRATE__SIGV4_DOUBLE_ENCODE) {
        if ((error = skycrate__uri_encode(&twice, from->ptr, from->len, true)) < 0)
            goto done;
        from = &twice;
    }
    error = skycrate__buf_put(cr, from->ptr, from->len);
done:
    skycrate__buf_dispose(&norm);
    skycrate__buf_dispose(&twice);
    return error;
}

static int put_query_param(skycrate__buf *b, const char *name, const char *value)
{
    if ((b->len > 0 && skycrate__buf_putc(b, '&') < 0) ||
        skycrate__uri_encode(b, name, strlen(name), false) < 0 || skycrate__buf_putc(b, '=') < 0 ||
        skycrate__uri_encode(b, value, strlen(value), false) < 0)
        return SKYCRATE_ENOMEM;
    return 0;
}

static int put_signed_headers(skycrate__buf *b, const item *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && same_name(h[i].name, h[i - 1].name))
            continue;
        if ((i > 0 && skycrate__buf_putc(b, ';') < 0) || put_lower(b, h[i].name) < 0)
            return SKYCRATE_ENOMEM;
    }
    return 0;
}

static int put_canonical_headers(skycrate__buf *b, const item *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool repeat = i > 0 && same_name(h[i].name, h[i - 1].name);
        if (repeat) {
            /* Replace the previous line's '\n' with the ',' that joins repeated names. */
            b->ptr[b->len - 1] = ',';
        } else if (put_lower(b, h[i].name) < 0 || skycrate__buf_putc(b, ':') < 0) {
            return SKYCRATE_ENOMEM;
        }
        if (put_trimmed(b, h[i].value) < 0 || skycrate__buf_putc(b, '\n') < 0)
            return SKYCRATE_ENOMEM;
    }
    return 0;
}

/* Appends each string up to the NULL; cheaper than a printf on the signing path. */
static int put_all(skycrate__buf *b, ...)
{
    va_list ap;
    int error = 0;
    va_start(ap, b);
    for (const char *s = va_arg(ap, const char *); s && error == 0; s = va_arg(ap, const char *))
        error = skycrate__buf_puts(b, s);
    va_end(ap);
    return error;
}

static void clear_output(skycrate__sigv4_output *out)
{
    /* These carry the session token or the signature: wiped whenever their memory goes. */
    out->canonical_request.secret = out->query_string.secret = out->authorization.secret = true;
    skycrate__buf_clear(&out->canonical_request);
    skycrate__buf_clear(&out->string_to_sign);
    skycrate__buf_clear(&out->signed_headers);
    skycrate__buf_clear(&out->encoded_path);
    skycrate__buf_clear(&out->query_string);
    skycrate__buf_clear(&out->authorization);
    out->signature[0] = '\0';
    out->amz_date[0] = '\0';
}

static void *items_alloc(item *stack_items, size_t n)
{
    return n <= STACK_ITEMS ? stack_items : skycrate__calloc(n, sizeof(item));
}

/* One signature in progress: the inputs, the sorted headers and query parameters, and where the
 * scope sits in the string to sign (the credential and the Authorization header reuse it). */
typedef struct {
    const skycrate__sigv4_input *in;
    skycrate__sigv4_output *out;
    bool query;          /* query signing (presigned URLs) */
    const char *token;   /* NULL when none */
    bool token_in_query; /* in the canonical query (not OMIT_SESSION_TOKEN) */
    item hstack[STACK_ITEMS], qstack[STACK_ITEMS];
    item *hs, *qs;
    size_t hn, qn;
    size_t scope_at, scope_len;
    char date[9];
    char expires[24];
} signing;

/* Checks the inputs and makes every output an empty string (no allocation once reused). */
static int start(signing *s, skycrate__sigv4_output *out, const skycrate__sigv4_input *in,
                 bool query)
{
    int error = 0;
    s->in = in;
    s->out = out;
    s->query = query;
    s->hs = s->qs = NULL;
    clear_output(out);
    if ((error = validate(in, query)) < 0)
        return error;
    skycrate__buf *bufs[] = {&out->canonical_request, &out->string_to_sign, &out->signed_headers,
                             &out->encoded_path,      &out->query_string,   &out->authorization};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bufs); i++)
        if ((error = skycrate__buf_grow(bufs[i], 0)) < 0)
            return error;
    s->token = in->session_token && in->session_token[0] ? in->session_token : NULL;
    s->token_in_query = query && s->token && !(in->flags & SKYCRATE__SIGV4_OMIT_SESSION_TOKEN);
    skycrate__format_amz_date(out->amz_date, in->time);
    memcpy(s->date, out->amz_date, 8);
    s->date[8] = '\0';
    return 0;
}

/* Host and the caller's headers, sorted by lowercase name (stable for repeats), and the list
 * of signed header names. */
static int sort_headers(signing *s)
{
    const skycrate__sigv4_input *in = s->in;
    s->hn = in->header_count + 1;
    if ((s->hs = items_alloc(s->hstack, s->hn)) == NULL)
        return skycrate__error_nomem();
    s->hs[0] = (item){"host", in->host, 0};
    for (size_t i = 0; i < in->header_count; i++)
        s->hs[i + 1] = (item){in->headers[i].name, in->headers[i].value, i + 1};
    qsort(s->hs, s->hn, sizeof(item), header_cmp);
    return put_signed_headers(&s->out->signed_headers, s->hs, s->hn);
}

/* The string to sign's first three lines: the scope inside it serves the credential too. */
static int put_scope_lines(signing *s)
{
    int error = 0;
    skycrate__buf *sts = &s->out->string_to_sign;
    if ((error = put_all(sts, ALGORITHM "\n", s->out->amz_date, "\n", NULL)) < 0)
        return error;
    s->scope_at = sts->len;
    if ((error = put_all(sts, s->date, "/", s->in->region, "/", s->in->service, "/" TERMINATOR,
                         NULL)) < 0)
        return error;
    s->scope_len = sts->len - s->scope_at;
    return skycrate__buf_putc(sts, '\n');
}

/* The path as it goes on the wire: each segment encoded once. */
static int put_path(signing *s)
{
    const char *path = s->in->path[0] ? s->in->path : "/";
    return skycrate__uri_encode(&s->out->encoded_path, path, strlen(path), true);
}

/* The caller's query parameters and, for query signing, the X-Amz-* ones, sorted and encoded.
 * During query signing the authorization buffer (unused by it) holds the credential. */
static int put_query(signing *s)
{
    int error = 0;
    const skycrate__sigv4_input *in = s->in;
    skycrate__sigv4_output *out = s->out;
    s->qn = in->query_count + (s->query ? 5 + (s->token_in_query ? 1 : 0) : 0);
    if (s->qn == 0)
        return 0;
    if ((s->qs = items_alloc(s->qstack, s->qn)) == NULL)
        return skycrate__error_nomem();
    for (size_t i = 0; i < in->query_count; i++)
        s->qs[i] = (item){in->query[i].name, in->query[i].value ? in->query[i].value : "", i};
    if (s->query) {
        skycrate__buf *cred = &out->authorization;
        const char *scope = out->string_to_sign.ptr + s->scope_at;
        if ((error = put_all(cred, in->access_key_id, "/", NULL)) < 0 ||
            (error = skycrate__buf_put(cred, scope, s->scope_len)) < 0)
            return error;
        snprintf(s->expires, sizeof(s->expires), "%lld", (long long)in->expires);
        item *q = s->qs + in->query_count;
        *q++ = (item){"X-Amz-Algorithm", ALGORITHM, 0};
        *q++ = (item){"X-Amz-Credential", cred->ptr, 0};
        *q++ = (item){"X-Amz-Date", out->amz_date, 0};
        *q++ = (item){"X-Amz-Expires", s->expires, 0};
        *q++ = (item){"X-Amz-SignedHeaders", out->signed_headers.ptr, 0};
        if (s->token_in_query)
            *q++ = (item){"X-Amz-Security-Token", s->token, 0};
    }
    qsort(s->qs, s->qn, sizeof(item), query_cmp);
    for (size_t i = 0; i < s->qn; i++)
        if ((error = put_query_param(&out->query_string, s->qs[i].name, s->qs[i].value)) < 0)
            return error;
    return 0;
}

static int put_canonical_request(signing *s)
{
    const skycrate__sigv4_input *in = s->in;
    skycrate__sigv4_output *out = s->out;
    skycrate__buf *cr = &out->canonical_request;
    const char *payload = in->payload_hash ? in->payload_hash : SKYCRATE__UNSIGNED_PAYLOAD;
    if (skycrate__buf_puts(cr, in->method) < 0 || skycrate__buf_putc(cr, '\n') < 0 ||
        put_canonical_uri(cr, in, &out->encoded_path) < 0 || skycrate__buf_putc(cr, '\n') < 0 ||
        skycrate__buf_put(cr, out->query_string.ptr, out->query_string.len) < 0 ||
        skycrate__buf_putc(cr, '\n') < 0 || put_canonical_headers(cr, s->hs, s->hn) < 0 ||
        skycrate__buf_putc(cr, '\n') < 0 ||
        skycrate__buf_put(cr, out->signed_headers.ptr, out->signed_headers.len) < 0 ||
        skycrate__buf_putc(cr, '\n') < 0 || skycrate__buf_puts(cr, payload) < 0)
        return SKYCRATE_ENOMEM;
    return 0;
}

/* The canonical request's hash ends the string to sign, which the cached key signs. */
static int put_signature(signing *s)
{
    int error = 0;
    const skycrate__sigv4_input *in = s->in;
    skycrate__sigv4_output *out = s->out;
    uint8_t digest[SKYCRATE__SHA256_LEN];
    char hex[2 * SKYCRATE__SHA256_LEN + 1];
    skycrate__sha256(digest, out->canonical_request.ptr, out->canonical_request.len);
    skycrate__hex_encode(hex, digest, sizeof(digest));
    if ((error = skycrate__buf_put(&out->string_to_sign, hex, 2 * SKYCRATE__SHA256_LEN)) < 0)
        return error;
    skycrate__sigv4_identity id = {
        in->access_key_id, in->secret_access_key, NULL, s->date, in->region, in->service};
    skycrate__sigv4_scope scratch, *scope = skycrate__sigv4_scope_get(&scratch, &id);
    skycrate__sigv4_scope_sign(digest, scope, out->string_to_sign.ptr, out->string_to_sign.len);
    skycrate__sigv4_scope_release(scope, &scratch);
    skycrate__hex_encode(out->signature, digest, sizeof(digest));
    skycrate__wipe(digest, sizeof(digest));
    return 0;
}

/* Query signing: the signature (and an omitted token) end the query. Header signing: the
 * Authorization header. */
static int put_result(signing *s)
{
    const skycrate__sigv4_input *in = s->in;
    skycrate__sigv4_output *out = s->out;
    if (s->query) {
        skycrate__buf_clear(&out->authorization);
        if ((s->token && !s->token_in_query &&
             put_query_param(&out->query_string, "X-Amz-Security-Token", s->token) < 0) ||
            put_query_param(&out->query_string, "X-Amz-Signature", out->signature) < 0)
            return SKYCRATE_ENOMEM;
        return 0;
    }
    skycrate__buf *auth = &out->authorization;
    const char *scope = out->string_to_sign.ptr + s->scope_at;
    if (put_all(auth, ALGORITHM " Credential=", in->access_key_id, "/", NULL) < 0 ||
        skycrate__buf_put(auth, scope, s->scope_len) < 0 ||
        put_all(auth, ", SignedHeaders=", out->signed_headers.ptr, ", Signature=", out->signature,
                NULL) < 0)
        return SKYCRATE_ENOMEM;
    return 0;
}

static int sign(skycrate__sigv4_output *out, const skycrate__sigv4_input *in, bool query)
{
    int error = 0;
    signing s;
    SKYCRATE_ASSERT_ARG(out != NULL);
    s.hs = s.qs = NULL;
    if ((error = start(&s, out, in, query)) < 0 || (error = sort_headers(&s)) < 0 ||
        (error = put_scope_lines(&s)) < 0 || (error = put_path(&s)) < 0 ||
        (error = put_query(&s)) < 0 || (error = put_canonical_request(&s)) < 0 ||
        (error = put_signature(&s)) < 0 || (error = put_result(&s)) < 0)
        goto done;
done:
    if (s.hs != s.hstack)
        skycrate__free(s.hs);
    if (s.qs != s.qstack)
        skycrate__free(s.qs);
    if (error < 0)
        clear_output(out);
    return error;
}

int skycrate__sigv4_sign_headers(skycrate__sigv4_output *out, const skycrate__sigv4_input *in)
{
    return sign(out, in, false);
}

int skycrate__sigv4_sign_query(skycrate__sigv4_output *out, const skycrate__sigv4_input *in)
{
    return sign(out, in, true);
}

void skycrate__sigv4_output_dispose(skycrate__sigv4_output *out)
{
    if (out == NULL)
        return;
    skycrate__buf_dispose(&out->canonical_request);
    skycrate__buf_dispose(&out->string_to_sign);
    skycrate__buf_dispose(&out->signed_headers);
    skycrate__buf_dispose(&out->encoded_path);
    skycrate__buf_dispose(&out->query_string);
    skycrate__buf_dispose(&out->authorization);
    skycrate__wipe(out->signature, sizeof(out->signature));
    out->amz_date[0] = '\0';
}
