/*
 * A temporary HOME for tests of the AWS shared files: each test gets a fresh directory with an
 * empty .aws/ in it, no AWS_* environment variables, and the counting allocator installed.
 * Works in fork mode and with CK_FORK=no (valgrind), where tests share one process.
 */
#ifndef SKYCRATE_TEST_HOME_H
#define SKYCRATE_TEST_HOME_H

#include <stdint.h>
#include <string.h>

#include <check.h>

#include "skycrate.h"

/* Secrets the tests plant; no error message may contain them (nor "SECRETX"). */
#define TEST_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
#define TEST_TOKEN "FwoGZXIvYXdzEXAMPLESESSIONTOKENSECRET"

/* Unsets every AWS_* variable. */
void testhome_clear_aws_env(void);
/* Checked fixture: clears AWS_*, makes HOME, installs the counting allocator. */
void testhome_setup(void);
/* Checked fixture: undoes the clock override, asserts no leak, removes HOME. */
void testhome_teardown(void);
/* HOME/rel, in a static buffer (valid until the next call). */
const char *testhome_path(const char *rel);
/* Writes HOME/rel. */
void testhome_write(const char *rel, const char *content);
void testhome_write_config(const char *content);
void testhome_write_credentials(const char *content);

/* A frozen wall clock for skycrate__clock_override(): 2026-01-01T00:00:00Z. */
#define TESTHOME_NOW 1767225600
int64_t testhome_frozen_clock(void *user_data);

/* Asserts that the last error message holds none of the planted secrets. */
void testhome_assert_no_secret(void);

#define ck_assert_message_has(s)                                                                   \
    ck_assert_msg(strstr(skycrate_error_last()->message, (s)) != NULL, "message '%s' lacks '%s'",  \
                  skycrate_error_last()->message, (s))

#endif
