/*
 * SHA-256, MD5 and HMAC-SHA256 over mbedTLS. HMAC is built on the raw SHA-256 contexts so that a
 * prepared key (the states after the ipad/opad blocks) can be reused without allocation;
 * mbedtls_md_hmac_* would allocate on every setup.
 * SPDX-License-Identifier: MIT
 */
#include "crypto/crypto.h"

#include <assert.h>
#include <stdalign.h>
#include <string.h>

#include <mbedtls/md5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "core/alloc.h"

static_assert(sizeof(mbedtls_sha256_context) <= sizeof(((skycrate__sha256_ctx *)0)->state),
              "skycrate__sha256_ctx is too small for mbedtls_sha256_context");
static_assert(alignof(mbedtls_sha256_context) <= 16,
              "skycrate__sha256_ctx is not aligned enough for mbedtls_sha256_context");

static_assert(sizeof(mbedtls_md5_context) <= sizeof(((skycrate__md5_ctx *)0)->state),
              "skycrate__md5_ctx is too small for mbedtls_md5_context");

#define BLOCK 64

static mbedtls_sha256_context *sha(skycrate__sha256_ctx *ctx)
{
    return (mbedtls_sha256_context *)(void *)ctx->state;
}

static const mbedtls_sha256_context *csha(const skycrate__sha256_ctx *ctx)
{
    return (const mbedtls_sha256_context *)(const void *)ctx->state;
}

/* The *_ret functions fail only with hardware accelerators (never with the software
 * implementation Debian builds), so their results are deliberately ignored. */

void skycrate__sha256(uint8_t out[SKYCRATE__SHA256_LEN], const void *data, size_t len)
{
    (void)mbedtls_sha256_ret(len ? data : (const void *)"", len, out, 0);
}

void skycrate__sha256_hex(char out[2 * SKYCRATE__SHA256_LEN + 1], const void *data, size_t len)
{
    uint8_t digest[SKYCRATE__SHA256_LEN];
    skycrate__sha256(digest, data, len);
    skycrate__hex_encode(out, digest, sizeof(digest));
}

void skycrate__md5(uint8_t out[SKYCRATE__MD5_LEN], const void *data, size_t len)
{
    (void)mbedtls_md5_ret(len ? data : (const void *)"", len, out);
}

void skycrate__sha256_begin(skycrate__sha256_ctx *ctx)
{
    mbedtls_sha256_init(sha(ctx));
    (void)mbedtls_sha256_starts_ret(sha(ctx), 0);
}

void skycrate__sha256_update(skycrate__sha256_ctx *ctx, const void *data, size_t len)
{
    if (len)
        (void)mbedtls_sha256_update_ret(sha(ctx), data, len);
}

void skycrate__sha256_end(skycrate__sha256_ctx *ctx, uint8_t out[SKYCRATE__SHA256_LEN])
{
    (void)mbedtls_sha256_finish_ret(sha(ctx), out);
    mbedtls_sha256_free(sha(ctx)); /* zeroizes */
}

static mbedtls_md5_context *md5(skycrate__md5_ctx *ctx)
{
    return (mbedtls_md5_context *)(void *)ctx->state;
}

void skycrate__md5_begin(skycrate__md5_ctx *ctx)
{
    mbedtls_md5_init(md5(ctx));
    (void)mbedtls_md5_starts_ret(md5(ctx));
}

void skycrate__md5_update(skycrate__md5_ctx *ctx, const void *data, size_t len)
{
    if (len)
        (void)mbedtls_md5_update_ret(md5(ctx), data, len);
}

void skycrate__md5_end(skycrate__md5_ctx *ctx, uint8_t out[SKYCRATE__MD5_LEN])
{
    (void)mbedtls_md5_finish_ret(md5(ctx), out);
    mbedtls_md5_free(md5(ctx));
}

void skycrate__hmac_sha256_prepare(skycrate__hmac_sha256_key *key, const void *k, size_t k_len)
{
    uint8_t block[BLOCK], pad[BLOCK];
    memset(block, 0, sizeof(block));
    if (k_len > BLOCK)
        skycrate__sha256(block, k, k_len);
    else if (k_len)
        memcpy(block, k, k_len);

    for (size_t i = 0; i < BLOCK; i++)
        pad[i] = (uint8_t)(block[i] ^ 0x36);
    skycrate__sha256_begin(&key->inner);
    skycrate__sha256_update(&key->inner, pad, BLOCK);
    for (size_t i = 0; i < BLOCK; i++)
        pad[i] = (uint8_t)(block[i] ^ 0x5c);
    skycrate__sha256_begin(&key->outer);
    skycrate__sha256_update(&key->outer, pad, BLOCK);

    mbedtls_platform_zeroize(block, sizeof(block));
    mbedtls_platform_zeroize(pad, sizeof(pad));
}

void skycrate__hmac_sha256_begin(skycrate__sha256_ctx *ctx, const skycrate__hmac_sha256_key *key)
{
    mbedtls_sha256_init(sha(ctx));
    mbedtls_sha256_clone(sha(ctx), csha(&key->inner));
}

void skycrate__hmac_sha256_end(skycrate__sha256_ctx *ctx, const skycrate__hmac_sha256_key *key,
                               uint8_t out[SKYCRATE__SHA256_LEN])
{
    uint8_t inner[SKYCRATE__SHA256_LEN];
    skycrate__sha256_end(ctx, inner);
    mbedtls_sha256_clone(sha(ctx), csha(&key->outer));
    skycrate__sha256_update(ctx, inner, sizeof(inner));
    skycrate__sha256_end(ctx, out);
    mbedtls_platform_zeroize(inner, sizeof(inner));
}

void skycrate__hmac_sha256_prepared(uint8_t out[SKYCRATE__SHA256_LEN],
                                    const skycrate__hmac_sha256_key *key, const void *data,
                                    size_t len)
{
    skycrate__sha256_ctx ctx;
    skycrate__hmac_sha256_begin(&ctx, key);
    skycrate__sha256_update(&ctx, data, len);
    skycrate__hmac_sha256_end(&ctx, key, out);
}

void skycrate__hmac_sha256_key_wipe(skycrate__hmac_sha256_key *key)
{
    mbedtls_platform_zeroize(key, sizeof(*key));
}

void skycrate__hmac_sha256(uint8_t out[SKYCRATE__SHA256_LEN], const void *key, size_t key_len,
                           const void *data, size_t len)
{
    skycrate__hmac_sha256_key prepared;
    skycrate__hmac_sha256_prepare(&prepared, key, key_len);
    skycrate__hmac_sha256_prepared(out, &prepared, data, len);
    skycrate__hmac_sha256_key_wipe(&prepared);
}
