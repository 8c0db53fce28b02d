/*
 * Unit tests of roles in the profile provider (lib/creds/profile_provider.c): role_arn with
 * source_profile (chains, loops, static keys that win) or credential_source (Environment,
 * EcsContainer, Ec2InstanceMetadata), web_identity_token_file, and their errors. STS, the
 * container endpoint and IMDS answer through the scripted mock transport: no network.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/net.h"
#include "creds/profile.h"
#include "mocktransport.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"

#define STS_URL "https://sts.eu-west-2.amazonaws.com/"

static mock_transport *mock;
static skycrate__creds_http *http;

static void setup(void)
{
    testhome_setup();
    skycrate__clock_override(testhome_frozen_clock, NULL);
    mock = mock_new();
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate__creds_http_new(&http, t, NULL));
    skycrate_http_transport_unref(t);
}

static void teardown(void)
{
    skycrate__creds_http_unref(http);
    mock_free(mock);
    testhome_teardown();
}

/* An STS answer with the given access key id and token. */
static void push_sts(const char *akid, const char *token)
{
    char body[2048];
    snprintf(body, sizeof(body),
             "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId>"
             "<SecretAccessKey>" TEST_SECRET "</SecretAccessKey><SessionToken>%s</SessionToken>"
             "<Expiration>2026-01-01T01:00:00Z</Expiration></Credentials></AssumeRoleResult>"
             "</AssumeRoleResponse>",
             akid, token);
    mock_push_str(mock, 200, "Content-Type: text/xml", body);
}

static int get(skycrate_credentials **out, const char *profile)
{
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_profile_http(&p, profile, 0, http));
    int rc = skycrate_credentials_provider_get(out, p);
    skycrate_credentials_provider_unref(p);
    return rc;
}

/* The access key id a request was signed with ("" when unsigned). */
static const char *signed_by(size_t i, char *buf, size_t size)
{
    const char *auth = mock_request_header(mock_request(mock, i), "Authorization");
    buf[0] = '\0';
    if (auth && strncmp(auth, "AWS4-HMAC-SHA256 Credential=", 28) == 0)
        snprintf(buf, size, "%.*s", (int)strcspn(auth + 28, "/"), auth + 28);
    return buf;
}

static const char config[] =
    "[default]\nregion = ap-south-1\n"
    "[profile dev]\nregion = eu-west-2\nrole_arn = arn:aws:iam::123456789012:role/dev\n"
    "source_profile = base\n"
    "role_session_name = me\nexternal_id = ext-1\nduration_seconds = 1800\n"
    "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = " TEST_SECRET "\n"
    "[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = dev\n"
    "[profile keys-win]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = both\n"
    "[profile both]\nrole_arn = arn:aws:iam::1:role/never\nsource_profile = base\n"
    "aws_access_key_id = AKIDBOTH\naws_secret_access_key = " TEST_SECRET "\n"
    "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n"
    "aws_access_key_id = AKIDSELF\naws_secret_access_key = " TEST_SECRET "\n"
    "[profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n"
    "[profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n"
    "[profile self-nokeys]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self-nokeys\n"
    "[profile lost]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = nowhere\n"
    "[profile empty-source]\nrole_arn = arn:aws:iam::1:role/e\nsource_profile = empty\n"
    "[profile empty]\nregion = us-east-1\n"
    "[profile from-env]\nrole_arn = arn:aws:iam::1:role/env\ncredential_source = Environment\n"
    "[profile from-ecs]\nrole_arn = arn:aws:iam::1:role/ecs\ncredential_source = EcsContainer\n"
    "[profile from-ec2]\nrole_arn = arn:aws:iam::1:role/ec2\n"
    "credential_source = Ec2InstanceMetadata\n"
    "[profile from-mars]\nrole_arn = arn:aws:iam::1:role/m\ncredential_source = Mars\n"
    "[profile long]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = base\n"
    "duration_seconds = 50000\n"
    "[profile web]\nrole_arn = arn:aws:iam::1:role/web\nweb_identity_token_file = TOKENFILE\n"
    "role_session_name = websess\n"
    "[profile from-process]\nrole_arn = arn:aws:iam::1:role/p\nsource_profile = proc\n"
    "[profile proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": "
    "\"AKIDPROC\", \"SecretAccessKey\": \"" TEST_SECRET "\"}'\n"
    "[profile sso-source]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = sso\n"
    "[profile sso]\nsso_session = corp\n";

static void write_config(void)
{
    char text[sizeof(config) + 256];
    const char *mark = strstr(config, "TOKENFILE");
    snprintf(text, sizeof(text), "%.*s%s%s", (int)(mark - config), config, testhome_path("jwt"),
             mark + strlen("TOKENFILE"));
    testhome_write_config(text);
}

START_TEST(source_profile_keys_sign_assume_role)
{
    write_config();
    push_sts("ASIADEV", TEST_TOKEN);
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(get(&c, "dev"));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "ASIADEV");
    ck_assert_str_eq(skycrate_credentials_session_token(c), TEST_TOKEN);
    ck_assert_int_eq(skycrate_credentials_expiration(c), TESTHOME_NOW + 3600);
    skycrate_credentials_unref(c);
    const mock_req *r = mock_request(mock, 0);
    ck_assert_str_eq(r->url, STS_URL); /* the selected profile's region */
    ck_assert_str_eq((const char *)r->body,
                     "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
                     "123456789012%3Arole%2Fdev&RoleSessionName=me&DurationSeconds=1800&"
                     "ExternalId=ext-1");
    char who[64];
    ck_assert_str_eq(signed_by(0, who, sizeof(who)), "AKIDBASE");
    ck_assert_ptr_null(mock_request_header(r, "X-Amz-Security-Token"));
    ck_assert_str_eq(mock_request_header(r, "X-Amz-Date"), "20260101T000000Z");
}
END_TEST

START_TEST(roles_chain_through_source_profiles)
{
    write_config();
    push_sts("ASIADEV", "TOKENDEV");
    push_sts("ASIATOP", "TOKENTOP");
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(get(&c, "chained"));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "ASIATOP");
    skycrate_credentials_unref(c);
    char who[64];
    ck_assert_str_eq(signed_by(0, who, sizeof(who)), "AKIDBASE");
    ck_assert_str_eq(signed_by(1, who, sizeof(who)), "ASIADEV");
    ck_assert_str_eq(mock_request_header(mock_request(mock, 1), "X-Amz-Security-Token"),
                     "TOKENDEV");
    ck_assert_ptr_nonnull(strstr((const char *)mock_request(mock, 1)->body, "role%2Ftop"));

    /* A source profile's keys win over its own role; a profile may name itself with keys. */
    push_sts("ASIAX", "T");
    ck_assert_sky_ok(get(&c, "keys-win"));
    skycrate_credentials_unref(c);
    ck_assert_str_eq(signed_by(2, who, sizeof(who)), "AKIDBOTH");
    push_sts("ASIASELF", "T");
    ck_assert_sky_ok(get(&c, "self"));
    skycrate_credentials_unref(c);
    ck_assert_str_eq(signed_by(3, who, sizeof(who)), "AKIDSELF");
    /* A process as the source. */
    push_sts("ASIAP", "T");
    ck_assert_sky_ok(get(&c, "from-process"));
    skycrate_credentials_unref(c);
    ck_assert_str_eq(signed_by(4, who, sizeof(who)), "AKIDPROC");
    ck_assert_uint_eq(mock_pending(mock), 0);
}
END_TEST

START_TEST(broken_source_profiles_are_errors)
{
    write_config();
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(get(&c, "loop-a"), SKYCRATE_EINVAL);
    ck_assert_message_has("credentials provider 'profile': profile 'loop-b': source_profile in ");
    ck_assert_message_has("makes a loop of source profiles back to 'loop-a'");
    ck_assert_int_eq(get(&c, "self-nokeys"), SKYCRATE_EINVAL);
    ck_assert_message_has("makes a loop of source profiles back to 'self-nokeys'");
    ck_assert_int_eq(get(&c, "lost"), SKYCRATE_EINVAL);
    ck_assert_message_has("profile 'lost': source_profile in ");
    ck_assert_message_has("names profile 'nowhere', which is in neither ");
    ck_assert_int_eq(get(&c, "empty-source"), SKYCRATE_EINVAL);
    ck_assert_message_has("profile 'empty' has no credential settings in ");
    ck_assert_message_has("(it is a source_profile)");
    ck_assert_int_eq(get(&c, "sso-source"), SKYCRATE_EAUTH);
    ck_assert_message_has("profile 'sso' uses AWS IAM Identity Center (SSO)");
    ck_assert_int_eq(get(&c, "long"), SKYCRATE_EINVAL);
    ck_assert_message_has("profile 'long': duration_seconds in ");
    ck_assert_message_has("is not a number of seconds from 900 to 43200");
    ck_assert_int_eq(get(&c, "from-mars"), SKYCRATE_EINVAL);
    ck_assert_message_has("credential_source in ");
    ck_assert_message_has("is 'Mars', not Environment, Ec2InstanceMetadata or EcsContainer");
    ck_assert_uint_eq(mock_request_count(mock), 0);
    ck_assert_ptr_null(c);
    testhome_assert_no_secret();
}
END_TEST

START_TEST(credential_source_environment)
{
    write_config();
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(get(&c, "from-env"), SKYCRATE_EAUTH);
    ck_assert_message_has("credentials provider 'profile': profile 'from-env': credential_source "
                          "in ");
    ck_assert_message_has(" = Environment: credentials provider 'environment': AWS_ACCESS_KEY_ID "
                          "and AWS_SECRET_ACCESS_KEY are not set");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TEST_TOKEN, 1);
    push_sts("ASIAENV", "T");
    ck_assert_sky_ok(get(&c, "from-env"));
    skycrate_credentials_unref(c);
    char who[64];
    ck_assert_str_eq(signed_by(0, who, sizeof(who)), "AKIDENV");
    ck_assert_str_eq(mock_request_header(mock_request(mock, 0), "X-Amz-Security-Token"),
                     TEST_TOKEN);
}
END_TEST

START_TEST(credential_source_container_and_instance_metadata)
{
    write_config();
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(get(&c, "from-ecs"), SKYCRATE_EAUTH);
    ck_assert_message_has("= EcsContainer: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and ");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
    mock_push_str(mock, 200, NULL,
                  "{\"AccessKeyId\": \"AKIDECS\", \"SecretAccessKey\": \"" TEST_SECRET
                  "\", \"Token\": \"TOKENECS\", \"Expiration\": \"2026-01-01T06:00:00Z\"}");
    push_sts("ASIAECS", "T");
    ck_assert_sky_ok(get(&c, "from-ecs"));
    skycrate_credentials_unref(c);
    ck_assert_str_eq(mock_request(mock, 0)->url, "http://127.0.0.1:1/creds");
    char who[64];
    ck_assert_str_eq(signed_by(1, who, sizeof(who)), "AKIDECS");

    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:2", 1);
    mock_push_str(mock, 200, NULL, "imds-token");
    mock_push_str(mock, 200, NULL, "ec2-role\n");
    mock_push_str(
        mock, 200, NULL,
        "{\"Code\": \"Success\", \"AccessKeyId\": \"AKIDEC2\", \"SecretAccessKey\": \"" TEST_SECRET
        "\", \"Token\": \"TOKENEC2\", \"Expiration\": \"2026-01-01T06:00:00Z\"}");
    push_sts("ASIAEC2", "T");
    ck_assert_sky_ok(get(&c, "from-ec2"));
    skycrate_credentials_unref(c);
    ck_assert_str_eq(mock_request(mock, 4)->url,
                     "http://127.0.0.1:2/latest/meta-data/iam/security-credentials/ec2-role");
    ck_assert_str_eq(signed_by(5, who, sizeof(who)), "AKIDEC2");
    /* No instance metadata service: configured, so an error, not "nothing here". */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ck_assert_int_eq(get(&c, "from-ec2"), SKYCRATE_EAUTH);
    ck_assert_message_has("= Ec2InstanceMetadata: instance metadata is disabled");
}
END_TEST

START_TEST(web_identity_token_file_of_a_profile)
{
    write_config();
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(get(&c, "web"), SKYCRATE_EIO);
    ck_assert_message_has("credentials provider 'profile': profile 'web': the web identity token "
                          "file ");
    testhome_write("jwt", "eyJprofile.SECRETX\n");
    mock_push_str(mock, 200, NULL,
                  "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                  "<Credentials><AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>" TEST_SECRET
                  "</SecretAccessKey><SessionToken>T</SessionToken><Expiration>"
                  "2026-01-01T01:00:00Z</Expiration></Credentials>"
                  "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
    ck_assert_sky_ok(get(&c, "web"));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "ASIAWEB");
    skycrate_credentials_unref(c);
    const mock_req *r = mock_request(mock, 0);
    ck_assert_ptr_null(mock_request_header(r, "Authorization"));
    ck_assert_str_eq(
        (const char *)r->body,
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A"
        "%3A1%3Arole%2Fweb&RoleSessionName=websess&WebIdentityToken=eyJprofile."
        "SECRETX");
}
END_TEST

START_TEST(sts_refusals_name_the_profile)
{
    write_config();
    mock_push_str(mock, 403, NULL,
                  "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not allowed</Message>"
                  "</Error><RequestId>r1</RequestId></ErrorResponse>");
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(get(&c, "dev"), SKYCRATE_EAUTH);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'profile': STS AssumeRole of role "
                     "arn:aws:iam::123456789012:role/dev for profile 'dev' at "
                     "https://sts.eu-west-2.amazonaws.com: AccessDenied: not allowed (HTTP 403, "
                     "request id r1)");
    setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/sts", 1);
    mock_push_error_msg(mock, SKYCRATE_ETIMEOUT, "timed out");
    mock_push_error_msg(mock, SKYCRATE_ETIMEOUT, "timed out");
    mock_push_error_msg(mock, SKYCRATE_ETIMEOUT, "timed out");
    ck_assert_int_eq(get(&c, "dev"), SKYCRATE_ETIMEOUT);
    ck_assert_message_has("at http://127.0.0.1:9/sts: timed out");
    ck_assert_str_eq(mock_request(mock, 1)->url, "http://127.0.0.1:9/sts");
}
END_TEST

START_TEST(roles_report_enomem_and_leak_nothing)
{
    write_config();
    for (long n = 1;; n++) {
        skycrate__creds_http_unref(http);
        mock_free(mock);
        mock = mock_new();
        mock_allow_unused(mock); /* a failed allocation stops before the script ends */
        skycrate_http_transport *t = mock_transport_new(mock);
        ck_assert_sky_ok(skycrate__creds_http_new(&http, t, NULL));
        skycrate_http_transport_unref(t);
        push_sts("ASIADEV", "TOKENDEV");
        push_sts("ASIATOP", "TOKENTOP");
        skycrate_credentials_provider *p = NULL;
        ck_assert_sky_ok(skycrate__credentials_provider_new_profile_http(&p, "chained", 0, http));
        skycrate_credentials *c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_credentials_provider_get(&c, p);
        testalloc_fail_at(0);
        skycrate_credentials_provider_unref(p);
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

/* --- no secret in freed memory or in a log line ------------------------------------------ */

typedef struct {
    size_t size;
    size_t pad;
} block_header;

static atomic_int dirty_frees;
static char dirty_what[256];

static bool holds_secret(const void *p, size_t n)
{
    static const char *const secrets[] = {TEST_SECRET, TEST_TOKEN,   "eyJprofile", "TOKENECS",
                                          "TOKENEC2",  "imds-token", "K7MDENG"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(secrets); i++)
        if (memmem(p, n, secrets[i], strlen(secrets[i]))) {
            snprintf(dirty_what, sizeof(dirty_what), "%s", secrets[i]);
            return true;
        }
    return false;
}

static void *inspect_malloc(size_t size, void *ud)
{
    (void)ud;
    /* Zeroed: stale bytes that libc hands out again (a mock's copy of an answer) are not the
     * library's doing. */
    block_header *h = calloc(1, sizeof(*h) + size);
    if (!h)
        return NULL;
    h->size = size;
    return h + 1;
}

static void inspect_free(void *ptr, void *ud)
{
    (void)ud;
    if (!ptr)
        return;
    block_header *h = (block_header *)ptr - 1;
    if (holds_secret(ptr, h->size))
        atomic_fetch_add(&dirty_frees, 1);
    free(h);
}

static void *inspect_realloc(void *ptr, size_t size, void *ud)
{
    void *p = inspect_malloc(size, ud);
    if (p && ptr) {
        block_header *h = (block_header *)ptr - 1;
        memcpy(p, ptr, h->size < size ? h->size : size);
        inspect_free(ptr, ud);
    }
    return p;
}

static const skycrate_allocator inspecting = {inspect_malloc, inspect_realloc, inspect_free, NULL};

static atomic_int log_lines, dirty_lines;

static void capture_log(skycrate_log_level level, const char *line, void *user_data)
{
    (void)level;
    (void)user_data;
    atomic_fetch_add(&log_lines, 1);
    if (holds_secret(line, strlen(line)))
        atomic_fetch_add(&dirty_lines, 1);
}

START_TEST(no_secret_in_freed_memory_or_log_lines)
{
    write_config();
    testhome_write("jwt", "eyJprofile.SECRETX\n");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer " TEST_TOKEN, 1);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:2", 1);
    /* Everything below is made and freed under the inspecting allocator. */
    skycrate__creds_http_unref(http);
    http = NULL;
    skycrate_global_cleanup();
    ck_assert_int_eq(skycrate_global_init(&inspecting), 1);
    skycrate_log_set(SKYCRATE_LOG_LEVEL_TRACE, capture_log, NULL);
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate__creds_http_new(&http, t, NULL));
    skycrate_http_transport_unref(t);

    push_sts("ASIADEV", TEST_TOKEN); /* dev: static source keys from the file */
    push_sts("ASIADEV", TEST_TOKEN); /* chained: dev, then top signed with a session token */
    push_sts("ASIATOP", TEST_TOKEN);
    mock_push_str(mock, 200, NULL,
                  "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                  "<Credentials><AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>" TEST_SECRET
                  "</SecretAccessKey><SessionToken>" TEST_TOKEN "</SessionToken><Expiration>"
                  "2026-01-01T01:00:00Z</Expiration></Credentials>"
                  "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
    mock_push_str(mock, 200, NULL,
                  "{\"AccessKeyId\": \"AKIDECS\", \"SecretAccessKey\": \"" TEST_SECRET
                  "\", \"Token\": \"TOKENECS\", \"Expiration\": \"2026-01-01T06:00:00Z\"}");
    push_sts("ASIAECS", TEST_TOKEN);
    mock_push_str(mock, 200, NULL, "imds-token");
    mock_push_str(mock, 200, NULL, "ec2-role");
    mock_push_str(mock, 200, NULL,
                  "{\"Code\": \"Success\", \"AccessKeyId\": \"AKIDEC2\", \"SecretAccessKey\": "
                  "\"" TEST_SECRET "\", \"Token\": \"TOKENEC2\", \"Expiration\": "
                  "\"2026-01-01T06:00:00Z\"}");
    push_sts("ASIAEC2", TEST_TOKEN);
    mock_push_str(mock, 403, NULL, "<Error><Code>AccessDenied</Code></Error>");
    static const char *const profiles[] = {"dev", "chained", "web", "from-ecs", "from-ec2", "dev"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(profiles); i++) {
        skycrate_credentials_provider *p = NULL;
        ck_assert_sky_ok(skycrate__credentials_provider_new_profile_http(&p, profiles[i], 0, http));
        skycrate_credentials_provider *cached = NULL;
        ck_assert_sky_ok(skycrate_credentials_provider_new_cached(&cached, p, 0));
        skycrate_credentials *c = NULL;
        int rc = skycrate_credentials_provider_get(&c, cached);
        ck_assert_msg(rc == (i + 1 < SKYCRATE_ARRAY_SIZE(profiles) ? 0 : SKYCRATE_EAUTH),
                      "%s: %d %s", profiles[i], rc, skycrate_error_last()->message);
        skycrate_credentials_unref(c);
        skycrate_credentials_provider_unref(cached);
        skycrate_credentials_provider_unref(p);
    }
    ck_assert_uint_eq(mock_pending(mock), 0);
    skycrate__creds_http_unref(http);
    http = NULL;
    skycrate_log_set(SKYCRATE_LOG_LEVEL_NONE, NULL, NULL);
    skycrate_global_cleanup();
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1); /* for the fixture */
    t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate__creds_http_new(&http, t, NULL));
    skycrate_http_transport_unref(t);

    ck_assert_msg(atomic_load(&dirty_frees) == 0, "%d blocks freed holding %s",
                  atomic_load(&dirty_frees), dirty_what);
    ck_assert_int_gt(atomic_load(&log_lines), 10);
    ck_assert_msg(atomic_load(&dirty_lines) == 0, "%d log lines hold %s", atomic_load(&dirty_lines),
                  dirty_what);
}
END_TEST

static Suite *roles_suite(void)
{
    Suite *s = suite_create("roles");
    TCase *tc = tcase_create("source profile");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, source_profile_keys_sign_assume_role);
    tcase_add_test(tc, roles_chain_through_source_profiles);
    tcase_add_test(tc, broken_source_profiles_are_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("credential source");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, credential_source_environment);
    tcase_add_test(tc, credential_source_container_and_instance_metadata);
    suite_add_tcase(s, tc);
    tc = tcase_create("web identity and errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, web_identity_token_file_of_a_profile);
    tcase_add_test(tc, sts_refusals_name_the_profile);
    tcase_add_test(tc, roles_report_enomem_and_leak_nothing);
    tcase_add_test(tc, no_secret_in_freed_memory_or_log_lines);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(roles_suite)
