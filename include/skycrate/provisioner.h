/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISIONER_H
#define SKYCRATE_PROVISIONER_H

/**
 * @file skycrate/provisioner.h
 * @brief The provisioner: one private, locked-down bucket per user, as a resumable transaction.
 * @defgroup skycrate_provisioner Provisioner
 *
 * A provisioner gives each user of an application a bucket of their own, configured by a
 * security profile (secure by default), and keeps one record per user in a user store
 * (`users.json` by default, see @ref skycrate_store). Provisioning is a transaction:
 *
 * 1. The record is written *before* the bucket is created, so that no bucket ever exists
 *    without a record naming it.
 * 2. CreateBucket (with a LocationConstraint outside us-east-1, and the object ownership on the
 *    create itself). A name taken by someone else (`BucketAlreadyExists`) gets a new random
 *    suffix, a bounded number of times. A bucket that exists and is ours counts as created
 *    only when the record says it is this user's.
 * 3. The configuration steps (public access block, default encryption, ownership controls,
 *    CORS, TLS-only bucket policy, lifecycle rule, tags) are independent: they run
 *    concurrently over the client's transport lanes (in strict mode; see
 *    skycrate_provisioner_config_set_concurrency()), each retried briefly on `NoSuchBucket`
 *    right after the create. With the default transport, the lanes open their connections
 *    while CreateBucket is in flight and send their requests as soon as it has answered (never
 *    before; a custom transport is only called then). They are idempotent, so their results are
 *    journaled in the record
 *    together, with the end of the provisioning: a provisioning writes its record three times
 *    (the intent before the create, the create, the end).
 * 4. A step that fails rolls the transaction back: the bucket is deleted and the record says
 *    `failed` with the reason. In #SKYCRATE_FAILURE_MODE_COMPATIBLE mode a step the server does
 *    not support (`NotImplemented`, `InvalidArgument`, `MethodNotAllowed`) is recorded as
 *    skipped, with the server's answer, instead.
 * 5. A process killed between steps resumes on the next call for that user; nothing is done
 *    twice that must not be: CreateBucket is never sent again once the record says it is done
 *    (and a resume of a record that does not say so asks HeadBucket first), while the
 *    configuration steps not recorded yet are sent again.
 *
 * Deprovisioning empties the bucket completely (every version, delete marker and unfinished
 * multipart upload), deletes it, confirms it is gone and records that; it too resumes after a
 * crash, and a dry run reports what it would delete. Verify reads every configuration back and
 * compares it with the profile; usage adds up objects and bytes per storage class.
 *
 * In dev mode nothing touches the network: the same calls write the same records (mode `dev`)
 * with a deterministic bucket name, for applications running without S3.
 *
 * A record, as skycrate_record_to_json() renders it:
 * @code{.json}
 * { "userId": "u42", "bucket": "skycrate-u42-20261122191500", "region": "eu-west-1",
 *   "endpoint": "https://s3.eu-west-1.amazonaws.com", "mode": "aws", "failureMode": "strict",
 *   "state": "active",
 *   "stepsPlanned": ["create", "public-access-block", "encryption", "ownership-controls",
 *                    "tls-policy", "lifecycle", "tags"],
 *   "stepsDone": ["create", "public-access-block", "tags", "encryption", "lifecycle",
 *                 "ownership-controls", "tls-policy"],
 *   "stepsSkipped": [], "nameAttempts": 1,
 *   "createdAt": "2026-11-22T19:15:00Z", "updatedAt": "2026-11-22T19:15:01Z" }
 * @endcode
 * A skipped step appears in `stepsSkipped` as
 * `{"step": "encryption", "status": 400, "code": "InvalidArgument", "message": "..."}`; a failed
 * record has `"error"`, `"failedStep"` and `"rolledBack"`; a deprovisioned one has
 * `"state": "deleted"`, `"deletedAt"` and a `"deprovision"` object with the counts.
 *
 * Threads: a provisioner is used by one thread at a time, and while a call runs, its client
 * must not be used by another thread (the provisioner runs its own concurrent lanes on it).
 * Results (records and reports) are independent objects that any thread may read.
 *
 * The configuration and the security profile are in @ref skycrate_provisioner_config, the
 * records in @ref skycrate_record, the results of verify, usage and deprovision in
 * @ref skycrate_reports.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Creates a provisioner.
 * @param[out] out the new provisioner; free it with skycrate_provisioner_free().
 * @param[in] client the client that sends the requests; borrowed: it must outlive the
 *            provisioner. May be NULL in dev mode.
 * @param[in] config the configuration (NULL: the defaults); copied, so it may be freed at once.
 * @return 0, #SKYCRATE_EINVAL (no client outside dev mode, library not initialised),
 *         #SKYCRATE_EPARSE or #SKYCRATE_EIO for an unusable users file, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_new(skycrate_provisioner **out, skycrate_client *client,
                                          const skycrate_provisioner_config *config);

/**
 * @brief Frees a provisioner (and the file store it opened). NULL does nothing.
 * @param[in] provisioner the provisioner.
 */
SKYCRATE_API void skycrate_provisioner_free(skycrate_provisioner *provisioner);

/**
 * @brief Gives a user their bucket: creates and configures it, or resumes an unfinished
 *        provisioning, or returns the record of a bucket already active.
 *
 * A record in state `failed` or `deleted` starts over with a new bucket name. Fields of the
 * record that the provisioner does not own (an application's) are kept as they are.
 * @param[out] out the user's record afterwards, or NULL if not wanted; free it with
 *             skycrate_record_free(). Set to NULL on failure.
 * @param[in] provisioner the provisioner.
 * @param[in] user_id the user id: non-empty UTF-8, at most 1024 bytes.
 * @return 0; #SKYCRATE_EINVAL for a bad user id; #SKYCRATE_EEXISTS when the user has a record
 *         of the other mode (dev or aws) or no free name was found; #SKYCRATE_ECONFLICT when a
 *         deprovisioning is unfinished or the record keeps changing; the failing step's code
 *         (the record then says `failed`: see skycrate_provisioner_show()); or the store's.
 */
SKYCRATE_API int skycrate_provisioner_provision(skycrate_record **out,
                                                skycrate_provisioner *provisioner,
                                                const char *user_id);

/**
 * @brief Deletes a user's bucket completely: aborts unfinished multipart uploads, deletes every
 *        object version and delete marker (in batches of at most 1000), deletes the bucket,
 *        confirms it is gone, and records the state `deleted` (the record is kept).
 *
 * The listing runs ahead of the deletion by one batch per lane (see
 * skycrate_provisioner_config_set_concurrency()): those batches are deleted at once, one
 * DeleteObjects per lane, and their counts journaled together.
 *
 * Resumes an unfinished deprovisioning. A record already `deleted` succeeds at once. With
 * #SKYCRATE_DEPROVISION_DRY_RUN nothing is changed, on the server or in the store: the report
 * counts what would be deleted.
 * @param[out] out the report, or NULL if not wanted; free it with
 *             skycrate_deprovision_report_free(). Set to NULL on failure.
 * @param[in] provisioner the provisioner.
 * @param[in] user_id the user id.
 * @param[in] flags 0 or #SKYCRATE_DEPROVISION_DRY_RUN.
 * @return 0, #SKYCRATE_ENOTFOUND when the user has no record, #SKYCRATE_EINVAL, or the code of
 *         the failing request (the record then stays `deprovisioning` and says why).
 */
SKYCRATE_API int skycrate_provisioner_deprovision(skycrate_deprovision_report **out,
                                                  skycrate_provisioner *provisioner,
                                                  const char *user_id, uint32_t flags);

/**
 * @brief Reads the user's bucket configuration back and compares it with the profile.
 *
 * Checks that the bucket exists (HeadBucket, and its region from `x-amz-bucket-region`), then
 * reads every configuration the profile sets (concurrently), checking the root element of each
 * answer (some servers answer an unknown configuration with a listing and 200). The TLS-only
 * policy matches when its statements deny every principal every S3 action without TLS on the
 * bucket's ARN and on its objects' ARN (or on `*`).
 * @param[out] out the report; free it with skycrate_verify_report_free().
 * @param[in] provisioner the provisioner.
 * @param[in] user_id the user id.
 * @return 0 when the report could be made (whatever it found: see
 *         skycrate_verify_report_ok()), #SKYCRATE_ENOTFOUND when the user has no record,
 *         #SKYCRATE_EINVAL, or the code of a request that failed outright.
 */
SKYCRATE_API int skycrate_provisioner_verify(skycrate_verify_report **out,
                                             skycrate_provisioner *provisioner,
                                             const char *user_id);

/**
 * @brief Adds up the objects in the user's bucket: count and bytes, in total and per storage
 *        class (current object versions, page by page, so any number of objects works).
 * @param[out] out the report; free it with skycrate_usage_report_free().
 * @param[in] provisioner the provisioner.
 * @param[in] user_id the user id.
 * @return 0, #SKYCRATE_ENOTFOUND when the user has no record (or the bucket is gone),
 *         #SKYCRATE_EINVAL, or the code of the failing request.
 */
SKYCRATE_API int skycrate_provisioner_usage(skycrate_usage_report **out,
                                            skycrate_provisioner *provisioner, const char *user_id);

/**
 * @brief Reads a user's record from the store (no network).
 * @param[out] out the record; free it with skycrate_record_free().
 * @param[in] provisioner the provisioner.
 * @param[in] user_id the user id.
 * @return 0, #SKYCRATE_ENOTFOUND when the user has no record (or one with the application's own
 *         fields only), #SKYCRATE_EINVAL, #SKYCRATE_EPARSE for a broken provisioner record, or
 *         the store's code.
 */
SKYCRATE_API int skycrate_provisioner_show(skycrate_record **out, skycrate_provisioner *provisioner,
                                           const char *user_id);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_PROVISIONER_H */
