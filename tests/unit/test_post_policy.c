/*
 * Unit tests of POST policies: documents and signatures against botocore's
 * generate_presigned_post (tests/vectors/post-golden), the form's fields and JSON, input checks,
 * clamping and allocation failures.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "presigncases.h"
#include "testalloc.h"
#include "testutil.h"
#include "testvectors.h"

#define BUCKET "skycrate-user42-1732300000"

static case_list post_cases;

static void setup(void)
{
    presign_setup();
}

static void teardown(void)
{
    presign_teardown();
}

/* The form's fields as a JSON object. */
static json_t *form_fields(const skycrate_post_form *f)
{
    json_t *o = json_object();
    for (size_t i = 0; i < skycrate_post_form_field_count(f); i++) {
        const char *n, *v;
        ck_assert_sky_ok(skycrate_post_form_field(&n, &v, f, i));
        ck_assert_msg(json_object_get(o, n) == NULL, "field %s twice", n);
        json_object_set_new(o, n, json_string(v));
    }
    return o;
}

/* The policy a case describes, built with the public setters. */
static skycrate_post_policy *golden_policy(const json_t *ctx)
{
    const json_t *in = json_object_get(ctx, "policy_input");
    skycrate_post_policy *p = NULL;
    ck_assert_sky_ok(skycrate_post_policy_new(&p, jstr(ctx, "bucket")));
    ck_assert_sky_ok(
        skycrate_post_policy_set_time(p, json_integer_value(json_object_get(ctx, "time"))));
    ck_assert_sky_ok(
        skycrate_post_policy_set_expires(p, json_integer_value(json_object_get(ctx, "expires"))));
    if (jstr(in, "key"))
        ck_assert_sky_ok(skycrate_post_policy_set_key(p, jstr(in, "key")));
    if (jstr(in, "key_prefix"))
        ck_assert_sky_ok(skycrate_post_policy_set_key_prefix(p, jstr(in, "key_prefix")));
    const json_t *range = json_object_get(in, "content_length_range");
    if (range)
        ck_assert_sky_ok(skycrate_post_policy_set_content_length_range(
            p, (uint64_t)json_integer_value(json_array_get(range, 0)),
            (uint64_t)json_integer_value(json_array_get(range, 1))));
    if (jstr(in, "content_type"))
        ck_assert_sky_ok(skycrate_post_policy_set_content_type(p, jstr(in, "content_type")));
    if (jstr(in, "content_type_prefix"))
        ck_assert_sky_ok(
            skycrate_post_policy_set_content_type_prefix(p, jstr(in, "content_type_prefix")));
    if (jstr(in, "success_action_status"))
        ck_assert_sky_ok(skycrate_post_policy_set_success_action_status(
            p, atoi(jstr(in, "success_action_status"))));
    size_t i;
    json_t *pair;
    json_array_foreach(json_object_get(in, "fields"), i, pair)
    {
        ck_assert_sky_ok(
            skycrate_post_policy_add_field(p, json_string_value(json_array_get(pair, 0)),
                                           json_string_value(json_array_get(pair, 1))));
    }
    return p;
}

START_TEST(post_matches_botocore)
{
    char dir[1024];
    json_t *ctx = load_context("post-golden", post_cases.names[_i], dir, sizeof(dir));
    skycrate_client *client = golden_client(ctx);
    skycrate_presigner *presigner = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
    skycrate_client_free(client);
    skycrate_post_policy *policy = golden_policy(ctx);
    skycrate_post_form *form = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign_post(&form, presigner, policy));

    ck_assert_str_eq(skycrate_post_form_url(form), jstr(ctx, "url"));
    /* The same fields with the same values: the policy's base64 byte for byte, and so the
     * signature. */
    json_t *got = form_fields(form);
    const json_t *want = json_object_get(ctx, "fields");
    ck_assert_uint_eq(json_object_size(got), json_object_size(want));
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)want, name, value)
    {
        ck_assert_msg(jstr(got, name) != NULL, "field %s missing", name);
        ck_assert_str_eq(jstr(got, name), json_string_value(value));
    }
    /* The document behind it. */
    json_error_t jerr;
    json_t *doc = json_loads(skycrate_post_form_policy(form), 0, &jerr);
    ck_assert_ptr_nonnull(doc);
    ck_assert(json_equal(doc, json_object_get(ctx, "policy")));
    skycrate__buf b64 = SKYCRATE_BUF_INIT;
    const char *pol = skycrate_post_form_policy(form);
    ck_assert_sky_ok(skycrate__base64_encode(&b64, pol, strlen(pol)));
    ck_assert_str_eq(b64.ptr, jstr(got, "policy"));
    skycrate__buf_dispose(&b64);

    int64_t t = json_integer_value(json_object_get(ctx, "time"));
    int64_t e = json_integer_value(json_object_get(ctx, "expires"));
    ck_assert_int_eq(skycrate_post_form_expires_at(form), t + e);
    ck_assert_int_eq(skycrate_post_form_expires_in(form), e);
    ck_assert_int_eq(skycrate_post_form_clamped(form), 0);

    json_decref(doc);
    json_decref(got);
    skycrate_post_form_free(form);
    skycrate_post_policy_free(policy);
    skycrate_presigner_free(presigner);
    json_decref(ctx);
}
END_TEST

/* A presigner for eu-west-1 on AWS with these credentials. */
static skycrate_presigner *make_presigner(const char *token, int64_t expiration)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, "AKIDEXAMPLE", "secret", token, expiration));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, NULL));
    ck_assert_sky_ok(skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_AUTO));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_client_free(client);
    return p;
}

START_TEST(form_fields_order_and_json)
{
    skycrate_presigner *presigner = make_presigner("tok/en", 0);
    skycrate_post_policy *p = NULL;
    ck_assert_sky_ok(skycrate_post_policy_new(&p, BUCKET));
    ck_assert_sky_ok(skycrate_post_policy_set_key_prefix(p, "uploads/user42/"));
    ck_assert_sky_ok(skycrate_post_policy_set_content_length_range(p, 1, 10 * 1024 * 1024));
    ck_assert_sky_ok(skycrate_post_policy_set_content_type(p, "image/png"));
    ck_assert_sky_ok(skycrate_post_policy_set_success_action_status(p, 201));
    ck_assert_sky_ok(skycrate_post_policy_add_field(p, "x-amz-meta-user", "u42 ü"));
    skycrate_post_form *f = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign_post(&f, presigner, p));
    const char *order[] = {"key",
                           "content-type",
                           "success_action_status",
                           "x-amz-meta-user",
                           "x-amz-algorithm",
                           "x-amz-credential",
                           "x-amz-date",
                           "x-amz-security-token",
                           "policy",
                           "x-amz-signature"};
    ck_assert_uint_eq(skycrate_post_form_field_count(f), SKYCRATE_ARRAY_SIZE(order));
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(order); i++) {
        const char *n;
        ck_assert_sky_ok(skycrate_post_form_field(&n, NULL, f, i));
        ck_assert_str_eq(n, order[i]);
    }
    ck_assert_int_eq(skycrate_post_form_field(NULL, NULL, f, SKYCRATE_ARRAY_SIZE(order)),
                     SKYCRATE_EINVAL);
    const char *v;
    ck_assert_sky_ok(skycrate_post_form_field(NULL, &v, f, 0));
    ck_assert_str_eq(v, "uploads/user42/${filename}");
    ck_assert_sky_ok(skycrate_post_form_field(NULL, &v, f, 5));
    ck_assert_str_eq(v, "AKIDEXAMPLE/20241122/eu-west-1/s3/aws4_request");
    ck_assert_str_eq(skycrate_post_form_url(f), "https://" BUCKET ".s3.eu-west-1.amazonaws.com/");
    const char *pol = skycrate_post_form_policy(f);
    ck_assert_ptr_nonnull(strstr(pol, "{\"expiration\": \"2024-11-22T18:41:40Z\", \"conditions\": "
                                      "[[\"content-length-range\", 1, 10485760], "
                                      "{\"content-type\": \"image/png\"}, "
                                      "{\"success_action_status\": \"201\"}, "
                                      "{\"x-amz-meta-user\": \"u42 ü\"}, "
                                      "{\"bucket\": \"" BUCKET "\"}, "
                                      "[\"starts-with\", \"$key\", \"uploads/user42/\"], "));
    ck_assert_ptr_nonnull(strstr(pol, "{\"x-amz-security-token\": \"tok/en\"}]}"));

    char *text = NULL;
    ck_assert_sky_ok(skycrate_post_form_to_json(&text, f, 0));
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(jstr(doc, "url"), skycrate_post_form_url(f));
    ck_assert_uint_eq(json_object_size(json_object_get(doc, "fields")), 10);
    ck_assert_str_eq(jstr(json_object_get(doc, "fields"), "key"), "uploads/user42/${filename}");
    ck_assert_str_eq(jstr(doc, "expiresAt"), "2024-11-22T18:41:40Z");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "expiresIn")), 900);
    ck_assert(json_is_false(json_object_get(doc, "expiresClamped")));
    json_decref(doc);
    skycrate_free(text);
    skycrate_post_form_free(f);

    /* An exact key, a content-type prefix: no content-type field, a starts-with condition. */
    ck_assert_sky_ok(skycrate_post_policy_set_key(p, "exact.png"));
    ck_assert_sky_ok(skycrate_post_policy_set_content_type_prefix(p, "image/"));
    ck_assert_sky_ok(skycrate_post_policy_set_success_action_status(p, 0));
    ck_assert_sky_ok(skycrate_presigner_sign_post(&f, presigner, p));
    json_t *fields = form_fields(f);
    ck_assert_str_eq(jstr(fields, "key"), "exact.png");
    ck_assert_ptr_null(jstr(fields, "content-type"));
    ck_assert_ptr_null(jstr(fields, "success_action_status"));
    ck_assert_ptr_nonnull(
        strstr(skycrate_post_form_policy(f), "[\"starts-with\", \"$content-type\", \"image/\"]"));
    ck_assert_ptr_nonnull(strstr(skycrate_post_form_policy(f), "{\"key\": \"exact.png\"}"));
    json_decref(fields);
    skycrate_post_form_free(f);
    skycrate_post_policy_free(p);
    skycrate_presigner_free(presigner);
}
END_TEST

START_TEST(policy_inputs_are_checked)
{
    skycrate_post_policy *p = NULL;
    ck_assert_int_eq(skycrate_post_policy_new(&p, "a"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_new(NULL, BUCKET), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_post_policy_new(&p, BUCKET));
    ck_assert_int_eq(skycrate_post_policy_set_key(p, ""), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_set_key(p, "\xff"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_set_key_prefix(p, NULL), SKYCRATE_EINVAL);
    char long_prefix[1100];
    memset(long_prefix, 'p', sizeof(long_prefix) - 1);
    long_prefix[sizeof(long_prefix) - 1] = '\0';
    ck_assert_int_eq(skycrate_post_policy_set_key_prefix(p, long_prefix), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_post_policy_set_key_prefix(p, ""));
    ck_assert_int_eq(skycrate_post_policy_set_content_length_range(p, 10, 9), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_set_content_length_range(p, 0, (UINT64_C(1) << 53) + 1),
                     SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_post_policy_set_content_length_range(p, 0, 0));
    ck_assert_int_eq(skycrate_post_policy_set_content_type(p, ""), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_set_content_type(p, "a\r\nb"), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_post_policy_set_content_type_prefix(p, ""));
    ck_assert_int_eq(skycrate_post_policy_set_success_action_status(p, 302), SKYCRATE_EINVAL);
    const char *reserved[] = {"key",
                              "Policy",
                              "X-Amz-Signature",
                              "file",
                              "bucket",
                              "Content-Type",
                              "success_action_status",
                              "x-amz-date",
                              "x-amz-credential",
                              "x-amz-algorithm",
                              "x-amz-security-token"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(reserved); i++)
        ck_assert_int_eq(skycrate_post_policy_add_field(p, reserved[i], "v"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_add_field(p, "bad name", "v"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_add_field(p, "x-amz-meta-a", "line\nbreak"),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_add_field(p, "x-amz-meta-a", NULL), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_post_policy_add_field(p, "x-amz-meta-a", "v"));
    ck_assert_int_eq(skycrate_post_policy_add_field(p, "X-Amz-Meta-A", "w"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_set_expires(p, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_set_expires(p, 604801), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_post_policy_set_time(p, -5), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_post_policy_set_time(p, -1));
    skycrate_post_policy_free(p);

    /* No key: refused when signing. */
    skycrate_presigner *presigner = make_presigner(NULL, 0);
    ck_assert_sky_ok(skycrate_post_policy_new(&p, BUCKET));
    skycrate_post_form *f = NULL;
    ck_assert_int_eq(skycrate_presigner_sign_post(&f, presigner, p), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_post(&f, NULL, p), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_post(&f, presigner, NULL), SKYCRATE_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_str_eq(skycrate_post_form_url(NULL), "");
    ck_assert_uint_eq(skycrate_post_form_field_count(NULL), 0);
    skycrate_post_form_free(NULL);
    skycrate_post_policy_free(NULL);
    skycrate_post_policy_free(p);
    skycrate_presigner_free(presigner);
}
END_TEST

START_TEST(form_expiry_is_clamped)
{
    skycrate_presigner *presigner = make_presigner("tok", PRESIGN_T0 + 120);
    skycrate_post_policy *p = NULL;
    ck_assert_sky_ok(skycrate_post_policy_new(&p, BUCKET));
    ck_assert_sky_ok(skycrate_post_policy_set_key(p, "k"));
    ck_assert_sky_ok(skycrate_post_policy_set_expires(p, 3600));
    skycrate_post_form *f = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign_post(&f, presigner, p));
    ck_assert_int_eq(skycrate_post_form_expires_in(f), 120);
    ck_assert_int_eq(skycrate_post_form_clamped(f), 1);
    ck_assert_ptr_nonnull(strstr(skycrate_post_form_policy(f), "\"2024-11-22T18:28:40Z\""));
    skycrate_post_form_free(f);
    ck_assert_sky_ok(skycrate_post_policy_set_time(p, PRESIGN_T0 + 120));
    ck_assert_int_eq(skycrate_presigner_sign_post(&f, presigner, p), SKYCRATE_EEXPIRED);
    skycrate_post_policy_free(p);
    skycrate_presigner_free(presigner);
}
END_TEST

static int build_and_sign(skycrate_post_form **f, const skycrate_presigner *presigner)
{
    skycrate_post_policy *p = NULL;
    int rc;
    if ((rc = skycrate_post_policy_new(&p, BUCKET)) == 0 &&
        (rc = skycrate_post_policy_set_key_prefix(p, "u/")) == 0 &&
        (rc = skycrate_post_policy_set_key(p, "exact")) == 0 &&
        (rc = skycrate_post_policy_set_content_type(p, "text/plain")) == 0 &&
        (rc = skycrate_post_policy_add_field(p, "x-amz-meta-a", "b")) == 0 &&
        (rc = skycrate_post_policy_add_field(p, "Cache-Control", "no-cache")) == 0)
        rc = skycrate_presigner_sign_post(f, presigner, p);
    skycrate_post_policy_free(p);
    return rc;
}

START_TEST(post_allocation_failures)
{
    teardown();
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate__clock_override(presign_clock, NULL);
    skycrate_presigner *presigner = make_presigner("tok", 0);
    skycrate_post_form *f = NULL;
    /* Once first: the thread's target cache then holds the bucket, as in every later round. */
    ck_assert_sky_ok(build_and_sign(&f, presigner));
    skycrate_post_form_free(f);
    testalloc_reset_count();
    ck_assert_sky_ok(build_and_sign(&f, presigner));
    long total = testalloc_count();
    char *want = strdup(skycrate_post_form_policy(f));
    skycrate_post_form_free(f);
    for (long n = 1; n <= total; n++) {
        f = NULL;
        testalloc_fail_at(n);
        int rc = build_and_sign(&f, presigner);
        testalloc_fail_at(0);
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld of %ld: rc %d", n, total, rc);
        ck_assert_ptr_null(f);
    }
    ck_assert_sky_ok(build_and_sign(&f, presigner));
    ck_assert_str_eq(skycrate_post_form_policy(f), want);
    free(want);
    skycrate_post_form_free(f);
    skycrate_presigner_free(presigner);
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

static Suite *post_policy_suite(void)
{
    Suite *s = suite_create("post_policy");
    TCase *tc;
    list_cases(&post_cases, "post-golden");

    tc = tcase_create("golden");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, post_matches_botocore, 0, post_cases.count);
    suite_add_tcase(s, tc);

    tc = tcase_create("form");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, form_fields_order_and_json);
    tcase_add_test(tc, policy_inputs_are_checked);
    tcase_add_test(tc, form_expiry_is_clamped);
    tcase_add_test(tc, post_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(post_policy_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < post_cases.count; i++)
        free(post_cases.names[i]);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
