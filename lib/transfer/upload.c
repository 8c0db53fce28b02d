/*
 * Uploads (skycrate/transfer.h): one PutObject below the threshold, else a multipart upload whose
 * parts run on the client's lanes. File parts are read with pread (checksum pass, then the send
 * reads them again), so a file costs no memory per part; stream parts are read in order, one
 * call at a time, into a buffer held by the lane that sends it. Every part request is retried on
 * its own by the request layer (its body is replayable). A failure or a cancel aborts an upload
 * this call started; a resumed upload (the caller's) is left in place.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/lanes.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "presign/presign.h"
#include "s3/request.h"
#include "transfer/transfer.h"
#include "transfer/upload.h"
#include "xml/s3.h"

typedef struct part {
    uint64_t offset, length;
    char *etag;
    char checksum[48];
    char *listed_etag; /* resume: the part already on the server */
    uint64_t listed_size;
    unsigned char *buffer; /* stream parts: the bytes, while the part is sent */
    bool reused, empty;
    skycrate__kept_error error; /* a lane's failure, for the calling thread */
} part;

typedef struct upload {
    skycrate_client *client;
    const char *bucket, *key;
    const skycrate_transfer_options *o;
    skycrate__transfer_source *src;
    uint64_t part_size;
    size_t part_count; /* the most parts there can be */
    part *parts;
    char *upload_id;
    bool owned; /* started here: aborted on failure */
    pthread_mutex_t lock;
    pthread_cond_t turn;
    size_t next_read; /* streams: the part whose turn it is to read */
    bool stream_ended;
    skycrate__progress progress;
    size_t failed; /* the first failed part, or SIZE_MAX */
} upload;

/* ---- reading the source ---- */

/* Reads part `i` of a stream into its own buffer (the first part may have been read already). */
static int read_stream_part(upload *u, size_t i)
{
    part *p = &u->parts[i];
    if (p->buffer)
        return 0;
    skycrate__transfer_source *src = u->src;
    uint64_t want = u->part_size;
    if (src->size != SKYCRATE_TRANSFER_SIZE_UNKNOWN)
        want = src->size - p->offset < want ? src->size - p->offset : want;
    if (!(p->buffer = skycrate__malloc(want ? (size_t)want : 1)))
        return skycrate__error_nomem();
    size_t n = 0;
    int error = skycrate__transfer_source_fill(&n, src, p->buffer, (size_t)want);
    if (error == 0 && src->size != SKYCRATE_TRANSFER_SIZE_UNKNOWN && n < want)
        error =
            skycrate__error_set(SKYCRATE_EINVAL,
                                "the read callback ended after %llu of the %llu bytes "
                                "declared",
                                (unsigned long long)src->consumed, (unsigned long long)src->size);
    if (error == 0 && src->size != SKYCRATE_TRANSFER_SIZE_UNKNOWN && p->offset + n == src->size)
        error = skycrate__transfer_source_check_end(src);
    if (error == 0 && src->size == SKYCRATE_TRANSFER_SIZE_UNKNOWN && i + 1 == u->part_count &&
        n == want && skycrate__transfer_source_check_end(src) < 0)
        error = skycrate__error_set(SKYCRATE_EINVAL,
                                    "the stream is longer than 10000 parts of %llu bytes (S3's "
                                    "limit): set a larger part size",
                                    (unsigned long long)u->part_size);
    p->length = n;
    if (n < want || (src->size != SKYCRATE_TRANSFER_SIZE_UNKNOWN && p->offset + n == src->size))
        u->stream_ended = true;
    return error;
}

/* Streams are read in part order, one lane at a time. */
static int take_stream_turn(upload *u, size_t i)
{
    part *p = &u->parts[i];
    int error = 0;
    pthread_mutex_lock(&u->lock);
    while (u->next_read < i)
        pthread_cond_wait(&u->turn, &u->lock);
    if (u->stream_ended && !p->buffer) {
        p->empty = true; /* past the end of a stream of unknown length */
    } else {
        p->offset = (uint64_t)i * u->part_size;
        error = read_stream_part(u, i);
        if (error < 0)
            u->stream_ended = true; /* the parts after it have nothing to read */
        else if (p->length == 0 && i > 0)
            p->empty = true;
    }
    u->next_read = i + 1;
    pthread_cond_broadcast(&u->turn);
    pthread_mutex_unlock(&u->lock);
    return error;
}

/* ---- one part ---- */

static bool etag_matches(const char *listed, const char *md5_hex)
{
    size_t n = strlen(listed);
    if (n >= 2 && listed[0] == '"' && listed[n - 1] == '"')
        return n - 2 == strlen(md5_hex) && strncasecmp(listed + 1, md5_hex, n - 2) == 0;
    return strcasecmp(listed, md5_hex) == 0;
}

static int send_part(upload *u, size_t i, const skycrate__part_sum *sum)
{
    part *p = &u->parts[i];
    char number[16];
    snprintf(number, sizeof(number), "%zu", i + 1);
    skycrate__kv query[] = {{"partNumber", number}, {"uploadId", u->upload_id}};
    skycrate__kv header = skycrate__part_sum_header(sum);
    skycrate__body_meter meter = {&u->progress, 0};
    skycrate__s3_request req = {.operation = "UploadPart",
                                .method = "PUT",
                                .bucket = u->bucket,
                                .key = u->key,
                                .query = query,
                                .query_count = 2,
                                .headers = &header,
                                .header_count = header.name ? 1 : 0,
                                .body_length = p->length,
                                .payload_hash = sum->payload_hash,
                                .on_body = skycrate__progress_on_body,
                                .on_body_user_data = &meter};
    skycrate__transfer_source_body(&req, u->src, p->offset, p->buffer);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    skycrate__response_record rec;
    skycrate__response_record_init(&rec);
    int error = skycrate__s3_send(u->client, &req, &resp, &rec);
    if (error == 0) {
        const char *etag = skycrate__http_response_header(&resp, "ETag");
        if (!etag || !*etag)
            error = skycrate__error_set(SKYCRATE_EHTTP, "UploadPart %zu: the answer has no ETag",
                                        i + 1);
        else if (!(p->etag = skycrate__strdup(etag)))
            error = skycrate__error_nomem();
    }
    if (error < 0) /* a failed part's bytes are not moved */
        skycrate__progress_add(&u->progress, -(int64_t)meter.counted);
    skycrate__response_record_dispose(&rec);
    skycrate__http_response_dispose(&resp);
    return error;
}

static int upload_part(upload *u, size_t i)
{
    part *p = &u->parts[i];
    int error = 0;
    if (u->src->read && (error = take_stream_turn(u, i)) < 0)
        return error;
    if (p->empty || (error = skycrate__progress_check(&u->progress)) < 0)
        return error;
    skycrate__part_sum sum;
    skycrate__part_sum_begin(&sum, u->o->checksum, p->listed_etag != NULL);
    if (p->buffer)
        skycrate__part_sum_update(&sum, p->buffer, (size_t)p->length);
    else if ((error = skycrate__transfer_source_sum(&sum, u->src, p->offset, p->length)) < 0)
        return error;
    if ((error = skycrate__part_sum_end(&sum)) < 0)
        return error;
    snprintf(p->checksum, sizeof(p->checksum), "%s", sum.header_value);
    if (p->listed_etag && p->listed_size == p->length &&
        etag_matches(p->listed_etag, sum.md5_hex)) {
        p->reused = true;
        p->etag = p->listed_etag;
        p->listed_etag = NULL;
        skycrate__progress_add(&u->progress, (int64_t)p->length);
        return 0;
    }
    return send_part(u, i, &sum);
}

static void run_part(size_t i, void *ctx)
{
    upload *u = ctx;
    part *p = &u->parts[i];
    int error = upload_part(u, i);
    if (error < 0)
        skycrate__error_keep(&p->error, error);
    skycrate__free(p->buffer); /* the memory bound: a buffer lives while its part is sent */
    p->buffer = NULL;
}

static bool part_done(size_t i, void *ctx)
{
    upload *u = ctx;
    part *p = &u->parts[i];
    if (p->error.code && u->failed == SIZE_MAX)
        u->failed = i;
    return p->error.code || p->empty;
}

static bool tick(void *ctx)
{
    upload *u = ctx;
    return skycrate__progress_report(&u->progress, false);
}

/* ---- the upload ---- */

static int list_existing_parts(upload *u)
{
    int error = 0;
    uint32_t marker = 0;
    for (;;) {
        char marker_text[16];
        snprintf(marker_text, sizeof(marker_text), "%u", marker);
        skycrate__kv query[2] = {{"uploadId", u->upload_id}, {"part-number-marker", marker_text}};
        skycrate__s3_request req = {.operation = "ListParts",
                                    .method = "GET",
                                    .bucket = u->bucket,
                                    .key = u->key,
                                    .query = query,
                                    .query_count = marker ? 2 : 1};
        struct skycrate_http_response resp;
        skycrate__http_response_init(&resp);
        skycrate__s3_list_parts list = {0};
        if ((error = skycrate__s3_send(u->client, &req, &resp, NULL)) == 0 &&
            (error = skycrate__s3_list_parts_parse(&list, skycrate__buf_cstr(&resp.body),
                                                   resp.body.len)) < 0)
            skycrate__error_prefix("ListParts answer");
        for (size_t k = 0; error == 0 && k < list.count; k++) {
            skycrate__s3_part *lp = &list.parts[k];
            if (lp->number > u->part_count)
                continue; /* beyond this source: never completed into the object */
            part *p = &u->parts[lp->number - 1];
            skycrate__free(p->listed_etag);
            p->listed_etag = lp->etag;
            p->listed_size = lp->size;
            lp->etag = NULL;
        }
        bool more = error == 0 && list.truncated && list.next_marker > marker;
        marker = list.next_marker;
        skycrate__s3_list_parts_dispose(&list);
        skycrate__http_response_dispose(&resp);
        if (!more)
            return error;
    }
}

/* The ETag S3 gives a multipart object: the MD5 of the parts' MD5s, a dash, the part count. */
static int multipart_etag(char **out, const char *const *etags, size_t n)
{
    skycrate__md5_ctx ctx;
    skycrate__md5_begin(&ctx);
    for (size_t i = 0; i < n; i++) {
        const char *e = etags[i] + (etags[i][0] == '"');
        uint8_t digest[SKYCRATE__MD5_LEN];
        for (size_t k = 0; k < sizeof(digest); k++) {
            unsigned int byte = 0;
            if (sscanf(e + 2 * k, "%2x", &byte) != 1)
                return skycrate__error_set(SKYCRATE_EHTTP,
                                           "part %zu has an ETag that is not an "
                                           "MD5: the object's ETag is unknown",
                                           i + 1);
            digest[k] = (uint8_t)byte;
        }
        skycrate__md5_update(&ctx, digest, sizeof(digest));
    }
    uint8_t sum[SKYCRATE__MD5_LEN];
    skycrate__md5_end(&ctx, sum);
    char hex[2 * SKYCRATE__MD5_LEN + 1];
    skycrate__hex_encode(hex, sum, sizeof(sum));
    skycrate__buf b = SKYCRATE_BUF_INIT;
    int error = skycrate__buf_printf(&b, "\"%s-%zu\"", hex, n);
    if (error == 0)
        *out = skycrate__buf_detach(&b);
    skycrate__buf_dispose(&b);
    return error;
}

/* The parts that make the object: their numbers, ETags and checksums, in order. */
static int complete(upload *u, char **etag_out, uint32_t *count_out)
{
    uint32_t *numbers = skycrate__calloc(u->part_count, sizeof(*numbers));
    const char **etags = skycrate__calloc(u->part_count, sizeof(*etags));
    const char **sums = skycrate__calloc(u->part_count, sizeof(*sums));
    int error = 0;
    size_t n = 0;
    if (!numbers || !etags || !sums) {
        error = skycrate__error_nomem();
        goto done;
    }
    for (size_t i = 0; i < u->part_count && !u->parts[i].empty; i++) {
        numbers[n] = (uint32_t)(i + 1);
        etags[n] = u->parts[i].etag;
        sums[n] = u->parts[i].checksum;
        n++;
    }
    const char *algorithm = skycrate__checksum_algorithm(u->o->checksum);
    error = skycrate__multipart_complete(etag_out, u->client, u->bucket, u->key, u->upload_id,
                                         numbers, etags, algorithm, algorithm ? sums : NULL, n);
    *count_out = (uint32_t)n;
    if (error == 0 && !**etag_out) { /* radosgw answers with an empty ETag: S3's rule gives it */
        skycrate__free(*etag_out);
        *etag_out = NULL;
        error = multipart_etag(etag_out, etags, n);
    }
done:
    skycrate__free(numbers);
    skycrate__free(etags);
    skycrate__free(sums);
    return error;
}

/* The error of the run: a cancel, else the first failed part's (message kept from its lane). */
static int run_error(upload *u)
{
    if (__atomic_load_n(&u->progress.cancel_code, __ATOMIC_ACQUIRE))
        return skycrate__progress_cancelled(&u->progress);
    if (u->failed == SIZE_MAX)
        return 0;
    skycrate__error_restore(&u->parts[u->failed].error);
    return skycrate__error_prefix("part %zu", u->failed + 1);
}

static int run_parts(upload *u, uint32_t *reused_out)
{
    u->failed = SIZE_MAX;
    size_t count = u->part_count;
    if (u->src->read && u->src->size == SKYCRATE_TRANSFER_SIZE_UNKNOWN && u->stream_ended)
        count = 1; /* the first part, read already, is the whole stream */
    skycrate__lanes_run_ticking(skycrate__transfer_lanes(u->o, u->client), count, run_part,
                                part_done, tick, u->o->progress_interval_ms, u);
    int error = run_error(u);
    *reused_out = 0;
    for (size_t i = 0; error == 0 && i < count; i++) {
        if (u->parts[i].reused)
            (*reused_out)++;
        if (!u->parts[i].empty && !u->parts[i].etag) /* never started: a stream ended */
            u->parts[i].empty = true;
    }
    if (error == 0 && u->src->file)
        error = skycrate__transfer_source_unchanged(u->src);
    return error;
}

static void abort_owned(upload *u)
{
    if (!u->owned || !u->upload_id)
        return;
    skycrate__kept_error kept;
    skycrate__error_keep(&kept, skycrate_error_last()->code);
    if (skycrate_multipart_abort(u->client, u->bucket, u->key, u->upload_id) < 0)
        skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                      "aborting upload of %s/%s failed: %s (the bucket's "
                      "lifecycle rule removes it later)",
                      u->bucket, u->key, skycrate_error_last()->message);
    skycrate__error_restore(&kept);
}

static void upload_dispose(upload *u)
{
    for (size_t i = 0; u->parts && i < u->part_count; i++) {
        part *p = &u->parts[i];
        if (p->etag != p->listed_etag)
            skycrate__free(p->etag);
        skycrate__free(p->listed_etag);
        skycrate__free(p->buffer);
        skycrate__kept_error_dispose(&p->error);
    }
    skycrate__free(u->parts);
    if (u->owned)
        skycrate__free(u->upload_id);
    pthread_cond_destroy(&u->turn);
    pthread_mutex_destroy(&u->lock);
}

static int prepare_parts(upload *u)
{
    uint64_t size = u->src->size;
    if (size == SKYCRATE_TRANSFER_SIZE_UNKNOWN)
        u->part_count = SKYCRATE__MAX_PARTS;
    else
        u->part_count = size == 0 ? 1 : (size_t)((size + u->part_size - 1) / u->part_size);
    if (!(u->parts = skycrate__calloc(u->part_count, sizeof(*u->parts))))
        return skycrate__error_nomem();
    for (size_t i = 0; size != SKYCRATE_TRANSFER_SIZE_UNKNOWN && i < u->part_count; i++) {
        u->parts[i].offset = (uint64_t)i * u->part_size;
        u->parts[i].length =
            size - u->parts[i].offset < u->part_size ? size - u->parts[i].offset : u->part_size;
    }
    return 0;
}

int skycrate__upload_multipart(skycrate_transfer_result **result_out, skycrate_client *client,
                               const char *bucket, const char *key,
                               const skycrate_transfer_options *o, skycrate__transfer_source *src,
                               uint64_t part_size, unsigned char *first_part, size_t first_length)
{
    upload u = {.client = client, .bucket = bucket, .key = key, .o = o, .src = src};
    u.part_size = part_size;
    pthread_mutex_init(&u.lock, NULL);
    pthread_cond_init(&u.turn, NULL);
    skycrate__progress_init(&u.progress, o, src->size);
    char *etag = NULL;
    uint32_t count = 0, reused = 0;
    int error = prepare_parts(&u);
    if (error < 0) {
        skycrate__free(first_part);
        goto done;
    }
    if (src->read) { /* the first part was read to choose between PutObject and multipart */
        u.parts[0].buffer = first_part;
        u.parts[0].length = first_length;
        u.next_read = 1;
        u.stream_ended = first_length < part_size ||
                         (src->size != SKYCRATE_TRANSFER_SIZE_UNKNOWN && first_length == src->size);
        skycrate__progress_report(&u.progress, true);
    }
    if (o->upload_id) {
        u.upload_id = o->upload_id;
        error = list_existing_parts(&u);
    } else {
        u.owned = true;
        error = skycrate__multipart_create(&u.upload_id, client, bucket, key, o->content_type,
                                           skycrate__checksum_algorithm(o->checksum));
    }
    if (error == 0)
        error = run_parts(&u, &reused);
    if (error == 0)
        error = skycrate__progress_finish(&u.progress);
    if (error == 0)
        error = complete(&u, &etag, &count);
    if (error < 0) {
        abort_owned(&u);
        goto done;
    }
    if (result_out) {
        uint64_t size = src->read ? src->consumed : src->size;
        error = skycrate__transfer_result_new(result_out, etag, u.upload_id, size, count, reused);
    }
done:
    skycrate__free(etag);
    upload_dispose(&u);
    return error;
}
