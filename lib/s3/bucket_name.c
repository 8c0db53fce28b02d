/*
 * Bucket names: the S3 naming rules for a bucket to be created (docs/HACKING.md).
 * SPDX-License-Identifier: MIT
 */
#include "s3/bucket_name.h"

#include <string.h>

#include "core/common.h"

static const char *const reserved_prefixes[] = {"xn--", "sthree-", "amzn-s3-demo-"};
static const char *const reserved_suffixes[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3",
                                                "--table-s3"};

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

const char *skycrate__bucket_reserved_prefix(const char *s)
{
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(reserved_prefixes); i++)
        if (starts_with(s, reserved_prefixes[i]))
            return reserved_prefixes[i];
    return NULL;
}

/* Four non-empty groups of digits separated by single dots. */
static bool looks_like_ipv4(const char *s)
{
    int groups = 0;
    size_t digits = 0;
    for (;; s++) {
        if (*s >= '0' && *s <= '9') {
            digits++;
        } else if ((*s == '.' || *s == '\0') && digits > 0) {
            groups++;
            digits = 0;
            if (*s == '\0')
                return groups == 4;
        } else {
            return false;
        }
    }
}

/* Why `name` is not a valid bucket name, or NULL when it is. */
static const char *name_problem(const char *name)
{
    if (!name)
        return "no name given";
    size_t len = strnlen(name, SKYCRATE__BUCKET_NAME_MAX + 1);
    if (len < 3 || len > SKYCRATE__BUCKET_NAME_MAX)
        return "it must be 3 to 63 characters long";
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(name[i]) && name[i] != '-' && name[i] != '.')
            return "it may contain only lowercase letters, digits, '.' and '-'";
    if (!is_lower_alnum(name[0]) || !is_lower_alnum(name[len - 1]))
        return "it must begin and end with a letter or digit";
    if (strstr(name, ".."))
        return "it must not contain \"..\"";
    if (looks_like_ipv4(name))
        return "it must not be formatted as an IP address";
    if (skycrate__bucket_reserved_prefix(name))
        return "it starts with a prefix that S3 reserves";
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(reserved_suffixes); i++)
        if (ends_with(name, len, reserved_suffixes[i]))
            return "it ends with a suffix that S3 reserves";
    return NULL;
}

bool skycrate__bucket_name_valid(const char *name)
{
    return name_problem(name) == NULL;
}

int skycrate__bucket_name_check(const char *name)
{
    const char *problem = name_problem(name);
    if (!problem)
        return 0;
    if (!name)
        return skycrate__error_set(SKYCRATE_EINVAL, "invalid bucket name: %s", problem);
    return skycrate__error_set(SKYCRATE_EINVAL, "invalid bucket name \"%.80s\": %s", name, problem);
}

int skycrate__bucket_name_usable(const char *name)
{
    size_t n = name ? strnlen(name, SKYCRATE__BUCKET_NAME_USABLE_MAX + 1) : 0;
    if (n < 3 || n > SKYCRATE__BUCKET_NAME_USABLE_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "the bucket name must have 3 to %d characters",
                                   SKYCRATE__BUCKET_NAME_USABLE_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "the bucket name \"%.80s\" has a character other than "
                                       "letters, digits, '.', '-' and '_'",
                                       name);
    }
    return 0;
}
