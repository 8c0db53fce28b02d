/*
 * The credentials-provider seam: versioned callback tables, reference counting, and the
 * error conventions every provider shares (docs/HACKING.md). The delegate and static providers.
 * SPDX-License-Identifier: MIT
 */
#include "creds/creds.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/table.h"
#include "core/time.h"

#define PROVIDER_MESSAGE_PREFIX "credentials provider '"

static const size_t callbacks_prefix[] = {
    0, SKYCRATE__PREFIX_THROUGH(skycrate_credentials_provider_callbacks, name), /* 1 */
};

static const skycrate__table_layout callbacks_layout = {
    "credentials provider callbacks", SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION,
    callbacks_prefix, sizeof(skycrate_credentials_provider_callbacks)};

int skycrate_credentials_provider_callbacks_init(skycrate_credentials_provider_callbacks *callbacks,
                                                 unsigned int version)
{
    return skycrate__table_init(callbacks, version, &callbacks_layout);
}

int skycrate_credentials_provider_new(skycrate_credentials_provider **out,
                                      const skycrate_credentials_provider_callbacks *callbacks)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    skycrate_credentials_provider_callbacks cb;
    int error = skycrate__table_copy(&cb, callbacks, &callbacks_layout);
    if (error < 0)
        return error;
    if (!cb.get)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "credentials provider callbacks without a get function");

    skycrate_credentials_provider *p = skycrate__calloc(1, sizeof(*p));
    if (!p)
        return skycrate__error_nomem();
    p->magic = SKYCRATE_MAGIC_CREDENTIALS_PROVIDER;
    p->callbacks = cb;
    const char *name = p->callbacks.name && *p->callbacks.name ? p->callbacks.name : "custom";
    p->name = skycrate__strdup(name);
    if (!p->name) {
        skycrate__free(p);
        return skycrate__error_nomem();
    }
    p->callbacks.name = p->name;
    atomic_init(&p->refcount, 1);
    atomic_init(&p->fixed, NULL);
    *out = p;
    return 0;
}

skycrate_credentials_provider *
skycrate_credentials_provider_ref(skycrate_credentials_provider *provider)
{
    if (!SKYCRATE_VALID_HANDLE(provider, SKYCRATE_MAGIC_CREDENTIALS_PROVIDER))
        return NULL;
    atomic_fetch_add_explicit(&provider->refcount, 1, memory_order_relaxed);
    return provider;
}

void skycrate_credentials_provider_unref(skycrate_credentials_provider *provider)
{
    if (!SKYCRATE_VALID_HANDLE(provider, SKYCRATE_MAGIC_CREDENTIALS_PROVIDER))
        return;
    if (atomic_fetch_sub_explicit(&provider->refcount, 1, memory_order_acq_rel) != 1)
        return;
    if (provider->callbacks.free)
        provider->callbacks.free(provider->callbacks.user_data);
    skycrate__free(provider->name);
    provider->magic = 0;
    skycrate__free(provider);
}

const char *skycrate_credentials_provider_name(const skycrate_credentials_provider *provider)
{
    return SKYCRATE_VALID_HANDLE(provider, SKYCRATE_MAGIC_CREDENTIALS_PROVIDER) ? provider->name
                                                                                : "";
}

/* Makes sure a failure message names the provider (unless an inner provider already did). */
static int name_failure(int rc, const char *name)
{
    char what[128];
    snprintf(what, sizeof(what), PROVIDER_MESSAGE_PREFIX "%s'", name);
    skycrate__error_after_callback(rc, what);
    if (strncmp(skycrate_error_last()->message, PROVIDER_MESSAGE_PREFIX,
                strlen(PROVIDER_MESSAGE_PREFIX)) != 0)
        skycrate__error_prefix("%s", what);
    return rc;
}

int skycrate_credentials_provider_get(skycrate_credentials **out,
                                      skycrate_credentials_provider *provider)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(provider, SKYCRATE_MAGIC_CREDENTIALS_PROVIDER);

    skycrate_credentials *creds = NULL;
    /* A stale message with the same code must not pass for the callback's own. */
    skycrate_error_clear();
    int rc = provider->callbacks.get(&creds, provider->callbacks.user_data);
    if (rc > 0) {
        rc = skycrate__error_set(SKYCRATE_ERROR, "get returned %d, which is not an error code", rc);
    }
    if (rc < 0) {
        skycrate_credentials_unref(creds);
        return name_failure(rc, provider->name);
    }
    if (!creds) {
        skycrate__error_set(SKYCRATE_ERROR, "get returned 0 but no credentials");
        return name_failure(SKYCRATE_ERROR, provider->name);
    }
    if (creds->expiration != 0 && creds->expiration <= skycrate__now_ms() / 1000) {
        char when[21];
        skycrate__format_iso8601(when, creds->expiration);
        skycrate_credentials_unref(creds);
        skycrate__error_set(SKYCRATE_EEXPIRED, "the credentials expired at %s", when);
        return name_failure(SKYCRATE_EEXPIRED, provider->name);
    }
    *out = creds;
    return 0;
}

/* --- built-in providers made with the public table ---------------------------------------- */

int skycrate__credentials_provider_wrap(skycrate_credentials_provider **out,
                                        skycrate_credentials_get_fn get, void (*free_fn)(void *),
                                        void *user_data, const char *name)
{
    skycrate_credentials_provider_callbacks cb;
    memset(&cb, 0, sizeof(cb)); /* padding too: the table is copied byte for byte */
    cb.version = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION;
    cb.get = get;
    cb.free = free_fn;
    cb.user_data = user_data;
    cb.name = name;
    return skycrate_credentials_provider_new(out, &cb);
}

int skycrate_credentials_provider_new_delegate(skycrate_credentials_provider **out,
                                               skycrate_credentials_get_fn get, void *user_data)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(get);
    return skycrate__credentials_provider_wrap(out, get, NULL, user_data, "delegate");
}

static int static_get(skycrate_credentials **out, void *user_data)
{
    *out = skycrate_credentials_ref(user_data);
    return 0;
}

static void static_free(void *user_data)
{
    skycrate_credentials_unref(user_data);
}

int skycrate_credentials_provider_new_static(skycrate_credentials_provider **out,
                                             skycrate_credentials *credentials)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(credentials, SKYCRATE_MAGIC_CREDENTIALS);
    skycrate_credentials *own = skycrate_credentials_ref(credentials);
    int error = skycrate__credentials_provider_wrap(out, static_get, static_free, own, "static");
    if (error < 0)
        skycrate_credentials_unref(own);
    else if (own->expiration == 0)
        atomic_store_explicit(&(*out)->fixed, own, memory_order_release);
    return error;
}

const skycrate_credentials *
skycrate__credentials_provider_fixed(const skycrate_credentials_provider *provider)
{
    return atomic_load_explicit(&((skycrate_credentials_provider *)provider)->fixed,
                                memory_order_acquire);
}
