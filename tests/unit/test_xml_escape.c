/*
 * Unit tests of lib/xml/escape.c: entities for attribute values and for element text (as
 * ElementTree writes them), refused control characters, and a round trip through the tree.
 */
#include <string.h>

#include "core/buf.h"
#include "core/common.h"
#include "xml/xml.h"
#include "testutil.h"

/* ---- escaping ---- */

START_TEST(escape_writes_entities_and_round_trips)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__buf_puts(&b, "<Key>"));
    ck_assert_sky_ok(skycrate__xml_escape(&b, "a&b<c>d\"e'f\r\n\tg\xc3\xa9"));
    ck_assert_str_eq(b.ptr, "<Key>a&amp;b&lt;c&gt;d&quot;e&apos;f&#13;\n\tg\xc3\xa9");
    ck_assert_sky_ok(skycrate__buf_puts(&b, "</Key>"));
    skycrate__xml_node *root = NULL;
    ck_assert_sky_ok(skycrate__xml_parse(&root, b.ptr, b.len));
    ck_assert_str_eq(root->text, "a&b<c>d\"e'f\r\n\tg\xc3\xa9");
    skycrate__xml_free(root);

    size_t before = b.len;
    ck_assert_int_eq(skycrate__xml_escape(&b, "ok&then\x01"), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "0x01"));
    ck_assert_uint_eq(b.len, before);
    ck_assert_uint_eq(strlen(b.ptr), before);
    ck_assert_sky_ok(skycrate__xml_escape(&b, ""));
    ck_assert_uint_eq(b.len, before);
    skycrate__buf_dispose(&b);

    skycrate__buf empty = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(skycrate__xml_escape(&empty, "\x1f"), SKYCRATE_EINVAL);
    ck_assert_ptr_null(empty.ptr);
    ck_assert_sky_ok(skycrate__xml_escape(&empty, "plain"));
    ck_assert_str_eq(empty.ptr, "plain");
    skycrate__buf_dispose(&empty);
}
END_TEST

START_TEST(escape_text_keeps_quotes_as_elementtree_does)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__buf_puts(&b, "<Key>"));
    ck_assert_sky_ok(skycrate__xml_escape_text(&b, "<odd> \"key\" & 'x'\r\n"));
    ck_assert_str_eq(b.ptr, "<Key>&lt;odd&gt; \"key\" &amp; 'x'&#13;\n");
    ck_assert_sky_ok(skycrate__buf_puts(&b, "</Key>"));
    skycrate__xml_node *root = NULL;
    ck_assert_sky_ok(skycrate__xml_parse(&root, b.ptr, b.len));
    ck_assert_str_eq(root->text, "<odd> \"key\" & 'x'\r\n");
    skycrate__xml_free(root);
    size_t before = b.len;
    ck_assert_int_eq(skycrate__xml_escape_text(&b, "bell\a"), SKYCRATE_EINVAL);
    ck_assert_uint_eq(b.len, before);
    skycrate__buf_dispose(&b);
}
END_TEST

static Suite *xml_escape_suite(void)
{
    Suite *s = suite_create("xml_escape");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, escape_writes_entities_and_round_trips);
    tcase_add_test(tc, escape_text_keeps_quotes_as_elementtree_does);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(xml_escape_suite)
