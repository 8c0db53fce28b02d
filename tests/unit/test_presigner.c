/*
 * Unit tests of the presigner handle: made from a client, against botocore's presigned URLs
 * (every case of tests/vectors/presign-golden through a configured client), the contract and
 * its JSON, expiry clamping, the clock, threads, the allocation-free fast path and allocation
 * failures.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/creds.h"
#include "presign/presign.h"
#include "presigncases.h"
#include "s3/client.h"
#include "testalloc.h"
#include "testutil.h"
#include "testvectors.h"

#define BUCKET "skycrate-user42-1732300000"
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static case_list url_cases;

static void setup(void)
{
    presign_setup();
}

static void teardown(void)
{
    presign_teardown();
}

/* A client for eu-west-1 on AWS whose provider returns these credentials. */
static skycrate_client *make_client(const char *token, int64_t expiration, const char *endpoint)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, AKID, SECRET, token, expiration));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, endpoint));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_AUTO));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    return client;
}

static skycrate_presigner *make_presigner(const char *token, int64_t expiration)
{
    skycrate_client *client = make_client(token, expiration, NULL);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_client_free(client); /* the presigner copied what it needs */
    return p;
}

static skycrate_presign_request *typical_request(void)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(
        skycrate_presign_request_new(&r, "PUT", BUCKET, "uploads/user42/report 2024.pdf"));
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", "application/pdf"));
    return r;
}

/* ---- botocore's URLs through a configured client -------------------------------------------- */

START_TEST(presigner_matches_botocore)
{
    char dir[1024];
    const char *name = url_cases.names[_i];
    json_t *ctx = load_context("presign-golden", name, dir, sizeof(dir));
    skycrate_client *client = golden_client(ctx);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_client_free(client);
    skycrate_presign_request *r = golden_request(ctx);

    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    const char *url = skycrate_presigned_url(c);
    assert_same_url(url, jstr(ctx, "url"));
    assert_sorted_query(url);
    const char *cr = NULL, *sts = NULL;
    ck_assert_sky_ok(skycrate_presigned_explain(&cr, &sts, c));
    char *want_cr = must_read(dir, "canonical-request.txt");
    char *want_sts = must_read(dir, "string-to-sign.txt");
    ck_assert_str_eq(cr, want_cr);
    ck_assert_str_eq(sts, want_sts);
    free(want_cr);
    free(want_sts);

    /* The contract lists every signed header but host, with the value signed. */
    const json_t *headers = json_object_get(json_object_get(ctx, "request"), "headers");
    ck_assert_uint_eq(skycrate_presigned_header_count(c), json_array_size(headers));
    for (size_t i = 0; i < json_array_size(headers); i++) {
        const char *n = NULL, *v = NULL;
        ck_assert_sky_ok(skycrate_presigned_header(&n, &v, c, i));
        char line[4096];
        snprintf(line, sizeof(line), "\n%s:%s\n", n, v);
        ck_assert_msg(strstr(cr, line) != NULL, "%s not signed as given", n);
    }

    /* The fast path writes the same URL. */
    char buf[8192];
    size_t len = 0;
    ck_assert_sky_ok(skycrate_presigner_sign_url(buf, sizeof(buf), &len, p, r));
    ck_assert_str_eq(buf, url);
    ck_assert_uint_eq(len, strlen(url));

    /* So do the contract's JSON and the JSON fast path, which write the same text. */
    for (uint32_t flags = 0; flags <= SKYCRATE_JSON_PRETTY; flags += SKYCRATE_JSON_PRETTY) {
        char *text = NULL;
        ck_assert_sky_ok(skycrate_presigned_to_json(&text, c, flags));
        json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        ck_assert_ptr_nonnull(doc);
        assert_same_url(jstr(doc, "url"), jstr(ctx, "url"));
        ck_assert_str_eq(jstr(doc, "key"), jstr(json_object_get(ctx, "request"), "key"));
        ck_assert_sky_ok(skycrate_presigner_sign_json(buf, sizeof(buf), &len, p, r, flags));
        ck_assert_str_eq(buf, text);
        ck_assert_uint_eq(len, strlen(text));
        json_decref(doc);
        skycrate_free(text);
    }

    skycrate_presigned_free(c);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
    json_decref(ctx);
}
END_TEST

/* ---- the contract --------------------------------------------------------------------------- */

START_TEST(contract_accessors_and_json)
{
    skycrate_presigner *p = make_presigner(NULL, 0);
    ck_assert_str_eq(skycrate_presigner_region(p), "eu-west-1");
    skycrate_presign_request *r = typical_request();
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "x-amz-meta-user", " u42 "));
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));

    ck_assert_str_eq(skycrate_presigned_method(c), "PUT");
    ck_assert_str_eq(skycrate_presigned_bucket(c), BUCKET);
    ck_assert_str_eq(skycrate_presigned_key(c), "uploads/user42/report 2024.pdf");
    const char *url = skycrate_presigned_url(c);
    ck_assert_str_eq(strstr(url, "?") -
                         strlen(BUCKET ".s3.eu-west-1.amazonaws.com/uploads/"
                                       "user42/report%202024.pdf") -
                         strlen("https://"),
                     url);
    ck_assert_ptr_nonnull(strstr(url, "X-Amz-Date=20241122T182640Z"));
    ck_assert_ptr_nonnull(strstr(url, "X-Amz-Expires=900&"));
    ck_assert_ptr_nonnull(strstr(url, "X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-meta-user"));
    ck_assert_ptr_null(strstr(url, "Security-Token"));
    ck_assert_ptr_null(strstr(url, "checksum"));
    ck_assert_ptr_null(strstr(url, "acl"));
    ck_assert_int_eq(skycrate_presigned_expires_in(c), 900);
    ck_assert_int_eq(skycrate_presigned_expires_at(c), PRESIGN_T0 + 900);
    ck_assert_int_eq(skycrate_presigned_clamped(c), 0);
    ck_assert_uint_eq(skycrate_presigned_header_count(c), 2);
    const char *n, *v;
    ck_assert_sky_ok(skycrate_presigned_header(&n, &v, c, 0));
    ck_assert_str_eq(n, "content-type");
    ck_assert_str_eq(v, "application/pdf");
    ck_assert_sky_ok(skycrate_presigned_header(&n, &v, c, 1));
    ck_assert_str_eq(n, "x-amz-meta-user");
    ck_assert_str_eq(v, "u42");
    ck_assert_int_eq(skycrate_presigned_header(&n, &v, c, 2), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presigned_header(NULL, NULL, c, 0));

    char *text = NULL;
    ck_assert_sky_ok(skycrate_presigned_to_json(&text, c, 0));
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_ptr_nonnull(doc);
    ck_assert_uint_eq(json_object_size(doc), 8);
    ck_assert_str_eq(jstr(doc, "method"), "PUT");
    ck_assert_str_eq(jstr(doc, "bucket"), BUCKET);
    ck_assert_str_eq(jstr(doc, "key"), "uploads/user42/report 2024.pdf");
    ck_assert_str_eq(jstr(doc, "url"), url);
    const json_t *h = json_object_get(doc, "headers");
    ck_assert_uint_eq(json_object_size(h), 2);
    ck_assert_str_eq(jstr(h, "content-type"), "application/pdf");
    ck_assert_str_eq(jstr(h, "x-amz-meta-user"), "u42");
    ck_assert_str_eq(jstr(doc, "expiresAt"), "2024-11-22T18:41:40Z");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "expiresIn")), 900);
    ck_assert(json_is_false(json_object_get(doc, "expiresClamped")));
    /* The documented order (skycrate/presigner.h): method, bucket, key, url, headers, expiresAt, expiresIn. */
    ck_assert_ptr_nonnull(strstr(text, "{\"method\":\"PUT\",\"bucket\":"));
    ck_assert(strstr(text, "\"url\":") < strstr(text, "\"headers\":"));
    ck_assert(strstr(text, "\"headers\":") < strstr(text, "\"expiresAt\":"));
    json_decref(doc);
    skycrate_free(text);

    const char *cr = NULL, *sts = NULL;
    ck_assert_sky_ok(skycrate_presigned_explain(&cr, &sts, c));
    ck_assert_ptr_nonnull(strstr(cr, "PUT\n/uploads/user42/report%202024.pdf\nX-Amz-Algorithm="));
    ck_assert_ptr_nonnull(strstr(cr, "\ncontent-type:application/pdf\nhost:" BUCKET));
    ck_assert_ptr_nonnull(
        strstr(sts, "AWS4-HMAC-SHA256\n20241122T182640Z\n20241122/eu-west-1/s3/"));
    ck_assert_ptr_null(strstr(cr, SECRET));
    ck_assert_ptr_null(strstr(sts, SECRET));
    ck_assert_sky_ok(skycrate_presigned_explain(NULL, NULL, c));
    skycrate_presigned_free(c);

    /* An UploadPart contract says which part. */
    ck_assert_sky_ok(skycrate_presign_request_set_upload_part(r, "up/load", 3));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_sky_ok(skycrate_presigned_to_json(&text, c, 0));
    doc = json_loads(text, 0, &jerr);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "partNumber")), 3);
    ck_assert_str_eq(jstr(doc, "uploadId"), "up/load");
    ck_assert_ptr_nonnull(strstr(jstr(doc, "url"), "&partNumber=3&uploadId=up%2Fload&"));
    json_decref(doc);
    skycrate_free(text);
    skycrate_presigned_free(c);

    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
}
END_TEST

START_TEST(invalid_handles_are_refused)
{
    skycrate_presigner *p = make_presigner(NULL, 0);
    skycrate_presign_request *r = typical_request();
    skycrate_presigned *c = NULL;
    char buf[4096];
    ck_assert_int_eq(skycrate_presigner_sign(NULL, p, r), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign(&c, NULL, r), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign(&c, p, NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign(&c, (const skycrate_presigner *)r, r),
                     SKYCRATE_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(skycrate_presigner_sign_url(buf, sizeof(buf), NULL, NULL, r), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_url(buf, sizeof(buf), NULL, p, NULL), SKYCRATE_EINVAL);
    skycrate_presigner *none = p;
    ck_assert_int_eq(skycrate_presigner_new(&none, NULL), SKYCRATE_EINVAL);
    ck_assert_ptr_null(none);
    ck_assert_int_eq(skycrate_presigner_new(NULL, NULL), SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate_presigned_url(NULL), "");
    ck_assert_str_eq(skycrate_presigned_method(NULL), "");
    ck_assert_str_eq(skycrate_presigner_region(NULL), "");
    ck_assert_uint_eq(skycrate_presigned_header_count(NULL), 0);
    ck_assert_int_eq(skycrate_presigned_expires_in(NULL), 0);
    char *text = NULL;
    ck_assert_int_eq(skycrate_presigned_to_json(&text, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigned_explain(NULL, NULL, NULL), SKYCRATE_EINVAL);
    skycrate_presigned_free(NULL);
    skycrate_presigner_free(NULL);

    /* A contract is no provisioner configuration (their magics were once equal). */
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_int_eq(skycrate_provisioner_config_set_tagging((skycrate_provisioner_config *)c, 0),
                     SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate_presigned_method(c), "PUT");
    skycrate_presigned_free(c);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
}
END_TEST

/* ---- expiry, credentials and the clock ------------------------------------------------------ */

START_TEST(expiry_is_clamped_to_the_credentials)
{
    /* Credentials that expire in 10 minutes: a 15-minute URL becomes a 10-minute one. */
    skycrate_presigner *p = make_presigner("session-token/+=", PRESIGN_T0 + 600);
    skycrate_presign_request *r = typical_request();
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_int_eq(skycrate_presigned_expires_in(c), 600);
    ck_assert_int_eq(skycrate_presigned_expires_at(c), PRESIGN_T0 + 600);
    ck_assert_int_eq(skycrate_presigned_clamped(c), 1);
    ck_assert_ptr_nonnull(strstr(skycrate_presigned_url(c), "&X-Amz-Expires=600&"));
    ck_assert_ptr_nonnull(
        strstr(skycrate_presigned_url(c), "&X-Amz-Security-Token=session-token%2F%2B%3D&"));
    char *text = NULL;
    ck_assert_sky_ok(skycrate_presigned_to_json(&text, c, 0));
    ck_assert_ptr_nonnull(strstr(text, "\"expiresIn\":600,\"expiresClamped\":true"));
    skycrate_free(text);
    skycrate_presigned_free(c);

    /* The fast path clamps the same way. */
    char buf[4096];
    ck_assert_sky_ok(skycrate_presigner_sign_url(buf, sizeof(buf), NULL, p, r));
    ck_assert_ptr_nonnull(strstr(buf, "&X-Amz-Expires=600&"));

    /* A shorter expiry is left alone. */
    ck_assert_sky_ok(skycrate_presign_request_set_expires(r, 60));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_int_eq(skycrate_presigned_expires_in(c), 60);
    ck_assert_int_eq(skycrate_presigned_clamped(c), 0);
    skycrate_presigned_free(c);

    /* Signed as of a time after the credentials expire: refused. */
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, PRESIGN_T0 + 600));
    ck_assert_int_eq(skycrate_presigner_sign(&c, p, r), SKYCRATE_EEXPIRED);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "2024-11-22T18:36:40Z"));
    ck_assert_int_eq(skycrate_presigner_sign_url(buf, sizeof(buf), NULL, p, r), SKYCRATE_EEXPIRED);
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, PRESIGN_T0 + 599));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_int_eq(skycrate_presigned_expires_in(c), 1);
    skycrate_presigned_free(c);

    /* Credentials already expired: the provider refuses them. */
    presign_clock_ms = (int64_t)(PRESIGN_T0 + 700) * 1000;
    ck_assert_int_eq(skycrate_presigner_sign(&c, p, r), SKYCRATE_EEXPIRED);
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "session-token"));
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
}
END_TEST

START_TEST(clock_and_offset_apply)
{
    skycrate_client *client = make_client(NULL, 0, NULL);
    ck_assert_sky_ok(skycrate_client_set_clock_offset(client, -3600));
    ck_assert_int_eq(skycrate_client_clock_offset(client), -3600);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_presign_request *r = typical_request();
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_int_eq(skycrate_presigned_expires_at(c), PRESIGN_T0 - 3600 + 900);
    ck_assert_ptr_nonnull(strstr(skycrate_presigned_url(c), "X-Amz-Date=20241122T172640Z"));
    skycrate_presigned_free(c);
    /* The client corrects its offset later (as a skew correction does): the presigner follows,
     * on both paths. */
    ck_assert_sky_ok(skycrate_client_set_clock_offset(client, 120));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_ptr_nonnull(strstr(skycrate_presigned_url(c), "X-Amz-Date=20241122T182840Z"));
    skycrate_presigned_free(c);
    char url[2048];
    ck_assert_sky_ok(skycrate_presigner_sign_url(url, sizeof(url), NULL, p, r));
    ck_assert_ptr_nonnull(strstr(url, "X-Amz-Date=20241122T182840Z"));
    /* The clock moves on. */
    presign_clock_ms += 61000;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_ptr_nonnull(strstr(skycrate_presigned_url(c), "X-Amz-Date=20241122T182941Z"));
    skycrate_presigned_free(c);
    /* A fixed time wins over both. */
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, 1440938160));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_ptr_nonnull(strstr(skycrate_presigned_url(c), "X-Amz-Date=20150830T123600Z"));
    skycrate_presigned_free(c);
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, -1));
    /* The presigner outlives the client with the last offset. */
    ck_assert_sky_ok(skycrate_client_set_clock_offset(client, -60));
    skycrate_client_free(client);
    ck_assert_sky_ok(skycrate_presigner_sign_url(url, sizeof(url), NULL, p, r));
    ck_assert_ptr_nonnull(strstr(url, "X-Amz-Date=20241122T182641Z"));
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
}
END_TEST

START_TEST(clock_offset_is_checked)
{
    skycrate_client *client = make_client(NULL, 0, NULL);
    const int64_t ten_years = INT64_C(315576000);
    ck_assert_sky_ok(skycrate_client_set_clock_offset(client, ten_years));
    ck_assert_sky_ok(skycrate_client_set_clock_offset(client, -ten_years));
    ck_assert_int_eq(skycrate_client_clock_offset(client), -ten_years);
    ck_assert_int_eq(skycrate_client_set_clock_offset(client, ten_years + 1), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "ten years"));
    ck_assert_int_eq(skycrate_client_set_clock_offset(client, INT64_MIN), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_client_clock_offset(client), -ten_years);
    ck_assert_int_eq(skycrate_client_set_clock_offset(NULL, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_client_clock_offset(NULL), 0);
    skycrate_client_free(client);
}
END_TEST

/* One thread moves the client's offset while others presign: every URL is signed at the
 * frozen clock plus one of the offsets set (never a torn or stale-forever value), and the
 * presigners see the last one once the setter is done. */
typedef struct {
    const skycrate_presigner *presigner;
    const skycrate_presign_request *request;
    int bad;
} offset_reader;

static void *read_offsets(void *arg)
{
    offset_reader *o = arg;
    char url[2048], want[64];
    for (int i = 0; i < 4000; i++) {
        if (skycrate_presigner_sign_url(url, sizeof(url), NULL, o->presigner, o->request) != 0) {
            o->bad++;
            continue;
        }
        /* Offsets are 0 to 7 hours. */
        bool ok = false;
        for (int h = 0; h < 8 && !ok; h++) {
            char date[17];
            skycrate__format_amz_date(date, PRESIGN_T0 + h * 3600);
            snprintf(want, sizeof(want), "X-Amz-Date=%s", date);
            ok = strstr(url, want) != NULL;
        }
        o->bad += !ok;
    }
    return NULL;
}

START_TEST(clock_offset_changes_under_load)
{
    skycrate_client *client = make_client(NULL, 0, NULL);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_presign_request *r = typical_request();
    offset_reader readers[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        readers[i] = (offset_reader){p, r, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, read_offsets, &readers[i]), 0);
    }
    for (int i = 0; i < 20000; i++)
        ck_assert_sky_ok(skycrate_client_set_clock_offset(client, (i % 8) * 3600));
    ck_assert_sky_ok(skycrate_client_set_clock_offset(client, 7 * 3600));
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(readers[i].bad, 0);
    }
    char url[2048];
    ck_assert_sky_ok(skycrate_presigner_sign_url(url, sizeof(url), NULL, p, r));
    ck_assert_ptr_nonnull(strstr(url, "X-Amz-Date=20241123T012640Z"));
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
    skycrate_client_free(client);
}
END_TEST

static int failing_get(skycrate_credentials **out, void *user_data)
{
    (void)out;
    (void)user_data;
    skycrate_error_set_str(SKYCRATE_EAUTH, "vault unreachable");
    return SKYCRATE_EAUTH;
}

START_TEST(provider_errors_pass_through)
{
    skycrate_credentials_provider *provider = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_delegate(&provider, failing_get, NULL));
    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, NULL));
    ck_assert_sky_ok(skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_AUTO));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_client_free(client);
    skycrate_presign_request *r = typical_request();
    skycrate_presigned *c = NULL;
    ck_assert_int_eq(skycrate_presigner_sign(&c, p, r), SKYCRATE_EAUTH);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "vault unreachable"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "presign"));
    ck_assert_ptr_null(c);
    char buf[2048];
    ck_assert_int_eq(skycrate_presigner_sign_url(buf, sizeof(buf), NULL, p, r), SKYCRATE_EAUTH);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
}
END_TEST

START_TEST(fast_path_buffer_and_targets)
{
    skycrate_client *client = make_client(NULL, 0, "http://127.0.0.1:7480/prefix");
    skycrate_presigner *p = NULL, *q = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_client_free(client);
    q = make_presigner(NULL, 0);
    skycrate_presign_request *r = typical_request();
    char buf[4096], small[64];
    size_t len = 0, need = 0;
    ck_assert_int_eq(skycrate_presigner_sign_url(small, sizeof(small), &need, p, r),
                     SKYCRATE_EINVAL);
    ck_assert_uint_gt(need, sizeof(small));
    ck_assert_sky_ok(skycrate_presigner_sign_url(buf, need + 1, &len, p, r));
    ck_assert_uint_eq(len, need);
    ck_assert_str_eq(strstr(buf, "?") - strlen("http://127.0.0.1:7480/prefix/" BUCKET
                                               "/uploads/user42/report%202024.pdf"),
                     buf);
    /* Two presigners and several buckets in one thread: the per-thread target cache keeps
     * them apart. */
    char a[4096], b[4096];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 6; i++) {
            char bucket[64];
            snprintf(bucket, sizeof(bucket), "bucket-%d", i);
            ck_assert_sky_ok(skycrate_presign_request_set_bucket(r, bucket));
            ck_assert_sky_ok(skycrate_presigner_sign_url(a, sizeof(a), NULL, p, r));
            ck_assert_sky_ok(skycrate_presigner_sign_url(b, sizeof(b), NULL, q, r));
            char want_a[128], want_b[128];
            snprintf(want_a, sizeof(want_a), "http://127.0.0.1:7480/prefix/%s/uploads/", bucket);
            snprintf(want_b, sizeof(want_b), "https://%s.s3.eu-west-1.amazonaws.com/uploads/",
                     bucket);
            ck_assert_int_eq(strncmp(a, want_a, strlen(want_a)), 0);
            ck_assert_int_eq(strncmp(b, want_b, strlen(want_b)), 0);
        }
    }
    /* Dotted names over https go path style. */
    ck_assert_sky_ok(skycrate_presign_request_set_bucket(r, "my.dotted.bucket"));
    ck_assert_sky_ok(skycrate_presigner_sign_url(b, sizeof(b), NULL, q, r));
    ck_assert_int_eq(strncmp(b, "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/uploads/",
                             strlen("https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/")),
                     0);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
    skycrate_presigner_free(q);
}
END_TEST

/* ---- threads, allocation -------------------------------------------------------------------- */

typedef struct {
    const skycrate_presigner *p;
    const skycrate_presign_request *r;
    const char *want;
    int mismatches;
} thread_arg;

static void *presign_many(void *arg)
{
    thread_arg *a = arg;
    char buf[4096];
    for (int i = 0; i < 2000; i++) {
        if (i % 100 == 0) {
            skycrate_presigned *c = NULL;
            if (skycrate_presigner_sign(&c, a->p, a->r) < 0 ||
                strcmp(skycrate_presigned_url(c), a->want))
                a->mismatches++;
            skycrate_presigned_free(c);
        } else if (skycrate_presigner_sign_url(buf, sizeof(buf), NULL, a->p, a->r) < 0 ||
                   strcmp(buf, a->want) != 0) {
            a->mismatches++;
        }
    }
    return NULL;
}

START_TEST(threads_share_a_presigner)
{
    skycrate_presigner *p = make_presigner("tok", 0);
    skycrate_presign_request *r = typical_request();
    char want[4096];
    ck_assert_sky_ok(skycrate_presigner_sign_url(want, sizeof(want), NULL, p, r));
    pthread_t t[8];
    thread_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (thread_arg){p, r, want, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, presign_many, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(args[i].mismatches, 0);
    }
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
}
END_TEST

/* Presigning with credentials that never change takes no reference on them: while two threads
 * presign, the reference count never moves (every presign used to take and drop one, two
 * atomic writes to one cache line shared by all the threads). */
typedef struct {
    const skycrate_presigner *presigner;
    const skycrate_presign_request *request;
    atomic_bool *stop;
} presign_loop_arg;

static void *presign_until_stopped(void *arg)
{
    presign_loop_arg *a = arg;
    char url[4096];
    while (!atomic_load(a->stop))
        ck_assert_sky_ok(
            skycrate_presigner_sign_url(url, sizeof(url), NULL, a->presigner, a->request));
    return NULL;
}

START_TEST(presigns_take_no_reference_on_fixed_credentials)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, AKID, SECRET, "tok", 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_presign_request *r = typical_request();
    int before = atomic_load(&creds->refcount);
    atomic_bool stop = false;
    presign_loop_arg arg = {p, r, &stop};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, presign_until_stopped, &arg), 0);
    int moved = 0;
    for (int i = 0; i < 200000; i++)
        moved += atomic_load(&creds->refcount) != before;
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(moved, 0);
    ck_assert_int_eq(atomic_load(&creds->refcount), before);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_credentials_provider_unref(provider);
    skycrate_credentials_unref(creds);
}
END_TEST

START_TEST(upload_parts_are_presigned_together)
{
    skycrate_presigner *p = make_presigner(NULL, 0);
    skycrate_presigned *parts[4];
    ck_assert_sky_ok(
        skycrate_presigner_sign_parts(parts, 4, p, BUCKET, "big file.bin", "upl/oad", 7, 3600));
    for (int i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof(want), "&partNumber=%d&uploadId=upl%%2Foad&", 7 + i);
        ck_assert_ptr_nonnull(strstr(skycrate_presigned_url(parts[i]), want));
        ck_assert_str_eq(skycrate_presigned_method(parts[i]), "PUT");
        ck_assert_int_eq(skycrate_presigned_expires_at(parts[i]), PRESIGN_T0 + 3600);
        skycrate_presigned_free(parts[i]);
    }
    ck_assert_int_eq(skycrate_presigner_sign_parts(parts, 3, p, BUCKET, "k", "id", 9999, 60),
                     SKYCRATE_EINVAL);
    ck_assert_ptr_null(parts[0]);
    ck_assert_int_eq(skycrate_presigner_sign_parts(parts, 1, p, BUCKET, "k", "id", 0, 60),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_parts(parts, 1, p, BUCKET, "k", NULL, 1, 60),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_parts(parts, 1, p, BUCKET, "k", "id", 1, 0),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_parts(parts, 0, p, BUCKET, "k", "id", 1, 60),
                     SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presigner_sign_parts(parts, 1, p, BUCKET, "k", "id", 10000, 60));
    skycrate_presigned_free(parts[0]);
    skycrate_presigner_free(p);
}
END_TEST

START_TEST(fast_path_allocates_nothing)
{
    skycrate__clock_override(NULL, NULL);
    skycrate_global_cleanup();
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate__clock_override(presign_clock, NULL);
    skycrate_presigner *p = make_presigner("token", 0);
    skycrate_presign_request *r = typical_request();
    char buf[4096];
    ck_assert_sky_ok(skycrate_presigner_sign_url(buf, sizeof(buf), NULL, p, r));
    testalloc_reset_count();
    for (int i = 0; i < 100; i++) {
        presign_clock_ms += 500;
        ck_assert_sky_ok(skycrate_presigner_sign_url(buf, sizeof(buf), NULL, p, r));
    }
    ck_assert_int_eq(testalloc_count(), 0);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

START_TEST(presign_allocation_failures)
{
    skycrate__clock_override(NULL, NULL);
    skycrate_global_cleanup();
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate__clock_override(presign_clock, NULL);
    skycrate_client *client = make_client("token", 0, "http://127.0.0.1:7480");
    skycrate_presign_request *r = typical_request();
    testalloc_reset_count();
    skycrate_presigner *p = NULL;
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    long total = testalloc_count();
    char want[4096];
    strcpy(want, skycrate_presigned_url(c));
    skycrate_presigned_free(c);
    skycrate_presigner_free(p);
    for (long n = 1; n <= total; n++) {
        /* Each round starts with an empty target cache (a new presigner id). */
        p = NULL;
        c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_presigner_new(&p, client);
        if (rc == 0)
            rc = skycrate_presigner_sign(&c, p, r);
        testalloc_fail_at(0);
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld of %ld: rc %d", n, total, rc);
        ck_assert_ptr_null(c);
        skycrate_presigner_free(p);
    }
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    ck_assert_str_eq(skycrate_presigned_url(c), want);
    skycrate_presigned_free(c);
    skycrate_presigner_free(p);
    skycrate_presign_request_free(r);
    skycrate_client_free(client);
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------------- */

static Suite *presigner_suite(void)
{
    Suite *s = suite_create("presigner");
    TCase *tc;
    list_cases(&url_cases, "presign-golden");

    tc = tcase_create("golden");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, presigner_matches_botocore, 0, url_cases.count);
    suite_add_tcase(s, tc);

    tc = tcase_create("contract");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, contract_accessors_and_json);
    tcase_add_test(tc, invalid_handles_are_refused);
    tcase_add_test(tc, upload_parts_are_presigned_together);
    suite_add_tcase(s, tc);

    tc = tcase_create("expiry");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, expiry_is_clamped_to_the_credentials);
    tcase_add_test(tc, clock_and_offset_apply);
    tcase_add_test(tc, clock_offset_is_checked);
    tcase_add_test(tc, clock_offset_changes_under_load);
    tcase_add_test(tc, provider_errors_pass_through);
    suite_add_tcase(s, tc);

    tc = tcase_create("fast_path");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fast_path_buffer_and_targets);
    tcase_add_test(tc, threads_share_a_presigner);
    tcase_add_test(tc, presigns_take_no_reference_on_fixed_credentials);
    tcase_add_test(tc, fast_path_allocates_nothing);
    tcase_add_test(tc, presign_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(presigner_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < url_cases.count; i++)
        free(url_cases.names[i]);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
