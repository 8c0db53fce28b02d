/*
 * The provisioner handle (internal view) and the operations' entry points shared between the
 * files of lib/provision.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_PROVISIONER_H
#define SKYCRATE_PROVISION_PROVISIONER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "provision/naming.h"
#include "provision/profile.h"
#include "s3/client.h"

/* Bounds of the retries; tests shorten the delays (they sleep for real). */
typedef struct skycrate__provision_tuning {
    unsigned int name_attempts;         /* CreateBucket names tried (BucketAlreadyExists) */
    unsigned int nosuchbucket_attempts; /* tries of a step that sees NoSuchBucket */
    uint32_t nosuchbucket_delay_ms;     /* first pause; doubles, at most 1600 ms */
    unsigned int delete_rounds;         /* empty + DeleteBucket rounds (BucketNotEmpty) */
    unsigned int confirm_attempts;      /* HeadBucket tries until it answers 404 */
    uint32_t confirm_delay_ms;
    bool late_lanes; /* no configuration request starts before the create answered (the
                        benchmark measures what starting them early saves) */
} skycrate__provision_tuning;

struct skycrate_provisioner {
    uint32_t magic;
    skycrate_client *client; /* borrowed; NULL in dev mode */
    skycrate_user_store *store;
    char prefix[SKYCRATE__BUCKET_PREFIX_MAX + 1];
    skycrate_failure_mode mode;
    bool dev;
    unsigned int lanes;        /* >= 1: reads, aborts */
    unsigned int config_lanes; /* >= 1: configuration writes (1 in compatible mode by default) */
    skycrate__profile profile;
    char *region;   /* the client's region ("us-east-1" in dev mode without a client) */
    char *endpoint; /* what records name: the custom endpoint URL, AWS's regional one, "" */
    skycrate__provision_tuning tuning;
};

/* The checks every operation starts with: the handle, then the user id (non-empty UTF-8 of at
 * most SKYCRATE__USER_ID_MAX bytes). 0 or SKYCRATE_EINVAL. */
int skycrate__provisioner_check_call(const skycrate_provisioner *p, const char *user_id);

/* Loads a user's record: 0, SKYCRATE_ENOTFOUND (no record, or one with neither "state" nor
 * "bucket": the application's own fields only), SKYCRATE_EPARSE (a broken provisioner record:
 * no string userId/bucket or an unknown state) or the store's code. */
int skycrate__provisioner_load(json_t **out, skycrate_provisioner *p, const char *user_id);

/* Whether the record is one of dev mode. */
bool skycrate__record_is_dev(const json_t *record);

/* Checks that the record was made on this provisioner's endpoint, and points the client at the
 * bucket's region. 0, SKYCRATE_EINVAL (another endpoint) or SKYCRATE_ENOMEM. */
int skycrate__provisioner_target(skycrate_provisioner *p, const json_t *record);

/*
 * Before reading the bucket of an aws record (`what`: "verify", "count"): SKYCRATE_ENOTFOUND when
 * the record has no bucket (deleted, or failed and rolled back), SKYCRATE_EINVAL for a dev-mode
 * provisioner or another endpoint; else 0 with the client pointed at the bucket's region.
 */
int skycrate__provisioner_reach(skycrate_provisioner *p, const json_t *record, const char *user_id,
                                const char *what);

#endif
