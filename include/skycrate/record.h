/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_RECORD_H
#define SKYCRATE_RECORD_H

/**
 * @file skycrate/record.h
 * @brief A user's record: the bucket, its state and the provisioning steps, as the user store keeps it.
 * @defgroup skycrate_record Records
 *
 * The provisioner keeps one record per user in the user store (@ref skycrate_store) and
 * returns it from skycrate_provisioner_provision() and skycrate_provisioner_show(). A record
 * is an independent, immutable object: any thread may read it; free it with
 * skycrate_record_free().
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * The steps of provisioning. The values are fixed; a new step gets a new value, and
 * skycrate_step_name() returns NULL for a value this library does not know, so
 * `for (s = 0; skycrate_step_name(s); s++)` visits every step.
 */
typedef enum skycrate_step {
    SKYCRATE_STEP_CREATE = 0,              /**< CreateBucket ("create"). */
    SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK = 1, /**< PutPublicAccessBlock ("public-access-block"). */
    SKYCRATE_STEP_ENCRYPTION = 2,          /**< PutBucketEncryption ("encryption"). */
    SKYCRATE_STEP_OWNERSHIP_CONTROLS = 3, /**< PutBucketOwnershipControls ("ownership-controls"). */
    SKYCRATE_STEP_CORS = 4,               /**< PutBucketCors ("cors"). */
    SKYCRATE_STEP_TLS_POLICY = 5,         /**< PutBucketPolicy, TLS only ("tls-policy"). */
    SKYCRATE_STEP_LIFECYCLE = 6,          /**< PutBucketLifecycleConfiguration ("lifecycle"). */
    SKYCRATE_STEP_TAGS = 7                /**< PutBucketTagging ("tags"). */
} skycrate_step;

/** Where a step stands in a record. */
typedef enum skycrate_step_status {
    SKYCRATE_STEP_STATUS_OFF = 0,     /**< Not part of the profile the record was made with. */
    SKYCRATE_STEP_STATUS_PENDING = 1, /**< Planned, not done (yet). */
    SKYCRATE_STEP_STATUS_DONE = 2,    /**< Done. */
    SKYCRATE_STEP_STATUS_SKIPPED = 3  /**< Skipped: the server does not support it. */
} skycrate_step_status;

/** The state of a user's record. */
typedef enum skycrate_state {
    SKYCRATE_STATE_PROVISIONING = 1,   /**< Provisioning began and has not finished. */
    SKYCRATE_STATE_ACTIVE = 2,         /**< The bucket is ready. */
    SKYCRATE_STATE_FAILED = 3,         /**< Provisioning failed and was rolled back. */
    SKYCRATE_STATE_DEPROVISIONING = 4, /**< Deprovisioning began and has not finished. */
    SKYCRATE_STATE_DELETED = 5         /**< The bucket was deleted. */
} skycrate_state;

/**
 * @brief The name of a step ("create", "public-access-block", ...).
 * @param[in] step a #skycrate_step value.
 * @return a static string, or NULL for a value this library does not know.
 */
SKYCRATE_API const char *skycrate_step_name(skycrate_step step);

/**
 * @brief The name of a record state ("provisioning", "active", ...).
 * @param[in] state a #skycrate_state value.
 * @return a static string, or NULL for an unknown value.
 */
SKYCRATE_API const char *skycrate_state_name(skycrate_state state);

/**
 * @brief The user id of a record.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_record_user_id(const skycrate_record *record);

/**
 * @brief The bucket name.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_record_bucket(const skycrate_record *record);

/**
 * @brief The bucket's region.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_record_region(const skycrate_record *record);

/**
 * @brief The endpoint the bucket was made on (`https://s3.{region}.amazonaws.com` for AWS,
 *        the custom endpoint's URL otherwise, "" in dev mode).
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_record_endpoint(const skycrate_record *record);

/**
 * @brief The record's mode: "aws" (a real bucket on S3 or an S3-compatible server) or "dev".
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record.
 */
SKYCRATE_API const char *skycrate_record_mode(const skycrate_record *record);

/**
 * @brief The record's state.
 * @param[in] record the record.
 * @return a #skycrate_state value.
 */
SKYCRATE_API skycrate_state skycrate_record_state(const skycrate_record *record);

/**
 * @brief Where one step stands.
 * @param[in] record the record.
 * @param[in] step a #skycrate_step value.
 * @return a #skycrate_step_status value (#SKYCRATE_STEP_STATUS_OFF for an unknown step).
 */
SKYCRATE_API skycrate_step_status skycrate_record_step(const skycrate_record *record,
                                                       skycrate_step step);

/**
 * @brief The server's answer to a skipped step ("HTTP 400 InvalidArgument: ..."), or why a step
 *        was adapted to the server ("BlockPublicAcls left off: with it the server refused an
 *        upload (HTTP 403 AccessDenied)", see #SKYCRATE_FAILURE_MODE_COMPATIBLE).
 * @param[in] record the record.
 * @param[in] step a #skycrate_step value.
 * @return a borrowed string that lives as long as the record; "" unless the step was skipped
 *         or adapted.
 */
SKYCRATE_API const char *skycrate_record_step_note(const skycrate_record *record,
                                                   skycrate_step step);

/**
 * @brief Why provisioning or deprovisioning failed.
 * @param[in] record the record.
 * @return a borrowed string that lives as long as the record; "" when nothing failed.
 */
SKYCRATE_API const char *skycrate_record_error(const skycrate_record *record);

/**
 * @brief When the record (its current bucket) was created.
 * @param[in] record the record.
 * @return seconds since the Unix epoch (0 when unknown).
 */
SKYCRATE_API int64_t skycrate_record_created_at(const skycrate_record *record);

/**
 * @brief When the record last changed.
 * @param[in] record the record.
 * @return seconds since the Unix epoch (0 when unknown).
 */
SKYCRATE_API int64_t skycrate_record_updated_at(const skycrate_record *record);

/**
 * @brief Renders the record as JSON, exactly as stored (unknown fields included).
 * @param[out] out a NUL-terminated string; free it with skycrate_free().
 * @param[in] record the record.
 * @param[in] flags 0 or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_record_to_json(char **out, const skycrate_record *record, uint32_t flags);

/**
 * @brief Frees a record. NULL does nothing.
 * @param[in] record the record.
 */
SKYCRATE_API void skycrate_record_free(skycrate_record *record);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_RECORD_H */
