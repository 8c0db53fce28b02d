/*
 * A custom HTTP transport: what an application writes to send libskycrate's requests through
 * its own HTTP stack (a proxy, an event loop, a test double). This one uses libcurl's easy
 * interface directly and counts the requests it carries.
 *
 *   skycrate-custom-transport [OPTIONS] ENDPOINT BUCKET   credentials from the environment
 *
 * The options are those of the command-line programs about TLS (cli_tls.h): plain http only to
 * a loopback endpoint unless --allow-http (the client checks the endpoint whatever the
 * transport), the CA certificates to trust (which a custom transport applies itself).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <skycrate.h>

#include "cli_tls.h"

typedef struct {
    CURL *curl;
    const char *ca_file, *ca_path; /* NULL: the system's */
    unsigned long requests;
} my_transport;

static size_t on_header(char *line, size_t size, size_t n, void *user_data)
{
    skycrate_http_response *resp = user_data;
    size_t len = size * n;
    int status;
    if (len > 5 && !strncmp(line, "HTTP/", 5) && sscanf(line, "HTTP/%*s %d", &status) == 1) {
        if (skycrate_http_response_set_status(resp, status) < 0)
            return 0;
    } else {
        const char *colon = memchr(line, ':', len);
        if (colon &&
            skycrate_http_response_add_header(resp, line, (size_t)(colon - line), colon + 1,
                                              len - (size_t)(colon + 1 - line)) < 0)
            return 0;
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *user_data)
{
    return skycrate_http_response_write_body(user_data, data, size * n) == 0 ? size * n : 0;
}

static size_t on_read(char *buf, size_t size, size_t n, void *user_data)
{
    size_t got = 0;
    if (skycrate_http_request_body_read(&got, user_data, buf, size * n) < 0)
        return CURL_READFUNC_ABORT;
    return got;
}

static int perform(skycrate_http_request *req, skycrate_http_response *resp, uint32_t flags,
                   void *user_data)
{
    (void)flags;
    my_transport *t = user_data;
    CURL *c = t->curl;
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; i < skycrate_http_request_header_count(req); i++) {
        const char *name, *value;
        char line[8192];
        skycrate_http_request_header(&name, &value, req, i);
        snprintf(line, sizeof(line), "%s: %s", name, value);
        headers = curl_slist_append(headers, line);
    }
    const char *method = skycrate_http_request_method(req);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, skycrate_http_request_url(req));
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* send the signed path byte for byte */
    if (t->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
    if (t->ca_path)
        curl_easy_setopt(c, CURLOPT_CAPATH, t->ca_path);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    uint64_t length = skycrate_http_request_body_length(req);
    if (length > 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, req);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    t->requests++;
    if (rc != CURLE_OK) {
        skycrate_error_set_str(SKYCRATE_ECONNECT, curl_easy_strerror(rc));
        return SKYCRATE_ECONNECT;
    }
    return 0;
}

static void destroy(void *user_data)
{
    my_transport *t = user_data;
    fprintf(stderr, "custom transport carried %lu request(s)\n", t->requests);
    curl_easy_cleanup(t->curl);
}

static int usage(const char *program)
{
    fprintf(stderr, "usage: %s [OPTIONS] ENDPOINT BUCKET\n\nOptions:\n" CLI_TLS_HELP(""), program);
    return 2;
}

int main(int argc, char **argv)
{
    cli_tls tls = {NULL, NULL, 0};
    int first = cli_tls_parse(&tls, argc, argv, 2);
    if (first < 0)
        return usage(argv[0]);
    const char *endpoint = argv[first], *bucket = argv[first + 1];
    if (skycrate_global_init(NULL) < 0)
        return 1;
    my_transport mine = {curl_easy_init(), NULL, NULL, 0};
    cli_tls_ca(&tls, &mine.ca_file, &mine.ca_path);
    skycrate_http_transport_callbacks callbacks = SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT;
    callbacks.perform = perform;
    callbacks.free = destroy;
    callbacks.user_data = &mine;
    skycrate_http_transport *transport = NULL;
    if (skycrate_http_transport_new(&transport, &callbacks) < 0) {
        fprintf(stderr, "failed: %s\n", skycrate_error_last()->message);
        curl_easy_cleanup(mine.curl);
        return 1;
    }

    int status = 1;
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    void *data = NULL;
    size_t len = 0;
    if (skycrate_client_config_new(&cfg) < 0 || cli_tls_apply(&tls, cfg, endpoint) < 0 ||
        skycrate_client_config_set_transport(cfg, transport) < 0 ||
        skycrate_client_new(&client, cfg) < 0 || skycrate_bucket_create(client, bucket) < 0 ||
        skycrate_object_put(NULL, client, bucket, "via custom transport.txt", "hi", 2,
                            "text/plain") < 0 ||
        skycrate_object_get(&data, &len, client, bucket, "via custom transport.txt") < 0 ||
        skycrate_object_delete(client, bucket, "via custom transport.txt") < 0 ||
        skycrate_bucket_delete(client, bucket) < 0) {
        fprintf(stderr, "failed: %s\n", skycrate_error_last()->message);
    } else {
        printf("round trip through the custom transport: %.*s\n", (int)len, (char *)data);
        status = len == 2 && !memcmp(data, "hi", 2) ? 0 : 1;
    }
    skycrate_free(data);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_http_transport_unref(transport); /* the last reference: calls destroy() */
    skycrate_global_cleanup();
    return status;
}
