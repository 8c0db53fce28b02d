/*
 * Fixture of the provisioner tests (see provfixture.h).
 */
#include "provfixture.h"

#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/time.h"
#include "provision/provisioner.h"
#include "store/store.h"
#include "testutil.h"
#include "testvectors.h"

static int64_t frozen(void *ud)
{
    (void)ud;
    return PROV_T0_MS;
}

void prov_fixture_client(prov_fixture *f, const char *region, const char *endpoint)
{
    skycrate_client_free(f->client);
    skycrate_credentials *creds;
    skycrate_credentials_provider *provider;
    ck_assert_int_eq(skycrate_credentials_new(&creds, "AKIDEXAMPLE",
                                              "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0),
                     0);
    ck_assert_int_eq(skycrate_credentials_provider_new_static(&provider, creds), 0);
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg;
    ck_assert_int_eq(skycrate_client_config_new(&cfg), 0);
    if (endpoint) {
        ck_assert_int_eq(skycrate_client_config_set_endpoint(cfg, endpoint), 0);
        ck_assert_int_eq(skycrate_client_config_set_allow_http(cfg, 1), 0);
    }
    ck_assert_int_eq(skycrate_client_config_set_region(cfg, region), 0);
    ck_assert_int_eq(skycrate_client_config_set_retry(cfg, 2, 1, 2), 0);
    ck_assert_int_eq(skycrate_client_config_set_credentials_provider(cfg, provider), 0);
    skycrate_credentials_provider_unref(provider);
    skycrate_http_transport *t = mock_transport_new(f->mock);
    ck_assert_int_eq(skycrate_client_config_set_transport(cfg, t), 0);
    skycrate_http_transport_unref(t);
    int rc = skycrate_client_new(&f->client, cfg);
    ck_assert_msg(rc == 0, "client: %s", skycrate_error_last()->message);
    skycrate_client_config_free(cfg);
}

void prov_fixture_init(prov_fixture *f, const char *region, const char *endpoint,
                       unsigned int lanes)
{
    memset(f, 0, sizeof(*f));
    skycrate__clock_override(frozen, NULL);
    f->mock = mock_new();
    mock_set_concurrency(f->mock, lanes);
    prov_fixture_client(f, region, endpoint);
    snprintf(f->dir, sizeof(f->dir), "/tmp/skycrate-prov-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    snprintf(f->store_path, sizeof(f->store_path), "%s/users.json", f->dir);
}

void prov_fixture_dispose(prov_fixture *f)
{
    skycrate_client_free(f->client);
    f->client = NULL;
    mock_free(f->mock);
    f->mock = NULL;
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char p[512];
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
        rmdir(f->dir);
    }
    skycrate__clock_override(NULL, NULL);
}

void prov_use_store_file(skycrate_provisioner_config *cfg, const char *path)
{
    skycrate_user_store *store = NULL;
    ck_assert_int_eq(skycrate_user_store_new_file(&store, path, 0), 0);
    ck_assert_int_eq(skycrate_provisioner_config_set_store(cfg, store), 0);
    skycrate_user_store_unref(store);
}

skycrate_provisioner_config *prov_config(const prov_fixture *f)
{
    skycrate_provisioner_config *cfg;
    ck_assert_int_eq(skycrate_provisioner_config_new(&cfg), 0);
    prov_use_store_file(cfg, f->store_path);
    return cfg;
}

void prov_block_only_profile(skycrate_provisioner_config *cfg)
{
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_encryption(cfg, SKYCRATE_ENCRYPTION_NONE, NULL, 0));
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_object_ownership(cfg, SKYCRATE_OWNERSHIP_UNSET));
    ck_assert_sky_ok(skycrate_provisioner_config_set_tls_only_policy(cfg, 0));
    ck_assert_sky_ok(skycrate_provisioner_config_set_abort_multipart_days(cfg, 0));
    ck_assert_sky_ok(skycrate_provisioner_config_set_tagging(cfg, 0));
}

void prov_golden_profile(skycrate_provisioner_config *cfg)
{
    ck_assert_int_eq(skycrate_provisioner_config_add_cors_origin(cfg, "https://app.example.com"),
                     0);
    ck_assert_int_eq(skycrate_provisioner_config_add_cors_origin(cfg, "http://localhost:3000"), 0);
    ck_assert_int_eq(skycrate_provisioner_config_set_cors_max_age(cfg, 3000), 0);
    ck_assert_int_eq(skycrate_provisioner_config_set_application(cfg, "photos"), 0);
    ck_assert_int_eq(skycrate_provisioner_config_add_tag(cfg, "team", "web + mobile @ 2024"), 0);
}

skycrate_provisioner *prov_new(prov_fixture *f, const skycrate_provisioner_config *cfg)
{
    skycrate_provisioner *p = NULL;
    int rc = skycrate_provisioner_new(&p, f->client, cfg);
    ck_assert_msg(rc == 0, "provisioner: %s", skycrate_error_last()->message);
    p->tuning.nosuchbucket_delay_ms = 1;
    p->tuning.confirm_delay_ms = 1;
    return p;
}

typedef struct memory_store {
    pthread_mutex_t lock;
    char *users[16];
    char *texts[16];
    size_t count;
} memory_store;

static size_t memory_find(memory_store *m, const char *user_id)
{
    size_t i = 0;
    while (i < m->count && strcmp(m->users[i], user_id) != 0)
        i++;
    return i;
}

static int memory_get(skycrate_user_store_value *out, const char *user_id, uint32_t flags, void *ud)
{
    (void)flags;
    memory_store *m = ud;
    pthread_mutex_lock(&m->lock);
    size_t i = memory_find(m, user_id);
    int rc = i < m->count ? skycrate_user_store_value_set(out, m->texts[i], strlen(m->texts[i]))
                          : SKYCRATE_ENOTFOUND;
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int memory_put(const char *user_id, const char *json, const char *expected, uint32_t flags,
                      void *ud)
{
    (void)flags;
    memory_store *m = ud;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    size_t i = memory_find(m, user_id);
    bool exists = i < m->count;
    if (exists != (expected != NULL) || (exists && strcmp(m->texts[i], expected) != 0)) {
        rc = SKYCRATE_ECONFLICT;
    } else if (exists) {
        free(m->texts[i]);
        m->texts[i] = strdup(json);
    } else {
        ck_assert_uint_lt(m->count, 16);
        m->users[m->count] = strdup(user_id);
        m->texts[m->count++] = strdup(json);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int memory_remove(const char *user_id, const char *expected, uint32_t flags, void *ud)
{
    (void)flags;
    memory_store *m = ud;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    size_t i = memory_find(m, user_id);
    if (i == m->count) {
        rc = SKYCRATE_ENOTFOUND;
    } else if (expected && strcmp(m->texts[i], expected) != 0) {
        rc = SKYCRATE_ECONFLICT;
    } else {
        free(m->users[i]);
        free(m->texts[i]);
        m->users[i] = m->users[--m->count];
        m->texts[i] = m->texts[m->count];
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static void memory_free(void *ud)
{
    memory_store *m = ud;
    for (size_t i = 0; i < m->count; i++) {
        free(m->users[i]);
        free(m->texts[i]);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

skycrate_user_store *prov_memory_store(void)
{
    memory_store *m = calloc(1, sizeof(*m));
    ck_assert_ptr_nonnull(m);
    pthread_mutex_init(&m->lock, NULL);
    skycrate_user_store_callbacks cb;
    skycrate_user_store_callbacks_init(
        &cb,
        SKYCRATE_USER_STORE_CALLBACKS_VERSION); /* zero padding too: the table is copied byte for byte */
    cb.get = memory_get;
    cb.put = memory_put;
    cb.remove = memory_remove;
    cb.free = memory_free;
    cb.user_data = m;
    skycrate_user_store *store = NULL;
    ck_assert_int_eq(skycrate_user_store_new(&store, &cb), 0);
    return store;
}

const char *prov_memory_record(const skycrate_user_store *store, const char *user_id)
{
    memory_store *m = store->callbacks.user_data;
    size_t i = memory_find(m, user_id);
    return i < m->count ? m->texts[i] : NULL;
}

json_t *prov_record(const prov_fixture *f, const char *user_id)
{
    json_error_t jerr;
    json_t *doc = json_load_file(f->store_path, 0, &jerr);
    if (!doc)
        return NULL;
    json_t *r = json_incref(json_object_get(json_object_get(doc, "users"), user_id));
    json_decref(doc);
    return r;
}

const char *prov_str(const json_t *record, const char *field)
{
    const char *s = json_string_value(json_object_get(record, field));
    return s ? s : "";
}

size_t mock_count(mock_transport *m, const char *method, const char *url_part)
{
    size_t n = 0;
    for (size_t i = 0; i < mock_request_count(m); i++) {
        const mock_req *r = mock_request(m, i);
        if ((!method || !strcmp(r->method, method)) && strstr(r->url, url_part))
            n++;
    }
    return n;
}

static int pair_cmp(const void *pa, const void *pb)
{
    const skycrate__kv *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->value, b->value);
}

/* Same base URL, and the same decoded query parameters in any order. */
static bool same_url(const char *got, const char *want)
{
    const char *qg = strchr(got, '?'), *qw = strchr(want, '?');
    size_t bg = qg ? (size_t)(qg - got) : strlen(got), bw = qw ? (size_t)(qw - want) : strlen(want);
    if (bg != bw || memcmp(got, want, bg) != 0)
        return false;
    kv_list a = {0}, b = {0};
    parse_query(&a, qg ? qg + 1 : "");
    parse_query(&b, qw ? qw + 1 : "");
    bool same = a.count == b.count;
    qsort(a.items, a.count, sizeof(skycrate__kv), pair_cmp);
    qsort(b.items, b.count, sizeof(skycrate__kv), pair_cmp);
    for (size_t i = 0; same && i < a.count; i++)
        same = !strcmp(a.items[i].name, b.items[i].name) &&
               !strcmp(a.items[i].value, b.items[i].value);
    kv_free(&a);
    kv_free(&b);
    return same;
}

/* NULL when `r` is the golden request, else what differs. */
static const char *differs(const mock_req *r, json_t *g, char *why, size_t size)
{
    const char *body = json_string_value(json_object_get(g, "body"));
    if (r->body_length != strlen(body) || memcmp(r->body, body, r->body_length) != 0) {
        snprintf(why, size, "body\n  got:  %s\n  want: %s", (const char *)r->body, body);
        return why;
    }
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(g, "headers"), i, h)
    {
        const char *name = json_string_value(json_array_get(h, 0));
        const char *want = json_string_value(json_array_get(h, 1));
        const char *got = mock_request_header(r, name);
        if (!got || strcmp(got, want)) {
            snprintf(why, size, "header %s: got '%s', want '%s'", name, got ? got : "(none)", want);
            return why;
        }
    }
    const char *want = json_string_value(json_object_get(g, "authorization"));
    const char *got = mock_request_header(r, "Authorization");
    if (!got || strcmp(got, want)) {
        snprintf(why, size, "Authorization\n  got:  %s\n  want: %s", got ? got : "(none)", want);
        return why;
    }
    return NULL;
}

skycrate_provisioner *prov_golden_provisioner(prov_fixture *f)
{
    skycrate_provisioner_config *cfg = prov_config(f);
    prov_golden_profile(cfg);
    skycrate_provisioner *p = prov_new(f, cfg);
    skycrate_provisioner_config_free(cfg);
    return p;
}

void prov_push_ok(prov_fixture *f, int n)
{
    for (int i = 0; i < n; i++)
        mock_push_str(f->mock, 200, "x-amz-request-id: OK\r\n", "");
}

const char *prov_error_doc(const char *code)
{
    static _Thread_local char doc[256];
    snprintf(doc, sizeof(doc), "<Error><Code>%s</Code><Message>%s here</Message></Error>", code,
             code);
    return doc;
}

size_t prov_count_creates(mock_transport *m)
{
    size_t n = 0;
    for (size_t i = 0; i < mock_request_count(m); i++) {
        const mock_req *r = mock_request(m, i);
        if (!strcmp(r->method, "PUT") && r->url[strlen(r->url) - 1] == '/')
            n++;
    }
    return n;
}

void golden_check(mock_transport *m, const char *name)
{
    char path[1024];
    json_error_t jerr;
    snprintf(path, sizeof(path), "%s/provision/%s.json", vectors_root(), name);
    json_t *g = json_load_file(path, 0, &jerr);
    ck_assert_msg(g != NULL, "cannot read %s: %s", path, jerr.text);
    const char *method = json_string_value(json_object_get(g, "method"));
    const char *url = json_string_value(json_object_get(g, "url"));
    char why[4096] = "no request with this method and URL";
    bool matched = false;
    for (size_t i = 0; !matched && i < mock_request_count(m); i++) {
        const mock_req *r = mock_request(m, i);
        if (!strcmp(r->method, method) && same_url(r->url, url))
            matched = differs(r, g, why, sizeof(why)) == NULL;
    }
    if (!matched) {
        fprintf(stderr, "golden %s: %s %s\nrequests sent:\n", name, method, url);
        for (size_t i = 0; i < mock_request_count(m); i++)
            fprintf(stderr, "  %s %s\n", mock_request(m, i)->method, mock_request(m, i)->url);
    }
    json_decref(g);
    ck_assert_msg(matched, "golden request %s differs: %s", name, why);
}
