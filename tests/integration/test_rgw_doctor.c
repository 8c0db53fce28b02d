/*
 * The 403 doctor against radosgw: each row of the troubleshooting table is made to happen for
 * real (a presigned request sent as a browser would send it wrongly), then replayed and
 * diagnosed by skycrate_doctor_replay(), which must name the cause. radosgw accepts a URL
 * signed for another region and unsigned x-amz-* headers; AWS refuses both, and those rows are
 * diagnosed from AWS's answers in tests/unit/test_doctor.c.
 */
#include <curl/curl.h>
#include <string.h>

#include "core/time.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "rgwenv.h"
#include "s3/client.h"
#include "s3/request.h"
#include "testutil.h"

#define ORIGIN "http://localhost:3000"

static skycrate_client *client;
static skycrate_presigner *presigner;
static skycrate_doctor *doctor;
static char bucket[64];

/* Sets a bucket subresource (cors, policy, publicAccessBlock); NULL deletes it. */
static void bucket_setting(const char *subresource, const char *body)
{
    char md5[25];
    skycrate__kv query = {subresource, ""};
    skycrate__kv header = {"Content-MD5", md5};
    skycrate__s3_request req = {.operation = subresource,
                                .method = body ? "PUT" : "DELETE",
                                .bucket = bucket,
                                .query = &query,
                                .query_count = 1};
    if (body) {
        skycrate__content_md5(md5, body, strlen(body));
        req.headers = &header;
        req.header_count = 1;
        req.body_kind = SKYCRATE__BODY_MEMORY;
        req.body_data = body;
        req.body_length = strlen(body);
    }
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    int rc = skycrate__s3_send(client, &req, &resp, NULL);
    ck_assert_msg(rc == 0, "%s %s: %s", req.method, subresource, skycrate_error_last()->message);
    skycrate__http_response_dispose(&resp);
}

static const char *cors_rule =
    "<CORSConfiguration><CORSRule><AllowedOrigin>" ORIGIN "</AllowedOrigin>"
    "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
    "<AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
    "<MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    client = rgw_client(NULL);
    rgw_bucket_name(bucket, sizeof(bucket), "doctor");
    ck_assert_sky_ok(skycrate_bucket_create(client, bucket));
    bucket_setting("cors", cors_rule);
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
    ck_assert_sky_ok(skycrate_doctor_new(&doctor, client));
}

static void teardown(void)
{
    skycrate__clock_override(NULL, NULL);
    skycrate_object_page *page = NULL;
    if (skycrate_object_list(&page, client, bucket, NULL, NULL, 1000) == 0) {
        for (size_t i = 0; i < skycrate_object_page_count(page); i++)
            skycrate_object_delete(client, bucket,
                                   skycrate_object_info_key(skycrate_object_page_entry(page, i)));
        skycrate_object_page_free(page);
    }
    skycrate_bucket_delete(client, bucket);
    skycrate_doctor_free(doctor);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate_global_cleanup();
}

static skycrate_presigned *presign_with(const skycrate_presigner *p, const char *method,
                                        const char *key, const char *content_type, int64_t at)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, method, bucket, key));
    if (content_type)
        ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", content_type));
    if (at)
        ck_assert_sky_ok(skycrate_presign_request_set_time(r, at));
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    skycrate_presign_request_free(r);
    return c;
}

static skycrate_presigned *presign(const char *key, const char *content_type)
{
    return presign_with(presigner, "PUT", key, content_type, 0);
}

/* The case of a browser on ORIGIN (or none) that was given `c`. */
static skycrate_doctor_case *case_of(const skycrate_presigned *c, const char *origin)
{
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_contract(dc, c));
    if (origin)
        ck_assert_sky_ok(skycrate_doctor_case_set_origin(dc, origin));
    return dc;
}

/* Replays with `d` and checks the verdict and the S3 code radosgw gave; frees the case. */
static skycrate_diagnosis *replay_with(const skycrate_doctor *d, skycrate_doctor_case *dc,
                                       skycrate_verdict verdict, const char *code)
{
    skycrate_diagnosis *out = NULL;
    ck_assert_sky_ok(skycrate_doctor_replay(&out, client, d, dc));
    skycrate_doctor_case_free(dc);
    ck_assert_msg(skycrate_diagnosis_verdict(out) == verdict, "verdict %s, want %s: %s",
                  skycrate_verdict_name(skycrate_diagnosis_verdict(out)),
                  skycrate_verdict_name(verdict), skycrate_diagnosis_message(out));
    const char *got = NULL;
    skycrate_diagnosis_status(&got, out);
    ck_assert_msg(!code || !strcmp(got, code), "code %s, want %s", got, code);
    return out;
}

static skycrate_diagnosis *replay(skycrate_doctor_case *dc, skycrate_verdict verdict,
                                  const char *code)
{
    return replay_with(doctor, dc, verdict, code);
}

START_TEST(a_good_upload_is_ok_and_leaves_nothing)
{
    skycrate_presigned *c = presign("ok.txt", "text/plain");
    skycrate_diagnosis_free(replay(case_of(c, ORIGIN), SKYCRATE_VERDICT_OK, ""));
    /* The replayed PUT wrote an empty object; the doctor removed it again. */
    skycrate_object_info *info = NULL;
    ck_assert_int_eq(skycrate_object_head(&info, client, bucket, "ok.txt"), SKYCRATE_ENOTFOUND);
    ck_assert_ptr_null(info);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(content_type_sent_differently)
{
    skycrate_presigned *c = presign("a.pdf", "application/pdf");
    skycrate_doctor_case *dc = case_of(c, NULL);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "Content-Type", "text/plain"));
    skycrate_diagnosis *d = replay(dc, SKYCRATE_VERDICT_HEADER_MISMATCH, "SignatureDoesNotMatch");
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "content-type");
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "application/pdf");
    ck_assert_str_eq(skycrate_diagnosis_actual(d), "text/plain");
    skycrate_diagnosis_free(d);
    /* Not sent at all. */
    dc = case_of(c, NULL);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "Accept", "*/*"));
    d = replay(dc, SKYCRATE_VERDICT_HEADER_MISSING, "SignatureDoesNotMatch");
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "content-type");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(wrong_method)
{
    skycrate_presigned *c = presign("m.txt", NULL);
    skycrate_doctor_case *dc = case_of(c, NULL);
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "GET", skycrate_presigned_url(c)));
    skycrate_diagnosis *d = replay(dc, SKYCRATE_VERDICT_METHOD_MISMATCH, "SignatureDoesNotMatch");
    ck_assert_str_eq(skycrate_diagnosis_expected(d), "PUT");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(tampered_signature)
{
    skycrate_presigned *c = presign("t.txt", NULL);
    char url[4096];
    snprintf(url, sizeof(url), "%s", skycrate_presigned_url(c));
    char *last = url + strlen(url) - 1;
    *last = *last == '0' ? '1' : '0';
    skycrate_doctor_case *dc = case_of(c, ORIGIN);
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", url));
    skycrate_diagnosis *d =
        replay(dc, SKYCRATE_VERDICT_SIGNATURE_MISMATCH, "SignatureDoesNotMatch");
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "changed after"));
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(secret_the_server_does_not_hold)
{
    skycrate_client *other = rgw_client("not-the-secret");
    skycrate_presigner *p = NULL;
    skycrate_doctor *signer = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, other));
    ck_assert_sky_ok(skycrate_doctor_new(&signer, other));
    skycrate_presigned *c = presign_with(p, "PUT", "s.txt", NULL, 0);
    skycrate_diagnosis *d = replay_with(
        signer, case_of(c, NULL), SKYCRATE_VERDICT_SIGNATURE_MISMATCH, "SignatureDoesNotMatch");
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "secret key"));
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
    skycrate_doctor_free(signer);
    skycrate_presigner_free(p);
    skycrate_client_free(other);
}
END_TEST

START_TEST(unknown_access_key)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, "NOSUCHACCESSKEY", "secret", NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, rgw_env("SKYCRATE_TEST_ENDPOINT")));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, rgw_env("SKYCRATE_TEST_REGION")));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_client *stranger = NULL;
    ck_assert_sky_ok(skycrate_client_new(&stranger, cfg));
    skycrate_client_config_free(cfg);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, stranger));
    skycrate_presigned *c = presign_with(p, "PUT", "u.txt", NULL, 0);
    skycrate_diagnosis *d =
        replay(case_of(c, NULL), SKYCRATE_VERDICT_UNKNOWN_ACCESS_KEY, "InvalidAccessKeyId");
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "NOSUCHACCESSKEY");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
    skycrate_presigner_free(p);
    skycrate_client_free(stranger);
}
END_TEST

START_TEST(denied_by_a_policy_statement)
{
    char policy[1024];
    snprintf(policy, sizeof(policy),
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"NoUploadsUnderLocked\","
             "\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\","
             "\"Resource\":\"arn:aws:s3:::%s/locked/*\"}]}",
             bucket);
    bucket_setting("policy", policy);
    skycrate_presigned *c = presign("locked/p.txt", NULL);
    skycrate_diagnosis *d =
        replay(case_of(c, ORIGIN), SKYCRATE_VERDICT_ACCESS_DENIED, "AccessDenied");
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "NoUploadsUnderLocked");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
    bucket_setting("policy", NULL);
}
END_TEST

/* radosgw refuses every PutObject once BlockPublicAcls is set, even the owner's. */
START_TEST(denied_by_block_public_acls)
{
    bucket_setting("publicAccessBlock",
                   "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
                   "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true"
                   "</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"
                   "</PublicAccessBlockConfiguration>");
    skycrate_presigned *c = presign("b.txt", NULL);
    skycrate_diagnosis *d =
        replay(case_of(c, NULL), SKYCRATE_VERDICT_ACCESS_DENIED, "AccessDenied");
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "BlockPublicAcls");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
    bucket_setting("publicAccessBlock", NULL);
}
END_TEST

START_TEST(cors_faults)
{
    skycrate_presigned *c = presign("c.pdf", "application/pdf");
    skycrate_diagnosis *d =
        replay(case_of(c, "http://evil.example:8080"), SKYCRATE_VERDICT_CORS_ORIGIN, NULL);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "http://evil.example:8080");
    ck_assert_int_eq(skycrate_diagnosis_status(NULL, d), 403); /* the preflight's */
    skycrate_diagnosis_free(d);

    skycrate_doctor_case *dc = case_of(c, ORIGIN);
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "Content-Type", "application/pdf"));
    ck_assert_sky_ok(skycrate_doctor_case_add_sent_header(dc, "X-Trace", "1"));
    d = replay(dc, SKYCRATE_VERDICT_CORS_HEADER, NULL);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "X-Trace");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);

    c = presign_with(presigner, "DELETE", "c.pdf", NULL, 0);
    d = replay(case_of(c, ORIGIN), SKYCRATE_VERDICT_CORS_METHOD, NULL);
    ck_assert_str_eq(skycrate_diagnosis_subject(d), "DELETE");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);

    bucket_setting("cors", NULL);
    c = presign("c.pdf", "application/pdf");
    d = replay(case_of(c, ORIGIN), SKYCRATE_VERDICT_CORS_PREFLIGHT, NULL);
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_message(d), "no CORS configuration"));
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
}
END_TEST

START_TEST(expired_url)
{
    int64_t now = skycrate__now_ms() / 1000;
    skycrate_presigned *c = presign_with(presigner, "PUT", "e.txt", NULL, now - 3600);
    skycrate_diagnosis *d = replay(case_of(c, NULL), SKYCRATE_VERDICT_EXPIRED, "AccessDenied");
    ck_assert_int_eq(skycrate_diagnosis_seconds(d), now - 3600 + 900);
    skycrate_diagnosis_free(d);
    /* From a page: radosgw refuses the preflight of an expired URL too, yet the CORS rule
     * allows it, so the verdict is the expiry, not CORS. */
    d = replay(case_of(c, ORIGIN), SKYCRATE_VERDICT_EXPIRED, "AccessDenied");
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
}
END_TEST

static int64_t two_hours_behind(void *user_data)
{
    (void)user_data;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((int64_t)ts.tv_sec - 7200) * 1000;
}

/* The signer's clock is two hours behind radosgw's: its fresh URL is expired there. */
START_TEST(skewed_signer_clock)
{
    skycrate__clock_override(two_hours_behind, NULL);
    skycrate_presigned *c = presign("k.txt", NULL);
    skycrate_diagnosis *d = replay(case_of(c, NULL), SKYCRATE_VERDICT_CLOCK_SKEW, "AccessDenied");
    int64_t offset = skycrate_diagnosis_seconds(d);
    ck_assert_msg(offset <= -7190 && offset >= -7210, "offset %lld", (long long)offset);
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
}
END_TEST

/* A URL sent to another host name than the one signed (a CDN in front of the same storage). */
START_TEST(not_the_s3_host)
{
    skycrate_presigned *c = presign("h.txt", NULL);
    char url[4096];
    const char *u = skycrate_presigned_url(c);
    const char *host = strstr(u, "127.0.0.1");
    ck_assert_ptr_nonnull(host);
    snprintf(url, sizeof(url), "%.*slocalhost%s", (int)(host - u), u, host + strlen("127.0.0.1"));
    skycrate_doctor_case *dc = case_of(c, NULL);
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "PUT", url));
    skycrate_diagnosis *d = replay(dc, SKYCRATE_VERDICT_NOT_S3, "SignatureDoesNotMatch");
    ck_assert_ptr_nonnull(strstr(skycrate_diagnosis_subject(d), "localhost:"));
    skycrate_diagnosis_free(d);
    skycrate_presigned_free(c);
}
END_TEST

/* radosgw accepts another region in the credential scope: no fault to find. */
START_TEST(other_region_is_accepted_by_radosgw)
{
    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, rgw_env("SKYCRATE_TEST_ENDPOINT")));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, client->provider));
    skycrate_client *eu = NULL;
    ck_assert_sky_ok(skycrate_client_new(&eu, cfg));
    skycrate_client_config_free(cfg);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, eu));
    skycrate_presigned *c = presign_with(p, "PUT", "r.txt", NULL, 0);
    ck_assert_ptr_nonnull(strstr(skycrate_presigned_url(c), "%2Feu-west-1%2F"));
    skycrate_diagnosis_free(replay(case_of(c, NULL), SKYCRATE_VERDICT_OK, ""));
    skycrate_presigned_free(c);
    skycrate_presigner_free(p);
    skycrate_client_free(eu);
}
END_TEST

static size_t discard_body(char *p, size_t size, size_t n, void *ud)
{
    skycrate__buf *b = ud;
    skycrate__buf_put(b, p, size * n);
    return size * n;
}

START_TEST(post_over_the_size_limit)
{
    skycrate_post_policy *p = NULL;
    ck_assert_sky_ok(skycrate_post_policy_new(&p, bucket));
    ck_assert_sky_ok(skycrate_post_policy_set_key_prefix(p, "forms/"));
    ck_assert_sky_ok(skycrate_post_policy_set_content_length_range(p, 1, 100));
    skycrate_post_form *f = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign_post(&f, presigner, p));
    skycrate_post_policy_free(p);
    CURL *curl = curl_easy_init();
    curl_mime *mime = curl_mime_init(curl);
    for (size_t i = 0; i < skycrate_post_form_field_count(f); i++) {
        const char *name, *value;
        ck_assert_sky_ok(skycrate_post_form_field(&name, &value, f, i));
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, name);
        curl_mime_data(part, value, CURL_ZERO_TERMINATED);
    }
    char data[200];
    memset(data, 'x', sizeof(data));
    curl_mimepart *file = curl_mime_addpart(mime);
    curl_mime_name(file, "file");
    curl_mime_filename(file, "big.bin");
    curl_mime_data(file, data, sizeof(data));
    skycrate__buf body = SKYCRATE_BUF_INIT;
    curl_easy_setopt(curl, CURLOPT_URL, skycrate_post_form_url(f));
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    ck_assert_int_eq(curl_easy_perform(curl), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_mime_free(mime);
    curl_easy_cleanup(curl);
    skycrate_doctor_case *dc = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&dc));
    ck_assert_sky_ok(skycrate_doctor_case_set_sent(dc, "POST", skycrate_post_form_url(f)));
    ck_assert_sky_ok(skycrate_doctor_case_set_answer(dc, 0, (int)status, body.ptr, body.len));
    skycrate_diagnosis_free(replay(dc, SKYCRATE_VERDICT_TOO_LARGE, "EntityTooLarge"));
    skycrate__buf_dispose(&body);
    skycrate_post_form_free(f);
}
END_TEST

static Suite *doctor_suite(void)
{
    Suite *s = suite_create("rgw-doctor");
    TCase *tc = tcase_create("table");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_good_upload_is_ok_and_leaves_nothing);
    tcase_add_test(tc, content_type_sent_differently);
    tcase_add_test(tc, wrong_method);
    tcase_add_test(tc, tampered_signature);
    tcase_add_test(tc, secret_the_server_does_not_hold);
    tcase_add_test(tc, unknown_access_key);
    tcase_add_test(tc, denied_by_a_policy_statement);
    tcase_add_test(tc, denied_by_block_public_acls);
    tcase_add_test(tc, cors_faults);
    tcase_add_test(tc, expired_url);
    tcase_add_test(tc, skewed_signer_clock);
    tcase_add_test(tc, not_the_s3_host);
    tcase_add_test(tc, other_region_is_accepted_by_radosgw);
    tcase_add_test(tc, post_over_the_size_limit);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(doctor_suite)
