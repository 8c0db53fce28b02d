/*
 * The steps of provisioning and the requests the provisioner sends on its lanes.
 * SPDX-License-Identifier: MIT
 */
#include "provision/steps.h"

#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "s3/request.h"

#define NOSUCHBUCKET_DELAY_MAX_MS 1600

static const skycrate__step_def defs[SKYCRATE__STEP_COUNT] = {
    {SKYCRATE_STEP_CREATE, "create", "CreateBucket", "HeadBucket", NULL, NULL, NULL},
    /* radosgw 16 answers GetPublicAccessBlock with <BlockPublicAccessBlockConfiguration>. */
    {SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK, "public-access-block", "PutPublicAccessBlock",
     "GetPublicAccessBlock", "publicAccessBlock", "PublicAccessBlockConfiguration",
     "BlockPublicAccessBlockConfiguration"},
    {SKYCRATE_STEP_ENCRYPTION, "encryption", "PutBucketEncryption", "GetBucketEncryption",
     "encryption", "ServerSideEncryptionConfiguration", NULL},
    {SKYCRATE_STEP_OWNERSHIP_CONTROLS, "ownership-controls", "PutBucketOwnershipControls",
     "GetBucketOwnershipControls", "ownershipControls", "OwnershipControls", NULL},
    {SKYCRATE_STEP_CORS, "cors", "PutBucketCors", "GetBucketCors", "cors", "CORSConfiguration",
     NULL},
    {SKYCRATE_STEP_TLS_POLICY, "tls-policy", "PutBucketPolicy", "GetBucketPolicy", "policy", NULL,
     NULL},
    {SKYCRATE_STEP_LIFECYCLE, "lifecycle", "PutBucketLifecycleConfiguration",
     "GetBucketLifecycleConfiguration", "lifecycle", "LifecycleConfiguration", NULL},
    {SKYCRATE_STEP_TAGS, "tags", "PutBucketTagging", "GetBucketTagging", "tagging", "Tagging",
     NULL},
};

const skycrate__step_def *skycrate__step_def_get(skycrate_step step)
{
    if ((int)step < 0 || (int)step >= SKYCRATE__STEP_COUNT)
        return NULL;
    return &defs[step];
}

int skycrate__step_from_name(const char *name)
{
    for (int i = 0; name && i < SKYCRATE__STEP_COUNT; i++)
        if (!strcmp(defs[i].name, name))
            return i;
    return -1;
}

const char *skycrate_step_name(skycrate_step step)
{
    const skycrate__step_def *d = skycrate__step_def_get(step);
    return d ? d->name : NULL;
}

void skycrate__outcome_init(skycrate__outcome *o)
{
    memset(o, 0, sizeof(*o));
    skycrate__response_record_init(&o->rec);
}

void skycrate__outcome_dispose(skycrate__outcome *o)
{
    skycrate__response_record_dispose(&o->rec);
    skycrate__buf_dispose(&o->message);
    skycrate__buf_dispose(&o->body);
}

const char *skycrate__outcome_code(const skycrate__outcome *o)
{
    return o->rec.info.s3_code ? o->rec.info.s3_code : "";
}

bool skycrate__outcome_not_found(const skycrate__outcome *o)
{
    return o->rc == SKYCRATE_ENOTFOUND && o->rec.info.http_status == 404;
}

bool skycrate__outcome_unsupported(const skycrate__outcome *o)
{
    const char *code = skycrate__outcome_code(o);
    if (o->rc >= 0)
        return false;
    if (!strcmp(code, "NotImplemented") || !strcmp(code, "InvalidArgument") ||
        !strcmp(code, "MethodNotAllowed"))
        return true;
    return !*code && (o->rec.info.http_status == 501 || o->rec.info.http_status == 405);
}

int skycrate__outcome_note(skycrate__buf *out, const skycrate__outcome *o)
{
    const skycrate_response_info *i = &o->rec.info;
    if (!i->http_status)
        return skycrate__buf_puts(out, skycrate__buf_cstr(&o->message));
    return skycrate__buf_printf(out, "HTTP %d%s%s%s%s", i->http_status, *i->s3_code ? " " : "",
                                i->s3_code, *i->s3_message ? ": " : "", i->s3_message);
}

int skycrate__outcome_raise(const skycrate__outcome *o)
{
    if (o->rc >= 0)
        return o->rc;
    return skycrate__error_set(o->rc, "%s", skycrate__buf_cstr(&o->message));
}

void skycrate__outcome_capture(skycrate__outcome *out, int rc)
{
    out->rc = rc;
    skycrate__buf_clear(&out->message);
    if (rc < 0 && skycrate__buf_puts(&out->message, skycrate_error_last()->message) < 0)
        skycrate_error_clear(); /* the code is kept; only the text is lost */
}

int skycrate__prov_send(skycrate__outcome *out, skycrate_provisioner *p,
                        const skycrate__prov_request *req)
{
    skycrate__kv headers[8];
    size_t n = 0;
    char md5[25];
    int error = 0;
    if (req->header_count > SKYCRATE_ARRAY_SIZE(headers) - 1) {
        error = skycrate__error_set(SKYCRATE_EINVAL, "too many headers");
        goto done;
    }
    if (req->content_md5) {
        skycrate__content_md5(md5, req->body ? req->body : "", req->body ? req->body_len : 0);
        headers[n++] = (skycrate__kv){"Content-MD5", md5};
    }
    for (size_t i = 0; i < req->header_count; i++)
        headers[n++] = req->headers[i];
    skycrate__s3_request sreq = {
        .operation = req->operation,
        .method = req->method,
        .bucket = req->bucket,
        .key = req->key,
        .query = req->query,
        .query_count = req->query_count,
        .headers = headers,
        .header_count = n,
        .body_kind = req->body ? SKYCRATE__BODY_MEMORY : SKYCRATE__BODY_NONE,
        .body_data = req->body,
        .body_length = req->body ? req->body_len : 0,
        .gate = req->gate,
    };
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    uint32_t delay = p->tuning.nosuchbucket_delay_ms;
    for (unsigned int attempt = 1;; attempt++) {
        skycrate__response_record_clear(&out->rec);
        error = skycrate__s3_send(p->client, &sreq, &resp, &out->rec);
        if (error == SKYCRATE_ENOTFOUND && req->nosuchbucket &&
            attempt < p->tuning.nosuchbucket_attempts &&
            !strcmp(skycrate__outcome_code(out), "NoSuchBucket")) {
            skycrate__sleep_ms(delay);
            delay = delay * 2 > NOSUCHBUCKET_DELAY_MAX_MS ? NOSUCHBUCKET_DELAY_MAX_MS : delay * 2;
            continue;
        }
        break;
    }
    if (error == 0 && req->keep_body) {
        skycrate__buf_clear(&out->body);
        if (skycrate__buf_put(&out->body, resp.body.ptr ? resp.body.ptr : "", resp.body.len) < 0)
            error = SKYCRATE_ENOMEM;
    }
    skycrate__http_response_dispose(&resp);
done:
    skycrate__outcome_capture(out, error);
    return error;
}

int skycrate__step_apply(skycrate__outcome *out, skycrate_provisioner *p, skycrate_step step,
                         const char *bucket, const char *user_id, const char *region,
                         skycrate__http_gate *gate)
{
    return skycrate__step_apply_profile(out, p, &p->profile, step, bucket, user_id, region, gate);
}

int skycrate__step_apply_profile(skycrate__outcome *out, skycrate_provisioner *p,
                                 const skycrate__profile *profile, skycrate_step step,
                                 const char *bucket, const char *user_id, const char *region,
                                 skycrate__http_gate *gate)
{
    const skycrate__step_def *d = skycrate__step_def_get(step);
    skycrate__buf body = SKYCRATE_BUF_INIT;
    int error;
    if (!d || !d->subresource) {
        error = skycrate__error_set(SKYCRATE_EINVAL, "no configuration step %d", (int)step);
        skycrate__outcome_capture(out, error);
        return error;
    }
    if ((error = skycrate__profile_body(&body, profile, step, bucket, user_id, region)) < 0) {
        skycrate__buf_dispose(&body);
        skycrate__outcome_capture(out, error);
        return error;
    }
    skycrate__kv query = {d->subresource, ""};
    skycrate__prov_request req = {.operation = d->put_operation,
                                  .method = "PUT",
                                  .bucket = bucket,
                                  .query = &query,
                                  .query_count = 1,
                                  .body = skycrate__buf_cstr(&body),
                                  .body_len = body.len,
                                  .content_md5 = true,
                                  .nosuchbucket = true,
                                  .gate = gate};
    error = skycrate__prov_send(out, p, &req);
    skycrate__buf_dispose(&body);
    return error;
}

int skycrate__step_read(skycrate__outcome *out, skycrate_provisioner *p, skycrate_step step,
                        const char *bucket)
{
    const skycrate__step_def *d = skycrate__step_def_get(step);
    if (!d) {
        int error = skycrate__error_set(SKYCRATE_EINVAL, "no step %d", (int)step);
        skycrate__outcome_capture(out, error);
        return error;
    }
    skycrate__kv query = {d->subresource, ""};
    skycrate__prov_request req = {.operation = d->get_operation,
                                  .method = d->subresource ? "GET" : "HEAD",
                                  .bucket = bucket,
                                  .query = d->subresource ? &query : NULL,
                                  .query_count = d->subresource ? 1 : 0,
                                  .keep_body = true};
    return skycrate__prov_send(out, p, &req);
}
