/*
 * AWS STS AssumeRole and AssumeRoleWithWebIdentity: the Query API form, SigV4 with service
 * "sts" (AssumeRole only), the regional endpoint, and STS's answers read with lib/xml.
 * SPDX-License-Identifier: MIT
 */
#include "creds/sts.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/common.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "sigv4/sigv4.h"
#include "xml/sts.h"

/* --- the endpoint -------------------------------------------------------------------------- */

void skycrate__sts_endpoint_dispose(skycrate__sts_endpoint *endpoint)
{
    if (!endpoint)
        return;
    skycrate__free(endpoint->url);
    skycrate__free(endpoint->region);
    memset(endpoint, 0, sizeof(*endpoint));
}

int skycrate__sts_endpoint_resolve(skycrate__sts_endpoint *out, const skycrate__aws_config *cfg)
{
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    SKYCRATE_ASSERT_ARG(cfg);
    const char *region = NULL, *from = NULL, *url = NULL;
    int error = skycrate__aws_region(&region, &from, cfg);
    if (error < 0)
        return error;
    if (!region)
        region = "us-east-1";
    if ((error = skycrate__aws_service_endpoint(&url, &from, cfg, "sts", "AWS_ENDPOINT_URL_STS")) <
        0)
        return error;
    skycrate__buf b = SKYCRATE_BUF_INIT;
    if (url) {
        error = skycrate__buf_puts(&b, url);
        out->from = from;
    } else {
        bool china = strncmp(region, "cn-", 3) == 0;
        error =
            skycrate__buf_printf(&b, "https://sts.%s.amazonaws.com%s", region, china ? ".cn" : "");
        out->from = "default";
    }
    if (error < 0 || !(out->region = skycrate__strdup(region))) {
        skycrate__buf_dispose(&b);
        skycrate__sts_endpoint_dispose(out);
        return error < 0 ? error : skycrate__error_nomem();
    }
    out->url = skycrate__buf_detach(&b);
    return 0;
}

/* --- the request --------------------------------------------------------------------------- */

static int form_param(skycrate__buf *out, const char *name, const char *value)
{
    int error;
    if ((error = skycrate__buf_printf(out, "&%s=", name)) < 0)
        return error;
    return skycrate__uri_encode(out, value, strlen(value), false);
}

int skycrate__sts_form(skycrate__buf *out, const skycrate__sts_request *r, int64_t now)
{
    SKYCRATE_ASSERT_ARG(out && r && r->role_arn);
    bool web = r->source == NULL;
    char session[64];
    const char *name = r->session_name;
    if (!name) {
        snprintf(session, sizeof(session), "skycrate-session-%" PRId64, now);
        name = session;
    }
    /* Room for everything at once: growing would free copies of the token unwiped. */
    size_t raw = strlen(r->role_arn) + strlen(name) +
                 (r->web_identity_token ? strlen(r->web_identity_token) : 0) +
                 (r->external_id ? strlen(r->external_id) : 0);
    int error = skycrate__buf_grow(out, 256 + 3 * raw);
    if (error < 0)
        return error;
    /* The order botocore sends: Action, Version, then the operation's members in its model. */
    if ((error = skycrate__buf_printf(out, "Action=%s&Version=2011-06-15",
                                      web ? "AssumeRoleWithWebIdentity" : "AssumeRole")) < 0 ||
        (error = form_param(out, "RoleArn", r->role_arn)) < 0 ||
        (error = form_param(out, "RoleSessionName", name)) < 0)
        return error;
    if (web && (error = form_param(out, "WebIdentityToken", r->web_identity_token)) < 0)
        return error;
    if (r->duration_seconds &&
        (error = skycrate__buf_printf(out, "&DurationSeconds=%" PRIu32, r->duration_seconds)) < 0)
        return error;
    if (!web && r->external_id && (error = form_param(out, "ExternalId", r->external_id)) < 0)
        return error;
    return 0;
}

typedef struct {
    skycrate__buf body, url;
    skycrate__sigv4_output sig;
    char *path, *host;
    char amz_date[17];
    skycrate__kv headers[4];
    size_t header_count;
} sts_call;

static void call_dispose(sts_call *c)
{
    skycrate__buf_dispose_secret(&c->body); /* holds the web identity token */
    skycrate__buf_dispose(&c->url);
    /* The canonical request holds the source's session token. */
    skycrate__buf_dispose_secret(&c->sig.canonical_request);
    skycrate__sigv4_output_dispose(&c->sig);
    skycrate__free(c->path);
    skycrate__free(c->host);
}

static const char *action_of(const skycrate__sts_request *r)
{
    return r->source ? "AssumeRole" : "AssumeRoleWithWebIdentity";
}

/* "STS AssumeRole of role R for profile 'x' at URL" */
static int describe(skycrate__buf *out, const skycrate__sts_request *r)
{
    return skycrate__buf_printf(out, "STS %s of role %s for %s at %s", action_of(r), r->role_arn,
                                r->who ? r->who : "the configuration", r->endpoint->url);
}

/* The Host header (as curl sends it: the default port left out) and the path of the endpoint. */
static int target(sts_call *c, const skycrate__url_parts *u)
{
    bool default_port = u->port < 0 || (u->https && u->port == 443) || (!u->https && u->port == 80);
    skycrate__buf host = SKYCRATE_BUF_INIT;
    int error = default_port
                    ? skycrate__buf_put(&host, u->host, u->host_length)
                    : skycrate__buf_printf(&host, "%.*s:%d", (int)u->host_length, u->host, u->port);
    c->host = skycrate__buf_detach(&host);
    if (error < 0 || !c->host)
        return error < 0 ? error : skycrate__error_nomem();
    c->path = u->path_length ? skycrate__strndup(u->path, u->path_length) : skycrate__strdup("/");
    return c->path ? 0 : skycrate__error_nomem();
}

/* AssumeRole is signed with the source credentials: X-Amz-Date, the source's session token and
 * the Authorization header. */
static int sign(sts_call *c, const skycrate__sts_request *r, int64_t now)
{
    skycrate__format_amz_date(c->amz_date, now);
    c->headers[c->header_count++] = (skycrate__kv){"X-Amz-Date", c->amz_date};
    const char *token = skycrate_credentials_session_token(r->source);
    if (token)
        c->headers[c->header_count++] = (skycrate__kv){"X-Amz-Security-Token", token};
    char payload_hash[65];
    skycrate__sha256_hex(payload_hash, c->body.ptr, c->body.len);
    /* The canonical request gets the session token: make room first, so that it is not copied
     * by growing (the old copy would be freed unwiped). */
    int error =
        skycrate__buf_grow(&c->sig.canonical_request, 1024 + strlen(c->host) + 3 * strlen(c->path) +
                                                          (token ? strlen(token) : 0));
    if (error < 0)
        return error;
    skycrate__sigv4_input in = {
        .method = "POST",
        .host = c->host,
        .path = c->path,
        .headers = c->headers,
        .header_count = c->header_count,
        .payload_hash = payload_hash,
        .access_key_id = skycrate_credentials_access_key_id(r->source),
        .secret_access_key = skycrate_credentials_secret_access_key(r->source),
        .session_token = token,
        .region = r->endpoint->region,
        .service = "sts",
        .time = now,
        .flags = SKYCRATE__SIGV4_NORMALIZE_PATH | SKYCRATE__SIGV4_DOUBLE_ENCODE,
    };
    if ((error = skycrate__sigv4_sign_headers(&c->sig, &in)) < 0)
        return error;
    c->headers[c->header_count++] =
        (skycrate__kv){"Authorization", skycrate__buf_cstr(&c->sig.authorization)};
    return 0;
}

/* A web identity token, or source credentials and the session credentials that come back,
 * travel in clear over plain http: only to a loopback host, or where the client allows it. */
static int split_endpoint(skycrate__url_parts *u, const skycrate__sts_request *r,
                          const skycrate__creds_http *http)
{
    if (skycrate__url_split(u, r->endpoint->url) < 0)
        return skycrate__error_set(SKYCRATE_EINVAL, "the STS endpoint %s (from %s) is not a URL",
                                   r->endpoint->url, r->endpoint->from ? r->endpoint->from : "-");
    if (u->https || skycrate__plain_http_allowed(u->host, u->host_length,
                                                 skycrate__creds_http_allows_http(http)))
        return 0;
    return skycrate__error_set(SKYCRATE_EINVAL,
                               "the STS endpoint %s (from %s) is plain http to a host that is not "
                               "loopback: the credentials would travel in the clear; use https, "
                               "or allow plain http with skycrate_client_config_set_allow_http()",
                               r->endpoint->url, r->endpoint->from ? r->endpoint->from : "-");
}

/* Builds the URL (from `endpoint`, the endpoint's parts), the headers and (for AssumeRole) the
 * signature. */
static int prepare(sts_call *c, const skycrate__sts_request *r, const skycrate__url_parts *endpoint)
{
    int64_t now = skycrate__now_ms() / 1000;
    int error = skycrate__sts_form(&c->body, r, now);
    if (error < 0)
        return error;
    if ((error = target(c, endpoint)) < 0)
        return error;
    c->headers[c->header_count++] =
        (skycrate__kv){"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"};
    if (r->source && (error = sign(c, r, now)) < 0)
        return error;
    /* scheme://authority as configured, then the path as signed */
    const char *path = r->source ? skycrate__buf_cstr(&c->sig.encoded_path) : c->path;
    if ((error = skycrate__buf_put(&c->url, r->endpoint->url,
                                   (size_t)(endpoint->path - r->endpoint->url))) < 0)
        return error;
    return skycrate__buf_puts(&c->url, path);
}

/* The library code for an STS error code. */
static int code_for(const char *code, int status)
{
    static const struct {
        const char *code;
        int rc;
    } map[] = {
        {"ExpiredToken", SKYCRATE_EEXPIRED},          {"ExpiredTokenException", SKYCRATE_EEXPIRED},
        {"ValidationError", SKYCRATE_EINVAL},         {"InvalidParameterValue", SKYCRATE_EINVAL},
        {"MalformedPolicyDocument", SKYCRATE_EINVAL}, {"Throttling", SKYCRATE_ETHROTTLED},
        {"ThrottlingException", SKYCRATE_ETHROTTLED}, {"RequestLimitExceeded", SKYCRATE_ETHROTTLED},
    };
    for (size_t i = 0; code && i < SKYCRATE_ARRAY_SIZE(map); i++)
        if (strcmp(code, map[i].code) == 0)
            return map[i].rc;
    if (status >= 500)
        return SKYCRATE_EHTTP;
    if (status == 400 || status == 401 || status == 403 || status == 404)
        return SKYCRATE_EAUTH;
    return SKYCRATE_EHTTP;
}

static int refused(const skycrate__sts_request *r, const skycrate__creds_reply *reply)
{
    skycrate__sts_error_doc doc;
    skycrate__buf what = SKYCRATE_BUF_INIT;
    int error = describe(&what, r);
    if (error < 0)
        return error;
    if (skycrate__sts_error_doc_parse(&doc, reply->body, reply->length) < 0) {
        skycrate__sts_error_doc_dispose(&doc);
        error = skycrate__error_set(code_for(NULL, reply->status),
                                    "%s: HTTP %d without an STS error document",
                                    skycrate__buf_cstr(&what), reply->status);
    } else {
        error = skycrate__error_set(
            code_for(doc.code, reply->status), "%s: %s%s%.300s (HTTP %d%s%s)",
            skycrate__buf_cstr(&what), doc.code ? doc.code : "an error",
            doc.message && *doc.message ? ": " : "", doc.message ? doc.message : "", reply->status,
            doc.request_id ? ", request id " : "", doc.request_id ? doc.request_id : "");
        skycrate__sts_error_doc_dispose(&doc);
    }
    skycrate__buf_dispose(&what);
    return error;
}

int skycrate__sts_assume_role(skycrate_credentials **out, skycrate__creds_http *http,
                              const skycrate__sts_request *request)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(http && request && request->role_arn && request->endpoint);
    SKYCRATE_ASSERT_ARG(!request->source != !request->web_identity_token);
    sts_call c;
    memset(&c, 0, sizeof(c));
    skycrate__creds_reply reply;
    memset(&reply, 0, sizeof(reply));
    skycrate__sts_credentials_doc doc;
    memset(&doc, 0, sizeof(doc));
    skycrate__url_parts endpoint;
    int error = split_endpoint(&endpoint, request, http);
    if (error == 0)
        error = prepare(&c, request, &endpoint);
    if (error < 0)
        goto done;
    skycrate__creds_fetch fetch = {
        .method = "POST",
        .url = skycrate__buf_cstr(&c.url),
        .headers = c.headers,
        .header_count = c.header_count,
        .body = c.body.ptr,
        .body_length = c.body.len,
        .connect_timeout_ms = SKYCRATE__STS_CONNECT_TIMEOUT_MS,
        .timeout_ms = SKYCRATE__STS_TIMEOUT_MS,
        .attempts = 3,
    };
    if ((error = skycrate__creds_http_fetch(&reply, http, &fetch)) < 0) {
        skycrate__buf what = SKYCRATE_BUF_INIT;
        if (describe(&what, request) == 0)
            skycrate__error_prefix("%s", skycrate__buf_cstr(&what));
        skycrate__buf_dispose(&what);
        goto done;
    }
    if (reply.status != 200) {
        error = refused(request, &reply);
        goto done;
    }
    error = skycrate__sts_credentials_parse(&doc, reply.body, reply.length);
    if (error < 0)
        skycrate__error_prefix("the answer");
    else
        error = skycrate__credentials_from_answer(out, doc.access_key_id, doc.secret_access_key,
                                                  doc.session_token, doc.expiration, "the answer");
    if (error < 0) {
        skycrate__buf what = SKYCRATE_BUF_INIT;
        if (describe(&what, request) == 0)
            skycrate__error_prefix("%s", skycrate__buf_cstr(&what));
        skycrate__buf_dispose(&what);
        goto done;
    }
    if (skycrate__log_enabled(SKYCRATE_LOG_LEVEL_DEBUG)) {
        char when[21];
        skycrate__format_iso8601(when, doc.expiration);
        skycrate__log(SKYCRATE_LOG_LEVEL_DEBUG, "credentials: STS %s of role %s: key %s until %s",
                      action_of(request), request->role_arn, doc.access_key_id, when);
    }
done:
    skycrate__sts_credentials_dispose(&doc);
    skycrate__creds_reply_dispose(&reply);
    call_dispose(&c);
    return error;
}
