/*
 * Reading the presign golden cases (tests/vectors/presign-golden, post-golden), comparing
 * presigned URLs, and the frozen clock of the presigner tests (tests/support/presigncases.c).
 */
#ifndef SKYCRATE_PRESIGNCASES_H
#define SKYCRATE_PRESIGNCASES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "skycrate.h"

/* context.json of case `name` under vectors_root()/sub; `dir` receives the case directory. */
json_t *load_context(const char *sub, const char *name, char *dir, size_t dir_size);
/* obj[name] as a string, or NULL. */
const char *jstr(const json_t *obj, const char *name);
/* The presign request of a URL case (its "request" object), built with the public setters. */
skycrate_presign_request *golden_request(const json_t *ctx);
/* A client and presigner for a case's "config" and "credentials" (expiration 0). */
skycrate_client *golden_client(const json_t *ctx);
/* Two URLs are the same but for the order of their query parameters (encodings compared
 * exactly, not decoded). */
void assert_same_url(const char *got, const char *want);
/* The query of a presigned URL is sorted, with X-Amz-Signature last. */
void assert_sorted_query(const char *url);

/* The golden cases' time: 2024-11-22T18:26:40Z, in seconds. */
#define PRESIGN_T0 1732300000
/* The clock presign_setup() installs reads this (milliseconds); tests move it. */
extern int64_t presign_clock_ms;
/* A clock for skycrate__clock_override() that answers presign_clock_ms. */
int64_t presign_clock(void *user_data);
/* Initialises the library (libc's allocator) and freezes the clock at PRESIGN_T0. */
void presign_setup(void);
/* Unfreezes the clock and cleans the library up. */
void presign_teardown(void);

#endif
