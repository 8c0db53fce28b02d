/*
 * AWS STS for the credential providers: AssumeRole (SigV4-signed with the source credentials,
 * service "sts") and AssumeRoleWithWebIdentity (unsigned), as Query API form POSTs
 * (`Action=...&Version=2011-06-15&...`) to a regional endpoint or the configured one.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_STS_H
#define SKYCRATE_CREDS_STS_H

#include <stdint.h>

#include "creds/creds.h"
#include "creds/net.h"
#include "creds/profile.h"

/* Where STS requests go. */
typedef struct skycrate__sts_endpoint {
    char *url;        /* "https://sts.eu-west-1.amazonaws.com" or the configured URL */
    char *region;     /* the signing region */
    const char *from; /* "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", "services",
                         "profile sub-section", "profile", or "default" */
} skycrate__sts_endpoint;

/*
 * Resolves the STS endpoint for cfg's profile: the region (AWS_REGION, AWS_DEFAULT_REGION,
 * profile `region`; none: us-east-1), then the endpoint (AWS_ENDPOINT_URL_STS,
 * AWS_ENDPOINT_URL, the profile's services section, its nested `sts = endpoint_url`, its
 * `endpoint_url`; none: https://sts.{region}.amazonaws.com, .amazonaws.com.cn for cn-*).
 * Returns 0, SKYCRATE_EINVAL (a malformed region or URL, naming where it came from) or
 * SKYCRATE_ENOMEM.
 */
int skycrate__sts_endpoint_resolve(skycrate__sts_endpoint *out, const skycrate__aws_config *cfg);
void skycrate__sts_endpoint_dispose(skycrate__sts_endpoint *endpoint);

/* STS's own limits on DurationSeconds (a role's maximum may be lower). */
#define SKYCRATE__STS_MIN_DURATION 900
#define SKYCRATE__STS_MAX_DURATION 43200

typedef struct skycrate__sts_request {
    const char *role_arn;      /* required */
    const char *session_name;  /* NULL: "skycrate-session-<unix time>" */
    const char *external_id;   /* AssumeRole only; NULL: not sent */
    uint32_t duration_seconds; /* 0: not sent (STS's default, one hour) */
    /* AssumeRole: the credentials that sign the request. */
    const skycrate_credentials *source;
    /* AssumeRoleWithWebIdentity: the token (a secret). Exactly one of source and token. */
    const char *web_identity_token;
    const skycrate__sts_endpoint *endpoint;
    const char *who; /* names the configuration in messages: "profile 'dev'", "AWS_ROLE_ARN" */
} skycrate__sts_request;

#define SKYCRATE__STS_TIMEOUT_MS 10000u
#define SKYCRATE__STS_CONNECT_TIMEOUT_MS 3000u

/*
 * Calls AssumeRole (when `source` is set) or AssumeRoleWithWebIdentity. Up to three tries for
 * transport failures and 5xx answers. Returns 0 with the session credentials (with their
 * expiration); SKYCRATE_EAUTH for STS's refusals (AccessDenied, InvalidIdentityToken,
 * ExpiredToken, an unknown role: with STS's code, message and request id); SKYCRATE_EEXPIRED
 * when the source credentials or token have expired (ExpiredToken*); SKYCRATE_EPARSE for an
 * answer that is not a valid STS document; SKYCRATE_EHTTP for other answers; the transport's
 * code (SKYCRATE_ECONNECT, SKYCRATE_ETIMEOUT, SKYCRATE_ETLS); SKYCRATE_ENOMEM. Messages name the
 * action, the role and `who`, never a secret.
 */
int skycrate__sts_assume_role(skycrate_credentials **out, skycrate__creds_http *http,
                              const skycrate__sts_request *request);

/* The form body of a request (exposed for tests); the caller disposes `out` as a secret. */
int skycrate__sts_form(skycrate__buf *out, const skycrate__sts_request *request, int64_t now);

#endif
