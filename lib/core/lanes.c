/*
 * Concurrent lanes (see lanes.h): a shared job counter, a completion queue, a condition
 * variable. Workers never call `done`; the calling thread never runs jobs while workers exist.
 * SPDX-License-Identifier: MIT
 */
#include "core/lanes.h"

#include <pthread.h>
#include <time.h>

#include "core/common.h"

#define MAX_LANES 64

struct skycrate__lanes {
    pthread_mutex_t lock;
    pthread_cond_t finished_cond;
    size_t count, next, running;
    bool stop;
    size_t *finished; /* indexes in completion order */
    size_t finished_tail;
    skycrate__lane_run_fn run;
    void *ctx;
    size_t threads; /* the lanes wanted */
    size_t created; /* threads made so far */
    pthread_t tids[MAX_LANES];
};

static void *worker(void *arg)
{
    skycrate__lanes *l = arg;
    pthread_mutex_lock(&l->lock);
    while (!l->stop && l->next < l->count) {
        size_t i = l->next++;
        l->running++;
        pthread_mutex_unlock(&l->lock);
        l->run(i, l->ctx);
        pthread_mutex_lock(&l->lock);
        l->running--;
        l->finished[l->finished_tail++] = i;
        pthread_cond_signal(&l->finished_cond);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

static size_t run_inline(size_t count, skycrate__lane_run_fn run, skycrate__lane_done_fn done,
                         skycrate__lane_tick_fn tick, void *ctx)
{
    size_t started = 0;
    for (size_t i = 0; i < count; i++) {
        started++;
        run(i, ctx);
        bool stop = done(i, ctx);
        if (tick && tick(ctx))
            stop = true;
        if (stop)
            break;
    }
    return started;
}

/* Waits for a finished job, or until `tick_ms` passed when there is a tick. */
static void wait_finished(skycrate__lanes *l, skycrate__lane_tick_fn tick, unsigned int tick_ms)
{
    if (!tick) {
        pthread_cond_wait(&l->finished_cond, &l->lock);
        return;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += tick_ms / 1000;
    until.tv_nsec += (long)(tick_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&l->finished_cond, &l->lock, &until);
}

/* A batch for `threads` lanes, none started; NULL without memory. */
static skycrate__lanes *batch_new(size_t threads, size_t count, skycrate__lane_run_fn run,
                                  void *ctx)
{
    skycrate__lanes *l = skycrate__calloc(1, sizeof(*l));
    if (l && !(l->finished = skycrate__calloc(count, sizeof(size_t)))) {
        skycrate__free(l);
        l = NULL;
    }
    if (!l) {
        skycrate_error_clear(); /* fewer lanes is no failure */
        return NULL;
    }
    l->count = count;
    l->run = run;
    l->ctx = ctx;
    l->threads = threads;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->finished_cond, NULL);
    return l;
}

static void batch_free(skycrate__lanes *l)
{
    pthread_cond_destroy(&l->finished_cond);
    pthread_mutex_destroy(&l->lock);
    skycrate__free(l->finished);
    skycrate__free(l);
}

/* Makes threads until `want` exist (or no more can be made). */
static void spawn(skycrate__lanes *l, size_t want)
{
    while (l->created < want && pthread_create(&l->tids[l->created], NULL, worker, l) == 0)
        l->created++;
}

static size_t lane_count_for(unsigned int lanes, size_t count)
{
    size_t threads = lanes > MAX_LANES ? MAX_LANES : lanes;
    return threads < count ? threads : count;
}

skycrate__lanes *skycrate__lanes_start(unsigned int lanes, unsigned int early, size_t count,
                                       skycrate__lane_run_fn run, void *ctx)
{
    size_t threads = lane_count_for(lanes, count);
    if (early == 0 || early >= threads)
        return NULL;
    skycrate__lanes *l = batch_new(threads, count, run, ctx);
    if (!l)
        return NULL;
    spawn(l, early);
    if (l->created == 0) {
        batch_free(l);
        return NULL;
    }
    return l;
}

void skycrate__lanes_expand(skycrate__lanes *l)
{
    spawn(l, l->threads);
}

static size_t finish(skycrate__lanes *l, skycrate__lane_done_fn done, skycrate__lane_tick_fn tick,
                     unsigned int tick_ms, void *ctx)
{
    spawn(l, l->threads);
    size_t handled = 0;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (handled < l->finished_tail) {
            size_t i = l->finished[handled++];
            pthread_mutex_unlock(&l->lock);
            bool stop = done(i, ctx);
            pthread_mutex_lock(&l->lock);
            if (stop)
                l->stop = true;
        }
        bool no_more = l->stop || l->next >= l->count;
        if (no_more && l->running == 0 && handled == l->finished_tail)
            break;
        wait_finished(l, tick, tick_ms);
        if (tick) { /* it keeps its own pace */
            pthread_mutex_unlock(&l->lock);
            bool stop = tick(ctx);
            pthread_mutex_lock(&l->lock);
            if (stop)
                l->stop = true;
        }
    }
    size_t started = l->next;
    pthread_mutex_unlock(&l->lock);
    for (size_t t = 0; t < l->created; t++)
        pthread_join(l->tids[t], NULL);
    batch_free(l);
    return started;
}

size_t skycrate__lanes_finish(skycrate__lanes *l, skycrate__lane_done_fn done, void *ctx)
{
    return finish(l, done, NULL, 0, ctx);
}

size_t skycrate__lanes_abandon(skycrate__lanes *l)
{
    pthread_mutex_lock(&l->lock);
    l->stop = true;
    pthread_mutex_unlock(&l->lock);
    for (size_t t = 0; t < l->created; t++)
        pthread_join(l->tids[t], NULL);
    size_t started = l->next;
    batch_free(l);
    return started;
}

size_t skycrate__lanes_run_ticking(unsigned int lane_count, size_t count, skycrate__lane_run_fn run,
                                   skycrate__lane_done_fn done, skycrate__lane_tick_fn tick,
                                   unsigned int tick_ms, void *ctx)
{
    if (count == 0)
        return 0;
    size_t threads = lane_count_for(lane_count, count);
    if (threads <= 1)
        return run_inline(count, run, done, tick, ctx);
    skycrate__lanes *l = batch_new(threads, count, run, ctx);
    if (!l)
        return run_inline(count, run, done, tick, ctx);
    spawn(l, threads);
    if (l->created == 0) {
        batch_free(l);
        return run_inline(count, run, done, tick, ctx);
    }
    return finish(l, done, tick, tick_ms ? tick_ms : 100, ctx);
}

size_t skycrate__lanes_run(unsigned int lane_count, size_t count, skycrate__lane_run_fn run,
                           skycrate__lane_done_fn done, void *ctx)
{
    return skycrate__lanes_run_ticking(lane_count, count, run, done, NULL, 0, ctx);
}
