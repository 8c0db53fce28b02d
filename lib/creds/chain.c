/*
 * A chain of providers, tried in order until one has credentials, and the default provider:
 * the AWS SDKs' chain behind the cached provider.
 * SPDX-License-Identifier: MIT
 */
#include "creds/creds.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "creds/net.h"
#include "creds/profile.h"
#include "creds/remote.h"

typedef struct {
    size_t count;
    skycrate_credentials_provider *providers[];
} chain;

static void chain_free(void *user_data)
{
    chain *c = user_data;
    for (size_t i = 0; i < c->count; i++)
        skycrate_credentials_provider_unref(c->providers[i]);
    skycrate__free(c);
}

/* The message of a provider that had nothing, without the "credentials provider 'x': " part. */
static const char *reason(void)
{
    const char *m = skycrate_error_last()->message;
    if (strncmp(m, "credentials provider '", 22) == 0) {
        const char *end = strstr(m + 22, "': ");
        if (end)
            return end + 3;
    }
    return m;
}

static int chain_get(skycrate_credentials **out, void *user_data)
{
    chain *c = user_data;
    char tried[SKYCRATE_ERROR_MESSAGE_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->count; i++) {
        int rc = skycrate_credentials_provider_get(out, c->providers[i]);
        /* Success, or a real failure (a broken file, a failing process): the chain stops. */
        if (rc != SKYCRATE_ENOTFOUND)
            return rc;
        if (used < sizeof(tried)) {
            int n = snprintf(tried + used, sizeof(tried) - used, "%s%s: %s", used ? "; " : "",
                             skycrate_credentials_provider_name(c->providers[i]), reason());
            used += n > 0 ? (size_t)n : 0;
        }
    }
    return skycrate__error_set(SKYCRATE_ENOTFOUND, "no credentials found (%s)", tried);
}

int skycrate__credentials_provider_new_chain(skycrate_credentials_provider **out, const char *name,
                                             skycrate_credentials_provider *const *providers,
                                             size_t count)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(providers || count == 0);
    for (size_t i = 0; i < count; i++)
        SKYCRATE_ASSERT_HANDLE(providers[i], SKYCRATE_MAGIC_CREDENTIALS_PROVIDER);
    chain *c = skycrate__calloc(1, sizeof(*c) + count * sizeof(c->providers[0]));
    if (!c)
        return skycrate__error_nomem();
    c->count = count;
    for (size_t i = 0; i < count; i++)
        c->providers[i] = skycrate_credentials_provider_ref(providers[i]);
    int error = skycrate__credentials_provider_wrap(out, chain_get, chain_free, c, name);
    if (error < 0)
        chain_free(c);
    return error;
}

int skycrate_credentials_provider_new_chain(skycrate_credentials_provider **out,
                                            skycrate_credentials_provider *const *providers,
                                            size_t count)
{
    return skycrate__credentials_provider_new_chain(out, "chain", providers, count);
}

/* --- the default provider ------------------------------------------------------------------ */

int skycrate__credentials_provider_new_default_chain(skycrate_credentials_provider **out,
                                                     const char *profile,
                                                     skycrate__creds_http *http)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(http);
    skycrate_credentials_provider *links[5] = {NULL, NULL, NULL, NULL, NULL};
    size_t n = 0;
    int error = 0;
    bool explicit_profile = profile && *profile;
    /* botocore: a profile named in code takes the place of the environment's keys. */
    if (!explicit_profile && (error = skycrate_credentials_provider_new_env(&links[n++])) < 0)
        goto done;
    if ((error = skycrate__credentials_provider_new_profile_http(&links[n++], profile, 0, http)) <
            0 ||
        (error = skycrate__credentials_provider_new_web_identity(&links[n++], http)) < 0 ||
        (error = skycrate__credentials_provider_new_container(&links[n++], http)) < 0 ||
        (error = skycrate__credentials_provider_new_imds(&links[n++], http)) < 0)
        goto done;
    error = skycrate__credentials_provider_new_chain(out, "default", links, n);
done:
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(links); i++)
        skycrate_credentials_provider_unref(links[i]);
    return error;
}

int skycrate__credentials_provider_default_ex(skycrate_credentials_provider **out,
                                              const char *profile,
                                              const skycrate__curl_options *curl, bool allow_http)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    skycrate__creds_http *http = NULL;
    skycrate_credentials_provider *links = NULL;
    int error = skycrate__creds_http_new(&http, NULL, curl);
    if (error < 0)
        return error;
    skycrate__creds_http_set_allow_http(http, allow_http);
    if ((error = skycrate__credentials_provider_new_default_chain(&links, profile, http)) == 0)
        error = skycrate__credentials_provider_new_cached(out, links, 0, "default");
    skycrate_credentials_provider_unref(links);
    skycrate__creds_http_unref(http);
    return error;
}

int skycrate__credentials_provider_default(skycrate_credentials_provider **out)
{
    return skycrate__credentials_provider_default_ex(out, NULL, NULL, false);
}

int skycrate_credentials_provider_new_default(skycrate_credentials_provider **out,
                                              const char *profile)
{
    return skycrate__credentials_provider_default_ex(out, profile, NULL, false);
}
