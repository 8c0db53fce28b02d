/*
 * The presign engine: SigV4 query signing specialised for S3 presigned URLs, allocation-free.
 *
 * A request object arrives prepared (its key encoded, its headers canonicalised, its query
 * parameters encoded and sorted into the segments between the X-Amz-* parameters), so signing
 * is: write the URL into the caller's buffer, stream the canonical request (which repeats the
 * URL's path and query) into SHA-256, and MAC the string to sign. Per thread, a small cache
 * keyed by (access key id, secret, region, date) keeps the prepared signing key (from the sigv4
 * signing-key cache), the encoded credential, and the HMAC inner state after the string to
 * sign's first 64 bytes, which depend only on the signing second: a presign in the same second
 * as the previous one skips that compression.
 * SPDX-License-Identifier: MIT
 */
#include <stdatomic.h>
#include <string.h>

#include "core/common.h"
#include "core/thread_exit.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "presign/presign.h"
#include "sigv4/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SCOPE_TAIL "/s3/aws4_request"
#define ENTRIES 4
#define AKID_MAX 128
#define SECRET_MAX 128
#define REGION_MAX 64
#define AMZ_DATE_LEN 16
/* "AKID%2FYYYYMMDD%2Fregion%2Fs3%2Faws4_request", every byte of akid and region encoded */
#define CRED_ENC_MAX (3 * AKID_MAX + 3 + 8 + 3 + 3 * REGION_MAX + 3 + 2 + 3 + 12)
/* "YYYYMMDD/region/s3/aws4_request" */
#define SCOPE_MAX (8 + 1 + REGION_MAX + sizeof(SCOPE_TAIL))
/* "AWS4-HMAC-SHA256\n" "YYYYMMDDTHHMMSSZ\n" scope "\n" hex */
#define STS_MAX (17 + 17 + SCOPE_MAX + 1 + 64)
#define BLOCK 64

static const char hex_upper[] = "0123456789ABCDEF";

/* 1 for the RFC 3986 unreserved bytes A-Z a-z 0-9 - _ . ~ */
static const unsigned char unreserved[256] = {
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

static size_t enc_len(const char *s, size_t n)
{
    size_t out = n;
    for (size_t i = 0; i < n; i++)
        out += unreserved[(unsigned char)s[i]] ? 0 : 2;
    return out;
}

/* Writes the encoding of s[0..n) at p; returns the end. The caller sized the room. */
static char *enc_put(char *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved[c]) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex_upper[c >> 4];
            *p++ = hex_upper[c & 0x0f];
        }
    }
    return p;
}

static char *put(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* ---- the per-thread cache ----------------------------------------------------------------- */

typedef struct {
    uint64_t last_use; /* 0: empty */
    /* identity */
    char date[8];
    uint8_t akid_len, region_len, secret_len;
    char akid[AKID_MAX];
    char region[REGION_MAX];
    char secret[SECRET_MAX];
    /* derived */
    skycrate__hmac_sha256_key key;
    char cred_enc[CRED_ENC_MAX];
    size_t cred_enc_len;
    char scope[SCOPE_MAX];
    size_t scope_len;
    /* the inner HMAC state after the string to sign's first block, for one signing second */
    bool has_block;
    char block_amz_date[AMZ_DATE_LEN];
    skycrate__sha256_ctx block;
} ctx_entry;

typedef struct {
    ctx_entry entries[ENTRIES];
    uint64_t tick, hits, misses, block_hits;
    bool registered;
} thread_cache;

static _Thread_local thread_cache cache;

static atomic_ullong exit_wipes;

static void wipe_entries(void)
{
    skycrate__wipe(cache.entries, sizeof(cache.entries));
    cache.tick = 0;
}

/* Runs in the exiting thread, whose thread-local storage is still there. */
static void on_thread_exit(void *value)
{
    (void)value;
    wipe_entries();
    atomic_fetch_add(&exit_wipes, 1);
}

static skycrate__thread_exit exit_hook = SKYCRATE__THREAD_EXIT_INIT(on_thread_exit);

static void register_thread(void)
{
    if (cache.registered)
        return;
    skycrate__thread_exit_register(&exit_hook, &cache);
    cache.registered = true;
}

void skycrate__presign_cache_clear(void)
{
    wipe_entries();
}

void skycrate__presign_cache_stats(uint64_t *hits, uint64_t *misses, uint64_t *block_hits,
                                   uint64_t *exit_wipes_out)
{
    if (exit_wipes_out)
        *exit_wipes_out = atomic_load(&exit_wipes);
    if (hits)
        *hits = cache.hits;
    if (misses)
        *misses = cache.misses;
    if (block_hits)
        *block_hits = cache.block_hits;
}

/* Fills the derived parts of an entry whose identity is set. */
static void derive(ctx_entry *e, const char *secret, const uint8_t *secret_hash)
{
    char akid[AKID_MAX], region[REGION_MAX], date[9];
    memcpy(akid, e->akid, e->akid_len);
    akid[e->akid_len] = '\0';
    memcpy(region, e->region, e->region_len);
    region[e->region_len] = '\0';
    memcpy(date, e->date, 8);
    date[8] = '\0';
    skycrate__sigv4_signing_key_prepared(&e->key, akid, secret, secret_hash, date, region, "s3");

    char *p = enc_put(e->cred_enc, akid, e->akid_len);
    p = PUT_LIT(p, "%2F");
    p = put(p, date, 8);
    p = PUT_LIT(p, "%2F");
    p = enc_put(p, region, e->region_len);
    p = PUT_LIT(p, "%2Fs3%2Faws4_request");
    e->cred_enc_len = (size_t)(p - e->cred_enc);

    p = put(e->scope, date, 8);
    *p++ = '/';
    p = put(p, region, e->region_len);
    p = PUT_LIT(p, SCOPE_TAIL);
    e->scope_len = (size_t)(p - e->scope);
    e->has_block = false;
}

/*
 * The entry for these credentials, region and date: a hit costs a few memcmp calls. Inputs
 * too long for an entry use `scratch` (filled, not cached) and never touch the cache.
 */
static ctx_entry *lookup(ctx_entry *scratch, const skycrate__presign_creds *c, const char *region,
                         const char *date)
{
    size_t al = strlen(c->access_key_id), sl = strlen(c->secret_access_key);
    size_t rl = strlen(region);
    if (al >= AKID_MAX || sl >= SECRET_MAX || rl >= REGION_MAX) {
        /* Only the region (checked by the caller) bounds the scope; the key id is encoded into
         * cred_enc, which is sized for AKID_MAX: longer ids are rejected by the caller. */
        ctx_entry *e = scratch;
        memset(e, 0, sizeof(*e));
        memcpy(e->date, date, 8);
        e->akid_len = (uint8_t)al;
        e->region_len = (uint8_t)rl;
        memcpy(e->akid, c->access_key_id, al);
        memcpy(e->region, region, rl);
        derive(e, c->secret_access_key, NULL);
        return e;
    }
    register_thread();
    ctx_entry *victim = &cache.entries[0];
    for (size_t i = 0; i < ENTRIES; i++) {
        ctx_entry *e = &cache.entries[i];
        if (e->last_use == 0) {
            if (victim->last_use != 0)
                victim = e;
            continue;
        }
        if (memcmp(e->date, date, 8) == 0 && e->akid_len == al && e->secret_len == sl &&
            e->region_len == rl && memcmp(e->akid, c->access_key_id, al) == 0 &&
            memcmp(e->region, region, rl) == 0 &&
            memcmp(e->secret, c->secret_access_key, sl) == 0) {
            e->last_use = ++cache.tick;
            cache.hits++;
            return e;
        }
        if (victim->last_use != 0 && e->last_use < victim->last_use)
            victim = e;
    }
    cache.misses++;
    ctx_entry *e = victim;
    skycrate__wipe(e, sizeof(*e));
    memcpy(e->date, date, 8);
    e->akid_len = (uint8_t)al;
    e->secret_len = (uint8_t)sl;
    e->region_len = (uint8_t)rl;
    memcpy(e->akid, c->access_key_id, al);
    memcpy(e->secret, c->secret_access_key, sl);
    memcpy(e->region, region, rl);
    uint8_t secret_hash[SKYCRATE__SHA256_LEN];
    skycrate__sha256(secret_hash, c->secret_access_key, sl);
    derive(e, c->secret_access_key, secret_hash);
    skycrate__wipe(secret_hash, sizeof(secret_hash));
    e->last_use = ++cache.tick;
    return e;
}

/* ---- the canonical request, streamed into SHA-256 through a small write-combining buffer -- */

typedef struct {
    skycrate__sha256_ctx sha;
    size_t n;
    char buf[512];
    skycrate__buf *copy; /* explain: the canonical request's text */
    int error;
} cr_sink;

static void cr_flush(cr_sink *s)
{
    skycrate__sha256_update(&s->sha, s->buf, s->n);
    s->n = 0;
}

static void cr_put(cr_sink *s, const void *p, size_t n)
{
    if (s->copy && s->error == 0 && skycrate__buf_put(s->copy, p, n) < 0)
        s->error = SKYCRATE_ENOMEM;
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
    return put(p, req->seg[i].ptr, req->seg[i].len);
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
    return enc_len(akid, akid_len) + 3 + 8 + 3 + enc_len(region, region_len) +
           sizeof("%2Fs3%2Faws4_request") - 1;
}

/* The URL's length (without the NUL), before anything is written or computed. */
static size_t url_length(const skycrate_presign_request *req,
                         const skycrate__presign_target *target, size_t cred_len, size_t exp_len,
                         const char *token, size_t token_len)
{
    size_t query_len =
        sizeof("&X-Amz-Algorithm=" ALGORITHM) - 1 + sizeof("&X-Amz-Credential=") - 1 + cred_len +
        sizeof("&X-Amz-Date=") - 1 + AMZ_DATE_LEN + sizeof("&X-Amz-Expires=") - 1 + exp_len +
        (token_len ? sizeof("&X-Amz-Security-Token=") - 1 + enc_len(token, token_len) : 0) +
        sizeof("&X-Amz-SignedHeaders=") - 1 + req->signed_headers_enc.len - 1;
    for (int i = 0; i < SKYCRATE__PRESIGN_SEGMENTS; i++)
        query_len += seg_len(req, i);
    size_t path_len = target->path_len + 1 + req->key_enc.len;
    return target->base_len + path_len + 1 + query_len + sizeof("&X-Amz-Signature=") - 1 +
           2 * SKYCRATE__SHA256_LEN;
}

size_t skycrate__presign_url_length(const skycrate_presign_request *req,
                                    const skycrate__presign_target *target,
                                    const skycrate__presign_creds *creds, const char *region,
                                    int64_t expires)
{
    char exp[24];
    const char *token = creds->session_token;
    return url_length(
        req, target,
        cred_enc_len(creds->access_key_id, strlen(creds->access_key_id), region, strlen(region)),
        put_expires(exp, expires), token, token ? strlen(token) : 0);
}

int skycrate__presign_sign(char *url, size_t cap, size_t *len_out,
                           const skycrate_presign_request *req,
                           const skycrate__presign_target *target,
                           const skycrate__presign_creds *creds, const char *region, int64_t time,
                           int64_t expires, skycrate__presign_explain *explain)
{
    int error = 0;
    ctx_entry scratch_entry, *e = NULL;
    bool scratch = false;
    skycrate__sha256_ctx mac;
    cr_sink cr;
    char amz_date[17], date[9], exp[24], sts[STS_MAX];
    uint8_t digest[SKYCRATE__SHA256_LEN];

    if (len_out)
        *len_out = 0;
    if (time < 0 || time > SKYCRATE__PRESIGN_MAX_TIME)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: signing time out of range");
    if (expires < 1 || expires > SKYCRATE__PRESIGN_MAX_EXPIRES)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: expiry must be 1..%d seconds",
                                   SKYCRATE__PRESIGN_MAX_EXPIRES);
    size_t akid_len = strlen(creds->access_key_id), region_len = strlen(region);
    if (akid_len == 0 || akid_len >= AKID_MAX || creds->secret_access_key[0] == '\0')
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: unusable credentials");
    if (region_len == 0 || region_len >= REGION_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: invalid region");
    const char *token = creds->session_token;
    size_t token_len = token ? strlen(token) : 0;

    skycrate__format_amz_date(amz_date, time);
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    size_t exp_len = put_expires(exp, expires);
    size_t cred_len = cred_enc_len(creds->access_key_id, akid_len, region, region_len);
    size_t path_len = target->path_len + 1 + req->key_enc.len;
    size_t total = url_length(req, target, cred_len, exp_len, token, token_len);
    if (len_out)
        *len_out = total;
    if (url == NULL || cap <= total)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "presign: the URL needs %zu bytes, the buffer has %zu",
                                   total + 1, url ? cap : 0);

    /* The URL up to its signature. The query is written with a leading '&' that the '?'
     * then overwrites. */
    char *p = put(url, target->base, target->base_len);
    char *path = p;
    p = put(p, target->path, target->path_len);
    *p++ = '/';
    p = put(p, req->key_enc.ptr, req->key_enc.len);
    char *query = p;
    p = put_seg(p, req, 0);
    p = PUT_LIT(p, "&X-Amz-Algorithm=" ALGORITHM);
    p = put_seg(p, req, 1);
    p = PUT_LIT(p, "&X-Amz-Credential=");
    char *cred_at = p;
    p += cred_len; /* filled from the cache entry below */
    p = put_seg(p, req, 2);
    p = PUT_LIT(p, "&X-Amz-Date=");
    p = put(p, amz_date, AMZ_DATE_LEN);
    p = put_seg(p, req, 3);
    p = PUT_LIT(p, "&X-Amz-Expires=");
    p = put(p, exp, exp_len);
    p = put_seg(p, req, 4);
    if (token_len) {
        p = PUT_LIT(p, "&X-Amz-Security-Token=");
        p = enc_put(p, token, token_len);
    }
    p = put_seg(p, req, 5);
    p = PUT_LIT(p, "&X-Amz-SignedHeaders=");
    p = put(p, req->signed_headers_enc.ptr, req->signed_headers_enc.len);
    p = put_seg(p, req, 6);
    *query = '?';
    size_t query_text_len = (size_t)(p - query) - 1;

    /* Credentials, key and scope: the thread's cache entry. */
    scratch = strlen(creds->secret_access_key) >= SECRET_MAX;
    e = lookup(&scratch_entry, creds, region, date);
    memcpy(cred_at, e->cred_enc, e->cred_enc_len);

    /* The canonical request. */
    skycrate__sha256_begin(&cr.sha);
    cr.n = 0;
    cr.copy = explain ? explain->canonical_request : NULL;
    cr.error = 0;
    if (cr.copy)
        skycrate__buf_clear(cr.copy);
    cr_put(&cr, req->method, strlen(req->method));
    CR_LIT(&cr, "\n");
    cr_put(&cr, path, path_len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, query + 1, query_text_len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, req->hdr_before.ptr, req->hdr_before.len);
    CR_LIT(&cr, "host:");
    cr_put(&cr, target->host, target->host_len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, req->hdr_after.ptr, req->hdr_after.len);
    CR_LIT(&cr, "\n");
    cr_put(&cr, req->signed_headers.ptr, req->signed_headers.len);
    CR_LIT(&cr, "\n" SKYCRATE__UNSIGNED_PAYLOAD);
    cr_flush(&cr);
    skycrate__sha256_end(&cr.sha, digest);
    if ((error = cr.error) < 0) {
        skycrate__error_nomem();
        goto done;
    }

    /* The string to sign. */
    char *s = PUT_LIT(sts, ALGORITHM "\n");
    s = put(s, amz_date, AMZ_DATE_LEN);
    *s++ = '\n';
    s = put(s, e->scope, e->scope_len);
    *s++ = '\n';
    skycrate__hex_encode(s, digest, sizeof(digest));
    s += 2 * SKYCRATE__SHA256_LEN;
    size_t sts_len = (size_t)(s - sts);
    if (explain && explain->string_to_sign) {
        skycrate__buf_clear(explain->string_to_sign);
        if ((error = skycrate__buf_put(explain->string_to_sign, sts, sts_len)) < 0)
            goto done;
    }

    /* HMAC with the prepared key, from the state after the first block when the scope makes
     * that block independent of the canonical request (a region of 4 characters or more). */
    size_t from = 0;
    if (!scratch && 17 + AMZ_DATE_LEN + 1 + e->scope_len + 1 >= BLOCK) {
        if (e->has_block && memcmp(e->block_amz_date, amz_date, AMZ_DATE_LEN) == 0) {
            cache.block_hits++;
        } else {
            /* The opaque state is plain data (an mbedTLS context): copied by assignment, as
             * skycrate__hmac_sha256_begin clones it. */
            e->block = e->key.inner;
            skycrate__sha256_update(&e->block, sts, BLOCK);
            memcpy(e->block_amz_date, amz_date, AMZ_DATE_LEN);
            e->has_block = true;
        }
        mac = e->block;
        from = BLOCK;
    } else {
        skycrate__hmac_sha256_begin(&mac, &e->key);
    }
    skycrate__sha256_update(&mac, sts + from, sts_len - from);
    skycrate__hmac_sha256_end(&mac, &e->key, digest);

    p = PUT_LIT(p, "&X-Amz-Signature=");
    skycrate__hex_encode(p, digest, sizeof(digest));

done:
    skycrate__wipe(digest, sizeof(digest));
    if (scratch && e)
        skycrate__wipe(e, sizeof(*e));
    if (error < 0)
        url[0] = '\0';
    return error;
}
