/*
 * Part checksums: the header that protects a part (Content-MD5, x-amz-checksum-crc32c or
 * x-amz-checksum-sha256), the payload hash its signature covers, and the MD5 that a resumed
 * upload compares with the ETag of a part already uploaded.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "crypto/crypto.h"
#include "sigv4/sigv4.h"
#include "transfer/transfer.h"

static bool needs_md5(const skycrate__part_sum *s)
{
    return s->want_md5 || s->kind == SKYCRATE_TRANSFER_CHECKSUM_MD5;
}

void skycrate__part_sum_begin(skycrate__part_sum *s, skycrate_transfer_checksum kind, bool want_md5)
{
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->want_md5 = want_md5;
    if (needs_md5(s))
        skycrate__md5_begin(&s->md5);
    if (kind == SKYCRATE_TRANSFER_CHECKSUM_SHA256)
        skycrate__sha256_begin(&s->sha);
}

bool skycrate__part_sum_reads_bytes(const skycrate__part_sum *s)
{
    return needs_md5(s) || s->kind != SKYCRATE_TRANSFER_CHECKSUM_NONE;
}

void skycrate__part_sum_update(skycrate__part_sum *s, const void *data, size_t len)
{
    if (needs_md5(s))
        skycrate__md5_update(&s->md5, data, len);
    if (s->kind == SKYCRATE_TRANSFER_CHECKSUM_SHA256)
        skycrate__sha256_update(&s->sha, data, len);
    else if (s->kind == SKYCRATE_TRANSFER_CHECKSUM_CRC32C)
        s->crc = skycrate__crc32c(s->crc, data, len);
}

/* Base64 of `len` bytes into the fixed header_value field. */
static int base64_into(char *out, size_t size, const void *data, size_t len)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    int error = skycrate__base64_encode(&b, data, len);
    if (error == 0)
        snprintf(out, size, "%s", skycrate__buf_cstr(&b));
    skycrate__buf_dispose(&b);
    return error;
}

int skycrate__part_sum_end(skycrate__part_sum *s)
{
    int error = 0;
    snprintf(s->payload_hash, sizeof(s->payload_hash), "%s", SKYCRATE__UNSIGNED_PAYLOAD);
    if (needs_md5(s)) {
        uint8_t md5[SKYCRATE__MD5_LEN];
        skycrate__md5_end(&s->md5, md5);
        skycrate__hex_encode(s->md5_hex, md5, sizeof(md5));
        if (s->kind == SKYCRATE_TRANSFER_CHECKSUM_MD5)
            error = base64_into(s->header_value, sizeof(s->header_value), md5, sizeof(md5));
    }
    if (s->kind == SKYCRATE_TRANSFER_CHECKSUM_SHA256) {
        uint8_t sha[SKYCRATE__SHA256_LEN];
        skycrate__sha256_end(&s->sha, sha);
        skycrate__hex_encode(s->payload_hash, sha, sizeof(sha));
        if (error == 0)
            error = base64_into(s->header_value, sizeof(s->header_value), sha, sizeof(sha));
    } else if (s->kind == SKYCRATE_TRANSFER_CHECKSUM_CRC32C) {
        uint32_t crc = s->crc;
        uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
                         (uint8_t)crc};
        if (error == 0)
            error = base64_into(s->header_value, sizeof(s->header_value), be, sizeof(be));
    }
    return error;
}

skycrate__kv skycrate__part_sum_header(const skycrate__part_sum *s)
{
    switch (s->kind) {
    case SKYCRATE_TRANSFER_CHECKSUM_MD5: return (skycrate__kv){"Content-MD5", s->header_value};
    case SKYCRATE_TRANSFER_CHECKSUM_CRC32C:
        return (skycrate__kv){"x-amz-checksum-crc32c", s->header_value};
    case SKYCRATE_TRANSFER_CHECKSUM_SHA256:
        return (skycrate__kv){"x-amz-checksum-sha256", s->header_value};
    default: return (skycrate__kv){NULL, NULL};
    }
}

const char *skycrate__checksum_algorithm(skycrate_transfer_checksum kind)
{
    switch (kind) {
    case SKYCRATE_TRANSFER_CHECKSUM_CRC32C: return "CRC32C";
    case SKYCRATE_TRANSFER_CHECKSUM_SHA256: return "SHA256";
    default: return NULL;
    }
}
