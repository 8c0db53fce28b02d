/*
 * Unit tests of the provisioner's concurrent lanes (lib/provision/lanes.c): at most N jobs at
 * once on worker threads, completions handed to the calling thread, stops, and the fallback to
 * the calling thread alone.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "provision/lanes.h"
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

static Suite *lanes_suite(void)
{
    Suite *s = suite_create("lanes");
    TCase *tc = tcase_create("lanes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lanes_run_jobs_concurrently_and_stop_on_request);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(lanes_suite)
