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
 *    `failed` with the reason. In #SKYCRATE_PROVISION_COMPATIBLE mode a step the server does
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
 * A record, as skycrate_provision_record_to_json() renders it:
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
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

struct skycrate_client;
struct skycrate_user_store;

/** A provisioner (opaque). */
typedef struct skycrate_provisioner skycrate_provisioner;
/** A provisioner configuration: the store, naming and the security profile (opaque). */
typedef struct skycrate_provisioner_config skycrate_provisioner_config;
/** A user's record as stored (opaque). */
typedef struct skycrate_provision_record skycrate_provision_record;
/** The result of skycrate_provisioner_verify() (opaque). */
typedef struct skycrate_verify_report skycrate_verify_report;
/** The result of skycrate_provisioner_usage() (opaque). */
typedef struct skycrate_usage_report skycrate_usage_report;
/** The result of skycrate_provisioner_deprovision() (opaque). */
typedef struct skycrate_deprovision_report skycrate_deprovision_report;

/** What a configuration step the server rejects means. */
typedef enum skycrate_provision_mode {
    /** Every step must succeed; a failing one rolls the transaction back (the default). */
    SKYCRATE_PROVISION_STRICT = 0,
    /** For S3-compatible servers: a step answered `NotImplemented`, `InvalidArgument` or
     *  `MethodNotAllowed` (HTTP 501 or 405) is recorded as skipped; other failures roll back. */
    SKYCRATE_PROVISION_COMPATIBLE = 1
} skycrate_provision_mode;

/** Default bucket encryption. */
typedef enum skycrate_encryption {
    SKYCRATE_ENCRYPTION_NONE = 0,   /**< No PutBucketEncryption step. */
    SKYCRATE_ENCRYPTION_AES256 = 1, /**< SSE-S3 (`AES256`), the default. */
    SKYCRATE_ENCRYPTION_KMS = 2     /**< SSE-KMS (`aws:kms`), optionally with a key id. */
} skycrate_encryption;

/** Object ownership, sent on CreateBucket (`x-amz-object-ownership`) and as its own step. */
typedef enum skycrate_object_ownership {
    SKYCRATE_OWNERSHIP_UNSET = 0,                  /**< Neither the header nor the step. */
    SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED = 1,  /**< ACLs disabled (the default). */
    SKYCRATE_OWNERSHIP_BUCKET_OWNER_PREFERRED = 2, /**< `BucketOwnerPreferred`. */
    SKYCRATE_OWNERSHIP_OBJECT_WRITER = 3           /**< `ObjectWriter`. */
} skycrate_object_ownership;

/** Public access block: `BlockPublicAcls`. */
#define SKYCRATE_PAB_BLOCK_PUBLIC_ACLS (1u << 0)
/** Public access block: `IgnorePublicAcls`. */
#define SKYCRATE_PAB_IGNORE_PUBLIC_ACLS (1u << 1)
/** Public access block: `BlockPublicPolicy`. */
#define SKYCRATE_PAB_BLOCK_PUBLIC_POLICY (1u << 2)
/** Public access block: `RestrictPublicBuckets`. */
#define SKYCRATE_PAB_RESTRICT_PUBLIC_BUCKETS (1u << 3)
/** Public access block: all four settings (the default). */
#define SKYCRATE_PAB_ALL (0xfu)

/**
 * The steps of provisioning. The values are fixed; a new step gets a new value, and
 * skycrate_provision_step_name() returns NULL for a value this library does not know, so
 * `for (s = 0; skycrate_provision_step_name(s); s++)` visits every step.
 */
typedef enum skycrate_provision_step {
    SKYCRATE_STEP_CREATE = 0,              /**< CreateBucket ("create"). */
    SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK = 1, /**< PutPublicAccessBlock ("public-access-block"). */
    SKYCRATE_STEP_ENCRYPTION = 2,          /**< PutBucketEncryption ("encryption"). */
    SKYCRATE_STEP_OWNERSHIP_CONTROLS = 3, /**< PutBucketOwnershipControls ("ownership-controls"). */
    SKYCRATE_STEP_CORS = 4,               /**< PutBucketCors ("cors"). */
    SKYCRATE_STEP_TLS_POLICY = 5,         /**< PutBucketPolicy, TLS only ("tls-policy"). */
    SKYCRATE_STEP_LIFECYCLE = 6,          /**< PutBucketLifecycleConfiguration ("lifecycle"). */
    SKYCRATE_STEP_TAGS = 7                /**< PutBucketTagging ("tags"). */
} skycrate_provision_step;

/** Where a step stands in a record. */
typedef enum skycrate_step_status {
    SKYCRATE_STEP_STATUS_OFF = 0,     /**< Not part of the profile the record was made with. */
    SKYCRATE_STEP_STATUS_PENDING = 1, /**< Planned, not done (yet). */
    SKYCRATE_STEP_STATUS_DONE = 2,    /**< Done. */
    SKYCRATE_STEP_STATUS_SKIPPED = 3  /**< Skipped: the server does not support it. */
} skycrate_step_status;

/** The state of a user's record. */
typedef enum skycrate_record_state {
    SKYCRATE_RECORD_PROVISIONING = 1,   /**< Provisioning began and has not finished. */
    SKYCRATE_RECORD_ACTIVE = 2,         /**< The bucket is ready. */
    SKYCRATE_RECORD_FAILED = 3,         /**< Provisioning failed and was rolled back. */
    SKYCRATE_RECORD_DEPROVISIONING = 4, /**< Deprovisioning began and has not finished. */
    SKYCRATE_RECORD_DELETED = 5         /**< The bucket was deleted. */
} skycrate_record_state;

/** What verify found for one step. */
typedef enum skycrate_verify_status {
    SKYCRATE_VERIFY_NOT_CHECKED = 0, /**< Off, skipped when provisioning, or a dev record. */
    SKYCRATE_VERIFY_MATCH = 1,       /**< The server's configuration matches the profile. */
    SKYCRATE_VERIFY_DRIFT = 2,       /**< It differs from the profile (the detail says how). */
    SKYCRATE_VERIFY_MISSING = 3,     /**< There is none (`NoSuch...`, or no bucket). */
    SKYCRATE_VERIFY_UNSUPPORTED = 4, /**< The server answered with another document or 501/405. */
    SKYCRATE_VERIFY_ERROR = 5        /**< The read failed (the detail says why). */
} skycrate_verify_status;

/** Flag for the `to_json` functions: indent the JSON (two spaces) instead of compact text. */
#define SKYCRATE_PROVISION_JSON_PRETTY (1u << 0)

/** Flag for skycrate_provisioner_deprovision(): only count what would be deleted. */
#define SKYCRATE_DEPROVISION_DRY_RUN (1u << 0)

/**
 * @brief Creates a configuration with the secure defaults: the file store `users.json` in the
 *        current directory, bucket prefix "skycrate", strict mode, all four public access block
 *        settings, AES256 default encryption, BucketOwnerEnforced ownership, no CORS (no
 *        origins), the TLS-only bucket policy, a lifecycle rule aborting incomplete multipart
 *        uploads after 7 days, and tags naming the owner; concurrency as described for
 *        skycrate_provisioner_config_set_concurrency().
 * @param[out] out the new configuration; free it with skycrate_provisioner_config_free().
 * @return 0 or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_new(skycrate_provisioner_config **out);

/**
 * @brief Frees a configuration. NULL does nothing.
 * @param[in] config the configuration.
 */
SKYCRATE_API void skycrate_provisioner_config_free(skycrate_provisioner_config *config);

/**
 * @brief Keeps the records in an application's user store.
 *
 * The table is copied (the prefix known for its version) but its `user_data` stays the
 * caller's: keep the store alive while any provisioner made with this configuration exists,
 * then release it with skycrate_user_store_dispose(). Its callbacks are only called from the
 * thread that calls the provisioner.
 * @param[in] config the configuration.
 * @param[in] store the store table (see @ref skycrate_store).
 * @return 0, or #SKYCRATE_EINVAL for an unknown version or missing callbacks.
 */
SKYCRATE_API int skycrate_provisioner_config_set_store(skycrate_provisioner_config *config,
                                                       const struct skycrate_user_store *store);

/**
 * @brief Keeps the records in a JSON file (skycrate_user_store_new_file()), which each
 *        provisioner opens when it is created. This is the default, with `users.json`.
 * @param[in] config the configuration.
 * @param[in] path the file, or NULL for `users.json` in the current directory; copied.
 * @return 0 or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_set_store_file(skycrate_provisioner_config *config,
                                                            const char *path);

/**
 * @brief Sets the prefix of bucket names: `{prefix}-{user}-{yyyymmddhhmmss}`.
 * @param[in] config the configuration.
 * @param[in] prefix 1..24 characters of `[a-z0-9-]`, starting and ending with a letter or
 *            digit, no `--`, and not a reserved prefix (`xn--`, `sthree-`, ...); copied.
 *            NULL restores "skycrate".
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_set_bucket_prefix(skycrate_provisioner_config *config,
                                                               const char *prefix);

/**
 * @brief Sets what a step the server rejects means.
 * @param[in] config the configuration.
 * @param[in] mode a #skycrate_provision_mode value.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_provisioner_config_set_mode(skycrate_provisioner_config *config,
                                                      skycrate_provision_mode mode);

/**
 * @brief Turns dev mode on or off: no network at all, records with mode `dev` and the bucket
 *        name `{prefix}-dev-{user}`; the provisioner may then be created without a client.
 * @param[in] config the configuration.
 * @param[in] enabled non-zero for dev mode.
 * @return 0.
 */
SKYCRATE_API int skycrate_provisioner_config_set_dev_mode(skycrate_provisioner_config *config,
                                                          int enabled);

/**
 * @brief Sets the public access block.
 * @param[in] config the configuration.
 * @param[in] flags `SKYCRATE_PAB_*` bits that are set to true (the others are sent as false);
 *            0 leaves the step out.
 * @return 0, or #SKYCRATE_EINVAL for unknown bits.
 */
SKYCRATE_API int
skycrate_provisioner_config_set_public_access_block(skycrate_provisioner_config *config,
                                                    uint32_t flags);

/**
 * @brief Sets the default encryption of new objects.
 * @param[in] config the configuration.
 * @param[in] encryption a #skycrate_encryption value; #SKYCRATE_ENCRYPTION_NONE leaves the step
 *            out.
 * @param[in] kms_key_id for #SKYCRATE_ENCRYPTION_KMS: the key id or ARN, or NULL for the AWS
 *            managed key; must be NULL otherwise. Copied.
 * @param[in] bucket_key for #SKYCRATE_ENCRYPTION_KMS: non-zero to enable an S3 Bucket Key
 *            (fewer KMS requests); must be 0 otherwise.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_set_encryption(skycrate_provisioner_config *config,
                                                            skycrate_encryption encryption,
                                                            const char *kms_key_id, int bucket_key);

/**
 * @brief Sets the object ownership.
 * @param[in] config the configuration.
 * @param[in] ownership a #skycrate_object_ownership value; #SKYCRATE_OWNERSHIP_UNSET leaves
 *            both the create header and the step out.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int
skycrate_provisioner_config_set_object_ownership(skycrate_provisioner_config *config,
                                                 skycrate_object_ownership ownership);

/**
 * @brief Adds an origin that browsers may upload from (the CORS step runs when there is one).
 *
 * The CORS rule allows PUT, GET and HEAD from these origins, with the headers presigned
 * uploads need (`content-type`, `content-md5`, `content-disposition`, `cache-control`,
 * `x-amz-*`), and exposes `ETag`.
 * @param[in] config the configuration.
 * @param[in] origin `scheme://host[:port]` (http or https; one `*` wildcard allowed), or `*`;
 *            printable ASCII without blanks, at most 512 bytes; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_add_cors_origin(skycrate_provisioner_config *config,
                                                             const char *origin);

/**
 * @brief Sets how long browsers may cache the CORS preflight answer.
 * @param[in] config the configuration.
 * @param[in] seconds the `MaxAgeSeconds` (default 3600).
 * @return 0.
 */
SKYCRATE_API int skycrate_provisioner_config_set_cors_max_age(skycrate_provisioner_config *config,
                                                              uint32_t seconds);

/**
 * @brief Turns the TLS-only bucket policy on or off (on by default): it denies every request
 *        that does not use TLS (`aws:SecureTransport` false).
 * @param[in] config the configuration.
 * @param[in] enabled non-zero to apply it.
 * @return 0.
 */
SKYCRATE_API int
skycrate_provisioner_config_set_tls_only_policy(skycrate_provisioner_config *config, int enabled);

/**
 * @brief Sets after how many days a lifecycle rule aborts incomplete multipart uploads.
 * @param[in] config the configuration.
 * @param[in] days 1..3650 (default 7), or 0 to leave the lifecycle step out.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int
skycrate_provisioner_config_set_abort_multipart_days(skycrate_provisioner_config *config,
                                                     uint32_t days);

/**
 * @brief Turns bucket tagging on or off (on by default).
 *
 * The tags are `skycrate:owner` (the user id, or `sha256:` and the hex SHA-256 of it when the
 * id is longer than 256 bytes or has characters tags do not allow), `skycrate:application`
 * when an application name is set, and those added with skycrate_provisioner_config_add_tag().
 * @param[in] config the configuration.
 * @param[in] enabled non-zero to tag.
 * @return 0.
 */
SKYCRATE_API int skycrate_provisioner_config_set_tagging(skycrate_provisioner_config *config,
                                                         int enabled);

/**
 * @brief Sets the application name: the `skycrate:application` tag.
 * @param[in] config the configuration.
 * @param[in] name 1..256 bytes of letters, digits, spaces and `+ - = . _ : / @`, or NULL for
 *            none; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_set_application(skycrate_provisioner_config *config,
                                                             const char *name);

/**
 * @brief Adds a tag to every bucket (at most 40 such tags).
 * @param[in] config the configuration.
 * @param[in] key 1..128 bytes of letters, digits, spaces and `+ - = . _ : / @`, not starting
 *            with `aws:` or `skycrate:`; copied.
 * @param[in] value 0..256 bytes of the same characters; copied.
 * @return 0, #SKYCRATE_EINVAL (also for a duplicate key), or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_add_tag(skycrate_provisioner_config *config,
                                                     const char *key, const char *value);

/**
 * @brief Sets how many requests may run at once.
 *
 * By default (0) the configuration steps run on as many lanes as the transport's
 * `max_concurrency` in strict mode, and one at a time in compatible mode: S3-compatible servers
 * may lose concurrent configuration writes to one bucket (radosgw 16 does: it rewrites all of a
 * bucket's configuration at once, without a lock). Everything else that can run at once (the
 * reads of verify, aborts of multipart uploads, the DeleteObjects batches of deprovisioning)
 * uses the transport's lanes by default, in either mode.
 * @param[in] config the configuration.
 * @param[in] lanes 0 for the default; 1 sends every request in order on the calling thread;
 *            larger values (in either mode) are capped by the transport's `max_concurrency`.
 * @return 0.
 */
SKYCRATE_API int skycrate_provisioner_config_set_concurrency(skycrate_provisioner_config *config,
                                                             unsigned int lanes);

/**
 * @brief Creates a provisioner.
 * @param[out] out the new provisioner; free it with skycrate_provisioner_free().
 * @param[in] client the client that sends the requests; borrowed: it must outlive the
 *            provisioner. May be NULL in dev mode.
 * @param[in] config the configuration (NULL: the defaults); copied, so it may be freed at once.
 * @return 0, #SKYCRATE_EINVAL (no client outside dev mode, library not initialised),
 *         #SKYCRATE_EPARSE or #SKYCRATE_EIO for an unusable users file, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_new(skycrate_provisioner **out,
                                          struct skycrate_client *client,
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
 *             skycrate_provision_record_free(). Set to NULL on failure.
 * @param[in] provisioner the provisioner.
 * @param[in] user_id the user id: non-empty UTF-8, at most 1024 bytes.
 * @return 0; #SKYCRATE_EINVAL for a bad user id; #SKYCRATE_EEXISTS when the user has a record
 *         of the other mode (dev or aws) or no free name was found; #SKYCRATE_ECONFLICT when a
 *         deprovisioning is unfinished or the record keeps changing; the failing step's code
 *         (the record then says `failed`: see skycrate_provisioner_show()); or the store's.
 */
SKYCRATE_API int skycrate_provisioner_provision(skycrate_provision_record **out,
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
 * @param[out] out the record; free it with skycrate_provision_record_free().
 * @param[in] provisioner the provisioner.
 * @param[in] user_id the user id.
 * @return 0, #SKYCRATE_ENOTFOUND when the user has no record (or one with the application's own
 *         fields only), #SKYCRATE_EINVAL, #SKYCRATE_EPARSE for a broken provisioner record, or
 *         the store's code.
 */
SKYCRATE_API int skycrate_provisioner_show(skycrate_provision_record **out,
                                           skycrate_provisioner *provisioner, const char *user_id);

/**
 * @brief The name of a step ("create", "public-access-block", ...).
 * @param[in] step a #skycrate_provision_step value.
 * @return a static string, or NULL for a value this library does not know.
 */
SKYCRATE_API const char *skycrate_provision_step_name(skycrate_provision_step step);

/**
 * @brief The name of a record state ("provisioning", "active", ...).
 * @param[in] state a #skycrate_record_state value.
 * @return a static string, or NULL for an unknown value.
 */
SKYCRATE_API const char *skycrate_record_state_name(skycrate_record_state state);

/**
 * @brief The user id of a record.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_provision_record_user_id(const skycrate_provision_record *record);

/**
 * @brief The bucket name.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_provision_record_bucket(const skycrate_provision_record *record);

/**
 * @brief The bucket's region.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_provision_record_region(const skycrate_provision_record *record);

/**
 * @brief The endpoint the bucket was made on (`https://s3.{region}.amazonaws.com` for AWS,
 *        the custom endpoint's URL otherwise, "" in dev mode).
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *
skycrate_provision_record_endpoint(const skycrate_provision_record *record);

/**
 * @brief The record's mode: "aws" (a real bucket on S3 or an S3-compatible server) or "dev".
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_provision_record_mode(const skycrate_provision_record *record);

/**
 * @brief The record's state.
 * @param[in] record the record.
 * @return a #skycrate_record_state value.
 */
SKYCRATE_API skycrate_record_state
skycrate_provision_record_state(const skycrate_provision_record *record);

/**
 * @brief Where one step stands.
 * @param[in] record the record.
 * @param[in] step a #skycrate_provision_step value.
 * @return a #skycrate_step_status value (#SKYCRATE_STEP_STATUS_OFF for an unknown step).
 */
SKYCRATE_API skycrate_step_status skycrate_provision_record_step(
    const skycrate_provision_record *record, skycrate_provision_step step);

/**
 * @brief The server's answer to a skipped step ("HTTP 400 InvalidArgument: ...").
 * @param[in] record the record.
 * @param[in] step a #skycrate_provision_step value.
 * @return a borrowed string that lives as long as the record; "" unless the step was skipped.
 */
SKYCRATE_API const char *
skycrate_provision_record_step_note(const skycrate_provision_record *record,
                                    skycrate_provision_step step);

/**
 * @brief Why provisioning or deprovisioning failed.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record; "" when nothing failed.
 */
SKYCRATE_API const char *skycrate_provision_record_error(const skycrate_provision_record *record);

/**
 * @brief When the record (its current bucket) was created.
 * @param[in] record the record.
 * @return seconds since the Unix epoch (0 when unknown).
 */
SKYCRATE_API int64_t skycrate_provision_record_created_at(const skycrate_provision_record *record);

/**
 * @brief When the record last changed.
 * @param[in] record the record.
 * @return seconds since the Unix epoch (0 when unknown).
 */
SKYCRATE_API int64_t skycrate_provision_record_updated_at(const skycrate_provision_record *record);

/**
 * @brief Renders the record as JSON, exactly as stored (unknown fields included).
 * @param[out] json_out a NUL-terminated string; free it with skycrate_free().
 * @param[in] record the record.
 * @param[in] flags 0 or #SKYCRATE_PROVISION_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provision_record_to_json(char **json_out,
                                                   const skycrate_provision_record *record,
                                                   uint32_t flags);

/**
 * @brief Frees a record. NULL does nothing.
 * @param[in] record the record.
 */
SKYCRATE_API void skycrate_provision_record_free(skycrate_provision_record *record);

/**
 * @brief Whether everything verify checked matches the profile (the bucket exists and no step
 *        is in drift, missing, unsupported or in error).
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_verify_report_ok(const skycrate_verify_report *report);

/**
 * @brief Whether the bucket exists and is accessible (HeadBucket answered 200).
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_verify_report_bucket_exists(const skycrate_verify_report *report);

/**
 * @brief The bucket's region as the server reported it (`x-amz-bucket-region`).
 * @param[in] report the report.
 * @return a borrowed string that lives as long as the report; "" when the server did not say.
 */
SKYCRATE_API const char *skycrate_verify_report_region(const skycrate_verify_report *report);

/**
 * @brief What verify found for one step (#SKYCRATE_STEP_CREATE: the bucket itself).
 * @param[in] report the report.
 * @param[in] step a #skycrate_provision_step value.
 * @return a #skycrate_verify_status value.
 */
SKYCRATE_API skycrate_verify_status
skycrate_verify_report_step(const skycrate_verify_report *report, skycrate_provision_step step);

/**
 * @brief Details for one step: what differs, or the server's answer.
 * @param[in] report the report.
 * @param[in] step a #skycrate_provision_step value.
 * @return a borrowed string that lives as long as the report; "" when there is nothing to say.
 */
SKYCRATE_API const char *skycrate_verify_report_step_detail(const skycrate_verify_report *report,
                                                            skycrate_provision_step step);

/**
 * @brief Renders the report as JSON:
 *        `{"userId", "bucket", "mode", "ok", "exists", "region", "steps": {"<step>":
 *        {"status": "match", "detail": ""}, ...}}`.
 * @param[out] json_out a NUL-terminated string; free it with skycrate_free().
 * @param[in] report the report.
 * @param[in] flags 0 or #SKYCRATE_PROVISION_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_verify_report_to_json(char **json_out,
                                                const skycrate_verify_report *report,
                                                uint32_t flags);

/**
 * @brief Frees a verify report. NULL does nothing.
 * @param[in] report the report.
 */
SKYCRATE_API void skycrate_verify_report_free(skycrate_verify_report *report);

/**
 * @brief The number of objects (current versions).
 * @param[in] report the report.
 * @return the count.
 */
SKYCRATE_API uint64_t skycrate_usage_report_objects(const skycrate_usage_report *report);

/**
 * @brief The bytes of all objects.
 * @param[in] report the report.
 * @return the sum of their sizes.
 */
SKYCRATE_API uint64_t skycrate_usage_report_bytes(const skycrate_usage_report *report);

/**
 * @brief The number of storage classes seen.
 * @param[in] report the report.
 * @return the count (0 for an empty bucket).
 */
SKYCRATE_API size_t skycrate_usage_report_class_count(const skycrate_usage_report *report);

/**
 * @brief The name of a storage class ("STANDARD", "GLACIER", ...), sorted by name.
 * @param[in] report the report.
 * @param[in] index 0 .. skycrate_usage_report_class_count() - 1.
 * @return a borrowed string that lives as long as the report, or NULL for an index out of range.
 */
SKYCRATE_API const char *skycrate_usage_report_class_name(const skycrate_usage_report *report,
                                                          size_t index);

/**
 * @brief The number of objects in a storage class.
 * @param[in] report the report.
 * @param[in] index 0 .. skycrate_usage_report_class_count() - 1.
 * @return the count (0 for an index out of range).
 */
SKYCRATE_API uint64_t skycrate_usage_report_class_objects(const skycrate_usage_report *report,
                                                          size_t index);

/**
 * @brief The bytes in a storage class.
 * @param[in] report the report.
 * @param[in] index 0 .. skycrate_usage_report_class_count() - 1.
 * @return the bytes (0 for an index out of range).
 */
SKYCRATE_API uint64_t skycrate_usage_report_class_bytes(const skycrate_usage_report *report,
                                                        size_t index);

/**
 * @brief Renders the report as JSON: `{"userId", "bucket", "mode", "objects", "bytes",
 *        "storageClasses": {"STANDARD": {"objects": 2, "bytes": 10}, ...}}`.
 * @param[out] json_out a NUL-terminated string; free it with skycrate_free().
 * @param[in] report the report.
 * @param[in] flags 0 or #SKYCRATE_PROVISION_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_usage_report_to_json(char **json_out, const skycrate_usage_report *report,
                                               uint32_t flags);

/**
 * @brief Frees a usage report. NULL does nothing.
 * @param[in] report the report.
 */
SKYCRATE_API void skycrate_usage_report_free(skycrate_usage_report *report);

/**
 * @brief Whether this was a dry run (nothing was deleted).
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_deprovision_report_dry_run(const skycrate_deprovision_report *report);

/**
 * @brief Object versions deleted (or, in a dry run, to delete); on a server without versioning
 *        support, objects.
 * @param[in] report the report.
 * @return the count, over every call that worked on this deprovisioning.
 */
SKYCRATE_API uint64_t
skycrate_deprovision_report_versions(const skycrate_deprovision_report *report);

/**
 * @brief Delete markers deleted (or to delete).
 * @param[in] report the report.
 * @return the count, over every call that worked on this deprovisioning.
 */
SKYCRATE_API uint64_t
skycrate_deprovision_report_delete_markers(const skycrate_deprovision_report *report);

/**
 * @brief Unfinished multipart uploads aborted (or to abort).
 * @param[in] report the report.
 * @return the count, over every call that worked on this deprovisioning.
 */
SKYCRATE_API uint64_t
skycrate_deprovision_report_uploads(const skycrate_deprovision_report *report);

/**
 * @brief Bytes of the object versions deleted (or to delete).
 * @param[in] report the report.
 * @return the sum of their sizes.
 */
SKYCRATE_API uint64_t skycrate_deprovision_report_bytes(const skycrate_deprovision_report *report);

/**
 * @brief The user's record after deprovisioning (as stored before, for a dry run).
 * @param[in] report the report.
 * @return a borrowed record that lives as long as the report.
 */
SKYCRATE_API const skycrate_provision_record *
skycrate_deprovision_report_record(const skycrate_deprovision_report *report);

/**
 * @brief Renders the report as JSON: `{"userId", "bucket", "dryRun", "versions",
 *        "deleteMarkers", "uploads", "bytes", "record": {...}}`.
 * @param[out] json_out a NUL-terminated string; free it with skycrate_free().
 * @param[in] report the report.
 * @param[in] flags 0 or #SKYCRATE_PROVISION_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_deprovision_report_to_json(char **json_out,
                                                     const skycrate_deprovision_report *report,
                                                     uint32_t flags);

/**
 * @brief Frees a deprovision report (and its record). NULL does nothing.
 * @param[in] report the report.
 */
SKYCRATE_API void skycrate_deprovision_report_free(skycrate_deprovision_report *report);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_PROVISIONER_H */
