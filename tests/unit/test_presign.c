/*
 * Unit tests of lib/presign: presign requests, the allocation-free signing engine against
 * botocore's presigned URLs (tests/vectors/presign-golden, tools/gen-golden-presign.py), its
 * per-thread cache, threads, and allocation failures.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "presign/presign.h"
#include "sigv4/sigv4.h"
#include "presigncases.h"
#include "testalloc.h"
#include "testutil.h"
#include "testvectors.h"

#define GOLDEN_URL_CASES 64

static case_list url_cases;

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct {
    char url[8192];
    size_t len;
    char cr[8192], sts[512];
    skycrate__presign_lengths measured;
} signed_url;

static int engine_sign(signed_url *out, const json_t *ctx, const skycrate_presign_request *req,
                       bool explain)
{
    const json_t *t = json_object_get(ctx, "target");
    const json_t *c = json_object_get(ctx, "credentials");
    const json_t *r = json_object_get(ctx, "request");
    skycrate__presign_target target = {
        jstr(t, "host"),         strlen(jstr(t, "host")), jstr(t, "base"),
        strlen(jstr(t, "base")), jstr(t, "path"),         strlen(jstr(t, "path")),
    };
    skycrate__presign_creds creds = {jstr(c, "access_key_id"), jstr(c, "secret_access_key"),
                                     jstr(c, "session_token"), NULL};
    skycrate__presign_explain ex = {out->cr, out->sts};
    const char *region = jstr(json_object_get(ctx, "config"), "region");
    int64_t expires = json_integer_value(json_object_get(r, "expires"));
    skycrate__presign_measure(&out->measured, req, &target, &creds, region, expires);
    return skycrate__presign_sign(out->url, sizeof(out->url), &out->len, req, &target, &creds,
                                  region, json_integer_value(json_object_get(r, "time")), expires,
                                  explain ? &ex : NULL);
}

/* ---- the engine against botocore ------------------------------------------------------------ */

START_TEST(golden_set_is_complete)
{
    ck_assert_int_eq(url_cases.count, GOLDEN_URL_CASES);
}
END_TEST

START_TEST(engine_matches_botocore)
{
    char dir[1024];
    const char *name = url_cases.names[_i];
    json_t *ctx = load_context("presign-golden", name, dir, sizeof(dir));
    skycrate_presign_request *req = golden_request(ctx);
    static signed_url out;

    /* Twice: the second signature comes from the thread's cache. */
    for (int round = 0; round < 2; round++) {
        ck_assert_sky_ok(engine_sign(&out, ctx, req, true));
        char *cr = must_read(dir, "canonical-request.txt");
        char *sts = must_read(dir, "string-to-sign.txt");
        char *sig = must_read(dir, "signature.txt");
        ck_assert_str_eq(out.cr, cr);
        ck_assert_str_eq(out.sts, sts);
        ck_assert_uint_eq(out.len, strlen(out.url));
        /* What skycrate__presign_measure() foretold (contracts are allocated from it). */
        ck_assert_uint_eq(out.measured.url, out.len);
        ck_assert_uint_eq(out.measured.canonical_request, strlen(cr));
        ck_assert_uint_eq(out.measured.string_to_sign, strlen(sts));
        char tail[128];
        snprintf(tail, sizeof(tail), "&X-Amz-Signature=%s", sig);
        ck_assert_str_eq(out.url + out.len - strlen(tail), tail);
        assert_same_url(out.url, jstr(ctx, "url"));
        assert_sorted_query(out.url);
        free(cr);
        free(sts);
        free(sig);
    }
    /* Without explain: the same URL. */
    char first[8192];
    strcpy(first, out.url);
    ck_assert_sky_ok(engine_sign(&out, ctx, req, false));
    ck_assert_str_eq(out.url, first);

    skycrate_presign_request_free(req);
    json_decref(ctx);
}
END_TEST

/* ---- requests ------------------------------------------------------------------------------ */

#define BUCKET "skycrate-user42-1732300000"
#define HOST BUCKET ".s3.eu-west-1.amazonaws.com"
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const skycrate__presign_target aws_target = {
    HOST, sizeof(HOST) - 1, "https://" HOST, sizeof("https://" HOST) - 1, "", 0};
static const skycrate__presign_creds plain_creds = {AKID, SECRET, NULL, NULL};

/* Signs with the engine for the typical target; returns the URL in a static buffer. */
static const char *sign_simple(const skycrate_presign_request *req, int64_t time)
{
    static char url[8192];
    size_t len;
    ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, req, &aws_target, &plain_creds,
                                            "eu-west-1", time, req->expires, NULL));
    return url;
}

START_TEST(request_inputs_are_checked)
{
    skycrate_presign_request *r = NULL;
    ck_assert_int_eq(skycrate_presign_request_new(&r, "POST", BUCKET, "k"), SKYCRATE_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(skycrate_presign_request_new(&r, NULL, BUCKET, "k"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", "ab", "k"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", "a/b/c", "k"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", NULL, "k"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", BUCKET, NULL), SKYCRATE_EINVAL);
    /* "" is the bucket itself, but never for a part of an upload */
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, ""));
    ck_assert_int_eq(skycrate_presign_request_set_upload_part(r, "id", 1), SKYCRATE_EINVAL);
    skycrate_presign_request_free(r);
    r = NULL;
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", BUCKET, "bad\xff"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", BUCKET, "\xc0\xaf"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", BUCKET, "\xed\xa0\x80"),
                     SKYCRATE_EINVAL);
    char long_key[1026];
    memset(long_key, 'k', 1025);
    long_key[1025] = '\0';
    ck_assert_int_eq(skycrate_presign_request_new(&r, "GET", BUCKET, long_key), SKYCRATE_EINVAL);
    long_key[1024] = '\0';
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "get", BUCKET, long_key));
    ck_assert_str_eq(r->method, "GET");
    skycrate_presign_request_free(r);
    ck_assert_int_eq(skycrate_presign_request_new(NULL, "GET", BUCKET, "k"), SKYCRATE_EINVAL);

    ck_assert_sky_ok(skycrate_presign_request_new(&r, "Put", "Legacy_Bucket.1", "k"));
    ck_assert_int_eq(skycrate_presign_request_set_expires(r, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_set_expires(r, 604801), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presign_request_set_expires(r, 604800));
    ck_assert_sky_ok(skycrate_presign_request_set_expires(r, 1));
    ck_assert_int_eq(skycrate_presign_request_set_time(r, -2), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_set_time(r, INT64_C(253402300800)), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, INT64_C(253402300799)));
    ck_assert(r->has_time);
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, -1));
    ck_assert(!r->has_time);

    const char *bad_headers[][2] = {
        {"Host", "x"},
        {"authorization", "x"},
        {"X-Amz-Date", "x"},
        {"x-amz-content-sha256", "x"},
        {"X-Amz-Security-Token", "x"},
        {"bad name", "x"},
        {"", "x"},
        {"a:b", "x"},
        {"x-ok", "line\r\nInjected: 1"},
        {"x-ok", "caf\xc3\xa9"},
        {"x-ok", NULL},
        {NULL, "x"},
    };
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_headers); i++)
        ck_assert_msg(skycrate_presign_request_add_header(r, bad_headers[i][0],
                                                          bad_headers[i][1]) == SKYCRATE_EINVAL,
                      "header #%zu accepted", i);
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", "text/plain"));
    ck_assert_int_eq(skycrate_presign_request_add_header(r, "content-TYPE", "text/html"),
                     SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "x-amz-meta-empty", ""));

    const char *bad_params[] = {
        "X-Amz-Signature",     "x-amz-credential", "X-AMZ-DATE",           "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Algorithm",  "x-amz-security-token", ""};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_params); i++)
        ck_assert_int_eq(skycrate_presign_request_add_query(r, bad_params[i], "v"),
                         SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_add_query(r, NULL, "v"), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "versionId", NULL));
    ck_assert_int_eq(skycrate_presign_request_add_query(r, "versionId", "2"), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "x-amz-other", "ok"));

    ck_assert_int_eq(skycrate_presign_request_set_upload_part(r, "", 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_set_upload_part(r, "id", 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_set_upload_part(r, "id", 10001), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presign_request_set_upload_part(r, "id", 10000));
    ck_assert_int_eq(skycrate_presign_request_add_query(r, "uploadId", "x"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_set_bucket(r, "x"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presign_request_set_key(r, ""), SKYCRATE_EINVAL); /* a part */
    ck_assert_int_eq(skycrate_presign_request_set_key(r, NULL), SKYCRATE_EINVAL);
    skycrate_presign_request_free(r);

    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", BUCKET, "k"));
    ck_assert_int_eq(skycrate_presign_request_set_upload_part(r, "id", 1), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "partNumber", "1"));
    skycrate_presign_request_free(r);
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, "k"));
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "partNumber", "1"));
    ck_assert_int_eq(skycrate_presign_request_set_upload_part(r, "id", 1), SKYCRATE_EINVAL);
    skycrate_presign_request_free(r);

    /* Handles are checked. */
    ck_assert_int_eq(skycrate_presign_request_set_expires(NULL, 5), SKYCRATE_EINVAL);
    skycrate_presign_request_free(NULL);
}
END_TEST

START_TEST(request_canonical_parts)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, "a b/ü+?.txt"));
    ck_assert_str_eq(r->key_enc.ptr, "a%20b/%C3%BC%2B%3F.txt");
    ck_assert_str_eq(r->signed_headers.ptr, "host");
    ck_assert_str_eq(skycrate__buf_cstr(&r->hdr_before), "");
    ck_assert_str_eq(skycrate__buf_cstr(&r->hdr_after), "");
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "X-Amz-Meta-Note", "  a \t  b  "));
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", "text/plain"));
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Cache-Control", "no-cache"));
    ck_assert_str_eq(r->signed_headers.ptr, "cache-control;content-type;host;x-amz-meta-note");
    ck_assert_str_eq(r->signed_headers_enc.ptr,
                     "cache-control%3Bcontent-type%3Bhost%3Bx-amz-meta-note");
    ck_assert_str_eq(r->hdr_before.ptr, "cache-control:no-cache\ncontent-type:text/plain\n");
    ck_assert_str_eq(r->hdr_after.ptr, "x-amz-meta-note:a b\n");

    /* Parameters fall between the X-Amz-* ones by their encoded names. */
    const char *names[] = {"z",       "X-Amz-Ca", "A b",       "X-Amz-Dat",     "X-Amz-Sf",
                           "X-Amz-T", "Y",        "X-Amz-Exp", "X-Amz-Securitx"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(names); i++)
        ck_assert_sky_ok(skycrate_presign_request_add_query(r, names[i], "v w"));
    ck_assert_str_eq(r->seg[0].ptr, "&A%20b=v%20w");
    ck_assert_str_eq(r->seg[1].ptr, "&X-Amz-Ca=v%20w");
    ck_assert_str_eq(r->seg[2].ptr, "&X-Amz-Dat=v%20w");
    ck_assert_str_eq(r->seg[3].ptr, "&X-Amz-Exp=v%20w");
    ck_assert_str_eq(r->seg[4].ptr, "&X-Amz-Securitx=v%20w");
    ck_assert_str_eq(r->seg[5].ptr, "&X-Amz-Sf=v%20w");
    ck_assert_str_eq(r->seg[6].ptr, "&X-Amz-T=v%20w&Y=v%20w&z=v%20w");
    const char *url = sign_simple(r, 1732300000);
    assert_sorted_query(url);
    skycrate_presign_request_free(r);
}
END_TEST

START_TEST(upload_part_can_be_removed_again)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, "big.bin"));
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "x-id", "PutObject"));
    char plain[8192];
    strcpy(plain, sign_simple(r, 1732300000));
    ck_assert_sky_ok(skycrate_presign_request_set_upload_part(r, "upload/id=", 7));
    const char *part = sign_simple(r, 1732300000);
    /* Lowercase names sort after the X-Amz-* ones. */
    ck_assert_ptr_nonnull(
        strstr(part, "SignedHeaders=host&partNumber=7&uploadId=upload%2Fid%3D&x-id=PutObject&"
                     "X-Amz-Signature="));
    ck_assert_sky_ok(skycrate_presign_request_set_upload_part(r, "other", 8));
    part = sign_simple(r, 1732300000);
    ck_assert_ptr_nonnull(strstr(part, "&partNumber=8&uploadId=other&x-id=PutObject&"));
    ck_assert_uint_eq(r->param_count, 3);
    ck_assert_sky_ok(skycrate_presign_request_set_upload_part(r, NULL, 0));
    ck_assert_str_eq(sign_simple(r, 1732300000), plain);
    ck_assert_ptr_null(r->upload_id);
    skycrate_presign_request_free(r);
}
END_TEST

START_TEST(set_key_and_bucket_reuse_a_request)
{
    skycrate_presign_request *a = NULL, *b = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&a, "GET", "other-bucket", "first key"));
    ck_assert_sky_ok(skycrate_presign_request_new(&b, "GET", BUCKET, "second/key ü"));
    ck_assert_sky_ok(skycrate_presign_request_set_bucket(a, BUCKET));
    ck_assert_sky_ok(skycrate_presign_request_set_key(a, "second/key ü"));
    ck_assert_str_eq(a->bucket, BUCKET);
    char want[8192];
    strcpy(want, sign_simple(b, 1732300000));
    ck_assert_str_eq(sign_simple(a, 1732300000), want);
    ck_assert_sky_ok(skycrate_presign_request_set_key(a, "k"));
    ck_assert_str_eq(a->key, "k");
    ck_assert_str_eq(a->key_enc.ptr, "k");
    skycrate_presign_request_free(a);
    skycrate_presign_request_free(b);
}
END_TEST

/* ---- the engine ----------------------------------------------------------------------------- */

START_TEST(engine_reports_the_length_it_needs)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, "uploads/a b.pdf"));
    char url[4096];
    size_t len = 0, need = 0;
    ck_assert_int_eq(skycrate__presign_sign(NULL, 0, &need, r, &aws_target, &plain_creds,
                                            "eu-west-1", 1732300000, 900, NULL),
                     SKYCRATE_EINVAL);
    ck_assert_uint_gt(need, 100);
    ck_assert_int_eq(skycrate__presign_sign(url, need, &len, r, &aws_target, &plain_creds,
                                            "eu-west-1", 1732300000, 900, NULL),
                     SKYCRATE_EINVAL);
    ck_assert_uint_eq(len, need);
    ck_assert_sky_ok(skycrate__presign_sign(url, need + 1, &len, r, &aws_target, &plain_creds,
                                            "eu-west-1", 1732300000, 900, NULL));
    ck_assert_uint_eq(len, need);
    ck_assert_uint_eq(strlen(url), need);

    /* Token: its encoded length counts. */
    skycrate__presign_creds tc = {AKID, SECRET, "a/b+c=", NULL};
    ck_assert_int_eq(skycrate__presign_sign(NULL, 0, &need, r, &aws_target, &tc, "eu-west-1",
                                            1732300000, 900, NULL),
                     SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate__presign_sign(url, need + 1, &len, r, &aws_target, &tc, "eu-west-1",
                                            1732300000, 900, NULL));
    ck_assert_uint_eq(strlen(url), need);
    ck_assert_ptr_nonnull(strstr(url, "&X-Amz-Security-Token=a%2Fb%2Bc%3D&"));

    /* Bad inputs. */
    ck_assert_int_eq(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &plain_creds,
                                            "eu-west-1", 1732300000, 0, NULL),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &plain_creds,
                                            "eu-west-1", 1732300000, 604801, NULL),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &plain_creds,
                                            "eu-west-1", -1, 900, NULL),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &plain_creds,
                                            "", 1732300000, 900, NULL),
                     SKYCRATE_EINVAL);
    skycrate__presign_creds no_secret = {AKID, "", NULL, NULL};
    ck_assert_int_eq(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &no_secret,
                                            "eu-west-1", 1732300000, 900, NULL),
                     SKYCRATE_EINVAL);
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, SECRET));
    skycrate_presign_request_free(r);
}
END_TEST

/* The engine and lib/sigv4's general query signer agree on arbitrary inputs. */
START_TEST(engine_agrees_with_sigv4)
{
    unsigned seed = 12345u + (unsigned)_i;
    const char *alphabet[] = {"a",        "Z",      "0",      " ", "/", "%", "+", "=", "&", "~",
                              "\xc3\xa9", "X-Amz-", "x-amz-", "S", "D", "E", ".", "-", "_", "?"};
    const size_t na = SKYCRATE_ARRAY_SIZE(alphabet);
    for (int round = 0; round < 50; round++) {
        char key[256] = "", names[6][64], values[6][64];
        int len = 1 + (int)(rand_r(&seed) % 12);
        for (int k = 0; k < len; k++)
            strcat(key, alphabet[rand_r(&seed) % na]);
        skycrate_presign_request *r = NULL;
        ck_assert_sky_ok(skycrate_presign_request_new(&r, round % 2 ? "PUT" : "GET", BUCKET, key));
        skycrate__kv params[6];
        size_t np = 0;
        int want = (int)(rand_r(&seed) % 6);
        for (int q = 0; q < want; q++) {
            names[np][0] = values[np][0] = '\0';
            int nl = 1 + (int)(rand_r(&seed) % 4), vl = (int)(rand_r(&seed) % 4);
            for (int k = 0; k < nl; k++)
                strcat(names[np], alphabet[rand_r(&seed) % na]);
            for (int k = 0; k < vl; k++)
                strcat(values[np], alphabet[rand_r(&seed) % na]);
            if (skycrate_presign_request_add_query(r, names[np], values[np]) == 0) {
                params[np] = (skycrate__kv){names[np], values[np]};
                np++;
            }
        }
        skycrate__kv headers[2] = {{"Content-Type", "text/plain"}, {"x-amz-meta-a", "b  c"}};
        size_t nh = (size_t)(rand_r(&seed) % 3);
        for (size_t h = 0; h < nh; h++)
            ck_assert_sky_ok(
                skycrate_presign_request_add_header(r, headers[h].name, headers[h].value));
        const char *regions[] = {"eu-west-1", "ab", "us-gov-west-1", "x"};
        const char *region = regions[rand_r(&seed) % 4];
        const char *token = rand_r(&seed) % 2 ? "tok/en+=" : NULL;
        int64_t time = 1732300000 + (int64_t)(rand_r(&seed) % 100000);
        int64_t expires = 1 + (int64_t)(rand_r(&seed) % 604800);

        skycrate__presign_creds c = {AKID, SECRET, token, NULL};
        char url[8192];
        size_t ulen;
        ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &ulen, r, &aws_target, &c, region,
                                                time, expires, NULL));

        char path[1024];
        snprintf(path, sizeof(path), "/%s", key);
        skycrate__sigv4_input in = {.method = r->method,
                                    .host = HOST,
                                    .path = path,
                                    .query = params,
                                    .query_count = np,
                                    .headers = headers,
                                    .header_count = nh,
                                    .access_key_id = AKID,
                                    .secret_access_key = SECRET,
                                    .session_token = token,
                                    .region = region,
                                    .service = "s3",
                                    .time = time,
                                    .expires = expires};
        skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
        ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
        char want_url[8192];
        snprintf(want_url, sizeof(want_url), "https://%s%s?%s", HOST, out.encoded_path.ptr,
                 out.query_string.ptr);
        ck_assert_str_eq(url, want_url);
        skycrate__sigv4_output_dispose(&out);
        skycrate_presign_request_free(r);
    }
}
END_TEST

START_TEST(engine_cache_hits_and_blocks)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", BUCKET, "k"));
    skycrate__sigv4_cache_clear();
    uint64_t h0, m0, b0, h, m, b;
    skycrate__sigv4_cache_stats(&h0, &m0, &b0, NULL);
    char first[8192];
    strcpy(first, sign_simple(r, 1732300000));
    skycrate__sigv4_cache_stats(&h, &m, &b, NULL);
    ck_assert_uint_eq(m - m0, 1);
    ck_assert_uint_eq(h - h0, 0);
    ck_assert_str_eq(sign_simple(r, 1732300000), first);
    skycrate__sigv4_cache_stats(&h, &m, &b, NULL);
    ck_assert_uint_eq(h - h0, 1);
    ck_assert_uint_eq(b - b0, 1);
    /* Another second: same entry, a new first block. */
    ck_assert_str_ne(sign_simple(r, 1732300001), first);
    skycrate__sigv4_cache_stats(&h, &m, &b, NULL);
    ck_assert_uint_eq(h - h0, 2);
    ck_assert_uint_eq(b - b0, 1);
    /* Back to the first second: still right. */
    ck_assert_str_eq(sign_simple(r, 1732300000), first);
    /* Another day: a miss. */
    sign_simple(r, 1732300000 + 86400);
    skycrate__sigv4_cache_stats(&h, &m, &b, NULL);
    ck_assert_uint_eq(m - m0, 2);
    /* Another secret with the same key id: a miss, and a different signature. */
    skycrate__presign_creds other = {AKID, "another-secret", NULL, NULL};
    char url[8192];
    size_t len;
    ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &other,
                                            "eu-west-1", 1732300000, 900, NULL));
    ck_assert_str_ne(url, first);
    skycrate__sigv4_cache_stats(&h, &m, &b, NULL);
    ck_assert_uint_eq(m - m0, 3);
    /* Five identities evict the least recently used of four entries; all stay right. */
    const char *regions[] = {"eu-west-1", "eu-west-2", "eu-west-3", "us-east-1", "us-east-2"};
    char urls[5][8192];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5; i++) {
            ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target,
                                                    &plain_creds, regions[i], 1732300000, 900,
                                                    NULL));
            if (round == 0)
                strcpy(urls[i], url);
            else
                ck_assert_str_eq(url, urls[i]);
        }
    skycrate__sigv4_cache_clear();
    ck_assert_str_eq(sign_simple(r, 1732300000), first);
    skycrate_presign_request_free(r);
}
END_TEST

/* Presigning shares the signing-key cache, keyed by a hash of the secret: the thread keeps no
 * copy of the secret, whether the caller passes the credentials' hash or not. */
START_TEST(engine_keeps_no_secret)
{
    static const char secret[] = "PresignSecretNeverKeptInTheClear/0123456789";
    uint8_t hash[32];
    skycrate__sha256(hash, secret, strlen(secret));
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", BUCKET, "k"));
    skycrate__sigv4_cache_clear();
    char url[4096], again[4096];
    size_t len;
    skycrate__presign_creds with_hash = {AKID, secret, NULL, hash};
    skycrate__presign_creds without = {AKID, secret, NULL, NULL};
    ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &with_hash,
                                            "eu-west-1", 1732300000, 900, NULL));
    ck_assert_sky_ok(skycrate__presign_sign(again, sizeof(again), &len, r, &aws_target, &without,
                                            "eu-west-2", 1732300000, 900, NULL));
    ck_assert_str_ne(url, again);
    uint64_t misses;
    skycrate__sigv4_cache_stats(NULL, &misses, NULL, NULL);
    ck_assert_uint_ge(misses, 2);
    const void *mem;
    size_t n;
    skycrate__sigv4_cache_memory(&mem, &n);
    ck_assert_ptr_null(memmem(mem, n, secret + 8, 16));
    skycrate_presign_request_free(r);
}
END_TEST

START_TEST(engine_allocates_nothing)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, "uploads/a b.pdf"));
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", "application/pdf"));
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "x-id", "PutObject"));
    skycrate__presign_creds tc = {AKID, SECRET, "token", NULL};
    skycrate__presign_creds long_secret = {AKID,
                                           "S0123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789",
                                           NULL, NULL};
    char url[4096];
    size_t len;
    skycrate__sigv4_cache_clear();
    testalloc_reset_count();
    for (int i = 0; i < 20; i++) {
        ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &tc,
                                                i % 2 ? "eu-west-1" : "ab", 1732300000 + i, 900,
                                                NULL));
        ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target,
                                                &long_secret, "eu-west-1", 1732300000, 900, NULL));
    }
    ck_assert_int_eq(testalloc_count(), 0);
    /* set_key to a key no longer than the buffers allows for: no allocation either. */
    ck_assert_sky_ok(skycrate_presign_request_set_key(r, "uploads/b.pdf"));
    ck_assert_int_eq(testalloc_count(), 0);
    skycrate_presign_request_free(r);
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}
END_TEST

static skycrate_presign_request *build_full_request(int *rc)
{
    skycrate_presign_request *r = NULL;
    if ((*rc = skycrate_presign_request_new(&r, "PUT", BUCKET, "uploads/a b.pdf")) < 0 ||
        (*rc = skycrate_presign_request_add_header(r, "Content-Type", "application/pdf")) < 0 ||
        (*rc = skycrate_presign_request_add_header(r, "x-amz-meta-a", "b")) < 0 ||
        (*rc = skycrate_presign_request_add_query(r, "x-id", "PutObject")) < 0 ||
        (*rc = skycrate_presign_request_set_upload_part(r, "id", 2)) < 0 ||
        (*rc = skycrate_presign_request_set_upload_part(r, "id2", 3)) < 0 ||
        (*rc = skycrate_presign_request_set_key(r, "a much longer key than the first one")) < 0 ||
        (*rc = skycrate_presign_request_set_bucket(r, "other-bucket")) < 0) {
        skycrate_presign_request_free(r);
        return NULL;
    }
    return r;
}

START_TEST(request_allocation_failures)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    int rc;
    testalloc_reset_count();
    skycrate_presign_request *r = build_full_request(&rc);
    ck_assert_sky_ok(rc);
    long total = testalloc_count();
    char want[8192];
    strcpy(want, sign_simple(r, 1732300000));
    skycrate_presign_request_free(r);
    ck_assert_int_gt(total, 10);
    for (long n = 1; n <= total; n++) {
        testalloc_fail_at(n);
        r = build_full_request(&rc);
        testalloc_fail_at(0);
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld of %ld: rc %d", n, total, rc);
        ck_assert_ptr_null(r);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
    /* A failed setter leaves the request as it was. */
    for (int setter = 0; setter < 4; setter++) {
        for (long n = 1;; n++) {
            r = build_full_request(&rc);
            ck_assert_ptr_nonnull(r);
            testalloc_fail_at(n);
            switch (setter) {
            case 0: rc = skycrate_presign_request_add_header(r, "Cache-Control", "no-cache"); break;
            case 1: rc = skycrate_presign_request_add_query(r, "versionId", "v"); break;
            case 2: rc = skycrate_presign_request_set_upload_part(r, "id3", 4); break;
            default: rc = skycrate_presign_request_set_upload_part(r, NULL, 0); break;
            }
            testalloc_fail_at(0);
            if (rc == 0) {
                ck_assert_str_ne(sign_simple(r, 1732300000), want);
                skycrate_presign_request_free(r);
                break;
            }
            ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
            ck_assert_str_eq(sign_simple(r, 1732300000), want);
            skycrate_presign_request_free(r);
            ck_assert_int_eq(testalloc_outstanding(), 0);
        }
    }
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}
END_TEST

/* The explanation goes into the caller's memory: signing with it allocates nothing either. */
START_TEST(engine_explain_allocates_nothing)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", BUCKET, "k"));
    char url[4096], cr[4096], sts[512];
    size_t len;
    skycrate__presign_explain ex = {cr, sts};
    ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &plain_creds,
                                            "eu-west-1", 1732300000, 900, &ex));
    testalloc_reset_count();
    ck_assert_sky_ok(skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &plain_creds,
                                            "eu-west-1", 1732300000, 900, &ex));
    ck_assert_int_eq(testalloc_count(), 0);
    ck_assert_ptr_nonnull(strstr(cr, "X-Amz-Date=20241122T182640Z"));
    char cr_hash[65];
    skycrate__sha256_hex(cr_hash, cr, strlen(cr));
    ck_assert_str_eq(sts + strlen(sts) - 64, cr_hash);
    skycrate_presign_request_free(r);
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}
END_TEST

static void *sign_once(void *p)
{
    const skycrate_presign_request *r = p;
    char url[4096];
    size_t len;
    skycrate__presign_sign(url, sizeof(url), &len, r, &aws_target, &plain_creds, "eu-west-1",
                           1732300000, 900, NULL);
    return NULL;
}

START_TEST(thread_cache_is_wiped_at_exit)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", BUCKET, "k"));
    uint64_t before, after;
    skycrate__sigv4_cache_stats(NULL, NULL, NULL, &before);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, sign_once, r), 0);
    pthread_join(t, NULL);
    skycrate__sigv4_cache_stats(NULL, NULL, NULL, &after);
    ck_assert_uint_eq(after - before, 1);
    skycrate_presign_request_free(r);
}
END_TEST

/* ---- threads -------------------------------------------------------------------------------- */

typedef struct {
    const skycrate_presign_request *req;
    const char *want;
    int mismatches;
} thread_arg;

static void *sign_many(void *p)
{
    thread_arg *a = p;
    char url[8192];
    size_t len;
    skycrate__presign_creds tc = {AKID, SECRET, "tok", NULL};
    for (int i = 0; i < 2000; i++) {
        const skycrate__presign_creds *c = i % 3 ? &plain_creds : &tc;
        if (skycrate__presign_sign(url, sizeof(url), &len, a->req, &aws_target, c, "eu-west-1",
                                   1732300000 + (i % 3 ? 0 : 5), 900, NULL) < 0 ||
            (c == &plain_creds && strcmp(url, a->want) != 0))
            a->mismatches++;
    }
    return NULL;
}

START_TEST(threads_presign_identically)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, "uploads/a b.pdf"));
    ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", "application/pdf"));
    char want[8192];
    strcpy(want, sign_simple(r, 1732300000));
    pthread_t t[8];
    thread_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (thread_arg){r, want, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, sign_many, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(args[i].mismatches, 0);
    }
    skycrate_presign_request_free(r);
}
END_TEST

/* ---- the upload-key helper ------------------------------------------------------------------ */

/* The name part of "prefix/user/uuid-name", after checking the uuid. */
static const char *key_name(const char *key, const char *head)
{
    size_t hn = strlen(head);
    ck_assert_msg(strncmp(key, head, hn) == 0, "%s does not start with %s", key, head);
    const char *u = key + hn;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            ck_assert_int_eq(u[i], '-');
        else
            ck_assert_msg(strchr("0123456789abcdef", u[i]) && u[i], "uuid in %s", key);
    }
    ck_assert_int_eq(u[14], '4');
    ck_assert_ptr_nonnull(strchr("89ab", u[19]));
    ck_assert_int_eq(u[36], '-');
    return u + 37;
}

static void assert_clean(const char *filename, const char *want)
{
    char *key = NULL;
    ck_assert_sky_ok(skycrate_upload_key(&key, NULL, "user42", filename));
    ck_assert_str_eq(key_name(key, "uploads/user42/"), want);
    /* Every key made is a valid presign key. */
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, key));
    skycrate_presign_request_free(r);
    skycrate_free(key);
}

START_TEST(upload_keys_are_safe)
{
    assert_clean("report 2024.pdf", "report 2024.pdf");
    assert_clean("../../etc/passwd", "passwd");
    assert_clean("C:\\Users\\me\\Desktop\\photo.JPG", "photo.JPG");
    assert_clean("dir/sub/", "file");
    assert_clean("..", "file");
    assert_clean("...", "file");
    assert_clean("", "file");
    assert_clean(".bashrc", "bashrc");
    assert_clean(".pdf", "pdf");
    assert_clean("a..b...c", "a.b.c");
    assert_clean("trailing. . .", "trailing");
    assert_clean("  lots   of\t\tspace  .txt", "lots of space.txt");
    assert_clean("new\nline\r\x01\x7f.txt", "new line.txt");
    assert_clean("bell\x07\x1b[31m.txt", "bell_31m.txt");
    assert_clean("invoice\xe2\x80\xae"
                 "fdp.exe",
                 "invoicefdp.exe"); /* U+202E */
    assert_clean("zero\xe2\x80\x8bwidth\xef\xbb\xbf.txt", "zerowidth.txt");
    assert_clean("bad\xff\xfeutf8\xc3.txt", "badutf8.txt");
    assert_clean("q?a#b%c*d:e;f<g>h\"i|j^k`l{m}n[o]p.txt", "q_a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p.txt");
    assert_clean("keep+these=&,@$!'()~.txt", "keep+these=&,@$!'()~.txt");
    assert_clean("ünïcödé 日本語.txt", "ünïcödé 日本語.txt");

    /* Long names are cut to 128 bytes, keeping the extension and whole characters. */
    char longname[600];
    strcpy(longname, "");
    for (int i = 0; i < 100; i++)
        strcat(longname, "é");
    strcat(longname, "xyz.tar");
    char *key = NULL;
    ck_assert_sky_ok(skycrate_upload_key(&key, NULL, "u", longname));
    const char *name = key_name(key, "uploads/u/");
    ck_assert_uint_le(strlen(name), 128);
    ck_assert_uint_ge(strlen(name), 126);
    ck_assert_str_eq(name + strlen(name) - 4, ".tar");
    ck_assert_int_eq(strncmp(name, "éé", 4), 0);
    ck_assert(((unsigned char)name[strlen(name) - 5] & 0xc0) != 0x80 ||
              ((unsigned char)name[strlen(name) - 6] & 0xe0) == 0xc0);
    skycrate_free(key);
    memset(longname, 'a', 300);
    strcpy(longname + 300, ".averyveryverylongextension");
    ck_assert_sky_ok(skycrate_upload_key(&key, NULL, "u", longname));
    ck_assert_uint_eq(strlen(key_name(key, "uploads/u/")), 128);
    skycrate_free(key);
}
END_TEST

/* The buffer form: the same key shape, its exact length, nothing written when it does not fit,
 * no allocation; the longest key fits SKYCRATE_UPLOAD_KEY_MAX. */
START_TEST(upload_key_into_a_buffer)
{
    char buf[SKYCRATE_UPLOAD_KEY_MAX + 1];
    size_t len = 0;
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    testalloc_reset_count();
    ck_assert_sky_ok(
        skycrate_upload_key_to(buf, sizeof(buf), &len, "uploads", "user42", "C:\\a\\b c.pdf"));
    ck_assert_int_eq(testalloc_count(), 0);
    ck_assert_uint_eq(len, strlen(buf));
    ck_assert_uint_eq(len, strlen("uploads/user42/") + 36 + 1 + strlen("b c.pdf"));
    ck_assert_str_eq(key_name(buf, "uploads/user42/"), "b c.pdf");
    /* Too small by one: the length is told, the buffer untouched. */
    char small[64];
    memset(small, '#', sizeof(small));
    size_t need = 0;
    ck_assert_int_eq(skycrate_upload_key_to(small, len, &need, "uploads", "user42", "b c.pdf"),
                     SKYCRATE_EINVAL);
    ck_assert_uint_eq(need, len);
    for (size_t i = 0; i < sizeof(small); i++)
        ck_assert_int_eq(small[i], '#');
    ck_assert_sky_ok(skycrate_upload_key_to(small, len + 1, &need, "uploads", "user42", "b c.pdf"));
    ck_assert_uint_eq(strlen(small), len);
    ck_assert_int_eq(skycrate_upload_key_to(NULL, 0, &need, "uploads", "user42", "x"),
                     SKYCRATE_EINVAL);
    ck_assert_uint_eq(need, strlen("uploads/user42/") + 36 + 2);
    /* The longest prefix, user id and name. */
    char prefix[257], user[129], name[400];
    memset(prefix, 'p', 256);
    prefix[256] = '\0';
    memset(user, 'u', 128);
    user[128] = '\0';
    memset(name, 'n', 399);
    name[399] = '\0';
    ck_assert_sky_ok(skycrate_upload_key_to(buf, sizeof(buf), &len, prefix, user, name));
    ck_assert_uint_eq(len, 256 + 1 + 128 + 1 + 36 + 1 + 128);
    ck_assert_uint_le(len, SKYCRATE_UPLOAD_KEY_MAX);
    ck_assert_int_eq(testalloc_count(), 0);
    ck_assert_int_eq(skycrate_global_cleanup(), 0);
}
END_TEST

START_TEST(upload_keys_are_unique_and_prefixed)
{
    char *a = NULL, *b = NULL;
    ck_assert_sky_ok(skycrate_upload_key(&a, NULL, "user42", "x.txt"));
    ck_assert_sky_ok(skycrate_upload_key(&b, NULL, "user42", "x.txt"));
    ck_assert_str_ne(a, b);
    skycrate_free(a);
    skycrate_free(b);
    ck_assert_sky_ok(skycrate_upload_key(&a, "media/in/", "a.b@example.com", "x.txt"));
    ck_assert_str_eq(key_name(a, "media/in/a.b@example.com/"), "x.txt");
    skycrate_free(a);
    ck_assert_sky_ok(skycrate_upload_key(&a, "", "u-1", "x.txt"));
    ck_assert_str_eq(key_name(a, "u-1/"), "x.txt");
    skycrate_free(a);

    const char *bad_users[] = {"", ".hidden", "a/b", "a b", "a\\b", "..", "é"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_users); i++)
        ck_assert_int_eq(skycrate_upload_key(&a, NULL, bad_users[i], "x"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_upload_key(&a, NULL, NULL, "x"), SKYCRATE_EINVAL);
    char long_user[200];
    memset(long_user, 'u', 129);
    long_user[129] = '\0';
    ck_assert_int_eq(skycrate_upload_key(&a, NULL, long_user, "x"), SKYCRATE_EINVAL);
    const char *bad_prefixes[] = {"/abs", "a//b",  "a/../b",    "..",
                                  "./a",  "a/./b", "tab\there", "bad\xff"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad_prefixes); i++)
        ck_assert_msg(skycrate_upload_key(&a, bad_prefixes[i], "u", "x") == SKYCRATE_EINVAL,
                      "prefix %s accepted", bad_prefixes[i]);
    ck_assert_sky_ok(skycrate_upload_key(&a, "a.b/..c", "u", "x"));
    skycrate_free(a);
    ck_assert_int_eq(skycrate_upload_key(&a, NULL, "u", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_upload_key(NULL, NULL, "u", "x"), SKYCRATE_EINVAL);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------------- */

static Suite *presign_suite(void)
{
    Suite *s = suite_create("presign");
    TCase *tc;
    list_cases(&url_cases, "presign-golden");

    tc = tcase_create("golden");
    tcase_add_test(tc, golden_set_is_complete);
    tcase_add_loop_test(tc, engine_matches_botocore, 0, url_cases.count);
    suite_add_tcase(s, tc);

    tc = tcase_create("request");
    tcase_add_test(tc, request_inputs_are_checked);
    tcase_add_test(tc, request_canonical_parts);
    tcase_add_test(tc, upload_part_can_be_removed_again);
    tcase_add_test(tc, set_key_and_bucket_reuse_a_request);
    tcase_add_test(tc, upload_keys_are_safe);
    tcase_add_test(tc, upload_keys_are_unique_and_prefixed);
    tcase_add_test(tc, upload_key_into_a_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("engine");
    tcase_add_test(tc, engine_reports_the_length_it_needs);
    tcase_add_loop_test(tc, engine_agrees_with_sigv4, 0, 8);
    tcase_add_test(tc, engine_cache_hits_and_blocks);
    tcase_add_test(tc, engine_keeps_no_secret);
    tcase_add_test(tc, threads_presign_identically);
    tcase_add_test(tc, thread_cache_is_wiped_at_exit);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocation");
    tcase_add_test(tc, engine_allocates_nothing);
    tcase_add_test(tc, request_allocation_failures);
    tcase_add_test(tc, engine_explain_allocates_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(presign_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < url_cases.count; i++)
        free(url_cases.names[i]);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
