/*
 * Listing pages for deprovisioning and usage.
 * SPDX-License-Identifier: MIT
 */
#include "provision/listing.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"

static int list_key(skycrate__outcome *o, skycrate_provisioner *p, const char *operation,
                    const char *bucket, const char *key, const skycrate__kv *query,
                    size_t query_count)
{
    skycrate__prov_request req = {.operation = operation,
                                  .method = "GET",
                                  .bucket = bucket,
                                  .key = key,
                                  .query = query,
                                  .query_count = query_count,
                                  .keep_body = true};
    return skycrate__prov_send(o, p, &req);
}

static int list(skycrate__outcome *o, skycrate_provisioner *p, const char *operation,
                const char *bucket, const skycrate__kv *query, size_t query_count)
{
    return list_key(o, p, operation, bucket, NULL, query, query_count);
}

/* After a listing answered: is it the expected document? (else the server does not know the
 * subresource and answered a plain listing). 1, 0, or SKYCRATE_ENOMEM. */
static int expected_root(skycrate__outcome *o, const char *root)
{
    int rc = skycrate__xml_root_is(skycrate__buf_cstr(&o->body), o->body.len, root);
    if (rc == 0)
        skycrate_error_clear();
    return rc;
}

static bool not_supported(const skycrate__outcome *o)
{
    return o->rc == SKYCRATE_ENOTIMPL || o->rec.info.http_status == 501 ||
           o->rec.info.http_status == 405;
}

/* A listing some servers lack: its subresource, document root and second marker. */
typedef struct optional_listing {
    const char *operation, *subresource, *root, *id_marker;
} optional_listing;

/* Sends an optional listing. 1: the answer is the expected document, to be parsed; 0 with
 * *unsupported when the server lacks it (501, 405, or a plain listing instead); else an error. */
static int list_optional(skycrate__outcome *o, bool *unsupported, skycrate_provisioner *p,
                         const char *bucket, const optional_listing *l, const char *key_marker,
                         const char *id_marker)
{
    skycrate__kv query[4] = {{l->subresource, ""}, {"encoding-type", "url"}};
    size_t n = 2;
    *unsupported = false;
    if (key_marker)
        query[n++] = (skycrate__kv){"key-marker", key_marker};
    if (id_marker)
        query[n++] = (skycrate__kv){l->id_marker, id_marker};
    int error = list(o, p, l->operation, bucket, query, n);
    if (error < 0 && not_supported(o)) {
        *unsupported = true;
        skycrate_error_clear();
        return 0;
    }
    if (error < 0 || (error = expected_root(o, l->root)) < 0)
        return error;
    *unsupported = error == 0;
    return error;
}

int skycrate__list_versions(skycrate__s3_list_versions *page, bool *unsupported,
                            skycrate__outcome *o, skycrate_provisioner *p, const char *bucket,
                            const char *key_marker, const char *version_id_marker)
{
    static const optional_listing versions = {"ListObjectVersions", "versions",
                                              "ListVersionsResult", "version-id-marker"};
    memset(page, 0, sizeof(*page));
    int error = list_optional(o, unsupported, p, bucket, &versions, key_marker, version_id_marker);
    if (error <= 0)
        return error;
    error = skycrate__s3_list_versions_parse(page, skycrate__buf_cstr(&o->body), o->body.len);
    if (error < 0)
        skycrate__error_prefix("ListObjectVersions %s", bucket);
    return error;
}

int skycrate__list_objects(skycrate__s3_list_v2 *page, skycrate__outcome *o,
                           skycrate_provisioner *p, const char *bucket, const char *token)
{
    skycrate__kv query[3] = {{"list-type", "2"}, {"encoding-type", "url"}};
    size_t n = 2;
    memset(page, 0, sizeof(*page));
    if (token)
        query[n++] = (skycrate__kv){"continuation-token", token};
    int error = list(o, p, "ListObjectsV2", bucket, query, n);
    if (error == 0 &&
        (error = skycrate__s3_list_v2_parse(page, skycrate__buf_cstr(&o->body), o->body.len)) < 0)
        skycrate__error_prefix("ListObjectsV2 %s", bucket);
    return error;
}

int skycrate__list_uploads(skycrate__s3_list_uploads *page, bool *unsupported, skycrate__outcome *o,
                           skycrate_provisioner *p, const char *bucket, const char *key_marker,
                           const char *upload_id_marker)
{
    static const optional_listing uploads = {"ListMultipartUploads", "uploads",
                                             "ListMultipartUploadsResult", "upload-id-marker"};
    memset(page, 0, sizeof(*page));
    int error = list_optional(o, unsupported, p, bucket, &uploads, key_marker, upload_id_marker);
    if (error <= 0)
        return error;
    error = skycrate__s3_list_uploads_parse(page, skycrate__buf_cstr(&o->body), o->body.len);
    if (error < 0)
        skycrate__error_prefix("ListMultipartUploads %s", bucket);
    return error;
}

int skycrate__list_parts(skycrate__s3_list_parts *page, skycrate__outcome *o,
                         skycrate_provisioner *p, const char *bucket, const char *key,
                         const char *upload_id, uint32_t marker)
{
    char marker_text[16];
    snprintf(marker_text, sizeof(marker_text), "%u", marker);
    skycrate__kv query[2] = {{"uploadId", upload_id}};
    size_t n = 1;
    if (marker) /* the first page has none (as botocore sends it) */
        query[n++] = (skycrate__kv){"part-number-marker", marker_text};
    memset(page, 0, sizeof(*page));
    int error = list_key(o, p, "ListParts", bucket, key, query, n);
    if (error == 0 && (error = skycrate__s3_list_parts_parse(page, skycrate__buf_cstr(&o->body),
                                                             o->body.len)) < 0)
        skycrate__error_prefix("ListParts %s", bucket);
    return error;
}
