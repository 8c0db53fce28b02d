/*
 * Transfers against radosgw: uploads of every size class (one PutObject, one part, one part and
 * a byte, many parts in parallel) read back byte for byte, a part that fails once retried alone,
 * cancels and failures that leave no unfinished upload, a resumed upload that sends only the
 * missing parts, sources that change while they are read, and downloads that leave no partial
 * file. Faults come through the transport seam: a wrapper around the libcurl transport that
 * counts requests and fails or delays chosen ones. Every object is deleted after its test (the
 * server keeps them in memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http/http.h"
#include "rgwenv.h"
#include "s3/request.h"
#include "testutil.h"
#include "xml/s3.h"

#define MIB (1024u * 1024u)
#define PART (5u * MIB)

static skycrate_client *client;
static char bucket[64];
static char dir[64];
static char dst[96]; /* dir/dst: where downloads go */

/* ---- a counting, fault-injecting transport around libcurl ---- */

typedef struct {
    skycrate_http_transport *inner;
    pthread_mutex_t lock;
    unsigned int part_requests[64]; /* UploadPart requests by part number */
    unsigned int gets;
    int fail_part;           /* this part number fails ... */
    unsigned int fail_times; /* ... this many times (ECONNECT, no request sent) */
    int truncate_at_part;    /* when this part is sent, the file is cut to `truncate_to` bytes */
    int grow_at_part;        /* when this part is sent, a byte is appended to the file */
    const char *file;
    off_t truncate_to;
} wrap;

static wrap faults;

static int part_number_of(const char *url)
{
    const char *q = strstr(url, "partNumber=");
    return q && strstr(url, "uploadId=") ? atoi(q + strlen("partNumber=")) : 0;
}

static int wrap_perform(skycrate_http_request *req, skycrate_http_response *resp, uint32_t flags,
                        void *user_data)
{
    wrap *w = user_data;
    const char *url = skycrate_http_request_url(req);
    int part = strcmp(skycrate_http_request_method(req), "PUT") == 0 ? part_number_of(url) : 0;
    bool fail = false;
    pthread_mutex_lock(&w->lock);
    if (part > 0 && part < 64)
        w->part_requests[part]++;
    if (strcmp(skycrate_http_request_method(req), "GET") == 0)
        w->gets++;
    if (part && part == w->fail_part && w->fail_times > 0) {
        w->fail_times--;
        fail = true;
    }
    if (part && part == w->truncate_at_part) {
        ck_assert_int_eq(truncate(w->file, w->truncate_to), 0);
        w->truncate_at_part = 0;
    }
    if (part && part == w->grow_at_part) {
        FILE *f = fopen(w->file, "ab");
        ck_assert_ptr_nonnull(f);
        fputc('!', f);
        fclose(f);
        w->grow_at_part = 0;
    }
    pthread_mutex_unlock(&w->lock);
    if (fail) {
        skycrate_error_set_str(SKYCRATE_ECONNECT, "injected: connection reset");
        return SKYCRATE_ECONNECT;
    }
    return w->inner->callbacks.perform(req, resp, flags, w->inner->callbacks.user_data);
}

static void wrap_free(void *user_data)
{
    wrap *w = user_data;
    skycrate_http_transport_unref(w->inner);
}

/* A client whose transport is the wrapper (4 lanes), with `attempts` tries per request. */
static skycrate_client *wrapped_client(unsigned int attempts)
{
    memset(&faults, 0, sizeof(faults));
    pthread_mutex_init(&faults.lock, NULL);
    skycrate__curl_options opts = {.lanes = 4, .user_agent = "skycrate-test"};
    ck_assert_sky_ok(skycrate__curl_transport_new(&faults.inner, &opts));
    skycrate_http_transport_callbacks t = SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT;
    t.perform = wrap_perform;
    t.free = wrap_free;
    t.user_data = &faults;
    t.max_concurrency = 4;
    skycrate_http_transport *transport;
    ck_assert_sky_ok(skycrate_http_transport_new(&transport, &t));

    skycrate_credentials *creds;
    skycrate_credentials_provider *provider;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, rgw_env("SKYCRATE_TEST_ACCESS_KEY"),
                                              rgw_env("SKYCRATE_TEST_SECRET_KEY"), NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, rgw_env("SKYCRATE_TEST_ENDPOINT")));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, rgw_env("SKYCRATE_TEST_REGION")));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    ck_assert_sky_ok(skycrate_client_config_set_retry(cfg, attempts, 10, 50));
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, transport));
    skycrate_http_transport_unref(transport);
    skycrate_credentials_provider_unref(provider);
    skycrate_client *c;
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    skycrate_client_config_free(cfg);
    return c;
}

/* ---- fixture ---- */

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    client = rgw_client(NULL);
    rgw_bucket_name(bucket, sizeof(bucket), "xfer");
    ck_assert_sky_ok(skycrate_bucket_create(client, bucket));
    snprintf(dir, sizeof(dir), "/tmp/skycrate-xfer-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(dst, sizeof(dst), "%s/dst", dir);
}

/* The unfinished multipart uploads in the bucket. */
static size_t uploads_in_bucket(void)
{
    skycrate__kv query[] = {{"uploads", ""}};
    skycrate__s3_request req = {.operation = "ListMultipartUploads",
                                .method = "GET",
                                .bucket = bucket,
                                .query = query,
                                .query_count = 1};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    ck_assert_sky_ok(skycrate__s3_send(client, &req, &resp, NULL));
    skycrate__s3_list_uploads list;
    ck_assert_sky_ok(
        skycrate__s3_list_uploads_parse(&list, skycrate__buf_cstr(&resp.body), resp.body.len));
    size_t n = list.count;
    for (size_t i = 0; i < n; i++)
        skycrate_multipart_abort(client, bucket, list.uploads[i].key, list.uploads[i].upload_id);
    skycrate__s3_list_uploads_dispose(&list);
    skycrate__http_response_dispose(&resp);
    return n;
}

static void teardown(void)
{
    ck_assert_uint_eq(uploads_in_bucket(), 0); /* every test leaves no unfinished upload */
    skycrate_object_page *page = NULL;
    if (skycrate_object_list(&page, client, bucket, NULL, NULL, 1000) == 0) {
        for (size_t i = 0; i < skycrate_object_page_count(page); i++)
            skycrate_object_delete(client, bucket,
                                   skycrate_object_info_key(skycrate_object_page_entry(page, i)));
        skycrate_object_page_free(page);
    }
    skycrate_bucket_delete(client, bucket);
    skycrate_client_free(client);
    skycrate_global_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- helpers ---- */

/* Byte i of the test pattern: not periodic in any part size. */
static unsigned char pattern(uint64_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13 ^ (i >> 20));
}

static void make_file(char *path, size_t size, const char *name, uint64_t length)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned char buf[65536];
    for (uint64_t at = 0; at < length;) {
        size_t n = length - at < sizeof(buf) ? (size_t)(length - at) : sizeof(buf);
        for (size_t k = 0; k < n; k++)
            buf[k] = pattern(at + k);
        ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
        at += n;
    }
    ck_assert_int_eq(fclose(f), 0);
}

static void assert_file_is_pattern(const char *path, uint64_t length)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    unsigned char buf[65536];
    uint64_t at = 0;
    size_t n;
    uint64_t differs = UINT64_MAX; /* one check at the end: each ck_assert costs a write */
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        for (size_t k = 0; k < n && differs == UINT64_MAX; k++)
            if (buf[k] != pattern(at + k))
                differs = at + k;
        at += n;
    }
    ck_assert_msg(differs == UINT64_MAX, "byte %llu differs", (unsigned long long)differs);
    fclose(f);
    ck_assert_uint_eq(at, length);
}

/* Downloads "obj" into <dir>/dst with `o` (NULL: the defaults) and checks that the file holds
 * the first `length` bytes of the pattern. */
static void download_is_pattern(uint64_t length, const skycrate_transfer_options *o)
{
    ck_assert_sky_ok(skycrate_transfer_download_file(NULL, client, bucket, "obj", dst, o));
    assert_file_is_pattern(dst, length);
}

static size_t files_in_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return (size_t)n;
}

static skycrate_transfer_options *options(uint64_t part, uint64_t threshold, unsigned int lanes)
{
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, part));
    ck_assert_sky_ok(skycrate_transfer_options_set_multipart_threshold(o, threshold));
    ck_assert_sky_ok(skycrate_transfer_options_set_concurrency(o, lanes));
    return o;
}

typedef struct {
    unsigned int calls;
    uint64_t last_done, last_total;
    pthread_t thread;
    bool other_thread;
    uint64_t cancel_after; /* 0: never */
} progress_log;

static int on_progress(uint64_t done, uint64_t total, void *user_data)
{
    progress_log *p = user_data;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    if (!pthread_equal(pthread_self(), p->thread))
        p->other_thread = true;
    return p->cancel_after && done >= p->cancel_after ? 1 : 0;
}

/* Uploads `length` bytes of the pattern with these options, downloads them, compares. */
static void round_trip(uint64_t length, skycrate_transfer_options *o, uint32_t want_parts)
{
    char src[128];
    make_file(src, sizeof(src), "src", length);
    progress_log log = {.thread = pthread_self()};
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, on_progress, &log));
    skycrate_transfer_result *r = NULL;
    ck_assert_sky_ok(skycrate_transfer_upload_file(&r, client, bucket, "obj", src, o));
    ck_assert_uint_eq(skycrate_transfer_result_size(r), length);
    ck_assert_uint_eq(skycrate_transfer_result_part_count(r), want_parts);
    ck_assert_int_eq(strlen(skycrate_transfer_result_upload_id(r)) > 0, want_parts > 0);
    ck_assert_str_ne(skycrate_transfer_result_etag(r), "");
    skycrate_transfer_result_free(r);
    ck_assert_uint_ge(log.calls, 1);
    ck_assert_uint_eq(log.last_done, length);
    ck_assert_uint_eq(log.last_total, length);
    ck_assert(!log.other_thread);

    skycrate_object_info *info = NULL;
    ck_assert_sky_ok(skycrate_object_head(&info, client, bucket, "obj"));
    ck_assert_uint_eq(skycrate_object_info_size(info), length);
    skycrate_object_info_free(info);

    progress_log down = {.thread = pthread_self()};
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, on_progress, &down));
    ck_assert_sky_ok(skycrate_transfer_download_file(&r, client, bucket, "obj", dst, o));
    ck_assert_uint_eq(skycrate_transfer_result_size(r), length);
    skycrate_transfer_result_free(r);
    ck_assert_uint_eq(down.last_done, length);
    ck_assert(!down.other_thread);
    assert_file_is_pattern(dst, length);
    ck_assert_uint_eq(files_in_dir(), 2); /* src and dst: no temporary file left */
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}

/* ---- sizes ---- */

START_TEST(sizes_round_trip)
{
    /* {length, multipart threshold, parts expected} */
    static const struct {
        uint64_t length, threshold;
        uint32_t parts;
    } cases[] = {
        {0, 16 * MIB, 0},            /* empty: one PutObject */
        {1, 16 * MIB, 0},            /* one byte */
        {PART, 1, 1},                /* exactly one part */
        {PART + 1, 1, 2},            /* one part and one byte */
        {3 * PART - 7, 16 * MIB, 0}, /* below the threshold: one PutObject */
    };
    skycrate_transfer_options *o = options(PART, cases[_i].threshold, 4);
    round_trip(cases[_i].length, o, cases[_i].parts);
    skycrate_transfer_options_free(o);
}
END_TEST

START_TEST(large_parallel_round_trip)
{
    /* 200 MiB in 25 parts of 8 MiB, four at once, with the default checksum (CRC32C) */
    skycrate_transfer_options *o = options(8 * MIB, 16 * MIB, 4);
    round_trip(200ull * MIB, o, 25);
    skycrate_transfer_options_free(o);
}
END_TEST

/* Downloads take ranges of the part size when it is set; else larger ones, a quarter of the
 * object per lane (here one lane: 40 MiB in 4 ranges of 10 MiB rather than 5 of 8 MiB). */
START_TEST(download_ranges_grow_unless_the_part_size_is_set)
{
    char src[128];
    make_file(src, sizeof(src), "src", 40ull * MIB);
    skycrate_transfer_options *o = options(8 * MIB, 16 * MIB, 4);
    ck_assert_sky_ok(skycrate_transfer_upload_file(NULL, client, bucket, "obj", src, o));
    skycrate_transfer_options_free(o);
    skycrate_client *c = wrapped_client(1);
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_sky_ok(skycrate_transfer_options_set_concurrency(o, 1));
    ck_assert_sky_ok(skycrate_transfer_download_file(NULL, c, bucket, "obj", dst, o));
    ck_assert_uint_eq(faults.gets, 4);
    assert_file_is_pattern(dst, 40ull * MIB);
    faults.gets = 0;
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, 8 * MIB));
    ck_assert_sky_ok(skycrate_transfer_download_file(NULL, c, bucket, "obj", dst, o));
    ck_assert_uint_eq(faults.gets, 5);
    assert_file_is_pattern(dst, 40ull * MIB);
    skycrate_transfer_options_free(o);
    skycrate_client_free(c);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}
END_TEST

START_TEST(every_checksum_round_trip)
{
    static const skycrate_transfer_checksum kinds[] = {
        SKYCRATE_TRANSFER_CHECKSUM_NONE, SKYCRATE_TRANSFER_CHECKSUM_MD5,
        SKYCRATE_TRANSFER_CHECKSUM_CRC32C, SKYCRATE_TRANSFER_CHECKSUM_SHA256};
    skycrate_transfer_options *o = options(PART, 1, 2);
    ck_assert_sky_ok(skycrate_transfer_options_set_checksum(o, kinds[_i]));
    round_trip(2 * PART + 3, o, 3);
    /* and as one PutObject */
    ck_assert_sky_ok(skycrate_transfer_options_set_multipart_threshold(o, 16 * MIB));
    round_trip(PART / 2, o, 0);
    skycrate_transfer_options_free(o);
}
END_TEST

/* ---- faults ---- */

START_TEST(failed_part_retried_alone)
{
    skycrate_client *c = wrapped_client(3);
    faults.fail_part = 2;
    faults.fail_times = 1;
    char src[128];
    make_file(src, sizeof(src), "src", 4 * PART);
    skycrate_transfer_options *o = options(PART, 1, 4);
    skycrate_transfer_result *r = NULL;
    ck_assert_sky_ok(skycrate_transfer_upload_file(&r, c, bucket, "obj", src, o));
    ck_assert_uint_eq(skycrate_transfer_result_part_count(r), 4);
    skycrate_transfer_result_free(r);
    ck_assert_uint_eq(faults.part_requests[1], 1);
    ck_assert_uint_eq(faults.part_requests[2], 2); /* the failed one, once more */
    ck_assert_uint_eq(faults.part_requests[3], 1);
    ck_assert_uint_eq(faults.part_requests[4], 1);
    download_is_pattern(4 * PART, o);
    skycrate_transfer_options_free(o);
    skycrate_client_free(c);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}
END_TEST

START_TEST(failed_part_aborts_the_upload)
{
    skycrate_client *c = wrapped_client(2);
    faults.fail_part = 3;
    faults.fail_times = 100;
    char src[128];
    make_file(src, sizeof(src), "src", 4 * PART);
    skycrate_transfer_options *o = options(PART, 1, 2);
    int rc = skycrate_transfer_upload_file(NULL, c, bucket, "obj", src, o);
    ck_assert_int_eq(rc, SKYCRATE_ECONNECT);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "part 3"));
    ck_assert_uint_eq(faults.part_requests[3], 2);
    skycrate_transfer_options_free(o);
    skycrate_client_free(c);
    ck_assert_uint_eq(uploads_in_bucket(), 0);
    skycrate_object_info *info = NULL;
    ck_assert_int_eq(skycrate_object_head(&info, client, bucket, "obj"), SKYCRATE_ENOTFOUND);
}
END_TEST

START_TEST(cancel_from_progress_aborts)
{
    char src[128];
    make_file(src, sizeof(src), "src", 8 * PART);
    skycrate_transfer_options *o = options(PART, 1, 2);
    ck_assert_sky_ok(skycrate_transfer_options_set_progress_interval(o, 1));
    progress_log log = {.thread = pthread_self(), .cancel_after = 2 * PART};
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, on_progress, &log));
    int rc = skycrate_transfer_upload_file(NULL, client, bucket, "obj", src, o);
    ck_assert_int_eq(rc, SKYCRATE_ECANCELED);
    ck_assert(!log.other_thread);
    ck_assert_uint_lt(log.last_done, 8 * PART);
    ck_assert_uint_eq(uploads_in_bucket(), 0);
    skycrate_object_info *info = NULL;
    ck_assert_int_eq(skycrate_object_head(&info, client, bucket, "obj"), SKYCRATE_ENOTFOUND);

    /* a download cancelled the same way leaves no file */
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, NULL, NULL));
    ck_assert_sky_ok(skycrate_transfer_upload_file(NULL, client, bucket, "obj", src, o));
    progress_log down = {.thread = pthread_self(), .cancel_after = PART};
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, on_progress, &down));
    ck_assert_int_eq(skycrate_transfer_download_file(NULL, client, bucket, "obj", dst, o),
                     SKYCRATE_ECANCELED);
    ck_assert_uint_eq(files_in_dir(), 1);
    skycrate_transfer_options_free(o);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}
END_TEST

START_TEST(cancel_at_the_last_call_aborts)
{
    /* every byte is sent: the last call still cancels, and nothing is committed */
    char src[128];
    make_file(src, sizeof(src), "src", 3 * PART);
    skycrate_transfer_options *o = options(PART, 1, 2);
    progress_log log = {.thread = pthread_self(), .cancel_after = 3 * PART};
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, on_progress, &log));
    ck_assert_int_eq(skycrate_transfer_upload_file(NULL, client, bucket, "obj", src, o),
                     SKYCRATE_ECANCELED);
    ck_assert_uint_eq(log.last_done, 3 * PART);
    ck_assert_uint_eq(uploads_in_bucket(), 0);
    skycrate_object_info *info = NULL;
    ck_assert_int_eq(skycrate_object_head(&info, client, bucket, "obj"), SKYCRATE_ENOTFOUND);

    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, NULL, NULL));
    ck_assert_sky_ok(skycrate_transfer_upload_file(NULL, client, bucket, "obj", src, o));
    progress_log down = {.thread = pthread_self(), .cancel_after = 3 * PART};
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, on_progress, &down));
    ck_assert_int_eq(skycrate_transfer_download_file(NULL, client, bucket, "obj", dst, o),
                     SKYCRATE_ECANCELED);
    ck_assert_uint_eq(down.last_done, 3 * PART);
    ck_assert_uint_eq(files_in_dir(), 1); /* src only */
    skycrate_transfer_options_free(o);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}
END_TEST

START_TEST(resume_sends_only_missing_parts)
{
    char src[128];
    make_file(src, sizeof(src), "src", 5 * PART + 100);
    char *upload_id = NULL;
    ck_assert_sky_ok(skycrate_multipart_create(&upload_id, client, bucket, "obj", NULL));
    skycrate_transfer_options *o = options(PART, 1, 2);
    ck_assert_sky_ok(skycrate_transfer_options_set_checksum(o, SKYCRATE_TRANSFER_CHECKSUM_MD5));
    ck_assert_sky_ok(skycrate_transfer_options_set_upload_id(o, upload_id));

    /* First try: parts 4 and 6 keep failing; the caller's upload is left in place. */
    skycrate_client *c = wrapped_client(1);
    faults.fail_part = 4;
    faults.fail_times = 1000;
    ck_assert_int_eq(skycrate_transfer_upload_file(NULL, c, bucket, "obj", src, o),
                     SKYCRATE_ECONNECT);
    skycrate_client_free(c);
    unsigned int sent_first = 0;
    for (int p = 1; p <= 6; p++)
        sent_first += faults.part_requests[p] && p != 4 ? 1 : 0;

    /* Second try: only the parts not there are sent. */
    c = wrapped_client(1);
    skycrate_transfer_result *r = NULL;
    ck_assert_sky_ok(skycrate_transfer_upload_file(&r, c, bucket, "obj", src, o));
    ck_assert_uint_eq(skycrate_transfer_result_part_count(r), 6);
    ck_assert_uint_eq(skycrate_transfer_result_parts_reused(r), sent_first);
    ck_assert_str_eq(skycrate_transfer_result_upload_id(r), upload_id);
    skycrate_transfer_result_free(r);
    unsigned int sent_second = 0;
    for (int p = 1; p <= 6; p++)
        sent_second += faults.part_requests[p];
    ck_assert_uint_eq(sent_second, 6 - sent_first);
    ck_assert_uint_eq(faults.part_requests[4], 1);
    skycrate_client_free(c);

    download_is_pattern(5 * PART + 100, NULL);
    skycrate_free(upload_id);
    skycrate_transfer_options_free(o);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}
END_TEST

/* ---- bad input ---- */

START_TEST(missing_file_and_bad_part_size)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/none", dir);
    ck_assert_int_eq(skycrate_transfer_upload_file(NULL, client, bucket, "obj", path, NULL),
                     SKYCRATE_EIO);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "none"));
    ck_assert_int_eq(skycrate_transfer_upload_file(NULL, client, bucket, "obj", dir, NULL),
                     SKYCRATE_EIO);

    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_int_eq(skycrate_transfer_options_set_part_size(o, PART - 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_transfer_options_set_part_size(o, 5ull * 1024 * MIB + 1),
                     SKYCRATE_EINVAL);
    skycrate_transfer_options_free(o);
}
END_TEST

START_TEST(file_that_changes_is_refused)
{
    /* _i % 2 == 0: the file shrinks while part 2 is sent; 1: it grows. _i >= 2: without a
     * checksum, so no pass reads the file before it is sent */
    skycrate_client *c = wrapped_client(1);
    char src[128];
    make_file(src, sizeof(src), "src", 4 * PART);
    faults.file = src;
    if (_i % 2 == 0) {
        faults.truncate_at_part = 2;
        faults.truncate_to = 2 * PART + 10;
    } else {
        faults.grow_at_part = 2;
    }
    skycrate_transfer_options *o = options(PART, 1, 1);
    if (_i >= 2)
        ck_assert_sky_ok(
            skycrate_transfer_options_set_checksum(o, SKYCRATE_TRANSFER_CHECKSUM_NONE));
    ck_assert_int_eq(skycrate_transfer_upload_file(NULL, c, bucket, "obj", src, o), SKYCRATE_EIO);
    /* the sum pass finds it shrank; without one, the send finds the file ended early */
    static const char *const said[] = {"shrank", "changed", "file ended after", "changed"};
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, said[_i]));
    skycrate_transfer_options_free(o);
    skycrate_client_free(c);
    ck_assert_uint_eq(uploads_in_bucket(), 0);
    skycrate_object_info *info = NULL;
    ck_assert_int_eq(skycrate_object_head(&info, client, bucket, "obj"), SKYCRATE_ENOTFOUND);
}
END_TEST

/* A stream in uneven pieces. */
typedef struct {
    uint64_t at, length;
} pattern_stream;

static int read_pattern(size_t *nread_out, void *buf, size_t capacity, void *user_data)
{
    pattern_stream *s = user_data;
    size_t n = capacity < 7777 ? capacity : 7777;
    if (s->length - s->at < n)
        n = (size_t)(s->length - s->at);
    for (size_t k = 0; k < n; k++)
        ((unsigned char *)buf)[k] = pattern(s->at + k);
    s->at += n;
    *nread_out = n;
    return 0;
}

START_TEST(streams_round_trip)
{
    /* {length, declared length} */
    static const struct {
        uint64_t length, declared;
        uint32_t parts;
    } cases[] = {
        {0, SKYCRATE_TRANSFER_SIZE_UNKNOWN, 0},
        {1000, SKYCRATE_TRANSFER_SIZE_UNKNOWN, 0},
        {PART, SKYCRATE_TRANSFER_SIZE_UNKNOWN, 1},
        {3 * PART + 5, SKYCRATE_TRANSFER_SIZE_UNKNOWN, 4},
        {3 * PART + 5, 3 * PART + 5, 4},
        {1000, 1000, 0},
    };
    pattern_stream s = {0, cases[_i].length};
    skycrate_transfer_options *o = options(PART, 16 * MIB, 3);
    skycrate_transfer_result *r = NULL;
    ck_assert_sky_ok(skycrate_transfer_upload_stream(&r, client, bucket, "obj", o,
                                                     cases[_i].declared, read_pattern, &s));
    ck_assert_uint_eq(skycrate_transfer_result_size(r), cases[_i].length);
    ck_assert_uint_eq(skycrate_transfer_result_part_count(r), cases[_i].parts);
    skycrate_transfer_result_free(r);
    download_is_pattern(cases[_i].length, o);
    skycrate_transfer_options_free(o);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}
END_TEST

START_TEST(stream_of_wrong_length_aborts)
{
    /* _i == 0: shorter than declared; 1: longer */
    pattern_stream s = {0, _i == 0 ? 2 * PART : 2 * PART + 1};
    skycrate_transfer_options *o = options(PART, 1, 2);
    ck_assert_int_eq(skycrate_transfer_upload_stream(NULL, client, bucket, "obj", o,
                                                     _i == 0 ? 2 * PART + 1 : 2 * PART,
                                                     read_pattern, &s),
                     SKYCRATE_EINVAL);
    skycrate_transfer_options_free(o);
    ck_assert_uint_eq(uploads_in_bucket(), 0);
}
END_TEST

START_TEST(upload_from_pipe_and_fd)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        unsigned char buf[4096];
        for (uint64_t at = 0; at < PART + 99; at += sizeof(buf)) {
            for (size_t k = 0; k < sizeof(buf); k++)
                buf[k] = pattern(at + k);
            size_t n = PART + 99 - at < sizeof(buf) ? (size_t)(PART + 99 - at) : sizeof(buf);
            if (write(fds[1], buf, n) != (ssize_t)n)
                _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    skycrate_transfer_options *o = options(PART, 1, 2);
    skycrate_transfer_result *r = NULL;
    ck_assert_sky_ok(skycrate_transfer_upload_fd(&r, client, bucket, "obj", fds[0], o));
    close(fds[0]);
    ck_assert_uint_eq(skycrate_transfer_result_size(r), PART + 99);
    ck_assert_uint_eq(skycrate_transfer_result_part_count(r), 2);
    skycrate_transfer_result_free(r);
    download_is_pattern(PART + 99, o);

    /* a regular file's descriptor (the download's): read with pread, its offset untouched */
    int fd = open(dst, O_RDONLY);
    ck_assert_int_eq(lseek(fd, 17, SEEK_SET), 17);
    ck_assert_sky_ok(skycrate_transfer_upload_fd(&r, client, bucket, "obj2", fd, o));
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 17);
    close(fd);
    ck_assert_uint_eq(skycrate_transfer_result_size(r), PART + 99);
    skycrate_transfer_result_free(r);
    skycrate_transfer_options_free(o);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj2"));
}
END_TEST

START_TEST(disk_full_leaves_no_file)
{
    /* The file size limit stands in for a full disk: writes past it fail (EFBIG). */
    char src[128];
    make_file(src, sizeof(src), "src", 3 * PART);
    FILE *f = fopen(dst, "wb");
    fputs("previous content", f);
    fclose(f);
    skycrate_transfer_options *o = options(PART, 1, 2);
    ck_assert_sky_ok(skycrate_transfer_upload_file(NULL, client, bucket, "obj", src, o));
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {PART + PART / 2, PART + PART / 2};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    int rc = skycrate_transfer_download_file(NULL, client, bucket, "obj", dst, o);
    ck_assert_int_eq(rc, SKYCRATE_EIO);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "writing the download"));
    ck_assert_uint_eq(files_in_dir(), 2); /* src and the old dst: no temporary file */
    char buf[64] = {0};
    f = fopen(dst, "rb");
    ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
    fclose(f);
    ck_assert_str_eq(buf, "previous content");
    skycrate_transfer_options_free(o);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
}
END_TEST

START_TEST(download_of_missing_object)
{
    ck_assert_int_eq(skycrate_transfer_download_file(NULL, client, bucket, "none", dst, NULL),
                     SKYCRATE_ENOTFOUND);
    ck_assert_uint_eq(files_in_dir(), 0);
}
END_TEST

/* ---- the example programs ---- */

/* Runs a command line with the AWS variables of the test server; its standard output. */
static char *run_cli(int *status, const char *command)
{
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    setenv("AWS_REGION", rgw_env("SKYCRATE_TEST_REGION"), 1);
    FILE *p = popen(command, "r");
    ck_assert_ptr_nonnull(p);
    static char out[65536];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    *status = pclose(p);
    return out;
}

START_TEST(upload_and_download_programs)
{
    const char *up = rgw_env("SKYCRATE_UPLOAD_CLI"), *down = rgw_env("SKYCRATE_DOWNLOAD_CLI");
    const char *ep = rgw_env("SKYCRATE_TEST_ENDPOINT");
    char src[128], cmd[1024];
    make_file(src, sizeof(src), "src", 2 * PART + 11);
    int status;
    snprintf(cmd, sizeof(cmd), "%s --endpoint %s --part-size 5M --threshold 5M --json %s %s obj",
             up, ep, src, bucket);
    char *out = run_cli(&status, cmd);
    ck_assert_int_eq(status, 0);
    ck_assert_msg(strstr(out, "\"parts\":3") && strstr(out, "\"size\":10485771"), "%s", out);
    snprintf(cmd, sizeof(cmd), "%s --endpoint %s --part-size 5M --json %s obj %s", down, ep, bucket,
             dst);
    out = run_cli(&status, cmd);
    ck_assert_int_eq(status, 0);
    ck_assert_msg(strstr(out, "\"parts\":3") != NULL, "%s", out);
    assert_file_is_pattern(dst, 2 * PART + 11);
    /* from standard input, as a stream of unknown length */
    snprintf(cmd, sizeof(cmd), "%s --endpoint %s --quiet --json - %s piped < %s", up, ep, bucket,
             src);
    out = run_cli(&status, cmd);
    ck_assert_int_eq(status, 0);
    ck_assert_msg(strstr(out, "\"size\":10485771") != NULL, "%s", out);
    /* usage errors and failures: status 2 and 1, nothing on standard output */
    snprintf(cmd, sizeof(cmd), "%s --part-size 1K %s %s k 2>/dev/null", up, src, bucket);
    run_cli(&status, cmd);
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", up, src);
    run_cli(&status, cmd);
    ck_assert_int_eq(WEXITSTATUS(status), 2);
    snprintf(cmd, sizeof(cmd), "%s --endpoint %s %s missing %s/x 2>/dev/null", down, ep, bucket,
             dir);
    run_cli(&status, cmd);
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    snprintf(cmd, sizeof(cmd), "%s --help", up);
    ck_assert_ptr_nonnull(strstr(run_cli(&status, cmd), "--part-urls"));
    ck_assert_int_eq(status, 0);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "obj"));
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "piped"));
}
END_TEST

START_TEST(programs_with_presigned_urls)
{
    /* An app server that holds the credentials hands a worker only URLs. */
    const char *up = rgw_env("SKYCRATE_UPLOAD_CLI"), *down = rgw_env("SKYCRATE_DOWNLOAD_CLI");
    char src[128], list[128], cmd[1024];
    make_file(src, sizeof(src), "src", 2 * PART + 11);
    snprintf(list, sizeof(list), "%s/urls", dir);
    skycrate_presigner *presigner;
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));

    /* presigned parts: the server starts the upload and completes it with the worker's ETags */
    char *upload_id = NULL;
    ck_assert_sky_ok(skycrate_multipart_create(&upload_id, client, bucket, "parts", NULL));
    skycrate_presigned *urls[3];
    ck_assert_sky_ok(
        skycrate_presigner_sign_parts(urls, 3, presigner, bucket, "parts", upload_id, 1, 600));
    FILE *f = fopen(list, "w");
    for (int i = 0; i < 3; i++) {
        fprintf(f, "%s\n", skycrate_presigned_url(urls[i]));
        skycrate_presigned_free(urls[i]);
    }
    fclose(f);
    int status;
    snprintf(cmd, sizeof(cmd), "%s --json --part-urls %s --part-size 5M %s", up, list, src);
    char *out = run_cli(&status, cmd);
    ck_assert_int_eq(status, 0);
    uint32_t numbers[3] = {1, 2, 3};
    char etags[3][64];
    const char *etag_ptrs[3];
    const char *at = out;
    for (int i = 0; i < 3; i++) {
        at = strstr(at, "\"etag\":\"\\\"");
        ck_assert_msg(at != NULL, "%s", out);
        at += strlen("\"etag\":\"\\\"");
        snprintf(etags[i], sizeof(etags[i]), "%.32s", at);
        etag_ptrs[i] = etags[i];
    }
    ck_assert_sky_ok(skycrate_multipart_complete(NULL, client, bucket, "parts", upload_id, numbers,
                                                 etag_ptrs, 3));
    skycrate_free(upload_id);

    /* a presigned GET */
    skycrate_presign_request *req;
    skycrate_presigned *get;
    ck_assert_sky_ok(skycrate_presign_request_new(&req, "GET", bucket, "parts"));
    ck_assert_sky_ok(skycrate_presigner_sign(&get, presigner, req));
    snprintf(cmd, sizeof(cmd), "%s --json --url '%s' %s", down, skycrate_presigned_url(get), dst);
    out = run_cli(&status, cmd);
    ck_assert_int_eq(status, 0);
    ck_assert_msg(strstr(out, "\"size\":10485771") != NULL, "%s", out);
    assert_file_is_pattern(dst, 2 * PART + 11);
    skycrate_presigned_free(get);
    skycrate_presign_request_free(req);

    /* a presigned PUT */
    ck_assert_sky_ok(skycrate_presign_request_new(&req, "PUT", bucket, "single"));
    ck_assert_sky_ok(skycrate_presigner_sign(&get, presigner, req));
    snprintf(cmd, sizeof(cmd), "%s --json --url '%s' %s", up, skycrate_presigned_url(get), src);
    out = run_cli(&status, cmd);
    ck_assert_int_eq(status, 0);
    ck_assert_msg(strstr(out, "\"etag\":\"\\\"") != NULL, "%s", out);
    skycrate_object_info *info = NULL;
    ck_assert_sky_ok(skycrate_object_head(&info, client, bucket, "single"));
    ck_assert_uint_eq(skycrate_object_info_size(info), 2 * PART + 11);
    skycrate_object_info_free(info);
    skycrate_presigned_free(get);
    skycrate_presign_request_free(req);
    skycrate_presigner_free(presigner);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "parts"));
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "single"));
}
END_TEST

START_TEST(interrupted_program_aborts)
{
    /* skycrate-upload reads a pipe; SIGINT arrives while it waits for more: the upload is
     * aborted and the program fails. */
    const char *up = rgw_env("SKYCRATE_UPLOAD_CLI");
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    setenv("AWS_REGION", rgw_env("SKYCRATE_TEST_REGION"), 1);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execl(up, up, "--endpoint", rgw_env("SKYCRATE_TEST_ENDPOINT"), "--part-size", "5M",
              "--concurrency", "1", "-", bucket, "obj", (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    static unsigned char chunk[PART + PART / 2];
    memset(chunk, 'x', sizeof(chunk));
    ck_assert_int_eq(write(fds[1], chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
    /* wait until the upload exists (its first part is read) */
    skycrate__kv query[] = {{"uploads", ""}};
    skycrate__s3_request req = {.operation = "ListMultipartUploads",
                                .method = "GET",
                                .bucket = bucket,
                                .query = query,
                                .query_count = 1};
    bool started = false;
    for (int i = 0; i < 300 && !started; i++) {
        struct skycrate_http_response resp;
        skycrate__http_response_init(&resp);
        ck_assert_sky_ok(skycrate__s3_send(client, &req, &resp, NULL));
        started = strstr(skycrate__buf_cstr(&resp.body), "<UploadId>") != NULL;
        skycrate__http_response_dispose(&resp);
        if (!started)
            usleep(50000);
    }
    ck_assert(started);
    /* the signal is pending before the pipe ends; the progress call made before the upload is
     * completed sees it at the latest */
    ck_assert_int_eq(kill(child, SIGINT), 0);
    close(fds[1]);
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    ck_assert_uint_eq(uploads_in_bucket(), 0);
    skycrate_object_info *info = NULL;
    ck_assert_int_eq(skycrate_object_head(&info, client, bucket, "obj"), SKYCRATE_ENOTFOUND);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rgw-transfer");
    TCase *tc = tcase_create("transfer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, sizes_round_trip, 0, 5);
    tcase_add_test(tc, large_parallel_round_trip);
    tcase_add_loop_test(tc, every_checksum_round_trip, 0, 4);
    tcase_add_test(tc, failed_part_retried_alone);
    tcase_add_test(tc, failed_part_aborts_the_upload);
    tcase_add_test(tc, download_ranges_grow_unless_the_part_size_is_set);
    tcase_add_test(tc, cancel_from_progress_aborts);
    tcase_add_test(tc, cancel_at_the_last_call_aborts);
    tcase_add_test(tc, resume_sends_only_missing_parts);
    tcase_add_test(tc, missing_file_and_bad_part_size);
    tcase_add_loop_test(tc, file_that_changes_is_refused, 0, 4);
    tcase_add_loop_test(tc, streams_round_trip, 0, 6);
    tcase_add_loop_test(tc, stream_of_wrong_length_aborts, 0, 2);
    tcase_add_test(tc, upload_from_pipe_and_fd);
    tcase_add_test(tc, disk_full_leaves_no_file);
    tcase_add_test(tc, download_of_missing_object);
    tcase_add_test(tc, upload_and_download_programs);
    tcase_add_test(tc, programs_with_presigned_urls);
    tcase_add_test(tc, interrupted_program_aborts);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(suite)
