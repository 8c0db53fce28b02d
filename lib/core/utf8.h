/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_UTF8_H
#define SKYCRATE_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the character at the start of s[0..n) (n >= 1): returns its length in bytes (1 to 4)
 * with its code point in *cp, or 0 when the bytes there are not strict UTF-8. */
size_t skycrate__utf8_decode(const char *s, size_t n, uint32_t *cp);

/* True when s[0..n) is strict UTF-8 (an empty string is). */
bool skycrate__utf8_valid(const char *s, size_t n);

#endif
