/*
 * The user store seam: the value sink, the store object made from a versioned callback table,
 * checked calls through it, and the compare-and-swap read-modify-write helper.
 * SPDX-License-Identifier: MIT
 */
#include "store/store.h"

#include <stddef.h>
#include <string.h>

#include "core/common.h"
#include "core/table.h"
#include "core/utf8.h"
#include "core/time.h"
#include "errors.h"

static const size_t callbacks_prefix[] = {
    0, SKYCRATE__PREFIX_THROUGH(skycrate_user_store_callbacks, user_data), /* 1 */
};

static const skycrate__table_layout callbacks_layout = {
    "user store callbacks", SKYCRATE_USER_STORE_CALLBACKS_VERSION, callbacks_prefix,
    sizeof(skycrate_user_store_callbacks)};

int skycrate_user_store_value_set(skycrate_user_store_value *value, const char *json, size_t length)
{
    SKYCRATE_ASSERT_HANDLE(value, SKYCRATE_MAGIC_USER_STORE_VALUE);
    SKYCRATE_ASSERT_ARG(json || length == 0);
    skycrate__buf_clear(&value->text);
    if (skycrate__buf_put(&value->text, json, length) < 0)
        return SKYCRATE_ENOMEM;
    value->set = true;
    return 0;
}

int skycrate_user_store_callbacks_init(skycrate_user_store_callbacks *callbacks,
                                       unsigned int version)
{
    return skycrate__table_init(callbacks, version, &callbacks_layout);
}

int skycrate_user_store_new(skycrate_user_store **out,
                            const skycrate_user_store_callbacks *callbacks)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    skycrate_user_store_callbacks cb;
    int error = skycrate__table_copy(&cb, callbacks, &callbacks_layout);
    if (error < 0)
        return error;
    if (!cb.get || !cb.put || !cb.remove)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "user store callbacks lack a get, put or remove function");
    skycrate_user_store *store = skycrate__calloc(1, sizeof(*store));
    if (!store)
        return skycrate__error_nomem();
    store->magic = SKYCRATE_MAGIC_USER_STORE;
    atomic_init(&store->refs, 1);
    store->callbacks = cb;
    *out = store;
    return 0;
}

skycrate_user_store *skycrate_user_store_ref(skycrate_user_store *store)
{
    if (!SKYCRATE_VALID_HANDLE(store, SKYCRATE_MAGIC_USER_STORE))
        return NULL;
    atomic_fetch_add_explicit(&store->refs, 1, memory_order_relaxed);
    return store;
}

void skycrate_user_store_unref(skycrate_user_store *store)
{
    if (!store || store->magic != SKYCRATE_MAGIC_USER_STORE ||
        atomic_fetch_sub_explicit(&store->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (store->callbacks.free)
        store->callbacks.free(store->callbacks.user_data);
    store->magic = 0;
    skycrate__free(store);
}

int skycrate__user_id_check(const char *user_id)
{
    SKYCRATE_ASSERT_ARG(user_id);
    size_t len = strnlen(user_id, SKYCRATE__USER_ID_MAX + 1);
    if (len == 0)
        return skycrate__error_set(SKYCRATE_EINVAL, "the user id is empty");
    if (len > SKYCRATE__USER_ID_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "the user id is longer than %d bytes",
                                   SKYCRATE__USER_ID_MAX);
    if (!skycrate__utf8_valid(user_id, len))
        return skycrate__error_set(SKYCRATE_EINVAL, "the user id is not valid UTF-8");
    return 0;
}

int skycrate__record_parse(json_t **out, const char *text, size_t len, int bad_code,
                           const char *what)
{
    json_error_t jerr;
    *out = NULL;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return skycrate__error_from_json(bad_code, &jerr, true, "%s is not valid JSON", what);
    if (!json_is_object(v)) {
        json_decref(v);
        return skycrate__error_set(bad_code, "%s is not a JSON object", what);
    }
    *out = v;
    return 0;
}

int skycrate__record_dump(char **out, const json_t *record)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    *out = NULL;
    int error = skycrate__json_dump(&b, record, skycrate__json_flags(0));
    if (error < 0) {
        skycrate__buf_dispose(&b);
        return error;
    }
    *out = skycrate__buf_detach(&b);
    return 0;
}

/* The library's conventions on a callback's result: a positive value is a broken store. */
static int after_callback(int rc, const char *what)
{
    if (rc > 0)
        return skycrate__error_set(SKYCRATE_ERROR, "user store %s callback returned %d", what, rc);
    return skycrate__error_after_callback(rc, what);
}

static int get_checked(char **json_out, const skycrate_user_store_callbacks *t, const char *user_id)
{
    skycrate_user_store_value value = {SKYCRATE_MAGIC_USER_STORE_VALUE, SKYCRATE_BUF_INIT, false};
    json_t *parsed = NULL;
    int error = 0;
    skycrate_error_clear();
    error = after_callback(t->get(&value, user_id, 0, t->user_data), "user store get");
    if (error < 0)
        goto done;
    if (!value.set) {
        error = skycrate__error_set(SKYCRATE_ERROR,
                                    "user store get callback succeeded without a record");
        goto done;
    }
    if ((error = skycrate__buf_grow(&value.text, 0)) < 0)
        goto done;
    if (strlen(value.text.ptr) != value.text.len) {
        error = skycrate__error_set(SKYCRATE_EPARSE, "the user store returned a record with NUL");
        goto done;
    }
    error = skycrate__record_parse(&parsed, value.text.ptr, value.text.len, SKYCRATE_EPARSE,
                                   "the record the user store returned");
    if (error < 0)
        goto done;
    *json_out = skycrate__buf_detach(&value.text);
done:
    json_decref(parsed);
    skycrate__buf_dispose(&value.text);
    return error;
}

int skycrate_user_store_get(char **out, const skycrate_user_store *store, const char *user_id)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(store, SKYCRATE_MAGIC_USER_STORE);
    int error = skycrate__user_id_check(user_id);
    if (error < 0)
        return error;
    return get_checked(out, &store->callbacks, user_id);
}

static int put_checked(const skycrate_user_store_callbacks *t, const char *user_id,
                       const char *json, const char *expected_json)
{
    skycrate_error_clear();
    return after_callback(t->put(user_id, json, expected_json, 0, t->user_data), "user store put");
}

int skycrate_user_store_put(const skycrate_user_store *store, const char *user_id, const char *json,
                            const char *expected_json)
{
    SKYCRATE_ASSERT_HANDLE(store, SKYCRATE_MAGIC_USER_STORE);
    SKYCRATE_ASSERT_ARG(json);
    json_t *parsed = NULL;
    int error = skycrate__user_id_check(user_id);
    if (error < 0)
        return error;
    error = skycrate__record_parse(&parsed, json, strlen(json), SKYCRATE_EINVAL, "the record");
    json_decref(parsed);
    if (error < 0)
        return error;
    return put_checked(&store->callbacks, user_id, json, expected_json);
}

int skycrate_user_store_remove(const skycrate_user_store *store, const char *user_id,
                               const char *expected_json)
{
    SKYCRATE_ASSERT_HANDLE(store, SKYCRATE_MAGIC_USER_STORE);
    int error = skycrate__user_id_check(user_id);
    if (error < 0)
        return error;
    const skycrate_user_store_callbacks *t = &store->callbacks;
    skycrate_error_clear();
    return after_callback(t->remove(user_id, expected_json, 0, t->user_data), "user store remove");
}

/* A pause of 0..2^min(attempt,4) ms, so that retrying writers spread out. */
static void backoff(unsigned int attempt)
{
    static _Thread_local uint32_t state;
    if (state == 0)
        state = (uint32_t)skycrate__monotonic_ms() ^ (uint32_t)(uintptr_t)&state ^ 0x9e3779b9u;
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    uint32_t span = 1u << (attempt < 4 ? attempt : 4);
    skycrate__sleep_ms(state % (span + 1));
}

int skycrate__user_store_update(json_t **result_out, const skycrate_user_store *store,
                                const char *user_id, skycrate__user_store_modify_fn modify,
                                void *ctx)
{
    int error = 0;
    if (result_out)
        *result_out = NULL;
    SKYCRATE_ASSERT_HANDLE(store, SKYCRATE_MAGIC_USER_STORE);
    if ((error = skycrate__user_id_check(user_id)) < 0)
        return error;
    SKYCRATE_ASSERT_ARG(modify);
    const skycrate_user_store_callbacks *t = &store->callbacks;

    for (unsigned int attempt = 1;; attempt++) {
        char *old_text = NULL, *new_text = NULL;
        json_t *record = NULL;
        error = get_checked(&old_text, t, user_id);
        if (error == SKYCRATE_ENOTFOUND)
            error = 0;
        else if (error == 0)
            error = skycrate__record_parse(&record, old_text, strlen(old_text), SKYCRATE_EPARSE,
                                           "the stored record");
        if (error == 0) {
            error = modify(&record, ctx);
            if (error == 0 && !json_is_object(record))
                error = skycrate__error_set(SKYCRATE_EINVAL, "the updated record is no object");
            if (error == 0 && (error = skycrate__record_dump(&new_text, record)) == 0)
                error = put_checked(t, user_id, new_text, old_text);
        }
        skycrate__free(old_text);
        skycrate__free(new_text);
        if (error == SKYCRATE__USER_STORE_UNCHANGED)
            error = 0;
        if (error == 0 && result_out)
            *result_out = record;
        else
            json_decref(record);
        if (error != SKYCRATE_ECONFLICT || attempt >= SKYCRATE__USER_STORE_ATTEMPTS)
            break;
        backoff(attempt);
    }
    if (error == SKYCRATE_ECONFLICT)
        skycrate__error_prefix("record of user '%.64s' still changing after %d attempts", user_id,
                               SKYCRATE__USER_STORE_ATTEMPTS);
    return error;
}
