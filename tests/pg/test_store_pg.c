/*
 * Tests of the PostgreSQL user store (libskycrate-pg) against a real PostgreSQL that
 * tests/servers/with-pg.sh starts: the table created on first use and a foreign one refused,
 * the seam's compare-and-swap contract (by version, and by value for a text the store did not
 * return), versions never reused, no lost update between processes and threads, a lost
 * connection, a bad connection string without its password in the message, and the provisioner
 * journaling into it (dev mode: no S3 needed; tests/pg/test_rgw_pg.c has the rest).
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgtest.h"
#include "skycrate/store_pg.h"
#include "storecheck.h"
#include "testutil.h"

static PGconn *admin;
static char table[64];

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    admin = pgtest_admin();
    pgtest_name(table, sizeof(table), "users");
}

static void teardown(void)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", table);
    pgtest_exec(admin, sql);
    PQfinish(admin);
    skycrate_global_cleanup();
}

static skycrate_user_store *open_store(const char *app)
{
    skycrate_user_store *s = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_postgresql(&s, pgtest_conninfo_as(app), table));
    return s;
}

static const char *query(const char *fmt, const char *arg)
{
    char sql[512];
    snprintf(sql, sizeof(sql), fmt, table, arg);
    return pgtest_value(admin, sql);
}

START_TEST(the_table_is_created_on_first_use)
{
    ck_assert_str_eq(query("SELECT to_regclass('%s') IS NULL", ""), "t");
    skycrate_user_store *s = open_store("t-create");
    ck_assert_str_eq(query("SELECT to_regclass('%s') IS NULL", ""), "f");
    ck_assert_sky_ok(skycrate_user_store_put(s, "u1", "{\"a\": 1}", NULL));
    skycrate_user_store_unref(s);
    /* a second store finds it with its record */
    s = open_store("t-create");
    char *text = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&text, s, "u1"));
    ck_assert_str_eq(text, "{\"a\": 1}");
    skycrate_free(text);
    ck_assert_str_eq(query("SELECT record->>'a' FROM %s WHERE user_id = 'u1'", ""), "1");
    skycrate_user_store_unref(s);
}
END_TEST

static int open_default_name(skycrate_user_store **out, void *ctx)
{
    (void)ctx;
    return skycrate_user_store_new_postgresql(out, pgtest_conninfo_as("t-race"), table);
}

START_TEST(processes_starting_together_create_the_table_once)
{
    /* Eight processes open a store on a table nobody has created, at once, and then write: each
     * must succeed (CREATE TABLE IF NOT EXISTS alone races in the catalog). */
    pid_t pids[8];
    fflush(NULL);
    for (int i = 0; i < 8; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            skycrate_user_store *s = NULL;
            char id[16];
            snprintf(id, sizeof(id), "p%d", i);
            int rc = open_default_name(&s, NULL);
            if (rc == 0)
                rc = skycrate_user_store_put(s, id, "{}", NULL);
            if (rc != 0)
                fprintf(stderr, "process %d: %s\n", i, skycrate_error_last()->message);
            skycrate_user_store_unref(s);
            _exit(rc == 0 ? 0 : 1);
        }
    }
    for (int i = 0; i < 8; i++) {
        int status = 0;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ck_assert_str_eq(query("SELECT count(*) FROM %s", ""), "8");
}
END_TEST

START_TEST(a_foreign_table_is_refused_and_left_untouched)
{
    static const char *const foreign[] = {
        "CREATE TABLE %s (user_id text PRIMARY KEY, record json NOT NULL, version bigint)",
        "CREATE TABLE %s (id int, note text)",
        "CREATE TABLE %s (user_id text, record jsonb, version bigint)", /* no sequence */
        "CREATE VIEW %s AS SELECT 'a'::text AS user_id, '{}'::jsonb AS record, 1::bigint AS "
        "version",
    };
    char sql[256];
    snprintf(sql, sizeof(sql), foreign[_i], table);
    pgtest_exec(admin, sql);
    const char *before = query("SELECT count(*) FROM %s", "");
    ck_assert_str_eq(before, _i == 3 ? "1" : "0");
    skycrate_user_store *s = (skycrate_user_store *)1;
    ck_assert_int_eq(skycrate_user_store_new_postgresql(&s, pgtest_conninfo(), table),
                     SKYCRATE_EPARSE);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "not a libskycrate user store"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "left untouched"));
    ck_assert_str_eq(query("SELECT count(*) FROM %s", ""), _i == 3 ? "1" : "0");
    if (_i == 3) {
        snprintf(sql, sizeof(sql), "DROP VIEW %s", table);
        pgtest_exec(admin, sql);
    }
}
END_TEST

START_TEST(compare_and_swap_by_version_and_by_value)
{
    skycrate_user_store *s = open_store("t-cas");
    char *read1 = NULL, *read2 = NULL, *read3 = NULL;
    ck_assert_int_eq(skycrate_user_store_get(&read1, s, "u"), SKYCRATE_ENOTFOUND);
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", "{\"state\":\"provisioning\"}", NULL));
    ck_assert_int_eq(skycrate_user_store_put(s, "u", "{\"state\":\"x\"}", NULL),
                     SKYCRATE_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "has a record already"));

    /* by version: the text this store returned */
    ck_assert_sky_ok(skycrate_user_store_get(&read1, s, "u"));
    const char *v1 = query("SELECT version FROM %s WHERE user_id = 'u'", "");
    char version1[32];
    snprintf(version1, sizeof(version1), "%s", v1);
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", "{\"state\":\"active\"}", read1));
    ck_assert_str_ne(query("SELECT version FROM %s WHERE user_id = 'u'", ""), version1);
    /* a writer that read the old record loses, and nothing is written */
    ck_assert_int_eq(skycrate_user_store_put(s, "u", "{\"state\":\"failed\"}", read1),
                     SKYCRATE_ECONFLICT);
    ck_assert_int_eq(skycrate_user_store_remove(s, "u", read1), SKYCRATE_ECONFLICT);
    ck_assert_str_eq(query("SELECT record->>'state' FROM %s WHERE user_id = 'u'", ""), "active");

    /* by value: another store never returned this text; it is compared as JSON */
    skycrate_user_store *other = open_store("t-cas");
    ck_assert_sky_ok(skycrate_user_store_put(other, "u", "{\"state\":\"failed\"}",
                                             " { \"state\" : \"active\" }"));
    ck_assert_int_eq(
        skycrate_user_store_put(other, "u", "{\"state\":\"x\"}", "{\"state\":\"active\"}"),
        SKYCRATE_ECONFLICT);
    ck_assert_sky_ok(skycrate_user_store_get(&read2, s, "u"));
    ck_assert_str_eq(read2, "{\"state\": \"failed\"}");
    ck_assert_int_eq(skycrate_user_store_remove(other, "u", "{\"state\":\"active\"}"),
                     SKYCRATE_ECONFLICT);
    ck_assert_sky_ok(skycrate_user_store_remove(other, "u", "{\"state\":\"failed\"}"));
    ck_assert_int_eq(skycrate_user_store_remove(s, "u", read2), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(skycrate_user_store_put(s, "u", "{}", read2), SKYCRATE_ECONFLICT);
    ck_assert_int_eq(skycrate_user_store_remove(s, "u", NULL), SKYCRATE_ENOTFOUND);

    /* unconditional remove; a remove by version */
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", "{\"n\":1}", NULL));
    ck_assert_sky_ok(skycrate_user_store_remove(s, "u", NULL));
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", "{\"n\":2}", NULL));
    ck_assert_sky_ok(skycrate_user_store_get(&read3, s, "u"));
    ck_assert_sky_ok(skycrate_user_store_remove(s, "u", read3));
    ck_assert_str_eq(query("SELECT count(*) FROM %s", ""), "0");
    skycrate_free(read1);
    skycrate_free(read2);
    skycrate_free(read3);
    skycrate_user_store_unref(other);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(a_version_is_never_reused)
{
    /* A reads the record; B removes it and creates it anew; A's write, expecting what it read,
     * must fail although a per-row counter would be back where A saw it. */
    skycrate_user_store *a = open_store("t-aba"), *b = open_store("t-aba");
    char *seen = NULL, *b_read = NULL;
    ck_assert_sky_ok(skycrate_user_store_put(a, "u", "{\"bucket\":\"one\"}", NULL));
    ck_assert_sky_ok(skycrate_user_store_get(&seen, a, "u"));
    ck_assert_sky_ok(skycrate_user_store_get(&b_read, b, "u"));
    ck_assert_sky_ok(skycrate_user_store_remove(b, "u", b_read));
    ck_assert_sky_ok(skycrate_user_store_put(b, "u", "{\"bucket\":\"two\"}", NULL));
    ck_assert_int_eq(skycrate_user_store_put(a, "u", "{\"bucket\":\"three\"}", seen),
                     SKYCRATE_ECONFLICT);
    ck_assert_str_eq(query("SELECT record->>'bucket' FROM %s WHERE user_id = 'u'", ""), "two");
    skycrate_free(seen);
    skycrate_free(b_read);
    skycrate_user_store_unref(a);
    skycrate_user_store_unref(b);
}
END_TEST

START_TEST(records_keep_unknown_fields_and_unicode)
{
    static const char record[] =
        "{\"userId\":\"J\\u00f6rg \\u65e5\\u672c\",\"x-app\":{\"quota\":1099511627776,"
        "\"ratio\":0.1,\"tags\":[null,true,false],\"q\":\"\\\"quoted\\\"\"}}";
    skycrate_user_store *s = open_store("t-fields");
    ck_assert_sky_ok(skycrate_user_store_put(s, "J\xc3\xb6rg \xe6\x97\xa5", record, NULL));
    char *text = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&text, s, "J\xc3\xb6rg \xe6\x97\xa5"));
    ck_assert_ptr_nonnull(strstr(text, "1099511627776"));
    ck_assert_ptr_nonnull(strstr(text, "0.1"));
    ck_assert_ptr_nonnull(strstr(text, "[null, true, false]"));
    ck_assert_ptr_nonnull(strstr(text, "J\xc3\xb6rg \xe6\x97\xa5\xe6\x9c\xac"));
    skycrate_free(text);
    skycrate_user_store_unref(s);
}
END_TEST

static int open_for_writer(skycrate_user_store **out, void *ctx)
{
    (void)ctx;
    return skycrate_user_store_new_postgresql(out, pgtest_conninfo_as("t-writers"), table);
}

START_TEST(concurrent_processes_lose_no_update)
{
    skycrate_user_store *s = open_store("t-writers");
    storecheck_processes(s, open_for_writer, NULL, 6, 40);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(concurrent_threads_lose_no_update)
{
    skycrate_user_store *s = open_store("t-writers"); /* one connection, shared */
    storecheck_threads(s, 6, 40);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(a_lost_connection_fails_one_call_and_the_next_reconnects)
{
    char app[64];
    pgtest_name(app, sizeof(app), "t-lost");
    skycrate_user_store *s = open_store(app);
    char *text = NULL;
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", "{\"n\":1}", NULL));
    ck_assert_int_eq(pgtest_terminate(admin, app), 1);
    ck_assert_int_eq(skycrate_user_store_get(&text, s, "u"), SKYCRATE_ECONNECT);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "user store (PostgreSQL)"));
    /* reconnected, statements prepared again */
    ck_assert_sky_ok(skycrate_user_store_get(&text, s, "u"));
    ck_assert_str_eq(text, "{\"n\": 1}");
    /* a write on a lost connection: an error, and the record is as before */
    ck_assert_int_eq(pgtest_terminate(admin, app), 1);
    ck_assert_int_eq(skycrate_user_store_put(s, "u", "{\"n\":2}", text), SKYCRATE_ECONNECT);
    ck_assert_str_eq(query("SELECT record->>'n' FROM %s WHERE user_id = 'u'", ""), "1");
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", "{\"n\":2}", text));
    ck_assert_str_eq(query("SELECT record->>'n' FROM %s WHERE user_id = 'u'", ""), "2");
    skycrate_free(text);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(bad_arguments_and_unreachable_servers_are_clear_errors)
{
    skycrate_user_store *s = (skycrate_user_store *)1;
    ck_assert_int_eq(skycrate_user_store_new_postgresql(&s, NULL, NULL), SKYCRATE_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(skycrate_user_store_new_postgresql(NULL, pgtest_conninfo(), NULL),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_new_postgresql(&s, pgtest_conninfo(), ""),
                     SKYCRATE_EINVAL);
    char long_name[80];
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    ck_assert_int_eq(skycrate_user_store_new_postgresql(&s, pgtest_conninfo(), long_name),
                     SKYCRATE_EINVAL);
    /* no server there: ECONNECT, and the password never reaches the message */
    ck_assert_int_eq(skycrate_user_store_new_postgresql(
                         &s, "host=/nonexistent-dir user=app password=hunter2-secret", NULL),
                     SKYCRATE_ECONNECT);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "cannot connect"));
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "hunter2"));
    ck_assert_int_eq(skycrate_user_store_new_postgresql(
                         &s, "postgresql://app:hunter2-secret@/nodb?host=/nonexistent-dir", NULL),
                     SKYCRATE_ECONNECT);
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "hunter2"));
    /* an unparsable string is not quoted: libpq would quote the bad part, here the password */
    ck_assert_int_eq(
        skycrate_user_store_new_postgresql(&s, "postgresql://app:hunter2%zz@/db", NULL),
        SKYCRATE_EINVAL);
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "hunter2"));
    ck_assert_int_eq(skycrate_user_store_new_postgresql(&s, "dbname='unterminated", NULL),
                     SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "not valid"));
}
END_TEST

START_TEST(the_provisioner_journals_into_postgresql)
{
    skycrate_user_store *s = open_store("t-prov");
    skycrate_provisioner_config *cfg = NULL;
    skycrate_provisioner *p = NULL;
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    ck_assert_sky_ok(skycrate_provisioner_config_set_store(cfg, s));
    ck_assert_sky_ok(skycrate_provisioner_config_set_dev_mode(cfg, 1));
    ck_assert_sky_ok(skycrate_provisioner_new(&p, NULL, cfg));
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_str_eq(query("SELECT record->>'state' FROM %s WHERE user_id = '%s'", "u42"),
                     "active");
    ck_assert_str_eq(query("SELECT record->>'bucket' FROM %s WHERE user_id = '%s'", "u42"),
                     skycrate_record_bucket(rec));
    skycrate_record_free(rec);
    skycrate_deprovision_report *d = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&d, p, "u42", 0));
    ck_assert_str_eq(query("SELECT record->>'state' FROM %s WHERE user_id = '%s'", "u42"),
                     "deleted");
    skycrate_deprovision_report_free(d);
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(cfg);
    skycrate_user_store_unref(s);
}
END_TEST

static Suite *store_pg_suite(void)
{
    Suite *s = suite_create("store-pg");
    TCase *tc = tcase_create("schema");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_table_is_created_on_first_use);
    tcase_add_test(tc, processes_starting_together_create_the_table_once);
    tcase_add_loop_test(tc, a_foreign_table_is_refused_and_left_untouched, 0, 4);
    suite_add_tcase(s, tc);

    tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, compare_and_swap_by_version_and_by_value);
    tcase_add_test(tc, a_version_is_never_reused);
    tcase_add_test(tc, records_keep_unknown_fields_and_unicode);
    tcase_add_test(tc, the_provisioner_journals_into_postgresql);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, concurrent_processes_lose_no_update);
    tcase_add_test(tc, concurrent_threads_lose_no_update);
    suite_add_tcase(s, tc);

    tc = tcase_create("connections");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_lost_connection_fails_one_call_and_the_next_reconnects);
    tcase_add_test(tc, bad_arguments_and_unreachable_servers_are_clear_errors);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(store_pg_suite)
