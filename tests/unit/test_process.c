/*
 * Unit tests of lib/creds/process.c: credential_process run with /bin/sh -c, its answer, its
 * failures and its timeout, alone and through the profile provider.
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/profile.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"

static int profile_get(skycrate_credentials **out, const char *profile, uint32_t timeout_ms)
{
    skycrate_credentials_provider *p = NULL;
    ck_assert_int_eq(skycrate__credentials_provider_new_profile(&p, profile, timeout_ms), 0);
    int rc = skycrate_credentials_provider_get(out, p);
    skycrate_credentials_provider_unref(p);
    return rc;
}

/* --- credential_process ------------------------------------------------------------------- */

#define GOOD_JSON                                                                                  \
    "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"" TEST_SECRET "\", "   \
    "\"SessionToken\": \"" TEST_TOKEN "\", \"Expiration\": \"2030-01-01T00:00:00Z\"}"

/* A command that prints a file of the temporary HOME. */
static const char *cat_command(const char *rel, const char *content)
{
    testhome_write(rel, content);
    static char cmd[600];
    snprintf(cmd, sizeof(cmd), "cat '%s'", testhome_path(rel));
    return cmd;
}

START_TEST(process_success)
{
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(
        skycrate__credential_process_run(&c, cat_command("out.json", GOOD_JSON), 0, "dev"));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDPROC");
    ck_assert_str_eq(skycrate_credentials_secret_access_key(c), TEST_SECRET);
    ck_assert_str_eq(skycrate_credentials_session_token(c), TEST_TOKEN);
    ck_assert_int_eq(skycrate_credentials_expiration(c), 1893456000);
    skycrate_credentials_unref(c);

    /* Through the provider, with the shell doing the user's own quoting and pipes. */
    testhome_write("min.json",
                   "{\"Version\":1,\"AccessKeyId\":\"AKIDMIN\",\"SecretAccessKey\":\"s\","
                   "\"SessionToken\":null}");
    char config[800];
    snprintf(config, sizeof(config),
             "[profile proc]\ncredential_process = cat '%s' | tr -d '\\n' ; exit 0\n",
             testhome_path("min.json"));
    testhome_write_config(config);
    ck_assert_sky_ok(profile_get(&c, "proc", 0));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDMIN");
    ck_assert_ptr_null(skycrate_credentials_session_token(c));
    ck_assert_int_eq(skycrate_credentials_expiration(c), 0);
    skycrate_credentials_unref(c);
}
END_TEST

START_TEST(process_failures_name_the_profile)
{
    skycrate_credentials *c = NULL;
    testhome_write("out.json", GOOD_JSON);
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "cat '%s'; exit 3", testhome_path("out.json"));
    ck_assert_int_eq(skycrate__credential_process_run(&c, cmd, 0, "dev"), SKYCRATE_EAUTH);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credential_process of profile 'dev' exited with status 3");
    testhome_assert_no_secret();
    ck_assert_int_eq(skycrate__credential_process_run(&c, "kill -TERM $$", 0, "dev"),
                     SKYCRATE_EAUTH);
    ck_assert_message_has("killed by signal 15");
    ck_assert_int_eq(
        skycrate__credential_process_run(&c, "/nonexistent/tool 2>/dev/null", 0, "dev"),
        SKYCRATE_EAUTH);
    ck_assert_message_has("exited with status 127");
    ck_assert_int_eq(skycrate__credential_process_run(&c, "true", 0, "dev"), SKYCRATE_EPARSE);
    ck_assert_message_has("printed no valid JSON");
    ck_assert_int_eq(
        skycrate__credential_process_run(&c, "head -c 70000 /dev/zero | tr '\\0' 'a'", 0, "dev"),
        SKYCRATE_EIO);
    ck_assert_message_has("printed more than 65536 bytes");
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(process_timeout_kills_the_group)
{
    skycrate_credentials *c = NULL;
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > '%s'; wait", testhome_path("pid"));
    int64_t start = skycrate__monotonic_ms();
    ck_assert_int_eq(skycrate__credential_process_run(&c, cmd, 300, "slow"), SKYCRATE_ETIMEOUT);
    int64_t took = skycrate__monotonic_ms() - start;
    ck_assert_int_lt(took, 5000);
    ck_assert_int_ge(took, 290);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credential_process of profile 'slow' did not finish within 300 ms and was "
                     "killed");
    FILE *f = fopen(testhome_path("pid"), "r");
    ck_assert_ptr_nonnull(f);
    long pid = 0;
    ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    /* The background sleep went with the shell: gone, or a zombie waiting for init. */
    bool dead = false;
    for (int i = 0; i < 200 && !dead; i++) {
        char stat_path[64], state = '?';
        snprintf(stat_path, sizeof(stat_path), "/proc/%ld/stat", pid);
        FILE *s = fopen(stat_path, "r");
        if (!s) {
            dead = true;
            break;
        }
        if (fscanf(s, "%*d %*s %c", &state) == 1 && (state == 'Z' || state == 'X'))
            dead = true;
        fclose(s);
        if (!dead)
            skycrate__sleep_ms(10);
    }
    ck_assert_msg(dead, "the background process %ld survived the timeout", pid);

    /* The output ended but the command lingers: the deadline still holds. */
    ck_assert_int_eq(skycrate__credential_process_run(&c, "exec >&-; sleep 30", 200, "slow"),
                     SKYCRATE_ETIMEOUT);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(process_timeout_through_the_provider)
{
    testhome_write_config("[default]\ncredential_process = sleep 30\n");
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(profile_get(&c, NULL, 200), SKYCRATE_ETIMEOUT);
    ck_assert_message_has("credentials provider 'profile': credential_process of profile "
                          "'default' did not finish within 200 ms");
}
END_TEST

static const struct {
    const char *json;
    const char *what;
} bad_process_json[] = {
    {"", "printed no valid JSON (line"},
    {"SECRETX is not json", "printed no valid JSON"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\"",
     "printed no valid JSON"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\", "
     "\"SecretAccessKey\": \"SECRETX\"}",
     "printed no valid JSON"},
    {"[\"SECRETX\"]", "not a JSON object"},
    {"{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\"}", "no Version"},
    {"{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\"}",
     "Version 2 is not supported"},
    {"{\"Version\": \"1\", \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\"}",
     "Version is not the number 1"},
    {"{\"Version\": 1.0, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\"}",
     "Version is not the number 1"},
    {"{\"Version\": 1, \"SecretAccessKey\": \"SECRETX\"}", "printed no AccessKeyId"},
    {"{\"Version\": 1, \"AccessKeyId\": \"\", \"SecretAccessKey\": \"SECRETX\"}",
     "AccessKeyId is not a non-empty string"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\"}", "printed no SecretAccessKey"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": 5}",
     "SecretAccessKey is not a non-empty string"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\", "
     "\"SessionToken\": 5}",
     "SessionToken is not a string"},
    {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETX\", "
     "\"Expiration\": \"SECRETX soon\"}",
     "Expiration is not an ISO 8601 time"},
};

START_TEST(process_rejects_bad_answers)
{
    skycrate_credentials *c = (skycrate_credentials *)&c;
    const char *json = bad_process_json[_i].json;
    ck_assert_int_eq(skycrate__credential_process_parse(&c, json, strlen(json), "dev"),
                     SKYCRATE_EPARSE);
    ck_assert_ptr_null(c);
    ck_assert_message_has("credential_process of profile 'dev'");
    ck_assert_message_has(bad_process_json[_i].what);
    testhome_assert_no_secret();
    /* The same answer from a real process. */
    ck_assert_int_eq(skycrate__credential_process_run(&c, cat_command("bad.json", json), 0, "dev"),
                     SKYCRATE_EPARSE);
    ck_assert_message_has(bad_process_json[_i].what);
    testhome_assert_no_secret();
}
END_TEST

START_TEST(process_expired_credentials_are_refused)
{
    skycrate__clock_override(testhome_frozen_clock, NULL);
    testhome_write("old.json",
                   "{\"Version\": 1, \"AccessKeyId\": \"AKIDOLD\", \"SecretAccessKey\": "
                   "\"" TEST_SECRET "\", \"Expiration\": \"2025-12-31T23:00:00Z\"}");
    char config[800];
    snprintf(config, sizeof(config), "[default]\ncredential_process = cat '%s'\n",
             testhome_path("old.json"));
    testhome_write_config(config);
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(profile_get(&c, NULL, 0), SKYCRATE_EEXPIRED);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'profile': the credentials expired at "
                     "2025-12-31T23:00:00Z");
    testhome_assert_no_secret();
}
END_TEST

START_TEST(process_reports_enomem_and_leaks_nothing)
{
    const char *cmd = cat_command("out.json", GOOD_JSON);
    for (long n = 1;; n++) {
        skycrate_credentials *c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate__credential_process_run(&c, cmd, 0, "dev");
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate_credentials_unref(c);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
}
END_TEST

static Suite *process_suite(void)
{
    Suite *s = suite_create("process");
    TCase *tc;
    tc = tcase_create("credential_process");
    tcase_add_checked_fixture(tc, testhome_setup, testhome_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, process_success);
    tcase_add_test(tc, process_failures_name_the_profile);
    tcase_add_test(tc, process_timeout_kills_the_group);
    tcase_add_test(tc, process_timeout_through_the_provider);
    tcase_add_loop_test(tc, process_rejects_bad_answers, 0,
                        (int)SKYCRATE_ARRAY_SIZE(bad_process_json));
    tcase_add_test(tc, process_expired_credentials_are_refused);
    tcase_add_test(tc, process_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(process_suite)
