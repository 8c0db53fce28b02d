/*
 * Unit tests of the S3 request path (lib/s3) with the scripted mock transport: request bytes,
 * retries and backoff, clock-skew correction, region redirects, error details, body routing,
 * configuration checks and allocation failures. Behaviour no real server can be made to show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "mocktransport.h"
#include "s3/client.h"
#include "testalloc.h"
#include "testutil.h"

#define FROZEN_MS 1732300000000LL /* 2024-11-22T18:26:40Z */

static int64_t frozen(void *ud)
{
    (void)ud;
    return FROZEN_MS;
}

static mock_transport *mock;
static skycrate_client *client;

static skycrate_client *make_client(const char *endpoint, const char *region, const char *token)
{
    skycrate_credentials *creds;
    skycrate_credentials_provider *provider;
    ck_assert_sky_ok(skycrate_credentials_new(
        &creds, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    if (endpoint) {
        ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, endpoint));
        ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    }
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, region));
    ck_assert_sky_ok(skycrate_client_config_set_retry(cfg, 3, 1, 2));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_http_transport_unref(t);
    skycrate_client *c;
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    skycrate_client_config_free(cfg);
    skycrate_credentials_provider_unref(provider);
    return c;
}

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate__clock_override(frozen, NULL);
    mock = mock_new();
    client = make_client("http://127.0.0.1:7480", "us-east-1", NULL);
}

static void teardown(void)
{
    skycrate_client_free(client);
    mock_free(mock);
    skycrate__clock_override(NULL, NULL);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

START_TEST(put_sends_signed_bytes)
{
    mock_push_str(mock, 200, "ETag: \"abc\"\r\nx-amz-request-id: R1\r\nx-amz-version-id: v1\r\n",
                  "");
    skycrate_object_info *info = NULL;
    ck_assert_sky_ok(skycrate_object_put(&info, client, "bkt", "dir/report 2024+final.pdf", "hello",
                                         5, "application/pdf"));
    ck_assert_str_eq(skycrate_object_info_etag(info), "\"abc\"");
    ck_assert_str_eq(skycrate_object_info_version_id(info), "v1");
    ck_assert_str_eq(skycrate_object_info_key(info), "dir/report 2024+final.pdf");
    skycrate_object_info_free(info);

    const mock_req *r = mock_request(mock, 0);
    ck_assert_str_eq(r->method, "PUT");
    ck_assert_str_eq(r->url, "http://127.0.0.1:7480/bkt/dir/report%202024%2Bfinal.pdf");
    ck_assert_uint_eq(r->body_length, 5);
    ck_assert_mem_eq(r->body, "hello", 5);
    char hash[65];
    skycrate__sha256_hex(hash, "hello", 5);
    ck_assert_str_eq(mock_request_header(r, "x-amz-content-sha256"), hash);
    ck_assert_str_eq(mock_request_header(r, "x-amz-date"), "20241122T182640Z");
    ck_assert_str_eq(mock_request_header(r, "Content-Type"), "application/pdf");
    ck_assert_ptr_null(mock_request_header(r, "x-amz-security-token"));
    const char *auth = mock_request_header(r, "Authorization");
    ck_assert_ptr_nonnull(
        strstr(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20241122/us-east-1/s3/aws4_request"));
    ck_assert_ptr_nonnull(
        strstr(auth, "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,"));
    const skycrate_response_info *i = skycrate_client_last_response(client);
    ck_assert_int_eq(i->http_status, 200);
    ck_assert_str_eq(i->request_id, "R1");
    ck_assert_uint_eq(i->attempts, 1);
}
END_TEST

START_TEST(session_token_is_sent_and_signed)
{
    skycrate_client_free(client);
    client = make_client(NULL, "eu-west-1", "FwoGZXIvYXdzEtoken");
    mock_push_str(mock, 204, "", "");
    ck_assert_sky_ok(skycrate_object_delete(client, "skycrate-u42", "k"));
    const mock_req *r = mock_request(mock, 0);
    ck_assert_str_eq(r->url, "https://skycrate-u42.s3.eu-west-1.amazonaws.com/k");
    ck_assert_str_eq(mock_request_header(r, "x-amz-security-token"), "FwoGZXIvYXdzEtoken");
    ck_assert_ptr_nonnull(strstr(mock_request_header(r, "Authorization"), "x-amz-security-token"));
    ck_assert_str_eq(mock_request_header(r, "x-amz-content-sha256"), SKYCRATE__EMPTY_SHA256);
}
END_TEST

/* Every TRACE line of a request signed with a token that holds spaces, commas and quotes. */
static char trace[16384];
static void keep_trace(skycrate_log_level level, const char *line, void *ud)
{
    (void)level;
    (void)ud;
    strncat(trace, line, sizeof(trace) - strlen(trace) - 2);
    strcat(trace, "\n");
}

START_TEST(no_part_of_a_token_reaches_the_trace_log)
{
    skycrate_client_free(client);
    client = make_client(NULL, "eu-west-1", "QZQ ENX,PXP\"VWV KJK");
    trace[0] = '\0';
    skycrate_log_set(SKYCRATE_LOG_LEVEL_TRACE, keep_trace, NULL);
    mock_push_str(mock, 403, "",
                  "<Error><Code>SignatureDoesNotMatch</Code><StringToSign>x</StringToSign>"
                  "</Error>");
    ck_assert_int_eq(skycrate_object_delete(client, "skycrate-u42", "k"), SKYCRATE_ESIGNATURE);
    skycrate_log_set(SKYCRATE_LOG_LEVEL_NONE, NULL, NULL);
    ck_assert_ptr_nonnull(strstr(trace, "x-amz-security-token:[redacted]\n"));
    static const char *const parts[] = {"QZQ", "ENX", "PXP", "VWV", "KJK"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        ck_assert_msg(!strstr(trace, parts[i]), "'%s' in the log:\n%s", parts[i], trace);
    ck_assert_ptr_null(strstr(skycrate_error_last()->message, "KJK"));
}
END_TEST

START_TEST(throttling_is_retried_with_backoff)
{
    mock_push_str(
        mock, 503, "",
        "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>");
    mock_push_error(mock, SKYCRATE_ECONNECT);
    mock_push_str(mock, 200, "", "");
    ck_assert_sky_ok(skycrate_object_put(NULL, client, "bkt", "k", "x", 1, NULL));
    ck_assert_uint_eq(mock_request_count(mock), 3);
    ck_assert_uint_eq(skycrate_client_last_response(client)->attempts, 3);
    /* Every attempt is signed again and carries the whole body. */
    ck_assert_uint_eq(mock_request(mock, 2)->body_length, 1);
}
END_TEST

START_TEST(retries_end_with_the_last_answer)
{
    for (int i = 0; i < 3; i++)
        mock_push_str(mock, 500, "x-amz-request-id: R9\r\n",
                      "<Error><Code>InternalError</Code><Message>We encountered an internal "
                      "error.</Message></Error>");
    ck_assert_int_eq(skycrate_object_put(NULL, client, "bkt", "k", "x", 1, NULL), SKYCRATE_EHTTP);
    ck_assert_uint_eq(mock_request_count(mock), 3);
    const char *msg = skycrate_error_last()->message;
    ck_assert_ptr_nonnull(strstr(msg, "PutObject bkt/k: HTTP 500 InternalError"));
    ck_assert_ptr_nonnull(strstr(msg, "R9"));
}
END_TEST

static int read_once(size_t *nread, void *buf, size_t cap, void *ud)
{
    int *calls = ud;
    if ((*calls)++ > 0 || cap < 3) {
        *nread = 0;
        return 0;
    }
    memcpy(buf, "abc", 3);
    *nread = 3;
    return 0;
}

START_TEST(streams_are_never_replayed)
{
    mock_push_str(mock, 503, "", "<Error><Code>SlowDown</Code></Error>");
    mock_push_str(mock, 200, "", "");
    int calls = 0;
    ck_assert_int_eq(
        skycrate_object_put_stream(NULL, client, "bkt", "k", 3, NULL, read_once, &calls),
        SKYCRATE_ETHROTTLED);
    ck_assert_uint_eq(mock_request_count(mock), 1);
    ck_assert_uint_eq(mock_discard_unused(mock), 1); /* the answer a replay would have taken */
    ck_assert_str_eq(mock_request_header(mock_request(mock, 0), "x-amz-content-sha256"),
                     "UNSIGNED-PAYLOAD");
}
END_TEST

START_TEST(clock_skew_is_corrected_once)
{
    /* The server's clock is one hour ahead of ours. */
    mock_push_str(mock, 403, "Date: Fri, 22 Nov 2024 19:26:40 GMT\r\n",
                  "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the "
                  "request time and the current time is too large.</Message></Error>");
    mock_push_str(mock, 200, "Date: Fri, 22 Nov 2024 19:26:41 GMT\r\n", "");
    ck_assert_sky_ok(skycrate_object_put(NULL, client, "bkt", "k", "x", 1, NULL));
    ck_assert_int_eq(skycrate_client_clock_offset(client), 3600);
    ck_assert_str_eq(mock_request_header(mock_request(mock, 1), "x-amz-date"), "20241122T192640Z");
    /* A second skew answer in the same call is not retried again. */
    mock_push_str(mock, 403, "Date: Fri, 22 Nov 2024 21:26:40 GMT\r\n",
                  "<Error><Code>RequestTimeTooSkewed</Code></Error>");
    mock_push_str(mock, 403, "Date: Fri, 22 Nov 2024 23:26:40 GMT\r\n",
                  "<Error><Code>RequestTimeTooSkewed</Code></Error>");
    ck_assert_int_eq(skycrate_object_put(NULL, client, "bkt", "k", "x", 1, NULL), SKYCRATE_ESKEW);
    ck_assert_uint_eq(mock_request_count(mock), 4);
}
END_TEST

START_TEST(large_date_offset_is_learnt_from_any_answer)
{
    mock_push_str(mock, 200, "Date: Fri, 22 Nov 2024 18:16:40 GMT\r\n", "");
    ck_assert_sky_ok(skycrate_object_delete(client, "bkt", "k"));
    ck_assert_int_eq(skycrate_client_clock_offset(client), -600);
    mock_push_str(mock, 200, "Date: Fri, 22 Nov 2024 18:16:50 GMT\r\n", ""); /* small drift: kept */
    ck_assert_sky_ok(skycrate_object_delete(client, "bkt", "k"));
    ck_assert_int_eq(skycrate_client_clock_offset(client), -600);
}
END_TEST

START_TEST(region_redirect_is_followed_and_remembered)
{
    skycrate_client_free(client);
    client = make_client(NULL, "us-east-1", NULL);
    mock_push_str(mock, 301, "x-amz-bucket-region: eu-west-1\r\n",
                  "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to "
                  "access must be addressed using the specified "
                  "endpoint.</Message><Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>");
    mock_push_str(mock, 200, "", "");
    mock_push_str(mock, 200, "", "");
    ck_assert_sky_ok(skycrate_object_put(NULL, client, "b-eu", "k", "x", 1, NULL));
    ck_assert_str_eq(mock_request(mock, 0)->url, "https://b-eu.s3.us-east-1.amazonaws.com/k");
    ck_assert_str_eq(mock_request(mock, 1)->url, "https://b-eu.s3.eu-west-1.amazonaws.com/k");
    ck_assert_ptr_nonnull(
        strstr(mock_request_header(mock_request(mock, 1), "Authorization"), "/eu-west-1/s3/"));
    /* Remembered: the next request goes to the right region at once. */
    ck_assert_sky_ok(skycrate_object_delete(client, "b-eu", "k"));
    ck_assert_str_eq(mock_request(mock, 2)->url, "https://b-eu.s3.eu-west-1.amazonaws.com/k");
    ck_assert_uint_eq(mock_request_count(mock), 3);
}
END_TEST

/* A header value that would end its line never reaches a transport, whichever transport. */
START_TEST(header_values_are_checked_before_any_transport)
{
    static const char *const bad[] = {"text/plain\r\nx-amz-acl: public-read", "a\nb", "a\rb",
                                      "nul\x01", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(skycrate_object_put(NULL, client, "bkt", "k", "x", 1, bad[i]),
                         SKYCRATE_EINVAL);
        ck_assert_msg(strstr(skycrate_error_last()->message, "Content-Type"), "%s",
                      skycrate_error_last()->message);
        ck_assert_ptr_null(strstr(skycrate_error_last()->message, "public-read"));
    }
    ck_assert_uint_eq(mock_request_count(mock), 0);
    mock_push_str(mock, 200, "", "");
    ck_assert_sky_ok(skycrate_object_put(NULL, client, "bkt", "k", "x", 1, "text/plain;\tq=1"));
    ck_assert_uint_eq(mock_request_count(mock), 1);
}
END_TEST

/* A region named by a server becomes the next host name: one that is not a region name is
 * neither followed nor remembered, whether it came in x-amz-bucket-region or in the error body. */
START_TEST(a_redirect_to_a_malformed_region_is_not_followed)
{
    skycrate_client_free(client);
    client = make_client(NULL, "us-east-1", "SESSION-TOKEN");
    static const char *const evil[] = {"evil.example#", "eu-west-1.evil.example", "a/b", "-x",
                                       "eu west 1"};
    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        char headers[128], body[256];
        snprintf(headers, sizeof(headers), "x-amz-bucket-region: %s\r\n", evil[i]);
        mock_push_str(mock, 301, headers, "<Error><Code>PermanentRedirect</Code></Error>");
        ck_assert_int_eq(skycrate_object_put(NULL, client, "b-eu", "k", "x", 1, NULL),
                         SKYCRATE_EREGION);
        snprintf(body, sizeof(body),
                 "<Error><Code>AuthorizationHeaderMalformed</Code><Region>%s</Region></Error>",
                 evil[i]);
        mock_push_str(mock, 400, "", body);
        ck_assert_int_eq(skycrate_object_delete(client, "b-eu", "k"), SKYCRATE_EREGION);
    }
    ck_assert_uint_eq(mock_request_count(mock), 10); /* none was sent twice */
    for (size_t i = 0; i < mock_request_count(mock); i++)
        ck_assert_str_eq(mock_request(mock, i)->url, "https://b-eu.s3.us-east-1.amazonaws.com/k");
    mock_push_str(mock, 204, "", "");
    ck_assert_sky_ok(skycrate_object_delete(client, "b-eu", "k"));
    ck_assert_str_eq(mock_request(mock, 10)->url, "https://b-eu.s3.us-east-1.amazonaws.com/k");
}
END_TEST

START_TEST(authorization_header_malformed_names_the_region)
{
    mock_push_str(mock, 400, "",
                  "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' "
                  "is wrong; expecting 'ap-south-1'</Message><Region>ap-south-1</Region></Error>");
    mock_push_str(mock, 400, "",
                  "<Error><Code>AuthorizationHeaderMalformed</Code><Message>still "
                  "wrong</Message><Region>eu-north-1</Region></Error>");
    ck_assert_int_eq(skycrate_object_delete(client, "bkt", "k"), SKYCRATE_EREGION);
    ck_assert_uint_eq(mock_request_count(mock), 2); /* retried once, not more */
    ck_assert_ptr_nonnull(
        strstr(mock_request_header(mock_request(mock, 1), "Authorization"), "/ap-south-1/s3/"));
}
END_TEST

START_TEST(signature_errors_keep_server_details_but_not_the_signature)
{
    mock_push_str(
        mock, 403, "x-amz-request-id: 4442587FB7D0A2F9\r\nx-amz-id-2: HOSTID\r\n",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
        "<Message>The request signature we calculated does not match the signature you "
        "provided.</Message>"
        "<AWSAccessKeyId>AKIDEXAMPLE</"
        "AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20241122T182640Z</StringToSign>"
        "<SignatureProvided>0123456789abcdef0123456789abcdef</SignatureProvided>"
        "<CanonicalRequest>PUT\n/bkt/k</CanonicalRequest><RequestId>4442587FB7D0A2F9</RequestId></"
        "Error>");
    ck_assert_int_eq(skycrate_object_put(NULL, client, "bkt", "k", "x", 1, NULL),
                     SKYCRATE_ESIGNATURE);
    const skycrate_response_info *i = skycrate_client_last_response(client);
    ck_assert_int_eq(i->http_status, 403);
    ck_assert_str_eq(i->s3_code, "SignatureDoesNotMatch");
    ck_assert_str_eq(i->request_id, "4442587FB7D0A2F9");
    ck_assert_str_eq(i->host_id, "HOSTID");
    ck_assert_str_eq(i->string_to_sign, "AWS4-HMAC-SHA256\n20241122T182640Z");
    ck_assert_str_eq(i->canonical_request, "PUT\n/bkt/k");
    ck_assert_uint_eq(i->attempts, 1);
    const char *msg = skycrate_error_last()->message;
    ck_assert_ptr_nonnull(strstr(msg, "SignatureDoesNotMatch"));
    ck_assert_ptr_null(strstr(msg, "0123456789abcdef"));
    ck_assert_ptr_null(strstr(i->string_to_sign, "0123456789abcdef"));
}
END_TEST

START_TEST(non_xml_error_bodies_are_reported_by_status)
{
    mock_push_str(mock, 404, "", "<html><body>Not Found</body></html>");
    ck_assert_int_eq(skycrate_object_delete(client, "bkt", "k"), SKYCRATE_ENOTFOUND);
    ck_assert_str_eq(skycrate_client_last_response(client)->s3_code, "");
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "HTTP 404"));
    mock_push_str(mock, 404, "", ""); /* HEAD: no body at all */
    skycrate_object_info *info = (skycrate_object_info *)1;
    ck_assert_int_eq(skycrate_object_head(&info, client, "bkt", "k"), SKYCRATE_ENOTFOUND);
    ck_assert_ptr_null(info);
}
END_TEST

typedef struct {
    char data[256];
    size_t len;
    int fail;
} sink_state;

static int collect(const void *d, size_t n, void *ud)
{
    sink_state *s = ud;
    if (s->fail)
        return SKYCRATE_EUSER;
    ck_assert_uint_le(s->len + n, sizeof(s->data));
    memcpy(s->data + s->len, d, n);
    s->len += n;
    return 0;
}

START_TEST(bodies_stream_to_the_sink_and_errors_do_not)
{
    sink_state s = {"", 0, 0};
    const char *body = "a body longer than one mock chunk of seven bytes";
    mock_push_str(mock, 200, "", body);
    ck_assert_sky_ok(skycrate_object_get_stream(client, "bkt", "k", collect, &s));
    ck_assert_uint_eq(s.len, strlen(body));
    ck_assert_mem_eq(s.data, body, s.len);

    s.len = 0;
    mock_push_str(mock, 404, "",
                  "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
                  "exist.</Message></Error>");
    ck_assert_int_eq(skycrate_object_get_stream(client, "bkt", "k", collect, &s),
                     SKYCRATE_ENOTFOUND);
    ck_assert_uint_eq(s.len, 0);
    ck_assert_str_eq(skycrate_client_last_response(client)->s3_code, "NoSuchKey");

    s.fail = 1;
    mock_push_str(mock, 200, "", body);
    ck_assert_int_eq(skycrate_object_get_stream(client, "bkt", "k", collect, &s), SKYCRATE_EUSER);
    ck_assert_uint_eq(mock_request_count(mock), 3); /* a sink failure is not retried */
}
END_TEST

START_TEST(get_to_memory_is_nul_terminated)
{
    mock_push_str(mock, 200, "", "payload");
    void *data;
    size_t len;
    ck_assert_sky_ok(skycrate_object_get(&data, &len, client, "bkt", "k"));
    ck_assert_uint_eq(len, 7);
    ck_assert_str_eq(data, "payload");
    skycrate_free(data);
    mock_push_str(mock, 200, "", "");
    ck_assert_sky_ok(skycrate_object_get(&data, &len, client, "bkt", "empty"));
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(data, "");
    skycrate_free(data);
}
END_TEST

static const char list_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListBucketResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bkt</Name><Prefix>p/</Prefix>"
    "<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<Contents><Key>p/a "
    "b</Key><LastModified>2024-11-22T18:00:00.000Z</LastModified><ETag>\"e1\"</ETag>"
    "<Size>11</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>p/c&amp;d</Key><LastModified>2024-11-22T18:00:01.000Z</"
    "LastModified><ETag>\"e2\"</ETag>"
    "<Size>5368709120</Size><StorageClass>GLACIER</StorageClass></Contents></ListBucketResult>";

START_TEST(listing_pages_are_parsed)
{
    mock_push_str(mock, 200, "", list_page);
    skycrate_object_page *page;
    ck_assert_sky_ok(skycrate_object_list(&page, client, "bkt", "p/", "tok en", 2));
    ck_assert_str_eq(
        mock_request(mock, 0)->url,
        "http://127.0.0.1:7480/bkt?continuation-token=tok%20en&list-type=2&max-keys=2&prefix=p%2F");
    ck_assert_uint_eq(skycrate_object_page_count(page), 2);
    const skycrate_object_info *e = skycrate_object_page_entry(page, 1);
    ck_assert_str_eq(skycrate_object_info_key(e), "p/c&d");
    ck_assert_uint_eq(skycrate_object_info_size(e), 5368709120ULL);
    ck_assert_str_eq(skycrate_object_info_storage_class(e), "GLACIER");
    ck_assert_int_eq(skycrate_object_info_last_modified(e), 1732298401);
    ck_assert_ptr_null(skycrate_object_page_entry(page, 2));
    ck_assert_str_eq(skycrate_object_page_next_token(page),
                     "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    skycrate_object_page_free(page);

    mock_push_str(mock, 200, "",
                  "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
    ck_assert_int_eq(skycrate_object_list(&page, client, "bkt", NULL, NULL, 0), SKYCRATE_EPARSE);
    ck_assert_ptr_null(page);
    mock_push_str(mock, 200, "", "<html>proxy page</html>");
    ck_assert_int_eq(skycrate_object_list(&page, client, "bkt", NULL, NULL, 0), SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_object_list(&page, client, "bkt", NULL, NULL, 1001), SKYCRATE_EINVAL);
}
END_TEST

START_TEST(bucket_create_sends_location_constraint_except_us_east_1)
{
    mock_push_str(mock, 200, "", "");
    ck_assert_sky_ok(skycrate_bucket_create(client, "skycrate-a"));
    ck_assert_uint_eq(mock_request(mock, 0)->body_length, 0);
    ck_assert_str_eq(mock_request(mock, 0)->url, "http://127.0.0.1:7480/skycrate-a");

    skycrate_client_free(client);
    client = make_client(NULL, "eu-west-1", NULL);
    mock_push_str(mock, 200, "", "");
    ck_assert_sky_ok(skycrate_bucket_create(client, "skycrate-b"));
    const mock_req *r = mock_request(mock, 1);
    ck_assert_str_eq(r->url, "https://skycrate-b.s3.eu-west-1.amazonaws.com/");
    ck_assert_str_eq(
        (const char *)r->body,
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
    ck_assert_int_eq(skycrate_bucket_create(client, "Bad_Name"), SKYCRATE_EINVAL);
    /* The full creation rules apply, reserved prefixes and suffixes included. */
    ck_assert_int_eq(skycrate_bucket_create(client, "xn--bucket"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_bucket_create(client, "bucket-s3alias"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_bucket_create(client, "192.168.5.4"), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "IP address"));
    mock_push_str(mock, 409, "", "<Error><Code>BucketAlreadyExists</Code></Error>");
    ck_assert_int_eq(skycrate_bucket_create(client, "taken-name"), SKYCRATE_EEXISTS);
}
END_TEST

static int no_creds(skycrate_credentials **out, void *ud)
{
    (void)out;
    (void)ud;
    skycrate_error_set_str(SKYCRATE_ENOTFOUND, "vault has nothing");
    return SKYCRATE_ENOTFOUND;
}

START_TEST(missing_credentials_are_reported)
{
    skycrate_credentials_provider *p;
    ck_assert_sky_ok(skycrate_credentials_provider_new_delegate(&p, no_creds, NULL));
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, p));
    skycrate_credentials_provider_unref(p);
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_http_transport_unref(t);
    skycrate_client *c;
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    skycrate_client_config_free(cfg);
    ck_assert_int_eq(skycrate_object_delete(c, "bkt", "k"), SKYCRATE_EAUTH);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "no credentials"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "vault has nothing"));
    ck_assert_uint_eq(mock_request_count(mock), 0);
    skycrate_client_free(c);
}
END_TEST

START_TEST(configuration_is_checked)
{
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_int_eq(skycrate_client_config_set_region(cfg, "EU_WEST"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_client_config_set_endpoint(cfg, "ftp://x"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_client_config_set_retry(cfg, 0, 1, 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_client_config_set_retry(cfg, 3, 10, 1), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_client_config_set_addressing(cfg, (skycrate_addressing)7),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_client_config_set_user_agent_suffix(cfg, "bad\nua"), SKYCRATE_EINVAL);
    /* A handle of another kind is refused, not taken for a transport. */
    ck_assert_int_eq(skycrate_client_config_set_transport(cfg, (skycrate_http_transport *)cfg),
                     SKYCRATE_EINVAL);
    /* Plain http: to a loopback host as it is, elsewhere only when allowed. */
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_http_transport_unref(t);
    skycrate_client *c = (skycrate_client *)1;
    static const char *const loopback[] = {"http://127.0.0.1:9", "http://127.1.2.3",
                                           "http://localhost:9/p", "http://[::1]:9"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(loopback); i++) {
        ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, loopback[i]));
        ck_assert_sky_ok(skycrate_client_new(&c, cfg));
        skycrate_client_free(c);
    }
    static const char *const elsewhere[] = {"http://127.0.0.1.example.com:9", "http://10.0.0.1",
                                            "http://localhost.example.com", "http://[::2]:9"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(elsewhere); i++) {
        c = (skycrate_client *)1;
        ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, elsewhere[i]));
        ck_assert_int_eq(skycrate_client_new(&c, cfg), SKYCRATE_EINVAL);
        ck_assert_ptr_null(c);
        ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "allow_http"));
    }
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    ck_assert_str_eq(skycrate_client_region(c), "us-east-1");
    skycrate_client_free(c);
    skycrate_client_config_free(cfg);
    ck_assert_int_eq(skycrate_object_delete(NULL, "b", "k"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_object_put(NULL, client, "b", "", "x", 1, NULL), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(skycrate_client_last_response(NULL));
}
END_TEST

START_TEST(client_requires_global_init)
{
    skycrate_global_cleanup(); /* undo the fixture's */
    skycrate_client *c = NULL;
    ck_assert_int_eq(skycrate_client_new(&c, NULL), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "skycrate_global_init"));
    skycrate_global_init(&testalloc);
}
END_TEST

START_TEST(allocation_failures_leak_nothing)
{
    for (long n = 1;; n++) {
        mock_push_str(mock, 503, "", "<Error><Code>SlowDown</Code></Error>");
        mock_push_str(mock, 200, "ETag: \"e\"\r\nx-amz-request-id: R\r\n", "");
        skycrate_object_info *info = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_object_put(&info, client, "bkt", "some key", "body", 4, "text/plain");
        testalloc_fail_at(0);
        skycrate_object_info_free(info);
        while (mock_pending(mock) > 0) /* drain what the failed attempt left */
            skycrate_object_delete(client, "bkt", "k");
        if (rc == 0)
            break;
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld: rc %d (%s)", n, rc,
                      skycrate_error_last()->message);
        ck_assert_int_lt(n, 2000);
    }
}
END_TEST

START_TEST(endpoint_variants_are_configurable)
{
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_int_eq(skycrate_client_config_set_endpoint_flags(cfg, 1u << 7), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_client_config_set_endpoint_flags(cfg, SKYCRATE_ENDPOINT_DUALSTACK |
                                                                        SKYCRATE_ENDPOINT_FIPS));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "us-gov-west-1"));
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_credentials *creds;
    skycrate_credentials_provider *p;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, "AKID", "SECRET", NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&p, creds));
    skycrate_credentials_unref(creds);
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, p));
    skycrate_credentials_provider_unref(p);
    skycrate_client *c;
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    mock_push_str(mock, 204, "", "");
    ck_assert_sky_ok(skycrate_object_delete(c, "bkt", "k"));
    ck_assert_str_eq(mock_request(mock, 0)->url,
                     "https://bkt.s3-fips.dualstack.us-gov-west-1.amazonaws.com/k");
    skycrate_client_free(c);

    /* Without the setter, the environment decides. */
    skycrate_client_config_free(cfg);
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_http_transport_unref(t);
    setenv("AWS_USE_DUALSTACK_ENDPOINT", "true", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    unsetenv("AWS_USE_DUALSTACK_ENDPOINT");
    mock_push_str(mock, 204, "", "");
    ck_assert_sky_ok(skycrate_object_delete(c, "bkt", "k"));
    ck_assert_str_eq(mock_request(mock, 1)->url,
                     "https://bkt.s3.dualstack.eu-west-1.amazonaws.com/k");
    skycrate_client_free(c);
    skycrate_client_config_free(cfg);
}
END_TEST

static Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("requests");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, put_sends_signed_bytes);
    tcase_add_test(tc, session_token_is_sent_and_signed);
    tcase_add_test(tc, no_part_of_a_token_reaches_the_trace_log);
    tcase_add_test(tc, endpoint_variants_are_configurable);
    tcase_add_test(tc, bucket_create_sends_location_constraint_except_us_east_1);
    tcase_add_test(tc, listing_pages_are_parsed);
    tcase_add_test(tc, get_to_memory_is_nul_terminated);
    tcase_add_test(tc, bodies_stream_to_the_sink_and_errors_do_not);
    tcase_add_test(tc, header_values_are_checked_before_any_transport);
    suite_add_tcase(s, tc);
    tc = tcase_create("retries");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, throttling_is_retried_with_backoff);
    tcase_add_test(tc, retries_end_with_the_last_answer);
    tcase_add_test(tc, streams_are_never_replayed);
    tcase_add_test(tc, clock_skew_is_corrected_once);
    tcase_add_test(tc, large_date_offset_is_learnt_from_any_answer);
    tcase_add_test(tc, region_redirect_is_followed_and_remembered);
    tcase_add_test(tc, authorization_header_malformed_names_the_region);
    tcase_add_test(tc, a_redirect_to_a_malformed_region_is_not_followed);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, signature_errors_keep_server_details_but_not_the_signature);
    tcase_add_test(tc, non_xml_error_bodies_are_reported_by_status);
    tcase_add_test(tc, missing_credentials_are_reported);
    tcase_add_test(tc, configuration_is_checked);
    tcase_add_test(tc, client_requires_global_init);
    tcase_add_test(tc, allocation_failures_leak_nothing);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(request_suite)
