/*
 * Transfers (skycrate/transfer.h): the options and result objects, the progress meter shared by
 * uploads and downloads, and the part checksums.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_TRANSFER_TRANSFER_H
#define SKYCRATE_TRANSFER_TRANSFER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/kv.h"
#include "crypto/crypto.h"
#include "s3/client.h"
#include "skycrate/transfer.h"

#define SKYCRATE__MIB (1024u * 1024u)
#define SKYCRATE__PART_MIN (5ull * SKYCRATE__MIB)
#define SKYCRATE__PART_MAX (5ull * 1024 * SKYCRATE__MIB)
#define SKYCRATE__PART_DEFAULT (8ull * SKYCRATE__MIB)
#define SKYCRATE__MAX_PARTS 10000u

struct skycrate_transfer_options {
    uint32_t magic;
    uint64_t part_size; /* 0: automatic */
    uint64_t threshold;
    unsigned int concurrency; /* 0: the client's lanes */
    skycrate_transfer_checksum checksum;
    char *content_type;
    char *upload_id; /* NULL: start an upload */
    skycrate_progress_fn progress;
    void *progress_user_data;
    uint32_t progress_interval_ms;
};

struct skycrate_transfer_result {
    uint32_t magic;
    char *etag;
    char *upload_id;
    uint64_t size;
    uint32_t part_count, parts_reused;
};

/* The checks every transfer call starts with: clears `*result_out` (when given), checks the
 * client, bucket and key (as every object call does) and the options (NULL is fine).
 * 0 or SKYCRATE_EINVAL. */
int skycrate__transfer_check_call(skycrate_transfer_result **result_out, skycrate_client *client,
                                  const char *bucket, const char *key,
                                  const skycrate_transfer_options *options);
/* The options to use: `options`, or the defaults when it is NULL (written into `storage`). */
const skycrate_transfer_options *
skycrate__transfer_options_or_default(skycrate_transfer_options *storage,
                                      const skycrate_transfer_options *options);
/* The part size for `size` bytes (SKYCRATE_TRANSFER_SIZE_UNKNOWN: the largest object must fit):
 * the option's, or the automatic choice. SKYCRATE_EINVAL when `size` needs more than 10,000. */
int skycrate__transfer_part_size(uint64_t *out, const skycrate_transfer_options *o, uint64_t size);
/* The part size of a source read in place (a file) or the range size of a download, moved
 * `ways` at once: the option's; else as large as a quarter of `size` per way allows, from the
 * automatic part size up to 64 MiB, in whole MiB. Errors as skycrate__transfer_part_size(). */
int skycrate__transfer_spread_size(uint64_t *out, const skycrate_transfer_options *o, uint64_t size,
                                   unsigned int ways);
/* How many parts move at once: the option's, never more than the client's lanes. */
unsigned int skycrate__transfer_lanes(const skycrate_transfer_options *o,
                                      const skycrate_client *client);
/* A result for the caller; fields copied. 0 or SKYCRATE_ENOMEM. */
int skycrate__transfer_result_new(skycrate_transfer_result **out, const char *etag,
                                  const char *upload_id, uint64_t size, uint32_t parts,
                                  uint32_t reused);

/*
 * The progress meter: bytes moved (a counter the lanes add to), reported to the caller's
 * callback on the calling thread at most once per interval. A cancel (the callback said stop)
 * is seen by every lane at its next read or write, which then fails with `cancel_code`.
 */
typedef struct skycrate__progress {
    skycrate_progress_fn fn;
    void *user_data;
    uint32_t interval_ms;
    uint64_t total;
    uint64_t moved;  /* atomic */
    int cancel_code; /* atomic: 0, or the code the transfer fails with */
    int64_t last_ms; /* calling thread only */
    pthread_t caller;
} skycrate__progress;

void skycrate__progress_init(skycrate__progress *p, const skycrate_transfer_options *o,
                             uint64_t total);
/* Adds (or, after a rewind, takes back) bytes. Any thread. */
void skycrate__progress_add(skycrate__progress *p, int64_t delta);
/* The code a lane fails with once the transfer was cancelled; 0 while it goes on. Any thread.
 * It also reports (when due) when called on the calling thread. */
int skycrate__progress_check(skycrate__progress *p);
/* Reports when the interval has passed (or always, with `force`); calling thread only. Returns
 * true when the transfer was cancelled (now or before). */
bool skycrate__progress_report(skycrate__progress *p, bool force);
/* Sets the error of a cancelled transfer and returns its code. */
int skycrate__progress_cancelled(const skycrate__progress *p);
/* The last report, every byte moved, made before the transfer is committed (the multipart upload
 * completed, the download renamed into place): its answer can still cancel. */
int skycrate__progress_finish(skycrate__progress *p);

/* One request body's bytes counted into a meter (a resend takes its count back). */
typedef struct skycrate__body_meter {
    skycrate__progress *progress;
    uint64_t counted;
} skycrate__body_meter;
/* The request layer's on_body hook for a skycrate__body_meter: counts, and fails the read with
 * the cancel code once the transfer was cancelled. */
int skycrate__progress_on_body(uint64_t position, void *meter);

/* A part's checksum as the request header that carries it, computed over the bytes given. */
typedef struct skycrate__part_sum {
    skycrate_transfer_checksum kind;
    bool want_md5;         /* also the MD5 (resume: compared with the part's ETag) */
    skycrate__md5_ctx md5; /* the running sums */
    skycrate__sha256_ctx sha;
    uint32_t crc;
    char header_value[48]; /* base64 */
    char payload_hash[65]; /* hex SHA-256 when kind is SHA256, else UNSIGNED-PAYLOAD */
    char md5_hex[33];      /* when want_md5 */
} skycrate__part_sum;

void skycrate__part_sum_begin(skycrate__part_sum *s, skycrate_transfer_checksum kind,
                              bool want_md5);
/* Whether the sum needs the bytes at all (not for NONE without the MD5 a resume compares). */
bool skycrate__part_sum_reads_bytes(const skycrate__part_sum *s);
void skycrate__part_sum_update(skycrate__part_sum *s, const void *data, size_t len);
/* Finishes the sums. 0 or SKYCRATE_ENOMEM. */
int skycrate__part_sum_end(skycrate__part_sum *s);
/* The header carrying the checksum ({NULL, NULL} for NONE). */
skycrate__kv skycrate__part_sum_header(const skycrate__part_sum *s);
/* The name S3 gives the algorithm ("CRC32C", "SHA256"), or NULL when parts carry no
 * x-amz-checksum-* header (NONE, MD5). */
const char *skycrate__checksum_algorithm(skycrate_transfer_checksum kind);

#endif
