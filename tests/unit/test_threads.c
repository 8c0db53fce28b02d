/*
 * Eight threads hammer one presigner and one cached credentials provider at once, while the
 * clock moves a second after each round, so that the credentials are refreshed again and
 * again: every URL must be signed with credentials the provider really handed out, still valid
 * at the signing time.
 * Meant for ThreadSanitizer (tools/test builds build-tsan and runs the unit suite there): a data
 * race is a failure there even when the results come out right.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "testalloc.h"
#include "testutil.h"

#define THREADS 8
#define ROUNDS 400
#define T0_MS 1732300000000LL

/* The clock stands still during a round: each thread holds `rounds` for reading while it
 * presigns and asks, and after each round moves the clock a second on, holding it for writing
 * (writers first, so that time does move). So the credentials a thread is handed are still
 * valid when it signs with them, however long the scheduler leaves it waiting in between: a
 * clock that ran with the threads' work let a stalled thread find minutes gone between the
 * provider's answer and the signing (its credentials expired: the library's right answer, and
 * a test that failed on a loaded machine). */
static atomic_llong now_ms;
static pthread_rwlock_t rounds;
static int64_t still_clock(void *ud)
{
    (void)ud;
    return atomic_load(&now_ms);
}

static void tick(void)
{
    pthread_rwlock_wrlock(&rounds);
    atomic_fetch_add(&now_ms, 1000);
    pthread_rwlock_unlock(&rounds);
}

/* The inner provider: credentials #n valid for 120 s from the time they are made, so the cached
 * provider refreshes them after 60 s (a minute of rounds), long before they expire. */
static atomic_int issued;
static int issue(skycrate_credentials **out, void *ud)
{
    (void)ud;
    int n = atomic_fetch_add(&issued, 1);
    char akid[32];
    snprintf(akid, sizeof(akid), "AKIDHAMMER%d", n);
    return skycrate_credentials_new(out, akid, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                    "token-of-the-hammer", skycrate__now_ms() / 1000 + 120);
}

static skycrate_credentials_provider *cached;
static skycrate_presigner *presigner;
static pthread_barrier_t start;

typedef struct worker {
    int index;
    int urls, contracts, gets;
    char failure[256];
} worker;

/* The credentials number in a URL's X-Amz-Credential, or -1. */
static int credential_number(const char *url)
{
    const char *c = strstr(url, "X-Amz-Credential=AKIDHAMMER");
    return c ? atoi(c + strlen("X-Amz-Credential=AKIDHAMMER")) : -1;
}

static bool check_url(worker *w, const char *url)
{
    int n = credential_number(url);
    if (n < 0 || n >= atomic_load(&issued) || !strstr(url, "X-Amz-Signature=") ||
        !strstr(url, "X-Amz-Security-Token=token-of-the-hammer")) {
        snprintf(w->failure, sizeof(w->failure), "thread %d: bad URL %.180s", w->index, url);
        return false;
    }
    return true;
}

static bool round_of(worker *w, int round, skycrate_presign_request *req)
{
    char url[2048];
    size_t len = 0;
    int rc = skycrate_presigner_sign_url(url, sizeof(url), &len, presigner, req);
    if (rc < 0) {
        snprintf(w->failure, sizeof(w->failure), "thread %d: sign_url: %s", w->index,
                 skycrate_error_last()->message);
        return false;
    }
    w->urls++;
    if (!check_url(w, url))
        return false;
    if (round % 4 == 0) {
        skycrate_presigned *contract = NULL;
        char *json = NULL;
        rc = skycrate_presigner_sign(&contract, presigner, req);
        if (rc == 0)
            rc = skycrate_presigned_to_json(&json, contract, 0);
        bool ok = rc == 0 && check_url(w, skycrate_presigned_url(contract));
        skycrate_free(json);
        skycrate_presigned_free(contract);
        if (!ok) {
            if (!w->failure[0])
                snprintf(w->failure, sizeof(w->failure), "thread %d: sign: %s", w->index,
                         skycrate_error_last()->message);
            return false;
        }
        w->contracts++;
    }
    if (round % 3 == 0) {
        skycrate_credentials *c = NULL;
        if (skycrate_credentials_provider_get(&c, cached) < 0) {
            snprintf(w->failure, sizeof(w->failure), "thread %d: get: %s", w->index,
                     skycrate_error_last()->message);
            return false;
        }
        skycrate_credentials_unref(c);
        w->gets++;
    }
    return true;
}

static void *hammer(void *arg)
{
    worker *w = arg;
    char key[64];
    snprintf(key, sizeof(key), "uploads/thread-%d/object", w->index);
    skycrate_presign_request *req = NULL;
    if (skycrate_presign_request_new(&req, w->index % 2 ? "PUT" : "GET", "skycrate-hammer", key) <
        0) {
        snprintf(w->failure, sizeof(w->failure), "request: %s", skycrate_error_last()->message);
        return NULL;
    }
    pthread_barrier_wait(&start);
    bool ok = true;
    for (int round = 0; round < ROUNDS && ok; round++) {
        pthread_rwlock_rdlock(&rounds);
        ok = round_of(w, round, req);
        pthread_rwlock_unlock(&rounds);
        tick();
    }
    skycrate_presign_request_free(req);
    return NULL;
}

START_TEST(eight_threads_share_a_presigner_and_a_refreshing_cache)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    atomic_store(&issued, 0);
    atomic_store(&now_ms, T0_MS);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    ck_assert_int_eq(pthread_rwlock_init(&rounds, &attr), 0);
    pthread_rwlockattr_destroy(&attr);
    skycrate__clock_override(still_clock, NULL);
    skycrate_credentials_provider *inner = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_delegate(&inner, issue, NULL));
    ck_assert_sky_ok(skycrate_credentials_provider_new_cached(&cached, inner, 0));
    skycrate_credentials_provider_unref(inner);
    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, cached));
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));

    worker w[THREADS];
    pthread_t t[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.index = i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(!w[i].failure[0], "%s", w[i].failure);
        ck_assert_int_eq(w[i].urls, ROUNDS);
        ck_assert_int_eq(w[i].contracts, ROUNDS / 4);
    }
    /* The cache refreshed many times (a minute is 60 rounds), and far fewer times than it was
     * asked. */
    int refreshes = atomic_load(&issued);
    ck_assert_int_gt(refreshes, THREADS * ROUNDS / 60 / 2);
    ck_assert_int_lt(refreshes, THREADS * ROUNDS / 4);

    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate_credentials_provider_unref(cached);
    skycrate__clock_override(NULL, NULL);
    pthread_rwlock_destroy(&rounds);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("hammer");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, eight_threads_share_a_presigner_and_a_refreshing_cache);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(threads_suite)
