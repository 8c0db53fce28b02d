/*
 * Unit tests of the cached provider (lib/creds/cached.c) and the public chain and default
 * constructors: keeping credentials, refreshing ahead of expiry on a controllable clock, never
 * serving expired ones, one refresh at a time with many threads asking, shared failures, and
 * the default chain's order.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/creds.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"

/* --- a controllable clock and a scripted inner provider ------------------------------------ */

static _Atomic int64_t clock_now = TESTHOME_NOW;

static int64_t test_clock(void *user_data)
{
    (void)user_data;
    return atomic_load(&clock_now) * 1000;
}

typedef struct {
    atomic_int calls;
    int64_t lifetime;      /* seconds from the clock; 0: no expiry */
    int fail;              /* 0, or the code to fail with */
    unsigned int delay_ms; /* how long each call takes */
    atomic_int in_flight, peak;
} inner_state;

static int inner_get(skycrate_credentials **out, void *user_data)
{
    inner_state *s = user_data;
    int n = atomic_fetch_add(&s->calls, 1) + 1;
    int now_in = atomic_fetch_add(&s->in_flight, 1) + 1;
    int peak = atomic_load(&s->peak);
    while (now_in > peak && !atomic_compare_exchange_weak(&s->peak, &peak, now_in)) {
    }
    if (s->delay_ms)
        skycrate__sleep_ms(s->delay_ms);
    atomic_fetch_sub(&s->in_flight, 1);
    if (s->fail)
        return skycrate__error_set(s->fail, "source failed on call %d", n);
    char akid[32];
    snprintf(akid, sizeof(akid), "AKID%d", n);
    int64_t exp = s->lifetime ? atomic_load(&clock_now) + s->lifetime : 0;
    return skycrate_credentials_new(out, akid, TEST_SECRET, TEST_TOKEN, exp);
}

static inner_state state;
static skycrate_credentials_provider *inner, *cached;

static void setup(void)
{
    testhome_setup();
    atomic_store(&clock_now, TESTHOME_NOW);
    skycrate__clock_override(test_clock, NULL);
    memset(&state, 0, sizeof(state));
    ck_assert_sky_ok(
        skycrate__credentials_provider_wrap(&inner, inner_get, NULL, &state, "source"));
    ck_assert_sky_ok(skycrate_credentials_provider_new_cached(&cached, inner, 300));
    skycrate_credentials_provider_unref(inner); /* the cache holds its own */
}

static void teardown(void)
{
    skycrate_credentials_provider_unref(cached);
    testhome_teardown();
}

/* Gets and returns the access key id number (AKID<n>), or the negative code. */
static int get_n(void)
{
    skycrate_credentials *c = NULL;
    int rc = skycrate_credentials_provider_get(&c, cached);
    if (rc < 0)
        return rc;
    int n = atoi(skycrate_credentials_access_key_id(c) + 4);
    skycrate_credentials_unref(c);
    return n;
}

START_TEST(static_credentials_are_kept_for_good)
{
    ck_assert_str_eq(skycrate_credentials_provider_name(cached), "cached");
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(get_n(), 1);
    atomic_store(&clock_now, TESTHOME_NOW + 10 * 365 * 86400);
    ck_assert_int_eq(get_n(), 1);
    ck_assert_int_eq(atomic_load(&state.calls), 1);
}
END_TEST

/* Credentials without expiry become the provider's fixed credentials, which signers borrow
 * without a reference; expiring ones never do. */
START_TEST(fixed_credentials_are_published_only_without_expiry)
{
    ck_assert_ptr_null(skycrate__credentials_provider_fixed(cached));
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, cached));
    ck_assert_ptr_eq(skycrate__credentials_provider_fixed(cached), c);
    skycrate_credentials_unref(c);
    /* Still the provider's own, after the caller's reference went. */
    ck_assert_str_eq(
        skycrate_credentials_access_key_id(skycrate__credentials_provider_fixed(cached)), "AKID1");
    ck_assert_ptr_null(skycrate__credentials_provider_fixed(inner)); /* a custom table: never */

    skycrate_credentials_provider *expiring = NULL;
    inner_state s2;
    memset(&s2, 0, sizeof(s2));
    s2.lifetime = 3600;
    skycrate_credentials_provider *source = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_wrap(&source, inner_get, NULL, &s2, "s2"));
    ck_assert_sky_ok(skycrate_credentials_provider_new_cached(&expiring, source, 300));
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, expiring));
    skycrate_credentials_unref(c);
    ck_assert_ptr_null(skycrate__credentials_provider_fixed(expiring));
    skycrate_credentials_provider_unref(expiring);
    skycrate_credentials_provider_unref(source);

    /* Static providers: fixed from the start, unless their credentials expire. */
    skycrate_credentials_provider *st = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&c, "AKIDS", TEST_SECRET, NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&st, c));
    ck_assert_ptr_eq(skycrate__credentials_provider_fixed(st), c);
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(st);
    ck_assert_sky_ok(skycrate_credentials_new(&c, "AKIDS", TEST_SECRET, NULL, TESTHOME_NOW + 60));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&st, c));
    ck_assert_ptr_null(skycrate__credentials_provider_fixed(st));
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(st);
}
END_TEST

START_TEST(refresh_happens_ahead_of_expiry)
{
    state.lifetime = 3600;
    ck_assert_int_eq(get_n(), 1);
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, cached));
    ck_assert_int_eq(skycrate_credentials_expiration(c), TESTHOME_NOW + 3600); /* exposed */
    skycrate_credentials_unref(c);
    atomic_store(&clock_now, TESTHOME_NOW + 3299);
    ck_assert_int_eq(get_n(), 1);
    ck_assert_int_eq(atomic_load(&state.calls), 1);
    atomic_store(&clock_now, TESTHOME_NOW + 3300); /* 300 s before expiry */
    ck_assert_int_eq(get_n(), 2);
    ck_assert_int_eq(get_n(), 2);
    ck_assert_int_eq(atomic_load(&state.calls), 2);
    /* The new ones run from their own fetch time. */
    atomic_store(&clock_now, TESTHOME_NOW + 3300 + 3299);
    ck_assert_int_eq(get_n(), 2);
    atomic_store(&clock_now, TESTHOME_NOW + 3300 + 3300);
    ck_assert_int_eq(get_n(), 3);
}
END_TEST

START_TEST(short_lived_credentials_refresh_at_half_life)
{
    state.lifetime = 120; /* shorter than twice the 300 s margin */
    ck_assert_int_eq(get_n(), 1);
    atomic_store(&clock_now, TESTHOME_NOW + 59);
    ck_assert_int_eq(get_n(), 1);
    atomic_store(&clock_now, TESTHOME_NOW + 60);
    ck_assert_int_eq(get_n(), 2);
    ck_assert_int_eq(atomic_load(&state.calls), 2);
}
END_TEST

START_TEST(failed_refresh_keeps_valid_credentials_never_expired_ones)
{
    state.lifetime = 3600;
    ck_assert_int_eq(get_n(), 1);
    state.fail = SKYCRATE_ECONNECT;
    atomic_store(&clock_now, TESTHOME_NOW + 3500);
    ck_assert_int_eq(get_n(), 1); /* still valid for 100 s: served */
    ck_assert_int_eq(atomic_load(&state.calls), 2);
    atomic_store(&clock_now, TESTHOME_NOW + 3600); /* expired now */
    ck_assert_int_eq(get_n(), SKYCRATE_ECONNECT);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'source': source failed on call 3");
    testhome_assert_no_secret();
    state.fail = 0;
    ck_assert_int_eq(get_n(), 4);
}
END_TEST

START_TEST(failures_are_not_cached)
{
    state.fail = SKYCRATE_ENOTFOUND;
    ck_assert_int_eq(get_n(), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(get_n(), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(atomic_load(&state.calls), 2);
    state.fail = 0;
    ck_assert_int_eq(get_n(), 3);
}
END_TEST

/* --- many threads ---------------------------------------------------------------------------- */

#define THREADS 24

typedef struct {
    pthread_barrier_t *start;
    int result;
    char message[256];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    w->result = get_n();
    snprintf(w->message, sizeof(w->message), "%s", skycrate_error_last()->message);
    return NULL;
}

static void run_threads(worker *w)
{
    pthread_t t[THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        w[i].start = &start;
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
}

START_TEST(threads_without_credentials_wait_for_one_refresh)
{
    state.lifetime = 3600;
    state.delay_ms = 200;
    worker w[THREADS];
    memset(w, 0, sizeof(w));
    run_threads(w);
    ck_assert_int_eq(atomic_load(&state.calls), 1);
    ck_assert_int_eq(atomic_load(&state.peak), 1);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(w[i].result, 1);
}
END_TEST

START_TEST(threads_during_a_refresh_get_the_valid_credentials)
{
    state.lifetime = 3600;
    ck_assert_int_eq(get_n(), 1);
    atomic_store(&clock_now, TESTHOME_NOW + 3400); /* in the refresh window, still valid */
    state.delay_ms = 1000; /* long enough for every thread to arrive meanwhile */
    worker w[THREADS];
    memset(w, 0, sizeof(w));
    run_threads(w);
    ck_assert_int_eq(atomic_load(&state.calls), 2); /* exactly one refresh */
    int fresh = 0;
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(w[i].result == 1 || w[i].result == 2, "thread %d: %d", i, w[i].result);
        fresh += w[i].result == 2;
    }
    ck_assert_int_eq(fresh, 1); /* the refresher; the others did not wait for it */
    ck_assert_int_eq(get_n(), 2);
}
END_TEST

START_TEST(threads_share_a_failed_refresh)
{
    state.fail = SKYCRATE_EAUTH;
    state.delay_ms = 200;
    worker w[THREADS];
    memset(w, 0, sizeof(w));
    run_threads(w);
    /* One thread refreshed; the ones that waited for it got its answer (a few may have arrived
     * after it finished and tried once more: never all of them). */
    int calls = atomic_load(&state.calls);
    ck_assert_int_lt(calls, THREADS / 2);
    ck_assert_int_eq(atomic_load(&state.peak), 1);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(w[i].result, SKYCRATE_EAUTH);
        ck_assert_msg(strstr(w[i].message, "credentials provider 'source': source failed on call"),
                      "%s", w[i].message);
    }
}
END_TEST

START_TEST(cached_checks_arguments_and_reports_enomem)
{
    skycrate_credentials_provider *p = (skycrate_credentials_provider *)&p;
    ck_assert_int_eq(skycrate_credentials_provider_new_cached(&p, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_ptr_null(p);
    for (long n = 1;; n++) {
        testalloc_fail_at(n);
        int rc = skycrate_credentials_provider_new_cached(&p, cached, 0);
        testalloc_fail_at(0);
        if (rc == 0)
            break;
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_ptr_null(p);
    }
    /* A cache of a cache works, and 0 means the default margin. */
    state.lifetime = 3600;
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);
}
END_TEST

/* --- the public chain and the default provider --------------------------------------------- */

static int nothing_get(skycrate_credentials **out, void *user_data)
{
    (void)out;
    return skycrate__error_set(SKYCRATE_ENOTFOUND, "%s has nothing", (const char *)user_data);
}

START_TEST(public_chain_moves_on_only_past_enotfound)
{
    skycrate_credentials_provider *a = NULL, *chain = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_delegate(&a, nothing_get, "a"));
    skycrate_credentials_provider *links[2] = {a, cached};
    ck_assert_sky_ok(skycrate_credentials_provider_new_chain(&chain, links, 2));
    skycrate_credentials_provider_unref(a);
    ck_assert_str_eq(skycrate_credentials_provider_name(chain), "chain");
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, chain));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKID1");
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(chain);

    ck_assert_sky_ok(skycrate_credentials_provider_new_chain(&chain, NULL, 0));
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, chain), SKYCRATE_ENOTFOUND);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'chain': no credentials found ()");
    skycrate_credentials_provider_unref(chain);
    skycrate_credentials_provider *bad[2] = {cached, NULL};
    ck_assert_int_eq(skycrate_credentials_provider_new_chain(&chain, bad, 2), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_provider_new_chain(&chain, NULL, 1), SKYCRATE_EINVAL);
}
END_TEST

START_TEST(default_chain_order_and_explicit_profile)
{
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* no network in unit tests */
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, NULL));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "default");
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("credentials provider 'default': no credentials found (environment: "
                          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; profile: no "
                          "profile 'default' in ");
    ck_assert_message_has("; web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set; container: "
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set; instance metadata: "
                          "instance metadata is disabled by AWS_EC2_METADATA_DISABLED)");
    /* Environment first, and cached: later changes are not seen. */
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET, 1);
    testhome_write_credentials("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key "
                               "= " TEST_SECRET "\n[named]\naws_access_key_id = AKIDNAMED\n"
                               "aws_secret_access_key = " TEST_SECRET "\n");
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDENV");
    skycrate_credentials_unref(c);
    unsetenv("AWS_ACCESS_KEY_ID");
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDENV");
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);
    /* A new one sees the profile; a profile named in code passes over the environment. */
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, NULL));
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDFILE");
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, "named"));
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDNAMED");
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);
    /* Web identity comes after the profile: a configured but broken one stops the chain. */
    unsetenv("AWS_ACCESS_KEY_ID");
    testhome_write_credentials("");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", testhome_path("no-such-token"), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", 1);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/", 1);
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, NULL));
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EIO);
    ck_assert_message_has("credentials provider 'web identity': AWS_WEB_IDENTITY_TOKEN_FILE: ");
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EINVAL);
    ck_assert_message_has("credentials provider 'container': AWS_CONTAINER_CREDENTIALS_FULL_URI "
                          "uses plain http to example.com");
    skycrate_credentials_provider_unref(p);
    testhome_assert_no_secret();
}
END_TEST

START_TEST(default_reports_enomem_and_leaks_nothing)
{
    long baseline = testalloc_outstanding(); /* the fixture's providers */
    for (long n = 1;; n++) {
        skycrate_credentials_provider *p = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_credentials_provider_new_default(&p, "x");
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate_credentials_provider_unref(p);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_ptr_null(p);
        ck_assert_int_eq(testalloc_outstanding(), baseline);
    }
}
END_TEST

static Suite *cached_suite(void)
{
    Suite *s = suite_create("cached");
    TCase *tc = tcase_create("refresh");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, static_credentials_are_kept_for_good);
    tcase_add_test(tc, fixed_credentials_are_published_only_without_expiry);
    tcase_add_test(tc, refresh_happens_ahead_of_expiry);
    tcase_add_test(tc, short_lived_credentials_refresh_at_half_life);
    tcase_add_test(tc, failed_refresh_keeps_valid_credentials_never_expired_ones);
    tcase_add_test(tc, failures_are_not_cached);
    tcase_add_test(tc, cached_checks_arguments_and_reports_enomem);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, threads_without_credentials_wait_for_one_refresh);
    tcase_add_test(tc, threads_during_a_refresh_get_the_valid_credentials);
    tcase_add_test(tc, threads_share_a_failed_refresh);
    suite_add_tcase(s, tc);
    tc = tcase_create("chain and default");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, public_chain_moves_on_only_past_enotfound);
    tcase_add_test(tc, default_chain_order_and_explicit_profile);
    tcase_add_test(tc, default_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(cached_suite)
