/*
 * Bucket names: generated per-user names (docs/HACKING.md); the validator is lib/s3/bucket_name.c.
 * SPDX-License-Identifier: MIT
 */
#include "provision/naming.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define HASH_HEX 8
#define STAMP_LEN 14            /* yyyymmddhhmmss */
#define SUFFIX_LEN 9            /* "-" + 8 hex digits */
#define MAX_UNIX 253402300799LL /* 9999-12-31T23:59:59Z */

static void id_hash_hex(char out[HASH_HEX + 1], const char *user_id)
{
    uint8_t digest[SKYCRATE__SHA256_LEN];
    skycrate__sha256(digest, user_id, strlen(user_id));
    skycrate__hex_encode(out, digest, HASH_HEX / 2);
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* True for a part that ends like a hashed one: "...-" + 8 hex digits, or just 8 hex digits. */
static bool looks_hashed(const char *s, size_t len)
{
    if (len < HASH_HEX)
        return false;
    for (size_t i = len - HASH_HEX; i < len; i++)
        if (!is_hex(s[i]))
            return false;
    return len == HASH_HEX || s[len - HASH_HEX - 1] == '-';
}

/* Writes the {user} part (at most `room` characters, room > SUFFIX_LEN) to `out`. */
static void user_part(char *out, size_t room, const char *user_id)
{
    size_t n = 0, id_len = strlen(user_id);
    bool folded = false;
    for (size_t i = 0; i < id_len && n <= room; i++) {
        char c = user_id[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!is_lower_alnum(c))
            c = '-';
        if (c != user_id[i])
            folded = true;
        if (c == '-' && (n == 0 || out[n - 1] == '-')) {
            folded = true; /* a leading '-' or a run */
            continue;
        }
        out[n++] = c;
    }
    bool too_long = n > room;
    if (!too_long && n > 0 && out[n - 1] == '-') {
        folded = true;
        n--;
    }
    if (!folded && !too_long && !looks_hashed(out, n)) {
        out[n] = '\0';
        return;
    }
    /* Shorten to leave room for "-{hash}", drop a trailing '-', then append the hash. */
    if (n > room - SUFFIX_LEN)
        n = room - SUFFIX_LEN;
    while (n > 0 && out[n - 1] == '-')
        n--;
    if (n > 0)
        out[n++] = '-';
    id_hash_hex(out + n, user_id);
}

int skycrate__bucket_prefix_check(const char *prefix)
{
    SKYCRATE_ASSERT_ARG(prefix);
    size_t len = strlen(prefix);
    if (len == 0 || len > SKYCRATE__BUCKET_PREFIX_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "the bucket name prefix must be 1 to %d characters long",
                                   SKYCRATE__BUCKET_PREFIX_MAX);
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(prefix[i]) && prefix[i] != '-')
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "the bucket name prefix may contain only lowercase "
                                       "letters, digits and '-'");
    if (prefix[0] == '-' || prefix[len - 1] == '-' || strstr(prefix, "--"))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "the bucket name prefix must begin and end with a letter or "
                                   "digit and contain no \"--\"");
    char with_dash[SKYCRATE__BUCKET_PREFIX_MAX + 2];
    snprintf(with_dash, sizeof(with_dash), "%s-", prefix);
    const char *reserved = skycrate__bucket_reserved_prefix(with_dash);
    if (reserved)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "the bucket name prefix makes names start with the "
                                   "reserved prefix \"%s\"",
                                   reserved);
    return 0;
}

/* Checks the inputs common to both kinds of name; sets *prefix to the default when NULL. */
static int check_inputs(const char **prefix, const char *user_id)
{
    if (!*prefix)
        *prefix = SKYCRATE__BUCKET_PREFIX_DEFAULT;
    int error = skycrate__bucket_prefix_check(*prefix);
    if (error == 0)
        error = skycrate__user_id_check(user_id);
    return error;
}

/* Every generated name passes the validator; this is the proof at run time. */
static int finish(char *out)
{
    int error = skycrate__bucket_name_check(out);
    if (error < 0)
        out[0] = '\0';
    return error;
}

int skycrate__bucket_name_make(char out[SKYCRATE__BUCKET_NAME_MAX + 1], const char *prefix,
                               const char *user_id, int64_t unix_seconds, uint32_t retry_nonce)
{
    SKYCRATE_ASSERT_ARG(out);
    out[0] = '\0';
    int error = check_inputs(&prefix, user_id);
    if (error < 0)
        return error;
    if (unix_seconds < 0 || unix_seconds > MAX_UNIX)
        return skycrate__error_set(SKYCRATE_EINVAL, "bucket creation time %lld is out of range",
                                   (long long)unix_seconds);

    size_t plen = strlen(prefix);
    size_t room = SKYCRATE__BUCKET_NAME_MAX - plen - 1 - 1 - STAMP_LEN - SUFFIX_LEN;
    char user[SKYCRATE__BUCKET_NAME_MAX + 1];
    user_part(user, room, user_id);

    char amz[17]; /* yyyymmddThhmmssZ */
    skycrate__format_amz_date(amz, unix_seconds);
    int n =
        snprintf(out, SKYCRATE__BUCKET_NAME_MAX + 1, "%s-%s-%.8s%.6s", prefix, user, amz, amz + 9);
    if (retry_nonce != 0)
        snprintf(out + n, (size_t)(SKYCRATE__BUCKET_NAME_MAX + 1 - n), "-%08x",
                 (unsigned)retry_nonce);
    return finish(out);
}

int skycrate__bucket_name_dev(char out[SKYCRATE__BUCKET_NAME_MAX + 1], const char *prefix,
                              const char *user_id)
{
    SKYCRATE_ASSERT_ARG(out);
    out[0] = '\0';
    int error = check_inputs(&prefix, user_id);
    if (error < 0)
        return error;
    size_t room = SKYCRATE__BUCKET_NAME_MAX - strlen(prefix) - strlen("-dev-");
    char user[SKYCRATE__BUCKET_NAME_MAX + 1];
    user_part(user, room, user_id);
    size_t plen = strlen(prefix), ulen = strlen(user); /* plen + 5 + ulen <= 63 */
    memcpy(out, prefix, plen);
    memcpy(out + plen, "-dev-", 5);
    memcpy(out + plen + 5, user, ulen + 1);
    return finish(out);
}
