/*
 * Unit tests of lib/core: errors, redaction, buffers, time, allocator, global init.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/common.h"
#include "core/log.h"
#include "core/time.h"
#include "core/utf8.h"
#include "testalloc.h"
#include "testutil.h"

START_TEST(strerror_covers_every_code)
{
    for (int code = SKYCRATE_ECANCELED; code <= 0; code++) {
        const char *s = skycrate_strerror(code);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_ne(s, "unknown error code");
    }
    ck_assert_str_eq(skycrate_strerror(-999), "unknown error code");
    ck_assert_str_eq(skycrate_strerror(SKYCRATE_ESIGNATURE), "signature does not match");
}
END_TEST

START_TEST(error_slot_records_and_clears)
{
    skycrate_error_clear();
    ck_assert_int_eq(skycrate_error_last()->code, 0);
    ck_assert_str_eq(skycrate_error_last()->message, "");
    ck_assert_int_eq(skycrate__error_set(SKYCRATE_EINVAL, "bad %s", "thing"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate_error_last()->message, "bad thing");
    ck_assert_int_eq(skycrate_error_last()->age, 1);
    skycrate__error_prefix("step %d", 2);
    ck_assert_str_eq(skycrate_error_last()->message, "step 2: bad thing");
    skycrate_error_clear();
    ck_assert_int_eq(skycrate_error_last()->code, 0);
}
END_TEST

START_TEST(error_after_callback_keeps_callback_message)
{
    skycrate_error_clear();
    ck_assert_int_eq(skycrate__error_after_callback(SKYCRATE_EUSER, "transport"), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "transport callback returned -11");
    skycrate_error_set_str(SKYCRATE_EUSER, "vault is sealed");
    ck_assert_int_eq(skycrate__error_after_callback(SKYCRATE_EUSER, "credentials"), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "vault is sealed");
}
END_TEST

static void *thread_keeps_error(void *arg)
{
    skycrate__error_set(SKYCRATE_ETIMEOUT, "range 3 timed out");
    skycrate__error_keep(arg, SKYCRATE_ETIMEOUT);
    return NULL;
}

START_TEST(an_error_kept_on_one_thread_is_restored_on_another)
{
    skycrate__kept_error kept = {0, NULL};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, thread_keeps_error, &kept), 0);
    pthread_join(t, NULL);
    skycrate__error_set(SKYCRATE_EINVAL, "a later error");
    ck_assert_int_eq(skycrate__error_restore(&kept), SKYCRATE_ETIMEOUT);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ETIMEOUT);
    ck_assert_str_eq(skycrate_error_last()->message, "range 3 timed out");
    ck_assert_ptr_null(kept.message);
    skycrate__kept_error_dispose(&kept); /* idempotent */
    /* a copy that could not be made: the code's own text */
    skycrate__kept_error bare = {SKYCRATE_ENOMEM, NULL};
    ck_assert_int_eq(skycrate__error_restore(&bare), SKYCRATE_ENOMEM);
    ck_assert_str_eq(skycrate_error_last()->message, "out of memory");
    skycrate__kept_error eio = {SKYCRATE_EIO, NULL};
    skycrate__error_restore(&eio);
    ck_assert_str_eq(skycrate_error_last()->message, skycrate_strerror(SKYCRATE_EIO));
}
END_TEST

static void *thread_sets_error(void *arg)
{
    (void)arg;
    skycrate__error_set(SKYCRATE_ETIMEOUT, "other thread");
    return NULL;
}

START_TEST(error_slot_is_per_thread)
{
    skycrate__error_set(SKYCRATE_EINVAL, "main thread");
    pthread_t t;
    pthread_create(&t, NULL, thread_sets_error, NULL);
    pthread_join(t, NULL);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate_error_last()->message, "main thread");
}
END_TEST

static const struct {
    const char *in, *out;
} redact_cases[] = {
    {"GET /k?X-Amz-Signature=0123456789abcdef0123456789abcdef&x=1",
     "GET /k?X-Amz-Signature=[redacted]&x=1"},
    {"url ?X-Amz-Security-Token=FwoGZXIvYXdzEJr%2F%2Fverylongtoken&X-Amz-Date=1",
     "url ?X-Amz-Security-Token=[redacted]&X-Amz-Date=1"},
    {"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request, "
     "SignedHeaders=host, "
     "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
     "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request, "
     "SignedHeaders=host, Signature=[redacted]"},
    {"x-amz-security-token: abcdefghijklmnop", "x-amz-security-token: [redacted]"},
    {"{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"wJalrXUtnFEMI/"
     "K7MDENG\",\"Token\":\"tok123456789\"}",
     "{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"[redacted]\",\"Token\":\"[redacted]\"}"},
    {"<SecretAccessKey>wJalrXUtnFEMIK7MDENG</SecretAccessKey>",
     "<SecretAccessKey>[redacted]</SecretAccessKey>"},
    /* Short values: no length shows. */
    {"X-Amz-Signature=abc", "X-Amz-Signature=[redacted]"},
    {"x-amz-security-token:t", "x-amz-security-token:[redacted]"},
    /* Whole values as their field's syntax delimits them, whatever they hold. */
    {"x-amz-date:20150830T123600Z\nx-amz-security-token:part one;part,two\"x\" <y>\nhost:h",
     "x-amz-date:20150830T123600Z\nx-amz-security-token:[redacted]\nhost:h"},
    {"{\"SessionToken\": \"a\\\"b, c\\\" d\", \"Expiration\": \"2030\"}",
     "{\"SessionToken\": \"[redacted]\", \"Expiration\": \"2030\"}"},
    {"{\"Token\" : null}", "{\"Token\" : [redacted]}"},
    {"aws_secret_access_key = wJalr XUtn;FEMI,K7 # x\naws_access_key_id = AKID",
     "aws_secret_access_key = [redacted]\naws_access_key_id = AKID"},
    {"<SessionToken>a b&amp;c\"d</SessionToken>", "<SessionToken>[redacted]</SessionToken>"},
    {"Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJ.a.b&Version=1",
     "Action=AssumeRoleWithWebIdentity&WebIdentityToken=[redacted]&Version=1"},
    {"x-aws-ec2-metadata-token: AQAE tok en", "x-aws-ec2-metadata-token: [redacted]"},
    /* Names only as whole names. */
    {"x-amz-security-token-ish: v, mytoken: w, \"Tokens\": \"x\"",
     "x-amz-security-token-ish: v, mytoken: w, \"Tokens\": \"x\""},
    {"nothing secret here", "nothing secret here"},
};

START_TEST(redaction_removes_secret_values)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", redact_cases[_i].in);
    skycrate__redact(buf, sizeof(buf));
    ck_assert_str_eq(buf, redact_cases[_i].out);
}
END_TEST

/* A value that cannot be replaced within the buffer is cut, never left in part. */
START_TEST(redaction_without_room_cuts_the_line)
{
    char buf[26];
    snprintf(buf, sizeof(buf), "%s", "Signature=ab and more");
    skycrate__redact(buf, sizeof(buf));
    ck_assert_str_eq(buf, "Signature=[redacted]");
    snprintf(buf, sizeof(buf), "%s", "a long line, Signature=x");
    skycrate__redact(buf, sizeof(buf));
    ck_assert_str_eq(buf, "a long line, Signature=[r");
}
END_TEST

START_TEST(error_messages_are_redacted)
{
    skycrate__error_set(SKYCRATE_EHTTP,
                        "failed: https://b.s3/k?X-Amz-Signature=deadbeefdeadbeefdeadbeef");
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "deadbeef"));
}
END_TEST

static char last_line[512];
static void capture_log(skycrate_log_level level, const char *msg, void *ud)
{
    (void)level;
    *(int *)ud += 1;
    snprintf(last_line, sizeof(last_line), "%s", msg);
}

START_TEST(log_respects_level_and_redacts)
{
    int calls = 0;
    skycrate_log_set(SKYCRATE_LOG_LEVEL_INFO, capture_log, &calls);
    skycrate__log(SKYCRATE_LOG_LEVEL_DEBUG, "too verbose");
    ck_assert_int_eq(calls, 0);
    skycrate__log(SKYCRATE_LOG_LEVEL_WARN, "retry ?X-Amz-Signature=%s", "0123456789abcdef0123");
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(last_line, "retry ?X-Amz-Signature=[redacted]");
    skycrate_log_set(SKYCRATE_LOG_LEVEL_TRACE, NULL, NULL);
    skycrate__log(SKYCRATE_LOG_LEVEL_ERROR, "nobody listens");
    ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(buf_appends_and_detaches)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_str_eq(skycrate__buf_cstr(&b), "");
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(skycrate__buf_printf(&b, "%d,", i), 0);
    ck_assert_uint_eq(b.len, strlen(b.ptr));
    ck_assert(strncmp(b.ptr, "0,1,2,", 6) == 0);
    ck_assert_int_eq(skycrate__buf_put(&b, "\0x", 2), 0);
    ck_assert_int_eq(b.ptr[b.len], '\0');
    skycrate__buf_clear(&b);
    ck_assert_uint_eq(b.len, 0);
    skycrate__buf_puts(&b, "abc");
    char *p = skycrate__buf_detach(&b);
    ck_assert_str_eq(p, "abc");
    ck_assert_ptr_null(b.ptr);
    skycrate__free(p);
}
END_TEST

START_TEST(time_formats_round_trip)
{
    char amz[17], iso[21];
    skycrate__format_amz_date(amz, 1440938160);
    ck_assert_str_eq(amz, "20150830T123600Z");
    skycrate__format_iso8601(iso, 1440938160);
    ck_assert_str_eq(iso, "2015-08-30T12:36:00Z");
    int64_t t = 0;
    ck_assert_int_eq(skycrate__parse_amz_date(&t, "20150830T123600Z"), 0);
    ck_assert_int_eq(t, 1440938160);
    ck_assert_int_eq(skycrate__parse_iso8601(&t, "2015-08-30T12:36:00Z"), 0);
    ck_assert_int_eq(t, 1440938160);
    ck_assert_int_eq(skycrate__parse_iso8601(&t, "2015-08-30T14:36:00.123+02:00"), 0);
    ck_assert_int_eq(t, 1440938160);
    ck_assert_int_eq(skycrate__parse_http_date(&t, "Sun, 30 Aug 2015 12:36:00 GMT"), 0);
    ck_assert_int_eq(t, 1440938160);
    skycrate__format_amz_date(amz, 951782400); /* leap day 2000-02-29 */
    ck_assert_str_eq(amz, "20000229T000000Z");
    ck_assert_int_eq(skycrate__parse_amz_date(&t, "20240229T235959Z"), 0);
    ck_assert_int_eq(t, 1709251199);
}
END_TEST

static const char *bad_dates[] = {
    "",
    "2015-08-30",
    "2015-13-30T12:36:00Z",
    "2015-02-30T12:36:00Z",
    "2015-08-30T25:36:00Z",
    "2015-08-30T12:36:00",
    "2015-08-30T12:36:00Zjunk",
    "2015-08-30T12:36:00.Z",
    "x015-08-30T12:36:00Z",
};

START_TEST(time_rejects_malformed_dates)
{
    int64_t t = 42;
    ck_assert_int_eq(skycrate__parse_iso8601(&t, bad_dates[_i]), SKYCRATE_EPARSE);
    ck_assert_int_eq(t, 42);
}
END_TEST

START_TEST(global_init_is_counted_and_checks_allocator)
{
    skycrate_allocator partial = {testalloc.malloc, NULL, testalloc.free, NULL};
    ck_assert_int_eq(skycrate_global_init(&partial), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_global_cleanup(), SKYCRATE_ERROR);
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    ck_assert_int_eq(skycrate_global_init(NULL), 2);
    ck_assert_int_eq(skycrate_global_init(&testalloc), 3);
    skycrate_allocator other = testalloc;
    other.user_data = &other;
    ck_assert_int_eq(skycrate_global_init(&other), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_global_cleanup(), 2);
    ck_assert_int_eq(skycrate_global_cleanup(), 1);
    ck_assert_int_eq(skycrate_global_cleanup(), 0);
}
END_TEST

START_TEST(allocator_hooks_receive_library_memory)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    long before = testalloc_outstanding();
    char *s = skycrate__strdup("hello");
    ck_assert_str_eq(s, "hello");
    ck_assert_int_eq(testalloc_outstanding(), before + 1);
    skycrate_free(s);
    ck_assert_int_eq(testalloc_outstanding(), before);
    skycrate_global_cleanup();
}
END_TEST

START_TEST(buf_reports_enomem_and_leaks_nothing)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    for (long n = 1;; n++) {
        skycrate__buf b = SKYCRATE_BUF_INIT;
        testalloc_fail_at(n);
        int rc = 0;
        for (int i = 0; i < 50 && rc == 0; i++)
            rc = skycrate__buf_printf(&b, "%040d", i);
        testalloc_fail_at(0);
        skycrate__buf_dispose(&b);
        ck_assert_int_eq(testalloc_outstanding(), 0);
        if (rc == 0)
            break;
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ENOMEM);
    }
    skycrate_global_cleanup();
}
END_TEST

START_TEST(version_matches_headers)
{
    ck_assert_uint_eq(skycrate_version(), SKYCRATE_VERSION_NUM);
    ck_assert_str_eq(skycrate_version_string(), SKYCRATE_VERSION);
    ck_assert(SKYCRATE_VERSION_CHECK(0, 1, 0));
    ck_assert(!SKYCRATE_VERSION_CHECK(99, 0, 0));
    ck_assert(skycrate_features() & SKYCRATE_FEATURE_CURL);
}
END_TEST

/* The one list of handle magics: every value different, and each spells its four letters. */
START_TEST(handle_magics_are_unique)
{
#define ENTRY(name, value, text) {#name, value, text},
    static const struct {
        const char *name;
        unsigned int value;
        const char *text;
    } kinds[] = {SKYCRATE__HANDLE_KINDS(ENTRY)};
#undef ENTRY
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(kinds); i++) {
        char spelled[5] = {(char)(kinds[i].value >> 24), (char)(kinds[i].value >> 16),
                           (char)(kinds[i].value >> 8), (char)kinds[i].value, 0};
        ck_assert_str_eq(spelled, kinds[i].text);
        for (size_t j = i + 1; j < SKYCRATE_ARRAY_SIZE(kinds); j++)
            ck_assert_msg(kinds[i].value != kinds[j].value, "%s and %s share a magic",
                          kinds[i].name, kinds[j].name);
    }
}
END_TEST

/* ---- UTF-8 -------------------------------------------------------------------------------- */

START_TEST(utf8_decodes_strictly)
{
    static const struct {
        const char *bytes;
        size_t len; /* 0: invalid */
        uint32_t cp;
    } cases[] = {
        {"A", 1, 0x41},
        {"\x7f", 1, 0x7f},
        {"\xc2\x80", 2, 0x80},
        {"\xdf\xbf", 2, 0x7ff},
        {"\xe0\xa0\x80", 3, 0x800},
        {"\xed\x9f\xbf", 3, 0xd7ff},
        {"\xee\x80\x80", 3, 0xe000},
        {"\xef\xbf\xbf", 3, 0xffff},
        {"\xf0\x90\x80\x80", 4, 0x10000},
        {"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
        {"\xe2\x80\xae", 3, 0x202e},
        /* overlong forms */
        {"\xc0\xaf", 0, 0},
        {"\xc1\xbf", 0, 0},
        {"\xe0\x9f\xbf", 0, 0},
        {"\xf0\x8f\xbf\xbf", 0, 0},
        /* surrogates, beyond U+10FFFF, bytes that never start a character */
        {"\xed\xa0\x80", 0, 0},
        {"\xed\xbf\xbf", 0, 0},
        {"\xf4\x90\x80\x80", 0, 0},
        {"\xf5\x80\x80\x80", 0, 0},
        {"\xff", 0, 0},
        {"\x80", 0, 0},
        /* a continuation byte missing or replaced */
        {"\xc3", 0, 0},
        {"\xe2\x82", 0, 0},
        {"\xe2\x28\xa1", 0, 0},
        {"\xf0\x9f\x98", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t cp = 0xdeadbeef;
        size_t n = strlen(cases[i].bytes);
        ck_assert_msg(skycrate__utf8_decode(cases[i].bytes, n, &cp) == cases[i].len, "case %zu", i);
        if (cases[i].len)
            ck_assert_uint_eq(cp, cases[i].cp);
        ck_assert(skycrate__utf8_valid(cases[i].bytes, n) == (cases[i].len == n));
    }
    /* Truncation by the length, not the NUL. */
    uint32_t cp;
    ck_assert_uint_eq(skycrate__utf8_decode("\xe2\x82\xac", 2, &cp), 0);
    ck_assert(skycrate__utf8_valid("", 0));
    ck_assert(skycrate__utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80 ok", 13));
    ck_assert(!skycrate__utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80 ok", 9));
    ck_assert(!skycrate__utf8_valid("ok \xed\xa0\x80 ok", 9));
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, strerror_covers_every_code);
    tcase_add_test(tc, error_slot_records_and_clears);
    tcase_add_test(tc, error_after_callback_keeps_callback_message);
    tcase_add_test(tc, error_slot_is_per_thread);
    tcase_add_test(tc, an_error_kept_on_one_thread_is_restored_on_another);
    tcase_add_test(tc, handle_magics_are_unique);
    suite_add_tcase(s, tc);
    tc = tcase_create("redaction");
    tcase_add_loop_test(tc, redaction_removes_secret_values, 0,
                        (int)SKYCRATE_ARRAY_SIZE(redact_cases));
    tcase_add_test(tc, redaction_without_room_cuts_the_line);
    tcase_add_test(tc, error_messages_are_redacted);
    tcase_add_test(tc, log_respects_level_and_redacts);
    suite_add_tcase(s, tc);
    tc = tcase_create("buf");
    tcase_add_test(tc, buf_appends_and_detaches);
    tcase_add_test(tc, buf_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("time");
    tcase_add_test(tc, time_formats_round_trip);
    tcase_add_loop_test(tc, time_rejects_malformed_dates, 0, (int)SKYCRATE_ARRAY_SIZE(bad_dates));
    suite_add_tcase(s, tc);
    tc = tcase_create("utf8");
    tcase_add_test(tc, utf8_decodes_strictly);
    suite_add_tcase(s, tc);
    tc = tcase_create("global");
    tcase_add_test(tc, global_init_is_counted_and_checks_allocator);
    tcase_add_test(tc, allocator_hooks_receive_library_memory);
    tcase_add_test(tc, version_matches_headers);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(core_suite)
