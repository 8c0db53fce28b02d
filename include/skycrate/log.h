/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_LOG_H
#define SKYCRATE_LOG_H

/**
 * @file skycrate/log.h
 * @brief A log callback for the library's diagnostics.
 * @defgroup skycrate_log Logging
 *
 * The library never writes to stdout or stderr itself. Log lines never contain secret keys,
 * session tokens or signatures: those values are not formatted into messages, and every line is
 * also passed through a redaction filter before it reaches the callback.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** Log levels; a higher value is more verbose. */
typedef enum skycrate_log_level {
    SKYCRATE_LOG_LEVEL_NONE = 0,  /**< Logging off. */
    SKYCRATE_LOG_LEVEL_ERROR = 1, /**< Failures returned to the caller. */
    SKYCRATE_LOG_LEVEL_WARN = 2,  /**< Retries, clock-skew and region corrections, skipped steps. */
    SKYCRATE_LOG_LEVEL_INFO = 3, /**< One line per S3 request: method, bucket, key, status, time. */
    SKYCRATE_LOG_LEVEL_DEBUG = 4, /**< Request details: headers (signatures redacted). */
    SKYCRATE_LOG_LEVEL_TRACE = 5  /**< Canonical requests and strings to sign (never a secret). */
} skycrate_log_level;

/**
 * @brief Receives one log line.
 * @param[in] level the line's level.
 * @param[in] message the line, NUL-terminated, without a trailing newline; borrowed for the call.
 * @param[in] user_data the pointer given to skycrate_log_set().
 */
typedef void (*skycrate_log_fn)(skycrate_log_level level, const char *message, void *user_data);

/**
 * @brief Installs (or removes, with NULL) the process-wide log callback.
 *
 * The callback is invoked on whichever thread logs, possibly several at once; it must be
 * thread-safe. Set it before handles are in use: changing it while other threads log is not
 * synchronised.
 * @param[in] max_level the most verbose level delivered.
 * @param[in] fn the callback, or NULL to turn logging off.
 * @param[in] user_data passed to every call of `fn`.
 */
SKYCRATE_API void skycrate_log_set(skycrate_log_level max_level, skycrate_log_fn fn,
                                   void *user_data);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_LOG_H */
