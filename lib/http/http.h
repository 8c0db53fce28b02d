/*
 * The transport seam's request and response objects, the default libcurl transport, and the
 * retry backoff. The public accessors of skycrate/transport.h work on these structs.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_HTTP_H
#define SKYCRATE_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/kv.h"
#include "skycrate/common.h"
#include "skycrate/transport.h"

/* Where a request body comes from. */
typedef enum {
    SKYCRATE__BODY_NONE = 0,
    SKYCRATE__BODY_MEMORY, /* data/length; replayable */
    SKYCRATE__BODY_FILE,   /* file from file_offset, length bytes; replayable */
    SKYCRATE__BODY_STREAM  /* read callback; not replayable */
} skycrate__body_kind;

struct skycrate_http_request {
    const char *method;
    const char *url;
    const skycrate__kv *headers; /* borrowed; Host is not among them */
    size_t header_count;
    skycrate__body_kind body_kind;
    const void *body_data;
    uint64_t body_length;
    FILE *body_file;
    int64_t body_file_offset;
    skycrate_read_fn body_read;
    void *body_read_user_data;
    uint64_t body_position; /* bytes handed out so far */
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
};

/* Response headers are owned copies; the body goes to a sink (default: into `body`). */
struct skycrate_http_response {
    int status;
    skycrate__kv *headers; /* owned strings */
    size_t header_count, header_cap;
    skycrate__buf body;     /* used when sink is NULL, and for error bodies */
    skycrate_write_fn sink; /* streaming destination for 2xx bodies, or NULL */
    void *sink_user_data;
    uint64_t body_bytes; /* bytes delivered to the sink or buffer */
    size_t max_buffered; /* a limit for the in-memory body (0: none) */
};

void skycrate__http_response_init(struct skycrate_http_response *resp);
/* Frees headers and body; resets to the initial state (sink settings kept). */
void skycrate__http_response_reset(struct skycrate_http_response *resp);
void skycrate__http_response_dispose(struct skycrate_http_response *resp);
/* Case-insensitive header lookup; NULL when absent. */
const char *skycrate__http_response_header(const struct skycrate_http_response *resp,
                                           const char *name);

/*
 * Calls transport->perform with the library's error conventions: a failing callback without
 * a message gets "transport callback returned <rc>"; SKYCRATE_EUSER passes unchanged.
 */
int skycrate__http_perform(const skycrate_http_transport *transport,
                           struct skycrate_http_request *req, struct skycrate_http_response *resp);

/* Validates a user table and copies the prefix known for its version (STYLE.md §5). */
int skycrate__http_transport_copy(skycrate_http_transport *dst, const skycrate_http_transport *src);

/* Options of the default transport. */
typedef struct skycrate__curl_options {
    const char *ca_file; /* NULL: system default */
    const char *ca_path;
    const char *user_agent; /* full User-Agent value */
    unsigned int lanes;     /* concurrent connections kept (max_concurrency); >= 1 */
} skycrate__curl_options;

/* Creates the libcurl transport: keep-alive reuse per lane, CURLOPT_PATH_AS_IS, TLS verified,
 * streaming both ways. The table's free() releases it. 0 or SKYCRATE_ENOMEM/ERROR. */
int skycrate__curl_transport_new(skycrate_http_transport *out,
                                 const skycrate__curl_options *options);

/* Full-jitter exponential backoff: a random delay in [0, min(max_ms, base_ms * 2^(attempt-1))].
 * `attempt` counts from 1 (the delay before the second attempt). */
uint32_t skycrate__retry_backoff_ms(unsigned int attempt, uint32_t base_ms, uint32_t max_ms);

#endif
