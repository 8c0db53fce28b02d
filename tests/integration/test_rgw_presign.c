/*
 * Integration tests of presigned URLs, POST policies and multipart uploads against radosgw
 * (which checks SigV4 strictly), with plain libcurl as the client that holds no credentials,
 * as a browser would: what the contract says works, and each way of breaking it is refused
 * with the S3 error code that names it.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rgwenv.h"
#include "testutil.h"

static skycrate_client *client;
static skycrate_presigner *presigner;
static char bucket[64];

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    client = rgw_client(NULL);
    rgw_bucket_name(bucket, sizeof(bucket), "presign");
    ck_assert_sky_ok(skycrate_bucket_create(client, bucket));
    ck_assert_sky_ok(skycrate_presigner_new(&presigner, client));
}

static void teardown(void)
{
    for (;;) {
        skycrate_object_page *page = NULL;
        if (skycrate_object_list(&page, client, bucket, NULL, NULL, 1000) < 0)
            break;
        size_t n = skycrate_object_page_count(page);
        for (size_t i = 0; i < n; i++)
            skycrate_object_delete(client, bucket,
                                   skycrate_object_info_key(skycrate_object_page_entry(page, i)));
        skycrate_object_page_free(page);
        if (n == 0)
            break;
    }
    skycrate_bucket_delete(client, bucket);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate_global_cleanup();
}

/* ---- a plain HTTP client -------------------------------------------------------------------- */

typedef struct {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char etag[256];
    char headers[8192];
} http_answer;

typedef struct {
    const char *data;
    size_t len, at;
} upload;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    http_answer *a = ud;
    a->body = realloc(a->body, a->len + size * n + 1);
    memcpy(a->body + a->len, p, size * n);
    a->len += size * n;
    a->body[a->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    http_answer *a = ud;
    size_t len = size * n, used = strlen(a->headers);
    if (used + len < sizeof(a->headers)) {
        memcpy(a->headers + used, p, len);
        a->headers[used + len] = '\0';
    }
    if (len > 5 && !strncasecmp(p, "etag:", 5)) {
        const char *v = p + 5;
        while (*v == ' ')
            v++;
        size_t vl = len - (size_t)(v - p);
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        snprintf(a->etag, sizeof(a->etag), "%.*s", (int)vl, v);
    }
    return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
    upload *u = ud;
    size_t want = size * n, left = u->len - u->at;
    if (want > left)
        want = left;
    memcpy(p, u->data + u->at, want);
    u->at += want;
    return want;
}

/* Sends `method` to `url` with exactly `headers` (NULL-terminated "Name: value"; libcurl's own
 * Content-Type, Expect and Accept are suppressed) and an optional body. */
static void http(http_answer *a, const char *method, const char *url, const char *const *headers,
                 const void *body, size_t body_len)
{
    memset(a, 0, sizeof(*a));
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    h = curl_slist_append(h, "Accept:");
    h = curl_slist_append(h, "Content-Type:");
    for (size_t i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    upload u = {body, body_len, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (!strcmp(method, "PUT")) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &u);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
    } else if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (!a->body)
        a->body = calloc(1, 1);
}

static void answer_free(http_answer *a)
{
    free(a->body);
    a->body = NULL;
}

/* The <Code> of an S3 error body, or "". */
static const char *s3_code(const http_answer *a)
{
    static char code[128];
    code[0] = '\0';
    const char *p = a->body ? strstr(a->body, "<Code>") : NULL;
    if (p) {
        p += 6;
        const char *e = strstr(p, "</Code>");
        if (e)
            snprintf(code, sizeof(code), "%.*s", (int)(e - p), p);
    }
    return code;
}

#define assert_refused(a, status_, code_)                                                          \
    do {                                                                                           \
        ck_assert_msg((a)->status == (status_) && !strcmp(s3_code(a), (code_)),                    \
                      "expected %d %s, got %ld %s: %s", (status_), (code_), (a)->status,           \
                      s3_code(a), (a)->body);                                                      \
    } while (0)

/* A contract for (method, key) with optional headers, as the server of an application makes. */
static skycrate_presigned *presign(const char *method, const char *key, const char *const *headers)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, method, bucket, key));
    for (size_t i = 0; headers && headers[i]; i += 2)
        ck_assert_sky_ok(skycrate_presign_request_add_header(r, headers[i], headers[i + 1]));
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, presigner, r));
    skycrate_presign_request_free(r);
    return c;
}

/* The contract's headers as curl header lines. */
static const char *const *contract_headers(const skycrate_presigned *c, char lines[][512])
{
    static const char *ptrs[16];
    size_t n = skycrate_presigned_header_count(c);
    ck_assert_uint_lt(n, 16);
    for (size_t i = 0; i < n; i++) {
        const char *name, *value;
        ck_assert_sky_ok(skycrate_presigned_header(&name, &value, c, i));
        snprintf(lines[i], 512, "%s: %s", name, value);
        ptrs[i] = lines[i];
    }
    ptrs[n] = NULL;
    return ptrs;
}

/* ---- presigned URLs ------------------------------------------------------------------------- */

static const char *keys[] = {
    "uploads/user42/report 2024.pdf",
    "unicode/ü日本語-é.txt",
    "plus+equals=amp&q?hash#pct%bang!star*quote'parens()comma,semi;colon:at@dollar$tilde~",
    "/leading-slash//double",
    "dots/./and/../kept",
};

START_TEST(put_get_head_delete)
{
    const char *key = keys[_i];
    char body[256];
    snprintf(body, sizeof(body), "presigned upload #%d of %s", _i, key);
    const char *ct[] = {"Content-Type", "text/plain; charset=utf-8", "x-amz-meta-user", "u42",
                        NULL};
    char lines[16][512];
    http_answer a;

    skycrate_presigned *put = presign("PUT", key, ct);
    http(&a, "PUT", skycrate_presigned_url(put), contract_headers(put, lines), body, strlen(body));
    ck_assert_msg(a.status == 200, "PUT %ld %s", a.status, a.body);
    ck_assert_str_ne(a.etag, "");
    answer_free(&a);
    skycrate_presigned_free(put);

    skycrate_presigned *get = presign("GET", key, NULL);
    ck_assert_uint_eq(skycrate_presigned_header_count(get), 0);
    http(&a, "GET", skycrate_presigned_url(get), NULL, NULL, 0);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(a.body, body);
    ck_assert_ptr_nonnull(strcasestr(a.headers, "content-type: text/plain; charset=utf-8"));
    ck_assert_ptr_nonnull(strcasestr(a.headers, "x-amz-meta-user: u42"));
    answer_free(&a);
    skycrate_presigned_free(get);

    skycrate_presigned *head = presign("HEAD", key, NULL);
    http(&a, "HEAD", skycrate_presigned_url(head), NULL, NULL, 0);
    ck_assert_int_eq(a.status, 200);
    char want[64];
    snprintf(want, sizeof(want), "content-length: %zu", strlen(body));
    ck_assert_ptr_nonnull(strcasestr(a.headers, want));
    answer_free(&a);
    skycrate_presigned_free(head);

    skycrate_presigned *del = presign("DELETE", key, NULL);
    http(&a, "DELETE", skycrate_presigned_url(del), NULL, NULL, 0);
    ck_assert_int_eq(a.status, 204);
    answer_free(&a);
    skycrate_presigned_free(del);

    get = presign("GET", key, NULL);
    http(&a, "GET", skycrate_presigned_url(get), NULL, NULL, 0);
    assert_refused(&a, 404, "NoSuchKey");
    answer_free(&a);
    skycrate_presigned_free(get);
}
END_TEST

/* Requests on the bucket itself (an empty key): ListObjectsV2 and HeadBucket, from the library
 * and from the example program without KEY. */
START_TEST(bucket_level_list_and_head)
{
    skycrate_presigned *put = presign("PUT", "listed/one.txt", NULL);
    http_answer a;
    http(&a, "PUT", skycrate_presigned_url(put), NULL, "1", 1);
    ck_assert_msg(a.status == 200, "PUT %ld %s", a.status, a.body);
    answer_free(&a);
    skycrate_presigned_free(put);

    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", bucket, ""));
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "list-type", "2"));
    ck_assert_sky_ok(skycrate_presign_request_add_query(r, "prefix", "listed/"));
    skycrate_presigned *list = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&list, presigner, r));
    skycrate_presign_request_free(r);
    http(&a, "GET", skycrate_presigned_url(list), NULL, NULL, 0);
    ck_assert_msg(a.status == 200, "GET %ld %s", a.status, a.body);
    ck_assert_ptr_nonnull(strstr(a.body, "<ListBucketResult"));
    ck_assert_ptr_nonnull(strstr(a.body, "<Key>listed/one.txt</Key>"));
    ck_assert_ptr_nonnull(strstr(a.body, "<KeyCount>1</KeyCount>"));
    answer_free(&a);
    skycrate_presigned_free(list);

    skycrate_presigned *head = presign("HEAD", "", NULL);
    http(&a, "HEAD", skycrate_presigned_url(head), NULL, NULL, 0);
    ck_assert_int_eq(a.status, 200);
    answer_free(&a);
    skycrate_presigned_free(head);

    /* the example program, without KEY */
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    const char *cli = getenv("SKYCRATE_PRESIGN_CLI");
    ck_assert_msg(cli != NULL, "SKYCRATE_PRESIGN_CLI is not set");
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' --endpoint '%s' --region '%s' --query list-type=2 GET '%s'",
             cli, rgw_env("SKYCRATE_TEST_ENDPOINT"), rgw_env("SKYCRATE_TEST_REGION"), bucket);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char url[4096] = "";
    ck_assert_ptr_nonnull(fgets(url, sizeof(url), p));
    ck_assert_int_eq(pclose(p), 0);
    url[strcspn(url, "\n")] = '\0';
    http(&a, "GET", url, NULL, NULL, 0);
    ck_assert_msg(a.status == 200, "GET %ld %s", a.status, a.body);
    ck_assert_ptr_nonnull(strstr(a.body, "<Key>listed/one.txt</Key>"));
    answer_free(&a);

    /* a POST form needs a key */
    snprintf(cmd, sizeof(cmd), "'%s' --endpoint '%s' POST '%s' 2>/dev/null", cli,
             rgw_env("SKYCRATE_TEST_ENDPOINT"), bucket);
    ck_assert_int_ne(system(cmd), 0);
    ck_assert_sky_ok(skycrate_object_delete(client, bucket, "listed/one.txt"));
}
END_TEST

START_TEST(response_overrides_and_fast_path)
{
    const char *key = "downloads/report 2024.pdf";
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, key, "%PDF-1.4", 8, "text/plain"));
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", bucket, key));
    ck_assert_sky_ok(
        skycrate_presign_request_add_query(r, "response-content-type", "application/pdf"));
    ck_assert_sky_ok(skycrate_presign_request_add_query(
        r, "response-content-disposition", "attachment; filename=\"report 2024.pdf\""));
    char url[4096];
    ck_assert_sky_ok(skycrate_presigner_sign_url(url, sizeof(url), NULL, presigner, r));
    http_answer a;
    http(&a, "GET", url, NULL, NULL, 0);
    ck_assert_msg(a.status == 200, "GET %ld %s", a.status, a.body);
    ck_assert_str_eq(a.body, "%PDF-1.4");
    ck_assert_ptr_nonnull(strcasestr(a.headers, "content-type: application/pdf"));
    ck_assert_ptr_nonnull(
        strcasestr(a.headers, "content-disposition: attachment; filename=\"report 2024.pdf\""));
    answer_free(&a);
    skycrate_presign_request_free(r);
}
END_TEST

/* ---- broken contracts are refused ----------------------------------------------------------- */

START_TEST(tampered_signature_is_refused)
{
    skycrate_presigned *put = presign("PUT", "tampered.txt", NULL);
    char *url = strdup(skycrate_presigned_url(put));
    char *sig = strstr(url, "X-Amz-Signature=") + strlen("X-Amz-Signature=");
    sig[0] = sig[0] == '0' ? '1' : '0';
    http_answer a;
    http(&a, "PUT", url, NULL, "x", 1);
    assert_refused(&a, 403, "SignatureDoesNotMatch");
    answer_free(&a);
    /* Another key under the same signature. */
    char *other = strdup(skycrate_presigned_url(put));
    char *k = strstr(other, "tampered.txt");
    k[0] = 'T';
    http(&a, "PUT", other, NULL, "x", 1);
    assert_refused(&a, 403, "SignatureDoesNotMatch");
    answer_free(&a);
    free(other);
    free(url);
    skycrate_presigned_free(put);
}
END_TEST

START_TEST(signed_header_must_be_sent_as_signed)
{
    const char *ct[] = {"Content-Type", "application/pdf", NULL};
    skycrate_presigned *put = presign("PUT", "report.pdf", ct);
    const char *url = skycrate_presigned_url(put);
    http_answer a;
    /* Sent with another value. */
    const char *other[] = {"Content-Type: image/png", NULL};
    http(&a, "PUT", url, other, "x", 1);
    assert_refused(&a, 403, "SignatureDoesNotMatch");
    answer_free(&a);
    /* Not sent at all. */
    http(&a, "PUT", url, NULL, "x", 1);
    assert_refused(&a, 403, "SignatureDoesNotMatch");
    answer_free(&a);
    /* Sent as the contract says: accepted. */
    char lines[16][512];
    http(&a, "PUT", url, contract_headers(put, lines), "x", 1);
    ck_assert_msg(a.status == 200, "PUT %ld %s", a.status, a.body);
    answer_free(&a);
    skycrate_presigned_free(put);
}
END_TEST

START_TEST(get_url_used_for_put_is_refused)
{
    skycrate_presigned *get = presign("GET", "wrong-method.txt", NULL);
    http_answer a;
    http(&a, "PUT", skycrate_presigned_url(get), NULL, "x", 1);
    assert_refused(&a, 403, "SignatureDoesNotMatch");
    answer_free(&a);
    http(&a, "DELETE", skycrate_presigned_url(get), NULL, NULL, 0);
    assert_refused(&a, 403, "SignatureDoesNotMatch");
    answer_free(&a);
    skycrate_presigned_free(get);
}
END_TEST

START_TEST(expired_url_is_refused)
{
    ck_assert_sky_ok(skycrate_object_put(NULL, client, bucket, "old.txt", "x", 1, NULL));
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "GET", bucket, "old.txt"));
    ck_assert_sky_ok(skycrate_presign_request_set_expires(r, 60));
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, (int64_t)time(NULL) - 600));
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, presigner, r));
    http_answer a;
    http(&a, "GET", skycrate_presigned_url(c), NULL, NULL, 0);
    assert_refused(&a, 403, "AccessDenied");
    answer_free(&a);
    skycrate_presigned_free(c);
    /* One second of validity, used after it. */
    ck_assert_sky_ok(skycrate_presign_request_set_expires(r, 1));
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, -1));
    ck_assert_sky_ok(skycrate_presigner_sign(&c, presigner, r));
    sleep(3);
    http(&a, "GET", skycrate_presigned_url(c), NULL, NULL, 0);
    assert_refused(&a, 403, "AccessDenied");
    answer_free(&a);
    skycrate_presigned_free(c);
    skycrate_presign_request_free(r);
}
END_TEST

START_TEST(wrong_secret_is_refused)
{
    skycrate_client *bad = rgw_client("not-the-secret");
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, bad));
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", bucket, "k"));
    skycrate_presigned *c = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign(&c, p, r));
    http_answer a;
    http(&a, "PUT", skycrate_presigned_url(c), NULL, "x", 1);
    assert_refused(&a, 403, "SignatureDoesNotMatch");
    answer_free(&a);
    skycrate_presigned_free(c);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
    skycrate_client_free(bad);
}
END_TEST

/* ---- POST policies -------------------------------------------------------------------------- */

/* Posts the form's fields, then a file part named `filename` with `data`; `content_type` (or
 * NULL) is added as a field when the form leaves it to the browser; `key` (or NULL) replaces
 * the value of the form's key field. */
static void post_form_key(http_answer *a, const skycrate_post_form *f, const char *content_type,
                          const char *key, const char *filename, const void *data, size_t len)
{
    memset(a, 0, sizeof(*a));
    CURL *c = curl_easy_init();
    curl_mime *mime = curl_mime_init(c);
    for (size_t i = 0; i < skycrate_post_form_field_count(f); i++) {
        const char *name, *value;
        ck_assert_sky_ok(skycrate_post_form_field(&name, &value, f, i));
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, name);
        curl_mime_data(part, key && !strcmp(name, "key") ? key : value, CURL_ZERO_TERMINATED);
    }
    if (content_type) {
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, "content-type");
        curl_mime_data(part, content_type, CURL_ZERO_TERMINATED);
    }
    curl_mimepart *file = curl_mime_addpart(mime);
    curl_mime_name(file, "file");
    curl_mime_filename(file, filename);
    curl_mime_data(file, data, len);
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, skycrate_post_form_url(f));
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "POST: %s", curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    curl_slist_free_all(h);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    if (!a->body)
        a->body = calloc(1, 1);
}

static void post_form(http_answer *a, const skycrate_post_form *f, const char *content_type,
                      const char *filename, const void *data, size_t len)
{
    post_form_key(a, f, content_type, NULL, filename, data, len);
}

static skycrate_post_form *sign_policy(uint64_t max_bytes, const char *content_type_prefix)
{
    skycrate_post_policy *p = NULL;
    ck_assert_sky_ok(skycrate_post_policy_new(&p, bucket));
    ck_assert_sky_ok(skycrate_post_policy_set_key_prefix(p, "uploads/user42/"));
    ck_assert_sky_ok(skycrate_post_policy_set_content_length_range(p, 1, max_bytes));
    if (content_type_prefix)
        ck_assert_sky_ok(skycrate_post_policy_set_content_type_prefix(p, content_type_prefix));
    ck_assert_sky_ok(skycrate_post_policy_set_success_action_status(p, 201));
    ck_assert_sky_ok(skycrate_post_policy_add_field(p, "x-amz-meta-user", "u42"));
    skycrate_post_form *f = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign_post(&f, presigner, p));
    skycrate_post_policy_free(p);
    return f;
}

START_TEST(post_policy_upload_within_range)
{
    skycrate_post_form *f = sign_policy(1024, "image/");
    char data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    http_answer a;
    post_form(&a, f, "image/png", "cat picture.png", data, sizeof(data));
    ck_assert_msg(a.status == 201, "POST %ld %s", a.status, a.body);
    ck_assert_ptr_nonnull(strstr(a.body, "<Key>uploads/user42/cat picture.png</Key>"));
    answer_free(&a);
    void *got = NULL;
    size_t len = 0;
    ck_assert_sky_ok(
        skycrate_object_get(&got, &len, client, bucket, "uploads/user42/cat picture.png"));
    ck_assert_uint_eq(len, sizeof(data));
    ck_assert_mem_eq(got, data, len);
    skycrate_free(got);
    skycrate_object_info *info = NULL;
    ck_assert_sky_ok(skycrate_object_head(&info, client, bucket, "uploads/user42/cat picture.png"));
    ck_assert_str_eq(skycrate_object_info_content_type(info), "image/png");
    skycrate_object_info_free(info);
    skycrate_post_form_free(f);
}
END_TEST

START_TEST(post_policy_refuses_what_it_does_not_allow)
{
    skycrate_post_form *f = sign_policy(1024, "image/");
    char data[2000];
    memset(data, 'x', sizeof(data));
    http_answer a;
    /* Over the size range. */
    post_form(&a, f, "image/png", "big.png", data, 1025);
    assert_refused(&a, 400, "EntityTooLarge");
    answer_free(&a);
    /* Under it. */
    post_form(&a, f, "image/png", "empty.png", data, 0);
    assert_refused(&a, 400, "EntityTooSmall");
    answer_free(&a);
    /* Another content type. */
    post_form(&a, f, "text/html", "page.png", data, 10);
    assert_refused(&a, 403, "AccessDenied");
    answer_free(&a);
    /* A key outside the prefix. */
    post_form_key(&a, f, "image/png", "elsewhere/${filename}", "x.png", data, 10);
    assert_refused(&a, 403, "AccessDenied");
    answer_free(&a);
    /* An exact key, and another one sent. */
    skycrate_post_policy *p = NULL;
    ck_assert_sky_ok(skycrate_post_policy_new(&p, bucket));
    ck_assert_sky_ok(skycrate_post_policy_set_key(p, "exact.txt"));
    skycrate_post_form *g = NULL;
    ck_assert_sky_ok(skycrate_presigner_sign_post(&g, presigner, p));
    skycrate_post_policy_free(p);
    post_form_key(&a, g, NULL, "other.txt", "x.txt", data, 10);
    assert_refused(&a, 403, "AccessDenied");
    answer_free(&a);
    post_form(&a, g, NULL, "x.txt", data, 10);
    ck_assert_msg(a.status == 204, "POST %ld %s", a.status, a.body);
    answer_free(&a);
    /* No object was made by any of these. */
    void *got = NULL;
    size_t len = 0;
    ck_assert_int_eq(skycrate_object_get(&got, &len, client, bucket, "uploads/user42/big.png"),
                     SKYCRATE_ENOTFOUND);
    skycrate_post_form_free(g);
    skycrate_post_form_free(f);
}
END_TEST

/* ---- multipart through presigned parts ------------------------------------------------------ */

START_TEST(multipart_through_presigned_parts)
{
    const char *key = "uploads/user42/big video.mp4";
    const size_t part = 5u * 1024 * 1024, total = 2 * part + 123457;
    unsigned char *data = malloc(total);
    unsigned state = 12345;
    for (size_t i = 0; i < total; i++)
        data[i] = (unsigned char)((state = state * 1103515245u + 12345u) >> 16);

    char *upload_id = NULL;
    ck_assert_sky_ok(skycrate_multipart_create(&upload_id, client, bucket, key, "video/mp4"));
    skycrate_presigned *parts[3];
    ck_assert_sky_ok(
        skycrate_presigner_sign_parts(parts, 3, presigner, bucket, key, upload_id, 1, 3600));
    char etags[3][256];
    const char *etag_ptrs[3];
    uint32_t numbers[3] = {1, 2, 3};
    /* The browser uploads the parts (here the last one first) and reports their ETags. */
    for (int k = 2; k >= 0; k--) {
        size_t off = (size_t)k * part, len = k == 2 ? total - 2 * part : part;
        http_answer a;
        http(&a, "PUT", skycrate_presigned_url(parts[k]), NULL, data + off, len);
        ck_assert_msg(a.status == 200, "part %d: %ld %s", k + 1, a.status, a.body);
        ck_assert_str_ne(a.etag, "");
        strcpy(etags[k], a.etag);
        etag_ptrs[k] = etags[k];
        answer_free(&a);
    }
    char *etag = NULL;
    ck_assert_sky_ok(
        skycrate_multipart_complete(&etag, client, bucket, key, upload_id, numbers, etag_ptrs, 3));
    skycrate_free(etag);

    skycrate_presigned *get = presign("GET", key, NULL);
    http_answer a;
    http(&a, "GET", skycrate_presigned_url(get), NULL, NULL, 0);
    ck_assert_int_eq(a.status, 200);
    ck_assert_uint_eq(a.len, total);
    ck_assert(memcmp(a.body, data, total) == 0);
    ck_assert_ptr_nonnull(strcasestr(a.headers, "content-type: video/mp4"));
    answer_free(&a);
    skycrate_presigned_free(get);
    for (int k = 0; k < 3; k++)
        skycrate_presigned_free(parts[k]);
    skycrate_free(upload_id);
    free(data);
}
END_TEST

START_TEST(multipart_abort_and_bad_parts)
{
    const char *key = "uploads/user42/abandoned.bin";
    char *upload_id = NULL;
    ck_assert_sky_ok(skycrate_multipart_create(&upload_id, client, bucket, key, NULL));
    skycrate_presigned *parts[1];
    ck_assert_sky_ok(
        skycrate_presigner_sign_parts(parts, 1, presigner, bucket, key, upload_id, 1, 600));
    http_answer a;
    http(&a, "PUT", skycrate_presigned_url(parts[0]), NULL, "part", 4);
    ck_assert_int_eq(a.status, 200);
    answer_free(&a);
    /* A wrong ETag: the upload is not completed. */
    uint32_t one = 1;
    const char *wrong[] = {"\"00000000000000000000000000000000\""};
    ck_assert_int_eq(
        skycrate_multipart_complete(NULL, client, bucket, key, upload_id, &one, wrong, 1),
        SKYCRATE_EINVAL);
    ck_assert_str_eq(skycrate_client_last_response(client)->s3_code, "InvalidPart");
    ck_assert_sky_ok(skycrate_multipart_abort(client, bucket, key, upload_id));
    /* The part URL of an aborted upload is refused. */
    http(&a, "PUT", skycrate_presigned_url(parts[0]), NULL, "part", 4);
    assert_refused(&a, 404, "NoSuchUpload");
    answer_free(&a);
    ck_assert_int_eq(skycrate_multipart_abort(client, bucket, key, upload_id), SKYCRATE_ENOTFOUND);
    skycrate_presigned_free(parts[0]);
    skycrate_free(upload_id);
}
END_TEST

/* ---- the example program -------------------------------------------------------------------- */

START_TEST(example_program_presigns_for_radosgw)
{
    const char *cli = getenv("SKYCRATE_PRESIGN_CLI");
    ck_assert_msg(cli != NULL, "SKYCRATE_PRESIGN_CLI is not set");
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "'%s' --endpoint '%s' --region '%s' --addressing path --expires 300 "
             "--header 'Content-Type: text/plain' PUT '%s' 'cli/hello world.txt'",
             cli, rgw_env("SKYCRATE_TEST_ENDPOINT"), rgw_env("SKYCRATE_TEST_REGION"), bucket);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char url[4096] = "";
    ck_assert_ptr_nonnull(fgets(url, sizeof(url), p));
    ck_assert_int_eq(pclose(p), 0);
    url[strcspn(url, "\n")] = '\0';
    const char *headers[] = {"Content-Type: text/plain", NULL};
    http_answer a;
    http(&a, "PUT", url, headers, "hello", 5);
    ck_assert_msg(a.status == 200, "PUT %ld %s", a.status, a.body);
    answer_free(&a);
    void *got = NULL;
    size_t len = 0;
    ck_assert_sky_ok(skycrate_object_get(&got, &len, client, bucket, "cli/hello world.txt"));
    ck_assert_mem_eq(got, "hello", 5);
    skycrate_free(got);
}
END_TEST

static Suite *rgw_presign_suite(void)
{
    Suite *s = suite_create("rgw_presign");
    TCase *tc = tcase_create("urls");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, put_get_head_delete, 0, (int)(sizeof(keys) / sizeof(keys[0])));
    tcase_add_test(tc, response_overrides_and_fast_path);
    tcase_add_test(tc, bucket_level_list_and_head);
    tcase_add_test(tc, example_program_presigns_for_radosgw);
    suite_add_tcase(s, tc);

    tc = tcase_create("refused");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tampered_signature_is_refused);
    tcase_add_test(tc, signed_header_must_be_sent_as_signed);
    tcase_add_test(tc, get_url_used_for_put_is_refused);
    tcase_add_test(tc, expired_url_is_refused);
    tcase_add_test(tc, wrong_secret_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("post_policy");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, post_policy_upload_within_range);
    tcase_add_test(tc, post_policy_refuses_what_it_does_not_allow);
    suite_add_tcase(s, tc);

    tc = tcase_create("multipart");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, multipart_through_presigned_parts);
    tcase_add_test(tc, multipart_abort_and_bad_parts);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(rgw_presign_suite)
