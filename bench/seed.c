/*
 * The seed design's provisioning order (see seed.h).
 * SPDX-License-Identifier: MIT
 */
#include "seed.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "s3/request.h"
#include "xml/xml.h"

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

/* One step: a bucket subresource set with a PUT (or the create and the exists check). */
typedef struct step {
    const char *operation;
    const char *method;
    const char *subresource; /* query name, or NULL */
    int (*body)(skycrate__buf *out, const char *bucket, const seed_options *options);
    bool content_md5;
    const char *readback; /* the root of what a GET of the subresource answers when it is set */
} step;

static int body_public_access_block(skycrate__buf *out, const char *bucket,
                                    const seed_options *options)
{
    (void)bucket;
    (void)options;
    return skycrate__buf_puts(out, "<PublicAccessBlockConfiguration xmlns=\"" S3_XMLNS "\">"
                                   "<BlockPublicAcls>true</BlockPublicAcls>"
                                   "<IgnorePublicAcls>true</IgnorePublicAcls>"
                                   "<BlockPublicPolicy>true</BlockPublicPolicy>"
                                   "<RestrictPublicBuckets>true</RestrictPublicBuckets>"
                                   "</PublicAccessBlockConfiguration>");
}

static int body_encryption(skycrate__buf *out, const char *bucket, const seed_options *options)
{
    (void)bucket;
    (void)options;
    return skycrate__buf_puts(out, "<ServerSideEncryptionConfiguration xmlns=\"" S3_XMLNS "\">"
                                   "<Rule><ApplyServerSideEncryptionByDefault>"
                                   "<SSEAlgorithm>AES256</SSEAlgorithm>"
                                   "</ApplyServerSideEncryptionByDefault></Rule>"
                                   "</ServerSideEncryptionConfiguration>");
}

static int body_ownership(skycrate__buf *out, const char *bucket, const seed_options *options)
{
    (void)bucket;
    (void)options;
    return skycrate__buf_puts(out, "<OwnershipControls xmlns=\"" S3_XMLNS "\">"
                                   "<Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership>"
                                   "</Rule></OwnershipControls>");
}

static int body_cors(skycrate__buf *out, const char *bucket, const seed_options *options)
{
    (void)bucket;
    int error = skycrate__buf_puts(out, "<CORSConfiguration xmlns=\"" S3_XMLNS "\"><CORSRule>"
                                        "<AllowedHeader>content-type</AllowedHeader>"
                                        "<AllowedHeader>content-md5</AllowedHeader>"
                                        "<AllowedHeader>content-disposition</AllowedHeader>"
                                        "<AllowedHeader>cache-control</AllowedHeader>"
                                        "<AllowedHeader>x-amz-*</AllowedHeader>"
                                        "<AllowedMethod>PUT</AllowedMethod>"
                                        "<AllowedMethod>GET</AllowedMethod>"
                                        "<AllowedMethod>HEAD</AllowedMethod>"
                                        "<AllowedOrigin>");
    if (error == 0)
        error = skycrate__xml_escape(out, options->origin);
    if (error == 0)
        error = skycrate__buf_puts(out, "</AllowedOrigin><ExposeHeader>ETag</ExposeHeader>"
                                        "<MaxAgeSeconds>3600</MaxAgeSeconds>"
                                        "</CORSRule></CORSConfiguration>");
    return error;
}

static int body_tls_only_policy(skycrate__buf *out, const char *bucket, const seed_options *options)
{
    (void)options;
    /* Bucket names are [a-z0-9.-]: nothing to escape in JSON. */
    return skycrate__buf_printf(
        out,
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\","
        "\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
        "\"Resource\":[\"arn:aws:s3:::%s\",\"arn:aws:s3:::%s/*\"],"
        "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}",
        bucket, bucket);
}

static int body_lifecycle(skycrate__buf *out, const char *bucket, const seed_options *options)
{
    (void)bucket;
    return skycrate__buf_printf(
        out,
        "<LifecycleConfiguration xmlns=\"" S3_XMLNS "\"><Rule>"
        "<ID>skycrate-abort-incomplete-multipart-uploads</ID><Filter><Prefix /></Filter>"
        "<Status>Enabled</Status><AbortIncompleteMultipartUpload>"
        "<DaysAfterInitiation>%d</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
        "</Rule></LifecycleConfiguration>",
        options->abort_multipart_days);
}

static int body_tagging(skycrate__buf *out, const char *bucket, const seed_options *options)
{
    (void)bucket;
    int error = skycrate__buf_puts(out, "<Tagging xmlns=\"" S3_XMLNS "\"><TagSet>"
                                        "<Tag><Key>skycrate:owner</Key><Value>");
    if (error == 0)
        error = skycrate__xml_escape(out, options->user_id);
    if (error == 0)
        error = skycrate__buf_puts(out, "</Value></Tag><Tag><Key>skycrate:application</Key>"
                                        "<Value>");
    if (error == 0)
        error = skycrate__xml_escape(out, options->application);
    if (error == 0)
        error = skycrate__buf_puts(out, "</Value></Tag></TagSet></Tagging>");
    return error;
}

/* The seed's order first, then the rest of the default profile. */
static const step configuration_steps[] = {
    /* radosgw 16 answers with <BlockPublicAccessBlockConfiguration>. */
    {"PutPublicAccessBlock", "PUT", "publicAccessBlock", body_public_access_block, true,
     "PublicAccessBlockConfiguration>"},
    {"PutBucketEncryption", "PUT", "encryption", body_encryption, true,
     "<ServerSideEncryptionConfiguration"},
    {"PutBucketOwnershipControls", "PUT", "ownershipControls", body_ownership, true,
     "<OwnershipControls"},
    {"PutBucketCors", "PUT", "cors", body_cors, true, "<CORSConfiguration"},
    {"PutBucketPolicy", "PUT", "policy", body_tls_only_policy, true, "\"Statement\""},
    {"PutBucketLifecycleConfiguration", "PUT", "lifecycle", body_lifecycle, true,
     "<LifecycleConfiguration"},
    {"PutBucketTagging", "PUT", "tagging", body_tagging, true, "<Tagging"},
};

static bool skippable(const char *s3_code)
{
    return !strcmp(s3_code, "NotImplemented") || !strcmp(s3_code, "InvalidArgument") ||
           !strcmp(s3_code, "MethodNotAllowed");
}

/* Sends one request and records its answer in `r`; on failure `message` says why. */
static int send_step(skycrate_client *client, const char *bucket, const char *operation,
                     const char *method, const char *subresource, const skycrate__kv *headers,
                     size_t header_count, const skycrate__buf *body, bool compatible,
                     seed_step_result *r, char *message, size_t message_size)
{
    skycrate__kv query = {subresource, ""};
    skycrate__s3_request req = {.operation = operation,
                                .method = method,
                                .bucket = bucket,
                                .query = subresource ? &query : NULL,
                                .query_count = subresource ? 1 : 0,
                                .headers = headers,
                                .header_count = header_count};
    if (body && body->len) {
        req.body_kind = SKYCRATE__BODY_MEMORY;
        req.body_data = body->ptr;
        req.body_length = body->len;
    }
    struct skycrate_http_response resp;
    skycrate__response_record rec;
    skycrate__http_response_init(&resp);
    skycrate__response_record_init(&rec);
    int error = skycrate__s3_send(client, &req, &resp, &rec);

    r->operation = operation;
    r->status = rec.info.http_status;
    snprintf(r->s3_code, sizeof(r->s3_code), "%s", rec.info.s3_code ? rec.info.s3_code : "");
    r->error = error;
    if (error < 0 && compatible && skippable(r->s3_code)) {
        r->skipped = true;
        error = 0;
        skycrate_error_clear();
    }
    if (error < 0)
        snprintf(message, message_size, "%s: %s", operation, skycrate_error_last()->message);
    skycrate__http_response_dispose(&resp);
    skycrate__response_record_dispose(&rec);
    return error;
}

/* Builds and sends configuration step `s`. */
static int configure(skycrate_client *client, const char *bucket, const step *s,
                     const seed_options *options, seed_step_result *r, char *message,
                     size_t message_size)
{
    skycrate__buf body = SKYCRATE_BUF_INIT;
    int error = s->body(&body, bucket, options);
    if (error < 0) {
        snprintf(message, message_size, "%s: %s", s->operation, skycrate_error_last()->message);
        goto done;
    }
    char md5[25];
    skycrate__content_md5(md5, body.ptr, body.len);
    const skycrate__kv headers[] = {{"content-md5", md5}};
    error = send_step(client, bucket, s->operation, s->method, s->subresource, headers,
                      s->content_md5 ? 1 : 0, &body, options->compatible, r, message, message_size);
done:
    skycrate__buf_dispose(&body);
    return error;
}

static int create_bucket(skycrate_client *client, const char *bucket, const seed_options *options,
                         seed_result *result)
{
    skycrate__buf body = SKYCRATE_BUF_INIT;
    int error = 0;
    const char *region = skycrate_client_region(client);
    if (strcmp(region, "us-east-1") != 0) {
        error = skycrate__buf_puts(&body, "<CreateBucketConfiguration xmlns=\"" S3_XMLNS "\">"
                                          "<LocationConstraint>");
        if (error == 0)
            error = skycrate__xml_escape(&body, region);
        if (error == 0)
            error = skycrate__buf_puts(&body, "</LocationConstraint></CreateBucketConfiguration>");
    }
    const skycrate__kv headers[] = {{"x-amz-object-ownership", "BucketOwnerEnforced"}};
    (void)options;
    if (error == 0)
        error =
            send_step(client, bucket, "CreateBucket", "PUT", NULL, headers, 1, &body, false,
                      &result->steps[result->count++], result->message, sizeof(result->message));
    skycrate__buf_dispose(&body);
    return error;
}

static int write_record(skycrate_client *client, const char *bucket, const seed_options *options,
                        seed_result *result)
{
    char json[512];
    snprintf(json, sizeof(json),
             "{\"bucket\":\"%s\",\"region\":\"%s\",\"mode\":\"aws\",\"state\":\"provisioned\"}",
             bucket, skycrate_client_region(client));
    int error = skycrate_user_store_put(options->store, options->user_id, json, NULL);
    if (error < 0)
        snprintf(result->message, sizeof(result->message), "user store: %s",
                 skycrate_error_last()->message);
    return error;
}

#define CONFIGURATION_STEPS (sizeof(configuration_steps) / sizeof(configuration_steps[0]))

/* The exists check and the create, as both orders begin. */
static int begin(skycrate_client *client, const char *bucket, const seed_options *options,
                 seed_result *result)
{
    memset(result, 0, sizeof(*result));
    if (options->exists_check) {
        int error =
            send_step(client, bucket, "HeadBucket", "HEAD", NULL, NULL, 0, NULL, false,
                      &result->steps[result->count++], result->message, sizeof(result->message));
        if (error != SKYCRATE_ENOTFOUND) {
            if (error == 0)
                snprintf(result->message, sizeof(result->message), "%s already exists", bucket);
            return error ? error : SKYCRATE_EEXISTS;
        }
        skycrate_error_clear();
        result->steps[result->count - 1].error = 0;
        result->message[0] = '\0';
    }
    return create_bucket(client, bucket, options, result);
}

int seed_provision(skycrate_client *client, const char *bucket, const seed_options *options,
                   seed_result *result)
{
    int error = begin(client, bucket, options, result);
    for (size_t i = 0; error == 0 && i < CONFIGURATION_STEPS; i++)
        error =
            configure(client, bucket, &configuration_steps[i], options,
                      &result->steps[result->count++], result->message, sizeof(result->message));
    if (error == 0 && options->store)
        error = write_record(client, bucket, options, result);
    return error;
}

/* ---- the same steps on the client's concurrent lanes --------------------------------------- */

typedef struct lanes_run {
    skycrate_client *client;
    const char *bucket;
    const seed_options *options;
    seed_result *result;
    size_t base; /* the first configuration step's slot in result->steps */
    pthread_mutex_t lock;
    size_t next;
    int error;
} lanes_run;

static void *lane_worker(void *arg)
{
    lanes_run *run = arg;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        size_t i = run->next++;
        bool stop = run->error < 0;
        pthread_mutex_unlock(&run->lock);
        if (stop || i >= CONFIGURATION_STEPS)
            break;
        char message[256];
        int error = configure(run->client, run->bucket, &configuration_steps[i], run->options,
                              &run->result->steps[run->base + i], message, sizeof(message));
        if (error < 0) {
            pthread_mutex_lock(&run->lock);
            if (run->error == 0) {
                run->error = error;
                snprintf(run->result->message, sizeof(run->result->message), "%s", message);
            }
            pthread_mutex_unlock(&run->lock);
        }
    }
    return NULL;
}

int seed_provision_lanes(skycrate_client *client, const char *bucket, const seed_options *options,
                         seed_result *result)
{
    int error = begin(client, bucket, options, result);
    if (error < 0)
        return error;
    unsigned int lanes = skycrate__http_transport_lanes(client->transport);
    if (lanes > CONFIGURATION_STEPS)
        lanes = CONFIGURATION_STEPS;
    lanes_run run = {client, bucket, options, result, result->count, PTHREAD_MUTEX_INITIALIZER,
                     0,      0};
    pthread_t threads[CONFIGURATION_STEPS];
    unsigned int started = 0;
    for (; started < lanes; started++)
        if (pthread_create(&threads[started], NULL, lane_worker, &run) != 0)
            break;
    if (started == 0)
        lane_worker(&run);
    for (unsigned int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    result->count += CONFIGURATION_STEPS;
    if (run.error < 0)
        return run.error; /* steps never started keep an empty slot (operation NULL) */
    if (options->store)
        error = write_record(client, bucket, options, result);
    return error;
}

/* ---- read-back ----------------------------------------------------------------------------- */

static bool was_skipped(const seed_result *result, const char *operation)
{
    for (size_t i = 0; i < result->count; i++)
        if (result->steps[i].operation && !strcmp(result->steps[i].operation, operation))
            return result->steps[i].skipped;
    return false;
}

int seed_verify(skycrate_client *client, const char *bucket, const seed_result *result,
                char *missing, size_t size)
{
    int lost = 0;
    size_t len = 0;
    if (size)
        missing[0] = '\0';
    for (size_t i = 0; i < CONFIGURATION_STEPS; i++) {
        const step *s = &configuration_steps[i];
        if (was_skipped(result, s->operation))
            continue;
        skycrate__kv query = {s->subresource, ""};
        skycrate__s3_request req = {.operation = "read-back",
                                    .method = "GET",
                                    .bucket = bucket,
                                    .query = &query,
                                    .query_count = 1};
        struct skycrate_http_response resp;
        skycrate__http_response_init(&resp);
        int error = skycrate__s3_send(client, &req, &resp, NULL);
        /* The content, not only the status: some servers answer an unknown subresource with a
         * bucket listing. */
        bool present = error == 0 && resp.status == 200 && resp.body.len &&
                       strstr(skycrate__buf_cstr(&resp.body), s->readback);
        skycrate__http_response_dispose(&resp);
        skycrate_error_clear();
        if (!present) {
            lost++;
            if (len < size)
                len += (size_t)snprintf(missing + len, size - len, "%s%s", len ? " " : "",
                                        s->subresource);
        }
    }
    return lost;
}

int seed_cleanup(skycrate_client *client, const char *bucket)
{
    return skycrate_bucket_delete(client, bucket);
}
