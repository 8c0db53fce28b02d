/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PRESIGNER_H
#define SKYCRATE_PRESIGNER_H

/**
 * @file skycrate/presigner.h
 * @brief Presigned URLs for browsers: requests, and the contracts that say what to send.
 * @defgroup skycrate_presigner Presigner
 *
 * A presign request (#skycrate_presign_request) names the method, bucket and key of one S3
 * request, with its expiry, the headers the client will send and any extra query parameters.
 * Its setters check every input at once, so a request that was built is valid.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** What to presign: method, bucket, key, expiry, headers, query (opaque). */
typedef struct skycrate_presign_request skycrate_presign_request;

/**
 * @brief Creates a presign request with an expiry of 900 seconds, signed as of the time of
 *        each presign.
 *
 * @param[out] out the new request; free it with skycrate_presign_request_free().
 * @param[in] method `GET`, `PUT`, `HEAD` or `DELETE` (any case).
 * @param[in] bucket the bucket: 3 to 255 characters of `A-Z a-z 0-9 . - _`.
 * @param[in] key the object key: 1 to 1024 bytes of UTF-8.
 * @return 0, #SKYCRATE_EINVAL (the message names the argument), or #SKYCRATE_ENOMEM.
 *
 * A request is used by one thread at a time while it is changed; once built it may be read by
 * several threads presigning at once.
 */
SKYCRATE_API int skycrate_presign_request_new(skycrate_presign_request **out, const char *method,
                                              const char *bucket, const char *key);

/**
 * @brief Frees a request. NULL does nothing.
 * @param[in] request the request.
 */
SKYCRATE_API void skycrate_presign_request_free(skycrate_presign_request *request);

/**
 * @brief Replaces the bucket (to presign many objects with one request object).
 * @param[in] request the request.
 * @param[in] bucket as for skycrate_presign_request_new(); copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM (the request is then unchanged).
 */
SKYCRATE_API int skycrate_presign_request_set_bucket(skycrate_presign_request *request,
                                                     const char *bucket);

/**
 * @brief Replaces the key (to presign many objects with one request object; no allocation
 *        once the request's buffers have grown to the longest key).
 * @param[in] request the request.
 * @param[in] key as for skycrate_presign_request_new(); copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM (the request is then unchanged).
 */
SKYCRATE_API int skycrate_presign_request_set_key(skycrate_presign_request *request,
                                                  const char *key);

/**
 * @brief Sets how long the URL stays valid.
 *
 * The URL never outlives the credentials that sign it: a longer expiry is clamped to their
 * expiration, and the contract says so (skycrate_presigned_clamped()).
 * @param[in] request the request.
 * @param[in] seconds 1 to 604800 (7 days).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_presign_request_set_expires(skycrate_presign_request *request,
                                                      int64_t seconds);

/**
 * @brief Signs as of a fixed time instead of the presigner's clock.
 * @param[in] request the request.
 * @param[in] unix_seconds seconds since the Unix epoch, 0 to 253402300799 (year 9999); or -1
 *            to sign as of the time of each presign again.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_presign_request_set_time(skycrate_presign_request *request,
                                                   int64_t unix_seconds);

/**
 * @brief Adds a header that the client will send, signed into the URL.
 *
 * The client must then send it with exactly this value (the contract lists it): for example
 * `Content-Type`, `Content-Length`, `Content-MD5`, `Content-Disposition`, `Cache-Control`,
 * `x-amz-meta-*`, `x-amz-server-side-encryption*`, `x-amz-storage-class`, `x-amz-tagging`.
 * Leading and trailing blanks are dropped and inner runs of blanks become one space, as S3
 * reads them. `Host`, `Authorization` and the SigV4 names (`X-Amz-Date`,
 * `X-Amz-Content-Sha256`, `X-Amz-Security-Token`, ...) are refused.
 * @param[in] request the request.
 * @param[in] name an HTTP header name (RFC 7230 token), any case; each name at most once.
 * @param[in] value printable ASCII (and tabs); copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM (the request is then unchanged).
 */
SKYCRATE_API int skycrate_presign_request_add_header(skycrate_presign_request *request,
                                                     const char *name, const char *value);

/**
 * @brief Adds a query parameter, signed into the URL: `response-content-type` and the other
 *        `response-*` overrides, `versionId`, ...
 * @param[in] request the request.
 * @param[in] name the raw (unencoded) name, non-empty; each name at most once; the SigV4
 *            names (`X-Amz-Signature`, `X-Amz-Credential`, ...) are refused.
 * @param[in] value the raw value; NULL or "" for an empty value.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM (the request is then unchanged).
 */
SKYCRATE_API int skycrate_presign_request_add_query(skycrate_presign_request *request,
                                                    const char *name, const char *value);

/**
 * @brief Makes a PUT request an UploadPart of a multipart upload (`partNumber` and
 *        `uploadId` in the query), or a plain PUT again.
 * @param[in] request a request whose method is PUT.
 * @param[in] upload_id the upload id from CreateMultipartUpload; NULL to remove the part.
 * @param[in] part_number 1 to 10000 (ignored when `upload_id` is NULL).
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM (the request is then unchanged).
 */
SKYCRATE_API int skycrate_presign_request_set_upload_part(skycrate_presign_request *request,
                                                          const char *upload_id,
                                                          uint32_t part_number);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_PRESIGNER_H */
