/*
 * Loopback tests of the benchmark's delaying proxy (bench/delayproxy.c, suite 'loopback'):
 * the delays it adds, the connections and HTTP requests it counts, and the default transport's
 * connection reuse as the proxy sees it. Only lower bounds of time are asserted, and upper
 * bounds with wide margins where the latency model itself is the subject.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "delayproxy.h"
#include "http/http.h"
#include "httpserver.h"
#include "testalloc.h"
#include "testutil.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    return fd;
}

/* A bare upstream: a listening socket the test accepts from itself. */
static int listen_any(int *port_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port_out = ntohs(addr.sin_port);
    return fd;
}

static void send_str(int fd, const char *s)
{
    ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads until `want` bytes arrived in all (5 s limit). */
static size_t recv_n(int fd, char *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        struct pollfd pfd = {fd, POLLIN, 0};
        ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
        ssize_t n = recv(fd, buf + got, want - got, 0);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    return got;
}

/* Reads one HTTP response with a Content-Length body; returns the status. */
static int read_response(int fd)
{
    char buf[4096];
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        ck_assert_uint_lt(len, sizeof(buf) - 1);
        len += recv_n(fd, buf + len, 1);
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "content-length:");
    ck_assert_ptr_nonnull(cl);
    size_t body = strtoul(cl + 15, NULL, 10);
    size_t have = len - (size_t)(end + 4 - buf);
    if (body > have)
        recv_n(fd, buf + len, body - have);
    return atoi(buf + 9);
}

static void wait_requests(delayproxy *p, size_t n)
{
    for (int i = 0; i < 500 && delayproxy_request_count(p) < n; i++)
        usleep(10000);
    ck_assert_uint_eq(delayproxy_request_count(p), n);
}

static void assert_line(delayproxy *p, size_t i, const char *expected)
{
    char line[256];
    ck_assert_int_eq(delayproxy_request_line(p, i, line, sizeof(line)), 0);
    ck_assert_str_eq(line, expected);
}

/* Each exchange costs one RTT, and the connection one more (the handshake). */
START_TEST(test_exchange_costs_rtt)
{
    httpserver *s = hs_start(NULL, NULL);
    hs_push_str(s, 200, NULL, "one");
    hs_push_str(s, 200, NULL, "two");
    delayproxy *p = delayproxy_start("127.0.0.1", hs_port(s), 60);
    ck_assert_ptr_nonnull(p);

    double t0 = now_ms();
    int fd = connect_to(delayproxy_port(p));
    send_str(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(read_response(fd), 200);
    double t1 = now_ms();
    send_str(fd, "PUT /two?x HTTP/1.1\r\nHost: x\r\nContent-Length: 23\r\n\r\n"
                 "GET /not-a-request HTTP");
    ck_assert_int_eq(read_response(fd), 200);
    double t2 = now_ms();
    close(fd);

    ck_assert_msg(t1 - t0 >= 119.0, "first exchange took %.1f ms (handshake + RTT = 120)", t1 - t0);
    ck_assert_msg(t2 - t1 >= 59.0, "second exchange took %.1f ms (RTT = 60)", t2 - t1);
    ck_assert_uint_eq(delayproxy_connections(p), 1);
    ck_assert_uint_eq(delayproxy_request_count(p), 2);
    assert_line(p, 0, "GET /one HTTP/1.1");
    assert_line(p, 1, "PUT /two?x HTTP/1.1");
    ck_assert_uint_eq(delayproxy_request_connection(p, 1), 1);
    ck_assert_uint_eq(hs_connections(s), 1);
    ck_assert_uint_eq(hs_request_count(s), 2);
    ck_assert_str_eq((const char *)hs_request_at(s, 1)->body, "GET /not-a-request HTTP");
    delayproxy_stop(p);
    hs_stop(s);
}
END_TEST

/* Chunks in flight are delayed from their own arrival, not one after the other. */
START_TEST(test_latency_does_not_add_up)
{
    int port;
    int lfd = listen_any(&port);
    delayproxy *p = delayproxy_start("127.0.0.1", port, 200);
    ck_assert_ptr_nonnull(p);
    double t0 = now_ms();
    int fd = connect_to(delayproxy_port(p));
    int up = accept(lfd, NULL, NULL);
    ck_assert_int_ge(up, 0);
    char buf[8];
    send_str(fd, "x");
    recv_n(up, buf, 1);
    /* Bytes sent at once wait for the handshake (one RTT), then travel one way. */
    ck_assert_msg(now_ms() - t0 >= 299.0, "the first byte arrived after %.1f ms", now_ms() - t0);

    double t1 = now_ms();
    for (int i = 0; i < 3; i++) {
        send_str(fd, &"abc"[i]);
        usleep(20000);
    }
    recv_n(up, buf, 6); /* "abc" "bc" "c" */
    double arrived = now_ms() - t1;
    /* One way (100 ms) after the last send at ~40 ms: ~140 ms; one after the other would be
     * 3 * 100 = 300 ms. */
    ck_assert_msg(arrived >= 139.0 && arrived < 250.0, "the last chunk arrived after %.1f ms",
                  arrived);
    ck_assert_int_eq(memcmp(buf, "abcbcc", 6), 0);

    /* The way back: one way only (no handshake). */
    double t2 = now_ms();
    send_str(up, "z");
    recv_n(fd, buf, 1);
    ck_assert_msg(now_ms() - t2 >= 99.0, "the answer took %.1f ms", now_ms() - t2);
    ck_assert_int_eq(buf[0], 'z');

    /* A close passes through too. */
    close(fd);
    struct pollfd pfd = {up, POLLIN, 0};
    ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
    ck_assert_int_eq(recv(up, buf, sizeof(buf), 0), 0);
    close(up);
    close(lfd);
    delayproxy_stop(p);
}
END_TEST

/* Content-Length and chunked bodies are skipped; request-like text inside them is no request. */
START_TEST(test_counts_requests_in_a_stream)
{
    int port;
    int lfd = listen_any(&port);
    delayproxy *p = delayproxy_start("127.0.0.1", port, 0);
    ck_assert_ptr_nonnull(p);
    int fd = connect_to(delayproxy_port(p));
    int up = accept(lfd, NULL, NULL);
    ck_assert_int_ge(up, 0);
    const char *stream = "\r\nHEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
                         "PUT /b HTTP/1.1\r\ncontent-length: 20\r\n\r\nGET /c HTTP/1.1\r\n\r\n!"
                         "POST /d?delete HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\nGET /\r\n11;ext=1\r\nPUT /e HTTP/1.1\r\n\r\n0\r\nTrailer: y\r\n\r\n"
                         "DELETE /f HTTP/1.1\r\n\r\n";
    /* Byte by byte as well as at once: the parser keeps its state across reads. */
    size_t len = strlen(stream);
    for (size_t i = 0; i < len; i++) {
        ck_assert_int_eq(send(fd, stream + i, 1, MSG_NOSIGNAL), 1);
        if (i % 7 == 0)
            usleep(200);
    }
    wait_requests(p, 4);
    assert_line(p, 0, "HEAD /a HTTP/1.1");
    assert_line(p, 1, "PUT /b HTTP/1.1");
    assert_line(p, 2, "POST /d?delete HTTP/1.1");
    assert_line(p, 3, "DELETE /f HTTP/1.1");
    char *all = malloc(len + 1);
    ck_assert_ptr_nonnull(all);
    recv_n(up, all, len);
    ck_assert_int_eq(memcmp(all, stream, len), 0);
    free(all);

    /* After a reset, counting starts over; the open connection's requests count as 0. */
    delayproxy_reset(p);
    ck_assert_uint_eq(delayproxy_request_count(p), 0);
    ck_assert_uint_eq(delayproxy_connections(p), 0);
    char line[64];
    ck_assert_int_eq(delayproxy_request_line(p, 0, line, sizeof(line)), -1);
    send_str(fd, "GET /g HTTP/1.1\r\n\r\n");
    int fd2 = connect_to(delayproxy_port(p));
    int up2 = accept(lfd, NULL, NULL);
    send_str(fd2, "GET /h HTTP/1.1\r\n\r\n");
    wait_requests(p, 2);
    ck_assert_uint_eq(delayproxy_connections(p), 1);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(delayproxy_request_line(p, i, line, sizeof(line)), 0);
        ck_assert_uint_eq(delayproxy_request_connection(p, i),
                          strcmp(line, "GET /h HTTP/1.1") ? 0 : 1);
    }
    close(fd);
    close(fd2);
    close(up);
    close(up2);
    close(lfd);
    delayproxy_stop(p);
}
END_TEST

/* The default transport through the proxy: one lane reuses one connection; three requests at
 * once on three lanes open three. */
typedef struct {
    skycrate_http_transport *tr;
    const char *url;
    int status;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    struct skycrate_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = j->url;
    req.connect_timeout_ms = 5000;
    req.timeout_ms = 30000;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    if (skycrate__http_perform(j->tr, &req, &resp) == 0)
        j->status = resp.status;
    skycrate__http_response_dispose(&resp);
    return NULL;
}

static void slow_ok(const hs_request *req, hs_response *resp, void *user_data)
{
    (void)req;
    (void)user_data;
    hs_response_delay_ms(resp, 100); /* the three requests overlap */
    hs_response_status(resp, 200);
    hs_response_body_str(resp, "ok");
}

START_TEST(test_transport_lanes)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    httpserver *s = hs_start(slow_ok, NULL);
    delayproxy *p = delayproxy_start("127.0.0.1", hs_port(s), 20);
    ck_assert_ptr_nonnull(p);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", delayproxy_port(p));

    skycrate_http_transport *tr;
    skycrate__curl_options one = {NULL, NULL, "skycrate-test/0.1", 1};
    ck_assert_sky_ok(skycrate__curl_transport_new(&tr, &one));
    for (int i = 0; i < 3; i++) {
        job j = {tr, url, 0};
        run_job(&j);
        ck_assert_int_eq(j.status, 200);
    }
    ck_assert_uint_eq(delayproxy_request_count(p), 3);
    ck_assert_uint_eq(delayproxy_connections(p), 1);
    skycrate_http_transport_unref(tr);

    delayproxy_reset(p);
    skycrate__curl_options three = {NULL, NULL, "skycrate-test/0.1", 3};
    ck_assert_sky_ok(skycrate__curl_transport_new(&tr, &three));
    job jobs[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (job){tr, url, 0};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(jobs[i].status, 200);
    }
    ck_assert_uint_eq(delayproxy_request_count(p), 3);
    ck_assert_uint_eq(delayproxy_connections(p), 3);
    skycrate_http_transport_unref(tr);

    delayproxy_stop(p);
    hs_stop(s);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

/* Nothing arrives on fd within `ms`. */
static void assert_quiet(int fd, int ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    ck_assert_int_eq(poll(&pfd, 1, ms), 0);
}

/* A hold stops its request before the server, or its answer before the client, until it is
 * released; the other requests pass. */
START_TEST(test_holds_stop_a_request_where_told)
{
    int port;
    int lfd = listen_any(&port);
    delayproxy *p = delayproxy_start("127.0.0.1", port, 0);
    ck_assert_ptr_nonnull(p);
    int fd = connect_to(delayproxy_port(p));
    int up = accept(lfd, NULL, NULL);
    ck_assert_int_ge(up, 0);
    char buf[64];
    static const char a[] = "GET /a HTTP/1.1\r\n\r\n", b[] = "PUT /b HTTP/1.1\r\n\r\n",
                      c[] = "DELETE /c HTTP/1.1\r\n\r\n",
                      ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

    delayproxy_hold(p, 1, DELAYPROXY_HOLD_REQUEST);
    ck_assert(!delayproxy_wait_held(p, 50)); /* not there yet */
    send_str(fd, a);
    recv_n(up, buf, strlen(a)); /* request 0 passes */
    send_str(up, ok);
    ck_assert_int_eq(read_response(fd), 200);
    send_str(fd, b);
    ck_assert(delayproxy_wait_held(p, 30000)); /* at once, unless the machine is loaded */
    assert_quiet(up, 200);                     /* the server does not see request 1 */
    delayproxy_release(p);
    recv_n(up, buf, strlen(b));
    ck_assert_int_eq(memcmp(buf, b, strlen(b)), 0);
    send_str(up, ok);
    ck_assert_int_eq(read_response(fd), 200);

    delayproxy_hold(p, 2, DELAYPROXY_HOLD_ANSWER);
    send_str(fd, c);
    recv_n(up, buf, strlen(c)); /* the server has request 2 */
    send_str(up, ok);
    ck_assert(delayproxy_wait_held(p, 30000)); /* at once, unless the machine is loaded */
    assert_quiet(fd, 200);                     /* its answer waits */
    delayproxy_release(p);
    ck_assert_int_eq(read_response(fd), 200);
    ck_assert_uint_eq(delayproxy_request_count(p), 3);
    close(fd);
    close(up);
    close(lfd);
    delayproxy_stop(p);
}
END_TEST

START_TEST(test_bad_upstream)
{
    ck_assert_ptr_null(delayproxy_start("localhost", 80, 0));
}
END_TEST

static Suite *delayproxy_suite(void)
{
    Suite *s = suite_create("delayproxy");
    TCase *tc = tcase_create("delays");
    tcase_add_test(tc, test_exchange_costs_rtt);
    tcase_add_test(tc, test_latency_does_not_add_up);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("counting");
    tcase_add_test(tc, test_counts_requests_in_a_stream);
    tcase_add_test(tc, test_transport_lanes);
    tcase_add_test(tc, test_bad_upstream);
    tcase_add_test(tc, test_holds_stop_a_request_where_told);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(delayproxy_suite)
