/*
 * Unit tests of lib/sigv4: URI encoding, the AWS SigV4 test suite (every case, header and query
 * signing), botocore golden S3 cases, the signing-key cache (also across threads), validation
 * and allocation failures.
 * Vector files are found through SKYCRATE_VECTORS (set by tests/meson.build).
 */
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "sigv4/sigv4.h"
#include "testalloc.h"
#include "testvectors.h"
#include "testutil.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AWS_SUITE_CASES 38
#define GOLDEN_CASES 82

static case_list aws_cases, golden_cases;

/* query_string = canonical query + "&X-Amz-Signature=<signature>" */
static void assert_signature_last(const skycrate__sigv4_output *out, const char *canonical_query)
{
    char tail[128];
    snprintf(tail, sizeof(tail), "&X-Amz-Signature=%s", out->signature);
    size_t n = strlen(canonical_query);
    ck_assert_int_eq(strncmp(out->query_string.ptr, canonical_query, n), 0);
    ck_assert_str_eq(out->query_string.ptr + n, tail);
}

/* The third line of a canonical request: its query string. */
static char *cr_query_line(const char *cr)
{
    const char *a = strchr(cr, '\n');
    a = strchr(a + 1, '\n') + 1;
    const char *b = strchr(a, '\n');
    return strndup(a, (size_t)(b - a));
}

/* ---- URI encoding ------------------------------------------------------------------------- */

START_TEST(uri_encode_keeps_unreserved_only)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(skycrate__uri_encode(&b, "", 0, true), 0);
    ck_assert_str_eq(skycrate__buf_cstr(&b), "");
    const char *s = "AZaz09-_.~ /+=&?#%!*'(),;:@$";
    ck_assert_int_eq(skycrate__uri_encode(&b, s, strlen(s), true), 0);
    ck_assert_str_eq(b.ptr, "AZaz09-_.~%20/%2B%3D%26%3F%23%25%21%2A%27%28%29%2C%3B%3A%40%24");
    skycrate__buf_clear(&b);
    ck_assert_int_eq(skycrate__uri_encode(&b, s, strlen(s), false), 0);
    ck_assert_str_eq(b.ptr, "AZaz09-_.~%20%2F%2B%3D%26%3F%23%25%21%2A%27%28%29%2C%3B%3A%40%24");
    skycrate__buf_clear(&b);
    ck_assert_int_eq(skycrate__uri_encode(&b, "\xe1\x88\xb4\x00x", 5, false), 0);
    ck_assert_str_eq(b.ptr, "%E1%88%B4%00x");
    skycrate__buf_dispose(&b);
}
END_TEST

START_TEST(uri_encode_every_byte)
{
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(skycrate__uri_encode(&b, all, sizeof(all), false), 0);
    size_t unreserved = 26 + 26 + 10 + 4;
    ck_assert_uint_eq(b.len, unreserved + 3 * (256 - unreserved));
    char *back = pct_decode(b.ptr, b.len);
    ck_assert_mem_eq(back + 1, all + 1, 255); /* pct_decode returns a C string: skip byte 0 */
    free(back);
    skycrate__buf_dispose(&b);
}
END_TEST

/* ---- the AWS SigV4 test suite ------------------------------------------------------------- */

typedef struct {
    char *method, *path, *query, *host, *body;
    kv_list headers;
} raw_request;

static void parse_request(raw_request *r, char *text)
{
    memset(r, 0, sizeof(*r));
    char *line = text, *next;
    char *body = strstr(text, "\n\n");
    if (body) {
        *body = '\0';
        r->body = strdup(body + 2);
    } else {
        r->body = strdup("");
    }
    next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    char *sp1 = strchr(line, ' '), *sp2 = strrchr(line, ' ');
    r->method = strndup(line, (size_t)(sp1 - line));
    char *target = strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    char *q = strchr(target, '?');
    r->query = strdup(q ? q + 1 : "");
    if (q)
        *q = '\0';
    r->path = target;
    for (line = next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if ((line[0] == ' ' || line[0] == '\t') && r->headers.count > 0) {
            /* A folded continuation line: the value keeps the line break. */
            skycrate__kv *last = &r->headers.items[r->headers.count - 1];
            size_t n = strlen(last->value) + strlen(line) + 2;
            char *v = malloc(n);
            snprintf(v, n, "%s\n%s", last->value, line);
            free(r->headers.owned[r->headers.owned_count - 1]);
            r->headers.owned[r->headers.owned_count - 1] = v;
            last->value = v;
            continue;
        }
        char *colon = strchr(line, ':');
        ck_assert_ptr_nonnull(colon);
        char *name = strndup(line, (size_t)(colon - line));
        if (strcasecmp(name, "host") == 0) {
            r->host = strdup(colon + 1);
            free(name);
        } else {
            kv_add(&r->headers, name, strdup(colon + 1));
        }
    }
}

static void free_request(raw_request *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    free(r->host);
    free(r->body);
    kv_free(&r->headers);
}

static void run_aws_case(int index, bool query)
{
    char dir[1024], pre[8];
    case_dir(dir, sizeof(dir), "aws-sigv4-test-suite", aws_cases.names[index]);
    snprintf(pre, sizeof(pre), "%s", query ? "query" : "header");

    json_error_t jerr;
    char *ctx_text = must_read(dir, "context.json");
    json_t *ctx = json_loads(ctx_text, 0, &jerr);
    ck_assert_msg(ctx != NULL, "context.json: %s", jerr.text);
    const char *akid = NULL, *secret = NULL, *token = NULL, *region = NULL, *service = NULL,
               *timestamp = NULL;
    int normalize = 0, sign_body = 0, omit_token = 0;
    json_int_t expires = 0;
    ck_assert_int_eq(
        json_unpack_ex(ctx, &jerr, 0, "{s:{s:s, s:s, s?:s}, s:I, s:b, s:s, s:s, s:b, s:s, s?:b}",
                       "credentials", "access_key_id", &akid, "secret_access_key", &secret, "token",
                       &token, "expiration_in_seconds", &expires, "normalize", &normalize, "region",
                       &region, "service", &service, "sign_body", &sign_body, "timestamp",
                       &timestamp, "omit_session_token", &omit_token),
        0);

    raw_request r;
    char *req_text = must_read(dir, "request.txt");
    parse_request(&r, req_text);
    kv_list qp = {0};
    parse_query(&qp, r.query);

    skycrate__sigv4_input in = {0};
    ck_assert_int_eq(skycrate__parse_iso8601(&in.time, timestamp), 0);
    char amz_date[17], payload[65];
    skycrate__format_amz_date(amz_date, in.time);
    skycrate__sha256_hex(payload, r.body, strlen(r.body));

    kv_list headers = {0};
    for (size_t i = 0; i < r.headers.count; i++)
        kv_add(&headers, strdup(r.headers.items[i].name), strdup(r.headers.items[i].value));
    if (!query) {
        /* Header signing: the caller adds the date, the token and the payload hash. */
        kv_add(&headers, strdup("X-Amz-Date"), strdup(amz_date));
        if (token && !omit_token)
            kv_add(&headers, strdup("X-Amz-Security-Token"), strdup(token));
        if (sign_body)
            kv_add(&headers, strdup("X-Amz-Content-Sha256"), strdup(payload));
    }

    in.method = r.method;
    in.host = r.host;
    in.path = r.path;
    in.query = qp.items;
    in.query_count = qp.count;
    in.headers = headers.items;
    in.header_count = headers.count;
    in.payload_hash = payload;
    in.access_key_id = akid;
    in.secret_access_key = secret;
    in.session_token = query || !omit_token ? token : NULL;
    in.region = region;
    in.service = service;
    in.expires = expires;
    /* The suite's request paths are what aws-c-auth encodes once ("double encoding" there
     * means encoding the request's path again). Our input is the raw path, encoded once for
     * the canonical URI: so the suite runs without DOUBLE_ENCODE, with NORMALIZE_PATH when
     * context.json says normalize. The *-unnormalized cases (flags 0) are S3's rules. */
    in.flags = (normalize ? SKYCRATE__SIGV4_NORMALIZE_PATH : 0) |
               (omit_token ? SKYCRATE__SIGV4_OMIT_SESSION_TOKEN : 0);

    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    if (query)
        ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
    else
        ck_assert_sky_ok(skycrate__sigv4_sign_headers(&out, &in));

    char name[64];
    snprintf(name, sizeof(name), "%s-canonical-request.txt", pre);
    char *want_cr = must_read(dir, name);
    ck_assert_str_eq(out.canonical_request.ptr, want_cr);
    snprintf(name, sizeof(name), "%s-string-to-sign.txt", pre);
    char *want_sts = must_read(dir, name);
    ck_assert_str_eq(out.string_to_sign.ptr, want_sts);
    snprintf(name, sizeof(name), "%s-signature.txt", pre);
    char *want_sig = must_read(dir, name);
    ck_assert_str_eq(out.signature, want_sig);
    ck_assert_str_eq(out.amz_date, amz_date);

    snprintf(name, sizeof(name), "%s-signed-request.txt", pre);
    char *signed_req = must_read(dir, name);
    if (query) {
        /* "METHOD /path?query HTTP/1.1": the same parameters, ours sorted, signature last. */
        char *line_end = strchr(signed_req, '\n');
        *line_end = '\0';
        char *q = strchr(signed_req, '?'), *sp = strrchr(signed_req, ' ');
        *sp = '\0';
        ck_assert_ptr_nonnull(q);
        assert_same_params(out.query_string.ptr, q + 1);
        char *cq = cr_query_line(want_cr);
        if (omit_token) {
            ck_assert_ptr_nonnull(strstr(out.query_string.ptr, "&X-Amz-Security-Token="));
            ck_assert_ptr_null(strstr(cq, "X-Amz-Security-Token"));
        } else {
            assert_signature_last(&out, cq);
        }
        free(cq);
        ck_assert_str_eq(out.authorization.ptr, "");
    } else {
        char *auth = strstr(signed_req, "\nAuthorization:");
        ck_assert_ptr_nonnull(auth);
        auth += strlen("\nAuthorization:");
        *strchr(auth, '\n') = '\0';
        ck_assert_str_eq(out.authorization.ptr, auth);
        char *cq = cr_query_line(want_cr);
        ck_assert_str_eq(out.query_string.ptr, cq);
        free(cq);
    }

    skycrate__sigv4_output_dispose(&out);
    free(signed_req);
    free(want_cr);
    free(want_sts);
    free(want_sig);
    kv_free(&headers);
    kv_free(&qp);
    free_request(&r);
    free(req_text);
    json_decref(ctx);
    free(ctx_text);
}

START_TEST(aws_suite_header_signing)
{
    run_aws_case(_i, false);
}
END_TEST

START_TEST(aws_suite_query_signing)
{
    run_aws_case(_i, true);
}
END_TEST

START_TEST(vector_sets_are_complete)
{
    ck_assert_int_eq(aws_cases.count, AWS_SUITE_CASES);
    ck_assert_int_eq(golden_cases.count, GOLDEN_CASES);
}
END_TEST

/* ---- botocore golden S3 cases ------------------------------------------------------------- */

static void load_pairs(kv_list *l, json_t *arr)
{
    size_t i;
    json_t *pair;
    json_array_foreach(arr, i, pair)
    {
        kv_add(l, strdup(json_string_value(json_array_get(pair, 0))),
               strdup(json_string_value(json_array_get(pair, 1))));
    }
}

START_TEST(golden_s3_cases)
{
    char dir[1024];
    case_dir(dir, sizeof(dir), "s3-golden", golden_cases.names[_i]);
    char *ctx_text = must_read(dir, "context.json");
    json_error_t jerr;
    json_t *ctx = json_loads(ctx_text, 0, &jerr);
    ck_assert_msg(ctx != NULL, "context.json: %s", jerr.text);

    skycrate__sigv4_input in = {0};
    const char *mode = NULL, *url = NULL;
    json_t *query = NULL, *headers = NULL;
    json_int_t time = 0, expires = 0, flags = 0;
    ck_assert_msg(json_unpack_ex(ctx, &jerr, 0,
                                 "{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:I, s:I, "
                                 "s:I, s:s}",
                                 "mode", &mode, "method", &in.method, "host", &in.host, "path",
                                 &in.path, "query", &query, "headers", &headers, "access_key_id",
                                 &in.access_key_id, "secret_access_key", &in.secret_access_key,
                                 "region", &in.region, "service", &in.service, "time", &time,
                                 "expires", &expires, "flags", &flags, "url", &url) == 0,
                  "context.json: %s", jerr.text);
    /* null (no token, UNSIGNED-PAYLOAD) gives NULL */
    in.payload_hash = json_string_value(json_object_get(ctx, "payload_hash"));
    in.session_token = json_string_value(json_object_get(ctx, "session_token"));
    kv_list qp = {0}, hs = {0};
    load_pairs(&qp, query);
    load_pairs(&hs, headers);
    in.query = qp.items;
    in.query_count = qp.count;
    in.headers = hs.items;
    in.header_count = hs.count;
    in.time = time;
    in.expires = expires;
    in.flags = (uint32_t)flags;
    bool is_query = strcmp(mode, "query") == 0;

    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    if (is_query)
        ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
    else
        ck_assert_sky_ok(skycrate__sigv4_sign_headers(&out, &in));

    char *want_cr = must_read(dir, "canonical-request.txt");
    char *want_sts = must_read(dir, "string-to-sign.txt");
    char *want_sig = must_read(dir, "signature.txt");
    ck_assert_str_eq(out.canonical_request.ptr, want_cr);
    ck_assert_str_eq(out.string_to_sign.ptr, want_sts);
    ck_assert_str_eq(out.signature, want_sig);

    /* The wire path is the one botocore put into the URL. */
    const char *path_start = strchr(strstr(url, "://") + 3, '/');
    size_t path_len = strcspn(path_start, "?");
    ck_assert_uint_eq(out.encoded_path.len, path_len);
    ck_assert_int_eq(strncmp(out.encoded_path.ptr, path_start, path_len), 0);

    char *cq = cr_query_line(want_cr);
    if (is_query) {
        char *want_q = must_read(dir, "signed-query.txt");
        assert_same_params(out.query_string.ptr, want_q);
        assert_signature_last(&out, cq);
        free(want_q);
    } else {
        char *want_auth = must_read(dir, "authorization.txt");
        ck_assert_str_eq(out.authorization.ptr, want_auth);
        ck_assert_str_eq(out.query_string.ptr, cq);
        free(want_auth);
    }
    free(cq);
    skycrate__sigv4_output_dispose(&out);
    free(want_cr);
    free(want_sts);
    free(want_sig);
    kv_free(&qp);
    kv_free(&hs);
    json_decref(ctx);
    free(ctx_text);
}
END_TEST

/* ---- flags and canonicalisation details --------------------------------------------------- */

static skycrate__sigv4_input basic_input(void)
{
    skycrate__sigv4_input in = {0};
    in.method = "GET";
    in.host = "examplebucket.s3.amazonaws.com";
    in.path = "/";
    in.access_key_id = AKID;
    in.secret_access_key = SECRET;
    in.region = "us-east-1";
    in.service = "s3";
    in.time = 1440938160;
    in.expires = 3600;
    return in;
}

START_TEST(path_flags_select_the_canonical_uri)
{
    static const struct {
        const char *path;
        uint32_t flags;
        const char *wire, *canonical;
    } cases[] = {
        {"/a b/./c/../d//", 0, "/a%20b/./c/../d//", "/a%20b/./c/../d//"},
        {"/a b/./c/../d//", SKYCRATE__SIGV4_NORMALIZE_PATH, "/a%20b/./c/../d//", "/a%20b/d/"},
        {"/a b/%", SKYCRATE__SIGV4_DOUBLE_ENCODE, "/a%20b/%25", "/a%2520b/%2525"},
        {"", 0, "/", "/"},
        {"//", SKYCRATE__SIGV4_NORMALIZE_PATH, "//", "/"},
        {"/a/b/..", SKYCRATE__SIGV4_NORMALIZE_PATH, "/a/b/..", "/a"},
        {"/../..", SKYCRATE__SIGV4_NORMALIZE_PATH, "/../..", "/"},
    };
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(cases); i++) {
        skycrate__sigv4_input in = basic_input();
        in.path = cases[i].path;
        in.flags = cases[i].flags;
        skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
        ck_assert_sky_ok(skycrate__sigv4_sign_headers(&out, &in));
        ck_assert_str_eq(out.encoded_path.ptr, cases[i].wire);
        char want[128];
        snprintf(want, sizeof(want), "GET\n%s\n", cases[i].canonical);
        ck_assert_int_eq(strncmp(out.canonical_request.ptr, want, strlen(want)), 0);
        skycrate__sigv4_output_dispose(&out);
    }
}
END_TEST

START_TEST(headers_are_canonicalised)
{
    skycrate__kv headers[] = {
        {"X-Amz-Meta-B", " two\r\n\t folded  "},
        {"x-amz-meta-a", "\t"},
        {"X-AMZ-META-B", "one"},
        {"Content-Type", "text/plain"},
        {"x-amz-date", "20150830T123600Z"},
    };
    skycrate__kv query[] = {{"b", NULL}, {"a", "2"}, {"a", "1"}, {"\xe1\x88\xb4", "x"}, {"Z", ""}};
    skycrate__sigv4_input in = basic_input();
    in.headers = headers;
    in.header_count = SKYCRATE_ARRAY_SIZE(headers);
    in.query = query;
    in.query_count = SKYCRATE_ARRAY_SIZE(query);
    in.payload_hash = SKYCRATE__EMPTY_SHA256;
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    ck_assert_sky_ok(skycrate__sigv4_sign_headers(&out, &in));
    ck_assert_str_eq(
        out.canonical_request.ptr,
        "GET\n/\n%E1%88%B4=x&Z=&a=1&a=2&b=\n"
        "content-type:text/plain\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "x-amz-date:20150830T123600Z\n"
        "x-amz-meta-a:\n"
        "x-amz-meta-b:two folded,one\n"
        "\n"
        "content-type;host;x-amz-date;x-amz-meta-a;x-amz-meta-b\n" SKYCRATE__EMPTY_SHA256);
    ck_assert_str_eq(out.signed_headers.ptr,
                     "content-type;host;x-amz-date;x-amz-meta-a;x-amz-meta-b");
    ck_assert_str_eq(out.query_string.ptr, "%E1%88%B4=x&Z=&a=1&a=2&b=");
    skycrate__sigv4_output_dispose(&out);
}
END_TEST

/* More than the stack arrays hold: the heap path sorts the same way. */
START_TEST(many_headers_and_parameters_sort)
{
    skycrate__kv headers[40], query[40];
    char names[40][16], qnames[40][16];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "X-H%02d", 39 - i);
        snprintf(qnames[i], sizeof(qnames[i]), "p%02d", 39 - i);
        headers[i] = (skycrate__kv){names[i], "v"};
        query[i] = (skycrate__kv){qnames[i], "v"};
    }
    skycrate__sigv4_input in = basic_input();
    in.headers = headers;
    in.header_count = 40;
    in.query = query;
    in.query_count = 40;
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
    ck_assert(strncmp(out.signed_headers.ptr, "host;x-h00;x-h01;x-h02;", 23) == 0);
    ck_assert(strstr(out.signed_headers.ptr, ";x-h38;x-h39") != NULL);
    ck_assert(strstr(out.query_string.ptr, "X-Amz-SignedHeaders=host%3Bx-h00%3B") != NULL);
    ck_assert(strstr(out.query_string.ptr, "&p00=v&p01=v&p02=v&") != NULL);
    skycrate__sigv4_output_dispose(&out);
}
END_TEST

START_TEST(query_signing_with_token_and_outputs)
{
    skycrate__sigv4_input in = basic_input();
    in.session_token = "tok/en+=";
    in.expires = 86400;
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
    ck_assert_str_eq(out.amz_date, "20150830T123600Z");
    ck_assert_str_eq(out.signed_headers.ptr, "host");
    ck_assert(strstr(out.canonical_request.ptr,
                     "&X-Amz-Expires=86400&X-Amz-Security-Token=tok%2Fen%2B%3D&") != NULL);
    ck_assert(strstr(out.canonical_request.ptr, "\nUNSIGNED-PAYLOAD") != NULL);
    ck_assert_uint_eq(strlen(out.signature), 64);
    /* An empty token is no token. */
    in.session_token = "";
    ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
    ck_assert_ptr_null(strstr(out.query_string.ptr, "Security-Token"));
    skycrate__sigv4_output_dispose(&out);
}
END_TEST

static void expect_einval(skycrate__sigv4_input in, bool query)
{
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    int rc =
        query ? skycrate__sigv4_sign_query(&out, &in) : skycrate__sigv4_sign_headers(&out, &in);
    ck_assert_int_eq(rc, SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate__buf_cstr(&out.canonical_request), "");
    ck_assert_str_eq(out.signature, "");
    /* The secret never reaches the error message. */
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, SECRET));
    skycrate__sigv4_output_dispose(&out);
}

START_TEST(invalid_inputs_are_rejected)
{
    skycrate__sigv4_input in;
    skycrate__kv host_header[] = {{"Host", "evil"}};
    skycrate__kv bad_name[] = {{"Bad Name", "v"}};
    skycrate__kv null_value[] = {{"x-a", NULL}};
    skycrate__kv no_name[] = {{NULL, "v"}};
    ck_assert_int_eq(skycrate__sigv4_sign_headers(NULL, NULL), SKYCRATE_EINVAL);
    in = basic_input(), in.method = NULL, expect_einval(in, false);
    in = basic_input(), in.method = "G T", expect_einval(in, false);
    in = basic_input(), in.host = "", expect_einval(in, false);
    in = basic_input(), in.host = "a\nb", expect_einval(in, false);
    in = basic_input(), in.path = NULL, expect_einval(in, false);
    in = basic_input(), in.path = "relative", expect_einval(in, false);
    in = basic_input(), in.headers = host_header, in.header_count = 1, expect_einval(in, false);
    in = basic_input(), in.headers = bad_name, in.header_count = 1, expect_einval(in, false);
    in = basic_input(), in.headers = null_value, in.header_count = 1, expect_einval(in, false);
    in = basic_input(), in.header_count = 1, expect_einval(in, false);
    in = basic_input(), in.query = no_name, in.query_count = 1, expect_einval(in, true);
    in = basic_input(), in.query_count = 2, expect_einval(in, true);
    in = basic_input(), in.access_key_id = "AK/ID", expect_einval(in, false);
    in = basic_input(), in.secret_access_key = "", expect_einval(in, false);
    in = basic_input(), in.region = "", expect_einval(in, false);
    in = basic_input(), in.service = "s 3", expect_einval(in, false);
    in = basic_input(), in.payload_hash = "a b", expect_einval(in, false);
    in = basic_input(), in.time = -1, expect_einval(in, false);
    in = basic_input(), in.time = INT64_MAX, expect_einval(in, true);
    in = basic_input(), in.expires = 0, expect_einval(in, true);
    in = basic_input(), in.expires = 604801, expect_einval(in, true);
    in = basic_input(), in.expires = 604800;
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
    skycrate__sigv4_output_dispose(&out);
}
END_TEST

/* Deterministic pseudo-random bytes (xorshift). */
static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void random_text(char *s, size_t max)
{
    size_t n = rng() % max;
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(1 + rng() % 255);
    s[n] = '\0';
}

START_TEST(arbitrary_bytes_are_encoded_safely)
{
    for (int round = 0; round < 500; round++) {
        char path[64] = "/", qn[32], qv[32], hv[32];
        random_text(path + 1, 62);
        random_text(qn, 32);
        random_text(qv, 32);
        random_text(hv, 32);
        skycrate__kv query[] = {{qn, qv}};
        skycrate__kv headers[] = {{"x-amz-meta-r", hv}};
        skycrate__sigv4_input in = basic_input();
        in.path = path;
        in.query = query;
        in.query_count = 1;
        in.headers = headers;
        in.header_count = 1;
        in.flags = (uint32_t)(rng() % 4);
        skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
        int rc = (round & 1) ? skycrate__sigv4_sign_query(&out, &in)
                             : skycrate__sigv4_sign_headers(&out, &in);
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(strspn(out.encoded_path.ptr, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                                       "opqrstuvwxyz0123456789-_.~%/"),
                          out.encoded_path.len);
        ck_assert_uint_eq(strspn(out.query_string.ptr, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                                       "opqrstuvwxyz0123456789-_.~%&="),
                          out.query_string.len);
        /* The canonical request has exactly its fixed number of line breaks. */
        size_t lines = 0;
        for (const char *p = out.canonical_request.ptr; *p; p++)
            lines += *p == '\n';
        ck_assert_uint_eq(lines, 5 + 2); /* host and x-amz-meta-r */
        skycrate__sigv4_output_dispose(&out);
    }
}
END_TEST

/* ---- signing-key cache -------------------------------------------------------------------- */

static const char long_akid[] = "AKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKID"
                                "AKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKIDAKID";

START_TEST(signing_key_matches_aws_example)
{
    uint8_t key[32];
    char hex[65];
    skycrate__sigv4_cache_clear();
    skycrate__sigv4_signing_key(key, AKID, SECRET, "20150830", "us-east-1", "iam");
    skycrate__hex_encode(hex, key, 32);
    ck_assert_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    /* A hit gives the same key; a secret longer than a block is hashed first. */
    skycrate__sigv4_signing_key(key, AKID, SECRET, "20150830", "us-east-1", "iam");
    skycrate__hex_encode(hex, key, 32);
    ck_assert_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    char secret[101];
    memset(secret, 'x', 100);
    secret[100] = '\0';
    skycrate__sigv4_signing_key(key, AKID, secret, "20260101", "eu-west-1", "s3");
    skycrate__hex_encode(hex, key, 32);
    ck_assert_str_eq(hex, "a50f5e678775ad297d0a28ce2f90ef1e005362988eea1b187ed6cc47fff3775a");
}
END_TEST

START_TEST(signing_key_cache_hits_and_misses)
{
    static const char *dates[] = {"20150830", "20150831"};
    static const char *regions[] = {"us-east-1", "eu-west-1"};
    static const char *secrets[] = {SECRET, SECRET "2"};
    uint64_t h0, m0, h, m;
    skycrate__sigv4_cache_clear();
    skycrate__sigv4_cache_stats(&h0, &m0, NULL, NULL);

    /* 8 distinct keys: the first pass misses each, the second hits each, and every cached key
     * equals the uncached derivation (a long access key id bypasses the cache; the access key
     * id is not part of the derivation). */
    uint8_t first[8][32], key[32], uncached[32];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 8; i++) {
            skycrate__sigv4_signing_key(key, i < 4 ? AKID : "AKID2", secrets[i & 1],
                                        dates[(i >> 1) & 1], regions[(i >> 2) & 1], "s3");
            skycrate__sigv4_signing_key(uncached, long_akid, secrets[i & 1], dates[(i >> 1) & 1],
                                        regions[(i >> 2) & 1], "s3");
            ck_assert_mem_eq(key, uncached, 32);
            if (round == 0)
                memcpy(first[i], key, 32);
            else
                ck_assert_mem_eq(first[i], key, 32);
            for (int j = 0; j < i && round == 0; j++)
                ck_assert(memcmp(first[j], key, 32) != 0 || ((i ^ j) & 3) == 0);
        }
        skycrate__sigv4_cache_stats(&h, &m, NULL, NULL);
        ck_assert_uint_eq(m - m0, 8);
        ck_assert_uint_eq(h - h0, (uint64_t)round * 8);
    }
    /* A ninth key evicts the least recently used (entry 0), which then misses again. */
    skycrate__sigv4_signing_key(key, AKID, SECRET, "20150901", "us-east-1", "s3");
    skycrate__sigv4_signing_key(key, AKID, secrets[0], dates[0], regions[0], "s3");
    skycrate__sigv4_cache_stats(&h, &m, NULL, NULL);
    ck_assert_uint_eq(m - m0, 10);
    ck_assert_mem_eq(key, first[0], 32);
    /* Same access key id, another secret: another key (the secret hash is part of the key). */
    skycrate__sigv4_signing_key(uncached, AKID, secrets[1], dates[0], regions[0], "s3");
    ck_assert(memcmp(uncached, first[0], 32) != 0);
    /* Clearing empties the cache. */
    skycrate__sigv4_cache_clear();
    skycrate__sigv4_signing_key(key, AKID, secrets[0], dates[0], regions[0], "s3");
    skycrate__sigv4_cache_stats(&h, &m, NULL, NULL);
    ck_assert_uint_eq(m - m0, 12);
    /* So does the last skycrate_global_cleanup() for its thread. */
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    ck_assert_int_eq(skycrate_global_cleanup(), 0);
    skycrate__sigv4_signing_key(key, AKID, secrets[0], dates[0], regions[0], "s3");
    skycrate__sigv4_cache_stats(&h, &m, NULL, NULL);
    ck_assert_uint_eq(m - m0, 13);
}
END_TEST

START_TEST(scope_signs_like_the_raw_key)
{
    uint8_t key[32], a[32], b[32], sh[32];
    const char *sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/s3/aws4_request\n00";
    skycrate__sigv4_signing_key(key, AKID, SECRET, "20150830", "us-east-1", "s3");
    skycrate__hmac_sha256(a, key, 32, sts, strlen(sts));
    skycrate__sha256(sh, SECRET, strlen(SECRET));
    for (int with_hash = 0; with_hash < 2; with_hash++) {
        /* Twice each: the second signature starts from the cached first block. */
        for (int round = 0; round < 2; round++) {
            skycrate__sigv4_identity id = {AKID,       SECRET,      with_hash ? sh : NULL,
                                           "20150830", "us-east-1", "s3"};
            skycrate__sigv4_scope scratch, *s = skycrate__sigv4_scope_get(&scratch, &id);
            ck_assert_ptr_ne(s, &scratch);
            ck_assert_str_eq(s->scope, "20150830/us-east-1/s3/aws4_request");
            ck_assert_uint_eq(s->scope_len, strlen(s->scope));
            skycrate__sigv4_scope_sign(b, s, sts, strlen(sts));
            ck_assert_mem_eq(a, b, 32);
            skycrate__hmac_sha256_prepared(b, &s->prepared, sts, strlen(sts));
            ck_assert_mem_eq(a, b, 32);
            skycrate__sigv4_scope_release(s, &scratch);
        }
        /* Over the limits: the scratch, keys only. */
        skycrate__sigv4_identity id = {long_akid,  SECRET,      with_hash ? sh : NULL,
                                       "20150830", "us-east-1", "s3"};
        skycrate__sigv4_scope scratch, *s = skycrate__sigv4_scope_get(&scratch, &id);
        ck_assert_ptr_eq(s, &scratch);
        ck_assert_uint_eq(s->scope_len, 0);
        skycrate__sigv4_scope_sign(b, s, sts, strlen(sts));
        ck_assert_mem_eq(a, b, 32);
        skycrate__sigv4_scope_release(s, &scratch);
        for (size_t i = 0; i < sizeof(scratch); i++)
            ck_assert_uint_eq(((unsigned char *)&scratch)[i], 0);
    }
}
END_TEST

/* The cache is keyed by a hash of the secret: the secret itself is nowhere in it. */
START_TEST(cache_never_holds_the_secret)
{
    static const char secret[] = "ThisSecretMustNeverBeCachedInTheClear0123";
    skycrate__sigv4_cache_clear();
    uint8_t key[32];
    skycrate__sigv4_signing_key(key, AKID, secret, "20150830", "us-east-1", "s3");
    skycrate__sigv4_input in = basic_input();
    in.secret_access_key = secret;
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
    skycrate__sigv4_output_dispose(&out);
    uint64_t misses;
    skycrate__sigv4_cache_stats(NULL, &misses, NULL, NULL);
    ck_assert_uint_ge(misses, 1);
    const void *mem;
    size_t n;
    skycrate__sigv4_cache_memory(&mem, &n);
    ck_assert_uint_gt(n, 4096);
    /* Not the secret, nor a long part of it (as "AWS4" + secret in an HMAC block). */
    ck_assert_ptr_null(memmem(mem, n, secret + 8, 16));
}
END_TEST

static void *exiting_thread(void *arg)
{
    uint8_t *key = arg;
    skycrate__sigv4_signing_key(key, AKID, SECRET, "20150830", "us-east-1", "iam");
    return NULL;
}

START_TEST(thread_cache_is_wiped_at_exit)
{
    uint64_t before, after;
    uint8_t key[32];
    char hex[65];
    skycrate__sigv4_cache_stats(NULL, NULL, NULL, &before);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, exiting_thread, key), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    skycrate__sigv4_cache_stats(NULL, NULL, NULL, &after);
    ck_assert_uint_eq(after, before + 1);
    skycrate__hex_encode(hex, key, 32);
    ck_assert_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}
END_TEST

#define THREADS 8
#define VARIANTS 12
#define ROUNDS 300

static char expected_sigs[VARIANTS][65];

static skycrate__sigv4_input variant_input(int v)
{
    static const char *regions[] = {"us-east-1", "eu-west-1", "ap-southeast-2"};
    static const char *paths[] = {"/b/k 1", "/b/ünï", "/b//x"};
    skycrate__sigv4_input in = basic_input();
    in.region = regions[v % 3];
    in.path = paths[(v / 3) % 3];
    in.time = 1440938160 + (int64_t)(v % 2) * 86400;
    in.secret_access_key = v < 6 ? SECRET : SECRET "x";
    return in;
}

static void *signing_thread(void *arg)
{
    intptr_t id = (intptr_t)arg, bad = 0;
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    for (int r = 0; r < ROUNDS; r++) {
        int v = (int)((r * 7 + id) % VARIANTS);
        skycrate__sigv4_input in = variant_input(v);
        if (skycrate__sigv4_sign_query(&out, &in) != 0 || strcmp(out.signature, expected_sigs[v]))
            bad++;
    }
    skycrate__sigv4_output_dispose(&out);
    return (void *)bad;
}

START_TEST(threads_sign_identically)
{
    for (int v = 0; v < VARIANTS; v++) {
        skycrate__sigv4_input in = variant_input(v);
        in.access_key_id = long_akid; /* uncached reference */
        skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
        ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
        /* The access key id is in the credential, so sign the reference with the real one. */
        in.access_key_id = AKID;
        ck_assert_sky_ok(skycrate__sigv4_sign_query(&out, &in));
        memcpy(expected_sigs[v], out.signature, 65);
        skycrate__sigv4_output_dispose(&out);
    }
    for (int v = 1; v < VARIANTS; v++)
        ck_assert_str_ne(expected_sigs[v], expected_sigs[0]);
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, signing_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *bad = NULL;
        ck_assert_int_eq(pthread_join(t[i], &bad), 0);
        ck_assert_ptr_null(bad);
    }
}
END_TEST

/* ---- allocations -------------------------------------------------------------------------- */

static int sign_for_alloc(skycrate__sigv4_output *out, bool query, bool many)
{
    static skycrate__kv headers[40], params[40];
    static char names[40][16];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "x-amz-meta-%02d", i);
        headers[i] = (skycrate__kv){names[i], " a  b "};
        params[i] = (skycrate__kv){names[i], "v w"};
    }
    skycrate__sigv4_input in = basic_input();
    in.path = "/b/a b/./c";
    in.headers = headers;
    in.header_count = many ? 40 : 3;
    in.query = params;
    in.query_count = many ? 40 : 2;
    in.session_token = "token";
    in.flags = many ? SKYCRATE__SIGV4_NORMALIZE_PATH | SKYCRATE__SIGV4_DOUBLE_ENCODE : 0;
    return query ? skycrate__sigv4_sign_query(out, &in) : skycrate__sigv4_sign_headers(out, &in);
}

START_TEST(allocation_failures_return_enomem)
{
    bool query = _i & 1, many = _i & 2;
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    testalloc_reset_count();
    ck_assert_sky_ok(sign_for_alloc(&out, query, many));
    long total = testalloc_count();
    char good[65];
    memcpy(good, out.signature, 65);
    skycrate__sigv4_output_dispose(&out);
    ck_assert_int_gt(total, 0);
    for (long n = 1; n <= total; n++) {
        testalloc_fail_at(n);
        int rc = sign_for_alloc(&out, query, many);
        testalloc_fail_at(0);
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld of %ld: rc %d", n, total, rc);
        ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ENOMEM);
        skycrate__sigv4_output_dispose(&out);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
    ck_assert_sky_ok(sign_for_alloc(&out, query, many));
    ck_assert_str_eq(out.signature, good);
    skycrate__sigv4_output_dispose(&out);
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}
END_TEST

START_TEST(reused_output_signs_without_allocating)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    ck_assert_sky_ok(sign_for_alloc(&out, true, false));
    ck_assert_sky_ok(sign_for_alloc(&out, false, false));
    testalloc_reset_count();
    for (int i = 0; i < 10; i++) {
        ck_assert_sky_ok(sign_for_alloc(&out, true, false));
        ck_assert_sky_ok(sign_for_alloc(&out, false, false));
    }
    ck_assert_int_eq(testalloc_count(), 0);
    skycrate__sigv4_output_dispose(&out);
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}
END_TEST

static Suite *sigv4_suite(void)
{
    Suite *s = suite_create("sigv4");
    TCase *tc;
    list_cases(&aws_cases, "aws-sigv4-test-suite");
    list_cases(&golden_cases, "s3-golden");

    tc = tcase_create("uri_encode");
    tcase_add_test(tc, uri_encode_keeps_unreserved_only);
    tcase_add_test(tc, uri_encode_every_byte);
    suite_add_tcase(s, tc);

    tc = tcase_create("aws_suite");
    tcase_add_test(tc, vector_sets_are_complete);
    tcase_add_loop_test(tc, aws_suite_header_signing, 0, aws_cases.count);
    tcase_add_loop_test(tc, aws_suite_query_signing, 0, aws_cases.count);
    suite_add_tcase(s, tc);

    tc = tcase_create("s3_golden");
    tcase_add_loop_test(tc, golden_s3_cases, 0, golden_cases.count);
    suite_add_tcase(s, tc);

    tc = tcase_create("canonical");
    tcase_add_test(tc, path_flags_select_the_canonical_uri);
    tcase_add_test(tc, headers_are_canonicalised);
    tcase_add_test(tc, many_headers_and_parameters_sort);
    tcase_add_test(tc, query_signing_with_token_and_outputs);
    tcase_add_test(tc, invalid_inputs_are_rejected);
    tcase_add_test(tc, arbitrary_bytes_are_encoded_safely);
    suite_add_tcase(s, tc);

    tc = tcase_create("signing_key");
    tcase_add_test(tc, signing_key_matches_aws_example);
    tcase_add_test(tc, signing_key_cache_hits_and_misses);
    tcase_add_test(tc, scope_signs_like_the_raw_key);
    tcase_add_test(tc, cache_never_holds_the_secret);
    tcase_add_test(tc, thread_cache_is_wiped_at_exit);
    tcase_add_test(tc, threads_sign_identically);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocation");
    tcase_add_loop_test(tc, allocation_failures_return_enomem, 0, 4);
    tcase_add_test(tc, reused_output_signs_without_allocating);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sigv4_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < aws_cases.count; i++)
        free(aws_cases.names[i]);
    for (int i = 0; i < golden_cases.count; i++)
        free(golden_cases.names[i]);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
