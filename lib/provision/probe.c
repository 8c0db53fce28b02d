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

/* Puts of the adapted block and probes, when another provisioner of the user races this one. */
#define PROBE_ATTEMPTS 3

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
    skycrate__profile lenient = p->profile; /* shallow: only the flags differ */
    lenient.public_access_block &= ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS;
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    /* Another provisioner of the same user may put the full block again meanwhile (its own
     * step): a refusal by the block is tried again, a few times. */
    for (int attempt = 1; attempt <= PROBE_ATTEMPTS; attempt++) {
        skycrate__outcome_dispose(&o);
        skycrate__outcome_init(&o);
        error = skycrate__step_apply_profile(&o, p, &lenient, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK,
                                             bucket, user_id, p->region, NULL);
        if (error == 0) {
            skycrate__outcome_dispose(&o);
            skycrate__outcome_init(&o);
            error = probe(&o, p, bucket);
        }
        if (error == 0 || o.rc != SKYCRATE_EACCESS)
            break;
    }
    if (error < 0) {
        skycrate__outcome_raise(&o);
        skycrate__error_prefix("the bucket refuses uploads even without BlockPublicAcls: ");
    }
    skycrate__outcome_dispose(&o);
    *adapted = error == 0;
    return error;
}
