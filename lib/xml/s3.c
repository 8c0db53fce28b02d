/*
 * Readers for S3 response documents, on top of the element tree.
 * Each reader fills a zeroed struct or, on any error, leaves it zeroed with nothing allocated.
 * SPDX-License-Identifier: MIT
 */
#include "xml/s3.h"

#include <string.h>

#include "core/common.h"
#include "xml/xml.h"

typedef struct {
    const char *name;
    size_t offset;
} text_field;

/* Copies the text of each listed child into the char * at its offset (NULL when absent). */
static int read_fields(void *out, const skycrate__xml_node *node, const text_field *fields,
                       size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char **slot = (char **)((char *)out + fields[i].offset);
        int error = skycrate__xml_child_dup(slot, node, fields[i].name);
        if (error < 0)
            return error;
    }
    return 0;
}

/* Frees the texts `fields` name in `doc` and zeroes it. */
static void free_fields(void *doc, size_t size, const text_field *fields, size_t count)
{
    for (size_t i = 0; i < count; i++)
        skycrate__free(*(char **)((char *)doc + fields[i].offset));
    memset(doc, 0, size);
}

/* A document of root `root_name` whose fields are all optional texts. */
static int read_flat(void *out, size_t size, const char *xml, size_t len, const char *root_name,
                     const text_field *fields, size_t count)
{
    skycrate__xml_node *root = NULL;
    memset(out, 0, size);
    int error = skycrate__xml_parse_as(&root, xml, len, root_name);
    if (error == 0)
        error = read_fields(out, root, fields, count);
    skycrate__xml_free(root);
    if (error < 0)
        free_fields(out, size, fields, count);
    return error;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Undoes encoding-type=url in place ('+' is a space, as S3 writes it; %XX a byte). */
static int url_decode(char *s, const char *what)
{
    if (!s)
        return 0;
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = hex_value(r[1]), lo = hi < 0 ? -1 : hex_value(r[2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return skycrate__error_set(SKYCRATE_EPARSE, "XML <%s> has a malformed URL encoding",
                                           what);
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

static bool url_encoded(const skycrate__xml_node *root)
{
    const char *type = skycrate__xml_child_text(root, "EncodingType");
    return type && strcmp(type, "url") == 0;
}

/* ---- <Error> ---- */

static const text_field error_fields[] = {
    {"Code", offsetof(skycrate__s3_error_doc, code)},
    {"Message", offsetof(skycrate__s3_error_doc, message)},
    {"RequestId", offsetof(skycrate__s3_error_doc, request_id)},
    {"HostId", offsetof(skycrate__s3_error_doc, host_id)},
    {"Region", offsetof(skycrate__s3_error_doc, region)},
    {"Endpoint", offsetof(skycrate__s3_error_doc, endpoint)},
    {"StringToSign", offsetof(skycrate__s3_error_doc, string_to_sign)},
    {"CanonicalRequest", offsetof(skycrate__s3_error_doc, canonical_request)},
    /* SignatureProvided is never read: a signature is a secret (the tree is wiped on free). */
};

int skycrate__s3_error_doc_parse(skycrate__s3_error_doc *out, const char *xml, size_t len)
{
    SKYCRATE_ASSERT_ARG(out);
    return read_flat(out, sizeof(*out), xml, len, "Error", error_fields,
                     SKYCRATE_ARRAY_SIZE(error_fields));
}

void skycrate__s3_error_doc_dispose(skycrate__s3_error_doc *doc)
{
    if (doc)
        free_fields(doc, sizeof(*doc), error_fields, SKYCRATE_ARRAY_SIZE(error_fields));
}

/* ---- listings ---- */

void skycrate__s3_entry_dispose(skycrate__s3_entry *e)
{
    skycrate__free(e->key);
    skycrate__free(e->etag);
    skycrate__free(e->storage_class);
    skycrate__free(e->version_id);
}

static int read_entry(skycrate__s3_entry *e, const skycrate__xml_node *node, bool url,
                      bool versions)
{
    int error;
    e->delete_marker = strcmp(node->name, "DeleteMarker") == 0;
    /* An empty key cannot exist; "Key" missing is a broken document. */
    if ((error = skycrate__xml_child_required(&e->key, node, "Key")) < 0)
        return error;
    if (versions && (error = skycrate__xml_child_required(&e->version_id, node, "VersionId")) < 0)
        return error;
    if ((error = skycrate__xml_child_dup(&e->etag, node, "ETag")) < 0 ||
        (error = skycrate__xml_child_dup(&e->storage_class, node, "StorageClass")) < 0 ||
        (error = skycrate__xml_child_u64(&e->size, node, "Size")) < 0 ||
        (error = skycrate__xml_child_time(&e->last_modified, node, "LastModified")) < 0 ||
        (error = skycrate__xml_child_bool(&e->is_latest, node, "IsLatest")) < 0)
        return error;
    return url ? url_decode(e->key, "Key") : 0;
}

/* Allocates `count` zeroed items (NULL for none). */
static int alloc_items(void **out, size_t count, size_t size)
{
    *out = NULL;
    if (count == 0)
        return 0;
    *out = skycrate__calloc(count, size);
    return *out ? 0 : skycrate__error_nomem();
}

int skycrate__s3_list_v2_parse(skycrate__s3_list_v2 *out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse_as(&root, xml, len, "ListBucketResult")) < 0 ||
        (error = skycrate__xml_child_bool(&out->truncated, root, "IsTruncated")) < 0 ||
        (error = alloc_items((void **)&out->entries, skycrate__xml_count(root, "Contents"),
                             sizeof(*out->entries))) < 0)
        goto done;
    bool url = url_encoded(root);
    for (const skycrate__xml_node *c = skycrate__xml_child(root, "Contents"); c;
         c = skycrate__xml_next(c))
        if ((error = read_entry(&out->entries[out->count++], c, url, false)) < 0)
            goto done;
    if (out->truncated)
        error = skycrate__xml_child_required(&out->next_continuation_token, root,
                                             "NextContinuationToken");

done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__s3_list_v2_dispose(out);
    return error;
}

void skycrate__s3_list_v2_dispose(skycrate__s3_list_v2 *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        skycrate__s3_entry_dispose(&list->entries[i]);
    skycrate__free(list->entries);
    skycrate__free(list->next_continuation_token);
    memset(list, 0, sizeof(*list));
}

static bool is_version_entry(const skycrate__xml_node *n)
{
    return strcmp(n->name, "Version") == 0 || strcmp(n->name, "DeleteMarker") == 0;
}

int skycrate__s3_list_versions_parse(skycrate__s3_list_versions *out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse_as(&root, xml, len, "ListVersionsResult")) < 0 ||
        (error = skycrate__xml_child_bool(&out->truncated, root, "IsTruncated")) < 0)
        goto done;
    size_t count = skycrate__xml_count(root, "Version") + skycrate__xml_count(root, "DeleteMarker");
    if ((error = alloc_items((void **)&out->entries, count, sizeof(*out->entries))) < 0)
        goto done;
    bool url = url_encoded(root);
    for (const skycrate__xml_node *c = root->first_child; c; c = c->next_sibling)
        if (is_version_entry(c) &&
            (error = read_entry(&out->entries[out->count++], c, url, true)) < 0)
            goto done;
    if (out->truncated &&
        ((error = skycrate__xml_child_required(&out->next_key_marker, root, "NextKeyMarker")) < 0 ||
         (error = skycrate__xml_child_dup(&out->next_version_id_marker, root,
                                          "NextVersionIdMarker")) < 0 ||
         (error = url ? url_decode(out->next_key_marker, "NextKeyMarker") : 0) < 0))
        goto done;

done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__s3_list_versions_dispose(out);
    return error;
}

void skycrate__s3_list_versions_dispose(skycrate__s3_list_versions *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        skycrate__s3_entry_dispose(&list->entries[i]);
    skycrate__free(list->entries);
    skycrate__free(list->next_key_marker);
    skycrate__free(list->next_version_id_marker);
    memset(list, 0, sizeof(*list));
}

int skycrate__s3_list_uploads_parse(skycrate__s3_list_uploads *out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse_as(&root, xml, len, "ListMultipartUploadsResult")) < 0 ||
        (error = skycrate__xml_child_bool(&out->truncated, root, "IsTruncated")) < 0 ||
        (error = alloc_items((void **)&out->uploads, skycrate__xml_count(root, "Upload"),
                             sizeof(*out->uploads))) < 0)
        goto done;
    bool url = url_encoded(root);
    for (const skycrate__xml_node *c = skycrate__xml_child(root, "Upload"); c;
         c = skycrate__xml_next(c)) {
        skycrate__s3_upload *u = &out->uploads[out->count++];
        if ((error = skycrate__xml_child_required(&u->key, c, "Key")) < 0 ||
            (error = skycrate__xml_child_required(&u->upload_id, c, "UploadId")) < 0 ||
            (error = skycrate__xml_child_time(&u->initiated, c, "Initiated")) < 0 ||
            (error = url ? url_decode(u->key, "Key") : 0) < 0)
            goto done;
    }
    if (out->truncated &&
        ((error = skycrate__xml_child_required(&out->next_key_marker, root, "NextKeyMarker")) < 0 ||
         (error = skycrate__xml_child_dup(&out->next_upload_id_marker, root,
                                          "NextUploadIdMarker")) < 0 ||
         (error = url ? url_decode(out->next_key_marker, "NextKeyMarker") : 0) < 0))
        goto done;

done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__s3_list_uploads_dispose(out);
    return error;
}

/* A part number (1..10000) from the child `name`; missing is SKYCRATE_EPARSE. */
static int read_part_number(uint32_t *out, const skycrate__xml_node *node, const char *name)
{
    uint64_t n = 0;
    int error = skycrate__xml_child_u64(&n, node, name);
    if (error < 0)
        return error;
    if (n < 1 || n > 10000)
        return skycrate__error_set(SKYCRATE_EPARSE, "<%s> is not a part number (1..10000)", name);
    *out = (uint32_t)n;
    return 0;
}

int skycrate__s3_list_parts_parse(skycrate__s3_list_parts *out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse_as(&root, xml, len, "ListPartsResult")) < 0 ||
        (error = skycrate__xml_child_bool(&out->truncated, root, "IsTruncated")) < 0 ||
        (error = alloc_items((void **)&out->parts, skycrate__xml_count(root, "Part"),
                             sizeof(*out->parts))) < 0)
        goto done;
    for (const skycrate__xml_node *c = skycrate__xml_child(root, "Part"); c;
         c = skycrate__xml_next(c)) {
        skycrate__s3_part *p = &out->parts[out->count++];
        if ((error = read_part_number(&p->number, c, "PartNumber")) < 0 ||
            (error = skycrate__xml_child_required(&p->etag, c, "ETag")) < 0 ||
            (error = skycrate__xml_child_u64(&p->size, c, "Size")) < 0)
            goto done;
    }
    if (out->truncated)
        error = read_part_number(&out->next_marker, root, "NextPartNumberMarker");
done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__s3_list_parts_dispose(out);
    return error;
}

void skycrate__s3_list_parts_dispose(skycrate__s3_list_parts *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        skycrate__free(list->parts[i].etag);
    skycrate__free(list->parts);
    memset(list, 0, sizeof(*list));
}

void skycrate__s3_list_uploads_dispose(skycrate__s3_list_uploads *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        skycrate__free(list->uploads[i].key);
        skycrate__free(list->uploads[i].upload_id);
    }
    skycrate__free(list->uploads);
    skycrate__free(list->next_key_marker);
    skycrate__free(list->next_upload_id_marker);
    memset(list, 0, sizeof(*list));
}

/* ---- multipart upload results ---- */

static const text_field initiate_fields[] = {
    {"Bucket", offsetof(skycrate__s3_initiate_doc, bucket)},
    {"Key", offsetof(skycrate__s3_initiate_doc, key)},
};

int skycrate__s3_initiate_doc_parse(skycrate__s3_initiate_doc *out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse_as(&root, xml, len, "InitiateMultipartUploadResult")) < 0 ||
        (error = read_fields(out, root, initiate_fields, SKYCRATE_ARRAY_SIZE(initiate_fields))) < 0)
        goto done;
    error = skycrate__xml_child_required(&out->upload_id, root, "UploadId");

done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__s3_initiate_doc_dispose(out);
    return error;
}

void skycrate__s3_initiate_doc_dispose(skycrate__s3_initiate_doc *doc)
{
    if (!doc)
        return;
    skycrate__free(doc->bucket);
    skycrate__free(doc->key);
    skycrate__free(doc->upload_id);
    memset(doc, 0, sizeof(*doc));
}

static const text_field complete_fields[] = {
    {"Location", offsetof(skycrate__s3_complete_doc, location)},
    {"Bucket", offsetof(skycrate__s3_complete_doc, bucket)},
    {"Key", offsetof(skycrate__s3_complete_doc, key)},
    {"ETag", offsetof(skycrate__s3_complete_doc, etag)},
};

int skycrate__s3_complete_doc_parse(skycrate__s3_complete_doc *out, const char *xml, size_t len)
{
    SKYCRATE_ASSERT_ARG(out);
    return read_flat(out, sizeof(*out), xml, len, "CompleteMultipartUploadResult", complete_fields,
                     SKYCRATE_ARRAY_SIZE(complete_fields));
}

void skycrate__s3_complete_doc_dispose(skycrate__s3_complete_doc *doc)
{
    if (doc)
        free_fields(doc, sizeof(*doc), complete_fields, SKYCRATE_ARRAY_SIZE(complete_fields));
}

/* ---- DeleteObjects ---- */

static const text_field delete_error_fields[] = {
    {"VersionId", offsetof(skycrate__s3_delete_error, version_id)},
    {"Code", offsetof(skycrate__s3_delete_error, code)},
    {"Message", offsetof(skycrate__s3_delete_error, message)},
};

int skycrate__s3_delete_result_parse(skycrate__s3_delete_result *out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse_as(&root, xml, len, "DeleteResult")) < 0 ||
        (error = alloc_items((void **)&out->deleted, skycrate__xml_count(root, "Deleted"),
                             sizeof(*out->deleted))) < 0 ||
        (error = alloc_items((void **)&out->errors, skycrate__xml_count(root, "Error"),
                             sizeof(*out->errors))) < 0)
        goto done;
    for (const skycrate__xml_node *c = skycrate__xml_child(root, "Deleted"); c;
         c = skycrate__xml_next(c)) {
        skycrate__s3_deleted *d = &out->deleted[out->deleted_count++];
        if ((error = skycrate__xml_child_required(&d->key, c, "Key")) < 0 ||
            (error = skycrate__xml_child_dup(&d->version_id, c, "VersionId")) < 0 ||
            (error = skycrate__xml_child_dup(&d->delete_marker_version_id, c,
                                             "DeleteMarkerVersionId")) < 0 ||
            (error = skycrate__xml_child_bool(&d->delete_marker, c, "DeleteMarker")) < 0)
            goto done;
    }
    for (const skycrate__xml_node *c = skycrate__xml_child(root, "Error"); c;
         c = skycrate__xml_next(c)) {
        skycrate__s3_delete_error *e = &out->errors[out->error_count++];
        if ((error = skycrate__xml_child_required(&e->key, c, "Key")) < 0 ||
            (error = read_fields(e, c, delete_error_fields,
                                 SKYCRATE_ARRAY_SIZE(delete_error_fields))) < 0)
            goto done;
    }

done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__s3_delete_result_dispose(out);
    return error;
}

void skycrate__s3_delete_result_dispose(skycrate__s3_delete_result *result)
{
    if (!result)
        return;
    for (size_t i = 0; i < result->deleted_count; i++) {
        skycrate__free(result->deleted[i].key);
        skycrate__free(result->deleted[i].version_id);
        skycrate__free(result->deleted[i].delete_marker_version_id);
    }
    for (size_t i = 0; i < result->error_count; i++) {
        skycrate__free(result->errors[i].key);
        skycrate__free(result->errors[i].version_id);
        skycrate__free(result->errors[i].code);
        skycrate__free(result->errors[i].message);
    }
    skycrate__free(result->deleted);
    skycrate__free(result->errors);
    memset(result, 0, sizeof(*result));
}

/* ---- GetBucketLocation and root checks ---- */

int skycrate__s3_location_parse(char **region_out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(region_out);
    *region_out = NULL;
    if ((error = skycrate__xml_parse_as(&root, xml, len, "LocationConstraint")) < 0)
        goto done;
    const char *s = root->text;
    size_t n = strlen(s);
    while (n && strchr(" \t\r\n", s[n - 1]))
        n--;
    while (n && strchr(" \t\r\n", *s))
        s++, n--;
    if (n == 0)
        s = "us-east-1", n = strlen(s);
    else if (n == 2 && strncmp(s, "EU", 2) == 0)
        s = "eu-west-1", n = strlen(s);
    if (!(*region_out = skycrate__strndup(s, n)))
        error = skycrate__error_nomem();

done:
    skycrate__xml_free(root);
    return error;
}

/* ---- ListBuckets ---- */

int skycrate__s3_buckets_has(bool *found_out, const char *xml, size_t len, const char *name)
{
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(found_out && name);
    *found_out = false;
    int error = skycrate__xml_parse_as(&root, xml, len, "ListAllMyBucketsResult");
    if (error < 0)
        return error;
    const skycrate__xml_node *buckets = skycrate__xml_child(root, "Buckets");
    for (const skycrate__xml_node *b = skycrate__xml_child(buckets, "Bucket"); b;
         b = skycrate__xml_next(b)) {
        const char *listed = skycrate__xml_child_text(b, "Name");
        if (listed && !strcmp(listed, name))
            *found_out = true;
    }
    skycrate__xml_free(root);
    return 0;
}

int skycrate__xml_root_is(const char *xml, size_t len, const char *name)
{
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(name);
    int error = skycrate__xml_parse_as(&root, xml, len, name);
    skycrate__xml_free(root);
    if (error == SKYCRATE_EPARSE)
        return 0;
    return error < 0 ? error : 1;
}
