/*
 * Unit tests of lib/http without a network: request and response accessors, body sources,
 * the transport table's version rules, perform's error conventions, and retry backoff.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "core/table.h"
#include "http/http.h"
#include "mocktransport.h"
#include "testalloc.h"
#include "testutil.h"

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
}

static void teardown(void)
{
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

static const skycrate__kv some_headers[] = {
    {"x-amz-date", "20150830T123600Z"},
    {"content-type", "text/plain"},
    {"x-empty", ""},
};

static struct skycrate_http_request make_request(const char *method, const char *url)
{
    struct skycrate_http_request req;
    memset(&req, 0, sizeof(req));
    req.magic = SKYCRATE_MAGIC_HTTP_REQUEST; /* as skycrate__http_perform() stamps it */
    req.method = method;
    req.url = url;
    req.headers = some_headers;
    req.header_count = SKYCRATE_ARRAY_SIZE(some_headers);
    return req;
}

static void memory_body(struct skycrate_http_request *req, const void *data, size_t len)
{
    req->body_kind = SKYCRATE__BODY_MEMORY;
    req->body_data = data;
    req->body_length = len;
}

/* Reads the whole body in `chunk`-byte steps into out; returns the first error or 0. */
static int read_all(skycrate__buf *out, struct skycrate_http_request *req, size_t chunk)
{
    char tmp[64];
    for (;;) {
        size_t n = 99;
        int rc = skycrate_http_request_body_read(&n, req, tmp, chunk);
        if (rc < 0)
            return rc;
        if (n == 0)
            return 0;
        ck_assert_uint_le(n, chunk);
        skycrate__buf_put(out, tmp, n);
    }
}

/* ---- request accessors --------------------------------------------------------------------- */

START_TEST(request_accessors_return_fields)
{
    struct skycrate_http_request req = make_request("PUT", "https://b.s3.example/k?x=1");
    req.connect_timeout_ms = 1500;
    req.timeout_ms = 30000;
    ck_assert_str_eq(skycrate_http_request_method(&req), "PUT");
    ck_assert_str_eq(skycrate_http_request_url(&req), "https://b.s3.example/k?x=1");
    ck_assert_uint_eq(skycrate_http_request_header_count(&req), 3);
    const char *name = NULL, *value = NULL;
    ck_assert_sky_ok(skycrate_http_request_header(&name, &value, &req, 1));
    ck_assert_str_eq(name, "content-type");
    ck_assert_str_eq(value, "text/plain");
    ck_assert_sky_ok(skycrate_http_request_header(&name, &value, &req, 2));
    ck_assert_str_eq(value, "");
    ck_assert_int_eq(skycrate_http_request_header(&name, &value, &req, 3), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "out of range"));
    ck_assert_uint_eq(skycrate_http_request_connect_timeout_ms(&req), 1500);
    ck_assert_uint_eq(skycrate_http_request_timeout_ms(&req), 30000);
    ck_assert_uint_eq(skycrate_http_request_body_length(&req), 0);
    ck_assert_ptr_null(skycrate_http_request_body_data(&req));
    size_t n = 5;
    char buf[4];
    ck_assert_sky_ok(skycrate_http_request_body_read(&n, &req, buf, sizeof(buf)));
    ck_assert_uint_eq(n, 0);
    ck_assert_sky_ok(skycrate_http_request_body_rewind(&req));
}
END_TEST

START_TEST(request_accessors_reject_null)
{
    ck_assert_ptr_null(skycrate_http_request_method(NULL));
    ck_assert_ptr_null(skycrate_http_request_url(NULL));
    ck_assert_uint_eq(skycrate_http_request_header_count(NULL), 0);
    ck_assert_uint_eq(skycrate_http_request_body_length(NULL), 0);
    const char *name, *value;
    ck_assert_int_eq(skycrate_http_request_header(&name, &value, NULL, 0), SKYCRATE_EINVAL);
    size_t n;
    char buf[1];
    ck_assert_int_eq(skycrate_http_request_body_read(&n, NULL, buf, 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_http_request_body_rewind(NULL), SKYCRATE_EINVAL);
    struct skycrate_http_request req = make_request("PUT", "http://h/");
    memory_body(&req, "abc", 3);
    ck_assert_int_eq(skycrate_http_request_body_read(&n, &req, buf, 0), SKYCRATE_EINVAL);
}
END_TEST

/* ---- request bodies ------------------------------------------------------------------------ */

START_TEST(memory_body_reads_in_chunks_and_rewinds)
{
    static const char text[] = "the quick brown fox";
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    memory_body(&req, text, 9); /* "the quick": never past the length */
    ck_assert_uint_eq(skycrate_http_request_body_length(&req), 9);
    ck_assert_ptr_eq(skycrate_http_request_body_data(&req), text);
    skycrate__buf out = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(read_all(&out, &req, 4));
    ck_assert_str_eq(skycrate__buf_cstr(&out), "the quick");
    ck_assert_sky_ok(skycrate_http_request_body_rewind(&req));
    skycrate__buf_clear(&out);
    ck_assert_sky_ok(read_all(&out, &req, 64));
    ck_assert_str_eq(skycrate__buf_cstr(&out), "the quick");
    skycrate__buf_dispose(&out);
}
END_TEST

static FILE *temp_file_with(const char *text)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fflush(f);
    fseek(f, 0, SEEK_SET);
    return f;
}

START_TEST(file_body_reads_from_offset_and_rewinds)
{
    FILE *f = temp_file_with("xxxxHELLO WORLDyyyy");
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    req.body_kind = SKYCRATE__BODY_FILE;
    req.body_file = f;
    req.body_file_offset = 4;
    req.body_length = 11;
    ck_assert_ptr_null(skycrate_http_request_body_data(&req));
    skycrate__buf out = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(read_all(&out, &req, 3));
    ck_assert_str_eq(skycrate__buf_cstr(&out), "HELLO WORLD");
    ck_assert_sky_ok(skycrate_http_request_body_rewind(&req));
    skycrate__buf_clear(&out);
    ck_assert_sky_ok(read_all(&out, &req, 64));
    ck_assert_str_eq(skycrate__buf_cstr(&out), "HELLO WORLD");
    /* pread leaves the FILE's own position alone */
    ck_assert_int_eq(ftell(f), 0);
    skycrate__buf_dispose(&out);
    fclose(f);
}
END_TEST

START_TEST(file_body_shorter_than_declared_is_eio)
{
    FILE *f = temp_file_with("0123456789");
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    req.body_kind = SKYCRATE__BODY_FILE;
    req.body_file = f;
    req.body_file_offset = 2;
    req.body_length = 20;
    skycrate__buf out = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(read_all(&out, &req, 5), SKYCRATE_EIO);
    ck_assert_str_eq(skycrate__buf_cstr(&out), "23456789");
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "ended after 8 of 20 bytes"));
    skycrate__buf_dispose(&out);
    fclose(f);
}
END_TEST

START_TEST(file_body_read_error_is_eio)
{
    char path[] = "/tmp/skycrate-http-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    FILE *f = fopen(path, "w"); /* write-only: reading fails with EBADF */
    ck_assert_ptr_nonnull(f);
    fputs("data", f);
    fflush(f);
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    req.body_kind = SKYCRATE__BODY_FILE;
    req.body_file = f;
    req.body_length = 4;
    size_t n = 7;
    char buf[8];
    ck_assert_int_eq(skycrate_http_request_body_read(&n, &req, buf, sizeof(buf)), SKYCRATE_EIO);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "reading the file failed"));
    fclose(f);
    unlink(path);
}
END_TEST

typedef struct stream_state {
    const char *data;
    size_t len, pos;
    size_t max_asked;   /* the largest capacity the library asked for */
    int fail_after;     /* fail with EUSER once pos >= fail_after (-1: never) */
    bool fail_with_msg; /* set a message before failing */
    bool overflow;      /* return capacity + 1 */
} stream_state;

static int stream_read(size_t *nread_out, void *buf, size_t capacity, void *user_data)
{
    stream_state *s = user_data;
    if (capacity > s->max_asked)
        s->max_asked = capacity;
    if (s->fail_after >= 0 && s->pos >= (size_t)s->fail_after) {
        if (s->fail_with_msg)
            skycrate_error_set_str(SKYCRATE_EUSER, "upload source went away");
        return SKYCRATE_EUSER;
    }
    size_t n = s->len - s->pos < capacity ? s->len - s->pos : capacity;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    *nread_out = s->overflow ? capacity + 1 : n;
    return 0;
}

static void stream_body(struct skycrate_http_request *req, stream_state *s, uint64_t declared)
{
    req->body_kind = SKYCRATE__BODY_STREAM;
    req->body_read = stream_read;
    req->body_read_user_data = s;
    req->body_length = declared;
}

START_TEST(stream_body_reads_exactly_the_declared_length)
{
    stream_state s = {"abcdefghij", 10, 0, 0, -1, false, false};
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    stream_body(&req, &s, 10);
    ck_assert_ptr_null(skycrate_http_request_body_data(&req));
    ck_assert_sky_ok(skycrate_http_request_body_rewind(&req)); /* nothing read yet: fine */
    skycrate__buf out = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(read_all(&out, &req, 4));
    ck_assert_str_eq(skycrate__buf_cstr(&out), "abcdefghij");
    ck_assert_uint_le(s.max_asked, 4);
    ck_assert_int_eq(skycrate_http_request_body_rewind(&req), SKYCRATE_ENOTIMPL);
    skycrate__buf_dispose(&out);
}
END_TEST

START_TEST(stream_body_never_asked_past_length)
{
    stream_state s = {"abcdefghij", 10, 0, 0, -1, false, false};
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    stream_body(&req, &s, 10);
    char big[64];
    size_t n = 0;
    ck_assert_sky_ok(skycrate_http_request_body_read(&n, &req, big, sizeof(big)));
    ck_assert_uint_eq(n, 10);
    /* asked for 10, then one probe byte for the end */
    ck_assert_uint_eq(s.max_asked, 10);
    ck_assert_sky_ok(skycrate_http_request_body_read(&n, &req, big, sizeof(big)));
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(stream_body_ending_early_is_einval)
{
    stream_state s = {"abcdef", 6, 0, 0, -1, false, false};
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    stream_body(&req, &s, 10);
    skycrate__buf out = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(read_all(&out, &req, 4), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "ended after 6 of the 10 bytes"));
    skycrate__buf_dispose(&out);
}
END_TEST

START_TEST(stream_body_longer_than_declared_is_einval)
{
    stream_state s = {"abcdefghijKLM", 13, 0, 0, -1, false, false};
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    stream_body(&req, &s, 10);
    skycrate__buf out = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(read_all(&out, &req, 4), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "more than the 10 bytes"));
    ck_assert_uint_eq(out.len, 8); /* the failing read hands out nothing */
    skycrate__buf_dispose(&out);
}
END_TEST

START_TEST(stream_body_overfilling_the_buffer_is_einval)
{
    stream_state s = {"abcdefghij", 10, 0, 0, -1, false, true};
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    stream_body(&req, &s, 10);
    char buf[16];
    size_t n = 0;
    ck_assert_int_eq(skycrate_http_request_body_read(&n, &req, buf, 4), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "5 bytes for a buffer of 4"));
}
END_TEST

START_TEST(stream_body_callback_error_passes_through)
{
    stream_state s = {"abcdefghij", 10, 0, 0, 4, false, false};
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    stream_body(&req, &s, 10);
    skycrate__buf out = SKYCRATE_BUF_INIT;
    skycrate_error_clear();
    ck_assert_int_eq(read_all(&out, &req, 4), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "request body read callback returned -11");
    skycrate__buf_dispose(&out);

    stream_state s2 = {"abcdefghij", 10, 0, 0, 0, true, false};
    stream_body(&req, &s2, 10);
    req.body_position = 0;
    size_t n;
    char buf[4];
    ck_assert_int_eq(skycrate_http_request_body_read(&n, &req, buf, 4), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "upload source went away");
}
END_TEST

/* ---- responses ----------------------------------------------------------------------------- */

START_TEST(response_status_and_headers)
{
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate_http_response_add_header(&resp, "A", 1, "b", 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_http_response_set_status(&resp, 99), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_http_response_set_status(&resp, 600), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_http_response_set_status(&resp, 200));
    /* not NUL-terminated, with blanks around the value */
    const char *line = "ETag:  \"abc\" \t\r\nrest";
    ck_assert_sky_ok(skycrate_http_response_add_header(&resp, line, 4, line + 5, 11));
    ck_assert_sky_ok(skycrate_http_response_add_header(&resp, "x-amz-request-id", 16, "R1", 2));
    ck_assert_sky_ok(skycrate_http_response_add_header(&resp, "X-Empty", 7, "  ", 2));
    ck_assert_int_eq(skycrate_http_response_add_header(&resp, " ", 1, "v", 1), SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate__http_response_header(&resp, "etag"), "\"abc\"");
    ck_assert_str_eq(skycrate__http_response_header(&resp, "X-AMZ-REQUEST-ID"), "R1");
    ck_assert_str_eq(skycrate__http_response_header(&resp, "x-empty"), "");
    ck_assert_ptr_null(skycrate__http_response_header(&resp, "missing"));
    ck_assert_uint_eq(resp.header_count, 3);
    skycrate__http_response_dispose(&resp);
    ck_assert_int_eq(resp.status, 0);
    ck_assert_ptr_null(resp.headers);
}
END_TEST

START_TEST(response_second_status_discards_interim_headers)
{
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate_http_response_set_status(&resp, 100));
    ck_assert_sky_ok(skycrate_http_response_add_header(&resp, "Link", 4, "x", 1));
    ck_assert_sky_ok(skycrate_http_response_set_status(&resp, 204));
    ck_assert_int_eq(resp.status, 204);
    ck_assert_uint_eq(resp.header_count, 0);
    ck_assert_ptr_null(skycrate__http_response_header(&resp, "Link"));
    ck_assert_sky_ok(skycrate_http_response_add_header(&resp, "Date", 4, "today", 5));
    ck_assert_str_eq(skycrate__http_response_header(&resp, "date"), "today");
    skycrate__http_response_dispose(&resp);
}
END_TEST

START_TEST(response_body_is_buffered_within_the_limit)
{
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate_http_response_write_body(&resp, "x", 1), SKYCRATE_EINVAL);
    resp.max_buffered = 10;
    ck_assert_sky_ok(skycrate_http_response_set_status(&resp, 200));
    ck_assert_sky_ok(skycrate_http_response_write_body(&resp, "hello", 5));
    ck_assert_sky_ok(skycrate_http_response_write_body(&resp, "", 0));
    ck_assert_sky_ok(skycrate_http_response_write_body(&resp, "world", 5)); /* exactly 10 */
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "helloworld");
    ck_assert_uint_eq(resp.body_bytes, 10);
    ck_assert_int_eq(skycrate_http_response_write_body(&resp, "!", 1), SKYCRATE_EHTTP);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "exceeds the 10 bytes"));
    ck_assert_uint_eq(resp.body.len, 10);
    /* reset keeps the limit and sink settings */
    skycrate__http_response_reset(&resp);
    ck_assert_uint_eq(resp.max_buffered, 10);
    ck_assert_uint_eq(resp.body_bytes, 0);
    ck_assert_uint_eq(resp.body.len, 0);
    ck_assert_int_eq(resp.status, 0);
    skycrate__http_response_dispose(&resp);
}
END_TEST

typedef struct sink_state {
    skycrate__buf got;
    int calls;
    int fail_on_call; /* 0: never */
    int code;
} sink_state;

static int sink_write(const void *data, size_t length, void *user_data)
{
    sink_state *s = user_data;
    s->calls++;
    if (s->fail_on_call && s->calls >= s->fail_on_call)
        return s->code;
    return skycrate__buf_put(&s->got, data, length);
}

START_TEST(response_sink_takes_2xx_bodies_and_error_bodies_are_buffered)
{
    sink_state s = {SKYCRATE_BUF_INIT, 0, 0, 0};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    resp.sink = sink_write;
    resp.sink_user_data = &s;
    ck_assert_sky_ok(skycrate_http_response_set_status(&resp, 206));
    ck_assert_sky_ok(skycrate_http_response_write_body(&resp, "part", 4));
    ck_assert_str_eq(skycrate__buf_cstr(&s.got), "part");
    ck_assert_uint_eq(resp.body.len, 0);
    ck_assert_uint_eq(resp.body_bytes, 4);

    skycrate__http_response_reset(&resp);
    ck_assert(resp.sink == sink_write);
    ck_assert_sky_ok(skycrate_http_response_set_status(&resp, 404));
    ck_assert_sky_ok(skycrate_http_response_write_body(&resp, "<Error/>", 8));
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "<Error/>");
    ck_assert_int_eq(s.calls, 1);
    skycrate__http_response_dispose(&resp);
    skycrate__buf_dispose(&s.got);
}
END_TEST

START_TEST(response_sink_error_code_is_returned)
{
    sink_state s = {SKYCRATE_BUF_INIT, 0, 1, SKYCRATE_EIO};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    resp.sink = sink_write;
    resp.sink_user_data = &s;
    ck_assert_sky_ok(skycrate_http_response_set_status(&resp, 200));
    skycrate_error_clear();
    ck_assert_int_eq(skycrate_http_response_write_body(&resp, "abc", 3), SKYCRATE_EIO);
    ck_assert_str_eq(skycrate_error_last()->message, "response body sink callback returned -20");
    ck_assert_uint_eq(resp.body_bytes, 0);
    skycrate__http_response_dispose(&resp);
}
END_TEST

/* ---- gates: any transport but the default one waits before perform ------------------------ */

typedef struct gated {
    skycrate_http_transport *t;
    skycrate__http_gate gate;
    int rc;
} gated;

static void *gated_main(void *arg)
{
    gated *g = arg;
    struct skycrate_http_request req = make_request("PUT", "https://b.s3.example/?cors");
    req.gate = &g->gate;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    g->rc = skycrate__http_perform(g->t, &req, &resp);
    skycrate__http_response_dispose(&resp);
    return NULL;
}

START_TEST(a_user_transport_is_called_once_the_gate_opens)
{
    mock_transport *m = mock_new();
    mock_push_str(m, 200, NULL, "");
    skycrate_http_transport *t = mock_transport_new(m);
    ck_assert(!skycrate__http_transport_connects_early(t));
    gated g = {.t = t};
    ck_assert_sky_ok(skycrate__http_gate_init(&g.gate));
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, gated_main, &g), 0);
    usleep(50000);
    ck_assert_uint_eq(mock_request_count(m), 0); /* not called: nothing speculative */
    ck_assert(!skycrate__http_gate_cancelled(&g.gate));
    skycrate__http_gate_open(&g.gate);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_sky_ok(g.rc);
    ck_assert_uint_eq(mock_request_count(m), 1);
    skycrate__http_gate_dispose(&g.gate);

    /* Cancelled: never called. */
    ck_assert_sky_ok(skycrate__http_gate_init(&g.gate));
    ck_assert_int_eq(pthread_create(&thread, NULL, gated_main, &g), 0);
    skycrate__http_gate_cancel(&g.gate);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_int_eq(g.rc, SKYCRATE_ERROR);
    ck_assert(skycrate__http_gate_cancelled(&g.gate));
    ck_assert(!skycrate__http_gate_wait(&g.gate));
    ck_assert_uint_eq(mock_request_count(m), 1);
    skycrate__http_gate_dispose(&g.gate);
    skycrate_http_transport_unref(t);
    mock_free(m);
}
END_TEST

/* ---- the transport table ------------------------------------------------------------------- */

static int fake_perform(skycrate_http_request *req, skycrate_http_response *resp, uint32_t flags,
                        void *user_data)
{
    (void)req, (void)resp, (void)flags, (void)user_data;
    return 0;
}

static int fake_frees;

static void fake_free(void *user_data)
{
    (void)user_data;
    fake_frees++;
}

#define V1_END SKYCRATE__PREFIX_THROUGH(skycrate_http_transport_callbacks, max_concurrency)

START_TEST(transport_callbacks_init_checks_version)
{
    skycrate_http_transport_callbacks t;
    memset(&t, 0xAA, sizeof(t));
    ck_assert_int_eq(skycrate_http_transport_callbacks_init(NULL, 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_http_transport_callbacks_init(&t, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(
        skycrate_http_transport_callbacks_init(&t, SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION + 1),
        SKYCRATE_EINVAL);
    ck_assert_sky_ok(
        skycrate_http_transport_callbacks_init(&t, SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION));
    ck_assert_uint_eq(t.version, SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION);
    ck_assert(t.perform == NULL);
    ck_assert(t.free == NULL);
    ck_assert_ptr_null(t.user_data);
    ck_assert_uint_eq(t.max_concurrency, 0);
    skycrate_http_transport_callbacks s = SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT;
    ck_assert_uint_eq(s.version, 1);
}
END_TEST

START_TEST(transport_new_checks_version_and_perform)
{
    skycrate_http_transport_callbacks src = SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT;
    skycrate_http_transport *t = (skycrate_http_transport *)&src;
    src.free = fake_free;
    fake_frees = 0;
    ck_assert_int_eq(skycrate_http_transport_new(&t, &src), SKYCRATE_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "perform"));
    src.perform = fake_perform;
    src.version = 0;
    ck_assert_int_eq(skycrate_http_transport_new(&t, &src), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "version 0"));
    src.version = SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION + 1;
    ck_assert_int_eq(skycrate_http_transport_new(&t, &src), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_http_transport_new(NULL, &src), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_http_transport_new(&t, NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(fake_frees, 0); /* a failed _new leaves user_data to the caller */
}
END_TEST

START_TEST(transport_new_reads_only_the_known_prefix_and_frees_once)
{
    /* A version-1 table that ends exactly where version 1 ends (ASan catches a longer read). */
    skycrate_http_transport_callbacks *src = malloc(V1_END);
    ck_assert_ptr_nonnull(src);
    memset(src, 0, V1_END);
    src->version = 1;
    src->perform = fake_perform;
    src->free = fake_free;
    src->user_data = &src;
    src->max_concurrency = 4;
    skycrate_http_transport *t = NULL;
    ck_assert_sky_ok(skycrate_http_transport_new(&t, src));
    free(src); /* the transport holds its own copy */
    ck_assert_uint_eq(t->callbacks.version, SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION);
    ck_assert(t->callbacks.perform == fake_perform);
    ck_assert_uint_eq(skycrate__http_transport_lanes(t), 4);
    ck_assert(!skycrate__http_transport_connects_early(t));
    fake_frees = 0;
    ck_assert_ptr_eq(skycrate_http_transport_ref(t), t);
    skycrate_http_transport_unref(t);
    ck_assert_int_eq(fake_frees, 0);
    skycrate_http_transport_unref(t);
    ck_assert_int_eq(fake_frees, 1);
    skycrate_http_transport_unref(NULL);
}
END_TEST

/* ---- perform ------------------------------------------------------------------------------- */

START_TEST(perform_delivers_a_scripted_answer)
{
    mock_transport *m = mock_new();
    mock_push_str(m, 200, "ETag: \"x\"\r\nx-amz-request-id:  1 \r\n", "hello body");
    skycrate_http_transport *t = mock_transport_new(m);
    struct skycrate_http_request req = make_request("PUT", "https://b.s3.example/k?uploadId=2");
    memory_body(&req, "payload bytes", 13);
    req.timeout_ms = 7;
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(t, &req, &resp));
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(skycrate__http_response_header(&resp, "etag"), "\"x\"");
    ck_assert_str_eq(skycrate__http_response_header(&resp, "x-amz-request-id"), "1");
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "hello body");
    ck_assert_uint_eq(mock_request_count(m), 1);
    const mock_req *r = mock_request(m, 0);
    ck_assert_str_eq(r->method, "PUT");
    ck_assert_str_eq(r->url, "https://b.s3.example/k?uploadId=2");
    ck_assert_str_eq(mock_request_header(r, "Content-Type"), "text/plain");
    ck_assert_str_eq((const char *)r->body, "payload bytes");
    ck_assert_uint_eq(r->declared_length, 13);
    ck_assert_uint_eq(r->timeout_ms, 7);
    ck_assert_uint_eq(mock_pending(m), 0);
    ck_assert_ptr_null(mock_request(m, 1));
    skycrate__http_response_dispose(&resp);
    skycrate_http_transport_unref(t);
    mock_free(m);
}
END_TEST

START_TEST(perform_retry_replays_a_memory_body_and_resets_the_response)
{
    mock_transport *m = mock_new();
    mock_push_str(m, 500, NULL, "<Error>first</Error>");
    mock_push_str(m, 200, NULL, "second");
    skycrate_http_transport *t = mock_transport_new(m);
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    memory_body(&req, "0123456789", 10);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(t, &req, &resp));
    ck_assert_int_eq(resp.status, 500);
    ck_assert_sky_ok(skycrate__http_perform(t, &req, &resp));
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(skycrate__buf_cstr(&resp.body), "second");
    ck_assert_str_eq((const char *)mock_request(m, 0)->body, "0123456789");
    ck_assert_str_eq((const char *)mock_request(m, 1)->body, "0123456789");
    skycrate__http_response_dispose(&resp);
    skycrate_http_transport_unref(t);
    mock_free(m);
}
END_TEST

START_TEST(perform_refuses_to_replay_a_consumed_stream)
{
    mock_transport *m = mock_new();
    mock_push_error(m, SKYCRATE_ECONNECT);
    mock_push_str(m, 200, NULL, "");
    skycrate_http_transport *t = mock_transport_new(m);
    stream_state s = {"abcdefghij", 10, 0, 0, -1, false, false};
    struct skycrate_http_request req = make_request("PUT", "http://h/k");
    stream_body(&req, &s, 10);
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ECONNECT);
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ENOTIMPL);
    ck_assert_uint_eq(mock_request_count(m), 1);
    ck_assert_uint_eq(mock_discard_unused(m), 1); /* the answer a replay would have taken */
    skycrate__http_response_dispose(&resp);
    skycrate_http_transport_unref(t);
    mock_free(m);
}
END_TEST

START_TEST(perform_error_conventions)
{
    mock_transport *m = mock_new();
    mock_push_error(m, SKYCRATE_ECONNECT);
    mock_push_error_msg(m, SKYCRATE_ETLS, "certificate expired");
    mock_push_error(m, SKYCRATE_EUSER);
    mock_push_error_msg(m, SKYCRATE_EUSER, "my proxy said no");
    skycrate_http_transport *t = mock_transport_new(m);
    struct skycrate_http_request req = make_request("GET", "http://h/k");
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);

    /* a stale message with the same code is not taken for the transport's */
    skycrate__error_set(SKYCRATE_ECONNECT, "stale");
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ECONNECT);
    ck_assert_str_eq(skycrate_error_last()->message, "transport callback returned -18");
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ETLS);
    ck_assert_str_eq(skycrate_error_last()->message, "certificate expired");
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_EUSER);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "transport callback returned -11");
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "my proxy said no");
    /* the script is exhausted */
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ERROR);
    ck_assert_str_eq(skycrate_error_last()->message, "mock transport: no scripted response left");
    skycrate__http_response_dispose(&resp);
    skycrate_http_transport_unref(t);
    mock_free(m);
}
END_TEST

static int perform_without_status(skycrate_http_request *req, skycrate_http_response *resp,
                                  uint32_t flags, void *user_data)
{
    (void)req, (void)flags;
    int *mode = user_data;
    if (*mode == 1)
        return 1;
    if (*mode == 2)
        skycrate_http_response_set_status(resp, 103);
    return 0;
}

START_TEST(perform_rejects_a_transport_that_set_no_final_status)
{
    int mode = 0;
    skycrate_http_transport_callbacks cb = SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT;
    cb.perform = perform_without_status;
    cb.user_data = &mode;
    skycrate_http_transport *t;
    ck_assert_sky_ok(skycrate_http_transport_new(&t, &cb));
    struct skycrate_http_request req = make_request("GET", "http://h/k");
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ERROR);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "without setting"));
    mode = 1;
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ERROR);
    mode = 2;
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_ERROR);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "interim HTTP 103"));
    ck_assert_int_eq(skycrate__http_perform(NULL, &req, &resp), SKYCRATE_EINVAL);
    skycrate__http_response_dispose(&resp);
    skycrate_http_transport_unref(t);
}
END_TEST

START_TEST(perform_discards_interim_headers)
{
    mock_transport *m = mock_new();
    mock_push_interim(m, 100, "X-Interim: yes\r\n");
    mock_push_str(m, 200, "X-Final: yes\n", "ok");
    skycrate_http_transport *t = mock_transport_new(m);
    struct skycrate_http_request req = make_request("GET", "http://h/k");
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__http_perform(t, &req, &resp));
    ck_assert_int_eq(resp.status, 200);
    ck_assert_ptr_null(skycrate__http_response_header(&resp, "x-interim"));
    ck_assert_str_eq(skycrate__http_response_header(&resp, "x-final"), "yes");
    skycrate__http_response_dispose(&resp);
    skycrate_http_transport_unref(t);
    mock_free(m);
}
END_TEST

START_TEST(perform_returns_the_sink_code)
{
    mock_transport *m = mock_new();
    mock_set_chunk(m, 3);
    mock_push_str(m, 200, NULL, "0123456789");
    skycrate_http_transport *t = mock_transport_new(m);
    struct skycrate_http_request req = make_request("GET", "http://h/k");
    sink_state s = {SKYCRATE_BUF_INIT, 0, 2, SKYCRATE_EUSER};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    resp.sink = sink_write;
    resp.sink_user_data = &s;
    ck_assert_int_eq(skycrate__http_perform(t, &req, &resp), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate__buf_cstr(&s.got), "012");
    ck_assert_int_eq(s.calls, 2);
    skycrate__http_response_dispose(&resp);
    skycrate__buf_dispose(&s.got);
    skycrate_http_transport_unref(t);
    mock_free(m);
}
END_TEST

/* ---- retry backoff ------------------------------------------------------------------------- */

START_TEST(backoff_stays_within_bounds)
{
    for (unsigned int attempt = 0; attempt <= 40; attempt++) {
        uint64_t cap = 100;
        for (unsigned int i = 1; i < attempt; i++)
            cap = cap * 2 > 20000 ? 20000 : cap * 2;
        for (int i = 0; i < 200; i++)
            ck_assert_uint_le(skycrate__retry_backoff_ms(attempt, 100, 20000), cap);
    }
    ck_assert_uint_le(skycrate__retry_backoff_ms(1000000, 100, 20000), 20000);
    ck_assert_uint_le(skycrate__retry_backoff_ms(64, UINT32_MAX, UINT32_MAX), UINT32_MAX);
    ck_assert_uint_eq(skycrate__retry_backoff_ms(3, 0, 20000), 0);
    ck_assert_uint_eq(skycrate__retry_backoff_ms(3, 100, 0), 0);
}
END_TEST

START_TEST(backoff_is_spread_uniformly)
{
    enum { N = 40000 };
    unsigned int buckets[4] = {0};
    uint32_t lo = UINT32_MAX, hi = 0;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        uint32_t d = skycrate__retry_backoff_ms(3, 100, 20000); /* in [0, 400] */
        sum += d;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        buckets[d >= 400 ? 3 : d / 100]++;
    }
    double mean = sum / N;
    ck_assert_msg(mean > 190 && mean < 210, "mean %f", mean);
    ck_assert_uint_lt(lo, 5);
    ck_assert_uint_gt(hi, 395);
    for (int b = 0; b < 4; b++)
        ck_assert_msg(buckets[b] > N / 4 * 0.9 && buckets[b] < N / 4 * 1.1, "bucket %d: %u", b,
                      buckets[b]);
}
END_TEST

static void *draw_sequence(void *arg)
{
    uint32_t *out = arg;
    for (int i = 0; i < 8; i++)
        out[i] = skycrate__retry_backoff_ms(20, 1000, 1000000000);
    return NULL;
}

START_TEST(backoff_threads_draw_different_sequences)
{
    uint32_t a[8], b[8];
    pthread_t ta, tb;
    pthread_create(&ta, NULL, draw_sequence, a);
    pthread_create(&tb, NULL, draw_sequence, b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

/* ---- allocation failures ------------------------------------------------------------------- */

START_TEST(response_headers_and_body_report_enomem)
{
    for (long nth = 1;; nth++) {
        struct skycrate_http_response resp;
        skycrate__http_response_init(&resp);
        testalloc_fail_at(nth);
        int rc = skycrate_http_response_set_status(&resp, 200);
        for (int i = 0; i < 40 && rc == 0; i++)
            rc = skycrate_http_response_add_header(&resp, "x-amz-meta-k", 12, "value", 5);
        for (int i = 0; i < 40 && rc == 0; i++)
            rc = skycrate_http_response_write_body(&resp, "0123456789abcdef0123456789", 26);
        testalloc_fail_at(0);
        skycrate__http_response_dispose(&resp);
        ck_assert_int_eq(testalloc_outstanding(), 0);
        if (rc == 0)
            break;
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ENOMEM);
    }
}
END_TEST

START_TEST(perform_through_mock_reports_enomem)
{
    long failures = 0;
    for (long nth = 1;; nth++) {
        mock_transport *m = mock_new();
        mock_push_str(m, 200, "A: 1\r\nB: 2\r\nC: 3\r\n", "some body that is buffered");
        skycrate_http_transport *t = mock_transport_new(m);
        struct skycrate_http_request req = make_request("GET", "http://h/k");
        struct skycrate_http_response resp;
        skycrate__http_response_init(&resp);
        testalloc_fail_at(nth);
        int rc = skycrate__http_perform(t, &req, &resp);
        testalloc_fail_at(0);
        skycrate__http_response_dispose(&resp);
        skycrate_http_transport_unref(t);
        mock_free(m);
        ck_assert_int_eq(testalloc_outstanding(), 0);
        if (rc == 0)
            break;
        failures++;
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
    }
    ck_assert_int_gt(failures, 3);
}
END_TEST

START_TEST(curl_transport_new_reports_enomem)
{
    skycrate__curl_options opts = {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs",
                                   "skycrate-test/1", 4};
    long failures = 0;
    for (long nth = 1;; nth++) {
        skycrate_http_transport *t = NULL;
        testalloc_fail_at(nth);
        int rc = skycrate__curl_transport_new(&t, &opts);
        testalloc_fail_at(0);
        if (rc == 0) {
            ck_assert(t->callbacks.perform != NULL);
            ck_assert(t->callbacks.free != NULL);
            ck_assert_uint_eq(skycrate__http_transport_lanes(t), 4);
            ck_assert(skycrate__http_transport_connects_early(t) ==
                      (LIBCURL_VERSION_NUM >= 0x075000));
            skycrate_http_transport_unref(t);
            ck_assert_int_eq(testalloc_outstanding(), 0);
            break;
        }
        failures++;
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_ptr_null(t);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
    ck_assert_int_eq(failures, 6); /* struct, lanes, three strings, the transport object */
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("request");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, request_accessors_return_fields);
    tcase_add_test(tc, request_accessors_reject_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("body");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, memory_body_reads_in_chunks_and_rewinds);
    tcase_add_test(tc, file_body_reads_from_offset_and_rewinds);
    tcase_add_test(tc, file_body_shorter_than_declared_is_eio);
    tcase_add_test(tc, file_body_read_error_is_eio);
    tcase_add_test(tc, stream_body_reads_exactly_the_declared_length);
    tcase_add_test(tc, stream_body_never_asked_past_length);
    tcase_add_test(tc, stream_body_ending_early_is_einval);
    tcase_add_test(tc, stream_body_longer_than_declared_is_einval);
    tcase_add_test(tc, stream_body_overfilling_the_buffer_is_einval);
    tcase_add_test(tc, stream_body_callback_error_passes_through);
    suite_add_tcase(s, tc);

    tc = tcase_create("response");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, response_status_and_headers);
    tcase_add_test(tc, response_second_status_discards_interim_headers);
    tcase_add_test(tc, response_body_is_buffered_within_the_limit);
    tcase_add_test(tc, response_sink_takes_2xx_bodies_and_error_bodies_are_buffered);
    tcase_add_test(tc, response_sink_error_code_is_returned);
    suite_add_tcase(s, tc);

    tc = tcase_create("table");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, transport_callbacks_init_checks_version);
    tcase_add_test(tc, transport_new_checks_version_and_perform);
    tcase_add_test(tc, transport_new_reads_only_the_known_prefix_and_frees_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("perform");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, perform_delivers_a_scripted_answer);
    tcase_add_test(tc, perform_retry_replays_a_memory_body_and_resets_the_response);
    tcase_add_test(tc, perform_refuses_to_replay_a_consumed_stream);
    tcase_add_test(tc, perform_error_conventions);
    tcase_add_test(tc, perform_rejects_a_transport_that_set_no_final_status);
    tcase_add_test(tc, perform_discards_interim_headers);
    tcase_add_test(tc, perform_returns_the_sink_code);
    suite_add_tcase(s, tc);

    tc = tcase_create("gates");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_user_transport_is_called_once_the_gate_opens);
    suite_add_tcase(s, tc);

    tc = tcase_create("backoff");
    tcase_add_test(tc, backoff_stays_within_bounds);
    tcase_add_test(tc, backoff_is_spread_uniformly);
    tcase_add_test(tc, backoff_threads_draw_different_sequences);
    suite_add_tcase(s, tc);

    tc = tcase_create("enomem");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, response_headers_and_body_report_enomem);
    tcase_add_test(tc, perform_through_mock_reports_enomem);
    tcase_add_test(tc, curl_transport_new_reports_enomem);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(http_suite)
