/*
 * libFuzzer target: the element tree and every S3 reader of lib/xml, plus an escape round
 * trip. Build and run: fuzz/README.md.
 */
#include "fuzz_common.h"
#include "xml/s3.h"
#include "xml/xml.h"

/* Walks the tree and checks its links and limits. */
static void check_tree(const skycrate__xml_node *root)
{
    FUZZ_CHECK(root->parent == NULL && root->next_sibling == NULL);
    const skycrate__xml_node *n = root;
    size_t depth = 1, count = 0;
    while (n) {
        FUZZ_CHECK(n->name != NULL && n->text != NULL);
        FUZZ_CHECK(strlen(n->text) <= SKYCRATE_XML_MAX_TEXT);
        FUZZ_CHECK(depth <= SKYCRATE_XML_MAX_DEPTH);
        FUZZ_CHECK(++count <= SKYCRATE_XML_MAX_ELEMENTS);
        if (n->first_child) {
            FUZZ_CHECK(n->first_child->parent == n);
            FUZZ_CHECK(skycrate__xml_child(n, n->first_child->name) == n->first_child);
            n = n->first_child;
            depth++;
            continue;
        }
        while (n && !n->next_sibling) {
            n = n->parent;
            depth--;
        }
        if (n) {
            FUZZ_CHECK(n->next_sibling->parent == n->parent);
            n = n->next_sibling;
        }
    }
}

static int run_tree(const char *data, size_t size)
{
    skycrate__xml_node *root = NULL;
    int rc = skycrate__xml_parse(&root, data, size);
    FUZZ_CHECK((rc == 0) == (root != NULL));
    if (root)
        check_tree(root);
    skycrate__xml_free(root);
    return rc;
}

static int run_error(const char *data, size_t size)
{
    skycrate__s3_error_doc e;
    int rc = skycrate__s3_error_doc_parse(&e, data, size);
    if (rc < 0)
        FUZZ_CHECK(fuzz_all_zero(&e, sizeof(e)));
    skycrate__s3_error_doc_dispose(&e);
    return rc;
}

static void check_entries(const skycrate__s3_entry *entries, size_t count, bool versions)
{
    for (size_t i = 0; i < count; i++) {
        FUZZ_CHECK(entries[i].key && entries[i].key[0]);
        FUZZ_CHECK(!versions || (entries[i].version_id && entries[i].version_id[0]));
        FUZZ_CHECK(versions || !entries[i].delete_marker);
    }
}

static int run_list_v2(const char *data, size_t size)
{
    skycrate__s3_list_v2 l;
    int rc = skycrate__s3_list_v2_parse(&l, data, size);
    if (rc < 0) {
        FUZZ_CHECK(fuzz_all_zero(&l, sizeof(l)));
    } else {
        check_entries(l.entries, l.count, false);
        FUZZ_CHECK(l.truncated == (l.next_continuation_token != NULL));
    }
    skycrate__s3_list_v2_dispose(&l);
    return rc;
}

static int run_versions(const char *data, size_t size)
{
    skycrate__s3_list_versions l;
    int rc = skycrate__s3_list_versions_parse(&l, data, size);
    if (rc < 0) {
        FUZZ_CHECK(fuzz_all_zero(&l, sizeof(l)));
    } else {
        check_entries(l.entries, l.count, true);
        FUZZ_CHECK(l.truncated == (l.next_key_marker != NULL));
    }
    skycrate__s3_list_versions_dispose(&l);
    return rc;
}

static int run_uploads(const char *data, size_t size)
{
    skycrate__s3_list_uploads l;
    int rc = skycrate__s3_list_uploads_parse(&l, data, size);
    if (rc < 0) {
        FUZZ_CHECK(fuzz_all_zero(&l, sizeof(l)));
    } else {
        for (size_t i = 0; i < l.count; i++)
            FUZZ_CHECK(l.uploads[i].key && l.uploads[i].upload_id && l.uploads[i].upload_id[0]);
        FUZZ_CHECK(l.truncated == (l.next_key_marker != NULL));
    }
    skycrate__s3_list_uploads_dispose(&l);
    return rc;
}

static int run_parts(const char *data, size_t size)
{
    skycrate__s3_list_parts l;
    int rc = skycrate__s3_list_parts_parse(&l, data, size);
    if (rc < 0) {
        FUZZ_CHECK(fuzz_all_zero(&l, sizeof(l)));
    } else {
        for (size_t i = 0; i < l.count; i++)
            FUZZ_CHECK(l.parts[i].number >= 1 && l.parts[i].number <= 10000 && l.parts[i].etag);
        FUZZ_CHECK(!l.truncated || (l.next_marker >= 1 && l.next_marker <= 10000));
    }
    skycrate__s3_list_parts_dispose(&l);
    return rc;
}

/* ListBuckets, asked whether it names the bucket a resumed provisioning's record holds. */
static int run_buckets(const char *data, size_t size)
{
    bool found = true;
    int rc = skycrate__s3_buckets_has(&found, data, size, "skycrate-u42-20261122191500");
    FUZZ_CHECK(rc == 0 || !found);
    return rc;
}

static int run_initiate(const char *data, size_t size)
{
    skycrate__s3_initiate_doc d;
    int rc = skycrate__s3_initiate_doc_parse(&d, data, size);
    FUZZ_CHECK(rc < 0 ? fuzz_all_zero(&d, sizeof(d)) : d.upload_id && d.upload_id[0]);
    skycrate__s3_initiate_doc_dispose(&d);
    return rc;
}

static int run_complete(const char *data, size_t size)
{
    skycrate__s3_complete_doc d;
    int rc = skycrate__s3_complete_doc_parse(&d, data, size);
    if (rc < 0)
        FUZZ_CHECK(fuzz_all_zero(&d, sizeof(d)));
    skycrate__s3_complete_doc_dispose(&d);
    return rc;
}

static int run_delete(const char *data, size_t size)
{
    skycrate__s3_delete_result r;
    int rc = skycrate__s3_delete_result_parse(&r, data, size);
    if (rc < 0) {
        FUZZ_CHECK(fuzz_all_zero(&r, sizeof(r)));
    } else {
        for (size_t i = 0; i < r.deleted_count; i++)
            FUZZ_CHECK(r.deleted[i].key && r.deleted[i].key[0]);
        for (size_t i = 0; i < r.error_count; i++)
            FUZZ_CHECK(r.errors[i].key && r.errors[i].key[0]);
    }
    skycrate__s3_delete_result_dispose(&r);
    return rc;
}

static int run_location(const char *data, size_t size)
{
    char *region = NULL;
    int rc = skycrate__s3_location_parse(&region, data, size);
    FUZZ_CHECK(rc < 0 ? region == NULL : region && region[0]);
    skycrate__free(region);
    return rc;
}

static int run_root_is(const char *data, size_t size)
{
    int rc = skycrate__xml_root_is(data, size, "ListBucketResult");
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == SKYCRATE_ENOMEM);
    /* fuzz_run() expects 0 / EPARSE / ENOMEM */
    return rc == 1 ? 0 : rc == 0 ? SKYCRATE_EPARSE : rc;
}

/* Escaping the input (up to its first NUL) into an element and parsing it back gives the
 * input again, unless XML cannot carry it (control characters, bad UTF-8). */
static void check_escape(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    skycrate__buf b = SKYCRATE_BUF_INIT;
    FUZZ_CHECK(skycrate__buf_puts(&b, "<a>") == 0);
    int rc = skycrate__xml_escape(&b, s);
    FUZZ_CHECK(rc == 0 || rc == SKYCRATE_EINVAL);
    if (rc == 0) {
        FUZZ_CHECK(skycrate__buf_puts(&b, "</a>") == 0);
        skycrate__xml_node *root = NULL;
        rc = skycrate__xml_parse(&root, b.ptr, b.len);
        FUZZ_CHECK(rc == 0 || rc == SKYCRATE_EPARSE);
        if (rc == 0)
            FUZZ_CHECK(strcmp(root->text, s) == 0);
        skycrate__xml_free(root);
    } else {
        FUZZ_CHECK(strcmp(skycrate__buf_cstr(&b), "<a>") == 0);
    }
    skycrate__buf_dispose(&b);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fuzz_reader readers[] = {run_tree,    run_error,    run_list_v2,  run_versions,
                                          run_uploads, run_parts,    run_initiate, run_complete,
                                          run_delete,  run_location, run_buckets,  run_root_is};
    long fail_at = fuzz_pick_failure(data, size);
    for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
        fuzz_run(readers[i], (const char *)data, size, fail_at);
    if (size <= 4096)
        check_escape(data, size);
    FUZZ_CHECK(fuzz_outstanding == 0);
    return 0;
}
