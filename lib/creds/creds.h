/*
 * Credentials values and the provider seam (internal view).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_H
#define SKYCRATE_CREDS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skycrate/credentials.h"

struct skycrate_credentials {
    uint32_t magic;
    atomic_int refcount;
    char *access_key_id;
    char *secret_access_key; /* wiped on free */
    char *session_token;     /* wiped on free; NULL when none */
    int64_t expiration;      /* seconds since the epoch; 0: never */
    /* SHA-256 of the secret: what the signing-key cache is keyed by (computed once here, not
     * on every signature) */
    uint8_t secret_hash[32];
};

struct skycrate_credentials_provider {
    uint32_t magic;
    atomic_int refcount;
    skycrate_credentials_provider_callbacks callbacks; /* the prefix known for its version */
    char *name;
    /* Credentials without expiry that the provider answers with for good, once known (the
     * static provider from its creation, the cached one once its source gave such
     * credentials), held by the provider itself; NULL otherwise. */
    _Atomic(skycrate_credentials *) fixed;
};

/*
 * The credentials `provider` answers with for good, if it knows them yet, else NULL: borrowed,
 * valid while the caller holds its reference to the provider. Reading them takes no
 * reference, so threads that sign with one shared provider write to no shared memory (the
 * presigner's hot path); with NULL, call skycrate_credentials_provider_get().
 */
const skycrate_credentials *
skycrate__credentials_provider_fixed(const skycrate_credentials_provider *provider);

/* How long before expiry the cached provider refreshes when told 0. */
#define SKYCRATE__CREDENTIALS_REFRESH_AHEAD_DEFAULT 300

struct skycrate__curl_options;
struct skycrate__creds_http;

/*
 * skycrate_credentials_new() for keys read from an answer (STS, a container, instance
 * metadata, a credential_process): a key id or token that no request could carry is a
 * malformed answer, SKYCRATE_EPARSE "<who>: ...".
 */
int skycrate__credentials_from_answer(skycrate_credentials **out, const char *access_key_id,
                                      const char *secret_access_key, const char *session_token,
                                      int64_t expiration, const char *who);

/*
 * The provider a client uses when none is configured: skycrate_credentials_provider_new_default
 * with no profile, its HTTP requests (STS, container, IMDS) made by a libcurl transport with
 * `curl`'s CA and user agent (NULL: defaults). `allow_http`: an STS endpoint may be plain http
 * to a host that is not loopback (the client's skycrate_client_config_set_allow_http()).
 */
int skycrate__credentials_provider_default(skycrate_credentials_provider **out);
int skycrate__credentials_provider_default_ex(skycrate_credentials_provider **out,
                                              const char *profile,
                                              const struct skycrate__curl_options *curl,
                                              bool allow_http);

/*
 * The uncached chain of the default provider, named "default": environment (left out when
 * `profile` is given, as botocore does for an explicit profile), profile, web identity,
 * container, instance metadata. Network providers use `http` (a reference is taken).
 */
int skycrate__credentials_provider_new_default_chain(skycrate_credentials_provider **out,
                                                     const char *profile,
                                                     struct skycrate__creds_http *http);

/* The cached provider with a name of its own (the public one is named "cached"). */
int skycrate__credentials_provider_new_cached(skycrate_credentials_provider **out,
                                              skycrate_credentials_provider *inner,
                                              uint32_t refresh_ahead_seconds, const char *name);

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
