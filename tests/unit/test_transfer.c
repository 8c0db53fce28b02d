/*
 * Unit tests of transfers (lib/transfer) with the scripted mock transport: the request bytes of
 * a multipart upload for each checksum (x-amz-checksum-algorithm, the part headers, the
 * <Checksum*> elements of the completion), the CRC-32C and part-size rules, option checks, the
 * ListParts reader, progress pacing and a failure that aborts. radosgw ignores the
 * x-amz-checksum-* headers (measured: a wrong CRC32C is accepted), so their values are proven
 * here against known vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "crypto/crypto.h"
#include "mockclient.h"
#include "testutil.h"
#include "transfer/transfer.h"
#include "xml/s3.h"

#define MIB (1024u * 1024u)
#define PART (5u * MIB)

static mock_transport *mock;
static skycrate_client *client;

/* The client over a mock transport of `lanes` lanes. */
static void make_client(unsigned int lanes)
{
    mock = mock_new();
    mock_set_chunk(mock, 65536);
    mock_set_concurrency(mock, lanes);
    client = mock_client_new(mock, 1);
}

static void setup(void)
{
    mock_client_begin();
    make_client(1);
}

static void teardown(void)
{
    mock_client_end(mock, client);
}

/* ---- part checksums (CRC-32C itself: test_crypto.c) ---- */

START_TEST(part_sum_headers)
{
    static const struct {
        skycrate_transfer_checksum kind;
        const char *name, *value, *payload;
    } cases[] = {
        {SKYCRATE_TRANSFER_CHECKSUM_NONE, NULL, "", "UNSIGNED-PAYLOAD"},
        {SKYCRATE_TRANSFER_CHECKSUM_MD5, "Content-MD5",
         "JfnnlDI7RTiF9RgfG2JNCw==", "UNSIGNED-PAYLOAD"},
        {SKYCRATE_TRANSFER_CHECKSUM_CRC32C, "x-amz-checksum-crc32c",
         "4waSgw==", "UNSIGNED-PAYLOAD"},
        {SKYCRATE_TRANSFER_CHECKSUM_SHA256, "x-amz-checksum-sha256",
         "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
         "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"},
    };
    skycrate__part_sum s;
    skycrate__part_sum_begin(&s, cases[_i].kind, false);
    ck_assert(skycrate__part_sum_reads_bytes(&s) ==
              (cases[_i].kind != SKYCRATE_TRANSFER_CHECKSUM_NONE));
    skycrate__part_sum_begin(&s, cases[_i].kind, true); /* a resume compares the MD5 */
    ck_assert(skycrate__part_sum_reads_bytes(&s));
    skycrate__part_sum_update(&s, "1234", 4);
    skycrate__part_sum_update(&s, "56789", 5);
    ck_assert_sky_ok(skycrate__part_sum_end(&s));
    skycrate__kv h = skycrate__part_sum_header(&s);
    if (cases[_i].name) {
        ck_assert_str_eq(h.name, cases[_i].name);
        ck_assert_str_eq(h.value, cases[_i].value);
    } else {
        ck_assert_ptr_null(h.name);
    }
    ck_assert_str_eq(s.payload_hash, cases[_i].payload);
    ck_assert_str_eq(s.md5_hex, "25f9e794323b453885f5181f1b624d0b");
}
END_TEST

/* ---- options and the part-size rule ---- */

START_TEST(part_size_rule)
{
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    uint64_t part = 0;
    ck_assert_sky_ok(skycrate__transfer_part_size(&part, o, 100));
    ck_assert_uint_eq(part, 8 * MIB);
    ck_assert_sky_ok(skycrate__transfer_part_size(&part, o, 80000ull * MIB));
    ck_assert_uint_eq(part, 8 * MIB);
    ck_assert_sky_ok(skycrate__transfer_part_size(&part, o, 80000ull * MIB + 1));
    ck_assert_uint_eq(part, 9 * MIB); /* 10,000 parts at most, whole MiB */
    ck_assert_sky_ok(skycrate__transfer_part_size(&part, o, SKYCRATE_TRANSFER_SIZE_UNKNOWN));
    ck_assert_uint_eq(part, 8 * MIB); /* held in memory: the default, not the largest object's */
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, PART));
    ck_assert_int_eq(skycrate__transfer_part_size(&part, o, 10000ull * PART + 1), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "10000 parts"));
    ck_assert_sky_ok(skycrate__transfer_part_size(&part, o, 10000ull * PART));
    ck_assert_uint_eq(part, PART);
    skycrate_transfer_options_free(o);
}
END_TEST

START_TEST(option_checks)
{
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_int_eq(skycrate_transfer_options_set_part_size(o, PART - 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_transfer_options_set_part_size(o, (5ull << 30) + 1), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, 0));
    ck_assert_int_eq(skycrate_transfer_options_set_multipart_threshold(o, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_transfer_options_set_concurrency(o, 65), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_transfer_options_set_checksum(o, (skycrate_transfer_checksum)4),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_transfer_options_set_content_type(o, "a\r\nb: c"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_transfer_options_set_upload_id(o, ""), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_transfer_options_set_progress_interval(o, 0), SKYCRATE_EINVAL);
    /* a client is not options */
    ck_assert_int_eq(
        skycrate_transfer_options_set_concurrency((skycrate_transfer_options *)client, 1),
        SKYCRATE_EINVAL);
    skycrate_transfer_options_free(o);
}
END_TEST

START_TEST(result_json)
{
    skycrate_transfer_result *r;
    ck_assert_sky_ok(skycrate__transfer_result_new(&r, "\"e-2\"", "up/1", 12345678901ull, 2, 1));
    char *json = NULL;
    ck_assert_sky_ok(skycrate_transfer_result_to_json(&json, r, 0));
    ck_assert_str_eq(json, "{\"etag\":\"\\\"e-2\\\"\",\"size\":12345678901,\"parts\":2,"
                           "\"partsReused\":1,\"uploadId\":\"up/1\"}");
    skycrate_free(json);
    ck_assert_int_eq(skycrate_transfer_result_to_json(&json, r, 2), SKYCRATE_EINVAL);
    skycrate_transfer_result_free(r);
}
END_TEST

/* ---- ListParts ---- */

START_TEST(list_parts_reader)
{
    static const char xml[] =
        "<?xml version=\"1.0\"?><ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId><PartNumberMarker>0</PartNumberMarker>"
        "<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts>"
        "<IsTruncated>true</IsTruncated>"
        "<Part><PartNumber>1</PartNumber><ETag>\"aa\"</ETag><Size>5242880</Size></Part>"
        "<Part><PartNumber>2</PartNumber><ETag>\"bb\"</ETag><Size>7</Size></Part>"
        "</ListPartsResult>";
    skycrate__s3_list_parts list;
    ck_assert_sky_ok(skycrate__s3_list_parts_parse(&list, xml, strlen(xml)));
    ck_assert_uint_eq(list.count, 2);
    ck_assert_uint_eq(list.parts[1].number, 2);
    ck_assert_str_eq(list.parts[1].etag, "\"bb\"");
    ck_assert_uint_eq(list.parts[0].size, 5242880);
    ck_assert(list.truncated);
    ck_assert_uint_eq(list.next_marker, 2);
    skycrate__s3_list_parts_dispose(&list);

    static const char *bad[] = {
        "<ListPartsResult><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part>"
        "</ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>1</PartNumber></Part></ListPartsResult>",
        "<ListPartsResult><IsTruncated>true</IsTruncated></ListPartsResult>",
        "<ListBucketResult></ListBucketResult>",
    };
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(bad); i++)
        ck_assert_int_eq(skycrate__s3_list_parts_parse(&list, bad[i], strlen(bad[i])),
                         SKYCRATE_EPARSE);
}
END_TEST

/* ---- the requests of an upload ---- */

static const char initiate_xml[] =
    "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>UP1</UploadId>"
    "</InitiateMultipartUploadResult>";
static const char complete_xml[] =
    "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"x-2\"</ETag>"
    "</CompleteMultipartUploadResult>";

typedef struct {
    uint64_t at, length;
} counter_stream;

static int read_counter(size_t *nread_out, void *buf, size_t capacity, void *user_data)
{
    counter_stream *s = user_data;
    size_t n = s->length - s->at < capacity ? (size_t)(s->length - s->at) : capacity;
    for (size_t k = 0; k < n; k++)
        ((unsigned char *)buf)[k] = (unsigned char)((s->at + k) % 251);
    s->at += n;
    *nread_out = n;
    return 0;
}

START_TEST(multipart_request_bytes)
{
    /* _i: the checksum kind; two parts (5 MiB and 10 bytes) from a stream, one lane */
    skycrate_transfer_checksum kind = (skycrate_transfer_checksum)_i;
    mock_push_str(mock, 200, NULL, initiate_xml);
    mock_push_str(mock, 200, "ETag: \"p1\"", "");
    mock_push_str(mock, 200, "ETag: \"p2\"", "");
    mock_push_str(mock, 200, NULL, complete_xml);
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, PART));
    ck_assert_sky_ok(skycrate_transfer_options_set_checksum(o, kind));
    ck_assert_sky_ok(skycrate_transfer_options_set_content_type(o, "application/x-test"));
    counter_stream s = {0, PART + 10};
    skycrate_transfer_result *r = NULL;
    ck_assert_sky_ok(
        skycrate_transfer_upload_stream(&r, client, "bkt", "k", o, PART + 10, read_counter, &s));
    ck_assert_str_eq(skycrate_transfer_result_etag(r), "\"x-2\"");
    ck_assert_str_eq(skycrate_transfer_result_upload_id(r), "UP1");
    ck_assert_uint_eq(skycrate_transfer_result_part_count(r), 2);
    skycrate_transfer_result_free(r);
    ck_assert_uint_eq(mock_request_count(mock), 4);

    const mock_req *create = mock_request(mock, 0);
    ck_assert_str_eq(create->url, "http://127.0.0.1:7480/bkt/k?uploads=");
    ck_assert_str_eq(mock_request_header(create, "content-type"), "application/x-test");
    const char *algorithm = kind == SKYCRATE_TRANSFER_CHECKSUM_CRC32C   ? "CRC32C"
                            : kind == SKYCRATE_TRANSFER_CHECKSUM_SHA256 ? "SHA256"
                                                                        : NULL;
    if (algorithm)
        ck_assert_str_eq(mock_request_header(create, "x-amz-checksum-algorithm"), algorithm);
    else
        ck_assert_ptr_null(mock_request_header(create, "x-amz-checksum-algorithm"));

    for (int p = 1; p <= 2; p++) {
        const mock_req *part = mock_request(mock, (size_t)p);
        char url[128];
        snprintf(url, sizeof(url), "http://127.0.0.1:7480/bkt/k?partNumber=%d&uploadId=UP1", p);
        ck_assert_str_eq(part->url, url);
        ck_assert_uint_eq(part->body_length, p == 1 ? PART : 10);
        size_t bad = SIZE_MAX;
        for (size_t k = 0; k < part->body_length && bad == SIZE_MAX; k++)
            if (part->body[k] != ((p - 1) * (uint64_t)PART + k) % 251)
                bad = k;
        ck_assert_uint_eq(bad, SIZE_MAX);
        skycrate__part_sum sum;
        skycrate__part_sum_begin(&sum, kind, false);
        skycrate__part_sum_update(&sum, part->body, part->body_length);
        ck_assert_sky_ok(skycrate__part_sum_end(&sum));
        skycrate__kv h = skycrate__part_sum_header(&sum);
        if (h.name)
            ck_assert_str_eq(mock_request_header(part, h.name), h.value);
        ck_assert_str_eq(mock_request_header(part, "x-amz-content-sha256"), sum.payload_hash);
    }

    const mock_req *done = mock_request(mock, 3);
    ck_assert_str_eq(done->url, "http://127.0.0.1:7480/bkt/k?uploadId=UP1");
    const char *body = (const char *)done->body;
    ck_assert_ptr_nonnull(
        strstr(body, "<Part><PartNumber>1</PartNumber><ETag>&quot;p1&quot;</ETag>"));
    ck_assert_int_eq(strstr(body, "<ChecksumCRC32C>") != NULL,
                     kind == SKYCRATE_TRANSFER_CHECKSUM_CRC32C);
    ck_assert_int_eq(strstr(body, "<ChecksumSHA256>") != NULL,
                     kind == SKYCRATE_TRANSFER_CHECKSUM_SHA256);
    skycrate_transfer_options_free(o);
}
END_TEST

START_TEST(failed_part_aborts)
{
    mock_push_str(mock, 200, NULL, initiate_xml);
    mock_push_str(mock, 200, "ETag: \"p1\"", "");
    mock_push_str(mock, 403, NULL, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>");
    mock_push_str(mock, 204, NULL, "");
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, PART));
    counter_stream s = {0, 3 * PART};
    ck_assert_int_eq(
        skycrate_transfer_upload_stream(NULL, client, "bkt", "k", o, 3 * PART, read_counter, &s),
        SKYCRATE_EACCESS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "part 2"));
    ck_assert_uint_eq(mock_request_count(mock), 4); /* part 3 is never sent */
    const mock_req *abort_req = mock_request(mock, 3);
    ck_assert_str_eq(abort_req->method, "DELETE");
    ck_assert_str_eq(abort_req->url, "http://127.0.0.1:7480/bkt/k?uploadId=UP1");
    skycrate_transfer_options_free(o);
}
END_TEST

typedef struct {
    unsigned int calls;
    uint64_t last;
} paced;

static int count_progress(uint64_t done, uint64_t total, void *user_data)
{
    paced *p = user_data;
    ck_assert_uint_eq(total, 3 * PART);
    ck_assert_uint_ge(done, p->last);
    p->last = done;
    p->calls++;
    return 0;
}

START_TEST(progress_is_paced)
{
    /* A long interval: the start and the end are reported, nothing in between. */
    mock_push_str(mock, 200, NULL, initiate_xml);
    for (int i = 0; i < 3; i++)
        mock_push_str(mock, 200, "ETag: \"p\"", "");
    mock_push_str(mock, 200, NULL, complete_xml);
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, PART));
    ck_assert_sky_ok(skycrate_transfer_options_set_progress_interval(o, 60000));
    paced p = {0, 0};
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, count_progress, &p));
    counter_stream s = {0, 3 * PART};
    ck_assert_sky_ok(
        skycrate_transfer_upload_stream(NULL, client, "bkt", "k", o, 3 * PART, read_counter, &s));
    ck_assert_uint_eq(p.calls, 2);
    ck_assert_uint_eq(p.last, 3 * PART);
    skycrate_transfer_options_free(o);
}
END_TEST

static int cancel_at_once(uint64_t done, uint64_t total, void *user_data)
{
    (void)done;
    (void)total;
    (*(unsigned int *)user_data)++;
    return 1;
}

START_TEST(single_put_cancelled_before_it_is_sent)
{
    /* below the threshold: one PutObject, which a cancel at the first call never sends */
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    unsigned int calls = 0;
    ck_assert_sky_ok(skycrate_transfer_options_set_progress(o, cancel_at_once, &calls));
    counter_stream s = {0, 1000};
    ck_assert_int_eq(
        skycrate_transfer_upload_stream(NULL, client, "bkt", "k", o, 1000, read_counter, &s),
        SKYCRATE_ECANCELED);
    ck_assert_uint_eq(calls, 1);
    ck_assert_uint_eq(mock_request_count(mock), 0);
    skycrate_transfer_options_free(o);
}
END_TEST

START_TEST(large_put_sums_its_crc_in_slices)
{
    /* One PutObject of 3 slices' worth over 2 and 3 lanes, and 1 (one pass): the CRC-32C sent
     * is the file's, however it was cut. */
    static const unsigned int lanes[] = {1, 2, 3};
    enum { SIZE = 3 * 8 * MIB + 3 };
    char path[] = "/tmp/skycrate-test-slices-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unsigned char *data = malloc(SIZE);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < SIZE; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 11);
    ck_assert_int_eq(write(fd, data, SIZE), SIZE);
    close(fd);
    uint32_t crc = skycrate__crc32c(0, data, SIZE);
    free(data);
    uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
    skycrate__buf want = SKYCRATE_BUF_INIT;
    ck_assert_sky_ok(skycrate__base64_encode(&want, be, sizeof(be)));

    skycrate_client_free(client);
    mock_free(mock);
    make_client(lanes[_i]);
    mock_push_str(mock, 200, "ETag: \"e\"\r\n", "");
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    ck_assert_sky_ok(skycrate_transfer_options_set_multipart_threshold(o, 64 * MIB));
    ck_assert_sky_ok(skycrate_transfer_upload_file(NULL, client, "bkt", "k", path, o));
    ck_assert_uint_eq(mock_request_count(mock), 1);
    ck_assert_str_eq(mock_request_header(mock_request(mock, 0), "x-amz-checksum-crc32c"),
                     skycrate__buf_cstr(&want));
    skycrate__buf_dispose(&want);
    skycrate_transfer_options_free(o);
    unlink(path);
}
END_TEST

START_TEST(spread_size_rule)
{
    skycrate_transfer_options *o;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    uint64_t part = 0;
    ck_assert_sky_ok(skycrate__transfer_spread_size(&part, o, 100, 4));
    ck_assert_uint_eq(part, 8 * MIB); /* never below the automatic part size */
    ck_assert_sky_ok(skycrate__transfer_spread_size(&part, o, 200 * MIB, 4));
    ck_assert_uint_eq(part, 13 * MIB); /* a quarter per way, rounded up to whole MiB */
    ck_assert_sky_ok(skycrate__transfer_spread_size(&part, o, 200 * MIB, 1));
    ck_assert_uint_eq(part, 50 * MIB);
    ck_assert_sky_ok(skycrate__transfer_spread_size(&part, o, 1024 * MIB, 4));
    ck_assert_uint_eq(part, 64 * MIB); /* at most 64 MiB */
    ck_assert_sky_ok(skycrate__transfer_spread_size(&part, o, 1024 * MIB, 0));
    ck_assert_uint_eq(part, 64 * MIB);
    ck_assert_sky_ok(skycrate__transfer_spread_size(&part, o, 1000000ull * MIB, 4));
    ck_assert_uint_eq(part, 100 * MIB); /* 10,000 parts still fit */
    ck_assert_sky_ok(skycrate_transfer_options_set_part_size(o, PART));
    ck_assert_sky_ok(skycrate__transfer_spread_size(&part, o, 1024 * MIB, 4));
    ck_assert_uint_eq(part, PART); /* a part size set is kept */
    ck_assert_int_eq(skycrate__transfer_spread_size(&part, o, 10000ull * PART + 1, 4),
                     SKYCRATE_EINVAL);
    skycrate_transfer_options_free(o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("transfer");
    TCase *tc = tcase_create("transfer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, part_sum_headers, 0, 4);
    tcase_add_test(tc, part_size_rule);
    tcase_add_test(tc, spread_size_rule);
    tcase_add_loop_test(tc, large_put_sums_its_crc_in_slices, 0, 3);
    tcase_add_test(tc, option_checks);
    tcase_add_test(tc, result_json);
    tcase_add_test(tc, list_parts_reader);
    tcase_add_loop_test(tc, multipart_request_bytes, 0, 4);
    tcase_add_test(tc, failed_part_aborts);
    tcase_add_test(tc, progress_is_paced);
    tcase_add_test(tc, single_put_cancelled_before_it_is_sent);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(suite)
