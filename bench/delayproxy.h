/*
 * A delaying TCP proxy for benchmarks: it adds network latency between a client and a server
 * on loopback, and counts the connections and HTTP/1.1 requests that pass through it.
 *
 * It listens on 127.0.0.1 on a free port and forwards every accepted connection to the
 * upstream address. Bytes travel as on a link with the given round-trip time: each chunk read
 * in one direction is written on after half the RTT, measured from the moment it was read, so
 * a request/response exchange costs at least one RTT and chunks in flight do not add up. A new
 * connection costs one more RTT, as a TCP handshake does: the first bytes from the client
 * cannot arrive before the handshake would have completed.
 *
 * Requests are counted by parsing the client-to-server stream as HTTP/1.1 (request line,
 * headers, a Content-Length or chunked body); each request line is recorded.
 *
 *     delayproxy *p = delayproxy_start("127.0.0.1", 8000, 20);
 *     ... point the client at http://127.0.0.1:<delayproxy_port(p)> ...
 *     printf("%u connections, %zu requests\n", delayproxy_connections(p),
 *            delayproxy_request_count(p));
 *     delayproxy_stop(p);
 *
 * A hold stops one request where the test says: before its bytes reach the server (the server
 * has not seen it), or after them, before its answer reaches the client (the server has acted
 * on it and the client does not know yet); the test does what it wants meanwhile, then releases
 * it. So every interleaving of two operations at each request of one can be made to happen:
 *
 *     delayproxy_hold(p, 3, DELAYPROXY_HOLD_ANSWER);  // the 4th request from now on
 *     ... start the operation in a thread ...
 *     if (delayproxy_wait_held(p, 10000)) { ... the other operation ... }
 *     delayproxy_release(p);
 *
 * It runs in background threads of the calling process (one for accepting, two per
 * connection) and uses only libc and pthreads. Memory is plain libc. Failures to start
 * return NULL with a message on stderr.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_BENCH_DELAYPROXY_H
#define SKYCRATE_BENCH_DELAYPROXY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct delayproxy delayproxy;

/* Starts a proxy to upstream_host:upstream_port (an IPv4 address) with the given round-trip
 * time in milliseconds (0: no delay). NULL on failure, with a message on stderr. */
delayproxy *delayproxy_start(const char *upstream_host, int upstream_port, unsigned int rtt_ms);
/* Stops accepting, closes every connection, joins the threads and frees the proxy.
 * NULL does nothing. */
void delayproxy_stop(delayproxy *p);

/* The port it listens on (127.0.0.1). */
int delayproxy_port(const delayproxy *p);

/* Connections accepted and requests seen since the start or the last reset. */
unsigned int delayproxy_connections(delayproxy *p);
size_t delayproxy_request_count(delayproxy *p);
/* The i-th request line seen ("PUT /bucket?cors HTTP/1.1"), copied into buf (truncated to
 * size - 1 bytes). 0, or -1 when there is no such request. */
int delayproxy_request_line(delayproxy *p, size_t i, char *buf, size_t size);
/* The connection (counted from 1 since the last reset) the i-th request came on, or 0. */
unsigned int delayproxy_request_connection(delayproxy *p, size_t i);
/* Where a hold stops its request. */
typedef enum {
    DELAYPROXY_HOLD_REQUEST, /* its bytes wait before the server */
    DELAYPROXY_HOLD_ANSWER   /* it reaches the server; the answer waits before the client */
} delayproxy_hold_point;

/* Arms a hold for the request counted `index` (0-based, as delayproxy_request_line() counts
 * them since the start or the last reset). One hold at a time: arming releases the last. */
void delayproxy_hold(delayproxy *p, size_t index, delayproxy_hold_point point);
/* Waits up to `timeout_ms` for the armed hold to stop its request: true when it did. */
bool delayproxy_wait_held(delayproxy *p, unsigned int timeout_ms);
/* Lets the held request (or the one a hold still waits for) go on, and disarms the hold. */
void delayproxy_release(delayproxy *p);

/* Forgets the counts and request lines. Connections already open keep working; their later
 * requests are counted under connection number 0. */
void delayproxy_reset(delayproxy *p);

#endif
