/*
 * Checks every user store must pass, shared by the tests of the JSON-file store and the
 * PostgreSQL store: concurrent writers, in threads and in processes, lose no update.
 */
#ifndef SKYCRATE_TEST_STORECHECK_H
#define SKYCRATE_TEST_STORECHECK_H

#include "skycrate.h"

/* One increment of the record {"n": N} of `id` with the public calls: get, +1, put with the
 * text read as expected, retried on ECONFLICT. 0 or the failing code. */
int storecheck_increment(const skycrate_user_store *s, const char *id);
/* The same through the library's compare-and-swap helper (skycrate__user_store_update). */
int storecheck_increment_helper(const skycrate_user_store *s, const char *id);

/* Opens a store of the kind under test (each process opens its own). 0 or a code. */
typedef int (*storecheck_open_fn)(skycrate_user_store **out, void *ctx);

/* `writers` processes, started together, each opening its own store and incrementing its own
 * record "writer-<w>" and the record "shared" `rounds` times (alternating both ways to write);
 * then checks every count with `s`. */
void storecheck_processes(const skycrate_user_store *s, storecheck_open_fn open, void *ctx,
                          int writers, int rounds);
/* The same with `writers` threads sharing the store `s`. */
void storecheck_threads(const skycrate_user_store *s, int writers, int rounds);

/* The counter of `id`'s record {"n": N} (asserts that it exists). */
long storecheck_counter(const skycrate_user_store *s, const char *id);

#endif
