/*
 * Verify (drift check): HeadBucket (with the region from x-amz-bucket-region), then every
 * configuration of the profile read back concurrently and compared with it. The root element
 * of each answer is checked first: some servers answer an unknown subresource with a bucket
 * listing and 200.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "core/lanes.h"
#include "provision/reports.h"
#include "provision/steps.h"
#include "store/store.h"
#include "xml/xml.h"

typedef struct ver {
    skycrate_provisioner *p;
    const json_t *record;
    const char *bucket;
    skycrate_verify_report *report;
    skycrate_step jobs[SKYCRATE__STEP_COUNT];
    skycrate__outcome outcomes[SKYCRATE__STEP_COUNT];
    size_t job_count;
} ver;

static int item(skycrate_verify_report *r, skycrate_step step, skycrate_verify_status status,
                const char *fmt, const char *a, const char *b)
{
    skycrate__verify_item *it = &r->items[step];
    it->status = status;
    skycrate__buf_clear(&it->detail);
    return fmt ? skycrate__buf_printf(&it->detail, fmt, a ? a : "", b ? b : "") : 0;
}

static const char *text(const skycrate__xml_node *n, const char *name)
{
    const char *t = n ? skycrate__xml_child_text(n, name) : NULL;
    return t ? t : "";
}

/* Each check returns NULL when the document matches, else what differs (static text) with
 * the field name in *field. */

static const char *check_pab(const skycrate__profile *p, const skycrate__xml_node *root,
                             const char **field)
{
    static const struct {
        const char *name;
        uint32_t flag;
    } fields[] = {{"BlockPublicAcls", SKYCRATE_PAB_BLOCK_PUBLIC_ACLS},
                  {"IgnorePublicAcls", SKYCRATE_PAB_IGNORE_PUBLIC_ACLS},
                  {"BlockPublicPolicy", SKYCRATE_PAB_BLOCK_PUBLIC_POLICY},
                  {"RestrictPublicBuckets", SKYCRATE_PAB_RESTRICT_PUBLIC_BUCKETS}};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(fields); i++) {
        bool want = (p->public_access_block & fields[i].flag) != 0;
        bool have = !strcmp(text(root, fields[i].name), "true");
        if (want != have) {
            *field = fields[i].name;
            return want ? "%s is false; the profile wants true%s"
                        : "%s is true; the profile wants false%s";
        }
    }
    return NULL;
}

static const char *check_encryption(const skycrate__profile *p, const skycrate__xml_node *root,
                                    const char **field)
{
    bool kms = p->encryption == SKYCRATE_ENCRYPTION_KMS;
    const skycrate__xml_node *rule = skycrate__xml_child(root, "Rule");
    const skycrate__xml_node *def =
        rule ? skycrate__xml_child(rule, "ApplyServerSideEncryptionByDefault") : NULL;
    *field = text(def, "SSEAlgorithm");
    if (strcmp(*field, kms ? "aws:kms" : "AES256") != 0)
        return kms ? "SSEAlgorithm is '%s'; the profile wants aws:kms%s"
                   : "SSEAlgorithm is '%s'; the profile wants AES256%s";
    if (kms && p->kms_key_id && strcmp(text(def, "KMSMasterKeyID"), p->kms_key_id) != 0) {
        *field = text(def, "KMSMasterKeyID");
        return "KMSMasterKeyID is '%s', not the profile's key%s";
    }
    if (kms && p->bucket_key && strcmp(text(rule, "BucketKeyEnabled"), "true") != 0) {
        *field = "BucketKeyEnabled";
        return "%s is not true%s";
    }
    return NULL;
}

static const char *check_ownership(const skycrate__profile *p, const skycrate__xml_node *root,
                                   const char **field)
{
    *field = text(skycrate__xml_child(root, "Rule"), "ObjectOwnership");
    if (strcmp(*field, skycrate__ownership_name(p->ownership)) != 0)
        return "ObjectOwnership is '%s', not the profile's%s";
    return NULL;
}

/* Whether the children `name` of `node` are exactly the strings of `want` (in any order). */
static bool same_set(const skycrate__xml_node *node, const char *name, const char *const *want,
                     size_t want_count, bool ignore_case)
{
    if (skycrate__xml_count(node, name) != want_count)
        return false;
    for (size_t i = 0; i < want_count; i++) {
        bool found = false;
        for (const skycrate__xml_node *c = skycrate__xml_child(node, name); c && !found;
             c = skycrate__xml_next(c))
            found = ignore_case ? !strcasecmp(c->text, want[i]) : !strcmp(c->text, want[i]);
        if (!found)
            return false;
    }
    return true;
}

static const char *check_cors(const skycrate__profile *p, const skycrate__xml_node *root,
                              const char **field)
{
    char age[16];
    const char *methods[6];
    size_t method_count = skycrate__cors_methods(methods, p->cors_methods);
    size_t allowed_count, exposed_count;
    const char *const *allowed = skycrate__cors_allowed_headers(p, &allowed_count);
    const char *const *exposed = skycrate__cors_expose_headers(p, &exposed_count);
    snprintf(age, sizeof(age), "%u", p->cors_max_age);
    for (const skycrate__xml_node *rule = skycrate__xml_child(root, "CORSRule"); rule;
         rule = skycrate__xml_next(rule)) {
        if (same_set(rule, "AllowedOrigin", (const char *const *)p->cors_origins.items,
                     p->cors_origins.count, false) &&
            same_set(rule, "AllowedMethod", methods, method_count, false) &&
            same_set(rule, "AllowedHeader", allowed, allowed_count, true) &&
            same_set(rule, "ExposeHeader", exposed, exposed_count, true) &&
            !strcmp(text(rule, "MaxAgeSeconds"), age))
            return NULL;
    }
    *field = "";
    return "no CORS rule has the profile's origins, methods, headers, exposed headers and max "
           "age%s%s";
}

static const char *check_lifecycle(const skycrate__profile *p, const skycrate__xml_node *root,
                                   const char **field)
{
    char days[16];
    snprintf(days, sizeof(days), "%u", p->abort_multipart_days);
    for (const skycrate__xml_node *rule = skycrate__xml_child(root, "Rule"); rule;
         rule = skycrate__xml_next(rule)) {
        const skycrate__xml_node *filter = skycrate__xml_child(rule, "Filter");
        const char *prefix = filter ? text(filter, "Prefix") : text(rule, "Prefix");
        if (!strcmp(text(rule, "Status"), "Enabled") && !*prefix &&
            !strcmp(text(skycrate__xml_child(rule, "AbortIncompleteMultipartUpload"),
                         "DaysAfterInitiation"),
                    days))
            return NULL;
    }
    *field = "";
    return "no enabled rule for every key aborts incomplete multipart uploads after the "
           "profile's number of days%s%s";
}

static const char *tag_value(const skycrate__xml_node *root, const char *key)
{
    const skycrate__xml_node *set = skycrate__xml_child(root, "TagSet");
    for (const skycrate__xml_node *t = set ? skycrate__xml_child(set, "Tag") : NULL; t;
         t = skycrate__xml_next(t))
        if (!strcmp(text(t, "Key"), key))
            return text(t, "Value");
    return NULL;
}

static const char *check_tags(const skycrate__profile *p, const skycrate__xml_node *root,
                              const char **field, const char *owner)
{
    const char *v;
    *field = SKYCRATE__TAG_OWNER;
    if (!(v = tag_value(root, SKYCRATE__TAG_OWNER)) || strcmp(v, owner))
        return "tag %s is missing or differs%s";
    *field = SKYCRATE__TAG_APPLICATION;
    if (p->application &&
        (!(v = tag_value(root, SKYCRATE__TAG_APPLICATION)) || strcmp(v, p->application)))
        return "tag %s is missing or differs%s";
    for (size_t i = 0; i < p->tag_count; i++) {
        *field = p->tags[i].key;
        if (!(v = tag_value(root, p->tags[i].key)) || strcmp(v, p->tags[i].value))
            return "tag %s is missing or differs%s";
    }
    return NULL;
}

/* Whether `value` is `want`, or an array that holds it (policy fields take either form). */
static bool json_has(const json_t *value, const char *want)
{
    size_t i;
    json_t *e;
    if (json_is_string(value))
        return !strcmp(json_string_value(value), want);
    json_array_foreach(value, i, e)
    {
        if (json_is_string(e) && !strcmp(json_string_value(e), want))
            return true;
    }
    return false;
}

/* A statement that denies every principal every S3 action when aws:SecureTransport is false. */
static bool denies_plain_http(const json_t *st)
{
    const json_t *principal = json_object_get(st, "Principal");
    const json_t *action = json_object_get(st, "Action");
    const json_t *secure = json_object_get(
        json_object_get(json_object_get(st, "Condition"), "Bool"), "aws:SecureTransport");
    return !strcmp(skycrate__record_str(st, "Effect"), "Deny") &&
           (json_has(principal, "*") || json_has(json_object_get(principal, "AWS"), "*")) &&
           (json_has(action, "s3:*") || json_has(action, "*")) &&
           (json_is_false(secure) || json_has(secure, "false"));
}

/* The TLS-only policy: such statements must cover the bucket and every object in it. */
static int check_policy(ver *v, const skycrate__outcome *o)
{
    json_t *doc = NULL;
    skycrate_verify_report *r = v->report;
    skycrate__buf arn[2] = {SKYCRATE_BUF_INIT, SKYCRATE_BUF_INIT};
    bool covered[2] = {false, false}, found = false;
    if (skycrate__record_parse(&doc, skycrate__buf_cstr(&o->body), o->body.len, SKYCRATE_EPARSE,
                               "the bucket policy") < 0) {
        skycrate_error_clear();
        return item(r, SKYCRATE_STEP_TLS_POLICY, SKYCRATE_VERIFY_STATUS_UNSUPPORTED,
                    "the answer is not a JSON policy%s%s", NULL, NULL);
    }
    const char *region = skycrate__record_str(v->record, "region");
    const char *partition = skycrate__region_partition(*region ? region : v->p->region);
    int error = skycrate__buf_printf(&arn[0], "arn:%s:s3:::%s", partition, v->bucket);
    if (error == 0)
        error = skycrate__buf_printf(&arn[1], "arn:%s:s3:::%s/*", partition, v->bucket);
    if (error < 0)
        goto done;
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(doc, "Statement"), i, st)
    {
        if (!denies_plain_http(st))
            continue;
        found = true;
        for (size_t k = 0; k < 2; k++)
            covered[k] = covered[k] || json_has(json_object_get(st, "Resource"), "*") ||
                         json_has(json_object_get(st, "Resource"), skycrate__buf_cstr(&arn[k]));
    }
    if (!found)
        error = item(r, SKYCRATE_STEP_TLS_POLICY, SKYCRATE_VERIFY_STATUS_DRIFT,
                     "no statement denies every request without TLS (Deny, Principal *, "
                     "Action s3:*, aws:SecureTransport false)%s%s",
                     NULL, NULL);
    else if (!covered[0] || !covered[1])
        error = item(r, SKYCRATE_STEP_TLS_POLICY, SKYCRATE_VERIFY_STATUS_DRIFT,
                     "the statement denying requests without TLS does not cover %s%s",
                     skycrate__buf_cstr(&arn[covered[0] ? 1 : 0]), NULL);
    else
        error = item(r, SKYCRATE_STEP_TLS_POLICY, SKYCRATE_VERIFY_STATUS_MATCH, NULL, NULL, NULL);
done:
    skycrate__buf_dispose(&arn[0]);
    skycrate__buf_dispose(&arn[1]);
    json_decref(doc);
    return error;
}

static int evaluate(ver *v, skycrate_step step, const skycrate__outcome *o)
{
    skycrate_verify_report *r = v->report;
    const skycrate__step_def *d = skycrate__step_def_get(step);
    const skycrate__profile *p = &v->p->profile;
    skycrate__buf note = SKYCRATE_BUF_INIT;
    skycrate__xml_node *root = NULL;
    int error = 0;
    if (o->rc == SKYCRATE_ENOMEM)
        return skycrate__outcome_raise(o); /* ours, not the server's: no report */
    if (o->rc < 0) {
        skycrate_verify_status status =
            skycrate__outcome_not_found(o)     ? SKYCRATE_VERIFY_STATUS_MISSING
            : skycrate__outcome_unsupported(o) ? SKYCRATE_VERIFY_STATUS_UNSUPPORTED
                                               : SKYCRATE_VERIFY_STATUS_ERROR;
        if ((error = skycrate__outcome_note(&note, o)) == 0)
            error = item(r, step, status, "%s%s", skycrate__buf_cstr(&note), NULL);
        goto done;
    }
    if (step == SKYCRATE_STEP_TLS_POLICY) {
        error = check_policy(v, o);
        goto done;
    }
    int parsed = skycrate__xml_parse(&root, skycrate__buf_cstr(&o->body), o->body.len);
    if (parsed == SKYCRATE_ENOMEM) {
        error = parsed;
        goto done;
    }
    if (parsed < 0 || (strcmp(root->name, d->root) != 0 &&
                       !(d->root_alias && !strcmp(root->name, d->root_alias)))) {
        skycrate_error_clear();
        error = item(r, step, SKYCRATE_VERIFY_STATUS_UNSUPPORTED,
                     "the server answered <%s>, not <%s>", root ? root->name : "no XML", d->root);
        goto done;
    }
    const char *field = NULL, *fmt = NULL;
    switch (step) {
    case SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK: {
        /* Compatible mode may have left BlockPublicAcls off (the record says so). */
        skycrate__profile adapted = *p;
        if (skycrate__record_has_step(v->record, "stepsAdapted", step))
            adapted.public_access_block &= ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS;
        fmt = check_pab(&adapted, root, &field);
        break;
    }
    case SKYCRATE_STEP_ENCRYPTION: fmt = check_encryption(p, root, &field); break;
    case SKYCRATE_STEP_OWNERSHIP_CONTROLS: fmt = check_ownership(p, root, &field); break;
    case SKYCRATE_STEP_CORS: fmt = check_cors(p, root, &field); break;
    case SKYCRATE_STEP_LIFECYCLE: fmt = check_lifecycle(p, root, &field); break;
    case SKYCRATE_STEP_TAGS:
        if ((error = skycrate__owner_tag(&note, skycrate__record_str(v->record, "userId"))) < 0)
            goto done;
        fmt = check_tags(p, root, &field, skycrate__buf_cstr(&note));
        break;
    default: break;
    }
    error = fmt ? item(r, step, SKYCRATE_VERIFY_STATUS_DRIFT, fmt, field, "")
                : item(r, step, SKYCRATE_VERIFY_STATUS_MATCH, NULL, NULL, NULL);
done:
    skycrate__xml_free(root);
    skycrate__buf_dispose(&note);
    return error;
}

static void read_job(size_t i, void *ctx)
{
    ver *v = ctx;
    skycrate__step_read(&v->outcomes[i], v->p, v->jobs[i], v->bucket);
}

static bool read_done(size_t i, void *ctx)
{
    (void)i;
    (void)ctx;
    return false;
}

static int verify(ver *v)
{
    skycrate_provisioner *p = v->p;
    skycrate_verify_report *r = v->report;
    skycrate__outcome head;
    skycrate__outcome_init(&head);
    int error = skycrate__step_read(&head, p, SKYCRATE_STEP_CREATE, v->bucket);
    if (head.rec.info.region && *head.rec.info.region) {
        skycrate__free(r->region);
        if (!(r->region = skycrate__strdup(head.rec.info.region)))
            error = skycrate__error_nomem();
    }
    if (error == SKYCRATE_ENOTFOUND && skycrate__outcome_not_found(&head)) {
        error = item(r, SKYCRATE_STEP_CREATE, SKYCRATE_VERIFY_STATUS_MISSING,
                     "HeadBucket: the bucket does not exist%s%s", NULL, NULL);
    } else if (error == 0) {
        const char *recorded = skycrate__record_str(v->record, "region");
        r->exists = true;
        if (*r->region && *recorded && strcmp(r->region, recorded) != 0)
            error = item(r, SKYCRATE_STEP_CREATE, SKYCRATE_VERIFY_STATUS_DRIFT,
                         "the bucket is in %s; the record says %s", r->region, recorded);
        else
            error = item(r, SKYCRATE_STEP_CREATE, SKYCRATE_VERIFY_STATUS_MATCH, NULL, NULL, NULL);
    } else {
        skycrate__outcome_raise(&head);
    }
    skycrate__outcome_dispose(&head);
    if (error < 0 || !r->exists)
        return error;

    for (int s = 1; s < SKYCRATE__STEP_COUNT; s++) {
        skycrate_step step = (skycrate_step)s;
        if (!skycrate__profile_has_step(&p->profile, step))
            continue;
        if (skycrate__record_has_step(v->record, "stepsSkipped", step)) {
            skycrate_record rec = {SKYCRATE_MAGIC_RECORD, (json_t *)v->record};
            if ((error = item(r, step, SKYCRATE_VERIFY_STATUS_NOT_CHECKED,
                              "skipped when provisioning: %s%s",
                              skycrate_record_step_note(&rec, step), NULL)) < 0)
                return error;
            continue;
        }
        v->jobs[v->job_count++] = step;
    }
    for (size_t i = 0; i < v->job_count; i++)
        skycrate__outcome_init(&v->outcomes[i]);
    skycrate__lanes_run(p->lanes, v->job_count, read_job, read_done, v);
    for (size_t i = 0; i < v->job_count; i++) {
        if (error == 0)
            error = evaluate(v, v->jobs[i], &v->outcomes[i]);
        skycrate__outcome_dispose(&v->outcomes[i]);
    }
    return error < 0 ? error : skycrate__verify_browser(r, p, v->bucket);
}

int skycrate_provisioner_verify(skycrate_verify_report **out, skycrate_provisioner *p,
                                const char *user_id)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    json_t *record = NULL;
    ver v;
    memset(&v, 0, sizeof(v));
    int error = skycrate__provisioner_check_call(p, user_id);
    if (error == 0)
        error = skycrate__provisioner_load(&record, p, user_id);
    if (error == 0)
        error = skycrate__verify_report_new(&v.report, record);
    if (error == 0 && !skycrate__record_is_dev(record) &&
        (error = skycrate__provisioner_reach(p, record, user_id, "verify")) == 0) {
        v.p = p;
        v.record = record;
        v.bucket = skycrate__record_str(record, "bucket");
        v.report->checked = true;
        error = verify(&v);
    }
    if (error == 0)
        *out = v.report;
    else
        skycrate_verify_report_free(v.report);
    json_decref(record);
    return error;
}
