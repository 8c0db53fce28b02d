/*
 * Helpers of the PostgreSQL store tests (pgtest.h).
 */
#include "pgtest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *pgtest_conninfo(void)
{
    const char *v = getenv("SKYCRATE_TEST_PG");
    ck_assert_msg(v && *v,
                  "SKYCRATE_TEST_PG is not set: run the test through tests/servers/with-pg.sh "
                  "(meson test and tools/test do), which starts PostgreSQL");
    return v;
}

const char *pgtest_conninfo_as(const char *app)
{
    static _Thread_local char buf[512];
    const char *base = pgtest_conninfo();
    /* a URI takes a query parameter, a key=value string one more pair */
    const char *sep = strncmp(base, "postgres", 8) ? " " : strchr(base, '?') ? "&" : "?";
    snprintf(buf, sizeof(buf), "%s%sapplication_name=%s", base, sep, app);
    return buf;
}

void pgtest_name(char *out, size_t size, const char *what)
{
    static int counter;
    snprintf(out, size, "%s_%d_%d", what, (int)getpid(), ++counter);
}

PGconn *pgtest_admin(void)
{
    PGconn *conn = PQconnectdb(pgtest_conninfo_as("skycrate-test-admin"));
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(conn));
    return conn;
}

void pgtest_exec(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQerrorMessage(conn));
    PQclear(res);
}

const char *pgtest_value(PGconn *conn, const char *sql)
{
    static _Thread_local char buf[4096];
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(conn));
    snprintf(buf, sizeof(buf), "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return buf;
}

int pgtest_terminate(PGconn *conn, const char *app)
{
    char *literal = PQescapeLiteral(conn, app, strlen(app));
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
             "WHERE application_name = %s",
             literal);
    PQfreemem(literal);
    return atoi(pgtest_value(conn, sql));
}
