/*
 * Unit tests of lib/xml/tree.c: the expat element tree (namespaces, text, typed values, limits,
 * malformed documents) and its allocation failures.
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "xml/s3.h" /* the malformed documents go through a reader too */
#include "xml/xml.h"
#include "testalloc.h"
#include "testutil.h"
#include "xmldocs.h"

START_TEST(tree_strips_namespaces_and_keeps_order)
{
    static const char doc[] =
        "<?xml version=\"1.0\"?>\n<r xmlns=\"urn:a\" xmlns:p=\"urn:b\" attr=\"x\">\n"
        "  <p:item n=\"1\">one</p:item>\n  <!-- comment -->\n  <other/>\n"
        "  <item>tw&amp;o<![CDATA[<&>]]>&#x41;&lt;</item>\n  <item> </item>\n</r>";
    skycrate__xml_node *root = NULL;
    ck_assert_sky_ok(skycrate__xml_parse(&root, doc, strlen(doc)));
    ck_assert_str_eq(root->name, "r");
    ck_assert_str_eq(root->text, ""); /* indentation between children dropped */
    ck_assert_ptr_null(root->parent);
    const skycrate__xml_node *item = skycrate__xml_child(root, "item");
    ck_assert_ptr_nonnull(item);
    ck_assert_str_eq(item->text, "one");
    ck_assert_ptr_eq(item->parent, root);
    const skycrate__xml_node *second = skycrate__xml_next(item);
    ck_assert_str_eq(second->text, "tw&o<&>A<");
    const skycrate__xml_node *third = skycrate__xml_next(second);
    ck_assert_str_eq(third->text, " "); /* leaf text is kept byte for byte */
    ck_assert_ptr_null(skycrate__xml_next(third));
    ck_assert_uint_eq(skycrate__xml_count(root, "item"), 3);
    ck_assert_uint_eq(skycrate__xml_count(root, "none"), 0);
    ck_assert_str_eq(skycrate__xml_child_text(root, "other"), "");
    ck_assert_ptr_null(skycrate__xml_child_text(root, "none"));
    ck_assert_ptr_null(skycrate__xml_child(NULL, "x"));
    ck_assert_str_eq(root->first_child->next_sibling->name, "other");
    skycrate__xml_free(root);
    skycrate__xml_free(NULL);
}
END_TEST

START_TEST(tree_keeps_mixed_text_and_converts_encodings)
{
    static const char mixed[] = "<a>x<b/>y <c>z</c></a>";
    static const char latin1[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
    skycrate__xml_node *root = NULL;
    ck_assert_sky_ok(skycrate__xml_parse(&root, mixed, strlen(mixed)));
    ck_assert_str_eq(root->text, "xy ");
    skycrate__xml_free(root);
    ck_assert_sky_ok(skycrate__xml_parse(&root, latin1, strlen(latin1)));
    ck_assert_str_eq(root->text, "caf\xc3\xa9");
    skycrate__xml_free(root);
}
END_TEST

START_TEST(tree_typed_values_are_strict)
{
    static const char doc[] = "<r><n>18446744073709551615</n><big>18446744073709551616</big>"
                              "<neg>-1</neg><sp> 1</sp><empty/><t>true</t><f>0</f><bad>True</bad>"
                              "<d>2026-05-22T10:15:42.000Z</d><bd>2026-02-30T00:00:00Z</bd></r>";
    skycrate__xml_node *root = NULL;
    ck_assert_sky_ok(skycrate__xml_parse(&root, doc, strlen(doc)));
    uint64_t u = 7;
    ck_assert_sky_ok(skycrate__xml_child_u64(&u, root, "n"));
    ck_assert(u == UINT64_MAX);
    u = 7;
    ck_assert_sky_ok(skycrate__xml_child_u64(&u, root, "absent"));
    ck_assert_uint_eq(u, 7);
    expect_parse_error(skycrate__xml_child_u64(&u, root, "big"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "<big>"));
    expect_parse_error(skycrate__xml_child_u64(&u, root, "neg"));
    expect_parse_error(skycrate__xml_child_u64(&u, root, "sp"));
    expect_parse_error(skycrate__xml_child_u64(&u, root, "empty"));
    ck_assert_uint_eq(u, 7);
    bool b = false;
    ck_assert_sky_ok(skycrate__xml_child_bool(&b, root, "t"));
    ck_assert(b);
    ck_assert_sky_ok(skycrate__xml_child_bool(&b, root, "f"));
    ck_assert(!b);
    expect_parse_error(skycrate__xml_child_bool(&b, root, "bad"));
    int64_t t = 0;
    ck_assert_sky_ok(skycrate__xml_child_time(&t, root, "d"));
    ck_assert_int_eq(t, 1779444942);
    expect_parse_error(skycrate__xml_child_time(&t, root, "bd"));
    expect_parse_error(skycrate__xml_child_time(&t, root, "n"));
    char *s = NULL;
    ck_assert_sky_ok(skycrate__xml_child_dup(&s, root, "absent"));
    ck_assert_ptr_null(s);
    ck_assert_sky_ok(skycrate__xml_child_dup(&s, root, "neg"));
    ck_assert_str_eq(s, "-1");
    skycrate__free(s);
    s = NULL;
    ck_assert_sky_ok(skycrate__xml_child_required(&s, root, "t"));
    ck_assert_str_eq(s, "true");
    skycrate__free(s);
    s = NULL;
    expect_parse_error(skycrate__xml_child_required(&s, root, "absent"));
    ck_assert_str_eq(skycrate_error_last()->message, "XML <r> has no <absent>");
    ck_assert_ptr_null(s);
    expect_parse_error(skycrate__xml_child_required(&s, root, "empty"));
    ck_assert_str_eq(skycrate_error_last()->message, "XML <r> has no <empty>");
    skycrate__free(s);
    skycrate__xml_free(root);
}
END_TEST

static char *nested(int depth)
{
    char *doc = malloc((size_t)depth * 7 + 1), *p = doc;
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "<a>");
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "</a>");
    return doc;
}

START_TEST(tree_limits_depth)
{
    skycrate__xml_node *root = NULL;
    char *ok = nested(SKYCRATE_XML_MAX_DEPTH), *deep = nested(SKYCRATE_XML_MAX_DEPTH + 1);
    ck_assert_sky_ok(skycrate__xml_parse(&root, ok, strlen(ok)));
    skycrate__xml_free(root);
    expect_parse_error(skycrate__xml_parse(&root, deep, strlen(deep)));
    ck_assert_ptr_null(root);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "too deep"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "line 1, column"));
    free(ok);
    free(deep);
}
END_TEST

START_TEST(tree_limits_size_text_and_elements)
{
    skycrate__xml_node *root = NULL;
    size_t n = SKYCRATE_XML_MAX_SIZE + 1;
    char *big = malloc(n);
    memset(big, ' ', n);
    memcpy(big, "<a>", 3);
    memcpy(big + n - 4, "</a>", 4);
    expect_parse_error(skycrate__xml_parse(&root, big, n));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "too large"));

    /* Text: exactly the limit passes, one byte more fails (split across expat's chunks). */
    n = 3 + SKYCRATE_XML_MAX_TEXT + 4;
    memcpy(big + n - 4, "</a>", 4);
    ck_assert_sky_ok(skycrate__xml_parse(&root, big, n));
    ck_assert_uint_eq(strlen(root->text), SKYCRATE_XML_MAX_TEXT);
    skycrate__xml_free(root);
    memcpy(big + n - 4, " </a>", 5);
    expect_parse_error(skycrate__xml_parse(&root, big, n + 1));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "too long"));
    free(big);

    size_t count = SKYCRATE_XML_MAX_ELEMENTS; /* the root plus this many children: one too many */
    big = malloc(count * 4 + 8);
    char *p = big + sprintf(big, "<r>");
    for (size_t i = 0; i < count; i++)
        p += sprintf(p, "<a/>");
    p += sprintf(p, "</r>");
    expect_parse_error(skycrate__xml_parse(&root, big, (size_t)(p - big)));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "too many"));
    p = big + 3 + (count - 1) * 4;
    p += sprintf(p, "</r>");
    ck_assert_sky_ok(skycrate__xml_parse(&root, big, (size_t)(p - big)));
    ck_assert_uint_eq(skycrate__xml_count(root, "a"), count - 1);
    skycrate__xml_free(root);
    free(big);
}
END_TEST

static const struct {
    const char *what, *doc;
} malformed[] = {
    {"empty", ""},
    {"blank", "  \n"},
    {"not xml", "Internal Server Error"},
    {"html", "<html><body><h1>502 Bad Gateway</h1></body>"},
    {"truncated", "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Mess"},
    {"truncated in tag", "<ListBucketResult><Contents><Key>a</Key></Contents"},
    {"mismatched", "<Error><Code>x</Message></Error>"},
    {"two roots", "<Error></Error><Error></Error>"},
    {"junk after root", "<Error></Error>trailing"},
    {"undefined entity", "<Error><Code>&nbsp;</Code></Error>"},
    {"bad char ref", "<Error><Code>&#0;</Code></Error>"},
    {"unbound prefix", "<s3:Error><Code>x</Code></s3:Error>"},
    {"invalid utf-8", "<Error><Code>\xc3\x28</Code></Error>"},
    {"unknown encoding", "<?xml version=\"1.0\" encoding=\"KOI8-Z\"?><Error/>"},
    {"doctype", "<!DOCTYPE Error><Error><Code>x</Code></Error>"},
    {"billion laughs",
     "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
     "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
     "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
     "<Error><Code>&lol3;</Code></Error>"},
    {"xxe", "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            "<Error><Code>&x;</Code></Error>"},
    {"external dtd", "<!DOCTYPE Error SYSTEM \"http://127.0.0.1:9/e.dtd\"><Error/>"},
    {"parameter entity", "<!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><Error/>"},
};

START_TEST(tree_rejects_malformed_documents)
{
    skycrate__xml_node *root = (skycrate__xml_node *)1;
    const char *doc = malformed[_i].doc;
    int rc = skycrate__xml_parse(&root, doc, strlen(doc));
    ck_assert_msg(rc == SKYCRATE_EPARSE, "%s: %d", malformed[_i].what, rc);
    ck_assert_ptr_null(root);
    ck_assert_msg(strstr(skycrate_error_last()->message, "line ") != NULL, "%s: %s",
                  malformed[_i].what, skycrate_error_last()->message);
    if (strstr(doc, "DOCTYPE"))
        ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "DOCTYPE"));
    /* Every reader says the same, and nothing is left allocated in its struct. */
    skycrate__s3_error_doc e;
    expect_parse_error(skycrate__s3_error_doc_parse(&e, doc, strlen(doc)));
    ck_assert_ptr_null(e.code);
    ck_assert_int_eq(skycrate__xml_root_is(doc, strlen(doc), "Error"), 0);
}
END_TEST

START_TEST(tree_rejects_embedded_nul_and_bad_arguments)
{
    static const char doc[] = "<a>x\0y</a>";
    skycrate__xml_node *root = NULL;
    expect_parse_error(skycrate__xml_parse(&root, doc, sizeof(doc) - 1));
    ck_assert_int_eq(skycrate__xml_parse(NULL, doc, 3), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate__xml_parse(&root, NULL, 3), SKYCRATE_EINVAL);
    expect_parse_error(skycrate__xml_parse(&root, NULL, 0));
}
END_TEST

/* ---- allocation failures: every allocation, expat's included ---- */

static int run_tree(const char *xml, size_t len)
{
    skycrate__xml_node *root = NULL;
    int rc = skycrate__xml_parse(&root, xml, len);
    skycrate__xml_free(root);
    return rc;
}

static const enomem_case enomem_cases[] = {
    {"aws_list_versions.xml", run_tree},
};

START_TEST(every_allocation_failure_is_enomem_without_leaks)
{
    assert_enomem_loop(enomem_cases[_i].file, enomem_cases[_i].fn);
}
END_TEST

static Suite *xml_tree_suite(void)
{
    Suite *s = suite_create("xml_tree");
    TCase *tc = tcase_create("tree");
    tcase_add_test(tc, tree_strips_namespaces_and_keeps_order);
    tcase_add_test(tc, tree_keeps_mixed_text_and_converts_encodings);
    tcase_add_test(tc, tree_typed_values_are_strict);
    tcase_add_test(tc, tree_rejects_embedded_nul_and_bad_arguments);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, tree_limits_depth);
    tcase_add_test(tc, tree_limits_size_text_and_elements);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_loop_test(tc, tree_rejects_malformed_documents, 0,
                        (int)SKYCRATE_ARRAY_SIZE(malformed));
    suite_add_tcase(s, tc);
    tc = tcase_create("enomem");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_allocation_failure_is_enomem_without_leaks, 0,
                        (int)SKYCRATE_ARRAY_SIZE(enomem_cases));
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(xml_tree_suite)
