/*
 * Unit tests of lib/creds/sts.c and net.c: the STS endpoint, AssumeRole and
 * AssumeRoleWithWebIdentity byte for byte as botocore sends them (tests/vectors/sts-golden,
 * made by tools/gen-golden-sts.py), STS's answers and errors, retries, and the HTTP helpers
 * of the network providers. The transport is the scripted mock: no network.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/net.h"
#include "creds/sts.h"
#include "mocktransport.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"
#include "testvectors.h"

#define JWT "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJTRUNSRVRYIn0.SECRETXsignature"

static const char sts_ok[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<AssumeRoleResult><Credentials><AccessKeyId>ASIASESSION</AccessKeyId>"
    "<SecretAccessKey>" TEST_SECRET "</SecretAccessKey><SessionToken>" TEST_TOKEN
    "</SessionToken><Expiration>2026-01-01T01:00:00Z</Expiration></Credentials>"
    "<AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>"
    "</AssumeRoleResult></AssumeRoleResponse>";

static const char web_ok[] =
    "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
    "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>" TEST_SECRET "</SecretAccessKey>"
    "<SessionToken>" TEST_TOKEN "</SessionToken>"
    "<Expiration>2026-01-01T00:15:00.123456789Z</Expiration></Credentials>"
    "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";

static mock_transport *mock;
static skycrate__creds_http *http;
static skycrate_credentials *source;
static skycrate__sts_endpoint endpoint;

static void setup(void)
{
    testhome_setup();
    skycrate__clock_override(testhome_frozen_clock, NULL);
    mock = mock_new();
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate__creds_http_new(&http, t, NULL));
    skycrate_http_transport_unref(t);
    ck_assert_sky_ok(skycrate_credentials_new(&source, "AKIDSOURCE", TEST_SECRET, TEST_TOKEN, 0));
    memset(&endpoint, 0, sizeof(endpoint));
}

static void teardown(void)
{
    skycrate__sts_endpoint_dispose(&endpoint);
    skycrate_credentials_unref(source);
    skycrate__creds_http_unref(http);
    mock_free(mock);
    testhome_teardown();
}

static void resolve_endpoint(void)
{
    skycrate__aws_config cfg;
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    skycrate__sts_endpoint_dispose(&endpoint);
    int rc = skycrate__sts_endpoint_resolve(&endpoint, &cfg);
    skycrate__aws_config_dispose(&cfg);
    ck_assert_sky_ok(rc);
}

static skycrate__sts_request role_request(void)
{
    skycrate__sts_request r = {
        .role_arn = "arn:aws:iam::123456789012:role/demo",
        .session_name = "s1",
        .source = source,
        .endpoint = &endpoint,
        .who = "profile 'dev'",
    };
    return r;
}

/* --- endpoint ------------------------------------------------------------------------------ */

START_TEST(endpoint_is_regional_and_configurable)
{
    resolve_endpoint();
    ck_assert_str_eq(endpoint.url, "https://sts.us-east-1.amazonaws.com");
    ck_assert_str_eq(endpoint.region, "us-east-1");
    ck_assert_str_eq(endpoint.from, "default");

    testhome_write_config("[default]\nregion = eu-central-1\n[profile other]\nregion = cn-north-1\n"
                          "services = mine\n[services mine]\nsts =\n  endpoint_url = "
                          "http://sts.example:8080\n");
    resolve_endpoint();
    ck_assert_str_eq(endpoint.url, "https://sts.eu-central-1.amazonaws.com");
    setenv("AWS_PROFILE", "other", 1);
    resolve_endpoint();
    ck_assert_str_eq(endpoint.url, "http://sts.example:8080");
    ck_assert_str_eq(endpoint.region, "cn-north-1");
    ck_assert_str_eq(endpoint.from, "services");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    resolve_endpoint();
    ck_assert_str_eq(endpoint.url, "https://sts.cn-north-1.amazonaws.com.cn");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

    setenv("AWS_REGION", "ap-south-1", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
    resolve_endpoint();
    ck_assert_str_eq(endpoint.url, "http://127.0.0.1:9000");
    ck_assert_str_eq(endpoint.region, "ap-south-1");
    ck_assert_str_eq(endpoint.from, "AWS_ENDPOINT_URL");
    setenv("AWS_ENDPOINT_URL_STS", "https://sts.internal/", 1);
    resolve_endpoint();
    ck_assert_str_eq(endpoint.url, "https://sts.internal/");
    ck_assert_str_eq(endpoint.from, "AWS_ENDPOINT_URL_STS");

    setenv("AWS_ENDPOINT_URL_STS", "ftp://x", 1);
    skycrate__aws_config cfg;
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    skycrate__sts_endpoint_dispose(&endpoint);
    ck_assert_int_eq(skycrate__sts_endpoint_resolve(&endpoint, &cfg), SKYCRATE_EINVAL);
    ck_assert_message_has("AWS_ENDPOINT_URL_STS is not an http:// or https:// URL");
    setenv("AWS_ENDPOINT_URL_STS", "http://ok", 1);
    setenv("AWS_REGION", "bad region", 1);
    ck_assert_int_eq(skycrate__sts_endpoint_resolve(&endpoint, &cfg), SKYCRATE_EINVAL);
    ck_assert_message_has("AWS_REGION is not a region name");
    ck_assert_ptr_null(endpoint.url);
    skycrate__aws_config_dispose(&cfg);
}
END_TEST

/* --- requests as botocore sends them -------------------------------------------------------- */

static const char *const golden[] = {"assume-role-session-token", "assume-role-plain",
                                     "assume-role-custom-endpoint", "web-identity"};

static int64_t golden_time;
static int64_t golden_clock(void *user_data)
{
    (void)user_data;
    return golden_time * 1000;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Plain http would carry the source credentials (or the web identity token) and the session
 * credentials in the clear: only to a loopback host, or where the client allows it. */
START_TEST(plain_http_elsewhere_needs_the_clients_permission)
{
    setenv("AWS_ENDPOINT_URL_STS", "http://sts.example.com:8080", 1);
    resolve_endpoint();
    skycrate__sts_request role = role_request(), web = role_request();
    web.source = NULL;
    web.web_identity_token = JWT;
    skycrate_credentials *got = NULL;
    ck_assert_int_eq(skycrate__sts_assume_role(&got, http, &role), SKYCRATE_EINVAL);
    ck_assert_message_has("the STS endpoint http://sts.example.com:8080 (from "
                          "AWS_ENDPOINT_URL_STS) is plain http to a host that is not loopback");
    ck_assert_int_eq(skycrate__sts_assume_role(&got, http, &web), SKYCRATE_EINVAL);
    ck_assert_uint_eq(mock_request_count(mock), 0);
    ck_assert_ptr_null(got);

    skycrate__creds_http_set_allow_http(http, true);
    mock_push_str(mock, 200, NULL, sts_ok);
    mock_push_str(mock, 200, NULL, web_ok);
    ck_assert_sky_ok(skycrate__sts_assume_role(&got, http, &role));
    skycrate_credentials_unref(got);
    ck_assert_sky_ok(skycrate__sts_assume_role(&got, http, &web));
    skycrate_credentials_unref(got);
    ck_assert_str_eq(mock_request(mock, 0)->url, "http://sts.example.com:8080/");
    ck_assert_uint_eq(mock_request_count(mock), 2);

    /* A loopback host needs no permission. */
    skycrate__creds_http_set_allow_http(http, false);
    setenv("AWS_ENDPOINT_URL_STS", "http://[::1]:8080", 1);
    resolve_endpoint();
    mock_push_str(mock, 200, NULL, sts_ok);
    ck_assert_sky_ok(skycrate__sts_assume_role(&got, http, &role));
    skycrate_credentials_unref(got);
}
END_TEST

START_TEST(requests_match_botocore)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/sts-golden/%s.json", vectors_root(), golden[_i]);
    json_error_t jerr;
    json_t *c = json_load_file(path, 0, &jerr);
    ck_assert_msg(c != NULL, "%s: %s", path, jerr.text);
    json_t *in = json_object_get(c, "inputs"), *params = json_object_get(in, "params");
    golden_time = json_integer_value(json_object_get(in, "time"));
    skycrate__clock_override(golden_clock, NULL);
    setenv("AWS_REGION", str(in, "region"), 1);
    if (str(in, "endpoint"))
        setenv("AWS_ENDPOINT_URL_STS", str(in, "endpoint"), 1);
    resolve_endpoint();

    skycrate_credentials *src = NULL;
    bool web = strcmp(str(in, "action"), "AssumeRole") != 0;
    ck_assert_sky_ok(skycrate_credentials_new(
        &src, str(in, "access_key_id"), str(in, "secret_access_key"), str(in, "session_token"), 0));
    skycrate__sts_request r = {
        .role_arn = str(params, "RoleArn"),
        .session_name = str(params, "RoleSessionName"),
        .external_id = str(params, "ExternalId"),
        .duration_seconds =
            (uint32_t)json_integer_value(json_object_get(params, "DurationSeconds")),
        .source = web ? NULL : src,
        .web_identity_token = web ? str(params, "WebIdentityToken") : NULL,
        .endpoint = &endpoint,
        .who = "test",
    };
    mock_push_str(mock, 200, NULL, web ? web_ok : sts_ok);
    skycrate_credentials *got = NULL;
    ck_assert_sky_ok(skycrate__sts_assume_role(&got, http, &r));
    skycrate_credentials_unref(src);
    ck_assert_str_eq(skycrate_credentials_access_key_id(got), web ? "ASIAWEB" : "ASIASESSION");
    ck_assert_str_eq(skycrate_credentials_secret_access_key(got), TEST_SECRET);
    ck_assert_str_eq(skycrate_credentials_session_token(got), TEST_TOKEN);
    ck_assert_int_eq(skycrate_credentials_expiration(got), TESTHOME_NOW + (web ? 900 : 3600));
    skycrate_credentials_unref(got);

    const mock_req *q = mock_request(mock, 0);
    ck_assert_str_eq(q->method, str(c, "method"));
    ck_assert_str_eq(q->url, str(c, "url"));
    ck_assert_str_eq((const char *)q->body, str(c, "body"));
    json_t *headers = json_object_get(c, "headers");
    const char *name;
    json_t *value;
    size_t sent = 0;
    json_object_foreach(headers, name, value)
    {
        const char *h = mock_request_header(q, name);
        ck_assert_msg(h != NULL, "%s: no %s header", golden[_i], name);
        ck_assert_str_eq(h, json_string_value(value));
        sent++;
    }
    ck_assert_uint_eq(q->header_count, sent); /* nothing else is sent */
    ck_assert_uint_eq(q->timeout_ms, SKYCRATE__STS_TIMEOUT_MS);
    json_decref(c);
}
END_TEST

START_TEST(default_session_name_has_the_time)
{
    resolve_endpoint();
    skycrate__sts_request r = role_request();
    r.session_name = NULL;
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__sts_form(&b, &r, TESTHOME_NOW));
    ck_assert_str_eq(b.ptr, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
                            "123456789012%3Arole%2Fdemo&RoleSessionName=skycrate-session-"
                            "1767225600");
    skycrate__buf_dispose(&b);
}
END_TEST

/* --- answers -------------------------------------------------------------------------------- */

static int call(skycrate_credentials **out)
{
    resolve_endpoint();
    skycrate__sts_request r = role_request();
    return skycrate__sts_assume_role(out, http, &r);
}

static int call_web(skycrate_credentials **out)
{
    resolve_endpoint();
    skycrate__sts_request r = role_request();
    r.source = NULL;
    r.web_identity_token = JWT;
    r.who = "AWS_ROLE_ARN";
    return skycrate__sts_assume_role(out, http, &r);
}

START_TEST(refusals_carry_sts_code_message_and_request_id)
{
    skycrate_credentials *c = NULL;
    mock_push_str(
        mock, 403, "Content-Type: text/xml",
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
        "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/u "
        "is not authorized to perform: sts:AssumeRole</Message></Error>"
        "<RequestId>req-123</RequestId></ErrorResponse>");
    ck_assert_int_eq(call(&c), SKYCRATE_EAUTH);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "STS AssumeRole of role arn:aws:iam::123456789012:role/demo for profile 'dev' "
                     "at https://sts.us-east-1.amazonaws.com: AccessDenied: User: "
                     "arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole (HTTP "
                     "403, request id req-123)");
    testhome_assert_no_secret();

    /* radosgw's form */
    mock_push_str(mock, 404, NULL,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchEntity</Code>"
                  "<Message></Message><RequestId>tx1</RequestId></Error>");
    ck_assert_int_eq(call(&c), SKYCRATE_EAUTH);
    ck_assert_message_has(": NoSuchEntity (HTTP 404, request id tx1)");

    mock_push_str(mock, 400, NULL,
                  "<ErrorResponse><Error><Code>ExpiredToken</Code><Message>The security token "
                  "included in the request is expired</Message></Error></ErrorResponse>");
    ck_assert_int_eq(call(&c), SKYCRATE_EEXPIRED);
    mock_push_str(
        mock, 400, NULL,
        "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect "
        "provider found</Message></Error></ErrorResponse>");
    ck_assert_int_eq(call_web(&c), SKYCRATE_EAUTH);
    ck_assert_message_has(
        "STS AssumeRoleWithWebIdentity of role arn:aws:iam::123456789012:role/demo "
        "for AWS_ROLE_ARN at ");
    testhome_assert_no_secret();
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "eyJ"));
    mock_push_str(mock, 400, NULL,
                  "<ErrorResponse><Error><Code>ValidationError</Code><Message>1 validation error "
                  "detected: durationSeconds</Message></Error></ErrorResponse>");
    ck_assert_int_eq(call(&c), SKYCRATE_EINVAL);
    mock_push_str(mock, 403, NULL, "<html>forbidden</html>");
    ck_assert_int_eq(call(&c), SKYCRATE_EAUTH);
    ck_assert_message_has(": HTTP 403 without an STS error document");
    mock_push_str(mock, 302, NULL, "");
    ck_assert_int_eq(call(&c), SKYCRATE_EHTTP);
    ck_assert_uint_eq(mock_pending(mock), 0);
}
END_TEST

START_TEST(malformed_answers_are_parse_errors)
{
    static const char *const bad[] = {
        "not xml",
        "<AssumeRoleResponse><AssumeRoleResult></AssumeRoleResult></AssumeRoleResponse>",
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
        "<SecretAccessKey>" TEST_SECRET "</SecretAccessKey><SessionToken>" TEST_TOKEN
        "</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>",
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
        "<SecretAccessKey>" TEST_SECRET "</SecretAccessKey><SessionToken>" TEST_TOKEN
        "</SessionToken><Expiration>tomorrow</Expiration></Credentials></AssumeRoleResult>"
        "</AssumeRoleResponse>",
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
        "<SecretAccessKey></SecretAccessKey><SessionToken>" TEST_TOKEN
        "</SessionToken><Expiration>2026-01-01T01:00:00Z</Expiration></Credentials>"
        "</AssumeRoleResult></AssumeRoleResponse>",
        "<GetCallerIdentityResponse/>",
    };
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad); i++) {
        skycrate_credentials *c = NULL;
        mock_push_str(mock, 200, NULL, bad[i]);
        ck_assert_int_eq(call(&c), SKYCRATE_EPARSE);
        ck_assert_ptr_null(c);
        ck_assert_message_has("STS AssumeRole of role arn:aws:iam::123456789012:role/demo for "
                              "profile 'dev' at https://sts.us-east-1.amazonaws.com: the answer: ");
        testhome_assert_no_secret();
    }
}
END_TEST

START_TEST(transient_failures_are_retried_three_times)
{
    skycrate_credentials *c = NULL;
    mock_push_str(mock, 503, NULL, "busy");
    mock_push_error(mock, SKYCRATE_ECONNECT);
    mock_push_str(mock, 200, NULL, sts_ok);
    ck_assert_sky_ok(call(&c));
    skycrate_credentials_unref(c);
    ck_assert_uint_eq(mock_request_count(mock), 3);

    mock_push_error_msg(mock, SKYCRATE_ECONNECT, "connection refused");
    mock_push_error_msg(mock, SKYCRATE_ECONNECT, "connection refused");
    mock_push_error_msg(mock, SKYCRATE_ECONNECT, "connection refused");
    ck_assert_int_eq(call(&c), SKYCRATE_ECONNECT);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "STS AssumeRole of role arn:aws:iam::123456789012:role/demo for profile "
                     "'dev' at https://sts.us-east-1.amazonaws.com: connection refused");
    ck_assert_uint_eq(mock_request_count(mock), 6);

    for (int i = 0; i < 3; i++)
        mock_push_str(mock, 500, NULL,
                      "<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>");
    ck_assert_int_eq(call(&c), SKYCRATE_EHTTP);
    ck_assert_message_has("InternalFailure (HTTP 500)");
    /* A refusal is final. */
    mock_push_str(mock, 403, NULL, "<Error><Code>AccessDenied</Code></Error>");
    mock_push_str(mock, 200, NULL, sts_ok);
    ck_assert_int_eq(call(&c), SKYCRATE_EAUTH);
    ck_assert_uint_eq(mock_discard_unused(mock), 1);
}
END_TEST

START_TEST(oversized_answers_are_refused)
{
    size_t n = SKYCRATE__CREDS_MAX_BODY + 10;
    char *big = malloc(n);
    memset(big, ' ', n);
    mock_push(mock, 200, NULL, big, n);
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(call(&c), SKYCRATE_EHTTP);
    ck_assert_message_has("longer than 65536 bytes");
    mock_push(mock, 403, NULL, big, n);
    ck_assert_int_eq(call(&c), SKYCRATE_EHTTP);
    free(big);
}
END_TEST

START_TEST(assume_role_reports_enomem_and_leaks_nothing)
{
    resolve_endpoint();
    for (long n = 1;; n++) {
        /* A fresh transport each time: a failure may come before the answer is used. */
        skycrate__creds_http_unref(http);
        mock_free(mock);
        mock = mock_new();
        mock_allow_unused(mock); /* a failed allocation stops before the script ends */
        skycrate_http_transport *t = mock_transport_new(mock);
        ck_assert_sky_ok(skycrate__creds_http_new(&http, t, NULL));
        skycrate_http_transport_unref(t);
        mock_push_str(mock, 200, NULL, sts_ok);
        skycrate__sts_request r = role_request();
        skycrate_credentials *c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate__sts_assume_role(&c, http, &r);
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate_credentials_unref(c);
            break;
        }
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld: %d %s", n, rc,
                      skycrate_error_last()->message);
        ck_assert_ptr_null(c);
    }
}
END_TEST

/* --- helpers -------------------------------------------------------------------------------- */

START_TEST(urls_are_split_and_checked)
{
    skycrate__url_parts u;
    ck_assert_int_eq(skycrate__url_split(&u, "http://127.0.0.1:8080/creds?x=1"), 0);
    ck_assert(!u.https);
    ck_assert_int_eq((int)u.host_length, 9);
    ck_assert_int_eq(u.port, 8080);
    ck_assert_int_eq(strncmp(u.path, "/creds", u.path_length), 0);
    ck_assert(skycrate__host_is_loopback(u.host, u.host_length));
    ck_assert_int_eq(skycrate__url_split(&u, "https://[::1]/"), 0);
    ck_assert(u.https);
    ck_assert_int_eq(u.port, -1);
    ck_assert(skycrate__host_is_loopback(u.host, u.host_length));
    ck_assert_int_eq(skycrate__url_split(&u, "HTTP://localhost"), 0);
    ck_assert_uint_eq(u.path_length, 0);
    ck_assert(skycrate__host_is_loopback(u.host, u.host_length));
    static const char *const not_loopback[] = {
        "http://127.0.0.1.evil.com/", "http://128.0.0.1/",  "http://127.1/",
        "http://127.0.0.256/",        "http://localhostx/", "http://169.254.170.2/"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(not_loopback); i++) {
        ck_assert_int_eq(skycrate__url_split(&u, not_loopback[i]), 0);
        ck_assert_msg(!skycrate__host_is_loopback(u.host, u.host_length), "%s", not_loopback[i]);
    }
    static const char *const bad[] = {
        "ftp://x/",     "http://",       "http://:80/", "http://x:0/",  "http://x:65536/",
        "http://x:8a/", "http://u:p@x/", "http://x y/", "http://[::1/", "http://[::1]x/"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad); i++)
        ck_assert_msg(skycrate__url_split(&u, bad[i]) == SKYCRATE_EINVAL, "%s", bad[i]);
}
END_TEST

START_TEST(token_files_are_read_trimmed_and_checked)
{
    char *t = NULL;
    testhome_write("token", JWT "\n");
    ck_assert_sky_ok(skycrate__read_token_file(&t, testhome_path("token"), "token file"));
    ck_assert_str_eq(t, JWT);
    skycrate__free_secret(t);
    testhome_write("empty", " \n");
    ck_assert_int_eq(skycrate__read_token_file(&t, testhome_path("empty"), "token file"),
                     SKYCRATE_EIO);
    ck_assert_message_has("is empty");
    ck_assert_int_eq(skycrate__read_token_file(&t, testhome_path("missing"), "token file"),
                     SKYCRATE_EIO);
    ck_assert_message_has("the token file ");
    ck_assert_message_has("missing cannot be read: No such file or directory");
    ck_assert_int_eq(skycrate__read_token_file(&t, testhome_path(".aws"), "token file"),
                     SKYCRATE_EIO);
    ck_assert_message_has("is not a regular file");
    FILE *f = fopen(testhome_path("big"), "wb");
    for (int i = 0; i < SKYCRATE__CREDS_MAX_BODY + 1; i++)
        fputc('a', f);
    fclose(f);
    ck_assert_int_eq(skycrate__read_token_file(&t, testhome_path("big"), "token file"),
                     SKYCRATE_EIO);
    ck_assert_message_has("is larger than 65536 bytes");
    ck_assert_ptr_null(t);
}
END_TEST

static Suite *sts_suite(void)
{
    Suite *s = suite_create("sts");
    TCase *tc = tcase_create("endpoint");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, endpoint_is_regional_and_configurable);
    tcase_add_test(tc, plain_http_elsewhere_needs_the_clients_permission);
    suite_add_tcase(s, tc);
    tc = tcase_create("requests");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, requests_match_botocore, 0, (int)SKYCRATE_ARRAY_SIZE(golden));
    tcase_add_test(tc, default_session_name_has_the_time);
    suite_add_tcase(s, tc);
    tc = tcase_create("answers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, refusals_carry_sts_code_message_and_request_id);
    tcase_add_test(tc, malformed_answers_are_parse_errors);
    tcase_add_test(tc, transient_failures_are_retried_three_times);
    tcase_add_test(tc, oversized_answers_are_refused);
    tcase_add_test(tc, assume_role_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("helpers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, urls_are_split_and_checked);
    tcase_add_test(tc, token_files_are_read_trimmed_and_checked);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(sts_suite)
