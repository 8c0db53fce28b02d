/*
 * The demo behind tools/demo, the seed's flow end to end against an S3 endpoint (a local
 * radosgw): a locked-down bucket provisioned for a user and recorded in the user store, a safe
 * key for an untrusted file name, a presigned PUT handed to a "browser" (plain libcurl, no S3
 * knowledge), the upload, a presigned GET to read it back, the usage report, and complete
 * deletion. Prints what happened at each step.
 *
 *   skycrate-demo [OPTIONS] ENDPOINT USERS_JSON   credentials from the environment or ~/.aws
 *
 * The options are those of the command-line programs about TLS (cli_tls.h): plain http only to
 * a loopback endpoint unless --allow-http, the CA certificates for the client and the browser.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <skycrate.h>

#include "cli_tls.h"

static int fail(const char *what, skycrate_client *client)
{
    const skycrate_response_info *r = skycrate_client_last_response(client);
    fprintf(stderr, "%s failed: %s\n", what, skycrate_error_last()->message);
    if (client && r->http_status)
        fprintf(stderr, "  S3 answered HTTP %d %s (request id %s)\n", r->http_status, r->s3_code,
                r->request_id);
    return 1;
}

typedef struct {
    const char *data;
    size_t len, pos;
    char got[256];
    size_t got_len;
} browser_io;

static size_t send_body(char *buf, size_t size, size_t n, void *ud)
{
    browser_io *io = ud;
    size_t k = io->len - io->pos < size * n ? io->len - io->pos : size * n;
    memcpy(buf, io->data + io->pos, k);
    io->pos += k;
    return k;
}

static size_t receive_body(char *data, size_t size, size_t n, void *ud)
{
    browser_io *io = ud;
    size_t k = size * n;
    if (io->got_len + k > sizeof(io->got))
        return 0;
    memcpy(io->got + io->got_len, data, k);
    io->got_len += k;
    return k;
}

/* What a browser does with a contract: the method, the URL, exactly the listed headers; it
 * trusts the CA certificates the client trusts. */
static long browser_send(const skycrate_presigned *contract, const cli_tls *tls, browser_io *io)
{
    CURL *curl = curl_easy_init();
    const char *ca_file, *ca_path;
    cli_tls_ca(tls, &ca_file, &ca_path);
    if (ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    if (ca_path)
        curl_easy_setopt(curl, CURLOPT_CAPATH, ca_path);
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < skycrate_presigned_header_count(contract); i++) {
        const char *name, *value;
        char line[1024];
        skycrate_presigned_header(&name, &value, contract, i);
        snprintf(line, sizeof(line), "%s: %s", name, value);
        headers = curl_slist_append(headers, line);
    }
    curl_easy_setopt(curl, CURLOPT_URL, skycrate_presigned_url(contract));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, receive_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, io);
    if (!strcmp(skycrate_presigned_method(contract), "PUT")) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, send_body);
        curl_easy_setopt(curl, CURLOPT_READDATA, io);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)io->len);
    }
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

static int usage(const char *program)
{
    fprintf(stderr, "usage: %s [OPTIONS] ENDPOINT USERS_JSON\n\nOptions:\n" CLI_TLS_HELP(""),
            program);
    return 2;
}

int main(int argc, char **argv)
{
    cli_tls tls = {NULL, NULL, 0};
    int first = cli_tls_parse(&tls, argc, argv, 2);
    if (first < 0)
        return usage(argv[0]);
    const char *endpoint = argv[first], *users_path = argv[first + 1];
    if (skycrate_global_init(NULL) < 0)
        return 1;
    int status = 1;
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_presigner *presigner = NULL;
    skycrate_presign_request *req = NULL;
    skycrate_presigned *put = NULL, *get = NULL;
    skycrate_provisioner_config *pcfg = NULL;
    skycrate_user_store *users = NULL;
    skycrate_provisioner *provisioner = NULL;
    skycrate_record *record = NULL;
    skycrate_usage_report *usage = NULL;
    skycrate_deprovision_report *gone = NULL;
    char *key = NULL, *json = NULL;
    char user[32];
    snprintf(user, sizeof(user), "user42-%ld", (long)time(NULL) % 100000);
    const char *body = "%PDF-1.4 pretend this is the quarterly report\n";

    if (skycrate_client_config_new(&cfg) < 0 || cli_tls_apply(&tls, cfg, endpoint) < 0 ||
        skycrate_client_new(&client, cfg) < 0 || skycrate_presigner_new(&presigner, client) < 0) {
        status = fail("setup", NULL);
        goto done;
    }
    printf("libskycrate %s, endpoint %s, region %s\n", skycrate_version_string(), endpoint,
           skycrate_client_region(client));

    /* A local radosgw speaks plain http (so no TLS-only policy), implements neither default
     * encryption nor ownership controls (compatible mode records them as skipped), and denies
     * every upload once BlockPublicAcls is set (a radosgw 16 bug), so that one flag is left off. */
    if (skycrate_provisioner_config_new(&pcfg) < 0 ||
        skycrate_user_store_new_file(&users, users_path, 0) < 0 ||
        skycrate_provisioner_config_set_store(pcfg, users) < 0 ||
        skycrate_provisioner_config_set_failure_mode(pcfg, SKYCRATE_FAILURE_MODE_COMPATIBLE) < 0 ||
        skycrate_provisioner_config_set_tls_only_policy(pcfg, 0) < 0 ||
        skycrate_provisioner_config_set_public_access_block(
            pcfg, SKYCRATE_PAB_ALL & ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS) < 0 ||
        skycrate_provisioner_config_add_cors_origin(pcfg, "http://localhost:8080") < 0 ||
        skycrate_provisioner_new(&provisioner, client, pcfg) < 0) {
        status = fail("provisioner", NULL);
        goto done;
    }
    if (skycrate_provisioner_provision(&record, provisioner, user) < 0) {
        status = fail("provision", client);
        goto done;
    }
    const char *bucket = skycrate_record_bucket(record);
    if (skycrate_record_to_json(&json, record, 0) < 0)
        goto done;
    printf("1. provisioned %s   %s\n   record in %s: %s\n", user, bucket, users_path, json);
    skycrate_free(json);
    json = NULL;

    if (skycrate_upload_key(&key, NULL, user, "../../etc/Report 2024.pdf") < 0) {
        status = fail("upload key", NULL);
        goto done;
    }
    printf(
        "2. key for the upload    %s   (from the untrusted name \"../../etc/Report 2024.pdf\")\n",
        key);

    if (skycrate_presign_request_new(&req, "PUT", bucket, key) < 0 ||
        skycrate_presign_request_add_header(req, "Content-Type", "application/pdf") < 0 ||
        skycrate_presign_request_set_expires(req, 900) < 0 ||
        skycrate_presigner_sign(&put, presigner, req) < 0 ||
        skycrate_presigned_to_json(&json, put, 0) < 0) {
        status = fail("presign PUT", NULL);
        goto done;
    }
    printf("3. upload contract       %s\n", json);

    browser_io io = {body, strlen(body), 0, "", 0};
    long http = browser_send(put, &tls, &io);
    printf("4. browser PUT           HTTP %ld (%zu bytes, only the contract's headers)\n", http,
           io.len);
    if (http != 200)
        goto done;

    skycrate_object_info *info = NULL;
    if (skycrate_object_head(&info, client, bucket, key) < 0) {
        status = fail("HeadObject", client);
        goto done;
    }
    printf("5. stored                %llu bytes, %s, ETag %s\n",
           (unsigned long long)skycrate_object_info_size(info),
           skycrate_object_info_content_type(info), skycrate_object_info_etag(info));
    skycrate_object_info_free(info);

    skycrate_presign_request_free(req);
    req = NULL;
    if (skycrate_presign_request_new(&req, "GET", bucket, key) < 0 ||
        skycrate_presigner_sign(&get, presigner, req) < 0) {
        status = fail("presign GET", NULL);
        goto done;
    }
    browser_io down = {NULL, 0, 0, "", 0};
    http = browser_send(get, &tls, &down);
    int same = http == 200 && down.got_len == io.len && !memcmp(down.got, body, io.len);
    printf("6. browser GET           HTTP %ld, %zu bytes, %s\n", http, down.got_len,
           same ? "identical to what was uploaded" : "DIFFERENT");

    if (skycrate_provisioner_usage(&usage, provisioner, user) < 0) {
        status = fail("usage", client);
        goto done;
    }
    printf("7. usage                 %llu object(s), %llu bytes\n",
           (unsigned long long)skycrate_usage_report_objects(usage),
           (unsigned long long)skycrate_usage_report_bytes(usage));
    if (skycrate_provisioner_deprovision(&gone, provisioner, user, 0) < 0) {
        status = fail("deprovision", client);
        goto done;
    }
    printf("8. deprovisioned         %llu version(s) deleted, bucket gone, record %s\n",
           (unsigned long long)skycrate_deprovision_report_versions(gone),
           skycrate_state_name(skycrate_record_state(skycrate_deprovision_report_record(gone))));
    status = same ? 0 : 1;
done:
    skycrate_deprovision_report_free(gone);
    skycrate_usage_report_free(usage);
    skycrate_record_free(record);
    skycrate_provisioner_free(provisioner);
    skycrate_provisioner_config_free(pcfg);
    skycrate_user_store_unref(users);
    skycrate_free(json);
    skycrate_free(key);
    skycrate_presigned_free(put);
    skycrate_presigned_free(get);
    skycrate_presign_request_free(req);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_global_cleanup();
    return status;
}
