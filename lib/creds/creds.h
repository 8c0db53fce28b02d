/*
 * Credentials values and the provider seam (internal view).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_H
#define SKYCRATE_CREDS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "skycrate/credentials.h"

struct skycrate_credentials {
    atomic_int refcount;
    char *access_key_id;
    char *secret_access_key; /* wiped on free */
    char *session_token;     /* wiped on free; NULL when none */
    int64_t expiration;      /* seconds since the epoch; 0: never */
};

struct skycrate_credentials_provider {
    atomic_int refcount;
    skycrate_credentials_provider_callbacks callbacks; /* the prefix known for its version */
    char *name;
};

/*
 * The provider a client uses when none is configured: a chain named "default" of the
 * environment and the shared-files profile (creds/profile.h) for now; the network providers
 * of the AWS chain (STS web identity, container, IMDS) come later.
 */
int skycrate__credentials_provider_default(skycrate_credentials_provider **out);

/*
 * A provider from a get function (and optional free) with a version-1 table: what the
 * built-in providers are made of. On failure `free_fn` is not called.
 */
int skycrate__credentials_provider_wrap(skycrate_credentials_provider **out,
                                        skycrate_credentials_get_fn get, void (*free_fn)(void *),
                                        void *user_data, const char *name);

/*
 * A chain: asks each provider in order and returns the first success or the first failure
 * other than SKYCRATE_ENOTFOUND; when every link has nothing it returns SKYCRATE_ENOTFOUND
 * with each link's reason. Takes its own reference to each provider.
 */
int skycrate__credentials_provider_new_chain(skycrate_credentials_provider **out, const char *name,
                                             skycrate_credentials_provider *const *providers,
                                             size_t count);

#endif
