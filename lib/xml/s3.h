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

/* Frees an entry's strings (not the entry itself). */
void skycrate__s3_entry_dispose(skycrate__s3_entry *e);

/*
 * Listings answered with <EncodingType>url</EncodingType> (a request with encoding-type=url)
 * are decoded by the readers: keys, markers and StartAfter come back as plain UTF-8 ('+' and
 * %XX decoded). A decoded NUL or a malformed escape is SKYCRATE_EPARSE.
 */

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

/* <ListVersionsResult> of ListObjectVersions: <Version> and <DeleteMarker> entries in document
 * order (delete_marker tells them apart; a marker has no etag, size or storage class). */
typedef struct skycrate__s3_list_versions {
    skycrate__s3_entry *entries;
    size_t count;
    bool truncated;
    char *next_key_marker;        /* NULL when not truncated */
    char *next_version_id_marker; /* NULL when not truncated or not sent */
} skycrate__s3_list_versions;

/* 0, SKYCRATE_EPARSE (wrong root, an entry without Key or VersionId, bad number, date or
 * boolean, truncated without NextKeyMarker) or SKYCRATE_ENOMEM. */
int skycrate__s3_list_versions_parse(skycrate__s3_list_versions *out, const char *xml, size_t len);
void skycrate__s3_list_versions_dispose(skycrate__s3_list_versions *list);

/* One <Upload> of ListMultipartUploads. */
typedef struct skycrate__s3_upload {
    char *key;
    char *upload_id;
    int64_t initiated; /* 0 when not sent */
} skycrate__s3_upload;

/* <ListMultipartUploadsResult>. */
typedef struct skycrate__s3_list_uploads {
    skycrate__s3_upload *uploads;
    size_t count;
    bool truncated;
    char *next_key_marker;       /* NULL when not truncated */
    char *next_upload_id_marker; /* NULL when not truncated or not sent */
} skycrate__s3_list_uploads;

/* 0, SKYCRATE_EPARSE (wrong root, an upload without Key or UploadId, bad date or boolean,
 * truncated without NextKeyMarker) or SKYCRATE_ENOMEM. */
int skycrate__s3_list_uploads_parse(skycrate__s3_list_uploads *out, const char *xml, size_t len);
void skycrate__s3_list_uploads_dispose(skycrate__s3_list_uploads *list);

/* <InitiateMultipartUploadResult>: every field owned; bucket and key NULL when absent. */
typedef struct skycrate__s3_initiate_doc {
    char *bucket;
    char *key;
    char *upload_id; /* never NULL or empty after a successful parse */
} skycrate__s3_initiate_doc;

/* 0, SKYCRATE_EPARSE (wrong root, no or empty UploadId) or SKYCRATE_ENOMEM. */
int skycrate__s3_initiate_doc_parse(skycrate__s3_initiate_doc *out, const char *xml, size_t len);
void skycrate__s3_initiate_doc_dispose(skycrate__s3_initiate_doc *doc);

/* <CompleteMultipartUploadResult>: every field owned, NULL when absent (radosgw sends an empty
 * ETag). S3 may answer CompleteMultipartUpload with 200 and an <Error> body: check the root
 * with skycrate__xml_root_is() first, or read this one's SKYCRATE_EPARSE as "not a result". */
typedef struct skycrate__s3_complete_doc {
    char *location;
    char *bucket;
    char *key;
    char *etag;
} skycrate__s3_complete_doc;

/* 0, SKYCRATE_EPARSE (wrong root) or SKYCRATE_ENOMEM. */
int skycrate__s3_complete_doc_parse(skycrate__s3_complete_doc *out, const char *xml, size_t len);
void skycrate__s3_complete_doc_dispose(skycrate__s3_complete_doc *doc);

/* One <Deleted> of a DeleteObjects answer. */
typedef struct skycrate__s3_deleted {
    char *key;
    char *version_id;               /* NULL when not sent */
    char *delete_marker_version_id; /* NULL when not sent */
    bool delete_marker;
} skycrate__s3_deleted;

/* One <Error> of a DeleteObjects answer. */
typedef struct skycrate__s3_delete_error {
    char *key;
    char *version_id; /* NULL when not sent */
    char *code;       /* NULL when not sent */
    char *message;    /* NULL when not sent */
} skycrate__s3_delete_error;

/* <DeleteResult> of DeleteObjects: each list in document order. */
typedef struct skycrate__s3_delete_result {
    skycrate__s3_deleted *deleted;
    size_t deleted_count;
    skycrate__s3_delete_error *errors;
    size_t error_count;
} skycrate__s3_delete_result;

/* 0, SKYCRATE_EPARSE (wrong root, an entry without Key, bad boolean) or SKYCRATE_ENOMEM. */
int skycrate__s3_delete_result_parse(skycrate__s3_delete_result *out, const char *xml, size_t len);
void skycrate__s3_delete_result_dispose(skycrate__s3_delete_result *result);

/* One <Part> of ListParts. */
typedef struct skycrate__s3_part {
    uint32_t number; /* 1 .. 10000 */
    uint64_t size;
    char *etag; /* as sent, quotes included */
} skycrate__s3_part;

/* <ListPartsResult>. */
typedef struct skycrate__s3_list_parts {
    skycrate__s3_part *parts;
    size_t count;
    bool truncated;
    uint32_t next_marker; /* NextPartNumberMarker, when truncated */
} skycrate__s3_list_parts;

/* 0, SKYCRATE_EPARSE (wrong root, a part without PartNumber (1..10000) or ETag, bad number or
 * boolean, truncated without NextPartNumberMarker) or SKYCRATE_ENOMEM. */
int skycrate__s3_list_parts_parse(skycrate__s3_list_parts *out, const char *xml, size_t len);
void skycrate__s3_list_parts_dispose(skycrate__s3_list_parts *list);

/* <LocationConstraint> of GetBucketLocation: the region, owned. Empty (or blank) means
 * "us-east-1" and the legacy "EU" means "eu-west-1"; anything else is returned as sent
 * (radosgw sends its zonegroup, "default"). 0, SKYCRATE_EPARSE or SKYCRATE_ENOMEM. */
int skycrate__s3_location_parse(char **region_out, const char *xml, size_t len);

/* Whether a <ListAllMyBucketsResult> (ListBuckets) lists a bucket named `name` exactly (a
 * server may ignore the `prefix` asked for and list every bucket). 0, SKYCRATE_EPARSE or
 * SKYCRATE_ENOMEM. */
int skycrate__s3_buckets_has(bool *found_out, const char *xml, size_t len, const char *name);

/*
 * Whether `xml` is a well-formed document whose root element's local name is `name`: some
 * servers answer an unknown subresource (GET ?encryption) with 200 and a <ListBucketResult>.
 * 1 when it is, 0 when it is not (malformed or another root: the error slot then says why,
 * with SKYCRATE_EPARSE), SKYCRATE_ENOMEM.
 */
int skycrate__xml_root_is(const char *xml, size_t len, const char *name);

#endif
