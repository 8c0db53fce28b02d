/*
 * Unit tests of lib/xml/sts.c: the readers of STS credentials and error documents, the wiping
 * of the secrets they held, and their allocation failures.
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "xml/sts.h"
#include "testalloc.h"
#include "testutil.h"
#include "xmldocs.h"

/* ---- STS ---- */

#define STS_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"

START_TEST(sts_reads_assume_role_documents)
{
    size_t len;
    char *doc = load_xml("sts_assume_role.xml", &len);
    skycrate__sts_credentials_doc c;
    ck_assert_sky_ok(skycrate__sts_credentials_parse(&c, doc, len));
    ck_assert_str_eq(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    ck_assert_str_eq(c.secret_access_key, STS_SECRET);
    ck_assert(strncmp(c.session_token, "AQoDYXdzEPT//////////wEXAMPLEtc764", 34) == 0);
    ck_assert_uint_eq(strlen(c.session_token), 336);
    ck_assert_int_eq(c.expiration, 1573306481);
    skycrate__sts_credentials_dispose(&c);
    ck_assert_ptr_null(c.secret_access_key);
    free(doc);

    doc = load_xml("sts_web_identity.xml", &len);
    ck_assert_sky_ok(skycrate__sts_credentials_parse(&c, doc, len));
    ck_assert_str_eq(c.access_key_id, "ASgeIAIOSFODNN7EXAMPLE");
    ck_assert_str_eq(c.session_token, "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
    ck_assert_int_eq(c.expiration, 1414191623);
    skycrate__sts_credentials_dispose(&c);
    free(doc);
}
END_TEST

static const char *const bad_sts[] = {
    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
    "<SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken></Credentials>"
    "</AssumeRoleResult></AssumeRoleResponse>",
    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
    "<SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>"
    "<Expiration>soon</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
    "<SecretAccessKey></SecretAccessKey><SessionToken>T</SessionToken>"
    "<Expiration>2019-11-09T13:34:41Z</Expiration></Credentials></AssumeRoleResult>"
    "</AssumeRoleResponse>",
    /* the result element of the other operation */
    "<AssumeRoleResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>A"
    "</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>"
    "<Expiration>2019-11-09T13:34:41Z</Expiration></Credentials>"
    "</AssumeRoleWithWebIdentityResult></AssumeRoleResponse>",
    "<GetSessionTokenResponse/>",
    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>",
};

START_TEST(sts_rejects_incomplete_credentials)
{
    skycrate__sts_credentials_doc c;
    expect_parse_error(skycrate__sts_credentials_parse(&c, bad_sts[_i], strlen(bad_sts[_i])));
    ck_assert_ptr_null(c.access_key_id);
    ck_assert_ptr_null(c.secret_access_key);
    ck_assert_ptr_null(c.session_token);
}
END_TEST

START_TEST(sts_secrets_are_wiped)
{
    ck_assert_int_eq(skycrate_global_init(&watching), 1);
    static const char *const files[] = {"sts_assume_role.xml", "sts_web_identity.xml"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(files); i++) {
        size_t len;
        char *doc = load_xml(files[i], &len);
        watched = STS_SECRET;
        watched_hits = 0;
        skycrate__sts_credentials_doc c;
        ck_assert_sky_ok(skycrate__sts_credentials_parse(&c, doc, len));
        ck_assert_int_eq(watched_hits, 0); /* the tree and expat were wiped */
        skycrate__sts_credentials_dispose(&c);
        ck_assert_int_eq(watched_hits, 0); /* and so were the struct's copies */
        watched = "AQoDYXdzE";             /* both tokens start so */
        ck_assert_sky_ok(skycrate__sts_credentials_parse(&c, doc, len));
        skycrate__sts_credentials_dispose(&c);
        ck_assert_int_eq(watched_hits, 0);
        /* A failed parse (truncated after the secret) wipes too. */
        watched = STS_SECRET;
        char *end = strstr(doc, "<Expiration>");
        expect_parse_error(skycrate__sts_credentials_parse(&c, doc, (size_t)(end - doc)));
        ck_assert_int_eq(watched_hits, 0);
        free(doc);
    }
    skycrate_global_cleanup();
}
END_TEST

START_TEST(sts_reads_error_documents)
{
    size_t len;
    char *doc = load_xml("sts_error.xml", &len);
    skycrate__sts_error_doc e;
    ck_assert_sky_ok(skycrate__sts_error_doc_parse(&e, doc, len));
    ck_assert_str_eq(e.type, "Sender");
    ck_assert_str_eq(e.code, "InvalidIdentityToken");
    ck_assert_str_eq(
        e.message, "No OpenIDConnect provider found in your account for https://oidc.example.com");
    ck_assert_str_eq(e.request_id, "b7e9c2a1-4d5f-4e6a-9b8c-0d1e2f3a4b5c");
    skycrate__sts_error_doc_dispose(&e);
    free(doc);

    doc = load_xml("sts_error_s3style.xml", &len);
    ck_assert_sky_ok(skycrate__sts_error_doc_parse(&e, doc, len));
    ck_assert_ptr_null(e.type);
    ck_assert_str_eq(e.code, "AccessDenied");
    ck_assert_str_eq(e.message, "");
    ck_assert_str_eq(e.request_id, "tx00000a1b2c3d4e5f60718-0065f0a1b2-1008-default");
    skycrate__sts_error_doc_dispose(&e);
    free(doc);

    static const char inner_id[] = "<ErrorResponse><Error><Code>Throttling</Code><RequestId>r1"
                                   "</RequestId></Error></ErrorResponse>";
    ck_assert_sky_ok(skycrate__sts_error_doc_parse(&e, inner_id, strlen(inner_id)));
    ck_assert_str_eq(e.request_id, "r1");
    skycrate__sts_error_doc_dispose(&e);
    static const char *const bad[] = {"<ErrorResponse><RequestId>r</RequestId></ErrorResponse>",
                                      "<AssumeRoleResponse/>", "<ErrorResponse><Error>"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad); i++) {
        expect_parse_error(skycrate__sts_error_doc_parse(&e, bad[i], strlen(bad[i])));
        ck_assert_ptr_null(e.code);
    }
}
END_TEST

/* ---- allocation failures: every allocation, expat's included ---- */

XML_READER(run_sts, skycrate__sts_credentials_doc, skycrate__sts_credentials_parse,
           skycrate__sts_credentials_dispose)
XML_READER(run_sts_error, skycrate__sts_error_doc, skycrate__sts_error_doc_parse,
           skycrate__sts_error_doc_dispose)

static const enomem_case enomem_cases[] = {
    {"sts_assume_role.xml", run_sts},
    {"sts_web_identity.xml", run_sts},
    {"sts_error.xml", run_sts_error},
};

START_TEST(every_allocation_failure_is_enomem_without_leaks)
{
    assert_enomem_loop(enomem_cases[_i].file, enomem_cases[_i].fn);
}
END_TEST

static Suite *xml_sts_suite(void)
{
    Suite *s = suite_create("xml_sts");
    TCase *tc = tcase_create("sts");
    tcase_add_test(tc, sts_reads_assume_role_documents);
    tcase_add_loop_test(tc, sts_rejects_incomplete_credentials, 0,
                        (int)SKYCRATE_ARRAY_SIZE(bad_sts));
    tcase_add_test(tc, sts_secrets_are_wiped);
    tcase_add_test(tc, sts_reads_error_documents);
    suite_add_tcase(s, tc);
    tc = tcase_create("enomem");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_allocation_failure_is_enomem_without_leaks, 0,
                        (int)SKYCRATE_ARRAY_SIZE(enomem_cases));
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(xml_sts_suite)
