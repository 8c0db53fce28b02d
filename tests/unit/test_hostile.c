/*
 * Hostile inputs at the public entry points that take a name, a URL, a header, a time, an
 * identifier or a file name (clients, objects, transfers, presigning, the doctor, provisioning,
 * credentials, users files), each with the exact code it must get: a row is (entry point,
 * input, code). Accepted neighbours of the refused inputs are rows too, so that a check that
 * refuses everything fails as well. Requests go to a transport that answers 200 to anything and
 * counts what it got: a refused input must not have sent a request.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testalloc.h"
#include "testutil.h"

static atomic_int sent;
static skycrate_client *client;
static skycrate_presigner *presigner;
static char dir[64], store_path[128];

static int answer_ok(skycrate_http_request *req, skycrate_http_response *resp, uint32_t flags,
                     void *user_data)
{
    (void)req, (void)flags, (void)user_data;
    atomic_fetch_add(&sent, 1);
    return skycrate_http_response_set_status(resp, 200);
}

static skycrate_http_transport *ok_transport(void)
{
    skycrate_http_transport_callbacks cb;
    ck_assert_sky_ok(
        skycrate_http_transport_callbacks_init(&cb, SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION));
    cb.perform = answer_ok;
    skycrate_http_transport *t = NULL;
    ck_assert_sky_ok(skycrate_http_transport_new(&t, &cb));
    return t;
}

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate_credentials *creds;
    skycrate_credentials_provider *provider;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, "AKIDEXAMPLE", "secret", NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_retry(cfg, 1, 1, 1));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_http_transport *t = ok_transport();
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_http_transport_unref(t);
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
    snprintf(dir, sizeof(dir), "/tmp/skycrate-hostile-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(store_path, sizeof(store_path), "%s/users.json", dir);
}

static void teardown(void)
{
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    char path[160];
    static const char *const names[] = {"users.json", "users.json.lock", "fifo", "a-dir"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (unlink(path) != 0)
            rmdir(path);
    }
    rmdir(dir);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

/* ---- the entry points, each taking one string ---- */

static int with_client_config(const char *in, int (*set)(skycrate_client_config *, const char *))
{
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    int rc = set(cfg, in);
    skycrate_client_config_free(cfg);
    return rc;
}

static int region(const char *in)
{
    return with_client_config(in, skycrate_client_config_set_region);
}

static int endpoint(const char *in)
{
    return with_client_config(in, skycrate_client_config_set_endpoint);
}

static int user_agent(const char *in)
{
    return with_client_config(in, skycrate_client_config_set_user_agent_suffix);
}

/* An endpoint as skycrate_client_new() takes it (plain http's rule). */
static int client_endpoint(const char *in)
{
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    skycrate_http_transport *t = ok_transport();
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_http_transport_unref(t);
    int rc = skycrate_client_config_set_endpoint(cfg, in);
    skycrate_client *c = NULL;
    if (rc == 0)
        rc = skycrate_client_new(&c, cfg);
    skycrate_client_free(c);
    skycrate_client_config_free(cfg);
    return rc;
}

static int put(const char *bucket, const char *key, const char *type)
{
    return skycrate_object_put(NULL, client, bucket, key, "x", 1, type);
}

static int object_bucket(const char *in)
{
    return put(in, "k", NULL);
}

static int object_key(const char *in)
{
    return put("skycrate-hostile", in, NULL);
}

static int content_type(const char *in)
{
    return put("skycrate-hostile", "k", in);
}

static int presign(const char *method, const char *bucket, const char *key)
{
    skycrate_presign_request *r = NULL;
    int rc = skycrate_presign_request_new(&r, method, bucket, key);
    skycrate_presigned *p = NULL;
    if (rc == 0)
        rc = skycrate_presigner_sign(&p, presigner, r);
    skycrate_presigned_free(p);
    skycrate_presign_request_free(r);
    return rc;
}

static int presign_method(const char *in)
{
    return presign(in, "skycrate-hostile", "k");
}

static int presign_bucket(const char *in)
{
    return presign("PUT", in, "k");
}

static int presign_key(const char *in)
{
    return presign("PUT", "skycrate-hostile", in);
}

/* An UploadPart URL for the input as its key. */
static int presign_part_key(const char *in)
{
    skycrate_presign_request *r = NULL;
    int rc = skycrate_presign_request_new(&r, "PUT", "skycrate-hostile", in);
    if (rc == 0)
        rc = skycrate_presign_request_set_upload_part(r, "2~upload", 1);
    skycrate_presigned *p = NULL;
    if (rc == 0)
        rc = skycrate_presigner_sign(&p, presigner, r);
    skycrate_presigned_free(p);
    skycrate_presign_request_free(r);
    return rc;
}

static int presign_with(int (*change)(skycrate_presign_request *, const char *), const char *in)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", "skycrate-hostile", "k"));
    int rc = change(r, in);
    skycrate_presigned *p = NULL;
    if (rc == 0)
        rc = skycrate_presigner_sign(&p, presigner, r);
    skycrate_presigned_free(p);
    skycrate_presign_request_free(r);
    return rc;
}

static int set_expires(skycrate_presign_request *r, const char *in)
{
    return skycrate_presign_request_set_expires(r, strtoll(in, NULL, 10));
}

static int presign_expires(const char *in)
{
    return presign_with(set_expires, in);
}

static int header_name(skycrate_presign_request *r, const char *in)
{
    return skycrate_presign_request_add_header(r, in, "v");
}

static int presign_header_name(const char *in)
{
    return presign_with(header_name, in);
}

static int header_value(skycrate_presign_request *r, const char *in)
{
    return skycrate_presign_request_add_header(r, "x-amz-meta-note", in);
}

static int presign_header_value(const char *in)
{
    return presign_with(header_value, in);
}

static int query_name(skycrate_presign_request *r, const char *in)
{
    return skycrate_presign_request_add_query(r, in, "v");
}

static int presign_query_name(const char *in)
{
    return presign_with(query_name, in);
}

static int upload_key_user(const char *in)
{
    char *key = NULL;
    int rc = skycrate_upload_key(&key, "uploads", in, "photo.jpg");
    skycrate_free(key);
    return rc;
}

static int upload_key_file(const char *in)
{
    char *key = NULL;
    int rc = skycrate_upload_key(&key, "uploads", "u42", in);
    if (rc == 0) /* whatever the name, the key is a safe one */
        ck_assert_msg(!strstr(key, "..") && !strpbrk(key, "\r\n\\") && key[0] != '/', "%s", key);
    skycrate_free(key);
    return rc;
}

/* skycrate_upload_key_to() into a buffer of the size the input names ("64" bytes, say). */
static int upload_key_to_cap(const char *in)
{
    char buf[SKYCRATE_UPLOAD_KEY_MAX + 1];
    size_t cap = (size_t)strtoul(in, NULL, 10), len = 0;
    ck_assert_uint_le(cap, sizeof(buf));
    return skycrate_upload_key_to(buf, cap, &len, "uploads", "u42", "photo.jpg");
}

static int upload_key_to_user(const char *in)
{
    char buf[SKYCRATE_UPLOAD_KEY_MAX + 1];
    return skycrate_upload_key_to(buf, sizeof(buf), NULL, "uploads", in, "photo.jpg");
}

/* skycrate_presigner_sign_json() of a request whose header value is the input. */
static int presign_json_header_value(const char *in)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", "skycrate-hostile", "k"));
    int rc = skycrate_presign_request_add_header(r, "x-amz-meta-note", in);
    char buf[4096];
    if (rc == 0)
        rc = skycrate_presigner_sign_json(buf, sizeof(buf), NULL, presigner, r, 0);
    skycrate_presign_request_free(r);
    return rc;
}

/* A clock offset in seconds, as the client takes it. */
static int clock_offset(const char *in)
{
    return skycrate_client_set_clock_offset(client, strtoll(in, NULL, 10));
}

static int with_provisioner_config(const char *in,
                                   int (*set)(skycrate_provisioner_config *, const char *))
{
    skycrate_provisioner_config *cfg;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    int rc = set(cfg, in);
    skycrate_provisioner_config_free(cfg);
    return rc;
}

static int cors_origin(const char *in)
{
    return with_provisioner_config(in, skycrate_provisioner_config_add_cors_origin);
}

static int bucket_prefix(const char *in)
{
    return with_provisioner_config(in, skycrate_provisioner_config_set_bucket_prefix);
}

static int credentials_key_id(const char *in)
{
    skycrate_credentials *c = NULL;
    int rc = skycrate_credentials_new(&c, in, "secret", NULL, 0);
    skycrate_credentials_unref(c);
    return rc;
}

static int credentials_token(const char *in)
{
    skycrate_credentials *c = NULL;
    int rc = skycrate_credentials_new(&c, "AKIDEXAMPLE", "secret", in, 0);
    skycrate_credentials_unref(c);
    return rc;
}

/* A user id, provisioned in dev mode (no request) into the store of the test's directory. */
static int user_id(const char *in)
{
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, store_path, 0));
    skycrate_provisioner_config *cfg;
    ck_assert_sky_ok(skycrate_provisioner_config_new(&cfg));
    ck_assert_sky_ok(skycrate_provisioner_config_set_store(cfg, store));
    ck_assert_sky_ok(skycrate_provisioner_config_set_dev_mode(cfg, 1));
    skycrate_provisioner *p = NULL;
    ck_assert_sky_ok(skycrate_provisioner_new(&p, NULL, cfg));
    int rc = skycrate_provisioner_provision(NULL, p, in);
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(cfg);
    skycrate_user_store_unref(store);
    return rc;
}

/* A users file name (relative to the test's directory; "" as it is): opened and read. */
static int store_file(const char *in)
{
    char path[160];
    if (*in)
        snprintf(path, sizeof(path), "%s/%s", dir, in);
    else
        path[0] = '\0';
    char fifo[160], sub[160];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    snprintf(sub, sizeof(sub), "%s/a-dir", dir);
    mkfifo(fifo, 0600);
    mkdir(sub, 0700);
    skycrate_user_store *store = NULL;
    int rc = skycrate_user_store_new_file(&store, path, 0);
    char *text = NULL;
    if (rc == 0)
        rc = skycrate_user_store_get(&text, store, "u");
    skycrate_free(text);
    skycrate_user_store_unref(store);
    return rc;
}

/* ---- transfers ---- */

/* One byte, then the end (user_data: an int, 1 before the byte is read). */
static int one_byte(size_t *nread_out, void *buf, size_t cap, void *user_data)
{
    int *left = user_data;
    ck_assert_uint_ge(cap, 1);
    memcpy(buf, "x", 1);
    *nread_out = (size_t)*left;
    *left = 0;
    return 0;
}

static int transfer_put(const char *bucket, const char *key, const char *type)
{
    skycrate_transfer_options *o = NULL;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    int rc = type ? skycrate_transfer_options_set_content_type(o, type) : 0, left = 1;
    if (rc == 0)
        rc = skycrate_transfer_upload_stream(NULL, client, bucket, key, o, 1, one_byte, &left);
    skycrate_transfer_options_free(o);
    return rc;
}

static int transfer_bucket(const char *in)
{
    return transfer_put(in, "k", NULL);
}

static int transfer_key(const char *in)
{
    return transfer_put("skycrate-hostile", in, NULL);
}

static int transfer_content_type(const char *in)
{
    return transfer_put("skycrate-hostile", "k", in);
}

static int upload_id(const char *in)
{
    skycrate_transfer_options *o = NULL;
    ck_assert_sky_ok(skycrate_transfer_options_new(&o));
    int rc = skycrate_transfer_options_set_upload_id(o, in);
    skycrate_transfer_options_free(o);
    return rc;
}

/* A file to upload (relative to the test's directory): opened before anything is sent. */
static int upload_file(const char *in)
{
    char path[160], sub[160];
    snprintf(path, sizeof(path), "%s/%s", dir, in);
    snprintf(sub, sizeof(sub), "%s/a-dir", dir);
    mkdir(sub, 0700);
    return skycrate_transfer_upload_file(NULL, client, "skycrate-hostile", "k", path, NULL);
}

/* Where a download goes (relative to the test's directory): checked before anything is sent. */
static int download_file(const char *in)
{
    char path[160], sub[160];
    snprintf(path, sizeof(path), "%s/%s", dir, in);
    snprintf(sub, sizeof(sub), "%s/a-dir", dir);
    mkdir(sub, 0700);
    return skycrate_transfer_download_file(NULL, client, "skycrate-hostile", "k", path, NULL);
}

/* ---- the doctor's case ---- */

static int with_case(const char *in, int (*set)(skycrate_doctor_case *, const char *))
{
    skycrate_doctor_case *c = NULL;
    ck_assert_sky_ok(skycrate_doctor_case_new(&c));
    int rc = set(c, in);
    skycrate_doctor_case_free(c);
    return rc;
}

static int sent_url(skycrate_doctor_case *c, const char *in)
{
    return skycrate_doctor_case_set_sent(c, "PUT", in);
}

static int doctor_url(const char *in)
{
    return with_case(in, sent_url);
}

static int sent_header_value(skycrate_doctor_case *c, const char *in)
{
    return skycrate_doctor_case_add_sent_header(c, "Content-Type", in);
}

static int doctor_header_value(const char *in)
{
    return with_case(in, sent_header_value);
}

static int doctor_origin(const char *in)
{
    return with_case(in, skycrate_doctor_case_set_origin);
}

/* One header name for the CORS rule's allowed (and exposed) headers. */
static int set_cors_header(skycrate_provisioner_config *cfg, const char *in)
{
    const char *names[] = {in};
    int rc = skycrate_provisioner_config_set_cors_allowed_headers(cfg, names, 1);
    int rc2 = skycrate_provisioner_config_set_cors_expose_headers(cfg, names, 1);
    ck_assert_int_eq(rc, rc2);
    return rc;
}

static int cors_header(const char *in)
{
    return with_provisioner_config(in, set_cors_header);
}

/* CORS methods, a number (SKYCRATE_CORS_METHOD_* bits). */
static int set_cors_methods(skycrate_provisioner_config *cfg, const char *in)
{
    return skycrate_provisioner_config_set_cors_methods(cfg, (uint32_t)strtoul(in, NULL, 0));
}

static int cors_methods(const char *in)
{
    return with_provisioner_config(in, set_cors_methods);
}

#define LONG64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct {
    const char *entry;
    int (*call)(const char *);
    const char *input;
    int code;
} rows[] = {
    /* regions: they become host names and the signing scope */
    {"region", region, "eu-west-1", 0},
    {"region", region, "EU-West-1", 0},
    {"region", region, "", SKYCRATE_EINVAL},
    {"region", region, "eu_west_1", SKYCRATE_EINVAL},
    {"region", region, "eu-west-1.evil.example", SKYCRATE_EINVAL},
    {"region", region, "eu-west-1#", SKYCRATE_EINVAL},
    {"region", region, "eu-west-1/x", SKYCRATE_EINVAL},
    {"region", region, "-eu", SKYCRATE_EINVAL},
    {"region", region, "eu-", SKYCRATE_EINVAL},
    {"region", region, "eu west", SKYCRATE_EINVAL},
    {"region", region, LONG64, SKYCRATE_EINVAL},
    /* endpoints */
    {"endpoint", endpoint, "https://s3.example.com:9000/prefix", 0},
    {"endpoint", endpoint, "https://[::1]:443", 0},
    {"endpoint", endpoint, "ftp://s3.example.com", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://s3.example.com:0", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://s3.example.com:65536", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://s3.example.com?x=1", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://s3.example.com/p#f", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://user:pw@s3.example.com", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://s3 example.com", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://[::1", SKYCRATE_EINVAL},
    {"endpoint", endpoint, "https://[nonsense]", SKYCRATE_EINVAL},
    {"client endpoint", client_endpoint, "http://127.0.0.1:7480", 0},
    {"client endpoint", client_endpoint, "http://localhost", 0},
    {"client endpoint", client_endpoint, "http://s3.example.com", SKYCRATE_EINVAL},
    {"client endpoint", client_endpoint, "http://127.0.0.1.evil.example", SKYCRATE_EINVAL},
    {"user agent", user_agent, "myapp/1.2", 0},
    {"user agent", user_agent, "myapp\r\nX-Evil: 1", SKYCRATE_EINVAL},
    /* object requests */
    {"object bucket", object_bucket, "skycrate-u42", 0},
    {"object bucket", object_bucket, "", SKYCRATE_EINVAL},
    {"object bucket", object_bucket, "ab", SKYCRATE_EINVAL},
    /* names of legacy us-east-1 buckets still exist: addressable, never created */
    {"object bucket", object_bucket, "Upper-Case", 0},
    {"object bucket", object_bucket, "a..b_c", 0},
    {"object bucket", object_bucket, "evil.example/x", SKYCRATE_EINVAL},
    {"object bucket", object_bucket, "evil.example#", SKYCRATE_EINVAL},
    {"object bucket", object_bucket, "192.168.1.1", 0},
    {"object bucket", object_bucket, "evil.example?x", SKYCRATE_EINVAL},
    {"object bucket", object_bucket, "a b", SKYCRATE_EINVAL},
    {"object key", object_key, "uploads/a b/../c?d#e", 0},
    {"object key", object_key, "", SKYCRATE_EINVAL},
    {"object key", object_key, "bad\xc3(utf8", SKYCRATE_EINVAL},
    {"content type", content_type, "text/plain; charset=utf-8", 0},
    {"content type", content_type, "text/plain\r\nx-amz-acl: public-read", SKYCRATE_EINVAL},
    {"content type", content_type, "text/plain\n", SKYCRATE_EINVAL},
    {"content type", content_type, "caf\xc3\xa9", SKYCRATE_EINVAL},
    /* presigning */
    {"presign method", presign_method, "PUT", 0},
    {"presign method", presign_method, "", SKYCRATE_EINVAL},
    {"presign method", presign_method, "P UT", SKYCRATE_EINVAL},
    {"presign method", presign_method, "PUT\r\n", SKYCRATE_EINVAL},
    {"presign bucket", presign_bucket, "skycrate-u42", 0},
    {"presign bucket", presign_bucket, "evil.example/x", SKYCRATE_EINVAL},
    {"presign bucket", presign_bucket, "", SKYCRATE_EINVAL},
    {"presign key", presign_key, "a/b c", 0},
    {"presign key", presign_key, "", 0}, /* the bucket itself (ListObjectsV2, HeadBucket) */
    {"presign part key", presign_part_key, "a/b c", 0},
    {"presign part key", presign_part_key, "", SKYCRATE_EINVAL},
    {"presign key", presign_key, "\xff\xfe", SKYCRATE_EINVAL},
    {"presign expires", presign_expires, "1", 0},
    {"presign expires", presign_expires, "604800", 0},
    {"presign expires", presign_expires, "0", SKYCRATE_EINVAL},
    {"presign expires", presign_expires, "-1", SKYCRATE_EINVAL},
    {"presign expires", presign_expires, "604801", SKYCRATE_EINVAL},
    {"presign header name", presign_header_name, "x-amz-meta-a", 0},
    {"presign header name", presign_header_name, "", SKYCRATE_EINVAL},
    {"presign header name", presign_header_name, "a b", SKYCRATE_EINVAL},
    {"presign header name", presign_header_name, "a:b", SKYCRATE_EINVAL},
    {"presign header name", presign_header_name, "host", SKYCRATE_EINVAL},
    {"presign header name", presign_header_name, "Authorization", SKYCRATE_EINVAL},
    {"presign header name", presign_header_name, "x-amz-date", SKYCRATE_EINVAL},
    {"presign header value", presign_header_value, "a b\tc", 0},
    {"presign header value", presign_header_value, "a\r\nx-amz-acl: public-read", SKYCRATE_EINVAL},
    {"presign header value", presign_header_value, "caf\xc3\xa9", SKYCRATE_EINVAL},
    {"presign query name", presign_query_name, "response-content-type", 0},
    {"presign query name", presign_query_name, "", SKYCRATE_EINVAL},
    {"presign query name", presign_query_name, "X-Amz-Signature", SKYCRATE_EINVAL},
    {"upload key user id", upload_key_user, "u42", 0},
    {"upload key user id", upload_key_user, "", SKYCRATE_EINVAL},
    {"upload key user id", upload_key_user, ".hidden", SKYCRATE_EINVAL},
    {"upload key user id", upload_key_user, "a/b", SKYCRATE_EINVAL},
    {"upload key file name", upload_key_file, "../../etc/passwd", 0},
    {"upload key file name", upload_key_file, "C:\\x\\..\\y.txt\r\n", 0},
    {"upload key file name", upload_key_file, "", 0},
    {"upload key to, buffer", upload_key_to_cap, "1025", 0},
    {"upload key to, buffer", upload_key_to_cap, "8", SKYCRATE_EINVAL},
    {"upload key to, user id", upload_key_to_user, "u42", 0},
    {"upload key to, user id", upload_key_to_user, "../u42", SKYCRATE_EINVAL},
    {"presign json header value", presign_json_header_value, "a b", 0},
    {"presign json header value", presign_json_header_value, "a\r\nx-amz-acl: public-read",
     SKYCRATE_EINVAL},
    {"clock offset", clock_offset, "-315576000", 0},
    {"clock offset", clock_offset, "315576001", SKYCRATE_EINVAL},
    {"clock offset", clock_offset, "-9223372036854775808", SKYCRATE_EINVAL},
    /* provisioning */
    {"cors origin", cors_origin, "https://app.example.com", 0},
    {"cors origin", cors_origin, "*", 0},
    {"cors origin", cors_origin, "ftp://app.example.com", SKYCRATE_EINVAL},
    {"cors origin", cors_origin, "https://app.example.com/path", SKYCRATE_EINVAL},
    {"cors origin", cors_origin, "https://a b", SKYCRATE_EINVAL},
    {"cors origin", cors_origin, "https://*.*.example.com", SKYCRATE_EINVAL},
    {"bucket prefix", bucket_prefix, "myapp", 0},
    {"bucket prefix", bucket_prefix, "", SKYCRATE_EINVAL},
    {"bucket prefix", bucket_prefix, "MyApp", SKYCRATE_EINVAL},
    {"bucket prefix", bucket_prefix, "my.app", SKYCRATE_EINVAL},
    {"bucket prefix", bucket_prefix, "xn--app", SKYCRATE_EINVAL},
    {"bucket prefix", bucket_prefix, "aaaaaaaaaaaaaaaaaaaaaaaaa", SKYCRATE_EINVAL},
    {"user id", user_id, "User 42@example.com", 0},
    {"user id", user_id, "", SKYCRATE_EINVAL},
    {"user id", user_id, "bad\xc3(utf8", SKYCRATE_EINVAL},
    /* credentials */
    {"access key id", credentials_key_id, "AKIDEXAMPLE", 0},
    {"access key id", credentials_key_id, "", SKYCRATE_EINVAL},
    {"access key id", credentials_key_id, "AKID/x", SKYCRATE_EINVAL},
    {"access key id", credentials_key_id, "AKID, Signature=x", SKYCRATE_EINVAL},
    {"session token", credentials_token, "FwoGZXIvYXdz+/=", 0},
    {"session token", credentials_token, "t\r\nX-Evil: 1", SKYCRATE_EINVAL},
    /* transfers */
    {"transfer bucket", transfer_bucket, "skycrate-u42", 0},
    {"transfer bucket", transfer_bucket, "evil.example/x", SKYCRATE_EINVAL},
    {"transfer bucket", transfer_bucket, "", SKYCRATE_EINVAL},
    {"transfer key", transfer_key, "a/b c", 0},
    {"transfer key", transfer_key, "", SKYCRATE_EINVAL},
    {"transfer key", transfer_key, "bad\xc3(utf8", SKYCRATE_EINVAL},
    {"transfer content type", transfer_content_type, "text/plain; charset=utf-8", 0},
    {"transfer content type", transfer_content_type, "text/plain\r\nx-amz-acl: public-read",
     SKYCRATE_EINVAL},
    {"transfer content type", transfer_content_type, "caf\xc3\xa9", SKYCRATE_EINVAL},
    {"upload id", upload_id, "2~abc.def_-", 0},
    {"upload id", upload_id, "", SKYCRATE_EINVAL},
    {"upload file", upload_file, "no-such-file", SKYCRATE_EIO},
    {"upload file", upload_file, "a-dir", SKYCRATE_EIO},
    {"download file", download_file, "no-such-dir/copy", SKYCRATE_EIO},
    /* the doctor's case */
    {"doctor url", doctor_url, "https://b.s3.amazonaws.com/k?X-Amz-Signature=0", 0},
    {"doctor url", doctor_url, "ftp://h/b/k", SKYCRATE_EINVAL},
    {"doctor url", doctor_url, "https://h/b/k\r\nX-Evil: 1", SKYCRATE_EINVAL},
    {"doctor url", doctor_url, "https://h/b k", SKYCRATE_EINVAL},
    {"doctor header value", doctor_header_value, "text/plain", 0},
    {"doctor header value", doctor_header_value, "a\r\nx-amz-acl: public-read", SKYCRATE_EINVAL},
    {"doctor origin", doctor_origin, "https://app.example.com", 0},
    {"doctor origin", doctor_origin, "javascript:x", SKYCRATE_EINVAL},
    {"cors header", cors_header, "content-type", 0},
    {"cors header", cors_header, "x-amz-meta-*", 0},
    {"cors header", cors_header, "", SKYCRATE_EINVAL},
    {"cors header", cors_header, "a b", SKYCRATE_EINVAL},
    {"cors header", cors_header, "x\r\nAccess-Control-Allow-Origin: *", SKYCRATE_EINVAL},
    {"cors header", cors_header, "**", SKYCRATE_EINVAL},
    {"cors header", cors_header, "a<b", SKYCRATE_EINVAL},
    {"cors methods", cors_methods, "0x1", 0},
    {"cors methods", cors_methods, "0", SKYCRATE_EINVAL},
    {"cors methods", cors_methods, "0x80000000", SKYCRATE_EINVAL},
    /* users files */
    {"store file", store_file, "users.json", SKYCRATE_ENOTFOUND},
    {"store file", store_file, "", SKYCRATE_EINVAL},
    {"store file", store_file, "a-dir", SKYCRATE_EIO},
    {"store file", store_file, "fifo", SKYCRATE_EIO},
    {"store file", store_file, "no-such-dir/users.json", SKYCRATE_EIO},
};

START_TEST(each_input_gets_its_code)
{
    int before = atomic_load(&sent);
    int rc = rows[_i].call(rows[_i].input);
    ck_assert_msg(rc == rows[_i].code, "%s '%s': %d (%s), expected %d", rows[_i].entry,
                  rows[_i].input, rc, skycrate_error_last()->message, rows[_i].code);
    if (rc < 0) {
        ck_assert_msg(atomic_load(&sent) == before, "%s '%s' was refused after a request went out",
                      rows[_i].entry, rows[_i].input);
        ck_assert_msg(skycrate_error_last()->message[0], "%s '%s': no message", rows[_i].entry,
                      rows[_i].input);
    }
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("inputs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, each_input_gets_its_code, 0, (int)(sizeof(rows) / sizeof(rows[0])));
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(hostile_suite)
