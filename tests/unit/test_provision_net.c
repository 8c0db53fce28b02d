/*
 * Loopback tests of provisioning on the default transport (libcurl) against a small S3 stand-in
 * on 127.0.0.1 (tests/support/httpserver.c): the configuration requests of the concurrent order
 * connect while CreateBucket is in flight and are sent only once it has answered, for the bucket
 * it created; nothing starts early in the sequential order, after a rename or a failed create.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "http/http.h"
#include "httpserver.h"
#include "provfixture.h"
#include "provision/provisioner.h"
#include "s3/client.h"
#include "testalloc.h"
#include "testutil.h"

/* What the stand-in saw. */
typedef struct s3_state {
    pthread_mutex_t lock;
    httpserver *server;
    unsigned int wait_for; /* connections a create waits for (up to 2 s) before answering */
    int taken_creates;     /* creates answered 409 BucketAlreadyExists first */
    bool refuse_create;    /* creates answered 403 AccessDenied */
    int creates;
    bool created;                       /* a create was answered 200 */
    unsigned int connections_at_create; /* when the successful create answered */
    size_t requests_at_create;
    int early;        /* configuration requests that arrived before a create was answered */
    char bucket[64];  /* the bucket the successful create made */
    int wrong_bucket; /* configuration requests for another bucket */
    int configured;
} s3_state;

static s3_state st;
static char dir[64], store_path[128];

static const char *error_doc(const char *code)
{
    static char doc[160];
    snprintf(doc, sizeof(doc), "<Error><Code>%s</Code><Message>no</Message></Error>", code);
    return doc;
}

static void s3_handler(const hs_request *req, hs_response *resp, void *user_data)
{
    s3_state *s = user_data;
    const char *target = req->target;
    bool create = !strcmp(req->method, "PUT") && !strchr(target, '?');
    if (create) {
        for (int i = 0; i < 200 && hs_connections(s->server) < s->wait_for; i++)
            usleep(10000);
        pthread_mutex_lock(&s->lock);
        s->creates++;
        if (s->refuse_create) {
            hs_response_status(resp, 403);
            hs_response_body_str(resp, error_doc("AccessDenied"));
        } else if (s->taken_creates > 0) {
            s->taken_creates--;
            hs_response_status(resp, 409);
            hs_response_body_str(resp, error_doc("BucketAlreadyExists"));
        } else {
            s->created = true;
            s->connections_at_create = hs_connections(s->server);
            s->requests_at_create = hs_request_count(s->server);
            snprintf(s->bucket, sizeof(s->bucket), "%.*s", (int)strcspn(target + 1, "/?"),
                     target + 1);
        }
        pthread_mutex_unlock(&s->lock);
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (!strcmp(req->method, "PUT")) {
        s->configured++;
        s->early += !s->created;
        size_t n = strlen(s->bucket);
        s->wrong_bucket += !n || strncmp(target + 1, s->bucket, n) != 0 || target[n + 1] != '?';
    }
    pthread_mutex_unlock(&s->lock);
    if (!strcmp(req->method, "DELETE"))
        hs_response_status(resp, 204);
}

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    memset(&st, 0, sizeof(st));
    pthread_mutex_init(&st.lock, NULL);
    st.server = hs_start(s3_handler, &st);
    snprintf(dir, sizeof(dir), "/tmp/skycrate-provnet-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(store_path, sizeof(store_path), "%s/users.json", dir);
}

static void teardown(void)
{
    hs_stop(st.server);
    pthread_mutex_destroy(&st.lock);
    unlink(store_path);
    char lock[160];
    snprintf(lock, sizeof(lock), "%s.lock", store_path);
    unlink(lock);
    rmdir(dir);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

/* A client on the default transport (6 lanes), pointed at the stand-in. */
static skycrate_client *make_client(void)
{
    skycrate_credentials *creds;
    skycrate_credentials_provider *provider;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, "AKIDEXAMPLE", "secret", NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, hs_url(st.server)));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "us-east-1"));
    ck_assert_sky_ok(skycrate_client_config_set_retry(cfg, 2, 1, 2));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    ck_assert_uint_eq(skycrate__http_transport_lanes(client->transport), 6);
    return client;
}

/* A provisioner with the seven configuration steps. */
static skycrate_provisioner *make_provisioner(skycrate_client *client, skycrate_failure_mode mode)
{
    skycrate_provisioner_config *cfg;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    prov_use_store_file(cfg, store_path);
    ck_assert_sky_ok(skycrate_provisioner_config_set_failure_mode(cfg, mode));
    ck_assert_sky_ok(skycrate_provisioner_config_add_cors_origin(cfg, "https://app.example.com"));
    skycrate_provisioner *p = NULL;
    ck_assert_sky_ok(skycrate_provisioner_new(&p, client, cfg));
    skycrate_provisioner_config_free(cfg);
    p->tuning.nosuchbucket_delay_ms = 1;
    return p;
}

START_TEST(the_lanes_connect_while_the_create_is_in_flight)
{
    skycrate_client *client = make_client();
    skycrate_provisioner *p = make_provisioner(client, SKYCRATE_FAILURE_MODE_STRICT);
    ck_assert_uint_eq(p->config_lanes, 6);
    st.wait_for = 6;
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_str_eq(skycrate_record_bucket(rec), st.bucket);
    skycrate_record_free(rec);
    /* While the create was in flight, five more lanes had connected, and nothing else was sent:
     * every configuration request came after the create's answer, for its bucket. */
    ck_assert_uint_eq(st.connections_at_create, 6);
    ck_assert_uint_eq(st.requests_at_create, 1);
    ck_assert_int_eq(st.creates, 1);
    ck_assert_int_eq(st.configured, 7);
    ck_assert_int_eq(st.early, 0);
    ck_assert_int_eq(st.wrong_bucket, 0);
    /* One connection per lane: the create's is reused by the sixth lane. */
    ck_assert_uint_eq(hs_request_count(st.server), 8);
    ck_assert_uint_eq(hs_connections(st.server), 6);
    skycrate_provisioner_free(p);
    skycrate_client_free(client);
}
END_TEST

START_TEST(one_lane_starts_nothing_early)
{
    /* Compatible mode runs one configuration lane by default: the sequential order. */
    skycrate_client *client = make_client();
    skycrate_provisioner *p = make_provisioner(client, SKYCRATE_FAILURE_MODE_COMPATIBLE);
    ck_assert_uint_eq(p->config_lanes, 1);
    st.wait_for = 2; /* would wait 2 s for a second connection that never comes */
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    ck_assert_uint_eq(st.connections_at_create, 1);
    ck_assert_int_eq(st.configured, 7);
    ck_assert_uint_eq(hs_connections(st.server), 1);
    skycrate_provisioner_free(p);
    /* The benchmark's switch: concurrent, but every lane starts after the create. */
    memset(st.bucket, 0, sizeof(st.bucket));
    st.created = false;
    st.configured = 0;
    p = make_provisioner(client, SKYCRATE_FAILURE_MODE_STRICT);
    p->tuning.late_lanes = true;
    st.wait_for = 2;
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u43"));
    ck_assert_uint_eq(st.connections_at_create, 1); /* the first client's connection */
    ck_assert_int_eq(st.configured, 7);
    ck_assert_int_eq(st.early, 0);
    ck_assert_int_eq(st.wrong_bucket, 0);
    skycrate_provisioner_free(p);
    skycrate_client_free(client);
}
END_TEST

START_TEST(a_renamed_bucket_gets_requests_for_its_new_name_only)
{
    skycrate_client *client = make_client();
    skycrate_provisioner *p = make_provisioner(client, SKYCRATE_FAILURE_MODE_STRICT);
    st.taken_creates = 1;
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_str_eq(skycrate_record_bucket(rec), st.bucket);
    skycrate_record_free(rec);
    /* The requests that waited for the first name were never sent. */
    ck_assert_int_eq(st.creates, 2);
    ck_assert_int_eq(st.configured, 7);
    ck_assert_int_eq(st.early, 0);
    ck_assert_int_eq(st.wrong_bucket, 0);
    ck_assert_uint_eq(hs_request_count(st.server), 9);
    skycrate_provisioner_free(p);
    skycrate_client_free(client);
}
END_TEST

START_TEST(a_refused_create_sends_no_configuration)
{
    skycrate_client *client = make_client();
    skycrate_provisioner *p = make_provisioner(client, SKYCRATE_FAILURE_MODE_STRICT);
    st.refuse_create = true;
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EACCESS);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_show(&rec, p, "u42"));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_FAILED);
    skycrate_record_free(rec);
    ck_assert_int_eq(st.creates, 1);
    ck_assert_int_eq(st.configured, 0);
    ck_assert_uint_eq(hs_request_count(st.server), 1);
    skycrate_provisioner_free(p);
    skycrate_client_free(client);
}
END_TEST

static Suite *provision_net_suite(void)
{
    Suite *s = suite_create("provision_net");
    TCase *tc = tcase_create("early lanes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_lanes_connect_while_the_create_is_in_flight);
    tcase_add_test(tc, one_lane_starts_nothing_early);
    tcase_add_test(tc, a_renamed_bucket_gets_requests_for_its_new_name_only);
    tcase_add_test(tc, a_refused_create_sends_no_configuration);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(provision_net_suite)
