/*
 * Buckets a provisioning created that its user's record no longer names ("leftovers"): the
 * record moved on (a deprovisioning, another provisioning) while CreateBucket was in flight.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_LEFTOVER_H
#define SKYCRATE_PROVISION_LEFTOVER_H

#include <jansson.h>

#include "provision/provisioner.h"

/*
 * For a bucket this provisioning created, or found to be its own, after the user's record
 * stopped naming it as live: journals it in the record's "leftovers" (unless the record names
 * it as live again: then it is the record's, and nothing is done), deletes it, and strikes it
 * from the list. A bucket whose deletion fails stays listed (with a warning): the next
 * provisioning or deprovisioning of the user deletes it. 0, or the journal's error.
 */
int skycrate__leftover_disown(skycrate_provisioner *p, const char *user_id, const char *bucket);

/*
 * Deletes the leftovers `record` lists and strikes each one gone. 0, or the first failure's
 * code (every leftover is tried; those not deleted stay listed).
 */
int skycrate__leftovers_clear(skycrate_provisioner *p, const char *user_id, const json_t *record);

#endif
