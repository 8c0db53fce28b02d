/*
 * Transfer options and results (skycrate/transfer.h), and the part-size rule.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/json.h"
#include "core/syntax.h"
#include "http/http.h"
#include "s3/request.h"
#include "transfer/transfer.h"

#define DEFAULT_THRESHOLD (16ull * SKYCRATE__MIB)
#define MAX_CONCURRENCY 64

static void defaults(skycrate_transfer_options *o)
{
    memset(o, 0, sizeof(*o));
    o->magic = SKYCRATE_MAGIC_TRANSFER_OPTIONS;
    o->threshold = DEFAULT_THRESHOLD;
    o->checksum = SKYCRATE_TRANSFER_CHECKSUM_CRC32C;
    o->progress_interval_ms = 100;
}

int skycrate_transfer_options_new(skycrate_transfer_options **out)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = skycrate__malloc(sizeof(**out));
    if (!*out)
        return skycrate__error_nomem();
    defaults(*out);
    return 0;
}

void skycrate_transfer_options_free(skycrate_transfer_options *o)
{
    if (!o || o->magic != SKYCRATE_MAGIC_TRANSFER_OPTIONS)
        return;
    skycrate__free(o->content_type);
    skycrate__free(o->upload_id);
    o->magic = 0;
    skycrate__free(o);
}

int skycrate__transfer_check_call(skycrate_transfer_result **result_out, skycrate_client *client,
                                  const char *bucket, const char *key,
                                  const skycrate_transfer_options *options)
{
    if (result_out)
        *result_out = NULL;
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error == 0 && options)
        SKYCRATE_ASSERT_HANDLE(options, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    return error;
}

const skycrate_transfer_options *
skycrate__transfer_options_or_default(skycrate_transfer_options *storage,
                                      const skycrate_transfer_options *options)
{
    if (options)
        return options;
    defaults(storage);
    return storage;
}

int skycrate_transfer_options_set_part_size(skycrate_transfer_options *o, uint64_t part_size)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    if (part_size && (part_size < SKYCRATE__PART_MIN || part_size > SKYCRATE__PART_MAX))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "part size %llu is outside S3's limits (5 MiB .. 5 GiB)",
                                   (unsigned long long)part_size);
    o->part_size = part_size;
    return 0;
}

int skycrate_transfer_options_set_multipart_threshold(skycrate_transfer_options *o,
                                                      uint64_t threshold)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    if (threshold < 1 || threshold > SKYCRATE__PART_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "multipart threshold %llu is outside 1 byte .. 5 GiB (the "
                                   "largest PutObject)",
                                   (unsigned long long)threshold);
    o->threshold = threshold;
    return 0;
}

int skycrate_transfer_options_set_concurrency(skycrate_transfer_options *o, unsigned int parts)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    if (parts > MAX_CONCURRENCY)
        return skycrate__error_set(SKYCRATE_EINVAL, "concurrency is at most %d, not %u",
                                   MAX_CONCURRENCY, parts);
    o->concurrency = parts;
    return 0;
}

int skycrate_transfer_options_set_checksum(skycrate_transfer_options *o,
                                           skycrate_transfer_checksum checksum)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    if ((int)checksum < SKYCRATE_TRANSFER_CHECKSUM_NONE ||
        checksum > SKYCRATE_TRANSFER_CHECKSUM_SHA256)
        return skycrate__error_set(SKYCRATE_EINVAL, "unknown checksum %d", (int)checksum);
    o->checksum = checksum;
    return 0;
}

static int set_copy(char **slot, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = skycrate__strdup(value)))
        return skycrate__error_nomem();
    skycrate__free(*slot);
    *slot = copy;
    return 0;
}

int skycrate_transfer_options_set_content_type(skycrate_transfer_options *o,
                                               const char *content_type)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    if (content_type && !skycrate__http_value_ok(content_type)) /* the request layer's rule */
        return skycrate__error_set(SKYCRATE_EINVAL, "the content type must be printable ASCII");
    return set_copy(&o->content_type, content_type);
}

int skycrate_transfer_options_set_upload_id(skycrate_transfer_options *o, const char *upload_id)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    if (upload_id && !*upload_id)
        return skycrate__error_set(SKYCRATE_EINVAL, "an empty upload id");
    return set_copy(&o->upload_id, upload_id);
}

int skycrate_transfer_options_set_progress(skycrate_transfer_options *o,
                                           skycrate_progress_fn progress, void *user_data)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    o->progress = progress;
    o->progress_user_data = user_data;
    return 0;
}

int skycrate_transfer_options_set_progress_interval(skycrate_transfer_options *o,
                                                    uint32_t interval_ms)
{
    SKYCRATE_ASSERT_HANDLE(o, SKYCRATE_MAGIC_TRANSFER_OPTIONS);
    if (interval_ms < 1 || interval_ms > 60000)
        return skycrate__error_set(SKYCRATE_EINVAL, "progress interval %u ms is outside 1 .. 60000",
                                   interval_ms);
    o->progress_interval_ms = interval_ms;
    return 0;
}

int skycrate__transfer_part_size(uint64_t *out, const skycrate_transfer_options *o, uint64_t size)
{
    /* A stream of unknown size gets the default (its parts are held in memory: the bound is
     * part size x lanes); it fails past 10,000 parts, which a larger part size avoids. */
    uint64_t need = size == SKYCRATE_TRANSFER_SIZE_UNKNOWN ? 0 : size;
    uint64_t fit = (need + SKYCRATE__MAX_PARTS - 1) / SKYCRATE__MAX_PARTS;
    if (o->part_size) {
        if (size != SKYCRATE_TRANSFER_SIZE_UNKNOWN && o->part_size < fit)
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "parts of %llu bytes are too small for %llu bytes: S3 "
                                       "takes at most 10000 parts (at least %llu bytes each)",
                                       (unsigned long long)o->part_size, (unsigned long long)size,
                                       (unsigned long long)fit);
        *out = o->part_size;
        return 0;
    }
    uint64_t part = SKYCRATE__PART_DEFAULT;
    if (fit > part) /* round up to whole MiB */
        part = (fit + SKYCRATE__MIB - 1) / SKYCRATE__MIB * SKYCRATE__MIB;
    *out = part;
    return 0;
}

/* The largest automatic part of a file and range of a download. */
#define SPREAD_MAX (64ull * SKYCRATE__MIB)

int skycrate__transfer_spread_size(uint64_t *out, const skycrate_transfer_options *o, uint64_t size,
                                   unsigned int ways)
{
    /* A part of a file or a range of a download is streamed, so its size costs no memory,
     * while each request waits for the server's first byte and its answer: fewer, larger
     * requests keep every lane busy for less overhead (1 GiB to radosgw on loopback: 8 MiB
     * parts moved at 0.97 x curl's rate, 64 MiB parts at 1.09 x). */
    int error = skycrate__transfer_part_size(out, o, size);
    if (error < 0 || o->part_size)
        return error;
    uint64_t spread = size / ((uint64_t)(ways ? ways : 1) * 4);
    if (spread > SPREAD_MAX)
        spread = SPREAD_MAX;
    spread = (spread + SKYCRATE__MIB - 1) / SKYCRATE__MIB * SKYCRATE__MIB;
    if (spread > *out)
        *out = spread;
    return 0;
}

unsigned int skycrate__transfer_lanes(const skycrate_transfer_options *o,
                                      const skycrate_client *client)
{
    unsigned int lanes = skycrate__http_transport_lanes(client->transport);
    if (o->concurrency && o->concurrency < lanes)
        lanes = o->concurrency;
    return lanes;
}

/* ---- results ---- */

#define VALID_RESULT(r) SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_TRANSFER_RESULT)

int skycrate__transfer_result_new(skycrate_transfer_result **out, const char *etag,
                                  const char *upload_id, uint64_t size, uint32_t parts,
                                  uint32_t reused)
{
    skycrate_transfer_result *r = skycrate__calloc(1, sizeof(*r));
    if (r)
        r->magic = SKYCRATE_MAGIC_TRANSFER_RESULT;
    if (!r || !(r->etag = skycrate__strdup(etag ? etag : "")) ||
        !(r->upload_id = skycrate__strdup(upload_id ? upload_id : ""))) {
        skycrate_transfer_result_free(r);
        return skycrate__error_nomem();
    }
    r->size = size;
    r->part_count = parts;
    r->parts_reused = reused;
    *out = r;
    return 0;
}

const char *skycrate_transfer_result_etag(const skycrate_transfer_result *r)
{
    return VALID_RESULT(r) && r->etag ? r->etag : "";
}

uint64_t skycrate_transfer_result_size(const skycrate_transfer_result *r)
{
    return VALID_RESULT(r) ? r->size : 0;
}

uint32_t skycrate_transfer_result_part_count(const skycrate_transfer_result *r)
{
    return VALID_RESULT(r) ? r->part_count : 0;
}

uint32_t skycrate_transfer_result_parts_reused(const skycrate_transfer_result *r)
{
    return VALID_RESULT(r) ? r->parts_reused : 0;
}

const char *skycrate_transfer_result_upload_id(const skycrate_transfer_result *r)
{
    return VALID_RESULT(r) && r->upload_id ? r->upload_id : "";
}

int skycrate_transfer_result_to_json(char **out, const skycrate_transfer_result *r, uint32_t flags)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_TRANSFER_RESULT);
    SKYCRATE_ASSERT_ARG((flags & ~SKYCRATE_JSON_PRETTY) == 0);
    json_t *value =
        json_pack("{s:s, s:I, s:i, s:i, s:s}", "etag", skycrate_transfer_result_etag(r), "size",
                  (json_int_t)r->size, "parts", (int)r->part_count, "partsReused",
                  (int)r->parts_reused, "uploadId", skycrate_transfer_result_upload_id(r));
    if (!value)
        return skycrate__error_nomem();
    int error = skycrate__json_render(out, value, flags);
    json_decref(value);
    return error;
}

void skycrate_transfer_result_free(skycrate_transfer_result *r)
{
    if (!VALID_RESULT(r))
        return; /* NULL, or a handle of another kind: left alone */
    skycrate__free(r->etag);
    skycrate__free(r->upload_id);
    r->magic = 0;
    skycrate__free(r);
}
