/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_STORE_PG_H
#define SKYCRATE_STORE_PG_H

/**
 * @file skycrate/store_pg.h
 * @brief The PostgreSQL user store (libskycrate-pg): one table for many app servers.
 * @defgroup skycrate_store_pg PostgreSQL user store
 *
 * An application that runs several app servers keeps its users in one database: the file store
 * (skycrate_user_store_new_file()) serves the processes of one host only. This store keeps each
 * record in a PostgreSQL table and makes every write a compare-and-swap, so any number of
 * processes on any number of hosts may provision, resume and deprovision the same users at
 * once (see skycrate/store.h, "Why compare-and-swap").
 *
 * It is a separate library, built when libpq is present, so that libskycrate itself needs no
 * database client: compile with `pkg-config --cflags --libs skycrate-pg`.
 *
 * **The table** (`skycrate_users` unless another name is given) is created on first use if it
 * does not exist:
 * @code{.sql}
 * CREATE TABLE skycrate_users (
 *     user_id    text PRIMARY KEY,
 *     record     jsonb NOT NULL,
 *     version    bigserial NOT NULL,          -- a new value from the sequence on every write
 *     updated_at timestamptz NOT NULL DEFAULT now()
 * );
 * @endcode
 * A table of that name with other columns is an error (#SKYCRATE_EPARSE) and is never changed.
 * The table is created under a transaction-scoped advisory lock, so processes that start
 * together create it once. Creating it needs the CREATE privilege on the schema; using it needs
 * SELECT, INSERT, UPDATE and DELETE on the table and USAGE on its sequence.
 *
 * **Compare-and-swap.** `version` takes a fresh value of the table's sequence on every write, so
 * a version is never reused, not even after a record is removed and created again. The store
 * remembers which version each record text it returned had, and a write that expects that text
 * is `UPDATE ... WHERE user_id = $1 AND version = $2`; a write that expects a text this store
 * did not return compares the records as JSON values instead (`record = $2::jsonb`). Both are
 * one statement, atomic under PostgreSQL's row locks. Records come back as PostgreSQL formats
 * jsonb (keys in its own order), the same text until the record changes.
 *
 * **Connections.** The store holds one connection, used by one call at a time (a mutex): it is
 * thread-safe, and calls from several threads wait for each other. An application that
 * provisions from many threads at once may give each thread its own store. A store must not
 * be used in a child process after fork(); make one there. When the connection breaks, the
 * running call fails with #SKYCRATE_ECONNECT and the next call connects again. A write that
 * failed that way may or may not have been committed: the provisioner's journal is built for
 * that (its records always name the bucket before it exists), and a later call reads the
 * record again before writing.
 *
 * **Secrets and memory.** The connection string may hold a password: it is handed to libpq and
 * never copied into an error message. Error messages carry PostgreSQL's primary message, never
 * a record. libskycrate-pg and libpq allocate with the C library; the allocator given to
 * skycrate_global_init() serves libskycrate.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Creates a user store in a PostgreSQL database.
 *
 * Connects, creates the table if it does not exist, checks its columns and prepares the
 * statements, so that a wrong connection string or a foreign table fails here rather than in
 * the first provisioning. Thread-safe (each call makes its own connection).
 * @param[out] out the new store (one reference); release it with skycrate_user_store_unref(),
 *             which closes the connection. Set to NULL on failure.
 * @param[in] conninfo a libpq connection string: a URI (`postgresql://user@host/db`,
 *            `postgresql:///db?host=/run/postgresql`) or `key=value` pairs; not kept.
 *            `application_name` defaults to `libskycrate`.
 * @param[in] table the table's name (a plain identifier of at most 63 bytes, used as given,
 *            case included, and found through the connection's `search_path`), or NULL for
 *            `skycrate_users`.
 * @return 0, #SKYCRATE_ECONNECT when the database cannot be reached or refuses the login,
 *         #SKYCRATE_EPARSE when the table exists with other columns, #SKYCRATE_EINVAL for a bad
 *         argument (a connection string libpq cannot parse too), or #SKYCRATE_ERROR when a statement fails (the message says which).
 */
SKYCRATE_API int skycrate_user_store_new_postgresql(skycrate_user_store **out, const char *conninfo,
                                                    const char *table);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_STORE_PG_H */
