/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_ERRORS_H
#define SKYCRATE_ERRORS_H

/**
 * @file skycrate/errors.h
 * @brief Error codes, their text, and the per-thread last error.
 * @defgroup skycrate_errors Errors
 *
 * Every function that can fail returns 0 or one of these negative codes. The values are fixed
 * forever: a retired code stays reserved. A failing call also records a message in a
 * thread-local slot read with skycrate_error_last(). Messages never contain secret keys, session
 * tokens or signatures. Details of the last S3 answer (HTTP status, S3 error code, request id)
 * are kept per client: see skycrate_client_last_response().
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** Error codes returned by libskycrate functions. */
typedef enum skycrate_error_code {
    SKYCRATE_OK = 0,      /**< Success. */
    SKYCRATE_ERROR = -1,  /**< A failure with no more specific code. */
    SKYCRATE_ENOMEM = -2, /**< Out of memory. */
    SKYCRATE_EINVAL = -3, /**< An invalid argument or configuration (also S3 `InvalidArgument`). */
    SKYCRATE_ENOTFOUND = -4, /**< No such bucket, key, upload, profile or record. */
    SKYCRATE_EEXISTS = -5,   /**< It already exists (also `BucketAlreadyExists`). */
    SKYCRATE_EAUTH = -6, /**< No usable credentials, or the server does not know the access key. */
    SKYCRATE_EHTTP = -7, /**< An HTTP answer that no more specific code describes. */
    SKYCRATE_ETLS = -8,  /**< A TLS failure (certificate, handshake). */
    SKYCRATE_ETIMEOUT = -9, /**< A connect, request or process timeout expired. */
    SKYCRATE_EPARSE = -10,  /**< A malformed document (XML, JSON, INI, URL) or a foreign file. */
    SKYCRATE_EUSER = -11,   /**< Returned by a user callback; passed through unchanged. */
    SKYCRATE_EACCESS = -12, /**< Access denied by the server (`AccessDenied`). */
    SKYCRATE_ESIGNATURE =
        -13, /**< The server computed another signature (`SignatureDoesNotMatch`). */
    SKYCRATE_EEXPIRED = -14, /**< Expired credentials, token or presigned URL. */
    SKYCRATE_ESKEW = -15,    /**< The clocks differ too much (`RequestTimeTooSkewed`). */
    SKYCRATE_ENOTIMPL = -16, /**< The server does not implement it (`NotImplemented`, 405). */
    SKYCRATE_ETHROTTLED =
        -17, /**< The server asks to slow down (`SlowDown`, 503) after all retries. */
    SKYCRATE_ECONNECT = -18,  /**< The server could not be reached (DNS, refused, reset). */
    SKYCRATE_ECONFLICT = -19, /**< A conflicting state (`BucketNotEmpty`, `OperationAborted`). */
    SKYCRATE_EIO = -20,       /**< A local file could not be read or written. */
    SKYCRATE_EREGION = -21,   /**< The bucket lives in another region and no retry could fix it. */
    SKYCRATE_ECANCELED = -22  /**< Cancelled by the caller (a progress callback said stop). */
} skycrate_error_code;

/** The last error of the calling thread. The fields are only appended to. */
typedef struct skycrate_error {
    int age;             /**< The struct's version; 1 for the fields below. */
    int code;            /**< A #skycrate_error_code, 0 when there is no error. */
    const char *message; /**< A human readable message, never NULL; "" when there is none. */
} skycrate_error;

/**
 * @brief A short static description of an error code.
 *
 * Thread-safe.
 * @param[in] code a #skycrate_error_code value (unknown values are accepted).
 * @return a static string, never NULL.
 */
SKYCRATE_API const char *skycrate_strerror(int code);

/**
 * @brief The last error recorded on the calling thread.
 *
 * The record is overwritten by the next failing call on this thread; copy what you need.
 * Thread-safe: each thread has its own record.
 * @return a borrowed pointer, never NULL; its `code` is 0 when nothing failed.
 */
SKYCRATE_API const skycrate_error *skycrate_error_last(void);

/**
 * @brief Clears the calling thread's last error.
 *
 * Thread-safe.
 */
SKYCRATE_API void skycrate_error_clear(void);

/**
 * @brief Records an error message from a callback (transport, credentials provider, user store).
 *
 * A callback that fails calls this before returning its negative code, so the caller of the
 * library sees the callback's own message. Never put secrets into the message. Thread-safe.
 * @param[in] code the negative #skycrate_error_code the callback will return.
 * @param[in] message the message; copied (and truncated to 1023 bytes).
 */
SKYCRATE_API void skycrate_error_set_str(int code, const char *message);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_ERRORS_H */
