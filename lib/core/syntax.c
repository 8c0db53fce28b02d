/*
 * Header names and values, region names: one rule each, for every source of the value.
 * SPDX-License-Identifier: MIT
 */
#include "core/syntax.h"

#include <string.h>

#include "core/common.h"

static bool is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool skycrate__http_token_ok(const char *s)
{
    if (!s || !*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!skycrate__is_tchar(*p))
            return false;
    return true;
}

bool skycrate__http_value_ok(const char *s)
{
    if (!s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p > 0x7e)
            return false;
    return true;
}

bool skycrate__url_text_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return false;
    return true;
}

int skycrate__http_headers_check(const skycrate__kv *headers, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *name = headers[i].name;
        if (!skycrate__http_token_ok(name))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "request header #%zu: the name is not an HTTP token", i);
        if (!skycrate__http_value_ok(headers[i].value))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "request header '%.64s': the value has a line break or "
                                       "another character outside printable ASCII",
                                       name);
    }
    return 0;
}

bool skycrate__region_ok(const char *r)
{
    size_t n = r ? strlen(r) : 0;
    if (n == 0 || n > SKYCRATE__REGION_MAX || !is_alnum((unsigned char)r[0]) ||
        !is_alnum((unsigned char)r[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum((unsigned char)r[i]) && r[i] != '-')
            return false;
    return true;
}

int skycrate__region_check(const char *region, const char *what)
{
    if (skycrate__region_ok(region))
        return 0;
    /* Only the printable start: a server's value may carry anything. */
    char shown[65];
    size_t n = 0;
    for (const char *p = region ? region : ""; *p && n < sizeof(shown) - 1; p++)
        shown[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    shown[n] = '\0';
    return skycrate__error_set(SKYCRATE_EINVAL,
                               "%s '%s' is not a region name (1 to %d letters, digits and dashes, "
                               "a letter or digit at both ends)",
                               what, shown, SKYCRATE__REGION_MAX);
}
