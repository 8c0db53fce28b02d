/*
 * S3 error codes to library codes: one table, used for every S3 answer.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_S3_ERRORS_H
#define SKYCRATE_S3_ERRORS_H

#include <stdbool.h>

/* The library code for an S3 answer (`s3_code` may be NULL or "", e.g. for HEAD). */
int skycrate__s3_map_error(int http_status, const char *s3_code);

/* Answers worth retrying with backoff: 5xx, 429, SlowDown, RequestTimeout, throttling codes. */
bool skycrate__s3_retryable(int http_status, const char *s3_code);

#endif
