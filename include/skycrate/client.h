/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CLIENT_H
#define SKYCRATE_CLIENT_H

/**
 * @file skycrate/client.h
 * @brief The S3 client: configuration, connection, signing, retries.
 * @defgroup skycrate_client Client
 *
 * A client holds the region, endpoint, addressing style, timeouts, retry policy, clock offset,
 * transport and credentials provider that every request uses. It is built from a
 * #skycrate_client_config, which it copies. A client is used by one thread at a time; create
 * one per thread, or share a presigner (which is immutable) instead.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** How bucket names are placed into URLs. */
typedef enum skycrate_addressing {
    /** Virtual-hosted regional for AWS; path style for custom endpoints, IP hosts, and bucket
     *  names with dots over https. */
    SKYCRATE_ADDRESSING_AUTO = 0,
    /** Virtual-hosted (`bucket.host`) wherever the bucket name allows it, else path style. */
    SKYCRATE_ADDRESSING_VIRTUAL = 1,
    /** Path style (`host/bucket`). */
    SKYCRATE_ADDRESSING_PATH = 2
} skycrate_addressing;

/** Endpoint variant: dual-stack (IPv4 and IPv6) AWS endpoints, `s3.dualstack.{region}.amazonaws.com`. */
#define SKYCRATE_ENDPOINT_DUALSTACK (1u << 0)
/** Endpoint variant: FIPS 140-validated AWS endpoints, `s3-fips.{region}.amazonaws.com`. */
#define SKYCRATE_ENDPOINT_FIPS (1u << 1)

/** Details of the last S3 answer a client received. Fields are only appended. */
typedef struct skycrate_response_info {
    int age;                    /**< The struct's version; 1 for these fields. */
    int http_status;            /**< HTTP status; 0 when no answer came. */
    const char *s3_code;        /**< S3 error code (`NoSuchBucket`), or "". */
    const char *s3_message;     /**< S3 error message, or "". */
    const char *request_id;     /**< `x-amz-request-id` or the error's RequestId, or "". */
    const char *host_id;        /**< `x-amz-id-2` or the error's HostId, or "". */
    const char *region;         /**< The bucket's region when the server told it, or "". */
    const char *string_to_sign; /**< The server's StringToSign on a signature error, or "". */
    const char
        *canonical_request; /**< The server's CanonicalRequest on a signature error, or "". */
    unsigned int attempts;  /**< How many times the request was sent (retries included). */
} skycrate_response_info;

/**
 * @brief Creates a configuration with the defaults: region from `AWS_REGION` /
 *        `AWS_DEFAULT_REGION` (else us-east-1), AWS endpoints, #SKYCRATE_ADDRESSING_AUTO,
 *        connect timeout 10 s, request timeout 300 s, 3 attempts with backoff from 100 ms to
 *        20 s, the libcurl transport and the default credentials provider.
 * @param[out] out the new configuration; free it with skycrate_client_config_free().
 * @return 0 or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_client_config_new(skycrate_client_config **out);

/**
 * @brief Frees a configuration. NULL does nothing.
 * @param[in] config the configuration.
 */
SKYCRATE_API void skycrate_client_config_free(skycrate_client_config *config);

/**
 * @brief Sets the signing region (for example "eu-west-1").
 * @param[in] config the configuration.
 * @param[in] region the region: lowercase letters, digits and dashes; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_client_config_set_region(skycrate_client_config *config,
                                                   const char *region);

/**
 * @brief Sets a custom endpoint for an S3-compatible server, or NULL for AWS.
 *
 * The URL is `scheme://host[:port][/path-prefix]`; the scheme is https, or http to a loopback
 * host (`localhost`, `127.0.0.0/8`, `[::1]`), or http to any host when
 * skycrate_client_config_set_allow_http() allows it (checked by skycrate_client_new(), also
 * for an endpoint from the environment or the AWS profile).
 * @param[in] config the configuration.
 * @param[in] url the endpoint URL, or NULL; copied.
 * @return 0, #SKYCRATE_EINVAL for a malformed URL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_client_config_set_endpoint(skycrate_client_config *config,
                                                     const char *url);

/**
 * @brief Allows plain-http endpoints to hosts that are not loopback, for S3, for the STS
 *        endpoint of the default credentials provider and for the URLs the doctor replays
 *        (off by default: credentials and data would travel in the clear). Plain http to a
 *        loopback host needs no permission.
 * @param[in] config the configuration.
 * @param[in] allow non-zero to allow.
 * @return 0.
 */
SKYCRATE_API int skycrate_client_config_set_allow_http(skycrate_client_config *config, int allow);

/**
 * @brief Sets the addressing style.
 * @param[in] config the configuration.
 * @param[in] addressing a #skycrate_addressing value.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_client_config_set_addressing(skycrate_client_config *config,
                                                       skycrate_addressing addressing);

/**
 * @brief Chooses AWS endpoint variants (ignored for custom endpoints). Without this call the
 *        environment decides: `AWS_USE_DUALSTACK_ENDPOINT=true`, `AWS_USE_FIPS_ENDPOINT=true`.
 * @param[in] config the configuration.
 * @param[in] flags `SKYCRATE_ENDPOINT_*` bits, or 0 for the standard endpoints.
 * @return 0, or #SKYCRATE_EINVAL for an unknown bit.
 */
SKYCRATE_API int skycrate_client_config_set_endpoint_flags(skycrate_client_config *config,
                                                           uint32_t flags);

/**
 * @brief Sets the timeouts.
 * @param[in] config the configuration.
 * @param[in] connect_timeout_ms the limit for establishing a connection (0: none).
 * @param[in] request_timeout_ms the limit for one complete exchange (0: none).
 * @return 0.
 */
SKYCRATE_API int skycrate_client_config_set_timeouts(skycrate_client_config *config,
                                                     uint32_t connect_timeout_ms,
                                                     uint32_t request_timeout_ms);

/**
 * @brief Sets the retry policy: exponential backoff with full jitter, for 5xx answers,
 *        `SlowDown`, `RequestTimeout` and connection failures. Requests whose body cannot be
 *        replayed are never retried.
 * @param[in] config the configuration.
 * @param[in] max_attempts attempts in all, 1 .. 20 (1: no retries).
 * @param[in] base_delay_ms the first backoff ceiling.
 * @param[in] max_delay_ms the largest backoff ceiling (>= base_delay_ms).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_client_config_set_retry(skycrate_client_config *config,
                                                  uint32_t max_attempts, uint32_t base_delay_ms,
                                                  uint32_t max_delay_ms);

/**
 * @brief Appends a suffix to the User-Agent (for example "myapp/1.2").
 * @param[in] config the configuration.
 * @param[in] suffix printable ASCII, or NULL for none; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_client_config_set_user_agent_suffix(skycrate_client_config *config,
                                                              const char *suffix);

/**
 * @brief Sets the CA certificates that the default transport trusts (else the system's).
 * @param[in] config the configuration.
 * @param[in] ca_file a PEM bundle, or NULL; copied.
 * @param[in] ca_path a directory of hashed certificates, or NULL; copied.
 * @return 0 or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_client_config_set_ca(skycrate_client_config *config, const char *ca_file,
                                               const char *ca_path);

/**
 * @brief Replaces the default libcurl transport.
 *
 * The configuration takes its own reference to the transport (and drops the one it held), and
 * each client made from it takes another; the caller keeps its own reference.
 * @param[in] config the configuration.
 * @param[in] transport a transport (skycrate_http_transport_new()), or NULL for the default.
 * @return 0, or #SKYCRATE_EINVAL for an invalid handle.
 */
SKYCRATE_API int skycrate_client_config_set_transport(skycrate_client_config *config,
                                                      skycrate_http_transport *transport);

/**
 * @brief Sets the credentials provider (else the default provider).
 * @param[in] config the configuration.
 * @param[in] provider the provider; the configuration takes its own reference. NULL restores
 *            the default.
 * @return 0.
 */
SKYCRATE_API int
skycrate_client_config_set_credentials_provider(skycrate_client_config *config,
                                                skycrate_credentials_provider *provider);

/**
 * @brief Creates a client.
 * @param[out] out the new client; free it with skycrate_client_free().
 * @param[in] config the configuration (NULL: the defaults); copied, so it may be freed at once.
 * @return 0, #SKYCRATE_EINVAL (library not initialised, http endpoint not allowed),
 *         or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_client_new(skycrate_client **out, const skycrate_client_config *config);

/**
 * @brief Frees a client, its transport and its reference to the credentials provider.
 *        NULL does nothing.
 * @param[in] client the client.
 */
SKYCRATE_API void skycrate_client_free(skycrate_client *client);

/**
 * @brief Details of the last answer from S3 (after success or failure).
 * @param[in] client the client.
 * @return a borrowed record, valid until the next request on this client; never NULL.
 */
SKYCRATE_API const skycrate_response_info *
skycrate_client_last_response(const skycrate_client *client);

/**
 * @brief The client's signing region.
 * @param[in] client the client.
 * @return a borrowed string.
 */
SKYCRATE_API const char *skycrate_client_region(const skycrate_client *client);

/**
 * @brief The correction applied to the local clock when signing, learnt from the server's
 *        `RequestTimeTooSkewed` answers or `Date` headers, or set with
 *        skycrate_client_set_clock_offset(). Safe to call from any thread, also while the
 *        client is in use.
 *
 * Presigners made from the client follow this offset as it changes (each presign reads it).
 * @param[in] client the client.
 * @return seconds to add to the local clock (0 at first, and for an invalid handle).
 */
SKYCRATE_API int64_t skycrate_client_clock_offset(const skycrate_client *client);

/**
 * @brief Sets the correction applied to the local clock when signing, as a server's clock
 *        would teach it. Safe to call from any thread, also while the client or presigners
 *        made from it are in use.
 *
 * Requests of the client and presigns of every presigner made from it sign with the local
 * clock plus `seconds` from then on, until the client learns another offset from a server
 * (a `RequestTimeTooSkewed` answer, or a `Date` header far from the local clock) or this is
 * called again. A program that knows its clock is off (from NTP, or from an earlier run) sets
 * it before its first request.
 * @param[in] client the client.
 * @param[in] seconds the offset: server time minus local time, at most ten years
 *            (315576000 s) either way.
 * @return 0, or #SKYCRATE_EINVAL for an invalid handle or an offset beyond ten years.
 */
SKYCRATE_API int skycrate_client_set_clock_offset(skycrate_client *client, int64_t seconds);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_CLIENT_H */
