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
#include "core/time.h"
#include "crypto/crypto.h"
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

/* Resolves the target and signs; fills a->headers (caller's + x-amz-* + Authorization). */
static int prepare(attempt_state *a, skycrate_client *client, const skycrate__s3_request *req,
                   const skycrate_credentials *creds, const char *payload_hash)
{
    int error;
    attempt_dispose(a);
    memset(a, 0, sizeof(*a));
    if ((error = skycrate__client_region_for(client, &a->region, req->bucket)) < 0 ||
        (error =
             skycrate__target_resolve(&a->target, client->has_endpoint ? &client->endpoint : NULL,
                                      skycrate__buf_cstr(&a->region), client->addressing,
                                      client->endpoint_flags, req->bucket, req->key)) < 0)
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

    if ((error = skycrate__buf_puts(&a->url, skycrate__buf_cstr(&a->target.base))) < 0 ||
        (error = skycrate__buf_puts(&a->url, skycrate__buf_cstr(&a->sig.encoded_path))) < 0)
        return error;
    if (a->sig.query_string.len && ((error = skycrate__buf_putc(&a->url, '?')) < 0 ||
                                    (error = skycrate__buf_put(&a->url, a->sig.query_string.ptr,
                                                               a->sig.query_string.len)) < 0))
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

int skycrate__s3_send(skycrate_client *client, const skycrate__s3_request *req,
                      struct skycrate_http_response *resp, skycrate__response_record *rec_out)
{
    int error = 0;
    attempt_state a;
    memset(&a, 0, sizeof(a));
    skycrate__response_record rec;
    skycrate__response_record_init(&rec);
    skycrate__s3_error_doc doc;
    memset(&doc, 0, sizeof(doc));
    skycrate_credentials *creds = NULL;
    char payload_hash[65];
    bool skew_retried = false, region_retried = false;
    unsigned int attempt = 0, backoff_attempt = 0;

    if (req->payload_hash) {
        snprintf(payload_hash, sizeof(payload_hash), "%s", req->payload_hash);
    } else if (req->body_kind == SKYCRATE__BODY_MEMORY || req->body_kind == SKYCRATE__BODY_NONE) {
        skycrate__sha256_hex(payload_hash, req->body_data,
                             req->body_kind == SKYCRATE__BODY_NONE ? 0 : (size_t)req->body_length);
    } else {
        snprintf(payload_hash, sizeof(payload_hash), "%s", SKYCRATE__UNSIGNED_PAYLOAD);
    }

    sink_router router = {resp, req->sink, req->sink_user_data, 0};
    if (req->sink) {
        resp->sink = route_body;
        resp->sink_user_data = &router;
    }

    for (;;) {
        attempt++;
        skycrate__http_response_reset(resp);
        skycrate__s3_error_doc_dispose(&doc);
        skycrate_credentials_unref(creds);
        creds = NULL;
        if ((error = skycrate_credentials_provider_get(&creds, client->provider)) < 0) {
            skycrate__error_prefix("%s: no credentials", req->operation);
            /* A provider's "none found" is SKYCRATE_ENOTFOUND, which a request's caller reads
             * as the server's 404 (no such bucket): here it is SKYCRATE_EAUTH. */
            if (error == SKYCRATE_ENOTFOUND)
                error = skycrate__error_set(SKYCRATE_EAUTH, "%s", skycrate_error_last()->message);
            goto done;
        }
        if ((error = prepare(&a, client, req, creds, payload_hash)) < 0)
            goto done;

        struct skycrate_http_request hreq = {
            .method = req->method,
            .url = skycrate__buf_cstr(&a.url),
            .headers = a.headers,
            .header_count = a.header_count,
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
        error = skycrate__http_perform(client->transport, &hreq, resp);
        long long elapsed = (long long)(skycrate__monotonic_ms() - started);
        bool can_retry = replayable(req) && router.delivered == 0 && attempt < client->max_attempts;

        if (error < 0) {
            skycrate__response_record_clear(&rec);
            rec.info.attempts = attempt;
            bool transient = error == SKYCRATE_ECONNECT || error == SKYCRATE_ETIMEOUT;
            skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "%s %s -> %s (%lld ms, attempt %u)", req->method,
                          req->operation, skycrate_strerror(error), elapsed, attempt);
            if (transient && can_retry) {
                skycrate__sleep_ms(skycrate__retry_backoff_ms(
                    ++backoff_attempt, client->base_delay_ms, client->max_delay_ms));
                continue;
            }
            skycrate__error_prefix("%s %s%s%s", req->operation, req->bucket ? req->bucket : "",
                                   req->key && *req->key ? "/" : "", req->key ? req->key : "");
            goto done;
        }

        int status = resp->status;
        skycrate__log(SKYCRATE_LOG_LEVEL_INFO, "%s %s%s%s -> %d (%lld ms, attempt %u)", req->method,
                      req->bucket ? req->bucket : "", req->key && *req->key ? "/" : "",
                      req->key ? req->key : "", status, elapsed, attempt);
        bool clock_jumped = learn_clock(client, resp, false);
        bool ok = status >= 200 && status < 300;
        bool has_doc = !ok && resp->body.len > 0 &&
                       skycrate__s3_error_doc_parse(&doc, resp->body.ptr, resp->body.len) == 0;
        if (!has_doc)
            skycrate_error_clear(); /* a non-XML error body is not an error of ours */
        if ((error = record_answer(&rec, resp, has_doc ? &doc : NULL)) < 0)
            goto done;
        rec.info.attempts = attempt;
        if (ok)
            goto done;

        const char *code = has_doc ? doc.code : NULL;
        bool ok_to_resend = replayable(req) && router.delivered == 0;
        if (ok_to_resend && !skew_retried && code &&
            (!strcmp(code, "RequestTimeTooSkewed") ||
             (clock_jumped && !strcmp(code, "RequestExpired")))) {
            skew_retried = true;
            learn_clock(client, resp, true);
            continue;
        }
        const char *region = rec.region.len ? rec.region.ptr : NULL;
        if (ok_to_resend && !region_retried && req->bucket && region &&
            (status == 301 || status == 307 ||
             (code && !strcmp(code, "AuthorizationHeaderMalformed")) ||
             (status == 400 && code && !strcmp(code, "IllegalLocationConstraintException")))) {
            skycrate__buf current = SKYCRATE_BUF_INIT;
            int rc = skycrate__client_region_for(client, &current, req->bucket);
            bool differs = rc == 0 && strcmp(skycrate__buf_cstr(&current), region) != 0;
            skycrate__buf_dispose(&current);
            if (differs) {
                region_retried = true;
                skycrate__log(SKYCRATE_LOG_LEVEL_WARN,
                              "bucket %s is in region %s: re-signing for it", req->bucket, region);
                if ((error = skycrate__client_remember_region(client, req->bucket, region)) < 0)
                    goto done;
                continue;
            }
        }
        if (can_retry && skycrate__s3_retryable(status, code)) {
            skycrate__sleep_ms(skycrate__retry_backoff_ms(++backoff_attempt, client->base_delay_ms,
                                                          client->max_delay_ms));
            continue;
        }
        error = describe_failure(skycrate__s3_map_error(status, code), req, &rec);
        goto done;
    }
done:
    if (rec.info.attempts == 0)
        rec.info.attempts = attempt;
    skycrate__client_set_last(client, &rec);
    if (rec_out)
        skycrate__response_record_copy(rec_out, &rec);
    if (req->sink) {
        resp->sink = NULL;
        resp->sink_user_data = NULL;
    }
    skycrate__response_record_dispose(&rec);
    skycrate__s3_error_doc_dispose(&doc);
    skycrate_credentials_unref(creds);
    attempt_dispose(&a);
    return error;
}
