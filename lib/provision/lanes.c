/*
 * Concurrent lanes (see lanes.h): a shared job counter, a completion queue, a condition
 * variable. Workers never call `done`; the calling thread never runs jobs while workers exist.
 * SPDX-License-Identifier: MIT
 */
#include "provision/lanes.h"

#include <pthread.h>

#include "core/common.h"

#define MAX_LANES 64

typedef struct lanes {
    pthread_mutex_t lock;
    pthread_cond_t finished_cond;
    size_t count, next, running;
    bool stop;
    size_t *finished; /* indexes in completion order */
    size_t finished_tail;
    skycrate__lane_run_fn run;
    void *ctx;
} lanes;

static void *worker(void *arg)
{
    lanes *l = arg;
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
                         void *ctx)
{
    size_t started = 0;
    for (size_t i = 0; i < count; i++) {
        started++;
        run(i, ctx);
        if (done(i, ctx))
            break;
    }
    return started;
}

size_t skycrate__lanes_run(unsigned int lane_count, size_t count, skycrate__lane_run_fn run,
                           skycrate__lane_done_fn done, void *ctx)
{
    if (count == 0)
        return 0;
    if (lane_count > MAX_LANES)
        lane_count = MAX_LANES;
    if (lane_count <= 1 || count == 1)
        return run_inline(count, run, done, ctx);
    size_t threads = lane_count < count ? lane_count : count;

    lanes l = {.count = count, .run = run, .ctx = ctx};
    pthread_t tids[MAX_LANES];
    if (!(l.finished = skycrate__calloc(count, sizeof(size_t)))) {
        skycrate_error_clear(); /* fewer lanes is no failure */
        return run_inline(count, run, done, ctx);
    }
    pthread_mutex_init(&l.lock, NULL);
    pthread_cond_init(&l.finished_cond, NULL);

    size_t created = 0;
    for (; created < threads; created++)
        if (pthread_create(&tids[created], NULL, worker, &l) != 0)
            break;

    size_t handled = 0;
    if (created == 0) {
        handled = run_inline(count, run, done, ctx);
        l.next = handled;
    } else {
        pthread_mutex_lock(&l.lock);
        for (;;) {
            while (handled < l.finished_tail) {
                size_t i = l.finished[handled++];
                pthread_mutex_unlock(&l.lock);
                bool stop = done(i, ctx);
                pthread_mutex_lock(&l.lock);
                if (stop)
                    l.stop = true;
            }
            bool no_more = l.stop || l.next >= l.count;
            if (no_more && l.running == 0 && handled == l.finished_tail)
                break;
            pthread_cond_wait(&l.finished_cond, &l.lock);
        }
        pthread_mutex_unlock(&l.lock);
        for (size_t t = 0; t < created; t++)
            pthread_join(tids[t], NULL);
    }
    size_t started = created ? l.next : handled;
    pthread_cond_destroy(&l.finished_cond);
    pthread_mutex_destroy(&l.lock);
    skycrate__free(l.finished);
    return started;
}
