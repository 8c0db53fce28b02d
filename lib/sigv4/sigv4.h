/*
 * AWS Signature Version 4: URI encoding, canonical request, string to sign, signature, and the
 * derived signing-key cache. Pure computation: it signs with credential strings and knows
 * nothing of providers, transports or S3 operations.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_SIGV4_H
#define SKYCRATE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/kv.h"
#include "crypto/crypto.h"

#define SKYCRATE__UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Generic AWS services (the AWS test suite) normalise the path and encode it twice. S3 does
 * neither (docs/HACKING.md): S3 callers pass 0.
 * NORMALIZE_PATH: the canonical URI drops empty and "." segments and resolves ".." (botocore's
 * remove_dot_segments); the wire path (encoded_path) is not normalised.
 * DOUBLE_ENCODE: the canonical URI is the encoding of the wire path, i.e. the raw path encoded
 * twice ("/a b" -> "/a%2520b"), as botocore's SigV4Auth does for non-S3 services.
 * OMIT_SESSION_TOKEN: query signing puts X-Amz-Security-Token into the URL after signing, not
 * into the canonical request (the AWS suite's "omit_session_token" services). Never for S3. */
#define SKYCRATE__SIGV4_NORMALIZE_PATH (1u << 0)
#define SKYCRATE__SIGV4_DOUBLE_ENCODE (1u << 1)
#define SKYCRATE__SIGV4_OMIT_SESSION_TOKEN (1u << 2)

/*
 * Appends the RFC 3986 encoding of `len` bytes of `s` to `out`: unreserved A-Z a-z 0-9 - _ . ~
 * are kept, every other byte becomes %XX (uppercase hex); '/' is kept when keep_slash.
 * Returns 0 or SKYCRATE_ENOMEM.
 */
int skycrate__uri_encode(skycrate__buf *out, const char *s, size_t len, bool keep_slash);

typedef struct skycrate__sigv4_input {
    const char *method;        /* "GET", "PUT", ... */
    const char *host;          /* the Host header value: host[:port] (port only if not default) */
    const char *path;          /* the raw, unencoded path: "/bucket/my key" */
    const skycrate__kv *query; /* raw (unencoded) query parameters, any order */
    size_t query_count;
    /* Headers to sign besides host, names in any case; for header signing the caller includes
     * x-amz-date, x-amz-content-sha256 and x-amz-security-token itself. */
    const skycrate__kv *headers;
    size_t header_count;
    const char *payload_hash; /* hex SHA-256 or UNSIGNED-PAYLOAD; NULL means UNSIGNED-PAYLOAD */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none; query signing adds X-Amz-Security-Token */
    const char *region;
    const char *service; /* "s3", "sts", ... */
    int64_t time;        /* signing time, seconds since the epoch */
    int64_t expires;     /* query signing: X-Amz-Expires in seconds */
    uint32_t flags;      /* SKYCRATE__SIGV4_* */
} skycrate__sigv4_input;

typedef struct skycrate__sigv4_output {
    skycrate__buf canonical_request;
    skycrate__buf string_to_sign;
    skycrate__buf signed_headers; /* "host;x-amz-date" */
    /* The path as it goes on the wire (each segment encoded once); with flags 0 (S3) it is also
     * the canonical URI. */
    skycrate__buf encoded_path;
    /* Header signing: the canonical query string. Query signing: the complete signed query
     * string, ready to append after '?': the canonical query, then X-Amz-Signature last. */
    skycrate__buf query_string;
    skycrate__buf authorization; /* header signing: the Authorization header value */
    char signature[65];
    char amz_date[17]; /* "20150830T123600Z" */
} skycrate__sigv4_output;

#define SKYCRATE__SIGV4_OUTPUT_INIT                                                                \
    {                                                                                              \
        SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT,                \
            SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT, "", ""                                           \
    }

/*
 * Canonicalisation (docs/HACKING.md): header names are lowercased and sorted, values trimmed with
 * inner runs of whitespace (SP, HT, CR, LF, VT, FF: folded lines too) collapsed to one space,
 * repeated names joined with ',' in the given order; query parameters are sorted by encoded
 * name then encoded value, empty or NULL values give "name=". A header named host is
 * EINVAL (in->host is the one). An empty session token means none.
 * The outputs are cleared, not freed, on entry: an output reused across calls (and fewer than
 * 32 headers and 32 query parameters) makes signing allocation-free once its buffers have grown.
 * On error the outputs are emptied; dispose them in every case.
 */
/* Header signing. Returns 0, SKYCRATE_EINVAL or SKYCRATE_ENOMEM. */
int skycrate__sigv4_sign_headers(skycrate__sigv4_output *out, const skycrate__sigv4_input *in);
/* Query signing (presigned URLs). Returns 0, SKYCRATE_EINVAL or SKYCRATE_ENOMEM. */
int skycrate__sigv4_sign_query(skycrate__sigv4_output *out, const skycrate__sigv4_input *in);
void skycrate__sigv4_output_dispose(skycrate__sigv4_output *out);

/*
 * The derived signing key HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
 * "aws4_request"), from a cache keyed by (access key id, secret, date, region, service).
 * Thread-safe. `date` is "YYYYMMDD".
 */
void skycrate__sigv4_signing_key(uint8_t out[32], const char *access_key_id,
                                 const char *secret_access_key, const char *date,
                                 const char *region, const char *service);

/*
 * The same derived key from the same cache, handed out prepared for HMAC (the SHA-256 states
 * after the ipad and opad blocks, see crypto.h): a signature then costs SHA-256 of the string to
 * sign plus one compression (skycrate__hmac_sha256_prepared, or _begin/_update/_end to stream
 * it), less than mbedtls_md_hmac_starts/update/finish. `secret_hash` is skycrate__sha256 of the
 * secret when the caller keeps it (a presigner computes it once per credentials value; it must
 * match the secret), or NULL to compute it here (one compression for secrets up to 55 bytes).
 * The common case (a hit) is lock-free and allocation-free: each thread has its own small
 * cache (8 entries, least recently used evicted), keyed by (access key id, SHA-256 of the
 * secret, date, region, service). Evicted entries, the cache of an exiting thread (a pthread
 * key destructor) and the calling thread's cache at the last skycrate_global_cleanup() are
 * wiped. Over-long identifiers (access key id >= 128 bytes, region or service >= 64, a date
 * that is not 8 characters) bypass the cache. The caller wipes `out`
 * (skycrate__hmac_sha256_key_wipe).
 */
void skycrate__sigv4_signing_key_prepared(skycrate__hmac_sha256_key *out, const char *access_key_id,
                                          const char *secret_access_key,
                                          const uint8_t secret_hash[32], const char *date,
                                          const char *region, const char *service);
/* Wipes and empties the calling thread's signing-key cache. */
void skycrate__sigv4_cache_clear(void);
/* Tests: hits and misses of the calling thread's cache, and caches wiped at thread exit
 * (process-wide). Any pointer may be NULL. */
void skycrate__sigv4_cache_stats(uint64_t *hits, uint64_t *misses, uint64_t *exit_wipes);

#endif
