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

#define SKYCRATE__UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Generic AWS services (the AWS test suite) normalise the path and encode it twice. S3 does
 * neither (DESIGN.md §6): S3 callers pass 0. */
#define SKYCRATE__SIGV4_NORMALIZE_PATH (1u << 0)
#define SKYCRATE__SIGV4_DOUBLE_ENCODE (1u << 1)

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
    const skycrate__kv *headers; /* headers to sign besides host, names in any case; for
                                         header signing the caller includes x-amz-date,
                                         x-amz-content-sha256 and x-amz-security-token itself */
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
    skycrate__buf encoded_path;   /* the canonical URI, as it goes on the wire */
    skycrate__buf query_string;   /* header signing: the canonical query string;
                                         query signing: the complete signed query string,
                                         X-Amz-Signature last */
    skycrate__buf authorization;  /* header signing: the Authorization header value */
    char signature[65];
    char amz_date[17]; /* "20150830T123600Z" */
} skycrate__sigv4_output;

#define SKYCRATE__SIGV4_OUTPUT_INIT                                                                \
    {                                                                                              \
        SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT,                \
            SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT, "", ""                                           \
    }

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

#endif
