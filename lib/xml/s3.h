/*
 * Readers for S3 response documents (on top of the expat element tree).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_XML_S3_H
#define SKYCRATE_XML_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* <Error>: every field owned, NULL when absent. SignatureProvided is never kept. */
typedef struct skycrate__s3_error_doc {
    char *code;
    char *message;
    char *request_id;
    char *host_id;
    char *region;            /* <Region> (AuthorizationHeaderMalformed, PermanentRedirect) */
    char *endpoint;          /* <Endpoint> (PermanentRedirect) */
    char *string_to_sign;    /* <StringToSign> (SignatureDoesNotMatch) */
    char *canonical_request; /* <CanonicalRequest> */
} skycrate__s3_error_doc;

/* 0, SKYCRATE_EPARSE (not XML, or the root is not <Error>) or SKYCRATE_ENOMEM. */
int skycrate__s3_error_doc_parse(skycrate__s3_error_doc *out, const char *xml, size_t len);
void skycrate__s3_error_doc_dispose(skycrate__s3_error_doc *doc);

/* One entry of a listing (ListObjectsV2 <Contents>, ListObjectVersions <Version>/<DeleteMarker>). */
typedef struct skycrate__s3_entry {
    char *key;
    char *etag;
    char *storage_class;
    char *version_id; /* NULL for ListObjectsV2 */
    uint64_t size;
    int64_t last_modified;
    bool is_latest;
    bool delete_marker;
} skycrate__s3_entry;

/* <ListBucketResult> of ListObjectsV2. */
typedef struct skycrate__s3_list_v2 {
    skycrate__s3_entry *entries;
    size_t count;
    bool truncated;
    char *next_continuation_token; /* NULL when not truncated */
} skycrate__s3_list_v2;

/* 0, SKYCRATE_EPARSE (wrong root, bad number or date) or SKYCRATE_ENOMEM. */
int skycrate__s3_list_v2_parse(skycrate__s3_list_v2 *out, const char *xml, size_t len);
void skycrate__s3_list_v2_dispose(skycrate__s3_list_v2 *list);

#endif
