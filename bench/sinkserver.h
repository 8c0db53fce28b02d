/*
 * A loopback HTTP/1.1 server that reads and discards request bodies, for benchmarks of uploads
 * larger than any test server can hold. It answers as S3 does just enough for the library's
 * uploads to complete: CreateMultipartUpload (an upload id), UploadPart and PutObject (an
 * ETag), CompleteMultipartUpload (a result), AbortMultipartUpload and DeleteObject (204). It
 * checks no signature and keeps nothing but counters.
 *
 *     sinkserver *s = sinkserver_start();
 *     ... upload to http://127.0.0.1:<sinkserver_port(s)> ...
 *     printf("%llu bytes in %u requests\n", sinkserver_bytes(s), sinkserver_requests(s));
 *     sinkserver_stop(s);
 *
 * It runs in background threads of the calling process (one accepting, one per connection),
 * with libc and pthreads only. NULL on failure, with a message on stderr.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_BENCH_SINKSERVER_H
#define SKYCRATE_BENCH_SINKSERVER_H

#include <stdint.h>

typedef struct sinkserver sinkserver;

sinkserver *sinkserver_start(void);
/* Stops accepting, closes every connection, joins the threads, frees. NULL does nothing. */
void sinkserver_stop(sinkserver *s);
/* The port it listens on (127.0.0.1). */
int sinkserver_port(const sinkserver *s);
/* Object bytes (bodies of PUT requests) read and discarded so far. */
uint64_t sinkserver_bytes(const sinkserver *s);
/* Requests answered so far. */
unsigned int sinkserver_requests(const sinkserver *s);

#endif
