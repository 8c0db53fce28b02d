/*
 * Concurrent lanes: independent requests of one provisioner call run on up to N threads (one
 * connection per lane in the default transport), while the calling thread sorts out each result
 * as it arrives.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_LANES_H
#define SKYCRATE_PROVISION_LANES_H

#include <stdbool.h>
#include <stddef.h>

/* Runs job `index` on a lane thread (or on the calling thread). It must keep its result (and a
 * copy of its error message: the error slot is per thread) in its own storage. */
typedef void (*skycrate__lane_run_fn)(size_t index, void *ctx);
/* Called on the calling thread after job `index` finished, in completion order. Returning true
 * stops the run: jobs not started yet are never started (their `run` is never called). */
typedef bool (*skycrate__lane_done_fn)(size_t index, void *ctx);

/*
 * Runs jobs 0 .. count-1 with at most `lanes` of them at once, and returns when every started
 * job has finished and been passed to `done`. With lanes <= 1 (or a single job) everything runs
 * on the calling thread, in order. When threads or memory are short it runs with fewer lanes
 * (down to the calling thread alone): it cannot fail.
 * Returns how many jobs were started.
 */
size_t skycrate__lanes_run(unsigned int lanes, size_t count, skycrate__lane_run_fn run,
                           skycrate__lane_done_fn done, void *ctx);

#endif
