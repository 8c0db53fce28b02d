/*
 * Unit tests of the provisioner's concurrent lanes (lib/provision/lanes.c): at most N jobs at
 * once on worker threads, completions handed to the calling thread, stops, and the fallback to
 * the calling thread alone.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "core/lanes.h"
#include "testalloc.h"
#include "testutil.h"

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
}

static void teardown(void)
{
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

typedef struct lane_ctx {
    pthread_mutex_t lock;
    int running, max_running, ran[20], done[20];
    pthread_t caller, threads[20];
    size_t stop_at;
} lane_ctx;

static void lane_run(size_t i, void *vctx)
{
    lane_ctx *c = vctx;
    pthread_mutex_lock(&c->lock);
    c->ran[i]++;
    c->threads[i] = pthread_self();
    if (++c->running > c->max_running)
        c->max_running = c->running;
    pthread_mutex_unlock(&c->lock);
    usleep(2000);
    pthread_mutex_lock(&c->lock);
    c->running--;
    pthread_mutex_unlock(&c->lock);
}

static bool lane_done(size_t i, void *vctx)
{
    lane_ctx *c = vctx;
    ck_assert(pthread_equal(pthread_self(), c->caller)); /* journaling stays on the caller */
    c->done[i]++;
    return i == c->stop_at;
}

START_TEST(lanes_run_jobs_concurrently_and_stop_on_request)
{
    lane_ctx c;
    memset(&c, 0, sizeof(c));
    pthread_mutex_init(&c.lock, NULL);
    c.caller = pthread_self();
    c.stop_at = 99;
    ck_assert_uint_eq(skycrate__lanes_run(4, 20, lane_run, lane_done, &c), 20);
    ck_assert_int_eq(c.max_running, 4);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(c.ran[i], 1);
        ck_assert_int_eq(c.done[i], 1);
        ck_assert(!pthread_equal(c.threads[i], c.caller));
    }
    /* One lane: in order, on the calling thread; a stop ends it at once. */
    memset(c.ran, 0, sizeof(c.ran));
    memset(c.done, 0, sizeof(c.done));
    c.max_running = 0;
    c.stop_at = 5;
    ck_assert_uint_eq(skycrate__lanes_run(1, 20, lane_run, lane_done, &c), 6);
    ck_assert_int_eq(c.max_running, 1);
    ck_assert(pthread_equal(c.threads[0], c.caller));
    ck_assert_int_eq(c.ran[6], 0);
    /* Several lanes: jobs not started when the stop came are never started; every started one
     * is handed to done. */
    memset(c.ran, 0, sizeof(c.ran));
    memset(c.done, 0, sizeof(c.done));
    c.stop_at = 0;
    size_t started = skycrate__lanes_run(3, 20, lane_run, lane_done, &c);
    ck_assert_uint_lt(started, 20);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(c.ran[i], c.done[i]);
    int ran = 0;
    for (int i = 0; i < 20; i++)
        ran += c.ran[i];
    ck_assert_int_eq(ran, (int)started);
    ck_assert_uint_eq(skycrate__lanes_run(3, 0, lane_run, lane_done, &c), 0);
    /* Without memory for the queue, it runs on the calling thread. */
    memset(c.ran, 0, sizeof(c.ran));
    memset(c.done, 0, sizeof(c.done));
    c.stop_at = 99;
    testalloc_fail_at(1);
    ck_assert_uint_eq(skycrate__lanes_run(3, 4, lane_run, lane_done, &c), 4);
    testalloc_fail_at(0);
    ck_assert(pthread_equal(c.threads[3], c.caller));
    pthread_mutex_destroy(&c.lock);
}
END_TEST

/* Jobs that hold until released, for batches started early. */
typedef struct held_ctx {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool released;
    int started, running, max_running, done[10];
    pthread_t caller;
} held_ctx;

static void held_run(size_t i, void *vctx)
{
    (void)i;
    held_ctx *c = vctx;
    pthread_mutex_lock(&c->lock);
    c->started++;
    if (++c->running > c->max_running)
        c->max_running = c->running;
    while (!c->released)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
    usleep(20000); /* long enough for an abandon to come first */
    pthread_mutex_lock(&c->lock);
    c->running--;
    pthread_mutex_unlock(&c->lock);
}

static bool held_done(size_t i, void *vctx)
{
    held_ctx *c = vctx;
    ck_assert(pthread_equal(pthread_self(), c->caller));
    c->done[i]++;
    return false;
}

static void held_init(held_ctx *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->caller = pthread_self();
}

static void held_release(held_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    c->released = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static int held_started(held_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    int n = c->started;
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* Waits (up to 5 s) until `n` jobs started, then a little more to see that no other starts. */
static void wait_started(held_ctx *c, int n)
{
    for (int i = 0; i < 500 && held_started(c) < n; i++)
        usleep(10000);
    usleep(30000);
    ck_assert_int_eq(held_started(c), n);
}

START_TEST(a_batch_started_early_runs_on_its_early_lanes_first)
{
    held_ctx c;
    held_init(&c);
    /* Nothing to start early: NULL, nothing started. */
    ck_assert_ptr_null(skycrate__lanes_start(4, 0, 10, held_run, &c));
    ck_assert_ptr_null(skycrate__lanes_start(4, 4, 10, held_run, &c));
    ck_assert_ptr_null(skycrate__lanes_start(4, 2, 2, held_run, &c)); /* two jobs: two lanes */
    ck_assert_ptr_null(skycrate__lanes_start(1, 1, 10, held_run, &c));
    ck_assert_int_eq(held_started(&c), 0);

    skycrate__lanes *batch = skycrate__lanes_start(4, 2, 10, held_run, &c);
    ck_assert_ptr_nonnull(batch);
    wait_started(&c, 2); /* two early lanes, while this thread goes on */
    skycrate__lanes_expand(batch);
    wait_started(&c, 4); /* then all four */
    held_release(&c);
    ck_assert_uint_eq(skycrate__lanes_finish(batch, held_done, &c), 10);
    ck_assert_int_eq(c.max_running, 4);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(c.done[i], 1);

    /* finish() starts the other lanes itself. */
    held_init(&c);
    batch = skycrate__lanes_start(3, 1, 10, held_run, &c);
    ck_assert_ptr_nonnull(batch);
    wait_started(&c, 1);
    held_release(&c);
    ck_assert_uint_eq(skycrate__lanes_finish(batch, held_done, &c), 10);
    ck_assert_int_eq(c.started, 10);
}
END_TEST

START_TEST(an_abandoned_batch_starts_nothing_more)
{
    held_ctx c;
    held_init(&c);
    skycrate__lanes *batch = skycrate__lanes_start(4, 2, 10, held_run, &c);
    ck_assert_ptr_nonnull(batch);
    wait_started(&c, 2);
    held_release(&c);
    /* The two running jobs finish; `done` is never called; no job starts after them. */
    ck_assert_uint_eq(skycrate__lanes_abandon(batch), 2);
    ck_assert_int_eq(c.started, 2);
    ck_assert_int_eq(c.running, 0);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(c.done[i], 0);
    /* Without memory for the batch, nothing starts early. */
    held_init(&c);
    testalloc_fail_at(1);
    ck_assert_ptr_null(skycrate__lanes_start(4, 2, 10, held_run, &c));
    testalloc_fail_at(0);
    usleep(20000);
    ck_assert_int_eq(held_started(&c), 0);
}
END_TEST

static Suite *lanes_suite(void)
{
    Suite *s = suite_create("lanes");
    TCase *tc = tcase_create("lanes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lanes_run_jobs_concurrently_and_stop_on_request);
    tcase_add_test(tc, a_batch_started_early_runs_on_its_early_lanes_first);
    tcase_add_test(tc, an_abandoned_batch_starts_nothing_more);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(lanes_suite)
