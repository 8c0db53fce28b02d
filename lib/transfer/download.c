/*
 * Downloads (skycrate/transfer.h): HeadObject for the size and ETag, then ranged GETs on the
 * client's lanes, each pinned to that ETag (If-Match) and written where it belongs in a file
 * beside the target (pwrite: nothing is buffered beyond what the transport hands over). The file
 * is renamed into place only when every byte is there; on any failure it is removed.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "core/lanes.h"
#include "s3/request.h"
#include "transfer/transfer.h"

/* Whole-range attempts of one range; each request is also retried by the request layer as long
 * as no byte of it was written. */
#define RANGE_ATTEMPTS 3

typedef struct range {
    uint64_t offset, length;
    skycrate__kept_error error; /* a lane's failure, for the calling thread */
} range;

typedef struct download {
    skycrate_client *client;
    const char *bucket, *key;
    const skycrate_transfer_options *o;
    char *etag;
    uint64_t size;
    int fd;
    range *ranges;
    size_t count;
    size_t failed;
    skycrate__progress progress;
} download;

/* Where one range's bytes go: the file at their offset, and the meter. */
typedef struct range_sink {
    download *d;
    uint64_t at, written;
} range_sink;

static int write_range(const void *data, size_t len, void *user_data)
{
    range_sink *s = user_data;
    const unsigned char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = pwrite(s->d->fd, p, left, (off_t)s->at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return skycrate__error_set(SKYCRATE_EIO, "writing the download failed: %s",
                                       strerror(errno));
        p += n;
        left -= (size_t)n;
        s->at += (uint64_t)n;
    }
    s->written += len;
    skycrate__progress_add(&s->d->progress, (int64_t)len);
    return skycrate__progress_check(&s->d->progress);
}

static bool transient(int code)
{
    return code == SKYCRATE_ECONNECT || code == SKYCRATE_ETIMEOUT || code == SKYCRATE_EHTTP ||
           code == SKYCRATE_ETHROTTLED;
}

static int get_range(download *d, range *r, range_sink *sink)
{
    char bytes[64];
    snprintf(bytes, sizeof(bytes), "bytes=%" PRIu64 "-%" PRIu64, r->offset,
             r->offset + r->length - 1);
    skycrate__kv headers[] = {{"If-Match", d->etag}, {"Range", bytes}};
    bool whole = r->offset == 0 && r->length == d->size;
    skycrate__s3_request req = {.operation = "GetObject",
                                .method = "GET",
                                .bucket = d->bucket,
                                .key = d->key,
                                .headers = headers,
                                .header_count = whole ? 1 : 2,
                                .sink = write_range,
                                .sink_user_data = sink};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    skycrate__response_record rec;
    skycrate__response_record_init(&rec);
    int error = skycrate__s3_send(d->client, &req, &resp, &rec);
    if (error == 0 && sink->written != r->length)
        error = skycrate__error_set(SKYCRATE_EHTTP,
                                    "GetObject %s/%s: %" PRIu64 " bytes for a range of %" PRIu64,
                                    d->bucket, d->key, sink->written, r->length);
    if (error == SKYCRATE_ECONFLICT)
        skycrate__error_prefix("the object changed during the download");
    skycrate__response_record_dispose(&rec);
    skycrate__http_response_dispose(&resp);
    return error;
}

static void run_range(size_t i, void *ctx)
{
    download *d = ctx;
    range *r = &d->ranges[i];
    int error = 0;
    for (int attempt = 1; attempt <= RANGE_ATTEMPTS; attempt++) {
        range_sink sink = {d, r->offset, 0};
        error = get_range(d, r, &sink);
        if (error == 0)
            return;
        skycrate__progress_add(&d->progress, -(int64_t)sink.written);
        if (!transient(error) || skycrate__progress_check(&d->progress) < 0)
            break;
    }
    skycrate__error_keep(&r->error, error);
}

static bool range_done(size_t i, void *ctx)
{
    download *d = ctx;
    if (d->ranges[i].error.code && d->failed == SIZE_MAX)
        d->failed = i;
    return d->ranges[i].error.code != 0;
}

static bool tick(void *ctx)
{
    download *d = ctx;
    return skycrate__progress_report(&d->progress, false);
}

static int head(download *d)
{
    skycrate__s3_request req = {
        .operation = "HeadObject", .method = "HEAD", .bucket = d->bucket, .key = d->key};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    int error = skycrate__s3_send(d->client, &req, &resp, NULL);
    if (error == 0) {
        const char *etag = skycrate__http_response_header(&resp, "ETag");
        const char *length = skycrate__http_response_header(&resp, "Content-Length");
        char *end = NULL;
        errno = 0;
        d->size = length ? strtoull(length, &end, 10) : 0;
        if (!etag || !*etag || !length || !*length || *end || errno)
            error = skycrate__error_set(
                SKYCRATE_EHTTP, "HeadObject %s/%s: no ETag or Content-Length", d->bucket, d->key);
        else if (!(d->etag = skycrate__strdup(etag)))
            error = skycrate__error_nomem();
    }
    skycrate__http_response_dispose(&resp);
    return error;
}

static int plan_ranges(download *d)
{
    uint64_t part = 0;
    int error = skycrate__transfer_spread_size(&part, d->o, d->size,
                                               skycrate__transfer_lanes(d->o, d->client));
    if (error < 0)
        return error;
    d->count = d->size ? (size_t)((d->size + part - 1) / part) : 0;
    if (d->count && !(d->ranges = skycrate__calloc(d->count, sizeof(*d->ranges))))
        return skycrate__error_nomem();
    for (size_t i = 0; i < d->count; i++) {
        d->ranges[i].offset = (uint64_t)i * part;
        d->ranges[i].length =
            d->size - d->ranges[i].offset < part ? d->size - d->ranges[i].offset : part;
    }
    return 0;
}

static int fetch(download *d)
{
    d->failed = SIZE_MAX;
    skycrate__progress_report(&d->progress, true);
    skycrate__lanes_run_ticking(skycrate__transfer_lanes(d->o, d->client), d->count, run_range,
                                range_done, tick, d->o->progress_interval_ms, d);
    if (__atomic_load_n(&d->progress.cancel_code, __ATOMIC_ACQUIRE))
        return skycrate__progress_cancelled(&d->progress);
    if (d->failed == SIZE_MAX)
        return 0;
    return skycrate__error_restore(&d->ranges[d->failed].error);
}

/* Makes the file beside `path` that the bytes go to. */
static int open_temp(download *d, skycrate__buf *tmp, const char *path)
{
    int error = skycrate__buf_printf(tmp, "%s.skycrate-XXXXXX", path);
    if (error < 0)
        return error;
    d->fd = mkstemp(tmp->ptr);
    if (d->fd < 0)
        return skycrate__error_set(SKYCRATE_EIO, "cannot create a file beside '%s': %s", path,
                                   strerror(errno));
    return 0;
}

static int finish_file(download *d, const char *tmp, const char *path)
{
    int fd = d->fd;
    d->fd = -1;
    int error = 0;
    if (fsync(fd) != 0)
        error = skycrate__error_set(SKYCRATE_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (close(fd) != 0 && error == 0)
        error = skycrate__error_set(SKYCRATE_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (error == 0 && rename(tmp, path) != 0)
        error = skycrate__error_set(SKYCRATE_EIO, "cannot rename the download to '%s': %s", path,
                                    strerror(errno));
    return error;
}

int skycrate_transfer_download_file(skycrate_transfer_result **result_out, skycrate_client *client,
                                    const char *bucket, const char *key, const char *path,
                                    const skycrate_transfer_options *options)
{
    int error = skycrate__transfer_check_call(result_out, client, bucket, key, options);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(path && *path);
    skycrate_transfer_options defaults;
    download d = {.client = client, .bucket = bucket, .key = key, .fd = -1};
    d.o = skycrate__transfer_options_or_default(&defaults, options);
    skycrate__buf tmp = SKYCRATE_BUF_INIT;
    /* The place the file goes first: a path that cannot take it fails before any request. */
    if ((error = open_temp(&d, &tmp, path)) < 0 || (error = head(&d)) < 0 ||
        (error = plan_ranges(&d)) < 0)
        goto done;
    skycrate__progress_init(&d.progress, d.o, d.size);
    if ((error = fetch(&d)) < 0 || (error = skycrate__progress_finish(&d.progress)) < 0 ||
        (error = finish_file(&d, tmp.ptr, path)) < 0)
        goto done;
    if (result_out)
        error = skycrate__transfer_result_new(result_out, d.etag, NULL, d.size,
                                              d.count > 1 ? (uint32_t)d.count : 0, 0);
done:
    if (d.fd >= 0)
        close(d.fd);
    if (error < 0 && tmp.ptr)
        (void)unlink(tmp.ptr); /* no partial file: the target is left as it was */
    for (size_t i = 0; i < d.count; i++)
        skycrate__kept_error_dispose(&d.ranges[i].error);
    skycrate__free(d.ranges);
    skycrate__free(d.etag);
    skycrate__buf_dispose(&tmp);
    return error;
}
