/*
 * The users file read and rewritten as a stream, one record at a time: its cost is bounded by
 * the largest record, not by the file. The format stays as it was:
 *
 *     {
 *       "version": 1,
 *       "users": {
 *         "<user id>": { <record> },
 *         ...
 *       }
 *     }
 *
 * The document's own structure (the top-level object, the users object, keys, commas) is
 * scanned here; every value in it is handed to jansson, one at a time, so that what is accepted
 * is exactly what jansson accepts. Other top-level members are kept, as they are.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_STORE_STREAM_H
#define SKYCRATE_STORE_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* The format version this library reads and writes. */
#define SKYCRATE__USERS_FILE_VERSION 1
/* The largest record (or other top-level value) in a users file, in bytes of its text. */
#define SKYCRATE__USERS_RECORD_MAX (1024 * 1024)

/*
 * Reads the record of `user_id` from the users file open on `fd` (`path` names it in
 * messages) into *out (compact JSON text, owned; NULL when the file has no such record).
 * Records are read one at a time and only the user's is kept. Returns 0, SKYCRATE_EPARSE for a
 * file that is not a users file of this version (the messages never quote a record),
 * SKYCRATE_EIO, or SKYCRATE_ENOMEM.
 */
int skycrate__users_read(char **out, int fd, const char *path, const char *user_id);

/* Checks the whole users file open on `fd`: every record decoded, no user twice. Returns 0 or
 * as skycrate__users_read(). */
int skycrate__users_check(int fd, const char *path);

/* A change to one user's record: `record` replaces it (NULL removes it), provided the record
 * stored now is `expected` (compared as JSON values; NULL: a put needs none to be there, a
 * remove takes whatever is there). */
typedef struct skycrate__users_change {
    const char *user_id;
    const json_t *record;
    const char *expected;
} skycrate__users_change;

/*
 * Copies the users file open on `in` (-1: there is none yet, an empty store) to `out` with the
 * change made: the user's record replaced, removed, or appended. Other records are copied as
 * they are, each checked by jansson on the way; the whitespace between them is rewritten.
 * Returns 0; SKYCRATE_ECONFLICT when the stored record is not the expected one (or a put
 * without `expected` finds one); SKYCRATE_ENOTFOUND for a remove of no record; SKYCRATE_EINVAL
 * for a malformed `expected`; SKYCRATE_EPARSE (not a users file), SKYCRATE_EIO (naming
 * `in_path` or `out_path`) or SKYCRATE_ENOMEM. On failure `out` holds garbage.
 */
int skycrate__users_rewrite(int in, const char *in_path, int out, const char *out_path,
                            const skycrate__users_change *change);

#endif
