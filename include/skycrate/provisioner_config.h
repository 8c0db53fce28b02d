/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISIONER_CONFIG_H
#define SKYCRATE_PROVISIONER_CONFIG_H

/**
 * @file skycrate/provisioner_config.h
 * @brief The provisioner's configuration: the user store, naming, failure mode and the security profile.
 * @defgroup skycrate_provisioner_config Provisioner configuration
 *
 * A configuration is made with the secure defaults and changed by setters, each of which
 * checks its input at once. A provisioner copies it when it is created, so the configuration
 * may be freed or changed afterwards. A configuration is used by one thread at a time.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** What a configuration step the server rejects means. */
typedef enum skycrate_failure_mode {
    /** Every step must succeed; a failing one rolls the transaction back (the default). */
    SKYCRATE_FAILURE_MODE_STRICT = 0,
    /** For S3-compatible servers: a step answered `NotImplemented`, `InvalidArgument` or
     *  `MethodNotAllowed` (HTTP 501 or 405) is recorded as skipped; other failures roll back.
     *  The bucket must also take uploads: after a public access block with BlockPublicAcls, a
     *  write probe (PutObject, then DeleteObject, of the reserved key `.skycrate/write-probe`)
     *  checks it; when the server refuses it (radosgw 16 refuses every upload under
     *  BlockPublicAcls), the block is put again without BlockPublicAcls, keeping the other
     *  three settings, and the record notes it (skycrate_record_step_note(), `stepsAdapted`
     *  in its JSON). A bucket that refuses uploads even then fails the provisioning. */
    SKYCRATE_FAILURE_MODE_COMPATIBLE = 1
} skycrate_failure_mode;

/** Default bucket encryption. */
typedef enum skycrate_encryption {
    SKYCRATE_ENCRYPTION_NONE = 0,   /**< No PutBucketEncryption step. */
    SKYCRATE_ENCRYPTION_AES256 = 1, /**< SSE-S3 (`AES256`), the default. */
    SKYCRATE_ENCRYPTION_KMS = 2     /**< SSE-KMS (`aws:kms`), optionally with a key id. */
} skycrate_encryption;

/** Object ownership, sent on CreateBucket (`x-amz-object-ownership`) and as its own step. */
typedef enum skycrate_ownership {
    SKYCRATE_OWNERSHIP_UNSET = 0,                  /**< Neither the header nor the step. */
    SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED = 1,  /**< ACLs disabled (the default). */
    SKYCRATE_OWNERSHIP_BUCKET_OWNER_PREFERRED = 2, /**< `BucketOwnerPreferred`. */
    SKYCRATE_OWNERSHIP_OBJECT_WRITER = 3           /**< `ObjectWriter`. */
} skycrate_ownership;

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
 * @brief Keeps the records in a user store (@ref skycrate_store): the JSON file of
 *        skycrate_user_store_new_file() at another path, or an application's own store.
 *
 * The configuration takes its own reference to the store (and drops the one it held), and each
 * provisioner made from it takes another; the caller keeps its own reference. Without a store,
 * each provisioner opens the file store `users.json` in the current directory when it is
 * created. The store's callbacks are called from the thread that calls the provisioner.
 * @param[in] config the configuration.
 * @param[in] store the store, or NULL for the default file.
 * @return 0, or #SKYCRATE_EINVAL for an invalid handle.
 */
SKYCRATE_API int skycrate_provisioner_config_set_store(skycrate_provisioner_config *config,
                                                       skycrate_user_store *store);

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
 * @param[in] mode a #skycrate_failure_mode value.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_provisioner_config_set_failure_mode(skycrate_provisioner_config *config,
                                                              skycrate_failure_mode mode);

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
 * @param[in] ownership a #skycrate_ownership value; #SKYCRATE_OWNERSHIP_UNSET leaves
 *            both the create header and the step out.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int
skycrate_provisioner_config_set_object_ownership(skycrate_provisioner_config *config,
                                                 skycrate_ownership ownership);

/**
 * @brief Adds an origin that browsers may upload from (the CORS step runs when there is one).
 *
 * The CORS rule allows the methods of skycrate_provisioner_config_set_cors_methods() (PUT,
 * GET and HEAD by default) from these origins, with the headers of
 * skycrate_provisioner_config_set_cors_allowed_headers() (by default those presigned uploads
 * need: `content-type`, `content-md5`, `content-disposition`, `cache-control`, `x-amz-*`), and
 * exposes those of skycrate_provisioner_config_set_cors_expose_headers() (`ETag` by default).
 * @param[in] config the configuration.
 * @param[in] origin `scheme://host[:port]` (http or https; one `*` wildcard allowed), or `*`;
 *            printable ASCII without blanks, at most 512 bytes; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_provisioner_config_add_cors_origin(skycrate_provisioner_config *config,
                                                             const char *origin);

/** CORS method bit: `PUT` (presigned uploads and parts). */
#define SKYCRATE_CORS_METHOD_PUT (1u << 0)
/** CORS method bit: `POST` (POST-policy forms sent with `fetch` or XMLHttpRequest). */
#define SKYCRATE_CORS_METHOD_POST (1u << 1)
/** CORS method bit: `GET`. */
#define SKYCRATE_CORS_METHOD_GET (1u << 2)
/** CORS method bit: `HEAD`. */
#define SKYCRATE_CORS_METHOD_HEAD (1u << 3)
/** CORS method bit: `DELETE`. */
#define SKYCRATE_CORS_METHOD_DELETE (1u << 4)

/**
 * @brief Sets the methods the CORS rule allows (default PUT, GET and HEAD).
 *
 * Add #SKYCRATE_CORS_METHOD_POST when browsers upload POST-policy forms from a script: a form
 * sent with `fetch` needs no preflight, so without POST in the rule the object is written
 * while the page sees only a `TypeError` (and retries).
 * @param[in] config the configuration.
 * @param[in] methods `SKYCRATE_CORS_METHOD_*` bits, at least one.
 * @return 0, or #SKYCRATE_EINVAL for no bit or an unknown bit.
 */
SKYCRATE_API int skycrate_provisioner_config_set_cors_methods(skycrate_provisioner_config *config,
                                                              uint32_t methods);

/**
 * @brief Sets the request headers the CORS rule allows (`AllowedHeader`).
 *
 * A browser sends a preflight before a PUT with any header beyond the CORS-safelisted ones, and
 * S3 refuses it unless each header is allowed: the default (`content-type`, `content-md5`,
 * `content-disposition`, `cache-control`, `x-amz-*`) covers every header the presigner signs.
 * Only the configuration is changed; the list is copied.
 * @param[in] config the configuration.
 * @param[in] headers header names (RFC 9110 token characters and at most one `*` wildcard, as
 *            in `x-amz-*`; 1 to 128 bytes each), or NULL (with `count` 0) for the default.
 * @param[in] count the number of names, at most 32; 0 with a non-NULL `headers` allows none.
 * @return 0, #SKYCRATE_EINVAL for a malformed name or too many, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int
skycrate_provisioner_config_set_cors_allowed_headers(skycrate_provisioner_config *config,
                                                     const char *const *headers, size_t count);

/**
 * @brief Sets the response headers the CORS rule lets scripts read (`ExposeHeader`).
 *
 * The default, `ETag`, is what a page needs to complete a multipart upload from the browser.
 * Only the configuration is changed; the list is copied.
 * @param[in] config the configuration.
 * @param[in] headers header names (as for skycrate_provisioner_config_set_cors_allowed_headers()),
 *            or NULL (with `count` 0) for the default.
 * @param[in] count the number of names, at most 32; 0 with a non-NULL `headers` exposes none.
 * @return 0, #SKYCRATE_EINVAL for a malformed name or too many, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int
skycrate_provisioner_config_set_cors_expose_headers(skycrate_provisioner_config *config,
                                                    const char *const *headers, size_t count);

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

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_PROVISIONER_CONFIG_H */
