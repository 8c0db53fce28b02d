/*
 * Bucket names: the S3 naming rules for a bucket to be created.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_S3_BUCKET_NAME_H
#define SKYCRATE_S3_BUCKET_NAME_H

#include <stdbool.h>

#define SKYCRATE__BUCKET_NAME_MAX 63

/*
 * True when `name` is a valid general purpose bucket name: 3..63 characters of [a-z0-9.-],
 * beginning and ending with a letter or digit, no "..", not four dot-separated groups of
 * digits (an IPv4 address), no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix
 * (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3). NULL is invalid. Leaves the error slot alone.
 */
bool skycrate__bucket_name_valid(const char *name);

/* Like skycrate__bucket_name_valid(), as 0 or SKYCRATE_EINVAL with a message saying why. */
int skycrate__bucket_name_check(const char *name);

/* The longest name of an existing bucket a request may address (legacy us-east-1 buckets). */
#define SKYCRATE__BUCKET_NAME_USABLE_MAX 255

/*
 * Whether a request may address a bucket of this name: 3 to 255 of A-Z a-z 0-9 . - _ (the
 * names S3 ever allowed, legacy us-east-1 ones included, as botocore accepts them). Nothing
 * else may go into a host name or the first path segment: a '/' would address another bucket.
 * Returns 0 or SKYCRATE_EINVAL. New buckets must pass skycrate__bucket_name_check() as well.
 */
int skycrate__bucket_name_usable(const char *name);

/* The reserved prefix `s` starts with (xn--, sthree-, amzn-s3-demo-), or NULL. */
const char *skycrate__bucket_reserved_prefix(const char *s);

#endif
