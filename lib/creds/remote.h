/*
 * The network credential providers of the AWS chain: web identity (STS
 * AssumeRoleWithWebIdentity with a token file), the container endpoint (ECS, EKS Pod
 * Identity) and EC2 instance metadata (IMDSv2). Each has a fetch function (also used by the
 * profile provider for credential_source and web_identity_token_file) and a provider made
 * with the public callback table.
 *
 * ENOTFOUND means "this source is not configured here" and lets a chain move on; a source
 * that is configured but broken (a missing token file, an endpoint that is down, a malformed
 * answer) is an error that stops it, as in the AWS SDKs.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_REMOTE_H
#define SKYCRATE_CREDS_REMOTE_H

#include <stdint.h>

#include "creds/creds.h"
#include "creds/net.h"
#include "creds/profile.h"

/* --- web identity -------------------------------------------------------------------------- */

typedef struct skycrate__web_identity {
    const char *token_file; /* read at each fetch (tokens are rotated) */
    const char *role_arn;
    const char *session_name;  /* NULL: skycrate-session-<time> */
    uint32_t duration_seconds; /* 0: STS's default */
    const char *who;           /* "AWS_WEB_IDENTITY_TOKEN_FILE", "profile 'x'" */
} skycrate__web_identity;

/*
 * Reads the token and calls AssumeRoleWithWebIdentity at the STS endpoint of cfg's profile.
 * Returns 0, SKYCRATE_EIO (the token file), or the codes of skycrate__sts_assume_role().
 */
int skycrate__web_identity_fetch(skycrate_credentials **out, skycrate__creds_http *http,
                                 const skycrate__web_identity *wi, const skycrate__aws_config *cfg);

/*
 * A provider named "web identity" for AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
 * AWS_ROLE_SESSION_NAME (the Kubernetes IRSA path), read at each get. Its get returns
 * SKYCRATE_ENOTFOUND without AWS_WEB_IDENTITY_TOKEN_FILE, SKYCRATE_EINVAL when AWS_ROLE_ARN is
 * missing, and the codes of skycrate__web_identity_fetch(). Takes a reference to `http`.
 */
int skycrate__credentials_provider_new_web_identity(skycrate_credentials_provider **out,
                                                    skycrate__creds_http *http);

/* --- container ----------------------------------------------------------------------------- */

/* Where the container endpoint of the relative URI lives (ECS). */
#define SKYCRATE__CONTAINER_HOST "http://169.254.170.2"

/*
 * GETs the credentials from AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 * SKYCRATE__CONTAINER_HOST) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a
 * loopback address or the ECS/EKS link-local hosts 169.254.170.2, 169.254.170.23 and
 * fd00:ec2::23), with the Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN. Returns 0; SKYCRATE_ENOTFOUND when neither URI is set;
 * SKYCRATE_EINVAL for a URI that is not allowed or a token with a line break; SKYCRATE_EIO for
 * the token file; SKYCRATE_EAUTH for a refusal (4xx); SKYCRATE_EHTTP for other answers;
 * SKYCRATE_EPARSE for a malformed answer; the transport's code when the endpoint is down.
 */
int skycrate__container_fetch(skycrate_credentials **out, skycrate__creds_http *http);

/* A provider named "container" over skycrate__container_fetch(). Takes a reference to `http`. */
int skycrate__credentials_provider_new_container(skycrate_credentials_provider **out,
                                                 skycrate__creds_http *http);

/*
 * Reads the credentials JSON of the container endpoint and of instance metadata:
 * {"AccessKeyId", "SecretAccessKey", "Token"?, "Expiration"?, "Code"?}; a "Code" other than
 * "Success" is a refusal. `who` names the source in messages; values are never quoted.
 * Returns 0, SKYCRATE_EPARSE, SKYCRATE_EAUTH (Code) or SKYCRATE_ENOMEM.
 */
int skycrate__credentials_json_parse(skycrate_credentials **out, const char *json, size_t len,
                                     const char *who);

/* --- EC2 instance metadata ----------------------------------------------------------------- */

#define SKYCRATE__IMDS_ENDPOINT_IPV4 "http://169.254.169.254"
#define SKYCRATE__IMDS_ENDPOINT_IPV6 "http://[fd00:ec2::254]"
#define SKYCRATE__IMDS_TOKEN_TTL "21600"
#define SKYCRATE__IMDS_TIMEOUT_MS 1000u

/*
 * IMDSv2: PUT /latest/api/token (TTL SKYCRATE__IMDS_TOKEN_TTL), GET the role name, GET its
 * credentials. IMDSv1 (no token) only when the token request is answered 403, 404 or 405 and
 * AWS_EC2_METADATA_V1_DISABLED is not true. The endpoint is
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, else SKYCRATE__IMDS_ENDPOINT_IPV4 (or _IPV6 with
 * AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6); AWS_METADATA_SERVICE_TIMEOUT (seconds, default
 * 1) bounds each request and its connection; AWS_METADATA_SERVICE_NUM_ATTEMPTS (default 1)
 * tries. Returns 0; SKYCRATE_ENOTFOUND when AWS_EC2_METADATA_DISABLED is true, when no
 * service answers (not on EC2) or what answers is not instance metadata (an unexpected status
 * for the token or the role name), or when the instance has no role; SKYCRATE_EINVAL for a
 * bad setting; SKYCRATE_EAUTH when IMDSv1 would be needed but is disabled, or the credentials
 * are refused (401/403, a Code other than Success); SKYCRATE_EPARSE for malformed answers;
 * SKYCRATE_EHTTP, the transport's codes for the credentials request.
 */
int skycrate__imds_fetch(skycrate_credentials **out, skycrate__creds_http *http);

/* A provider named "instance metadata" over skycrate__imds_fetch(). Takes a reference. */
int skycrate__credentials_provider_new_imds(skycrate_credentials_provider **out,
                                            skycrate__creds_http *http);

#endif
