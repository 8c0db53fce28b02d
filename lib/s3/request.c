/*
 * One S3 request: resolve, sign, send; then retry (backoff with full jitter), correct the clock
 * (RequestTimeTooSkewed, or a large offset in Date) or follow a region redirect, each as the
 * answer calls for.
 * SPDX-License-Identifier: MIT
 */
#include "s3/request.h"

#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "core/log.h"
#include "core/syntax.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "s3/bucket_name.h"
#include "s3/errors.h"
#include "sigv4/sigv4.h"
#include "xml/s3.h"

/* S3 rejects requests more than 15 minutes off; correct the clock well before that. */
#define SKEW_CORRECTION_THRESHOLD 300
#define MAX_SIGNED_HEADERS 32

/* Routes 2xx bodies to the caller's sink and error bodies into resp->body. */
typedef struct {
    struct skycrate_http_response *resp;
    skycrate_write_fn sink;
    void *user_data;
    uint64_t delivered;
} sink_router;

static int route_body(const void *data, size_t len, void *user_data)
{
    sink_router *r = user_data;
    if (r->resp->status >= 200 && r->resp->status < 300) {
        int rc = r->sink(data, len, r->user_data);
        if (rc < 0)
            return skycrate__error_after_callback(rc, "body sink");
        r->delivered += len;
        return 0;
    }
    if (r->resp->body.len + len > 1024 * 1024)
        return 0; /* an error body this large is not an S3 error document: keep its start */
    return skycrate__buf_put(&r->resp->body, data, len);
}

typedef struct {
    skycrate__buf region;
    skycrate__target target;
    skycrate__sigv4_output sig;
    skycrate__buf url;
    char amz_date[17];
    skycrate__kv headers[MAX_SIGNED_HEADERS + 1];
    size_t header_count;
} attempt_state;

static void attempt_dispose(attempt_state *a)
{
    skycrate__buf_dispose(&a->region);
    skycrate__target_dispose(&a->target);
    skycrate__sigv4_output_dispose(&a->sig);
    skycrate__buf_dispose(&a->url);
}

/* Where the request goes: the bucket's region (learnt from redirects) and its target. */
static int resolve(attempt_state *a, skycrate_client *client, const skycrate__s3_request *req)
{
    int error;
    /* Whoever named the bucket (a caller, a record, a listing), nothing else may go into a host
     * name or the first path segment. */
    if ((req->bucket && (error = skycrate__bucket_name_usable(req->bucket)) < 0) ||
        (error = skycrate__client_region_for(client, &a->region, req->bucket)) < 0)
        return error;
    return skycrate__target_resolve(&a->target, client->has_endpoint ? &client->endpoint : NULL,
                                    skycrate__buf_cstr(&a->region), client->addressing,
                                    client->endpoint_flags, req->bucket, req->key);
}

/* The URL: the target's base, the encoded path and the canonical query. */
static int build_url(attempt_state *a)
{
    int error;
    if ((error = skycrate__buf_puts(&a->url, skycrate__buf_cstr(&a->target.base))) < 0 ||
        (error = skycrate__buf_puts(&a->url, skycrate__buf_cstr(&a->sig.encoded_path))) < 0)
        return error;
    if (a->sig.query_string.len && ((error = skycrate__buf_putc(&a->url, '?')) < 0 ||
                                    (error = skycrate__buf_put(&a->url, a->sig.query_string.ptr,
                                                               a->sig.query_string.len)) < 0))
        return error;
    return 0;
}

/* Resolves the target and signs; fills a->headers (caller's + x-amz-* + Authorization). */
static int prepare(attempt_state *a, skycrate_client *client, const skycrate__s3_request *req,
                   const skycrate_credentials *creds, const char *payload_hash)
{
    int error;
    attempt_dispose(a);
    memset(a, 0, sizeof(*a));
    if ((error = resolve(a, client, req)) < 0)
        return error;
    if (req->header_count > MAX_SIGNED_HEADERS - 3)
        return skycrate__error_set(SKYCRATE_EINVAL, "too many request headers (%zu)",
                                   req->header_count);

    int64_t now = skycrate__client_now(client);
    skycrate__format_amz_date(a->amz_date, now);
    for (size_t i = 0; i < req->header_count; i++)
        a->headers[a->header_count++] = req->headers[i];
    a->headers[a->header_count++] = (skycrate__kv){"x-amz-date", a->amz_date};
    a->headers[a->header_count++] = (skycrate__kv){"x-amz-content-sha256", payload_hash};
    const char *token = skycrate_credentials_session_token(creds);
    if (token)
        a->headers[a->header_count++] = (skycrate__kv){"x-amz-security-token", token};

    skycrate__sigv4_input in = {
        .method = req->method,
        .host = skycrate__buf_cstr(&a->target.host),
        .path = skycrate__buf_cstr(&a->target.path),
        .query = req->query,
        .query_count = req->query_count,
        .headers = a->headers,
        .header_count = a->header_count,
        .payload_hash = payload_hash,
        .access_key_id = skycrate_credentials_access_key_id(creds),
        .secret_access_key = skycrate_credentials_secret_access_key(creds),
        .session_token = token,
        .region = skycrate__buf_cstr(&a->region),
        .service = "s3",
        .time = now,
    };
    if ((error = skycrate__sigv4_sign_headers(&a->sig, &in)) < 0)
        return error;
    a->headers[a->header_count++] =
        (skycrate__kv){"Authorization", skycrate__buf_cstr(&a->sig.authorization)};
    if ((error = build_url(a)) < 0)
        return error;
    if (skycrate__log_enabled(SKYCRATE_LOG_LEVEL_TRACE))
        skycrate__log(SKYCRATE_LOG_LEVEL_TRACE, "canonical request:\n%s\nstring to sign:\n%s",
                      skycrate__buf_cstr(&a->sig.canonical_request),
                      skycrate__buf_cstr(&a->sig.string_to_sign));
    return 0;
}

static int record_answer(skycrate__response_record *rec, const struct skycrate_http_response *resp,
                         const skycrate__s3_error_doc *doc)
{
    int error = 0;
    skycrate__response_record_clear(rec);
    rec->info.http_status = resp->status;
#define PUT(field, value)                                                                          \
    if (error == 0 && (value))                                                                     \
        error = skycrate__buf_puts(&rec->field, (value));
    PUT(request_id, skycrate__http_response_header(resp, "x-amz-request-id"));
    PUT(host_id, skycrate__http_response_header(resp, "x-amz-id-2"));
    PUT(region, skycrate__http_response_header(resp, "x-amz-bucket-region"));
    if (doc) {
        PUT(s3_code, doc->code);
        PUT(s3_message, doc->message);
        if (doc->request_id && !rec->request_id.len)
            PUT(request_id, doc->request_id);
        if (doc->host_id && !rec->host_id.len)
            PUT(host_id, doc->host_id);
        if (doc->region && !rec->region.len)
            PUT(region, doc->region);
        PUT(string_to_sign, doc->string_to_sign);
        PUT(canonical_request, doc->canonical_request);
    }
#undef PUT
    skycrate__response_record_sync(rec);
    return error;
}

/* Learns the server's clock from Date. Returns true when the offset changed a lot. */
static bool learn_clock(skycrate_client *client, const struct skycrate_http_response *resp,
                        bool force)
{
    const char *date = skycrate__http_response_header(resp, "Date");
    int64_t server;
    if (!date || skycrate__parse_http_date(&server, date) < 0)
        return false;
    int64_t local = skycrate__now_ms() / 1000;
    int64_t offset = server - local;
    int64_t current = skycrate_client_clock_offset(client);
    int64_t drift = offset - current;
    if (drift < 0)
        drift = -drift;
    if (drift < SKEW_CORRECTION_THRESHOLD && !force)
        return false;
    skycrate__clock_set_offset(client->clock, offset);
    skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                  "clock offset corrected to %+lld s from the server's Date", (long long)offset);
    return drift > 1;
}

static bool replayable(const skycrate__s3_request *req)
{
    return req->body_kind != SKYCRATE__BODY_STREAM;
}

static int describe_failure(int code, const skycrate__s3_request *req,
                            const skycrate__response_record *rec)
{
    const skycrate_response_info *i = &rec->info;
    return skycrate__error_set(
        code, "%s %s%s%s: HTTP %d%s%s%s%s%s%s%s", req->operation, req->bucket ? req->bucket : "",
        req->key && *req->key ? "/" : "", req->key ? req->key : "", i->http_status,
        *i->s3_code ? " " : "", i->s3_code, *i->s3_message ? ": " : "", i->s3_message,
        *i->request_id ? " (request id " : "", i->request_id, *i->request_id ? ")" : "");
}

/* One request's state across its attempts. */
typedef struct sending {
    skycrate_client *client;
    const skycrate__s3_request *req;
    struct skycrate_http_response *resp;
    attempt_state a;
    skycrate__response_record rec;
    skycrate__s3_error_doc doc;
    skycrate_credentials *creds;
    char payload_hash[65];
    sink_router router;
    bool skew_retried, region_retried;
    unsigned int attempt, backoff_attempt;
    long long elapsed_ms; /* of the last attempt */
} sending;

/* What a step decides: stop with the answer as it is, or send again. */
#define SEND_AGAIN 1

static void sending_init(sending *s, skycrate_client *client, const skycrate__s3_request *req,
                         struct skycrate_http_response *resp)
{
    memset(s, 0, sizeof(*s));
    s->client = client;
    s->req = req;
    s->resp = resp;
    skycrate__response_record_init(&s->rec);
    if (req->payload_hash)
        snprintf(s->payload_hash, sizeof(s->payload_hash), "%s", req->payload_hash);
    else if (req->body_kind == SKYCRATE__BODY_MEMORY || req->body_kind == SKYCRATE__BODY_NONE)
        skycrate__sha256_hex(s->payload_hash, req->body_data,
                             req->body_kind == SKYCRATE__BODY_NONE ? 0 : (size_t)req->body_length);
    else
        snprintf(s->payload_hash, sizeof(s->payload_hash), "%s", SKYCRATE__UNSIGNED_PAYLOAD);
    s->router = (sink_router){resp, req->sink, req->sink_user_data, 0};
    if (req->sink) {
        resp->sink = route_body;
        resp->sink_user_data = &s->router;
    }
}

/* Publishes the last answer (client and caller) and releases everything. */
static void sending_finish(sending *s, skycrate__response_record *rec_out)
{
    if (s->rec.info.attempts == 0)
        s->rec.info.attempts = s->attempt;
    skycrate__client_set_last(s->client, &s->rec);
    if (rec_out)
        skycrate__response_record_copy(rec_out, &s->rec);
    if (s->req->sink) {
        s->resp->sink = NULL;
        s->resp->sink_user_data = NULL;
    }
    skycrate__response_record_dispose(&s->rec);
    skycrate__s3_error_doc_dispose(&s->doc);
    skycrate_credentials_unref(s->creds);
    attempt_dispose(&s->a);
}

static int get_credentials(sending *s)
{
    skycrate_credentials_unref(s->creds);
    s->creds = NULL;
    int error = skycrate_credentials_provider_get(&s->creds, s->client->provider);
    if (error < 0) {
        skycrate__error_prefix("%s: no credentials", s->req->operation);
        /* A provider's "none found" is SKYCRATE_ENOTFOUND, which a request's caller reads as
         * the server's 404 (no such bucket): here it is SKYCRATE_EAUTH. */
        if (error == SKYCRATE_ENOTFOUND)
            error = skycrate__error_set(SKYCRATE_EAUTH, "%s", skycrate_error_last()->message);
    }
    return error;
}

/* Sends one signed attempt (prepare() filled s->a); the transport's code, the answer in
 * s->resp. */
static int transmit(sending *s)
{
    const skycrate__s3_request *req = s->req;
    skycrate_client *client = s->client;
    struct skycrate_http_request hreq = {
        .method = req->method,
        .url = skycrate__buf_cstr(&s->a.url),
        .headers = s->a.headers,
        .header_count = s->a.header_count,
        .body_kind = req->body_kind,
        .body_data = req->body_data,
        .body_length = req->body_kind == SKYCRATE__BODY_NONE ? 0 : req->body_length,
        .body_file = req->body_file,
        .body_file_offset = req->body_file_offset,
        .body_read = req->body_read,
        .body_read_user_data = req->body_read_user_data,
        .on_body = req->on_body,
        .on_body_user_data = req->on_body_user_data,
        .connect_timeout_ms = client->connect_timeout_ms,
        .timeout_ms = client->request_timeout_ms,
        .gate = req->gate,
    };
    int64_t started = skycrate__monotonic_ms();
    int error = skycrate__http_perform(client->transport, &hreq, s->resp);
    s->elapsed_ms = (long long)(skycrate__monotonic_ms() - started);
    return error;
}

/* Whether a failed attempt may be sent again: its body can be replayed, no byte of it reached
 * the caller's sink, and attempts are left. */
static bool can_retry(const sending *s)
{
    return replayable(s->req) && s->router.delivered == 0 && s->attempt < s->client->max_attempts;
}

static int back_off(sending *s)
{
    skycrate__sleep_ms(skycrate__retry_backoff_ms(++s->backoff_attempt, s->client->base_delay_ms,
                                                  s->client->max_delay_ms));
    return SEND_AGAIN;
}

/* No answer: a connection failure or a timeout is retried, anything else is the error. */
static int no_answer(sending *s, int error)
{
    const skycrate__s3_request *req = s->req;
    skycrate__response_record_clear(&s->rec);
    s->rec.info.attempts = s->attempt;
    skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "%s %s -> %s (%lld ms, attempt %u)", req->method,
                  req->operation, skycrate_strerror(error), s->elapsed_ms, s->attempt);
    if ((error == SKYCRATE_ECONNECT || error == SKYCRATE_ETIMEOUT) && can_retry(s))
        return back_off(s);
    return skycrate__error_prefix("%s %s%s%s", req->operation, req->bucket ? req->bucket : "",
                                  req->key && *req->key ? "/" : "", req->key ? req->key : "");
}

/* Reads an answer into s->rec (and s->doc for an S3 error document); learns the clock.
 * Sets *clock_jumped when the server's Date moved the clock offset. */
static int read_answer(sending *s, bool *clock_jumped)
{
    const skycrate__s3_request *req = s->req;
    struct skycrate_http_response *resp = s->resp;
    skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "%s %s%s%s -> %d (%lld ms, attempt %u)", req->method,
                  req->bucket ? req->bucket : "", req->key && *req->key ? "/" : "",
                  req->key ? req->key : "", resp->status, s->elapsed_ms, s->attempt);
    *clock_jumped = learn_clock(s->client, resp, false);
    bool ok = resp->status >= 200 && resp->status < 300;
    bool has_doc = !ok && resp->body.len > 0 &&
                   skycrate__s3_error_doc_parse(&s->doc, resp->body.ptr, resp->body.len) == 0;
    if (!has_doc)
        skycrate_error_clear(); /* a non-XML error body is not an error of ours */
    int error = record_answer(&s->rec, resp, has_doc ? &s->doc : NULL);
    s->rec.info.attempts = s->attempt;
    return error;
}

/* RequestTimeTooSkewed (or RequestExpired after the clock moved): once, with the server's
 * clock. */
static bool follow_clock(sending *s, const char *code, bool clock_jumped)
{
    if (s->skew_retried || !code ||
        !(!strcmp(code, "RequestTimeTooSkewed") ||
          (clock_jumped && !strcmp(code, "RequestExpired"))))
        return false;
    s->skew_retried = true;
    learn_clock(s->client, s->resp, true);
    return true;
}

/* A redirect to the bucket's region (301/307, AuthorizationHeaderMalformed,
 * IllegalLocationConstraintException): once, re-signed for the region the server names, which
 * is remembered for the bucket. The region becomes part of the next host name, so it must pass
 * the check that a region from the caller passes; one that does not is not followed. SEND_AGAIN,
 * 0 (not a redirect to follow) or an error. */
static int follow_region(sending *s, const char *code)
{
    const skycrate__s3_request *req = s->req;
    int status = s->resp->status;
    const char *region = s->rec.region.len ? s->rec.region.ptr : NULL;
    if (s->region_retried || !req->bucket || !region ||
        !(status == 301 || status == 307 ||
          (code && !strcmp(code, "AuthorizationHeaderMalformed")) ||
          (status == 400 && code && !strcmp(code, "IllegalLocationConstraintException"))))
        return 0;
    if (!skycrate__region_ok(region)) {
        skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                      "bucket %s: the server names a region that is not a region name: not "
                      "following it",
                      req->bucket);
        return 0;
    }
    skycrate__buf current = SKYCRATE_BUF_INIT;
    int error = skycrate__client_region_for(s->client, &current, req->bucket);
    bool differs = error == 0 && strcmp(skycrate__buf_cstr(&current), region) != 0;
    skycrate__buf_dispose(&current);
    if (error < 0 || !differs)
        return error;
    s->region_retried = true;
    skycrate__log(SKYCRATE_LOG_LEVEL_WARN, "bucket %s is in region %s: re-signing for it",
                  req->bucket, region);
    error = skycrate__client_remember_region(s->client, req->bucket, region);
    return error < 0 ? error : SEND_AGAIN;
}

/* An answer: 0 for a 2xx, SEND_AGAIN for one to retry or follow, else the error it maps to. */
static int judge_answer(sending *s)
{
    bool clock_jumped = false;
    int error = read_answer(s, &clock_jumped);
    int status = s->resp->status;
    if (error < 0 || (status >= 200 && status < 300))
        return error;
    const char *code = s->doc.code;
    bool resendable = replayable(s->req) && s->router.delivered == 0;
    if (resendable && follow_clock(s, code, clock_jumped))
        return SEND_AGAIN;
    if (resendable && (error = follow_region(s, code)) != 0)
        return error;
    if (can_retry(s) && skycrate__s3_retryable(status, code))
        return back_off(s);
    return describe_failure(skycrate__s3_map_error(status, code), s->req, &s->rec);
}

int skycrate__s3_send(skycrate_client *client, const skycrate__s3_request *req,
                      struct skycrate_http_response *resp, skycrate__response_record *rec_out)
{
    sending s;
    sending_init(&s, client, req, resp);
    int error = 0;
    for (;;) {
        s.attempt++;
        skycrate__http_response_reset(resp);
        skycrate__s3_error_doc_dispose(&s.doc);
        if ((error = get_credentials(&s)) < 0 ||
            (error = prepare(&s.a, client, req, s.creds, s.payload_hash)) < 0)
            goto done;
        error = transmit(&s);
        error = error < 0 ? no_answer(&s, error) : judge_answer(&s);
        if (error != SEND_AGAIN)
            goto done;
    }
done:
    sending_finish(&s, rec_out);
    return error;
}
