/*
 * The S3 side of multipart uploads through presigned parts: CreateMultipartUpload,
 * CompleteMultipartUpload and AbortMultipartUpload, sent with lib/s3 (the part URLs themselves
 * are presigned by the presigner).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "presign/presign.h"
#include "s3/bucket_name.h"
#include "s3/errors.h"
#include "s3/request.h"
#include "skycrate/multipart.h"
#include "xml/s3.h"
#include "xml/xml.h"

#define MAX_PARTS 10000

static int check(skycrate_client *client, const char *bucket, const char *key)
{
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    int error = skycrate__bucket_name_usable(bucket);
    if (error == 0)
        error = skycrate__presign_check_key(key);
    return error;
}

static int check_upload_id(const char *upload_id)
{
    if (upload_id == NULL || upload_id[0] == '\0')
        return skycrate__error_set(SKYCRATE_EINVAL, "multipart: no upload id");
    return 0;
}

/* A request on the upload of `key` with one query parameter ("uploads" or the upload id). */
static skycrate__s3_request upload_request(const char *operation, const char *method,
                                           const char *bucket, const char *key,
                                           const skycrate__kv *query)
{
    return (skycrate__s3_request){.operation = operation,
                                  .method = method,
                                  .bucket = bucket,
                                  .key = key,
                                  .query = query,
                                  .query_count = 1};
}

int skycrate_multipart_create(char **upload_id_out, skycrate_client *client, const char *bucket,
                              const char *key, const char *content_type)
{
    return skycrate__multipart_create(upload_id_out, client, bucket, key, content_type, NULL);
}

int skycrate__multipart_create(char **upload_id_out, skycrate_client *client, const char *bucket,
                               const char *key, const char *content_type,
                               const char *checksum_algorithm)
{
    int error = 0;
    skycrate__s3_initiate_doc doc = {0};
    struct skycrate_http_response resp;
    SKYCRATE_ASSERT_ARG(upload_id_out != NULL);
    *upload_id_out = NULL;
    if ((error = check(client, bucket, key)) < 0)
        return error;
    skycrate__kv query[] = {{"uploads", ""}};
    skycrate__kv headers[2];
    size_t header_count = 0;
    if (content_type)
        headers[header_count++] = (skycrate__kv){"Content-Type", content_type};
    if (checksum_algorithm)
        headers[header_count++] = (skycrate__kv){"x-amz-checksum-algorithm", checksum_algorithm};
    skycrate__s3_request req = upload_request("CreateMultipartUpload", "POST", bucket, key, query);
    req.headers = headers;
    req.header_count = header_count;
    skycrate__http_response_init(&resp);
    if ((error = skycrate__s3_send(client, &req, &resp, NULL)) < 0)
        goto done;
    if ((error = skycrate__s3_initiate_doc_parse(&doc, resp.body.ptr ? resp.body.ptr : "",
                                                 resp.body.len)) < 0) {
        skycrate__error_prefix("CreateMultipartUpload answer");
        goto done;
    }
    *upload_id_out = doc.upload_id;
    doc.upload_id = NULL;
done:
    skycrate__s3_initiate_doc_dispose(&doc);
    skycrate__http_response_dispose(&resp);
    return error;
}

/* 1 to MAX_PARTS parts, their numbers increasing within 1..MAX_PARTS, each with an ETag. */
static int check_parts(const uint32_t *part_numbers, const char *const *etags, size_t count)
{
    if (count < 1 || count > MAX_PARTS || part_numbers == NULL || etags == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL, "multipart: 1 to %d parts, not %zu", MAX_PARTS,
                                   count);
    for (size_t i = 0; i < count; i++) {
        if (part_numbers[i] < 1 || part_numbers[i] > MAX_PARTS ||
            (i > 0 && part_numbers[i] <= part_numbers[i - 1]))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "multipart: part numbers must increase within 1..%d (part "
                                       "#%zu is %u)",
                                       MAX_PARTS, i, part_numbers[i]);
        if (etags[i] == NULL || etags[i][0] == '\0')
            return skycrate__error_set(SKYCRATE_EINVAL, "multipart: part %u has no ETag",
                                       part_numbers[i]);
    }
    return 0;
}

/* <CompleteMultipartUpload> with one <Part> per part (and its <Checksum{ALGORITHM}>). */
static int complete_body(skycrate__buf *b, const uint32_t *numbers, const char *const *etags,
                         const char *algorithm, const char *const *checksums, size_t count)
{
    int error = skycrate__buf_puts(
        b, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (size_t i = 0; i < count && error == 0; i++) {
        const char *etag = etags[i];
        bool quoted = etag[0] == '"';
        if ((error = skycrate__buf_printf(b, "<Part><PartNumber>%u</PartNumber><ETag>%s",
                                          numbers[i], quoted ? "" : "&quot;")) < 0 ||
            (error = skycrate__xml_escape(b, etag)) < 0 ||
            (error = skycrate__buf_printf(b, "%s</ETag>", quoted ? "" : "&quot;")) < 0)
            break;
        if (checksums && checksums[i] &&
            ((error = skycrate__buf_printf(b, "<Checksum%s>", algorithm)) < 0 ||
             (error = skycrate__xml_escape(b, checksums[i])) < 0 ||
             (error = skycrate__buf_printf(b, "</Checksum%s>", algorithm)) < 0))
            break;
        if ((error = skycrate__buf_puts(b, "</Part>")) < 0)
            break;
    }
    if (error == 0)
        error = skycrate__buf_puts(b, "</CompleteMultipartUpload>");
    return error;
}

/* A 200 whose body is an <Error>: S3's late failure of CompleteMultipartUpload. */
static int late_error(skycrate_client *client, const struct skycrate_http_response *resp)
{
    skycrate__s3_error_doc doc = {0};
    int error = skycrate__s3_error_doc_parse(&doc, resp->body.ptr, resp->body.len);
    if (error < 0)
        return error;
    skycrate__response_record rec;
    skycrate__response_record_init(&rec);
    rec.info.http_status = resp->status;
    if (skycrate__buf_puts(&rec.s3_code, doc.code ? doc.code : "") == 0 &&
        skycrate__buf_puts(&rec.s3_message, doc.message ? doc.message : "") == 0 &&
        skycrate__buf_puts(&rec.request_id, doc.request_id ? doc.request_id : "") == 0) {
        skycrate__response_record_sync(&rec);
        skycrate__client_set_last(client, &rec);
    }
    skycrate__response_record_dispose(&rec);
    int code = skycrate__s3_map_error(resp->status, doc.code);
    if (code == 0)
        code = SKYCRATE_EHTTP;
    error = skycrate__error_set(
        code, "CompleteMultipartUpload: HTTP %d with an error: %.64s%s%.200s", resp->status,
        doc.code ? doc.code : "(no code)", doc.message ? ": " : "", doc.message ? doc.message : "");
    skycrate__s3_error_doc_dispose(&doc);
    return error;
}

int skycrate_multipart_complete(char **etag_out, skycrate_client *client, const char *bucket,
                                const char *key, const char *upload_id,
                                const uint32_t *part_numbers, const char *const *etags,
                                size_t count)
{
    return skycrate__multipart_complete(etag_out, client, bucket, key, upload_id, part_numbers,
                                        etags, NULL, NULL, count);
}

int skycrate__multipart_complete(char **etag_out, skycrate_client *client, const char *bucket,
                                 const char *key, const char *upload_id,
                                 const uint32_t *part_numbers, const char *const *etags,
                                 const char *checksum_algorithm, const char *const *checksums,
                                 size_t count)
{
    int error = 0;
    skycrate__buf body = SKYCRATE_BUF_INIT;
    skycrate__s3_complete_doc doc = {0};
    struct skycrate_http_response resp;
    if (etag_out)
        *etag_out = NULL;
    if ((error = check(client, bucket, key)) < 0 || (error = check_upload_id(upload_id)) < 0)
        return error;
    if ((error = check_parts(part_numbers, etags, count)) < 0)
        return error;
    if (checksums && !checksum_algorithm)
        return skycrate__error_set(SKYCRATE_EINVAL, "multipart: checksums without an algorithm");
    if ((error = complete_body(&body, part_numbers, etags, checksum_algorithm, checksums, count)) <
        0)
        goto done;

    skycrate__kv query[] = {{"uploadId", upload_id}};
    skycrate__kv headers[] = {{"Content-Type", "application/xml"}};
    skycrate__s3_request req =
        upload_request("CompleteMultipartUpload", "POST", bucket, key, query);
    req.headers = headers;
    req.header_count = 1;
    req.body_kind = SKYCRATE__BODY_MEMORY;
    req.body_data = body.ptr;
    req.body_length = body.len;
    skycrate__http_response_init(&resp);
    if ((error = skycrate__s3_send(client, &req, &resp, NULL)) < 0)
        goto done_resp;
    const char *xml = resp.body.ptr ? resp.body.ptr : "";
    int is_error = skycrate__xml_root_is(xml, resp.body.len, "Error");
    if (is_error < 0) {
        error = is_error;
        goto done_resp;
    }
    if (is_error == 1) {
        error = late_error(client, &resp);
        goto done_resp;
    }
    skycrate_error_clear(); /* "not an <Error>" is the good case */
    if ((error = skycrate__s3_complete_doc_parse(&doc, xml, resp.body.len)) < 0) {
        skycrate__error_prefix("CompleteMultipartUpload answer");
        goto done_resp;
    }
    if (etag_out && (*etag_out = skycrate__strdup(doc.etag ? doc.etag : "")) == NULL)
        error = skycrate__error_nomem();
done_resp:
    skycrate__http_response_dispose(&resp);
done:
    skycrate__s3_complete_doc_dispose(&doc);
    skycrate__buf_dispose(&body);
    return error;
}

int skycrate_multipart_abort(skycrate_client *client, const char *bucket, const char *key,
                             const char *upload_id)
{
    int error = 0;
    struct skycrate_http_response resp;
    if ((error = check(client, bucket, key)) < 0 || (error = check_upload_id(upload_id)) < 0)
        return error;
    skycrate__kv query[] = {{"uploadId", upload_id}};
    skycrate__s3_request req = upload_request("AbortMultipartUpload", "DELETE", bucket, key, query);
    skycrate__http_response_init(&resp);
    error = skycrate__s3_send(client, &req, &resp, NULL);
    skycrate__http_response_dispose(&resp);
    return error;
}
