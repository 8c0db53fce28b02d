/*
 * The container credentials endpoint (ECS task roles, EKS Pod Identity): a GET to the URI in
 * the environment with an optional authorization token, answered with credentials JSON. Also
 * the reader of that JSON, which instance metadata shares.
 * SPDX-License-Identifier: MIT
 */
#include "creds/remote.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/common.h"
#include "core/time.h"
#include "errors.h"

#define CONTAINER_CONNECT_TIMEOUT_MS 2000u
#define CONTAINER_TIMEOUT_MS 5000u

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* --- the answer ---------------------------------------------------------------------------- */

static void wipe_json_string(json_t *v)
{
    if (json_is_string(v))
        skycrate__wipe((char *)json_string_value(v), json_string_length(v));
}

/* A string member: required and non-empty, or optional (absent or null is NULL). */
static int member(const char **out, json_t *root, const char *name, bool required, const char *who)
{
    json_t *v = json_object_get(root, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        return skycrate__error_set(SKYCRATE_EPARSE, "%s: the answer has no %s", who, name);
    }
    if (!json_is_string(v) || (required && json_string_length(v) == 0))
        return skycrate__error_set(SKYCRATE_EPARSE, "%s: %s in the answer is not a %sstring", who,
                                   name, required ? "non-empty " : "");
    *out = json_string_value(v);
    return 0;
}

int skycrate__credentials_json_parse(skycrate_credentials **out, const char *json, size_t len,
                                     const char *who)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(json || len == 0);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) /* it may hold credentials: only the position of the error is shown */
        return skycrate__error_from_json(SKYCRATE_EPARSE, &jerr, false,
                                         "%s: the answer is not JSON", who);
    int error = 0;
    if (!json_is_object(root)) {
        error = skycrate__error_set(SKYCRATE_EPARSE, "%s: the answer is not a JSON object", who);
        goto done;
    }
    const char *code, *akid, *secret, *token, *expiration;
    if ((error = member(&code, root, "Code", false, who)) < 0)
        goto done;
    if (code && strcmp(code, "Success") != 0) {
        error = skycrate__error_set(SKYCRATE_EAUTH, "%s: the answer's Code is %.64s, not Success",
                                    who, code);
        goto done;
    }
    if ((error = member(&akid, root, "AccessKeyId", true, who)) < 0 ||
        (error = member(&secret, root, "SecretAccessKey", true, who)) < 0 ||
        (error = member(&token, root, "Token", false, who)) < 0 ||
        (error = member(&expiration, root, "Expiration", false, who)) < 0)
        goto done;
    int64_t expires = 0;
    if (expiration && skycrate__parse_iso8601(&expires, expiration) < 0) {
        error = skycrate__error_set(SKYCRATE_EPARSE,
                                    "%s: Expiration in the answer is not an ISO 8601 time", who);
        goto done;
    }
    error = skycrate__credentials_from_answer(out, akid, secret, token, expires, who);
done:
    wipe_json_string(json_object_get(root, "SecretAccessKey"));
    wipe_json_string(json_object_get(root, "Token"));
    json_decref(root);
    return error;
}

/* --- the endpoint -------------------------------------------------------------------------- */

/* http is allowed to loopback and to the link-local hosts of ECS and EKS Pod Identity. */
static bool http_host_allowed(const skycrate__url_parts *u)
{
    static const char *const hosts[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"};
    if (skycrate__host_is_loopback(u->host, u->host_length))
        return true;
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(hosts); i++)
        if (strlen(hosts[i]) == u->host_length && !strncmp(u->host, hosts[i], u->host_length))
            return true;
    return false;
}

static int container_url(skycrate__buf *out)
{
    const char *relative = env_value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env_value("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (relative) {
        if (relative[0] != '/' || strpbrk(relative, " \t\r\n"))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path "
                                       "starting with '/'");
        return skycrate__buf_printf(out, "%s%s", SKYCRATE__CONTAINER_HOST, relative);
    }
    if (!full)
        return skycrate__error_set(SKYCRATE_ENOTFOUND,
                                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                                   "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
    skycrate__url_parts u;
    if (skycrate__url_split(&u, full) < 0)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http:// or "
                                   "https:// URL");
    if (!u.https && !http_host_allowed(&u))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "AWS_CONTAINER_CREDENTIALS_FULL_URI uses plain http to %.*s: "
                                   "only https, loopback addresses and the ECS/EKS hosts "
                                   "169.254.170.2, 169.254.170.23 and fd00:ec2::23 are allowed",
                                   (int)u.host_length, u.host);
    return skycrate__buf_puts(out, full);
}

/* The authorization token: the file first (it is rotated), then the variable. */
static int container_token(char **out)
{
    *out = NULL;
    const char *file = env_value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *value = env_value("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    int error = 0;
    const char *from = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    if (file) {
        from = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
        if ((error = skycrate__read_token_file(out, file, "container authorization token file")) <
            0)
            return skycrate__error_prefix("%s", from);
    } else if (value) {
        if (!(*out = skycrate__strdup(value)))
            return skycrate__error_nomem();
    }
    if (*out && strpbrk(*out, "\r\n")) {
        skycrate__free_secret(*out);
        *out = NULL;
        return skycrate__error_set(SKYCRATE_EINVAL, "the token of %s holds a line break", from);
    }
    return 0;
}

/* An error answer may carry {"message": ...} (not a secret); say it, shortened. */
static int refused(const skycrate__creds_reply *reply, const char *url)
{
    const char *message = NULL;
    json_t *root = json_loadb(reply->body, reply->length, 0, NULL);
    if (json_is_object(root)) {
        json_t *m = json_object_get(root, "message");
        if (!m)
            m = json_object_get(root, "Message");
        if (json_is_string(m))
            message = json_string_value(m);
    }
    int code = reply->status >= 400 && reply->status < 500 ? SKYCRATE_EAUTH : SKYCRATE_EHTTP;
    int error = skycrate__error_set(code, "the container endpoint %.*s answered HTTP %d%s%.200s",
                                    (int)strcspn(url, "?#"), url, reply->status,
                                    message ? ": " : "", message ? message : "");
    json_decref(root);
    return error;
}

int skycrate__container_fetch(skycrate_credentials **out, skycrate__creds_http *http)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(http);
    skycrate__buf url = SKYCRATE_BUF_INIT;
    char *token = NULL;
    skycrate__creds_reply reply;
    memset(&reply, 0, sizeof(reply));
    int error;
    if ((error = container_url(&url)) < 0 || (error = container_token(&token)) < 0)
        goto done;
    skycrate__kv headers[2] = {{"Accept", "application/json"}, {"Authorization", token}};
    skycrate__creds_fetch fetch = {
        .method = "GET",
        .url = url.ptr,
        .headers = headers,
        .header_count = token ? 2 : 1,
        .connect_timeout_ms = CONTAINER_CONNECT_TIMEOUT_MS,
        .timeout_ms = CONTAINER_TIMEOUT_MS,
        .attempts = 3,
    };
    if ((error = skycrate__creds_http_fetch(&reply, http, &fetch)) < 0) {
        skycrate__error_prefix("the container endpoint");
        goto done;
    }
    if (reply.status != 200) {
        error = refused(&reply, url.ptr);
        goto done;
    }
    char who[300];
    snprintf(who, sizeof(who), "the container endpoint %.*s", (int)strcspn(url.ptr, "?#"), url.ptr);
    error = skycrate__credentials_json_parse(out, reply.body, reply.length, who);
done:
    skycrate__creds_reply_dispose(&reply);
    skycrate__free_secret(token);
    skycrate__buf_dispose(&url);
    return error;
}

static int container_get(skycrate_credentials **out, void *user_data)
{
    return skycrate__container_fetch(out, user_data);
}

int skycrate__credentials_provider_new_container(skycrate_credentials_provider **out,
                                                 skycrate__creds_http *http)
{
    return skycrate__creds_http_provider_new(out, http, container_get, "container");
}
