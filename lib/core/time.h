/*
 * Clock and time formats (SigV4 dates, ISO 8601, RFC 1123).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_TIME_H
#define SKYCRATE_CORE_TIME_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, from the wall clock or the test override. */
int64_t skycrate__now_ms(void);
/* Monotonic milliseconds, for timeouts and backoff. */
int64_t skycrate__monotonic_ms(void);
/* Tests freeze the wall clock: a non-NULL function replaces it (process-wide). */
void skycrate__clock_override(int64_t (*now_ms)(void *user_data), void *user_data);
/* Sleeps; used by the retry policy. */
void skycrate__sleep_ms(uint32_t ms);

/*
 * A correction to the local clock, shared by a client (whose skew correction sets it) and the
 * presigners made from it (which read it on every presign): one atomic load, no lock.
 * Reference-counted; the first reference comes from _new.
 */
typedef struct skycrate__clock skycrate__clock;
/* 0 or SKYCRATE_ENOMEM (no message set). The offset starts at 0. */
int skycrate__clock_new(skycrate__clock **out);
skycrate__clock *skycrate__clock_ref(skycrate__clock *clock);
void skycrate__clock_unref(skycrate__clock *clock); /* NULL does nothing */
/* Seconds added to the local clock. */
int64_t skycrate__clock_offset(const skycrate__clock *clock);
void skycrate__clock_set_offset(skycrate__clock *clock, int64_t seconds);
/* Seconds since the epoch: the local clock (or the test override) plus the offset. */
int64_t skycrate__clock_now(const skycrate__clock *clock);

/* "20150830T123600Z" (16 chars + NUL) */
void skycrate__format_amz_date(char out[17], int64_t unix_seconds);
/* "2015-08-30T12:36:00Z" (20 chars + NUL) */
void skycrate__format_iso8601(char out[21], int64_t unix_seconds);
/* Parses "YYYYMMDDTHHMMSSZ". Returns 0 or SKYCRATE_EPARSE (no error message set). */
int skycrate__parse_amz_date(int64_t *out, const char *s);
/* Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)". Returns 0 or SKYCRATE_EPARSE. */
int skycrate__parse_iso8601(int64_t *out, const char *s);
/* Parses an HTTP date "Sun, 06 Nov 1994 08:49:37 GMT". Returns 0 or SKYCRATE_EPARSE. */
int skycrate__parse_http_date(int64_t *out, const char *s);

#endif
