/*
 * Unit tests of the orphan-bucket races (lib/provision/leftover.c, provision.c, deprovision.c)
 * with the mock transport: another client changes the user's record while a CreateBucket is in
 * flight (mock_on() runs it between the request and its answer), and a resumed provisioning
 * whose HeadBucket is refused. Every bucket the server made must end up named by the record.
 * The same races against radosgw, at every request: tests/integration/test_rgw_races.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "provfixture.h"
#include "provision/provisioner.h"
#include "store/store.h"
#include "testalloc.h"
#include "testutil.h"

static prov_fixture fx;  /* the provisioning under test */
static prov_fixture fx2; /* the other client: its own mock, the same users file */
static skycrate_provisioner *other;

#define CREATE_URL "https://" PROV_BUCKET ".s3.eu-west-1.amazonaws.com/"

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    prov_fixture_init(&fx, "eu-west-1", NULL, 1);
    prov_fixture_init(&fx2, "eu-west-1", NULL, 1);
    skycrate_provisioner_config *cfg = prov_config(&fx);
    prov_golden_profile(cfg);
    other = prov_new(&fx2, cfg);
    skycrate_provisioner_config_free(cfg);
}

static void teardown(void)
{
    skycrate_provisioner_free(other);
    prov_fixture_dispose(&fx2);
    prov_fixture_dispose(&fx);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

/* Replaces the record of u42 in the users file, as another process would. */
static void store_record(const json_t *r)
{
    char *text = json_dumps(r, JSON_COMPACT), *old = NULL;
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
    ck_assert_sky_ok(skycrate_user_store_get(&old, store, "u42"));
    ck_assert_sky_ok(skycrate_user_store_put(store, "u42", text, old));
    skycrate_user_store_unref(store);
    skycrate_free(old);
    free(text);
}

/* The other client deprovisions the user: the bucket does not exist yet (its CreateBucket is
 * in flight), so the listing and the final HeadBucket answer 404. */
static void deprovision_meanwhile(void *ud)
{
    (void)ud;
    mock_push_str(fx2.mock, 404, "", prov_error_doc("NoSuchBucket"));
    mock_push_str(fx2.mock, 404, "", "");
    ck_assert_sky_ok(skycrate_provisioner_deprovision(NULL, other, "u42", 0));
    ck_assert_uint_eq(mock_pending(fx2.mock), 0);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "deleted");
    json_decref(r);
}

static size_t count_exact(mock_transport *m, const char *method, const char *url)
{
    size_t n = 0;
    for (size_t i = 0; i < mock_request_count(m); i++)
        if (!strcmp(mock_request(m, i)->method, method) && !strcmp(mock_request(m, i)->url, url))
            n++;
    return n;
}

START_TEST(a_deprovisioning_during_the_create_leaves_no_orphan)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_on(fx.mock, "PUT", CREATE_URL, deprovision_meanwhile, NULL);
    mock_push_str(fx.mock, 200, "", "");                    /* the create lands after all */
    mock_route(fx.mock, "DELETE", CREATE_URL, 204, "", ""); /* the provisioning deletes it */
    prov_push_ok(&fx, 8);                                   /* a new name, created and configured */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    /* The bucket made under the deprovisioned record is gone; the new one has another name
     * (the same second: a nonce), recorded before it was created. */
    ck_assert_uint_eq(count_exact(fx.mock, "DELETE", CREATE_URL), 1);
    ck_assert_str_ne(skycrate_record_bucket(rec), PROV_BUCKET);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_uint_eq(prov_count_creates(fx.mock), 2);
    skycrate_record_free(rec);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_ptr_null(json_object_get(r, "leftovers"));
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

/* A create answered 500 may have made the bucket: the failure is journaled before the bucket is
 * rolled back; when a deprovisioning changed the record meanwhile, the bucket is not the
 * record's, so it is listed as a leftover and deleted, not forgotten. */
START_TEST(a_failed_create_after_the_record_moved_on_leaves_no_orphan)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_on(fx.mock, "PUT", CREATE_URL, deprovision_meanwhile, NULL);
    for (int i = 0; i < 2; i++) /* the client's two attempts */
        mock_push_str(fx.mock, 500, "", prov_error_doc("InternalError"));
    mock_route(fx.mock, "DELETE", CREATE_URL, 204, "", ""); /* it may exist: deleted */
    prov_push_ok(&fx, 8);                                   /* a new name, created and configured */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    ck_assert_uint_eq(count_exact(fx.mock, "DELETE", CREATE_URL), 1);
    ck_assert_str_ne(skycrate_record_bucket(rec), PROV_BUCKET);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_ptr_null(json_object_get(r, "leftovers"));
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

/* A leftover that cannot be deleted stays listed: the next deprovisioning deletes it. */
START_TEST(a_leftover_that_cannot_be_deleted_stays_listed)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_on(fx.mock, "PUT", CREATE_URL, deprovision_meanwhile, NULL);
    mock_push_str(fx.mock, 200, "", "");
    for (int i = 0; i < 4; i++) /* two attempts each: at once, and when the provisioning restarts */
        mock_route(fx.mock, "DELETE", CREATE_URL, 500, "", prov_error_doc("InternalError"));
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    json_t *r = prov_record(&fx, "u42");
    json_t *leftovers = json_object_get(r, "leftovers");
    ck_assert_uint_eq(json_array_size(leftovers), 1);
    ck_assert_str_eq(json_string_value(json_array_get(leftovers, 0)), PROV_BUCKET);
    char bucket[64];
    snprintf(bucket, sizeof(bucket), "%s", prov_str(r, "bucket"));
    json_decref(r);

    /* Deprovisioning deletes the leftover first, then the bucket. */
    mock_route(fx.mock, "DELETE", CREATE_URL, 204, "", "");
    mock_push_str(fx.mock, 200, "",
                  "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                  "</ListMultipartUploadsResult>");
    mock_push_str(fx.mock, 200, "",
                  "<ListVersionsResult><IsTruncated>false</IsTruncated></ListVersionsResult>");
    mock_push_str(fx.mock, 204, "", "");
    mock_push_str(fx.mock, 404, "", "");
    ck_assert_sky_ok(skycrate_provisioner_deprovision(NULL, p, "u42", 0));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    ck_assert_uint_eq(count_exact(fx.mock, "DELETE", CREATE_URL), 5);
    r = prov_record(&fx, "u42");
    ck_assert_ptr_null(json_object_get(r, "leftovers"));
    ck_assert_str_eq(prov_str(r, "state"), "deleted");
    ck_assert_str_eq(prov_str(r, "bucket"), bucket);
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

/* The record names the bucket as live when the create answers (a deprovisioning of it has
 * begun): it is the record's, and this provisioning leaves it to it. */
static void deprovisioning_begins_meanwhile(void *ud)
{
    (void)ud;
    json_t *r = prov_record(&fx, "u42");
    ck_assert_sky_ok(json_object_set_new(r, "state", json_string("deprovisioning")));
    store_record(r);
    json_decref(r);
}

START_TEST(a_bucket_the_record_names_is_left_to_it)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_on(fx.mock, "PUT", CREATE_URL, deprovisioning_begins_meanwhile, NULL);
    mock_push_str(fx.mock, 200, "", "");
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_ECONFLICT);
    ck_assert_uint_eq(mock_request_count(fx.mock), 1); /* nothing deleted, nothing created */
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "deprovisioning");
    ck_assert_str_eq(prov_str(r, "bucket"), PROV_BUCKET);
    ck_assert_ptr_null(json_object_get(r, "leftovers"));
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

/* ---- a resumed provisioning whose HeadBucket is refused ---- */

/* A record left provisioning PROV_BUCKET before its create was journaled. */
static void left_provisioning(void)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_push_error(fx.mock, SKYCRATE_ECONNECT); /* the create: no answer */
    mock_push_error(fx.mock, SKYCRATE_ECONNECT); /* its retry */
    mock_push_error(fx.mock, SKYCRATE_ECONNECT); /* the rollback's DeleteBucket */
    mock_push_error(fx.mock, SKYCRATE_ECONNECT);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_ECONNECT);
    skycrate_provisioner_free(p);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "bucket"), PROV_BUCKET);
    ck_assert(!json_is_true(json_object_get(r, "rolledBack")));
    ck_assert_sky_ok(json_object_set_new(r, "state", json_string("provisioning")));
    json_object_del(r, "rolledBack");
    json_object_del(r, "error");
    json_object_del(r, "failedStep");
    store_record(r);
    json_decref(r);
}

static void push_head(int status)
{
    mock_push_str(fx.mock, status, status == 301 ? "x-amz-bucket-region: eu-west-1\r\n" : "", "");
}

static const char *bucket_list(const char *name)
{
    static char xml[512];
    snprintf(xml, sizeof(xml),
             "<ListAllMyBucketsResult><Owner><ID>o</ID></Owner><Buckets>"
             "<Bucket><Name>%s-x</Name></Bucket><Bucket><Name>%s</Name></Bucket>"
             "</Buckets></ListAllMyBucketsResult>",
             name, name);
    return xml;
}

START_TEST(a_refused_head_of_our_listed_bucket_keeps_the_name)
{
    left_provisioning();
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    size_t sent = mock_request_count(fx.mock);
    push_head(_i == 0 ? 403 : 301);
    mock_push_str(fx.mock, 200, "", bucket_list(PROV_BUCKET));
    prov_push_ok(&fx, 7);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    ck_assert_str_eq(skycrate_record_bucket(rec), PROV_BUCKET);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    const mock_req *list = mock_request(fx.mock, sent + 1);
    ck_assert_str_eq(list->method, "GET");
    ck_assert_str_eq(list->url, "https://s3.eu-west-1.amazonaws.com/?prefix=" PROV_BUCKET);
    ck_assert_uint_eq(prov_count_creates(fx.mock), 2); /* left_provisioning()'s, no other */
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(a_refused_head_with_our_credentials_refused_keeps_the_record)
{
    left_provisioning();
    json_t *before = prov_record(&fx, "u42");
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    push_head(_i == 0 ? 403 : 301);
    mock_push_str(fx.mock, 403, "", prov_error_doc("InvalidAccessKeyId"));
    int rc = skycrate_provisioner_provision(NULL, p, "u42");
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "the record keeps it"));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    json_t *after = prov_record(&fx, "u42");
    ck_assert(json_equal(before, after)); /* the name is not given up */
    json_decref(before);
    json_decref(after);
    skycrate_provisioner_free(p);
}
END_TEST

static int warnings;
static void count_warnings(skycrate_log_level level, const char *line, void *ud)
{
    (void)ud;
    if (level == SKYCRATE_LOG_LEVEL_WARN && strstr(line, "someone else has it"))
        warnings++;
}

START_TEST(a_refused_head_of_someone_elses_bucket_moves_on_with_a_warning)
{
    left_provisioning();
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    push_head(_i == 0 ? 403 : 301);
    mock_push_str(fx.mock, 200, "", bucket_list("skycrate-other"));
    prov_push_ok(&fx, 8);
    warnings = 0;
    skycrate_log_set(SKYCRATE_LOG_LEVEL_WARN, count_warnings, NULL);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    skycrate_log_set(SKYCRATE_LOG_LEVEL_NONE, NULL, NULL);
    ck_assert_int_eq(warnings, 1);
    ck_assert_str_ne(skycrate_record_bucket(rec), PROV_BUCKET);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

static Suite *leftover_suite(void)
{
    Suite *s = suite_create("leftover");
    TCase *tc = tcase_create("create in flight");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_deprovisioning_during_the_create_leaves_no_orphan);
    tcase_add_test(tc, a_failed_create_after_the_record_moved_on_leaves_no_orphan);
    tcase_add_test(tc, a_leftover_that_cannot_be_deleted_stays_listed);
    tcase_add_test(tc, a_bucket_the_record_names_is_left_to_it);
    suite_add_tcase(s, tc);
    tc = tcase_create("resume");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, a_refused_head_of_our_listed_bucket_keeps_the_name, 0, 2);
    tcase_add_loop_test(tc, a_refused_head_with_our_credentials_refused_keeps_the_record, 0, 2);
    tcase_add_loop_test(tc, a_refused_head_of_someone_elses_bucket_moves_on_with_a_warning, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(leftover_suite)
