/*
 * The usage report: the storage a user pays for. Current objects and bytes, in total and per
 * storage class; beside them noncurrent versions, delete markers (ListObjectVersions, page by
 * page) and the parts of unfinished multipart uploads (ListMultipartUploads, then ListParts of
 * each). A server that lists no versions is counted with ListObjectsV2 (current objects only,
 * and the report says so).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "provision/listing.h"
#include "provision/reports.h"
#include "store/store.h"

static int count_objects(skycrate_usage_report *report, skycrate_provisioner *p, const char *bucket)
{
    char *token = NULL;
    int error = 0;
    for (;;) {
        skycrate__s3_list_v2 page;
        skycrate__outcome o;
        skycrate__outcome_init(&o);
        error = skycrate__list_objects(&page, &o, p, bucket, token);
        skycrate__outcome_dispose(&o);
        for (size_t i = 0; error == 0 && i < page.count; i++)
            error = skycrate__usage_report_add(report, page.entries[i].storage_class,
                                               page.entries[i].size);
        skycrate__free(token);
        token = page.next_continuation_token;
        page.next_continuation_token = NULL;
        bool more = page.truncated && token;
        skycrate__s3_list_v2_dispose(&page);
        if (error < 0 || !more)
            break;
    }
    skycrate__free(token);
    return error;
}

/* One page of versions into the report: current, noncurrent or delete marker. */
static int add_versions(skycrate_usage_report *report, const skycrate__s3_list_versions *page)
{
    int error = 0;
    for (size_t i = 0; error == 0 && i < page->count; i++) {
        const skycrate__s3_entry *e = &page->entries[i];
        if (e->delete_marker) {
            report->delete_markers++;
        } else if (e->is_latest) {
            error = skycrate__usage_report_add(report, e->storage_class, e->size);
        } else {
            report->noncurrent_objects++;
            report->noncurrent_bytes += e->size;
        }
    }
    return error;
}

static int count_versions(skycrate_usage_report *report, skycrate_provisioner *p,
                          const char *bucket)
{
    char *key_marker = NULL, *version_marker = NULL;
    int error = 0;
    for (;;) {
        skycrate__s3_list_versions page;
        bool unsupported = false;
        skycrate__outcome o;
        skycrate__outcome_init(&o);
        error =
            skycrate__list_versions(&page, &unsupported, &o, p, bucket, key_marker, version_marker);
        skycrate__outcome_dispose(&o);
        if (error == 0 && unsupported && !key_marker) {
            skycrate__s3_list_versions_dispose(&page);
            return count_objects(report, p, bucket); /* current objects only */
        }
        if (error == 0 && unsupported)
            error = skycrate__error_set(
                SKYCRATE_EHTTP, "ListObjectVersions %s: a later page is not a listing", bucket);
        if (error == 0) {
            report->versions_listed = true;
            error = add_versions(report, &page);
        }
        skycrate__free(key_marker);
        skycrate__free(version_marker);
        key_marker = page.next_key_marker;
        version_marker = page.next_version_id_marker;
        page.next_key_marker = page.next_version_id_marker = NULL;
        bool more = error == 0 && page.truncated && key_marker;
        skycrate__s3_list_versions_dispose(&page);
        if (!more)
            break;
    }
    skycrate__free(key_marker);
    skycrate__free(version_marker);
    return error;
}

/* The parts of one unfinished upload. */
static int count_parts(skycrate_usage_report *report, skycrate_provisioner *p, const char *bucket,
                       const skycrate__s3_upload *upload)
{
    uint32_t marker = 0;
    for (;;) {
        skycrate__s3_list_parts page;
        skycrate__outcome o;
        skycrate__outcome_init(&o);
        int error =
            skycrate__list_parts(&page, &o, p, bucket, upload->key, upload->upload_id, marker);
        bool gone = error < 0 && o.rec.info.http_status == 404; /* completed or aborted since */
        skycrate__outcome_dispose(&o);
        if (gone) {
            skycrate_error_clear();
            return 0;
        }
        if (error < 0)
            return error;
        for (size_t i = 0; i < page.count; i++) {
            report->upload_parts++;
            report->upload_bytes += page.parts[i].size;
        }
        bool more = page.truncated && page.next_marker > marker;
        marker = page.next_marker;
        skycrate__s3_list_parts_dispose(&page);
        if (!more)
            return 0;
    }
}

static int count_uploads(skycrate_usage_report *report, skycrate_provisioner *p, const char *bucket)
{
    char *key_marker = NULL, *id_marker = NULL;
    int error = 0;
    for (;;) {
        skycrate__s3_list_uploads page;
        bool unsupported = false;
        skycrate__outcome o;
        skycrate__outcome_init(&o);
        error = skycrate__list_uploads(&page, &unsupported, &o, p, bucket, key_marker, id_marker);
        skycrate__outcome_dispose(&o);
        for (size_t i = 0; error == 0 && !unsupported && i < page.count; i++) {
            report->uploads++;
            error = count_parts(report, p, bucket, &page.uploads[i]);
        }
        skycrate__free(key_marker);
        skycrate__free(id_marker);
        key_marker = page.next_key_marker;
        id_marker = page.next_upload_id_marker;
        page.next_key_marker = page.next_upload_id_marker = NULL;
        bool more = error == 0 && !unsupported && page.truncated && key_marker;
        skycrate__s3_list_uploads_dispose(&page);
        if (!more)
            break;
    }
    skycrate__free(key_marker);
    skycrate__free(id_marker);
    return error;
}

int skycrate_provisioner_usage(skycrate_usage_report **out, skycrate_provisioner *p,
                               const char *user_id)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    json_t *record = NULL;
    skycrate_usage_report *report = NULL;
    int error = skycrate__provisioner_check_call(p, user_id);
    if (error == 0)
        error = skycrate__provisioner_load(&record, p, user_id);
    if (error == 0)
        error = skycrate__usage_report_new(&report, record);
    if (error == 0 && !skycrate__record_is_dev(record) &&
        (error = skycrate__provisioner_reach(p, record, user_id, "count")) == 0) {
        report->checked = true;
        if ((error = count_versions(report, p, skycrate__record_str(record, "bucket"))) == 0)
            error = count_uploads(report, p, skycrate__record_str(record, "bucket"));
    }
    if (error == 0)
        *out = report;
    else
        skycrate_usage_report_free(report);
    json_decref(record);
    return error;
}
