/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_TRANSFER_H
#define SKYCRATE_TRANSFER_H

/**
 * @file skycrate/transfer.h
 * @brief Files of any size: multipart uploads and parallel ranged downloads, with progress.
 * @defgroup skycrate_transfer Transfers
 *
 * A transfer moves one object between a file (or a descriptor, or a read callback) and S3.
 * Small sources go as one PutObject; from the multipart threshold on, the source is cut into
 * parts (5 MiB to 5 GiB, at most 10,000) that are sent in parallel over the client's lanes,
 * each with its own checksum and each retried on its own, then completed into one object. A
 * transfer that fails or is cancelled aborts the multipart upload it started, so no unfinished
 * upload is left behind. Downloads fetch ranges in parallel into a file beside the target,
 * pinned to the object's ETag (`If-Match`), and rename it into place only when it is complete.
 *
 * Memory is bounded by the part size times the parallelism whatever the object's size: file
 * and descriptor parts are read twice from the file (checksum, then send) and never held whole;
 * only parts from a read callback are held, one per lane.
 *
 * Parts are sent with `UNSIGNED-PAYLOAD` and protected by their checksum (see
 * #skycrate_transfer_checksum). A transfer is a call on a client: one thread at a time per
 * client. The lanes it uses are the client's (its transport's `max_concurrency`).
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** A length or total that is not known (a read callback of unknown length). */
#define SKYCRATE_TRANSFER_SIZE_UNKNOWN UINT64_MAX

/** The checksum sent with each part (and with a single PutObject). */
typedef enum skycrate_transfer_checksum {
    /** No checksum: only TCP (and TLS) protect the bytes. */
    SKYCRATE_TRANSFER_CHECKSUM_NONE = 0,
    /** `Content-MD5`, checked by every S3 server (radosgw included). */
    SKYCRATE_TRANSFER_CHECKSUM_MD5 = 1,
    /** `x-amz-checksum-crc32c`, checked by AWS; computed by the CPU where it can (SSE 4.2).
     *  Servers that do not know the header ignore it (radosgw 16 does). The default. */
    SKYCRATE_TRANSFER_CHECKSUM_CRC32C = 2,
    /** `x-amz-checksum-sha256`, checked by AWS, and the payload is signed with the same hash
     *  (so every SigV4 server checks it). The slowest. */
    SKYCRATE_TRANSFER_CHECKSUM_SHA256 = 3
} skycrate_transfer_checksum;

/**
 * @brief Reports the progress of a transfer.
 *
 * Called on the thread that called the transfer, at most once per interval
 * (skycrate_transfer_options_set_progress_interval()), and once more when every byte has been
 * moved. That last call comes before a multipart upload is completed or a download is renamed
 * into place, so its answer can still cancel (a single PutObject has stored the object by
 * then). `done` may step back when a part is sent again after a failure.
 * @param[in] done bytes moved so far.
 * @param[in] total the size, or #SKYCRATE_TRANSFER_SIZE_UNKNOWN.
 * @param[in] user_data the caller's pointer.
 * @return 0 to go on; anything else cancels the transfer, which then returns
 *         #SKYCRATE_ECANCELED (or the negative code returned).
 */
typedef int (*skycrate_progress_fn)(uint64_t done, uint64_t total, void *user_data);

/**
 * @brief Creates options with the defaults: multipart from 16 MiB on, the automatic part size
 *        (skycrate_transfer_options_set_part_size()), as many parts at once as the client has
 *        lanes, #SKYCRATE_TRANSFER_CHECKSUM_CRC32C, no progress callback.
 *
 * Options are used by one thread at a time; a transfer copies what it needs.
 * @param[out] out the options; free them with skycrate_transfer_options_free().
 * @return 0 or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_transfer_options_new(skycrate_transfer_options **out);

/**
 * @brief Frees options. NULL does nothing.
 * @param[in] options the options.
 */
SKYCRATE_API void skycrate_transfer_options_free(skycrate_transfer_options *options);

/**
 * @brief Sets the part size (and the range size of downloads).
 *
 * Automatic: a file or a descriptor read in place is sent in parts of a sixteenth of its size,
 * from 8 MiB up to 64 MiB (a part is read from the file as it is sent, so its size costs no
 * memory, and fewer requests cost less; the choice depends on the size alone, so a resumed
 * upload plans the same parts); a stream (a read callback, a pipe) in parts of 8 MiB, since
 * its parts are held in memory; downloads take ranges of a quarter of the object per lane, from
 * 8 MiB up to 64 MiB. Parts are larger when 10,000 would not do. A part size set here is also
 * the range size of downloads.
 * @param[in] options the options.
 * @param[in] part_size 5 MiB .. 5 GiB, or 0 for the automatic choice. A source that would need
 *            more than 10,000 parts of this size fails with #SKYCRATE_EINVAL.
 * @return 0 or #SKYCRATE_EINVAL (out of S3's limits).
 */
SKYCRATE_API int skycrate_transfer_options_set_part_size(skycrate_transfer_options *options,
                                                         uint64_t part_size);

/**
 * @brief Sets the size from which uploads are multipart (below it: one PutObject, up to 5 GiB).
 * @param[in] options the options.
 * @param[in] threshold bytes, 1 .. 5 GiB (1: always multipart).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int
skycrate_transfer_options_set_multipart_threshold(skycrate_transfer_options *options,
                                                  uint64_t threshold);

/**
 * @brief Sets how many parts (or ranges) move at once.
 * @param[in] options the options.
 * @param[in] parts 1 .. 64, or 0 for the client's lanes; never more than the client's lanes.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_transfer_options_set_concurrency(skycrate_transfer_options *options,
                                                           unsigned int parts);

/**
 * @brief Chooses the checksum sent with each part.
 * @param[in] options the options.
 * @param[in] checksum a #skycrate_transfer_checksum value.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_transfer_options_set_checksum(skycrate_transfer_options *options,
                                                        skycrate_transfer_checksum checksum);

/**
 * @brief Sets the Content-Type of uploaded objects.
 * @param[in] options the options.
 * @param[in] content_type printable ASCII (spaces and tabs too), or NULL for none; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_transfer_options_set_content_type(skycrate_transfer_options *options,
                                                            const char *content_type);

/**
 * @brief Continues a multipart upload instead of starting one (resuming after a crash).
 *
 * The upload is listed (ListParts); parts already there with the same size and ETag (the MD5
 * of the local bytes) are not sent again. The caller owns such an upload: a failed or cancelled
 * transfer leaves it in place (to be continued again, or ended with
 * skycrate_multipart_abort()). Use the part size the upload was started with (the automatic
 * choice is the same for the same source size). The upload's checksum choice must match the
 * options' (uploads started with skycrate_multipart_create() have none: use
 * #SKYCRATE_TRANSFER_CHECKSUM_MD5 or NONE).
 * @param[in] options the options.
 * @param[in] upload_id the upload id, or NULL to start a new upload; copied.
 * @return 0, #SKYCRATE_EINVAL (empty), or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_transfer_options_set_upload_id(skycrate_transfer_options *options,
                                                         const char *upload_id);

/**
 * @brief Sets the progress callback.
 * @param[in] options the options.
 * @param[in] progress the callback, or NULL for none.
 * @param[in] user_data passed to `progress`.
 * @return 0.
 */
SKYCRATE_API int skycrate_transfer_options_set_progress(skycrate_transfer_options *options,
                                                        skycrate_progress_fn progress,
                                                        void *user_data);

/**
 * @brief Sets the least time between two progress calls.
 * @param[in] options the options.
 * @param[in] interval_ms 1 .. 60000 (default 100).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_transfer_options_set_progress_interval(skycrate_transfer_options *options,
                                                                 uint32_t interval_ms);

/**
 * @brief Uploads a regular file.
 *
 * A file that changes size while it is sent fails the transfer (#SKYCRATE_EIO) and the upload
 * is aborted.
 * @param[out] result_out what was done (free with skycrate_transfer_result_free()), or NULL.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] path the file.
 * @param[in] options the options, or NULL for the defaults.
 * @return 0, #SKYCRATE_EIO (missing, unreadable or changing file), #SKYCRATE_EINVAL (part size
 *         out of S3's limits for this file), #SKYCRATE_ECANCELED, or a code as for
 *         skycrate_object_put().
 */
SKYCRATE_API int skycrate_transfer_upload_file(skycrate_transfer_result **result_out,
                                               skycrate_client *client, const char *bucket,
                                               const char *key, const char *path,
                                               const skycrate_transfer_options *options);

/**
 * @brief Uploads from a file descriptor: a regular file is read from offset 0 to its end at the
 *        call (with `pread`, in parallel; the descriptor's offset is not used); anything else
 *        (a pipe, a socket) is read in order to its end, as a source of unknown length.
 * @param[out] result_out what was done, or NULL.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] fd an open descriptor; it stays open and the caller's.
 * @param[in] options the options, or NULL.
 * @return 0, #SKYCRATE_EIO (unreadable, or a file that changes), #SKYCRATE_EINVAL, or a code as
 *         for skycrate_transfer_upload_file().
 */
SKYCRATE_API int skycrate_transfer_upload_fd(skycrate_transfer_result **result_out,
                                             skycrate_client *client, const char *bucket,
                                             const char *key, int fd,
                                             const skycrate_transfer_options *options);

/**
 * @brief Uploads from a read callback.
 *
 * `read` is called one call at a time, in order, but not always on the calling thread (parts
 * are read by the lane that sends them). Each part is held in memory while it is sent, so parts
 * are retried on their own here too.
 * @param[out] result_out what was done, or NULL.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] options the options, or NULL.
 * @param[in] length the exact number of bytes `read` supplies, or
 *            #SKYCRATE_TRANSFER_SIZE_UNKNOWN (read until it reports the end; such a stream
 *            fails past 10,000 parts, 80,000 MiB with the default part size: set a larger one
 *            for larger streams).
 * @param[in] read the source.
 * @param[in] user_data passed to `read`.
 * @return 0, #SKYCRATE_EINVAL (`read` supplied another length than announced), the callback's
 *         code, #SKYCRATE_ECANCELED, or a code as for skycrate_object_put().
 */
SKYCRATE_API int skycrate_transfer_upload_stream(skycrate_transfer_result **result_out,
                                                 skycrate_client *client, const char *bucket,
                                                 const char *key,
                                                 const skycrate_transfer_options *options,
                                                 uint64_t length, skycrate_read_fn read,
                                                 void *user_data);

/**
 * @brief Downloads an object into a file with ranged GETs in parallel (one part size each).
 *
 * Every range asks for the ETag of the first answer (`If-Match`): an object replaced meanwhile
 * fails the transfer instead of being stitched from two versions. The bytes go to a file beside
 * `path`, which replaces `path` only when complete; on failure (disk full included) it is
 * removed and `path` is left as it was.
 * @param[out] result_out what was done, or NULL.
 * @param[in] client the client.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] path the destination file; replaced.
 * @param[in] options the options (part size, concurrency, progress), or NULL.
 * @return 0, #SKYCRATE_ENOTFOUND, #SKYCRATE_EIO (cannot write), #SKYCRATE_ECONFLICT (the object
 *         changed during the download), #SKYCRATE_ECANCELED, or another code.
 */
SKYCRATE_API int skycrate_transfer_download_file(skycrate_transfer_result **result_out,
                                                 skycrate_client *client, const char *bucket,
                                                 const char *key, const char *path,
                                                 const skycrate_transfer_options *options);

/**
 * @brief The ETag of the object uploaded or downloaded (quotes included as S3 sends it).
 * @param[in] result the result.
 * @return a borrowed string ("" when the server sent none).
 */
SKYCRATE_API const char *skycrate_transfer_result_etag(const skycrate_transfer_result *result);

/**
 * @brief The number of bytes moved.
 * @param[in] result the result.
 * @return the object's size.
 */
SKYCRATE_API uint64_t skycrate_transfer_result_size(const skycrate_transfer_result *result);

/**
 * @brief The number of parts (or ranges).
 * @param[in] result the result.
 * @return the count; 0 for an upload sent as one PutObject and a download in one GET.
 */
SKYCRATE_API uint32_t skycrate_transfer_result_part_count(const skycrate_transfer_result *result);

/**
 * @brief How many parts a resumed upload found already uploaded and did not send again.
 * @param[in] result the result.
 * @return the count (0 for a new upload or a download).
 */
SKYCRATE_API uint32_t skycrate_transfer_result_parts_reused(const skycrate_transfer_result *result);

/**
 * @brief The multipart upload id.
 * @param[in] result the result.
 * @return a borrowed string ("" when the upload was one PutObject, or for a download).
 */
SKYCRATE_API const char *skycrate_transfer_result_upload_id(const skycrate_transfer_result *result);

/**
 * @brief Renders a result as JSON: `{"etag", "size", "parts", "partsReused", "uploadId"}`.
 * @param[out] out the text; free it with skycrate_free().
 * @param[in] result the result.
 * @param[in] flags #SKYCRATE_JSON_PRETTY or 0.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_transfer_result_to_json(char **out,
                                                  const skycrate_transfer_result *result,
                                                  uint32_t flags);

/**
 * @brief Frees a result. NULL does nothing.
 * @param[in] result the result.
 */
SKYCRATE_API void skycrate_transfer_result_free(skycrate_transfer_result *result);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_TRANSFER_H */
