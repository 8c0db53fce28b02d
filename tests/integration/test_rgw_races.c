/*
 * Every interleaving of two operations on one user, at every request of the first, against
 * radosgw: no bucket on the server without a record naming it.
 *
 * Every client talks to radosgw through the delaying proxy (bench/delayproxy.c), so that all
 * record the same endpoint. The proxy holds operation A's k-th request either before the
 * server sees it or after, before its answer comes back; meanwhile operation B runs to its end
 * on another client (other connections) sharing the users file, in this process or as the
 * skycrate-provision program (another process); then A goes on. Afterwards:
 * - A and B each succeeded, or failed with a specific code and a message (the other process:
 *   exit status 1 and a message);
 * - the users file is whole;
 * - every bucket of the user on the server (ListBuckets) is the record's live bucket or one of
 *   its leftovers, and an active record's bucket is there;
 * - a final deprovisioning leaves none.
 * A is a provisioning, a resumed one (the record says provisioning, the bucket exists), a
 * deprovisioning or a verify; B a provisioning, a deprovisioning or a verify in this process,
 * or a deprovisioning in another: every pair of the two lists.
 */
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delayproxy.h"
#include "provfixture.h"
#include "provision/provisioner.h"
#include "rgwenv.h"
#include "s3/request.h"
#include "testutil.h"
#include "xml/xml.h"

extern char **environ;

typedef enum { OP_PROVISION, OP_RESUME, OP_DEPROVISION, OP_VERIFY, OP_DEPROVISION_CLI } op_kind;
static const char *const op_names[] = {"provision", "resume", "deprovision", "verify",
                                       "deprovision (another process)"};

static delayproxy *proxy;
static char proxy_url[64];
static skycrate_client *direct, *delayed; /* B's and A's, both through the proxy */
static char dir[64], store_path[128], cli_errors[128], user[64];
static int cases;

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    const char *endpoint = rgw_env("SKYCRATE_TEST_ENDPOINT");
    proxy = delayproxy_start("127.0.0.1", atoi(strrchr(endpoint, ':') + 1), 0);
    ck_assert_ptr_nonnull(proxy);
    snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%d", delayproxy_port(proxy));
    direct = rgw_client_at(proxy_url, NULL);
    delayed = rgw_client_at(proxy_url, NULL);
    /* For skycrate-provision, which takes its credentials from the default chain. */
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    setenv("AWS_REGION", rgw_env("SKYCRATE_TEST_REGION"), 1);
    snprintf(dir, sizeof(dir), "/tmp/skycrate-it-race-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(store_path, sizeof(store_path), "%s/users.json", dir);
    snprintf(cli_errors, sizeof(cli_errors), "%s/cli.err", dir);
}

static void teardown(void)
{
    skycrate_client_free(delayed);
    skycrate_client_free(direct);
    delayproxy_stop(proxy);
    unlink(store_path);
    unlink(cli_errors);
    char lock[160];
    snprintf(lock, sizeof(lock), "%s.lock", store_path);
    unlink(lock);
    rmdir(dir);
    skycrate_global_cleanup();
}

/* Compatible mode (radosgw refuses encryption and ownership controls), one lane so that the
 * requests come in one order, a short prefix. */
static skycrate_provisioner *provisioner(skycrate_client *client)
{
    skycrate_provisioner_config *cfg;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    prov_use_store_file(cfg, store_path);
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE));
    ck_assert_sky_ok(skycrate_provisioner_config_set_concurrency(cfg, 1));
    ck_assert_sky_ok(skycrate_provisioner_config_set_bucket_prefix(cfg, "race"));
    skycrate_provisioner *p;
    ck_assert_sky_ok(skycrate_provisioner_new(&p, client, cfg));
    skycrate_provisioner_config_free(cfg);
    /* A step that meets the bucket deleted under it retries NoSuchBucket with pauses meant for
     * S3's eventual consistency: short ones here, radosgw has none. */
    p->tuning.nosuchbucket_delay_ms = 5;
    p->tuning.confirm_delay_ms = 5;
    return p;
}

/* The user's record as the users file holds it (NULL: none). */
static json_t *record(void)
{
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, store_path, 0));
    char *text = NULL;
    int rc = skycrate_user_store_get(&text, store, user);
    skycrate_user_store_unref(store);
    if (rc == SKYCRATE_ENOTFOUND)
        return NULL;
    ck_assert_sky_ok(rc);
    json_t *r = json_loads(text, 0, NULL);
    skycrate_free(text);
    ck_assert_ptr_nonnull(r);
    return r;
}

static void store_record(const json_t *r)
{
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, store_path, 0));
    char *old = NULL, *text = json_dumps(r, JSON_COMPACT);
    ck_assert_sky_ok(skycrate_user_store_get(&old, store, user));
    ck_assert_sky_ok(skycrate_user_store_put(store, user, text, old));
    skycrate_user_store_unref(store);
    skycrate_free(old);
    free(text);
}

/* How an operation ended: its return code (the other process: 0, or SKYCRATE_ERROR for exit
 * status 1) and, when it failed, its message (the other process: its first line on stderr). */
typedef struct outcome {
    int rc;
    char message[256];
} outcome;

/* skycrate-provision deprovision, in another process. */
static outcome deprovision_elsewhere(void)
{
    char *argv[] = {(char *)rgw_env("SKYCRATE_PROVISION_CLI"),
                    "--store",
                    store_path,
                    "--endpoint",
                    proxy_url,
                    "deprovision",
                    user,
                    NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, cli_errors, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    /* 2 would be a usage error, a signal a crash: neither is an answer to the race. */
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 1, "%s: status %d",
                  op_names[OP_DEPROVISION_CLI], status);
    outcome o = {WEXITSTATUS(status) == 0 ? 0 : SKYCRATE_ERROR, ""};
    FILE *f = fopen(cli_errors, "r");
    ck_assert_ptr_nonnull(f);
    if (!fgets(o.message, sizeof(o.message), f))
        o.message[0] = '\0';
    fclose(f);
    return o;
}

/* Runs one operation. */
static outcome run_op(op_kind op, skycrate_client *client)
{
    if (op == OP_DEPROVISION_CLI)
        return deprovision_elsewhere();
    skycrate_provisioner *p = provisioner(client);
    outcome o = {SKYCRATE_ERROR, ""};
    switch (op) {
    case OP_PROVISION:
    case OP_RESUME: o.rc = skycrate_provisioner_provision(NULL, p, user); break;
    case OP_DEPROVISION: o.rc = skycrate_provisioner_deprovision(NULL, p, user, 0); break;
    case OP_VERIFY: {
        skycrate_verify_report *report = NULL;
        o.rc = skycrate_provisioner_verify(&report, p, user);
        skycrate_verify_report_free(report);
        break;
    }
    default: break;
    }
    if (o.rc < 0)
        snprintf(o.message, sizeof(o.message), "%s", skycrate_error_last()->message);
    skycrate_provisioner_free(p);
    return o;
}

/* Each call either succeeds or fails with a code that says why (never the catch-all code in
 * this process) and a message. */
static void assert_clear(const char *what, op_kind op, const outcome *o)
{
    ck_assert_msg(o->rc == 0 ||
                      (o->message[0] && (op == OP_DEPROVISION_CLI || o->rc != SKYCRATE_ERROR)),
                  "%s: %s returned %d (%s)", what, op_names[op], o->rc, o->message);
}

/* What an operation needs to start from. */
static void prepare(op_kind a)
{
    if (a == OP_PROVISION)
        return;
    ck_assert_sky_ok(run_op(OP_PROVISION, direct).rc);
    if (a == OP_RESUME) { /* killed after its create landed, before it was journaled */
        json_t *r = record();
        ck_assert_sky_ok(json_object_set_new(r, "state", json_string("provisioning")));
        ck_assert_sky_ok(json_object_set_new(r, "stepsDone", json_array()));
        ck_assert_sky_ok(json_object_set_new(r, "stepsSkipped", json_array()));
        store_record(r);
        json_decref(r);
    }
}

/* The names of the buckets on the server that belong to the user (ListBuckets). */
static size_t user_buckets(char names[][64], size_t max)
{
    skycrate__s3_request req = {.operation = "ListBuckets", .method = "GET"};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__s3_send(direct, &req, &resp, NULL));
    skycrate__xml_node *root = NULL;
    ck_assert_sky_ok(
        skycrate__xml_parse_as(&root, resp.body.ptr, resp.body.len, "ListAllMyBucketsResult"));
    char prefix[80];
    snprintf(prefix, sizeof(prefix), "race-%s-", user);
    size_t n = 0;
    for (const skycrate__xml_node *b =
             skycrate__xml_child(skycrate__xml_child(root, "Buckets"), "Bucket");
         b; b = skycrate__xml_next(b)) {
        const char *name = skycrate__xml_child_text(b, "Name");
        if (name && !strncmp(name, prefix, strlen(prefix))) {
            ck_assert_uint_lt(n, max);
            snprintf(names[n++], 64, "%s", name);
        }
    }
    skycrate__xml_free(root);
    skycrate__http_response_dispose(&resp);
    return n;
}

/* Whether the record names `bucket` as one that exists: its live bucket, or a leftover. */
static bool named(const json_t *r, const char *bucket)
{
    const char *state = prov_str(r, "state");
    bool live = !strcmp(state, "provisioning") || !strcmp(state, "active") ||
                !strcmp(state, "deprovisioning") ||
                (!strcmp(state, "failed") && !json_is_true(json_object_get(r, "rolledBack")));
    if (live && !strcmp(prov_str(r, "bucket"), bucket))
        return true;
    json_t *leftovers = json_object_get(r, "leftovers");
    for (size_t i = 0; i < json_array_size(leftovers); i++)
        if (!strcmp(json_string_value(json_array_get(leftovers, i)), bucket))
            return true;
    return false;
}

/* The users file, when there is one, is one whole JSON document: no writer left it half
 * written. */
static void assert_store_whole(const char *what)
{
    if (access(store_path, F_OK) != 0)
        return;
    json_error_t e;
    json_t *all = json_load_file(store_path, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(all && json_is_object(json_object_get(all, "users")),
                  "%s: the users file is not whole: %s", what, all ? "no users" : e.text);
    json_decref(all);
}

/* Every bucket of the user on the server is named by the record, and an active record's bucket
 * is on the server. */
static void assert_record_matches_server(const char *what)
{
    char names[8][64];
    size_t n = user_buckets(names, 8);
    json_t *r = record();
    char *text = r ? json_dumps(r, JSON_INDENT(1)) : NULL;
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(r && named(r, names[i]), "%s: bucket %s is named by no record:\n%s", what,
                      names[i], text ? text : "(no record)");
    if (r && !strcmp(prov_str(r, "state"), "active")) {
        size_t i = 0;
        while (i < n && strcmp(names[i], prov_str(r, "bucket")))
            i++;
        ck_assert_msg(i < n, "%s: the active record's bucket is not on the server:\n%s", what,
                      text);
    }
    free(text);
    json_decref(r);
}

/* Deprovisions until done (a provisioning may have been refused meanwhile, a leftover may need
 * a second call); then no bucket of the user may be left. */
static void clean_up(const char *what)
{
    int rc = SKYCRATE_ERROR;
    for (int i = 0; i < 3 && rc != 0; i++) {
        rc = run_op(OP_DEPROVISION, direct).rc;
        if (rc == SKYCRATE_ENOTFOUND)
            rc = 0;
    }
    ck_assert_msg(rc == 0, "%s: cleaning up: %s", what, skycrate_error_last()->message);
    char names[8][64];
    ck_assert_msg(user_buckets(names, 8) == 0, "%s: a bucket outlived the deprovisioning", what);
}

typedef struct a_run {
    op_kind op;
    outcome result;
    atomic_bool done;
} a_run;

static void *run_a(void *arg)
{
    a_run *a = arg;
    a->result = run_op(a->op, delayed);
    atomic_store(&a->done, true);
    return NULL;
}

/* Whether the hold stopped one of A's requests: true as soon as it did, false as soon as A is
 * done without it (A has no such request). A held request blocks A, so A cannot be done while
 * one of its requests is held; no time limit guesses which (a loaded machine may take long),
 * the test case's timeout stops an A that hangs. */
static bool held_or_done(a_run *a)
{
    while (!atomic_load(&a->done))
        if (delayproxy_wait_held(proxy, 50))
            return true;
    return false;
}

/* A held at each of its requests in turn, at `point`, while B runs; until A has no k-th
 * request. Returns how many requests A made. */
static size_t interleave(op_kind a, op_kind b, delayproxy_hold_point point)
{
    size_t k = 0;
    for (;; k++) {
        snprintf(user, sizeof(user), "%d-%d", (int)getpid(), ++cases);
        prepare(a);
        delayproxy_reset(proxy);
        delayproxy_hold(proxy, k, point);
        a_run ar = {.op = a};
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, run_a, &ar), 0);
        bool held = held_or_done(&ar);
        char what[160];
        snprintf(what, sizeof(what), "%s held at request %zu (%s), %s meanwhile", op_names[a], k,
                 point == DELAYPROXY_HOLD_REQUEST ? "before the server" : "before its answer",
                 op_names[b]);
        if (held) {
            outcome ob = run_op(b, direct);
            assert_clear(what, b, &ob);
        }
        delayproxy_release(proxy);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        assert_clear(what, a, &ar.result);
        assert_store_whole(what);
        assert_record_matches_server(what);
        clean_up(what);
        if (!held)
            return k;
    }
}

/* Every pair: A from the first list, B from the second. */
static const op_kind a_ops[] = {OP_PROVISION, OP_RESUME, OP_DEPROVISION, OP_VERIFY};
static const op_kind b_ops[] = {OP_PROVISION, OP_DEPROVISION, OP_VERIFY, OP_DEPROVISION_CLI};
#define B_OPS (sizeof(b_ops) / sizeof(b_ops[0]))

START_TEST(no_interleaving_leaves_a_bucket_without_a_record)
{
    op_kind a = a_ops[_i / B_OPS], b = b_ops[_i % B_OPS];
    size_t before = interleave(a, b, DELAYPROXY_HOLD_REQUEST);
    size_t after = interleave(a, b, DELAYPROXY_HOLD_ANSWER);
    /* Every request of A was held once each way. */
    ck_assert_uint_eq(before, after);
    ck_assert_uint_ge(before, a == OP_PROVISION || a == OP_RESUME ? 6 : 3);
}
END_TEST

static Suite *races_suite(void)
{
    Suite *s = suite_create("rgw-races");
    TCase *tc = tcase_create("interleavings");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, no_interleaving_leaves_a_bucket_without_a_record, 0,
                        (int)(sizeof(a_ops) / sizeof(a_ops[0]) * B_OPS));
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(races_suite)
