/*
 * EC2 instance metadata (IMDSv2): a session token, the name of the instance's role, then the
 * role's credentials. Short timeouts and one try by default, so that a machine that is not an
 * EC2 instance (a laptop) learns it within about a second and the chain ends.
 * SPDX-License-Identifier: MIT
 */
#include "creds/remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/common.h"

#define TOKEN_PATH "/latest/api/token"
#define ROLE_PATH "/latest/meta-data/iam/security-credentials/"

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static bool is_true(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

typedef struct {
    char *base; /* the endpoint without a trailing '/' */
    uint32_t timeout_ms;
    unsigned attempts;
    bool v1_allowed;
} imds_settings;

/* A small positive integer from the environment, or `fallback` when unset. */
static int env_number(unsigned *out, const char *name, unsigned fallback, unsigned max)
{
    const char *v = env_value(name);
    *out = fallback;
    if (!v)
        return 0;
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*end != '\0' || n == 0 || n > max || v[0] < '0' || v[0] > '9')
        return skycrate__error_set(SKYCRATE_EINVAL, "%s is not a number from 1 to %u", name, max);
    *out = (unsigned)n;
    return 0;
}

static int settings_read(imds_settings *s)
{
    memset(s, 0, sizeof(*s));
    const char *endpoint = env_value("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = env_value("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    unsigned seconds;
    int error;
    if ((error = env_number(&seconds, "AWS_METADATA_SERVICE_TIMEOUT", 1, 60)) < 0 ||
        (error = env_number(&s->attempts, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 10)) < 0)
        return error;
    s->timeout_ms = seconds * SKYCRATE__IMDS_TIMEOUT_MS;
    s->v1_allowed = !is_true(env_value("AWS_EC2_METADATA_V1_DISABLED"));
    if (endpoint) {
        skycrate__url_parts u;
        if (skycrate__url_split(&u, endpoint) < 0)
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http:// or "
                                       "https:// URL");
    } else if (!mode || strcasecmp(mode, "IPv4") == 0) {
        endpoint = SKYCRATE__IMDS_ENDPOINT_IPV4;
    } else if (strcasecmp(mode, "IPv6") == 0) {
        endpoint = SKYCRATE__IMDS_ENDPOINT_IPV6;
    } else {
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is not IPv4 or IPv6");
    }
    size_t n = strlen(endpoint);
    while (n > 0 && endpoint[n - 1] == '/')
        n--;
    s->base = skycrate__strndup(endpoint, n);
    return s->base ? 0 : skycrate__error_nomem();
}

/* One request; `token` NULL: IMDSv1 (no token header). */
static int imds_request(skycrate__creds_reply *reply, skycrate__creds_http *http,
                        const imds_settings *s, const char *method, const char *path,
                        const char *token)
{
    skycrate__buf url = SKYCRATE_BUF_INIT;
    int error = skycrate__buf_printf(&url, "%s%s", s->base, path);
    if (error < 0)
        return error;
    skycrate__kv header =
        token ? (skycrate__kv){"X-aws-ec2-metadata-token", token}
              : (skycrate__kv){"X-aws-ec2-metadata-token-ttl-seconds", SKYCRATE__IMDS_TOKEN_TTL};
    bool put = strcmp(method, "PUT") == 0;
    skycrate__creds_fetch fetch = {
        .method = method,
        .url = url.ptr,
        .headers = &header,
        .header_count = token || put ? 1 : 0,
        .connect_timeout_ms = s->timeout_ms,
        .timeout_ms = s->timeout_ms,
        .attempts = s->attempts,
    };
    error = skycrate__creds_http_fetch(reply, http, &fetch);
    skycrate__buf_dispose(&url);
    return error;
}

static int unexpected(const skycrate__creds_reply *reply, const imds_settings *s, const char *what)
{
    int code = reply->status == 401 || reply->status == 403 ? SKYCRATE_EAUTH : SKYCRATE_EHTTP;
    return skycrate__error_set(code, "instance metadata at %s: %s was answered HTTP %d", s->base,
                               what, reply->status);
}

/* The session token, or NULL for IMDSv1. ENOTFOUND when nothing answers. */
static int session_token(char **out, skycrate__creds_http *http, const imds_settings *s)
{
    *out = NULL;
    skycrate__creds_reply reply;
    int error = imds_request(&reply, http, s, "PUT", TOKEN_PATH, NULL);
    if (error == SKYCRATE_ECONNECT || error == SKYCRATE_ETIMEOUT) {
        /* Not an EC2 instance (or a container without a route to it): the chain ends. */
        char reason[SKYCRATE_ERROR_MESSAGE_MAX];
        snprintf(reason, sizeof(reason), "%s", skycrate_error_last()->message);
        error = skycrate__error_set(SKYCRATE_ENOTFOUND, "no instance metadata service at %s (%s)",
                                    s->base, reason);
    } else if (error == 0 && reply.status == 200) {
        size_t n = strcspn(reply.body, "\r\n");
        if (n == 0)
            error = skycrate__error_set(SKYCRATE_EPARSE,
                                        "instance metadata at %s: an empty session token", s->base);
        else if (!(*out = skycrate__strndup(reply.body, n)))
            error = skycrate__error_nomem();
    } else if (error == 0 && (reply.status == 403 || reply.status == 404 || reply.status == 405)) {
        /* IMDSv2 is not offered (or is off): IMDSv1, if allowed. */
        if (!s->v1_allowed)
            error = skycrate__error_set(SKYCRATE_EAUTH,
                                        "instance metadata at %s refused a session token (HTTP %d) "
                                        "and IMDSv1 is disabled by AWS_EC2_METADATA_V1_DISABLED",
                                        s->base, reply.status);
    } else if (error == 0) {
        /* Something answers, but not as instance metadata does: nothing here (botocore). */
        error = skycrate__error_set(SKYCRATE_ENOTFOUND,
                                    "no instance metadata service at %s (the session token "
                                    "request was answered HTTP %d)",
                                    s->base, reply.status);
    }
    skycrate__creds_reply_dispose(&reply);
    return error;
}

/* A role name is one path segment: no '/', no dot segments, nothing to escape. */
static bool role_name_ok(const char *name, size_t n)
{
    if (n == 0 || n > 128 || (n == 1 && name[0] == '.') || (n == 2 && !strncmp(name, "..", 2)))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("+=,.@_-", c)))
            return false;
    }
    return true;
}

/* Asks for the instance's role name and appends its credentials path (ROLE_PATH + name) to
 * `path`. No role is SKYCRATE_ENOTFOUND; a malformed name SKYCRATE_EPARSE. */
static int role_path(skycrate__buf *path, skycrate__creds_http *http, const imds_settings *s,
                     const char *token)
{
    skycrate__creds_reply reply;
    memset(&reply, 0, sizeof(reply));
    int error = imds_request(&reply, http, s, "GET", ROLE_PATH, token);
    if (error < 0) {
        skycrate__error_prefix("instance metadata at %s", s->base);
        goto done;
    }
    if (reply.status == 404) {
        error = skycrate__error_set(
            SKYCRATE_ENOTFOUND, "instance metadata at %s: the instance has no IAM role", s->base);
        goto done;
    }
    if (reply.status != 200) {
        /* No role to be had here (IMDS off, a proxy in the way): nothing here, as botocore. */
        error = skycrate__error_set(SKYCRATE_ENOTFOUND,
                                    "instance metadata at %s: the role name request was answered "
                                    "HTTP %d",
                                    s->base, reply.status);
        goto done;
    }
    size_t n = strcspn(reply.body, "\r\n");
    while (n > 0 && (reply.body[n - 1] == ' ' || reply.body[n - 1] == '\t'))
        n--;
    if (n == 0) {
        error = skycrate__error_set(
            SKYCRATE_ENOTFOUND, "instance metadata at %s: the instance has no IAM role", s->base);
        goto done;
    }
    if (!role_name_ok(reply.body, n)) {
        error = skycrate__error_set(SKYCRATE_EPARSE,
                                    "instance metadata at %s: the role name is not a valid IAM "
                                    "role name",
                                    s->base);
        goto done;
    }
    error = skycrate__buf_printf(path, ROLE_PATH "%.*s", (int)n, reply.body);
done:
    skycrate__creds_reply_dispose(&reply);
    return error;
}

int skycrate__imds_fetch(skycrate_credentials **out, skycrate__creds_http *http)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(http);
    if (is_true(env_value("AWS_EC2_METADATA_DISABLED")))
        return skycrate__error_set(SKYCRATE_ENOTFOUND,
                                   "instance metadata is disabled by AWS_EC2_METADATA_DISABLED");
    imds_settings s;
    char *token = NULL;
    skycrate__creds_reply reply;
    memset(&reply, 0, sizeof(reply));
    skycrate__buf path = SKYCRATE_BUF_INIT;
    int error = settings_read(&s);
    if (error < 0)
        goto done;
    if ((error = session_token(&token, http, &s)) < 0 ||
        (error = role_path(&path, http, &s, token)) < 0)
        goto done;
    if ((error = imds_request(&reply, http, &s, "GET", path.ptr, token)) < 0) {
        skycrate__error_prefix("instance metadata at %s", s.base);
        goto done;
    }
    if (reply.status != 200) {
        error = unexpected(&reply, &s, "the credentials request");
        goto done;
    }
    char who[300];
    snprintf(who, sizeof(who), "instance metadata at %s (role %s)", s.base,
             path.ptr + strlen(ROLE_PATH));
    error = skycrate__credentials_json_parse(out, reply.body, reply.length, who);
done:
    skycrate__creds_reply_dispose(&reply);
    skycrate__buf_dispose(&path);
    skycrate__free_secret(token);
    skycrate__free(s.base);
    return error;
}

static int imds_get(skycrate_credentials **out, void *user_data)
{
    return skycrate__imds_fetch(out, user_data);
}

int skycrate__credentials_provider_new_imds(skycrate_credentials_provider **out,
                                            skycrate__creds_http *http)
{
    return skycrate__creds_http_provider_new(out, http, imds_get, "instance metadata");
}
