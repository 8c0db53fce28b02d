/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDENTIALS_H
#define SKYCRATE_CREDENTIALS_H

/**
 * @file skycrate/credentials.h
 * @brief AWS credentials and the credentials-provider seam.
 * @defgroup skycrate_credentials Credentials
 *
 * A #skycrate_credentials value is immutable and reference-counted; its secret parts are wiped
 * from memory when the last reference goes. A #skycrate_credentials_provider produces such
 * values on demand. Providers are reference-counted too, so one provider can be shared by
 * clients and presigners. Every built-in provider is made with the same public callback table
 * an application uses for its own (skycrate_credentials_provider_new()).
 *
 * Like every seam of the library (the HTTP transport and the user store too), a provider is an
 * opaque, reference-counted object made from a versioned callback table. The table is copied
 * (the part its version defines); the provider owns `user_data` from then on and calls
 * `free(user_data)` exactly once, when its last reference goes. Each configuration, client and
 * presigner that uses it holds a reference. If skycrate_credentials_provider_new() fails, `free`
 * is not called and `user_data` stays the caller's.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Creates credentials.
 *
 * The strings are copied. The result belongs to the caller (one reference).
 * @param[out] out the new credentials.
 * @param[in] access_key_id the access key id: non-empty, an HTTP token (letters, digits and
 *            the punctuation RFC 7230 allows in a token) without `/` or `,`, as it goes into
 *            the credential scope.
 * @param[in] secret_access_key the secret access key (non-empty).
 * @param[in] session_token the session token (printable ASCII, spaces and tabs: it is sent as a
 *            header value), or NULL.
 * @param[in] expiration when they expire, in seconds since the Unix epoch, or 0 if never.
 * @return 0, #SKYCRATE_EINVAL for a missing key or a key id or token that could not be sent
 *         as it is, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_credentials_new(skycrate_credentials **out, const char *access_key_id,
                                          const char *secret_access_key, const char *session_token,
                                          int64_t expiration);

/**
 * @brief Takes another reference. Thread-safe.
 * @param[in] credentials the credentials (NULL does nothing).
 * @return `credentials`, or NULL when it is NULL or not live credentials.
 */
SKYCRATE_API skycrate_credentials *skycrate_credentials_ref(skycrate_credentials *credentials);

/**
 * @brief Drops a reference; the last one wipes and frees. Thread-safe; NULL does nothing.
 * @param[in] credentials the credentials.
 */
SKYCRATE_API void skycrate_credentials_unref(skycrate_credentials *credentials);

/**
 * @brief The access key id.
 * @param[in] credentials the credentials.
 * @return a borrowed string that lives as long as the reference.
 */
SKYCRATE_API const char *
skycrate_credentials_access_key_id(const skycrate_credentials *credentials);

/**
 * @brief The secret access key. Never log it.
 * @param[in] credentials the credentials.
 * @return a borrowed string that lives as long as the reference.
 */
SKYCRATE_API const char *
skycrate_credentials_secret_access_key(const skycrate_credentials *credentials);

/**
 * @brief The session token. Never log it.
 * @param[in] credentials the credentials.
 * @return a borrowed string, or NULL when there is none.
 */
SKYCRATE_API const char *
skycrate_credentials_session_token(const skycrate_credentials *credentials);

/**
 * @brief When the credentials expire.
 * @param[in] credentials the credentials.
 * @return seconds since the Unix epoch, or 0 when they do not expire.
 */
SKYCRATE_API int64_t skycrate_credentials_expiration(const skycrate_credentials *credentials);

/**
 * @brief Produces credentials for a provider.
 *
 * Called by the library, possibly from several threads at once; the function must be
 * thread-safe. On success it stores one reference in `*out` (which the library releases).
 * On failure it returns a negative code, preferably after skycrate_error_set_str().
 * #SKYCRATE_ENOTFOUND means "this source has no credentials" and lets a chain move on.
 */
typedef int (*skycrate_credentials_get_fn)(skycrate_credentials **out, void *user_data);

/** The current version of #skycrate_credentials_provider_callbacks. */
#define SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION 1

/**
 * A provider's callbacks: a versioned table; fields are only appended. Set `version` with
 * #SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT or skycrate_credentials_provider_callbacks_init().
 */
typedef struct skycrate_credentials_provider_callbacks {
    /** #SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION. */
    unsigned int version;
    /** Produces credentials (required). */
    skycrate_credentials_get_fn get;
    /** Optional: releases `user_data` when the provider's last reference goes. */
    void (*free)(void *user_data);
    /** Passed to `get` and `free`. */
    void *user_data;
    /** A short name used in error messages ("environment", "my-vault"); copied; may be NULL. */
    const char *name;
} skycrate_credentials_provider_callbacks;

/** Static initialiser for #skycrate_credentials_provider_callbacks. */
#define SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT                                               \
    {                                                                                              \
        SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION, NULL, NULL, NULL, NULL                    \
    }

/**
 * @brief Zero-fills a callback table and sets its version.
 * @param[out] callbacks the table.
 * @param[in] version #SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION.
 * @return 0, or #SKYCRATE_EINVAL for NULL or an unknown version.
 */
SKYCRATE_API int
skycrate_credentials_provider_callbacks_init(skycrate_credentials_provider_callbacks *callbacks,
                                             unsigned int version);

/**
 * @brief Creates a provider from a callback table.
 *
 * The table is copied (the prefix known for its version). If creation fails, `free` is not
 * called: `user_data` stays the caller's.
 * @param[out] out the new provider (one reference).
 * @param[in] callbacks the table; `get` is required.
 * @return 0, #SKYCRATE_EINVAL for a bad table, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int
skycrate_credentials_provider_new(skycrate_credentials_provider **out,
                                  const skycrate_credentials_provider_callbacks *callbacks);

/**
 * @brief Creates a provider that calls one user function (no `free`, name "delegate").
 * @param[out] out the new provider (one reference).
 * @param[in] get the function.
 * @param[in] user_data passed to `get`.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_credentials_provider_new_delegate(skycrate_credentials_provider **out,
                                                            skycrate_credentials_get_fn get,
                                                            void *user_data);

/**
 * @brief Creates a provider that always returns the same credentials.
 * @param[out] out the new provider (one reference).
 * @param[in] credentials the credentials; the provider takes its own reference.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_credentials_provider_new_static(skycrate_credentials_provider **out,
                                                          skycrate_credentials *credentials);

/**
 * @brief Creates a provider that reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 *        `AWS_SESSION_TOKEN` and `AWS_CREDENTIAL_EXPIRATION` (ISO 8601) from the environment
 *        each time it is asked.
 *
 * Its `get` returns #SKYCRATE_ENOTFOUND when the two keys are not both set, and
 * #SKYCRATE_EPARSE for an unreadable expiration.
 * @param[out] out the new provider (one reference).
 * @return 0 or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_credentials_provider_new_env(skycrate_credentials_provider **out);

/**
 * @brief Creates a provider that asks several providers in order (name "chain").
 *
 * Each get asks the providers in turn and returns the first credentials. A provider that
 * returns #SKYCRATE_ENOTFOUND ("nothing here") lets the chain move on; any other failure stops
 * it and is returned (a source that is configured but broken is an error, as in the AWS SDKs).
 * When every provider has nothing, the chain returns #SKYCRATE_ENOTFOUND with each one's
 * reason in the message. The chain takes its own reference to each provider; it is
 * thread-safe when they are. It keeps nothing: wrap it with
 * skycrate_credentials_provider_new_cached() to keep and refresh what it finds.
 * @param[out] out the new provider (one reference).
 * @param[in] providers the providers, in order (none may be NULL).
 * @param[in] count how many (0 gives a chain that always has nothing).
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int
skycrate_credentials_provider_new_chain(skycrate_credentials_provider **out,
                                        skycrate_credentials_provider *const *providers,
                                        size_t count);

/**
 * @brief Creates a provider that keeps the credentials of another and refreshes them ahead of
 *        their expiry (name "cached").
 *
 * Credentials without an expiration are kept for good. Others are asked for again
 * `refresh_ahead_seconds` before they expire (at half their lifetime when they live shorter
 * than twice that). One refresh runs at a time: meanwhile, other callers get the current
 * credentials while they are still valid, or wait for the refresh and share its result. If a
 * refresh fails while the current credentials are still valid, those are returned (and the
 * failure logged as a warning); expired credentials are never returned. The inner provider is
 * never called with a lock held. Thread-safe; takes its own reference to `inner`.
 * @param[out] out the new provider (one reference).
 * @param[in] inner the provider to cache (for example a chain).
 * @param[in] refresh_ahead_seconds how long before expiry to refresh; 0 means 300 (5 minutes).
 * @return 0, #SKYCRATE_EINVAL, #SKYCRATE_ENOMEM, or #SKYCRATE_ERROR when a mutex cannot be
 *         created. Its get returns what `inner` returns.
 */
SKYCRATE_API int skycrate_credentials_provider_new_cached(skycrate_credentials_provider **out,
                                                          skycrate_credentials_provider *inner,
                                                          uint32_t refresh_ahead_seconds);

/**
 * @brief Creates the default provider: the AWS SDKs' credentials chain, cached (name
 *        "default").
 *
 * The chain, in order: the environment (as skycrate_credentials_provider_new_env(); left out
 * when `profile` is given, as botocore does for a profile named in code); the profile of the
 * AWS shared files (static keys, `credential_process`, `role_arn` with `source_profile` or
 * `credential_source` through STS AssumeRole, `web_identity_token_file` through STS
 * AssumeRoleWithWebIdentity); web identity from `AWS_WEB_IDENTITY_TOKEN_FILE` and
 * `AWS_ROLE_ARN`; the container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
 * `_FULL_URI`); EC2 instance metadata (IMDSv2, one-second timeouts). Each source is read when
 * credentials are needed, not when the provider is made; the result is cached and refreshed
 * five minutes before it expires, as skycrate_credentials_provider_new_cached() does. STS,
 * container and instance-metadata requests use the library's libcurl transport. The
 * environment variables and files are described in the "Credentials" section of the manual.
 * Thread-safe. This is the provider a client uses when it is given none.
 * @param[out] out the new provider (one reference).
 * @param[in] profile the profile to use, or NULL for `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE`,
 *            then "default".
 * @return 0, #SKYCRATE_ENOMEM, or #SKYCRATE_ERROR. Its get returns #SKYCRATE_ENOTFOUND when no
 *         source has credentials (the message lists each source's reason), or the code of the
 *         first source that is configured but broken (#SKYCRATE_EPARSE, #SKYCRATE_EINVAL,
 *         #SKYCRATE_EAUTH, #SKYCRATE_EIO, #SKYCRATE_ECONNECT, #SKYCRATE_ETIMEOUT, ...).
 */
SKYCRATE_API int skycrate_credentials_provider_new_default(skycrate_credentials_provider **out,
                                                           const char *profile);

/**
 * @brief Asks a provider for credentials.
 *
 * Thread-safe when the provider's callbacks are.
 * @param[out] out the credentials (one reference, release with skycrate_credentials_unref()).
 * @param[in] provider the provider.
 * @return 0, #SKYCRATE_ENOTFOUND when the source has none, #SKYCRATE_EEXPIRED when they have
 *         already expired, or the provider's own code.
 */
SKYCRATE_API int skycrate_credentials_provider_get(skycrate_credentials **out,
                                                   skycrate_credentials_provider *provider);

/**
 * @brief The provider's name, as given in its callback table.
 * @param[in] provider the provider.
 * @return a borrowed string, never NULL.
 */
SKYCRATE_API const char *
skycrate_credentials_provider_name(const skycrate_credentials_provider *provider);

/**
 * @brief Takes another reference. Thread-safe.
 * @param[in] provider the provider (NULL does nothing).
 * @return `provider`, or NULL when it is NULL or not a live provider.
 */
SKYCRATE_API skycrate_credentials_provider *
skycrate_credentials_provider_ref(skycrate_credentials_provider *provider);

/**
 * @brief Drops a reference; the last one calls the table's `free`. Thread-safe; NULL does nothing.
 * @param[in] provider the provider.
 */
SKYCRATE_API void skycrate_credentials_provider_unref(skycrate_credentials_provider *provider);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_CREDENTIALS_H */
