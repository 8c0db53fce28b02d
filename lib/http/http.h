/*
 * The transport seam's request and response objects, the default libcurl transport, and the
 * retry backoff. The public accessors of skycrate/transport.h work on these structs.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_HTTP_H
#define SKYCRATE_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
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

/*
 * A gate that requests wait at before they are sent: the provisioner starts its configuration
 * requests while CreateBucket is still in flight, and opens the gate when the create has
 * answered (or cancels it). The default transport connects first and waits just before sending
 * the request (so the connection is ready when the gate opens); skycrate__http_perform() makes
 * every other transport wait before perform() (nothing speculative there). A gate is resolved
 * once, opened or cancelled; a request at a cancelled gate is not sent (SKYCRATE_ERROR).
 */
typedef struct skycrate__http_gate {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int state; /* 0 closed, 1 open, -1 cancelled */
} skycrate__http_gate;

/* 0, or SKYCRATE_ERROR when no mutex or condition variable could be made. */
int skycrate__http_gate_init(skycrate__http_gate *gate);
void skycrate__http_gate_dispose(skycrate__http_gate *gate);
/* Opens (or cancels) a closed gate, waking every waiter; a resolved gate stays as it is. */
void skycrate__http_gate_open(skycrate__http_gate *gate);
void skycrate__http_gate_cancel(skycrate__http_gate *gate);
/* Waits until the gate is resolved: true when it opened. */
bool skycrate__http_gate_wait(skycrate__http_gate *gate);
/* True once the gate was cancelled (no wait). */
bool skycrate__http_gate_cancelled(skycrate__http_gate *gate);
/* Sets and returns the error of a request not sent because its gate was cancelled. */
int skycrate__http_gate_refused(const struct skycrate_http_request *req);

struct skycrate_http_request {
    uint32_t magic; /* SKYCRATE_MAGIC_HTTP_REQUEST: stamped by skycrate__http_perform() */
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
    /* NULL, or told the position after each read of the body and after a rewind (transfers
     * count their progress with it); a negative return fails the read with that code. */
    int (*on_body)(uint64_t position, void *user_data);
    void *on_body_user_data;
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
    skycrate__http_gate *gate; /* NULL: sent at once */
};

/* Response headers are owned copies; the body goes to a sink (default: into `body`). */
struct skycrate_http_response {
    uint32_t magic; /* SKYCRATE_MAGIC_HTTP_RESPONSE, from skycrate__http_response_init() */
    int status;
    skycrate__kv *headers; /* owned strings */
    size_t header_count, header_cap;
    skycrate__buf body;     /* used when sink is NULL, and for error bodies */
    skycrate_write_fn sink; /* streaming destination for 2xx bodies, or NULL */
    void *sink_user_data;
    uint64_t body_bytes; /* bytes delivered to the sink or buffer */
    size_t max_buffered; /* a limit for the in-memory body (0: none); more: SKYCRATE_EHTTP */
};

void skycrate__http_response_init(struct skycrate_http_response *resp);
/* Frees headers and body; resets to the initial state (sink and max_buffered kept). */
void skycrate__http_response_reset(struct skycrate_http_response *resp);
void skycrate__http_response_dispose(struct skycrate_http_response *resp);
/* Case-insensitive header lookup; NULL when absent. */
const char *skycrate__http_response_header(const struct skycrate_http_response *resp,
                                           const char *name);

/*
 * Calls transport->perform with the library's error conventions: a failing callback without
 * a message gets "transport callback returned <rc>"; SKYCRATE_EUSER passes unchanged.
 * It first rewinds the request body (SKYCRATE_ENOTIMPL for a stream already read: a retry
 * cannot replay it) and resets the response, so it may be called again for a retry. A
 * transport that returns 0 without a final (>= 200) status is an error (SKYCRATE_ERROR).
 */
int skycrate__http_perform(const skycrate_http_transport *transport,
                           struct skycrate_http_request *req, struct skycrate_http_response *resp);

struct skycrate_http_transport {
    uint32_t magic;
    atomic_uint refs;
    skycrate_http_transport_callbacks callbacks; /* a complete current table */
    bool connects_early; /* recorded by its maker: connects, then waits at a request's gate */
};

/* Makes a transport from a table (skycrate_http_transport_new() with `connects_early` false;
 * the default transport records true when its libcurl can wait at a gate once connected). */
int skycrate__http_transport_make(skycrate_http_transport **out,
                                  const skycrate_http_transport_callbacks *callbacks,
                                  bool connects_early);

/* Whether the transport connects first and waits at a request's gate just before sending: only
 * then is starting requests before their gate opens worth it. The one place that decides it. */
bool skycrate__http_transport_connects_early(const skycrate_http_transport *transport);

/* How many requests the transport takes at once (max_concurrency, at least 1). */
unsigned int skycrate__http_transport_lanes(const skycrate_http_transport *transport);

/* Options of the default transport. */
typedef struct skycrate__curl_options {
    const char *ca_file; /* NULL: system default */
    const char *ca_path;
    const char *user_agent; /* full User-Agent value */
    unsigned int lanes;     /* concurrent connections kept (max_concurrency); >= 1 */
} skycrate__curl_options;

/* Creates the libcurl transport: keep-alive reuse per lane, CURLOPT_PATH_AS_IS, TLS verified,
 * streaming both ways, and (libcurl 7.80 or later) connecting before a request's gate opens.
 * 0 or SKYCRATE_ENOMEM/ERROR. */
int skycrate__curl_transport_new(skycrate_http_transport **out,
                                 const skycrate__curl_options *options);

/* Full-jitter exponential backoff: a random delay in [0, min(max_ms, base_ms * 2^(attempt-1))].
 * `attempt` counts from 1 (the delay before the second attempt). */
uint32_t skycrate__retry_backoff_ms(unsigned int attempt, uint32_t base_ms, uint32_t max_ms);

#endif
