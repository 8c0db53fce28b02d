/*
 * Deprovisioning: mark the record, abort every unfinished multipart upload, delete every object
 * version and delete marker (DeleteObjects, at most 1000 keys a request, with Content-MD5, one
 * request per lane at once; ListObjectsV2 where versions are not supported), delete the bucket
 * (again after a BucketNotEmpty race), confirm it is gone, record it. Resumable; a dry run only
 * counts.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "core/time.h"
#include "core/lanes.h"
#include "provision/leftover.h"
#include "provision/listing.h"
#include "provision/reports.h"
#include "s3/errors.h"
#include "store/store.h"
#include "xml/xml.h"

#define DELETE_BATCH 1000
#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

typedef struct dep {
    skycrate_provisioner *p;
    const char *user_id;
    char bucket[SKYCRATE__BUCKET_NAME_MAX + 1];
    bool dry;
    bool gone; /* the bucket answered NoSuchBucket */
    skycrate__deletion_counts counts;
    json_t *record;
    /* aborting one page of uploads */
    const skycrate__s3_list_uploads *uploads;
    skycrate__outcome *abort_outcomes;
    int abort_error;
    size_t abort_failed;
} dep;

static bool no_such_bucket(const skycrate__outcome *o)
{
    return skycrate__outcome_not_found(o) && !strcmp(skycrate__outcome_code(o), "NoSuchBucket");
}

/* Journals `op` and keeps the record it wrote. A record that changed under us is
 * SKYCRATE_ECONFLICT ("... changed <when>"). */
static int journal(dep *d, skycrate__journal_op *op, const char *when)
{
    json_t *result = NULL;
    int error = skycrate__journal(&result, d->p, d->user_id, op);
    if (error == 0 && op->changed)
        error = skycrate__error_set(SKYCRATE_ECONFLICT, "the record of user '%.64s' changed %s",
                                    d->user_id, when);
    if (error == 0) {
        json_decref(d->record);
        d->record = result;
    } else {
        json_decref(result);
    }
    return error;
}

static int progress(dep *d, const skycrate__deletion_counts *batch)
{
    if (d->dry)
        return 0;
    skycrate__journal_op op = {.kind = SKYCRATE__J_PROGRESS,
                               .expect_bucket = d->bucket,
                               .expect_state = "deprovisioning",
                               .counts = *batch};
    return journal(d, &op, "during deprovisioning");
}

/* ---- listings ---- */

/* Where a listing stands: the key and id markers of ListObjectVersions and ListMultipartUploads,
 * or (servers without versioning support) ListObjectsV2's continuation token in `marker`. */
typedef struct cursor {
    bool versions;
    char *marker;
    char *id_marker;
} cursor;

/* Takes the page's next markers (the page keeps none), after the page was handled with result
 * `error`: that error when it failed, else 1 when there is a next page and 0 at the last. */
static int cursor_move(cursor *c, int error, bool truncated, char **next, char **next_id)
{
    skycrate__free(c->marker);
    skycrate__free(c->id_marker);
    c->marker = *next;
    c->id_marker = next_id ? *next_id : NULL;
    *next = NULL;
    if (next_id)
        *next_id = NULL;
    return error < 0 ? error : truncated && c->marker;
}

static void cursor_dispose(cursor *c)
{
    skycrate__free(c->marker);
    skycrate__free(c->id_marker);
}

/* After a listing: NoSuchBucket is no error but d->gone. Disposes the outcome. */
static int listed(dep *d, int rc, skycrate__outcome *o)
{
    if (rc < 0 && no_such_bucket(o)) {
        d->gone = true;
        rc = 0;
    }
    skycrate__outcome_dispose(o);
    return rc;
}

/* ---- multipart uploads ---- */

static void abort_one(size_t i, void *ctx)
{
    dep *d = ctx;
    const skycrate__s3_upload *u = &d->uploads->uploads[i];
    skycrate__kv query = {"uploadId", u->upload_id};
    skycrate__prov_request req = {.operation = "AbortMultipartUpload",
                                  .method = "DELETE",
                                  .bucket = d->bucket,
                                  .key = u->key,
                                  .query = &query,
                                  .query_count = 1};
    skycrate__prov_send(&d->abort_outcomes[i], d->p, &req);
}

static bool abort_done(size_t i, void *ctx)
{
    dep *d = ctx;
    skycrate__outcome *o = &d->abort_outcomes[i];
    if (o->rc == 0 || (skycrate__outcome_not_found(o) && !no_such_bucket(o))) {
        d->counts.uploads++; /* NoSuchUpload: it finished or was aborted meanwhile */
        return false;
    }
    if (no_such_bucket(o)) {
        d->gone = true;
        return true;
    }
    d->abort_error = o->rc;
    d->abort_failed = i;
    return true;
}

static int abort_page(dep *d, const skycrate__s3_list_uploads *page)
{
    skycrate__deletion_counts before = d->counts;
    if (d->dry) {
        d->counts.uploads += page->count;
    } else if (page->count) {
        d->uploads = page;
        d->abort_error = 0;
        if (!(d->abort_outcomes = skycrate__calloc(page->count, sizeof(skycrate__outcome))))
            return skycrate__error_nomem();
        for (size_t i = 0; i < page->count; i++)
            skycrate__outcome_init(&d->abort_outcomes[i]);
        skycrate__lanes_run(d->p->lanes, page->count, abort_one, abort_done, d);
        int error =
            d->abort_error ? skycrate__outcome_raise(&d->abort_outcomes[d->abort_failed]) : 0;
        for (size_t i = 0; i < page->count; i++)
            skycrate__outcome_dispose(&d->abort_outcomes[i]);
        skycrate__free(d->abort_outcomes);
        d->abort_outcomes = NULL;
        if (error < 0)
            return error;
    }
    skycrate__deletion_counts batch = {0, 0, d->counts.uploads - before.uploads, 0};
    return batch.uploads ? progress(d, &batch) : 0;
}

static int abort_uploads(dep *d)
{
    cursor c = {.versions = false};
    int rc = 1;
    while (rc > 0 && !d->gone) {
        skycrate__s3_list_uploads page;
        skycrate__outcome o;
        bool unsupported = false;
        skycrate__outcome_init(&o);
        rc =
            skycrate__list_uploads(&page, &unsupported, &o, d->p, d->bucket, c.marker, c.id_marker);
        rc = listed(d, rc, &o);
        if (rc == 0 && !d->gone && !unsupported) {
            rc = cursor_move(&c, abort_page(d, &page), page.truncated, &page.next_key_marker,
                             &page.next_upload_id_marker);
        }
        skycrate__s3_list_uploads_dispose(&page);
    }
    cursor_dispose(&c);
    return rc < 0 ? rc : 0;
}

/* ---- objects ---- */

/* DeleteObject of one version (a key XML cannot carry goes this way). */
static int delete_single(dep *d, const skycrate__s3_entry *e)
{
    skycrate__kv query = {"versionId", e->version_id};
    skycrate__prov_request req = {.operation = "DeleteObject",
                                  .method = "DELETE",
                                  .bucket = d->bucket,
                                  .key = e->key,
                                  .query = e->version_id ? &query : NULL,
                                  .query_count = e->version_id ? 1 : 0};
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    int error = skycrate__prov_send(&o, d->p, &req);
    skycrate__outcome_dispose(&o);
    return error;
}

static int check_delete_result(dep *d, const skycrate__outcome *o)
{
    skycrate__s3_delete_result result;
    int error =
        skycrate__s3_delete_result_parse(&result, skycrate__buf_cstr(&o->body), o->body.len);
    if (error < 0)
        return skycrate__error_prefix("DeleteObjects %s", d->bucket);
    if (result.error_count) {
        const skycrate__s3_delete_error *e = &result.errors[0];
        error =
            skycrate__error_set(skycrate__s3_map_error(0, e->code),
                                "DeleteObjects %s: %zu of the keys could not be deleted; the "
                                "first, '%.200s': %s%s%s",
                                d->bucket, result.error_count, e->key, e->code ? e->code : "error",
                                e->message ? ": " : "", e->message ? e->message : "");
    }
    skycrate__s3_delete_result_dispose(&result);
    return error;
}

/* Deletes `count` (<= 1000) entries with one DeleteObjects request; safe on any lane.
 * `gone`: the bucket answered NoSuchBucket. */
static int delete_batch(dep *d, const skycrate__s3_entry *entries, size_t count, bool *gone)
{
    skycrate__buf body = SKYCRATE_BUF_INIT;
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    size_t in_body = 0;
    int error = skycrate__buf_puts(&body, "<Delete xmlns=\"" S3_XMLNS "\">");
    for (size_t i = 0; error == 0 && i < count; i++) {
        const skycrate__s3_entry *e = &entries[i];
        size_t mark = body.len;
        error = skycrate__buf_puts(&body, "<Object><Key>");
        if (error == 0 && (error = skycrate__xml_escape_text(&body, e->key)) == SKYCRATE_EINVAL) {
            body.len = mark; /* a control character: this one goes alone */
            body.ptr[mark] = '\0';
            skycrate_error_clear();
            error = delete_single(d, e);
            continue;
        }
        if (error == 0)
            error = skycrate__buf_puts(&body, "</Key>");
        if (error == 0 && e->version_id &&
            (error = skycrate__buf_puts(&body, "<VersionId>")) == 0 &&
            (error = skycrate__xml_escape_text(&body, e->version_id)) == 0)
            error = skycrate__buf_puts(&body, "</VersionId>");
        if (error == 0)
            error = skycrate__buf_puts(&body, "</Object>");
        in_body++;
    }
    if (error == 0)
        error = skycrate__buf_puts(&body, "<Quiet>true</Quiet></Delete>");
    if (error == 0 && in_body) {
        skycrate__kv query = {"delete", ""};
        skycrate__prov_request req = {.operation = "DeleteObjects",
                                      .method = "POST",
                                      .bucket = d->bucket,
                                      .query = &query,
                                      .query_count = 1,
                                      .body = body.ptr,
                                      .body_len = body.len,
                                      .content_md5 = true,
                                      .keep_body = true};
        if ((error = skycrate__prov_send(&o, d->p, &req)) == 0)
            error = check_delete_result(d, &o);
        else if (no_such_bucket(&o))
            *gone = true, error = 0;
    }
    skycrate__outcome_dispose(&o);
    skycrate__buf_dispose(&body);
    return error;
}

/*
 * Listed entries waiting for their deletion, in batches: each page's entries (split at 1000)
 * go in their own DeleteObjects. Listing goes on until the window holds a batch for every lane
 * (or the listing ends); then its batches are deleted at once, one per lane, and journaled
 * together. Deleting entries listed already never moves the markers of the pages after them,
 * so listing ahead is safe.
 */
typedef struct window {
    skycrate__s3_entry *entries;
    size_t count, cap;
    size_t *batch_ends; /* batch i is entries [batch_ends[i-1] (0 for i = 0), batch_ends[i]) */
    size_t batches, batch_cap;
} window;

#define WINDOW_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, 0                                                                     \
    }

/* One DeleteObjects of a window (a lane's job). */
typedef struct delete_job {
    const skycrate__s3_entry *entries;
    size_t count;
    bool gone;
    skycrate__outcome outcome; /* its code and error message */
} delete_job;

typedef struct window_run {
    dep *d;
    delete_job *jobs;
    size_t failed; /* the failed job first in the window; SIZE_MAX: none */
    skycrate__deletion_counts done;
} window_run;

/* Moves a page's entries into the window as its next batches (the page keeps none: `*count`
 * becomes 0). */
static int window_take(window *w, skycrate__s3_entry *entries, size_t *count)
{
    if (*count == 0)
        return 0; /* an empty page: `entries` may be NULL */
    size_t batches = (*count + DELETE_BATCH - 1) / DELETE_BATCH;
    int error =
        skycrate__array_grow((void **)&w->entries, &w->cap, w->count + *count, sizeof(*entries));
    if (error == 0)
        error = skycrate__array_grow((void **)&w->batch_ends, &w->batch_cap, w->batches + batches,
                                     sizeof(*w->batch_ends));
    if (error < 0)
        return error;
    memcpy(w->entries + w->count, entries, *count * sizeof(*entries));
    for (size_t start = 0; start < *count; start += DELETE_BATCH) {
        size_t n = *count - start < DELETE_BATCH ? *count - start : DELETE_BATCH;
        w->batch_ends[w->batches++] = w->count + start + n;
    }
    w->count += *count;
    *count = 0;
    return 0;
}

static bool window_full(const dep *d, const window *w)
{
    return w->batches >= d->p->lanes;
}

static void window_clear(window *w)
{
    for (size_t i = 0; i < w->count; i++)
        skycrate__s3_entry_dispose(&w->entries[i]);
    w->count = 0;
    w->batches = 0;
}

static void window_dispose(window *w)
{
    window_clear(w);
    skycrate__free(w->entries);
    skycrate__free(w->batch_ends);
    *w = (window)WINDOW_INIT;
}

static void count_entries(skycrate__deletion_counts *c, const skycrate__s3_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (e[i].delete_marker) {
            c->delete_markers++;
        } else {
            c->versions++;
            c->bytes += e[i].size;
        }
    }
}

static void delete_one(size_t i, void *ctx)
{
    window_run *run = ctx;
    delete_job *job = &run->jobs[i];
    int rc = delete_batch(run->d, job->entries, job->count, &job->gone);
    skycrate__outcome_capture(&job->outcome, rc);
}

static bool delete_done(size_t i, void *ctx)
{
    window_run *run = ctx;
    delete_job *job = &run->jobs[i];
    if (job->gone) {
        run->d->gone = true;
        return true;
    }
    if (job->outcome.rc < 0) {
        if (run->failed == SIZE_MAX || i < run->failed)
            run->failed = i;
        return true;
    }
    count_entries(&run->done, job->entries, job->count);
    return false;
}

/* Deletes (or, in a dry run, counts) the window's entries, journals what was deleted, and
 * empties the window. */
static int delete_window(dep *d, window *w)
{
    window_run run = {.d = d, .failed = SIZE_MAX};
    size_t jobs = w->batches;
    int error = 0;
    if (d->dry) {
        count_entries(&run.done, w->entries, w->count);
    } else if (jobs) {
        if (!(run.jobs = skycrate__calloc(jobs, sizeof(*run.jobs)))) {
            window_clear(w);
            return skycrate__error_nomem();
        }
        for (size_t i = 0; i < jobs; i++) {
            size_t start = i ? w->batch_ends[i - 1] : 0;
            run.jobs[i].entries = w->entries + start;
            run.jobs[i].count = w->batch_ends[i] - start;
            skycrate__outcome_init(&run.jobs[i].outcome);
        }
        skycrate__lanes_run(d->p->lanes, jobs, delete_one, delete_done, &run);
    }
    /* What was deleted is journaled also when another batch failed. */
    bool deleted = run.done.versions || run.done.delete_markers;
    if (!d->gone && deleted) {
        d->counts.versions += run.done.versions;
        d->counts.delete_markers += run.done.delete_markers;
        d->counts.bytes += run.done.bytes;
        error = progress(d, &run.done);
    }
    if (run.failed != SIZE_MAX)
        error = skycrate__outcome_raise(&run.jobs[run.failed].outcome);
    for (size_t i = 0; run.jobs && i < jobs; i++)
        skycrate__outcome_dispose(&run.jobs[i].outcome);
    skycrate__free(run.jobs);
    window_clear(w);
    return error;
}

static int take_versions(dep *d, cursor *c, window *w, bool *unsupported, skycrate__outcome *o)
{
    skycrate__s3_list_versions page;
    int error =
        skycrate__list_versions(&page, unsupported, o, d->p, d->bucket, c->marker, c->id_marker);
    if (error == 0 && !*unsupported)
        error = cursor_move(c, window_take(w, page.entries, &page.count), page.truncated,
                            &page.next_key_marker, &page.next_version_id_marker);
    skycrate__s3_list_versions_dispose(&page);
    return error;
}

static int take_objects(dep *d, cursor *c, window *w, skycrate__outcome *o)
{
    skycrate__s3_list_v2 page;
    int error = skycrate__list_objects(&page, o, d->p, d->bucket, c->marker);
    if (error == 0)
        error = cursor_move(c, window_take(w, page.entries, &page.count), page.truncated,
                            &page.next_continuation_token, NULL);
    skycrate__s3_list_v2_dispose(&page);
    return error;
}

/* Lists the page at the cursor into the window and moves the cursor on. 1: more pages follow;
 * 0: the last page, or none when the bucket is gone (d->gone) or the server lists no versions
 * (*unsupported); or an error. */
static int take_page(dep *d, cursor *c, window *w, bool *unsupported)
{
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    *unsupported = false;
    int rc = c->versions ? take_versions(d, c, w, unsupported, &o) : take_objects(d, c, w, &o);
    return listed(d, rc, &o);
}

/* Lists every version (or, `versions` false, every object) and deletes them a window at a time.
 * A server that lists no versions gets the object listing instead. */
static int delete_listed(dep *d, bool versions)
{
    cursor c = {.versions = versions};
    window w = WINDOW_INIT;
    int rc = 1;
    while (rc > 0 && !d->gone) {
        bool unsupported = false;
        rc = take_page(d, &c, &w, &unsupported);
        if (unsupported && !c.marker) {
            skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "%s: no version listing, deleting objects",
                          d->bucket);
            rc = delete_listed(d, false);
            break;
        }
        if (rc < 0 || d->gone || unsupported)
            break;
        if (rc == 0 || window_full(d, &w)) {
            int error = delete_window(d, &w);
            rc = error < 0 ? error : rc;
        }
    }
    window_dispose(&w);
    cursor_dispose(&c);
    return rc < 0 ? rc : 0;
}

static int delete_bucket(dep *d, bool *not_empty)
{
    skycrate__prov_request req = {
        .operation = "DeleteBucket", .method = "DELETE", .bucket = d->bucket};
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    int error = skycrate__prov_send(&o, d->p, &req);
    *not_empty = error == SKYCRATE_ECONFLICT;
    if (skycrate__outcome_not_found(&o) || *not_empty)
        error = 0;
    skycrate__outcome_dispose(&o);
    return error;
}

/* HeadBucket until it answers 404 (a deleted bucket may be seen for a moment). */
static int confirm_gone(dep *d)
{
    skycrate__prov_request req = {.operation = "HeadBucket", .method = "HEAD", .bucket = d->bucket};
    int error = 0;
    for (unsigned int attempt = 1;; attempt++) {
        skycrate__outcome o;
        skycrate__outcome_init(&o);
        error = skycrate__prov_send(&o, d->p, &req);
        bool gone = skycrate__outcome_not_found(&o);
        skycrate__outcome_dispose(&o);
        if (gone)
            return 0;
        if (error < 0)
            return error;
        if (attempt >= d->p->tuning.confirm_attempts)
            return skycrate__error_set(SKYCRATE_ECONFLICT,
                                       "bucket %s still exists after DeleteBucket succeeded",
                                       d->bucket);
        skycrate__sleep_ms(d->p->tuning.confirm_delay_ms);
    }
}

static int empty_and_delete(dep *d)
{
    int error = 0;
    bool deleted = false;
    for (unsigned int round = 1; !deleted && round <= d->p->tuning.delete_rounds; round++) {
        bool not_empty = false;
        if ((error = abort_uploads(d)) < 0 || (error = delete_listed(d, true)) < 0)
            return error;
        if (d->gone)
            break;
        if ((error = delete_bucket(d, &not_empty)) < 0)
            return error;
        deleted = !not_empty;
        if (not_empty)
            skycrate__log(SKYCRATE_LOG_LEVEL_INFO,
                          "%s: BucketNotEmpty (written meanwhile): round %u", d->bucket, round + 1);
    }
    if (!deleted && !d->gone)
        return skycrate__error_set(SKYCRATE_ECONFLICT,
                                   "bucket %s is still not empty after %u rounds: something "
                                   "keeps writing into it",
                                   d->bucket, d->p->tuning.delete_rounds);
    return confirm_gone(d);
}

/* The counts a record's "deprovision" object holds. */
static void record_counts(skycrate__deletion_counts *c, const json_t *record)
{
    json_t *dp = json_object_get(record, "deprovision");
    c->versions = (uint64_t)json_integer_value(json_object_get(dp, "versions"));
    c->delete_markers = (uint64_t)json_integer_value(json_object_get(dp, "deleteMarkers"));
    c->uploads = (uint64_t)json_integer_value(json_object_get(dp, "uploads"));
    c->bytes = (uint64_t)json_integer_value(json_object_get(dp, "bytes"));
}

static int mark(dep *d, skycrate__journal_kind kind, const char *error_text)
{
    skycrate__journal_op op = {.kind = kind, .expect_bucket = d->bucket, .error = error_text};
    if (kind != SKYCRATE__J_DEPROVISION)
        op.expect_state = skycrate__state_name(skycrate__record_state(d->record));
    return journal(d, &op, "meanwhile");
}

/* Deletes the buckets the record lists as leftovers (leftover.h), then reads it again. */
static int clear_leftovers(dep *d)
{
    if (!d->p->client)
        return skycrate__error_set(SKYCRATE_EINVAL, "a dev-mode provisioner cannot delete the "
                                                    "leftover buckets of an aws record");
    int error = skycrate__provisioner_target(d->p, d->record);
    if (error == 0)
        error = skycrate__leftovers_clear(d->p, d->user_id, d->record);
    if (error < 0)
        return skycrate__error_prefix("deprovisioning user '%.64s'", d->user_id);
    json_decref(d->record);
    d->record = NULL;
    return skycrate__provisioner_load(&d->record, d->p, d->user_id);
}

static int deprovision(dep *d)
{
    skycrate_provisioner *p = d->p;
    int error = 0;
    if (!d->dry && json_array_size(json_object_get(d->record, "leftovers")) &&
        (error = clear_leftovers(d)) < 0)
        return error;
    skycrate_state state = skycrate__record_state(d->record);
    bool no_bucket =
        skycrate__record_is_dev(d->record) || state == SKYCRATE_STATE_DELETED ||
        (state == SKYCRATE_STATE_FAILED && json_is_true(json_object_get(d->record, "rolledBack")));
    if (no_bucket) {
        if (!d->dry && state != SKYCRATE_STATE_DELETED)
            error = mark(d, SKYCRATE__J_DELETED, NULL);
        if (!d->dry)
            record_counts(&d->counts, d->record);
        return error;
    }
    if (!p->client)
        return skycrate__error_set(SKYCRATE_EINVAL, "a dev-mode provisioner cannot delete the "
                                                    "real bucket of an aws record");
    if ((error = skycrate__provisioner_target(p, d->record)) < 0)
        return error;
    if (d->dry) {
        if ((error = abort_uploads(d)) == 0)
            error = delete_listed(d, true);
        return error;
    }
    if ((error = mark(d, SKYCRATE__J_DEPROVISION, NULL)) < 0)
        return error;
    if ((error = empty_and_delete(d)) < 0) {
        char reason[SKYCRATE_ERROR_MESSAGE_MAX];
        snprintf(reason, sizeof(reason), "%s", skycrate_error_last()->message);
        if (mark(d, SKYCRATE__J_DEPROVISION_ERROR, reason) < 0)
            skycrate__log(SKYCRATE_LOG_LEVEL_WARN, "the record could not say why: %s",
                          skycrate_error_last()->message);
        return skycrate__error_set(error, "deprovisioning user '%.64s': %s", d->user_id, reason);
    }
    if ((error = mark(d, SKYCRATE__J_DELETED, NULL)) < 0)
        return error;
    record_counts(&d->counts, d->record);
    return 0;
}

int skycrate_provisioner_deprovision(skycrate_deprovision_report **out, skycrate_provisioner *p,
                                     const char *user_id, uint32_t flags)
{
    if (out)
        *out = NULL;
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_PROVISIONER);
    SKYCRATE_ASSERT_ARG(user_id);
    SKYCRATE_ASSERT_ARG((flags & ~SKYCRATE_DEPROVISION_DRY_RUN) == 0);
    dep d;
    memset(&d, 0, sizeof(d));
    d.p = p;
    d.user_id = user_id;
    d.dry = (flags & SKYCRATE_DEPROVISION_DRY_RUN) != 0;
    int error = skycrate__user_id_check(user_id);
    if (error == 0)
        error = skycrate__provisioner_load(&d.record, p, user_id);
    if (error == 0) {
        snprintf(d.bucket, sizeof(d.bucket), "%s", skycrate__record_str(d.record, "bucket"));
        error = deprovision(&d);
    }
    if (error == 0 && out)
        error = skycrate__deprovision_report_new(out, d.record, d.dry, &d.counts);
    json_decref(d.record);
    return error;
}
