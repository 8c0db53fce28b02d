/*
 * Unit tests of the multipart calls (lib/presign/multipart.c) with the scripted mock transport:
 * the requests they send, the answers they read (including a 200 carrying an <Error>), input
 * checks and allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "mockclient.h"
#include "testalloc.h"
#include "testutil.h"

#define BUCKET "skycrate-user42-1732300000"
#define BASE "http://127.0.0.1:7480/" BUCKET "/uploads/u42/big%20file.bin"

static mock_transport *mock;
static skycrate_client *client;

static void setup(void)
{
    mock_client_begin();
    mock = mock_new();
    client = mock_client_new(mock, 2);
}

static void teardown(void)
{
    mock_client_end(mock, client);
}

static const char initiate_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Bucket>" BUCKET "</Bucket><Key>uploads/u42/big file.bin</Key>"
    "<UploadId>2~abc/DEF+123=</UploadId></InitiateMultipartUploadResult>";

static const char complete_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Location>http://127.0.0.1:7480/" BUCKET "/uploads/u42/big%20file.bin</Location>"
    "<Bucket>" BUCKET "</Bucket><Key>uploads/u42/big file.bin</Key>"
    "<ETag>\"3858f62230ac3c915f300c664312c11f-2\"</ETag></CompleteMultipartUploadResult>";

START_TEST(create_sends_post_uploads)
{
    mock_push_str(mock, 200, "x-amz-request-id: R1\r\n", initiate_xml);
    char *id = NULL;
    ck_assert_sky_ok(
        skycrate_multipart_create(&id, client, BUCKET, "uploads/u42/big file.bin", "video/mp4"));
    ck_assert_str_eq(id, "2~abc/DEF+123=");
    skycrate_free(id);
    const mock_req *r = mock_request(mock, 0);
    ck_assert_str_eq(r->method, "POST");
    ck_assert_str_eq(r->url, BASE "?uploads=");
    ck_assert_str_eq(mock_request_header(r, "Content-Type"), "video/mp4");
    ck_assert_ptr_nonnull(strstr(mock_request_header(r, "Authorization"), "content-type;host;"));
    ck_assert_uint_eq(r->body_length, 0);

    /* Without a content type; an answer without an upload id is a parse error. */
    mock_push_str(mock, 200, "",
                  "<InitiateMultipartUploadResult><UploadId></UploadId>"
                  "</InitiateMultipartUploadResult>");
    ck_assert_int_eq(skycrate_multipart_create(&id, client, BUCKET, "k", NULL), SKYCRATE_EPARSE);
    ck_assert_ptr_null(id);
    ck_assert_ptr_null(mock_request_header(mock_request(mock, 1), "Content-Type"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "CreateMultipartUpload"));

    /* S3 errors are mapped. */
    mock_push_str(mock, 404, "", "<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>");
    ck_assert_int_eq(skycrate_multipart_create(&id, client, BUCKET, "k", NULL), SKYCRATE_ENOTFOUND);
    ck_assert_str_eq(skycrate_client_last_response(client)->s3_code, "NoSuchBucket");
    ck_assert_uint_eq(mock_pending(mock), 0);
}
END_TEST

START_TEST(complete_sends_the_parts)
{
    mock_push_str(mock, 200, "", complete_xml);
    uint32_t numbers[] = {1, 2, 5};
    const char *etags[] = {"\"aaa\"", "bbb", "c<&>\"d"};
    char *etag = NULL;
    ck_assert_sky_ok(skycrate_multipart_complete(&etag, client, BUCKET, "uploads/u42/big file.bin",
                                                 "2~abc/DEF+123=", numbers, etags, 3));
    ck_assert_str_eq(etag, "\"3858f62230ac3c915f300c664312c11f-2\"");
    skycrate_free(etag);
    const mock_req *r = mock_request(mock, 0);
    ck_assert_str_eq(r->method, "POST");
    ck_assert_str_eq(r->url, BASE "?uploadId=2~abc%2FDEF%2B123%3D");
    ck_assert_str_eq(mock_request_header(r, "Content-Type"), "application/xml");
    ck_assert_str_eq((const char *)r->body,
                     "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<Part><PartNumber>1</PartNumber><ETag>&quot;aaa&quot;</ETag></Part>"
                     "<Part><PartNumber>2</PartNumber><ETag>&quot;bbb&quot;</ETag></Part>"
                     "<Part><PartNumber>5</PartNumber><ETag>&quot;c&lt;&amp;&gt;&quot;d&quot;"
                     "</ETag></Part></CompleteMultipartUpload>");
    /* The body's hash is signed (not UNSIGNED-PAYLOAD). */
    ck_assert_str_ne(mock_request_header(r, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");

    /* etag_out may be NULL; radosgw's empty ETag is "". */
    mock_push_str(mock, 200, "",
                  "<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>");
    ck_assert_sky_ok(
        skycrate_multipart_complete(&etag, client, BUCKET, "k", "id", numbers, etags, 1));
    ck_assert_str_eq(etag, "");
    skycrate_free(etag);
    mock_push_str(mock, 200, "", complete_xml);
    ck_assert_sky_ok(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, etags, 1));
}
END_TEST

START_TEST(complete_reads_a_late_error)
{
    /* S3 may answer 200 and then an <Error> (after whitespace it sends while working). */
    mock_push_str(
        mock, 200, "",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n  \n  \n<Error><Code>InvalidPart</Code>"
        "<Message>One or more of the specified parts could not be found.</Message>"
        "<RequestId>R7</RequestId></Error>");
    uint32_t numbers[] = {1};
    const char *etags[] = {"x"};
    char *etag = (char *)"untouched";
    ck_assert_int_eq(
        skycrate_multipart_complete(&etag, client, BUCKET, "k", "id", numbers, etags, 1),
        SKYCRATE_EINVAL);
    ck_assert_ptr_null(etag);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "InvalidPart"));
    const skycrate_response_info *info = skycrate_client_last_response(client);
    ck_assert_str_eq(info->s3_code, "InvalidPart");
    ck_assert_str_eq(info->request_id, "R7");
    ck_assert_int_eq(info->http_status, 200);

    mock_push_str(mock, 404, "", "<Error><Code>NoSuchUpload</Code></Error>");
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, etags, 1),
        SKYCRATE_ENOTFOUND);
    /* Not XML at all. */
    mock_push_str(mock, 200, "", "garbage");
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, etags, 1),
        SKYCRATE_EPARSE);
}
END_TEST

START_TEST(abort_sends_delete)
{
    mock_push_str(mock, 204, "", "");
    ck_assert_sky_ok(skycrate_multipart_abort(client, BUCKET, "uploads/u42/big file.bin", "a b"));
    const mock_req *r = mock_request(mock, 0);
    ck_assert_str_eq(r->method, "DELETE");
    ck_assert_str_eq(r->url, BASE "?uploadId=a%20b");
    mock_push_str(mock, 404, "", "<Error><Code>NoSuchUpload</Code></Error>");
    ck_assert_int_eq(skycrate_multipart_abort(client, BUCKET, "k", "id"), SKYCRATE_ENOTFOUND);
}
END_TEST

START_TEST(inputs_are_checked)
{
    char *id = NULL;
    uint32_t numbers[] = {2, 2};
    const char *etags[] = {"a", "b"};
    ck_assert_int_eq(skycrate_multipart_create(NULL, client, BUCKET, "k", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_multipart_create(&id, NULL, BUCKET, "k", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_multipart_create(&id, client, "x", "k", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_multipart_create(&id, client, BUCKET, "", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, etags, 2),
        SKYCRATE_EINVAL); /* not increasing */
    numbers[0] = 0;
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, etags, 1),
        SKYCRATE_EINVAL);
    numbers[0] = 10001;
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, etags, 1),
        SKYCRATE_EINVAL);
    numbers[0] = 1;
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, etags, 0),
        SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_multipart_complete(NULL, client, BUCKET, "k", "", numbers, etags, 1),
                     SKYCRATE_EINVAL);
    const char *empty[] = {""};
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", numbers, empty, 1),
        SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_multipart_complete(NULL, client, BUCKET, "k", "id", NULL, etags, 1),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_multipart_abort(client, BUCKET, "k", NULL), SKYCRATE_EINVAL);
    ck_assert_uint_eq(mock_request_count(mock), 0);
}
END_TEST

START_TEST(allocation_failures)
{
    uint32_t numbers[] = {1, 2};
    const char *etags[] = {"a", "b"};
    for (int op = 0; op < 3; op++) {
        for (long n = 1;; n++) {
            /* An answer left unused by a failure before the transport serves the next round. */
            if (mock_pending(mock) == 0) {
                if (op == 0)
                    mock_push_str(mock, 200, "", initiate_xml);
                else if (op == 1)
                    mock_push_str(mock, 200, "", complete_xml);
                else
                    mock_push_str(mock, 204, "", "");
            }
            char *out = NULL;
            testalloc_fail_at(n);
            int rc = op == 0   ? skycrate_multipart_create(&out, client, BUCKET, "k", "a/b")
                     : op == 1 ? skycrate_multipart_complete(&out, client, BUCKET, "k", "id",
                                                             numbers, etags, 2)
                               : skycrate_multipart_abort(client, BUCKET, "k", "id");
            testalloc_fail_at(0);
            skycrate_free(out);
            if (rc == 0)
                break;
            ck_assert_msg(rc == SKYCRATE_ENOMEM, "op %d allocation %ld: rc %d (%s)", op, n, rc,
                          skycrate_error_last()->message);
            ck_assert_ptr_null(out);
        }
        ck_assert_uint_eq(mock_pending(mock), 0);
    }
}
END_TEST

static Suite *multipart_suite(void)
{
    Suite *s = suite_create("multipart");
    TCase *tc = tcase_create("calls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, create_sends_post_uploads);
    tcase_add_test(tc, complete_sends_the_parts);
    tcase_add_test(tc, complete_reads_a_late_error);
    tcase_add_test(tc, abort_sends_delete);
    tcase_add_test(tc, inputs_are_checked);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(multipart_suite)
