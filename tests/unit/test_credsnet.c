/*
 * Loopback tests of the network credential providers with the libcurl transport against the
 * fake IMDSv2, container and STS servers of tests/support/credservers.c (127.0.0.1 only), and
 * the container's relative URI with the mock transport (its host is not on loopback).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/remote.h"
#include "credservers.h"
#include "mocktransport.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"

#define JWT "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJTRUNSRVRYIn0.SECRETXsig"

static skycrate__creds_http *http;
static fake_server *fake;

static void setup(void)
{
    testhome_setup();
    ck_assert_sky_ok(skycrate__creds_http_new(&http, NULL, NULL));
    fake = NULL;
}

static void teardown(void)
{
    skycrate__creds_http_unref(http);
    fake_stop(fake);
    testhome_teardown();
}

/* The message of the last error holds none of the fake's or the tests' secrets. */
static void assert_no_secret(void)
{
    testhome_assert_no_secret();
    const char *m = skycrate_error_last()->message;
    ck_assert_msg(!strstr(m, "SECRETX") && !strstr(m, "TOKENFAKE") && !strstr(m, "eyJ") &&
                      !strstr(m, "imds-session-token"),
                  "a secret in '%s'", m);
}

static void assert_fake_creds(skycrate_credentials *c)
{
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDFAKE");
    ck_assert_str_eq(skycrate_credentials_secret_access_key(c), "SECRETXFAKE0123456789");
    ck_assert_str_eq(skycrate_credentials_session_token(c), "TOKENFAKE0123456789");
    ck_assert_int_gt(skycrate_credentials_expiration(c), skycrate__now_ms() / 1000 + 3000);
}

/* A URL where nothing listens. */
static void closed_url(char *out, size_t size)
{
    httpserver *s = hs_start(NULL, NULL);
    snprintf(out, size, "%s", hs_url(s));
    hs_stop(s);
}

/* --- IMDS ---------------------------------------------------------------------------------- */

static void start_imds(void)
{
    fake = fake_start(FAKE_IMDS);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_url(fake), 1);
    /* IMDS answers within a second; a fake in this process under valgrind may not. */
    char seconds[16];
    snprintf(seconds, sizeof(seconds), "%u", TEST_SLOW_FACTOR());
    setenv("AWS_METADATA_SERVICE_TIMEOUT", seconds, 1);
}

START_TEST(imds_v2_token_role_and_credentials)
{
    start_imds();
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_imds(&p, http));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "instance metadata");
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    assert_fake_creds(c);
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);

    httpserver *s = fake_http(fake);
    ck_assert_uint_eq(hs_request_count(s), 3);
    const hs_request *r = hs_request_at(s, 0);
    ck_assert_str_eq(r->method, "PUT");
    ck_assert_str_eq(r->target, "/latest/api/token");
    ck_assert_str_eq(hs_request_header(r, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
    ck_assert_ptr_null(hs_request_header(r, "X-aws-ec2-metadata-token"));
    r = hs_request_at(s, 1);
    ck_assert_str_eq(r->method, "GET");
    ck_assert_str_eq(r->target, "/latest/meta-data/iam/security-credentials/");
    ck_assert_str_eq(hs_request_header(r, "X-aws-ec2-metadata-token"),
                     "imds-session-token-0123456789");
    r = hs_request_at(s, 2);
    ck_assert_str_eq(r->target, "/latest/meta-data/iam/security-credentials/skycrate-role");
    ck_assert_str_eq(hs_request_header(r, "X-aws-ec2-metadata-token"),
                     "imds-session-token-0123456789");
}
END_TEST

START_TEST(imds_v1_only_when_allowed)
{
    start_imds();
    fake_imds_set_token_status(fake, 404);
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate__imds_fetch(&c, http));
    assert_fake_creds(c);
    skycrate_credentials_unref(c);
    const hs_request *r = hs_request_at(fake_http(fake), 2);
    ck_assert_ptr_null(hs_request_header(r, "X-aws-ec2-metadata-token"));

    setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
    fake_imds_set_token_status(fake, 403);
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_EAUTH);
    ck_assert_message_has("refused a session token (HTTP 403) and IMDSv1 is disabled by "
                          "AWS_EC2_METADATA_V1_DISABLED");
    ck_assert_uint_eq(hs_request_count(fake_http(fake)), 4);
    /* A bad request is not a reason to fall back: what answers is not instance metadata. */
    unsetenv("AWS_EC2_METADATA_V1_DISABLED");
    fake_imds_set_token_status(fake, 400);
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("(the session token request was answered HTTP 400)");
    ck_assert_uint_eq(hs_request_count(fake_http(fake)), 5);
}
END_TEST

START_TEST(imds_without_role_or_service_is_not_found)
{
    start_imds();
    fake_imds_set_role(fake, NULL);
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("the instance has no IAM role");

    setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
    size_t before = hs_request_count(fake_http(fake));
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("disabled by AWS_EC2_METADATA_DISABLED");
    ck_assert_uint_eq(hs_request_count(fake_http(fake)), before);
    unsetenv("AWS_EC2_METADATA_DISABLED");

    char url[64];
    closed_url(url, sizeof(url));
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("no instance metadata service at http://127.0.0.1:");
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(imds_that_hangs_gives_up_after_a_second)
{
    start_imds();
    setenv("AWS_METADATA_SERVICE_TIMEOUT", "1", 1); /* the default, which this test is about */
    fake_set_delay(fake, 5000);
    skycrate_credentials *c = NULL;
    int64_t start = skycrate__monotonic_ms();
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_ENOTFOUND);
    int64_t took = skycrate__monotonic_ms() - start;
    /* The server would answer after 5 s: the one-second timeout ended it long before. */
    ck_assert_msg(took >= 900 && took < 4000, "took %lld ms", (long long)took);
    ck_assert_message_has("no instance metadata service at ");
    ck_assert_uint_eq(hs_request_count(fake_http(fake)), 1); /* one attempt */

    setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "x", 1);
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_EINVAL);
    ck_assert_message_has("AWS_METADATA_SERVICE_NUM_ATTEMPTS is not a number from 1 to 10");
    unsetenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5", 1);
    unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_EINVAL);
    ck_assert_message_has("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is not IPv4 or IPv6");
}
END_TEST

static const char *const bad_json[] = {
    "not json " TEST_SECRET,
    "[\"" TEST_SECRET "\"]",
    "{\"Code\": \"Success\", \"SecretAccessKey\": \"" TEST_SECRET "\"}",
    "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": 7}",
    "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" TEST_SECRET "\", \"Token\": \"" TEST_TOKEN
    "\", \"Expiration\": \"soon\"}",
    "{\"AccessKeyId\": \"\", \"SecretAccessKey\": \"" TEST_SECRET "\"}",
    "{\"AccessKeyId\": \"A\", \"AccessKeyId\": \"B\", \"SecretAccessKey\": \"" TEST_SECRET "\"}",
    /* Values no request can carry: a header of their own, a broken credential scope. */
    "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" TEST_SECRET
    "\", \"Token\": \"t\\r\\nX-Evil: 1\"}",
    "{\"AccessKeyId\": \"A/B\", \"SecretAccessKey\": \"" TEST_SECRET "\"}",
    "{\"AccessKeyId\": \"A, Signature=x\", \"SecretAccessKey\": \"" TEST_SECRET "\"}",
};

START_TEST(imds_malformed_answers)
{
    start_imds();
    skycrate_credentials *c = NULL;
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_json); i++) {
        fake_set_answer(fake, 200, bad_json[i]);
        ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_EPARSE);
        ck_assert_message_has("instance metadata at http://127.0.0.1:");
        ck_assert_message_has("(role skycrate-role): ");
        assert_no_secret();
    }
    fake_set_answer(fake, 200,
                    "{\"Code\": \"AssumeRoleUnauthorizedAccess\", \"SecretAccessKey\": \"x\"}");
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_EAUTH);
    ck_assert_message_has("the answer's Code is AssumeRoleUnauthorizedAccess, not Success");
    fake_set_answer(fake, 500, "oops");
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_EHTTP);
    ck_assert_message_has("the credentials request was answered HTTP 500");
    fake_set_answer(fake, 0, NULL);
    fake_imds_set_role(fake, "bad/role");
    ck_assert_int_eq(skycrate__imds_fetch(&c, http), SKYCRATE_EPARSE);
    ck_assert_message_has("the role name is not a valid IAM role name");
    ck_assert_ptr_null(c);
    /* Static credentials from IMDS would be odd, but a missing Token is not malformed. */
    fake_imds_set_role(fake, "r");
    fake_set_creds(fake, "AKIDNOTOKEN", "SECRETXNOTOKEN", NULL, 0);
    ck_assert_sky_ok(skycrate__imds_fetch(&c, http));
    ck_assert_ptr_null(skycrate_credentials_session_token(c));
    skycrate_credentials_unref(c);
}
END_TEST

/* --- container ----------------------------------------------------------------------------- */

static void start_container(void)
{
    fake = fake_start(FAKE_CONTAINER);
    char url[128];
    snprintf(url, sizeof(url), "%s/v2/credentials/abc?x=1", fake_url(fake));
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
}

START_TEST(container_full_uri_with_token)
{
    start_container();
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_container(&p, http));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "container");
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    assert_fake_creds(c);
    skycrate_credentials_unref(c);
    const hs_request *r = hs_request_at(fake_http(fake), 0);
    ck_assert_str_eq(r->method, "GET");
    ck_assert_str_eq(r->target, "/v2/credentials/abc?x=1");
    ck_assert_ptr_null(hs_request_header(r, "Authorization"));
    ck_assert_str_eq(hs_request_header(r, "Accept"), "application/json");

    fake_container_require_auth(fake, "Bearer pod-token");
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EAUTH);
    ck_assert_message_has("credentials provider 'container': the container endpoint "
                          "http://127.0.0.1:");
    ck_assert_message_has("/v2/credentials/abc answered HTTP 401: invalid authorization token");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer pod-token", 1);
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    skycrate_credentials_unref(c);
    /* The file wins over the variable, and is read each time (it is rotated). */
    testhome_write("token", "Bearer from-file\n");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", testhome_path("token"), 1);
    fake_container_require_auth(fake, "Bearer from-file");
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    skycrate_credentials_unref(c);
    testhome_write("token", "Bearer rotated");
    fake_container_require_auth(fake, "Bearer rotated");
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    skycrate_credentials_unref(c);
    ck_assert_str_eq(hs_request_header(hs_request_at(fake_http(fake), 4), "Authorization"),
                     "Bearer rotated");
    testhome_write("token", "Bearer a\nInjected: b");
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EINVAL);
    ck_assert_message_has("the token of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE holds a line break");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", testhome_path("none"), 1);
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EIO);
    ck_assert_message_has("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: the container authorization "
                          "token file ");
    skycrate_credentials_provider_unref(p);
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "Bearer"));
}
END_TEST

START_TEST(container_uris_are_checked)
{
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate__container_fetch(&c, http), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
    static const char *const refused[] = {"http://example.com/creds", "http://10.0.0.1/",
                                          "http://127.0.0.1.nip.io/", "http://169.254.169.254/"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(refused); i++) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", refused[i], 1);
        ck_assert_int_eq(skycrate__container_fetch(&c, http), SKYCRATE_EINVAL);
        ck_assert_message_has("uses plain http to ");
        ck_assert_message_has("only https, loopback addresses and the ECS/EKS hosts");
    }
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "file:///etc/passwd", 1);
    ck_assert_int_eq(skycrate__container_fetch(&c, http), SKYCRATE_EINVAL);
    ck_assert_message_has("is not an http:// or https:// URL");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "creds", 1);
    ck_assert_int_eq(skycrate__container_fetch(&c, http), SKYCRATE_EINVAL);
    ck_assert_message_has("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path");
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(container_relative_uri_goes_to_the_ecs_host)
{
    mock_transport *m = mock_new();
    skycrate_http_transport *t = mock_transport_new(m);
    skycrate__creds_http *mh = NULL;
    ck_assert_sky_ok(skycrate__creds_http_new(&mh, t, NULL));
    skycrate_http_transport_unref(t);
    mock_push_str(m, 200, NULL,
                  "{\"AccessKeyId\": \"AKIDECS\", \"SecretAccessKey\": \"" TEST_SECRET
                  "\", \"Token\": \"" TEST_TOKEN "\", \"Expiration\": \"2030-01-01T00:00:00Z\"}");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task", 1);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/ignored", 1);
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate__container_fetch(&c, mh));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDECS");
    ck_assert_int_eq(skycrate_credentials_expiration(c), 1893456000);
    skycrate_credentials_unref(c);
    ck_assert_str_eq(mock_request(m, 0)->url, "http://169.254.170.2/v2/credentials/task");
    ck_assert_uint_eq(mock_request(m, 0)->connect_timeout_ms, 2000);
    skycrate__creds_http_unref(mh);
    mock_free(m);
}
END_TEST

START_TEST(container_down_or_malformed_is_an_error)
{
    char url[64];
    closed_url(url, sizeof(url));
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate__container_fetch(&c, http), SKYCRATE_ECONNECT);
    ck_assert_message_has("the container endpoint: GET http://127.0.0.1:");
    start_container();
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_json); i++) {
        fake_set_answer(fake, 200, bad_json[i]);
        ck_assert_int_eq(skycrate__container_fetch(&c, http), SKYCRATE_EPARSE);
        ck_assert_message_has("the container endpoint http://127.0.0.1:");
        assert_no_secret();
    }
    /* Expired credentials are refused by the provider seam, naming the provider. */
    fake_set_answer(fake, 0, NULL);
    fake_set_creds(fake, "AKIDOLD", "SECRETXOLD", "TOKENFAKEOLD", 1700000000);
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_container(&p, http));
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EEXPIRED);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'container': the credentials expired at "
                     "2023-11-14T22:13:20Z");
    skycrate_credentials_provider_unref(p);
    fake_set_answer(fake, 503, "{\"message\": \"try later\"}");
    ck_assert_int_eq(skycrate__container_fetch(&c, http), SKYCRATE_EHTTP);
    ck_assert_message_has("answered HTTP 503: try later");
    ck_assert_uint_eq(hs_request_count(fake_http(fake)), SKYCRATE_ARRAY_SIZE(bad_json) + 4);
    ck_assert_ptr_null(c);
}
END_TEST

/* --- web identity -------------------------------------------------------------------------- */

static void start_sts(void)
{
    fake = fake_start(FAKE_STS);
    fake_sts_expect_token(fake, JWT);
    setenv("AWS_ENDPOINT_URL_STS", fake_url(fake), 1);
    testhome_write("jwt", JWT "\n");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", testhome_path("jwt"), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa", 1);
}

START_TEST(web_identity_from_the_environment)
{
    start_sts();
    setenv("AWS_ROLE_SESSION_NAME", "pod-7", 1);
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_web_identity(&p, http));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "web identity");
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    assert_fake_creds(c);
    skycrate_credentials_unref(c);
    const hs_request *r = hs_request_at(fake_http(fake), 0);
    ck_assert_str_eq(r->method, "POST");
    ck_assert_str_eq(r->target, "/");
    ck_assert_ptr_null(hs_request_header(r, "Authorization"));
    ck_assert_str_eq((const char *)r->body,
                     "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%"
                     "3A%3A123456789012%3Arole%2Firsa&RoleSessionName=pod-7&WebIdentityToken=" JWT);

    /* The token is read at each get. */
    testhome_write("jwt", "eyJrotated");
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EAUTH);
    ck_assert_message_has("credentials provider 'web identity': STS AssumeRoleWithWebIdentity of "
                          "role arn:aws:iam::123456789012:role/irsa for "
                          "AWS_WEB_IDENTITY_TOKEN_FILE at http://127.0.0.1:");
    ck_assert_message_has(": InvalidIdentityToken: the web identity token is not valid (HTTP 400, "
                          "request id fake-req)");
    assert_no_secret();
    skycrate_credentials_provider_unref(p);
}
END_TEST

START_TEST(web_identity_misconfigured)
{
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_web_identity(&p, http));
    skycrate_credentials *c = NULL;
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", 1);
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("AWS_WEB_IDENTITY_TOKEN_FILE is not set");
    unsetenv("AWS_ROLE_ARN");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", testhome_path("jwt"), 1);
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EINVAL);
    ck_assert_message_has("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", 1);
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EIO);
    ck_assert_message_has("AWS_WEB_IDENTITY_TOKEN_FILE: the web identity token file ");
    char url[64];
    closed_url(url, sizeof(url));
    setenv("AWS_ENDPOINT_URL_STS", url, 1);
    testhome_write("jwt", JWT);
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_ECONNECT);
    ck_assert_message_has("STS AssumeRoleWithWebIdentity of role arn:aws:iam::1:role/r for "
                          "AWS_WEB_IDENTITY_TOKEN_FILE at http://127.0.0.1:");
    assert_no_secret();
    ck_assert_ptr_null(c);
    skycrate_credentials_provider_unref(p);
}
END_TEST

START_TEST(web_identity_reports_enomem_and_leaks_nothing)
{
    start_sts();
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_web_identity(&p, http));
    for (long n = 1;; n++) {
        skycrate_credentials *c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_credentials_provider_get(&c, p);
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate_credentials_unref(c);
            break;
        }
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld: %d %s", n, rc,
                      skycrate_error_last()->message);
        ck_assert_ptr_null(c);
    }
    skycrate_credentials_provider_unref(p);
}
END_TEST

/* --- the default chain, over real HTTP ------------------------------------------------------ */

static const char *default_akid(void)
{
    static char akid[64];
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, NULL));
    skycrate_credentials *c = NULL;
    int rc = skycrate_credentials_provider_get(&c, p);
    ck_assert_msg(rc == 0, "%d %s", rc, skycrate_error_last()->message);
    snprintf(akid, sizeof(akid), "%s", skycrate_credentials_access_key_id(c));
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);
    return akid;
}

START_TEST(default_chain_order_over_http)
{
    fake_server *imds = fake_start(FAKE_IMDS), *ecs = fake_start(FAKE_CONTAINER);
    fake = fake_start(FAKE_STS);
    fake_set_creds(imds, "AKIDIMDS", "SECRETXIMDS", "TOKENFAKE1", 0);
    fake_set_creds(ecs, "AKIDECS", "SECRETXECS", "TOKENFAKE2", 0);
    fake_set_creds(fake, "AKIDWEB", "SECRETXWEB", "TOKENFAKE3", 0);
    fake_sts_expect_token(fake, JWT);
    testhome_write("jwt", JWT);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_url(imds), 1);
    ck_assert_str_eq(default_akid(), "AKIDIMDS");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_url(ecs), 1);
    ck_assert_str_eq(default_akid(), "AKIDECS");
    setenv("AWS_ENDPOINT_URL_STS", fake_url(fake), 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", testhome_path("jwt"), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/irsa", 1);
    ck_assert_str_eq(default_akid(), "AKIDWEB");
    testhome_write_credentials("[default]\naws_access_key_id = AKIDFILE\n"
                               "aws_secret_access_key = SECRETXFILE\n");
    ck_assert_str_eq(default_akid(), "AKIDFILE");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SECRETXENV", 1);
    ck_assert_str_eq(default_akid(), "AKIDENV");
    /* Each source was asked only while every one before it had nothing. */
    ck_assert_uint_eq(fake_hits(imds), 1);
    ck_assert_uint_eq(fake_hits(ecs), 1);
    ck_assert_uint_eq(fake_hits(fake), 1);
    ck_assert_uint_eq(hs_request_count(fake_http(imds)), 3);
    ck_assert_uint_eq(hs_request_count(fake_http(ecs)), 1);
    fake_stop(imds);
    fake_stop(ecs);
}
END_TEST

static Suite *credsnet_suite(void)
{
    Suite *s = suite_create("credsnet");
    TCase *tc = tcase_create("imds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, imds_v2_token_role_and_credentials);
    tcase_add_test(tc, imds_v1_only_when_allowed);
    tcase_add_test(tc, imds_without_role_or_service_is_not_found);
    tcase_add_test(tc, imds_that_hangs_gives_up_after_a_second);
    tcase_add_test(tc, imds_malformed_answers);
    suite_add_tcase(s, tc);
    tc = tcase_create("container");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, container_full_uri_with_token);
    tcase_add_test(tc, container_uris_are_checked);
    tcase_add_test(tc, container_relative_uri_goes_to_the_ecs_host);
    tcase_add_test(tc, container_down_or_malformed_is_an_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("web identity");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, web_identity_from_the_environment);
    tcase_add_test(tc, web_identity_misconfigured);
    tcase_add_test(tc, web_identity_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("default chain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, default_chain_order_over_http);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(credsnet_suite)
