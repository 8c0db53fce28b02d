/*
 * Web identity: a token file (a Kubernetes service-account token, say) traded for role
 * credentials with STS AssumeRoleWithWebIdentity; from the environment (the IRSA variables) or
 * from a profile's web_identity_token_file.
 * SPDX-License-Identifier: MIT
 */
#include "creds/remote.h"

#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "creds/sts.h"

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int skycrate__web_identity_fetch(skycrate_credentials **out, skycrate__creds_http *http,
                                 const skycrate__web_identity *wi, const skycrate__aws_config *cfg)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(http && wi && wi->token_file && wi->role_arn && cfg);
    char *token = NULL;
    skycrate__sts_endpoint endpoint;
    memset(&endpoint, 0, sizeof(endpoint));
    int error = skycrate__read_token_file(&token, wi->token_file, "web identity token file");
    if (error < 0) {
        skycrate__error_prefix("%s", wi->who);
        goto done;
    }
    if ((error = skycrate__sts_endpoint_resolve(&endpoint, cfg)) < 0)
        goto done;
    skycrate__sts_request r = {
        .role_arn = wi->role_arn,
        .session_name = wi->session_name,
        .duration_seconds = wi->duration_seconds,
        .web_identity_token = token,
        .endpoint = &endpoint,
        .who = wi->who,
    };
    error = skycrate__sts_assume_role(out, http, &r);
done:
    skycrate__sts_endpoint_dispose(&endpoint);
    skycrate__free_secret(token);
    return error;
}

static int env_web_identity_get(skycrate_credentials **out, void *user_data)
{
    skycrate__creds_http *http = user_data;
    const char *file = env_value("AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *role = env_value("AWS_ROLE_ARN");
    if (!file)
        return skycrate__error_set(SKYCRATE_ENOTFOUND, "AWS_WEB_IDENTITY_TOKEN_FILE is not set");
    if (!role)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    skycrate__aws_config cfg; /* for the region and the STS endpoint */
    int error = skycrate__aws_config_load(&cfg, NULL);
    if (error < 0)
        return error;
    skycrate__web_identity wi = {
        .token_file = file,
        .role_arn = role,
        .session_name = env_value("AWS_ROLE_SESSION_NAME"),
        .who = "AWS_WEB_IDENTITY_TOKEN_FILE",
    };
    error = skycrate__web_identity_fetch(out, http, &wi, &cfg);
    skycrate__aws_config_dispose(&cfg);
    return error;
}

int skycrate__credentials_provider_new_web_identity(skycrate_credentials_provider **out,
                                                    skycrate__creds_http *http)
{
    return skycrate__creds_http_provider_new(out, http, env_web_identity_get, "web identity");
}
