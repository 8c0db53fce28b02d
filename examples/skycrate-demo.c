/*
 * The demo behind tools/demo: against an S3 endpoint (a local radosgw), create a bucket, upload
 * and download an object through the library, and print what happened.
 *
 *   skycrate-demo ENDPOINT        credentials from the environment (AWS_ACCESS_KEY_ID, ...)
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <skycrate.h>

static int fail(const char *what, skycrate_client *client)
{
    const skycrate_response_info *r = skycrate_client_last_response(client);
    fprintf(stderr, "%s failed: %s\n", what, skycrate_error_last()->message);
    if (r->http_status)
        fprintf(stderr, "  S3 answered HTTP %d %s (request id %s)\n", r->http_status, r->s3_code,
                r->request_id);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ENDPOINT\n", argv[0]);
        return 2;
    }
    if (skycrate_global_init(NULL) < 0)
        return 1;
    int status = 1;
    skycrate_client *client = NULL;
    skycrate_client_config *cfg = NULL;
    char bucket[64];
    snprintf(bucket, sizeof(bucket), "skycrate-demo-%ld", (long)time(NULL));
    const char *key = "uploads/demo/hello world.txt";
    const char *body = "Hello from libskycrate!\n";

    if (skycrate_client_config_new(&cfg) < 0 ||
        skycrate_client_config_set_endpoint(cfg, argv[1]) < 0 ||
        skycrate_client_config_set_allow_http(cfg, 1) < 0 ||
        skycrate_client_config_set_region(cfg, "us-east-1") < 0 ||
        skycrate_client_new(&client, cfg) < 0) {
        fprintf(stderr, "client: %s\n", skycrate_error_last()->message);
        goto done;
    }
    printf("libskycrate %s, endpoint %s, region %s\n", skycrate_version_string(), argv[1],
           skycrate_client_region(client));

    if (skycrate_bucket_create(client, bucket) < 0) {
        status = fail("CreateBucket", client);
        goto done;
    }
    printf("created bucket      %s\n", bucket);

    skycrate_object_info *info = NULL;
    if (skycrate_object_put(&info, client, bucket, key, body, strlen(body), "text/plain") < 0) {
        status = fail("PutObject", client);
        goto done;
    }
    printf("uploaded            %s (%zu bytes, ETag %s, request id %s)\n", key, strlen(body),
           skycrate_object_info_etag(info), skycrate_client_last_response(client)->request_id);
    skycrate_object_info_free(info);

    void *data = NULL;
    size_t len = 0;
    if (skycrate_object_get(&data, &len, client, bucket, key) < 0) {
        status = fail("GetObject", client);
        goto done;
    }
    printf("downloaded          %zu bytes: %s", len, (char *)data);
    int same = len == strlen(body) && memcmp(data, body, len) == 0;
    skycrate_free(data);
    printf("round trip          %s\n", same ? "identical" : "DIFFERENT");

    skycrate_object_page *page = NULL;
    if (skycrate_object_list(&page, client, bucket, NULL, NULL, 0) < 0) {
        status = fail("ListObjectsV2", client);
        goto done;
    }
    printf("listing             %zu object(s)\n", skycrate_object_page_count(page));
    skycrate_object_page_free(page);

    if (skycrate_object_delete(client, bucket, key) < 0 ||
        skycrate_bucket_delete(client, bucket) < 0) {
        status = fail("cleanup", client);
        goto done;
    }
    printf("deleted             %s and its bucket\n", key);
    status = same ? 0 : 1;
done:
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_global_cleanup();
    return status;
}
