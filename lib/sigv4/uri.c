/*
 * RFC 3986 percent-encoding as SigV4 uses it (docs/HACKING.md, "S3 rules that bite"): the one
 * table of unreserved bytes, encoding into a buffer or straight into memory the caller sized,
 * and the order of encoded strings without building them.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "core/common.h"
#include "sigv4/sigv4.h"

static const char hex_upper[] = "0123456789ABCDEF";

/* 1 for the RFC 3986 unreserved bytes A-Z a-z 0-9 - _ . ~ */
static const unsigned char unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static bool kept(unsigned char c, bool keep_slash)
{
    return unreserved[c] || (c == '/' && keep_slash);
}

size_t skycrate__uri_encoded_len(const char *s, size_t len, bool keep_slash)
{
    size_t out = len;
    for (size_t i = 0; i < len; i++)
        out += kept((unsigned char)s[i], keep_slash) ? 0 : 2;
    return out;
}

char *skycrate__uri_encode_at(char *p, const char *s, size_t len, bool keep_slash)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (kept(c, keep_slash)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex_upper[c >> 4];
            *p++ = hex_upper[c & 0x0f];
        }
    }
    return p;
}

int skycrate__uri_encode(skycrate__buf *out, const char *s, size_t len, bool keep_slash)
{
    /* Room for the worst case: a reused buffer then never reallocates. */
    if (len > (SIZE_MAX - 1) / 3 || skycrate__buf_grow(out, 3 * len) < 0)
        return skycrate__error_nomem();
    char *end = skycrate__uri_encode_at(out->ptr + out->len, s, len, keep_slash);
    out->len = (size_t)(end - out->ptr);
    out->ptr[out->len] = '\0';
    return 0;
}

/* Walks the encoding of a NUL-terminated string one character at a time, without building it. */
typedef struct {
    const unsigned char *p;
    char pending[2];
    int next, count;
} enc_iter;

static int enc_next(enc_iter *it)
{
    if (it->next < it->count)
        return (unsigned char)it->pending[it->next++];
    unsigned char c = *it->p;
    if (c == '\0')
        return -1;
    it->p++;
    if (unreserved[c])
        return c;
    it->pending[0] = hex_upper[c >> 4];
    it->pending[1] = hex_upper[c & 0x0f];
    it->next = 0;
    it->count = 2;
    return '%';
}

int skycrate__uri_encoded_cmp(const char *a, const char *b)
{
    enc_iter x = {(const unsigned char *)a, {0, 0}, 0, 0};
    enc_iter y = {(const unsigned char *)b, {0, 0}, 0, 0};
    for (;;) {
        int ca = enc_next(&x), cb = enc_next(&y);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca < 0)
            return 0;
    }
}
