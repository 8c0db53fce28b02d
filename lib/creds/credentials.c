/*
 * Credentials values: immutable, reference-counted, wiped when the last reference goes.
 * SPDX-License-Identifier: MIT
 */
#include "creds/creds.h"

#include <string.h>

#include "core/common.h"
#include "core/syntax.h"
#include "crypto/crypto.h"

int skycrate_credentials_new(skycrate_credentials **out, const char *access_key_id,
                             const char *secret_access_key, const char *session_token,
                             int64_t expiration)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    if (!access_key_id || !*access_key_id)
        return skycrate__error_set(SKYCRATE_EINVAL, "credentials need an access key id");
    if (!secret_access_key || !*secret_access_key)
        return skycrate__error_set(SKYCRATE_EINVAL, "credentials need a secret access key");
    /* They often come from a server's answer (STS, a container, instance metadata) or a
     * program's output, and go into request headers and URLs: the key id into the credential
     * scope ("AKID/date/region/service", comma-separated in Authorization), the token as a
     * header value. */
    if (!skycrate__http_token_ok(access_key_id) || strpbrk(access_key_id, "/,"))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "the access key id has a character outside letters, digits "
                                   "and HTTP token punctuation, or a '/' or ','");
    if (session_token && !skycrate__http_value_ok(session_token))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "the session token has a line break or another character "
                                   "outside printable ASCII");

    skycrate_credentials *c = skycrate__calloc(1, sizeof(*c));
    if (!c)
        return skycrate__error_nomem();
    c->magic = SKYCRATE_MAGIC_CREDENTIALS;
    atomic_init(&c->refcount, 1);
    c->expiration = expiration;
    c->access_key_id = skycrate__strdup(access_key_id);
    c->secret_access_key = skycrate__strdup(secret_access_key);
    /* An empty token (AWS_SESSION_TOKEN="") means none. */
    if (session_token && *session_token)
        c->session_token = skycrate__strdup(session_token);
    if (!c->access_key_id || !c->secret_access_key ||
        (session_token && *session_token && !c->session_token)) {
        skycrate_credentials_unref(c);
        return skycrate__error_nomem();
    }
    skycrate__sha256(c->secret_hash, c->secret_access_key, strlen(c->secret_access_key));
    *out = c;
    return 0;
}

int skycrate__credentials_from_answer(skycrate_credentials **out, const char *access_key_id,
                                      const char *secret_access_key, const char *session_token,
                                      int64_t expiration, const char *who)
{
    int error =
        skycrate_credentials_new(out, access_key_id, secret_access_key, session_token, expiration);
    if (error == SKYCRATE_EINVAL)
        error = skycrate__error_set(SKYCRATE_EPARSE,
                                    "%s: the key id or the token has a character that no "
                                    "request can carry",
                                    who);
    return error;
}

skycrate_credentials *skycrate_credentials_ref(skycrate_credentials *credentials)
{
    if (!SKYCRATE_VALID_HANDLE(credentials, SKYCRATE_MAGIC_CREDENTIALS))
        return NULL;
    atomic_fetch_add_explicit(&credentials->refcount, 1, memory_order_relaxed);
    return credentials;
}

void skycrate_credentials_unref(skycrate_credentials *credentials)
{
    if (!SKYCRATE_VALID_HANDLE(credentials, SKYCRATE_MAGIC_CREDENTIALS))
        return;
    if (atomic_fetch_sub_explicit(&credentials->refcount, 1, memory_order_acq_rel) != 1)
        return;
    skycrate__free(credentials->access_key_id);
    skycrate__free_secret(credentials->secret_access_key);
    skycrate__free_secret(credentials->session_token);
    skycrate__wipe(credentials, sizeof(*credentials));
    skycrate__free(credentials);
}

const char *skycrate_credentials_access_key_id(const skycrate_credentials *credentials)
{
    return SKYCRATE_VALID_HANDLE(credentials, SKYCRATE_MAGIC_CREDENTIALS)
               ? credentials->access_key_id
               : NULL;
}

const char *skycrate_credentials_secret_access_key(const skycrate_credentials *credentials)
{
    return SKYCRATE_VALID_HANDLE(credentials, SKYCRATE_MAGIC_CREDENTIALS)
               ? credentials->secret_access_key
               : NULL;
}

const char *skycrate_credentials_session_token(const skycrate_credentials *credentials)
{
    return SKYCRATE_VALID_HANDLE(credentials, SKYCRATE_MAGIC_CREDENTIALS)
               ? credentials->session_token
               : NULL;
}

int64_t skycrate_credentials_expiration(const skycrate_credentials *credentials)
{
    return SKYCRATE_VALID_HANDLE(credentials, SKYCRATE_MAGIC_CREDENTIALS) ? credentials->expiration
                                                                          : 0;
}
