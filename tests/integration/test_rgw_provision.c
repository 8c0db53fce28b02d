/*
 * Integration tests of the provisioner against radosgw, in compatible mode (radosgw 16 rejects
 * PutBucketEncryption and PutBucketOwnershipControls with 400 InvalidArgument): provision, verify
 * with the server's own answers, versioned objects, delete markers and an unfinished multipart
 * upload, usage, deprovision; strict mode rolls back; a crash resumes. Tests that upload into a
 * provisioned bucket use a profile without BlockPublicAcls: radosgw 16 then denies every
 * PutObject (a server bug, also with botocore alone; documented by a test below).
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "rgwenv.h"
#include "s3/request.h"
#include "store/store.h"
#include "provfixture.h"
#include "testutil.h"
#include "xml/s3.h"

static skycrate_client *client;
static char dir[64], store_path[128], user[64];

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    client = rgw_client(NULL);
    snprintf(dir, sizeof(dir), "/tmp/skycrate-it-prov-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(store_path, sizeof(store_path), "%s/users.json", dir);
    static int counter;
    snprintf(user, sizeof(user), "it-user-%d-%d", (int)getpid(), ++counter);
}

static void teardown(void)
{
    skycrate__file_store_test_hook = NULL;
    /* Leave no bucket behind, whatever the test did. */
    skycrate_provisioner_config *cfg = NULL;
    skycrate_user_store *store = NULL;
    skycrate_provisioner *p = NULL;
    if (skycrate_provisioner_config_new(&cfg) == 0 &&
        skycrate_user_store_new_file(&store, store_path, 0) == 0 &&
        skycrate_provisioner_config_set_store(cfg, store) == 0 &&
        skycrate_provisioner_new(&p, client, cfg) == 0)
        skycrate_provisioner_deprovision(NULL, p, user, 0);
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(cfg);
    skycrate_user_store_unref(store);
    unlink(store_path);
    char lock[160];
    snprintf(lock, sizeof(lock), "%s.lock", store_path);
    unlink(lock);
    rmdir(dir);
    skycrate_client_free(client);
    skycrate_global_cleanup();
}

/* Compatible mode, CORS for one origin, and (unless `block_acls`) no BlockPublicAcls. */
static skycrate_provisioner *make_provisioner(bool block_acls, bool compatible)
{
    skycrate_provisioner_config *cfg;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    prov_use_store_file(cfg, store_path);
    if (compatible)
        ck_assert_sky_ok(
            skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE));
    if (!block_acls)
        ck_assert_sky_ok(skycrate_provisioner_config_set_public_access_block(
            cfg, SKYCRATE_PAB_ALL & ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS));
    ck_assert_sky_ok(skycrate_provisioner_config_add_cors_origin(cfg, "https://app.example.com"));
    ck_assert_sky_ok(skycrate_provisioner_config_set_application(cfg, "integration"));
    skycrate_provisioner *p;
    ck_assert_sky_ok(skycrate_provisioner_new(&p, client, cfg));
    skycrate_provisioner_config_free(cfg);
    return p;
}

/* One raw request through the library's signer (for what the public API does not offer). */
static int raw(const char *operation, const char *method, const char *bucket, const char *key,
               const char *q, const char *body, skycrate__buf *answer)
{
    skycrate__kv query = {q, ""};
    char md5[25];
    skycrate__kv header = {"Content-MD5", md5};
    if (body)
        skycrate__content_md5(md5, body, strlen(body));
    skycrate__s3_request req = {.operation = operation,
                                .method = method,
                                .bucket = bucket,
                                .key = key,
                                .query = q ? &query : NULL,
                                .query_count = q ? 1 : 0,
                                .headers = body ? &header : NULL,
                                .header_count = body ? 1 : 0,
                                .body_kind = body ? SKYCRATE__BODY_MEMORY : SKYCRATE__BODY_NONE,
                                .body_data = body,
                                .body_length = body ? strlen(body) : 0};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    int rc = skycrate__s3_send(client, &req, &resp, NULL);
    if (rc == 0 && answer)
        skycrate__buf_put(answer, resp.body.ptr ? resp.body.ptr : "", resp.body.len);
    skycrate__http_response_dispose(&resp);
    return rc;
}

START_TEST(provision_verify_use_and_deprovision)
{
    skycrate_provisioner *p = make_provisioner(false, true);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, user));
    char bucket[64];
    snprintf(bucket, sizeof(bucket), "%s", skycrate_record_bucket(rec));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    /* radosgw's answers, as recorded. */
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_ENCRYPTION),
                     SKYCRATE_STEP_STATUS_SKIPPED);
    ck_assert_str_eq(skycrate_record_step_note(rec, SKYCRATE_STEP_ENCRYPTION),
                     "HTTP 400 InvalidArgument");
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_OWNERSHIP_CONTROLS),
                     SKYCRATE_STEP_STATUS_SKIPPED);
    for (int s = 0; s < 8; s++) {
        skycrate_step step = (skycrate_step)s;
        if (step != SKYCRATE_STEP_ENCRYPTION && step != SKYCRATE_STEP_OWNERSHIP_CONTROLS)
            ck_assert_msg(skycrate_record_step(rec, step) == SKYCRATE_STEP_STATUS_DONE, "%s",
                          skycrate_step_name(step));
    }
    ck_assert_str_eq(skycrate_record_endpoint(rec), rgw_env("SKYCRATE_TEST_ENDPOINT"));
    skycrate_record_free(rec);
    ck_assert_sky_ok(skycrate_bucket_head(client, bucket));

    /* Verify reads radosgw's own configuration back. */
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, p, user));
    for (int s = 0; s < 8; s++) {
        skycrate_step step = (skycrate_step)s;
        skycrate_verify_status want =
            step == SKYCRATE_STEP_ENCRYPTION || step == SKYCRATE_STEP_OWNERSHIP_CONTROLS
                ? SKYCRATE_VERIFY_STATUS_NOT_CHECKED
                : SKYCRATE_VERIFY_STATUS_MATCH;
        ck_assert_msg(skycrate_verify_report_step(v, step) == want, "%s: %d %s",
                      skycrate_step_name(step), skycrate_verify_report_step(v, step),
                      skycrate_verify_report_step_detail(v, step));
    }
    ck_assert_int_eq(skycrate_verify_report_ok(v), 1);
    skycrate_verify_report_free(v);

    /* Versions, a delete marker, an unfinished multipart upload. */
    ck_assert_sky_ok(raw("PutBucketVersioning", "PUT", bucket, NULL, "versioning",
                         "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                         "2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>",
                         NULL));
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, "docs/a b.txt", "one", 3, NULL));
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, "docs/a b.txt", "two!", 4, NULL));
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, "keep+me.bin", "12345", 5, NULL));
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, "gone.txt", "xx", 2, NULL));
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "gone.txt")); /* a delete marker */
    skycrate__buf answer = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(
        raw("CreateMultipartUpload", "POST", bucket, "big upload.bin", "uploads", NULL, &answer));
    skycrate__s3_initiate_doc init;
    ck_assert_sky_ok(skycrate__s3_initiate_doc_parse(&init, answer.ptr, answer.len));
    skycrate__s3_initiate_doc_dispose(&init);
    skycrate__buf_dispose(&answer);

    /* Usage: the current objects. */
    skycrate_usage_report *u = NULL;
    ck_assert_sky_ok(skycrate_provisioner_usage(&u, p, user));
    ck_assert_uint_eq(skycrate_usage_report_objects(u), 2);
    ck_assert_uint_eq(skycrate_usage_report_bytes(u), 9);
    ck_assert_uint_eq(skycrate_usage_report_class_count(u), 1);
    ck_assert_str_eq(skycrate_usage_report_class_name(u, 0), "STANDARD");
    skycrate_usage_report_free(u);

    /* A dry run counts what deprovisioning will delete. */
    skycrate_deprovision_report *d = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&d, p, user, SKYCRATE_DEPROVISION_DRY_RUN));
    ck_assert_uint_eq(skycrate_deprovision_report_versions(d), 4);
    ck_assert_uint_eq(skycrate_deprovision_report_delete_markers(d), 1);
    ck_assert_uint_eq(skycrate_deprovision_report_uploads(d), 1);
    ck_assert_uint_eq(skycrate_deprovision_report_bytes(d), 14);
    skycrate_deprovision_report_free(d);
    ck_assert_sky_ok(skycrate_bucket_head(client, bucket));

    /* Deprovision: everything goes, then the bucket; the record says so. */
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&d, p, user, 0));
    ck_assert_uint_eq(skycrate_deprovision_report_versions(d), 4);
    ck_assert_uint_eq(skycrate_deprovision_report_delete_markers(d), 1);
    ck_assert_uint_eq(skycrate_deprovision_report_uploads(d), 1);
    ck_assert_int_eq(skycrate_record_state(skycrate_deprovision_report_record(d)),
                     SKYCRATE_STATE_DELETED);
    skycrate_deprovision_report_free(d);
    ck_assert_int_eq(skycrate_bucket_head(client, bucket), SKYCRATE_ENOTFOUND);
    skycrate_record *after = NULL;
    ck_assert_sky_ok(skycrate_provisioner_show(&after, p, user));
    ck_assert_int_eq(skycrate_record_state(after), SKYCRATE_STATE_DELETED);
    skycrate_record_free(after);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(strict_mode_rolls_back_on_radosgw)
{
    skycrate_provisioner *p = make_provisioner(false, false);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, user), SKYCRATE_EINVAL);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_show(&rec, p, user));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_FAILED);
    ck_assert_ptr_nonnull(strstr(skycrate_record_error(rec), "InvalidArgument"));
    /* No orphan: the bucket the transaction created is gone. */
    ck_assert_int_eq(skycrate_bucket_head(client, skycrate_record_bucket(rec)), SKYCRATE_ENOTFOUND);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

/* Thousands of versions: the usage listing is paginated, and deprovisioning deletes its
 * batches of 1000 on several lanes at once (the client's transport has six). */
START_TEST(thousands_of_versions_are_counted_and_deleted)
{
    enum { KEYS = 1100, REWRITTEN = 100 };
    skycrate_provisioner *p = make_provisioner(false, true);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, user));
    char bucket[64];
    snprintf(bucket, sizeof(bucket), "%s", skycrate_record_bucket(rec));
    skycrate_record_free(rec);
    ck_assert_sky_ok(raw("PutBucketVersioning", "PUT", bucket, NULL, "versioning",
                         "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                         "2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>",
                         NULL));
    for (int i = 0; i < KEYS + REWRITTEN; i++) {
        char key[32];
        snprintf(key, sizeof(key), "many/%04d", i % KEYS);
        ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, key, "xyz", 3, NULL));
    }
    /* beside them: a delete marker (and the version under it), and an unfinished upload */
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, "gone", "12345", 5, NULL));
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "gone"));
    char *upload_id = NULL;
    ck_assert_sky_ok(skycrate_multipart_create(&upload_id, client, bucket, "unfinished", NULL));
    skycrate__kv part_query[] = {{"partNumber", "1"}, {"uploadId", upload_id}};
    skycrate__s3_request part = {.operation = "UploadPart",
                                 .method = "PUT",
                                 .bucket = bucket,
                                 .key = "unfinished",
                                 .query = part_query,
                                 .query_count = 2,
                                 .body_kind = SKYCRATE__BODY_MEMORY,
                                 .body_data = "1234567",
                                 .body_length = 7};
    struct skycrate_http_response part_resp;
    skycrate__http_response_init(&part_resp);
    ck_assert_sky_ok(skycrate__s3_send(client, &part, &part_resp, NULL));
    skycrate__http_response_dispose(&part_resp);

    skycrate_usage_report *u = NULL;
    ck_assert_sky_ok(skycrate_provisioner_usage(&u, p, user));
    ck_assert_uint_eq(skycrate_usage_report_objects(u), KEYS);
    ck_assert_uint_eq(skycrate_usage_report_bytes(u), 3 * KEYS);
    ck_assert_int_eq(skycrate_usage_report_versions_listed(u), 1);
    ck_assert_uint_eq(skycrate_usage_report_noncurrent_objects(u), REWRITTEN + 1);
    ck_assert_uint_eq(skycrate_usage_report_noncurrent_bytes(u), 3 * REWRITTEN + 5);
    ck_assert_uint_eq(skycrate_usage_report_delete_markers(u), 1);
    ck_assert_uint_eq(skycrate_usage_report_upload_count(u), 1);
    ck_assert_uint_eq(skycrate_usage_report_upload_parts(u), 1);
    ck_assert_uint_eq(skycrate_usage_report_upload_bytes(u), 7);
    skycrate_usage_report_free(u);
    skycrate_free(upload_id);

    skycrate_deprovision_report *d = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&d, p, user, 0));
    ck_assert_uint_eq(skycrate_deprovision_report_versions(d), KEYS + REWRITTEN + 1);
    ck_assert_uint_eq(skycrate_deprovision_report_bytes(d), 3 * (KEYS + REWRITTEN) + 5);
    ck_assert_int_eq(skycrate_record_state(skycrate_deprovision_report_record(d)),
                     SKYCRATE_STATE_DELETED);
    skycrate_deprovision_report_free(d);
    ck_assert_int_eq(skycrate_bucket_head(client, bucket), SKYCRATE_ENOTFOUND);
    skycrate_provisioner_free(p);
}
END_TEST

static int crash_after;
static int crash_hook(const char *stage)
{
    if (!strcmp(stage, "tmp-written") && --crash_after == 0)
        _exit(0);
    return 0;
}

START_TEST(a_killed_provisioning_resumes)
{
    /* Killed while writing the end of the provisioning (the third write: intent, create, end):
     * the bucket exists and is configured, the record says "provisioning" with the create done
     * and the configuration steps pending, to be sent again. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        skycrate_provisioner *p = make_provisioner(false, true);
        crash_after = 3;
        skycrate__file_store_test_hook = crash_hook;
        skycrate_provisioner_provision(NULL, p, user);
        _exit(2);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    skycrate_provisioner *p = make_provisioner(false, true);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_show(&rec, p, user));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_PROVISIONING);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_CREATE), SKYCRATE_STEP_STATUS_DONE);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_CORS), SKYCRATE_STEP_STATUS_PENDING);
    ck_assert_int_eq(skycrate_bucket_head(client, skycrate_record_bucket(rec)), 0);
    skycrate_record_free(rec);

    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, user));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, p, user));
    ck_assert_int_eq(skycrate_verify_report_ok(v), 1);
    skycrate_verify_report_free(v);
    skycrate_provisioner_free(p);
}
END_TEST

/*
 * radosgw 16 refuses every PutObject once BlockPublicAcls is true, even the owner's (a server
 * bug; botocore alone shows the same). Compatible mode observes it with its write probe, keeps
 * the other three settings and records the refusal: the bucket then takes the library's own
 * presigned uploads, and verify expects the adapted block. If radosgw is fixed, no adaptation
 * happens and this test fails: the note can then go.
 */
START_TEST(compatible_mode_ends_with_a_bucket_that_takes_presigned_uploads)
{
    skycrate_provisioner *p = make_provisioner(true, true);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, user));
    const char *bucket = skycrate_record_bucket(rec);
    ck_assert_str_eq(skycrate_record_step_note(rec, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK),
                     "BlockPublicAcls left off: with it the server refused an upload (HTTP 403 "
                     "AccessDenied)");
    /* The server's block is the adapted one. */
    skycrate__buf block = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(
        raw("GetPublicAccessBlock", "GET", bucket, NULL, "publicAccessBlock", NULL, &block));
    ck_assert_ptr_nonnull(strstr(skycrate__buf_cstr(&block), "<BlockPublicAcls>false"));
    ck_assert_ptr_nonnull(strstr(skycrate__buf_cstr(&block), "<IgnorePublicAcls>true"));
    skycrate__buf_dispose(&block);
    /* A presigned PUT, replayed by the doctor as a browser sends it: nothing wrong. */
    skycrate_presigner *presigner = NULL;
    skycrate_doctor *doctor = NULL;
    skycrate_presign_request *req = NULL;
    skycrate_presigned *contract = NULL;
    skycrate_doctor_case *dc = NULL;
    skycrate_diagnosis *d = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
    ck_assert_sky_ok(skycrate_doctor_new(&doctor, client));
    ck_assert_sky_ok(skycrate_presign_request_new(&req, "PUT", bucket, "uploads/u/a.txt"));
    ck_assert_sky_ok(skycrate_presign_request_add_header(req, "Content-Type", "text/plain"));
    ck_assert_sky_ok(skycrate_presigner_sign(&contract, presigner, req));
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_contract(dc, contract));
    ck_assert_sky_ok(skycrate_doctor_replay(&d, client, doctor, dc));
    ck_assert_msg(skycrate_diagnosis_verdict(d) == SKYCRATE_VERDICT_OK, "%s",
                  skycrate_diagnosis_message(d));
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, "k", "x", 1, NULL));
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "k"));
    /* The probe key is gone again. */
    skycrate_object_info *info = NULL;
    ck_assert_int_eq(skycrate_object_head(&info, client, bucket, ".skycrate/write-probe"),
                     SKYCRATE_ENOTFOUND);
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, p, user));
    ck_assert_msg(skycrate_verify_report_ok(v) == 1, "%s",
                  skycrate_verify_report_step_detail(v, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK));
    skycrate_verify_report_free(v);
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_presigned_free(contract);
    skycrate_presign_request_free(req);
    skycrate_doctor_free(doctor);
    skycrate_presigner_free(presigner);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

static Suite *rgw_provision_suite(void)
{
    Suite *s = suite_create("rgw-provision");
    TCase *tc = tcase_create("provisioner");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, provision_verify_use_and_deprovision);
    tcase_add_test(tc, thousands_of_versions_are_counted_and_deleted);
    tcase_add_test(tc, strict_mode_rolls_back_on_radosgw);
    tcase_add_test(tc, a_killed_provisioning_resumes);
    tcase_add_test(tc, compatible_mode_ends_with_a_bucket_that_takes_presigned_uploads);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(rgw_provision_suite)
