/*
 * Loopback tests of the libcurl transport (suite 'loopback'): against tests/support/httpserver
 * on 127.0.0.1, and for TLS against `openssl s_server` on 127.0.0.1 with a throwaway
 * self-signed certificate.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/common.h"
#include "core/time.h"
#include "http/http.h"
#include "httpserver.h"
#include "testalloc.h"
#include "testutil.h"

extern char **environ;

static httpserver *srv;
static skycrate_http_transport *tr;
static char url[512];

static void make_transport(unsigned int lanes, const char *ca_file)
{
    skycrate__curl_options opts = {ca_file, NULL, "skycrate-test/0.1", lanes};
    ck_assert_sky_ok(skycrate__curl_transport_new(&tr, &opts));
}

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    srv = hs_start(NULL, NULL);
    make_transport(1, NULL);
}

static void teardown(void)
{
    skycrate_http_transport_unref(tr);
    tr = NULL;
    hs_stop(srv);
    srv = NULL;
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

static const char *at(const char *path)
{
    snprintf(url, sizeof(url), "%s%s", hs_url(srv), path);
    return url;
}

static struct skycrate_http_request make_request(const char *method, const char *u)
{
    struct skycrate_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = u;
    /* The connect timeout covers the TLS handshake with a server thread of this process, which
     * valgrind runs one thread at a time with the client. */
    req.connect_timeout_ms = 5000 * TEST_SLOW_FACTOR();
    req.timeout_ms = 30000;
    return req;
}

static void memory_body(struct skycrate_http_request *req, const void *data, size_t len)
{
    req->body_kind = SKYCRATE__BODY_MEMORY;
    req->body_data = data;
    req->body_length = len;
}

static const skycrate__kv sent_headers[] = {
    {"x-amz-date", "20150830T123600Z"},
    {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"},
    {"x-empty", ""},
};

/* ---- methods and headers ------------------------------------------------------------------- */

START_TEST(get_sends_headers_and_receives_an_answer)
{
    hs_push_str(srv, 200, "ETag: \"abc\"\r\nx-amz-request-id:   R1  \r\n", "hello");
    struct skycrate_http_request req = make_request("GET", at("/bucket/key?versionId=3"));
    req.headers = sent_headers;
    req.header_count = SKYCRATE_ARRAY_SIZE(sent_headers);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(skycrate__http_response_header(&resp, "etag"), "\"abc\"");
    ck_assert_str_eq(skycrate__http_response_header(&resp, "X-Amz-Request-Id"), "R1");
    ck_assert_str_eq(skycrate__http_response_header(&resp, "content-length"), "5");
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "hello");

    const hs_request *r = hs_request_at(srv, 0);
    ck_assert_str_eq(r->method, "GET");
    ck_assert_str_eq(r->target, "/bucket/key?versionId=3");
    ck_assert_str_eq(hs_request_header(r, "x-amz-date"), "20150830T123600Z");
    ck_assert_str_eq(hs_request_header(r, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
    ck_assert_ptr_nonnull(hs_request_header(r, "x-empty"));
    ck_assert_str_eq(hs_request_header(r, "x-empty"), "");
    ck_assert_str_eq(hs_request_header(r, "User-Agent"), "skycrate-test/0.1");
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", hs_port(srv));
    ck_assert_str_eq(hs_request_header(r, "Host"), host);
    ck_assert_ptr_null(hs_request_header(r, "Accept-Encoding"));
    ck_assert_ptr_null(hs_request_header(r, "Expect"));
    ck_assert_uint_eq(r->body_length, 0);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(put_sends_the_body_with_content_length)
{
    hs_push_str(srv, 200, "ETag: \"1\"\r\n", "");
    hs_push_str(srv, 200, NULL, "");
    static const char data[] = "some object bytes";
    struct skycrate_http_request req = make_request("PUT", at("/b/k"));
    memory_body(&req, data, strlen(data));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_int_eq(resp.status, 200);
    const hs_request *r = hs_request_at(srv, 0);
    ck_assert_str_eq(r->method, "PUT");
    ck_assert_str_eq((const char *)r->body, data);
    ck_assert_str_eq(hs_request_header(r, "Content-Length"), "17");
    ck_assert_ptr_null(hs_request_header(r, "Expect"));
    ck_assert_ptr_null(hs_request_header(r, "Transfer-Encoding"));
    ck_assert_ptr_null(hs_request_header(r, "Content-Type"));

    /* an empty PUT (CreateBucket in us-east-1) still says Content-Length: 0 */
    struct skycrate_http_request empty = make_request("PUT", at("/newbucket"));
    ck_assert_sky_ok(skycrate__http_perform(tr, &empty, &resp));
    r = hs_request_at(srv, 1);
    ck_assert_str_eq(r->method, "PUT");
    ck_assert_str_eq(hs_request_header(r, "Content-Length"), "0");
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(head_reads_no_body)
{
    hs_push_str(srv, 200, "x-amz-meta-a: b\r\n", "0123456789");
    struct skycrate_http_request req = make_request("HEAD", at("/b/k"));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(skycrate__http_response_header(&resp, "content-length"), "10");
    ck_assert_str_eq(skycrate__http_response_header(&resp, "x-amz-meta-a"), "b");
    ck_assert_uint_eq(resp.body.len, 0);
    ck_assert_uint_eq(resp.body_bytes, 0);
    ck_assert_str_eq(hs_request_at(srv, 0)->method, "HEAD");
    /* the connection is still good for the next request */
    hs_push_str(srv, 204, NULL, "");
    struct skycrate_http_request del = make_request("DELETE", at("/b/k"));
    ck_assert_sky_ok(skycrate__http_perform(tr, &del, &resp));
    ck_assert_int_eq(resp.status, 204);
    ck_assert_uint_eq(hs_connections(srv), 1);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(delete_and_post_with_and_without_body)
{
    for (int i = 0; i < 4; i++)
        hs_push_str(srv, 200, NULL, "<ok/>");
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);

    struct skycrate_http_request del = make_request("DELETE", at("/b/k"));
    ck_assert_sky_ok(skycrate__http_perform(tr, &del, &resp));
    const hs_request *r = hs_request_at(srv, 0);
    ck_assert_str_eq(r->method, "DELETE");
    ck_assert_uint_eq(r->body_length, 0);

    static const char xml[] = "<Delete><Object><Key>a</Key></Object></Delete>";
    struct skycrate_http_request delb = make_request("DELETE", at("/b?x"));
    memory_body(&delb, xml, strlen(xml));
    ck_assert_sky_ok(skycrate__http_perform(tr, &delb, &resp));
    r = hs_request_at(srv, 1);
    ck_assert_str_eq(r->method, "DELETE");
    ck_assert_str_eq((const char *)r->body, xml);
    ck_assert_uint_eq(strtoul(hs_request_header(r, "Content-Length"), NULL, 10), strlen(xml));

    struct skycrate_http_request post = make_request("POST", at("/b?delete"));
    memory_body(&post, xml, strlen(xml));
    ck_assert_sky_ok(skycrate__http_perform(tr, &post, &resp));
    r = hs_request_at(srv, 2);
    ck_assert_str_eq(r->method, "POST");
    ck_assert_str_eq((const char *)r->body, xml);
    ck_assert_uint_eq(strtoul(hs_request_header(r, "Content-Length"), NULL, 10), strlen(xml));
    ck_assert_ptr_null(hs_request_header(r, "Content-Type")); /* no form type added */

    static const skycrate__kv typed[] = {{"Content-Type", "application/xml"}};
    struct skycrate_http_request post2 = make_request("POST", at("/b/k?uploads"));
    post2.headers = typed;
    post2.header_count = 1;
    ck_assert_sky_ok(skycrate__http_perform(tr, &post2, &resp));
    r = hs_request_at(srv, 3);
    ck_assert_str_eq(hs_request_header(r, "Content-Type"), "application/xml");
    ck_assert_str_eq(hs_request_header(r, "Content-Length"), "0");
    ck_assert_uint_eq(hs_connections(srv), 1);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(header_injection_is_refused)
{
    static const skycrate__kv evil[] = {{"x-amz-meta-a", "b\r\nx-amz-acl: public-read"}};
    struct skycrate_http_request req = make_request("PUT", at("/b/k"));
    req.headers = evil;
    req.header_count = 1;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "line break"));
    ck_assert_uint_eq(hs_request_count(srv), 0);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(path_reaches_the_server_byte_for_byte)
{
    hs_push_str(srv, 200, NULL, "");
    const char *path = "/a/../b//c%2Fd/./e?x=1&y=%2F&z=a%20b";
    struct skycrate_http_request req = make_request("GET", at(path));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_str_eq(hs_request_at(srv, 0)->target, path);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(error_answers_are_returned_with_their_body)
{
    hs_push_str(srv, 404, "Content-Type: application/xml\r\n",
                "<Error><Code>NoSuchKey</Code></Error>");
    struct skycrate_http_request req = make_request("GET", at("/b/missing"));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_int_eq(resp.status, 404);
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "<Error><Code>NoSuchKey</Code></Error>");
    skycrate__http_response_dispose(&resp);
}
END_TEST

static void early_hints(const hs_request *req, hs_response *resp, void *user_data)
{
    (void)req, (void)user_data;
    hs_response_interim(resp, 103, "Link: </style.css>; rel=preload\r\n");
    hs_response_status(resp, 200);
    hs_response_header(resp, "X-Final", "1");
    hs_response_body_str(resp, "done");
}

START_TEST(interim_answers_do_not_leak_headers)
{
    hs_stop(srv);
    srv = hs_start(early_hints, NULL);
    struct skycrate_http_request req = make_request("GET", at("/"));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_int_eq(resp.status, 200);
    ck_assert_ptr_null(skycrate__http_response_header(&resp, "link"));
    ck_assert_str_eq(skycrate__http_response_header(&resp, "x-final"), "1");
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "done");
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(buffered_body_over_the_limit_is_ehttp)
{
    hs_push_str(srv, 200, NULL, "0123456789abcdef");
    struct skycrate_http_request req = make_request("GET", at("/b?policy"));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    resp.max_buffered = 8;
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_EHTTP);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "exceeds the 8 bytes"));
    skycrate__http_response_dispose(&resp);
}
END_TEST

/* ---- streaming ----------------------------------------------------------------------------- */

/* A little over 1 MiB: libcurl would ask for 100-continue above 1 MiB unless told not to. */
enum { MIB = 1024 * 1024 + 4096 };

static unsigned char pattern_byte(size_t i)
{
    return (unsigned char)((i * 31u + (i >> 10)) & 0xff);
}

typedef struct gen {
    size_t pos, len;
    int calls;
    int fail_on_call; /* 0: never */
} gen;

static int gen_read(size_t *nread_out, void *buf, size_t capacity, void *user_data)
{
    gen *g = user_data;
    g->calls++;
    if (g->fail_on_call && g->calls >= g->fail_on_call) {
        skycrate_error_set_str(SKYCRATE_EUSER, "generator gave up");
        return SKYCRATE_EUSER;
    }
    size_t n = g->len - g->pos < capacity ? g->len - g->pos : capacity;
    for (size_t i = 0; i < n; i++)
        ((unsigned char *)buf)[i] = pattern_byte(g->pos + i);
    g->pos += n;
    *nread_out = n;
    return 0;
}

typedef struct check_sink {
    size_t pos;
    int calls;
    bool mismatch;
    int fail_on_call;
} check_sink;

static int sink_check(const void *data, size_t length, void *user_data)
{
    check_sink *c = user_data;
    c->calls++;
    if (c->fail_on_call && c->calls >= c->fail_on_call) {
        skycrate_error_set_str(SKYCRATE_EIO, "disk full");
        return SKYCRATE_EIO;
    }
    for (size_t i = 0; i < length; i++)
        if (((const unsigned char *)data)[i] != pattern_byte(c->pos + i))
            c->mismatch = true;
    c->pos += length;
    return 0;
}

START_TEST(a_mebibyte_streams_both_ways)
{
    hs_push_str(srv, 200, NULL, "");
    gen g = {0, MIB, 0, 0};
    struct skycrate_http_request put = make_request("PUT", at("/b/big"));
    put.body_kind = SKYCRATE__BODY_STREAM;
    put.body_read = gen_read;
    put.body_read_user_data = &g;
    put.body_length = MIB;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &put, &resp));
    const hs_request *r = hs_request_at(srv, 0);
    ck_assert_uint_eq(r->body_length, MIB);
    ck_assert_ptr_null(hs_request_header(r, "Expect"));
    for (size_t i = 0; i < MIB; i++)
        if (r->body[i] != pattern_byte(i))
            ck_abort_msg("request body differs at byte %zu", i);
    ck_assert_int_gt(g.calls, 1);

    unsigned char *big = malloc(MIB);
    for (size_t i = 0; i < MIB; i++)
        big[i] = pattern_byte(i);
    hs_push(srv, 200, NULL, big, MIB);
    free(big);
    check_sink c = {0, 0, false, 0};
    resp.sink = sink_check;
    resp.sink_user_data = &c;
    struct skycrate_http_request get = make_request("GET", at("/b/big"));
    long before = testalloc_outstanding();
    ck_assert_sky_ok(skycrate__http_perform(tr, &get, &resp));
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(c.pos, MIB);
    ck_assert(!c.mismatch);
    ck_assert_int_gt(c.calls, 1);
    ck_assert_uint_eq(resp.body.len, 0); /* nothing buffered */
    ck_assert_ptr_null(resp.body.ptr);
    ck_assert_uint_eq(resp.body_bytes, MIB);
    ck_assert_int_le(testalloc_outstanding(), before + 8); /* headers only */
    ck_assert_uint_eq(hs_connections(srv), 1);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(a_file_body_is_sent_from_its_offset)
{
    hs_push_str(srv, 200, NULL, "");
    FILE *f = tmpfile();
    fputs("skip-this|the part to send|and not this", f);
    fflush(f);
    struct skycrate_http_request req = make_request("PUT", at("/b/part?partNumber=2"));
    req.body_kind = SKYCRATE__BODY_FILE;
    req.body_file = f;
    req.body_file_offset = 10;
    req.body_length = 16;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_str_eq((const char *)hs_request_at(srv, 0)->body, "the part to send");
    skycrate__http_response_dispose(&resp);
    fclose(f);
}
END_TEST

START_TEST(a_sink_error_aborts_with_its_code)
{
    unsigned char *big = malloc(MIB);
    for (size_t i = 0; i < MIB; i++)
        big[i] = pattern_byte(i);
    hs_push(srv, 200, NULL, big, MIB);
    hs_push_str(srv, 200, NULL, "after");
    free(big);
    check_sink c = {0, 0, false, 2};
    struct skycrate_http_request req = make_request("GET", at("/b/big"));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    resp.sink = sink_check;
    resp.sink_user_data = &c;
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_EIO);
    ck_assert_str_eq(skycrate_error_last()->message, "disk full");
    ck_assert_int_eq(c.calls, 2);
    /* the transport is still usable (on a new connection) */
    resp.sink = NULL;
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "after");
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(a_read_error_aborts_with_its_code)
{
    gen g = {0, MIB, 0, 3};
    struct skycrate_http_request req = make_request("PUT", at("/b/big"));
    req.body_kind = SKYCRATE__BODY_STREAM;
    req.body_read = gen_read;
    req.body_read_user_data = &g;
    req.body_length = MIB;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "generator gave up");

    gen short_gen = {0, 1000, 0, 0}; /* declares 2000, supplies 1000 */
    struct skycrate_http_request shortreq = make_request("PUT", at("/b/short"));
    shortreq.body_kind = SKYCRATE__BODY_STREAM;
    shortreq.body_read = gen_read;
    shortreq.body_read_user_data = &short_gen;
    shortreq.body_length = 2000;
    ck_assert_int_eq(skycrate__http_perform(tr, &shortreq, &resp), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "ended after 1000"));
    skycrate__http_response_dispose(&resp);
}
END_TEST

/* ---- connections --------------------------------------------------------------------------- */

START_TEST(requests_reuse_one_connection)
{
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    for (int i = 0; i < 10; i++) {
        hs_push_str(srv, 200, NULL, "x");
        struct skycrate_http_request req = make_request(i % 2 ? "PUT" : "GET", at("/b/k"));
        if (i % 2)
            memory_body(&req, "body", 4);
        ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
        ck_assert_int_eq(resp.status, 200);
    }
    ck_assert_uint_eq(hs_request_count(srv), 10);
    ck_assert_uint_eq(hs_connections(srv), 1);
    skycrate__http_response_dispose(&resp);
}
END_TEST

static void slow_ok(const hs_request *req, hs_response *resp, void *user_data)
{
    (void)req;
    hs_response_delay_ms(resp, *(unsigned int *)user_data);
    hs_response_body_str(resp, "ok");
}

typedef struct worker {
    int ok, failed;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 5; i++) {
        struct skycrate_http_request req = make_request("GET", url);
        struct skycrate_http_response resp;
        skycrate__http_response_init(&resp);
        int rc = skycrate__http_perform(tr, &req, &resp);
        if (rc == 0 && resp.status == 200 && strcmp(skycrate__buf_cstr(&resp.body), "ok") == 0)
            w->ok++;
        else
            w->failed++;
        skycrate__http_response_dispose(&resp);
    }
    return NULL;
}

START_TEST(four_lanes_serve_four_threads)
{
    static unsigned int delay = 60;
    hs_stop(srv);
    srv = hs_start(slow_ok, &delay);
    skycrate_http_transport_unref(tr);
    make_transport(4, NULL);
    ck_assert_uint_eq(skycrate__http_transport_lanes(tr), 4);
    at("/concurrent");
    pthread_t threads[4];
    worker workers[4];
    memset(workers, 0, sizeof(workers));
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, worker_main, &workers[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(workers[i].ok, 5);
        ck_assert_int_eq(workers[i].failed, 0);
    }
    ck_assert_uint_eq(hs_request_count(srv), 20);
    ck_assert_uint_le(hs_connections(srv), 4);
    ck_assert_uint_ge(hs_peak_concurrency(srv), 2);
}
END_TEST

/* ---- gates: connect first, send once the gate opens ---------------------------------------- */

typedef struct gated {
    skycrate__http_gate gate;
    int rc;
    int status;
    pthread_t thread;
} gated;

static void *gated_main(void *arg)
{
    gated *g = arg;
    struct skycrate_http_request req = make_request("PUT", url);
    memory_body(&req, "body", 4);
    req.gate = &g->gate;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    g->rc = skycrate__http_perform(tr, &req, &resp);
    g->status = resp.status;
    skycrate__http_response_dispose(&resp);
    return NULL;
}

static void gated_start(gated *g)
{
    memset(g, 0, sizeof(*g));
    ck_assert_sky_ok(skycrate__http_gate_init(&g->gate));
    ck_assert_int_eq(pthread_create(&g->thread, NULL, gated_main, g), 0);
}

/* Waits (up to 5 s) until the server accepted `n` connections. */
static void wait_connections(unsigned int n)
{
    for (int i = 0; i < 500 && hs_connections(srv) < n; i++)
        usleep(10000);
    ck_assert_uint_eq(hs_connections(srv), n);
}

START_TEST(a_gated_request_connects_then_waits_for_its_gate)
{
    ck_assert(skycrate__http_transport_connects_early(tr)); /* libcurl >= 7.80 here */
    hs_push_str(srv, 200, NULL, "first");
    hs_push_str(srv, 200, NULL, "second");
    at("/b?cors");
    gated g;
    gated_start(&g);
    wait_connections(1);
    usleep(50000);
    ck_assert_uint_eq(hs_request_count(srv), 0); /* connected, nothing sent */
    skycrate__http_gate_open(&g.gate);
    ck_assert_int_eq(pthread_join(g.thread, NULL), 0);
    ck_assert_sky_ok(g.rc);
    ck_assert_int_eq(g.status, 200);
    ck_assert_uint_eq(hs_request_count(srv), 1);
    ck_assert_str_eq(hs_request_at(srv, 0)->method, "PUT");
    ck_assert_str_eq((const char *)hs_request_at(srv, 0)->body, "body");
    /* An open gate lets a request on the same connection through at once. */
    gated_main(&g);
    ck_assert_sky_ok(g.rc);
    ck_assert_uint_eq(hs_request_count(srv), 2);
    ck_assert_uint_eq(hs_connections(srv), 1);
    skycrate__http_gate_dispose(&g.gate);
}
END_TEST

START_TEST(a_cancelled_gate_sends_nothing)
{
    at("/b?cors");
    gated g;
    gated_start(&g);
    wait_connections(1);
    skycrate__http_gate_cancel(&g.gate);
    skycrate__http_gate_open(&g.gate); /* resolved once: stays cancelled */
    ck_assert_int_eq(pthread_join(g.thread, NULL), 0);
    ck_assert_int_eq(g.rc, SKYCRATE_ERROR);
    ck_assert_uint_eq(hs_request_count(srv), 0);
    /* A request at a gate cancelled already does not even connect. */
    gated_main(&g);
    ck_assert_int_eq(g.rc, SKYCRATE_ERROR);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "not sent"));
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "cors")); /* no query */
    skycrate__http_gate_dispose(&g.gate);
    usleep(50000);
    ck_assert_uint_eq(hs_connections(srv), 1);
    /* The lane still works. */
    hs_push_str(srv, 200, NULL, "ok");
    struct skycrate_http_request req = make_request("GET", url);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(tr, &req, &resp));
    ck_assert_uint_eq(hs_request_count(srv), 1);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(more_threads_than_lanes_wait_for_a_lane)
{
    static unsigned int delay = 20;
    hs_stop(srv);
    srv = hs_start(slow_ok, &delay);
    skycrate_http_transport_unref(tr);
    make_transport(2, NULL);
    at("/queued");
    pthread_t threads[4];
    worker workers[4];
    memset(workers, 0, sizeof(workers));
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, worker_main, &workers[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(workers[i].ok, 5);
    ck_assert_uint_le(hs_connections(srv), 2);
    ck_assert_uint_le(hs_peak_concurrency(srv), 2);
}
END_TEST

/* A port on 127.0.0.1 that refuses connections: bound, never listening. */
static int refusing_port(int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd, (struct sockaddr *)&addr, &len);
    *fd_out = fd;
    return ntohs(addr.sin_port);
}

START_TEST(connection_refused_is_econnect_without_the_query)
{
    int fd;
    int port = refusing_port(&fd);
    char u[256];
    snprintf(u, sizeof(u),
             "http://127.0.0.1:%d/b/k?X-Amz-Credential=AKIDEXAMPLE%%2F20150830&"
             "X-Amz-Signature=feedfacefeedface&other=visible-param",
             port);
    struct skycrate_http_request req = make_request("GET", u);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_ECONNECT);
    const char *msg = skycrate_error_last()->message;
    ck_assert_ptr_nonnull(strstr(msg, "GET http://127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(msg, "/b/k"));
    ck_assert_ptr_null(strstr(msg, "feedface"));
    ck_assert_ptr_null(strstr(msg, "AKIDEXAMPLE"));
    ck_assert_ptr_null(strstr(msg, "visible-param"));
    ck_assert_ptr_null(strchr(msg, '?'));
    close(fd);
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(a_slow_answer_is_etimeout)
{
    static unsigned int delay = 3000;
    hs_stop(srv);
    srv = hs_start(slow_ok, &delay);
    struct skycrate_http_request req = make_request("GET", at("/slow?X-Amz-Signature=cafebabe"));
    req.timeout_ms = 200;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    int64_t start = skycrate__monotonic_ms();
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_ETIMEOUT);
    ck_assert_int_lt(skycrate__monotonic_ms() - start, 2500);
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "cafebabe"));
    skycrate__http_response_dispose(&resp);
}
END_TEST

static void truncated(const hs_request *req, hs_response *resp, void *user_data)
{
    (void)req, (void)user_data;
    static const char raw[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this much";
    hs_response_raw(resp, raw, sizeof(raw) - 1);
}

START_TEST(a_connection_closed_mid_body_is_econnect)
{
    hs_stop(srv);
    srv = hs_start(truncated, NULL);
    struct skycrate_http_request req = make_request("GET", at("/b/k"));
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_ECONNECT);
    skycrate__http_response_dispose(&resp);
}
END_TEST

/* ---- TLS ----------------------------------------------------------------------------------- */

static char tls_dir[64];
static pid_t tls_pid;
static int tls_port;

/* Spawns argv with stdin, stdout and stderr on /dev/null. */
static pid_t spawn_quiet(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static int run_command(char *const argv[])
{
    pid_t pid = spawn_quiet(argv);
    if (pid < 0)
        return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool can_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    bool ok = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return ok;
}

/* Starts `openssl s_server -www` on 127.0.0.1 with a fresh self-signed certificate for the
 * name "localhost" only. */
static void tls_setup(void)
{
    setup();
    snprintf(tls_dir, sizeof(tls_dir), "/tmp/skycrate-tls-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tls_dir));
    char key[128], cert[128];
    snprintf(key, sizeof(key), "%s/key.pem", tls_dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
    char *keygen[] = {OPENSSL_BIN,
                      "req",
                      "-x509",
                      "-newkey",
                      "ec",
                      "-pkeyopt",
                      "ec_paramgen_curve:P-256",
                      "-nodes",
                      "-days",
                      "2",
                      "-subj",
                      "/CN=localhost",
                      "-addext",
                      "subjectAltName=DNS:localhost",
                      "-keyout",
                      key,
                      "-out",
                      cert,
                      NULL};
    ck_assert_int_eq(run_command(keygen), 0);

    int fd;
    tls_port = refusing_port(&fd);
    close(fd); /* free again: s_server takes it */
    char accept[64];
    snprintf(accept, sizeof(accept), "127.0.0.1:%d", tls_port);
    char *serve[] = {OPENSSL_BIN, "s_server", "-accept", accept,   "-cert", cert,
                     "-key",      key,        "-www",    "-quiet", NULL};
    tls_pid = spawn_quiet(serve);
    ck_assert_int_gt(tls_pid, 0);
    for (int i = 0; i < 200 && !can_connect(tls_port); i++)
        usleep(25000);
    ck_assert_msg(can_connect(tls_port), "openssl s_server did not start on %s", accept);
}

static void tls_teardown(void)
{
    if (tls_pid > 0) {
        kill(tls_pid, SIGTERM);
        waitpid(tls_pid, NULL, 0);
        tls_pid = 0;
    }
    char path[128];
    snprintf(path, sizeof(path), "%s/key.pem", tls_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/cert.pem", tls_dir);
    unlink(path);
    rmdir(tls_dir);
    teardown();
}

static int tls_get(const char *host)
{
    char u[128];
    snprintf(u, sizeof(u), "https://%s:%d/", host, tls_port);
    struct skycrate_http_request req = make_request("GET", u);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    int rc = skycrate__http_perform(tr, &req, &resp);
    if (rc == 0)
        ck_assert_int_eq(resp.status, 200);
    skycrate__http_response_dispose(&resp);
    return rc;
}

START_TEST(tls_rejects_an_untrusted_certificate)
{
    ck_assert_int_eq(tls_get("localhost"), SKYCRATE_ETLS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "https://localhost:"));
}
END_TEST

START_TEST(tls_trusts_the_given_ca_file_and_checks_the_name)
{
    char cert[128];
    snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
    skycrate_http_transport_unref(tr);
    make_transport(1, cert);
    ck_assert_sky_ok(tls_get("localhost"));
    /* the same trusted certificate, reached under a name it does not carry */
    ck_assert_int_eq(tls_get("127.0.0.1"), SKYCRATE_ETLS);
}
END_TEST

START_TEST(tls_to_a_plain_http_server_is_etls)
{
    char u[128];
    snprintf(u, sizeof(u), "https://127.0.0.1:%d/", hs_port(srv));
    struct skycrate_http_request req = make_request("GET", u);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate__http_perform(tr, &req, &resp), SKYCRATE_ETLS);
    skycrate__http_response_dispose(&resp);
}
END_TEST

/* The source has no code path that turns verification off (docs/HACKING.md: TLS verified, always). */
START_TEST(no_code_path_turns_tls_verification_off)
{
    FILE *f = fopen(SKYCRATE_SOURCE_ROOT "/lib/http/curl.c", "r");
    ck_assert_ptr_nonnull(f);
    static char src[256 * 1024];
    size_t n = fread(src, 1, sizeof(src) - 1, f);
    src[n] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(src, "SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);"));
    ck_assert_ptr_nonnull(strstr(src, "SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);"));
    /* each is set exactly once, unconditionally, and nothing else touches verification */
    ck_assert_ptr_null(strstr(strstr(src, "CURLOPT_SSL_VERIFYPEER") + 1, "CURLOPT_SSL_VERIFYPEER"));
    ck_assert_ptr_null(strstr(strstr(src, "CURLOPT_SSL_VERIFYHOST") + 1, "CURLOPT_SSL_VERIFYHOST"));
    static const char *const banned[] = {"VERIFYPEER, 0",
                                         "VERIFYHOST, 0",
                                         "insecure",
                                         "CURLOPT_SSL_OPTIONS",
                                         "CURLOPT_PROXY_SSL_VERIFY",
                                         "CURLSSLOPT_NO_REVOKE",
                                         "CURLOPT_SSL_CTX_FUNCTION"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(banned); i++)
        ck_assert_msg(strstr(src, banned[i]) == NULL, "curl.c contains %s", banned[i]);
}
END_TEST

/* ---- allocation failures ------------------------------------------------------------------- */

START_TEST(perform_reports_enomem_and_leaks_nothing)
{
    static const skycrate__kv many[] = {
        {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", ""},
    };
    long failures = 0;
    long held = testalloc_outstanding(); /* the transport's own */
    for (long nth = 1;; nth++) {
        hs_push_str(srv, 200, "X-One: 1\r\nX-Two: 2\r\nX-Three: 3\r\n", "response body");
        struct skycrate_http_request req = make_request("PUT", at("/b/k"));
        req.headers = many;
        req.header_count = SKYCRATE_ARRAY_SIZE(many);
        memory_body(&req, "request body", 12);
        struct skycrate_http_response resp;
        skycrate__http_response_init(&resp);
        testalloc_fail_at(nth);
        int rc = skycrate__http_perform(tr, &req, &resp);
        testalloc_fail_at(0);
        skycrate__http_response_dispose(&resp);
        ck_assert_msg(testalloc_outstanding() == held, "nth %ld rc %d: %ld outstanding", nth, rc,
                      testalloc_outstanding());
        if (rc == 0)
            break;
        failures++;
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ENOMEM);
        ck_assert_int_lt(nth, 1000);
    }
    ck_assert_int_gt(failures, 5);
}
END_TEST

static Suite *curl_suite(void)
{
    Suite *s = suite_create("curl");
    TCase *tc = tcase_create("methods");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, get_sends_headers_and_receives_an_answer);
    tcase_add_test(tc, put_sends_the_body_with_content_length);
    tcase_add_test(tc, head_reads_no_body);
    tcase_add_test(tc, delete_and_post_with_and_without_body);
    tcase_add_test(tc, path_reaches_the_server_byte_for_byte);
    tcase_add_test(tc, header_injection_is_refused);
    tcase_add_test(tc, error_answers_are_returned_with_their_body);
    tcase_add_test(tc, interim_answers_do_not_leak_headers);
    tcase_add_test(tc, buffered_body_over_the_limit_is_ehttp);
    suite_add_tcase(s, tc);

    tc = tcase_create("streaming");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_mebibyte_streams_both_ways);
    tcase_add_test(tc, a_file_body_is_sent_from_its_offset);
    tcase_add_test(tc, a_sink_error_aborts_with_its_code);
    tcase_add_test(tc, a_read_error_aborts_with_its_code);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("connections");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, requests_reuse_one_connection);
    tcase_add_test(tc, four_lanes_serve_four_threads);
    tcase_add_test(tc, more_threads_than_lanes_wait_for_a_lane);
    tcase_add_test(tc, a_gated_request_connects_then_waits_for_its_gate);
    tcase_add_test(tc, a_cancelled_gate_sends_nothing);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, connection_refused_is_econnect_without_the_query);
    tcase_add_test(tc, a_slow_answer_is_etimeout);
    tcase_add_test(tc, a_connection_closed_mid_body_is_econnect);
    tcase_add_test(tc, perform_reports_enomem_and_leaks_nothing);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("tls");
    tcase_add_checked_fixture(tc, tls_setup, tls_teardown);
    tcase_add_test(tc, tls_rejects_an_untrusted_certificate);
    tcase_add_test(tc, tls_trusts_the_given_ca_file_and_checks_the_name);
    tcase_add_test(tc, tls_to_a_plain_http_server_is_etls);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("source");
    tcase_add_test(tc, no_code_path_turns_tls_verification_off);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(curl_suite)
