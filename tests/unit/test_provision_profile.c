/*
 * Unit tests of lib/provision/profile.c: the security profile's defaults, its steps and deep
 * copy, the CORS rule's header lists and methods, the name lists, the owner tag and ARN
 * partition, and the request body of every step, byte for byte
 * against the bodies botocore sent in tests/vectors/provision (the profile of
 * tools/gen-golden-provision.py, configured as provfixture.c does).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/common.h"
#include "provfixture.h"
#include "provision/profile.h"
#include "testalloc.h"
#include "testutil.h"
#include "testvectors.h"

#define KMS_KEY "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

static skycrate_provisioner_config *new_config(void)
{
    skycrate_provisioner_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    return cfg;
}

/* ---- defaults and steps ---- */

START_TEST(defaults_enable_every_step_but_cors)
{
    skycrate__profile p;
    skycrate__profile_defaults(&p);
    ck_assert_uint_eq(p.public_access_block, SKYCRATE_PAB_ALL);
    ck_assert_int_eq(p.encryption, SKYCRATE_ENCRYPTION_AES256);
    ck_assert_ptr_null(p.kms_key_id);
    ck_assert_int_eq(p.ownership, SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED);
    ck_assert_uint_eq(p.cors_max_age, 3600);
    ck_assert(p.tls_only);
    ck_assert_uint_eq(p.abort_multipart_days, 7);
    ck_assert(p.tagging);
    for (int s = SKYCRATE_STEP_CREATE; s <= SKYCRATE_STEP_TAGS; s++)
        ck_assert_msg(skycrate__profile_has_step(&p, (skycrate_step)s) == (s != SKYCRATE_STEP_CORS),
                      "step %d", s);

    /* Each setting that turns a step off; CREATE is always part of the plan. */
    p.public_access_block = 0;
    p.encryption = SKYCRATE_ENCRYPTION_NONE;
    p.ownership = SKYCRATE_OWNERSHIP_UNSET;
    p.tls_only = false;
    p.abort_multipart_days = 0;
    p.tagging = false;
    for (int s = SKYCRATE_STEP_CREATE; s <= SKYCRATE_STEP_TAGS; s++)
        ck_assert_msg(skycrate__profile_has_step(&p, (skycrate_step)s) ==
                          (s == SKYCRATE_STEP_CREATE),
                      "step %d", s);
    ck_assert(!skycrate__profile_has_step(&p, (skycrate_step)99));
    skycrate__profile_dispose(&p);
}
END_TEST

START_TEST(names_and_partitions)
{
    ck_assert_str_eq(skycrate__ownership_name(SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED),
                     "BucketOwnerEnforced");
    ck_assert_str_eq(skycrate__ownership_name(SKYCRATE_OWNERSHIP_BUCKET_OWNER_PREFERRED),
                     "BucketOwnerPreferred");
    ck_assert_str_eq(skycrate__ownership_name(SKYCRATE_OWNERSHIP_OBJECT_WRITER), "ObjectWriter");
    ck_assert_ptr_null(skycrate__ownership_name(SKYCRATE_OWNERSHIP_UNSET));
    ck_assert_ptr_null(skycrate__ownership_name((skycrate_ownership)77));

    ck_assert_str_eq(skycrate__region_partition("cn-north-1"), "aws-cn");
    ck_assert_str_eq(skycrate__region_partition("cn-northwest-1"), "aws-cn");
    ck_assert_str_eq(skycrate__region_partition("us-gov-west-1"), "aws-us-gov");
    ck_assert_str_eq(skycrate__region_partition("eu-west-1"), "aws");
    ck_assert_str_eq(skycrate__region_partition("us-east-1"), "aws");
    ck_assert_str_eq(skycrate__region_partition("cn"), "aws");
    ck_assert_str_eq(skycrate__region_partition("us-gov"), "aws");
    ck_assert_str_eq(skycrate__region_partition(""), "aws");
}
END_TEST

/* ---- the owner tag ---- */

static void assert_owner_tag(const char *user_id, const char *want)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__owner_tag(&b, user_id));
    ck_assert_str_eq(skycrate__buf_cstr(&b), want);
    skycrate__buf_dispose(&b);
}

START_TEST(owner_tag_is_the_id_or_its_hash)
{
    assert_owner_tag("u42", "u42");
    assert_owner_tag("Ab9 +-=._:/@", "Ab9 +-=._:/@");
    /* Outside the tag characters, empty or longer than 256 bytes: the hex SHA-256. */
    assert_owner_tag("a#b",
                     "sha256:8187fc8f7f007036dffc199544b33167632c7739733785bbdec0fbb9a2c43ca1");
    assert_owner_tag("\xc3\xbc",
                     "sha256:607474ca475a9724d7360aba71a56d5df77e61350e3f724cfa1f46e857e2d85f");
    assert_owner_tag("", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char id[258];
    memset(id, 'x', 256);
    id[256] = '\0';
    assert_owner_tag(id, id);
    id[256] = 'x';
    id[257] = '\0';
    assert_owner_tag(id, "sha256:15eb95a462ee20bd91a415ae2d4aed341288186ddaa2b37908f7d592f0c3f85f");
}
END_TEST

/* ---- bodies against botocore's ---- */

static const struct {
    const char *golden; /* tests/vectors/provision/<golden>.json */
    skycrate_step step;
    const char *region;
} bodies[] = {
    {"create-eu-west-1", SKYCRATE_STEP_CREATE, "eu-west-1"},
    {"create-us-east-1", SKYCRATE_STEP_CREATE, "us-east-1"},
    {"public-access-block", SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK, "eu-west-1"},
    {"public-access-block-partial", SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK, "eu-west-1"},
    {"encryption-aes256", SKYCRATE_STEP_ENCRYPTION, "eu-west-1"},
    {"encryption-kms", SKYCRATE_STEP_ENCRYPTION, "eu-west-1"},
    {"ownership-controls", SKYCRATE_STEP_OWNERSHIP_CONTROLS, "eu-west-1"},
    {"cors", SKYCRATE_STEP_CORS, "eu-west-1"},
    {"cors-headers", SKYCRATE_STEP_CORS, "eu-west-1"},
    {"tls-policy", SKYCRATE_STEP_TLS_POLICY, "eu-west-1"},
    {"tls-policy-china", SKYCRATE_STEP_TLS_POLICY, "cn-north-1"},
    {"lifecycle", SKYCRATE_STEP_LIFECYCLE, "eu-west-1"},
    {"tags", SKYCRATE_STEP_TAGS, "eu-west-1"},
};

/* The golden profile, with the variant the case's name asks for. */
static skycrate_provisioner_config *body_config(const char *golden)
{
    skycrate_provisioner_config *cfg = new_config();
    prov_golden_profile(cfg);
    if (!strcmp(golden, "public-access-block-partial"))
        ck_assert_sky_ok(skycrate_provisioner_config_set_public_access_block(
            cfg, SKYCRATE_PAB_ALL & ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS));
    if (!strcmp(golden, "cors-headers")) {
        static const char *const allowed[] = {"content-type", "x-amz-meta-*"};
        static const char *const exposed[] = {"ETag", "x-amz-version-id"};
        ck_assert_sky_ok(skycrate_provisioner_config_set_cors_methods(
            cfg, SKYCRATE_CORS_METHOD_PUT | SKYCRATE_CORS_METHOD_POST));
        ck_assert_sky_ok(skycrate_provisioner_config_set_cors_allowed_headers(cfg, allowed, 2));
        ck_assert_sky_ok(skycrate_provisioner_config_set_cors_expose_headers(cfg, exposed, 2));
    }
    if (!strcmp(golden, "encryption-kms"))
        ck_assert_sky_ok(
            skycrate_provisioner_config_set_encryption(cfg, SKYCRATE_ENCRYPTION_KMS, KMS_KEY, 1));
    return cfg;
}

static json_t *load_golden(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/provision/%s.json", vectors_root(), name);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s: %s", path, jerr.text);
    return doc;
}

START_TEST(bodies_are_botocores)
{
    skycrate_provisioner_config *cfg = body_config(bodies[_i].golden);
    json_t *golden = load_golden(bodies[_i].golden);
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__profile_body(&b, &cfg->profile, bodies[_i].step, PROV_BUCKET, "u42",
                                            bodies[_i].region));
    ck_assert_str_eq(skycrate__buf_cstr(&b), json_string_value(json_object_get(golden, "body")));
    skycrate__buf_dispose(&b);
    json_decref(golden);
    skycrate_provisioner_config_free(cfg);
}
END_TEST

/* A body that fails leaves what the buffer held before it. */
START_TEST(a_failed_body_leaves_the_buffer_as_it_was)
{
    skycrate__profile p;
    skycrate__profile_defaults(&p);
    p.application = skycrate__strdup("bell\a");
    ck_assert_ptr_nonnull(p.application);
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__buf_puts(&b, "kept"));
    ck_assert_int_eq(skycrate__profile_body(&b, &p, SKYCRATE_STEP_TAGS, "b", "u", "eu-west-1"),
                     SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate__buf_cstr(&b), "kept");
    ck_assert_int_eq(skycrate__profile_body(&b, &p, (skycrate_step)99, "b", "u", "eu-west-1"),
                     SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "99"));
    ck_assert_str_eq(skycrate__buf_cstr(&b), "kept");
    skycrate__buf_dispose(&b);
    skycrate__profile_dispose(&p);
}
END_TEST

/* ---- the CORS rule's values and the name lists ---- */

START_TEST(cors_headers_are_the_profiles_or_the_defaults)
{
    static const char *const want_allowed[] = {"content-type", "content-md5", "content-disposition",
                                               "cache-control", "x-amz-*"};
    skycrate__profile p;
    skycrate__profile_defaults(&p);
    size_t n = 99;
    const char *const *v = skycrate__cors_allowed_headers(&p, &n);
    ck_assert_uint_eq(n, SKYCRATE_ARRAY_SIZE(want_allowed));
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(v[i], want_allowed[i]);
    v = skycrate__cors_expose_headers(&p, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0], "ETag");

    /* Set lists replace the defaults, an empty one too. */
    ck_assert_sky_ok(skycrate__names_add(&p.cors_allowed_headers, "x-custom"));
    p.cors_allowed_headers_set = true;
    p.cors_expose_headers_set = true;
    v = skycrate__cors_allowed_headers(&p, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0], "x-custom");
    n = 99;
    skycrate__cors_expose_headers(&p, &n);
    ck_assert_uint_eq(n, 0);
    skycrate__profile_dispose(&p);
}
END_TEST

START_TEST(cors_methods_in_s3_order)
{
    const char *m[6];
    ck_assert_uint_eq(skycrate__cors_methods(m, SKYCRATE__CORS_METHODS_DEFAULT), 3);
    ck_assert_str_eq(m[0], "PUT");
    ck_assert_str_eq(m[1], "GET");
    ck_assert_str_eq(m[2], "HEAD");
    ck_assert_ptr_null(m[3]);
    uint32_t all = SKYCRATE_CORS_METHOD_DELETE | SKYCRATE_CORS_METHOD_HEAD |
                   SKYCRATE_CORS_METHOD_GET | SKYCRATE_CORS_METHOD_POST | SKYCRATE_CORS_METHOD_PUT;
    ck_assert_uint_eq(skycrate__cors_methods(m, all | 0x100u), 5); /* unknown bits: ignored */
    static const char *const order[] = {"PUT", "POST", "GET", "HEAD", "DELETE"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(m[i], order[i]);
    ck_assert_ptr_null(m[5]);
    ck_assert_uint_eq(skycrate__cors_methods(m, 0), 0);
    ck_assert_ptr_null(m[0]);
}
END_TEST

START_TEST(name_lists_grow_copy_and_empty)
{
    skycrate__names a = {0}, b = {0};
    ck_assert_sky_ok(skycrate__names_add(&a, "one"));
    ck_assert_sky_ok(skycrate__names_add(&a, "two"));
    ck_assert_uint_eq(a.count, 2);
    ck_assert_str_eq(a.items[1], "two");
    ck_assert_sky_ok(skycrate__names_copy(&b, &a));
    ck_assert_uint_eq(b.count, 2);
    ck_assert_ptr_ne(b.items, a.items);
    ck_assert_ptr_ne(b.items[0], a.items[0]);
    ck_assert_str_eq(b.items[0], "one");
    ck_assert_str_eq(b.items[1], "two");
    skycrate__names_dispose(&a);
    ck_assert_ptr_null(a.items);
    ck_assert_uint_eq(a.count, 0);
    ck_assert_str_eq(b.items[1], "two"); /* the copy outlives its source */
    skycrate__names_dispose(&b);
    /* An empty list copies to an empty list, without an allocation. */
    b.count = 7;
    ck_assert_sky_ok(skycrate__names_copy(&b, &a));
    ck_assert_ptr_null(b.items);
    ck_assert_uint_eq(b.count, 0);
}
END_TEST

/* ---- copies ---- */

START_TEST(copy_is_deep)
{
    skycrate_provisioner_config *cfg = body_config("encryption-kms");
    const skycrate__profile *src = &cfg->profile;
    skycrate__profile dst;
    ck_assert_sky_ok(skycrate__profile_copy(&dst, src));
    ck_assert_ptr_ne(dst.kms_key_id, src->kms_key_id);
    ck_assert_str_eq(dst.kms_key_id, KMS_KEY);
    ck_assert_ptr_ne(dst.application, src->application);
    ck_assert_str_eq(dst.application, "photos");
    ck_assert_uint_eq(dst.cors_origins.count, 2);
    ck_assert_ptr_ne(dst.cors_origins.items, src->cors_origins.items);
    ck_assert_str_eq(dst.cors_origins.items[1], "http://localhost:3000");
    ck_assert_uint_eq(dst.tag_count, 1);
    ck_assert_ptr_ne(dst.tags, src->tags);
    ck_assert_str_eq(dst.tags[0].key, "team");
    ck_assert_str_eq(dst.tags[0].value, "web + mobile @ 2024");
    ck_assert_uint_eq(dst.cors_max_age, 3000);
    ck_assert(dst.bucket_key);
    skycrate_provisioner_config_free(cfg);
    /* The copy outlives its source, and both bodies are the same. */
    json_t *golden = load_golden("encryption-kms");
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__profile_body(&b, &dst, SKYCRATE_STEP_ENCRYPTION, PROV_BUCKET, "u42",
                                            "eu-west-1"));
    ck_assert_str_eq(skycrate__buf_cstr(&b), json_string_value(json_object_get(golden, "body")));
    skycrate__buf_dispose(&b);
    json_decref(golden);
    skycrate__profile_dispose(&dst);
    ck_assert_ptr_null(dst.tags);
    ck_assert_uint_eq(dst.tag_count, 0);
}
END_TEST

/* Every allocation of a copy and of the tagging body fails in turn: SKYCRATE_ENOMEM, the copy
 * empty, the buffer as it was, nothing leaked. */
START_TEST(every_allocation_failure_is_enomem_without_leaks)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate_provisioner_config *cfg = body_config("encryption-kms");
    long n;
    for (n = 1;; n++) {
        skycrate__profile dst;
        testalloc_fail_at(n);
        int rc = skycrate__profile_copy(&dst, &cfg->profile);
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate__profile_dispose(&dst);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_ptr_null(dst.kms_key_id);
        ck_assert_ptr_null(dst.cors_origins.items);
        ck_assert_ptr_null(dst.tags);
    }
    ck_assert_int_gt(n, 5);
    char id[300];
    memset(id, '#', sizeof(id) - 1); /* hashed: the owner tag allocates too */
    id[sizeof(id) - 1] = '\0';
    for (n = 1;; n++) {
        skycrate__buf b = SKYCRATE_BUF_INIT;
        int rc = skycrate__buf_puts(&b, "kept");
        ck_assert_sky_ok(rc);
        testalloc_fail_at(n);
        rc = skycrate__profile_body(&b, &cfg->profile, SKYCRATE_STEP_TAGS, PROV_BUCKET, id,
                                    "eu-west-1");
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate__buf_dispose(&b);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_str_eq(skycrate__buf_cstr(&b), "kept");
        skycrate__buf_dispose(&b);
    }
    ck_assert_int_gt(n, 1);
    skycrate_provisioner_config_free(cfg);
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}
END_TEST

static Suite *provision_profile_suite(void)
{
    Suite *s = suite_create("provision_profile");
    TCase *tc = tcase_create("profile");
    tcase_add_test(tc, defaults_enable_every_step_but_cors);
    tcase_add_test(tc, names_and_partitions);
    tcase_add_test(tc, owner_tag_is_the_id_or_its_hash);
    tcase_add_test(tc, cors_headers_are_the_profiles_or_the_defaults);
    tcase_add_test(tc, cors_methods_in_s3_order);
    tcase_add_test(tc, name_lists_grow_copy_and_empty);
    tcase_add_test(tc, copy_is_deep);
    suite_add_tcase(s, tc);
    tc = tcase_create("bodies");
    tcase_add_loop_test(tc, bodies_are_botocores, 0, (int)SKYCRATE_ARRAY_SIZE(bodies));
    tcase_add_test(tc, a_failed_body_leaves_the_buffer_as_it_was);
    suite_add_tcase(s, tc);
    tc = tcase_create("enomem");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_allocation_failure_is_enomem_without_leaks);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(provision_profile_suite)
