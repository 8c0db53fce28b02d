/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_ALLOC_H
#define SKYCRATE_ALLOC_H

/**
 * @file skycrate/alloc.h
 * @brief Library initialisation and the allocator hooks.
 * @defgroup skycrate_alloc Setup and memory
 *
 * Call skycrate_global_init() once before any other call that creates a handle, and
 * skycrate_global_cleanup() as many times when done. The allocator given to the first
 * skycrate_global_init() is used for all of libskycrate's own memory. It is not installed into
 * libcurl, jansson or mbedTLS: their hooks are process-wide, take no user pointer and belong to
 * the application.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** Memory hooks. All four members must be set; each function gets `user_data`. */
typedef struct skycrate_allocator {
    void *(*malloc)(size_t size, void *user_data);             /**< Like malloc(3). */
    void *(*realloc)(void *ptr, size_t size, void *user_data); /**< Like realloc(3). */
    void (*free)(void *ptr, void *user_data);                  /**< Like free(3); gets NULL too. */
    void *user_data;                                           /**< Passed to every hook. */
} skycrate_allocator;

/**
 * @brief Initialises the library (reference-counted).
 *
 * The first call sets up libcurl and the allocator; later calls only count. Not thread-safe
 * with respect to other skycrate_global_init() or skycrate_global_cleanup() calls: call it
 * from the main thread before starting others.
 * @param[in] allocator the memory hooks to use, or NULL for the C library's. Copied. Ignored
 *            (and must be NULL or equal to the first) on later calls.
 * @return the number of initialisations now in effect (>= 1), or #SKYCRATE_EINVAL for a partial
 *         allocator table or an allocator change while initialised.
 */
SKYCRATE_API int skycrate_global_init(const skycrate_allocator *allocator);

/**
 * @brief Releases one initialisation; the last one tears the library down.
 *
 * Free every handle before the last call. Same thread rule as skycrate_global_init().
 * @return the number of initialisations still in effect (0 after the last), or
 *         #SKYCRATE_ERROR when the library was not initialised.
 */
SKYCRATE_API int skycrate_global_cleanup(void);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_ALLOC_H */
