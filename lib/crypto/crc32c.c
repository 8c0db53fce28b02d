/*
 * CRC-32C (Castagnoli), the checksum S3 takes as x-amz-checksum-crc32c. On x86-64 with SSE 4.2
 * the CPU computes it, three streams at once (faster than memory is copied); elsewhere a table
 * does, byte by byte.
 * SPDX-License-Identifier: MIT
 */
#include <stdbool.h>
#include <string.h>

#include "crypto/crypto.h"

#define POLY 0x82f63b78u /* the Castagnoli polynomial, reflected */

static uint32_t table[256];
static bool table_ready;

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[i] = c;
    }
    __atomic_store_n(&table_ready, true, __ATOMIC_RELEASE);
}

/* a * b modulo the polynomial, both reflected (bit 31 holds x^0), as zlib's multmodp(). */
static uint32_t multiply_mod_poly(uint32_t a, uint32_t b)
{
    uint32_t product = 0;
    for (uint32_t m = 1u << 31; m; m >>= 1) {
        if (a & m)
            product ^= b;
        b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
    }
    return product;
}

/* x^exponent modulo the polynomial, by squaring: what a CRC is multiplied by to move it over
 * exponent / 8 bytes. */
static uint32_t x_power(uint64_t exponent)
{
    uint32_t result = 1u << 31, power = 1u << 30; /* x^0, x^1 */
    for (; exponent; exponent >>= 1) {
        if (exponent & 1)
            result = multiply_mod_poly(result, power);
        power = multiply_mod_poly(power, power);
    }
    return result;
}

static uint32_t crc_table(uint32_t crc, const unsigned char *p, size_t len)
{
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
        make_table(); /* idempotent: racing threads write the same values */
    while (len--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The CPU's crc32 instruction takes 3 cycles but can start one every cycle: three streams of
 * STRIDE bytes each go at once, and their CRCs are joined by the rule
 * crc(s, A || B) = crc(s, A) * x^(8|B|) + crc(0, B) (mod the polynomial). */
#define STRIDE 8192

/* x^(8 * STRIDE) modulo the polynomial: multiplying a CRC by it moves the CRC over STRIDE
 * bytes. A constant (x_power(8 * STRIDE)); a wrong one fails test_crypto.c's long buffers. */
#define STRIDE_SHIFT 0x28461564u

static uint64_t word_at(const unsigned char *p)
{
    uint64_t word;
    memcpy(&word, p, 8);
    return word;
}

/* Three streams of STRIDE bytes at p, p + STRIDE and p + 2 * STRIDE, joined. */
__attribute__((target("sse4.2"))) static uint32_t crc_three_strides(uint32_t crc,
                                                                    const unsigned char *p)
{
    uint64_t a = crc, b = 0, c = 0;
    for (size_t i = 0; i < STRIDE; i += 8) {
        a = __builtin_ia32_crc32di(a, word_at(p + i));
        b = __builtin_ia32_crc32di(b, word_at(p + STRIDE + i));
        c = __builtin_ia32_crc32di(c, word_at(p + 2 * STRIDE + i));
    }
    uint32_t ab = multiply_mod_poly((uint32_t)a, STRIDE_SHIFT) ^ (uint32_t)b;
    return multiply_mod_poly(ab, STRIDE_SHIFT) ^ (uint32_t)c;
}

__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc, const unsigned char *p,
                                                            size_t len)
{
    for (; len >= 3 * STRIDE; p += 3 * STRIDE, len -= 3 * STRIDE)
        crc = crc_three_strides(crc, p);
    uint64_t c = crc;
    for (; len >= 8; p += 8, len -= 8)
        c = __builtin_ia32_crc32di(c, word_at(p));
    uint32_t c32 = (uint32_t)c;
    while (len--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}

static bool have_sse42(void)
{
    return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
    return crc_table(crc, p, len);
}

static bool have_sse42(void)
{
    return false;
}
#endif

uint32_t skycrate__crc32c(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    crc = ~crc;
    crc = have_sse42() ? crc_sse42(crc, p, len) : crc_table(crc, p, len);
    return ~crc;
}

uint32_t skycrate__crc32c_join(uint32_t crc_a, uint32_t crc_b, uint64_t length_b)
{
    /* The pre- and post-inversions cancel: crc(A || B) = crc(A) * x^(8|B|) + crc(B). */
    return multiply_mod_poly(crc_a, x_power(8 * length_b)) ^ crc_b;
}
