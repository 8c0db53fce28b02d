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
 * A presigner (#skycrate_presigner) turns presign requests into SigV4 query-signed URLs for
 * browsers and other clients that hold no credentials. It is made from a client, whose region,
 * endpoint, addressing and credentials provider it copies, and whose clock offset it follows;
 * afterwards it never changes, does no I/O, takes no lock, and may be used by any number of
 * threads at once.
 *
 * A presign request (#skycrate_presign_request) names the method, bucket and key of one S3
 * request, with its expiry, the headers the client will send and any extra query parameters.
 * Its setters check every input at once, so a request that was built is valid.
 *
 * The result is a contract (#skycrate_presigned): the URL, the headers the client must send
 * with their exact values, and the real expiry, also as JSON:
 * @code{.json}
 * { "method": "PUT", "bucket": "skycrate-user42-1732300000",
 *   "key": "uploads/user42/2f1c...-report.pdf",
 *   "url": "https://skycrate-user42-1732300000.s3.eu-west-1.amazonaws.com/uploads/...",
 *   "headers": { "content-type": "application/pdf" },
 *   "expiresAt": "2024-11-22T18:41:40Z", "expiresIn": 900, "expiresClamped": false }
 * @endcode
 * An UploadPart contract also has `"partNumber"` and `"uploadId"`. No checksum, ACL or other
 * parameter is ever added to a URL unless the request asks for it. Servers that presign in
 * bulk use skycrate_presigner_sign_url() or skycrate_presigner_sign_json(), which write the URL
 * or the contract's JSON into a caller's buffer and allocate nothing; with
 * skycrate_upload_key_to() and one request per thread (skycrate_presign_request_set_key()),
 * a presign endpoint's whole answer allocates nothing.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Creates a presigner from a client.
 *
 * The presigner copies the client's region, endpoint, addressing style and endpoint variants,
 * takes its own reference to the client's credentials provider, and shares the client's clock
 * offset: when the client learns a new one from a server, or skycrate_client_set_clock_offset()
 * sets it, the next presign uses it (one atomic read per presign). The client may be freed
 * afterwards; the presigner then keeps the last offset. Presigning asks the provider for
 * credentials once per URL: give the client a caching provider when that is expensive.
 * @param[out] out the new presigner; free it with skycrate_presigner_free().
 * @param[in] client the client; only read.
 * @return 0, #SKYCRATE_EINVAL for an invalid client, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_presigner_new(skycrate_presigner **out, const skycrate_client *client);

/**
 * @brief Frees a presigner and drops its reference to the credentials provider. NULL does
 *        nothing. No other thread may be using it.
 * @param[in] presigner the presigner.
 */
SKYCRATE_API void skycrate_presigner_free(skycrate_presigner *presigner);

/**
 * @brief The region the presigner signs for.
 * @param[in] presigner the presigner.
 * @return a borrowed string that lives as long as the presigner ("" for an invalid handle).
 */
SKYCRATE_API const char *skycrate_presigner_region(const skycrate_presigner *presigner);

/**
 * @brief Creates a presign request with an expiry of 900 seconds, signed as of the time of
 *        each presign.
 *
 * @param[out] out the new request; free it with skycrate_presign_request_free().
 * @param[in] method `GET`, `PUT`, `HEAD` or `DELETE` (any case).
 * @param[in] bucket the bucket: 3 to 255 characters of `A-Z a-z 0-9 . - _`.
 * @param[in] key the object key: 1 to 1024 bytes of UTF-8; or "" for a request on the bucket
 *            itself (GET with the query `list-type=2` is ListObjectsV2, HEAD is HeadBucket): the
 *            path is then `/` (virtual hosting) or `/bucket` (path style), as botocore writes it.
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

/**
 * @brief Presigns a request and returns its contract.
 *
 * Asks the credentials provider once; a session token is signed into the URL as
 * `X-Amz-Security-Token`. The signing time is the request's fixed time, else now corrected by
 * the client's current clock offset (skycrate_client_clock_offset()). The expiry is clamped so
 * that the URL never outlives the credentials (skycrate_presigned_clamped() then returns 1).
 * Thread-safe.
 * @param[out] out the contract; free it with skycrate_presigned_free().
 * @param[in] presigner the presigner.
 * @param[in] request the request.
 * @return 0, #SKYCRATE_EINVAL, #SKYCRATE_EEXPIRED when the credentials expire before the
 *         signing time, the provider's code (#SKYCRATE_ENOTFOUND, #SKYCRATE_EAUTH, ...), or
 *         #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_presigner_sign(skycrate_presigned **out,
                                         const skycrate_presigner *presigner,
                                         const skycrate_presign_request *request);

/**
 * @brief Presigns a request into a caller's buffer: the fast path for servers that presign in
 *        bulk.
 *
 * The same URL as skycrate_presigner_sign() (with the same clamping), written NUL-terminated into
 * `buf`. It allocates nothing and takes no lock once the calling thread has presigned for the
 * same credentials, region, day and bucket before (a small per-thread cache keeps the derived
 * signing key and the bucket's host), and when the provider itself does not allocate. Thread-safe.
 * @param[out] buf where the URL goes.
 * @param[in] cap the size of `buf` in bytes.
 * @param[out] len_out the URL's length without the NUL (also when `buf` is too small); may be
 *             NULL.
 * @param[in] presigner the presigner.
 * @param[in] request the request.
 * @return 0, #SKYCRATE_EINVAL (also when `cap` is not more than the URL's length: then nothing
 *         was written), #SKYCRATE_EEXPIRED, the provider's code, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_presigner_sign_url(char *buf, size_t cap, size_t *len_out,
                                             const skycrate_presigner *presigner,
                                             const skycrate_presign_request *request);

/**
 * @brief Presigns a request straight into the contract's JSON, in a caller's buffer: the fast
 *        path for a presign endpoint that answers with the contract. Thread-safe.
 *
 * The text is byte for byte what skycrate_presigner_sign() and skycrate_presigned_to_json()
 * with the same `flags` give (for the same signing time), but no contract is made: the URL is
 * signed in its place inside the document. Like skycrate_presigner_sign_url() it allocates
 * nothing once the calling thread has presigned for the same credentials, region, day and
 * bucket before, and when the provider itself does not allocate.
 * @param[out] buf where the JSON goes, NUL-terminated (UTF-8).
 * @param[in] cap the size of `buf` in bytes.
 * @param[out] len_out the text's length without the NUL (also when `buf` is too small); may
 *             be NULL.
 * @param[in] presigner the presigner.
 * @param[in] request the request.
 * @param[in] flags 0 (compact) or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL (also when `cap` is not more than the text's length: then
 *         nothing was written), #SKYCRATE_EEXPIRED, the provider's code, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_presigner_sign_json(char *buf, size_t cap, size_t *len_out,
                                              const skycrate_presigner *presigner,
                                              const skycrate_presign_request *request,
                                              uint32_t flags);

/**
 * @brief Presigns the UploadPart URLs of a multipart upload: parts `first_part` ..
 *        `first_part + count - 1`, all signed at the same time.
 * @param[out] out an array of `count` contracts, each freed with skycrate_presigned_free();
 *             all NULL on failure.
 * @param[in] count how many parts (at least 1; the last part number is at most 10000).
 * @param[in] presigner the presigner.
 * @param[in] bucket the bucket.
 * @param[in] key the object key.
 * @param[in] upload_id the upload id from skycrate_multipart_create().
 * @param[in] first_part the first part number (1 ..).
 * @param[in] expires_seconds 1 .. 604800.
 * @return 0, #SKYCRATE_EINVAL, or as skycrate_presigner_sign().
 */
SKYCRATE_API int skycrate_presigner_sign_parts(skycrate_presigned **out, size_t count,
                                               const skycrate_presigner *presigner,
                                               const char *bucket, const char *key,
                                               const char *upload_id, uint32_t first_part,
                                               int64_t expires_seconds);

/**
 * @brief Frees a contract (its URL is wiped first). NULL does nothing.
 * @param[in] contract the contract.
 */
SKYCRATE_API void skycrate_presigned_free(skycrate_presigned *contract);

/**
 * @brief The contract's method: `GET`, `PUT`, `HEAD` or `DELETE`.
 * @param[in] contract the contract.
 * @return a borrowed string that lives as long as the contract.
 */
SKYCRATE_API const char *skycrate_presigned_method(const skycrate_presigned *contract);

/**
 * @brief The contract's bucket.
 * @param[in] contract the contract.
 * @return a borrowed string that lives as long as the contract.
 */
SKYCRATE_API const char *skycrate_presigned_bucket(const skycrate_presigned *contract);

/**
 * @brief The contract's object key.
 * @param[in] contract the contract.
 * @return a borrowed string that lives as long as the contract.
 */
SKYCRATE_API const char *skycrate_presigned_key(const skycrate_presigned *contract);

/**
 * @brief The presigned URL. It grants access: treat it as a secret until used.
 * @param[in] contract the contract.
 * @return a borrowed string that lives as long as the contract.
 */
SKYCRATE_API const char *skycrate_presigned_url(const skycrate_presigned *contract);

/**
 * @brief How many headers the client must send (every signed header but `Host`).
 * @param[in] contract the contract.
 * @return the number of headers.
 */
SKYCRATE_API size_t skycrate_presigned_header_count(const skycrate_presigned *contract);

/**
 * @brief One header the client must send, with the exact value it must have.
 * @param[in] contract the contract.
 * @param[in] index 0 .. skycrate_presigned_header_count() - 1; headers are sorted by name.
 * @param[out] name the lowercase name (borrowed; may be NULL).
 * @param[out] value the value (borrowed; may be NULL).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_presigned_header(const char **name, const char **value,
                                           const skycrate_presigned *contract, size_t index);

/**
 * @brief When the URL stops working.
 * @param[in] contract the contract.
 * @return seconds since the Unix epoch: the signing time plus skycrate_presigned_expires_in().
 */
SKYCRATE_API int64_t skycrate_presigned_expires_at(const skycrate_presigned *contract);

/**
 * @brief How long the URL works from its signing time, in seconds (after clamping).
 * @param[in] contract the contract.
 * @return 1 .. 604800.
 */
SKYCRATE_API int64_t skycrate_presigned_expires_in(const skycrate_presigned *contract);

/**
 * @brief Whether the expiry was shortened to the credentials' expiration.
 * @param[in] contract the contract.
 * @return 1 if it was, else 0.
 */
SKYCRATE_API int skycrate_presigned_clamped(const skycrate_presigned *contract);

/**
 * @brief The contract as JSON: `method`, `bucket`, `key`, `url`, `headers` (an object of
 *        lowercase name to exact value), `expiresAt` (ISO 8601 UTC), `expiresIn` (seconds),
 *        `expiresClamped`, and for an UploadPart `partNumber` and `uploadId`.
 * @param[out] out the JSON text (UTF-8); free it with skycrate_free().
 * @param[in] contract the contract.
 * @param[in] flags 0 (compact) or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_presigned_to_json(char **out, const skycrate_presigned *contract,
                                            uint32_t flags);

/**
 * @brief What was signed, for diagnosing a `SignatureDoesNotMatch`: compare with the server's
 *        `CanonicalRequest` and `StringToSign` (skycrate_client_last_response()).
 *
 * Neither contains the secret key or the signing key; the canonical request contains the
 * session token, as the URL does.
 * @param[in] contract the contract.
 * @param[out] canonical_request the SigV4 canonical request (borrowed; may be NULL).
 * @param[out] string_to_sign the SigV4 string to sign (borrowed; may be NULL).
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_presigned_explain(const char **canonical_request,
                                            const char **string_to_sign,
                                            const skycrate_presigned *contract);

/**
 * @brief Makes a safe, unique object key for a browser upload from an untrusted file name:
 *        `{prefix}/{user_id}/{uuid}-{name}`, for example
 *        `uploads/user42/2f1c7e0a-9b3d-4c1e-8f6a-0d5e4b3a2c1f-report 2024.pdf`.
 *
 * The name keeps only what is safe: directories are stripped (everything up to the last slash
 * or backslash); invalid UTF-8, control characters and invisible or direction-changing
 * characters (U+200B..U+200F, U+202A..U+202E, U+2066..U+2069, ...) are removed; the double
 * quote, `#`, `%`, `*`, `:`, `;`, `<`, `>`, `?`, `^`, braces, brackets, `|`, the backslash and
 * the backtick become `_`; runs of blanks become one space and runs of dots one dot; leading
 * dots and trailing dots and blanks go (no `..`, no hidden names); the name is cut to 128 bytes
 * keeping a short extension; an empty result is `file`. The uuid (version 4) makes keys unique,
 * so uploads never overwrite each other, and unguessable: its 122 random bits come from a
 * per-thread ChaCha20 generator seeded from the system's secure source (getrandom), seeded
 * again after fork() and erasing what it handed out.
 * @param[out] out the key (at most #SKYCRATE_UPLOAD_KEY_MAX bytes); free it with
 *            skycrate_free().
 * @param[in] prefix the first segments without a leading `/` (`uploads/` and `uploads` are the
 *            same), "" for none, or NULL for `uploads`.
 * @param[in] user_id 1 to 128 characters of `A-Z a-z 0-9 . _ @ + = ~ -`, not starting with `.`.
 * @param[in] filename the file name as the browser sent it (any bytes).
 * @return 0, #SKYCRATE_EINVAL, #SKYCRATE_ERROR when no random bytes could be had, or
 *         #SKYCRATE_ENOMEM. Thread-safe.
 */
SKYCRATE_API int skycrate_upload_key(char **out, const char *prefix, const char *user_id,
                                     const char *filename);

/** The longest key skycrate_upload_key() makes, in bytes (without the NUL). */
#define SKYCRATE_UPLOAD_KEY_MAX 1024

/**
 * @brief skycrate_upload_key() into a caller's buffer, with no allocation: for servers that
 *        make a key per request. Thread-safe.
 * @param[out] buf where the key goes, NUL-terminated.
 * @param[in] cap the size of `buf` in bytes; #SKYCRATE_UPLOAD_KEY_MAX + 1 always suffices.
 * @param[out] len_out the key's length without the NUL (also when `buf` is too small); may be
 *             NULL.
 * @param[in] prefix as for skycrate_upload_key().
 * @param[in] user_id as for skycrate_upload_key().
 * @param[in] filename as for skycrate_upload_key().
 * @return 0, #SKYCRATE_EINVAL (also when `cap` is not more than the key's length: then nothing
 *         was written), or #SKYCRATE_ERROR when no random bytes could be had.
 */
SKYCRATE_API int skycrate_upload_key_to(char *buf, size_t cap, size_t *len_out, const char *prefix,
                                        const char *user_id, const char *filename);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_PRESIGNER_H */
