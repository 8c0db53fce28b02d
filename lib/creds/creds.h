/*
 * Credentials values and the provider seam (internal view).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_H
#define SKYCRATE_CREDS_H

#include <stdatomic.h>
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

/* The provider a client uses when none is configured (the environment now; the AWS chain later). */
int skycrate__credentials_provider_default(skycrate_credentials_provider **out);

#endif
