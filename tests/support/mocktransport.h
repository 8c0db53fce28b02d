/*
 * A scripted mock transport for unit tests of the layers above lib/http (docs/HACKING.md: no
 * network in unit tests, as aws-c-auth's s_mock_function_table).
 *
 * It answers each perform() with the next scripted response, in order, and records every
 * request it got. It uses only the public transport accessors, so it behaves like any
 * application transport: headers go through skycrate_http_response_add_header(), the body
 * through skycrate_http_response_write_body() in small chunks, and the request body is read
 * completely with skycrate_http_request_body_read() (also in small chunks).
 *
 *     mock_transport *m = mock_new();
 *     mock_push(m, 200, "ETag: \"x\"\r\nx-amz-request-id: 1\r\n", body, len);
 *     mock_push_error(m, SKYCRATE_ECONNECT);           // the next perform fails
 *     skycrate_http_transport *t = mock_transport_new(m); // hand t to the code under test
 *     ... run the code ...
 *     ck_assert_uint_eq(mock_request_count(m), 2);
 *     const mock_req *r = mock_request(m, 0);
 *     ck_assert_str_eq(r->method, "PUT");
 *     ck_assert_str_eq(mock_request_header(r, "content-type"), "text/plain");
 *     mock_free(m);                                     // fails if a scripted answer is unused
 *
 * When the script is exhausted, perform() fails with SKYCRATE_ERROR and the message
 * "mock transport: no scripted response left". The mock's own memory comes from libc, not the
 * library's allocator, so the test allocator only counts library allocations.
 * Thread-safe: perform() may run on several threads (see mock_set_concurrency()).
 */
#ifndef SKYCRATE_TEST_MOCKTRANSPORT_H
#define SKYCRATE_TEST_MOCKTRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "skycrate.h"

typedef struct mock_transport mock_transport;

/* One request as the transport saw it (the type is mock_req; mock_request() returns one).
 * All strings are NUL-terminated copies. */
typedef struct mock_req {
    char *method;
    char *url;
    size_t header_count;
    char **names;
    char **values;
    unsigned char *body; /* all bytes read through skycrate_http_request_body_read() (+ NUL) */
    size_t body_length;
    uint64_t declared_length; /* skycrate_http_request_body_length() */
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
    int result; /* what perform() returned for it */
} mock_req;

mock_transport *mock_new(void);
/* NULL does nothing. Do not free a mock while a transport made by mock_transport_new() is in use. */
void mock_free(mock_transport *m);

/*
 * Scripts the next answer: `status`, then the headers in `headers` ("Name: value" lines
 * separated by "\r\n" or "\n"; NULL for none), then `body_length` bytes of `body` (copied).
 */
void mock_push(mock_transport *m, int status, const char *headers, const void *body,
               size_t body_length);
/* Same, with a NUL-terminated body. */
void mock_push_str(mock_transport *m, int status, const char *headers, const char *body);
/* Scripts a transport failure: perform() returns `code` without setting a message (the library
 * then records "transport callback returned <code>"). The request is still recorded. */
void mock_push_error(mock_transport *m, int code);
/* Scripts a failure with a message, set with skycrate_error_set_str(). */
void mock_push_error_msg(mock_transport *m, int code, const char *message);
/* Scripts an interim answer before the next pushed one: set_status(status) and its headers
 * (they must be discarded by the library when the final status arrives). */
void mock_push_interim(mock_transport *m, int status, const char *headers);

/*
 * Routes: one-shot answers chosen by the request, for code that sends requests concurrently
 * (in no fixed order). A request takes the first route (in push order) whose `method` equals
 * its method (NULL: any) and whose `url_part` occurs in its URL; a request that matches no
 * route takes the next answer of the ordered script. Routes count in mock_pending().
 */
void mock_route(mock_transport *m, const char *method, const char *url_part, int status,
                const char *headers, const char *body);
/* A routed transport failure (as mock_push_error()). */
void mock_route_error(mock_transport *m, const char *method, const char *url_part, int code);

/* Body chunk size for both directions (default 7; at least 1). */
void mock_set_chunk(mock_transport *m, size_t chunk);
/* The max_concurrency the table announces (default 1). */
void mock_set_concurrency(mock_transport *m, unsigned int lanes);
/*
 * Holds the requests whose URL contains `url_part` in perform() until `count` of them have
 * arrived (at most 3 s each), so that they are answered only once all are in flight: a test of
 * code that should send them at once sees mock_gathered_max() == count, and code that sends
 * them one after another is slow (3 s a request) but fails the test instead of hanging it.
 */
void mock_gather(mock_transport *m, const char *url_part, unsigned int count);
/* The most requests of the gather that were held in perform() at once. */
unsigned int mock_gathered_max(mock_transport *m);
/* Requests whose URL contains `url_part` are answered `ms` milliseconds late (after the others
 * sent at the same time). */
void mock_delay(mock_transport *m, const char *url_part, unsigned int ms);

/* Runs fn(user_data) once, on the calling thread, when the first request with this method
 * (NULL: any) whose URL contains `url_part` has arrived and before it is answered: the answer
 * (scripted as usual) is what the server made of it, and fn is what happened meanwhile. */
void mock_on(mock_transport *m, const char *method, const char *url_part, void (*fn)(void *),
             void *user_data);

/* A transport (one reference) whose perform() is the mock's. Its `free` is NULL: the test keeps
 * the mock and calls mock_free() itself. */
skycrate_http_transport *mock_transport_new(mock_transport *m);
/* Same, but the transport's `free` is mock_free(): the mock goes with the transport's last
 * reference. */
skycrate_http_transport *mock_transport_new_owned(mock_transport *m);

/* How many requests perform() got so far. */
size_t mock_request_count(mock_transport *m);
/* The i-th request (0-based), or NULL when out of range. Valid until mock_free(). */
const mock_req *mock_request(mock_transport *m, size_t i);
/* The value of a request header (case-insensitive name), or NULL. */
const char *mock_request_header(const mock_req *r, const char *name);
/* Scripted answers not used yet. */
size_t mock_pending(mock_transport *m);

/*
 * The mock is strict: mock_free() fails the test when scripted answers (routes included) were
 * left unused. A test that scripts an answer so that it is NOT taken (a retry that must not
 * happen) drops it with mock_discard_unused(), which returns how many it dropped, to assert.
 */
size_t mock_discard_unused(mock_transport *m);
/* Opts out of the check, for allocation-failure loops: a failed allocation stops the code under
 * test before it sends what was scripted. */
void mock_allow_unused(mock_transport *m);

#endif
