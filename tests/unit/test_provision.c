/*
 * Unit tests of provisioning (lib/provision) with the mock transport: the request bytes of every
 * step against botocore's golden requests, us-east-1 and other regions, collisions, dev mode, the
 * configuration's checks, allocation failures. Failures, compatible mode and resume:
 * test_provision_recovery.c.
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "provfixture.h"
#include "provision/provisioner.h"
#include "store/store.h"
#include "testalloc.h"
#include "testutil.h"

static prov_fixture fx;

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    prov_fixture_init(&fx, "eu-west-1", NULL, 4);
}

static void teardown(void)
{
    prov_fixture_dispose(&fx);
    skycrate__file_store_test_hook = NULL;
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

/* ---- request bytes ---- */

START_TEST(every_step_is_sent_as_botocore_sends_it)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_str_eq(skycrate_record_bucket(rec), PROV_BUCKET);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_str_eq(skycrate_record_region(rec), "eu-west-1");
    ck_assert_str_eq(skycrate_record_endpoint(rec), "https://s3.eu-west-1.amazonaws.com");
    ck_assert_str_eq(skycrate_record_mode(rec), "aws");
    for (int s = 0; skycrate_step_name((skycrate_step)s); s++)
        ck_assert_int_eq(skycrate_record_step(rec, (skycrate_step)s), SKYCRATE_STEP_STATUS_DONE);
    ck_assert_int_eq(skycrate_record_created_at(rec), PROV_T0_MS / 1000);
    ck_assert_str_eq(skycrate_record_error(rec), "");
    skycrate_record_free(rec);

    ck_assert_uint_eq(mock_request_count(fx.mock), 8);
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    /* The create came first; the other seven in any order. */
    ck_assert_str_eq(mock_request(fx.mock, 0)->url,
                     "https://" PROV_BUCKET ".s3.eu-west-1.amazonaws.com/");
    const char *golden[] = {"create-eu-west-1",
                            "public-access-block",
                            "encryption-aes256",
                            "ownership-controls",
                            "cors",
                            "tls-policy",
                            "lifecycle",
                            "tags"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(golden); i++)
        golden_check(fx.mock, golden[i]);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(us_east_1_has_no_location_constraint)
{
    prov_fixture_client(&fx, "us-east-1", NULL);
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    golden_check(fx.mock, "create-us-east-1");
    ck_assert_uint_eq(mock_request(fx.mock, 0)->body_length, 0);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "endpoint"), "https://s3.us-east-1.amazonaws.com");
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(custom_endpoint_uses_path_style)
{
    prov_fixture_client(&fx, "us-east-1", "http://127.0.0.1:7480");
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    golden_check(fx.mock, "create-custom-endpoint");
    golden_check(fx.mock, "cors-custom-endpoint");
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "endpoint"), "http://127.0.0.1:7480");
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(kms_and_a_partial_public_access_block)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(skycrate_provisioner_config_set_encryption(
        cfg, SKYCRATE_ENCRYPTION_KMS,
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", 1));
    ck_assert_sky_ok(skycrate_provisioner_config_set_public_access_block(
        cfg, SKYCRATE_PAB_ALL & ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS));
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    prov_push_ok(&fx, 7);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    golden_check(fx.mock, "encryption-kms");
    golden_check(fx.mock, "public-access-block-partial");
    ck_assert_uint_eq(mock_count(fx.mock, "PUT", "?cors"), 0); /* no origins, no CORS */
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(china_regions_use_their_partition)
{
    prov_fixture_client(&fx, "cn-north-1", NULL);
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    golden_check(fx.mock, "tls-policy-china");
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(steps_left_out_send_nothing)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(skycrate_provisioner_config_set_public_access_block(cfg, 0));
    prov_block_only_profile(cfg);
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    prov_push_ok(&fx, 1);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_uint_eq(mock_request_count(fx.mock), 1);
    ck_assert_ptr_null(mock_request_header(mock_request(fx.mock, 0), "x-amz-object-ownership"));
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_CREATE), SKYCRATE_STEP_STATUS_DONE);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_TAGS), SKYCRATE_STEP_STATUS_OFF);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

/* POST-policy forms from scripts need POST in the CORS rule; the methods are configurable. */
START_TEST(cors_methods_are_configurable)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_int_eq(skycrate_provisioner_config_set_cors_methods(cfg, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_set_cors_methods(cfg, 1u << 5), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_provisioner_config_add_cors_origin(cfg, "http://localhost:3000"));
    ck_assert_sky_ok(skycrate_provisioner_config_set_cors_methods(
        cfg, SKYCRATE_CORS_METHOD_PUT | SKYCRATE_CORS_METHOD_POST | SKYCRATE_CORS_METHOD_DELETE));
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    const mock_req *put = NULL;
    for (size_t i = 0; i < mock_request_count(fx.mock); i++)
        if (strstr(mock_request(fx.mock, i)->url, "?cors"))
            put = mock_request(fx.mock, i);
    ck_assert_ptr_nonnull(put);
    ck_assert_ptr_nonnull(strstr((const char *)put->body,
                                 "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST"
                                 "</AllowedMethod><AllowedMethod>DELETE</AllowedMethod>"
                                 "<AllowedOrigin>"));
    ck_assert_ptr_null(strstr((const char *)put->body, "<AllowedMethod>GET"));
    skycrate_provisioner_free(p);
}
END_TEST

/* ---- names ---- */

START_TEST(a_taken_name_gets_a_new_suffix)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_push_str(fx.mock, 409, "", prov_error_doc("BucketAlreadyExists"));
    prov_push_ok(&fx, 8);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    const char *bucket = skycrate_record_bucket(rec);
    ck_assert_uint_eq(strlen(bucket), strlen(PROV_BUCKET) + 9);
    ck_assert_int_eq(strncmp(bucket, PROV_BUCKET "-", strlen(PROV_BUCKET) + 1), 0);
    ck_assert_str_ne(mock_request(fx.mock, 0)->url, mock_request(fx.mock, 1)->url);
    ck_assert_ptr_nonnull(strstr(mock_request(fx.mock, 1)->url, bucket));
    /* No DeleteBucket for someone else's bucket. */
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", ""), 0);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "nameAttempts")), 2);
    json_decref(r);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(names_run_out)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    p->tuning.name_attempts = 3;
    for (int i = 0; i < 3; i++)
        mock_push_str(fx.mock, 409, "", prov_error_doc("BucketAlreadyExists"));
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EEXISTS);
    ck_assert_uint_eq(mock_request_count(fx.mock), 3);
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", ""), 0);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_show(&rec, p, "u42"));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_FAILED);
    ck_assert_ptr_nonnull(strstr(skycrate_record_error(rec), "taken"));
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(owned_by_you_counts_only_when_the_record_says_so)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_push_str(fx.mock, 409, "", prov_error_doc("BucketAlreadyOwnedByYou"));
    prov_push_ok(&fx, 7);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_str_eq(skycrate_record_bucket(rec), PROV_BUCKET);
    ck_assert_uint_eq(mock_request_count(fx.mock), 8);
    ck_assert_uint_eq(prov_count_creates(fx.mock), 1);
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", ""), 0);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

/* A store that reports, for the first `lie` gets, another user's bucket: the record is no
 * proof of ownership then. */
static int lie;
static skycrate_user_store *inner = NULL;
static int lying_get(skycrate_user_store_value *out, const char *user_id, uint32_t flags, void *ud)
{
    (void)ud;
    int rc = inner->callbacks.get(out, user_id, flags, inner->callbacks.user_data);
    if (rc == 0 && lie > 0 && out->text.len) {
        lie--;
        char *s = strstr(out->text.ptr, PROV_BUCKET);
        if (s)
            memcpy(s, "skycrate-xx", 11);
    }
    return rc;
}
static int pass_put(const char *u, const char *j, const char *e, uint32_t f, void *ud)
{
    (void)ud;
    return inner->callbacks.put(u, j, e, f, inner->callbacks.user_data);
}
static int pass_remove(const char *u, const char *e, uint32_t f, void *ud)
{
    (void)ud;
    return inner->callbacks.remove(u, e, f, inner->callbacks.user_data);
}

START_TEST(owned_by_you_without_the_record_is_someone_elses)
{
    ck_assert_sky_ok(skycrate_user_store_new_file(&inner, fx.store_path, 0));
    skycrate_user_store_callbacks cb = SKYCRATE_USER_STORE_CALLBACKS_INIT;
    cb.get = lying_get;
    cb.put = pass_put;
    cb.remove = pass_remove;
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new(&store, &cb));
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(skycrate_provisioner_config_set_store(cfg, store));
    skycrate_user_store_unref(store);
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    mock_push_str(fx.mock, 409, "", prov_error_doc("BucketAlreadyOwnedByYou"));
    prov_push_ok(&fx, 7);
    /* BEGIN reads (absent), then the ownership check reads: that one lies. */
    lie = 1;
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_ne(prov_str(r, "bucket"), PROV_BUCKET);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "nameAttempts")), 2);
    json_decref(r);
    skycrate_provisioner_free(p);
    skycrate_user_store_unref(inner);
}
END_TEST

/* ---- dev mode ---- */

START_TEST(dev_mode_touches_no_network)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(skycrate_provisioner_config_set_dev_mode(cfg, 1));
    skycrate_provisioner *p = NULL;
    ck_assert_sky_ok(skycrate_provisioner_new(&p, NULL, cfg));
    skycrate_provisioner_config_free(cfg);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "User 42@example.com"));
    ck_assert_str_eq(skycrate_record_mode(rec), "dev");
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    char name[64];
    snprintf(name, sizeof(name), "%s", skycrate_record_bucket(rec));
    ck_assert_int_eq(strncmp(name, "skycrate-dev-user-42-example-com-", 33), 0);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_ENCRYPTION),
                     SKYCRATE_STEP_STATUS_DONE);
    ck_assert_str_eq(skycrate_record_endpoint(rec), "");
    skycrate_record_free(rec);
    /* Deterministic and idempotent. */
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "User 42@example.com"));
    ck_assert_str_eq(skycrate_record_bucket(rec), name);
    skycrate_record_free(rec);

    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, p, "User 42@example.com"));
    ck_assert_int_eq(skycrate_verify_report_ok(v), 1);
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_CORS),
                     SKYCRATE_VERIFY_STATUS_NOT_CHECKED);
    /* A dev record's reports say, in one documented shape, that no server was asked. */
    ck_assert_int_eq(skycrate_verify_report_checked(v), 0);
    ck_assert_int_eq(skycrate_verify_report_bucket_exists(v), 0);
    ck_assert_int_eq(skycrate_verify_report_browser(NULL, v), SKYCRATE_VERIFY_STATUS_NOT_CHECKED);
    for (int st = 0; st < 8; st++)
        ck_assert_int_eq(skycrate_verify_report_step(v, (skycrate_step)st),
                         SKYCRATE_VERIFY_STATUS_NOT_CHECKED);
    char *dev_json = NULL;
    ck_assert_sky_ok(skycrate_verify_report_to_json(&dev_json, v, 0));
    ck_assert_ptr_nonnull(strstr(dev_json, "\"mode\":\"dev\",\"ok\":true,\"checked\":false,"
                                           "\"exists\":false"));
    skycrate_free(dev_json);
    skycrate_verify_report_free(v);
    skycrate_usage_report *u = NULL;
    ck_assert_sky_ok(skycrate_provisioner_usage(&u, p, "User 42@example.com"));
    ck_assert_uint_eq(skycrate_usage_report_objects(u), 0);
    ck_assert_int_eq(skycrate_usage_report_checked(u), 0);
    ck_assert_sky_ok(skycrate_usage_report_to_json(&dev_json, u, 0));
    ck_assert_ptr_nonnull(strstr(dev_json, "\"mode\":\"dev\",\"checked\":false,\"objects\":0"));
    skycrate_free(dev_json);
    skycrate_usage_report_free(u);
    skycrate_deprovision_report *d = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&d, p, "User 42@example.com", 0));
    ck_assert_int_eq(skycrate_record_state(skycrate_deprovision_report_record(d)),
                     SKYCRATE_STATE_DELETED);
    skycrate_deprovision_report_free(d);
    skycrate_provisioner_free(p);
    ck_assert_uint_eq(mock_request_count(fx.mock), 0);
}
END_TEST

START_TEST(dev_and_aws_records_do_not_mix)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(skycrate_provisioner_config_set_dev_mode(cfg, 1));
    skycrate_provisioner *dev = NULL;
    ck_assert_sky_ok(skycrate_provisioner_new(&dev, fx.client, cfg));
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, dev, "u42"));
    ck_assert_sky_ok(skycrate_provisioner_config_set_dev_mode(cfg, 0));
    skycrate_provisioner *aws = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    cfg = NULL;
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, aws, "u42"), SKYCRATE_EEXISTS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "dev-mode record"));
    /* After deprovisioning the dev record, the real bucket is made. */
    ck_assert_sky_ok(skycrate_provisioner_deprovision(NULL, aws, "u42", 0));
    prov_push_ok(&fx, 7);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, aws, "u42"));
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, dev, "u42"), SKYCRATE_EEXISTS);
    skycrate_provisioner_free(dev);

    /* A dev provisioner without a client cannot clean up a failed aws record's bucket. */
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
    ck_assert_sky_ok(skycrate_user_store_put(
        store, "u9",
        "{\"userId\":\"u9\",\"bucket\":\"b-u9\",\"mode\":\"aws\",\"state\":\"failed\","
        "\"rolledBack\":false,\"endpoint\":\"https://s3.eu-west-1.amazonaws.com\"}",
        NULL));
    skycrate_user_store_unref(store);
    cfg = prov_config(&fx);
    ck_assert_sky_ok(skycrate_provisioner_config_set_dev_mode(cfg, 1));
    ck_assert_sky_ok(skycrate_provisioner_new(&dev, NULL, cfg));
    skycrate_provisioner_config_free(cfg);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, dev, "u9"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, dev, "u9", 0), SKYCRATE_EINVAL);
    skycrate_provisioner_free(dev);
    skycrate_provisioner_free(aws);
}
END_TEST

/* ---- handle, configuration, records ---- */

START_TEST(an_active_record_is_returned_without_requests)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    ck_assert_uint_eq(mock_request_count(fx.mock), 8);
    skycrate_record *rec = NULL;
    ck_assert_int_eq(skycrate_provisioner_show(&rec, p, "nobody"), SKYCRATE_ENOTFOUND);
    ck_assert_ptr_null(rec);
    ck_assert_sky_ok(skycrate_provisioner_show(&rec, p, "u42"));
    char *json = NULL;
    ck_assert_sky_ok(skycrate_record_to_json(&json, rec, SKYCRATE_JSON_PRETTY));
    ck_assert_int_eq(strncmp(json, "{\n  \"userId\": \"u42\",\n  \"bucket\": \"" PROV_BUCKET, 47),
                     0);
    skycrate_free(json);
    ck_assert_int_eq(skycrate_record_to_json(&json, rec, 2), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_record_updated_at(rec), PROV_T0_MS / 1000);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(the_application_keeps_its_own_fields)
{
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
    ck_assert_sky_ok(skycrate_user_store_put(store, "u42",
                                             "{\"userId\":\"u42\",\"bucket\":\"old-bucket\","
                                             "\"state\":\"deleted\",\"plan\":\"pro\"}",
                                             NULL));
    skycrate_user_store_unref(store);
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "plan"), "pro");
    ck_assert_str_eq(prov_str(r, "bucket"), PROV_BUCKET);
    json_decref(r);

    /* A record with the application's fields only: no bucket yet. */
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
    ck_assert_sky_ok(skycrate_user_store_put(store, "u7", "{\"plan\":\"free\",\"n\":1}", NULL));
    skycrate_user_store_unref(store);
    skycrate_record *rec = NULL;
    ck_assert_int_eq(skycrate_provisioner_show(&rec, p, "u7"), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, p, "u7", 0), SKYCRATE_ENOTFOUND);
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u7"));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    r = prov_record(&fx, "u7");
    ck_assert_str_eq(prov_str(r, "plan"), "free");
    ck_assert_str_eq(prov_str(r, "userId"), "u7");
    json_decref(r);
    /* A broken provisioner record is an error, never overwritten. */
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
    ck_assert_sky_ok(
        skycrate_user_store_put(store, "u8", "{\"bucket\":\"b\",\"state\":\"odd\"}", NULL));
    skycrate_user_store_unref(store);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u8"), SKYCRATE_EPARSE);
    r = prov_record(&fx, "u8");
    ck_assert_str_eq(prov_str(r, "state"), "odd");
    json_decref(r);
    /* Another user's record under this user's name, or broken step lists: never acted on. */
    static const char *const broken[] = {
        "{\"userId\":\"u42\",\"bucket\":\"" PROV_BUCKET "\",\"state\":\"active\"}",
        "{\"userId\":\"u9\",\"bucket\":\"b\",\"state\":\"provisioning\",\"stepsDone\":\"x\"}",
        "{\"userId\":\"u9\",\"bucket\":\"b\",\"state\":\"active\",\"stepsSkipped\":{}}",
        /* A target no request may go to: it would become a host name or a path. */
        "{\"userId\":\"u9\",\"bucket\":\"evil.example/x\",\"state\":\"active\"}",
        "{\"userId\":\"u9\",\"bucket\":\"evil.example#\",\"state\":\"provisioning\"}",
        "{\"userId\":\"u9\",\"bucket\":\"" PROV_BUCKET "\",\"state\":\"active\","
        "\"region\":\"x.evil.example#\"}",
        "{\"userId\":\"u9\",\"bucket\":\"" PROV_BUCKET "\",\"state\":\"deprovisioning\","
        "\"region\":\"eu-west-1/..\"}",
        "{\"userId\":\"u9\",\"bucket\":\"" PROV_BUCKET "\",\"state\":\"active\",\"region\":7}",
    };
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(broken); i++) {
        ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
        skycrate_user_store_remove(store, "u9", NULL);
        ck_assert_sky_ok(skycrate_user_store_put(store, "u9", broken[i], NULL));
        skycrate_user_store_unref(store);
        size_t sent = mock_request_count(fx.mock);
        ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u9"), SKYCRATE_EPARSE);
        ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, p, "u9", 0), SKYCRATE_EPARSE);
        ck_assert_int_eq(skycrate_provisioner_show(&rec, p, "u9"), SKYCRATE_EPARSE);
        ck_assert_uint_eq(mock_request_count(fx.mock), sent);
        char *text = NULL;
        ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
        ck_assert_sky_ok(skycrate_user_store_get(&text, store, "u9"));
        skycrate_user_store_unref(store);
        json_t *want = json_loads(broken[i], 0, NULL), *got = json_loads(text, 0, NULL);
        ck_assert(json_equal(want, got));
        json_decref(want);
        json_decref(got);
        skycrate_free(text);
    }
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(arguments_and_configuration_are_checked)
{
    skycrate_provisioner_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    ck_assert_int_eq(skycrate_provisioner_config_set_bucket_prefix(cfg, "Bad_Prefix"),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_set_bucket_prefix(cfg, "xn--a"), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_provisioner_config_set_bucket_prefix(cfg, "acme"));
    ck_assert_int_eq(skycrate_provisioner_config_set_failure_mode(cfg, (skycrate_failure_mode)7),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_set_public_access_block(cfg, 0x10),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(
        skycrate_provisioner_config_set_encryption(cfg, SKYCRATE_ENCRYPTION_AES256, "key", 0),
        SKYCRATE_EINVAL);
    ck_assert_int_eq(
        skycrate_provisioner_config_set_encryption(cfg, SKYCRATE_ENCRYPTION_AES256, NULL, 1),
        SKYCRATE_EINVAL);
    ck_assert_int_eq(
        skycrate_provisioner_config_set_encryption(cfg, (skycrate_encryption)9, NULL, 0),
        SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_set_object_ownership(cfg, (skycrate_ownership)4),
                     SKYCRATE_EINVAL);
    const char *bad_origins[] = {"",
                                 "ftp://x",
                                 "https://",
                                 "https://a/b",
                                 "https://a b",
                                 "https://*.*.x",
                                 "app.example.com"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_origins); i++)
        ck_assert_msg(skycrate_provisioner_config_add_cors_origin(cfg, bad_origins[i]) ==
                          SKYCRATE_EINVAL,
                      "%s", bad_origins[i]);
    ck_assert_sky_ok(skycrate_provisioner_config_add_cors_origin(cfg, "*"));
    ck_assert_sky_ok(skycrate_provisioner_config_add_cors_origin(cfg, "https://*.example.com"));
    ck_assert_sky_ok(skycrate_provisioner_config_add_cors_origin(cfg, "http://localhost:8080"));
    const char *bad_headers[] = {
        "", "a b", "x-amz-**", "*-*", "content-type:", "h\r\nx: y", "\xc3\xa9"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_headers); i++) {
        ck_assert_msg(skycrate_provisioner_config_set_cors_allowed_headers(cfg, &bad_headers[i],
                                                                           1) == SKYCRATE_EINVAL,
                      "%s", bad_headers[i]);
        ck_assert_int_eq(
            skycrate_provisioner_config_set_cors_expose_headers(cfg, &bad_headers[i], 1),
            SKYCRATE_EINVAL);
    }
    const char *many[33];
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(many); i++)
        many[i] = "x-amz-meta-a";
    ck_assert_int_eq(skycrate_provisioner_config_set_cors_allowed_headers(cfg, many, 33),
                     SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_provisioner_config_set_cors_allowed_headers(cfg, many, 32));
    ck_assert_int_eq(skycrate_provisioner_config_set_cors_allowed_headers(cfg, NULL, 1),
                     SKYCRATE_EINVAL);
    /* a refused list leaves the one before: 32 names */
    ck_assert_uint_eq(cfg->profile.cors_allowed_headers.count, 32);
    ck_assert_sky_ok(skycrate_provisioner_config_set_cors_allowed_headers(cfg, NULL, 0));
    ck_assert(!cfg->profile.cors_allowed_headers_set);
    ck_assert_sky_ok(skycrate_provisioner_config_set_cors_expose_headers(cfg, many, 0));
    ck_assert(cfg->profile.cors_expose_headers_set);
    ck_assert_uint_eq(cfg->profile.cors_expose_headers.count, 0);
    ck_assert_int_eq(skycrate_provisioner_config_set_abort_multipart_days(cfg, 3651),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_set_application(cfg, "bad\"name"),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_set_application(cfg, ""), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_add_tag(cfg, "aws:x", "v"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_add_tag(cfg, "skycrate:owner", "v"),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_add_tag(cfg, "", "v"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_add_tag(cfg, "k", "<v>"), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_provisioner_config_add_tag(cfg, "k", ""));
    ck_assert_int_eq(skycrate_provisioner_config_add_tag(cfg, "k", "again"), SKYCRATE_EINVAL);
    char key[8];
    for (int i = 1; i < 40; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ck_assert_sky_ok(skycrate_provisioner_config_add_tag(cfg, key, "v"));
    }
    ck_assert_int_eq(skycrate_provisioner_config_add_tag(cfg, "one-more", "v"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_config_set_store(cfg, (skycrate_user_store *)fx.client),
                     SKYCRATE_EINVAL);

    /* No client outside dev mode; a foreign handle is refused. */
    skycrate_provisioner *p = NULL;
    ck_assert_int_eq(skycrate_provisioner_new(&p, NULL, cfg), SKYCRATE_EINVAL);
    ck_assert_int_eq(
        skycrate_provisioner_new(&p, fx.client, (skycrate_provisioner_config *)fx.mock),
        SKYCRATE_EINVAL);
    prov_use_store_file(cfg, fx.store_path);
    ck_assert_sky_ok(skycrate_provisioner_new(&p, fx.client, cfg));
    skycrate_provisioner_config_free(cfg);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, ""), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "bad\xff"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, NULL, "u42"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, p, "u42", 4), SKYCRATE_EINVAL);
    ck_assert_ptr_null(skycrate_step_name((skycrate_step)8));
    ck_assert_str_eq(skycrate_step_name(SKYCRATE_STEP_OWNERSHIP_CONTROLS), "ownership-controls");
    ck_assert_str_eq(skycrate_state_name(SKYCRATE_STATE_DEPROVISIONING), "deprovisioning");
    ck_assert_ptr_null(skycrate_state_name((skycrate_state)0));
    /* Accessors accept NULL. */
    ck_assert_str_eq(skycrate_record_bucket(NULL), "");
    ck_assert_int_eq(skycrate_record_state(NULL), 0);
    skycrate_provisioner_free(p);
    skycrate_provisioner_free(NULL);
    skycrate_provisioner_config_free(NULL);

    /* A users file that is not one is refused when the store is opened. */
    FILE *f = fopen(fx.store_path, "w");
    fputs("[1, 2]", f);
    fclose(f);
    skycrate_user_store *store = NULL;
    ck_assert_int_eq(skycrate_user_store_new_file(&store, fx.store_path, 0), SKYCRATE_EPARSE);
    ck_assert_ptr_null(store);
}
END_TEST

START_TEST(long_and_odd_user_ids_are_tagged_by_hash)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    const char *id = "Ünïcödé user <with> \"odd\" chars";
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, id));
    ck_assert_str_eq(skycrate_record_user_id(rec), id);
    skycrate_record_free(rec);
    bool found = false;
    for (size_t i = 0; i < mock_request_count(fx.mock); i++) {
        const mock_req *r = mock_request(fx.mock, i);
        if (strstr(r->url, "?tagging"))
            found =
                strstr((const char *)r->body, "<Key>skycrate:owner</Key><Value>sha256:") != NULL;
    }
    ck_assert(found);
    skycrate_provisioner_free(p);
}
END_TEST

/* ---- allocation failures ---- */

START_TEST(allocation_failures_are_enomem_and_leak_nothing)
{
    int failures = 0;
    for (long n = 1; n < 5000; n++) {
        mock_free(fx.mock);
        fx.mock = mock_new();
        mock_allow_unused(fx.mock); /* a failed allocation stops before the script ends */
        prov_fixture_client(&fx, "eu-west-1", NULL);
        skycrate_user_store *store = prov_memory_store();
        skycrate_provisioner_config *cfg = prov_config(&fx);
        prov_golden_profile(cfg);
        ck_assert_sky_ok(skycrate_provisioner_config_set_store(cfg, store));
        skycrate_provisioner *p = prov_new(&fx, cfg);
        skycrate_provisioner_config_free(cfg);
        prov_push_ok(&fx, 12);
        testalloc_fail_at(n);
        int rc = skycrate_provisioner_provision(NULL, p, "u42");
        bool hit = testalloc_count() >= n;
        testalloc_fail_at(0);
        skycrate_provisioner_free(p);
        ck_assert_msg(rc == 0 || rc == SKYCRATE_ENOMEM, "allocation %ld: %d %s", n, rc,
                      skycrate_error_last()->message);
        /* Whatever failed, a bucket the mock created is named by a record. */
        const char *text = prov_memory_record(store, "u42");
        if (prov_count_creates(fx.mock) > 0)
            ck_assert_ptr_nonnull(text);
        if (rc == 0)
            ck_assert_ptr_nonnull(strstr(text, "\"state\":\"active\""));
        skycrate_user_store_unref(store);
        if (!hit) {
            ck_assert_int_eq(rc, 0);
            break;
        }
        failures += rc == SKYCRATE_ENOMEM;
    }
    ck_assert_int_gt(failures, 20);
}
END_TEST

static Suite *provision_suite(void)
{
    Suite *s = suite_create("provision");
    TCase *tc = tcase_create("request bytes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_step_is_sent_as_botocore_sends_it);
    tcase_add_test(tc, us_east_1_has_no_location_constraint);
    tcase_add_test(tc, custom_endpoint_uses_path_style);
    tcase_add_test(tc, kms_and_a_partial_public_access_block);
    tcase_add_test(tc, china_regions_use_their_partition);
    tcase_add_test(tc, steps_left_out_send_nothing);
    tcase_add_test(tc, cors_methods_are_configurable);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_taken_name_gets_a_new_suffix);
    tcase_add_test(tc, names_run_out);
    tcase_add_test(tc, owned_by_you_counts_only_when_the_record_says_so);
    tcase_add_test(tc, owned_by_you_without_the_record_is_someone_elses);
    tcase_add_test(tc, long_and_odd_user_ids_are_tagged_by_hash);
    suite_add_tcase(s, tc);

    tc = tcase_create("dev mode");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dev_mode_touches_no_network);
    tcase_add_test(tc, dev_and_aws_records_do_not_mix);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, an_active_record_is_returned_without_requests);
    tcase_add_test(tc, the_application_keeps_its_own_fields);
    tcase_add_test(tc, arguments_and_configuration_are_checked);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocation failures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, allocation_failures_are_enomem_and_leak_nothing);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(provision_suite)
