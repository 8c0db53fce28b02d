/*
 * Unit tests of lib/crypto: SHA-256 (NIST), HMAC-SHA256 (RFC 4231), MD5 (RFC 1321),
 * base64 (RFC 4648, strict decoding), hex, Content-MD5, CRC-32C (RFC 3720), random bytes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/common.h"
#include "crypto/crypto.h"
#include "testalloc.h"
#include "testutil.h"

static void hex_of(char *out, const uint8_t *d, size_t n)
{
    skycrate__hex_encode(out, d, n);
}

/* FIPS 180-2 / NIST CSRC example values. */
static const struct {
    const char *in, *hex;
} sha256_cases[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnop"
     "qrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

START_TEST(sha256_nist_vectors)
{
    uint8_t d[SKYCRATE__SHA256_LEN];
    char hex[65];
    const char *in = sha256_cases[_i].in;
    skycrate__sha256(d, in, strlen(in));
    hex_of(hex, d, sizeof(d));
    ck_assert_str_eq(hex, sha256_cases[_i].hex);
    skycrate__sha256_hex(hex, in, strlen(in));
    ck_assert_str_eq(hex, sha256_cases[_i].hex);
}
END_TEST

START_TEST(sha256_million_a_streamed)
{
    static char chunk[1000];
    memset(chunk, 'a', sizeof(chunk));
    skycrate__sha256_ctx ctx;
    skycrate__sha256_begin(&ctx);
    for (int i = 0; i < 1000; i++)
        skycrate__sha256_update(&ctx, chunk, sizeof(chunk));
    uint8_t d[32];
    char hex[65];
    skycrate__sha256_end(&ctx, d);
    hex_of(hex, d, sizeof(d));
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    ck_assert_str_eq(SKYCRATE__EMPTY_SHA256,
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(sha256_streaming_equals_one_shot)
{
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    static const size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 127, 128, 999, 1000};
    for (size_t li = 0; li < SKYCRATE_ARRAY_SIZE(lens); li++) {
        size_t len = lens[li];
        uint8_t one[32], streamed[32];
        skycrate__sha256(one, data, len);
        for (size_t split = 0; split <= len; split += 1 + len / 13) {
            skycrate__sha256_ctx ctx;
            skycrate__sha256_begin(&ctx);
            skycrate__sha256_update(&ctx, data, split);
            skycrate__sha256_update(&ctx, data + split, 0);
            skycrate__sha256_update(&ctx, data + split, len - split);
            skycrate__sha256_end(&ctx, streamed);
            ck_assert_mem_eq(one, streamed, 32);
        }
    }
}
END_TEST

/* RFC 4231 test cases 1-4, 6, 7 (case 5 is truncated output, checked by prefix). */
static const struct {
    uint8_t key_byte;
    size_t key_len;
    const char *key_str; /* when set, the key instead of key_byte * key_len */
    const char *data;
    uint8_t data_byte;
    size_t data_len; /* data_byte * data_len when data is NULL */
    const char *hex;
} hmac_cases[] = {
    {0x0b, 20, NULL, "Hi There", 0, 0,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {0, 0, "Jefe", "what do ya want for nothing?", 0, 0,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {0xaa, 20, NULL, NULL, 0xdd, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {0, 25, "", NULL, 0xcd, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {0x0c, 20, NULL, "Test With Truncation", 0, 0, "a3b6167473100ee06e0c796c2955552b"},
    {0xaa, 131, NULL, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {0xaa, 131, NULL,
     "This is a test using a larger than block-size key and a larger than block-size data. The "
     "key needs to be hashed before being used by the HMAC algorithm.",
     0, 0, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

START_TEST(hmac_rfc4231_vectors)
{
    uint8_t key[131], data[64], mac[32];
    size_t key_len, data_len;
    char hex[65];
    const void *d;
    if (hmac_cases[_i].key_str && hmac_cases[_i].key_len == 0) {
        key_len = strlen(hmac_cases[_i].key_str);
        memcpy(key, hmac_cases[_i].key_str, key_len);
    } else if (hmac_cases[_i].key_str) {
        key_len = hmac_cases[_i].key_len; /* case 4: 0x01 .. 0x19 */
        for (size_t i = 0; i < key_len; i++)
            key[i] = (uint8_t)(i + 1);
    } else {
        key_len = hmac_cases[_i].key_len;
        memset(key, hmac_cases[_i].key_byte, key_len);
    }
    if (hmac_cases[_i].data) {
        d = hmac_cases[_i].data;
        data_len = strlen(hmac_cases[_i].data);
    } else {
        memset(data, hmac_cases[_i].data_byte, hmac_cases[_i].data_len);
        d = data;
        data_len = hmac_cases[_i].data_len;
    }
    const char *want = hmac_cases[_i].hex;
    size_t want_len = strlen(want);

    skycrate__hmac_sha256(mac, key, key_len, d, data_len);
    hex_of(hex, mac, 32);
    ck_assert_int_eq(strncmp(hex, want, want_len), 0);

    /* The prepared key gives the same MAC, one-shot and streamed, and can be reused. */
    skycrate__hmac_sha256_key prepared;
    skycrate__hmac_sha256_prepare(&prepared, key, key_len);
    for (int round = 0; round < 2; round++) {
        skycrate__hmac_sha256_prepared(mac, &prepared, d, data_len);
        hex_of(hex, mac, 32);
        ck_assert_int_eq(strncmp(hex, want, want_len), 0);
        skycrate__sha256_ctx ctx;
        skycrate__hmac_sha256_begin(&ctx, &prepared);
        skycrate__sha256_update(&ctx, d, data_len / 3);
        skycrate__sha256_update(&ctx, (const char *)d + data_len / 3, data_len - data_len / 3);
        skycrate__hmac_sha256_end(&ctx, &prepared, mac);
        hex_of(hex, mac, 32);
        ck_assert_int_eq(strncmp(hex, want, want_len), 0);
    }
    skycrate__hmac_sha256_key_wipe(&prepared);
    static const skycrate__hmac_sha256_key zero;
    ck_assert_mem_eq(&prepared, &zero, sizeof(zero));
}
END_TEST

static const struct {
    const char *in, *hex;
} md5_cases[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

START_TEST(md5_rfc1321_vectors)
{
    uint8_t d[SKYCRATE__MD5_LEN];
    char hex[33];
    skycrate__md5(d, md5_cases[_i].in, strlen(md5_cases[_i].in));
    hex_of(hex, d, sizeof(d));
    ck_assert_str_eq(hex, md5_cases[_i].hex);
}
END_TEST

START_TEST(content_md5_is_base64_of_md5)
{
    char v[25];
    skycrate__content_md5(v, "", 0);
    ck_assert_str_eq(v, "1B2M2Y8AsgTpgAmY7PhCfg==");
    skycrate__content_md5(v, "abc", 3);
    ck_assert_str_eq(v, "kAFQmDzST7DWlj99KOF/cg==");
}
END_TEST

START_TEST(hex_encodes_lowercase)
{
    const uint8_t d[] = {0x00, 0x0f, 0xa5, 0xff};
    char hex[9];
    skycrate__hex_encode(hex, d, sizeof(d));
    ck_assert_str_eq(hex, "000fa5ff");
    skycrate__hex_encode(hex, d, 0);
    ck_assert_str_eq(hex, "");
}
END_TEST

static const char *b64_plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *b64_coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

START_TEST(base64_rfc4648_vectors)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(skycrate__base64_encode(&b, b64_plain[_i], strlen(b64_plain[_i])), 0);
    ck_assert_str_eq(skycrate__buf_cstr(&b), b64_coded[_i]);
    skycrate__buf_clear(&b);
    ck_assert_int_eq(skycrate__base64_decode(&b, b64_coded[_i], strlen(b64_coded[_i])), 0);
    ck_assert_uint_eq(b.len, strlen(b64_plain[_i]));
    ck_assert_str_eq(skycrate__buf_cstr(&b), b64_plain[_i]);
    /* Both append. */
    ck_assert_int_eq(skycrate__base64_encode(&b, "foobar", 6), 0);
    ck_assert_uint_eq(b.len, strlen(b64_plain[_i]) + 8);
    skycrate__buf_dispose(&b);
}
END_TEST

START_TEST(base64_round_trips_every_byte)
{
    uint8_t data[256];
    for (int i = 0; i < 256; i++)
        data[i] = (uint8_t)(255 - i);
    for (size_t len = 0; len <= sizeof(data); len += 17) {
        skycrate__buf enc = SKYCRATE_BUF_INIT, dec = SKYCRATE_BUF_INIT;
        ck_assert_int_eq(skycrate__base64_encode(&enc, data, len), 0);
        ck_assert_uint_eq(enc.len, 4 * ((len + 2) / 3));
        ck_assert_int_eq(skycrate__base64_decode(&dec, enc.ptr, enc.len), 0);
        ck_assert_uint_eq(dec.len, len);
        if (len)
            ck_assert_mem_eq(dec.ptr, data, len);
        skycrate__buf_dispose(&enc);
        skycrate__buf_dispose(&dec);
    }
}
END_TEST

static const char *b64_bad[] = {
    "Zg",           /* missing padding */
    "Zg=",          /* short padding */
    "Zm9",          /* length not a multiple of 4 */
    "Zh==",         /* non-zero pad bits */
    "Zm9=",         /* non-zero pad bits */
    "Z===",         /* three pads */
    "====",         /* only padding */
    "=Zm9",         /* pad first */
    "Zm=v",         /* pad inside */
    "Zg==Zm9v",     /* data after padding */
    "Zm9v====",     /* a whole group of padding */
    "Zm9-",         /* URL alphabet */
    "Zm9_",         /* URL alphabet */
    "Zm9v\n",       /* line break */
    " Zm9v",        /* leading space */
    "Zm 9v",        /* inner space */
    "Zm9v\r\nYg==", /* MIME line break */
    "Zm9\x80",      /* high byte */
};

START_TEST(base64_rejects_malformed)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    skycrate__buf_puts(&b, "keep");
    ck_assert_int_eq(skycrate__base64_decode(&b, b64_bad[_i], strlen(b64_bad[_i])),
                     SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EPARSE);
    ck_assert_str_eq(b.ptr, "keep");
    skycrate__buf_dispose(&b);
}
END_TEST

START_TEST(base64_decode_embedded_nul_is_rejected)
{
    skycrate__buf b = SKYCRATE_BUF_INIT;
    ck_assert_int_eq(skycrate__base64_decode(&b, "Zm\0v", 4), SKYCRATE_EPARSE);
    skycrate__buf_dispose(&b);
}
END_TEST

START_TEST(base64_reports_enomem)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    for (long n = 1; n <= 2; n++) {
        skycrate__buf b = SKYCRATE_BUF_INIT;
        testalloc_fail_at(n);
        int rc = skycrate__base64_encode(&b, "foobar", 6);
        testalloc_fail_at(0);
        if (n == 1)
            ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        skycrate__buf_dispose(&b);
        testalloc_fail_at(n);
        rc = skycrate__base64_decode(&b, "Zm9vYmFy", 8);
        testalloc_fail_at(0);
        if (n == 1)
            ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        skycrate__buf_dispose(&b);
    }
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}
END_TEST

START_TEST(random_bytes_fill_and_differ)
{
    uint8_t a[64], b[64], zero[64] = {0};
    ck_assert_int_eq(skycrate__random_bytes(a, sizeof(a)), 0);
    ck_assert_int_eq(skycrate__random_bytes(b, sizeof(b)), 0);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    ck_assert(memcmp(a, zero, sizeof(a)) != 0);
    ck_assert_int_eq(skycrate__random_bytes(a, 0), 0);
    static uint8_t big[1 << 20];
    ck_assert_int_eq(skycrate__random_bytes(big, sizeof(big)), 0);
    /* A megabyte of random bytes has every byte value (the odds against are negligible). */
    int seen[256] = {0};
    for (size_t i = 0; i < sizeof(big); i++)
        seen[big[i]] = 1;
    for (int i = 0; i < 256; i++)
        ck_assert_int_eq(seen[i], 1);
}
END_TEST

START_TEST(fast_random_fills_and_is_balanced)
{
    uint8_t a[16], b[16], zero[16] = {0};
    ck_assert_int_eq(skycrate__random_fast(a, sizeof(a)), 0);
    ck_assert_int_eq(skycrate__random_fast(b, sizeof(b)), 0);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    ck_assert(memcmp(a, zero, sizeof(a)) != 0);
    ck_assert_int_eq(skycrate__random_fast(a, 0), 0);
    /* Draws of every size, across refills: a megabyte, byte by byte and in odd lengths. */
    static uint8_t big[1 << 20];
    for (size_t i = 0, n = 1; i < sizeof(big); i += n, n = n % 997 + 1)
        ck_assert_int_eq(skycrate__random_fast(big + i, i + n <= sizeof(big) ? n : sizeof(big) - i),
                         0);
    int seen[256] = {0};
    long ones[8] = {0};
    for (size_t i = 0; i < sizeof(big); i++) {
        seen[big[i]] = 1;
        for (int bit = 0; bit < 8; bit++)
            ones[bit] += (big[i] >> bit) & 1;
    }
    for (int i = 0; i < 256; i++)
        ck_assert_int_eq(seen[i], 1);
    /* Each bit is set in half the bytes: 524288 +- 0.5 % (about 7 standard deviations). */
    for (int bit = 0; bit < 8; bit++)
        ck_assert_msg(ones[bit] > 521667 && ones[bit] < 526909, "bit %d: %ld", bit, ones[bit]);
}
END_TEST

static void *draw16(void *arg)
{
    ck_assert_int_eq(skycrate__random_fast(arg, 16), 0);
    return NULL;
}

/* Threads seed their own generators: their first draws differ. */
START_TEST(fast_random_differs_between_threads)
{
    uint8_t mine[16], theirs[2][16];
    ck_assert_int_eq(skycrate__random_fast(mine, sizeof(mine)), 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, draw16, theirs[i]), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert(memcmp(theirs[0], theirs[1], 16) != 0);
    ck_assert(memcmp(theirs[0], mine, 16) != 0);
    ck_assert(memcmp(theirs[1], mine, 16) != 0);
}
END_TEST

/* A child process must not repeat its parent's values: after fork() both draw, from what was
 * one generator state, and get different bytes. */
START_TEST(fast_random_differs_after_fork)
{
    uint8_t warm[16], parent[16], child[16];
    ck_assert_int_eq(skycrate__random_fast(warm, sizeof(warm)), 0);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        uint8_t mine[16];
        int ok = skycrate__random_fast(mine, sizeof(mine)) == 0 &&
                 write(fds[1], mine, sizeof(mine)) == (ssize_t)sizeof(mine);
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(skycrate__random_fast(parent, sizeof(parent)), 0);
    ck_assert_int_eq(read(fds[0], child, sizeof(child)), (ssize_t)sizeof(child));
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fds[0]);
    close(fds[1]);
    ck_assert(memcmp(parent, child, sizeof(parent)) != 0);
}
END_TEST

/* ---- CRC-32C ---- */

START_TEST(crc32c_known_values)
{
    /* RFC 3720 B.4 and the usual check value */
    unsigned char zeros[32] = {0}, ones[32], inc[32];
    memset(ones, 0xff, sizeof(ones));
    for (int i = 0; i < 32; i++)
        inc[i] = (unsigned char)i;
    ck_assert_uint_eq(skycrate__crc32c(0, "123456789", 9), 0xe3069283u);
    ck_assert_uint_eq(skycrate__crc32c(0, zeros, 32), 0x8a9136aau);
    ck_assert_uint_eq(skycrate__crc32c(0, ones, 32), 0x62a8ab43u);
    ck_assert_uint_eq(skycrate__crc32c(0, inc, 32), 0x46dd794eu);
    ck_assert_uint_eq(skycrate__crc32c(0, "", 0), 0);
    /* in pieces of every alignment, as parts are read */
    uint32_t crc = skycrate__crc32c(0, "1234", 4);
    crc = skycrate__crc32c(crc, "5", 1);
    ck_assert_uint_eq(skycrate__crc32c(crc, "6789", 4), 0xe3069283u);
}
END_TEST

/* The definition, bit by bit, as a reference for the fast paths. */
static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p, size_t len)
{
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

START_TEST(crc32c_long_buffers_match_the_definition)
{
    /* Lengths around the three-stream blocks (3 x 8192 bytes), at odd offsets, whole and in
     * pieces that split blocks anywhere. */
    enum { SIZE = 5 * 24576 + 77 };
    unsigned char *data = malloc(SIZE + 8);
    ck_assert_ptr_nonnull(data);
    uint32_t x = 12345;
    for (size_t i = 0; i < SIZE + 8; i++)
        data[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    static const size_t lengths[] = {0, 7, 8, 24575, 24576, 24577, 49152 + 13, SIZE};
    for (size_t n = 0; n < sizeof(lengths) / sizeof(lengths[0]); n++)
        for (size_t offset = 0; offset < 8; offset += 3) {
            uint32_t want = crc32c_bitwise(0, data + offset, lengths[n]);
            ck_assert_uint_eq(skycrate__crc32c(0, data + offset, lengths[n]), want);
            size_t cut = lengths[n] / 3 + 1 < lengths[n] ? lengths[n] / 3 + 1 : lengths[n];
            uint32_t crc = skycrate__crc32c(0, data + offset, cut);
            ck_assert_uint_eq(skycrate__crc32c(crc, data + offset + cut, lengths[n] - cut), want);
        }
    free(data);
}
END_TEST

START_TEST(crc32c_join_equals_one_pass)
{
    enum { SIZE = 3 * 24576 + 5 };
    unsigned char *data = malloc(SIZE);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < SIZE; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    uint32_t whole = skycrate__crc32c(0, data, SIZE);
    static const size_t cuts[] = {0, 1, 8, 24576, 40000, SIZE - 1, SIZE};
    for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
        size_t cut = cuts[k];
        uint32_t a = skycrate__crc32c(0, data, cut),
                 b = skycrate__crc32c(0, data + cut, SIZE - cut);
        ck_assert_uint_eq(skycrate__crc32c_join(a, b, SIZE - cut), whole);
    }
    /* three pieces, joined left to right */
    uint32_t ab = skycrate__crc32c_join(skycrate__crc32c(0, data, 100),
                                        skycrate__crc32c(0, data + 100, 30000), 30000);
    ck_assert_uint_eq(
        skycrate__crc32c_join(ab, skycrate__crc32c(0, data + 30100, SIZE - 30100), SIZE - 30100),
        whole);
    free(data);
}
END_TEST

static Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc;

    tc = tcase_create("sha256");
    tcase_add_loop_test(tc, sha256_nist_vectors, 0, SKYCRATE_ARRAY_SIZE(sha256_cases));
    tcase_add_test(tc, sha256_million_a_streamed);
    tcase_add_test(tc, sha256_streaming_equals_one_shot);
    suite_add_tcase(s, tc);

    tc = tcase_create("hmac");
    tcase_add_loop_test(tc, hmac_rfc4231_vectors, 0, SKYCRATE_ARRAY_SIZE(hmac_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("md5");
    tcase_add_loop_test(tc, md5_rfc1321_vectors, 0, SKYCRATE_ARRAY_SIZE(md5_cases));
    tcase_add_test(tc, content_md5_is_base64_of_md5);
    suite_add_tcase(s, tc);

    tc = tcase_create("crc32c");
    tcase_add_test(tc, crc32c_known_values);
    tcase_add_test(tc, crc32c_long_buffers_match_the_definition);
    tcase_add_test(tc, crc32c_join_equals_one_pass);
    suite_add_tcase(s, tc);

    tc = tcase_create("encodings");
    tcase_add_test(tc, hex_encodes_lowercase);
    tcase_add_loop_test(tc, base64_rfc4648_vectors, 0, SKYCRATE_ARRAY_SIZE(b64_plain));
    tcase_add_test(tc, base64_round_trips_every_byte);
    tcase_add_loop_test(tc, base64_rejects_malformed, 0, SKYCRATE_ARRAY_SIZE(b64_bad));
    tcase_add_test(tc, base64_decode_embedded_nul_is_rejected);
    tcase_add_test(tc, base64_reports_enomem);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_add_test(tc, random_bytes_fill_and_differ);
    tcase_add_test(tc, fast_random_fills_and_is_balanced);
    tcase_add_test(tc, fast_random_differs_between_threads);
    tcase_add_test(tc, fast_random_differs_after_fork);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(crypto_suite)
