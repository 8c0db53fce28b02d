/*
 * The 403 doctor without a network: every verdict from a case built as a browser, a server or
 * AWS would report it (AWS's error documents as AWS sends them), the JSON render, bad input,
 * and an allocation-failure loop. tests/integration/test_rgw_doctor.c reproduces the same
 * faults against radosgw.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "mocktransport.h"
#include "skycrate.h"
#include "testalloc.h"
#include "testutil.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T0 1767225600 /* 2026-01-01T00:00:00Z */
#define ENDPOINT "http://127.0.0.1:7480"

static int64_t frozen_ms;
static int64_t frozen_clock(void *user_data)
{
    (void)user_data;
    return frozen_ms;
}

static skycrate_client *client;
static skycrate_presigner *presigner;
static skycrate_doctor *doctor;

/* A client with the test's keys; plain http elsewhere when `allow_http`; the `transport` given,
 * or (NULL) libcurl's, through which the diagnoses send nothing. */
static skycrate_client *client_with(const char *region, const char *endpoint, int allow_http,
                                    skycrate_http_transport *transport)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, AKID, SECRET, NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, region));
    if (endpoint)
        ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, endpoint));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, allow_http));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    if (transport)
        ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, transport));
    skycrate_client *c = NULL;
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    skycrate_client_config_free(cfg);
    return c;
}

static skycrate_client *make_client(const char *region, const char *endpoint)
{
    return client_with(region, endpoint, endpoint != NULL, NULL);
}

static void start(const skycrate_allocator *allocator)
{
    ck_assert_int_eq(skycrate_global_init(allocator), 1);
    frozen_ms = (int64_t)T0 * 1000;
    skycrate__clock_override(frozen_clock, NULL);
    client = make_client("us-east-1", ENDPOINT);
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
    ck_assert_sky_ok(skycrate_doctor_new(&doctor, client));
}

static void setup(void)
{
    start(NULL);
}

static void teardown(void)
{
    skycrate_doctor_free(doctor);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate__clock_override(NULL, NULL);
    skycrate_global_cleanup();
}

/* A PUT contract for `key` signed at `at` (0: now) with an optional Content-Type. */
static skycrate_presigned *contract(const char *key, const char *content_type, int64_t at)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", "bucket", key));
    if (content_type)
        ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", content_type));
    if (at)
        ck_assert_sky_ok(skycrate_presign_request_set_time(r, at));
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, presigner, r));
    skycrate_presign_request_free(r);
    return c;
}

static skycrate_doctor_case *case_of(const skycrate_presigned *c)
{
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_contract(dc, c));
    return dc;
}

static void answer(skycrate_doctor_case *dc, int status, const char *body)
{
    ck_assert_sky_ok(skycrate_doctor_case_set_answer(dc, 0, status, body, body ? strlen(body) : 0));
}

static const char *s3_error(const char *code, const char *extra)
{
    static char doc[8192];
    snprintf(doc, sizeof(doc),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>%s"
             "<RequestId>tx1</RequestId></Error>",
             code, extra ? extra : "<Message></Message>");
    return doc;
}

/* Diagnoses and checks the verdict; the caller frees the diagnosis. */
static skycrate_diagnosis *expect(skycrate_doctor_case *dc, skycrate_verdict verdict)
{
    skycrate_diagnosis *d = NULL;
    ck_assert_sky_ok(skycrate_doctor_diagnose(&d, doctor, dc));
    ck_assert_msg(skycrate_diagnosis_verdict(d) == verdict, "verdict %s, want %s: %s",
                  skycrate_verdict_name(skycrate_diagnosis_verdict(d)),
                  skycrate_verdict_name(verdict), skycrate_diagnosis_message(d));
    ck_assert_str_ne(skycrate_diagnosis_message(d), "");
    ck_assert_ptr_null(strstr(skycrate_diagnosis_message(d), SECRET));
    return d;
}

/* A copy of the URL with `from` replaced by `to` (once). */
static char *edit(const char *url, const char *from, const char *to)
{
    static char out[4096];
    const char *at = strstr(url, from);
    ck_assert_ptr_nonnull(at);
    snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - url), url, to, at + strlen(from));
    return out;
}

/* ---- verdicts ---- */

START_TEST(success_is_ok)
{
    skycrate_presigned *c = contract("a.txt", "text/plain", 0);
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 200, NULL);
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_OK));
    /* Without an answer, a request that matches its contract has nothing wrong either. */
    skycrate_doctor_case_free(dc);
    dc = case_of(c);
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_OK));
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(header_sent_differently)
{
    skycrate_presigned *c = contract("a.txt", "text/plain", 0);
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "Content-Type", "text/html"));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_HEADER_MISMATCH);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "content-type");
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "text/plain");
    ck_assert_str_eq(skycrate_diagnosis_actual(d), "text/html");
    const char *code = NULL;
    ck_assert_int_eq(skycrate_diagnosis_status(&code, d), 403);
    ck_assert_str_eq(code, "SignatureDoesNotMatch");
    skycrate_diagnosis_free(d);
    /* Blanks S3 folds are not a difference. */
    skycrate_doctor_case_free(dc);
    dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "content-type", "  text/plain "));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_OK));
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

/* What a client sent may hold bytes that are not UTF-8 (a browser sends header values as
 * bytes): the diagnosis says them as U+FFFD, and its JSON renders. URLs and header names are
 * refused unless a request could carry them. */
START_TEST(bytes_that_are_not_utf8_are_shown_replaced)
{
    skycrate_presigned *c = contract("a.txt", "text/plain", 0);
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "Content-Type", "text/\xf3x\xc3"));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_HEADER_MISMATCH);
    ck_assert_str_eq(skycrate_diagnosis_actual(d), "text/\xef\xbf\xbdx\xef\xbf\xbd");
    char *json = NULL;
    ck_assert_sky_ok(skycrate_diagnosis_to_json(&json, d, 0));
    ck_assert_ptr_nonnull(strstr(json, "\"actual\":\"text/\xef\xbf\xbdx\xef\xbf\xbd\""));
    skycrate_free(json);
    skycrate_diagnosis_free(d);
    ck_assert_int_eq(skycrate_doctor_case_add_sent_header(dc, "a(b", "v"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_add_sent_header(dc, "x-caf\xc3\xa9", "v"),
                     SKYCRATE_EINVAL);
    char url[2048];
    snprintf(url, sizeof(url), "%s", skycrate_presigned_url(c));
    ck_assert_int_eq(skycrate_doctor_case_set_sent(dc, "PUT", edit(url, "a.txt", "a\xf3.txt")),
                     SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", edit(url, "a.txt", "a%F3.txt")));
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(header_not_sent)
{
    skycrate_presigned *c = contract("a.txt", "image/png", 0);
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "x-other", "1"));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_HEADER_MISSING);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "content-type");
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "image/png");
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(wrong_method)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "get", skycrate_presigned_url(c)));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_METHOD_MISMATCH);
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "PUT");
    ck_assert_str_eq(skycrate_diagnosis_actual(d), "GET");
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    /* From the URL alone: the signature is recomputed for each method. */
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "DELETE", skycrate_presigned_url(c)));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    d = expect(dc, SKYCRATE_VERDICT_METHOD_MISMATCH);
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "PUT");
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(tampered_url)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    const char *url = skycrate_presigned_url(c);
    const char *sig = strstr(url, "X-Amz-Signature=") + 16;
    char *bad = edit(url, sig, sig[0] == '0' ? "1" : "0");
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", bad));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_SIGNATURE_MISMATCH);
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "changed after"));
    ck_assert_ptr_null(strstr(skycrate_diagnosis_message(d), sig));
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    /* The key changed: the same verdict. */
    dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", edit(url, "a.txt", "b.txt")));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_SIGNATURE_MISMATCH));
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(secret_the_server_does_not_hold)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_SIGNATURE_MISMATCH);
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "secret key"));
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

/* AWS returns its canonical request: the doctor names the first line that differs. */
START_TEST(aws_canonical_request_is_compared)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    const char *cr = NULL;
    ck_assert_sky_ok(skycrate_presigned_explain(&cr, NULL, c));
    char theirs[4096], extra[4600];
    snprintf(theirs, sizeof(theirs), "%s", cr);
    char *path = strstr(theirs, "/a.txt");
    ck_assert_ptr_nonnull(path);
    path[1] = 'b';
    /* As AWS sends it: the query's '&' escaped. */
    size_t at = (size_t)snprintf(extra, sizeof(extra),
                                 "<Message>The request signature we calculated does not "
                                 "match</Message><CanonicalRequest>");
    for (const char *p = theirs; *p && at < sizeof(extra) - 64; p++)
        at += (size_t)snprintf(extra + at, sizeof(extra) - at, *p == '&' ? "&amp;" : "%c", *p);
    snprintf(extra + at, sizeof(extra) - at, "</CanonicalRequest>");
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 403, s3_error("SignatureDoesNotMatch", extra));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_SIGNATURE_MISMATCH);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "canonical request line 2");
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "/bucket/b.txt");
    ck_assert_str_eq(skycrate_diagnosis_actual(d), "/bucket/a.txt");
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(policy_statement_is_named)
{
    skycrate_presigned *c = contract("deny/a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 403, s3_error("AccessDenied", NULL));
    ck_assert_sky_ok(skycrate_doctor_case_set_bucket(
        dc, NULL,
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadOnly\",\"Effect\":\"Deny\","
        "\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bucket/*\"},"
        "{\"Sid\":\"NoDeny\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":[\"s3:Put*\"],"
        "\"Resource\":\"arn:aws:s3:::bucket/deny/*\"}]}"));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_ACCESS_DENIED);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "NoDeny");
    skycrate_diagnosis_free(d);
    /* A TLS-only statement applies to plain http. */
    ck_assert_sky_ok(skycrate_doctor_case_set_bucket(
        dc, NULL,
        "{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
        "\"Resource\":[\"arn:aws:s3:::bucket\",\"arn:aws:s3:::bucket/*\"],"
        "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}}"));
    d = expect(dc, SKYCRATE_VERDICT_ACCESS_DENIED);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "#0");
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

static const char *cors_rules =
    "<CORSConfiguration><CORSRule><AllowedOrigin>http://localhost:3000</AllowedOrigin>"
    "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
    "<AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-app-*</AllowedHeader>"
    "</CORSRule></CORSConfiguration>";

static void cors_case(const char *origin, const char *method, const char *header,
                      skycrate_verdict verdict, const char *subject)
{
    skycrate_presigned *c = contract("a.txt", "application/pdf", 0);
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_set_origin(dc, origin));
    if (method)
        ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, method, skycrate_presigned_url(c)));
    if (header) {
        ck_assert_sky_ok(
            skycrate_doctor_case_add_sent_header(dc, "content-type", "application/pdf"));
        ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, header, "1"));
    }
    ck_assert_sky_ok(skycrate_doctor_case_set_answer(dc, 1, 403, NULL, 0));
    ck_assert_sky_ok(skycrate_doctor_case_set_bucket(dc, cors_rules, NULL));
    skycrate_diagnosis *d = expect(dc, verdict);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), subject);
    ck_assert_int_eq(skycrate_diagnosis_status(NULL, d), verdict ? 403 : 0);
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}

START_TEST(cors_rule_parts)
{
    cors_case("http://evil.example", NULL, NULL, SKYCRATE_VERDICT_CORS_ORIGIN,
              "http://evil.example");
    cors_case("http://localhost:3000", "DELETE", NULL, SKYCRATE_VERDICT_CORS_METHOD, "DELETE");
    cors_case("http://localhost:3000", NULL, "X-Custom", SKYCRATE_VERDICT_CORS_HEADER, "X-Custom");
    /* Wildcard headers match any case. */
    cors_case("http://localhost:3000", NULL, "X-App-Trace", SKYCRATE_VERDICT_OK, "");
}
END_TEST

START_TEST(cors_without_rules)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_set_origin(dc, "http://localhost:3000"));
    ck_assert_sky_ok(skycrate_doctor_case_set_answer(dc, 1, 403, NULL, 0));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_CORS_PREFLIGHT));
    ck_assert_sky_ok(skycrate_doctor_case_set_bucket(dc, "", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_CORS_PREFLIGHT);
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "no CORS configuration"));
    skycrate_diagnosis_free(d);
    /* A preflight that was answered with the origin is no fault. */
    ck_assert_sky_ok(skycrate_doctor_case_set_bucket(dc, NULL, NULL));
    ck_assert_sky_ok(skycrate_doctor_case_set_answer(dc, 1, 200, NULL, 0));
    ck_assert_sky_ok(skycrate_doctor_case_add_answer_header(dc, 1, "Access-Control-Allow-Origin",
                                                            "http://localhost:3000"));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_OK));
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

static void add_date(skycrate_doctor_case *dc, int64_t at)
{
    char date[64];
    time_t t = (time_t)at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    ck_assert_sky_ok(skycrate_doctor_case_add_answer_header(dc, 0, "Date", date));
}

START_TEST(expired_url)
{
    skycrate_presigned *c = contract("a.txt", NULL, T0 - 3600); /* 900 s */
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 403, s3_error("AccessDenied", NULL));
    add_date(dc, T0);
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_EXPIRED);
    ck_assert_int_eq(skycrate_diagnosis_seconds(d), T0 - 2700);
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "2025-12-31T23:15:00Z");
    char *json = NULL;
    ck_assert_sky_ok(skycrate_diagnosis_to_json(&json, d, 0));
    ck_assert_ptr_nonnull(strstr(json, "\"verdict\":\"expired\""));
    ck_assert_ptr_nonnull(strstr(json, "\"expiredAt\":\"2025-12-31T23:15:00Z\""));
    ck_assert_ptr_nonnull(strstr(json, "\"status\":403,\"code\":\"AccessDenied\""));
    skycrate_free(json);
    ck_assert_sky_ok(skycrate_diagnosis_to_json(&json, d, SKYCRATE_JSON_PRETTY));
    ck_assert_ptr_nonnull(strstr(json, "\n  \"verdict\": \"expired\""));
    skycrate_free(json);
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(skewed_clocks)
{
    /* Signed now by a clock two hours behind the server's: valid here, expired there. */
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 403, s3_error("AccessDenied", NULL));
    add_date(dc, T0 + 7200);
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_CLOCK_SKEW);
    ck_assert_int_eq(skycrate_diagnosis_seconds(d), -7200);
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "7200 seconds behind"));
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
    /* Signed by a clock ahead: AWS says RequestTimeTooSkewed or refuses a date in the future. */
    c = contract("a.txt", NULL, T0 + 3600);
    dc = case_of(c);
    answer(dc, 403, s3_error("AccessDenied", "<Message>Request is not valid yet</Message>"));
    add_date(dc, T0);
    d = expect(dc, SKYCRATE_VERDICT_CLOCK_SKEW);
    ck_assert_int_eq(skycrate_diagnosis_seconds(d), 3600);
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(cloudfront_host)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    char *cdn = edit(skycrate_presigned_url(c), "127.0.0.1:7480", "d111111abcdef8.cloudfront.net");
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", cdn));
    answer(dc, 403, "<Error><Code>AccessDenied</Code></Error>");
    ck_assert_sky_ok(skycrate_doctor_case_add_answer_header(dc, 0, "X-Amz-Cf-Id", "abc"));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_NOT_S3);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "d111111abcdef8.cloudfront.net");
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "127.0.0.1:7480");
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "CloudFront"));
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

/* AWS's answer to a URL signed for another region than the bucket's. */
START_TEST(aws_wrong_region)
{
    skycrate_doctor_free(doctor);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    client = make_client("us-east-1", NULL);
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
    ck_assert_sky_ok(skycrate_doctor_new(&doctor, client));
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 400,
           s3_error("AuthorizationQueryParametersError",
                    "<Message>Error parsing the X-Amz-Credential parameter; the region "
                    "'us-east-1' is wrong; expecting 'eu-west-1'</Message>"
                    "<Region>eu-west-1</Region>"));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_WRONG_REGION);
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "eu-west-1");
    ck_assert_str_eq(skycrate_diagnosis_actual(d), "us-east-1");
    skycrate_diagnosis_free(d);
    /* A CloudFront domain in front of AWS is not S3 either. */
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT",
                                                   edit(skycrate_presigned_url(c),
                                                        "bucket.s3.us-east-1.amazonaws.com",
                                                        "cdn.cloudfront.net")));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_NOT_S3));
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(unknown_access_key)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    skycrate_doctor_case *dc = case_of(c);
    answer(dc, 403, s3_error("InvalidAccessKeyId", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_UNKNOWN_ACCESS_KEY);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), AKID);
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

/* AWS refuses x-amz-* headers a presigned URL does not sign; radosgw accepts them. */
START_TEST(aws_unsigned_amz_header)
{
    skycrate_presigned *c = contract("a.txt", "text/plain", 0);
    skycrate_doctor_case *dc = case_of(c);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "Content-Type", "text/plain"));
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "x-amz-meta-owner", "bob"));
    answer(dc, 403,
           s3_error("AccessDenied", "<Message>There were headers present in the "
                                    "request which were not signed</Message>"));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_HEADER_UNSIGNED);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "x-amz-meta-owner");
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(post_form_answers)
{
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "POST", ENDPOINT "/bucket"));
    answer(dc, 400, s3_error("EntityTooLarge", NULL));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_TOO_LARGE));
    answer(dc, 403,
           s3_error("AccessDenied", "<Message>Invalid according to Policy: Policy "
                                    "Condition failed</Message>"));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_POLICY_CONDITION));
    answer(dc, 201, "<PostResponse/>");
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_OK));
    /* A form POST needs POST in the CORS rule, although it sends no preflight. */
    ck_assert_sky_ok(skycrate_doctor_case_set_origin(dc, "http://localhost:3000"));
    ck_assert_sky_ok(skycrate_doctor_case_set_bucket(dc, cors_rules, NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_CORS_METHOD);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "POST");
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "may be written"));
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
}
END_TEST

START_TEST(other_answers)
{
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", ENDPOINT "/bucket/a.txt"));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_NOT_PRESIGNED));
    skycrate_doctor_case_free(dc);
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    dc = case_of(c);
    answer(dc, 404, s3_error("NoSuchBucket", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_NO_SUCH_BUCKET);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "bucket");
    skycrate_diagnosis_free(d);
    answer(dc, 503, "not xml");
    d = expect(dc, SKYCRATE_VERDICT_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "HTTP 503"));
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

/* ---- input ---- */

START_TEST(contract_json_is_read)
{
    skycrate_presigned *c = contract("a.txt", "text/plain", 0);
    char *json = NULL;
    ck_assert_sky_ok(skycrate_presigned_to_json(&json, c, 0));
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_contract_json(dc, json));
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "Content-Type", "text/csv"));
    answer(dc, 403, s3_error("SignatureDoesNotMatch", NULL));
    skycrate_diagnosis *d = expect(dc, SKYCRATE_VERDICT_HEADER_MISMATCH);
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "text/plain");
    skycrate_diagnosis_free(d);
    /* The presign server's shape: uploadUrl. */
    char server[4096];
    snprintf(server, sizeof(server),
             "{\"key\":\"a.txt\",\"uploadUrl\":\"%s\",\"method\":\"PUT\","
             "\"headers\":{\"content-type\":\"text/plain\"}}",
             skycrate_presigned_url(c));
    ck_assert_sky_ok(skycrate_doctor_case_set_contract_json(dc, server));
    skycrate_diagnosis_free(expect(dc, SKYCRATE_VERDICT_HEADER_MISMATCH));
    skycrate_free(json);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    skycrate_diagnosis *d = NULL;
    ck_assert_int_eq(skycrate_doctor_diagnose(&d, doctor, dc), SKYCRATE_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(skycrate_doctor_case_set_contract_json(dc, "{"), SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_doctor_case_set_contract_json(dc, "{\"method\":\"PUT\"}"),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_contract_json(
                         dc, "{\"method\":\"PATCH\",\"url\":\"http://h/b/k\"}"),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_contract_json(
                         dc, "{\"method\":\"PUT\",\"url\":\"http://h/b/k\",\"headers\":{\"a\":1}}"),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_sent(dc, "PUT", "ftp://h/b/k"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_sent(dc, "PUT", "http:///b"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_add_sent_header(dc, "Bad Name", "v"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_add_sent_header(dc, "X", "a\r\nb"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_origin(dc, "javascript:x"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_answer(dc, 0, 42, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_add_answer_header(dc, 1, "Date", "x"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_bucket(dc, "<notcors/>", NULL), SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_doctor_case_set_bucket(dc, NULL, "[1"), SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_doctor_case_set_time(dc, -2), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_doctor_case_set_contract(dc, (const skycrate_presigned *)doctor),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_diagnosis_verdict(NULL), SKYCRATE_VERDICT_UNKNOWN);
    ck_assert_str_eq(skycrate_diagnosis_message(NULL), "");
    ck_assert_str_eq(skycrate_verdict_name((skycrate_verdict)99), "unknown");
    ck_assert_str_eq(skycrate_verdict_name(SKYCRATE_VERDICT_NO_SUCH_BUCKET), "no-such-bucket");
    skycrate_doctor_case_free(dc);
}
END_TEST

/* A client of the mock transport on an https endpoint; plain http elsewhere when allowed. */
static skycrate_client *mock_client(mock_transport *m, int allow_http)
{
    skycrate_http_transport *t = mock_transport_new(m);
    skycrate_client *c = client_with("us-east-1", "https://s3.example.com", allow_http, t);
    skycrate_http_transport_unref(t);
    return c;
}

START_TEST(replay_sends_plain_http_only_where_allowed)
{
    skycrate_presigned *c = contract("a.txt", NULL, 0);
    const char *url = edit(skycrate_presigned_url(c), "http://127.0.0.1:7480", "http://192.0.2.1");
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", url));
    mock_transport *m = mock_new();
    skycrate_client *refusing = mock_client(m, 0);
    skycrate_diagnosis *d = NULL;
    ck_assert_int_eq(skycrate_doctor_replay(&d, refusing, doctor, dc), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "plain http"));
    ck_assert_ptr_null(d);
    ck_assert_uint_eq(mock_request_count(m), 0); /* nothing was sent */
    /* Allowed: sent to that host (the mock's connection failure ends the replay). */
    skycrate_client *allowing = mock_client(m, 1);
    mock_push_error(m, SKYCRATE_ECONNECT);
    ck_assert_int_eq(skycrate_doctor_replay(&d, allowing, doctor, dc), SKYCRATE_ECONNECT);
    ck_assert_uint_eq(mock_request_count(m), 1);
    ck_assert_ptr_nonnull(strstr(mock_request(m, 0)->url, "http://192.0.2.1/bucket/a.txt?"));
    skycrate_client_free(allowing);
    skycrate_client_free(refusing);
    mock_free(m);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(allocation_failures)
{
    teardown();
    start(&testalloc);
    skycrate_presigned *c = contract("deny/a.txt", "text/plain", 0);
    testalloc_reset_count();
    skycrate_doctor_case *dc = NULL;
    skycrate_diagnosis *d = NULL;
    for (long n = 1;; n++) {
        testalloc_fail_at(n);
        dc = NULL;
        d = NULL;
        int rc = skycrate_doctor_case_new(&dc);
        if (rc == 0)
            rc = skycrate_doctor_case_set_contract(dc, c);
        if (rc == 0)
            rc = skycrate_doctor_case_add_sent_header(dc, "Content-Type", "text/plain");
        if (rc == 0)
            rc = skycrate_doctor_case_set_answer(dc, 0, 403, s3_error("AccessDenied", NULL),
                                                 strlen(s3_error("AccessDenied", NULL)));
        if (rc == 0)
            rc = skycrate_doctor_case_set_bucket(
                dc, cors_rules,
                "{\"Statement\":[{\"Sid\":\"S\",\"Effect\":\"Deny\",\"Action\":\"s3:*\","
                "\"Resource\":\"arn:aws:s3:::bucket/deny/*\"}]}");
        if (rc == 0) {
            rc = skycrate_doctor_diagnose(&d, doctor, dc);
            ck_assert(rc == 0 || d == NULL);
        }
        char *json = NULL;
        if (rc == 0)
            rc = skycrate_diagnosis_to_json(&json, d, 0);
        testalloc_fail_at(0);
        skycrate_free(json);
        skycrate_doctor_case_free(dc);
        if (rc == 0) {
            ck_assert_int_eq(skycrate_diagnosis_verdict(d), SKYCRATE_VERDICT_ACCESS_DENIED);
            skycrate_diagnosis_free(d);
            ck_assert_int_gt(n, 10);
            break;
        }
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld: rc %d", n, rc);
        skycrate_diagnosis_free(d);
    }
    skycrate_presigned_free(c);
    teardown();
    ck_assert_int_eq(testalloc_outstanding(), 0);
    setup();
}
END_TEST

static Suite *doctor_suite(void)
{
    Suite *s = suite_create("doctor");
    TCase *tc = tcase_create("verdicts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, success_is_ok);
    tcase_add_test(tc, header_sent_differently);
    tcase_add_test(tc, bytes_that_are_not_utf8_are_shown_replaced);
    tcase_add_test(tc, header_not_sent);
    tcase_add_test(tc, wrong_method);
    tcase_add_test(tc, tampered_url);
    tcase_add_test(tc, secret_the_server_does_not_hold);
    tcase_add_test(tc, aws_canonical_request_is_compared);
    tcase_add_test(tc, policy_statement_is_named);
    tcase_add_test(tc, cors_rule_parts);
    tcase_add_test(tc, cors_without_rules);
    tcase_add_test(tc, expired_url);
    tcase_add_test(tc, skewed_clocks);
    tcase_add_test(tc, cloudfront_host);
    tcase_add_test(tc, aws_wrong_region);
    tcase_add_test(tc, unknown_access_key);
    tcase_add_test(tc, aws_unsigned_amz_header);
    tcase_add_test(tc, post_form_answers);
    tcase_add_test(tc, other_answers);
    suite_add_tcase(s, tc);
    tc = tcase_create("input");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, contract_json_is_read);
    tcase_add_test(tc, bad_input_is_refused);
    tcase_add_test(tc, replay_sends_plain_http_only_where_allowed);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(doctor_suite)
