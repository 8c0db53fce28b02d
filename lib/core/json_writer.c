/*
 * Direct JSON rendering, equal to jansson's output (json_writer.h; the unit tests compare the
 * two on hostile strings).
 * SPDX-License-Identifier: MIT
 */
#include "core/json_writer.h"

#include <string.h>

/* 0: as is; else the letter of a two-character escape, or 'u' for \u00XX. */
static const char escape[256] = {
    ['\b'] = 'b',  ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['"'] = '"',
    ['\\'] = '\\', [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
    [0x05] = 'u',  [0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u',
    [0x10] = 'u',  [0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',
    [0x16] = 'u',  [0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',
    [0x1c] = 'u',  [0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
};

/* The length of the run at the start of s[0..n) that needs no escaping, eight bytes at a time
 * while that is possible (control characters, '"' and '\\' stop it). */
static size_t plain_run(const char *s, size_t n)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        /* Any byte below 0x20, or equal to '"' or '\\' (zero after the xor)? Exact as a yes or
         * no: a borrow only starts at such a byte. */
        uint64_t below = (x - ones * 0x20) & ~x, quote = (q - ones) & ~q, slash = (b - ones) & ~b;
        if ((below | quote | slash) & highs)
            break;
    }
    while (i < n && escape[(unsigned char)s[i]] == 0)
        i++;
    return i;
}

size_t skycrate__json_escaped_len(const char *s, size_t n)
{
    size_t len = n;
    for (size_t i = plain_run(s, n); i < n; i += 1 + plain_run(s + i + 1, n - i - 1)) {
        char e = escape[(unsigned char)s[i]];
        len += e == 'u' ? 5 : 1;
    }
    return len;
}

char *skycrate__json_escape_at(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (;;) {
        size_t run = plain_run(s, n);
        memcpy(p, s, run);
        p += run;
        if (run == n)
            return p;
        unsigned char c = (unsigned char)s[run];
        char e = escape[c];
        *p++ = '\\';
        *p++ = e;
        if (e == 'u') {
            memcpy(p, "00", 2);
            p[2] = hex[c >> 4];
            p[3] = hex[c & 0x0f];
            p += 4;
        }
        s += run + 1;
        n -= run + 1;
    }
}

void skycrate__json_writer_init(skycrate__json_writer *w, char *mem, bool pretty)
{
    w->p = mem;
    w->len = 0;
    w->pretty = pretty;
    w->depth = 0;
    w->has_members = 0;
}

void skycrate__json_raw(skycrate__json_writer *w, const char *s, size_t n)
{
    if (w->p && s)
        memcpy(w->p + w->len, s, n);
    w->len += n;
}

/* A new line indented to `depth`, in pretty output only. */
static void indent(skycrate__json_writer *w, unsigned depth)
{
    if (!w->pretty)
        return;
    skycrate__json_raw(w, "\n", 1);
    for (unsigned i = 0; i < depth; i++)
        skycrate__json_raw(w, "  ", 2);
}

void skycrate__json_object_begin(skycrate__json_writer *w)
{
    skycrate__json_raw(w, "{", 1);
    w->depth++;
    w->has_members &= ~(UINT32_C(1) << w->depth);
}

void skycrate__json_object_end(skycrate__json_writer *w)
{
    if (w->has_members & (UINT32_C(1) << w->depth))
        indent(w, w->depth - 1);
    w->depth--;
    skycrate__json_raw(w, "}", 1);
}

void skycrate__json_member(skycrate__json_writer *w, const char *name)
{
    uint32_t bit = UINT32_C(1) << w->depth;
    if (w->has_members & bit)
        skycrate__json_raw(w, ",", 1);
    w->has_members |= bit;
    indent(w, w->depth);
    skycrate__json_raw(w, "\"", 1);
    skycrate__json_raw(w, name, strlen(name));
    skycrate__json_raw(w, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
}

void skycrate__json_string(skycrate__json_writer *w, const char *s, size_t n)
{
    skycrate__json_raw(w, "\"", 1);
    if (w->p)
        w->len = (size_t)(skycrate__json_escape_at(w->p + w->len, s, n) - w->p);
    else
        w->len += skycrate__json_escaped_len(s, n);
    skycrate__json_raw(w, "\"", 1);
}

void skycrate__json_int(skycrate__json_writer *w, int64_t value)
{
    char digits[24], *end = digits + sizeof(digits), *p = end;
    uint64_t v = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    if (value < 0)
        *--p = '-';
    skycrate__json_raw(w, p, (size_t)(end - p));
}

void skycrate__json_bool(skycrate__json_writer *w, bool value)
{
    skycrate__json_raw(w, value ? "true" : "false", value ? 4 : 5);
}
