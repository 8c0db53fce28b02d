/*
 * Hex, base64 (strict decoding) and Content-MD5 values.
 * SPDX-License-Identifier: MIT
 */
#include "crypto/crypto.h"

#include <string.h>

#include <mbedtls/base64.h>

#include "core/alloc.h"
#include "errors.h"

/* The two hex digits of every byte value, for one copy per byte. */
#define HEX_ROW(h)                                                                                 \
    h "0" h "1" h "2" h "3" h "4" h "5" h "6" h "7" h "8" h "9" h "a" h "b" h "c" h "d" h "e" h "f"
static const char hex_pairs[] = HEX_ROW("0") HEX_ROW("1") HEX_ROW("2") HEX_ROW("3") HEX_ROW("4")
    HEX_ROW("5") HEX_ROW("6") HEX_ROW("7") HEX_ROW("8") HEX_ROW("9") HEX_ROW("a") HEX_ROW("b")
        HEX_ROW("c") HEX_ROW("d") HEX_ROW("e") HEX_ROW("f");

void skycrate__hex_encode(char *out, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_pairs[2 * data[i]];
        out[2 * i + 1] = hex_pairs[2 * data[i] + 1];
    }
    out[2 * len] = '\0';
}

int skycrate__base64_encode(skycrate__buf *out, const void *data, size_t len)
{
    if (len > (SIZE_MAX / 4) * 3 - 3)
        return skycrate__error_nomem();
    size_t need = 4 * ((len + 2) / 3);
    if (skycrate__buf_grow(out, need) < 0)
        return SKYCRATE_ENOMEM;
    size_t olen = 0;
    /* grow() left room for need + 1 bytes: mbedTLS writes the NUL too. */
    int ret = mbedtls_base64_encode((unsigned char *)out->ptr + out->len, need + 1, &olen,
                                    len ? data : (const void *)"", len);
    if (ret != 0)
        return skycrate__error_from_mbedtls(SKYCRATE_ERROR, ret, "base64 encoding");
    out->len += olen;
    out->ptr[out->len] = '\0';
    return 0;
}

/* The value of a base64 alphabet character, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * RFC 4648 §3: the length is a multiple of 4, only alphabet characters, at most two '=' and
 * only at the very end, and the pad bits of the last group are zero (§3.5), so that every
 * byte string has exactly one accepted encoding. mbedTLS alone would skip whitespace and
 * accept missing padding.
 */
static int b64_check(const char *s, size_t len)
{
    if (len % 4 != 0)
        return -1;
    if (len == 0)
        return 0;
    size_t pads = 0;
    if (s[len - 1] == '=')
        pads = s[len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < len - pads; i++)
        if (b64_value((unsigned char)s[i]) < 0)
            return -1;
    int last = b64_value((unsigned char)s[len - pads - 1]);
    if (pads == 1 && (last & 0x03) != 0)
        return -1;
    if (pads == 2 && (last & 0x0f) != 0)
        return -1;
    return 0;
}

int skycrate__base64_decode(skycrate__buf *out, const char *s, size_t len)
{
    if (b64_check(s, len) < 0)
        return skycrate__error_set(SKYCRATE_EPARSE, "malformed base64");
    if (len == 0)
        return skycrate__buf_grow(out, 0);
    size_t need = len / 4 * 3;
    if (skycrate__buf_grow(out, need) < 0)
        return SKYCRATE_ENOMEM;
    size_t olen = 0;
    int ret = mbedtls_base64_decode((unsigned char *)out->ptr + out->len, need, &olen,
                                    (const unsigned char *)s, len);
    if (ret != 0)
        return skycrate__error_from_mbedtls(SKYCRATE_EPARSE, ret, "base64 decoding");
    out->len += olen;
    out->ptr[out->len] = '\0';
    return 0;
}

void skycrate__content_md5(char out[25], const void *data, size_t len)
{
    uint8_t digest[SKYCRATE__MD5_LEN];
    size_t olen = 0;
    skycrate__md5(digest, data, len);
    /* 16 bytes always fit in 24 characters and the NUL. */
    (void)mbedtls_base64_encode((unsigned char *)out, 25, &olen, digest, sizeof(digest));
    out[24] = '\0';
}
