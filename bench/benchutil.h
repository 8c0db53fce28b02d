/*
 * What the benchmark programs share: a monotonic clock, the library's log on stderr with
 * times, a client for a plain-http test endpoint, the endpoint's address, medians.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_BENCH_BENCHUTIL_H
#define SKYCRATE_BENCH_BENCHUTIL_H

#include <stddef.h>

#include "skycrate.h"

/* Milliseconds on the monotonic clock. */
double bench_now_ms(void);

/* Sends the library's log lines up to `level` (0: none) to stderr, each with the milliseconds
 * since the first call of this function. */
void bench_log_to_stderr(int level);

/* A client for `url` (plain http allowed) in `region` (NULL: the default chain's), with the
 * default transport and credentials. */
int bench_client_new(skycrate_client **out, const char *url, const char *region);

/* Splits "http://IPV4:PORT[/]" into host and port. 0, or -1 when it is not of that form. */
int bench_parse_endpoint(const char *url, char *host, size_t host_size, int *port);

/* Makes a fresh directory under `parent` for a temporary users file and writes the file's path
 * ("<dir>/users.json") into `store_path`. 0, or -1 with a message on stderr. */
int bench_store_make(char *store_path, size_t size, const char *parent);
/* Removes what bench_store_make() made: the users file, its lock file and the directory. An
 * empty path does nothing. */
void bench_store_remove(const char *store_path);

/* The median of n >= 1 values (sorts them). */
double bench_median(double *v, size_t n);

#endif
