/*
 * Unit tests of provisioning failures (lib/provision) with the mock transport: a failure
 * injected at every step (rollback, never an orphan bucket), compatible mode's skips, and a crash
 * at every journal write (resume, nothing done twice that must not be).
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* ---- failures: rollback, never an orphan bucket ---- */

/* The generator's profile on one lane: the steps go out one after another, in the plan's order,
 * so a test knows exactly which requests come before a failure and that none comes after it. */
static skycrate_provisioner *one_lane_provisioner(skycrate_failure_mode mode, bool golden)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    if (golden)
        prov_golden_profile(cfg);
    ck_assert_sky_ok(skycrate_provisioner_config_set_failure_mode(cfg, mode));
    ck_assert_sky_ok(skycrate_provisioner_config_set_concurrency(cfg, 1));
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    ck_assert_uint_eq(p->config_lanes, 1);
    return p;
}

/* After the step at `failed` (a PUT subresource of the plan) failed, no later step of the plan
 * was sent. */
static void assert_no_step_after(const char *const *plan, size_t count, size_t failed)
{
    for (size_t i = 0; i < count; i++)
        ck_assert_msg(mock_count(fx.mock, "PUT", plan[i]) == (i <= failed ? 1u : 0u),
                      "%s sent %zu times after %s failed", plan[i],
                      mock_count(fx.mock, "PUT", plan[i]), plan[failed]);
}

static const char *const put_subresources[] = {
    NULL,      "?publicAccessBlock", "?encryption", "?ownershipControls", "?cors",
    "?policy", "?lifecycle",         "?tagging"};

/* Step `failing` is refused: the steps before it were sent, none after it, and the bucket is
 * deleted. */
START_TEST(a_failing_step_rolls_back)
{
    skycrate_step failing = (skycrate_step)_i;
    skycrate_provisioner *p = one_lane_provisioner(SKYCRATE_FAILURE_MODE_STRICT, true);
    mock_push_str(fx.mock, 200, "", ""); /* the create */
    prov_push_ok(&fx, (int)failing - 1); /* the steps before the failing one */
    mock_route(fx.mock, "PUT", put_subresources[failing], 403, "", prov_error_doc("AccessDenied"));
    mock_route(fx.mock, "DELETE", "amazonaws.com/", 204, "", "");
    int rc = skycrate_provisioner_provision(NULL, p, "u42");
    ck_assert_int_eq(rc, SKYCRATE_EACCESS);
    assert_no_step_after(put_subresources + 1, SKYCRATE_ARRAY_SIZE(put_subresources) - 1,
                         (size_t)failing - 1);
    ck_assert_uint_eq(mock_request_count(fx.mock), 1 + (size_t)failing + 1);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "rolled back"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, skycrate_step_name(failing)));
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", PROV_BUCKET), 1);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "failed");
    ck_assert_str_eq(prov_str(r, "failedStep"), skycrate_step_name(failing));
    ck_assert(json_is_true(json_object_get(r, "rolledBack")));
    ck_assert_str_eq(prov_str(r, "bucket"), PROV_BUCKET);
    json_decref(r);

    /* The next call starts over. */
    prov_push_ok(&fx, 8);
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_str_eq(skycrate_record_error(rec), "");
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(a_create_without_answer_is_rolled_back)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_push_error(fx.mock, SKYCRATE_ECONNECT);
    mock_push_error(fx.mock, SKYCRATE_ECONNECT); /* both attempts of the create */
    mock_push_str(fx.mock, 404, "", prov_error_doc("NoSuchBucket"));
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_ECONNECT);
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", PROV_BUCKET), 1);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "failed");
    ck_assert(json_is_true(json_object_get(r, "rolledBack")));
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(a_refused_create_needs_no_rollback)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_push_str(fx.mock, 403, "", prov_error_doc("AccessDenied"));
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EACCESS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "no bucket was created"));
    ck_assert_uint_eq(mock_request_count(fx.mock), 1);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "failedStep"), "create");
    ck_assert(json_is_true(json_object_get(r, "rolledBack")));
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(a_failed_rollback_is_finished_before_starting_over)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_push_str(fx.mock, 200, "", "");
    mock_route(fx.mock, "PUT", "?tagging", 403, "", prov_error_doc("AccessDenied"));
    mock_route_error(fx.mock, "DELETE", "amazonaws.com/", SKYCRATE_ECONNECT);
    mock_route_error(fx.mock, "DELETE", "amazonaws.com/", SKYCRATE_ECONNECT);
    prov_push_ok(&fx, 6);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EACCESS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "could not be deleted"));
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "failed");
    ck_assert(json_is_false(json_object_get(r, "rolledBack")));
    ck_assert_str_eq(prov_str(r, "bucket"), PROV_BUCKET); /* the record keeps the bucket */
    json_decref(r);

    /* Next call: DeleteBucket of the old bucket first, then a new provisioning. */
    mock_push_str(fx.mock, 204, "", "");
    prov_push_ok(&fx, 8);
    size_t before = mock_request_count(fx.mock);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    const mock_req *first = mock_request(fx.mock, before);
    ck_assert_str_eq(first->method, "DELETE");
    ck_assert_ptr_nonnull(strstr(first->url, PROV_BUCKET));
    skycrate_provisioner_free(p);
}
END_TEST

static int no_credentials(skycrate_credentials **out, void *user_data)
{
    (void)out;
    (void)user_data;
    skycrate_error_set_str(SKYCRATE_ENOTFOUND, "no credentials found here");
    return SKYCRATE_ENOTFOUND;
}

/* A provisioner whose client finds no credentials (the provider answers SKYCRATE_ENOTFOUND). */
static skycrate_provisioner *provisioner_without_credentials(skycrate_client **client_out)
{
    skycrate_credentials_provider *provider;
    ck_assert_sky_ok(skycrate_credentials_provider_new_delegate(&provider, no_credentials, NULL));
    skycrate_client_config *ccfg;
    ck_assert_sky_ok(skycrate_client_config_new(&ccfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(ccfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(ccfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_http_transport *t = mock_transport_new(fx.mock);
    ck_assert_sky_ok(skycrate_client_config_set_transport(ccfg, t));
    skycrate_http_transport_unref(t);
    ck_assert_sky_ok(skycrate_client_new(client_out, ccfg));
    skycrate_client_config_free(ccfg);
    skycrate_provisioner_config *cfg = prov_config(&fx);
    prov_golden_profile(cfg);
    skycrate_provisioner *p;
    ck_assert_sky_ok(skycrate_provisioner_new(&p, *client_out, cfg));
    skycrate_provisioner_config_free(cfg);
    return p;
}

/* "No credentials found" is no 404: nothing is taken as gone or missing for it. */
START_TEST(missing_credentials_are_no_missing_bucket)
{
    skycrate_client *client;
    skycrate_provisioner *p = provisioner_without_credentials(&client);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EAUTH);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "no credentials found here"));
    /* The rollback could not ask the server either: the record keeps the name, unresolved. */
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "could not be deleted"));
    ck_assert_uint_eq(mock_request_count(fx.mock), 0);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "failed");
    ck_assert(json_is_false(json_object_get(r, "rolledBack")));
    json_decref(r);

    /* An active record: verify and deprovision fail instead of finding the bucket gone. */
    skycrate_provisioner *ok = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 1); /* the old bucket's DeleteBucket */
    prov_push_ok(&fx, 8);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, ok, "u42"));
    skycrate_provisioner_free(ok);
    size_t sent = mock_request_count(fx.mock);
    skycrate_verify_report *v = NULL;
    ck_assert_int_eq(skycrate_provisioner_verify(&v, p, "u42"), SKYCRATE_EAUTH);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, p, "u42", 0), SKYCRATE_EAUTH);
    ck_assert_uint_eq(mock_request_count(fx.mock), sent);
    r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "deprovisioning");
    json_decref(r);
    skycrate_provisioner_free(p);
    skycrate_client_free(client);
}
END_TEST

START_TEST(nosuchbucket_right_after_the_create_is_retried)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    mock_push_str(fx.mock, 200, "", "");
    mock_route(fx.mock, "PUT", "?cors", 404, "", prov_error_doc("NoSuchBucket"));
    mock_route(fx.mock, "PUT", "?cors", 404, "", prov_error_doc("NoSuchBucket"));
    prov_push_ok(&fx, 7);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    ck_assert_uint_eq(mock_count(fx.mock, "PUT", "?cors"), 3);
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    skycrate_provisioner_free(p);
}
END_TEST

/* ---- compatible mode ---- */

START_TEST(compatible_mode_skips_what_the_server_lacks)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    prov_golden_profile(cfg);
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE));
    skycrate_provisioner *p = prov_new(&fx, cfg);
    /* One configuration write at a time on S3-compatible servers, unless asked otherwise. */
    ck_assert_uint_eq(p->config_lanes, 1);
    ck_assert_uint_eq(p->lanes, 4);
    ck_assert_sky_ok(skycrate_provisioner_config_set_concurrency(cfg, 3));
    skycrate_provisioner *q = prov_new(&fx, cfg);
    ck_assert_uint_eq(q->config_lanes, 3);
    skycrate_provisioner_free(q);
    ck_assert_sky_ok(skycrate_provisioner_config_set_concurrency(cfg, 64));
    q = prov_new(&fx, cfg);
    ck_assert_uint_eq(q->config_lanes, 4);
    skycrate_provisioner_free(q);
    skycrate_provisioner_config_free(cfg);
    mock_push_str(fx.mock, 200, "", "");
    mock_route(fx.mock, "PUT", "?encryption", 400, "", prov_error_doc("InvalidArgument"));
    mock_route(fx.mock, "PUT", "?ownershipControls", 501, "", "");
    mock_route(fx.mock, "PUT", "?lifecycle", 405, "", prov_error_doc("MethodNotAllowed"));
    prov_push_ok(&fx, 6); /* and the write probe: PUT, DELETE */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_uint_eq(mock_count(fx.mock, "PUT", ".skycrate/write-probe"), 1);
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", ".skycrate/write-probe"), 1);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK),
                     SKYCRATE_STEP_STATUS_DONE);
    ck_assert_str_eq(skycrate_record_step_note(rec, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK), "");
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_ENCRYPTION),
                     SKYCRATE_STEP_STATUS_SKIPPED);
    ck_assert_str_eq(skycrate_record_step_note(rec, SKYCRATE_STEP_ENCRYPTION),
                     "HTTP 400 InvalidArgument: InvalidArgument here");
    ck_assert_str_eq(skycrate_record_step_note(rec, SKYCRATE_STEP_OWNERSHIP_CONTROLS), "HTTP 501");
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_LIFECYCLE),
                     SKYCRATE_STEP_STATUS_SKIPPED);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_CORS), SKYCRATE_STEP_STATUS_DONE);
    ck_assert_str_eq(skycrate_record_step_note(rec, SKYCRATE_STEP_CORS), "");
    char *json = NULL;
    ck_assert_sky_ok(skycrate_record_to_json(&json, rec, 0));
    ck_assert_ptr_nonnull(strstr(json, "\"failureMode\":\"compatible\""));
    ck_assert_ptr_nonnull(strstr(json, "{\"step\":\"encryption\",\"status\":400,"
                                       "\"code\":\"InvalidArgument\""));
    skycrate_free(json);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

/* A compatible-mode provisioner with only the public access block (all four settings). */
static skycrate_provisioner *block_only(void)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE));
    prov_block_only_profile(cfg);
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    return p;
}

/* radosgw 16 refuses every PutObject once BlockPublicAcls is set: compatible mode observes it
 * with the write probe, keeps the other three settings, and records why. */
START_TEST(compatible_mode_adapts_the_block_to_a_server_refusing_uploads)
{
    skycrate_provisioner *p = block_only();
    mock_push_str(fx.mock, 200, "", "");                             /* create */
    mock_push_str(fx.mock, 200, "", "");                             /* block, all four */
    mock_push_str(fx.mock, 403, "", prov_error_doc("AccessDenied")); /* probe */
    mock_push_str(fx.mock, 200, "", "");                             /* block, three */
    mock_push_str(fx.mock, 200, "", "");                             /* probe */
    mock_push_str(fx.mock, 204, "", "");                             /* delete the probe */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK),
                     SKYCRATE_STEP_STATUS_DONE);
    ck_assert_str_eq(skycrate_record_step_note(rec, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK),
                     "BlockPublicAcls left off: with it the server refused an upload (HTTP 403 "
                     "AccessDenied: AccessDenied here)");
    const mock_req *first = mock_request(fx.mock, 1), *second = mock_request(fx.mock, 3);
    ck_assert_ptr_nonnull(strstr((const char *)first->body, "<BlockPublicAcls>true"));
    ck_assert_ptr_nonnull(strstr((const char *)second->url, "?publicAccessBlock"));
    ck_assert_ptr_nonnull(strstr((const char *)second->body, "<BlockPublicAcls>false"));
    ck_assert_ptr_nonnull(strstr((const char *)second->body, "<IgnorePublicAcls>true"));
    ck_assert_ptr_nonnull(strstr((const char *)second->body, "<RestrictPublicBuckets>true"));
    char *json = NULL;
    ck_assert_sky_ok(skycrate_record_to_json(&json, rec, 0));
    ck_assert_ptr_nonnull(strstr(json, "\"stepsAdapted\":[{\"step\":\"public-access-block\","
                                       "\"change\":\"BlockPublicAcls=false\",\"status\":403,"
                                       "\"code\":\"AccessDenied\""));
    skycrate_free(json);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

/* The public access block as GetPublicAccessBlock answers it, BlockPublicAcls as given. */
#define PAB_DOC(block_acls)                                                                        \
    "<PublicAccessBlockConfiguration><BlockPublicAcls>" block_acls "</BlockPublicAcls>"            \
    "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>"         \
    "<RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"

/* Another provisioner of the same user puts the full block (its own step) after this one put
 * the adapted block: the refusal that follows is not the server's answer to the adapted block,
 * which is put again, and the probe passes. */
START_TEST(compatible_mode_puts_the_adapted_block_again_after_a_racing_provisioner)
{
    skycrate_provisioner *p = block_only();
    mock_push_str(fx.mock, 200, "", "");                             /* create */
    mock_push_str(fx.mock, 200, "", "");                             /* block, all four */
    mock_push_str(fx.mock, 403, "", prov_error_doc("AccessDenied")); /* probe */
    for (int i = 0; i < 2; i++) {
        mock_push_str(fx.mock, 200, "", "");                             /* block, three */
        mock_push_str(fx.mock, 403, "", prov_error_doc("AccessDenied")); /* probe */
        mock_push_str(fx.mock, 200, "", PAB_DOC("true")); /* the other one's full block */
    }
    mock_push_str(fx.mock, 200, "", ""); /* block, three */
    mock_push_str(fx.mock, 200, "", ""); /* probe */
    mock_push_str(fx.mock, 204, "", ""); /* delete the probe */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    ck_assert_uint_eq(mock_count(fx.mock, "GET", "?publicAccessBlock"), 2);
    /* the one DELETE is the probe's: the bucket is not rolled back */
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", "skycrate-u42"), 1);
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", ".skycrate/write-probe"), 1);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_ptr_nonnull(skycrate_record_step_note(rec, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK));
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
}
END_TEST

/* A bucket that refuses uploads even then is no bucket for browsers: the provisioning fails
 * and is rolled back. */
START_TEST(compatible_mode_fails_when_uploads_stay_refused)
{
    skycrate_provisioner *p = block_only();
    mock_push_str(fx.mock, 200, "", ""); /* create */
    mock_push_str(fx.mock, 200, "", ""); /* block, all four */
    mock_push_str(fx.mock, 403, "", prov_error_doc("AccessDenied"));
    mock_push_str(fx.mock, 200, "", ""); /* the block without BlockPublicAcls */
    mock_push_str(fx.mock, 403, "", prov_error_doc("AccessDenied"));
    mock_push_str(fx.mock, 200, "", PAB_DOC("false")); /* it is still the adapted block */
    mock_push_str(fx.mock, 204, "", "");               /* rollback: DeleteBucket */
    skycrate_record *rec = NULL;
    ck_assert_int_eq(skycrate_provisioner_provision(&rec, p, "u42"), SKYCRATE_EACCESS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "even without BlockPublicAcls"));
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", "skycrate-u42"), 1);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "failed");
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

/* Compatible mode (one lane by default) skips only what the server lacks: a malformed policy
 * fails, and the steps after it are not sent. */
START_TEST(compatible_mode_still_fails_on_other_answers)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE));
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    ck_assert_uint_eq(p->config_lanes, 1);
    mock_push_str(fx.mock, 200, "", "");
    prov_push_ok(&fx, 3); /* public access block, encryption, ownership controls (no CORS) */
    mock_route(fx.mock, "PUT", "?policy", 400, "", prov_error_doc("MalformedPolicy"));
    mock_route(fx.mock, "DELETE", "amazonaws.com/", 204, "", "");
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EINVAL);
    static const char *const plan[] = {"?publicAccessBlock", "?encryption",
                                       "?ownershipControls", "?policy",
                                       "?lifecycle",         "?tagging"};
    assert_no_step_after(plan, SKYCRATE_ARRAY_SIZE(plan), 3);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "failedStep"), "tls-policy");
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(strict_mode_fails_on_invalid_argument)
{
    skycrate_provisioner *p = one_lane_provisioner(SKYCRATE_FAILURE_MODE_STRICT, true);
    mock_push_str(fx.mock, 200, "", "");
    prov_push_ok(&fx, 1); /* public access block */
    mock_route(fx.mock, "PUT", "?encryption", 400, "", prov_error_doc("InvalidArgument"));
    mock_route(fx.mock, "DELETE", "amazonaws.com/", 204, "", "");
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EINVAL);
    assert_no_step_after(put_subresources + 1, SKYCRATE_ARRAY_SIZE(put_subresources) - 1, 1);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "failedStep"), "encryption");
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

/* ---- a failure while another provisioning of the user finishes it ---- */

/* The file store, with another provisioner of the same user finishing first: the first write of
 * a failed record finds the record active instead (that one's end, written meanwhile). */
typedef struct racing_store {
    skycrate_user_store *inner;
    bool raced;
} racing_store;

static int racing_get(skycrate_user_store_value *out, const char *id, uint32_t flags, void *ud)
{
    racing_store *s = ud;
    char *text = NULL;
    (void)flags;
    int rc = skycrate_user_store_get(&text, s->inner, id);
    if (rc == 0)
        rc = skycrate_user_store_value_set(out, text, strlen(text));
    skycrate_free(text);
    return rc;
}

static int racing_put(const char *id, const char *json, const char *expected, uint32_t flags,
                      void *ud)
{
    racing_store *s = ud;
    (void)flags;
    if (!s->raced && strstr(json, "\"state\":\"failed\"")) {
        s->raced = true;
        json_t *record = json_loads(json, 0, NULL);
        ck_assert_ptr_nonnull(record);
        json_object_set_new(record, "state", json_string("active"));
        json_object_del(record, "failedStep");
        json_object_del(record, "error");
        json_object_del(record, "rolledBack");
        char *active = json_dumps(record, JSON_COMPACT);
        json_decref(record);
        ck_assert_sky_ok(skycrate_user_store_put(s->inner, id, active, expected));
        free(active);
        return SKYCRATE_ECONFLICT;
    }
    return skycrate_user_store_put(s->inner, id, json, expected);
}

static int racing_remove(const char *id, const char *expected, uint32_t flags, void *ud)
{
    racing_store *s = ud;
    (void)flags;
    return skycrate_user_store_remove(s->inner, id, expected);
}

/* A step fails while another provisioning of the user finishes it: the bucket is no longer this
 * call's to roll back (the other's record names it). The failure is journaled before any
 * DeleteBucket; the journal finds the record moved on, and the call ends with the other's
 * record. (The rollback used to delete first, leaving an active record without its bucket.) */
START_TEST(a_failure_never_deletes_the_bucket_another_provisioning_finished)
{
    racing_store rs = {NULL, false};
    ck_assert_sky_ok(skycrate_user_store_new_file(&rs.inner, fx.store_path, 1000));
    skycrate_user_store_callbacks cb;
    skycrate_user_store_callbacks_init(&cb, SKYCRATE_USER_STORE_CALLBACKS_VERSION);
    cb.get = racing_get;
    cb.put = racing_put;
    cb.remove = racing_remove;
    cb.user_data = &rs;
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new(&store, &cb));
    skycrate_provisioner_config *cfg = prov_config(&fx);
    prov_golden_profile(cfg);
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_STRICT));
    ck_assert_sky_ok(skycrate_provisioner_config_set_concurrency(cfg, 1));
    ck_assert_sky_ok(skycrate_provisioner_config_set_store(cfg, store));
    skycrate_user_store_unref(store);
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    mock_push_str(fx.mock, 200, "", "");
    prov_push_ok(&fx, 1); /* public access block */
    mock_route(fx.mock, "PUT", "?encryption", 400, "", prov_error_doc("InvalidArgument"));
    mock_route(fx.mock, "DELETE", "amazonaws.com/", 204, "", "");
    mock_allow_unused(fx.mock); /* the DELETE route: sent before the fix */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert(rs.raced);
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", "skycrate-u42"), 0);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "active");
    json_decref(r);
    skycrate_provisioner_free(p);
    skycrate_user_store_unref(rs.inner);
}
END_TEST

/* A failure journaled first, then the rollback, then the record marked rolled back. */
START_TEST(a_failure_is_journaled_before_the_rollback)
{
    skycrate_provisioner *p = one_lane_provisioner(SKYCRATE_FAILURE_MODE_STRICT, true);
    mock_push_str(fx.mock, 200, "", "");
    prov_push_ok(&fx, 1); /* public access block */
    mock_route(fx.mock, "PUT", "?encryption", 400, "", prov_error_doc("InvalidArgument"));
    mock_route_error(fx.mock, "DELETE", "amazonaws.com/", SKYCRATE_ECONNECT);
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "the record keeps it"));
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "failed");
    ck_assert(json_is_false(json_object_get(r, "rolledBack")));
    json_decref(r);
    /* the next call deletes the bucket the record keeps, then provisions afresh */
    mock_route(fx.mock, "DELETE", "amazonaws.com/", 204, "", "");
    mock_route(fx.mock, "PUT", "?encryption", 200, "", "");
    prov_push_ok(&fx, 8);
    mock_allow_unused(fx.mock);
    ck_assert_sky_ok(skycrate_provisioner_provision(NULL, p, "u42"));
    skycrate_provisioner_free(p);
}
END_TEST

/* Two steps refused at once (as radosgw refuses both in strict mode): the one first in the plan
 * is reported, whichever answered first. The profile has only these two steps, so that both are
 * in flight together on two lanes and nothing else is. */
START_TEST(of_two_failures_the_first_in_the_plan_is_reported)
{
    skycrate_provisioner_config *cfg = prov_config(&fx);
    ck_assert_sky_ok(skycrate_provisioner_config_set_public_access_block(cfg, 0));
    ck_assert_sky_ok(skycrate_provisioner_config_set_tls_only_policy(cfg, 0));
    ck_assert_sky_ok(skycrate_provisioner_config_set_abort_multipart_days(cfg, 0));
    ck_assert_sky_ok(skycrate_provisioner_config_set_tagging(cfg, 0));
    skycrate_provisioner *p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    mock_push_str(fx.mock, 200, "", "");
    mock_route(fx.mock, "PUT", "?encryption", 400, "", prov_error_doc("InvalidArgument"));
    mock_route(fx.mock, "PUT", "?ownershipControls", 400, "", prov_error_doc("InvalidArgument"));
    mock_route(fx.mock, "DELETE", "amazonaws.com/", 204, "", "");
    mock_delay(fx.mock, "?encryption", 200); /* ownership controls fail first */
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, p, "u42"), SKYCRATE_EINVAL);
    ck_assert_uint_eq(mock_request_count(fx.mock), 4); /* create, the two steps, DeleteBucket */
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "step 'encryption' failed"));
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "failedStep"), "encryption");
    ck_assert(json_is_true(json_object_get(r, "rolledBack")));
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

/* ---- a crash at every journal write: resume ---- */

/*
 * The record is written three times on the way to `active`: the intent before CreateBucket, the
 * create, and the end with every configuration step's result. A process killed during the
 * configuration steps leaves what a crash at the third write leaves.
 */
#define PROVISION_WRITES 3

static int crash_at, writes;
static int crash_pipe[2];
static mock_transport *crash_mock;

static int count_writes(const char *stage)
{
    if (!strcmp(stage, "tmp-written"))
        writes++;
    return 0;
}

static int crash_hook(const char *stage)
{
    if (strcmp(stage, "tmp-written") != 0 || ++writes < crash_at)
        return 0;
    /* Killed before this write committed. Tell the parent what was sent: creates, and
     * configuration PUTs. */
    unsigned char sent[2] = {(unsigned char)prov_count_creates(crash_mock),
                             (unsigned char)mock_count(crash_mock, "PUT", "/?")};
    if (write(crash_pipe[1], sent, 2) != 2)
        _exit(3);
    _exit(0);
}

START_TEST(provisioning_writes_the_record_three_times)
{
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    prov_push_ok(&fx, 8);
    writes = 0;
    skycrate__file_store_test_hook = count_writes;
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_int_eq(writes, PROVISION_WRITES);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    skycrate_record_free(rec);
    /* The record lists the steps: the create first, the others as they completed. */
    json_t *r = prov_record(&fx, "u42");
    json_t *done = json_object_get(r, "stepsDone");
    ck_assert_uint_eq(json_array_size(done), 8);
    ck_assert_str_eq(json_string_value(json_array_get(done, 0)), "create");
    ck_assert_uint_eq(json_array_size(json_object_get(r, "stepsSkipped")), 0);
    json_decref(r);
    skycrate_provisioner_free(p);

    /* Compatible mode with skips, on one lane: the same three writes. */
    skycrate_provisioner_config *cfg = prov_config(&fx);
    prov_golden_profile(cfg);
    ck_assert_sky_ok(
        skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE));
    p = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
    ck_assert_uint_eq(p->config_lanes, 1);
    mock_push_str(fx.mock, 200, "", "");
    mock_route(fx.mock, "PUT", "?encryption", 400, "", prov_error_doc("InvalidArgument"));
    mock_route(fx.mock, "PUT", "?ownershipControls", 501, "", "");
    prov_push_ok(&fx, 7); /* with the write probe's PUT and DELETE */
    writes = 0;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u7"));
    ck_assert_int_eq(writes, PROVISION_WRITES);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_ENCRYPTION),
                     SKYCRATE_STEP_STATUS_SKIPPED);
    ck_assert_int_eq(skycrate_record_step(rec, SKYCRATE_STEP_OWNERSHIP_CONTROLS),
                     SKYCRATE_STEP_STATUS_SKIPPED);
    skycrate_record_free(rec);
    /* The sequential order completes the steps in the profile's order. */
    r = prov_record(&fx, "u7");
    done = json_object_get(r, "stepsDone");
    const char *order[] = {"create",     "public-access-block", "cors",
                           "tls-policy", "lifecycle",           "tags"};
    ck_assert_uint_eq(json_array_size(done), SKYCRATE_ARRAY_SIZE(order));
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(order); i++)
        ck_assert_str_eq(json_string_value(json_array_get(done, i)), order[i]);
    json_decref(r);
    skycrate_provisioner_free(p);
}
END_TEST

START_TEST(a_crash_at_every_journal_write_resumes)
{
    crash_at = _i + 1;
    ck_assert_int_eq(pipe(crash_pipe), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        skycrate_provisioner *p = prov_golden_provisioner(&fx);
        prov_push_ok(&fx, 8);
        crash_mock = fx.mock;
        writes = 0;
        skycrate__file_store_test_hook = crash_hook;
        skycrate_provisioner_provision(NULL, p, "u42");
        _exit(2); /* finished without crashing: more writes were expected */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    unsigned char sent[2] = {0, 0};
    ck_assert_int_eq(read(crash_pipe[0], sent, 2), 2);
    close(crash_pipe[0]);
    close(crash_pipe[1]);
    unsigned char creates = sent[0], configured = sent[1];
    /* The writes come before the create, before the configuration, and after it. */
    ck_assert_uint_eq(creates, crash_at >= 2 ? 1 : 0);
    ck_assert_uint_eq(configured, crash_at == 3 ? 7 : 0);

    /* What the killed process left. Never a bucket without a record. */
    json_t *r = prov_record(&fx, "u42");
    bool had_record = r != NULL;
    if (!r) {
        ck_assert_int_eq(creates, 0);
    } else {
        ck_assert_str_eq(prov_str(r, "state"), "provisioning");
        ck_assert_str_eq(prov_str(r, "bucket"), PROV_BUCKET);
        ck_assert_uint_eq(json_array_size(json_object_get(r, "stepsSkipped")), 0);
    }
    /* At most the create is recorded done: the configuration steps are pending until the end. */
    size_t done_before = r ? json_array_size(json_object_get(r, "stepsDone")) : 0;
    ck_assert_uint_le(done_before, 1);
    bool create_done = done_before == 1;
    if (create_done)
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "stepsDone"), 0)),
                         "create");
    ck_assert(create_done == (crash_at == 3));
    json_decref(r);

    /* The next call resumes. */
    skycrate_provisioner *p = prov_golden_provisioner(&fx);
    if (had_record && !create_done)
        mock_route(fx.mock, "HEAD", PROV_BUCKET, creates ? 200 : 404, "", "");
    prov_push_ok(&fx, creates ? 7 : 8); /* the configuration steps, and the create if not sent */
    skycrate_record *rec = NULL;
    ck_assert_sky_ok(skycrate_provisioner_provision(&rec, p, "u42"));
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_ACTIVE);
    ck_assert_str_eq(skycrate_record_bucket(rec), PROV_BUCKET);
    for (int s = 0; s < 8; s++)
        ck_assert_int_eq(skycrate_record_step(rec, (skycrate_step)s), SKYCRATE_STEP_STATUS_DONE);
    skycrate_record_free(rec);
    /* The create is sent once in all (a resume without its record asks HeadBucket); the
     * idempotent configuration steps are sent again, all of them. */
    ck_assert_uint_eq(prov_count_creates(fx.mock) + creates, 1);
    ck_assert_uint_eq(creates, had_record ? 1 : 0);
    ck_assert_uint_eq(mock_count(fx.mock, "HEAD", PROV_BUCKET), had_record && !create_done);
    ck_assert_uint_eq(mock_count(fx.mock, "PUT", "/?"), 7);
    skycrate_provisioner_free(p);
}
END_TEST

static Suite *provision_recovery_suite(void)
{
    Suite *s = suite_create("provision_recovery");
    TCase *tc = tcase_create("rollback");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, a_failing_step_rolls_back, 1, 8);
    tcase_add_test(tc, a_create_without_answer_is_rolled_back);
    tcase_add_test(tc, a_refused_create_needs_no_rollback);
    tcase_add_test(tc, a_failed_rollback_is_finished_before_starting_over);
    tcase_add_test(tc, missing_credentials_are_no_missing_bucket);
    tcase_add_test(tc, nosuchbucket_right_after_the_create_is_retried);
    suite_add_tcase(s, tc);

    tc = tcase_create("compatible mode");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, compatible_mode_skips_what_the_server_lacks);
    tcase_add_test(tc, compatible_mode_adapts_the_block_to_a_server_refusing_uploads);
    tcase_add_test(tc, compatible_mode_puts_the_adapted_block_again_after_a_racing_provisioner);
    tcase_add_test(tc, compatible_mode_fails_when_uploads_stay_refused);
    tcase_add_test(tc, compatible_mode_still_fails_on_other_answers);
    tcase_add_test(tc, strict_mode_fails_on_invalid_argument);
    tcase_add_test(tc, a_failure_never_deletes_the_bucket_another_provisioning_finished);
    tcase_add_test(tc, a_failure_is_journaled_before_the_rollback);
    tcase_add_test(tc, of_two_failures_the_first_in_the_plan_is_reported);
    suite_add_tcase(s, tc);

    tc = tcase_create("resume");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, provisioning_writes_the_record_three_times);
    tcase_add_loop_test(tc, a_crash_at_every_journal_write_resumes, 0, PROVISION_WRITES);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(provision_recovery_suite)
