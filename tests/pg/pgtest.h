/*
 * Helpers of the PostgreSQL store tests: the server tests/servers/pg.sh started (described by
 * SKYCRATE_TEST_PG; the tests fail, never skip, without it), an administrator's connection
 * beside the store's, and names unique to a test.
 */
#ifndef SKYCRATE_TEST_PGTEST_H
#define SKYCRATE_TEST_PGTEST_H

#include <libpq-fe.h>
#include <stddef.h>

/* The connection string of the test server. */
const char *pgtest_conninfo(void);
/* The same with application_name=`app`, so that pgtest_terminate() finds its sessions
 * (a per-thread buffer, valid until the next call). */
const char *pgtest_conninfo_as(const char *app);
/* A name unique to this process and call: "<what>_<pid>_<n>". */
void pgtest_name(char *out, size_t size, const char *what);

/* An administrator's connection (asserts that it works). */
PGconn *pgtest_admin(void);
/* Runs a statement on `conn` and asserts that it succeeds. */
void pgtest_exec(PGconn *conn, const char *sql);
/* The first value of a query's result, as text ("" for NULL or no row; a per-thread buffer). */
const char *pgtest_value(PGconn *conn, const char *sql);
/* Ends every session of application `app` and waits until they are gone; returns how many. */
int pgtest_terminate(PGconn *conn, const char *app);

#endif
