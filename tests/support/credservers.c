/*
 * Fake IMDSv2, container and STS endpoints (see credservers.h).
 */
#include "credservers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMDS_TOKEN "imds-session-token-0123456789"
#define FIELD 4096

struct fake_server {
    fake_kind kind;
    httpserver *http;
    pthread_mutex_t lock;
    char akid[FIELD], secret[FIELD], token[FIELD];
    bool has_token;
    int64_t expiration;
    int answer_status; /* 0: normal answers */
    char *answer_body;
    unsigned int delay_ms;
    unsigned int hits;
    char role[256];
    bool has_role;
    int token_status;
    char auth[FIELD];
    bool require_auth;
    char jwt[FIELD];
    char key[FIELD];
};

static void copy(char *dst, const char *src)
{
    snprintf(dst, FIELD, "%s", src ? src : "");
}

static void iso8601(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t expiration_of(fake_server *f)
{
    return f->expiration ? f->expiration : (int64_t)time(NULL) + 3600;
}

/* Caller holds the lock. Returns true when a scripted answer was given. */
static bool scripted(fake_server *f, hs_response *resp)
{
    if (!f->answer_status)
        return false;
    hs_response_status(resp, f->answer_status);
    hs_response_body_str(resp, f->answer_body ? f->answer_body : "");
    return true;
}

static void json_creds(fake_server *f, hs_response *resp, bool imds)
{
    char when[32], body[4 * FIELD + 512], token[FIELD + 32] = "";
    iso8601(when, expiration_of(f));
    if (f->has_token)
        snprintf(token, sizeof(token), "\"Token\": \"%s\", ", f->token);
    snprintf(body, sizeof(body),
             "{%s\"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\", %s\"Expiration\": \"%s\"%s}",
             imds ? "\"Code\": \"Success\", \"LastUpdated\": \"2026-01-01T00:00:00Z\", "
                    "\"Type\": \"AWS-HMAC\", "
                  : "",
             f->akid, f->secret, token, when,
             imds ? "" : ", \"RoleArn\": \"arn:aws:iam::123456789012:role/fake\"");
    hs_response_header(resp, "Content-Type", imds ? "text/plain" : "application/json");
    hs_response_body_str(resp, body);
    f->hits++;
}

/* --- IMDS ---------------------------------------------------------------------------------- */

static void imds(fake_server *f, const hs_request *req, hs_response *resp)
{
    static const char prefix[] = "/latest/meta-data/iam/security-credentials/";
    if (hs_request_header(req, "X-Forwarded-For")) {
        hs_response_status(resp, 403);
        return;
    }
    if (strcmp(req->target, "/latest/api/token") == 0) {
        if (strcmp(req->method, "PUT") != 0) {
            hs_response_status(resp, 405);
            return;
        }
        if (f->token_status != 200) {
            hs_response_status(resp, f->token_status);
            return;
        }
        const char *ttl = hs_request_header(req, "X-aws-ec2-metadata-token-ttl-seconds");
        long n = ttl ? strtol(ttl, NULL, 10) : 0;
        if (n < 1 || n > 21600) {
            hs_response_status(resp, 400);
            return;
        }
        hs_response_header(resp, "X-aws-ec2-metadata-token-ttl-seconds", ttl);
        hs_response_body_str(resp, IMDS_TOKEN);
        return;
    }
    if (strcmp(req->method, "GET") != 0 || strncmp(req->target, prefix, sizeof(prefix) - 1)) {
        hs_response_status(resp, 404);
        return;
    }
    const char *token = hs_request_header(req, "X-aws-ec2-metadata-token");
    if (f->token_status == 200 && (!token || strcmp(token, IMDS_TOKEN) != 0)) {
        hs_response_status(resp, 401);
        return;
    }
    const char *role = req->target + sizeof(prefix) - 1;
    if (*role == '\0') {
        if (!f->has_role)
            hs_response_status(resp, 404);
        else
            hs_response_body_str(resp, f->role);
        return;
    }
    if (!f->has_role || strcmp(role, f->role) != 0) {
        hs_response_status(resp, 404);
        return;
    }
    if (!scripted(f, resp))
        json_creds(f, resp, true);
}

/* --- container ----------------------------------------------------------------------------- */

static void container(fake_server *f, const hs_request *req, hs_response *resp)
{
    if (strcmp(req->method, "GET") != 0) {
        hs_response_status(resp, 405);
        return;
    }
    const char *auth = hs_request_header(req, "Authorization");
    if (f->require_auth && (!auth || strcmp(auth, f->auth) != 0)) {
        hs_response_status(resp, 401);
        hs_response_body_str(resp, "{\"code\": \"AccessDeniedException\", \"message\": "
                                   "\"invalid authorization token\"}");
        return;
    }
    if (!scripted(f, resp))
        json_creds(f, resp, false);
}

/* --- STS ----------------------------------------------------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The decoded value of one form field, or NULL (malloc). */
static char *form_value(const char *form, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = form; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            char *out = malloc(len + 1), *o = out;
            for (const char *s = p + n + 1; s < p + len; s++) {
                if (*s == '%' && s + 2 < p + len && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
                    *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
                    s += 2;
                } else {
                    *o++ = *s == '+' ? ' ' : *s;
                }
            }
            *o = '\0';
            return out;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static void sts_error(hs_response *resp, int status, const char *code, const char *message)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>"
             "Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake-req"
             "</RequestId></ErrorResponse>",
             code, message);
    hs_response_status(resp, status);
    hs_response_header(resp, "Content-Type", "text/xml");
    hs_response_body_str(resp, body);
}

static void sts(fake_server *f, const hs_request *req, hs_response *resp)
{
    const char *type = hs_request_header(req, "Content-Type");
    if (strcmp(req->method, "POST") != 0 || !type ||
        strncmp(type, "application/x-www-form-urlencoded", 33) != 0) {
        sts_error(resp, 400, "InvalidAction", "not a Query API request");
        return;
    }
    const char *form = (const char *)req->body;
    char *action = form_value(form, "Action"), *version = form_value(form, "Version");
    char *role = form_value(form, "RoleArn"), *session = form_value(form, "RoleSessionName");
    char *duration = form_value(form, "DurationSeconds");
    char *jwt = form_value(form, "WebIdentityToken");
    bool web = action && strcmp(action, "AssumeRoleWithWebIdentity") == 0;
    const char *auth = hs_request_header(req, "Authorization");
    char scope[FIELD + 64];
    snprintf(scope, sizeof(scope), "AWS4-HMAC-SHA256 Credential=%s/", f->key);
    long seconds = duration ? strtol(duration, NULL, 10) : 3600;
    if (!action || (!web && strcmp(action, "AssumeRole") != 0)) {
        sts_error(resp, 400, "InvalidAction", "unknown action");
    } else if (!version || strcmp(version, "2011-06-15") != 0) {
        sts_error(resp, 400, "InvalidParameterValue", "bad Version");
    } else if (!role || !session) {
        sts_error(resp, 400, "ValidationError", "RoleArn and RoleSessionName are required");
    } else if (seconds < 900 || seconds > 43200) {
        sts_error(resp, 400, "ValidationError", "DurationSeconds out of range");
    } else if (web && (!jwt || strcmp(jwt, f->jwt) != 0)) {
        sts_error(resp, 400, "InvalidIdentityToken", "the web identity token is not valid");
    } else if (web && auth) {
        sts_error(resp, 400, "InvalidParameterValue", "web identity requests are not signed");
    } else if (!web && !auth) {
        sts_error(resp, 403, "MissingAuthenticationToken", "the request must be signed");
    } else if (!web && (strncmp(auth, scope, strlen(scope)) != 0 ||
                        !strstr(auth, "/sts/aws4_request, SignedHeaders=") ||
                        !strstr(auth, ", Signature="))) {
        sts_error(resp, 403, "InvalidClientTokenId", "the security token is not valid");
    } else if (!scripted(f, resp)) {
        char when[32], body[4 * FIELD + 1024];
        int64_t exp = f->expiration ? f->expiration : (int64_t)time(NULL) + seconds;
        iso8601(when, exp);
        const char *op = web ? "AssumeRoleWithWebIdentity" : "AssumeRole";
        snprintf(body, sizeof(body),
                 "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><%sResult>"
                 "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s"
                 "</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration>"
                 "</Credentials><AssumedRoleUser><Arn>%s/%s</Arn></AssumedRoleUser></%sResult>"
                 "<ResponseMetadata><RequestId>fake-req</RequestId></ResponseMetadata>"
                 "</%sResponse>",
                 op, op, f->akid, f->secret, f->has_token ? f->token : "TOKENFAKE", when, role,
                 session, op, op);
        hs_response_header(resp, "Content-Type", "text/xml");
        hs_response_body_str(resp, body);
        f->hits++;
    }
    free(action);
    free(version);
    free(role);
    free(session);
    free(duration);
    free(jwt);
}

static void handle(const hs_request *req, hs_response *resp, void *user_data)
{
    fake_server *f = user_data;
    pthread_mutex_lock(&f->lock);
    if (f->delay_ms)
        hs_response_delay_ms(resp, f->delay_ms);
    switch (f->kind) {
    case FAKE_IMDS: imds(f, req, resp); break;
    case FAKE_CONTAINER: container(f, req, resp); break;
    case FAKE_STS: sts(f, req, resp); break;
    }
    pthread_mutex_unlock(&f->lock);
}

/* --- control ------------------------------------------------------------------------------- */

fake_server *fake_start(fake_kind kind)
{
    fake_server *f = calloc(1, sizeof(*f));
    if (!f)
        abort();
    f->kind = kind;
    pthread_mutex_init(&f->lock, NULL);
    copy(f->akid, "AKIDFAKE");
    copy(f->secret, "SECRETXFAKE0123456789");
    copy(f->token, "TOKENFAKE0123456789");
    f->has_token = true;
    copy(f->role, "skycrate-role");
    f->has_role = true;
    f->token_status = 200;
    copy(f->jwt, "fake-jwt");
    copy(f->key, "AKIDSOURCE");
    f->http = hs_start(handle, f);
    return f;
}

void fake_stop(fake_server *f)
{
    if (!f)
        return;
    hs_stop(f->http);
    pthread_mutex_destroy(&f->lock);
    free(f->answer_body);
    free(f);
}

const char *fake_url(const fake_server *f)
{
    return hs_url(f->http);
}

httpserver *fake_http(fake_server *f)
{
    return f->http;
}

void fake_set_creds(fake_server *f, const char *access_key_id, const char *secret,
                    const char *token, int64_t expiration)
{
    pthread_mutex_lock(&f->lock);
    copy(f->akid, access_key_id);
    copy(f->secret, secret);
    copy(f->token, token);
    f->has_token = token != NULL;
    f->expiration = expiration;
    pthread_mutex_unlock(&f->lock);
}

void fake_set_answer(fake_server *f, int status, const char *body)
{
    pthread_mutex_lock(&f->lock);
    free(f->answer_body);
    f->answer_body = body ? strdup(body) : NULL;
    f->answer_status = body ? status : 0;
    pthread_mutex_unlock(&f->lock);
}

void fake_set_delay(fake_server *f, unsigned int ms)
{
    pthread_mutex_lock(&f->lock);
    f->delay_ms = ms;
    pthread_mutex_unlock(&f->lock);
}

unsigned int fake_hits(fake_server *f)
{
    pthread_mutex_lock(&f->lock);
    unsigned int n = f->hits;
    pthread_mutex_unlock(&f->lock);
    return n;
}

void fake_imds_set_role(fake_server *f, const char *role)
{
    pthread_mutex_lock(&f->lock);
    f->has_role = role != NULL;
    copy(f->role, role);
    pthread_mutex_unlock(&f->lock);
}

void fake_imds_set_token_status(fake_server *f, int status)
{
    pthread_mutex_lock(&f->lock);
    f->token_status = status;
    pthread_mutex_unlock(&f->lock);
}

void fake_container_require_auth(fake_server *f, const char *token)
{
    pthread_mutex_lock(&f->lock);
    f->require_auth = token != NULL;
    copy(f->auth, token);
    pthread_mutex_unlock(&f->lock);
}

void fake_sts_expect_token(fake_server *f, const char *token)
{
    pthread_mutex_lock(&f->lock);
    copy(f->jwt, token);
    pthread_mutex_unlock(&f->lock);
}

void fake_sts_expect_key(fake_server *f, const char *access_key_id)
{
    pthread_mutex_lock(&f->lock);
    copy(f->key, access_key_id);
    pthread_mutex_unlock(&f->lock);
}
