/*
 * Leftover buckets (see leftover.h). Each is journaled before anything else happens to it, so
 * no bucket exists without a record naming it, whatever the interleaving of provisionings and
 * deprovisionings of one user, in one process or several; a process killed between the create
 * and that journal entry is the one window left, as for any create whose answer is lost.
 * SPDX-License-Identifier: MIT
 */
#include "provision/leftover.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "provision/record.h"
#include "provision/steps.h"

/* Deletes one listed leftover (gone already is as good) and strikes it from the list. */
static int clear_one(skycrate_provisioner *p, const char *user_id, const char *bucket)
{
    skycrate__prov_request req = {
        .operation = "DeleteBucket", .method = "DELETE", .bucket = bucket};
    skycrate__outcome o;
    skycrate__outcome_init(&o);
    int error = skycrate__prov_send(&o, p, &req);
    if (error < 0 && !skycrate__outcome_not_found(&o)) {
        skycrate__error_prefix("user '%.64s': the leftover bucket %s could not be deleted (the "
                               "record keeps it)",
                               user_id, bucket);
        goto done;
    }
    skycrate__journal_op op = {.kind = SKYCRATE__J_LEFTOVER_GONE, .bucket = bucket};
    error = skycrate__journal(NULL, p, user_id, &op);
done:
    skycrate__outcome_dispose(&o);
    return error;
}

int skycrate__leftover_disown(skycrate_provisioner *p, const char *user_id, const char *bucket)
{
    skycrate__journal_op op = {.kind = SKYCRATE__J_LEFTOVER, .bucket = bucket};
    int error = skycrate__journal(NULL, p, user_id, &op);
    if (error < 0 || op.changed) /* not journaled; or the record names it as live: its own */
        return error;
    skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                  "user '%.64s': the record changed while bucket %s was being created: deleting "
                  "it (listed as a leftover until it is gone)",
                  user_id, bucket);
    if (clear_one(p, user_id, bucket) < 0) {
        skycrate__log(SKYCRATE_LOG_LEVEL_WARN, "%s", skycrate_error_last()->message);
        skycrate_error_clear(); /* listed: the next call deletes it */
    }
    return 0;
}

int skycrate__leftovers_clear(skycrate_provisioner *p, const char *user_id, const json_t *record)
{
    const json_t *list = json_object_get(record, "leftovers");
    int failed = 0;
    char message[SKYCRATE_ERROR_MESSAGE_MAX];
    for (size_t i = 0; i < json_array_size(list); i++) {
        int error = clear_one(p, user_id, json_string_value(json_array_get(list, i)));
        if (error < 0 && failed == 0) { /* the others are still tried */
            failed = error;
            snprintf(message, sizeof(message), "%s", skycrate_error_last()->message);
        }
    }
    return failed < 0 ? skycrate__error_set(failed, "%s", message) : 0;
}
