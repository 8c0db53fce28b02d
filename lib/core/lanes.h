/*
 * Concurrent lanes: independent requests of one call (provisioner, transfer) run on up to N threads (one
 * connection per lane in the default transport), while the calling thread sorts out each result
 * as it arrives. A batch may also be started early, on some of its lanes, while the calling
 * thread still does something else (the provisioner's CreateBucket: the configuration requests
 * then connect and wait at a gate until the create has answered).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_LANES_H
#define SKYCRATE_CORE_LANES_H

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

/* Called on the calling thread about every `tick_ms` while jobs run on lanes, and after each job
 * run on the calling thread. Returning true stops the run, as `done` returning true does. */
typedef bool (*skycrate__lane_tick_fn)(void *ctx);

/* skycrate__lanes_run() that also calls `tick` (progress reports, cancellation). */
size_t skycrate__lanes_run_ticking(unsigned int lanes, size_t count, skycrate__lane_run_fn run,
                                   skycrate__lane_done_fn done, skycrate__lane_tick_fn tick,
                                   unsigned int tick_ms, void *ctx);

/* A batch started early (opaque). */
typedef struct skycrate__lanes skycrate__lanes;

/*
 * Starts a batch of jobs 0 .. count-1 for at most `lanes` threads, `early` of them at once
 * (1 <= early < lanes, and fewer than `count`): they start running jobs while the calling
 * thread goes on. NULL when there is nothing to start early or no thread (or memory) for it:
 * then nothing was started and the caller runs the batch with skycrate__lanes_run() instead.
 */
skycrate__lanes *skycrate__lanes_start(unsigned int lanes, unsigned int early, size_t count,
                                       skycrate__lane_run_fn run, void *ctx);

/* Starts the batch's other lanes now (as far as threads can be made), without waiting. */
void skycrate__lanes_expand(skycrate__lanes *batch);

/*
 * Starts the batch's other lanes (as far as threads can be made) and passes every job that
 * finishes to `done` on the calling thread, as skycrate__lanes_run() does; returns when every
 * started job has finished and been passed to `done`, and frees the batch. Returns how many
 * jobs were started.
 */
size_t skycrate__lanes_finish(skycrate__lanes *batch, skycrate__lane_done_fn done, void *ctx);

/*
 * Gives a batch up: jobs not started yet are never started, the running ones are waited for
 * (their `done` is not called), and the batch is freed. Returns how many jobs were started.
 */
size_t skycrate__lanes_abandon(skycrate__lanes *batch);

#endif
