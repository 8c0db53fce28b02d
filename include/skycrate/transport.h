/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_TRANSPORT_H
#define SKYCRATE_TRANSPORT_H

/**
 * @file skycrate/transport.h
 * @brief The HTTP transport seam: how the library sends a signed request.
 * @defgroup skycrate_transport HTTP transport
 *
 * A client sends every request through one transport. The default, used when none is set, is
 * built on libcurl: it reuses connections across requests, verifies TLS and streams bodies both
 * ways. An application can supply its own (to use its event loop, a proxy, or for tests): it
 * fills a #skycrate_http_transport_callbacks table, makes a transport of it with
 * skycrate_http_transport_new(), and passes that to skycrate_client_config_set_transport().
 *
 * Like every seam of the library (the credentials provider and the user store too), a
 * transport is an opaque, reference-counted object made from a versioned callback table. The
 * table is copied (the part its version defines); the transport owns `user_data` from then on
 * and calls `free(user_data)` exactly once, when its last reference goes. Each configuration and
 * client that uses it holds a reference. If skycrate_http_transport_new() fails, `free` is not
 * called and `user_data` stays the caller's.
 *
 * The request and response are opaque; a transport reads the request and fills the response
 * through the accessor functions below. Strings are borrowed for the duration of the
 * `perform` call.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** The current version of #skycrate_http_transport_callbacks. */
#define SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION 1

/**
 * A transport's callbacks: a versioned table. Fields are only ever appended; set `version` with
 * #SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT or skycrate_http_transport_callbacks_init().
 */
typedef struct skycrate_http_transport_callbacks {
    /** #SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION. */
    unsigned int version;
    /**
     * Sends `request` and fills `response` (required). Returns 0 when an HTTP answer (of any
     * status) was received completely, or a negative code: #SKYCRATE_ECONNECT,
     * #SKYCRATE_ETIMEOUT, #SKYCRATE_ETLS for transport failures (these may be retried), or the
     * code returned by a response accessor, which must be passed on. `flags` is reserved and is
     * 0. Called on the thread that makes the request; see `max_concurrency`.
     */
    int (*perform)(skycrate_http_request *request, skycrate_http_response *response, uint32_t flags,
                   void *user_data);
    /** Optional: releases `user_data` when the transport's last reference goes. */
    void (*free)(void *user_data);
    /** Passed to `perform` and `free`. */
    void *user_data;
    /**
     * How many `perform` calls may run at once on different threads (0 or 1: one at a time).
     * The provisioner uses this many concurrent lanes for independent requests.
     */
    unsigned int max_concurrency;
} skycrate_http_transport_callbacks;

/** Static initialiser for a #skycrate_http_transport_callbacks table of the current version. */
#define SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT                                                     \
    {                                                                                              \
        SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION, NULL, NULL, NULL, 0                             \
    }

/**
 * @brief Zero-fills a callback table and sets its version.
 *
 * Thread-safe (it touches only `callbacks`).
 * @param[out] callbacks the table to initialise.
 * @param[in] version #SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION.
 * @return 0, or #SKYCRATE_EINVAL for a NULL table or an unknown version.
 */
SKYCRATE_API int
skycrate_http_transport_callbacks_init(skycrate_http_transport_callbacks *callbacks,
                                       unsigned int version);

/**
 * @brief Creates a transport from a callback table.
 *
 * The table is copied (the prefix its version defines). The transport owns `user_data` and
 * calls `free` once, when its last reference goes; if this call fails, `free` is not called.
 * Thread-safe.
 * @param[out] out the new transport (one reference); release it with
 *             skycrate_http_transport_unref().
 * @param[in] callbacks the table; `perform` is required.
 * @return 0, #SKYCRATE_EINVAL for a bad table, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_http_transport_new(skycrate_http_transport **out,
                                             const skycrate_http_transport_callbacks *callbacks);

/**
 * @brief Takes another reference to a transport. Thread-safe.
 * @param[in] transport the transport, or NULL.
 * @return `transport`, or NULL when it is NULL or not a live transport.
 */
SKYCRATE_API skycrate_http_transport *
skycrate_http_transport_ref(skycrate_http_transport *transport);

/**
 * @brief Drops a reference; the last one calls the table's `free` and frees the transport.
 *        NULL does nothing. Thread-safe.
 * @param[in] transport the transport, or NULL.
 */
SKYCRATE_API void skycrate_http_transport_unref(skycrate_http_transport *transport);

/**
 * @brief The request method ("GET", "PUT", ...).
 * @param[in] request the request being performed.
 * @return a borrowed string.
 */
SKYCRATE_API const char *skycrate_http_request_method(const skycrate_http_request *request);

/**
 * @brief The complete URL, already percent-encoded exactly as signed; send it byte for byte
 *        (no path normalisation: with libcurl, set `CURLOPT_PATH_AS_IS`).
 * @param[in] request the request being performed.
 * @return a borrowed string.
 */
SKYCRATE_API const char *skycrate_http_request_url(const skycrate_http_request *request);

/**
 * @brief The number of headers to send (the `Host` header is not among them: it follows from
 *        the URL).
 * @param[in] request the request being performed.
 * @return the header count.
 */
SKYCRATE_API size_t skycrate_http_request_header_count(const skycrate_http_request *request);

/**
 * @brief One header to send.
 * @param[out] name_out the header name (borrowed).
 * @param[out] value_out the header value (borrowed).
 * @param[in] request the request being performed.
 * @param[in] index 0 .. skycrate_http_request_header_count() - 1.
 * @return 0, or #SKYCRATE_EINVAL for an index out of range.
 */
SKYCRATE_API int skycrate_http_request_header(const char **name_out, const char **value_out,
                                              const skycrate_http_request *request, size_t index);

/**
 * @brief The body length in bytes (0 for no body); the transport sends it as `Content-Length`.
 * @param[in] request the request being performed.
 * @return the body length.
 */
SKYCRATE_API uint64_t skycrate_http_request_body_length(const skycrate_http_request *request);

/**
 * @brief The body, when it is in memory.
 * @param[in] request the request being performed.
 * @return a borrowed pointer to skycrate_http_request_body_length() bytes, or NULL when the body
 *         is streamed (use skycrate_http_request_body_read()) or empty.
 */
SKYCRATE_API const void *skycrate_http_request_body_data(const skycrate_http_request *request);

/**
 * @brief Reads the next part of the body, whatever its source.
 *
 * Never reads past skycrate_http_request_body_length(). A body from a stream must supply exactly
 * that many bytes: when the last one has been read, the stream is asked once more and must
 * report its end.
 * @param[out] nread_out how many bytes were stored in `buf`; 0 means the end of the body.
 * @param[in] request the request being performed.
 * @param[out] buf where to store the bytes.
 * @param[in] capacity the size of `buf` (at least 1).
 * @return 0, #SKYCRATE_EIO when a file body cannot be read or ends early, #SKYCRATE_EINVAL when a
 *         stream ends early or supplies more than the declared length, or the code of the
 *         caller's read callback (pass it on).
 */
SKYCRATE_API int skycrate_http_request_body_read(size_t *nread_out, skycrate_http_request *request,
                                                 void *buf, size_t capacity);

/**
 * @brief Starts the body over from its first byte (for a transport that must resend it).
 * @param[in] request the request being performed.
 * @return 0, or #SKYCRATE_ENOTIMPL when the body comes from a stream that was already read from
 *         (it cannot be replayed).
 */
SKYCRATE_API int skycrate_http_request_body_rewind(skycrate_http_request *request);

/**
 * @brief How long establishing a connection may take.
 * @param[in] req the request being performed.
 * @return milliseconds; 0 means no limit.
 */
SKYCRATE_API uint32_t skycrate_http_request_connect_timeout_ms(const skycrate_http_request *req);

/**
 * @brief How long the whole exchange may take.
 * @param[in] request the request being performed.
 * @return milliseconds; 0 means no limit.
 */
SKYCRATE_API uint32_t skycrate_http_request_timeout_ms(const skycrate_http_request *request);

/**
 * @brief Records the status of the final answer. Calling it again (after an interim 1xx
 *        answer) discards the headers recorded so far.
 * @param[in] response the response being filled.
 * @param[in] status the HTTP status code (100..599).
 * @return 0, or #SKYCRATE_EINVAL for a status out of range.
 */
SKYCRATE_API int skycrate_http_response_set_status(skycrate_http_response *response, int status);

/**
 * @brief Records one response header (call after skycrate_http_response_set_status()).
 * @param[in] response the response being filled.
 * @param[in] name the header name, `name_length` bytes, need not be NUL-terminated.
 * @param[in] name_length its length.
 * @param[in] value the header value, `value_length` bytes, surrounding blanks are trimmed.
 * @param[in] value_length its length.
 * @return 0, #SKYCRATE_ENOMEM, or #SKYCRATE_EINVAL before a status was set.
 */
SKYCRATE_API int skycrate_http_response_add_header(skycrate_http_response *response,
                                                   const char *name, size_t name_length,
                                                   const char *value, size_t value_length);

/**
 * @brief Delivers body bytes, in order, as they arrive.
 * @param[in] response the response being filled.
 * @param[in] data the bytes (borrowed).
 * @param[in] length how many; 0 is allowed.
 * @return 0, or a negative code when the body's consumer fails (for example #SKYCRATE_EIO or a
 *         user callback's code, or #SKYCRATE_EHTTP when a body kept in memory exceeds the size
 *         the request accepts); the transport must then stop and return that code.
 */
SKYCRATE_API int skycrate_http_response_write_body(skycrate_http_response *response,
                                                   const void *data, size_t length);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_TRANSPORT_H */
