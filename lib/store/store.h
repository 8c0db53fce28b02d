/*
 * The user store seam (internal view): the value sink, table validation, the checked calls the
 * provisioner uses, a read-modify-write helper, and the JSON-file store's test hook.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_STORE_STORE_H
#define SKYCRATE_STORE_STORE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/json.h"
#include "skycrate/store.h"

/* The longest user id accepted, in bytes. */
#define SKYCRATE__USER_ID_MAX 1024

struct skycrate_user_store_value {
    uint32_t magic;
    skycrate__buf text;
    bool set;
};

struct skycrate_user_store {
    uint32_t magic;
    atomic_uint refs;
    skycrate_user_store_callbacks callbacks; /* a complete current table */
};

/* Checks a user id: non-empty, valid UTF-8, at most SKYCRATE__USER_ID_MAX bytes. 0 or EINVAL. */
int skycrate__user_id_check(const char *user_id);

/* Parses a record text: one JSON object, no duplicate keys. 0, or `bad_code` with a message
 * naming `what` (the error text of jansson, never the record itself). */
int skycrate__record_parse(json_t **out, const char *text, size_t len, int bad_code,
                           const char *what);

/* Serialises a record compactly (key order kept) into a library-owned string (skycrate__free).
 * 0 or SKYCRATE_ENOMEM. */
int skycrate__record_dump(char **out, const json_t *record);

/*
 * A read-modify-write of one record that cannot lose a concurrent update: reads the record,
 * passes a private copy to `modify` (NULL when there is none), writes the result with
 * compare-and-swap, and on SKYCRATE_ECONFLICT starts again (at most
 * SKYCRATE__USER_STORE_ATTEMPTS times, with a short random pause). `modify` may therefore run
 * more than once and must depend only on the record it is given and on `ctx`.
 *
 * `modify` may change *record in place or replace it (it then owns and releases the old one),
 * and returns 0 to write *record (a JSON object), SKYCRATE__USER_STORE_UNCHANGED to write
 * nothing, or a negative code that ends the update with that code.
 * On success *result_out (if not NULL) receives the record now stored (NULL when unchanged and
 * absent); the caller releases it with json_decref.
 * Returns 0, the code of `modify`, ECONFLICT after the last attempt, or the store's code.
 */
#define SKYCRATE__USER_STORE_UNCHANGED 1
#define SKYCRATE__USER_STORE_ATTEMPTS 32
typedef int (*skycrate__user_store_modify_fn)(json_t **record, void *ctx);
int skycrate__user_store_update(json_t **result_out, const skycrate_user_store *store,
                                const char *user_id, skycrate__user_store_modify_fn modify,
                                void *ctx);

/*
 * Test hook of the file store, called at "tmp-written": the temporary file is complete and
 * synced, the rename (the commit point) has not happened. A non-zero return fails the write
 * there with SKYCRATE_EIO, as a failing rename would; a hook may also _exit() to simulate a
 * crash. NULL (the default) in production.
 */
extern int (*skycrate__file_store_test_hook)(const char *stage);

#endif
