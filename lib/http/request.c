/*
 * The request side of the transport seam: the public accessors a transport reads a request
 * through, and body reading from memory, a file or a caller's stream.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "http/http.h"

const char *skycrate_http_request_method(const skycrate_http_request *request)
{
    return SKYCRATE_VALID_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST) ? request->method : NULL;
}

const char *skycrate_http_request_url(const skycrate_http_request *request)
{
    return SKYCRATE_VALID_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST) ? request->url : NULL;
}

size_t skycrate_http_request_header_count(const skycrate_http_request *request)
{
    return SKYCRATE_VALID_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST) ? request->header_count : 0;
}

int skycrate_http_request_header(const char **name_out, const char **value_out,
                                 const skycrate_http_request *request, size_t index)
{
    SKYCRATE_ASSERT_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST);
    SKYCRATE_ASSERT_ARG(name_out);
    SKYCRATE_ASSERT_ARG(value_out);
    if (index >= request->header_count)
        return skycrate__error_set(SKYCRATE_EINVAL, "header index %zu out of range (%zu headers)",
                                   index, request->header_count);
    *name_out = request->headers[index].name;
    *value_out = request->headers[index].value;
    return 0;
}

uint64_t skycrate_http_request_body_length(const skycrate_http_request *request)
{
    if (!SKYCRATE_VALID_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST) ||
        request->body_kind == SKYCRATE__BODY_NONE)
        return 0;
    return request->body_length;
}

const void *skycrate_http_request_body_data(const skycrate_http_request *request)
{
    if (!SKYCRATE_VALID_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST) ||
        request->body_kind != SKYCRATE__BODY_MEMORY || request->body_length == 0)
        return NULL;
    return request->body_data;
}

uint32_t skycrate_http_request_connect_timeout_ms(const skycrate_http_request *request)
{
    return SKYCRATE_VALID_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST) ? request->connect_timeout_ms
                                                                       : 0;
}

uint32_t skycrate_http_request_timeout_ms(const skycrate_http_request *request)
{
    return SKYCRATE_VALID_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST) ? request->timeout_ms : 0;
}

/* Reads from the file at its own offset (pread): the FILE's position and buffer are unused. */
static int read_file(size_t *nread_out, skycrate_http_request *req, void *buf, size_t want)
{
    int fd = fileno(req->body_file);
    if (fd < 0)
        return skycrate__error_set(SKYCRATE_EIO, "request body: the file has no descriptor");
    off_t at = (off_t)(req->body_file_offset + (int64_t)req->body_position);
    ssize_t n;
    do {
        n = pread(fd, buf, want, at);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return skycrate__error_set(SKYCRATE_EIO, "request body: reading the file failed: %s",
                                   strerror(errno));
    if (n == 0)
        return skycrate__error_set(
            SKYCRATE_EIO, "request body: the file ended after %" PRIu64 " of %" PRIu64 " bytes",
            req->body_position, req->body_length);
    *nread_out = (size_t)n;
    return 0;
}

/* Calls the caller's stream; the callback's own code passes through unchanged. */
static int read_stream(size_t *nread_out, skycrate_http_request *req, void *buf, size_t want)
{
    size_t n = 0;
    int rc = req->body_read(&n, buf, want, req->body_read_user_data);
    if (rc < 0)
        return skycrate__error_after_callback(rc, "request body read");
    if (n > want)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "request body: the read callback returned %zu bytes for a "
                                   "buffer of %zu",
                                   n, want);
    if (n == 0 && want > 0)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "request body: the stream ended after %" PRIu64
                                   " of the %" PRIu64 " bytes declared",
                                   req->body_position, req->body_length);
    *nread_out = n;
    return 0;
}

/* After the declared length a stream must report its end; one byte more is an error. */
static int check_stream_end(skycrate_http_request *req)
{
    unsigned char probe;
    size_t n = 0;
    int rc = req->body_read(&n, &probe, 1, req->body_read_user_data);
    if (rc < 0)
        return skycrate__error_after_callback(rc, "request body read");
    if (n != 0)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "request body: the stream supplies more than the %" PRIu64
                                   " bytes declared",
                                   req->body_length);
    return 0;
}

int skycrate_http_request_body_read(size_t *nread_out, skycrate_http_request *request, void *buf,
                                    size_t capacity)
{
    SKYCRATE_ASSERT_ARG(nread_out);
    *nread_out = 0;
    SKYCRATE_ASSERT_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST);
    if (request->body_kind == SKYCRATE__BODY_NONE || request->body_position >= request->body_length)
        return 0;
    SKYCRATE_ASSERT_ARG(buf && capacity > 0);

    uint64_t remaining = request->body_length - request->body_position;
    size_t want = remaining < capacity ? (size_t)remaining : capacity;
    size_t n = 0;
    int error = 0;
    switch (request->body_kind) {
    case SKYCRATE__BODY_MEMORY:
        memcpy(buf, (const unsigned char *)request->body_data + request->body_position, want);
        n = want;
        break;
    case SKYCRATE__BODY_FILE:
        SKYCRATE_ASSERT_ARG(request->body_file);
        error = read_file(&n, request, buf, want);
        break;
    case SKYCRATE__BODY_STREAM:
        SKYCRATE_ASSERT_ARG(request->body_read);
        error = read_stream(&n, request, buf, want);
        break;
    default: return skycrate__error_set(SKYCRATE_EINVAL, "request body: unknown kind");
    }
    if (error < 0)
        return error;
    request->body_position += n;
    if (request->on_body &&
        (error = request->on_body(request->body_position, request->on_body_user_data)) < 0)
        return error;
    if (request->body_kind == SKYCRATE__BODY_STREAM &&
        request->body_position == request->body_length) {
        error = check_stream_end(request);
        if (error < 0)
            return error;
    }
    *nread_out = n;
    return 0;
}

int skycrate_http_request_body_rewind(skycrate_http_request *request)
{
    SKYCRATE_ASSERT_HANDLE(request, SKYCRATE_MAGIC_HTTP_REQUEST);
    if (request->body_position == 0)
        return 0;
    if (request->body_kind == SKYCRATE__BODY_STREAM)
        return skycrate__error_set(SKYCRATE_ENOTIMPL,
                                   "request body: a stream cannot be replayed once read");
    request->body_position = 0;
    if (request->on_body)
        (void)request->on_body(0, request->on_body_user_data); /* only a count goes back */
    return 0;
}
