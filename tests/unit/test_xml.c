/*
 * Unit tests of lib/xml: the expat element tree, the S3 and STS readers, escaping.
 * Documents come from tests/vectors/xml/: rgw_* were captured from radosgw 16 (Debian 12),
 * aws_* and sts_* follow the examples of the AWS documentation.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "xml/s3.h"
#include "xml/sts.h"
#include "xml/xml.h"
#include "testalloc.h"
#include "testutil.h"

static char *load(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/xml/%s", SKYCRATE_TEST_VECTORS, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

static void expect_parse_error(int rc)
{
    ck_assert_int_eq(rc, SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EPARSE);
    ck_assert(skycrate_error_last()->message[0] != '\0');
}

/* ---- tree ---- */

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

/* ---- S3 <Error> ---- */

#define SIGNATURE "9f1c2d3e4a5b6c7d8e9fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1"

static void assert_no_signature(const skycrate__s3_error_doc *e)
{
    const char *fields[] = {e->code,   e->message,  e->request_id,     e->host_id,
                            e->region, e->endpoint, e->string_to_sign, e->canonical_request};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(fields); i++)
        if (fields[i]) {
            ck_assert_ptr_null(strstr(fields[i], SIGNATURE));
            ck_assert_ptr_null(strstr(fields[i], "SignatureProvided"));
        }
}

START_TEST(s3_error_reads_aws_signature_mismatch)
{
    size_t len;
    char *doc = load("aws_error_signature.xml", &len);
    ck_assert_ptr_nonnull(strstr(doc, "<SignatureProvided>" SIGNATURE));
    skycrate__s3_error_doc e;
    ck_assert_sky_ok(skycrate__s3_error_doc_parse(&e, doc, len));
    ck_assert_str_eq(e.code, "SignatureDoesNotMatch");
    ck_assert(strncmp(e.message, "The request signature we calculated", 35) == 0);
    ck_assert_str_eq(e.request_id, "4442587FB7D0A2F9");
    ck_assert(strncmp(e.host_id, "A1ksQ2", 6) == 0);
    ck_assert_str_eq(e.string_to_sign,
                     "AWS4-HMAC-SHA256\n20260522T101500Z\n"
                     "20260522/eu-west-1/s3/aws4_request\n"
                     "3b5e4c4b2d8a3c1f6a0f5d0b6b0e8e6f4a2d9c7b5a3e1f0d8c6b4a2e0f1d3c5b");
    ck_assert(strncmp(e.canonical_request, "PUT\n/uploads/u42/report.pdf\n\ncontent-type:", 42) ==
              0);
    ck_assert(strstr(e.canonical_request, "\n\ncontent-type;host;x-amz-content-sha256;x-amz-date\n"
                                          "UNSIGNED-PAYLOAD") != NULL);
    ck_assert_ptr_null(e.region);
    ck_assert_ptr_null(e.endpoint);
    assert_no_signature(&e);
    skycrate__s3_error_doc_dispose(&e);
    ck_assert_ptr_null(e.code);
    skycrate__s3_error_doc_dispose(&e); /* twice is harmless */
    free(doc);
}
END_TEST

static const struct {
    const char *file, *code, *message, *request_id, *region, *endpoint;
} error_docs[] = {
    {"rgw_error_signature.xml", "SignatureDoesNotMatch", "",
     "tx0000083a1842cb3554cec-006b034a2f-1008-default", NULL, NULL},
    {"rgw_error_nosuchbucket.xml", "NoSuchBucket", "",
     "tx00000716c767c49fdb213-006b034a2f-1008-default", NULL, NULL},
    {"rgw_error_nosuchkey.xml", "NoSuchKey", "", "tx000000dabf510f21cd996-006b034a2f-1008-default",
     NULL, NULL},
    {"rgw_error_bucketnotempty.xml", "BucketNotEmpty", "",
     "tx00000c3119e87673a4099-006b034a2f-1008-default", NULL, NULL},
    {"aws_error_redirect.xml", "PermanentRedirect",
     "The bucket you are attempting to access must be addressed using the specified endpoint. "
     "Please send all future requests to this endpoint.",
     "7KQZ3B9YV0M4D8XH", NULL, "skycrate-u42-1779444900.s3.eu-central-1.amazonaws.com"},
    {"aws_error_auth_header.xml", "AuthorizationHeaderMalformed",
     "The authorization header is malformed; the region 'us-east-1' is wrong; expecting "
     "'eu-west-1'",
     "9D2F1B7A6C5E4D3F", "eu-west-1", NULL},
    {"aws_error_xmlns.xml", "AccessDenied", "Access Denied", "8RJ3T6C0N1W5YKQA", NULL, NULL},
    {"aws_complete_error.xml", "InternalError",
     "We encountered an internal error. Please try again.", "656c76696e6727732072657175657374",
     NULL, NULL},
};

static void assert_str_or_null(const char *got, const char *want)
{
    if (want)
        ck_assert_str_eq(got, want);
    else
        ck_assert_ptr_null(got);
}

START_TEST(s3_error_reads_each_document)
{
    size_t len;
    char *doc = load(error_docs[_i].file, &len);
    skycrate__s3_error_doc e;
    ck_assert_sky_ok(skycrate__s3_error_doc_parse(&e, doc, len));
    ck_assert_str_eq(e.code, error_docs[_i].code);
    ck_assert_str_eq(e.message, error_docs[_i].message);
    ck_assert_str_eq(e.request_id, error_docs[_i].request_id);
    ck_assert_ptr_nonnull(e.host_id);
    assert_str_or_null(e.region, error_docs[_i].region);
    assert_str_or_null(e.endpoint, error_docs[_i].endpoint);
    ck_assert_ptr_null(e.string_to_sign);
    ck_assert_ptr_null(e.canonical_request);
    ck_assert_int_eq(skycrate__xml_root_is(doc, len, "Error"), 1);
    skycrate__s3_error_doc_dispose(&e);
    free(doc);
}
END_TEST

START_TEST(s3_error_rejects_other_roots)
{
    size_t len;
    char *doc = load("rgw_list_v2.xml", &len);
    skycrate__s3_error_doc e;
    expect_parse_error(skycrate__s3_error_doc_parse(&e, doc, len));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "<ListBucketResult>"));
    ck_assert_ptr_null(e.code);
    free(doc);
}
END_TEST

/* A counting allocator that looks into every block the library frees for a secret. */
static const char *watched;
static int watched_hits;

static void check_block(void *p)
{
    size_t n = malloc_usable_size(p), w = strlen(watched);
    for (size_t i = 0; i + w <= n; i++)
        if (memcmp((char *)p + i, watched, w) == 0)
            watched_hits++;
}

/* Zeroed, so that scanning a block never reads bytes nobody wrote. */
static void *w_malloc(size_t size, void *ud)
{
    (void)ud;
    return calloc(1, size);
}

static void w_free(void *p, void *ud)
{
    (void)ud;
    if (p)
        check_block(p);
    free(p);
}

static void *w_realloc(void *p, size_t size, void *ud)
{
    if (!p)
        return w_malloc(size, ud);
    void *n = w_malloc(size, ud);
    if (n) {
        size_t old = malloc_usable_size(p);
        memcpy(n, p, old < size ? old : size);
        w_free(p, ud);
    }
    return n;
}

static const skycrate_allocator watching = {w_malloc, w_realloc, w_free, NULL};

START_TEST(s3_error_signature_never_left_in_memory)
{
    ck_assert_int_eq(skycrate_global_init(&watching), 1);
    size_t len;
    char *doc = load("aws_error_signature.xml", &len);
    watched = SIGNATURE;
    watched_hits = 0;
    skycrate__s3_error_doc e;
    ck_assert_sky_ok(skycrate__s3_error_doc_parse(&e, doc, len));
    assert_no_signature(&e);
    skycrate__s3_error_doc_dispose(&e);
    /* The tree and expat's own buffers held it; every freed block was wiped. */
    ck_assert_int_eq(watched_hits, 0);
    /* The check itself works: a block freed unwiped is seen. */
    char *copy = skycrate__strdup(SIGNATURE);
    skycrate__free(copy);
    ck_assert_int_eq(watched_hits, 1);
    free(doc);
    skycrate_global_cleanup();
}
END_TEST

/* ---- listings ---- */

START_TEST(s3_list_v2_reads_aws_listing)
{
    size_t len;
    char *doc = load("aws_list_v2.xml", &len);
    skycrate__s3_list_v2 l;
    ck_assert_sky_ok(skycrate__s3_list_v2_parse(&l, doc, len));
    ck_assert_uint_eq(l.count, 3);
    ck_assert(!l.truncated);
    ck_assert_ptr_null(l.next_continuation_token);
    ck_assert_str_eq(l.entries[0].key, "uploads/u42/2f1c9a7e-report.pdf");
    ck_assert_str_eq(l.entries[0].etag, "\"599bab3ed2c697f1d26842727561fd94\"");
    ck_assert_str_eq(l.entries[0].storage_class, "STANDARD");
    ck_assert(l.entries[0].size == 142863);
    ck_assert_int_eq(l.entries[0].last_modified, 1779444942);
    ck_assert_ptr_null(l.entries[0].version_id);
    ck_assert(!l.entries[0].delete_marker);
    ck_assert(l.entries[1].size == 6442450944u);
    ck_assert_str_eq(l.entries[1].storage_class, "INTELLIGENT_TIERING");
    ck_assert_str_eq(l.entries[2].key, " ");
    ck_assert(l.entries[2].size == 0);
    skycrate__s3_list_v2_dispose(&l);
    ck_assert_ptr_null(l.entries);
    free(doc);
}
END_TEST

START_TEST(s3_list_v2_reads_truncated_and_radosgw_listings)
{
    size_t len;
    char *doc = load("aws_list_v2_truncated.xml", &len);
    skycrate__s3_list_v2 l;
    ck_assert_sky_ok(skycrate__s3_list_v2_parse(&l, doc, len));
    ck_assert(l.truncated);
    ck_assert_str_eq(l.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=2");
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.entries[0].etag, "\"3858f62230ac3c915f300c664312c11f\"");
    ck_assert_int_eq(l.entries[0].last_modified, 1779444942 - 7200);
    skycrate__s3_list_v2_dispose(&l);
    free(doc);

    doc = load("rgw_list_v2.xml", &len); /* radosgw answering encoding-type=url */
    ck_assert_sky_ok(skycrate__s3_list_v2_parse(&l, doc, len));
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(l.entries[0].key, "a");
    ck_assert_str_eq(l.entries[1].key, "docs/report & summary <v2>.pdf");
    ck_assert_str_eq(l.entries[1].etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    ck_assert(l.entries[1].size == 11);
    skycrate__s3_list_v2_dispose(&l);
    free(doc);

    doc = load("rgw_list_v2_truncated.xml", &len);
    ck_assert_sky_ok(skycrate__s3_list_v2_parse(&l, doc, len));
    ck_assert(l.truncated);
    ck_assert_str_eq(l.next_continuation_token, "a");
    skycrate__s3_list_v2_dispose(&l);
    free(doc);

    doc = load("rgw_encryption_unknown.xml", &len); /* a v1 listing, not truncated */
    ck_assert_sky_ok(skycrate__s3_list_v2_parse(&l, doc, len));
    ck_assert_str_eq(l.entries[0].key, "docs/report & summary <v2>.pdf");
    skycrate__s3_list_v2_dispose(&l);
    free(doc);
}
END_TEST

START_TEST(s3_list_v2_decodes_url_keys_and_prefixed_names)
{
    size_t len;
    char *doc = load("aws_list_v2_url.xml", &len);
    skycrate__s3_list_v2 l;
    ck_assert_sky_ok(skycrate__s3_list_v2_parse(&l, doc, len));
    ck_assert_str_eq(l.entries[0].key, "my report (final).pdf");
    ck_assert_str_eq(l.entries[1].key, "bell\a+1\xc3\xa9");
    skycrate__s3_list_v2_dispose(&l);
    free(doc);

    doc = load("aws_list_v2_prefixed.xml", &len);
    ck_assert_sky_ok(skycrate__s3_list_v2_parse(&l, doc, len));
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.entries[0].key, "k&1");
    ck_assert(l.entries[0].size == 5);
    ck_assert_int_eq(l.entries[0].last_modified, 1255369830);
    skycrate__s3_list_v2_dispose(&l);
    free(doc);
}
END_TEST

#define LIST_HEAD "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
static const struct {
    const char *what, *doc, *message;
} bad_listings[] = {
    {"bad size", LIST_HEAD "<Contents><Key>k</Key><Size>12a</Size></Contents></ListBucketResult>",
     "<Size>"},
    {"negative size",
     LIST_HEAD "<Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>", "<Size>"},
    {"huge size",
     LIST_HEAD
     "<Contents><Key>k</Key><Size>99999999999999999999</Size></Contents></ListBucketResult>",
     "<Size>"},
    {"bad date",
     LIST_HEAD "<Contents><Key>k</Key><LastModified>Tue, 12 Oct 2009 17:50:30 GMT</LastModified>"
               "</Contents></ListBucketResult>",
     "<LastModified>"},
    {"bad bool", LIST_HEAD "<IsTruncated>yes</IsTruncated></ListBucketResult>", "<IsTruncated>"},
    {"no key", LIST_HEAD "<Contents><Size>1</Size></Contents></ListBucketResult>", "<Key>"},
    {"empty key", LIST_HEAD "<Contents><Key></Key></Contents></ListBucketResult>", "<Key>"},
    {"truncated without token", LIST_HEAD "<IsTruncated>true</IsTruncated></ListBucketResult>",
     "<NextContinuationToken>"},
    {"bad url escape",
     LIST_HEAD
     "<EncodingType>url</EncodingType><Contents><Key>a%2</Key></Contents></ListBucketResult>",
     "URL"},
    {"url nul",
     LIST_HEAD "<EncodingType>url</EncodingType><Contents><Key>a%00b</Key></Contents>"
               "</ListBucketResult>",
     "URL"},
    {"wrong root", "<ListVersionsResult></ListVersionsResult>", "<ListVersionsResult>"},
    {"second entry bad",
     LIST_HEAD "<Contents><Key>a</Key><Size>1</Size></Contents><Contents><Key>b</Key><Size>x</Size>"
               "</Contents></ListBucketResult>",
     "<Size>"},
};

START_TEST(s3_list_v2_rejects_bad_values)
{
    const char *doc = bad_listings[_i].doc;
    skycrate__s3_list_v2 l;
    expect_parse_error(skycrate__s3_list_v2_parse(&l, doc, strlen(doc)));
    ck_assert_msg(strstr(skycrate_error_last()->message, bad_listings[_i].message) != NULL,
                  "%s: %s", bad_listings[_i].what, skycrate_error_last()->message);
    ck_assert_ptr_null(l.entries);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_null(l.next_continuation_token);
}
END_TEST

START_TEST(s3_list_versions_keeps_document_order)
{
    size_t len;
    char *doc = load("aws_list_versions.xml", &len);
    skycrate__s3_list_versions l;
    ck_assert_sky_ok(skycrate__s3_list_versions_parse(&l, doc, len));
    ck_assert_uint_eq(l.count, 4);
    ck_assert(l.truncated);
    ck_assert_str_eq(l.next_key_marker, "my-third-image.jpg");
    ck_assert_str_eq(l.next_version_id_marker, "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893");
    ck_assert_str_eq(l.entries[0].key, "my-image.jpg");
    ck_assert_str_eq(l.entries[0].version_id, "3/L4kqtJl40Nr8X8gdRQBpUMLUo");
    ck_assert(!l.entries[0].delete_marker && l.entries[0].is_latest);
    ck_assert(l.entries[0].size == 434234);
    ck_assert_int_eq(l.entries[0].last_modified, 1255369830);
    ck_assert(l.entries[1].delete_marker && l.entries[1].is_latest);
    ck_assert_str_eq(l.entries[1].key, "my-second-image.jpg");
    ck_assert_ptr_null(l.entries[1].etag);
    ck_assert(l.entries[1].size == 0);
    ck_assert(!l.entries[2].delete_marker && !l.entries[2].is_latest);
    ck_assert_str_eq(l.entries[2].version_id, "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893");
    ck_assert(l.entries[3].delete_marker && !l.entries[3].is_latest);
    ck_assert_str_eq(l.entries[3].version_id, "null");
    skycrate__s3_list_versions_dispose(&l);
    ck_assert_ptr_null(l.entries);
    free(doc);

    doc = load("rgw_list_versions.xml", &len);
    ck_assert_sky_ok(skycrate__s3_list_versions_parse(&l, doc, len));
    ck_assert_uint_eq(l.count, 5);
    ck_assert(!l.truncated);
    ck_assert_ptr_null(l.next_key_marker);
    ck_assert_str_eq(l.entries[2].key, "docs/report & summary <v2>.pdf");
    ck_assert(l.entries[3].delete_marker);
    ck_assert_str_eq(l.entries[3].key, "photos/2024/cat.jpg");
    ck_assert_str_eq(l.entries[3].version_id, "KYeYsRJE1qPGeZHUw93RtrCWLYT.kBb");
    ck_assert(!l.entries[4].delete_marker && !l.entries[4].is_latest);
    skycrate__s3_list_versions_dispose(&l);
    free(doc);

    doc = load("rgw_list_versions_truncated.xml", &len);
    ck_assert_sky_ok(skycrate__s3_list_versions_parse(&l, doc, len));
    ck_assert(l.truncated);
    ck_assert_str_eq(l.next_key_marker, "a");
    ck_assert_str_eq(l.next_version_id_marker, "LyEAdUHl0LeY8YAOykShyP4PT-bincQ");
    skycrate__s3_list_versions_dispose(&l);
    free(doc);
}
END_TEST

START_TEST(s3_list_versions_rejects_incomplete_entries)
{
    static const char *docs[] = {
        "<ListVersionsResult><Version><Key>a</Key></Version></ListVersionsResult>",
        "<ListVersionsResult><DeleteMarker><VersionId>v</VersionId></DeleteMarker>"
        "</ListVersionsResult>",
        "<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>",
        "<ListVersionsResult><Version><Key>a</Key><VersionId>v</VersionId><IsLatest>maybe"
        "</IsLatest></Version></ListVersionsResult>",
        "<ListBucketResult></ListBucketResult>",
    };
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(docs); i++) {
        skycrate__s3_list_versions l;
        expect_parse_error(skycrate__s3_list_versions_parse(&l, docs[i], strlen(docs[i])));
        ck_assert_ptr_null(l.entries);
    }
}
END_TEST

START_TEST(s3_list_uploads_reads_documents)
{
    size_t len;
    char *doc = load("aws_list_uploads.xml", &len);
    skycrate__s3_list_uploads l;
    ck_assert_sky_ok(skycrate__s3_list_uploads_parse(&l, doc, len));
    ck_assert_uint_eq(l.count, 3);
    ck_assert(l.truncated);
    ck_assert_str_eq(l.next_key_marker, "my-movie.m2ts");
    ck_assert_str_eq(l.next_upload_id_marker, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
    ck_assert_str_eq(l.uploads[0].key, "my-divisor");
    ck_assert_str_eq(l.uploads[0].upload_id, "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
    ck_assert_int_eq(l.uploads[0].initiated, 1289422113);
    ck_assert_str_eq(l.uploads[2].key, "my-movie.m2ts");
    skycrate__s3_list_uploads_dispose(&l);
    free(doc);

    doc = load("rgw_list_uploads.xml", &len);
    ck_assert_sky_ok(skycrate__s3_list_uploads_parse(&l, doc, len));
    ck_assert_uint_eq(l.count, 2);
    ck_assert(!l.truncated);
    ck_assert_ptr_null(l.next_key_marker); /* sent, but meaningless when not truncated */
    ck_assert_str_eq(l.uploads[1].upload_id, "2~EIzX50YrKDIc0X5eKw16VNdwehER5T4");
    skycrate__s3_list_uploads_dispose(&l);
    free(doc);

    doc = load("rgw_list_uploads_truncated.xml", &len);
    ck_assert_sky_ok(skycrate__s3_list_uploads_parse(&l, doc, len));
    ck_assert(l.truncated);
    ck_assert_str_eq(l.next_key_marker, "big/other.bin");
    ck_assert_str_eq(l.next_upload_id_marker, "2~roKAvefPGVe-YbY0MQl0inFx4aCUw7b");
    skycrate__s3_list_uploads_dispose(&l);
    free(doc);

    static const char bad[] = "<ListMultipartUploadsResult><Upload><Key>k</Key><UploadId>u"
                              "</UploadId><Initiated>yesterday</Initiated></Upload>"
                              "</ListMultipartUploadsResult>";
    expect_parse_error(skycrate__s3_list_uploads_parse(&l, bad, strlen(bad)));
    ck_assert_ptr_null(l.uploads);
    static const char no_id[] =
        "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload></ListMultipartUploadsResult>";
    expect_parse_error(skycrate__s3_list_uploads_parse(&l, no_id, strlen(no_id)));
}
END_TEST

/* ---- multipart, DeleteObjects, location, roots ---- */

START_TEST(s3_multipart_results)
{
    size_t len;
    char *doc = load("aws_initiate.xml", &len);
    skycrate__s3_initiate_doc init;
    ck_assert_sky_ok(skycrate__s3_initiate_doc_parse(&init, doc, len));
    ck_assert_str_eq(init.bucket, "skycrate-u42-1779444900");
    ck_assert_str_eq(init.key, "uploads/u42/big-video.mp4");
    ck_assert_str_eq(init.upload_id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    skycrate__s3_initiate_doc_dispose(&init);
    free(doc);
    doc = load("rgw_initiate.xml", &len);
    ck_assert_sky_ok(skycrate__s3_initiate_doc_parse(&init, doc, len));
    ck_assert_str_eq(init.upload_id, "2~EIzX50YrKDIc0X5eKw16VNdwehER5T4");
    skycrate__s3_initiate_doc_dispose(&init);
    free(doc);
    static const char no_id[] = "<InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId/></"
                                "InitiateMultipartUploadResult>";
    expect_parse_error(skycrate__s3_initiate_doc_parse(&init, no_id, strlen(no_id)));
    ck_assert_ptr_null(init.bucket);

    skycrate__s3_complete_doc done;
    doc = load("aws_complete.xml", &len);
    ck_assert_sky_ok(skycrate__s3_complete_doc_parse(&done, doc, len));
    ck_assert_str_eq(done.location, "https://skycrate-u42-1779444900.s3.eu-west-1.amazonaws.com/"
                                    "uploads/u42/big-video.mp4");
    ck_assert_str_eq(done.bucket, "skycrate-u42-1779444900");
    ck_assert_str_eq(done.key, "uploads/u42/big-video.mp4");
    ck_assert_str_eq(done.etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    skycrate__s3_complete_doc_dispose(&done);
    free(doc);
    doc = load("rgw_complete.xml", &len);
    ck_assert_sky_ok(skycrate__s3_complete_doc_parse(&done, doc, len));
    ck_assert_str_eq(done.key, "big/other.bin");
    ck_assert_str_eq(done.etag, "");
    skycrate__s3_complete_doc_dispose(&done);
    free(doc);
    /* 200 with an <Error> body: the root check tells it apart. */
    doc = load("aws_complete_error.xml", &len);
    expect_parse_error(skycrate__s3_complete_doc_parse(&done, doc, len));
    ck_assert_ptr_null(done.etag);
    ck_assert_int_eq(skycrate__xml_root_is(doc, len, "Error"), 1);
    ck_assert_int_eq(skycrate__xml_root_is(doc, len, "CompleteMultipartUploadResult"), 0);
    free(doc);
}
END_TEST

START_TEST(s3_delete_result_reads_deleted_and_errors)
{
    size_t len;
    char *doc = load("aws_delete_result.xml", &len);
    skycrate__s3_delete_result r;
    ck_assert_sky_ok(skycrate__s3_delete_result_parse(&r, doc, len));
    ck_assert_uint_eq(r.deleted_count, 3);
    ck_assert_uint_eq(r.error_count, 2);
    ck_assert_str_eq(r.deleted[0].key, "sample1.txt");
    ck_assert_ptr_null(r.deleted[0].version_id);
    ck_assert(!r.deleted[0].delete_marker);
    ck_assert_str_eq(r.deleted[1].version_id, "OYcLXagmS.WaD..oyH4KRguB95_YhLs7");
    ck_assert(r.deleted[2].delete_marker);
    ck_assert_str_eq(r.deleted[2].delete_marker_version_id, "NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s");
    ck_assert_str_eq(r.errors[0].key, "sample2.txt");
    ck_assert_str_eq(r.errors[0].code, "AccessDenied");
    ck_assert_str_eq(r.errors[0].message, "Access Denied");
    ck_assert_ptr_null(r.errors[0].version_id);
    ck_assert_str_eq(r.errors[1].version_id, "3/L4kqtJl40Nr8X8gdRQBpUMLUo");
    ck_assert_str_eq(r.errors[1].code, "InternalError");
    skycrate__s3_delete_result_dispose(&r);
    ck_assert_ptr_null(r.deleted);
    free(doc);

    doc = load("rgw_delete_result.xml", &len);
    ck_assert_sky_ok(skycrate__s3_delete_result_parse(&r, doc, len));
    ck_assert_uint_eq(r.deleted_count, 4);
    ck_assert_uint_eq(r.error_count, 0);
    ck_assert_ptr_null(r.errors);
    ck_assert_str_eq(r.deleted[3].version_id, "xyqv9OpuXR..fsxIKteIOONzu31f4nl");
    skycrate__s3_delete_result_dispose(&r);
    free(doc);

    doc = load("rgw_delete_result_markers.xml", &len);
    ck_assert_sky_ok(skycrate__s3_delete_result_parse(&r, doc, len));
    ck_assert(r.deleted[1].delete_marker);
    ck_assert_str_eq(r.deleted[1].delete_marker_version_id, "G-jYiBeI8XPk6JF71SYlFHkl2cY1BNb");
    skycrate__s3_delete_result_dispose(&r);
    free(doc);

    static const char quiet[] = "<DeleteResult/>";
    ck_assert_sky_ok(skycrate__s3_delete_result_parse(&r, quiet, strlen(quiet)));
    ck_assert_uint_eq(r.deleted_count + r.error_count, 0);
    static const char bad[] = "<DeleteResult><Deleted><Key>a</Key><DeleteMarker>on</DeleteMarker>"
                              "</Deleted></DeleteResult>";
    expect_parse_error(skycrate__s3_delete_result_parse(&r, bad, strlen(bad)));
    static const char no_key[] = "<DeleteResult><Error><Code>x</Code></Error></DeleteResult>";
    expect_parse_error(skycrate__s3_delete_result_parse(&r, no_key, strlen(no_key)));
    ck_assert_ptr_null(r.errors);
}
END_TEST

START_TEST(s3_location_maps_empty_and_eu)
{
    static const struct {
        const char *file, *region;
    } cases[] = {{"aws_location_empty.xml", "us-east-1"},
                 {"aws_location_eu.xml", "eu-west-1"},
                 {"aws_location_eu_central.xml", "eu-central-1"},
                 {"rgw_location.xml", "default"}};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(cases); i++) {
        size_t len;
        char *doc = load(cases[i].file, &len);
        char *region = NULL;
        ck_assert_sky_ok(skycrate__s3_location_parse(&region, doc, len));
        ck_assert_str_eq(region, cases[i].region);
        skycrate__free(region);
        free(doc);
    }
    char *region = (char *)1;
    static const char blank[] = "<LocationConstraint>\n  </LocationConstraint>";
    ck_assert_sky_ok(skycrate__s3_location_parse(&region, blank, strlen(blank)));
    ck_assert_str_eq(region, "us-east-1");
    skycrate__free(region);
    static const char wrong[] = "<Location>eu-west-1</Location>";
    expect_parse_error(skycrate__s3_location_parse(&region, wrong, strlen(wrong)));
    ck_assert_ptr_null(region);
}
END_TEST

START_TEST(root_check_catches_listing_for_unknown_subresource)
{
    size_t len;
    char *doc = load("rgw_encryption_unknown.xml", &len);
    ck_assert_int_eq(skycrate__xml_root_is(doc, len, "ServerSideEncryptionConfiguration"), 0);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EPARSE);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "ListBucketResult"));
    ck_assert_int_eq(skycrate__xml_root_is(doc, len, "ListBucketResult"), 1);
    free(doc);
    doc = load("aws_encryption.xml", &len);
    ck_assert_int_eq(skycrate__xml_root_is(doc, len, "ServerSideEncryptionConfiguration"), 1);
    ck_assert_int_eq(skycrate__xml_root_is(doc, len - 10, "ServerSideEncryptionConfiguration"), 0);
    free(doc);
}
END_TEST

/* ---- STS ---- */

#define STS_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"

START_TEST(sts_reads_assume_role_documents)
{
    size_t len;
    char *doc = load("sts_assume_role.xml", &len);
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

    doc = load("sts_web_identity.xml", &len);
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
        char *doc = load(files[i], &len);
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
    char *doc = load("sts_error.xml", &len);
    skycrate__sts_error_doc e;
    ck_assert_sky_ok(skycrate__sts_error_doc_parse(&e, doc, len));
    ck_assert_str_eq(e.type, "Sender");
    ck_assert_str_eq(e.code, "InvalidIdentityToken");
    ck_assert_str_eq(
        e.message, "No OpenIDConnect provider found in your account for https://oidc.example.com");
    ck_assert_str_eq(e.request_id, "b7e9c2a1-4d5f-4e6a-9b8c-0d1e2f3a4b5c");
    skycrate__sts_error_doc_dispose(&e);
    free(doc);

    doc = load("sts_error_s3style.xml", &len);
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

/* ---- allocation failures: every allocation, expat's included ---- */

typedef int (*reader_fn)(const char *xml, size_t len);

static int run_tree(const char *xml, size_t len)
{
    skycrate__xml_node *root = NULL;
    int rc = skycrate__xml_parse(&root, xml, len);
    skycrate__xml_free(root);
    return rc;
}

#define READER(fname, type, parse, dispose)                                                        \
    static int fname(const char *xml, size_t len)                                                  \
    {                                                                                              \
        type doc;                                                                                  \
        int rc = parse(&doc, xml, len);                                                            \
        dispose(&doc);                                                                             \
        return rc;                                                                                 \
    }
READER(run_error, skycrate__s3_error_doc, skycrate__s3_error_doc_parse,
       skycrate__s3_error_doc_dispose)
READER(run_list_v2, skycrate__s3_list_v2, skycrate__s3_list_v2_parse, skycrate__s3_list_v2_dispose)
READER(run_versions, skycrate__s3_list_versions, skycrate__s3_list_versions_parse,
       skycrate__s3_list_versions_dispose)
READER(run_uploads, skycrate__s3_list_uploads, skycrate__s3_list_uploads_parse,
       skycrate__s3_list_uploads_dispose)
READER(run_initiate, skycrate__s3_initiate_doc, skycrate__s3_initiate_doc_parse,
       skycrate__s3_initiate_doc_dispose)
READER(run_complete, skycrate__s3_complete_doc, skycrate__s3_complete_doc_parse,
       skycrate__s3_complete_doc_dispose)
READER(run_delete, skycrate__s3_delete_result, skycrate__s3_delete_result_parse,
       skycrate__s3_delete_result_dispose)
READER(run_sts, skycrate__sts_credentials_doc, skycrate__sts_credentials_parse,
       skycrate__sts_credentials_dispose)
READER(run_sts_error, skycrate__sts_error_doc, skycrate__sts_error_doc_parse,
       skycrate__sts_error_doc_dispose)

static int run_location(const char *xml, size_t len)
{
    char *region = NULL;
    int rc = skycrate__s3_location_parse(&region, xml, len);
    skycrate__free(region);
    return rc;
}

static int run_root_is(const char *xml, size_t len)
{
    int rc = skycrate__xml_root_is(xml, len, "ListBucketResult");
    return rc == 1 ? 0 : rc == 0 ? SKYCRATE_ERROR : rc;
}

static const struct {
    const char *file;
    reader_fn fn;
} enomem_cases[] = {
    {"aws_list_versions.xml", run_tree},     {"aws_error_signature.xml", run_error},
    {"rgw_error_nosuchkey.xml", run_error},  {"aws_list_v2.xml", run_list_v2},
    {"rgw_list_v2.xml", run_list_v2},        {"aws_list_versions.xml", run_versions},
    {"rgw_list_versions.xml", run_versions}, {"aws_list_uploads.xml", run_uploads},
    {"aws_initiate.xml", run_initiate},      {"aws_complete.xml", run_complete},
    {"aws_delete_result.xml", run_delete},   {"aws_location_empty.xml", run_location},
    {"aws_location_eu.xml", run_location},   {"rgw_encryption_unknown.xml", run_root_is},
    {"sts_assume_role.xml", run_sts},        {"sts_web_identity.xml", run_sts},
    {"sts_error.xml", run_sts_error},
};

START_TEST(every_allocation_failure_is_enomem_without_leaks)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    size_t len;
    char *doc = load(enomem_cases[_i].file, &len);
    long n;
    for (n = 1;; n++) {
        testalloc_fail_at(n);
        int rc = enomem_cases[_i].fn(doc, len);
        testalloc_fail_at(0);
        ck_assert_int_eq(testalloc_outstanding(), 0);
        if (rc == 0)
            break;
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "%s: allocation %ld failed gave %d (%s)",
                      enomem_cases[_i].file, n, rc, skycrate_error_last()->message);
        ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ENOMEM);
    }
    ck_assert_msg(n > 5, "only %ld allocations: expat is not on the seam", n);
    free(doc);
    skycrate_global_cleanup();
}
END_TEST

static Suite *xml_suite(void)
{
    Suite *s = suite_create("xml");
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
    tc = tcase_create("s3_error");
    tcase_add_test(tc, s3_error_reads_aws_signature_mismatch);
    tcase_add_loop_test(tc, s3_error_reads_each_document, 0, (int)SKYCRATE_ARRAY_SIZE(error_docs));
    tcase_add_test(tc, s3_error_rejects_other_roots);
    tcase_add_test(tc, s3_error_signature_never_left_in_memory);
    suite_add_tcase(s, tc);
    tc = tcase_create("s3_listings");
    tcase_add_test(tc, s3_list_v2_reads_aws_listing);
    tcase_add_test(tc, s3_list_v2_reads_truncated_and_radosgw_listings);
    tcase_add_test(tc, s3_list_v2_decodes_url_keys_and_prefixed_names);
    tcase_add_loop_test(tc, s3_list_v2_rejects_bad_values, 0,
                        (int)SKYCRATE_ARRAY_SIZE(bad_listings));
    tcase_add_test(tc, s3_list_versions_keeps_document_order);
    tcase_add_test(tc, s3_list_versions_rejects_incomplete_entries);
    tcase_add_test(tc, s3_list_uploads_reads_documents);
    suite_add_tcase(s, tc);
    tc = tcase_create("s3_results");
    tcase_add_test(tc, s3_multipart_results);
    tcase_add_test(tc, s3_delete_result_reads_deleted_and_errors);
    tcase_add_test(tc, s3_location_maps_empty_and_eu);
    tcase_add_test(tc, root_check_catches_listing_for_unknown_subresource);
    suite_add_tcase(s, tc);
    tc = tcase_create("sts");
    tcase_add_test(tc, sts_reads_assume_role_documents);
    tcase_add_loop_test(tc, sts_rejects_incomplete_credentials, 0,
                        (int)SKYCRATE_ARRAY_SIZE(bad_sts));
    tcase_add_test(tc, sts_secrets_are_wiped);
    tcase_add_test(tc, sts_reads_error_documents);
    suite_add_tcase(s, tc);
    tc = tcase_create("escape");
    tcase_add_test(tc, escape_writes_entities_and_round_trips);
    tcase_add_test(tc, escape_text_keeps_quotes_as_elementtree_does);
    suite_add_tcase(s, tc);
    tc = tcase_create("enomem");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_allocation_failure_is_enomem_without_leaks, 0,
                        (int)SKYCRATE_ARRAY_SIZE(enomem_cases));
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(xml_suite)
