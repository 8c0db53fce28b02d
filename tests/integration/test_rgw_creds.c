/*
 * End to end: a client creates a bucket, puts, gets and deletes an object on radosgw (which
 * checks SigV4 and session tokens strictly) with credentials obtained through each provider of
 * the chain: the environment, a profile's static keys, credential_process, a role assumed
 * through radosgw's own STS (source_profile and credential_source), and the network providers
 * (web identity, container, IMDSv2) against the fake servers of tests/support/credservers.c,
 * which hand out session credentials that radosgw's STS issued. Most go through the default
 * provider, as an application with no credentials code would. Session credentials are used at
 * the STS-enabled radosgw (SKYCRATE_TEST_STS_ENDPOINT, see tests/servers/rgw.sh), static keys
 * at the plain one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/time.h"
#include "creds/net.h"
#include "creds/remote.h"
#include "creds/sts.h"
#include "credservers.h"
#include "rgwenv.h"
#include "testhome.h"
#include "testutil.h"

#define JWT "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbnRlZ3JhdGlvbiJ9.c2ln"

static fake_server *fake;
static const char *endpoint_var; /* which radosgw the client talks to */

static void setup(void)
{
    /* A temporary HOME without AWS_* variables, and the counting allocator. */
    const char *names[] = {"SKYCRATE_TEST_ENDPOINT",   "SKYCRATE_TEST_ACCESS_KEY",
                           "SKYCRATE_TEST_SECRET_KEY", "SKYCRATE_TEST_REGION",
                           "SKYCRATE_TEST_ROLE_ARN",   "SKYCRATE_TEST_STS_ENDPOINT"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        rgw_env(names[i]);
    testhome_setup();
    setenv("AWS_REGION", rgw_env("SKYCRATE_TEST_REGION"), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* unless a test serves it */
    fake = NULL;
    endpoint_var = "SKYCRATE_TEST_STS_ENDPOINT";
}

static void setup_plain(void)
{
    setup();
    endpoint_var = "SKYCRATE_TEST_ENDPOINT";
}

static void teardown(void)
{
    fake_stop(fake);
    testhome_teardown();
}

/* A client on radosgw with `provider` (NULL: the default provider, as with no code at all). */
static skycrate_client *client_with(skycrate_credentials_provider *provider)
{
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, rgw_env(endpoint_var)));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, rgw_env("SKYCRATE_TEST_REGION")));
    if (provider)
        ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    return client;
}

typedef struct {
    char data[256];
    size_t len;
} fetched;

static size_t collect(char *d, size_t size, size_t n, void *ud)
{
    fetched *f = ud;
    size_t k = size * n;
    if (f->len + k > sizeof(f->data))
        return 0;
    memcpy(f->data + f->len, d, k);
    f->len += k;
    return k;
}

/* A presigned GET made with the client's credentials, fetched by plain libcurl: the status. */
static long presigned_get(skycrate_client *client, const char *bucket, const char *key,
                          fetched *out)
{
    skycrate_presigner *presigner = NULL;
    skycrate_presign_request *req = NULL;
    skycrate_presigned *contract = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
    ck_assert_sky_ok(skycrate_presign_request_new(&req, "GET", bucket, key));
    ck_assert_sky_ok(skycrate_presigner_sign(&contract, presigner, req));
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, skycrate_presigned_url(contract));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    long status = 0;
    ck_assert_int_eq(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    skycrate_presigned_free(contract);
    skycrate_presign_request_free(req);
    skycrate_presigner_free(presigner);
    return status;
}

/* Bucket create, put, get, a presigned GET, delete, bucket delete: each request signed with the
 * provider's credentials (a session token travels in the presigned URL). */
static int round_trip(skycrate_credentials_provider *provider, const char *what)
{
    skycrate_client *client = client_with(provider);
    char bucket[64];
    rgw_bucket_name(bucket, sizeof(bucket), what);
    int rc = skycrate_bucket_create(client, bucket);
    if (rc == 0) {
        char body[128];
        snprintf(body, sizeof(body), "credentials from %s", what);
        ck_assert_sky_ok(
            skycrate_object_put(NULL, client, bucket, "creds.txt", body, strlen(body), NULL));
        void *data = NULL;
        size_t len = 0;
        ck_assert_sky_ok(skycrate_object_get(&data, &len, client, bucket, "creds.txt"));
        ck_assert_uint_eq(len, strlen(body));
        ck_assert_mem_eq(data, body, len);
        skycrate_free(data);
        fetched f = {"", 0};
        ck_assert_int_eq(presigned_get(client, bucket, "creds.txt", &f), 200);
        ck_assert_uint_eq(f.len, strlen(body));
        ck_assert_mem_eq(f.data, body, f.len);
        ck_assert_sky_ok(skycrate_object_delete(client, bucket, "creds.txt"));
        ck_assert_sky_ok(skycrate_bucket_delete(client, bucket));
    }
    skycrate_client_free(client);
    return rc;
}

static void write_base_profile(const char *extra)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\n%s",
             rgw_env("SKYCRATE_TEST_ACCESS_KEY"), rgw_env("SKYCRATE_TEST_SECRET_KEY"),
             extra ? extra : "");
    testhome_write_config(text);
}

/* Session credentials issued by radosgw's STS (through libskycrate's own AssumeRole). */
static skycrate_credentials *rgw_session(void)
{
    skycrate_credentials *source = NULL, *session = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&source, rgw_env("SKYCRATE_TEST_ACCESS_KEY"),
                                              rgw_env("SKYCRATE_TEST_SECRET_KEY"), NULL, 0));
    skycrate__creds_http *http = NULL;
    ck_assert_sky_ok(skycrate__creds_http_new(&http, NULL, NULL));
    skycrate__sts_endpoint endpoint = {(char *)rgw_env("SKYCRATE_TEST_STS_ENDPOINT"),
                                       (char *)rgw_env("SKYCRATE_TEST_REGION"), "test"};
    skycrate__sts_request r = {
        .role_arn = rgw_env("SKYCRATE_TEST_ROLE_ARN"),
        .session_name = "skycrate-integration",
        .duration_seconds = 900,
        .source = source,
        .endpoint = &endpoint,
        .who = "the integration test",
    };
    ck_assert_sky_ok(skycrate__sts_assume_role(&session, http, &r));
    skycrate__creds_http_unref(http);
    skycrate_credentials_unref(source);
    ck_assert_ptr_nonnull(skycrate_credentials_session_token(session));
    int64_t left = skycrate_credentials_expiration(session) - skycrate__now_ms() / 1000;
    ck_assert_msg(left > 800 && left <= 900, "expires in %lld s", (long long)left);
    return session;
}

/* A fake server handing out radosgw's session credentials. */
static void serve_session(fake_kind kind)
{
    skycrate_credentials *s = rgw_session();
    fake = fake_start(kind);
    fake_set_creds(fake, skycrate_credentials_access_key_id(s),
                   skycrate_credentials_secret_access_key(s), skycrate_credentials_session_token(s),
                   skycrate_credentials_expiration(s));
    skycrate_credentials_unref(s);
}

/* --- static sources ------------------------------------------------------------------------ */

START_TEST(environment)
{
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    ck_assert_sky_ok(round_trip(NULL, "env"));
    skycrate_credentials_provider *env = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_env(&env));
    ck_assert_sky_ok(round_trip(env, "env2"));
    skycrate_credentials_provider_unref(env);
    /* A wrong secret is refused by radosgw: the request really is checked. */
    setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-0123456789", 1);
    ck_assert_int_lt(round_trip(NULL, "env3"), 0);
}
END_TEST

START_TEST(profile_static_keys)
{
    char text[1024];
    snprintf(text, sizeof(text), "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
             rgw_env("SKYCRATE_TEST_ACCESS_KEY"), rgw_env("SKYCRATE_TEST_SECRET_KEY"));
    testhome_write_credentials(text);
    ck_assert_sky_ok(round_trip(NULL, "file"));
}
END_TEST

START_TEST(profile_credential_process)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "[profile proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": "
             "\"%s\", \"SecretAccessKey\": \"%s\"}'\n",
             rgw_env("SKYCRATE_TEST_ACCESS_KEY"), rgw_env("SKYCRATE_TEST_SECRET_KEY"));
    testhome_write_config(text);
    setenv("AWS_PROFILE", "proc", 1);
    ck_assert_sky_ok(round_trip(NULL, "process"));
}
END_TEST

/* --- roles through radosgw's STS ----------------------------------------------------------- */

START_TEST(profile_role_from_source_profile)
{
    char extra[1024];
    snprintf(extra, sizeof(extra),
             "[profile role]\nrole_arn = %s\nsource_profile = base\nrole_session_name = it\n"
             "duration_seconds = 900\n",
             rgw_env("SKYCRATE_TEST_ROLE_ARN"));
    write_base_profile(extra);
    setenv("AWS_ENDPOINT_URL_STS", rgw_env("SKYCRATE_TEST_STS_ENDPOINT"), 1);
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, "role"));
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_str_ne(skycrate_credentials_access_key_id(c), rgw_env("SKYCRATE_TEST_ACCESS_KEY"));
    ck_assert_ptr_nonnull(skycrate_credentials_session_token(c));
    ck_assert_int_gt(skycrate_credentials_expiration(c), skycrate__now_ms() / 1000 + 800);
    skycrate_credentials_unref(c);
    ck_assert_sky_ok(round_trip(p, "role"));
    skycrate_credentials_provider_unref(p);
    /* Through the client's own default provider, with the profile from the environment. */
    setenv("AWS_PROFILE", "role", 1);
    ck_assert_sky_ok(round_trip(NULL, "role2"));
}
END_TEST

START_TEST(profile_role_from_environment_and_refusal)
{
    char extra[1024];
    snprintf(extra, sizeof(extra),
             "[profile role]\nrole_arn = %s\ncredential_source = Environment\n"
             "[profile nope]\nrole_arn = arn:aws:iam:::role/no-such-role\nsource_profile = base\n",
             rgw_env("SKYCRATE_TEST_ROLE_ARN"));
    write_base_profile(extra);
    setenv("AWS_ENDPOINT_URL_STS", rgw_env("SKYCRATE_TEST_STS_ENDPOINT"), 1);
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, "role"));
    ck_assert_sky_ok(round_trip(p, "credsource"));
    skycrate_credentials_provider_unref(p);
    /* radosgw's own refusal comes back typed, with its code and request id. */
    ck_assert_sky_ok(skycrate_credentials_provider_new_default(&p, "nope"));
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EAUTH);
    ck_assert_message_has("STS AssumeRole of role arn:aws:iam:::role/no-such-role for profile "
                          "'nope' at http://127.0.0.1:");
    ck_assert_message_has(": NoSuchEntity (HTTP 404, request id ");
    testhome_assert_no_secret();
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, rgw_env("SKYCRATE_TEST_SECRET_KEY")));
    skycrate_credentials_provider_unref(p);
}
END_TEST

/* --- network providers with radosgw's session credentials ---------------------------------- */

START_TEST(instance_metadata_through_the_default_chain)
{
    serve_session(FAKE_IMDS);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_url(fake), 1);
    ck_assert_sky_ok(round_trip(NULL, "imds"));
    ck_assert_uint_eq(fake_hits(fake), 1); /* cached: five requests, one fetch */
    /* Credentials radosgw did not issue are refused: the token really is checked. */
    fake_set_creds(fake, "AKIDNOTRGW", "SECRETXNOTRGW", "TOKENNOTRGW", 0);
    ck_assert_int_lt(round_trip(NULL, "imds-fake"), 0);
}
END_TEST

START_TEST(container_through_the_default_chain)
{
    serve_session(FAKE_CONTAINER);
    fake_container_require_auth(fake, "Bearer integration");
    char url[128];
    snprintf(url, sizeof(url), "%s/v2/credentials/it", fake_url(fake));
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    testhome_write("container-token", "Bearer integration\n");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", testhome_path("container-token"), 1);
    ck_assert_sky_ok(round_trip(NULL, "container"));
    ck_assert_uint_eq(fake_hits(fake), 1);
}
END_TEST

START_TEST(web_identity_through_the_default_chain)
{
    serve_session(FAKE_STS);
    fake_sts_expect_token(fake, JWT);
    testhome_write("jwt", JWT);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", testhome_path("jwt"), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa", 1);
    setenv("AWS_ENDPOINT_URL_STS", fake_url(fake), 1);
    ck_assert_sky_ok(round_trip(NULL, "webid"));
    ck_assert_uint_eq(fake_hits(fake), 1);
}
END_TEST

START_TEST(profile_web_identity_token_file)
{
    serve_session(FAKE_STS);
    fake_sts_expect_token(fake, JWT);
    testhome_write("jwt", JWT);
    char text[1024];
    snprintf(text, sizeof(text),
             "[default]\nrole_arn = arn:aws:iam::123456789012:role/web\n"
             "web_identity_token_file = %s\n",
             testhome_path("jwt"));
    testhome_write_config(text);
    setenv("AWS_ENDPOINT_URL_STS", fake_url(fake), 1);
    ck_assert_sky_ok(round_trip(NULL, "profile-webid"));
}
END_TEST

static Suite *rgw_creds_suite(void)
{
    Suite *s = suite_create("rgw-creds");
    TCase *tc = tcase_create("static sources");
    tcase_add_checked_fixture(tc, setup_plain, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, environment);
    tcase_add_test(tc, profile_static_keys);
    tcase_add_test(tc, profile_credential_process);
    suite_add_tcase(s, tc);
    tc = tcase_create("roles");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, profile_role_from_source_profile);
    tcase_add_test(tc, profile_role_from_environment_and_refusal);
    suite_add_tcase(s, tc);
    tc = tcase_create("network providers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, instance_metadata_through_the_default_chain);
    tcase_add_test(tc, container_through_the_default_chain);
    tcase_add_test(tc, web_identity_through_the_default_chain);
    tcase_add_test(tc, profile_web_identity_token_file);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(rgw_creds_suite)
