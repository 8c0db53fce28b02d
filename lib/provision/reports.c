/*
 * The reports of verify, usage and deprovision: accessors and JSON renderings.
 * SPDX-License-Identifier: MIT
 */
#include "provision/reports.h"

#include <string.h>

#include "core/common.h"
#include "store/store.h"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int dup_field(char **out, const json_t *record, const char *field)
{
    if (!(*out = skycrate__strdup(skycrate__record_str(record, field))))
        return skycrate__error_nomem();
    return 0;
}

/* Renders a jansson value (which it releases) into a library-owned string. */
static int render(char **out, json_t *value, uint32_t flags)
{
    *out = NULL;
    if (!value)
        return skycrate__error_nomem();
    int error = skycrate__json_render(out, value, flags);
    json_decref(value);
    return error;
}

/* The argument checks of the to_json functions. */
#define PACK_CHECK(flags, magic)                                                                   \
    SKYCRATE_ASSERT_ARG(out);                                                                      \
    *out = NULL;                                                                                   \
    SKYCRATE_ASSERT_HANDLE(report, magic);                                                         \
    SKYCRATE_ASSERT_ARG(((flags) & ~SKYCRATE_JSON_PRETTY) == 0)

/* ---- verify ---- */

static const char *const verify_names[] = {"not-checked", "match",       "drift",
                                           "missing",     "unsupported", "error"};

int skycrate__verify_report_new(skycrate_verify_report **out, const json_t *record)
{
    skycrate_verify_report *r = skycrate__calloc(1, sizeof(*r));
    int error = 0;
    if (!r)
        return skycrate__error_nomem();
    r->magic = SKYCRATE_MAGIC_VERIFY_REPORT;
    if ((error = dup_field(&r->user_id, record, "userId")) < 0 ||
        (error = dup_field(&r->bucket, record, "bucket")) < 0 ||
        (error = dup_field(&r->mode, record, "mode")) < 0 ||
        (!(r->region = skycrate__strdup("")) && (error = skycrate__error_nomem()) < 0)) {
        skycrate_verify_report_free(r);
        return error;
    }
    *out = r;
    return 0;
}

void skycrate_verify_report_free(skycrate_verify_report *r)
{
    if (!SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT))
        return;
    skycrate__free(r->user_id);
    skycrate__free(r->bucket);
    skycrate__free(r->mode);
    skycrate__free(r->region);
    for (size_t i = 0; i < SKYCRATE__STEP_COUNT; i++)
        skycrate__buf_dispose(&r->items[i].detail);
    skycrate__buf_dispose(&r->browser.detail);
    r->magic = 0;
    skycrate__free(r);
}

int skycrate_verify_report_ok(const skycrate_verify_report *r)
{
    if (!SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT))
        return 0;
    if (!r->exists && strcmp(r->mode, "dev") != 0)
        return 0;
    for (size_t i = 0; i < SKYCRATE__STEP_COUNT; i++)
        if (r->items[i].status != SKYCRATE_VERIFY_STATUS_NOT_CHECKED &&
            r->items[i].status != SKYCRATE_VERIFY_STATUS_MATCH)
            return 0;
    return r->browser.status == SKYCRATE_VERIFY_STATUS_NOT_CHECKED ||
           r->browser.status == SKYCRATE_VERIFY_STATUS_MATCH;
}

int skycrate_verify_report_checked(const skycrate_verify_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT) && r->checked;
}

skycrate_verify_status skycrate_verify_report_browser(const char **detail_out,
                                                      const skycrate_verify_report *r)
{
    bool valid = SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT);
    if (detail_out)
        *detail_out = valid ? skycrate__buf_cstr(&r->browser.detail) : "";
    return valid ? r->browser.status : SKYCRATE_VERIFY_STATUS_NOT_CHECKED;
}

int skycrate_verify_report_bucket_exists(const skycrate_verify_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT) && r->exists;
}

const char *skycrate_verify_report_region(const skycrate_verify_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT) ? or_empty(r->region) : "";
}

skycrate_verify_status skycrate_verify_report_step(const skycrate_verify_report *r,
                                                   skycrate_step step)
{
    if (!SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT) || (int)step < 0 ||
        (int)step >= SKYCRATE__STEP_COUNT)
        return SKYCRATE_VERIFY_STATUS_NOT_CHECKED;
    return r->items[step].status;
}

const char *skycrate_verify_report_step_detail(const skycrate_verify_report *r, skycrate_step step)
{
    if (!SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_VERIFY_REPORT) || (int)step < 0 ||
        (int)step >= SKYCRATE__STEP_COUNT)
        return "";
    return skycrate__buf_cstr(&r->items[step].detail);
}

int skycrate_verify_report_to_json(char **out, const skycrate_verify_report *report, uint32_t flags)
{
    PACK_CHECK(flags, SKYCRATE_MAGIC_VERIFY_REPORT);
    json_t *steps = json_object();
    for (int s = 0; steps && s < SKYCRATE__STEP_COUNT; s++) {
        const skycrate__verify_item *it = &report->items[s];
        json_t *item = json_pack("{s:s, s:s}", "status", verify_names[it->status], "detail",
                                 skycrate__buf_cstr(&it->detail));
        if (!item || json_object_set_new(steps, skycrate_step_name((skycrate_step)s), item) < 0) {
            json_decref(steps);
            steps = NULL;
        }
    }
    if (!steps)
        return skycrate__error_nomem();
    return render(out,
                  json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:o, s:{s:s, s:s}}", "userId",
                            report->user_id, "bucket", report->bucket, "mode", report->mode, "ok",
                            skycrate_verify_report_ok(report), "checked", report->checked, "exists",
                            report->exists, "region", or_empty(report->region), "steps", steps,
                            "browser", "status", verify_names[report->browser.status], "detail",
                            skycrate__buf_cstr(&report->browser.detail)),
                  flags);
}

/* ---- usage ---- */

int skycrate__usage_report_new(skycrate_usage_report **out, const json_t *record)
{
    skycrate_usage_report *r = skycrate__calloc(1, sizeof(*r));
    int error = 0;
    if (!r)
        return skycrate__error_nomem();
    r->magic = SKYCRATE_MAGIC_USAGE_REPORT;
    if ((error = dup_field(&r->user_id, record, "userId")) < 0 ||
        (error = dup_field(&r->bucket, record, "bucket")) < 0 ||
        (error = dup_field(&r->mode, record, "mode")) < 0) {
        skycrate_usage_report_free(r);
        return error;
    }
    *out = r;
    return 0;
}

int skycrate__usage_report_add(skycrate_usage_report *r, const char *storage_class, uint64_t size)
{
    const char *name = storage_class && *storage_class ? storage_class : "STANDARD";
    size_t i = 0;
    while (i < r->class_count && strcmp(r->classes[i].name, name) < 0)
        i++;
    if (i == r->class_count || strcmp(r->classes[i].name, name) != 0) {
        char *copy = skycrate__strdup(name);
        skycrate__usage_class *grown =
            copy ? skycrate__realloc(r->classes, (r->class_count + 1) * sizeof(*grown)) : NULL;
        if (!grown) {
            skycrate__free(copy);
            return skycrate__error_nomem();
        }
        r->classes = grown;
        memmove(&grown[i + 1], &grown[i], (r->class_count - i) * sizeof(*grown));
        grown[i] = (skycrate__usage_class){copy, 0, 0};
        r->class_count++;
    }
    r->classes[i].objects++;
    r->classes[i].bytes += size;
    r->objects++;
    r->bytes += size;
    return 0;
}

void skycrate_usage_report_free(skycrate_usage_report *r)
{
    if (!SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT))
        return;
    skycrate__free(r->user_id);
    skycrate__free(r->bucket);
    skycrate__free(r->mode);
    for (size_t i = 0; i < r->class_count; i++)
        skycrate__free(r->classes[i].name);
    skycrate__free(r->classes);
    r->magic = 0;
    skycrate__free(r);
}

uint64_t skycrate_usage_report_objects(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->objects : 0;
}

uint64_t skycrate_usage_report_bytes(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->bytes : 0;
}

size_t skycrate_usage_report_class_count(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->class_count : 0;
}

const char *skycrate_usage_report_class_name(const skycrate_usage_report *r, size_t index)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) && index < r->class_count
               ? r->classes[index].name
               : NULL;
}

uint64_t skycrate_usage_report_class_objects(const skycrate_usage_report *r, size_t index)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) && index < r->class_count
               ? r->classes[index].objects
               : 0;
}

uint64_t skycrate_usage_report_class_bytes(const skycrate_usage_report *r, size_t index)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) && index < r->class_count
               ? r->classes[index].bytes
               : 0;
}

int skycrate_usage_report_versions_listed(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) && r->versions_listed ? 1 : 0;
}

uint64_t skycrate_usage_report_noncurrent_objects(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->noncurrent_objects : 0;
}

uint64_t skycrate_usage_report_noncurrent_bytes(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->noncurrent_bytes : 0;
}

uint64_t skycrate_usage_report_delete_markers(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->delete_markers : 0;
}

uint64_t skycrate_usage_report_upload_count(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->uploads : 0;
}

uint64_t skycrate_usage_report_upload_parts(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->upload_parts : 0;
}

uint64_t skycrate_usage_report_upload_bytes(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) ? r->upload_bytes : 0;
}

int skycrate_usage_report_checked(const skycrate_usage_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_USAGE_REPORT) && r->checked;
}

int skycrate_usage_report_to_json(char **out, const skycrate_usage_report *report, uint32_t flags)
{
    PACK_CHECK(flags, SKYCRATE_MAGIC_USAGE_REPORT);
    json_t *classes = json_object();
    for (size_t i = 0; classes && i < report->class_count; i++) {
        const skycrate__usage_class *c = &report->classes[i];
        json_t *item = json_pack("{s:I, s:I}", "objects", (json_int_t)c->objects, "bytes",
                                 (json_int_t)c->bytes);
        if (!item || json_object_set_new(classes, c->name, item) < 0) {
            json_decref(classes);
            classes = NULL;
        }
    }
    if (!classes)
        return skycrate__error_nomem();
    return render(out,
                  json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:o, s:b, s:{s:I, s:I}, s:I, "
                            "s:{s:I, s:I, s:I}}",
                            "userId", report->user_id, "bucket", report->bucket, "mode",
                            report->mode, "checked", report->checked, "objects",
                            (json_int_t)report->objects, "bytes", (json_int_t)report->bytes,
                            "storageClasses", classes, "versionsListed", report->versions_listed,
                            "noncurrent", "objects", (json_int_t)report->noncurrent_objects,
                            "bytes", (json_int_t)report->noncurrent_bytes, "deleteMarkers",
                            (json_int_t)report->delete_markers, "unfinishedUploads", "uploads",
                            (json_int_t)report->uploads, "parts", (json_int_t)report->upload_parts,
                            "bytes", (json_int_t)report->upload_bytes),
                  flags);
}

/* ---- deprovision ---- */

int skycrate__deprovision_report_new(skycrate_deprovision_report **out, json_t *record,
                                     bool dry_run, const skycrate__deletion_counts *counts)
{
    skycrate_deprovision_report *r = skycrate__calloc(1, sizeof(*r));
    if (!r)
        return skycrate__error_nomem();
    r->magic = SKYCRATE_MAGIC_DEPROVISION_REPORT;
    int error = skycrate__record_wrap(&r->record, record);
    if (error < 0) {
        skycrate__free(r);
        return error;
    }
    r->dry_run = dry_run;
    r->counts = *counts;
    *out = r;
    return 0;
}

void skycrate_deprovision_report_free(skycrate_deprovision_report *r)
{
    if (SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_DEPROVISION_REPORT)) {
        skycrate_record_free(r->record);
        r->magic = 0;
        skycrate__free(r);
    }
}

int skycrate_deprovision_report_dry_run(const skycrate_deprovision_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_DEPROVISION_REPORT) && r->dry_run;
}

uint64_t skycrate_deprovision_report_versions(const skycrate_deprovision_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_DEPROVISION_REPORT) ? r->counts.versions : 0;
}

uint64_t skycrate_deprovision_report_delete_markers(const skycrate_deprovision_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_DEPROVISION_REPORT) ? r->counts.delete_markers
                                                                       : 0;
}

uint64_t skycrate_deprovision_report_uploads(const skycrate_deprovision_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_DEPROVISION_REPORT) ? r->counts.uploads : 0;
}

uint64_t skycrate_deprovision_report_bytes(const skycrate_deprovision_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_DEPROVISION_REPORT) ? r->counts.bytes : 0;
}

const skycrate_record *skycrate_deprovision_report_record(const skycrate_deprovision_report *r)
{
    return SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_DEPROVISION_REPORT) ? r->record : NULL;
}

int skycrate_deprovision_report_to_json(char **out, const skycrate_deprovision_report *report,
                                        uint32_t flags)
{
    PACK_CHECK(flags, SKYCRATE_MAGIC_DEPROVISION_REPORT);
    const json_t *rec = report->record->json;
    return render(out,
                  json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:O}", "userId",
                            skycrate__record_str(rec, "userId"), "bucket",
                            skycrate__record_str(rec, "bucket"), "dryRun", report->dry_run,
                            "versions", (json_int_t)report->counts.versions, "deleteMarkers",
                            (json_int_t)report->counts.delete_markers, "uploads",
                            (json_int_t)report->counts.uploads, "bytes",
                            (json_int_t)report->counts.bytes, "record", (json_t *)rec),
                  flags);
}
