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
 * RFC 3986 encoding (lib/sigv4/uri.c): unreserved A-Z a-z 0-9 - _ . ~ are kept, every other
 * byte becomes %XX (uppercase hex); '/' is kept when keep_slash.
 * _encode appends the encoding of `len` bytes of `s` to `out`: 0 or SKYCRATE_ENOMEM.
 * _encoded_len is the length of that encoding; _encode_at writes it at `p` (the caller sized
 * the room) and returns the end.
 * _encoded_cmp orders two NUL-terminated strings by their encodings (slashes encoded), as the
 * canonical query sorts them, without building them.
 */
int skycrate__uri_encode(skycrate__buf *out, const char *s, size_t len, bool keep_slash);
size_t skycrate__uri_encoded_len(const char *s, size_t len, bool keep_slash);
char *skycrate__uri_encode_at(char *p, const char *s, size_t len, bool keep_slash);
int skycrate__uri_encoded_cmp(const char *a, const char *b);

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
 * The signing-key cache (lib/sigv4/signing_key.c): what one (access key id, secret, date,
 * region, service) gives every signature, derived once per thread. Each thread has its own
 * small cache (8 entries of about 850 bytes, least recently used evicted): a hit is a few
 * memcmp calls, with no lock and no allocation. Entries are keyed by the SHA-256 of the secret, never the secret
 * itself, and wiped when evicted, when their thread exits and by skycrate__sigv4_cache_clear()
 * (the last skycrate_global_cleanup() calls it for its thread).
 */
#define SKYCRATE__SIGV4_AKID_MAX 128 /* access key ids this long or longer bypass the cache */
#define SKYCRATE__SIGV4_NAME_MAX 64  /* likewise region and service names */
#define SKYCRATE__SIGV4_SCOPE_MAX                                                                  \
    (8 + 1 + SKYCRATE__SIGV4_NAME_MAX + 1 + SKYCRATE__SIGV4_NAME_MAX + sizeof("/aws4_request"))

typedef struct skycrate__sigv4_identity {
    const char *access_key_id;
    const char *secret_access_key;
    /* skycrate__sha256 of the secret when the caller keeps it (credentials values do), or NULL
     * to hash it here: one SHA-256 compression per call for secrets up to 55 bytes. */
    const uint8_t *secret_hash;
    const char *date; /* "YYYYMMDD" */
    const char *region;
    const char *service;
} skycrate__sigv4_identity;

typedef struct skycrate__sigv4_scope {
    uint8_t key[SKYCRATE__SHA256_LEN];  /* HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
                                           service), "aws4_request") */
    skycrate__hmac_sha256_key prepared; /* the same key prepared for HMAC (see crypto.h) */
    /* "YYYYMMDD/region/service/aws4_request"; empty when an input is over the limits above. */
    size_t scope_len;
    char scope[SKYCRATE__SIGV4_SCOPE_MAX];
    /* The HMAC state after a string to sign's first 64 bytes, which hold only the algorithm,
     * the signing second and the scope's start when the scope has 29 bytes or more: a
     * signature in the same second as the previous one skips that compression. */
    bool has_block;
    char block_amz_date[16];
    skycrate__sha256_ctx block;
} skycrate__sigv4_scope;

/*
 * The scope for `id`: an entry of the calling thread's cache, valid until the thread's next
 * call of this function, or `scratch`, filled, for inputs over the limits. Give it back with
 * skycrate__sigv4_scope_release(), which wipes `scratch` when it was used.
 */
skycrate__sigv4_scope *skycrate__sigv4_scope_get(skycrate__sigv4_scope *scratch,
                                                 const skycrate__sigv4_identity *id);
void skycrate__sigv4_scope_release(skycrate__sigv4_scope *scope, skycrate__sigv4_scope *scratch);
/* The signature (HMAC with the scope's key) of a string to sign made for this scope and
 * signing second ("AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex). */
void skycrate__sigv4_scope_sign(uint8_t out[SKYCRATE__SHA256_LEN], skycrate__sigv4_scope *scope,
                                const char *string_to_sign, size_t len);

/* The derived signing key alone, from the same cache. Thread-safe. `date` is "YYYYMMDD". */
void skycrate__sigv4_signing_key(uint8_t out[32], const char *access_key_id,
                                 const char *secret_access_key, const char *date,
                                 const char *region, const char *service);
/* Wipes and empties the calling thread's signing-key cache. */
void skycrate__sigv4_cache_clear(void);
/* Tests: hits and misses of the calling thread's cache, the signatures that reused a cached
 * first block, and caches wiped at thread exit (process-wide). Any pointer may be NULL. */
void skycrate__sigv4_cache_stats(uint64_t *hits, uint64_t *misses, uint64_t *block_hits,
                                 uint64_t *exit_wipes);
/* Tests: where the calling thread's cache lives, to show what it holds. */
void skycrate__sigv4_cache_memory(const void **start, size_t *size);

#endif
