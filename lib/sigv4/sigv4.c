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
#include "core/time.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
/* Headers and query parameters sorted on the stack up to this many; more go to the heap. */
#define STACK_ITEMS 32
#define MAX_EXPIRES 604800
#define MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static const char hex_upper[] = "0123456789ABCDEF";

static bool is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 7230 tchar: header names and methods. */
static bool is_tchar(unsigned char c)
{
    return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* 1 for the RFC 3986 unreserved bytes A-Z a-z 0-9 - _ . ~ */
static const unsigned char unreserved_table[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

int skycrate__uri_encode(skycrate__buf *out, const char *s, size_t len, bool keep_slash)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Room for the worst case: a reused buffer then never reallocates. */
    if (len > (SIZE_MAX - 1) / 3 || skycrate__buf_grow(out, 3 * len) < 0)
        return skycrate__error_nomem();
    char *p = out->ptr + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = u[i];
        if (unreserved_table[c] || (c == '/' && keep_slash)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex_upper[c >> 4];
            *p++ = hex_upper[c & 0x0f];
        }
    }
    out->len = (size_t)(p - out->ptr);
    out->ptr[out->len] = '\0';
    return 0;
}

/* Walks the RFC 3986 encoding of a string one character at a time, without building it. */
typedef struct {
    const unsigned char *p;
    char pending[2];
    int next, count;
} enc_iter;

static int enc_next(enc_iter *it)
{
    if (it->next < it->count)
        return (unsigned char)it->pending[it->next++];
    unsigned char c = *it->p;
    if (c == '\0')
        return -1;
    it->p++;
    if (unreserved_table[c])
        return c;
    it->pending[0] = hex_upper[c >> 4];
    it->pending[1] = hex_upper[c & 0x0f];
    it->next = 0;
    it->count = 2;
    return '%';
}

/* Byte order of the encodings of a and b (the canonical query sorts encoded strings). */
static int enc_cmp(const char *a, const char *b)
{
    enc_iter x = {(const unsigned char *)a, {0, 0}, 0, 0};
    enc_iter y = {(const unsigned char *)b, {0, 0}, 0, 0};
    for (;;) {
        int ca = enc_next(&x), cb = enc_next(&y);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca < 0)
            return 0;
    }
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
    int c = enc_cmp(a->name, b->name);
    return c ? c : enc_cmp(a->value, b->value);
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

static bool is_token(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_tchar(*p))
            return false;
    return true;
}

static int validate(const skycrate__sigv4_input *in, bool query)
{
    SKYCRATE_ASSERT_ARG(in != NULL);
    if (!is_token(in->method))
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
        if (!is_token(in->headers[i].name) || in->headers[i].value == NULL)
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

static int sign(skycrate__sigv4_output *out, const skycrate__sigv4_input *in, bool query)
{
    int error = 0;
    item hstack[STACK_ITEMS], qstack[STACK_ITEMS];
    item *hs = NULL, *qs = NULL;
    skycrate__hmac_sha256_key key;
    bool have_key = false;
    uint8_t digest[SKYCRATE__SHA256_LEN];
    char hex[2 * SKYCRATE__SHA256_LEN + 1], expires[24];

    SKYCRATE_ASSERT_ARG(out != NULL);
    clear_output(out);
    if ((error = validate(in, query)) < 0)
        goto done;
    /* Every output is a string, even when empty (no allocation once an output is reused). */
    skycrate__buf *bufs[] = {&out->canonical_request, &out->string_to_sign, &out->signed_headers,
                             &out->encoded_path,      &out->query_string,   &out->authorization};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bufs); i++)
        if ((error = skycrate__buf_grow(bufs[i], 0)) < 0)
            goto done;
    const char *token = in->session_token && in->session_token[0] ? in->session_token : NULL;
    bool token_in_query = query && token && !(in->flags & SKYCRATE__SIGV4_OMIT_SESSION_TOKEN);
    const char *payload = in->payload_hash ? in->payload_hash : SKYCRATE__UNSIGNED_PAYLOAD;
    skycrate__format_amz_date(out->amz_date, in->time);

    /* Headers: host and the caller's, sorted by lowercase name, stable for repeats. */
    size_t hn = in->header_count + 1;
    if ((hs = items_alloc(hstack, hn)) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    hs[0] = (item){"host", in->host, 0};
    for (size_t i = 0; i < in->header_count; i++)
        hs[i + 1] = (item){in->headers[i].name, in->headers[i].value, i + 1};
    qsort(hs, hn, sizeof(item), header_cmp);
    if ((error = put_signed_headers(&out->signed_headers, hs, hn)) < 0)
        goto done;

    /* The string to sign's first three lines now: the scope inside it serves the credential. */
    skycrate__buf *sts = &out->string_to_sign;
    char date[9];
    memcpy(date, out->amz_date, 8);
    date[8] = '\0';
    if ((error = put_all(sts, ALGORITHM "\n", out->amz_date, "\n", NULL)) < 0)
        goto done;
    size_t scope_at = sts->len;
    if ((error = put_all(sts, date, "/", in->region, "/", in->service, "/" TERMINATOR, NULL)) < 0)
        goto done;
    size_t scope_len = sts->len - scope_at;
    if ((error = skycrate__buf_putc(sts, '\n')) < 0)
        goto done;

    const char *path = in->path[0] ? in->path : "/";
    if ((error = skycrate__uri_encode(&out->encoded_path, path, strlen(path), true)) < 0)
        goto done;

    /* Query parameters; query signing adds the X-Amz-* ones. During query signing the
     * authorization buffer (unused by it) holds the credential, and is emptied at the end. */
    size_t qn = in->query_count + (query ? 5 + (token_in_query ? 1 : 0) : 0);
    if (qn > 0 && (qs = items_alloc(qstack, qn)) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    for (size_t i = 0; i < in->query_count; i++)
        qs[i] = (item){in->query[i].name, in->query[i].value ? in->query[i].value : "", i};
    if (query) {
        skycrate__buf *cred = &out->authorization;
        if ((error = put_all(cred, in->access_key_id, "/", NULL)) < 0 ||
            (error = skycrate__buf_put(cred, sts->ptr + scope_at, scope_len)) < 0)
            goto done;
        snprintf(expires, sizeof(expires), "%lld", (long long)in->expires);
        size_t q = in->query_count;
        qs[q++] = (item){"X-Amz-Algorithm", ALGORITHM, 0};
        qs[q++] = (item){"X-Amz-Credential", cred->ptr, 0};
        qs[q++] = (item){"X-Amz-Date", out->amz_date, 0};
        qs[q++] = (item){"X-Amz-Expires", expires, 0};
        qs[q++] = (item){"X-Amz-SignedHeaders", out->signed_headers.ptr, 0};
        if (token_in_query)
            qs[q++] = (item){"X-Amz-Security-Token", token, 0};
    }
    if (qn > 0)
        qsort(qs, qn, sizeof(item), query_cmp);
    for (size_t i = 0; i < qn; i++)
        if ((error = put_query_param(&out->query_string, qs[i].name, qs[i].value)) < 0)
            goto done;

    skycrate__buf *cr = &out->canonical_request;
    if ((error = skycrate__buf_puts(cr, in->method)) < 0 ||
        (error = skycrate__buf_putc(cr, '\n')) < 0 ||
        (error = put_canonical_uri(cr, in, &out->encoded_path)) < 0 ||
        (error = skycrate__buf_putc(cr, '\n')) < 0 ||
        (error = skycrate__buf_put(cr, out->query_string.ptr, out->query_string.len)) < 0 ||
        (error = skycrate__buf_putc(cr, '\n')) < 0 ||
        (error = put_canonical_headers(cr, hs, hn)) < 0 ||
        (error = skycrate__buf_putc(cr, '\n')) < 0 ||
        (error = skycrate__buf_put(cr, out->signed_headers.ptr, out->signed_headers.len)) < 0 ||
        (error = skycrate__buf_putc(cr, '\n')) < 0 || (error = skycrate__buf_puts(cr, payload)) < 0)
        goto done;

    skycrate__sha256(digest, cr->ptr, cr->len);
    skycrate__hex_encode(hex, digest, sizeof(digest));
    if ((error = skycrate__buf_put(sts, hex, 2 * SKYCRATE__SHA256_LEN)) < 0)
        goto done;

    skycrate__sigv4_signing_key_prepared(&key, in->access_key_id, in->secret_access_key, NULL, date,
                                         in->region, in->service);
    have_key = true;
    skycrate__hmac_sha256_prepared(digest, &key, sts->ptr, sts->len);
    skycrate__hex_encode(out->signature, digest, sizeof(digest));

    if (query) {
        skycrate__buf_clear(&out->authorization);
        if ((token && !token_in_query &&
             (error = put_query_param(&out->query_string, "X-Amz-Security-Token", token)) < 0) ||
            (error = put_query_param(&out->query_string, "X-Amz-Signature", out->signature)) < 0)
            goto done;
    } else {
        skycrate__buf *auth = &out->authorization;
        if ((error = put_all(auth, ALGORITHM " Credential=", in->access_key_id, "/", NULL)) < 0 ||
            (error = skycrate__buf_put(auth, sts->ptr + scope_at, scope_len)) < 0 ||
            (error = put_all(auth, ", SignedHeaders=", out->signed_headers.ptr,
                             ", Signature=", out->signature, NULL)) < 0)
            goto done;
    }

done:
    if (hs != hstack)
        skycrate__free(hs);
    if (qs != qstack)
        skycrate__free(qs);
    if (have_key)
        skycrate__hmac_sha256_key_wipe(&key);
    skycrate__wipe(digest, sizeof(digest));
    if (error < 0 && out != NULL)
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
