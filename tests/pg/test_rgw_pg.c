/*
 * The PostgreSQL user store under the provisioner against radosgw (tools/test starts it) and a
 * real PostgreSQL (tests/servers/with-pg.sh): eight processes provisioning the same fifty users
 * at once end with exactly one bucket per user and no orphan; a provisioning killed in one
 * process resumes from another; a connection lost in the middle of the journal is an error
 * that loses nothing (every bucket stays named by its user's record, and the next call
 * finishes the job).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/time.h"
#include "http/http.h"
#include "pgtest.h"
#include "rgwenv.h"
#include "s3/request.h"
#include "skycrate/store_pg.h"
#include "testutil.h"

static PGconn *admin;
static skycrate_client *client;
static char table[64], prefix[32];

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    admin = pgtest_admin();
    client = rgw_client(NULL);
    pgtest_name(table, sizeof(table), "rgw_users");
    /* user ids "pg<pid>x<n>u<i>": their buckets are "skycrate-pg<pid>x<n>u<i>-<time>" */
    static int counter;
    snprintf(prefix, sizeof(prefix), "pg%dx%du", (int)getpid(), ++counter);
}

static skycrate_user_store *open_store(const char *app)
{
    skycrate_user_store *s = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_postgresql(&s, pgtest_conninfo_as(app), table));
    return s;
}

static skycrate_provisioner *make_provisioner(skycrate_client *c, skycrate_user_store *store)
{
    skycrate_provisioner_config *cfg = NULL;
    skycrate_provisioner *p = NULL;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    ck_assert_sky_ok(skycrate_provisioner_config_set_store(cfg, store));
    /* radosgw 16 rejects default encryption and ownership controls */
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE));
    ck_assert_sky_ok(skycrate_provisioner_new(&p, c, cfg));
    skycrate_provisioner_config_free(cfg);
    return p;
}

static void user_id(char *out, size_t size, int i)
{
    snprintf(out, size, "%s%d", prefix, i);
}

/* The names of the server's buckets that belong to this test's users (`names` may be NULL:
 * only counted). */
static size_t list_buckets(char names[][64], size_t max)
{
    skycrate__s3_request req = {.operation = "ListBuckets", .method = "GET"};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__s3_send(client, &req, &resp, NULL));
    skycrate__buf body = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(skycrate__buf_put(&body, resp.body.ptr, resp.body.len), 0);
    skycrate__http_response_dispose(&resp);
    char want[48];
    snprintf(want, sizeof(want), "<Name>skycrate-%s", prefix);
    size_t n = 0;
    for (const char *at = strstr(skycrate__buf_cstr(&body), want); at; at = strstr(at + 1, want)) {
        const char *name = at + strlen("<Name>"), *end = strchr(name, '<');
        ck_assert_ptr_nonnull(end);
        if (names) {
            ck_assert_uint_lt(n, max);
            snprintf(names[n], 64, "%.*s", (int)(end - name), name);
        }
        n++;
    }
    skycrate__buf_dispose(&body);
    return n;
}

/* The bucket of user `i` as its record names it ("" without a record). */
static const char *record_bucket(int i)
{
    char id[48], sql[256];
    user_id(id, sizeof(id), i);
    snprintf(sql, sizeof(sql), "SELECT record->>'bucket' FROM %s WHERE user_id = '%s'", table, id);
    return pgtest_value(admin, sql);
}

static const char *record_state(int i)
{
    char id[48], sql[256];
    user_id(id, sizeof(id), i);
    snprintf(sql, sizeof(sql), "SELECT record->>'state' FROM %s WHERE user_id = '%s'", table, id);
    return pgtest_value(admin, sql);
}

/* No orphan: each of the test's buckets on the server (`expected` of them) is the one that
 * its user's record names, so no user has two. */
static void check_buckets(int users, size_t expected)
{
    char names[256][64];
    size_t n = list_buckets(names, 256);
    ck_assert_uint_eq(n, expected);
    for (size_t k = 0; k < n; k++) {
        int owner = -1;
        for (int i = 0; i < users && owner < 0; i++)
            if (!strcmp(record_bucket(i), names[k]))
                owner = i;
        ck_assert_msg(owner >= 0, "bucket %s is named by no record", names[k]);
    }
}

/* Deprovisions users 0..users-1 (whatever state their provisioning is in). */
static void clean_up(int users)
{
    skycrate_user_store *store = open_store("rgw-pg-cleanup");
    skycrate_provisioner *p = make_provisioner(client, store);
    for (int i = 0; i < users; i++) {
        char id[48];
        user_id(id, sizeof(id), i);
        int rc = skycrate_provisioner_deprovision(NULL, p, id, 0);
        ck_assert_msg(rc == 0 || rc == SKYCRATE_ENOTFOUND, "deprovision %s: %s", id,
                      skycrate_error_last()->message);
    }
    skycrate_provisioner_free(p);
    skycrate_user_store_unref(store);
    ck_assert_uint_eq(list_buckets(NULL, 0), 0);
}

static void teardown(void)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", table);
    pgtest_exec(admin, sql);
    PQfinish(admin);
    skycrate_client_free(client);
    skycrate_global_cleanup();
}

/* ---- eight processes, fifty users ---- */

enum { PROCESSES = 8, USERS = 50 };

static int64_t shifted_clock(void *user_data)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (intptr_t)user_data * 1000;
}

/* One process: its own client, store and provisioner; every user once, even processes from the
 * first user up, odd ones from the last down, so that each user is provisioned by four
 * processes at the same moment (by eight in the middle). Exits with the number of failures but
 * those radosgw answered with HTTP 5xx after every retry (it refuses concurrent configuration
 * requests on one bucket so, now and then): such a call is reported, and the test resumes it. */
static void provision_all(int k)
{
    /* Each process's clock runs k seconds ahead, so that the processes name the same user's
     * bucket differently (skycrate-<user>-<time>): only the store decides whose name wins. */
    skycrate__clock_override(shifted_clock, (void *)(intptr_t)k);
    skycrate_client *mine = rgw_client(NULL);
    skycrate_user_store *store = open_store("rgw-pg-writer");
    skycrate_provisioner *p = make_provisioner(mine, store);
    int failures = 0;
    for (int j = 0; j < USERS; j++) {
        char id[48];
        user_id(id, sizeof(id), k % 2 ? USERS - 1 - j : j);
        if (skycrate_provisioner_provision(NULL, p, id) < 0) {
            const char *msg = skycrate_error_last()->message;
            bool refused_5xx = strstr(msg, ": HTTP 5") != NULL;
            fprintf(stderr, "process %d, %s: %s%s\n", k, id, msg,
                    refused_5xx ? " (radosgw refused it: resumed below)" : "");
            failures += refused_5xx ? 0 : 1;
        }
    }
    skycrate_provisioner_free(p);
    skycrate_user_store_unref(store);
    skycrate_client_free(mine);
    _exit(failures > 100 ? 100 : failures);
}

START_TEST(eight_processes_provision_the_same_fifty_users)
{
    skycrate_user_store_unref(open_store("rgw-pg")); /* the table, before the race */
    pid_t pids[PROCESSES];
    int start[2];
    ck_assert_int_eq(pipe(start), 0);
    fflush(NULL);
    for (int k = 0; k < PROCESSES; k++) {
        pids[k] = fork();
        ck_assert_int_ge(pids[k], 0);
        if (pids[k] == 0) {
            char c;
            close(start[1]);
            if (read(start[0], &c, 1) < 0)
                _exit(101);
            provision_all(k);
        }
    }
    close(start[0]);
    close(start[1]); /* go */
    int failures = 0;
    for (int k = 0; k < PROCESSES; k++) {
        int status = 0;
        ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
        ck_assert_msg(WIFEXITED(status), "process %d did not exit", k);
        failures += WEXITSTATUS(status);
    }
    /* Every user's provisioning completes (those refused with 5xx resume here); nothing else. */
    skycrate_user_store *store = open_store("rgw-pg-resume");
    skycrate_provisioner *p = make_provisioner(client, store);
    for (int i = 0; i < USERS; i++) {
        char id[48];
        user_id(id, sizeof(id), i);
        ck_assert_msg(skycrate_provisioner_provision(NULL, p, id) == 0, "%s: %s", id,
                      skycrate_error_last()->message);
    }
    skycrate_provisioner_free(p);
    skycrate_user_store_unref(store);
    for (int i = 0; i < USERS; i++)
        ck_assert_msg(!strcmp(record_state(i), "active"), "user %d: %s", i, record_state(i));
    check_buckets(USERS, USERS);
    ck_assert_msg(failures == 0, "%d provisionings failed (see above)", failures);
    clean_up(USERS);
}
END_TEST

/* ---- a store that fails in the middle of the journal ---- */

/* What the wrapper does at its `at`-th write: die before or after it, or cut the inner store's
 * connection before it. */
typedef enum fault { DIE_BEFORE, DIE_AFTER, CUT_BEFORE } fault;

typedef struct faulty {
    skycrate_user_store *inner;
    const char *app; /* the inner store's application_name */
    fault fault;
    int at, puts;
} faulty;

static int faulty_get(skycrate_user_store_value *out, const char *id, uint32_t flags, void *ud)
{
    faulty *f = ud;
    char *text = NULL;
    (void)flags;
    int rc = skycrate_user_store_get(&text, f->inner, id);
    if (rc == 0)
        rc = skycrate_user_store_value_set(out, text, strlen(text));
    skycrate_free(text);
    return rc;
}

static int faulty_put(const char *id, const char *json, const char *expected, uint32_t flags,
                      void *ud)
{
    faulty *f = ud;
    (void)flags;
    bool now = ++f->puts == f->at;
    if (now && f->fault == DIE_BEFORE)
        raise(SIGKILL);
    if (now && f->fault == CUT_BEFORE)
        ck_assert_int_eq(pgtest_terminate(admin, f->app), 1);
    int rc = skycrate_user_store_put(f->inner, id, json, expected);
    if (now && f->fault == DIE_AFTER)
        raise(SIGKILL);
    return rc;
}

static int faulty_remove(const char *id, const char *expected, uint32_t flags, void *ud)
{
    (void)flags;
    return skycrate_user_store_remove(((faulty *)ud)->inner, id, expected);
}

static skycrate_user_store *faulty_new(faulty *f)
{
    skycrate_user_store_callbacks cb;
    skycrate_user_store *s = NULL;
    ck_assert_sky_ok(
        skycrate_user_store_callbacks_init(&cb, SKYCRATE_USER_STORE_CALLBACKS_VERSION));
    cb.get = faulty_get;
    cb.put = faulty_put;
    cb.remove = faulty_remove;
    cb.user_data = f;
    ck_assert_sky_ok(skycrate_user_store_new(&s, &cb));
    return s;
}

/* The provisioning writes its record three times: the intent (before CreateBucket), the create,
 * the end. The cases: where the first process dies. */
static const struct {
    fault fault;
    int at;
    const char *state; /* the record's state afterwards ("" none) */
    int buckets;       /* buckets on the server afterwards */
} kills[] = {
    {DIE_AFTER, 1, "provisioning", 0},  /* intent written, CreateBucket not sent */
    {DIE_BEFORE, 2, "provisioning", 1}, /* bucket created, the create not journaled */
    {DIE_AFTER, 2, "provisioning", 1},  /* create journaled, configuration pending */
    {DIE_BEFORE, 3, "provisioning", 1}, /* configured, the end not journaled */
};

START_TEST(a_provisioning_killed_in_one_process_resumes_in_another)
{
    skycrate_user_store_unref(open_store("rgw-pg")); /* the table */
    char id[48];
    user_id(id, sizeof(id), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        faulty f = {open_store("rgw-pg-victim"), NULL, kills[_i].fault, kills[_i].at, 0};
        skycrate_user_store *store = faulty_new(&f);
        skycrate_provisioner *p = make_provisioner(client, store);
        skycrate_provisioner_provision(NULL, p, id);
        _exit(0); /* not reached: killed at its write */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "not killed");
    ck_assert_str_eq(record_state(0), kills[_i].state);
    check_buckets(1, (size_t)kills[_i].buckets);

    /* another process (this one) finishes it */
    skycrate_user_store *store = open_store("rgw-pg-rescuer");
    skycrate_provisioner *p = make_provisioner(client, store);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, id));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    check_buckets(1, 1);
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, p, id));
    ck_assert_int_eq(skycrate_verify_report_ok(v), 1);
    skycrate_verify_report_free(v);
    skycrate_provisioner_free(p);
    skycrate_user_store_unref(store);
    clean_up(1);
}
END_TEST

START_TEST(a_connection_lost_mid_journal_is_an_error_that_loses_nothing)
{
    char id[48], app[64];
    user_id(id, sizeof(id), 0);
    pgtest_name(app, sizeof(app), "rgw-pg-cut");
    faulty f = {open_store(app), app, CUT_BEFORE, _i + 1, 0};
    skycrate_user_store *store = faulty_new(&f);
    skycrate_provisioner *p = make_provisioner(client, store);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, id), SKYCRATE_ECONNECT);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "PostgreSQL"));
    /* Nothing lost: no record and no bucket when the intent failed; else the record names the
     * one bucket, still provisioning. */
    ck_assert_str_eq(record_state(0), _i == 0 ? "" : "provisioning");
    check_buckets(1, _i == 0 ? 0 : 1);

    /* the next call, through the same store, reconnects and finishes */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, id));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    check_buckets(1, 1);
    skycrate_provisioner_free(p);
    skycrate_user_store_unref(store);
    skycrate_user_store_unref(f.inner);
    clean_up(1);
}
END_TEST

static Suite *rgw_pg_suite(void)
{
    Suite *s = suite_create("rgw-pg");
    TCase *tc = tcase_create("many-processes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, eight_processes_provision_the_same_fifty_users);
    suite_add_tcase(s, tc);

    tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, a_provisioning_killed_in_one_process_resumes_in_another, 0,
                        (int)(sizeof(kills) / sizeof(kills[0])));
    tcase_add_loop_test(tc, a_connection_lost_mid_journal_is_an_error_that_loses_nothing, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(rgw_pg_suite)
