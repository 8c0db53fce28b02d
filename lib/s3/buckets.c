/*
 * Bucket operations: CreateBucket, HeadBucket, DeleteBucket.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "s3/bucket_name.h"
#include "s3/request.h"
#include "xml/xml.h"

static int bucket_op(skycrate_client *client, const char *operation, const char *method,
                     const char *bucket, const void *body, size_t body_len)
{
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    SKYCRATE_ASSERT_ARG(bucket && *bucket);
    skycrate__s3_request req = {.operation = operation, .method = method, .bucket = bucket};
    if (body) {
        req.body_kind = SKYCRATE__BODY_MEMORY;
        req.body_data = body;
        req.body_length = body_len;
    }
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    int error = skycrate__s3_send(client, &req, &resp, NULL);
    skycrate__http_response_dispose(&resp);
    return error;
}

int skycrate_bucket_create(skycrate_client *client, const char *bucket)
{
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    SKYCRATE_ASSERT_ARG(bucket);
    int error = skycrate__bucket_name_check(bucket);
    if (error < 0)
        return error;
    const char *region = skycrate_client_region(client);
    if (!strcmp(region, "us-east-1"))
        return bucket_op(client, "CreateBucket", "PUT", bucket, NULL, 0);
    skycrate__buf body = SKYCRATE_BUF_INIT;
    error = skycrate__buf_puts(
        &body, "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
               "<LocationConstraint>");
    if (error == 0)
        error = skycrate__xml_escape(&body, region);
    if (error == 0)
        error = skycrate__buf_puts(&body, "</LocationConstraint></CreateBucketConfiguration>");
    if (error == 0)
        error = bucket_op(client, "CreateBucket", "PUT", bucket, body.ptr, body.len);
    skycrate__buf_dispose(&body);
    return error;
}

int skycrate_bucket_head(skycrate_client *client, const char *bucket)
{
    return bucket_op(client, "HeadBucket", "HEAD", bucket, NULL, 0);
}

int skycrate_bucket_delete(skycrate_client *client, const char *bucket)
{
    return bucket_op(client, "DeleteBucket", "DELETE", bucket, NULL, 0);
}
