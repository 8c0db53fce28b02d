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
