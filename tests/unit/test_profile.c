/*
 * Unit tests of the AWS shared files in lib/creds: profile selection and lookup, where a
 * profile's credentials come from, the profile provider, region / endpoint resolution, and
 * the default chain. Every test gets a fresh temporary HOME and no AWS_* variables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/profile.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"

/* --- files and profile lookup ------------------------------------------------------------- */

static const char credentials_file[] = "[default]\n"
                                       "aws_access_key_id = AKIDDEFAULT\n"
                                       "aws_secret_access_key = " TEST_SECRET "\n"
                                       "aws_session_token = " TEST_TOKEN "\n"
                                       "\n"
                                       "[dev]\n"
                                       "aws_access_key_id = AKIDDEV\n"
                                       "aws_secret_access_key = " TEST_SECRET "\n"
                                       "region = from-credentials\n"
                                       "[profile ops]\n"
                                       "region = not-a-profile-here\n";

static const char config_file[] = "[default]\n"
                                  "region = eu-west-1\n"
                                  "[profile dev]\n"
                                  "region = us-east-2\n"
                                  "output = json\n"
                                  "[ops]\n"
                                  "region = not-a-profile-in-config\n"
                                  "[profile   ops]\n"
                                  "region = ap-south-1\n"
                                  "[profile only-config]\n"
                                  "region = sa-east-1\n";

START_TEST(files_and_profile_selection)
{
    testhome_write_credentials(credentials_file);
    testhome_write_config(config_file);
    skycrate__aws_config cfg;
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    ck_assert_str_eq(cfg.profile, "default");
    ck_assert_ptr_null(cfg.profile_from);
    ck_assert_str_eq(cfg.credentials_path, testhome_path(".aws/credentials"));
    ck_assert_str_eq(cfg.config_path, testhome_path(".aws/config"));
    ck_assert(cfg.config_found && cfg.credentials_found);
    skycrate__aws_config_dispose(&cfg);

    setenv("AWS_DEFAULT_PROFILE", "dev", 1);
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    ck_assert_str_eq(cfg.profile, "dev");
    ck_assert_str_eq(cfg.profile_from, "AWS_DEFAULT_PROFILE");
    skycrate__aws_config_dispose(&cfg);
    setenv("AWS_PROFILE", "ops", 1);
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    ck_assert_str_eq(cfg.profile, "ops");
    ck_assert_str_eq(cfg.profile_from, "AWS_PROFILE");
    skycrate__aws_config_dispose(&cfg);
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, "mine"));
    ck_assert_str_eq(cfg.profile, "mine");
    ck_assert_str_eq(cfg.profile_from, "the caller");
    skycrate__aws_config_dispose(&cfg);
    setenv("AWS_PROFILE", "", 1); /* empty: unset */
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    ck_assert_str_eq(cfg.profile, "dev");
    skycrate__aws_config_dispose(&cfg);
}
END_TEST

START_TEST(files_from_the_environment)
{
    ck_assert_int_eq(mkdir(testhome_path("elsewhere"), 0700), 0);
    testhome_write("elsewhere/conf", "[default]\nregion = ca-central-1\n");
    testhome_write("elsewhere/creds", "[default]\naws_access_key_id = AKIDELSEWHERE\n");
    testhome_write_config(config_file);
    setenv("AWS_CONFIG_FILE", "~/elsewhere/conf", 1);
    char creds_path[600];
    snprintf(creds_path, sizeof(creds_path), "%s", testhome_path("elsewhere/creds"));
    setenv("AWS_SHARED_CREDENTIALS_FILE", creds_path, 1);
    skycrate__aws_config cfg;
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    ck_assert_str_eq(cfg.config_path, testhome_path("elsewhere/conf"));
    ck_assert_str_eq(cfg.credentials_path, creds_path);
    const unsigned both = SKYCRATE__AWS_BOTH_FILES;
    ck_assert_str_eq(skycrate__aws_config_get(NULL, &cfg, "default", "region", both),
                     "ca-central-1");
    ck_assert_str_eq(skycrate__aws_config_get(NULL, &cfg, "default", "aws_access_key_id", both),
                     "AKIDELSEWHERE");
    skycrate__aws_config_dispose(&cfg);

    /* Neither file exists: nothing to read, and no error. */
    setenv("AWS_CONFIG_FILE", testhome_path("nope/config"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", testhome_path("nope/credentials"), 1);
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    ck_assert(!cfg.config_found && !cfg.credentials_found);
    ck_assert(!skycrate__aws_config_has_profile(&cfg, "default"));
    skycrate__aws_config_dispose(&cfg);
}
END_TEST

START_TEST(lookup_reads_credentials_then_config)
{
    testhome_write_credentials(credentials_file);
    testhome_write_config(config_file);
    skycrate__aws_config cfg;
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    const unsigned both = SKYCRATE__AWS_BOTH_FILES;
    skycrate__aws_setting w;
    /* [dev] in the credentials file wins over [profile dev] in the config file. */
    ck_assert_str_eq(skycrate__aws_config_get(&w, &cfg, "dev", "region", both), "from-credentials");
    ck_assert_str_eq(w.path, cfg.credentials_path);
    ck_assert_uint_eq(w.pair->line, 9);
    ck_assert_str_eq(skycrate__aws_config_get(&w, &cfg, "dev", "region", SKYCRATE__AWS_CONFIG_FILE),
                     "us-east-2");
    ck_assert_str_eq(w.path, cfg.config_path);
    ck_assert_str_eq(skycrate__aws_config_get(NULL, &cfg, "dev", "output", both), "json");
    /* [ops] in config is not a profile; [profile ops] in credentials is not "ops". */
    ck_assert_str_eq(skycrate__aws_config_get(NULL, &cfg, "ops", "region", both), "ap-south-1");
    ck_assert(skycrate__aws_config_has_profile(&cfg, "only-config"));
    ck_assert(skycrate__aws_config_has_profile(&cfg, "profile ops"));
    ck_assert(!skycrate__aws_config_has_profile(&cfg, "missing"));
    ck_assert_str_eq(skycrate__aws_config_get(NULL, &cfg, "default", "region", both), "eu-west-1");
    ck_assert_ptr_null(skycrate__aws_config_get(&w, &cfg, "default", "nothing", both));
    ck_assert_ptr_null(w.pair);
    ck_assert_ptr_null(w.path);
    skycrate__aws_config_dispose(&cfg);

    /* [profile default] and [default] are the same profile; the later section wins. */
    testhome_write_config("[default]\nregion = one\n[profile default]\nregion = two\n");
    ck_assert_sky_ok(skycrate__aws_config_load(&cfg, NULL));
    ck_assert_str_eq(skycrate__aws_config_get(NULL, &cfg, "default", "region", both), "two");
    skycrate__aws_config_dispose(&cfg);
}
END_TEST

START_TEST(load_names_the_malformed_file)
{
    testhome_write_credentials(
        "[default]\naws_access_key_id = AKID\naws_secret_access_key " TEST_SECRET "\n");
    skycrate__aws_config cfg;
    ck_assert_int_eq(skycrate__aws_config_load(&cfg, NULL), SKYCRATE_EPARSE);
    char expected[600];
    snprintf(expected, sizeof(expected), "%s line 3: ", testhome_path(".aws/credentials"));
    ck_assert_message_has(expected);
    testhome_assert_no_secret();
    ck_assert_ptr_null(cfg.profile);
    skycrate__aws_config_dispose(&cfg);

    testhome_write_credentials("[default]\n");
    testhome_write_config("[default]\nregion = x\n[default]\n");
    ck_assert_int_eq(skycrate__aws_config_load(&cfg, NULL), SKYCRATE_EPARSE);
    snprintf(expected, sizeof(expected), "%s line 3: ", testhome_path(".aws/config"));
    ck_assert_message_has(expected);
}
END_TEST

START_TEST(load_reports_enomem_and_leaks_nothing)
{
    testhome_write_credentials(credentials_file);
    testhome_write_config(config_file);
    for (long n = 1;; n++) {
        skycrate__aws_config cfg;
        testalloc_fail_at(n);
        int rc = skycrate__aws_config_load(&cfg, NULL);
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate__aws_config_dispose(&cfg);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
}
END_TEST

/* --- where credentials come from ---------------------------------------------------------- */

static const char kinds_config[] = "[profile role]\n"
                                   "role_arn = arn:aws:iam::123456789012:role/r\n"
                                   "source_profile = base\n"
                                   "role_session_name = sess\n"
                                   "external_id = ext\n"
                                   "mfa_serial = arn:aws:iam::123456789012:mfa/u\n"
                                   "duration_seconds = 900\n"
                                   "aws_access_key_id = AKIDIGNORED\n"
                                   "aws_secret_access_key = " TEST_SECRET "\n"
                                   "[profile role-env]\n"
                                   "role_arn = arn:aws:iam::123456789012:role/r\n"
                                   "credential_source = Environment\n"
                                   "[profile role-both]\n"
                                   "role_arn = arn:aws:iam::123456789012:role/r\n"
                                   "source_profile = base\n"
                                   "credential_source = Environment\n"
                                   "[profile role-none]\n"
                                   "role_arn = arn:aws:iam::123456789012:role/r\n"
                                   "[profile web]\n"
                                   "role_arn = arn:aws:iam::123456789012:role/w\n"
                                   "web_identity_token_file = /var/run/token\n"
                                   "[profile web-norole]\n"
                                   "web_identity_token_file = /var/run/token\n"
                                   "[profile sso]\n"
                                   "sso_session = corp\n"
                                   "sso_account_id = 123456789012\n"
                                   "[profile process]\n"
                                   "credential_process = /usr/bin/get-creds --json\n"
                                   "aws_access_key_id = AKIDCONFIG\n"
                                   "aws_secret_access_key = " TEST_SECRET "\n"
                                   "[profile both-files]\n"
                                   "credential_process = /usr/bin/get-creds\n"
                                   "[profile config-keys]\n"
                                   "aws_access_key_id = AKIDCONFIG\n"
                                   "aws_secret_access_key = " TEST_SECRET "\n"
                                   "aws_security_token = " TEST_TOKEN "\n"
                                   "[profile half]\n"
                                   "aws_secret_access_key = " TEST_SECRET "\n"
                                   "[profile nothing]\n"
                                   "region = eu-west-1\n";

static const char kinds_credentials[] = "[both-files]\n"
                                        "aws_access_key_id = AKIDCREDS\n"
                                        "aws_secret_access_key = " TEST_SECRET "\n"
                                        "aws_session_token = " TEST_TOKEN "\n";

static int resolve(skycrate__profile_creds *pc, skycrate__aws_config *cfg, const char *profile)
{
    testhome_write_config(kinds_config);
    testhome_write_credentials(kinds_credentials);
    ck_assert_int_eq(skycrate__aws_config_load(cfg, NULL), 0);
    return skycrate__profile_creds_resolve(pc, cfg, profile);
}

START_TEST(resolve_recognises_roles_and_sso)
{
    skycrate__aws_config cfg;
    skycrate__profile_creds pc;
    ck_assert_sky_ok(resolve(&pc, &cfg, "role"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_ASSUME_ROLE);
    ck_assert_str_eq(pc.role_arn, "arn:aws:iam::123456789012:role/r");
    ck_assert_str_eq(pc.source_profile, "base");
    ck_assert_ptr_null(pc.credential_source);
    ck_assert_str_eq(pc.role_session_name, "sess");
    ck_assert_str_eq(pc.external_id, "ext");
    ck_assert_str_eq(pc.mfa_serial, "arn:aws:iam::123456789012:mfa/u");
    ck_assert_str_eq(pc.duration_seconds, "900");
    ck_assert_ptr_null(pc.access_key_id); /* the role wins over keys beside it */
    ck_assert_uint_eq(pc.where.pair->line, 2);

    ck_assert_sky_ok(skycrate__profile_creds_resolve(&pc, &cfg, "role-env"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_ASSUME_ROLE);
    ck_assert_str_eq(pc.credential_source, "Environment");

    ck_assert_sky_ok(skycrate__profile_creds_resolve(&pc, &cfg, "web"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_WEB_IDENTITY);
    ck_assert_str_eq(pc.web_identity_token_file, "/var/run/token");
    ck_assert_str_eq(pc.role_arn, "arn:aws:iam::123456789012:role/w");

    ck_assert_sky_ok(skycrate__profile_creds_resolve(&pc, &cfg, "sso"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_SSO);
    ck_assert_str_eq(pc.sso_session, "corp");

    ck_assert_int_eq(skycrate__profile_creds_resolve(&pc, &cfg, "role-both"), SKYCRATE_EINVAL);
    ck_assert_message_has("both of source_profile and credential_source");
    ck_assert_message_has("line 14");
    ck_assert_int_eq(skycrate__profile_creds_resolve(&pc, &cfg, "role-none"), SKYCRATE_EINVAL);
    ck_assert_message_has("neither");
    ck_assert_int_eq(skycrate__profile_creds_resolve(&pc, &cfg, "web-norole"), SKYCRATE_EINVAL);
    ck_assert_message_has("no role_arn");
    skycrate__aws_config_dispose(&cfg);
}
END_TEST

START_TEST(resolve_orders_keys_and_process_as_botocore)
{
    skycrate__aws_config cfg;
    skycrate__profile_creds pc;
    /* Keys in the credentials file before credential_process in the config file. */
    ck_assert_sky_ok(resolve(&pc, &cfg, "both-files"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_STATIC);
    ck_assert_str_eq(pc.access_key_id, "AKIDCREDS");
    ck_assert_str_eq(pc.secret_access_key, TEST_SECRET);
    ck_assert_str_eq(pc.session_token, TEST_TOKEN);
    ck_assert_str_eq(pc.where.path, cfg.credentials_path);
    /* credential_process before keys in the config file. */
    ck_assert_sky_ok(skycrate__profile_creds_resolve(&pc, &cfg, "process"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_PROCESS);
    ck_assert_str_eq(pc.process, "/usr/bin/get-creds --json");
    ck_assert_ptr_null(pc.access_key_id);
    /* Keys in the config file, with the older token name. */
    ck_assert_sky_ok(skycrate__profile_creds_resolve(&pc, &cfg, "config-keys"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_STATIC);
    ck_assert_str_eq(pc.access_key_id, "AKIDCONFIG");
    ck_assert_str_eq(pc.session_token, TEST_TOKEN);
    ck_assert_str_eq(pc.where.path, cfg.config_path);

    ck_assert_sky_ok(skycrate__profile_creds_resolve(&pc, &cfg, "nothing"));
    ck_assert_int_eq(pc.kind, SKYCRATE__PROFILE_CREDS_NONE);
    ck_assert_int_eq(skycrate__profile_creds_resolve(&pc, &cfg, "half"), SKYCRATE_EINVAL);
    ck_assert_message_has("has aws_secret_access_key but no aws_access_key_id");
    testhome_assert_no_secret();
    ck_assert_int_eq(skycrate__profile_creds_resolve(&pc, &cfg, "absent"), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("no profile 'absent'");
    skycrate__aws_config_dispose(&cfg);
}
END_TEST

/* --- the profile provider ----------------------------------------------------------------- */

static int profile_get(skycrate_credentials **out, const char *profile, uint32_t timeout_ms)
{
    skycrate_credentials_provider *p = NULL;
    ck_assert_int_eq(skycrate__credentials_provider_new_profile(&p, profile, timeout_ms), 0);
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "profile");
    int rc = skycrate_credentials_provider_get(out, p);
    skycrate_credentials_provider_unref(p);
    return rc;
}

START_TEST(profile_provider_gives_static_keys)
{
    testhome_write_credentials(credentials_file);
    testhome_write_config(config_file);
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(profile_get(&c, NULL, 0));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDDEFAULT");
    ck_assert_str_eq(skycrate_credentials_secret_access_key(c), TEST_SECRET);
    ck_assert_str_eq(skycrate_credentials_session_token(c), TEST_TOKEN);
    ck_assert_int_eq(skycrate_credentials_expiration(c), 0);
    skycrate_credentials_unref(c);

    setenv("AWS_PROFILE", "dev", 1);
    ck_assert_sky_ok(profile_get(&c, NULL, 0));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDDEV");
    ck_assert_ptr_null(skycrate_credentials_session_token(c));
    skycrate_credentials_unref(c);
    /* The caller's profile beats the environment. */
    ck_assert_sky_ok(profile_get(&c, "default", 0));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDDEFAULT");
    skycrate_credentials_unref(c);
}
END_TEST

START_TEST(profile_provider_tells_missing_from_misnamed)
{
    skycrate_credentials *c = NULL;
    /* No files at all: the chain may move on. */
    ck_assert_int_eq(profile_get(&c, NULL, 0), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("credentials provider 'profile': no profile 'default' in ");
    testhome_write_config(config_file);
    ck_assert_int_eq(profile_get(&c, NULL, 0), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("profile 'default' has no credential settings");
    /* A profile someone named must exist. */
    setenv("AWS_PROFILE", "typo", 1);
    ck_assert_int_eq(profile_get(&c, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_message_has("profile 'typo' (named by AWS_PROFILE) is in neither");
    ck_assert_int_eq(profile_get(&c, "typo2", 0), SKYCRATE_EINVAL);
    ck_assert_message_has("(named by the caller)");
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(profile_provider_refuses_what_needs_sts)
{
    testhome_write_config(kinds_config);
    testhome_write_credentials(kinds_credentials);
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(profile_get(&c, "role", 0), SKYCRATE_EAUTH);
    ck_assert_message_has("profile 'role' assumes a role (role_arn in ");
    ck_assert_message_has("config line 2)");
    ck_assert_message_has("cannot");
    testhome_assert_no_secret();
    ck_assert_int_eq(profile_get(&c, "web", 0), SKYCRATE_EAUTH);
    ck_assert_message_has("web identity");
    ck_assert_int_eq(profile_get(&c, "sso", 0), SKYCRATE_EAUTH);
    ck_assert_message_has("SSO");
    ck_assert_int_eq(profile_get(&c, "role-none", 0), SKYCRATE_EINVAL);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(profile_provider_reports_malformed_files)
{
    testhome_write_credentials("[default]\naws_access_key_id = AKID\n  " TEST_SECRET "\n[x\n");
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(profile_get(&c, NULL, 0), SKYCRATE_EPARSE);
    ck_assert_message_has("credentials provider 'profile': ");
    ck_assert_message_has("credentials line 4: a section header without ']'");
    testhome_assert_no_secret();
    testhome_write_credentials("[default]\naws_access_key_id = AKID\n");
    ck_assert_int_eq(profile_get(&c, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_message_has("has aws_access_key_id but no aws_secret_access_key");
}
END_TEST

START_TEST(profile_provider_reports_enomem_and_leaks_nothing)
{
    testhome_write_credentials(credentials_file);
    testhome_write_config(config_file);
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_profile(&p, "dev", 0));
    long base = testalloc_outstanding();
    for (long n = 1;; n++) {
        skycrate_credentials *c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_credentials_provider_get(&c, p);
        testalloc_fail_at(0);
        if (rc == 0) {
            ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDDEV");
            skycrate_credentials_unref(c);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(testalloc_outstanding(), base);
    }
    skycrate_credentials_provider_unref(p);
}
END_TEST

/* --- region and endpoint ------------------------------------------------------------------ */

static const char settings_config[] = "[default]\n"
                                      "region = eu-central-1\n"
                                      "endpoint_url = https://global.example\n"
                                      "s3 =\n"
                                      "  endpoint_url = http://127.0.0.1:9000\n"
                                      "  addressing_style = path\n"
                                      "services = local\n"
                                      "[services local]\n"
                                      "s3 =\n"
                                      "  endpoint_url = http://services.example:8080\n"
                                      "[profile plain]\n"
                                      "region = us-west-2\n"
                                      "endpoint_url = https://plain.example/\n"
                                      "[profile bare]\n"
                                      "output = json\n"
                                      "[profile bad-region]\n"
                                      "region = eu west 1\n"
                                      "[profile bad-url]\n"
                                      "endpoint_url = ftp://x\n"
                                      "[profile bad-style]\n"
                                      "s3 =\n"
                                      "  addressing_style = sideways\n"
                                      "[profile ignoring]\n"
                                      "endpoint_url = https://ignored.example\n"
                                      "ignore_configured_endpoint_urls = true\n";

START_TEST(settings_region_precedence)
{
    testhome_write_config(settings_config);
    skycrate__aws_settings s;
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.region, "eu-central-1");
    ck_assert_str_eq(s.region_from, "profile");
    skycrate__aws_settings_dispose(&s);
    setenv("AWS_DEFAULT_REGION", "ap-northeast-1", 1);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.region, "ap-northeast-1");
    ck_assert_str_eq(s.region_from, "AWS_DEFAULT_REGION");
    skycrate__aws_settings_dispose(&s);
    setenv("AWS_REGION", "us-east-1", 1);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.region, "us-east-1");
    ck_assert_str_eq(s.region_from, "AWS_REGION");
    skycrate__aws_settings_dispose(&s);
    setenv("AWS_REGION", "", 1);
    unsetenv("AWS_DEFAULT_REGION");
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, "plain"));
    ck_assert_str_eq(s.region, "us-west-2");
    skycrate__aws_settings_dispose(&s);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, "bare"));
    ck_assert_ptr_null(s.region);
    ck_assert_ptr_null(s.region_from);
    ck_assert_ptr_null(s.s3_endpoint);
    ck_assert_ptr_null(s.s3_addressing_style);
    skycrate__aws_settings_dispose(&s);

    ck_assert_int_eq(skycrate__aws_settings_resolve(&s, "bad-region"), SKYCRATE_EINVAL);
    ck_assert_message_has("the region of profile 'bad-region' (");
    ck_assert_message_has("config line 17) is not a region name");
    setenv("AWS_REGION", "-bad", 1);
    ck_assert_int_eq(skycrate__aws_settings_resolve(&s, NULL), SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate_error_last()->message, "AWS_REGION is not a region name");
    ck_assert_ptr_null(s.region);
}
END_TEST

START_TEST(settings_endpoint_precedence)
{
    testhome_write_config(settings_config);
    skycrate__aws_settings s;
    setenv("AWS_ENDPOINT_URL_S3", "http://s3-env.example:1", 1);
    setenv("AWS_ENDPOINT_URL", "http://env.example:2", 1);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.s3_endpoint, "http://s3-env.example:1");
    ck_assert_str_eq(s.endpoint_from, "AWS_ENDPOINT_URL_S3");
    ck_assert_str_eq(s.s3_addressing_style, "path");
    skycrate__aws_settings_dispose(&s);
    unsetenv("AWS_ENDPOINT_URL_S3");
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.s3_endpoint, "http://env.example:2");
    ck_assert_str_eq(s.endpoint_from, "AWS_ENDPOINT_URL");
    skycrate__aws_settings_dispose(&s);
    unsetenv("AWS_ENDPOINT_URL");
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.s3_endpoint, "http://services.example:8080");
    ck_assert_str_eq(s.endpoint_from, "services");
    skycrate__aws_settings_dispose(&s);

    /* Without the services section: the nested s3 block, then the global endpoint_url. */
    char *no_services = strdup(settings_config);
    char *at = strstr(no_services, "services = local");
    memcpy(at, "#ervices", 8);
    testhome_write_config(no_services);
    free(no_services);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.s3_endpoint, "http://127.0.0.1:9000");
    ck_assert_str_eq(s.endpoint_from, "profile s3");
    skycrate__aws_settings_dispose(&s);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, "plain"));
    ck_assert_str_eq(s.s3_endpoint, "https://plain.example/");
    ck_assert_str_eq(s.endpoint_from, "profile");
    ck_assert_ptr_null(s.s3_addressing_style);
    skycrate__aws_settings_dispose(&s);
}
END_TEST

START_TEST(settings_ignore_configured_endpoints)
{
    testhome_write_config(settings_config);
    skycrate__aws_settings s;
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, "ignoring"));
    ck_assert_ptr_null(s.s3_endpoint);
    skycrate__aws_settings_dispose(&s);
    setenv("AWS_ENDPOINT_URL", "http://env.example:2", 1);
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_ptr_null(s.s3_endpoint);
    ck_assert_ptr_null(s.endpoint_from);
    ck_assert_str_eq(s.s3_addressing_style, "path"); /* not an endpoint */
    skycrate__aws_settings_dispose(&s);
    /* The environment's false beats the profile's true. */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, "ignoring"));
    ck_assert_str_eq(s.s3_endpoint, "http://env.example:2");
    skycrate__aws_settings_dispose(&s);
}
END_TEST

START_TEST(settings_reject_malformed_values)
{
    testhome_write_config(settings_config);
    skycrate__aws_settings s;
    ck_assert_int_eq(skycrate__aws_settings_resolve(&s, "bad-url"), SKYCRATE_EINVAL);
    ck_assert_message_has("config line 19) is not an http:// or https:// URL");
    ck_assert_int_eq(skycrate__aws_settings_resolve(&s, "bad-style"), SKYCRATE_EINVAL);
    ck_assert_message_has("s3 addressing_style of profile 'bad-style'");
    ck_assert_message_has("line 22) is not auto, virtual or path");
    static const char *bad_urls[] = {"127.0.0.1:9000", "http://", "https:///path", "http://a b",
                                     "https://user:SECRETX@h\n"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_urls); i++) {
        setenv("AWS_ENDPOINT_URL_S3", bad_urls[i], 1);
        ck_assert_int_eq(skycrate__aws_settings_resolve(&s, NULL), SKYCRATE_EINVAL);
        ck_assert_str_eq(skycrate_error_last()->message,
                         "AWS_ENDPOINT_URL_S3 is not an http:// or https:// URL");
    }
    setenv("AWS_ENDPOINT_URL_S3", "HTTPS://Host.Example", 1);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, "plain"));
    skycrate__aws_settings_dispose(&s);

    setenv("AWS_PROFILE", "typo", 1);
    ck_assert_int_eq(skycrate__aws_settings_resolve(&s, NULL), SKYCRATE_EINVAL);
    ck_assert_message_has("profile 'typo' (named by AWS_PROFILE)");
    /* The default profile may be missing: the environment alone is fine. */
    unsetenv("AWS_PROFILE");
    testhome_write_config("[profile other]\n");
    setenv("AWS_REGION", "eu-west-3", 1);
    ck_assert_sky_ok(skycrate__aws_settings_resolve(&s, NULL));
    ck_assert_str_eq(s.region, "eu-west-3");
    skycrate__aws_settings_dispose(&s);
}
END_TEST

START_TEST(settings_report_enomem_and_leak_nothing)
{
    testhome_write_config(settings_config);
    for (long n = 1;; n++) {
        skycrate__aws_settings s;
        testalloc_fail_at(n);
        int rc = skycrate__aws_settings_resolve(&s, NULL);
        testalloc_fail_at(0);
        if (rc == 0) {
            ck_assert_str_eq(s.s3_addressing_style, "path");
            skycrate__aws_settings_dispose(&s);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
}
END_TEST

/* --- chains and the default provider ------------------------------------------------------ */

static int counting_get(skycrate_credentials **out, void *user_data)
{
    (void)out;
    ++*(int *)user_data;
    return skycrate__error_set(SKYCRATE_ENOTFOUND, "nothing here");
}

static int failing_get(skycrate_credentials **out, void *user_data)
{
    (void)out;
    (void)user_data;
    return skycrate__error_set(SKYCRATE_EAUTH, "vault is sealed");
}

START_TEST(chain_stops_at_the_first_answer)
{
    int calls = 0;
    skycrate_credentials_provider *links[3] = {NULL, NULL, NULL};
    ck_assert_sky_ok(
        skycrate__credentials_provider_wrap(&links[0], counting_get, NULL, &calls, "first"));
    ck_assert_sky_ok(
        skycrate__credentials_provider_wrap(&links[1], failing_get, NULL, NULL, "vault"));
    ck_assert_sky_ok(
        skycrate__credentials_provider_wrap(&links[2], counting_get, NULL, &calls, "never"));
    skycrate_credentials_provider *chain = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_chain(&chain, "mine", links, 3));
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, chain), SKYCRATE_EAUTH);
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'vault': vault is sealed");

    skycrate_credentials_provider *two[2] = {links[0], links[2]};
    skycrate_credentials_provider *chain2 = NULL;
    ck_assert_sky_ok(skycrate__credentials_provider_new_chain(&chain2, "empty", two, 2));
    for (int i = 0; i < 3; i++)
        skycrate_credentials_provider_unref(links[i]); /* the chains hold their own */
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, chain2), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(calls, 3);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'empty': no credentials found (first: "
                     "nothing here; never: nothing here)");
    skycrate_credentials_provider_unref(chain);
    skycrate_credentials_provider_unref(chain2);
}
END_TEST

static int default_get(skycrate_credentials **out)
{
    skycrate_credentials_provider *p = NULL;
    ck_assert_int_eq(skycrate__credentials_provider_default(&p), 0);
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "default");
    int rc = skycrate_credentials_provider_get(out, p);
    skycrate_credentials_provider_unref(p);
    return rc;
}

START_TEST(default_chain_is_environment_then_profile)
{
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(default_get(&c), SKYCRATE_ENOTFOUND);
    ck_assert_message_has("credentials provider 'default': no credentials found (environment: "
                          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; profile: no "
                          "profile 'default' in ");

    testhome_write_credentials(credentials_file);
    ck_assert_sky_ok(default_get(&c));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDDEFAULT");
    skycrate_credentials_unref(c);

    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET, 1);
    ck_assert_sky_ok(default_get(&c));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDENV");
    skycrate_credentials_unref(c);

    /* A broken file is an error, not "nothing here". */
    unsetenv("AWS_ACCESS_KEY_ID");
    testhome_write_config("[default]\nregion\n");
    ck_assert_int_eq(default_get(&c), SKYCRATE_EPARSE);
    ck_assert_message_has("credentials provider 'profile': ");
    ck_assert_message_has("config line 2: expected 'key = value'");
}
END_TEST

START_TEST(default_reports_enomem_and_leaks_nothing)
{
    for (long n = 1;; n++) {
        skycrate_credentials_provider *p = NULL;
        testalloc_fail_at(n);
        int rc = skycrate__credentials_provider_default(&p);
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate_credentials_provider_unref(p);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_ptr_null(p);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
}
END_TEST

static Suite *profile_suite(void)
{
    Suite *s = suite_create("profile");
    TCase *tc;
    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, testhome_setup, testhome_teardown);
    tcase_add_test(tc, files_and_profile_selection);
    tcase_add_test(tc, files_from_the_environment);
    tcase_add_test(tc, lookup_reads_credentials_then_config);
    tcase_add_test(tc, load_names_the_malformed_file);
    tcase_add_test(tc, load_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("credential source");
    tcase_add_checked_fixture(tc, testhome_setup, testhome_teardown);
    tcase_add_test(tc, resolve_recognises_roles_and_sso);
    tcase_add_test(tc, resolve_orders_keys_and_process_as_botocore);
    suite_add_tcase(s, tc);
    tc = tcase_create("profile provider");
    tcase_add_checked_fixture(tc, testhome_setup, testhome_teardown);
    tcase_add_test(tc, profile_provider_gives_static_keys);
    tcase_add_test(tc, profile_provider_tells_missing_from_misnamed);
    tcase_add_test(tc, profile_provider_refuses_what_needs_sts);
    tcase_add_test(tc, profile_provider_reports_malformed_files);
    tcase_add_test(tc, profile_provider_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("region and endpoint");
    tcase_add_checked_fixture(tc, testhome_setup, testhome_teardown);
    tcase_add_test(tc, settings_region_precedence);
    tcase_add_test(tc, settings_endpoint_precedence);
    tcase_add_test(tc, settings_ignore_configured_endpoints);
    tcase_add_test(tc, settings_reject_malformed_values);
    tcase_add_test(tc, settings_report_enomem_and_leak_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("default chain");
    tcase_add_checked_fixture(tc, testhome_setup, testhome_teardown);
    tcase_add_test(tc, chain_stops_at_the_first_answer);
    tcase_add_test(tc, default_chain_is_environment_then_profile);
    tcase_add_test(tc, default_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(profile_suite)
