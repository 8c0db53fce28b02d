/*
 * The presign layer (internal view): request objects prepared for signing, and the
 * allocation-free SigV4 query-signing engine behind every presigned URL.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PRESIGN_H
#define SKYCRATE_PRESIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"
#include "s3/endpoint.h"
#include "skycrate/client.h"
#include "skycrate/credentials.h"
#include "skycrate/presigner.h"

#define SKYCRATE__PRESIGN_MAX_EXPIRES 604800
#define SKYCRATE__PRESIGN_DEFAULT_EXPIRES 900
#define SKYCRATE__PRESIGN_MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* The X-Amz-* query parameters of a presigned URL sort among the caller's parameters at fixed
 * places: their sorted order is Algorithm, Credential, Date, Expires, Security-Token,
 * SignedHeaders. Segment i holds the caller's parameters that sort between fixed name i-1 and
 * fixed name i, each as "&name=value" (encoded); segment 6 those after SignedHeaders. */
#define SKYCRATE__PRESIGN_SEGMENTS 7

/* One signed header: lowercase name, value trimmed with inner whitespace runs made one space
 * (exactly what the client must send, and what S3 canonicalises it to). */
typedef struct skycrate__presign_header {
    char *name;
    char *value;
} skycrate__presign_header;

/* One extra query parameter, raw and encoded. */
typedef struct skycrate__presign_param {
    char *name;
    char *value;
    char *name_enc;
    char *value_enc;
    bool upload_part; /* partNumber / uploadId set by _set_upload_part */
} skycrate__presign_param;

struct skycrate_presign_request {
    uint32_t magic;
    char method[8]; /* "GET", "PUT", "HEAD", "DELETE" */
    char *bucket;
    char *key;
    int64_t expires;
    bool has_time;
    int64_t time;
    char *upload_id; /* NULL: not an UploadPart */
    uint32_t part_number;

    skycrate__presign_header *headers; /* sorted by name, names unique */
    size_t header_count;
    skycrate__presign_param *params; /* sorted by (name_enc, value_enc), names unique */
    size_t param_count;

    /* Derived by every setter, read by the signer. */
    skycrate__buf key_enc;            /* the key encoded once per segment, '/' kept */
    skycrate__buf hdr_before;         /* canonical header lines sorting before "host" */
    skycrate__buf hdr_after;          /* ... and after it */
    skycrate__buf signed_headers;     /* "content-type;host" */
    skycrate__buf signed_headers_enc; /* "content-type%3Bhost" */
    skycrate__buf seg[SKYCRATE__PRESIGN_SEGMENTS];
};

/* A presigner: what it copied from its client at creation, never changed afterwards, and the
 * client's clock offset, shared. */
struct skycrate_presigner {
    uint32_t magic;
    uint64_t id; /* unique in the process: keys the per-thread target cache */
    char *region;
    bool has_endpoint;
    skycrate__endpoint endpoint;
    skycrate_addressing addressing;
    uint32_t endpoint_flags;
    skycrate_credentials_provider *provider;
    skycrate__clock *clock; /* the client's: presigns follow its offset as it changes */
};

/* A contract: what the client must send, as accessors and JSON. */
struct skycrate_presigned {
    uint32_t magic;
    char method[8];
    char *bucket;
    char *key;
    char *url;
    skycrate__presign_header *headers; /* copies */
    size_t header_count;
    char *upload_id; /* NULL: not an UploadPart */
    uint32_t part_number;
    int64_t signed_at;
    int64_t expires_in;
    bool clamped;
    char *canonical_request;
    char *string_to_sign;
};

/* Where a presigned request goes, resolved for one bucket: all strings borrowed. */
typedef struct skycrate__presign_target {
    const char *host; /* Host header value: host[:port] */
    size_t host_len;
    const char *base; /* "scheme://host[:port]" */
    size_t base_len;
    /* The encoded path before "/{key}": "", "/prefix", "/bucket" or "/prefix/bucket". */
    const char *path;
    size_t path_len;
} skycrate__presign_target;

/* The credential strings one signature uses (borrowed; the token may be NULL or ""). */
typedef struct skycrate__presign_creds {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    const uint8_t *secret_hash; /* SHA-256 of the secret (the credentials keep it), or NULL */
} skycrate__presign_creds;

/* The lengths (without the NUL) of what skycrate__presign_sign() writes. */
typedef struct skycrate__presign_lengths {
    size_t url;
    size_t canonical_request;
    size_t string_to_sign;
} skycrate__presign_lengths;

void skycrate__presign_measure(skycrate__presign_lengths *out, const skycrate_presign_request *req,
                               const skycrate__presign_target *target,
                               const skycrate__presign_creds *creds, const char *region,
                               int64_t expires);

/* Optional outputs for diagnostics, each with room for its length from
 * skycrate__presign_measure() and a NUL. */
typedef struct skycrate__presign_explain {
    char *canonical_request;
    char *string_to_sign;
} skycrate__presign_explain;

/*
 * Signs `req` for `target` as of `time` for `expires` seconds (already clamped, 1..604800) and
 * writes the URL, NUL-terminated, into `url` (`cap` bytes). *len_out receives the URL's length
 * without the NUL, also when `cap` is too small (then SKYCRATE_EINVAL, and nothing written).
 * `region` is at most 63 bytes. This allocates nothing: the derived signing key, the
 * credential scope and the HMAC state after the string to sign's first block come from the
 * thread's signing-key cache (sigv4.h); everything else is written straight into `url` (and
 * `explain`, when not NULL). Returns 0 or SKYCRATE_EINVAL.
 */
int skycrate__presign_sign(char *url, size_t cap, size_t *len_out,
                           const skycrate_presign_request *req,
                           const skycrate__presign_target *target,
                           const skycrate__presign_creds *creds, const char *region, int64_t time,
                           int64_t expires, const skycrate__presign_explain *explain);

/* Checks of the inputs every presign shares: 0 or SKYCRATE_EINVAL with a message (the bucket:
 * skycrate__bucket_name_usable()). */
int skycrate__presign_check_key(const char *key);

/* A target that did not fit the per-thread cache: its buffers, disposed with the plan. */
typedef struct skycrate__presign_spill {
    skycrate__target t;
    skycrate__buf path;
    bool used;
} skycrate__presign_spill;

/* Everything a presign decides before signing: credentials (borrowed from the provider when
 * they never change, else one provider call), signing time, expiry clamped to the
 * credentials' expiration, and the bucket's target. */
typedef struct skycrate__presign_plan {
    skycrate_credentials *credentials; /* the reference a provider call gave, or NULL */
    skycrate__presign_creds creds;
    skycrate__presign_target target;
    skycrate__presign_spill spill;
    int64_t time;
    int64_t expires;
    bool clamped;
} skycrate__presign_plan;

/* Plans a presign for `bucket`; dispose the plan in every case. 0, SKYCRATE_EINVAL,
 * SKYCRATE_EEXPIRED, the provider's code or SKYCRATE_ENOMEM. */
int skycrate__presign_plan_make(skycrate__presign_plan *out, const skycrate_presigner *p,
                                const char *bucket, bool has_time, int64_t time, int64_t expires);
void skycrate__presign_plan_dispose(skycrate__presign_plan *plan);

/* Makes a contract for `r` in one allocation: its strings copied, and room for the URL,
 * canonical request and string to sign of `len` (c->url, ...) for the signer to fill. The
 * caller sets signed_at, expires_in and clamped. 0 or SKYCRATE_ENOMEM. */
int skycrate__presigned_alloc(skycrate_presigned **out, const skycrate_presign_request *r,
                              const skycrate__presign_lengths *len);

/* What the contract's JSON holds, from a contract or from a request as it is signed. */
typedef struct skycrate__presigned_view {
    const char *method;
    const char *bucket;
    const char *key;
    const skycrate__presign_header *headers;
    size_t header_count;
    const char *upload_id; /* NULL: not an UploadPart */
    uint32_t part_number;
    char expires_at[21]; /* ISO 8601 */
    int64_t expires_in;
    bool clamped;
} skycrate__presigned_view;

/*
 * The contract's JSON (the public _to_json's text, compact or pretty) around a URL of
 * `url_len` bytes: written into `out` when not NULL (no NUL), only measured when NULL. The URL
 * is copied from `url`, or with `url` NULL its place is left empty for the signer; *url_at (if
 * not NULL) receives its offset. Returns the length.
 */
size_t skycrate__presigned_render(char *out, const skycrate__presigned_view *v, const char *url,
                                  size_t url_len, bool pretty, size_t *url_at);

/* CreateMultipartUpload, also declaring the parts' checksum algorithm ("CRC32C", "SHA256"; sent
 * as x-amz-checksum-algorithm) when not NULL. As skycrate_multipart_create() otherwise. */
int skycrate__multipart_create(char **upload_id_out, skycrate_client *client, const char *bucket,
                               const char *key, const char *content_type,
                               const char *checksum_algorithm);
/* CompleteMultipartUpload with each part's checksum (`checksums`: NULL, or one base64 value per
 * part, written as <Checksum{checksum_algorithm}>). As skycrate_multipart_complete() otherwise. */
int skycrate__multipart_complete(char **etag_out, skycrate_client *client, const char *bucket,
                                 const char *key, const char *upload_id,
                                 const uint32_t *part_numbers, const char *const *etags,
                                 const char *checksum_algorithm, const char *const *checksums,
                                 size_t count);

#endif
