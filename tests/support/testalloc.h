/*
 * A counting allocator for tests: checks that nothing leaks and can fail the Nth allocation
 * (docs/HACKING.md, as nghttp2/tests/failmalloc_test.c).
 */
#ifndef SKYCRATE_TEST_ALLOC_H
#define SKYCRATE_TEST_ALLOC_H

#include <stddef.h>

#include "skycrate.h"

/* The table to pass to skycrate_global_init(). */
extern const skycrate_allocator testalloc;

/* Fail the nth allocation from now (1 = the next one); 0 disables. */
void testalloc_fail_at(long nth);
/* Allocations made since the last reset. */
long testalloc_count(void);
/* Blocks currently outstanding. */
long testalloc_outstanding(void);
void testalloc_reset_count(void);

/* An allocator that looks into every block the library frees for the secret `watched` and
 * counts each block that still holds it in `watched_hits` (blocks are zeroed when allocated). */
extern const skycrate_allocator watching;
extern const char *watched;
extern int watched_hits;

#endif
