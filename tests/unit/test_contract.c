/*
 * Unit tests of the presign contract's JSON (lib/presign/contract.c, lib/core/json_writer.c):
 * rendered straight into memory, it must be byte for byte what jansson writes for the same
 * document, on keys, header values and upload ids made to break it; and the JSON fast path
 * (skycrate_presigner_sign_json) must write that same text, into the caller's buffer only.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/json.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "presigncases.h"
#include "testalloc.h"
#include "testutil.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define BUCKET "skycrate-user42-1732300000"
#define T0 1732300000
#define RANDOM_KEYS 400

/* ---- a corpus of hostile strings ------------------------------------------------------------ */

/* Appends the UTF-8 form of `cp` at p; returns the end. */
static char *put_utf8(char *p, uint32_t cp)
{
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xc0 | (cp >> 6));
        *p++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *p++ = (char)(0xe0 | (cp >> 12));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *p++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *p++ = (char)(0xf0 | (cp >> 18));
        *p++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *p++ = (char)(0x80 | (cp & 0x3f));
    }
    return p;
}

static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

/* A random code point (never NUL, never a surrogate), most often from the troublesome ranges:
 * controls, quotes and backslashes, then any plane. */
static uint32_t random_code_point(uint32_t *state)
{
    uint32_t r = next_random(state), kind = r % 8;
    static const uint32_t picks[] = {'"', '\\', '/', 0x7f, 0x2028, 0x2029, 0xfeff, 0x10ffff};
    switch (kind) {
    case 0: return 1 + r / 8 % 0x1f;
    case 1: return picks[r / 8 % 8];
    case 2:
    case 3: return 0x20 + r / 8 % 0x5f;
    case 4: return 0x80 + r / 8 % (0x800 - 0x80);
    case 5: {
        uint32_t cp = 0x800 + r / 8 % (0x10000 - 0x800);
        return cp >= 0xd800 && cp <= 0xdfff ? cp - 0x800 : cp;
    }
    default: return 0x10000 + r / 8 % (0x110000 - 0x10000);
    }
}

/* Key number i of the corpus into `out` (1100 bytes): fixed hostile keys, then random ones. */
static void corpus_key(char *out, int i)
{
    static const char *const fixed[] = {
        "\"quoted\"",
        "back\\slash",
        "both\\\"of\"\\them",
        "</script><script>alert(1)</script>",
        "a/b/c",
        "\xe2\x80\xa8line\xe2\x80\xa9paragraph",
        "\xef\xbb\xbf"
        "bom",
        "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xf0\x9f\x98\x80.png",
        "\xf4\x8f\xbf\xbf max",
        "%s%n%x{}[]",
        "del\x7f",
    };
    const int n_fixed = (int)SKYCRATE_ARRAY_SIZE(fixed);
    if (i < 0x1f) { /* every control character, between ordinary ones */
        snprintf(out, 1100, "ctl%c%c-\x01", (char)(i + 1), (char)(i + 1));
        return;
    }
    i -= 0x1f;
    if (i < n_fixed) {
        strcpy(out, fixed[i]);
        return;
    }
    i -= n_fixed;
    uint32_t state = (uint32_t)i * 2654435761u + 1;
    size_t want = 1 + next_random(&state) % (i == 0 ? 1 : 250);
    if (i == 1)
        want = 1020; /* near the key's 1024-byte limit */
    char *p = out;
    while ((size_t)(p - out) + 4 <= want)
        p = put_utf8(p, random_code_point(&state));
    if (p == out)
        *p++ = 'k';
    *p = '\0';
}

#define CORPUS_SIZE (0x1f + 11 + RANDOM_KEYS)

/* ---- jansson, the oracle -------------------------------------------------------------------- */

static void set(json_t *obj, const char *name, json_t *value)
{
    ck_assert_ptr_nonnull(value);
    ck_assert_int_eq(json_object_set_new(obj, name, value), 0);
}

/* The contract as jansson renders it, from the public accessors. */
static char *jansson_json(const skycrate_presigned *c, uint32_t flags, const char *upload_id,
                          uint32_t part_number)
{
    json_t *doc = json_object(), *headers = json_object();
    for (size_t i = 0; i < skycrate_presigned_header_count(c); i++) {
        const char *n = NULL, *v = NULL;
        ck_assert_sky_ok(skycrate_presigned_header(&n, &v, c, i));
        set(headers, n, json_string(v));
    }
    char expires_at[21];
    skycrate__format_iso8601(expires_at, skycrate_presigned_expires_at(c));
    set(doc, "method", json_string(skycrate_presigned_method(c)));
    set(doc, "bucket", json_string(skycrate_presigned_bucket(c)));
    set(doc, "key", json_string(skycrate_presigned_key(c)));
    set(doc, "url", json_string(skycrate_presigned_url(c)));
    set(doc, "headers", headers);
    set(doc, "expiresAt", json_string(expires_at));
    set(doc, "expiresIn", json_integer(skycrate_presigned_expires_in(c)));
    set(doc, "expiresClamped", json_boolean(skycrate_presigned_clamped(c)));
    if (upload_id) {
        set(doc, "partNumber", json_integer(part_number));
        set(doc, "uploadId", json_string(upload_id));
    }
    char *text = json_dumps(doc, skycrate__json_flags(flags));
    ck_assert_ptr_nonnull(text);
    json_decref(doc);
    return text;
}

static skycrate_presigner *presigner;

static skycrate_presigner *make_presigner(const char *token, int64_t expiration)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_presigner *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, AKID, SECRET, token, expiration));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "eu-west-1"));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, NULL));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_credentials_provider_unref(provider);
    skycrate_credentials_unref(creds);
    return p;
}

static void setup(void)
{
    ck_assert_int_ge(skycrate_global_init(NULL), 1);
    presigner = make_presigner("to\"ken\\+/=", 0);
}

static void teardown(void)
{
    skycrate_presigner_free(presigner);
    presigner = NULL;
    skycrate_global_cleanup();
}

/* ---- the escaping alone --------------------------------------------------------------------- */

/* jansson's text for one string, without its quotes. */
static char *jansson_escaped(const char *s)
{
    json_t *str = json_string(s);
    ck_assert_ptr_nonnull(str);
    char *text = json_dumps(str, JSON_ENCODE_ANY);
    json_decref(str);
    size_t n = strlen(text);
    memmove(text, text + 1, n - 2);
    text[n - 2] = '\0';
    return text;
}

START_TEST(escaping_equals_jansson)
{
    char s[1100], out[8192];
    /* Every single byte jansson takes on its own, then the corpus. */
    for (int i = -127; i < CORPUS_SIZE; i++) {
        if (i < 0) {
            s[0] = (char)-i;
            s[1] = '\0';
        } else {
            corpus_key(s, i);
        }
        char *want = jansson_escaped(s);
        size_t n = strlen(s);
        size_t len = skycrate__json_escaped_len(s, n);
        char *end = skycrate__json_escape_at(out, s, n);
        ck_assert_uint_eq((size_t)(end - out), len);
        *end = '\0';
        ck_assert_msg(strcmp(out, want) == 0, "case %d: %s != %s", i, out, want);
        free(want);
    }
}
END_TEST

/* ---- the contract --------------------------------------------------------------------------- */

/* A request for corpus key i, with hostile header values and, for odd i, a hostile upload id. */
static skycrate_presign_request *corpus_request(int i, char *key, const char **upload_id)
{
    skycrate_presign_request *r = NULL;
    corpus_key(key, i);
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, key));
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, T0 + i));
    if (i % 3 == 0)
        ck_assert_sky_ok(skycrate_presign_request_add_header(r, "Content-Type", "text/plain"));
    if (i % 4 == 0)
        ck_assert_sky_ok(
            skycrate_presign_request_add_header(r, "x-amz-meta-q", "a \"quoted\" \\ value </x> /"));
    *upload_id = NULL;
    if (i % 2) {
        *upload_id = i % 4 == 1 ? "2~id\"with\\quotes/\x01\xe2\x80\xa8" : "plain-id";
        ck_assert_sky_ok(skycrate_presign_request_set_upload_part(r, *upload_id, (uint32_t)i));
    }
    return r;
}

START_TEST(contract_json_equals_jansson)
{
    static char key[1100], fast[16384];
    for (int i = 0; i < CORPUS_SIZE; i++) {
        const char *upload_id = NULL;
        skycrate_presign_request *r = corpus_request(i, key, &upload_id);
        skycrate_presigned *c = NULL;
        ck_assert_sky_ok(skycrate_presigner_sign(&c, presigner, r));
        for (uint32_t flags = 0; flags <= SKYCRATE_JSON_PRETTY; flags += SKYCRATE_JSON_PRETTY) {
            char *text = NULL, *want = jansson_json(c, flags, upload_id, (uint32_t)i);
            ck_assert_sky_ok(skycrate_presigned_to_json(&text, c, flags));
            ck_assert_msg(strcmp(text, want) == 0, "case %d flags %u:\n%s\n%s", i, flags, text,
                          want);
            size_t len = 0;
            ck_assert_sky_ok(
                skycrate_presigner_sign_json(fast, sizeof(fast), &len, presigner, r, flags));
            ck_assert_str_eq(fast, want);
            ck_assert_uint_eq(len, strlen(want));
            /* And it reads back as the key. */
            json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
            ck_assert_ptr_nonnull(doc);
            ck_assert_str_eq(jstr(doc, "key"), key);
            json_decref(doc);
            free(want);
            skycrate_free(text);
        }
        skycrate_presigned_free(c);
        skycrate_presign_request_free(r);
    }
}
END_TEST

/* ---- the JSON fast path --------------------------------------------------------------------- */

START_TEST(sign_json_writes_only_what_fits)
{
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, "a \"b\".txt"));
    ck_assert_sky_ok(skycrate_presign_request_set_time(r, T0));
    char buf[4096];
    size_t len = 0, need = 0;
    ck_assert_sky_ok(skycrate_presigner_sign_json(buf, sizeof(buf), &len, presigner, r, 0));
    ck_assert_uint_eq(len, strlen(buf));
    ck_assert_ptr_nonnull(strstr(buf, "\"key\":\"a \\\"b\\\".txt\""));
    /* One byte short (no room for the NUL): EINVAL, the length told, nothing written. */
    char small[4096];
    memset(small, '#', sizeof(small));
    ck_assert_int_eq(skycrate_presigner_sign_json(small, len, &need, presigner, r, 0),
                     SKYCRATE_EINVAL);
    ck_assert_uint_eq(need, len);
    for (size_t i = 0; i < sizeof(small); i++)
        ck_assert_int_eq(small[i], '#');
    ck_assert_sky_ok(skycrate_presigner_sign_json(small, len + 1, &need, presigner, r, 0));
    ck_assert_str_eq(small, buf);
    ck_assert_int_eq(skycrate_presigner_sign_json(NULL, 0, &need, presigner, r, 0),
                     SKYCRATE_EINVAL);
    ck_assert_uint_eq(need, len);
    /* Bad flags and handles. */
    ck_assert_int_eq(skycrate_presigner_sign_json(buf, sizeof(buf), NULL, presigner, r, 2),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_json(buf, sizeof(buf), NULL, NULL, r, 0),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_presigner_sign_json(buf, sizeof(buf), NULL, presigner, NULL, 0),
                     SKYCRATE_EINVAL);
    /* A signing failure writes nothing either. */
    skycrate_presigner *expired = make_presigner(NULL, T0 - 1);
    memset(small, '#', sizeof(small));
    ck_assert_int_eq(skycrate_presigner_sign_json(small, sizeof(small), &need, expired, r, 0),
                     SKYCRATE_EEXPIRED);
    for (size_t i = 0; i < sizeof(small); i++)
        ck_assert_int_eq(small[i], '#');
    skycrate_presigner_free(expired);
    skycrate_presign_request_free(r);
}
END_TEST

/* After the thread's first presign for a bucket and day, the fast path allocates nothing: the
 * web-app path (a key into a buffer, the thread's request, JSON into a buffer) neither. */
START_TEST(sign_json_allocates_nothing)
{
    skycrate_presigner_free(presigner);
    skycrate_global_cleanup();
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    presigner = make_presigner(NULL, 0);
    char key[SKYCRATE_UPLOAD_KEY_MAX + 1], buf[4096];
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_upload_key_to(key, sizeof(key), NULL, NULL, "user42",
                                            "Quarterly report 2024 (final).pdf"));
    ck_assert_sky_ok(skycrate_presign_request_new(&r, "PUT", BUCKET, key));
    ck_assert_sky_ok(skycrate_presigner_sign_json(buf, sizeof(buf), NULL, presigner, r, 0));
    testalloc_reset_count();
    for (int i = 0; i < 50; i++) {
        ck_assert_sky_ok(skycrate_upload_key_to(key, sizeof(key), NULL, NULL, "user42",
                                                "Quarterly report 2024 (final).pdf"));
        ck_assert_sky_ok(skycrate_presign_request_set_key(r, key));
        ck_assert_sky_ok(skycrate_presigner_sign_json(buf, sizeof(buf), NULL, presigner, r,
                                                      i % 2 ? SKYCRATE_JSON_PRETTY : 0));
    }
    ck_assert_int_eq(testalloc_count(), 0);
    skycrate_presign_request_free(r);
    skycrate_presigner_free(presigner);
    presigner = NULL;
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

static Suite *contract_suite(void)
{
    Suite *s = suite_create("contract");
    TCase *tc = tcase_create("json");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, escaping_equals_jansson);
    tcase_add_test(tc, contract_json_equals_jansson);
    tcase_add_test(tc, sign_json_writes_only_what_fits);
    tcase_add_test(tc, sign_json_allocates_nothing);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(contract_suite)
