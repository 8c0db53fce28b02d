/*
 * The diagnosis itself: a case is checked in the order a browser meets the faults (the host,
 * the CORS preflight, the method, the signed headers, the clock, the region, the access key,
 * the signature recomputed from the URL's own parameters, then what the server said), and the
 * first fault found is the verdict.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/creds.h"
#include "doctor/doctor.h"
#include "s3/endpoint.h"
#include "sigv4/sigv4.h"
#include "xml/s3.h"

typedef struct dx {
    const skycrate_doctor *doctor;
    const skycrate_doctor_case *c;
    skycrate_diagnosis *d;
    skycrate__doctor_url url;
    const char *method; /* sent */
    const skycrate__doctor_headers *sent;
    skycrate__s3_error_doc err; /* the answer's <Error>, fields NULL when none */
    const char *code;           /* err.code or "" */
    bool failed;                /* an answer is known and is not 2xx */
    int64_t now, server_now;    /* the sender's clock; the server's (Date), else `now` */
    bool server_clock;          /* server_now came from a Date header */
} dx;

/* A POST form carries its signature in its fields, not in the URL. */
static bool form(const dx *x)
{
    return strcmp(x->method, "POST") == 0;
}

/* Each check returns 1 when it found the verdict, 0 to go on, or a negative code. */
typedef int (*check_fn)(dx *x);

static int found(dx *x, skycrate_verdict v, const char *subject, const char *expected,
                 const char *actual)
{
    int error = skycrate__diagnosis_set(x->d, v, subject, expected, actual);
    return error < 0 ? error : 1;
}

#define SAY(x, ...) (skycrate__diagnosis_say((x)->d, __VA_ARGS__) < 0 ? SKYCRATE_ENOMEM : 1)

/* ---- the host ---- */

static bool via_cloudfront(const skycrate__doctor_headers *h)
{
    const char *via = skycrate__doctor_headers_get(h, "Via");
    const char *server = skycrate__doctor_headers_get(h, "Server");
    return skycrate__doctor_headers_get(h, "X-Amz-Cf-Id") || (via && strstr(via, "CloudFront")) ||
           (server && strcasecmp(server, "CloudFront") == 0);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int check_host(dx *x)
{
    const skycrate_presigner *p = x->doctor->presigner;
    char expected[320];
    const char *host = x->url.host;
    bool s3;
    if (p->has_endpoint) {
        if (p->endpoint.port)
            snprintf(expected, sizeof(expected), "%s:%u", p->endpoint.host, p->endpoint.port);
        else
            snprintf(expected, sizeof(expected), "%s", p->endpoint.host);
        char dotted[330];
        snprintf(dotted, sizeof(dotted), ".%s", expected);
        s3 = strcasecmp(host, expected) == 0 || ends_with(host, dotted);
    } else {
        snprintf(expected, sizeof(expected), "s3.%s.amazonaws.com", p->region);
        s3 = (ends_with(host, ".amazonaws.com") || ends_with(host, ".amazonaws.com.cn")) &&
             strstr(host, "s3") != NULL;
    }
    if (s3 && !via_cloudfront(&x->c->answer.headers))
        return 0;
    int error = found(x, SKYCRATE_VERDICT_NOT_S3, host, expected, host);
    if (error < 0)
        return error;
    return SAY(x,
               "The URL goes to %s, which is not the S3 endpoint (%s)%s. S3 checks the "
               "signature against the host it was signed for: send the upload to the URL "
               "exactly as presigned, not through a CDN domain.",
               host, expected,
               ends_with(host, ".cloudfront.net") || via_cloudfront(&x->c->answer.headers)
                   ? ": it is a CloudFront distribution"
                   : "");
}

/* ---- CORS ---- */

static bool allowed_by_answer(const skycrate__doctor_answer *a)
{
    return a->status >= 200 && a->status < 300 &&
           skycrate__doctor_headers_get(&a->headers, "Access-Control-Allow-Origin") != NULL;
}

static int check_cors(dx *x)
{
    const skycrate_doctor_case *c = x->c;
    bool post = strcmp(x->method, "POST") == 0;
    if (c->origin == NULL || (c->preflight.status == 0 && c->cors_xml == NULL))
        return 0;
    skycrate__buf subject = SKYCRATE_BUF_INIT;
    int verdict = SKYCRATE_VERDICT_CORS_PREFLIGHT;
    if (c->cors_xml) {
        skycrate__doctor_headers none = {0};
        verdict = skycrate__doctor_cors_check(&subject, c->cors_xml, c->origin, x->method,
                                              post ? &none : x->sent);
    } else if (allowed_by_answer(&c->preflight)) {
        verdict = SKYCRATE_VERDICT_OK;
    }
    /* Rules that allow the request while the preflight was refused: something else refused it
     * (radosgw checks the URL's expiry on OPTIONS too). */
    if (verdict <= 0) {
        skycrate__buf_dispose(&subject);
        return verdict;
    }
    int error = found(x, (skycrate_verdict)verdict, skycrate__buf_cstr(&subject), NULL, c->origin);
    skycrate__buf_dispose(&subject);
    if (error < 0)
        return error;
    if (c->preflight.status) {
        x->d->status = c->preflight.status;
        skycrate__buf_clear(&x->d->code);
    }
    const char *then = post ? " The browser sends a form POST without a preflight, so the "
                              "object may be written while the page sees only a TypeError."
                            : " The browser then never sends the upload and the page sees only "
                              "`TypeError: Failed to fetch`.";
    switch (verdict) {
    case SKYCRATE_VERDICT_CORS_ORIGIN:
        return SAY(x,
                   "The page's origin %s is in no CORS rule of the bucket: add it to the "
                   "rule's AllowedOrigin.%s",
                   c->origin, then);
    case SKYCRATE_VERDICT_CORS_METHOD:
        return SAY(x,
                   "The bucket's CORS rule for %s does not allow the method %s: add it to "
                   "AllowedMethod.%s",
                   c->origin, x->method, then);
    case SKYCRATE_VERDICT_CORS_HEADER:
        return SAY(x,
                   "The bucket's CORS rule for %s does not allow the request header %s: add "
                   "it to AllowedHeader.%s",
                   c->origin, skycrate__buf_cstr(&x->d->subject), then);
    default:
        return SAY(x, "The CORS preflight from %s was refused%s.%s", c->origin,
                   c->cors_xml && !*c->cors_xml ? ": the bucket has no CORS configuration" : "",
                   then);
    }
}

/* ---- answers that settle it ---- */

static int check_success(dx *x)
{
    int status = x->c->answer.status;
    if (status < 200 || status >= 300)
        return 0;
    int error = found(x, SKYCRATE_VERDICT_OK, NULL, NULL, NULL);
    return error < 0 ? error : SAY(x, "The request succeeded (HTTP %d).", status);
}

static int check_post(dx *x)
{
    if (strcmp(x->method, "POST") != 0)
        return 0;
    const char *msg = x->err.message ? x->err.message : "";
    if (strcmp(x->code, "EntityTooLarge") == 0) {
        int error = found(x, SKYCRATE_VERDICT_TOO_LARGE, NULL, NULL, NULL);
        return error < 0 ? error
                         : SAY(x, "The file is larger than the form's POST policy allows "
                                  "(content-length-range): choose a smaller file or ask for a "
                                  "form with a higher limit.");
    }
    /* S3 answers a form that breaks its policy with AccessDenied. */
    if (strcmp(x->code, "EntityTooSmall") == 0 || strstr(msg, "olicy") != NULL ||
        strcmp(x->code, "InvalidPolicyDocument") == 0 || strcmp(x->code, "AccessDenied") == 0) {
        int error = found(x, SKYCRATE_VERDICT_POLICY_CONDITION, NULL, NULL, x->code);
        return error < 0 ? error
                         : SAY(x,
                               "The form breaks a condition of its POST policy (%s%s%s): send "
                               "every field exactly as signed, before the file.",
                               x->code, *msg ? ": " : "", msg);
    }
    return 0;
}

static int check_presigned(dx *x)
{
    if (form(x))
        return 0;
    if (x->url.signature && x->url.credential && x->url.signed_at >= 0 && x->url.expires_in >= 0)
        return 0;
    int error = found(x, SKYCRATE_VERDICT_NOT_PRESIGNED, NULL, NULL, NULL);
    return error < 0 ? error
                     : SAY(x, "The URL carries no complete SigV4 query signature "
                              "(X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-Signature): it "
                              "was cut or is not a presigned URL.");
}

/* ---- what was sent against what was signed ---- */

static int check_method(dx *x)
{
    const char *signed_method = x->c->contract_method;
    if (signed_method == NULL || strcmp(signed_method, x->method) == 0)
        return 0;
    int error = found(x, SKYCRATE_VERDICT_METHOD_MISMATCH, NULL, signed_method, x->method);
    return error < 0 ? error
                     : SAY(x,
                           "The URL was signed for %s but the request used %s: the method is "
                           "part of the signature.",
                           signed_method, x->method);
}

/* Values compare as S3 canonicalises them: trimmed, inner blank runs as one space. */
static bool same_value(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ' || *a == '\t')
            a++;
        while (*b == ' ' || *b == '\t')
            b++;
        if (*a == '\0' || *b == '\0')
            return *a == *b;
        bool ablank = false, bblank = false;
        while (*a && *a != ' ' && *a != '\t' && *a == *b)
            a++, b++;
        ablank = *a == ' ' || *a == '\t' || *a == '\0';
        bblank = *b == ' ' || *b == '\t' || *b == '\0';
        if (!ablank || !bblank)
            return false;
    }
}

static int check_headers(dx *x)
{
    if (form(x))
        return 0;
    for (const char *p = x->url.signed_headers; p && *p;) {
        size_t len = strcspn(p, ";");
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), p);
        p += len + (p[len] == ';');
        if (strcmp(name, "host") == 0)
            continue;
        const char *want = skycrate__doctor_headers_get(&x->c->contract_headers, name);
        const char *sent = skycrate__doctor_headers_get(x->sent, name);
        int error;
        if (sent == NULL) {
            if ((error = found(x, SKYCRATE_VERDICT_HEADER_MISSING, name, want, NULL)) < 0)
                return error;
            return SAY(x,
                       "The URL signs the header %s%s%s%s but the request did not send it: "
                       "send every header of the contract with its exact value.",
                       name, want ? " (\"" : "", want ? want : "", want ? "\")" : "");
        }
        if (want && !same_value(want, sent)) {
            if ((error = found(x, SKYCRATE_VERDICT_HEADER_MISMATCH, name, want, sent)) < 0)
                return error;
            return SAY(x,
                       "The header %s was signed as \"%s\" but sent as \"%s\": S3 computes "
                       "another signature (SignatureDoesNotMatch). Send the value the "
                       "contract lists, or presign with the value the browser sends.",
                       name, want, sent);
        }
    }
    return 0;
}

static int check_unsigned(dx *x)
{
    if (form(x))
        return 0;
    const char *msg = x->err.message ? x->err.message : "";
    if (x->failed && !(strcmp(x->code, "AccessDenied") == 0 && strstr(msg, "not signed")))
        return 0;
    for (size_t i = 0; i < x->sent->count; i++) {
        const char *name = x->sent->items[i].name;
        if (strncasecmp(name, "x-amz-", 6) != 0 || skycrate__doctor_url_signs(&x->url, name))
            continue;
        int error = found(x, SKYCRATE_VERDICT_HEADER_UNSIGNED, name, NULL, x->sent->items[i].value);
        if (error < 0)
            return error;
        return SAY(x,
                   "The request sends %s, which the URL does not sign: S3 refuses x-amz-* "
                   "headers outside the signature (AccessDenied). Sign it into the URL or "
                   "do not send it.",
                   name);
    }
    return 0;
}

/* ---- the clock ---- */

static int skew(dx *x, int64_t offset)
{
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)offset);
    int error = found(x, SKYCRATE_VERDICT_CLOCK_SKEW, NULL, NULL, text);
    if (error < 0)
        return error;
    x->d->seconds = offset;
    return SAY(x,
               "The clock that signed the URL is %lld seconds %s the server's (its Date "
               "header): synchronise the signer's clock (NTP), or let the client learn the "
               "offset from the server.",
               (long long)(offset < 0 ? -offset : offset), offset < 0 ? "behind" : "ahead of");
}

static int check_time(dx *x)
{
    if (form(x))
        return 0;
    int64_t signed_at = x->url.signed_at, expires_at = signed_at + x->url.expires_in;
    if (strcmp(x->code, "RequestTimeTooSkewed") == 0)
        return skew(x, signed_at - x->server_now);
    if (x->server_clock && signed_at > x->server_now + SKYCRATE__DOCTOR_SKEW_LIMIT)
        return skew(x, signed_at - x->server_now);
    if (x->server_now <= expires_at)
        return 0;
    /* Valid by the sender's clock, expired by the server's: the clocks differ. */
    if (x->server_clock && x->now <= expires_at && x->now - x->server_now < -60)
        return skew(x, x->now - x->server_now);
    char at[21];
    skycrate__format_iso8601(at, expires_at);
    int error = found(x, SKYCRATE_VERDICT_EXPIRED, NULL, at, NULL);
    if (error < 0)
        return error;
    x->d->seconds = expires_at;
    return SAY(x,
               "The URL expired at %s (%lld seconds after it was signed): ask for a new one "
               "just before uploading.",
               at, (long long)x->url.expires_in);
}

/* ---- region and access key ---- */

static int check_region(dx *x)
{
    if (form(x))
        return 0;
    const char *told = x->err.region;
    if (told == NULL)
        told = skycrate__doctor_headers_get(&x->c->answer.headers, "x-amz-bucket-region");
    if (told == NULL && strcmp(x->code, "AuthorizationQueryParametersError") == 0)
        told = x->doctor->presigner->region;
    if (told == NULL || !*x->url.scope_region || strcmp(told, x->url.scope_region) == 0)
        return 0;
    int error = found(x, SKYCRATE_VERDICT_WRONG_REGION, NULL, told, x->url.scope_region);
    return error < 0 ? error
                     : SAY(x,
                           "The URL is signed for the region %s but the bucket is in %s: "
                           "presign with a client configured for the bucket's region.",
                           x->url.scope_region, told);
}

static int check_access_key(dx *x)
{
    if (strcmp(x->code, "InvalidAccessKeyId") != 0)
        return 0;
    int error = found(x, SKYCRATE_VERDICT_UNKNOWN_ACCESS_KEY, x->url.access_key_id, NULL, NULL);
    return error < 0 ? error
                     : SAY(x,
                           "The server does not know the access key %s that signed the URL: "
                           "the signer uses credentials of another account or server, or "
                           "the key was deleted.",
                           x->url.access_key_id);
}

/* ---- the signature ---- */

static bool sigv4_param(const char *name)
{
    return strncmp(name, "X-Amz-", 6) == 0 &&
           (!strcmp(name + 6, "Algorithm") || !strcmp(name + 6, "Credential") ||
            !strcmp(name + 6, "Date") || !strcmp(name + 6, "Expires") ||
            !strcmp(name + 6, "SignedHeaders") || !strcmp(name + 6, "Signature") ||
            !strcmp(name + 6, "Security-Token"));
}

/* Recomputes the URL's signature for `method` with the sent header values: 1 when it is the
 * URL's, 0 when not, negative on failure. `canonical` receives the canonical request. */
static int resign(dx *x, const skycrate_credentials *creds, const char *method,
                  skycrate__buf *canonical)
{
    skycrate__kv query[32], headers[32];
    size_t nq = 0, nh = 0;
    for (size_t i = 0; i < x->url.query_count && nq < 32; i++)
        if (!sigv4_param(x->url.query[i].name))
            query[nq++] = (skycrate__kv){x->url.query[i].name, x->url.query[i].value};
    for (size_t i = 0; i < x->sent->count && nh < 32; i++)
        if (strcasecmp(x->sent->items[i].name, "host") != 0 &&
            skycrate__doctor_url_signs(&x->url, x->sent->items[i].name))
            headers[nh++] = (skycrate__kv){x->sent->items[i].name, x->sent->items[i].value};
    skycrate__sigv4_input in = {.method = method,
                                .host = x->url.host,
                                .path = x->url.path,
                                .query = query,
                                .query_count = nq,
                                .headers = headers,
                                .header_count = nh,
                                .payload_hash = NULL,
                                .access_key_id = creds->access_key_id,
                                .secret_access_key = creds->secret_access_key,
                                .session_token = x->url.token,
                                .region = x->url.scope_region,
                                .service = "s3",
                                .time = x->url.signed_at,
                                .expires = x->url.expires_in,
                                .flags = 0};
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    int error = skycrate__sigv4_sign_query(&out, &in);
    if (error == 0) {
        error = strcmp(out.signature, x->url.signature) == 0;
        if (canonical &&
            skycrate__buf_put(canonical, out.canonical_request.ptr, out.canonical_request.len) < 0)
            error = SKYCRATE_ENOMEM;
    }
    skycrate__sigv4_output_dispose(&out);
    return error;
}

/* The first line where the server's canonical request differs from ours (AWS sends its own). */
static int diff_canonical(dx *x, const skycrate__buf *ours)
{
    const char *a = x->err.canonical_request, *b = skycrate__buf_cstr(ours);
    for (int line = 1; *a || *b; line++) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0) {
            char subject[48], theirs[512], mine[512];
            bool secret = strstr(a, "X-Amz-Security-Token") && line == 3;
            snprintf(subject, sizeof(subject), "canonical request line %d", line);
            snprintf(theirs, sizeof(theirs), "%.*s", (int)(la < 511 ? la : 511), a);
            snprintf(mine, sizeof(mine), "%.*s", (int)(lb < 511 ? lb : 511), b);
            int error = found(x, SKYCRATE_VERDICT_SIGNATURE_MISMATCH, subject,
                              secret ? "(the query, with the session token)" : theirs,
                              secret ? "(the query, with the session token)" : mine);
            if (error < 0)
                return error;
            return SAY(x,
                       "The server's canonical request differs from the signed one at line "
                       "%d (%s): the request was changed on its way.",
                       line,
                       line == 1   ? "the method"
                       : line == 2 ? "the path"
                       : line == 3 ? "the query"
                                   : "the headers");
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return 0;
}

static int signature_verdict(dx *x, const char *why)
{
    int error = found(x, SKYCRATE_VERDICT_SIGNATURE_MISMATCH, NULL, NULL, NULL);
    return error < 0 ? error : SAY(x, "%s", why);
}

static int check_signature(dx *x)
{
    if (form(x))
        return 0;
    skycrate_credentials *creds = NULL;
    skycrate__buf canonical = SKYCRATE_BUF_INIT_SECRET;
    int error = 0;
    bool signature_refused = strcmp(x->code, "SignatureDoesNotMatch") == 0;
    if ((error = skycrate_credentials_provider_get(&creds, x->doctor->presigner->provider)) ==
        SKYCRATE_ENOMEM)
        goto done;
    if (error < 0 || strcmp(creds->access_key_id, x->url.access_key_id) != 0) {
        error = 0;
        skycrate_error_clear(); /* the URL comes from another signer: nothing to recompute */
        if (signature_refused)
            error = signature_verdict(x, "S3 computes another signature for this request "
                                         "(SignatureDoesNotMatch): the URL was changed after "
                                         "signing, or signed with a secret key the server does "
                                         "not hold.");
        goto done;
    }
    if ((error = resign(x, creds, x->method, &canonical)) < 0)
        goto done;
    if (error == 1) { /* the request is what was signed */
        error = 0;
        if (signature_refused && x->err.canonical_request)
            error = diff_canonical(x, &canonical);
        if (error == 0 && signature_refused)
            error = signature_verdict(x, "The request is exactly what was signed, yet S3 computes "
                                         "another signature: the signer's secret key is not the "
                                         "one the server holds for this access key.");
        goto done;
    }
    static const char *const methods[] = {"GET", "PUT", "HEAD", "DELETE"};
    for (size_t i = 0; x->c->contract_method == NULL && i < SKYCRATE_ARRAY_SIZE(methods); i++)
        if (strcmp(methods[i], x->method) != 0 &&
            (error = resign(x, creds, methods[i], NULL)) != 0) {
            if (error == 1 && (error = found(x, SKYCRATE_VERDICT_METHOD_MISMATCH, NULL, methods[i],
                                             x->method)) == 1)
                error = SAY(x,
                            "The URL was signed for %s but the request used %s: the method "
                            "is part of the signature.",
                            methods[i], x->method);
            goto done;
        }
    /* Without the contract the signed header values are unknown: one of them may differ. */
    if (x->c->contract_method == NULL && x->url.signed_headers &&
        strcmp(x->url.signed_headers, "host") != 0) {
        if ((error = found(x, SKYCRATE_VERDICT_SIGNATURE_MISMATCH, x->url.signed_headers, NULL,
                           NULL)) == 1)
            error = SAY(x,
                        "The request does not match the URL's signature: a signed header (%s) "
                        "was sent with another value than signed, or the URL was changed "
                        "after signing. Send the contract's headers exactly.",
                        x->url.signed_headers);
        goto done;
    }
    error = signature_verdict(x, "The URL's signature does not match its own parameters: the URL "
                                 "was changed after it was signed (a character of the query or "
                                 "path, or the signature itself). Use it exactly as presigned.");
done:
    skycrate__buf_dispose_secret(&canonical);
    skycrate_credentials_unref(creds);
    return error;
}

/* ---- what the server said ---- */

static int check_denied(dx *x)
{
    if (strcmp(x->code, "AccessDenied") != 0)
        return 0;
    const skycrate_doctor_case *c = x->c;
    skycrate__buf sid = SKYCRATE_BUF_INIT;
    char *bucket = NULL, *key = NULL, resource[1200];
    int error = skycrate__doctor_url_target(&bucket, &key, &x->url, x->doctor->presigner);
    int denies = 0;
    if (error == 0 && c->policy_json && *c->policy_json) {
        const char *action = !strcmp(x->method, "PUT") || !strcmp(x->method, "POST")
                                 ? "s3:PutObject"
                             : !strcmp(x->method, "DELETE") ? "s3:DeleteObject"
                                                            : "s3:GetObject";
        snprintf(resource, sizeof(resource), "arn:aws:s3:::%s/%s", bucket, key);
        denies = error =
            skycrate__doctor_policy_denies(&sid, c->policy_json, action, resource, x->url.https);
    }
    if (error < 0)
        goto done;
    if (denies == 1) {
        if ((error = found(x, SKYCRATE_VERDICT_ACCESS_DENIED, skycrate__buf_cstr(&sid), NULL,
                           NULL)) == 1)
            error = SAY(x,
                        "The bucket policy's statement %s denies this request: change the "
                        "statement or the key the upload goes to.",
                        skycrate__buf_cstr(&sid));
    } else if (c->block_public_acls == 1 && strcmp(x->method, "PUT") == 0) {
        if ((error =
                 found(x, SKYCRATE_VERDICT_ACCESS_DENIED, "BlockPublicAcls", "false", "true")) == 1)
            error = SAY(x, "The bucket's public access block sets BlockPublicAcls, and this "
                           "server refuses every upload then (radosgw does, even the owner's): "
                           "keep IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets "
                           "and turn BlockPublicAcls off.");
    } else {
        if ((error = found(x, SKYCRATE_VERDICT_ACCESS_DENIED,
                           denies == 2 ? skycrate__buf_cstr(&sid) : NULL, NULL, NULL)) == 1)
            error = SAY(x,
                        "S3 denies this request (AccessDenied)%s%s%s: the signer's "
                        "credentials may not write here, or a policy denies it.",
                        denies == 2 ? "; the policy statement " : "",
                        denies == 2 ? skycrate__buf_cstr(&sid) : "",
                        denies == 2 ? " may apply, depending on its condition" : "");
    }
done:
    skycrate__free(bucket);
    skycrate__free(key);
    skycrate__buf_dispose(&sid);
    return error;
}

static int check_code(dx *x)
{
    if (!x->failed)
        return 0;
    int error;
    if (strcmp(x->code, "NoSuchBucket") == 0) {
        char *bucket = NULL, *key = NULL;
        if ((error = skycrate__doctor_url_target(&bucket, &key, &x->url, x->doctor->presigner)) ==
                0 &&
            (error = found(x, SKYCRATE_VERDICT_NO_SUCH_BUCKET, bucket, NULL, NULL)) == 1)
            error = SAY(x, "The bucket %s does not exist (any more): provision it again.", bucket);
        skycrate__free(bucket);
        skycrate__free(key);
        return error;
    }
    if ((error = found(x, SKYCRATE_VERDICT_UNKNOWN, NULL, NULL, x->code)) < 0)
        return error;
    return SAY(x,
               "The server refused the request with HTTP %d%s%s%s%s, for a reason the doctor "
               "cannot tell.",
               x->c->answer.status, *x->code ? " " : "", x->code,
               x->err.message && *x->err.message ? ": " : "", x->err.message ? x->err.message : "");
}

static int nothing_found(dx *x)
{
    int error = found(x, SKYCRATE_VERDICT_OK, NULL, NULL, NULL);
    return error < 0 ? error
                     : SAY(x, "Nothing wrong was found: the request matches its signature, the "
                              "URL is valid and the host is S3.");
}

/* ---- the order ---- */

static const check_fn checks[] = {
    check_host,       check_cors,      check_success,  check_post, check_presigned,
    check_method,     check_headers,   check_unsigned, check_time, check_region,
    check_access_key, check_signature, check_denied,   check_code, nothing_found,
};

static int setup(dx *x)
{
    const skycrate_doctor_case *c = x->c;
    const char *url = c->sent_url ? c->sent_url : c->contract_url;
    if (url == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL, "the case has no contract and no sent URL");
    x->method = c->sent_method ? c->sent_method : c->contract_method;
    x->sent = c->sent_headers_set ? &c->sent_headers : &c->contract_headers;
    x->now = c->time >= 0 ? c->time : skycrate__now_ms() / 1000;
    x->server_now = x->now;
    x->code = "";
    x->failed = c->answer.status >= 300;
    int error = skycrate__doctor_url_parse(&x->url, url);
    if (error == 0 && c->answer.body.len &&
        (error = skycrate__s3_error_doc_parse(&x->err, c->answer.body.ptr, c->answer.body.len)) <
            0 &&
        error != SKYCRATE_ENOMEM) {
        error = 0;
        skycrate_error_clear(); /* not an S3 error document: no code */
    }
    if (x->err.code)
        x->code = x->err.code;
    const char *date = skycrate__doctor_headers_get(&c->answer.headers, "Date");
    if (date == NULL)
        date = skycrate__doctor_headers_get(&c->preflight.headers, "Date");
    if (date && skycrate__parse_http_date(&x->server_now, date) == 0)
        x->server_clock = true;
    else
        skycrate_error_clear();
    return error;
}

int skycrate_doctor_diagnose(skycrate_diagnosis **out, const skycrate_doctor *doctor,
                             const skycrate_doctor_case *c)
{
    dx x = {.doctor = doctor, .c = c};
    int error = 0;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(doctor, SKYCRATE_MAGIC_DOCTOR);
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    if ((error = setup(&x)) < 0 || (error = skycrate__diagnosis_new(&x.d)) < 0)
        goto done;
    x.d->status = c->answer.status;
    if (*x.code && (error = skycrate__buf_puts(&x.d->code, x.code)) < 0)
        goto done;
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(checks); i++)
        if ((error = checks[i](&x)) != 0)
            break;
    if (error > 0) {
        error = 0;
        *out = x.d;
        x.d = NULL;
    }
done:
    skycrate_diagnosis_free(x.d);
    skycrate__s3_error_doc_dispose(&x.err);
    skycrate__doctor_url_dispose(&x.url);
    return error;
}
