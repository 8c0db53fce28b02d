/*
 * Unit tests of lib/s3/endpoint.c and lib/s3/errors.c: endpoint parsing, addressing, error mapping.
 */
#include <string.h>

#include "core/common.h"
#include "s3/endpoint.h"
#include "s3/errors.h"
#include "testutil.h"

static const struct {
    const char *url;
    int https;
    const char *host;
    unsigned port;
    const char *prefix;
} good_endpoints[] = {
    {"https://minio.example.com", 1, "minio.example.com", 0, ""},
    {"https://minio.example.com/", 1, "minio.example.com", 0, ""},
    {"https://minio.example.com:9000/prefix/", 1, "minio.example.com", 9000, "/prefix"},
    {"http://127.0.0.1:7480", 0, "127.0.0.1", 7480, ""},
    {"http://LOCALHOST:80/a/b", 0, "localhost", 0, "/a/b"},
    {"https://[::1]:8443/s3", 1, "[::1]", 8443, "/s3"},
    {"https://host:443", 1, "host", 0, ""},
};

START_TEST(endpoint_parses)
{
    skycrate__endpoint ep;
    ck_assert_sky_ok(skycrate__endpoint_parse(&ep, good_endpoints[_i].url));
    ck_assert_int_eq(ep.https, good_endpoints[_i].https);
    ck_assert_str_eq(ep.host, good_endpoints[_i].host);
    ck_assert_uint_eq(ep.port, good_endpoints[_i].port);
    ck_assert_str_eq(ep.path_prefix, good_endpoints[_i].prefix);
    skycrate__endpoint_dispose(&ep);
}
END_TEST

static const char *bad_endpoints[] = {
    "",
    "minio.example.com",
    "ftp://host",
    "https://",
    "https://:9000",
    "https://host:0",
    "https://host:65536",
    "https://host:12ab",
    "https://host?x=1",
    "https://host/p#frag",
    "https://[::1",
    "https://[zz]:1",
    "https://ho st",
};

START_TEST(endpoint_rejects_malformed)
{
    skycrate__endpoint ep;
    ck_assert_int_eq(skycrate__endpoint_parse(&ep, bad_endpoints[_i]), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "endpoint"));
}
END_TEST

static const struct {
    const char *endpoint; /* NULL: AWS */
    const char *region;
    skycrate_addressing addressing;
    uint32_t flags;
    const char *bucket, *key;
    const char *host, *base, *path;
} targets[] = {
    /* AWS: regional virtual-hosted */
    {NULL, "eu-west-1", SKYCRATE_ADDRESSING_AUTO, 0, "skycrate-u42", "a/b c.pdf",
     "skycrate-u42.s3.eu-west-1.amazonaws.com", "https://skycrate-u42.s3.eu-west-1.amazonaws.com",
     "/a/b c.pdf"},
    {NULL, "us-east-1", SKYCRATE_ADDRESSING_AUTO, 0, "bkt", NULL, "bkt.s3.us-east-1.amazonaws.com",
     "https://bkt.s3.us-east-1.amazonaws.com", "/"},
    {NULL, "cn-north-1", SKYCRATE_ADDRESSING_AUTO, 0, "bkt", "k",
     "bkt.s3.cn-north-1.amazonaws.com.cn", "https://bkt.s3.cn-north-1.amazonaws.com.cn", "/k"},
    {NULL, "us-gov-west-1", SKYCRATE_ADDRESSING_AUTO, SKYCRATE__ENDPOINT_FIPS, "bkt", "k",
     "bkt.s3-fips.us-gov-west-1.amazonaws.com", "https://bkt.s3-fips.us-gov-west-1.amazonaws.com",
     "/k"},
    {NULL, "eu-west-1", SKYCRATE_ADDRESSING_AUTO, SKYCRATE__ENDPOINT_DUALSTACK, "bkt", "k",
     "bkt.s3.dualstack.eu-west-1.amazonaws.com", "https://bkt.s3.dualstack.eu-west-1.amazonaws.com",
     "/k"},
    /* dotted names over https: path style */
    {NULL, "eu-west-1", SKYCRATE_ADDRESSING_AUTO, 0, "my.bucket", "k", "s3.eu-west-1.amazonaws.com",
     "https://s3.eu-west-1.amazonaws.com", "/my.bucket/k"},
    {NULL, "eu-west-1", SKYCRATE_ADDRESSING_VIRTUAL, 0, "my.bucket", "k",
     "s3.eu-west-1.amazonaws.com", "https://s3.eu-west-1.amazonaws.com", "/my.bucket/k"},
    /* names that are not DNS-compatible: path style */
    {NULL, "eu-west-1", SKYCRATE_ADDRESSING_AUTO, 0, "Legacy_Bucket", "k",
     "s3.eu-west-1.amazonaws.com", "https://s3.eu-west-1.amazonaws.com", "/Legacy_Bucket/k"},
    {NULL, "eu-west-1", SKYCRATE_ADDRESSING_PATH, 0, "bkt", "k", "s3.eu-west-1.amazonaws.com",
     "https://s3.eu-west-1.amazonaws.com", "/bkt/k"},
    {NULL, "eu-west-1", SKYCRATE_ADDRESSING_PATH, 0, "bkt", NULL, "s3.eu-west-1.amazonaws.com",
     "https://s3.eu-west-1.amazonaws.com", "/bkt"},
    /* custom endpoints: path style in auto; port and prefix kept */
    {"http://127.0.0.1:7480", "us-east-1", SKYCRATE_ADDRESSING_AUTO, 0, "bkt", "//a//b",
     "127.0.0.1:7480", "http://127.0.0.1:7480", "/bkt///a//b"},
    {"http://127.0.0.1:7480", "us-east-1", SKYCRATE_ADDRESSING_VIRTUAL, 0, "bkt", "k",
     "127.0.0.1:7480", "http://127.0.0.1:7480", "/bkt/k"},
    {"https://minio.example.com:9000/prefix", "us-east-1", SKYCRATE_ADDRESSING_AUTO, 0, "bkt", "k",
     "minio.example.com:9000", "https://minio.example.com:9000", "/prefix/bkt/k"},
    {"https://minio.example.com:9000/prefix", "us-east-1", SKYCRATE_ADDRESSING_VIRTUAL, 0, "bkt",
     "k", "bkt.minio.example.com:9000", "https://bkt.minio.example.com:9000", "/prefix/k"},
    {"http://s3.local", "us-east-1", SKYCRATE_ADDRESSING_VIRTUAL, 0, "dotted.name", "k",
     "dotted.name.s3.local", "http://dotted.name.s3.local", "/k"},
    {"https://s3.local", "us-east-1", SKYCRATE_ADDRESSING_AUTO, 0, NULL, NULL, "s3.local",
     "https://s3.local", "/"},
};

START_TEST(target_resolves)
{
    skycrate__endpoint ep;
    const skycrate__endpoint *epp = NULL;
    if (targets[_i].endpoint) {
        ck_assert_sky_ok(skycrate__endpoint_parse(&ep, targets[_i].endpoint));
        epp = &ep;
    }
    skycrate__target t;
    ck_assert_sky_ok(skycrate__target_resolve(&t, epp, targets[_i].region, targets[_i].addressing,
                                              targets[_i].flags, targets[_i].bucket,
                                              targets[_i].key));
    ck_assert_str_eq(skycrate__buf_cstr(&t.host), targets[_i].host);
    ck_assert_str_eq(skycrate__buf_cstr(&t.base), targets[_i].base);
    ck_assert_str_eq(skycrate__buf_cstr(&t.path), targets[_i].path);
    skycrate__target_dispose(&t);
    if (epp)
        skycrate__endpoint_dispose(&ep);
}
END_TEST

START_TEST(dns_compatibility)
{
    ck_assert(skycrate__bucket_dns_compatible("abc"));
    ck_assert(skycrate__bucket_dns_compatible("skycrate-user42-1732300000"));
    ck_assert(skycrate__bucket_dns_compatible("a.b.c"));
    ck_assert(!skycrate__bucket_dns_compatible("ab"));
    ck_assert(!skycrate__bucket_dns_compatible("Abc"));
    ck_assert(!skycrate__bucket_dns_compatible("a_b"));
    ck_assert(!skycrate__bucket_dns_compatible("-ab"));
    ck_assert(!skycrate__bucket_dns_compatible("ab-"));
    ck_assert(!skycrate__bucket_dns_compatible("a..b"));
    ck_assert(!skycrate__bucket_dns_compatible("a.-b"));
    ck_assert(!skycrate__bucket_dns_compatible("192.168.1.1"));
    char long_name[65];
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    ck_assert(!skycrate__bucket_dns_compatible(long_name));
    long_name[63] = '\0';
    ck_assert(skycrate__bucket_dns_compatible(long_name));
    ck_assert(skycrate__host_is_ip("10.0.0.1"));
    ck_assert(skycrate__host_is_ip("[::1]"));
    ck_assert(!skycrate__host_is_ip("s3.amazonaws.com"));
}
END_TEST

static const struct {
    int status;
    const char *code;
    int expected;
} mappings[] = {
    {404, "NoSuchBucket", SKYCRATE_ENOTFOUND},
    {404, "NoSuchKey", SKYCRATE_ENOTFOUND},
    {404, NULL, SKYCRATE_ENOTFOUND},
    {409, "BucketAlreadyExists", SKYCRATE_EEXISTS},
    {409, "BucketAlreadyOwnedByYou", SKYCRATE_EEXISTS},
    {409, "BucketNotEmpty", SKYCRATE_ECONFLICT},
    {403, "AccessDenied", SKYCRATE_EACCESS},
    {403, NULL, SKYCRATE_EACCESS},
    {403, "SignatureDoesNotMatch", SKYCRATE_ESIGNATURE},
    {403, "RequestTimeTooSkewed", SKYCRATE_ESKEW},
    {403, "InvalidAccessKeyId", SKYCRATE_EAUTH},
    {400, "ExpiredToken", SKYCRATE_EEXPIRED},
    {403, "Request has expired", SKYCRATE_EACCESS},
    {400, "InvalidArgument", SKYCRATE_EINVAL},
    {501, "NotImplemented", SKYCRATE_ENOTIMPL},
    {405, "MethodNotAllowed", SKYCRATE_ENOTIMPL},
    {503, "SlowDown", SKYCRATE_ETHROTTLED},
    {301, "PermanentRedirect", SKYCRATE_EREGION},
    {400, "AuthorizationHeaderMalformed", SKYCRATE_EREGION},
    {500, "InternalError", SKYCRATE_EHTTP},
    {418, "Teapot", SKYCRATE_EHTTP},
};

START_TEST(s3_codes_map_to_library_codes)
{
    ck_assert_int_eq(skycrate__s3_map_error(mappings[_i].status, mappings[_i].code),
                     mappings[_i].expected);
}
END_TEST

START_TEST(retryable_answers)
{
    ck_assert(skycrate__s3_retryable(503, "SlowDown"));
    ck_assert(skycrate__s3_retryable(400, "RequestTimeout"));
    ck_assert(skycrate__s3_retryable(500, "InternalError"));
    ck_assert(skycrate__s3_retryable(502, NULL));
    ck_assert(skycrate__s3_retryable(429, NULL));
    ck_assert(skycrate__s3_retryable(409, "OperationAborted"));
    ck_assert(!skycrate__s3_retryable(409, "BucketNotEmpty"));
    ck_assert(!skycrate__s3_retryable(501, "NotImplemented"));
    ck_assert(!skycrate__s3_retryable(403, "AccessDenied"));
    ck_assert(!skycrate__s3_retryable(404, NULL));
}
END_TEST

static Suite *endpoint_suite(void)
{
    Suite *s = suite_create("endpoint");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, endpoint_parses, 0, (int)SKYCRATE_ARRAY_SIZE(good_endpoints));
    tcase_add_loop_test(tc, endpoint_rejects_malformed, 0, (int)SKYCRATE_ARRAY_SIZE(bad_endpoints));
    suite_add_tcase(s, tc);
    tc = tcase_create("addressing");
    tcase_add_loop_test(tc, target_resolves, 0, (int)SKYCRATE_ARRAY_SIZE(targets));
    tcase_add_test(tc, dns_compatibility);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, s3_codes_map_to_library_codes, 0, (int)SKYCRATE_ARRAY_SIZE(mappings));
    tcase_add_test(tc, retryable_answers);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(endpoint_suite)
