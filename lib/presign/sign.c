/*
 * The presign engine: SigV4 query signing specialised for S3 presigned URLs, allocation-free.
 *
 * A request object arrives prepared (its key encoded, its headers canonicalised, its query
 * parameters encoded and sorted into the segments between the X-Amz-* parameters), so signing
 * is: write the URL into the caller's buffer, stream the canonical request (which repeats the
 * URL's path and query) into SHA-256, and MAC the string to sign. The derived key, the scope,
 * the encoded credential and the HMAC state after the string to sign's first block come from
 * the calling thread's signing-key cache (lib/sigv4/signing_key.c), keyed by the SHA-256 of
 * the secret.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "presign/presign.h"
#include "sigv4/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define AMZ_DATE_LEN 16
/* "AWS4-HMAC-SHA256\n" "YYYYMMDDTHHMMSSZ\n" scope "\n" hex */
#define STS_MAX (17 + 17 + SKYCRATE__SIGV4_SCOPE_MAX + 1 + 64)

static char *put(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* ---- the canonical request, streamed into SHA-256 through a small write-combining buffer -- */

typedef struct {
    skycrate__sha256_ctx sha;
    size_t n;
    char buf[512];
    char *copy; /* explain: where the canonical request's text goes, or NULL */
} cr_sink;

static void cr_flush(cr_sink *s)
{
    skycrate__sha256_update(&s->sha, s->buf, s->n);
    s->n = 0;
}

static void cr_put(cr_sink *s, const void *p, size_t n)
{
    if (n == 0) /* an empty part may have no memory at all */
        return;
    if (s->copy) {
        memcpy(s->copy, p, n);
        s->copy += n;
    }
    if (s->n + n > sizeof(s->buf)) {
        cr_flush(s);
        if (n > sizeof(s->buf)) {
            skycrate__sha256_update(&s->sha, p, n);
            return;
        }
    }
    memcpy(s->buf + s->n, p, n);
    s->n += n;
}

#define CR_LIT(s, lit) cr_put((s), (lit), sizeof(lit) - 1)

static size_t seg_len(const skycrate_presign_request *req, int i)
{
    return req->seg[i].len;
}

static char *put_seg(char *p, const skycrate_presign_request *req, int i)
{
    return req->seg[i].len ? put(p, req->seg[i].ptr, req->seg[i].len) : p;
}

static size_t put_expires(char out[24], int64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* The encoded credential's length: the key id's, the region's, and the fixed parts. */
static size_t cred_enc_len(const char *akid, size_t akid_len, const char *region, size_t region_len)
{
    return skycrate__uri_encoded_len(akid, akid_len, false) + 3 + 8 + 3 +
           skycrate__uri_encoded_len(region, region_len, false) + sizeof("%2Fs3%2Faws4_request") -
           1;
}

/* The slash before the key: none for a bucket-level request (an empty key) after a path-style
 * path, which is then "/bucket" as botocore writes it; "/" alone for virtual hosting. */
static size_t key_slash(const skycrate_presign_request *req, const skycrate__presign_target *target)
{
    return req->key_enc.len > 0 || target->path_len == 0 ? 1 : 0;
}

/* The URL's length (without the NUL), before anything is written or computed. */
static size_t url_length(const skycrate_presign_request *req,
                         const skycrate__presign_target *target, size_t cred_len, size_t exp_len,
                         const char *token, size_t token_len)
{
    size_t query_len = sizeof("&X-Amz-Algorithm=" ALGORITHM) - 1 + sizeof("&X-Amz-Credential=") -
                       1 + cred_len + sizeof("&X-Amz-Date=") - 1 + AMZ_DATE_LEN +
                       sizeof("&X-Amz-Expires=") - 1 + exp_len +
                       (token_len ? sizeof("&X-Amz-Security-Token=") - 1 +
                                        skycrate__uri_encoded_len(token, token_len, false)
                                  : 0) +
                       sizeof("&X-Amz-SignedHeaders=") - 1 + req->signed_headers_enc.len - 1;
    for (int i = 0; i < SKYCRATE__PRESIGN_SEGMENTS; i++)
        query_len += seg_len(req, i);
    size_t path_len = target->path_len + key_slash(req, target) + req->key_enc.len;
    return target->base_len + path_len + 1 + query_len + sizeof("&X-Amz-Signature=") - 1 +
           2 * SKYCRATE__SHA256_LEN;
}

/* "AWS4-HMAC-SHA256\n" amz_date "\n" "YYYYMMDD/" region "/s3/aws4_request" "\n" hex */
static size_t sts_length(size_t region_len)
{
    return 17 + AMZ_DATE_LEN + 1 + 9 + region_len + 16 + 1 + 2 * SKYCRATE__SHA256_LEN;
}

/* The canonical request repeats the URL's path and query (all but the signature). */
static size_t cr_length(const skycrate_presign_request *req, const skycrate__presign_target *target,
                        size_t url_len)
{
    size_t path_len = target->path_len + key_slash(req, target) + req->key_enc.len;
    size_t query_len = url_len - target->base_len - path_len - 1 -
                       (sizeof("&X-Amz-Signature=") - 1 + 2 * SKYCRATE__SHA256_LEN);
    return strlen(req->method) + 1 + path_len + 1 + query_len + 1 + req->hdr_before.len +
           sizeof("host:") - 1 + target->host_len + 1 + req->hdr_after.len + 1 +
           req->signed_headers.len + 1 + sizeof(SKYCRATE__UNSIGNED_PAYLOAD) - 1;
}

void skycrate__presign_measure(skycrate__presign_lengths *out, const skycrate_presign_request *req,
                               const skycrate__presign_target *target,
                               const skycrate__presign_creds *creds, const char *region,
                               int64_t expires)
{
    char exp[24];
    const char *token = creds->session_token;
    size_t region_len = strlen(region);
    out->url = url_length(
        req, target,
        cred_enc_len(creds->access_key_id, strlen(creds->access_key_id), region, region_len),
        put_expires(exp, expires), token, token ? strlen(token) : 0);
    out->canonical_request = cr_length(req, target, out->url);
    out->string_to_sign = sts_length(region_len);
}

/* One presigned URL in progress. */
typedef struct {
    const skycrate_presign_request *req;
    const skycrate__presign_target *target;
    const skycrate__presign_creds *creds;
    const char *region;
    char amz_date[AMZ_DATE_LEN + 1], date[9], exp[24];
    size_t exp_len, cred_len, token_len;
    /* In the caller's buffer: the path, the query (after '?') and where the signature goes. */
    char *path, *query, *signature_at;
    size_t path_len, query_len;
    skycrate__sigv4_scope *scope;
} presigning;

/* The inputs the request object cannot have checked. */
static int check(const skycrate__presign_creds *creds, const char *region, int64_t time,
                 int64_t expires)
{
    if (time < 0 || time > SKYCRATE__PRESIGN_MAX_TIME)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: signing time out of range");
    if (expires < 1 || expires > SKYCRATE__PRESIGN_MAX_EXPIRES)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: expiry must be 1..%d seconds",
                                   SKYCRATE__PRESIGN_MAX_EXPIRES);
    size_t akid_len = strlen(creds->access_key_id), region_len = strlen(region);
    if (akid_len == 0 || akid_len >= SKYCRATE__SIGV4_AKID_MAX ||
        creds->secret_access_key[0] == '\0')
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: unusable credentials");
    if (region_len == 0 || region_len >= SKYCRATE__SIGV4_NAME_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: invalid region");
    return 0;
}

/* The dates and lengths; the URL's length, checked against the caller's buffer. */
static int measure(presigning *ps, size_t cap, size_t *len_out, int64_t time, int64_t expires)
{
    const skycrate__presign_creds *creds = ps->creds;
    skycrate__format_amz_date(ps->amz_date, time);
    memcpy(ps->date, ps->amz_date, 8);
    ps->date[8] = '\0';
    ps->exp_len = put_expires(ps->exp, expires);
    ps->token_len = creds->session_token ? strlen(creds->session_token) : 0;
    ps->cred_len = cred_enc_len(creds->access_key_id, strlen(creds->access_key_id), ps->region,
                                strlen(ps->region));
    size_t total = url_length(ps->req, ps->target, ps->cred_len, ps->exp_len, creds->session_token,
                              ps->token_len);
    if (len_out)
        *len_out = total;
    if (cap <= total)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "presign: the URL needs %zu bytes, the buffer has %zu",
                                   total + 1, cap);
    return 0;
}

/* The URL up to its signature. The query is written with a leading '&' that the '?' then
 * overwrites; the credential's scope comes from the thread's signing-key cache. */
static void write_url(presigning *ps, char *url)
{
    const skycrate_presign_request *req = ps->req;
    char *p = put(url, ps->target->base, ps->target->base_len);
    ps->path = p;
    p = put(p, ps->target->path, ps->target->path_len);
    if (key_slash(req, ps->target))
        *p++ = '/';
    if (req->key_enc.len)
        p = put(p, req->key_enc.ptr, req->key_enc.len);
    ps->path_len = (size_t)(p - ps->path);
    char *query = p;
    p = put_seg(p, req, 0);
    p = PUT_LIT(p, "&X-Amz-Algorithm=" ALGORITHM);
    p = put_seg(p, req, 1);
    p = PUT_LIT(p, "&X-Amz-Credential=");
    const char *akid = ps->creds->access_key_id;
    p = skycrate__uri_encode_at(p, akid, strlen(akid), false);
    p = PUT_LIT(p, "%2F");
    p = skycrate__uri_encode_at(p, ps->scope->scope, ps->scope->scope_len, false);
    p = put_seg(p, req, 2);
    p = PUT_LIT(p, "&X-Amz-Date=");
    p = put(p, ps->amz_date, AMZ_DATE_LEN);
    p = put_seg(p, req, 3);
    p = PUT_LIT(p, "&X-Amz-Expires=");
    p = put(p, ps->exp, ps->exp_len);
    p = put_seg(p, req, 4);
    if (ps->token_len) {
        p = PUT_LIT(p, "&X-Amz-Security-Token=");
        p = skycrate__uri_encode_at(p, ps->creds->session_token, ps->token_len, false);
    }
    p = put_seg(p, req, 5);
    p = PUT_LIT(p, "&X-Amz-SignedHeaders=");
    p = put(p, req->signed_headers_enc.ptr, req->signed_headers_enc.len);
    p = put_seg(p, req, 6);
    *query = '?';
    ps->query = query + 1;
    ps->query_len = (size_t)(p - ps->query);
    ps->signature_at = p;
}

/* SHA-256 of the canonical request, which repeats the URL's path and query; a copy of its text
 * for `explain`. */
static void hash_canonical_request(presigning *ps, uint8_t digest[SKYCRATE__SHA256_LEN], char *copy)
{
    const skycrate_presign_request *req = ps->req;
    cr_sink cr;
    skycrate__sha256_begin(&cr.sha);
    cr.n = 0;
    cr.copy = copy;
    cr_put(&cr, req->method, strlen(req->method));
    CR_LIT(&cr, "\n");
    cr_put(&cr, ps->path, ps->path_len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, ps->query, ps->query_len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, req->hdr_before.ptr, req->hdr_before.len);
    CR_LIT(&cr, "host:");
    cr_put(&cr, ps->target->host, ps->target->host_len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, req->hdr_after.ptr, req->hdr_after.len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, req->signed_headers.ptr, req->signed_headers.len);
    CR_LIT(&cr, "\n" SKYCRATE__UNSIGNED_PAYLOAD);
    cr_flush(&cr);
    skycrate__sha256_end(&cr.sha, digest);
    if (copy)
        *cr.copy = '\0';
}

/* The string to sign into `sts` (STS_MAX bytes); returns its length. */
static size_t string_to_sign(const presigning *ps, char *sts,
                             const uint8_t digest[SKYCRATE__SHA256_LEN])
{
    char *s = PUT_LIT(sts, ALGORITHM "\n");
    s = put(s, ps->amz_date, AMZ_DATE_LEN);
    *s++ = '\n';
    s = put(s, ps->scope->scope, ps->scope->scope_len);
    *s++ = '\n';
    skycrate__hex_encode(s, digest, SKYCRATE__SHA256_LEN);
    return (size_t)(s - sts) + 2 * SKYCRATE__SHA256_LEN;
}

int skycrate__presign_sign(char *url, size_t cap, size_t *len_out,
                           const skycrate_presign_request *req,
                           const skycrate__presign_target *target,
                           const skycrate__presign_creds *creds, const char *region, int64_t time,
                           int64_t expires, const skycrate__presign_explain *explain)
{
    int error = 0;
    presigning ps;
    skycrate__sigv4_scope scratch;
    uint8_t digest[SKYCRATE__SHA256_LEN];
    char sts[STS_MAX];

    ps.req = req;
    ps.target = target;
    ps.creds = creds;
    ps.region = region;
    ps.scope = NULL;

    if (len_out)
        *len_out = 0;
    /* Nothing is written unless the inputs are good and the URL fits. */
    if ((error = check(creds, region, time, expires)) < 0 ||
        (error = measure(&ps, url ? cap : 0, len_out, time, expires)) < 0)
        return error;
    skycrate__sigv4_identity id = {
        creds->access_key_id, creds->secret_access_key, creds->secret_hash, ps.date, region, "s3"};
    ps.scope = skycrate__sigv4_scope_get(&scratch, &id);
    write_url(&ps, url);
    hash_canonical_request(&ps, digest, explain ? explain->canonical_request : NULL);
    size_t sts_len = string_to_sign(&ps, sts, digest);
    if (explain) {
        memcpy(explain->string_to_sign, sts, sts_len);
        explain->string_to_sign[sts_len] = '\0';
    }
    skycrate__sigv4_scope_sign(digest, ps.scope, sts, sts_len);
    skycrate__hex_encode(PUT_LIT(ps.signature_at, "&X-Amz-Signature="), digest, sizeof(digest));
    skycrate__wipe(digest, sizeof(digest));
    skycrate__sigv4_scope_release(ps.scope, &scratch);
    return 0;
}
