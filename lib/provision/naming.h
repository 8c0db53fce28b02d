/*
 * Bucket names: generated per-user names and a validator for any name (docs/HACKING.md).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_NAMING_H
#define SKYCRATE_PROVISION_NAMING_H

#include <stdbool.h>
#include <stdint.h>

#include "s3/bucket_name.h"

#define SKYCRATE__BUCKET_PREFIX_DEFAULT "skycrate"
#define SKYCRATE__BUCKET_PREFIX_MAX 24

/*
 * How a user id becomes the {user} part of a name (the same for every kind of name):
 * - ASCII letters are lowercased; every other byte outside [a-z0-9] (dots, underscores,
 *   spaces, each byte of a non-ASCII character) becomes '-'; runs of '-' collapse to one;
 *   leading and trailing '-' go. Generated names therefore never contain a dot.
 * - An id that is already in that form, fits the room left, and does not itself end in
 *   "-" plus 8 hex digits (or consist of 8 hex digits) is used as it is.
 * - Any other id (it needed folding, or is too long, or looks like a hashed part) becomes
 *   "{folded, shortened}-{hash}" or, when nothing readable is left, "{hash}", where {hash} is
 *   8 lowercase hex digits of the SHA-256 of the original id bytes. Verbatim parts never end
 *   like hashed parts do, so two distinct ids never get the same {user} part unless their
 *   32-bit hashes collide (and ids that fold to the same text differ in the hash).
 */

/*
 * Checks a name prefix: 1..SKYCRATE__BUCKET_PREFIX_MAX characters of [a-z0-9-], starting and
 * ending with a letter or digit, no "--", and "{prefix}-" not starting with a reserved prefix
 * (xn--, sthree-, amzn-s3-demo-). 0 or SKYCRATE_EINVAL with a message.
 */
int skycrate__bucket_prefix_check(const char *prefix);

/*
 * The name of a new bucket: "{prefix}-{user}-{yyyymmddhhmmss}" (the UTC creation time), and
 * for a retry after BucketAlreadyExists "{prefix}-{user}-{yyyymmddhhmmss}-{8 hex digits}".
 * `prefix` NULL means "skycrate". `retry_nonce` is 0 for the first attempt; a retry passes a
 * fresh random non-zero value (from the crypto layer's random bytes), which gives a new name
 * that nobody can predict. The {user} part leaves room for the suffix, so it is the same on
 * every attempt. The result always passes skycrate__bucket_name_valid().
 * Returns 0, or SKYCRATE_EINVAL (empty or invalid user id, invalid prefix, a time outside
 * 1970..9999).
 */
int skycrate__bucket_name_make(char out[SKYCRATE__BUCKET_NAME_MAX + 1], const char *prefix,
                               const char *user_id, int64_t unix_seconds, uint32_t retry_nonce);

/*
 * The deterministic name dev mode records (no bucket exists): "{prefix}-dev-{user}", the
 * {user} part made as above with the room left. The same id always gives the same name.
 * Returns 0 or SKYCRATE_EINVAL as skycrate__bucket_name_make().
 */
int skycrate__bucket_name_dev(char out[SKYCRATE__BUCKET_NAME_MAX + 1], const char *prefix,
                              const char *user_id);

#endif
