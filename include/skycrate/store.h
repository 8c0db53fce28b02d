/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_STORE_H
#define SKYCRATE_STORE_H

/**
 * @file skycrate/store.h
 * @brief The user store: where the provisioner keeps one record per user.
 * @defgroup skycrate_store User store
 *
 * A user store maps a user id to one JSON object, the user's record. The provisioner writes
 * the record (bucket name, region, endpoint, mode, provisioning state, the steps done and
 * skipped, the last error, timestamps) and owns its meaning; a store keeps and returns it
 * faithfully, unknown fields included. A record as the provisioner writes it looks like:
 * @code{.json}
 * { "userId": "u42", "bucket": "skycrate-u42-20261122191500", "region": "eu-west-1",
 *   "endpoint": "https://s3.eu-west-1.amazonaws.com", "mode": "aws", "state": "active",
 *   "stepsDone": ["create", "public-access-block"], "stepsSkipped": [],
 *   "createdAt": "2026-11-22T19:15:00Z", "updatedAt": "2026-11-22T19:15:02Z" }
 * @endcode
 *
 * The library ships one store, a JSON file (skycrate_user_store_new_file(), `users.json` by
 * default). An application that keeps its users in a database supplies its own: it fills a
 * #skycrate_user_store_callbacks table and makes a store of it with skycrate_user_store_new().
 *
 * **Ownership.** Like every seam of the library (the HTTP transport and the credentials
 * provider too), a store is an opaque, reference-counted object made from a versioned callback
 * table. The table is copied (the part its version defines); the store owns `user_data` from
 * then on and calls `free(user_data)` exactly once, when its last reference goes. A provisioner
 * configuration and each provisioner made from it hold a reference. If skycrate_user_store_new()
 * fails, `free` is not called and `user_data` stays the caller's.
 *
 * **Why compare-and-swap.** Every change to a record is a read-modify-write: read the record,
 * change it, write it back. Two writers (threads, processes, hosts) must never lose each
 * other's update. The seam makes that provable with three operations and no locks: `get`
 * returns the record's text; `put` writes a new text *only if the stored record is still the
 * one the writer read* (it receives that text as `expected_json`) and otherwise fails with
 * #SKYCRATE_ECONFLICT, after which the library reads again and retries. A lock/unlock pair
 * would also work, but it asks every store for a lock that spans calls (and survives crashes
 * and timeouts), which most databases only give inside a transaction; a conditional write is a
 * single statement (`UPDATE users SET record = ? WHERE id = ? AND record = ?`), a conditional
 * put in a key-value store, or a short lock inside one callback, as the file store does.
 *
 * **Memory.** Records cross the seam as JSON text, which suits FFI. Text a callback receives
 * is borrowed for the call. Text a callback returns is handed to a library-owned sink with
 * skycrate_user_store_value_set(), which copies it, so no memory ever changes allocator.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Hands record text to the library from inside a `get` callback.
 *
 * The text is copied; the caller keeps ownership of `json`. Calling it again replaces the
 * earlier text. Call it only on the value passed to the running callback, from that thread.
 * @param[out] value the sink the callback received.
 * @param[in] json the record, a JSON object as UTF-8 text; need not be NUL-terminated.
 * @param[in] length the number of bytes of `json`.
 * @return 0, #SKYCRATE_EINVAL for a NULL argument, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_user_store_value_set(skycrate_user_store_value *value, const char *json,
                                               size_t length);

/** The current version of #skycrate_user_store_callbacks. */
#define SKYCRATE_USER_STORE_CALLBACKS_VERSION 1

/**
 * @brief A user store's callbacks: a versioned table (an application's own store).
 *
 * Fill it with #SKYCRATE_USER_STORE_CALLBACKS_INIT or skycrate_user_store_callbacks_init(),
 * set the members, and make a store of it with skycrate_user_store_new(). Members are only ever
 * appended. `get`, `put` and `remove` are required.
 *
 * Every callback returns 0 or a negative #skycrate_error_code, and may describe a failure with
 * skycrate_error_set_str() before returning. User ids given to callbacks are non-empty UTF-8
 * strings of at most 1024 bytes; record texts are JSON objects. Callbacks may be invoked from
 * any thread that uses a handle holding the store, and from several handles at once: make them
 * thread-safe, or give each handle its own store.
 */
typedef struct skycrate_user_store_callbacks {
    /** #SKYCRATE_USER_STORE_CALLBACKS_VERSION when the table was filled in. */
    unsigned int version;

    /**
     * Reads the record of `user_id`: passes its text to skycrate_user_store_value_set(`out`,
     * ...) and returns 0, or returns #SKYCRATE_ENOTFOUND when there is none. The text must be
     * the record as last written (as JSON: a store may reformat it, but must then return the
     * same text until the record changes). `flags` is reserved and 0.
     */
    int (*get)(skycrate_user_store_value *out, const char *user_id, uint32_t flags,
               void *user_data);

    /**
     * Writes `json` as the record of `user_id`, atomically, *if and only if* the stored record
     * is still `expected_json`: a text an earlier `get` returned, compared byte for byte with
     * the text `get` would return now, or as JSON values (either is correct). When
     * `expected_json` is NULL the record must not exist yet. Returns 0 after writing, or
     * #SKYCRATE_ECONFLICT without writing when the record differs (or exists, or vanished), or
     * when a concurrent writer kept it busy for too long. The comparison and the write must be
     * one atomic step. `flags` is reserved and 0.
     */
    int (*put)(const char *user_id, const char *json, const char *expected_json, uint32_t flags,
               void *user_data);

    /**
     * Deletes the record of `user_id`, atomically, if it is still `expected_json` (compared as
     * for `put`), or unconditionally when `expected_json` is NULL. Returns 0,
     * #SKYCRATE_ENOTFOUND when there is no record, or #SKYCRATE_ECONFLICT without deleting when
     * the record differs. `flags` is reserved and 0.
     */
    int (*remove)(const char *user_id, const char *expected_json, uint32_t flags, void *user_data);

    /** Optional: releases `user_data` when the store's last reference goes. */
    void (*free)(void *user_data);

    /** Passed to every callback. */
    void *user_data;
} skycrate_user_store_callbacks;

/**
 * A static initialiser for a #skycrate_user_store_callbacks table of the current version. Every
 * member is listed, so that it compiles without warnings in C and C++
 * (-Wmissing-field-initializers).
 */
#define SKYCRATE_USER_STORE_CALLBACKS_INIT                                                         \
    {                                                                                              \
        SKYCRATE_USER_STORE_CALLBACKS_VERSION, 0, 0, 0, 0, 0                                       \
    }

/**
 * @brief Initialises a #skycrate_user_store_callbacks table: all members zero, `version` set.
 *
 * Thread-safe (it touches only `callbacks`).
 * @param[out] callbacks the table to fill.
 * @param[in] version #SKYCRATE_USER_STORE_CALLBACKS_VERSION.
 * @return 0, or #SKYCRATE_EINVAL for a NULL table or an unknown version.
 */
SKYCRATE_API int skycrate_user_store_callbacks_init(skycrate_user_store_callbacks *callbacks,
                                                    unsigned int version);

/**
 * @brief Creates a user store from a callback table.
 *
 * The table is copied (the prefix its version defines). The store owns `user_data` and calls
 * `free` once, when its last reference goes; if this call fails, `free` is not called.
 * Thread-safe.
 * @param[out] out the new store (one reference); release it with skycrate_user_store_unref().
 * @param[in] callbacks the table; `get`, `put` and `remove` are required.
 * @return 0, #SKYCRATE_EINVAL for a bad table, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_user_store_new(skycrate_user_store **out,
                                         const skycrate_user_store_callbacks *callbacks);

/**
 * @brief Creates the JSON-file user store.
 *
 * The file holds `{"version": 1, "users": {"<user id>": {record}, ...}}`. A missing file is an
 * empty store; it is created with mode 0600 on the first write (a replaced file keeps its
 * mode). Every write replaces the whole file atomically (a temporary file in the same
 * directory, fsync, rename, fsync of the directory) while holding an exclusive advisory lock
 * (flock(2)) on the sidecar file `<path>.lock`, so that processes and threads sharing the file
 * never lose each other's updates. A file that is not valid JSON, or valid JSON of another
 * shape or a newer version, is an error (#SKYCRATE_EPARSE) and is never overwritten. Reads take
 * no lock. Numbers in records are kept as 64-bit integers or doubles.
 *
 * Reads and writes stream through the file one record at a time: their memory is bounded by
 * the largest record (1 MiB at most), their time grows with the file (a write copies it). The
 * manual says at what size a database store should take over.
 *
 * The path is resolved once, here: a symbolic link is followed to its file and the directory
 * to its real place, so that every name of one file is one store with one lock (a link to a
 * file that does not exist is refused, since the first write would replace the link). A path
 * that is not a regular file (a directory, a FIFO, a device) is refused without waiting for
 * it, here and at every read and write. The file is checked once here. The store is
 * thread-safe.
 * @param[out] out the new store (one reference); release it with skycrate_user_store_unref().
 * @param[in] path the file, or NULL for `users.json` in the current directory; copied.
 *            The directory must exist (else #SKYCRATE_EIO) and be writable (for the temporary
 *            and lock files).
 * @param[in] lock_timeout_ms how long a write waits for the lock before failing with
 *            #SKYCRATE_ECONFLICT; 0 for the default of 10000 ms.
 * @return 0, #SKYCRATE_EINVAL, #SKYCRATE_EPARSE for a corrupt or foreign file, #SKYCRATE_EIO
 *         when the file cannot be read or is not a regular file, when the directory is missing
 *         or the path is a link to nothing, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_user_store_new_file(skycrate_user_store **out, const char *path,
                                              uint32_t lock_timeout_ms);

/**
 * @brief Takes another reference to a store. Thread-safe.
 * @param[in] store the store, or NULL.
 * @return `store`, or NULL when it is NULL or not a live store.
 */
SKYCRATE_API skycrate_user_store *skycrate_user_store_ref(skycrate_user_store *store);

/**
 * @brief Drops a reference; the last one calls the table's `free` and frees the store. NULL
 *        does nothing. Thread-safe.
 * @param[in] store the store, or NULL.
 */
SKYCRATE_API void skycrate_user_store_unref(skycrate_user_store *store);

/**
 * @brief Reads a user's record from a store.
 *
 * Thread-safe if the store's callbacks are.
 * @param[out] out the record as a NUL-terminated JSON object text; free it with
 *             skycrate_free(). Set to NULL on failure.
 * @param[in] store the store.
 * @param[in] user_id the user id (non-empty UTF-8, at most 1024 bytes).
 * @return 0, #SKYCRATE_ENOTFOUND when the user has no record, #SKYCRATE_EINVAL, #SKYCRATE_EPARSE
 *         when the store returns something else than a JSON object, or the store's own code.
 */
SKYCRATE_API int skycrate_user_store_get(char **out, const skycrate_user_store *store,
                                         const char *user_id);

/**
 * @brief Writes a user's record if it is unchanged since it was read (compare-and-swap).
 *
 * For a read-modify-write, pass the text skycrate_user_store_get() returned as
 * `expected_json`, and on #SKYCRATE_ECONFLICT read again and retry. Thread-safe if the store's
 * callbacks are.
 * @param[in] store the store.
 * @param[in] user_id the user id (non-empty UTF-8, at most 1024 bytes).
 * @param[in] json the new record, a JSON object.
 * @param[in] expected_json the record as read, or NULL to create a record that must not exist.
 * @return 0, #SKYCRATE_ECONFLICT when the record changed (nothing written), #SKYCRATE_EINVAL
 *         (also when `json` is not a JSON object), or the store's own code.
 */
SKYCRATE_API int skycrate_user_store_put(const skycrate_user_store *store, const char *user_id,
                                         const char *json, const char *expected_json);

/**
 * @brief Deletes a user's record, if it is unchanged since it was read.
 *
 * Thread-safe if the store's callbacks are.
 * @param[in] store the store.
 * @param[in] user_id the user id (non-empty UTF-8, at most 1024 bytes).
 * @param[in] expected_json the record as read, or NULL to delete whatever is stored.
 * @return 0, #SKYCRATE_ENOTFOUND when there is no record, #SKYCRATE_ECONFLICT when the record
 *         changed (nothing deleted), #SKYCRATE_EINVAL, or the store's own code.
 */
SKYCRATE_API int skycrate_user_store_remove(const skycrate_user_store *store, const char *user_id,
                                            const char *expected_json);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_STORE_H */
