/*
 * The cached provider: keeps the inner provider's credentials and asks again ahead of their
 * expiry. One refresh at a time: while it runs, callers get the current credentials if they
 * are still valid, or wait on a condition variable for its result (they do not stampede the
 * source). Expired credentials are never handed out; static ones (no expiry) are kept for
 * good. The inner provider is called without any lock held.
 * SPDX-License-Identifier: MIT
 */
#include "creds/creds.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "core/time.h"

typedef struct {
    skycrate_credentials_provider *inner;
    skycrate_credentials_provider *self; /* the provider this is the state of (no reference) */
    int64_t ahead;                       /* seconds before expiry at which to refresh */
    pthread_mutex_t lock;
    pthread_cond_t finished;
    /* Guarded by lock: */
    skycrate_credentials *current; /* the last good credentials, or NULL */
    int64_t fetched_at;            /* when `current` came, seconds since the epoch */
    bool refreshing;
    uint64_t generation;                           /* counts finished refreshes */
    int last_rc;                                   /* the result of the last refresh... */
    char last_message[SKYCRATE_ERROR_MESSAGE_MAX]; /* ...and its message (no secrets) */
} cached;

static int64_t now_s(void)
{
    return skycrate__now_ms() / 1000;
}

/* Credentials that live shorter than twice the margin are refreshed at half their life. */
static bool fresh(const cached *c, int64_t now)
{
    const skycrate_credentials *cur = c->current;
    if (!cur)
        return false;
    if (cur->expiration == 0)
        return true;
    int64_t ahead = c->ahead;
    int64_t life = cur->expiration - c->fetched_at;
    if (life > 0 && ahead > life / 2)
        ahead = life / 2;
    return now < cur->expiration - ahead;
}

static bool usable(const cached *c, int64_t now)
{
    return c->current && (c->current->expiration == 0 || now < c->current->expiration);
}

/* Runs one refresh with the lock released; returns with it held again. */
static int refresh(skycrate_credentials **out, cached *c)
{
    c->refreshing = true;
    pthread_mutex_unlock(&c->lock);

    skycrate_credentials *got = NULL;
    int rc = skycrate_credentials_provider_get(&got, c->inner);
    char message[SKYCRATE_ERROR_MESSAGE_MAX] = "";
    if (rc < 0)
        snprintf(message, sizeof(message), "%s", skycrate_error_last()->message);

    pthread_mutex_lock(&c->lock);
    int64_t now = now_s();
    skycrate_credentials *old = NULL;
    c->refreshing = false;
    c->generation++;
    c->last_rc = rc;
    snprintf(c->last_message, sizeof(c->last_message), "%s", message);
    if (rc == 0) {
        old = c->current;
        c->current = got;
        c->fetched_at = now;
        *out = skycrate_credentials_ref(got);
        /* Credentials without expiry are kept for good (fresh() never asks again): readers may
         * borrow them from now on. */
        if (got->expiration == 0)
            atomic_store_explicit(&c->self->fixed, got, memory_order_release);
    } else if (usable(c, now)) {
        /* The source failed but what we have is still valid: keep serving it. */
        if (skycrate__log_enabled(SKYCRATE_LOG_LEVEL_WARN))
            skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                          "credentials: refresh failed, keeping the current credentials until "
                          "they expire: %s",
                          message);
        *out = skycrate_credentials_ref(c->current);
        rc = 0;
    } else {
        skycrate__error_set(rc, "%s", message);
    }
    pthread_cond_broadcast(&c->finished);
    /* Unref of the replaced credentials wipes them; no callback runs, so the lock is fine. */
    skycrate_credentials_unref(old);
    return rc;
}

static int cached_get(skycrate_credentials **out, void *user_data)
{
    cached *c = user_data;
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        int64_t now = now_s();
        if (fresh(c, now)) {
            *out = skycrate_credentials_ref(c->current);
            break;
        }
        if (!c->refreshing) {
            rc = refresh(out, c);
            break;
        }
        /* Someone else is refreshing: use what is still valid, or wait for the result. */
        if (usable(c, now)) {
            *out = skycrate_credentials_ref(c->current);
            break;
        }
        uint64_t generation = c->generation;
        while (c->refreshing && c->generation == generation)
            pthread_cond_wait(&c->finished, &c->lock);
        if (c->generation != generation && c->last_rc < 0) {
            /* The refresh we waited for failed: its answer is ours too. */
            rc = skycrate__error_set(c->last_rc, "%s", c->last_message);
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static void cached_free(void *user_data)
{
    cached *c = user_data;
    skycrate_credentials_unref(c->current);
    skycrate_credentials_provider_unref(c->inner);
    pthread_cond_destroy(&c->finished);
    pthread_mutex_destroy(&c->lock);
    skycrate__free(c);
}

int skycrate__credentials_provider_new_cached(skycrate_credentials_provider **out,
                                              skycrate_credentials_provider *inner,
                                              uint32_t refresh_ahead_seconds, const char *name)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(inner, SKYCRATE_MAGIC_CREDENTIALS_PROVIDER);
    cached *c = skycrate__calloc(1, sizeof(*c));
    if (!c)
        return skycrate__error_nomem();
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        skycrate__free(c);
        return skycrate__error_set(SKYCRATE_ERROR, "could not create a mutex");
    }
    if (pthread_cond_init(&c->finished, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        skycrate__free(c);
        return skycrate__error_set(SKYCRATE_ERROR, "could not create a condition variable");
    }
    c->ahead =
        refresh_ahead_seconds ? refresh_ahead_seconds : SKYCRATE__CREDENTIALS_REFRESH_AHEAD_DEFAULT;
    c->inner = skycrate_credentials_provider_ref(inner);
    int error = skycrate__credentials_provider_wrap(out, cached_get, cached_free, c, name);
    if (error < 0)
        cached_free(c);
    else
        c->self = *out;
    return error;
}

int skycrate_credentials_provider_new_cached(skycrate_credentials_provider **out,
                                             skycrate_credentials_provider *inner,
                                             uint32_t refresh_ahead_seconds)
{
    return skycrate__credentials_provider_new_cached(out, inner, refresh_ahead_seconds, "cached");
}
