/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_BUCKETS_H
#define SKYCRATE_BUCKETS_H

/**
 * @file skycrate/buckets.h
 * @brief Bucket operations: create, head, delete.
 * @defgroup skycrate_buckets Buckets
 *
 * Plain bucket operations. Per-user buckets with their security configuration, journal and
 * rollback come from the provisioner. Used by one thread at a time per client.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/**
 * @brief Creates a bucket in the client's region (CreateBucket; a LocationConstraint is sent
 *        for every region except us-east-1).
 * @param[in] client the client.
 * @param[in] bucket the bucket name (S3's naming rules).
 * @return 0 (also when the bucket exists and is already ours, as S3 answers in us-east-1),
 *         #SKYCRATE_EEXISTS (`BucketAlreadyExists`, or `BucketAlreadyOwnedByYou`),
 *         #SKYCRATE_EINVAL for an invalid name, or another code.
 */
SKYCRATE_API int skycrate_bucket_create(skycrate_client *client, const char *bucket);

/**
 * @brief Checks that a bucket exists and is accessible (HeadBucket). The bucket's region, when
 *        the server reports it, is in skycrate_client_last_response().
 * @param[in] client the client.
 * @param[in] bucket the bucket name.
 * @return 0, #SKYCRATE_ENOTFOUND, #SKYCRATE_EACCESS, or another code.
 */
SKYCRATE_API int skycrate_bucket_head(skycrate_client *client, const char *bucket);

/**
 * @brief Deletes an empty bucket (DeleteBucket).
 * @param[in] client the client.
 * @param[in] bucket the bucket name.
 * @return 0, #SKYCRATE_ENOTFOUND, #SKYCRATE_ECONFLICT when it is not empty, or another code.
 */
SKYCRATE_API int skycrate_bucket_delete(skycrate_client *client, const char *bucket);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_BUCKETS_H */
