/*
 * A user's record (the journal of provisioning and deprovisioning) and the changes made to it,
 * each one a compare-and-swap update of the user store that cannot lose a concurrent write and
 * that refuses to apply when the record is no longer the one the operation started from.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_RECORD_H
#define SKYCRATE_PROVISION_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "provision/provisioner.h"
#include "provision/steps.h"

struct skycrate_record {
    uint32_t magic;
    json_t *json; /* a JSON object, owned */
};

/* Wraps a record (takes a new reference). 0 or SKYCRATE_ENOMEM. */
int skycrate__record_wrap(skycrate_record **out, json_t *json);

/* A string field of a record, "" when absent or not a string. */
const char *skycrate__record_str(const json_t *record, const char *field);
/* The record's state, 0 when unknown. */
skycrate_state skycrate__record_state(const json_t *record);
/* The name of a state, or NULL. */
const char *skycrate__state_name(skycrate_state state);
/*
 * Checks a record read from the store before anything acts on it: SKYCRATE_ENOTFOUND when it
 * holds the application's own fields only (no provisioning yet); SKYCRATE_EPARSE when it is
 * not a provisioner record of `user_id` (missing or unknown userId, bucket, state; another
 * user's; step lists that are not lists) or names a target no request may go to (a bucket or
 * a leftover that is not a valid bucket name, a region that is not a region name).
 */
int skycrate__record_check(const json_t *record, const char *user_id);

/* Whether the array `field` (stepsDone, stepsPlanned) holds the step's name, or (stepsSkipped)
 * an object whose "step" is it. */
bool skycrate__record_has_step(const json_t *record, const char *field, skycrate_step step);

/* The kinds of change. */
typedef enum skycrate__journal_kind {
    SKYCRATE__J_BEGIN,             /* a new provisioning: the record is (re)written from scratch */
    SKYCRATE__J_RENAME,            /* a new bucket name after BucketAlreadyExists */
    SKYCRATE__J_STEP_DONE,         /* a step done (the create) */
    SKYCRATE__J_ACTIVE,            /* provisioning finished (with the batch's results) */
    SKYCRATE__J_FAILED,            /* provisioning failed; rolled back or not (the same) */
    SKYCRATE__J_ROLLED_BACK,       /* the bucket of a failed provisioning is gone now */
    SKYCRATE__J_DEPROVISION,       /* deprovisioning begins (or resumes) */
    SKYCRATE__J_PROGRESS,          /* deprovisioning: counts deleted so far (added) */
    SKYCRATE__J_DEPROVISION_ERROR, /* deprovisioning stopped; the reason */
    SKYCRATE__J_DELETED,           /* the bucket is gone */
    /* A bucket created while the record moved on (leftover.h): listed in "leftovers", unless
     * the record names it as live (then `changed` is set and nothing is written). Any record,
     * any state; an absent record is made with the list alone. */
    SKYCRATE__J_LEFTOVER,
    SKYCRATE__J_LEFTOVER_GONE /* a leftover is deleted: struck from the list */
} skycrate__journal_kind;

/* Counts of a deprovisioning, kept in the record's "deprovision" object. */
typedef struct skycrate__deletion_counts {
    uint64_t versions, delete_markers, uploads, bytes;
} skycrate__deletion_counts;

/* One configuration step's result. The configuration steps are idempotent PUTs, so they are
 * journaled together, with the change that ends their batch (ACTIVE or FAILED): a process
 * killed before that change sends them again, and nothing else. */
typedef struct skycrate__step_result {
    skycrate_step step;
    const skycrate__outcome *skipped; /* NULL: done; else skipped, with the server's answer */
    /* Done with an adaptation to the server (public access block: BlockPublicAcls left off),
     * with the answer that made it necessary; NULL: done as the profile says. */
    const skycrate__outcome *adapted;
} skycrate__step_result;

typedef struct skycrate__journal_op {
    skycrate__journal_kind kind;
    /*
     * What the record must still be for the change to apply (else `changed` is set and nothing
     * is written): for BEGIN, absent or in `expect_state` with `expect_bucket` (NULL: absent,
     * or holding neither "state" nor "bucket");
     * for the others, a record of this mode with bucket `expect_bucket` in state `expect_state`
     * (NULL: any state).
     */
    const char *expect_bucket;
    const char *expect_state;
    /* BEGIN: the new record's bucket, region, endpoint, dev flag (dev records start active,
     * every planned step done). RENAME: the new bucket. LEFTOVER, LEFTOVER_GONE: the bucket. */
    const char *bucket;
    const char *region;
    const char *endpoint;
    bool dev;
    skycrate_failure_mode mode;
    const skycrate__profile *profile; /* BEGIN: the planned steps */
    skycrate_step step;               /* STEP_DONE / FAILED */
    /* ACTIVE / FAILED: the configuration steps done or skipped, added to the record first */
    const skycrate__step_result *results;
    size_t result_count;
    const char *error;                /* FAILED / DEPROVISION_ERROR: the reason */
    bool rolled_back;                 /* FAILED */
    skycrate__deletion_counts counts; /* PROGRESS: added to the record's */
    bool changed;                     /* out: the record was not what was expected */
} skycrate__journal_op;

/*
 * Applies one change to the user's record. 0 (also when `changed` was set and nothing was
 * written), or the store's code. `result_out` (optional) receives the record now stored.
 */
int skycrate__journal(json_t **result_out, skycrate_provisioner *p, const char *user_id,
                      skycrate__journal_op *op);

#endif
