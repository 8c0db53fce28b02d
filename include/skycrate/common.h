/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_COMMON_H
#define SKYCRATE_COMMON_H

/**
 * @file skycrate/common.h
 * @brief Export macros, declaration guards, version queries and library setup.
 * @defgroup skycrate_common Common definitions and library setup
 * @{
 */

#include <stddef.h>
#include <stdint.h>

/** @cond SKYCRATE_INTERNAL */
#ifdef __cplusplus
#define SKYCRATE_BEGIN_DECLS extern "C" {
#define SKYCRATE_END_DECLS }
#else
#define SKYCRATE_BEGIN_DECLS
#define SKYCRATE_END_DECLS
#endif
/** @endcond */

/** Marks a public function; it is exported from the shared library. */
#if defined(_WIN32) && defined(BUILDING_SKYCRATE)
#define SKYCRATE_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(SKYCRATE_STATIC)
#define SKYCRATE_API __declspec(dllimport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define SKYCRATE_API __attribute__((visibility("default")))
#else
#define SKYCRATE_API
#endif

/** Marks a public function as deprecated, with a message naming its replacement. */
#if defined(__cplusplus) && __cplusplus >= 201402L
#define SKYCRATE_DEPRECATED(msg) [[deprecated(msg)]]
#elif defined(__clang__) || (defined(__GNUC__) && (__GNUC__ * 100 + __GNUC_MINOR__) >= 405)
#define SKYCRATE_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(__GNUC__)
#define SKYCRATE_DEPRECATED(msg) __attribute__((deprecated))
#elif defined(_MSC_VER)
#define SKYCRATE_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define SKYCRATE_DEPRECATED(msg)
#endif

SKYCRATE_BEGIN_DECLS

/** @name Handles
 * The library's opaque types, declared once for every header. Each is created by its
 * `_new` function (or returned by a call) and released by its `_free` or `_unref`.
 * @{ */
/** An S3 client (opaque). */
typedef struct skycrate_client skycrate_client;
/** A client configuration (opaque). */
typedef struct skycrate_client_config skycrate_client_config;
/** An immutable set of AWS credentials (opaque, reference-counted). */
typedef struct skycrate_credentials skycrate_credentials;
/** A source of credentials (opaque, reference-counted). */
typedef struct skycrate_credentials_provider skycrate_credentials_provider;
/** An HTTP transport: the seam a client sends its requests through (opaque, reference-counted). */
typedef struct skycrate_http_transport skycrate_http_transport;
/** A request handed to a transport (opaque). */
typedef struct skycrate_http_request skycrate_http_request;
/** The response a transport fills (opaque). */
typedef struct skycrate_http_response skycrate_http_response;
/** Metadata of one object (opaque). */
typedef struct skycrate_object_info skycrate_object_info;
/** One page of a listing (opaque). */
typedef struct skycrate_object_page skycrate_object_page;
/** Presigns URLs; immutable and shareable across threads (opaque). */
typedef struct skycrate_presigner skycrate_presigner;
/** What to presign: method, bucket, key, expiry, headers, query (opaque). */
typedef struct skycrate_presign_request skycrate_presign_request;
/** A presigned URL and what the client must send with it (opaque). */
typedef struct skycrate_presigned skycrate_presigned;
/** The conditions of a browser form upload (opaque). */
typedef struct skycrate_post_policy skycrate_post_policy;
/** A signed form: URL and fields (opaque). */
typedef struct skycrate_post_form skycrate_post_form;
/** A provisioner (opaque). */
typedef struct skycrate_provisioner skycrate_provisioner;
/** A provisioner configuration: the store, naming and the security profile (opaque). */
typedef struct skycrate_provisioner_config skycrate_provisioner_config;
/** A user's record as stored (opaque). */
typedef struct skycrate_record skycrate_record;
/** The result of skycrate_provisioner_verify() (opaque). */
typedef struct skycrate_verify_report skycrate_verify_report;
/** The result of skycrate_provisioner_usage() (opaque). */
typedef struct skycrate_usage_report skycrate_usage_report;
/** The result of skycrate_provisioner_deprovision() (opaque). */
typedef struct skycrate_deprovision_report skycrate_deprovision_report;
/** A user store: where the provisioner keeps one record per user (opaque, reference-counted). */
typedef struct skycrate_user_store skycrate_user_store;
/** Options of a transfer (opaque); NULL where a transfer takes one means the defaults. */
typedef struct skycrate_transfer_options skycrate_transfer_options;
/** What a finished transfer did (opaque). */
typedef struct skycrate_transfer_result skycrate_transfer_result;
/** Diagnoses failed presigned requests; immutable and shareable across threads (opaque). */
typedef struct skycrate_doctor skycrate_doctor;
/** What happened to a presigned request: the contract, what was sent, what came back
 *  (opaque). */
typedef struct skycrate_doctor_case skycrate_doctor_case;
/** The result of skycrate_doctor_diagnose(): a verdict with its details (opaque). */
typedef struct skycrate_diagnosis skycrate_diagnosis;
/** The sink that receives the record text a user store's `get` callback returns (opaque;
 *  owned by the library, valid only during that callback). */
typedef struct skycrate_user_store_value skycrate_user_store_value;
/** @} */

/** Flag for the `_to_json` functions: indent the JSON (two spaces) instead of compact text. */
#define SKYCRATE_JSON_PRETTY (1u << 0)

/** Feature bit: the default HTTP transport (libcurl) is built in. */
#define SKYCRATE_FEATURE_CURL (1u << 0)
/** Feature bit: the library is thread-aware (presigners are shareable, errors are per thread). */
#define SKYCRATE_FEATURE_THREADS (1u << 1)

/**
 * @brief The version of the library that is running, as `0xXXYYZZ`.
 *
 * Compare it with #SKYCRATE_VERSION_NUM to detect a header/library mismatch.
 * Thread-safe; may be called before skycrate_global_init().
 * @return the runtime version number.
 */
SKYCRATE_API unsigned int skycrate_version(void);

/**
 * @brief The version of the library that is running, as `"x.y.z"`.
 *
 * Thread-safe; may be called before skycrate_global_init().
 * @return a static string, never NULL.
 */
SKYCRATE_API const char *skycrate_version_string(void);

/**
 * @brief The features built into this copy of the library.
 *
 * Thread-safe; may be called before skycrate_global_init().
 * @return a bitmask of `SKYCRATE_FEATURE_*` bits.
 */
SKYCRATE_API uint32_t skycrate_features(void);

/**
 * @brief Frees memory that the library returned to the caller as a plain buffer.
 *
 * Use it for buffers documented as "free with skycrate_free()" (for example the body returned by
 * skycrate_object_get()). The memory goes back to the allocator given to skycrate_global_init().
 * NULL does nothing. Thread-safe.
 * @param[in] ptr a buffer returned by the library, or NULL.
 */
SKYCRATE_API void skycrate_free(void *ptr);

/**
 * @brief Supplies body bytes for an upload or any request body.
 * @param[out] nread_out how many bytes were stored; 0 means the end of the body.
 * @param[out] buf where to store them.
 * @param[in] capacity the size of `buf`.
 * @param[in] user_data the caller's pointer.
 * @return 0, or a negative code that aborts the upload and is returned by it.
 */
typedef int (*skycrate_read_fn)(size_t *nread_out, void *buf, size_t capacity, void *user_data);

/**
 * @brief Receives body bytes of a download or any response body, in order. It must take every byte or fail.
 * @param[in] data the bytes (borrowed).
 * @param[in] length how many.
 * @param[in] user_data the caller's pointer.
 * @return 0, or a negative code that aborts the download and is returned by it.
 */
typedef int (*skycrate_write_fn)(const void *data, size_t length, void *user_data);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_COMMON_H */
