/*
 * Unit tests of lib/creds/ini.c: the INI dialect of the AWS shared files, as botocore reads it,
 * and what the reader refuses (naming the line, never its content).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/ini.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"

/* --- the INI reader ----------------------------------------------------------------------- */

static const char sample[] = "\xEF\xBB\xBF# a comment\r\n"
                             "; another\n"
                             "[default]\n"
                             "Region = eu-west-1 \n"
                             "output: json\n"
                             "credential_process = /bin/echo a ; echo b # kept\n"
                             "s3 =\n"
                             "  endpoint_url = http://127.0.0.1:9000\n"
                             "\n"
                             "    # an indented comment\n"
                             "  addressing_style = path\n"
                             "  Addressing_Style = virtual\n"
                             "multi = first\n"
                             "  second\n"
                             "\n"
                             "  third\n"
                             "after = x\n"
                             "[ profile dev ]   trailing text\r"
                             "\tkey=v=w\n"
                             "url = http://h:1/p\n"
                             "empty =";

START_TEST(ini_reads_the_aws_dialect)
{
    skycrate__ini ini;
    ck_assert_sky_ok(skycrate__ini_parse(&ini, sample, sizeof(sample) - 1, "sample"));
    ck_assert_uint_eq(ini.count, 2);
    const skycrate__ini_section *d = skycrate__ini_section_find(&ini, "default");
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(d->line, 3);
    const skycrate__ini_pair *p = skycrate__ini_get(d, "REGION");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->key, "region");
    ck_assert_str_eq(p->value, "eu-west-1");
    ck_assert_uint_eq(p->line, 4);
    ck_assert_str_eq(skycrate__ini_get(d, "output")->value, "json");
    ck_assert_str_eq(skycrate__ini_get(d, "credential_process")->value,
                     "/bin/echo a ; echo b # kept");
    const skycrate__ini_pair *s3 = skycrate__ini_get(d, "s3");
    ck_assert_str_eq(s3->value, "");
    ck_assert_uint_eq(s3->sub_count, 2);
    ck_assert_str_eq(skycrate__ini_sub_get(s3, "ENDPOINT_URL")->value, "http://127.0.0.1:9000");
    ck_assert_str_eq(skycrate__ini_sub_get(s3, "addressing_style")->value, "virtual");
    ck_assert_uint_eq(skycrate__ini_sub_get(s3, "addressing_style")->line, 12);
    ck_assert_ptr_null(skycrate__ini_sub_get(s3, "missing"));
    ck_assert_ptr_null(skycrate__ini_sub_get(NULL, "x"));
    ck_assert_str_eq(skycrate__ini_get(d, "multi")->value, "first\nsecond\n\nthird");
    ck_assert_str_eq(skycrate__ini_get(d, "after")->value, "x");
    ck_assert_uint_eq(skycrate__ini_get(d, "after")->line, 17);

    const skycrate__ini_section *dev = skycrate__ini_section_find(&ini, "profile dev");
    ck_assert_ptr_nonnull(dev);
    ck_assert_uint_eq(dev->line, 18);
    ck_assert_str_eq(skycrate__ini_get(dev, "key")->value, "v=w");
    ck_assert_uint_eq(skycrate__ini_get(dev, "key")->line, 19);
    ck_assert_str_eq(skycrate__ini_get(dev, "url")->value, "http://h:1/p");
    ck_assert_str_eq(skycrate__ini_get(dev, "empty")->value, "");
    ck_assert_ptr_null(skycrate__ini_get(dev, "region"));
    ck_assert_ptr_null(skycrate__ini_get(NULL, "region"));
    ck_assert_ptr_null(skycrate__ini_section_find(&ini, "dev"));
    skycrate__ini_dispose(&ini);
    ck_assert_uint_eq(ini.count, 0);

    ck_assert_sky_ok(skycrate__ini_parse(&ini, "", 0, "empty"));
    ck_assert_uint_eq(ini.count, 0);
    skycrate__ini_dispose(&ini);
}
END_TEST

static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    unsigned line;
    const char *what;
} bad_ini[] = {
    {"key = SECRETX\n", 0, 1, "before the first [section]"},
    {"  x = SECRETX\n[a]\n", 0, 1, "before the first [section]"},
    {"[a]\nSECRETX\n", 0, 2, "expected 'key = value'"},
    {"[a]\n = SECRETX\n", 0, 2, "without a key"},
    {"[a]\nx = 1\nX = SECRETX\n", 0, 3, "key 'x' again in [a] (first at line 2)"},
    {"[a]\n[b]\n[a]\n", 0, 3, "section [a] again"},
    {"[a\nx = SECRETX\n", 0, 1, "without ']'"},
    {"[ ]\n", 0, 1, "empty section name"},
    {"[a]\ns3 =\n  SECRETX\n", 0, 3, "in a nested block"},
    {"[a]\nx = SECRETX\0y\n", 16, 2, "NUL byte"},
    {"[a]\r\nx = 1\r\nbad SECRETX\r\n", 0, 3, "expected"},
    {"[a]\rx = 1\rbad SECRETX\r", 0, 3, "expected"},
};

START_TEST(ini_rejects_malformed_text)
{
    skycrate__ini ini;
    size_t len = bad_ini[_i].len ? bad_ini[_i].len : strlen(bad_ini[_i].text);
    ck_assert_int_eq(skycrate__ini_parse(&ini, bad_ini[_i].text, len, "test.ini"), SKYCRATE_EPARSE);
    ck_assert_uint_eq(ini.count, 0);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "test.ini line %u: ", bad_ini[_i].line);
    ck_assert_msg(strncmp(skycrate_error_last()->message, prefix, strlen(prefix)) == 0,
                  "'%s' is not at '%s'", skycrate_error_last()->message, prefix);
    ck_assert_message_has(bad_ini[_i].what);
    testhome_assert_no_secret();
}
END_TEST

START_TEST(ini_reports_enomem_and_leaks_nothing)
{
    for (long n = 1;; n++) {
        skycrate__ini ini;
        testalloc_fail_at(n);
        int rc = skycrate__ini_parse(&ini, sample, sizeof(sample) - 1, "sample");
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate__ini_dispose(&ini);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
}
END_TEST

START_TEST(ini_load_tells_missing_from_unreadable)
{
    skycrate__ini ini;
    bool found = true;
    ck_assert_sky_ok(skycrate__ini_load(&ini, &found, testhome_path(".aws/none")));
    ck_assert(!found);
    testhome_write("plain", "[a]\n");
    ck_assert_sky_ok(skycrate__ini_load(&ini, &found, testhome_path("plain/below")));
    ck_assert(!found);
    ck_assert_sky_ok(skycrate__ini_load(&ini, &found, testhome_path("plain")));
    ck_assert(found);
    ck_assert_uint_eq(ini.count, 1);
    skycrate__ini_dispose(&ini);

    ck_assert_int_eq(skycrate__ini_load(&ini, &found, testhome_path(".aws")), SKYCRATE_EIO);
    ck_assert_message_has("not a regular file");
    ck_assert_int_eq(mkfifo(testhome_path("fifo"), 0600), 0);
    ck_assert_int_eq(skycrate__ini_load(&ini, &found, testhome_path("fifo")), SKYCRATE_EIO);
    /* AWS_CONFIG_FILE=/dev/null: an empty configuration, as botocore reads it. */
    ck_assert_sky_ok(skycrate__ini_load(&ini, &found, "/dev/null"));
    ck_assert(found);
    ck_assert_uint_eq(ini.count, 0);
    skycrate__ini_dispose(&ini);
    ck_assert_int_eq(skycrate__ini_load(&ini, &found, "/dev/zero"), SKYCRATE_EIO);
    ck_assert_message_has("changed while it was read");

    FILE *f = fopen(testhome_path("big"), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, SKYCRATE_INI_MAX_FILE, SEEK_SET), 0);
    fputc('\n', f);
    fclose(f);
    ck_assert_int_eq(skycrate__ini_load(&ini, &found, testhome_path("big")), SKYCRATE_EIO);
    ck_assert_message_has("larger than");

    testhome_write("broken", "[a]\nx = 1\naws_secret_access_key SECRETX\n");
    char expected[600];
    snprintf(expected, sizeof(expected), "%s line 3: ", testhome_path("broken"));
    ck_assert_int_eq(skycrate__ini_load(&ini, &found, testhome_path("broken")), SKYCRATE_EPARSE);
    ck_assert_message_has(expected);
    testhome_assert_no_secret();
}
END_TEST

static Suite *ini_suite(void)
{
    Suite *s = suite_create("ini");
    TCase *tc;
    tc = tcase_create("ini");
    tcase_add_checked_fixture(tc, testhome_setup, testhome_teardown);
    tcase_add_test(tc, ini_reads_the_aws_dialect);
    tcase_add_loop_test(tc, ini_rejects_malformed_text, 0, (int)SKYCRATE_ARRAY_SIZE(bad_ini));
    tcase_add_test(tc, ini_reports_enomem_and_leaks_nothing);
    tcase_add_test(tc, ini_load_tells_missing_from_unreadable);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(ini_suite)
