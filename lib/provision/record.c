/*
 * The user's record: accessors of the public record object and the journal (changes applied
 * with the store's compare-and-swap).
 * SPDX-License-Identifier: MIT
 */
#include "provision/record.h"

#include <string.h>

#include "core/common.h"
#include "core/syntax.h"
#include "core/time.h"
#include "provision/steps.h"
#include "s3/bucket_name.h"
#include "store/store.h"

/* The fields the provisioner owns, in the order it writes them. Others are the application's
 * and are kept as they are. */
static const char *const own_fields[] = {
    "userId",     "bucket",       "region",    "endpoint",     "mode",         "failureMode",
    "state",      "stepsPlanned", "stepsDone", "stepsSkipped", "nameAttempts", "error",
    "failedStep", "rolledBack",   "createdAt", "updatedAt",    "deletedAt",    "deprovision"};

static const char *const state_names[] = {NULL,     "provisioning",   "active",
                                          "failed", "deprovisioning", "deleted"};

const char *skycrate__state_name(skycrate_state state)
{
    if ((int)state < 1 || (size_t)state >= SKYCRATE_ARRAY_SIZE(state_names))
        return NULL;
    return state_names[state];
}

const char *skycrate_state_name(skycrate_state state)
{
    return skycrate__state_name(state);
}

const char *skycrate__record_str(const json_t *record, const char *field)
{
    const char *s = json_string_value(json_object_get(record, field));
    return s ? s : "";
}

skycrate_state skycrate__record_state(const json_t *record)
{
    const char *s = skycrate__record_str(record, "state");
    for (size_t i = 1; i < SKYCRATE_ARRAY_SIZE(state_names); i++)
        if (!strcmp(s, state_names[i]))
            return (skycrate_state)i;
    return (skycrate_state)0;
}

bool skycrate__record_has_step(const json_t *record, const char *field, skycrate_step step)
{
    const char *name = skycrate_step_name(step);
    json_t *array = json_object_get(record, field);
    size_t i;
    json_t *v;
    if (!name)
        return false;
    json_array_foreach(array, i, v)
    {
        const char *s = json_is_object(v) ? json_string_value(json_object_get(v, "step"))
                                          : json_string_value(v);
        if (s && !strcmp(s, name))
            return true;
    }
    return false;
}

/* The fields a request is built from must pass the checks a caller's values pass: a record
 * is a file's content that anyone with write access to it may have changed. */
static int check_target(const json_t *record, const char *user_id)
{
    const char *bucket = skycrate__record_str(record, "bucket");
    const char *region = skycrate__record_str(record, "region");
    if (!skycrate__bucket_name_valid(bucket))
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "the record of user '%.64s' is broken: its bucket is not a "
                                   "valid bucket name",
                                   user_id);
    if (*region && !skycrate__region_ok(region))
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "the record of user '%.64s' is broken: its region is not a "
                                   "region name",
                                   user_id);
    json_t *leftovers = json_object_get(record, "leftovers");
    for (size_t i = 0; i < json_array_size(leftovers); i++)
        if (!skycrate__bucket_name_valid(json_string_value(json_array_get(leftovers, i))))
            return skycrate__error_set(SKYCRATE_EPARSE,
                                       "the record of user '%.64s' is broken: leftover %zu is "
                                       "not a valid bucket name",
                                       user_id, i);
    static const char *const texts[] = {"region", "endpoint", "mode"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(texts); i++) {
        json_t *v = json_object_get(record, texts[i]);
        if (v && !json_is_string(v))
            return skycrate__error_set(SKYCRATE_EPARSE,
                                       "the record of user '%.64s' is broken: %s is not a string",
                                       user_id, texts[i]);
    }
    return 0;
}

int skycrate__record_check(const json_t *record, const char *user_id)
{
    if (!json_object_get(record, "state") && !json_object_get(record, "bucket"))
        return skycrate__error_set(SKYCRATE_ENOTFOUND, "user '%.64s' has no bucket yet", user_id);
    if (!json_is_string(json_object_get(record, "userId")) ||
        !json_is_string(json_object_get(record, "bucket")) || !skycrate__record_state(record))
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "the record of user '%.64s' is not a provisioner record "
                                   "(userId, bucket and state are missing or unknown)",
                                   user_id);
    if (strcmp(json_string_value(json_object_get(record, "userId")), user_id) != 0)
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "the record stored for user '%.64s' is another user's", user_id);
    static const char *const lists[] = {"stepsPlanned", "stepsDone", "stepsSkipped", "leftovers"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(lists); i++) {
        json_t *list = json_object_get(record, lists[i]);
        if (list && !json_is_array(list))
            return skycrate__error_set(SKYCRATE_EPARSE,
                                       "the record of user '%.64s' is broken: %s is not a list",
                                       user_id, lists[i]);
    }
    return check_target(record, user_id);
}

#define VALID(r) SKYCRATE_VALID_HANDLE(r, SKYCRATE_MAGIC_RECORD)

int skycrate__record_wrap(skycrate_record **out, json_t *json)
{
    skycrate_record *r = skycrate__calloc(1, sizeof(*r));
    if (!r)
        return skycrate__error_nomem();
    r->magic = SKYCRATE_MAGIC_RECORD;
    r->json = json_incref(json);
    *out = r;
    return 0;
}

/* ---- the public record ---- */

void skycrate_record_free(skycrate_record *record)
{
    if (VALID(record)) {
        json_decref(record->json);
        record->magic = 0;
        skycrate__free(record);
    }
}

const char *skycrate_record_user_id(const skycrate_record *r)
{
    return VALID(r) ? skycrate__record_str(r->json, "userId") : "";
}

const char *skycrate_record_bucket(const skycrate_record *r)
{
    return VALID(r) ? skycrate__record_str(r->json, "bucket") : "";
}

const char *skycrate_record_region(const skycrate_record *r)
{
    return VALID(r) ? skycrate__record_str(r->json, "region") : "";
}

const char *skycrate_record_endpoint(const skycrate_record *r)
{
    return VALID(r) ? skycrate__record_str(r->json, "endpoint") : "";
}

const char *skycrate_record_mode(const skycrate_record *r)
{
    return VALID(r) ? skycrate__record_str(r->json, "mode") : "";
}

skycrate_state skycrate_record_state(const skycrate_record *r)
{
    return VALID(r) ? skycrate__record_state(r->json) : (skycrate_state)0;
}

skycrate_step_status skycrate_record_step(const skycrate_record *r, skycrate_step step)
{
    if (!VALID(r) || !skycrate_step_name(step))
        return SKYCRATE_STEP_STATUS_OFF;
    if (skycrate__record_has_step(r->json, "stepsDone", step))
        return SKYCRATE_STEP_STATUS_DONE;
    if (skycrate__record_has_step(r->json, "stepsSkipped", step))
        return SKYCRATE_STEP_STATUS_SKIPPED;
    if (skycrate__record_has_step(r->json, "stepsPlanned", step))
        return SKYCRATE_STEP_STATUS_PENDING;
    return SKYCRATE_STEP_STATUS_OFF;
}

const char *skycrate_record_step_note(const skycrate_record *r, skycrate_step step)
{
    const char *name = skycrate_step_name(step);
    size_t i;
    json_t *v;
    if (!VALID(r) || !name)
        return "";
    static const char *const lists[] = {"stepsSkipped", "stepsAdapted"};
    for (size_t l = 0; l < SKYCRATE_ARRAY_SIZE(lists); l++)
        json_array_foreach(json_object_get(r->json, lists[l]), i, v)
        {
            if (!strcmp(skycrate__record_str(v, "step"), name))
                return skycrate__record_str(v, "note");
        }
    return "";
}

const char *skycrate_record_error(const skycrate_record *r)
{
    return VALID(r) ? skycrate__record_str(r->json, "error") : "";
}

static int64_t time_field(const json_t *record, const char *field)
{
    int64_t t = 0;
    if (skycrate__parse_iso8601(&t, skycrate__record_str(record, field)) < 0)
        return 0;
    return t;
}

int64_t skycrate_record_created_at(const skycrate_record *r)
{
    return VALID(r) ? time_field(r->json, "createdAt") : 0;
}

int64_t skycrate_record_updated_at(const skycrate_record *r)
{
    return VALID(r) ? time_field(r->json, "updatedAt") : 0;
}

int skycrate_record_to_json(char **out, const skycrate_record *r, uint32_t flags)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_RECORD);
    return skycrate__json_render(out, r->json, flags);
}

/* ---- the journal ---- */

/* json_object_set_new and friends, with the library's error convention. */
static int set(json_t *object, const char *key, json_t *value)
{
    if (!value || json_object_set_new(object, key, value) < 0)
        return skycrate__error_nomem();
    return 0;
}

static int set_str(json_t *object, const char *key, const char *value)
{
    return set(object, key, json_string(value));
}

static int append(json_t *array, json_t *value)
{
    if (!value || json_array_append_new(array, value) < 0)
        return skycrate__error_nomem();
    return 0;
}

static bool own_field(const char *key)
{
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(own_fields); i++)
        if (!strcmp(key, own_fields[i]))
            return true;
    return false;
}

static int begin(json_t **out, const json_t *old, const skycrate__journal_op *op,
                 const char *user_id, const char *now)
{
    json_t *r = json_object(), *planned = json_array(), *done = json_array(),
           *skipped = json_array();
    int error = 0;
    if (!r || !planned || !done || !skipped) {
        error = skycrate__error_nomem();
        goto done;
    }
    for (int s = 0; s < SKYCRATE__STEP_COUNT; s++) {
        if (!skycrate__profile_has_step(op->profile, (skycrate_step)s))
            continue;
        const char *name = skycrate_step_name((skycrate_step)s);
        if ((error = append(planned, json_string(name))) < 0 ||
            (op->dev && (error = append(done, json_string(name))) < 0))
            goto done;
    }
    if ((error = set_str(r, "userId", user_id)) < 0 ||
        (error = set_str(r, "bucket", op->bucket)) < 0 ||
        (error = set_str(r, "region", op->region)) < 0 ||
        (error = set_str(r, "endpoint", op->endpoint)) < 0 ||
        (error = set_str(r, "mode", op->dev ? "dev" : "aws")) < 0 ||
        (error = set_str(r, "failureMode",
                         op->mode == SKYCRATE_FAILURE_MODE_COMPATIBLE ? "compatible" : "strict")) <
            0 ||
        (error = set_str(r, "state", op->dev ? "active" : "provisioning")) < 0 ||
        (error = set(r, "stepsPlanned", json_incref(planned))) < 0 ||
        (error = set(r, "stepsDone", json_incref(done))) < 0 ||
        (error = set(r, "stepsSkipped", json_incref(skipped))) < 0 ||
        (error = set(r, "nameAttempts", json_integer(1))) < 0 ||
        (error = set_str(r, "createdAt", now)) < 0 || (error = set_str(r, "updatedAt", now)) < 0)
        goto done;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)old, key, v)
    {
        if (!own_field(key) && (error = set(r, key, json_incref(v))) < 0)
            goto done;
    }
done:
    json_decref(planned);
    json_decref(done);
    json_decref(skipped);
    if (error < 0)
        json_decref(r);
    else
        *out = r;
    return error;
}

static int array_field(json_t **out, json_t *record, const char *field)
{
    json_t *a = json_object_get(record, field);
    if (!json_is_array(a)) {
        int error = set(record, field, json_array());
        if (error < 0)
            return error;
        a = json_object_get(record, field);
    }
    *out = a;
    return 0;
}

/* Removes the step from stepsDone and stepsSkipped. */
static void forget_step(json_t *record, const char *name)
{
    const char *fields[] = {"stepsDone", "stepsSkipped"};
    for (size_t f = 0; f < 2; f++) {
        json_t *a = json_object_get(record, fields[f]);
        for (size_t i = json_array_size(a); i-- > 0;) {
            json_t *v = json_array_get(a, i);
            const char *s =
                json_is_object(v) ? skycrate__record_str(v, "step") : json_string_value(v);
            if (s && !strcmp(s, name))
                json_array_remove(a, i);
        }
    }
}

static int step_skipped(json_t *record, const char *name, const skycrate__outcome *answer)
{
    json_t *skipped, *entry = json_object();
    skycrate__buf note = SKYCRATE_BUF_INIT;
    const skycrate_response_info *i = &answer->rec.info;
    int error = 0;
    if (!entry) {
        error = skycrate__error_nomem();
        goto done;
    }
    forget_step(record, name);
    if ((error = array_field(&skipped, record, "stepsSkipped")) < 0 ||
        (error = skycrate__outcome_note(&note, answer)) < 0 ||
        (error = set_str(entry, "step", name)) < 0 ||
        (error = set(entry, "status", json_integer(i->http_status))) < 0 ||
        (error = set_str(entry, "code", i->s3_code)) < 0 ||
        (error = set_str(entry, "message", i->s3_message)) < 0 ||
        (error = set_str(entry, "note", skycrate__buf_cstr(&note))) < 0)
        goto done;
    error = append(skipped, json_incref(entry));
done:
    json_decref(entry);
    skycrate__buf_dispose(&note);
    return error;
}

/* The step was done with a change the server forced; the record keeps the answer. */
static int step_adapted(json_t *record, const char *name, const skycrate__outcome *answer)
{
    json_t *adapted, *entry = json_object();
    skycrate__buf note = SKYCRATE_BUF_INIT;
    const skycrate_response_info *i = &answer->rec.info;
    int error = entry ? 0 : skycrate__error_nomem();
    if (error == 0 &&
        (error = skycrate__buf_puts(&note, "BlockPublicAcls left off: with it the "
                                           "server refused an upload (")) == 0 &&
        (error = skycrate__outcome_note(&note, answer)) == 0)
        error = skycrate__buf_putc(&note, ')');
    if (error < 0 || (error = array_field(&adapted, record, "stepsAdapted")) < 0 ||
        (error = set_str(entry, "step", name)) < 0 ||
        (error = set_str(entry, "change", "BlockPublicAcls=false")) < 0 ||
        (error = set(entry, "status", json_integer(i->http_status))) < 0 ||
        (error = set_str(entry, "code", i->s3_code)) < 0 ||
        (error = set_str(entry, "note", skycrate__buf_cstr(&note))) < 0)
        goto done;
    error = append(adapted, json_incref(entry));
done:
    json_decref(entry);
    skycrate__buf_dispose(&note);
    return error;
}

static int step_done(json_t *record, const char *name)
{
    json_t *done;
    forget_step(record, name);
    int error = array_field(&done, record, "stepsDone");
    return error < 0 ? error : append(done, json_string(name));
}

/* The configuration steps of a batch, in the order they completed. */
static int step_results(json_t *record, const skycrate__journal_op *op)
{
    int error = 0;
    for (size_t i = 0; i < op->result_count && error == 0; i++) {
        const skycrate__step_result *res = &op->results[i];
        const char *name = skycrate_step_name(res->step);
        if (!name)
            return skycrate__error_set(SKYCRATE_EINVAL, "journal: unknown step %d", (int)res->step);
        error = res->skipped ? step_skipped(record, name, res->skipped) : step_done(record, name);
        if (error == 0 && res->adapted)
            error = step_adapted(record, name, res->adapted);
    }
    return error;
}

static int add_count(json_t *object, const char *key, uint64_t n)
{
    json_int_t old = json_integer_value(json_object_get(object, key));
    return set(object, key, json_integer(old + (json_int_t)n));
}

static int deprovision_object(json_t **out, json_t *record, const char *now)
{
    json_t *d = json_object_get(record, "deprovision");
    int error = 0;
    if (!json_is_object(d)) {
        if ((error = set(record, "deprovision", json_object())) < 0)
            return error;
        d = json_object_get(record, "deprovision");
        if ((error = set_str(d, "startedAt", now)) < 0 ||
            (error = set(d, "versions", json_integer(0))) < 0 ||
            (error = set(d, "deleteMarkers", json_integer(0))) < 0 ||
            (error = set(d, "uploads", json_integer(0))) < 0 ||
            (error = set(d, "bytes", json_integer(0))) < 0)
            return error;
    }
    *out = d;
    return 0;
}

typedef struct journal_ctx {
    skycrate__journal_op *op;
    const char *user_id;
} journal_ctx;

static bool expected(const json_t *r, const skycrate__journal_op *op)
{
    if (!op->expect_bucket) /* absent, or the application's fields only */
        return r == NULL || (!json_object_get(r, "state") && !json_object_get(r, "bucket"));
    if (!r || strcmp(skycrate__record_str(r, "bucket"), op->expect_bucket))
        return false;
    return !op->expect_state || !strcmp(skycrate__record_str(r, "state"), op->expect_state);
}

/* The end of a successful provisioning: every step's result, no error left. */
static int mark_active(json_t *r, const skycrate__journal_op *op)
{
    int error = step_results(r, op);
    if (error < 0)
        return error;
    json_object_del(r, "error");
    json_object_del(r, "failedStep");
    json_object_del(r, "rolledBack");
    return set_str(r, "state", "active");
}

static int mark_failed(json_t *r, const skycrate__journal_op *op, const char *step)
{
    int error;
    if ((error = step_results(r, op)) < 0 || (error = set_str(r, "state", "failed")) < 0 ||
        (error = set_str(r, "error", op->error ? op->error : "")) < 0 ||
        (error = set_str(r, "failedStep", step ? step : "")) < 0)
        return error;
    return set(r, "rolledBack", json_boolean(op->rolled_back));
}

/* Adds a deletion batch to the record's "deprovision" counts. */
static int add_progress(json_t *r, const skycrate__journal_op *op, const char *now)
{
    json_t *d;
    int error;
    if ((error = deprovision_object(&d, r, now)) < 0 ||
        (error = add_count(d, "versions", op->counts.versions)) < 0 ||
        (error = add_count(d, "deleteMarkers", op->counts.delete_markers)) < 0 ||
        (error = add_count(d, "uploads", op->counts.uploads)) < 0)
        return error;
    return add_count(d, "bytes", op->counts.bytes);
}

/* Whether the record names `bucket` as one that exists or may: provisioning, active,
 * deprovisioning, or failed and not rolled back. */
static bool names_live(const json_t *r, const char *bucket)
{
    if (!r || strcmp(skycrate__record_str(r, "bucket"), bucket))
        return false;
    skycrate_state state = skycrate__record_state(r);
    if (state == SKYCRATE_STATE_FAILED)
        return !json_is_true(json_object_get(r, "rolledBack"));
    return state != SKYCRATE_STATE_DELETED && state != 0;
}

/* LEFTOVER and LEFTOVER_GONE: whatever the record's state. */
static int leftover_change(json_t **record, skycrate__journal_op *op, const char *user_id)
{
    json_t *r = *record, *list = NULL;
    int error = 0;
    if (op->kind == SKYCRATE__J_LEFTOVER && names_live(r, op->bucket)) {
        op->changed = true;
        return SKYCRATE__USER_STORE_UNCHANGED;
    }
    if (!r) {
        if (op->kind == SKYCRATE__J_LEFTOVER_GONE)
            return SKYCRATE__USER_STORE_UNCHANGED;
        if (!(r = json_object()) || (error = set_str(r, "userId", user_id)) < 0) {
            json_decref(r);
            return error < 0 ? error : skycrate__error_nomem();
        }
        *record = r;
    }
    if ((error = array_field(&list, r, "leftovers")) < 0)
        return error;
    for (size_t i = json_array_size(list); i-- > 0;) {
        const char *name = json_string_value(json_array_get(list, i));
        if (name && !strcmp(name, op->bucket))
            json_array_remove(list, i);
    }
    if (op->kind == SKYCRATE__J_LEFTOVER)
        error = append(list, json_string(op->bucket));
    else if (json_array_size(list) == 0)
        json_object_del(r, "leftovers");
    return error;
}

static int modify(json_t **record, void *vctx)
{
    journal_ctx *ctx = vctx;
    skycrate__journal_op *op = ctx->op;
    json_t *r = *record, *a, *d;
    char now[21];
    const char *step = skycrate_step_name(op->step);
    int error = 0;
    skycrate__format_iso8601(now, skycrate__now_ms() / 1000);
    if (op->kind == SKYCRATE__J_LEFTOVER || op->kind == SKYCRATE__J_LEFTOVER_GONE) {
        if ((error = leftover_change(record, op, ctx->user_id)) != 0)
            return error;
        return set_str(*record, "updatedAt", now);
    }
    op->changed = !expected(r, op);
    if (op->changed)
        return SKYCRATE__USER_STORE_UNCHANGED;

    switch (op->kind) {
    case SKYCRATE__J_BEGIN:
        if ((error = begin(&a, r, op, ctx->user_id, now)) < 0)
            return error;
        json_decref(r);
        *record = a;
        return 0;
    case SKYCRATE__J_RENAME:
        error = set_str(r, "bucket", op->bucket);
        if (error == 0)
            error = add_count(r, "nameAttempts", 1);
        break;
    case SKYCRATE__J_STEP_DONE: error = step_done(r, step); break;
    case SKYCRATE__J_ACTIVE: error = mark_active(r, op); break;
    case SKYCRATE__J_FAILED: error = mark_failed(r, op, step); break;
    case SKYCRATE__J_ROLLED_BACK: error = set(r, "rolledBack", json_true()); break;
    case SKYCRATE__J_DEPROVISION:
        json_object_del(r, "error");
        if ((error = set_str(r, "state", "deprovisioning")) == 0)
            error = deprovision_object(&d, r, now);
        break;
    case SKYCRATE__J_PROGRESS: error = add_progress(r, op, now); break;
    case SKYCRATE__J_DEPROVISION_ERROR:
        error = set_str(r, "error", op->error ? op->error : "");
        break;
    case SKYCRATE__J_DELETED:
        json_object_del(r, "error");
        if ((error = set_str(r, "state", "deleted")) == 0)
            error = set_str(r, "deletedAt", now);
        break;
    default: break; /* the leftovers' changes are made above */
    }
    if (error == 0)
        error = set_str(r, "updatedAt", now);
    return error;
}

int skycrate__journal(json_t **result_out, skycrate_provisioner *p, const char *user_id,
                      skycrate__journal_op *op)
{
    journal_ctx ctx = {op, user_id};
    return skycrate__user_store_update(result_out, p->store, user_id, modify, &ctx);
}
