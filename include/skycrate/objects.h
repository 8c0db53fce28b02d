/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_OBJECTS_H
#define SKYCRATE_OBJECTS_H

/**
 * @file skycrate/objects.h
 * @brief Object operations: put, get, head, delete, list.
 * @defgroup skycrate_objects Objects
 *
 * Bodies stream: a file or callback body never sits in memory whole. Like every call on a
 * client, these are used by one thread at a time per client. After each call,
 * skycrate_client_last_response() tells what S3 answered.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Uploads an object from memory (PutObject), signed with the payload's SHA-256.
 * @param[out] info_out the new object's metadata (ETag, version id), or NULL if not wanted.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key (any UTF-8, up to 1024 bytes).
 * @param[in] data the body (may be NULL when `length` is 0).
 * @param[in] length its length.
 * @param[in] content_type the Content-Type, or NULL.
 * @return 0, #SKYCRATE_ENOTFOUND (no such bucket), #SKYCRATE_EACCESS, or another code.
 */
SKYCRATE_API int skycrate_object_put(skycrate_object_info **info_out, skycrate_client *client,
                                     const char *bucket, const char *key, const void *data,
                                     size_t length, const char *content_type);

/**
 * @brief Uploads an object from a file, streaming it (it is read twice: once to hash it).
 * @param[out] info_out the new object's metadata, or NULL.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] path the file to upload.
 * @param[in] content_type the Content-Type, or NULL.
 * @return 0, #SKYCRATE_EIO when the file cannot be read, or a code as for skycrate_object_put().
 */
SKYCRATE_API int skycrate_object_put_file(skycrate_object_info **info_out, skycrate_client *client,
                                          const char *bucket, const char *key, const char *path,
                                          const char *content_type);

/**
 * @brief Uploads an object from a read callback with a known length (signed as
 *        `UNSIGNED-PAYLOAD`; never retried, since the body cannot be replayed).
 * @param[out] info_out the new object's metadata, or NULL.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] length the exact number of bytes `read` will supply.
 * @param[in] content_type the Content-Type, or NULL.
 * @param[in] read the body source; called on the calling thread.
 * @param[in] user_data passed to `read`.
 * @return 0, #SKYCRATE_EINVAL when `read` supplies another length, the callback's code, or a
 *         code as for skycrate_object_put().
 */
SKYCRATE_API int skycrate_object_put_stream(skycrate_object_info **info_out,
                                            skycrate_client *client, const char *bucket,
                                            const char *key, uint64_t length,
                                            const char *content_type, skycrate_read_fn read,
                                            void *user_data);

/**
 * @brief Downloads an object into memory (GetObject).
 * @param[out] data_out the body, NUL-terminated for convenience (the NUL is not counted); free
 *             it with skycrate_free().
 * @param[out] length_out the body length.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @return 0, #SKYCRATE_ENOTFOUND, #SKYCRATE_EACCESS, #SKYCRATE_ENOMEM, or another code.
 */
SKYCRATE_API int skycrate_object_get(void **data_out, size_t *length_out, skycrate_client *client,
                                     const char *bucket, const char *key);

/**
 * @brief Downloads an object into a file, streaming. The file appears complete or not at all
 *        (written beside it, then renamed).
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] path the destination file; replaced.
 * @return 0, #SKYCRATE_ENOTFOUND, #SKYCRATE_EIO, or another code.
 */
SKYCRATE_API int skycrate_object_get_file(skycrate_client *client, const char *bucket,
                                          const char *key, const char *path);

/**
 * @brief Downloads an object into a write callback, streaming. A failed attempt is retried
 *        only if no byte had reached the callback.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] write the body sink; called on the calling thread.
 * @param[in] user_data passed to `write`.
 * @return 0, #SKYCRATE_ENOTFOUND, the callback's code, or another code.
 */
SKYCRATE_API int skycrate_object_get_stream(skycrate_client *client, const char *bucket,
                                            const char *key, skycrate_write_fn write,
                                            void *user_data);

/**
 * @brief Reads an object's metadata (HeadObject).
 * @param[out] out the metadata; free with skycrate_object_info_free().
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @return 0, #SKYCRATE_ENOTFOUND, #SKYCRATE_EACCESS, or another code.
 */
SKYCRATE_API int skycrate_object_head(skycrate_object_info **out, skycrate_client *client,
                                      const char *bucket, const char *key);

/**
 * @brief Deletes an object (DeleteObject). Deleting a missing key succeeds, as in S3.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @return 0, #SKYCRATE_ENOTFOUND (no such bucket), #SKYCRATE_EACCESS, or another code.
 */
SKYCRATE_API int skycrate_object_delete(skycrate_client *client, const char *bucket,
                                        const char *key);

/**
 * @brief Lists one page of objects (ListObjectsV2), in key order.
 * @param[out] out the page; free with skycrate_object_page_free().
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] prefix only keys starting with it, or NULL.
 * @param[in] continuation_token from skycrate_object_page_next_token() of the previous page,
 *            or NULL for the first page.
 * @param[in] max_keys at most this many entries (1..1000; 0 means 1000).
 * @return 0, #SKYCRATE_ENOTFOUND, #SKYCRATE_EPARSE for a malformed listing, or another code.
 */
SKYCRATE_API int skycrate_object_list(skycrate_object_page **out, skycrate_client *client,
                                      const char *bucket, const char *prefix,
                                      const char *continuation_token, unsigned int max_keys);

/**
 * @brief The number of entries in a page.
 * @param[in] list the page.
 * @return the count.
 */
SKYCRATE_API size_t skycrate_object_page_count(const skycrate_object_page *list);

/**
 * @brief One entry of a page.
 * @param[in] list the page.
 * @param[in] index 0 .. count - 1.
 * @return a borrowed entry that lives as long as the page, or NULL for an index out of range.
 */
SKYCRATE_API const skycrate_object_info *
skycrate_object_page_entry(const skycrate_object_page *list, size_t index);

/**
 * @brief The token for the next page.
 * @param[in] list the page.
 * @return a borrowed string, or NULL when this was the last page.
 */
SKYCRATE_API const char *skycrate_object_page_next_token(const skycrate_object_page *list);

/**
 * @brief Frees a page. NULL does nothing.
 * @param[in] list the page.
 */
SKYCRATE_API void skycrate_object_page_free(skycrate_object_page *list);

/**
 * @brief The object's key.
 * @param[in] info the metadata.
 * @return a borrowed string ("" when unknown).
 */
SKYCRATE_API const char *skycrate_object_info_key(const skycrate_object_info *info);

/**
 * @brief The ETag, quotes included as S3 sends it.
 * @param[in] info the metadata.
 * @return a borrowed string ("" when unknown).
 */
SKYCRATE_API const char *skycrate_object_info_etag(const skycrate_object_info *info);

/**
 * @brief The size in bytes.
 * @param[in] info the metadata.
 * @return the size (0 when unknown).
 */
SKYCRATE_API uint64_t skycrate_object_info_size(const skycrate_object_info *info);

/**
 * @brief The last modification time.
 * @param[in] info the metadata.
 * @return seconds since the Unix epoch (0 when unknown).
 */
SKYCRATE_API int64_t skycrate_object_info_last_modified(const skycrate_object_info *info);

/**
 * @brief The Content-Type (from HeadObject).
 * @param[in] info the metadata.
 * @return a borrowed string ("" when unknown).
 */
SKYCRATE_API const char *skycrate_object_info_content_type(const skycrate_object_info *info);

/**
 * @brief The version id, when the bucket is versioned.
 * @param[in] info the metadata.
 * @return a borrowed string ("" when none).
 */
SKYCRATE_API const char *skycrate_object_info_version_id(const skycrate_object_info *info);

/**
 * @brief The storage class ("STANDARD" when S3 does not say).
 * @param[in] info the metadata.
 * @return a borrowed string.
 */
SKYCRATE_API const char *skycrate_object_info_storage_class(const skycrate_object_info *info);

/**
 * @brief Frees metadata returned through an `info_out`/`out` parameter. NULL does nothing.
 *        Never call it on an entry borrowed from a list.
 * @param[in] info the metadata.
 */
SKYCRATE_API void skycrate_object_info_free(skycrate_object_info *info);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_OBJECTS_H */
