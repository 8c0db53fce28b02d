/*
 * Provisioning as a transaction: record first, then CreateBucket (new names on collisions),
 * journaled, then the configuration steps concurrently, journaled together with the end of
 * the provisioning; rollback on failure, resume after a crash, skips in compatible mode, no
 * network in dev mode.
 *
 * The record is written three times on the way to `active`: the intent (before CreateBucket:
 * no bucket without a record), the create (the bucket exists: a resume does not ask), and the
 * end, with every configuration step's result. The configuration steps are idempotent PUTs, so
 * a process killed during them leaves a record whose steps are pending, and the next call sends
 * them again; CreateBucket is never sent twice for a record that says it is done, and a resume
 * of one that does not asks HeadBucket first.
 *
 * With the default transport and several lanes, the configuration requests start while
 * CreateBucket is in flight: each connects on its own lane and waits at a gate (http.h), which
 * the create opens as soon as it has answered for this bucket name, and cancels otherwise. So
 * the lanes' connections are open by then, the requests go out in the same order as without
 * it, and the create's journal write overlaps with them.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "core/lanes.h"
#include "provision/leftover.h"
#include "xml/s3.h"
#include "provision/record.h"
#include "provision/steps.h"

#define RESTARTS 4
/* The operation's code when the record changed under it: start over from the record. */
#define RESTART 1

typedef struct run {
    skycrate_provisioner *p;
    const char *user_id;
    char bucket[SKYCRATE__BUCKET_NAME_MAX + 1];
    json_t *record; /* the record as last read or written (owned) */
    /* The bucket the configuration jobs were planned for (read by the lane threads while the
     * calling thread may rename `bucket`), and the gate they wait at (NULL: none). */
    char job_bucket[SKYCRATE__BUCKET_NAME_MAX + 1];
    skycrate__http_gate *gate;
    skycrate__lanes *batch; /* the batch started early, or NULL */
    /* The configuration steps of this run. */
    skycrate_step jobs[SKYCRATE__STEP_COUNT];
    skycrate__outcome outcomes[SKYCRATE__STEP_COUNT];
    size_t job_count;
    /* The jobs that finished well (done or skipped), in completion order. */
    skycrate__step_result results[SKYCRATE__STEP_COUNT];
    size_t result_count;
    bool failed; /* a step failed: failed_job says which */
    size_t failed_job;
    skycrate__outcome refusal; /* the write probe's first refusal (probe_writes) */
} run;

/* Lets the configuration requests waiting at the gate go, if they are for this bucket, or
 * sends them away; nothing without a gate, nothing once the gate is resolved. */
static void resolve_gate(run *r, bool created)
{
    if (!r->gate)
        return;
    if (created && !strcmp(r->bucket, r->job_bucket)) {
        skycrate__http_gate_open(r->gate);
        skycrate__lanes_expand(r->batch); /* the lane that reuses the create's connection */
    } else {
        skycrate__http_gate_cancel(r->gate);
    }
}

static void set_record(run *r, json_t *record)
{
    if (record) {
        json_decref(r->record);
        r->record = record;
    }
}

/* Applies a journal change expecting the record to be this run's bucket, still provisioning. */
static int journal(run *r, skycrate__journal_op *op)
{
    json_t *result = NULL;
    if (!op->expect_bucket)
        op->expect_bucket = r->bucket;
    if (!op->expect_state && op->kind != SKYCRATE__J_BEGIN)
        op->expect_state = "provisioning";
    int error = skycrate__journal(&result, r->p, r->user_id, op);
    if (error == 0 && op->changed) {
        json_decref(result);
        skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                      "record of user '%.64s' changed meanwhile: starting over", r->user_id);
        return RESTART;
    }
    set_record(r, result);
    return error;
}

static int delete_bucket(skycrate__outcome *o, skycrate_provisioner *p, const char *bucket)
{
    skycrate__prov_request req = {
        .operation = "DeleteBucket", .method = "DELETE", .bucket = bucket};
    return skycrate__prov_send(o, p, &req);
}

/* Whether the bucket of a failed provisioning may exist. */
typedef enum bucket_fate {
    FATE_NEVER_CREATED, /* CreateBucket was answered with a refusal: nothing to roll back */
    FATE_MAY_EXIST,     /* created, or a create without a definite answer: roll back */
} bucket_fate;

/* DeleteBucket of a failed provisioning's bucket: whether it is gone. */
static bool roll_back(skycrate_provisioner *p, const char *bucket)
{
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    int rc = delete_bucket(&o, p, bucket);
    bool gone = rc == 0 || skycrate__outcome_not_found(&o);
    if (!gone)
        skycrate__log(SKYCRATE_LOG_LEVEL_WARN, "rollback: bucket %s could not be deleted: %s",
                      bucket, skycrate_error_last()->message);
    skycrate__outcome_dispose(&o);
    return gone;
}

/*
 * Records a failure and returns `code` with a message saying it all. A bucket that may exist is
 * rolled back after the failure is journaled, and only if it was: the journal write expects the
 * record to say this run's bucket is provisioning, and when another provisioning of the user
 * moved it on meanwhile (finished it, say), the bucket is no longer this run's to delete: the
 * run starts over from the record (RESTART), after listing the bucket as a leftover when the
 * record no longer names it as live (leftover.h). Then the record is marked rolled back.
 */
static int fail(run *r, skycrate_step step, int code, const char *reason, bucket_fate fate)
{
    skycrate__buf msg = SKYCRATE_BUF_INIT;
    const char *said = "no bucket was created";
    resolve_gate(r, false); /* a failed create: no configuration request goes out */
    if (skycrate__buf_printf(&msg, "step '%s' failed: %s", skycrate_step_name(step), reason) < 0)
        skycrate_error_clear();
    skycrate__journal_op op = {.kind = SKYCRATE__J_FAILED,
                               .step = step,
                               .results = r->results,
                               .result_count = r->result_count,
                               .error = skycrate__buf_cstr(&msg),
                               .rolled_back = fate == FATE_NEVER_CREATED};
    int jerr = journal(r, &op);
    if (jerr == RESTART) {
        /* The record moved on: a bucket this run may have made is the record's only if it names
         * it as live; else it is listed as a leftover and deleted, never forgotten. */
        if (fate == FATE_MAY_EXIST && !r->p->dev &&
            (jerr = skycrate__leftover_disown(r->p, r->user_id, r->bucket)) == 0)
            jerr = RESTART;
        skycrate__buf_dispose(&msg);
        return jerr;
    }
    if (fate == FATE_MAY_EXIST && jerr < 0) {
        said = "the bucket is kept (the record still names it)";
    } else if (fate == FATE_MAY_EXIST) {
        said = "the bucket could not be deleted (the record keeps it)";
        if (roll_back(r->p, r->bucket)) {
            said = "rolled back (the bucket was deleted)";
            skycrate__journal_op gone = {.kind = SKYCRATE__J_ROLLED_BACK, .expect_state = "failed"};
            jerr = journal(r, &gone);
        }
    }
    skycrate__error_set(code, "provisioning user '%.64s': %s; %s%s", r->user_id,
                        skycrate__buf_cstr(&msg), said,
                        jerr != 0 ? "; the record could not be updated" : "");
    skycrate__buf_dispose(&msg);
    return code;
}

/* A fresh bucket name after BucketAlreadyExists, journaled before it is used. */
static int rename_bucket(run *r)
{
    char name[SKYCRATE__BUCKET_NAME_MAX + 1];
    uint32_t nonce = 0;
    int error;
    while (nonce == 0)
        if ((error = skycrate__random_bytes(&nonce, sizeof(nonce))) < 0)
            return error;
    if ((error = skycrate__bucket_name_make(name, r->p->prefix, r->user_id,
                                            skycrate__now_ms() / 1000, nonce)) < 0)
        return error;
    resolve_gate(r, false); /* the waiting requests are for the old name */
    skycrate__journal_op op = {.kind = SKYCRATE__J_RENAME, .bucket = name};
    if ((error = journal(r, &op)) != 0)
        return error;
    memcpy(r->bucket, name, sizeof(name));
    return 0;
}

/* Whether the store says `bucket` is this user's (re-read: it is the proof). */
static int store_says_ours(bool *ours, run *r)
{
    json_t *record = NULL;
    int error = skycrate__provisioner_load(&record, r->p, r->user_id);
    *ours = error == 0 && !strcmp(skycrate__record_str(record, "bucket"), r->bucket) &&
            !strcmp(skycrate__record_str(record, "userId"), r->user_id) &&
            !skycrate__record_is_dev(record);
    json_decref(record);
    return error == SKYCRATE_ENOTFOUND ? 0 : error;
}

/*
 * A resumed provisioning's HeadBucket answered 403 or 301 for the name its record holds: the
 * bucket is someone else's (or in another region), or it is ours and the server refuses our
 * credentials (wrong, rotated, expired); a HEAD answer has no body to tell which. This
 * account's bucket list settles it: ours when listed. A list that cannot be read leaves the
 * name to the record (an error); a name found to be someone else's is given up with a warning.
 */
static int listed_as_ours(bool *ours, run *r, int head_status)
{
    skycrate__kv query[] = {{"prefix", r->bucket}};
    skycrate__prov_request req = {.operation = "ListBuckets",
                                  .method = "GET",
                                  .query = query,
                                  .query_count = 1,
                                  .keep_body = true};
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    int error = skycrate__prov_send(&o, r->p, &req);
    if (error == 0)
        error = skycrate__s3_buckets_has(ours, o.body.ptr, o.body.len, r->bucket);
    if (error < 0)
        skycrate__error_prefix("user '%.64s': HeadBucket of %s, the bucket of its record, was "
                               "answered HTTP %d, and this account's bucket list (which would "
                               "tell whether it is ours) cannot be read; the record keeps it",
                               r->user_id, r->bucket, head_status);
    else if (!*ours)
        skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                      "user '%.64s': bucket %s of the record answers HTTP %d and is not among "
                      "this account's buckets: someone else has it; giving the name up",
                      r->user_id, r->bucket, head_status);
    skycrate__outcome_dispose(&o);
    return error;
}

static int send_create(skycrate__outcome *o, run *r)
{
    skycrate_provisioner *p = r->p;
    skycrate__buf body = SKYCRATE_BUF_INIT;
    int error = skycrate__profile_body(&body, &p->profile, SKYCRATE_STEP_CREATE, r->bucket,
                                       r->user_id, p->region);
    if (error < 0) {
        skycrate__buf_dispose(&body);
        o->rc = error;
        skycrate__buf_puts(&o->message, skycrate_error_last()->message);
        return error;
    }
    const char *ownership = skycrate__ownership_name(p->profile.ownership);
    skycrate__kv header = {"x-amz-object-ownership", ownership};
    skycrate__prov_request req = {.operation = "CreateBucket",
                                  .method = "PUT",
                                  .bucket = r->bucket,
                                  .headers = ownership ? &header : NULL,
                                  .header_count = ownership ? 1 : 0,
                                  .body = body.len ? body.ptr : NULL,
                                  .body_len = body.len};
    error = skycrate__prov_send(o, p, &req);
    skycrate__buf_dispose(&body);
    return error;
}

/*
 * The create step. `resumed`: an earlier call may have sent CreateBucket for this name already,
 * so HeadBucket asks first.
 */
static int create(run *r, bool resumed)
{
    skycrate_provisioner *p = r->p;
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    int error = 0;
    bool created = false;
    for (unsigned int attempt = 1; !created && attempt <= p->tuning.name_attempts; attempt++) {
        bool taken = false;
        skycrate__outcome_dispose(&o);
        skycrate__outcome_init(&o);
        if (resumed && attempt == 1) {
            skycrate__prov_request head = {
                .operation = "HeadBucket", .method = "HEAD", .bucket = r->bucket};
            int rc = skycrate__prov_send(&o, p, &head);
            if (rc == 0) {
                created = true; /* it exists, and the record names it: ours */
                break;
            }
            if (rc == SKYCRATE_EACCESS || rc == SKYCRATE_EREGION) {
                bool ours = false;
                if ((error = listed_as_ours(&ours, r, o.rec.info.http_status)) < 0)
                    goto done; /* the record stays as it is, for the next call */
                created = ours;
                taken = !ours;
                if (ours)
                    break;
            } else if (!skycrate__outcome_not_found(&o)) {
                error = rc; /* no answer: the record stays as it is, for the next call */
                goto done;
            }
            skycrate__outcome_dispose(&o);
            skycrate__outcome_init(&o);
        }
        if (!taken) {
            int rc = send_create(&o, r);
            if (rc == 0) {
                created = true;
                break;
            }
            if (rc == SKYCRATE_EEXISTS &&
                !strcmp(skycrate__outcome_code(&o), "BucketAlreadyOwnedByYou")) {
                bool ours = false;
                if ((error = store_says_ours(&ours, r)) < 0)
                    goto done;
                created = ours;
                taken = !ours;
            } else if (rc == SKYCRATE_EEXISTS) {
                taken = true;
            } else {
                /* A definite 4xx answer created nothing; otherwise it may have. */
                int status = o.rec.info.http_status;
                bucket_fate fate =
                    status >= 400 && status < 500 ? FATE_NEVER_CREATED : FATE_MAY_EXIST;
                error = fail(r, SKYCRATE_STEP_CREATE, rc, skycrate__buf_cstr(&o.message), fate);
                goto done;
            }
        }
        if (taken && !created) {
            skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "bucket name %s is taken: trying another",
                          r->bucket);
            resumed = false;
            if (attempt < p->tuning.name_attempts && (error = rename_bucket(r)) != 0)
                goto done;
        }
    }
    if (!created) {
        error = fail(r, SKYCRATE_STEP_CREATE, SKYCRATE_EEXISTS,
                     "every bucket name tried is taken by someone else", FATE_NEVER_CREATED);
        goto done;
    }
    /* The configuration requests go now, while the create is journaled. */
    resolve_gate(r, true);
    skycrate__journal_op op = {.kind = SKYCRATE__J_STEP_DONE, .step = SKYCRATE_STEP_CREATE};
    error = journal(r, &op);
    /* The record moved on while the create was in flight (a deprovisioning, say): the bucket
     * exists and only this call knows it. It is journaled and deleted before starting over. */
    if (error == RESTART && (error = skycrate__leftover_disown(p, r->user_id, r->bucket)) == 0)
        error = RESTART;
done:
    skycrate__outcome_dispose(&o);
    return error;
}

static void run_job(size_t i, void *ctx)
{
    run *r = ctx;
    skycrate__step_apply(&r->outcomes[i], r->p, r->jobs[i], r->job_bucket, r->user_id, r->p->region,
                         r->gate);
}

/* Sorts a finished job out; journaling waits for the end of the batch. Returns true (stop
 * starting jobs) on a failure. */
static bool job_done(size_t i, void *ctx)
{
    run *r = ctx;
    skycrate__outcome *o = &r->outcomes[i];
    skycrate__step_result *res = &r->results[r->result_count];
    if (o->rc == 0) {
        *res = (skycrate__step_result){.step = r->jobs[i]};
    } else if (r->p->mode == SKYCRATE_FAILURE_MODE_COMPATIBLE && skycrate__outcome_unsupported(o)) {
        *res = (skycrate__step_result){.step = r->jobs[i], .skipped = o};
        skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "step %s skipped: the server answered %d %s",
                      skycrate_step_name(r->jobs[i]), o->rec.info.http_status,
                      skycrate__outcome_code(o));
    } else {
        /* Of the steps that failed, the first in the plan is reported (the same one whichever
         * answered first). */
        if (!r->failed || i < r->failed_job) {
            r->failed = true;
            r->failed_job = i;
        }
        return true;
    }
    r->result_count++;
    return false;
}

/* Plans the configuration steps the record does not list as done or skipped, for r->bucket. */
static void plan(run *r)
{
    skycrate_provisioner *p = r->p;
    r->job_count = 0;
    r->result_count = 0;
    r->failed = false;
    for (int s = 1; s < SKYCRATE__STEP_COUNT; s++) {
        skycrate_step step = (skycrate_step)s;
        if (skycrate__profile_has_step(&p->profile, step) &&
            !skycrate__record_has_step(r->record, "stepsDone", step) &&
            !skycrate__record_has_step(r->record, "stepsSkipped", step))
            r->jobs[r->job_count++] = step;
    }
    for (size_t i = 0; i < r->job_count; i++)
        skycrate__outcome_init(&r->outcomes[i]);
    memcpy(r->job_bucket, r->bucket, sizeof(r->bucket));
}

static void unplan(run *r)
{
    r->result_count = 0; /* the results point into the outcomes */
    for (size_t i = 0; i < r->job_count; i++)
        skycrate__outcome_dispose(&r->outcomes[i]);
    r->job_count = 0;
}

/* In compatible mode, a public access block put in this run with BlockPublicAcls must still
 * let the library upload (the write probe, probe.c); when the server needs it off, the step's
 * result says so. A bucket that refuses uploads anyway fails the provisioning. */
static int probe_writes(run *r)
{
    skycrate_provisioner *p = r->p;
    skycrate__step_result *pab = NULL;
    for (size_t i = 0; i < r->result_count; i++)
        if (r->results[i].step == SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK && !r->results[i].skipped)
            pab = &r->results[i];
    if (p->mode != SKYCRATE_FAILURE_MODE_COMPATIBLE || pab == NULL ||
        !(p->profile.public_access_block & SKYCRATE_PAB_BLOCK_PUBLIC_ACLS))
        return 0;
    bool adapted = false;
    int error = skycrate__probe_writes(&r->refusal, &adapted, p, r->bucket, r->user_id);
    if (error < 0) {
        char reason[1024]; /* the error slot changes while rolling back */
        snprintf(reason, sizeof(reason), "%s", skycrate_error_last()->message);
        return fail(r, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK, error, reason, FATE_MAY_EXIST);
    }
    if (adapted)
        pab->adapted = &r->refusal;
    return 0;
}

/* Runs the configuration steps (those of `batch` when it was started early, planned already)
 * and journals their results with the end of the provisioning. */
static int configure(run *r, skycrate__lanes *batch)
{
    skycrate_provisioner *p = r->p;
    skycrate__outcome_init(&r->refusal);
    if (batch) {
        skycrate__lanes_finish(batch, job_done, r);
    } else {
        plan(r);
        skycrate__lanes_run(p->config_lanes, r->job_count, run_job, job_done, r);
    }
    r->gate = NULL; /* no job runs any more */

    int error = 0;
    if (r->failed) {
        skycrate__outcome *o = &r->outcomes[r->failed_job];
        error =
            fail(r, r->jobs[r->failed_job], o->rc, skycrate__buf_cstr(&o->message), FATE_MAY_EXIST);
    } else if ((error = probe_writes(r)) == 0) {
        skycrate__journal_op op = {
            .kind = SKYCRATE__J_ACTIVE, .results = r->results, .result_count = r->result_count};
        error = journal(r, &op);
    }
    skycrate__outcome_dispose(&r->refusal);
    unplan(r);
    return error;
}

/*
 * Starts the configuration requests early, on all lanes but the create's, when they will run
 * concurrently on the default transport (which connects, then waits at `gate`). NULL when not.
 */
static skycrate__lanes *start_early(run *r, skycrate__http_gate *gate)
{
    skycrate_provisioner *p = r->p;
    if (p->config_lanes < 2 || p->tuning.late_lanes ||
        !skycrate__http_transport_connects_early(p->client->transport))
        return NULL;
    plan(r);
    size_t lanes = r->job_count < p->config_lanes ? r->job_count : p->config_lanes;
    skycrate__lanes *batch = NULL;
    if (lanes >= 2 && skycrate__http_gate_init(gate) == 0) {
        r->gate = gate;
        batch = skycrate__lanes_start(p->config_lanes, (unsigned int)lanes - 1, r->job_count,
                                      run_job, r);
        if (!batch) {
            r->gate = NULL;
            skycrate__http_gate_dispose(gate);
        }
    }
    skycrate_error_clear(); /* not starting early is no failure */
    if (!batch)
        unplan(r);
    return batch;
}

/* The create (`resumed`: see create()), then the configuration steps. */
static int create_and_configure(run *r, bool resumed)
{
    skycrate__http_gate gate;
    skycrate__lanes *batch = start_early(r, &gate);
    r->batch = batch;
    int error = create(r, resumed);
    r->batch = NULL;
    if (!batch)
        return error != 0 ? error : configure(r, NULL);
    resolve_gate(r, false); /* still closed: the create did not succeed for this name */
    if (error == 0 && !skycrate__http_gate_cancelled(&gate)) {
        error = configure(r, batch);
    } else {
        /* Cancelled: no request was sent (after a rename, the steps run again for the new
         * name). Or opened, and journaling the create failed: the record stays unfinished
         * and a resume sends the steps again. */
        skycrate__lanes_abandon(batch);
        r->gate = NULL;
        unplan(r);
        if (error == 0)
            error = configure(r, NULL);
    }
    skycrate__http_gate_dispose(&gate);
    return error;
}

/* Whether the record (last read) names `bucket`, as its bucket or as a leftover. */
static bool record_names(const run *r, const char *bucket)
{
    if (!strcmp(skycrate__record_str(r->record, "bucket"), bucket))
        return true;
    const json_t *leftovers = json_object_get(r->record, "leftovers");
    for (size_t i = 0; i < json_array_size(leftovers); i++)
        if (!strcmp(json_string_value(json_array_get(leftovers, i)), bucket))
            return true;
    return false;
}

/* The name of a new aws bucket: skycrate-{user}-{time}, with a nonce when the record names it
 * already (a provisioning in the same second): a name given up, deprovisioned or left over is
 * never taken again, so an old CreateBucket still in flight cannot land on the new record. */
static int new_name(run *r)
{
    skycrate_provisioner *p = r->p;
    int64_t now = skycrate__now_ms() / 1000;
    int error = skycrate__bucket_name_make(r->bucket, p->prefix, r->user_id, now, 0);
    for (uint32_t nonce = 0; error == 0 && r->record && record_names(r, r->bucket);) {
        if ((error = skycrate__random_bytes(&nonce, sizeof(nonce))) == 0 && nonce)
            error = skycrate__bucket_name_make(r->bucket, p->prefix, r->user_id, now, nonce);
    }
    return error;
}

/* A new provisioning, replacing a record absent, failed or deleted (expect_*). */
static int fresh(run *r, const char *expect_bucket, const char *expect_state)
{
    skycrate_provisioner *p = r->p;
    int error = p->dev ? skycrate__bucket_name_dev(r->bucket, p->prefix, r->user_id) : new_name(r);
    if (error < 0)
        return error;
    skycrate__journal_op op = {.kind = SKYCRATE__J_BEGIN,
                               .expect_bucket = expect_bucket,
                               .expect_state = expect_state,
                               .bucket = r->bucket,
                               .region = p->region,
                               .endpoint = p->endpoint,
                               .dev = p->dev,
                               .mode = p->mode,
                               .profile = &p->profile};
    json_t *result = NULL;
    if ((error = skycrate__journal(&result, p, r->user_id, &op)) < 0)
        return error;
    if (op.changed) {
        json_decref(result);
        return RESTART;
    }
    set_record(r, result);
    if (p->dev)
        return 0;
    return create_and_configure(r, false);
}

/* Continues a provisioning that an earlier call did not finish. */
static int resume(run *r)
{
    skycrate_provisioner *p = r->p;
    int error = skycrate__provisioner_target(p, r->record);
    if (error < 0)
        return error;
    snprintf(r->bucket, sizeof(r->bucket), "%s", skycrate__record_str(r->record, "bucket"));
    skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "resuming the provisioning of %s for user '%.64s'",
                  r->bucket, r->user_id);
    if (!skycrate__record_has_step(r->record, "stepsDone", SKYCRATE_STEP_CREATE))
        return create_and_configure(r, true);
    return configure(r, NULL);
}

/* A failed provisioning whose bucket may still exist: delete it before starting over. */
static int clean_up_failed(run *r)
{
    const char *bucket = skycrate__record_str(r->record, "bucket");
    int error = skycrate__provisioner_target(r->p, r->record);
    if (error < 0)
        return error;
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    error = delete_bucket(&o, r->p, bucket);
    if (skycrate__outcome_not_found(&o))
        error = 0;
    skycrate__outcome_dispose(&o);
    if (error < 0)
        return skycrate__error_prefix("user '%.64s': the bucket %s of a failed provisioning "
                                      "could not be deleted",
                                      r->user_id, bucket);
    snprintf(r->bucket, sizeof(r->bucket), "%s", bucket);
    skycrate__journal_op op = {.kind = SKYCRATE__J_ROLLED_BACK, .expect_state = "failed"};
    return journal(r, &op);
}

/* Deletes the buckets the record lists as leftovers. One that cannot be deleted stays listed
 * (a warning): it does not stop this provisioning. */
static void clear_leftovers(run *r)
{
    if (!r->p->client || json_array_size(json_object_get(r->record, "leftovers")) == 0)
        return;
    if (skycrate__provisioner_target(r->p, r->record) < 0 ||
        skycrate__leftovers_clear(r->p, r->user_id, r->record) < 0) {
        skycrate__log(SKYCRATE_LOG_LEVEL_WARN, "%s", skycrate_error_last()->message);
        skycrate_error_clear();
    }
}

static int attempt(run *r)
{
    skycrate_provisioner *p = r->p;
    json_t *record = NULL;
    int error = skycrate__provisioner_load(&record, p, r->user_id);
    if (error == SKYCRATE_ENOTFOUND)
        return fresh(r, NULL, NULL);
    if (error < 0)
        return error;
    set_record(r, record);
    skycrate_state state = skycrate__record_state(record);
    bool dev = skycrate__record_is_dev(record);
    if (!dev)
        clear_leftovers(r);
    if (dev != p->dev && state != SKYCRATE_STATE_FAILED && state != SKYCRATE_STATE_DELETED)
        return skycrate__error_set(SKYCRATE_EEXISTS,
                                   "user '%.64s' has a %s-mode record: deprovision it first",
                                   r->user_id, dev ? "dev" : "aws");
    switch (state) {
    case SKYCRATE_STATE_ACTIVE: return 0;
    case SKYCRATE_STATE_PROVISIONING: return resume(r);
    case SKYCRATE_STATE_DEPROVISIONING:
        return skycrate__error_set(SKYCRATE_ECONFLICT,
                                   "user '%.64s': a deprovisioning is unfinished: "
                                   "deprovision again to finish it first",
                                   r->user_id);
    case SKYCRATE_STATE_FAILED:
        if (!dev && !json_is_true(json_object_get(record, "rolledBack")) &&
            (error = clean_up_failed(r)) != 0)
            return error;
        break;
    case SKYCRATE_STATE_DELETED: break;
    }
    char old_bucket[SKYCRATE__BUCKET_NAME_MAX + 1];
    snprintf(old_bucket, sizeof(old_bucket), "%s", skycrate__record_str(r->record, "bucket"));
    return fresh(r, old_bucket, skycrate__state_name(state));
}

/* The transaction: attempts that start over (at most RESTARTS times) when the record changed
 * under them; on success the record as stored at the end. */
static int provision_run(json_t **record_out, skycrate_provisioner *p, const char *user_id)
{
    run r;
    memset(&r, 0, sizeof(r));
    r.p = p;
    r.user_id = user_id;
    int error = RESTART;
    for (int i = 0; i < RESTARTS && error == RESTART; i++)
        error = attempt(&r);
    if (error == RESTART)
        error = skycrate__error_set(SKYCRATE_ECONFLICT,
                                    "the record of user '%.64s' keeps changing: another "
                                    "process is provisioning it",
                                    user_id);
    if (error == 0)
        *record_out = json_incref(r.record);
    json_decref(r.record);
    return error;
}

int skycrate_provisioner_provision(skycrate_record **out, skycrate_provisioner *p,
                                   const char *user_id)
{
    json_t *record = NULL;
    if (out)
        *out = NULL;
    int error = skycrate__provisioner_check_call(p, user_id);
    if (error == 0)
        error = provision_run(&record, p, user_id);
    if (error == 0 && out)
        error = skycrate__record_wrap(out, record);
    json_decref(record);
    return error;
}
