/*
 * Tests of the example program skycrate-presign (its interface is fixed): every botocore golden
 * URL that its options can express, made through the command line; --json, --explain, the
 * GNU option forms, and its errors. No network: presigning is pure computation.
 * The program's path comes from SKYCRATE_PRESIGN_CLI (set by tests/meson.build).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "presigncases.h"
#include "testhome.h"
#include "testutil.h"
#include "testvectors.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static case_list url_cases;
/* url_cases less the listed skips: the cases cli_matches_botocore runs. */
static case_list run_cases;

/* The golden cases the command line cannot express, each with why; test_presign.c makes them
 * through the library. Every other case runs; a case the command line cannot express that is
 * not listed here fails, and so does a listed case that it can express. */
static const struct {
    const char *name;
    const char *reason;
} cli_skips[] = {
    {"region-eu-west-1-dualstack", "dual-stack endpoints have no option"},
    {"region-us-east-1-dualstack", "dual-stack endpoints have no option"},
    {"region-us-east-1-fips-dualstack", "FIPS and dual-stack endpoints have no option"},
    {"region-us-gov-west-1-fips", "FIPS endpoints have no option"},
};
#define N_CLI_SKIPS (sizeof(cli_skips) / sizeof(cli_skips[0]))

/* Why `name` is skipped, or NULL when it runs. */
static const char *skip_reason(const char *name)
{
    for (size_t i = 0; i < N_CLI_SKIPS; i++)
        if (strcmp(cli_skips[i].name, name) == 0)
            return cli_skips[i].reason;
    return NULL;
}

/* The case's endpoint variant (dual-stack, FIPS) has no command-line option. */
static bool cli_can_express(const json_t *ctx)
{
    const json_t *cfg = json_object_get(ctx, "config");
    return !json_is_true(json_object_get(cfg, "dualstack")) &&
           !json_is_true(json_object_get(cfg, "fips"));
}

typedef struct {
    int status;
    char out[65536];
    char err[65536];
} run_result;

static void read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t got;
    while (n + 1 < cap && (got = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    close(fd);
}

/* Runs the program with `args` (NULL-terminated, without argv[0]); stderr goes to a file so
 * that neither pipe can fill up while the other is read. */
static void run_cli(run_result *r, const char *const *args)
{
    const char *cli = getenv("SKYCRATE_PRESIGN_CLI");
    ck_assert_msg(cli != NULL, "SKYCRATE_PRESIGN_CLI is not set");
    const char *argv[80];
    size_t n = 0;
    argv[n++] = cli;
    for (; args[n - 1] && n < 79; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    char errpath[] = "/tmp/skycrate-cli-err-XXXXXX";
    int errfd = mkstemp(errpath);
    ck_assert_int_ge(errfd, 0);
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errfd, 2);
        close(out[0]);
        execv(cli, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    read_all(out[0], r->out, sizeof(r->out));
    int wstatus = 0;
    ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
    r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    lseek(errfd, 0, SEEK_SET);
    read_all(errfd, r->err, sizeof(r->err));
    unlink(errpath);
}

static void setup(void)
{
    testhome_setup();
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
}

static void teardown(void)
{
    testhome_teardown();
}

/* A single line: the URL and its newline. */
static void assert_one_line(const char *out)
{
    size_t n = strlen(out);
    ck_assert_uint_gt(n, 1);
    ck_assert_int_eq(out[n - 1], '\n');
    ck_assert_ptr_eq(strchr(out, '\n'), out + n - 1);
}

/* ---- botocore's URLs through the command line ----------------------------------------------- */

START_TEST(cli_matches_botocore)
{
    char dir[1024];
    json_t *ctx = load_context("presign-golden", run_cases.names[_i], dir, sizeof(dir));
    const json_t *cfg = json_object_get(ctx, "config");
    const json_t *req = json_object_get(ctx, "request");
    const json_t *creds = json_object_get(ctx, "credentials");
    ck_assert_msg(cli_can_express(ctx),
                  "%s: the command line cannot express it and cli_skips does not list it",
                  run_cases.names[_i]);
    setenv("AWS_SECRET_ACCESS_KEY", jstr(creds, "secret_access_key"), 1);
    if (jstr(creds, "session_token"))
        setenv("AWS_SESSION_TOKEN", jstr(creds, "session_token"), 1);

    char owned[80][1200];
    const char *args[80];
    size_t n = 0;
#define ARG(...) (snprintf(owned[n], sizeof(owned[n]), __VA_ARGS__), args[n] = owned[n], n++)
    ARG("--region=%s", jstr(cfg, "region"));
    if (jstr(cfg, "endpoint")) {
        ARG("--endpoint");
        ARG("%s", jstr(cfg, "endpoint"));
        if (!strncmp(jstr(cfg, "endpoint"), "http:", 5))
            ARG("--allow-http"); /* plain http elsewhere than loopback: the caller's choice */
    }
    ARG("--addressing");
    ARG("%s", jstr(cfg, "addressing"));
    ARG("--expires=%lld", (long long)json_integer_value(json_object_get(req, "expires")));
    time_t t = (time_t)json_integer_value(json_object_get(req, "time"));
    struct tm tm;
    gmtime_r(&t, &tm);
    ARG("--date");
    strftime(owned[n], sizeof(owned[n]), "%Y%m%dT%H%M%SZ", &tm);
    args[n] = owned[n];
    n++;
    size_t i;
    json_t *pair;
    json_array_foreach(json_object_get(req, "headers"), i, pair)
    {
        ARG("--header");
        ARG("%s: %s", json_string_value(json_array_get(pair, 0)),
            json_string_value(json_array_get(pair, 1)));
    }
    json_array_foreach(json_object_get(req, "query"), i, pair)
    {
        ARG("--query=%s=%s", json_string_value(json_array_get(pair, 0)),
            json_string_value(json_array_get(pair, 1)));
    }
    if (jstr(req, "upload_id")) {
        ARG("--query");
        ARG("partNumber=%lld", (long long)json_integer_value(json_object_get(req, "part_number")));
        ARG("--query");
        ARG("uploadId=%s", jstr(req, "upload_id"));
    }
    ARG("--");
    ARG("%s", jstr(req, "method"));
    ARG("%s", jstr(req, "bucket"));
    ARG("%s", jstr(req, "key"));
    args[n] = NULL;
#undef ARG

    run_result *r = malloc(sizeof(*r));
    run_cli(r, args);
    ck_assert_msg(r->status == 0, "%s: exit %d: %s", run_cases.names[_i], r->status, r->err);
    ck_assert_str_eq(r->err, "");
    assert_one_line(r->out);
    r->out[strlen(r->out) - 1] = '\0';
    assert_same_url(r->out, jstr(ctx, "url"));
    free(r);
    json_decref(ctx);
}
END_TEST

/* Every skip is listed with its reason, every listed skip is a golden case the command line
 * cannot express, and the count is reported. */
START_TEST(golden_skips_are_listed)
{
    size_t skipped = 0;
    for (int i = 0; i < url_cases.count; i++) {
        char dir[1024];
        json_t *ctx = load_context("presign-golden", url_cases.names[i], dir, sizeof(dir));
        const char *reason = skip_reason(url_cases.names[i]);
        if (reason) {
            ck_assert_msg(!cli_can_express(ctx),
                          "%s is listed as skipped (%s) but the command line can express it",
                          url_cases.names[i], reason);
            printf("presign_cli: skipped %s: %s\n", url_cases.names[i], reason);
            skipped++;
        }
        json_decref(ctx);
    }
    ck_assert_msg(skipped == N_CLI_SKIPS, "cli_skips lists %zu cases, %zu of them are golden cases",
                  N_CLI_SKIPS, skipped);
    printf("presign_cli: %d golden cases, %zu through the command line, %zu skipped\n",
           url_cases.count, (size_t)url_cases.count - skipped, skipped);
    fflush(stdout);
}
END_TEST

/* ---- options -------------------------------------------------------------------------------- */

START_TEST(json_and_explain)
{
    const char *args[] = {"--json",
                          "--explain",
                          "--region",
                          "eu-west-1",
                          "--date=20241122T182640Z",
                          "--header=Content-Type: application/pdf",
                          "--expires",
                          "600",
                          "PUT",
                          "skycrate-user42-1732300000",
                          "uploads/user42/report 2024.pdf",
                          NULL};
    run_result *r = malloc(sizeof(*r));
    run_cli(r, args);
    ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
    assert_one_line(r->out);
    json_error_t jerr;
    json_t *doc = json_loads(r->out, 0, &jerr);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(jstr(doc, "method"), "PUT");
    ck_assert_str_eq(jstr(doc, "key"), "uploads/user42/report 2024.pdf");
    ck_assert_str_eq(jstr(json_object_get(doc, "headers"), "content-type"), "application/pdf");
    ck_assert_str_eq(jstr(doc, "expiresAt"), "2024-11-22T18:36:40Z");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "expiresIn")), 600);
    ck_assert_ptr_nonnull(strstr(jstr(doc, "url"),
                                 "https://skycrate-user42-1732300000.s3.eu-west-1"
                                 ".amazonaws.com/uploads/user42/report%202024.pdf?"));
    json_decref(doc);
    ck_assert_ptr_nonnull(strstr(r->err, "PUT\n/uploads/user42/report%202024.pdf\n"));
    ck_assert_ptr_nonnull(strstr(r->err, "\ncontent-type:application/pdf\nhost:"));
    ck_assert_ptr_nonnull(strstr(r->err, "AWS4-HMAC-SHA256\n20241122T182640Z\n20241122/eu-west-1/"
                                         "s3/aws4_request\n"));
    ck_assert_ptr_null(strstr(r->err, SECRET));
    ck_assert_ptr_null(strstr(r->out, SECRET));
    free(r);
}
END_TEST

START_TEST(environment_supplies_credentials_and_region)
{
    setenv("AWS_REGION", "ap-southeast-2", 1);
    setenv("AWS_SESSION_TOKEN", "tok/en", 1);
    const char *args[] = {"GET", "my-bucket", "-dash-key", NULL};
    run_result *r = malloc(sizeof(*r));
    run_cli(r, args);
    /* Without "--" a key starting with '-' is an option. */
    ck_assert_int_eq(r->status, 2);
    ck_assert_str_eq(r->out, "");
    const char *args2[] = {"--", "GET", "my-bucket", "-dash-key", NULL};
    run_cli(r, args2);
    ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
    assert_one_line(r->out);
    ck_assert_ptr_nonnull(
        strstr(r->out, "https://my-bucket.s3.ap-southeast-2.amazonaws.com/-dash-key?"));
    ck_assert_ptr_nonnull(strstr(r->out, "&X-Amz-Security-Token=tok%2Fen&"));
    ck_assert_ptr_nonnull(strstr(r->out, "%2Fap-southeast-2%2Fs3%2Faws4_request&"));
    /* Options after the operands (GNU permutation). */
    const char *args3[] = {"HEAD", "my-bucket", "k", "--expires=1", "--region=eu-west-1", NULL};
    run_cli(r, args3);
    ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
    ck_assert_ptr_nonnull(strstr(r->out, "&X-Amz-Expires=1&"));
    ck_assert_ptr_nonnull(strstr(r->out, "%2Feu-west-1%2F"));
    /* An empty query value. */
    const char *args4[] = {"--query", "versionId=", "--query=response-content-type=text/plain",
                           "GET",     "my-bucket",  "k",
                           NULL};
    run_cli(r, args4);
    ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
    ck_assert_ptr_nonnull(strstr(r->out, "&response-content-type=text%2Fplain&versionId=&"));
    free(r);
}
END_TEST

START_TEST(errors_exit_non_zero)
{
    const char *bad[][12] = {
        {NULL},
        {"GET", NULL},
        {"GET", "b-u-c", "k", "extra", NULL},
        {"--expires", "0", "GET", "b-u-c", "k", NULL},
        {"--expires=604801", "GET", "b-u-c", "k", NULL},
        {"--expires", "ten", "GET", "b-u-c", "k", NULL},
        {"--addressing", "dns", "GET", "b-u-c", "k", NULL},
        {"--date", "2024-11-22T18:26:40Z", "GET", "b-u-c", "k", NULL},
        {"--date=20240230T000000Z", "GET", "b-u-c", "k", NULL},
        {"--header", "no colon", "GET", "b-u-c", "k", NULL},
        {"--query", "=v", "GET", "b-u-c", "k", NULL},
        {"--bogus", "GET", "b-u-c", "k", NULL},
        {"--max-size", "-1", "POST", "b-u-c", "k", NULL},
        {"GET", "b-u-c", "k", "--region", NULL},
    };
    run_result *r = malloc(sizeof(*r));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_cli(r, bad[i]);
        ck_assert_msg(r->status == 2, "case %zu: exit %d", i, r->status);
        ck_assert_str_eq(r->out, "");
        ck_assert_ptr_nonnull(strstr(r->err, "usage: skycrate-presign"));
    }
    /* Failures of the library: exit 1 with the reason. */
    const char *fails[][10] = {
        {"POST", "b", "k", NULL},
        {"GET", "b", "k", NULL},
        {"--header", "Host: evil", "GET", "b-u-c", "k", NULL},
        {"--query", "X-Amz-Signature=x", "GET", "b-u-c", "k", NULL},
        {"--endpoint", "ftp://x", "GET", "b-u-c", "k", NULL},
        {"--region", "Bad Region", "GET", "b-u-c", "k", NULL},
        {"POST", "b-u-c", NULL}, /* a form needs a key */
    };
    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        run_cli(r, fails[i]);
        ck_assert_msg(r->status == 1, "case %zu: exit %d", i, r->status);
        ck_assert_str_eq(r->out, "");
        ck_assert_ptr_nonnull(strstr(r->err, "skycrate-presign: "));
        ck_assert_ptr_null(strstr(r->err, "usage:"));
    }
    /* No credentials anywhere. */
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    const char *args[] = {"GET", "b-u-c", "k", NULL};
    run_cli(r, args);
    ck_assert_int_eq(r->status, 1);
    ck_assert_str_eq(r->out, "");
    ck_assert_ptr_nonnull(strstr(r->err, "credentials"));
    free(r);
}
END_TEST

START_TEST(help_exits_zero)
{
    run_result *r = malloc(sizeof(*r));
    const char *args[] = {"--help", NULL};
    run_cli(r, args);
    ck_assert_int_eq(r->status, 0);
    ck_assert_str_eq(r->err, "");
    ck_assert_ptr_nonnull(strstr(r->out, "usage: skycrate-presign [options] METHOD BUCKET [KEY]"));
    ck_assert_ptr_nonnull(strstr(r->out, "--max-size BYTES"));
    free(r);
}
END_TEST

/* POST prints the form the library signs (its bytes are golden-tested against botocore). */
START_TEST(post_prints_the_form)
{
    run_result *r = malloc(sizeof(*r));
    const char *args[] = {"--region",     "eu-west-1",
                          "--date",       "20241122T182640Z",
                          "--max-size",   "1048576",
                          "--header",     "Content-Type: image/png",
                          "--header",     "x-amz-meta-user: u42",
                          "POST",         "b-u-c",
                          "uploads/u42/", NULL};
    run_cli(r, args);
    ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
    ck_assert_int_ge(skycrate_global_init(NULL), 1);
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_presigner *p = NULL;
    skycrate_post_policy *policy = NULL;
    skycrate_post_form *form = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    ck_assert_sky_ok(skycrate_post_policy_new(&policy, "b-u-c"));
    ck_assert_sky_ok(skycrate_post_policy_set_key_prefix(policy, "uploads/u42/"));
    ck_assert_sky_ok(skycrate_post_policy_set_time(policy, 1732300000));
    ck_assert_sky_ok(skycrate_post_policy_set_content_length_range(policy, 0, 1048576));
    ck_assert_sky_ok(skycrate_post_policy_set_content_type(policy, "image/png"));
    ck_assert_sky_ok(skycrate_post_policy_add_field(policy, "x-amz-meta-user", "u42"));
    ck_assert_sky_ok(skycrate_presigner_sign_post(&form, p, policy));
    char want[16384];
    size_t at = (size_t)snprintf(want, sizeof(want), "%s\n", skycrate_post_form_url(form));
    for (size_t i = 0; i < skycrate_post_form_field_count(form); i++) {
        const char *n, *v;
        ck_assert_sky_ok(skycrate_post_form_field(&n, &v, form, i));
        at += (size_t)snprintf(want + at, sizeof(want) - at, "%s=%s\n", n, v);
    }
    ck_assert_str_eq(r->out, want);
    skycrate_post_form_free(form);
    skycrate_post_policy_free(policy);
    skycrate_presigner_free(p);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_global_cleanup();
    free(r);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("presign_cli");
    TCase *tc;
    list_cases(&url_cases, "presign-golden");
    for (int i = 0; i < url_cases.count; i++)
        if (!skip_reason(url_cases.names[i]))
            run_cases.names[run_cases.count++] = url_cases.names[i];

    /* Each test runs the program (under sanitizers: slowly), some of them many times. */
    tc = tcase_create("golden");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, cli_matches_botocore, 0, run_cases.count);
    tcase_add_test(tc, golden_skips_are_listed);
    suite_add_tcase(s, tc);

    tc = tcase_create("options");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, json_and_explain);
    tcase_add_test(tc, environment_supplies_credentials_and_region);
    tcase_add_test(tc, errors_exit_non_zero);
    tcase_add_test(tc, help_exits_zero);
    tcase_add_test(tc, post_prints_the_form);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < url_cases.count; i++)
        free(url_cases.names[i]);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
