/*
 * Hashes, HMAC, encodings and randomness, with mbedTLS behind them. The only place in the
 * library that includes mbedTLS headers.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CRYPTO_H
#define SKYCRATE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SKYCRATE__SHA256_LEN 32
#define SKYCRATE__MD5_LEN 16
/* The hex SHA-256 of the empty string. */
#define SKYCRATE__EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One-shot digests. */
void skycrate__sha256(uint8_t out[SKYCRATE__SHA256_LEN], const void *data, size_t len);
void skycrate__sha256_hex(char out[2 * SKYCRATE__SHA256_LEN + 1], const void *data, size_t len);
void skycrate__md5(uint8_t out[SKYCRATE__MD5_LEN], const void *data, size_t len);
void skycrate__hmac_sha256(uint8_t out[SKYCRATE__SHA256_LEN], const void *key, size_t key_len,
                           const void *data, size_t len);

/* Streaming SHA-256 (file and callback bodies). The state is opaque storage. */
typedef struct skycrate__sha256_ctx {
    _Alignas(16) unsigned char state[128];
} skycrate__sha256_ctx;
void skycrate__sha256_begin(skycrate__sha256_ctx *ctx);
void skycrate__sha256_update(skycrate__sha256_ctx *ctx, const void *data, size_t len);
void skycrate__sha256_end(skycrate__sha256_ctx *ctx, uint8_t out[SKYCRATE__SHA256_LEN]);

/*
 * HMAC-SHA256 with a prepared key: the SHA-256 states after absorbing the ipad and the opad
 * blocks. Preparing costs two compressions once; each MAC then costs SHA-256 of the message
 * plus one compression, with no allocation. A prepared key is secret: wipe it after use
 * (skycrate__hmac_sha256_key_wipe). Plain data: copy it by assignment.
 */
typedef struct skycrate__hmac_sha256_key {
    skycrate__sha256_ctx inner; /* after H(K ^ ipad) absorbed one block */
    skycrate__sha256_ctx outer; /* after H(K ^ opad) absorbed one block */
} skycrate__hmac_sha256_key;
void skycrate__hmac_sha256_prepare(skycrate__hmac_sha256_key *key, const void *k, size_t k_len);
void skycrate__hmac_sha256_prepared(uint8_t out[SKYCRATE__SHA256_LEN],
                                    const skycrate__hmac_sha256_key *key, const void *data,
                                    size_t len);
/* Streaming MAC over a prepared key: begin, skycrate__sha256_update on `ctx`, end. */
void skycrate__hmac_sha256_begin(skycrate__sha256_ctx *ctx, const skycrate__hmac_sha256_key *key);
void skycrate__hmac_sha256_end(skycrate__sha256_ctx *ctx, const skycrate__hmac_sha256_key *key,
                               uint8_t out[SKYCRATE__SHA256_LEN]);
void skycrate__hmac_sha256_key_wipe(skycrate__hmac_sha256_key *key);

/* Streaming MD5 (Content-MD5 of file parts, part ETags). The state is opaque storage. */
typedef struct skycrate__md5_ctx {
    _Alignas(16) unsigned char state[128];
} skycrate__md5_ctx;
void skycrate__md5_begin(skycrate__md5_ctx *ctx);
void skycrate__md5_update(skycrate__md5_ctx *ctx, const void *data, size_t len);
void skycrate__md5_end(skycrate__md5_ctx *ctx, uint8_t out[SKYCRATE__MD5_LEN]);

/* CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start). */
uint32_t skycrate__crc32c(uint32_t crc, const void *data, size_t len);
/* The CRC-32C of A followed by B, from crc(A), crc(B) and B's length (as zlib's
 * crc32_combine()): pieces summed apart, joined. */
uint32_t skycrate__crc32c_join(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

/* Lowercase hex of `len` bytes into `out` (2 * len + 1 bytes, NUL-terminated). */
void skycrate__hex_encode(char *out, const uint8_t *data, size_t len);
/* Standard base64 with padding, appended to `out`. 0 or SKYCRATE_ENOMEM. */
int skycrate__base64_encode(skycrate__buf *out, const void *data, size_t len);
/* Decodes standard base64 (padding required), appended to `out`. 0, SKYCRATE_EPARSE or ENOMEM. */
int skycrate__base64_decode(skycrate__buf *out, const char *s, size_t len);
/* Base64 of the MD5 of `data` (Content-MD5 values): 24 chars + NUL. */
void skycrate__content_md5(char out[25], const void *data, size_t len);
/* Cryptographically secure random bytes from the system (getrandom): one system call per
 * draw. 0 or SKYCRATE_ERROR. */
int skycrate__random_bytes(void *out, size_t len);
/* Unguessable random bytes from the calling thread's ChaCha20 generator (lib/crypto/random.c),
 * seeded from getrandom and seeded again after fork: for values drawn often, such as the
 * unique part of upload keys. 0 or SKYCRATE_ERROR (the system source failed when seeding). */
int skycrate__random_fast(void *out, size_t len);

#endif
