/*
 * Object operations: PutObject (memory, file, stream), GetObject (memory, file, stream),
 * HeadObject, DeleteObject, ListObjectsV2.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/utf8.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "s3/request.h"
#include "xml/s3.h"

struct skycrate_object_info {
    uint32_t magic;
    char *key, *etag, *content_type, *version_id, *storage_class;
    uint64_t size;
    int64_t last_modified;
};

struct skycrate_object_page {
    uint32_t magic;
    skycrate_object_info *entries;
    size_t count;
    char *next_token;
};

#define MAX_KEY_LENGTH 1024

#define VALID_INFO(info) SKYCRATE_VALID_HANDLE(info, SKYCRATE_MAGIC_OBJECT_INFO)
#define VALID_PAGE(page) SKYCRATE_VALID_HANDLE(page, SKYCRATE_MAGIC_OBJECT_PAGE)

static void info_clear(skycrate_object_info *info)
{
    skycrate__free(info->key);
    skycrate__free(info->etag);
    skycrate__free(info->content_type);
    skycrate__free(info->version_id);
    skycrate__free(info->storage_class);
    memset(info, 0, sizeof(*info));
}

void skycrate_object_info_free(skycrate_object_info *info)
{
    if (SKYCRATE_VALID_HANDLE(info, SKYCRATE_MAGIC_OBJECT_INFO)) {
        info_clear(info);
        skycrate__free(info);
    }
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

const char *skycrate_object_info_key(const skycrate_object_info *info)
{
    return VALID_INFO(info) ? or_empty(info->key) : "";
}

const char *skycrate_object_info_etag(const skycrate_object_info *info)
{
    return VALID_INFO(info) ? or_empty(info->etag) : "";
}

uint64_t skycrate_object_info_size(const skycrate_object_info *info)
{
    return VALID_INFO(info) ? info->size : 0;
}

int64_t skycrate_object_info_last_modified(const skycrate_object_info *info)
{
    return VALID_INFO(info) ? info->last_modified : 0;
}

const char *skycrate_object_info_content_type(const skycrate_object_info *info)
{
    return VALID_INFO(info) ? or_empty(info->content_type) : "";
}

const char *skycrate_object_info_version_id(const skycrate_object_info *info)
{
    return VALID_INFO(info) ? or_empty(info->version_id) : "";
}

const char *skycrate_object_info_storage_class(const skycrate_object_info *info)
{
    if (!VALID_INFO(info))
        return "";
    return info->storage_class && *info->storage_class ? info->storage_class : "STANDARD";
}

int skycrate__s3_check_target(skycrate_client *client, const char *bucket, const char *key)
{
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    SKYCRATE_ASSERT_ARG(bucket && *bucket);
    SKYCRATE_ASSERT_ARG(key);
    size_t n = strlen(key);
    if (n == 0 || n > MAX_KEY_LENGTH)
        return skycrate__error_set(SKYCRATE_EINVAL, "object keys are 1..%d bytes, not %zu",
                                   MAX_KEY_LENGTH, n);
    if (!skycrate__utf8_valid(key, n))
        return skycrate__error_set(SKYCRATE_EINVAL, "an object key must be valid UTF-8");
    return 0;
}

/* Copies a header (or NULL) into *slot. */
static int copy_header(char **slot, const struct skycrate_http_response *resp, const char *name)
{
    const char *v = skycrate__http_response_header(resp, name);
    if (v && !(*slot = skycrate__strdup(v)))
        return skycrate__error_nomem();
    return 0;
}

/* Metadata from the headers of a PUT, GET or HEAD answer. */
static int info_from_headers(skycrate_object_info **out, const struct skycrate_http_response *resp,
                             const char *key)
{
    skycrate_object_info *info = skycrate__calloc(1, sizeof(*info));
    if (info)
        info->magic = SKYCRATE_MAGIC_OBJECT_INFO;
    if (!info)
        return skycrate__error_nomem();
    int error = 0;
    if (!(info->key = skycrate__strdup(key)))
        error = skycrate__error_nomem();
    if (error == 0)
        error = copy_header(&info->etag, resp, "ETag");
    if (error == 0)
        error = copy_header(&info->content_type, resp, "Content-Type");
    if (error == 0)
        error = copy_header(&info->version_id, resp, "x-amz-version-id");
    if (error == 0)
        error = copy_header(&info->storage_class, resp, "x-amz-storage-class");
    const char *len = skycrate__http_response_header(resp, "Content-Length");
    if (len)
        info->size = strtoull(len, NULL, 10);
    const char *modified = skycrate__http_response_header(resp, "Last-Modified");
    if (modified && skycrate__parse_http_date(&info->last_modified, modified) < 0)
        info->last_modified = 0;
    if (error < 0) {
        skycrate_object_info_free(info);
        return error;
    }
    *out = info;
    return 0;
}

static int put_common(skycrate_object_info **info_out, skycrate_client *client,
                      skycrate__s3_request *req, const char *content_type)
{
    skycrate__kv header = {"Content-Type", content_type};
    if (content_type) {
        req->headers = &header;
        req->header_count = 1;
    }
    req->operation = "PutObject";
    req->method = "PUT";
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    int error = skycrate__s3_send(client, req, &resp, NULL);
    if (error == 0 && info_out)
        error = info_from_headers(info_out, &resp, req->key);
    skycrate__http_response_dispose(&resp);
    return error;
}

int skycrate_object_put(skycrate_object_info **info_out, skycrate_client *client,
                        const char *bucket, const char *key, const void *data, size_t length,
                        const char *content_type)
{
    if (info_out)
        *info_out = NULL;
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(data || length == 0);
    skycrate__s3_request req = {.bucket = bucket,
                                .key = key,
                                .body_kind = SKYCRATE__BODY_MEMORY,
                                .body_data = data ? data : "",
                                .body_length = length};
    return put_common(info_out, client, &req, content_type);
}

int skycrate_object_put_file(skycrate_object_info **info_out, skycrate_client *client,
                             const char *bucket, const char *key, const char *path,
                             const char *content_type)
{
    if (info_out)
        *info_out = NULL;
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return skycrate__error_set(SKYCRATE_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return skycrate__error_set(SKYCRATE_EIO, "'%s' is not a regular file", path);
    }
    /* First pass: the payload hash, so the upload is signed over its exact bytes. */
    skycrate__sha256_ctx ctx;
    skycrate__sha256_begin(&ctx);
    unsigned char chunk[65536];
    uint64_t total = 0;
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        skycrate__sha256_update(&ctx, chunk, n);
        total += n;
    }
    uint8_t digest[SKYCRATE__SHA256_LEN];
    skycrate__sha256_end(&ctx, digest);
    if (ferror(f) || total != (uint64_t)st.st_size) {
        fclose(f);
        return skycrate__error_set(
            SKYCRATE_EIO, "'%s' could not be read completely (or changed while read)", path);
    }
    char hash[65];
    skycrate__hex_encode(hash, digest, sizeof(digest));
    skycrate__s3_request req = {.bucket = bucket,
                                .key = key,
                                .body_kind = SKYCRATE__BODY_FILE,
                                .body_file = f,
                                .body_file_offset = 0,
                                .body_length = total,
                                .payload_hash = hash};
    error = put_common(info_out, client, &req, content_type);
    fclose(f);
    return error;
}

int skycrate_object_put_stream(skycrate_object_info **info_out, skycrate_client *client,
                               const char *bucket, const char *key, uint64_t length,
                               const char *content_type, skycrate_read_fn read, void *user_data)
{
    if (info_out)
        *info_out = NULL;
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(read);
    skycrate__s3_request req = {.bucket = bucket,
                                .key = key,
                                .body_kind = SKYCRATE__BODY_STREAM,
                                .body_length = length,
                                .body_read = read,
                                .body_read_user_data = user_data};
    return put_common(info_out, client, &req, content_type);
}

static int get_common(skycrate_client *client, const char *bucket, const char *key,
                      struct skycrate_http_response *resp, skycrate_write_fn sink, void *user_data)
{
    skycrate__s3_request req = {.operation = "GetObject",
                                .method = "GET",
                                .bucket = bucket,
                                .key = key,
                                .sink = sink,
                                .sink_user_data = user_data};
    return skycrate__s3_send(client, &req, resp, NULL);
}

int skycrate_object_get(void **data_out, size_t *length_out, skycrate_client *client,
                        const char *bucket, const char *key)
{
    SKYCRATE_ASSERT_ARG(data_out && length_out);
    *data_out = NULL;
    *length_out = 0;
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    if ((error = get_common(client, bucket, key, &resp, NULL, NULL)) == 0) {
        if (!resp.body.ptr && (error = skycrate__buf_grow(&resp.body, 0)) < 0)
            goto done;
        *length_out = resp.body.len;
        *data_out = skycrate__buf_detach(&resp.body);
    }
done:
    skycrate__http_response_dispose(&resp);
    return error;
}

int skycrate_object_get_stream(skycrate_client *client, const char *bucket, const char *key,
                               skycrate_write_fn write, void *user_data)
{
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(write);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    error = get_common(client, bucket, key, &resp, write, user_data);
    skycrate__http_response_dispose(&resp);
    return error;
}

static int write_file(const void *data, size_t len, void *user_data)
{
    if (len && fwrite(data, 1, len, (FILE *)user_data) != len)
        return skycrate__error_set(SKYCRATE_EIO, "writing the download failed: %s",
                                   strerror(errno));
    return 0;
}

int skycrate_object_get_file(skycrate_client *client, const char *bucket, const char *key,
                             const char *path)
{
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    SKYCRATE_ASSERT_ARG(path && *path);
    skycrate__buf tmp = SKYCRATE_BUF_INIT;
    if ((error = skycrate__buf_printf(&tmp, "%s.skycrate-XXXXXX", path)) < 0)
        return error;
    int fd = mkstemp(tmp.ptr);
    if (fd < 0) {
        error = skycrate__error_set(SKYCRATE_EIO, "cannot create a file beside '%s': %s", path,
                                    strerror(errno));
        skycrate__buf_dispose(&tmp);
        return error;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        error = skycrate__error_set(SKYCRATE_EIO, "cannot open a file beside '%s': %s", path,
                                    strerror(errno));
        goto done;
    }
    error = skycrate_object_get_stream(client, bucket, key, write_file, f);
    if (error == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        error = skycrate__error_set(SKYCRATE_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (fclose(f) != 0 && error == 0)
        error = skycrate__error_set(SKYCRATE_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (error == 0 && rename(tmp.ptr, path) != 0)
        error = skycrate__error_set(SKYCRATE_EIO, "cannot rename the download to '%s': %s", path,
                                    strerror(errno));
done:
    if (error < 0)
        unlink(tmp.ptr);
    skycrate__buf_dispose(&tmp);
    return error;
}

int skycrate_object_head(skycrate_object_info **out, skycrate_client *client, const char *bucket,
                         const char *key)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    skycrate__s3_request req = {
        .operation = "HeadObject", .method = "HEAD", .bucket = bucket, .key = key};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    if ((error = skycrate__s3_send(client, &req, &resp, NULL)) == 0)
        error = info_from_headers(out, &resp, key);
    skycrate__http_response_dispose(&resp);
    return error;
}

int skycrate_object_delete(skycrate_client *client, const char *bucket, const char *key)
{
    int error = skycrate__s3_check_target(client, bucket, key);
    if (error < 0)
        return error;
    skycrate__s3_request req = {
        .operation = "DeleteObject", .method = "DELETE", .bucket = bucket, .key = key};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    error = skycrate__s3_send(client, &req, &resp, NULL);
    skycrate__http_response_dispose(&resp);
    return error;
}

void skycrate_object_page_free(skycrate_object_page *list)
{
    if (!VALID_PAGE(list))
        return;
    for (size_t i = 0; i < list->count; i++)
        info_clear(&list->entries[i]);
    skycrate__free(list->entries);
    skycrate__free(list->next_token);
    list->magic = 0;
    skycrate__free(list);
}

size_t skycrate_object_page_count(const skycrate_object_page *list)
{
    return VALID_PAGE(list) ? list->count : 0;
}

const skycrate_object_info *skycrate_object_page_entry(const skycrate_object_page *list,
                                                       size_t index)
{
    return VALID_PAGE(list) && index < list->count ? &list->entries[index] : NULL;
}

const char *skycrate_object_page_next_token(const skycrate_object_page *list)
{
    return VALID_PAGE(list) ? list->next_token : NULL;
}

/* Moves the parsed entries into a public list (the parser's strings change owner). */
static int list_from_parsed(skycrate_object_page **out, skycrate__s3_list_v2 *parsed)
{
    skycrate_object_page *list = skycrate__calloc(1, sizeof(*list));
    if (!list || (parsed->count &&
                  !(list->entries = skycrate__calloc(parsed->count, sizeof(*list->entries))))) {
        skycrate__free(list);
        return skycrate__error_nomem();
    }
    list->magic = SKYCRATE_MAGIC_OBJECT_PAGE;
    for (size_t i = 0; i < parsed->count; i++) {
        skycrate__s3_entry *e = &parsed->entries[i];
        skycrate_object_info *info = &list->entries[i];
        info->magic = SKYCRATE_MAGIC_OBJECT_INFO; /* readable through the accessors; borrowed */
        info->key = e->key;
        info->etag = e->etag;
        info->storage_class = e->storage_class;
        info->version_id = e->version_id;
        info->size = e->size;
        info->last_modified = e->last_modified;
        e->key = e->etag = e->storage_class = e->version_id = NULL;
    }
    list->count = parsed->count;
    list->next_token = parsed->truncated ? parsed->next_continuation_token : NULL;
    if (parsed->truncated)
        parsed->next_continuation_token = NULL;
    *out = list;
    return 0;
}

int skycrate_object_list(skycrate_object_page **out, skycrate_client *client, const char *bucket,
                         const char *prefix, const char *continuation_token, unsigned int max_keys)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    SKYCRATE_ASSERT_ARG(bucket && *bucket);
    if (max_keys > 1000)
        return skycrate__error_set(SKYCRATE_EINVAL, "max_keys is at most 1000, not %u", max_keys);
    char max_text[16];
    snprintf(max_text, sizeof(max_text), "%u", max_keys ? max_keys : 1000);
    skycrate__kv query[4] = {{"list-type", "2"}, {"max-keys", max_text}};
    size_t n = 2;
    if (prefix && *prefix)
        query[n++] = (skycrate__kv){"prefix", prefix};
    if (continuation_token && *continuation_token)
        query[n++] = (skycrate__kv){"continuation-token", continuation_token};
    skycrate__s3_request req = {.operation = "ListObjectsV2",
                                .method = "GET",
                                .bucket = bucket,
                                .query = query,
                                .query_count = n};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    skycrate__s3_list_v2 parsed;
    memset(&parsed, 0, sizeof(parsed));
    int error = skycrate__s3_send(client, &req, &resp, NULL);
    if (error == 0 && (error = skycrate__s3_list_v2_parse(&parsed, skycrate__buf_cstr(&resp.body),
                                                          resp.body.len)) == 0) {
        if (parsed.truncated && !parsed.next_continuation_token)
            error = skycrate__error_set(
                SKYCRATE_EPARSE, "ListObjectsV2: a truncated page without a continuation token");
        else
            error = list_from_parsed(out, &parsed);
    } else if (error == SKYCRATE_EPARSE) {
        skycrate__error_prefix("ListObjectsV2 %s", bucket);
    }
    skycrate__s3_list_v2_dispose(&parsed);
    skycrate__http_response_dispose(&resp);
    return error;
}
