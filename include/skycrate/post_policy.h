/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_POST_POLICY_H
#define SKYCRATE_POST_POLICY_H

/**
 * @file skycrate/post_policy.h
 * @brief Browser form uploads (S3 POST policies): the way to enforce a size limit.
 * @defgroup skycrate_post_policy POST policy
 *
 * A presigned PUT cannot limit the size of what a browser sends; a POST policy can. A
 * #skycrate_post_policy lists the conditions an upload must meet (key or key prefix, a
 * `content-length-range`, the content type or its prefix, `success_action_status`, other
 * fields); skycrate_presigner_sign_post() signs it and returns a #skycrate_post_form: the URL the
 * browser posts a `multipart/form-data` form to, and the fields the form must carry before its
 * `file` field. For example:
 * @code{.html}
 * <form action="{url}" method="post" enctype="multipart/form-data">
 *   <input type="hidden" name="key" value="uploads/user42/${filename}">
 *   <input type="hidden" name="policy" value="...">  <!-- and every other field -->
 *   <input type="file" name="file">
 * </form>
 * @endcode
 * A policy object is used by one thread at a time while it is changed; once built it may be read
 * by several threads signing at once.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Creates a policy for uploads into a bucket, valid 900 seconds, signed as of the time of
 *        each signature. Set a key or a key prefix before signing.
 * @param[out] out the new policy; free it with skycrate_post_policy_free().
 * @param[in] bucket the bucket: 3 to 255 characters of `A-Z a-z 0-9 . - _`; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_post_policy_new(skycrate_post_policy **out, const char *bucket);

/**
 * @brief Frees a policy. NULL does nothing.
 * @param[in] policy the policy.
 */
SKYCRATE_API void skycrate_post_policy_free(skycrate_post_policy *policy);

/**
 * @brief The upload must have exactly this key (condition `{"key": ...}`).
 * @param[in] policy the policy.
 * @param[in] key 1 to 1024 bytes of UTF-8; copied. Replaces a key prefix.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_post_policy_set_key(skycrate_post_policy *policy, const char *key);

/**
 * @brief The upload's key must start with a prefix (condition `["starts-with", "$key", ...]`);
 *        the form's `key` field is the prefix followed by `${filename}`, which S3 replaces with
 *        the name of the file the browser sends.
 * @param[in] policy the policy.
 * @param[in] prefix up to 1013 bytes of UTF-8, "" for any key; copied. Replaces a key.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_post_policy_set_key_prefix(skycrate_post_policy *policy,
                                                     const char *prefix);

/**
 * @brief The file's size must be within a range (condition `content-length-range`); S3
 *        refuses a smaller or larger upload with `EntityTooSmall` / `EntityTooLarge`.
 * @param[in] policy the policy.
 * @param[in] min_bytes the smallest size allowed.
 * @param[in] max_bytes the largest size allowed (>= min_bytes, at most 2^53).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_post_policy_set_content_length_range(skycrate_post_policy *policy,
                                                               uint64_t min_bytes,
                                                               uint64_t max_bytes);

/**
 * @brief The upload's content type must be exactly this; the form gets a `content-type` field
 *        with it.
 * @param[in] policy the policy.
 * @param[in] content_type printable ASCII; copied. Replaces a content-type prefix.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_post_policy_set_content_type(skycrate_post_policy *policy,
                                                       const char *content_type);

/**
 * @brief The upload's content type must start with a prefix (for example `image/`); the
 *        browser's form must then carry a `content-type` field of its own.
 * @param[in] policy the policy.
 * @param[in] prefix printable ASCII, may be ""; copied. Replaces an exact content type.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_post_policy_set_content_type_prefix(skycrate_post_policy *policy,
                                                              const char *prefix);

/**
 * @brief The HTTP status S3 answers a successful upload with (field and condition
 *        `success_action_status`); S3's default is 204.
 * @param[in] policy the policy.
 * @param[in] status 200, 201 (with an XML body naming the object) or 204; 0 removes it.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_post_policy_set_success_action_status(skycrate_post_policy *policy,
                                                                int status);

/**
 * @brief Adds a form field with an exact value and the condition that requires it: for example
 *        `x-amz-meta-user`, `Cache-Control`, `x-amz-server-side-encryption`, `x-amz-tagging`.
 * @param[in] policy the policy.
 * @param[in] name the field name; the fields the library sets (`key`, `policy`, `bucket`,
 *            `file`, `content-type`, `success_action_status`, `x-amz-algorithm`,
 *            `x-amz-credential`, `x-amz-date`, `x-amz-signature`, `x-amz-security-token`) are
 *            refused; each name at most once (any case).
 * @param[in] value UTF-8 without control characters; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_post_policy_add_field(skycrate_post_policy *policy, const char *name,
                                                const char *value);

/**
 * @brief Sets how long the form can be used; clamped to the credentials' expiration as for
 *        presigned URLs.
 * @param[in] policy the policy.
 * @param[in] seconds 1 to 604800.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_post_policy_set_expires(skycrate_post_policy *policy, int64_t seconds);

/**
 * @brief Signs as of a fixed time instead of the presigner's clock.
 * @param[in] policy the policy.
 * @param[in] unix_seconds 0 to 253402300799, or -1 for the time of each signature again.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_post_policy_set_time(skycrate_post_policy *policy, int64_t unix_seconds);

/**
 * @brief Signs a policy: the policy document (JSON, then base64) with the conditions, the
 *        bucket, the key condition and the SigV4 fields, signed with the presigner's
 *        credentials. Thread-safe.
 * @param[out] out the form; free it with skycrate_post_form_free().
 * @param[in] presigner the presigner.
 * @param[in] policy the policy; it must have a key or a key prefix.
 * @return 0, #SKYCRATE_EINVAL, #SKYCRATE_EEXPIRED, the provider's code, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_presigner_sign_post(skycrate_post_form **out,
                                              const skycrate_presigner *presigner,
                                              const skycrate_post_policy *policy);

/**
 * @brief Frees a form. NULL does nothing.
 * @param[in] form the form.
 */
SKYCRATE_API void skycrate_post_form_free(skycrate_post_form *form);

/**
 * @brief The URL the browser posts the form to (the bucket's URL).
 * @param[in] form the form.
 * @return a borrowed string that lives as long as the form.
 */
SKYCRATE_API const char *skycrate_post_form_url(const skycrate_post_form *form);

/**
 * @brief How many fields the form carries (before the `file` field).
 * @param[in] form the form.
 * @return the number of fields.
 */
SKYCRATE_API size_t skycrate_post_form_field_count(const skycrate_post_form *form);

/**
 * @brief One field of the form: `key`, `content-type`, `success_action_status`, the added
 *        fields, `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`, `x-amz-security-token`,
 *        `policy` and `x-amz-signature`, in this order.
 * @param[in] form the form.
 * @param[in] index 0 .. skycrate_post_form_field_count() - 1.
 * @param[out] name the field name (borrowed; may be NULL).
 * @param[out] value the field value (borrowed; may be NULL).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_post_form_field(const char **name, const char **value,
                                          const skycrate_post_form *form, size_t index);

/**
 * @brief When the form stops working (the policy's `expiration`).
 * @param[in] form the form.
 * @return seconds since the Unix epoch.
 */
SKYCRATE_API int64_t skycrate_post_form_expires_at(const skycrate_post_form *form);

/**
 * @brief How long the form works from its signing time, in seconds (after clamping).
 * @param[in] form the form.
 * @return 1 .. 604800.
 */
SKYCRATE_API int64_t skycrate_post_form_expires_in(const skycrate_post_form *form);

/**
 * @brief Whether the expiry was shortened to the credentials' expiration.
 * @param[in] form the form.
 * @return 1 if it was, else 0.
 */
SKYCRATE_API int skycrate_post_form_clamped(const skycrate_post_form *form);

/**
 * @brief The policy document that was signed, as JSON text (the `policy` field is its base64).
 * @param[in] form the form.
 * @return a borrowed string that lives as long as the form.
 */
SKYCRATE_API const char *skycrate_post_form_policy(const skycrate_post_form *form);

/**
 * @brief The form as JSON: `url`, `fields` (an object of name to value, in field order),
 *        `expiresAt` (ISO 8601 UTC), `expiresIn`, `expiresClamped`.
 * @param[out] out the JSON text (UTF-8); free it with skycrate_free().
 * @param[in] form the form.
 * @param[in] flags 0 (compact) or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_post_form_to_json(char **out, const skycrate_post_form *form,
                                            uint32_t flags);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_POST_POLICY_H */
