/*
 * The upload calls of skycrate/transfer.h: their sources (a file, a descriptor, a read callback),
 * the choice between one PutObject and a multipart upload, and the PutObject itself.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "core/lanes.h"
#include "crypto/crypto.h"
#include "transfer/transfer.h"
#include "transfer/upload.h"

#define CHUNK (256u * 1024)

void skycrate__transfer_source_body(skycrate__s3_request *req, const skycrate__transfer_source *src,
                                    uint64_t offset, const unsigned char *buffer)
{
    if (buffer) {
        req->body_kind = SKYCRATE__BODY_MEMORY;
        req->body_data = buffer;
    } else {
        req->body_kind = SKYCRATE__BODY_FILE;
        req->body_file = src->file;
        req->body_file_offset = (int64_t)offset;
    }
}

int skycrate__transfer_source_sum(skycrate__part_sum *sum, const skycrate__transfer_source *src,
                                  uint64_t offset, uint64_t length)
{
    if (!skycrate__part_sum_reads_bytes(sum)) /* no pass over the file for nothing */
        return 0;
    unsigned char *chunk = skycrate__malloc(CHUNK);
    if (!chunk)
        return skycrate__error_nomem();
    int error = 0;
    uint64_t at = offset, end = offset + length;
    while (at < end) {
        size_t want = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
        ssize_t n = pread(fileno(src->file), chunk, want, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error =
                skycrate__error_set(SKYCRATE_EIO, "cannot read %s: %s", src->name, strerror(errno));
            break;
        }
        if (n == 0) {
            error = skycrate__error_set(SKYCRATE_EIO,
                                        "%s shrank while it was uploaded (it ends at %llu of %llu "
                                        "bytes)",
                                        src->name, (unsigned long long)at,
                                        (unsigned long long)src->size);
            break;
        }
        skycrate__part_sum_update(sum, chunk, (size_t)n);
        at += (uint64_t)n;
    }
    skycrate__free(chunk);
    return error;
}

int skycrate__transfer_source_unchanged(const skycrate__transfer_source *src)
{
    struct stat now;
    if (fstat(fileno(src->file), &now) < 0)
        return skycrate__error_set(SKYCRATE_EIO, "cannot stat %s: %s", src->name, strerror(errno));
    if (now.st_size != src->st.st_size || now.st_mtim.tv_sec != src->st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != src->st.st_mtim.tv_nsec)
        return skycrate__error_set(SKYCRATE_EIO,
                                   "%s changed while it was uploaded (%llu bytes at the start, "
                                   "%llu now): the upload is abandoned",
                                   src->name, (unsigned long long)src->st.st_size,
                                   (unsigned long long)now.st_size);
    return 0;
}

/* A file that changed while it was sent: the object holds bytes of no single state of it. */
static int remove_torn_object(skycrate_client *client, const char *bucket, const char *key)
{
    skycrate__kept_error kept;
    skycrate__error_keep(&kept, skycrate_error_last()->code);
    skycrate__s3_request req = {
        .operation = "DeleteObject", .method = "DELETE", .bucket = bucket, .key = key};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    (void)skycrate__s3_send(client, &req, &resp, NULL);
    skycrate__http_response_dispose(&resp);
    return skycrate__error_restore(&kept);
}

/* A large PutObject's CRC-32C is summed in slices over the client's lanes and joined: the pass
 * that must end before the request can start takes half the time on two cores. MD5 and
 * SHA-256 cannot be joined, so they stay one pass, as does anything smaller than two slices. */
#define SLICE_MIN (8ull * SKYCRATE__MIB)
#define MAX_SLICES 8

typedef struct slices {
    const skycrate__transfer_source *src;
    uint64_t length, slice;
    uint32_t crc[MAX_SLICES];
    skycrate__kept_error error[MAX_SLICES]; /* a lane's failure, for the calling thread */
} slices;

static uint64_t slice_length(const slices *s, size_t i)
{
    uint64_t at = (uint64_t)i * s->slice;
    return s->length - at < s->slice ? s->length - at : s->slice;
}

static void sum_slice(size_t i, void *ctx)
{
    slices *s = ctx;
    skycrate__part_sum sum;
    skycrate__part_sum_begin(&sum, SKYCRATE_TRANSFER_CHECKSUM_CRC32C, false);
    int error =
        skycrate__transfer_source_sum(&sum, s->src, (uint64_t)i * s->slice, slice_length(s, i));
    if (error < 0)
        skycrate__error_keep(&s->error[i], error);
    s->crc[i] = sum.crc;
}

static bool slice_failed(size_t i, void *ctx)
{
    return ((slices *)ctx)->error[i].code < 0;
}

static int sum_file(skycrate__part_sum *sum, const skycrate__transfer_source *src, uint64_t length,
                    unsigned int lanes)
{
    uint64_t count = length / SLICE_MIN;
    count = count < lanes ? count : lanes;
    count = count < MAX_SLICES ? count : MAX_SLICES;
    if (sum->kind != SKYCRATE_TRANSFER_CHECKSUM_CRC32C || sum->want_md5 || count < 2)
        return skycrate__transfer_source_sum(sum, src, 0, length);
    slices s = {.src = src, .length = length, .slice = (length + count - 1) / count};
    size_t started = skycrate__lanes_run(lanes, (size_t)count, sum_slice, slice_failed, &s);
    int error = 0;
    for (size_t i = 0; i < started; i++) {
        if (error == 0 && s.error[i].code < 0)
            error = skycrate__error_restore(&s.error[i]);
        if (error == 0)
            sum->crc =
                i ? skycrate__crc32c_join(sum->crc, s.crc[i], slice_length(&s, i)) : s.crc[0];
        skycrate__kept_error_dispose(&s.error[i]);
    }
    return error;
}

/* One PutObject of `length` bytes: from `buffer`, or from the file. */
static int put_single(skycrate_transfer_result **result_out, skycrate_client *client,
                      const char *bucket, const char *key, const skycrate_transfer_options *o,
                      skycrate__transfer_source *src, const unsigned char *buffer, uint64_t length)
{
    skycrate__progress progress;
    skycrate__progress_init(&progress, o, length);
    skycrate__part_sum sum;
    skycrate__part_sum_begin(&sum, o->checksum, false);
    int error = 0;
    if (buffer)
        skycrate__part_sum_update(&sum, buffer, (size_t)length);
    else if ((error = sum_file(&sum, src, length, skycrate__transfer_lanes(o, client))) < 0)
        return error;
    if ((error = skycrate__part_sum_end(&sum)) < 0)
        return error;
    skycrate__kv headers[2];
    size_t header_count = 0;
    if (o->content_type)
        headers[header_count++] = (skycrate__kv){"Content-Type", o->content_type};
    skycrate__kv checksum = skycrate__part_sum_header(&sum);
    if (checksum.name)
        headers[header_count++] = checksum;
    skycrate__body_meter meter = {&progress, 0};
    skycrate__s3_request req = {.operation = "PutObject",
                                .method = "PUT",
                                .bucket = bucket,
                                .key = key,
                                .headers = headers,
                                .header_count = header_count,
                                .body_length = length,
                                .payload_hash = sum.payload_hash,
                                .on_body = skycrate__progress_on_body,
                                .on_body_user_data = &meter};
    skycrate__transfer_source_body(&req, src, 0, buffer);
    if (skycrate__progress_report(&progress, true)) /* a cancel before anything is sent */
        return skycrate__progress_cancelled(&progress);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    error = skycrate__s3_send(client, &req, &resp, NULL);
    if (error < 0 && __atomic_load_n(&progress.cancel_code, __ATOMIC_ACQUIRE))
        error = skycrate__progress_cancelled(&progress);
    if (error == 0 && src->file && (error = skycrate__transfer_source_unchanged(src)) < 0)
        error = remove_torn_object(client, bucket, key);
    if (error == 0)
        skycrate__progress_report(&progress, true);
    if (error == 0 && result_out)
        error = skycrate__transfer_result_new(
            result_out, skycrate__http_response_header(&resp, "ETag"), NULL, length, 0, 0);
    skycrate__http_response_dispose(&resp);
    return error;
}

int skycrate__transfer_source_fill(size_t *n, skycrate__transfer_source *src, unsigned char *buf,
                                   size_t capacity)
{
    *n = 0;
    while (*n < capacity) {
        size_t got = 0;
        int rc = src->read(&got, buf + *n, capacity - *n, src->read_user_data);
        if (rc < 0)
            return skycrate__error_after_callback(rc, "upload read");
        if (got > capacity - *n)
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "the read callback returned %zu bytes for a buffer of %zu",
                                       got, capacity - *n);
        if (got == 0)
            break;
        *n += got;
    }
    src->consumed += *n;
    return 0;
}

int skycrate__transfer_source_check_end(skycrate__transfer_source *src)
{
    unsigned char probe;
    size_t n = 0;
    int error = skycrate__transfer_source_fill(&n, src, &probe, 1);
    if (error == 0 && n)
        error = skycrate__error_set(SKYCRATE_EINVAL,
                                    "the read callback supplies more than the %llu bytes declared",
                                    (unsigned long long)src->size);
    return error;
}

/* A stream goes as one PutObject when it fits in one part below the threshold. */
static int upload_stream(skycrate_transfer_result **result_out, skycrate_client *client,
                         const char *bucket, const char *key, const skycrate_transfer_options *o,
                         skycrate__transfer_source *src, uint64_t part_size)
{
    uint64_t want = src->size < part_size ? src->size : part_size;
    unsigned char *first = skycrate__malloc(want ? (size_t)want : 1);
    if (!first)
        return skycrate__error_nomem();
    size_t n = 0;
    int error = skycrate__transfer_source_fill(&n, src, first, (size_t)want);
    bool known = src->size != SKYCRATE_TRANSFER_SIZE_UNKNOWN;
    if (error == 0 && known && n < want)
        error = skycrate__error_set(SKYCRATE_EINVAL,
                                    "the read callback ended after %zu of the %llu bytes declared",
                                    n, (unsigned long long)src->size);
    bool whole = known ? n == src->size : n < want;
    if (error == 0 && whole && known)
        error = skycrate__transfer_source_check_end(src);
    if (error == 0 && whole && !o->upload_id && n < o->threshold) {
        error = put_single(result_out, client, bucket, key, o, src, first, n);
        skycrate__free(first);
        return error;
    }
    if (error < 0) {
        skycrate__free(first);
        return error;
    }
    return skycrate__upload_multipart(result_out, client, bucket, key, o, src, part_size, first, n);
}

static int upload_source(skycrate_transfer_result **result_out, skycrate_client *client,
                         const char *bucket, const char *key,
                         const skycrate_transfer_options *options, skycrate__transfer_source *src)
{
    skycrate_transfer_options defaults;
    const skycrate_transfer_options *o = skycrate__transfer_options_or_default(&defaults, options);
    uint64_t part_size = 0;
    if (src->read) { /* parts held in memory: the default size bounds it */
        int error = skycrate__transfer_part_size(&part_size, o, src->size);
        return error < 0 ? error
                         : upload_stream(result_out, client, bucket, key, o, src, part_size);
    }
    if (src->size < o->threshold && !o->upload_id)
        return put_single(result_out, client, bucket, key, o, src, NULL, src->size);
    /* Parts read in place; spread over a fixed 4 ways, not the lanes, so that an upload
     * resumed through another client plans the same parts. */
    int error = skycrate__transfer_spread_size(&part_size, o, src->size, 4);
    if (error < 0)
        return error;
    return skycrate__upload_multipart(result_out, client, bucket, key, o, src, part_size, NULL, 0);
}

/* Reads a descriptor that cannot be read with pread (a pipe, a socket) in order. */
static int read_fd(size_t *nread_out, void *buf, size_t capacity, void *user_data)
{
    int fd = *(const int *)user_data;
    ssize_t n;
    do {
        n = read(fd, buf, capacity);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return skycrate__error_set(SKYCRATE_EIO, "cannot read descriptor %d: %s", fd,
                                   strerror(errno));
    *nread_out = (size_t)n;
    return 0;
}

/* Uploads from an open file: a regular file with pread, anything else as a stream. */
static int upload_open(skycrate_transfer_result **result_out, skycrate_client *client,
                       const char *bucket, const char *key, int fd, const char *name,
                       const skycrate_transfer_options *options)
{
    skycrate__transfer_source src = {.name = name};
    if (fstat(fd, &src.st) < 0)
        return skycrate__error_set(SKYCRATE_EIO, "cannot stat %s: %s", name, strerror(errno));
    if (!S_ISREG(src.st.st_mode)) {
        if (S_ISDIR(src.st.st_mode))
            return skycrate__error_set(SKYCRATE_EIO, "%s is a directory", name);
        src.size = SKYCRATE_TRANSFER_SIZE_UNKNOWN;
        src.read = read_fd;
        src.read_user_data = &fd;
        return upload_source(result_out, client, bucket, key, options, &src);
    }
    int copy = dup(fd); /* a FILE of our own (the request layer reads through one) */
    if (copy < 0 || !(src.file = fdopen(copy, "rb"))) {
        int e = errno;
        if (copy >= 0)
            close(copy);
        return skycrate__error_set(SKYCRATE_EIO, "cannot use %s: %s", name, strerror(e));
    }
    src.size = (uint64_t)src.st.st_size;
    int error = upload_source(result_out, client, bucket, key, options, &src);
    fclose(src.file);
    return error;
}

int skycrate_transfer_upload_file(skycrate_transfer_result **result_out, skycrate_client *client,
                                  const char *bucket, const char *key, const char *path,
                                  const skycrate_transfer_options *options)
{
    int error = skycrate__transfer_check_call(result_out, client, bucket, key, options);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(path && *path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return skycrate__error_set(SKYCRATE_EIO, "cannot open '%s': %s", path, strerror(errno));
    skycrate__buf name = SKYCRATE_BUF_INIT;
    if ((error = skycrate__buf_printf(&name, "'%s'", path)) == 0)
        error = upload_open(result_out, client, bucket, key, fd, name.ptr, options);
    skycrate__buf_dispose(&name);
    close(fd);
    return error;
}

int skycrate_transfer_upload_fd(skycrate_transfer_result **result_out, skycrate_client *client,
                                const char *bucket, const char *key, int fd,
                                const skycrate_transfer_options *options)
{
    int error = skycrate__transfer_check_call(result_out, client, bucket, key, options);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(fd >= 0);
    char name[32];
    snprintf(name, sizeof(name), "descriptor %d", fd);
    return upload_open(result_out, client, bucket, key, fd, name, options);
}

int skycrate_transfer_upload_stream(skycrate_transfer_result **result_out, skycrate_client *client,
                                    const char *bucket, const char *key,
                                    const skycrate_transfer_options *options, uint64_t length,
                                    skycrate_read_fn read, void *user_data)
{
    int error = skycrate__transfer_check_call(result_out, client, bucket, key, options);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(read);
    skycrate__transfer_source src = {
        .name = "the read callback", .size = length, .read = read, .read_user_data = user_data};
    return upload_source(result_out, client, bucket, key, options, &src);
}
