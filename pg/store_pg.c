/*
 * The PostgreSQL user store (libskycrate-pg): records as jsonb in one table, every write a
 * compare-and-swap on the row's version (skycrate/store_pg.h says what and why).
 *
 * It is built on libskycrate's public API only (the store seam and the error slot), like any
 * application's own store, so libskycrate itself does not depend on libpq. One connection per
 * store, one call at a time on it (a mutex); a broken connection fails the running call with
 * SKYCRATE_ECONNECT and is re-established by the next call, which prepares the statements
 * again (prepared statements belong to a session).
 * SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "skycrate/errors.h"
#include "skycrate/store.h"
#include "skycrate/store_pg.h"

#define DEFAULT_TABLE "skycrate_users"
#define IDENTIFIER_MAX 63 /* PostgreSQL's NAMEDATALEN - 1 */
/* Serialises the creation of store tables across sessions (pg_advisory_xact_lock). */
#define SCHEMA_LOCK_KEY 0x736b796372617465LL /* "skycrate" */
/* How many records' (text, version) pairs a store remembers; a miss costs a jsonb compare. */
#define SEEN_SLOTS 64

/* Column types a store table must have (pg_type OIDs, fixed in PostgreSQL's catalog). */
#define TEXTOID 25
#define JSONBOID 3802
#define INT8OID 20

/* The statements, prepared on every connection; %1$s is the table, %2$s its sequence. */
enum statement {
    GET,
    INSERT,
    UPDATE_VERSION,
    UPDATE_VALUE,
    DELETE_ANY,
    DELETE_VERSION,
    DELETE_VALUE,
    STATEMENT_COUNT
};
static const char *const statement_sql[STATEMENT_COUNT] = {
    [GET] = "SELECT record::text, version FROM %1$s WHERE user_id = $1",
    [INSERT] = "INSERT INTO %1$s (user_id, record) VALUES ($1, $2::jsonb) "
               "ON CONFLICT (user_id) DO NOTHING",
    [UPDATE_VERSION] = "UPDATE %1$s SET record = $2::jsonb, version = nextval(%2$s), "
                       "updated_at = now() WHERE user_id = $1 AND version = $3::bigint",
    [UPDATE_VALUE] = "UPDATE %1$s SET record = $2::jsonb, version = nextval(%2$s), "
                     "updated_at = now() WHERE user_id = $1 AND record = $3::jsonb",
    [DELETE_ANY] = "DELETE FROM %1$s WHERE user_id = $1",
    /* One statement answers both "deleted?" and "was there a record?" (the outer query sees
     * the table as it was before the delete). */
    [DELETE_VERSION] = "WITH d AS (DELETE FROM %1$s WHERE user_id = $1 AND version = "
                       "$2::bigint RETURNING 1) SELECT (SELECT count(*) FROM d), "
                       "EXISTS (SELECT 1 FROM %1$s WHERE user_id = $1)",
    [DELETE_VALUE] = "WITH d AS (DELETE FROM %1$s WHERE user_id = $1 AND record = $2::jsonb "
                     "RETURNING 1) SELECT (SELECT count(*) FROM d), "
                     "EXISTS (SELECT 1 FROM %1$s WHERE user_id = $1)",
};
static const char *const statement_name[STATEMENT_COUNT] = {
    "skycrate_get",          "skycrate_insert",     "skycrate_update_version",
    "skycrate_update_value", "skycrate_delete_any", "skycrate_delete_version",
    "skycrate_delete_value"};

/* A record text this store returned, and the version the row had then. */
typedef struct seen {
    char *user_id;
    char *text;
    long long version;
} seen;

typedef struct pg_store {
    pthread_mutex_t lock; /* guards everything below */
    PGconn *conn;
    char *table;    /* quoted identifier */
    char *sequence; /* quoted literal naming the version column's sequence */
    bool prepared;  /* the statements exist on this connection */
    seen seen[SEEN_SLOTS];
} pg_store;

/* Sets the calling thread's last error and returns `code`. */
static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    skycrate_error_set_str(code, message);
    return code;
}

/* libpq's messages end with a newline; the error slot's do not. */
static void trim(char *text)
{
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
}

static int connection_error(PGconn *conn, const char *what)
{
    char detail[400];
    snprintf(detail, sizeof(detail), "%s", conn ? PQerrorMessage(conn) : "out of memory");
    trim(detail);
    return fail(SKYCRATE_ECONNECT, "user store (PostgreSQL): %s: %s", what, detail);
}

/* SQLSTATE classes that have a library code; everything else is SKYCRATE_ERROR. */
static int code_of_sqlstate(const char *state)
{
    if (!state)
        return SKYCRATE_ERROR;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return SKYCRATE_ECONFLICT; /* serialization failure, deadlock, lock not available */
    if (!strcmp(state, "57014"))
        return SKYCRATE_ETIMEOUT; /* statement_timeout */
    if (!strncmp(state, "22", 2))
        return SKYCRATE_EINVAL; /* data exception: a text jsonb refuses (\u0000) */
    if (!strncmp(state, "28", 2))
        return SKYCRATE_ECONNECT; /* the login is no longer accepted */
    if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
        return SKYCRATE_ECONNECT; /* connection exception, server shutting down */
    return SKYCRATE_ERROR;
}

/*
 * The error of a failed statement: a lost connection is SKYCRATE_ECONNECT (and for a write the
 * outcome is unknown); otherwise the code of the SQLSTATE. Only the primary message is
 * quoted: details and context may quote the record.
 */
static int statement_error(const pg_store *s, const PGresult *res, const char *what)
{
    if (PQstatus(s->conn) == CONNECTION_BAD)
        return connection_error(s->conn, what);
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return fail(code_of_sqlstate(state), "user store (PostgreSQL): %s: %s (SQLSTATE %s)", what,
                primary ? primary : PQerrorMessage(s->conn), state ? state : "none");
}

/* Keeps a successful result in *out (or clears it when `out` is NULL), or turns a failed one
 * into the error. Takes `res` either way. */
static int take_result(PGresult **out, const pg_store *s, PGresult *res, const char *what)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (out)
            *out = res;
        else
            PQclear(res);
        return 0;
    }
    int error = statement_error(s, res, what);
    PQclear(res);
    return error;
}

/* Runs a statement without parameters (schema work). */
static int exec_simple(PGresult **out, const pg_store *s, const char *sql, const char *what)
{
    return take_result(out, s, PQexec(s->conn, sql), what);
}

/* Runs a statement with text parameters. */
static int exec_params(PGresult **out, const pg_store *s, const char *sql, int count,
                       const char *const *values, const char *what)
{
    return take_result(out, s, PQexecParams(s->conn, sql, count, NULL, values, NULL, NULL, 0),
                       what);
}

/* Creates the table unless it exists, under an advisory lock: CREATE TABLE IF NOT EXISTS alone
 * races in the catalog when several sessions run it at once. */
static int schema_create(const pg_store *s)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE IF NOT EXISTS %s (user_id text PRIMARY KEY, record jsonb NOT NULL, "
             "version bigserial NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())",
             s->table);
    char lock[96];
    snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)", SCHEMA_LOCK_KEY);
    int error = exec_simple(NULL, s, "BEGIN", "creating the table");
    if (error == 0 && (error = exec_simple(NULL, s, lock, "creating the table")) == 0 &&
        (error = exec_simple(NULL, s, sql, "creating the table")) == 0)
        return exec_simple(NULL, s, "COMMIT", "creating the table");
    PQclear(PQexec(s->conn, "ROLLBACK"));
    return error;
}

/* Whether the table exists (through the search path). */
static int schema_exists(bool *exists, const pg_store *s)
{
    PGresult *res = NULL;
    const char *values[] = {s->table};
    int error = exec_params(&res, s, "SELECT to_regclass($1) IS NOT NULL", 1, values,
                            "looking for the table");
    if (error == 0)
        *exists = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    return error;
}

/* Checks that the table is a store table (its columns' types, the version column's sequence)
 * and keeps the sequence's name. It asks the catalog, which needs no privilege on the table: a
 * foreign table is refused and left as it is. */
static int schema_check(pg_store *s)
{
    static const char sql[] =
        "SELECT c.relkind IN ('r', 'p'), "
        "(SELECT atttypid::int FROM pg_attribute WHERE attrelid = c.oid AND attname = 'user_id' "
        "AND NOT attisdropped), "
        "(SELECT atttypid::int FROM pg_attribute WHERE attrelid = c.oid AND attname = 'record' "
        "AND NOT attisdropped), "
        "v.atttypid::int, "
        /* the sequence that the version column owns (as bigserial makes it) */
        "(SELECT q.oid::regclass::text FROM pg_depend d JOIN pg_class q ON q.oid = d.objid "
        "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
        "AND d.refobjid = c.oid AND d.refobjsubid = v.attnum AND q.relkind = 'S') "
        "FROM pg_class c LEFT JOIN pg_attribute v ON v.attrelid = c.oid "
        "AND v.attname = 'version' AND NOT v.attisdropped "
        "WHERE c.oid = to_regclass($1)";
    PGresult *res = NULL;
    const char *values[] = {s->table};
    int error = exec_params(&res, s, sql, 1, values, "checking the table");
    if (error < 0)
        return error;
    bool ours = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t") &&
                atoi(PQgetvalue(res, 0, 1)) == TEXTOID && atoi(PQgetvalue(res, 0, 2)) == JSONBOID &&
                atoi(PQgetvalue(res, 0, 3)) == INT8OID && !PQgetisnull(res, 0, 4);
    if (ours) {
        PQfreemem(s->sequence);
        s->sequence = PQescapeLiteral(s->conn, PQgetvalue(res, 0, 4), PQgetlength(res, 0, 4));
        if (!s->sequence)
            error = connection_error(s->conn, "checking the table");
    }
    PQclear(res);
    if (!ours)
        return fail(SKYCRATE_EPARSE,
                    "user store (PostgreSQL): the table %s is not a libskycrate user store (it "
                    "needs user_id text, record jsonb and version bigserial); it is left "
                    "untouched",
                    s->table);
    return error;
}

static int prepare_statements(pg_store *s)
{
    for (int i = 0; i < STATEMENT_COUNT; i++) {
        char sql[512];
        snprintf(sql, sizeof(sql), statement_sql[i], s->table, s->sequence);
        int error = take_result(NULL, s, PQprepare(s->conn, statement_name[i], sql, 0, NULL),
                                "preparing the statements");
        if (error < 0)
            return error;
    }
    s->prepared = true;
    return 0;
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like: not for stderr */
}

/* Makes sure the connection works and the statements are prepared. With the lock held. */
static int session_ready(pg_store *s)
{
    if (PQstatus(s->conn) == CONNECTION_OK && s->prepared)
        return 0;
    if (PQstatus(s->conn) != CONNECTION_OK) {
        s->prepared = false;
        PQreset(s->conn);
        if (PQstatus(s->conn) != CONNECTION_OK)
            return connection_error(s->conn, "cannot connect again");
    }
    return prepare_statements(s);
}

/* Runs a prepared statement; the session is made ready first. */
static int run(PGresult **out, pg_store *s, enum statement which, int count,
               const char *const *values, const char *what)
{
    int error = session_ready(s);
    if (error < 0)
        return error;
    return take_result(
        out, s, PQexecPrepared(s->conn, statement_name[which], count, values, NULL, NULL, 0), what);
}

/* FNV-1a: the slot a user id's last returned text lives in. */
static seen *seen_slot(pg_store *s, const char *user_id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)user_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &s->seen[h % SEEN_SLOTS];
}

static void seen_clear(seen *e)
{
    free(e->user_id);
    free(e->text);
    e->user_id = e->text = NULL;
}

/* Remembers that `user_id`'s record was `text` at `version` (best effort: memory is optional). */
static void seen_note(pg_store *s, const char *user_id, const char *text, long long version)
{
    seen *e = seen_slot(s, user_id);
    seen_clear(e);
    e->user_id = strdup(user_id);
    e->text = strdup(text);
    e->version = version;
    if (!e->user_id || !e->text)
        seen_clear(e);
}

/* The version at which this store returned `text` for `user_id`, when it remembers it. */
static bool seen_version(long long *version, pg_store *s, const char *user_id, const char *text)
{
    const seen *e = seen_slot(s, user_id);
    if (!e->user_id || strcmp(e->user_id, user_id) || strcmp(e->text, text))
        return false;
    *version = e->version;
    return true;
}

static int pg_get(skycrate_user_store_value *out, const char *user_id, uint32_t flags,
                  void *user_data)
{
    pg_store *s = user_data;
    PGresult *res = NULL;
    (void)flags;
    pthread_mutex_lock(&s->lock);
    const char *values[] = {user_id};
    int error = run(&res, s, GET, 1, values, "reading a record");
    if (error == 0 && PQntuples(res) == 0) {
        error = fail(SKYCRATE_ENOTFOUND, "user store (PostgreSQL): no record for user '%.64s'",
                     user_id);
    } else if (error == 0) {
        const char *text = PQgetvalue(res, 0, 0);
        seen_note(s, user_id, text, strtoll(PQgetvalue(res, 0, 1), NULL, 10));
        error = skycrate_user_store_value_set(out, text, (size_t)PQgetlength(res, 0, 0));
    }
    pthread_mutex_unlock(&s->lock);
    PQclear(res);
    return error;
}

static int pg_put(const char *user_id, const char *json, const char *expected_json, uint32_t flags,
                  void *user_data)
{
    pg_store *s = user_data;
    PGresult *res = NULL;
    char version[24];
    long long v;
    int error;
    (void)flags;
    pthread_mutex_lock(&s->lock);
    if (!expected_json) {
        const char *values[] = {user_id, json};
        error = run(&res, s, INSERT, 2, values, "creating a record");
    } else if (seen_version(&v, s, user_id, expected_json)) {
        snprintf(version, sizeof(version), "%lld", v);
        const char *values[] = {user_id, json, version};
        error = run(&res, s, UPDATE_VERSION, 3, values, "writing a record");
    } else {
        const char *values[] = {user_id, json, expected_json};
        error = run(&res, s, UPDATE_VALUE, 3, values, "writing a record");
    }
    pthread_mutex_unlock(&s->lock);
    if (error == 0 && strcmp(PQcmdTuples(res), "1") != 0)
        error = fail(SKYCRATE_ECONFLICT,
                     expected_json ? "user store (PostgreSQL): the record of user '%.64s' "
                                     "changed or was removed since it was read"
                                   : "user store (PostgreSQL): user '%.64s' has a record "
                                     "already",
                     user_id);
    PQclear(res);
    return error;
}

static int pg_remove(const char *user_id, const char *expected_json, uint32_t flags,
                     void *user_data)
{
    pg_store *s = user_data;
    PGresult *res = NULL;
    char version[24];
    long long v;
    bool deleted = false, existed = false;
    int error;
    (void)flags;
    pthread_mutex_lock(&s->lock);
    if (!expected_json) {
        const char *values[] = {user_id};
        error = run(&res, s, DELETE_ANY, 1, values, "removing a record");
        deleted = existed = error == 0 && !strcmp(PQcmdTuples(res), "1");
    } else {
        bool by_version = seen_version(&v, s, user_id, expected_json);
        snprintf(version, sizeof(version), "%lld", by_version ? v : 0);
        const char *values[] = {user_id, by_version ? version : expected_json};
        error = run(&res, s, by_version ? DELETE_VERSION : DELETE_VALUE, 2, values,
                    "removing a record");
        deleted = error == 0 && strcmp(PQgetvalue(res, 0, 0), "0") != 0;
        existed = error == 0 && !strcmp(PQgetvalue(res, 0, 1), "t");
    }
    pthread_mutex_unlock(&s->lock);
    PQclear(res);
    if (error == 0 && !existed)
        error = fail(SKYCRATE_ENOTFOUND, "user store (PostgreSQL): no record for user '%.64s'",
                     user_id);
    else if (error == 0 && !deleted)
        error = fail(SKYCRATE_ECONFLICT,
                     "user store (PostgreSQL): the record of user '%.64s' changed since it was "
                     "read",
                     user_id);
    return error;
}

static void pg_store_free(void *user_data)
{
    pg_store *s = user_data;
    if (!s)
        return;
    for (size_t i = 0; i < SEEN_SLOTS; i++)
        seen_clear(&s->seen[i]);
    PQfinish(s->conn);
    PQfreemem(s->table);
    PQfreemem(s->sequence);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int check_table_name(const char *table)
{
    size_t len = strlen(table);
    if (len == 0 || len > IDENTIFIER_MAX)
        return fail(SKYCRATE_EINVAL,
                    "user store (PostgreSQL): a table name has 1 to %d bytes, not %zu",
                    IDENTIFIER_MAX, len);
    return 0;
}

/* A connection string libpq cannot parse. Its message is not passed on: it may quote a part of
 * the string, and that part may be the password. A plain database name is not parsed (libpq
 * treats a value without '=' and without a URI scheme as one). */
static int check_conninfo(const char *conninfo)
{
    if (strncmp(conninfo, "postgresql://", 13) && strncmp(conninfo, "postgres://", 11) &&
        !strchr(conninfo, '='))
        return 0;
    char *message = NULL;
    PQconninfoOption *options = PQconninfoParse(conninfo, &message);
    PQconninfoFree(options);
    PQfreemem(message);
    if (!options)
        return fail(SKYCRATE_EINVAL, "user store (PostgreSQL): the connection string is not "
                                     "valid (libpq cannot parse it; not quoted here, as it may "
                                     "hold a password)");
    return 0;
}

/* Connects and gets the table ready: found or created, checked, statements prepared. */
static int pg_store_open(pg_store *s, const char *conninfo, const char *table)
{
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const values[] = {conninfo, "libskycrate", NULL};
    s->conn = PQconnectdbParams(keys, values, 1);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
        return connection_error(s->conn, "cannot connect");
    PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
    s->table = PQescapeIdentifier(s->conn, table, strlen(table));
    if (!s->table)
        return connection_error(s->conn, "quoting the table name");
    bool exists = false;
    int error = schema_exists(&exists, s);
    if (error == 0 && !exists)
        error = schema_create(s);
    if (error == 0)
        error = schema_check(s);
    if (error == 0)
        error = prepare_statements(s);
    return error;
}

int skycrate_user_store_new_postgresql(skycrate_user_store **out, const char *conninfo,
                                       const char *table)
{
    if (out)
        *out = NULL;
    if (!out || !conninfo)
        return fail(SKYCRATE_EINVAL, "user store (PostgreSQL): %s is NULL",
                    out ? "the connection string" : "the output pointer");
    if (!table)
        table = DEFAULT_TABLE;
    int error = check_table_name(table);
    if (error < 0 || (error = check_conninfo(conninfo)) < 0)
        return error;
    pg_store *s = calloc(1, sizeof(*s));
    if (!s)
        return fail(SKYCRATE_ENOMEM, "user store (PostgreSQL): out of memory");
    pthread_mutex_init(&s->lock, NULL);
    if ((error = pg_store_open(s, conninfo, table)) == 0) {
        skycrate_user_store_callbacks cb;
        skycrate_user_store_callbacks_init(&cb, SKYCRATE_USER_STORE_CALLBACKS_VERSION);
        cb.get = pg_get;
        cb.put = pg_put;
        cb.remove = pg_remove;
        cb.free = pg_store_free;
        cb.user_data = s;
        if ((error = skycrate_user_store_new(out, &cb)) == 0)
            return 0; /* the store owns `s` now */
    }
    pg_store_free(s);
    return error;
}
