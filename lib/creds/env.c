/*
 * The environment provider: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
 * AWS_CREDENTIAL_EXPIRATION, read each time it is asked.
 * SPDX-License-Identifier: MIT
 */
#include "creds/creds.h"

#include <stdlib.h>

#include "core/common.h"
#include "core/time.h"

/* An unset and an empty variable are the same thing. */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int env_get(skycrate_credentials **out, void *user_data)
{
    (void)user_data;
    const char *akid = env_value("AWS_ACCESS_KEY_ID");
    const char *secret = env_value("AWS_SECRET_ACCESS_KEY");
    const char *token = env_value("AWS_SESSION_TOKEN");
    const char *expiration = env_value("AWS_CREDENTIAL_EXPIRATION");

    if (!akid && !secret)
        return skycrate__error_set(SKYCRATE_ENOTFOUND,
                                   "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    if (!akid || !secret)
        return skycrate__error_set(SKYCRATE_ENOTFOUND, "%s is set but %s is not",
                                   akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                   akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    int64_t expires = 0;
    if (expiration && skycrate__parse_iso8601(&expires, expiration) < 0)
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time "
                                   "(like 2026-11-22T19:15:00Z)");
    return skycrate_credentials_new(out, akid, secret, token, expires);
}

int skycrate_credentials_provider_new_env(skycrate_credentials_provider **out)
{
    SKYCRATE_ASSERT_ARG(out);
    return skycrate__credentials_provider_wrap(out, env_get, NULL, NULL, "environment");
}
