/*
 * Compatible mode's write probe: a bucket that refuses the library's own uploads is no bucket
 * for browser uploads. The server is observed, not guessed: a PutObject of a reserved key, and
 * when it is refused while BlockPublicAcls is set, the block without that one setting.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "provision/steps.h"
#include "xml/xml.h"

/* A bound on putting the adapted block again after other provisioners of the same user put the
 * full one: each of them does so once per run, so this is only a net. */
#define REPUTS_MAX 32

/* PUT (empty) then DELETE of the probe key; the PUT's answer stays in `out`. */
static int probe(skycrate__outcome *out, skycrate_provisioner *p, const char *bucket)
{
    skycrate__prov_request put = {.operation = "PutObject",
                                  .method = "PUT",
                                  .bucket = bucket,
                                  .key = SKYCRATE__PROBE_KEY,
                                  .body = "",
                                  .body_len = 0,
                                  .nosuchbucket = true};
    if (skycrate__prov_send(out, p, &put) < 0)
        return out->rc;
    skycrate__outcome gone;
    skycrate__outcome_init(&gone);
    skycrate__prov_request del = {.operation = "DeleteObject",
                                  .method = "DELETE",
                                  .bucket = bucket,
                                  .key = SKYCRATE__PROBE_KEY};
    int error = skycrate__prov_send(&gone, p, &del);
    if (error < 0)
        skycrate__outcome_raise(&gone);
    skycrate__outcome_dispose(&gone);
    return error;
}

static bool refused_by_block(const skycrate__outcome *o, const skycrate__profile *profile)
{
    return o->rc == SKYCRATE_EACCESS &&
           (profile->public_access_block & SKYCRATE_PAB_BLOCK_PUBLIC_ACLS) != 0;
}

/* Whether the bucket's public access block has BlockPublicAcls: another provisioner of the same
 * user, running its own step, put the full block after this one put the adapted block. */
static int block_acls_set(bool *set, skycrate_provisioner *p, const char *bucket)
{
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    skycrate__xml_node *root = NULL;
    int error = skycrate__step_read(&o, p, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK, bucket);
    if (error < 0)
        error = skycrate__outcome_raise(&o);
    else if ((error = skycrate__xml_parse(&root, skycrate__buf_cstr(&o.body), o.body.len)) == 0) {
        const char *value = skycrate__xml_child_text(root, "BlockPublicAcls");
        *set = value && !strcmp(value, "true");
    }
    skycrate__xml_free(root);
    skycrate__outcome_dispose(&o);
    return error;
}

/* Puts the block without BlockPublicAcls and probes; again while a refusal comes from a full
 * block another provisioner put meanwhile. A refusal under the adapted block is the answer.
 * Returns 0, or an error with its message set. */
static int probe_adapted(skycrate__outcome *o, skycrate_provisioner *p, const char *bucket,
                         const char *user_id)
{
    skycrate__profile lenient = p->profile; /* shallow: only the flags differ */
    lenient.public_access_block &= ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS;
    for (int put = 0; put <= REPUTS_MAX; put++) {
        skycrate__outcome_dispose(o);
        skycrate__outcome_init(o);
        if (skycrate__step_apply_profile(o, p, &lenient, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK, bucket,
                                         user_id, p->region, NULL) < 0)
            return skycrate__outcome_raise(o);
        skycrate__outcome_dispose(o);
        skycrate__outcome_init(o);
        int error = probe(o, p, bucket);
        if (error == 0)
            return 0;
        if (o->rc != SKYCRATE_EACCESS) /* the PUT's failure, or the DELETE's */
            return o->rc < 0 ? skycrate__outcome_raise(o) : error;
        bool full_again = false;
        if ((error = block_acls_set(&full_again, p, bucket)) < 0)
            return error;
        if (!full_again)
            break;
        skycrate__log(SKYCRATE_LOG_LEVEL_DEBUG,
                      "bucket %s has BlockPublicAcls again (another provisioner of user "
                      "'%.64s'): putting the adapted block again",
                      bucket, user_id);
    }
    skycrate__outcome_raise(o);
    return skycrate__error_prefix("the bucket refuses uploads even without BlockPublicAcls");
}

int skycrate__probe_writes(skycrate__outcome *refusal, bool *adapted, skycrate_provisioner *p,
                           const char *bucket, const char *user_id)
{
    *adapted = false;
    int error = probe(refusal, p, bucket);
    if (error == 0)
        return 0;
    if (!refused_by_block(refusal, &p->profile)) /* the PUT's failure, or the DELETE's */
        return refusal->rc < 0 ? skycrate__outcome_raise(refusal) : error;
    skycrate__log(SKYCRATE_LOG_LEVEL_INFO,
                  "bucket %s refuses uploads with BlockPublicAcls (HTTP %d %s): putting the "
                  "public access block again without it",
                  bucket, refusal->rec.info.http_status, skycrate__outcome_code(refusal));
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    error = probe_adapted(&o, p, bucket, user_id);
    skycrate__outcome_dispose(&o);
    *adapted = error == 0;
    return error;
}
