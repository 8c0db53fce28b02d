/*
 * A tiny scripted HTTP/1.1 server for loopback tests (the default transport, and later the
 * IMDS, STS and container credential endpoints).
 *
 * It listens on 127.0.0.1 on a free port (bind to port 0), serves in background threads (one
 * per connection, keep-alive supported), records every request and answers it either from a
 * handler callback or, without one, from a queue of scripted responses.
 *
 *     httpserver *s = hs_start(NULL, NULL);            // scripted mode
 *     hs_push_str(s, 200, "ETag: \"x\"\r\n", "hello");
 *     ... request hs_url(s) + "/path" ...
 *     const hs_request *r = hs_request_at(s, 0);
 *     ck_assert_str_eq(r->target, "/path");
 *     ck_assert_uint_eq(hs_connections(s), 1);
 *     hs_stop(s);
 *
 *     static void handler(const hs_request *req, hs_response *resp, void *user_data)
 *     {
 *         hs_response_status(resp, 200);
 *         hs_response_header(resp, "Content-Type", "application/json");
 *         hs_response_body_str(resp, "{\"Code\":\"Success\"}");
 *     }
 *     httpserver *s = hs_start(handler, &state);       // handler mode
 *
 * Request bodies are read by Content-Length (chunked request bodies are answered 501). An
 * `Expect: 100-continue` gets its interim answer. Responses carry Content-Length unless the
 * handler sets it or sends raw bytes. The handler runs on the connection's thread: with several
 * connections, several handlers may run at once. Memory is plain libc (not the library's
 * allocator). Failures to start abort the test process with a message.
 */
#ifndef SKYCRATE_TEST_HTTPSERVER_H
#define SKYCRATE_TEST_HTTPSERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct httpserver httpserver;

/* One request as received. Strings are NUL-terminated copies, byte for byte as sent. */
typedef struct hs_request {
    char *method;
    char *target;  /* the request target: path and query, unnormalised */
    char *version; /* "HTTP/1.1" */
    size_t header_count;
    char **names;        /* as sent (case kept) */
    char **values;       /* blanks around the value removed */
    unsigned char *body; /* body_length bytes + NUL */
    size_t body_length;
    unsigned int connection; /* which accepted connection it came on, from 1 */
} hs_request;

/* The answer being built by a handler (or from the script). */
typedef struct hs_response hs_response;

typedef void (*hs_handler)(const hs_request *req, hs_response *resp, void *user_data);

/* Starts a server; `handler` NULL means scripted mode (hs_push). Never returns NULL. */
httpserver *hs_start(hs_handler handler, void *user_data);
/* Stops the server (closing every connection, interrupting delays), joins its threads and frees
 * it with everything it recorded. NULL does nothing. */
void hs_stop(httpserver *s);

int hs_port(const httpserver *s);
/* "http://127.0.0.1:PORT" (no trailing slash); valid until hs_stop(). */
const char *hs_url(const httpserver *s);

/* Scripted mode: queues the next answer (headers as "Name: value\r\n" lines, or NULL). When the
 * queue is empty the server answers 500 "no scripted response". */
void hs_push(httpserver *s, int status, const char *headers, const void *body, size_t length);
void hs_push_str(httpserver *s, int status, const char *headers, const char *body);

/* Connections accepted so far (a test proves keep-alive reuse with it). */
unsigned int hs_connections(httpserver *s);
/* The most requests that were being handled at the same moment. */
unsigned int hs_peak_concurrency(httpserver *s);
size_t hs_request_count(httpserver *s);
/* The i-th request received (0-based), or NULL; valid until hs_stop(). */
const hs_request *hs_request_at(httpserver *s, size_t i);
/* A request header's value (case-insensitive name; the first one), or NULL. */
const char *hs_request_header(const hs_request *r, const char *name);

/* ---- building an answer (in a handler) ----------------------------------------------------- */

/* Default 200. */
void hs_response_status(hs_response *resp, int status);
void hs_response_header(hs_response *resp, const char *name, const char *value);
/* Adds "Name: value" lines separated by "\r\n" or "\n". */
void hs_response_headers(hs_response *resp, const char *lines);
/* Sets the body (copied); a HEAD answer sends only its Content-Length. */
void hs_response_body(hs_response *resp, const void *data, size_t length);
void hs_response_body_str(hs_response *resp, const char *body);
/* Sends an interim answer (e.g. 100 or 103, with optional header lines) before the final one. */
void hs_response_interim(hs_response *resp, int status, const char *lines);
/* Waits before answering (interrupted by hs_stop()). */
void hs_response_delay_ms(hs_response *resp, unsigned int ms);
/* Closes the connection after this answer. */
void hs_response_close(hs_response *resp);
/* Sends exactly these bytes instead of a formatted answer (malformed or truncated answers),
 * then closes the connection. */
void hs_response_raw(hs_response *resp, const void *bytes, size_t length);

#endif
