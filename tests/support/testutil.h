/*
 * Shared helpers for the Check test programs.
 */
#ifndef SKYCRATE_TESTUTIL_H
#define SKYCRATE_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

/* Runs one suite; prints Check's "N%: Checks: X, Failures: Y, Errors: Z" line. */
#define SKYCRATE_TEST_MAIN(make_suite)                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(make_suite());                                                \
        srunner_run_all(sr, CK_ENV);                                                               \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

/* How much slower than natively the tests run: SKYCRATE_TEST_SLOW (the valgrind setup sets 10),
 * else 1. Tests that wait for a loopback server multiply their timeouts by it. */
#define TEST_SLOW_FACTOR()                                                                         \
    (getenv("SKYCRATE_TEST_SLOW") ? (unsigned int)strtoul(getenv("SKYCRATE_TEST_SLOW"), NULL, 10)  \
                                  : 1u)

/* Fails the test with the library's last error message. */
#define ck_assert_sky_ok(expr)                                                                     \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        ck_assert_msg(rc_ == 0, "%s returned %d: %s", #expr, rc_, skycrate_error_last()->message); \
    } while (0)

#endif
