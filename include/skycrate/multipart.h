/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_MULTIPART_H
#define SKYCRATE_MULTIPART_H

/**
 * @file skycrate/multipart.h
 * @brief Multipart uploads of large files through presigned part URLs.
 * @defgroup skycrate_multipart Multipart uploads
 *
 * A browser uploads a large file in parts (5 MiB to 5 GiB each, the last one smaller) without
 * credentials: the server starts the upload (skycrate_multipart_create()), presigns one
 * UploadPart URL per part (skycrate_presigner_sign_parts()), the browser PUTs each part and
 * reports the `ETag` header of each answer, and the server completes the upload with those
 * ETags (skycrate_multipart_complete()) or abandons it (skycrate_multipart_abort()). These
 * three calls are S3 requests made with a client (one thread at a time, retried as every
 * client request); the part URLs are pure computation. An upload never completed keeps its
 * parts (and costs) until aborted: give buckets a lifecycle rule that aborts incomplete
 * uploads.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Starts a multipart upload (CreateMultipartUpload).
 * @param[out] upload_id_out the upload id; free it with skycrate_free().
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key (1 to 1024 bytes).
 * @param[in] content_type the object's Content-Type, or NULL.
 * @return 0, #SKYCRATE_EINVAL, #SKYCRATE_ENOTFOUND (no such bucket), #SKYCRATE_EACCESS, another
 *         mapped S3 code (details in skycrate_client_last_response()), #SKYCRATE_EPARSE for an
 *         answer without an upload id, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_multipart_create(char **upload_id_out, skycrate_client *client,
                                           const char *bucket, const char *key,
                                           const char *content_type);

/**
 * @brief Completes a multipart upload (CompleteMultipartUpload) from its parts.
 *
 * A `200 OK` whose body is an S3 `<Error>` (S3 sends those when completing fails late) is an
 * error too.
 * @param[out] etag_out the new object's ETag (as S3 gives it, "" when it gives none); free it
 *             with skycrate_free(). May be NULL.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] upload_id the upload id.
 * @param[in] part_numbers `count` part numbers, strictly increasing, 1 .. 10000.
 * @param[in] etags the ETag reported for each part, quoted or not.
 * @param[in] count 1 .. 10000.
 * @return 0, #SKYCRATE_EINVAL (also S3's `InvalidPart`, `InvalidPartOrder`, `EntityTooSmall`),
 *         #SKYCRATE_ENOTFOUND (`NoSuchUpload`), another mapped S3 code, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_multipart_complete(char **etag_out, skycrate_client *client,
                                             const char *bucket, const char *key,
                                             const char *upload_id, const uint32_t *part_numbers,
                                             const char *const *etags, size_t count);

/**
 * @brief Abandons a multipart upload (AbortMultipartUpload); S3 deletes its parts.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] upload_id the upload id.
 * @return 0, #SKYCRATE_EINVAL, #SKYCRATE_ENOTFOUND (`NoSuchUpload`), another mapped S3 code, or
 *         #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_multipart_abort(skycrate_client *client, const char *bucket,
                                          const char *key, const char *upload_id);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_MULTIPART_H */
