/*
 * Unit tests of lib/errors.c: libcurl's, jansson's and mbedTLS's errors as library codes and
 * messages, and input that may hold a secret kept out of the message.
 */
#include <mbedtls/base64.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "errors.h"
#include "testutil.h"

START_TEST(curl_codes_become_library_codes)
{
    static const struct {
        CURLcode curl;
        int want;
    } cases[] = {
        {CURLE_COULDNT_RESOLVE_HOST, SKYCRATE_ECONNECT},
        {CURLE_COULDNT_CONNECT, SKYCRATE_ECONNECT},
        {CURLE_RECV_ERROR, SKYCRATE_ECONNECT},
        {CURLE_GOT_NOTHING, SKYCRATE_ECONNECT},
        {CURLE_OPERATION_TIMEDOUT, SKYCRATE_ETIMEOUT},
        {CURLE_PEER_FAILED_VERIFICATION, SKYCRATE_ETLS},
        {CURLE_SSL_CONNECT_ERROR, SKYCRATE_ETLS},
        {CURLE_SSL_CACERT_BADFILE, SKYCRATE_ETLS},
        {CURLE_OUT_OF_MEMORY, SKYCRATE_ENOMEM},
        {CURLE_UNSUPPORTED_PROTOCOL, SKYCRATE_ERROR},
        {CURLE_URL_MALFORMAT, SKYCRATE_ERROR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(skycrate__error_code_from_curl(cases[i].curl) == cases[i].want,
                      "curl code %d", (int)cases[i].curl);
}
END_TEST

START_TEST(json_errors_name_the_position_and_hide_the_input_when_asked)
{
    json_error_t e;
    const char doc[] = "{\"SecretAccessKey\": SECRETVALUE}";
    ck_assert_ptr_null(json_loadb(doc, strlen(doc), 0, &e));

    ck_assert_int_eq(skycrate__error_from_json(SKYCRATE_EPARSE, &e, false,
                                               "%s: the answer is not JSON", "container"),
                     SKYCRATE_EPARSE);
    const skycrate_error *err = skycrate_error_last();
    ck_assert_int_eq(err->code, SKYCRATE_EPARSE);
    ck_assert_ptr_nonnull(
        strstr(err->message, "container: the answer is not JSON (line 1, column"));
    ck_assert_ptr_null(strstr(err->message, "SECRET"));

    ck_assert_int_eq(skycrate__error_from_json(SKYCRATE_ECONFLICT, &e, true, "%s is not valid JSON",
                                               "users.json"),
                     SKYCRATE_ECONFLICT);
    err = skycrate_error_last();
    ck_assert_int_eq(err->code, SKYCRATE_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(err->message, "users.json is not valid JSON: "));
    ck_assert_ptr_nonnull(strstr(err->message, e.text));
    ck_assert_ptr_nonnull(strstr(err->message, "(line 1, column"));
}
END_TEST

START_TEST(mbedtls_errors_name_the_operation_and_the_code)
{
    ck_assert_int_eq(skycrate__error_from_mbedtls(
                         SKYCRATE_EPARSE, MBEDTLS_ERR_BASE64_INVALID_CHARACTER, "base64 decoding"),
                     SKYCRATE_EPARSE);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "base64 decoding failed (mbedTLS error -0x002C)");
}
END_TEST

static Suite *errors_suite(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("mapping");
    tcase_add_test(tc, curl_codes_become_library_codes);
    tcase_add_test(tc, json_errors_name_the_position_and_hide_the_input_when_asked);
    tcase_add_test(tc, mbedtls_errors_name_the_operation_and_the_code);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(errors_suite)
