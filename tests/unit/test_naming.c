/*
 * Unit tests of lib/provision/naming: generated bucket names and the bucket name validator.
 * Expected names were computed independently (Python: the rules of naming.h, hashlib.sha256).
 */
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "provision/naming.h"
#include "testutil.h"

#define T0 1795374900 /* 2026-11-22T19:15:00Z */

static const struct {
    const char *id, *name;
} make_cases[] = {
    /* clean ids are used as they are */
    {"alice", "skycrate-alice-20261122191500"},
    {"u42", "skycrate-u42-20261122191500"},
    {"0", "skycrate-0-20261122191500"},
    {"a-b", "skycrate-a-b-20261122191500"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "skycrate-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-20261122191500"},
    /* uppercase: folded, so hashed (distinct from "alice" and from each other) */
    {"Alice", "skycrate-alice-3bc51062-20261122191500"},
    {"ALICE", "skycrate-alice-e7dcee3c-20261122191500"},
    /* dots, underscores, spaces, '@': folded to '-', hashed */
    {"alice.smith", "skycrate-alice-smith-63425827-20261122191500"},
    {"alice_smith", "skycrate-alice-smith-a073a3b2-20261122191500"},
    {"alice smith", "skycrate-alice-smith-038bd15a-20261122191500"},
    {"user@example.com", "skycrate-user-example-com-b4c9a289-20261122191500"},
    {"User@Example.com", "skycrate-user-example-com-24299c4b-20261122191500"},
    /* leading/trailing junk and runs */
    {"  alice  ", "skycrate-alice-a055a1ce-20261122191500"},
    {"--alice--", "skycrate-alice-1b3e695a-20261122191500"},
    {"..alice..", "skycrate-alice-8f84b608-20261122191500"},
    {"a--b", "skycrate-a-b-90827a2e-20261122191500"},
    /* unicode: each byte folds; nothing readable left -> hash only */
    {"Jos\xc3\xa9", "skycrate-jos-24c2ab65-20261122191500"},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "skycrate-77710aed-20261122191500"},
    {"\xc3\x9cn\xc3\xaf"
     "c\xc3\xb6"
     "d\xc3\xa9-User",
     "skycrate-n-c-d-user-33dbfad9-20261122191500"},
    {"___", "skycrate-bda25155-20261122191500"},
    {"-", "skycrate-3973e022-20261122191500"},
    /* too long: shortened and hashed */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "skycrate-aaaaaaaaaaaaaaaaaaaaa-61c60b48-20261122191500"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "skycrate-aaaaaaaaaaaaaaaaaaaaa-e33cdf9c-20261122191500"},
    /* IP-looking */
    {"192.168.5.4", "skycrate-192-168-5-4-ee016ecc-20261122191500"},
    /* reserved prefixes and suffixes inside the id are harmless in the middle of a name */
    {"xn--abc", "skycrate-xn-abc-39b9ee34-20261122191500"},
    {"sthree-x", "skycrate-sthree-x-20261122191500"},
    {"amzn-s3-demo-bucket", "skycrate-amzn-s3-demo-bucket-20261122191500"},
    {"bob-s3alias", "skycrate-bob-s3alias-20261122191500"},
    {"bob--ol-s3", "skycrate-bob-ol-s3-4358b3ed-20261122191500"},
    {"bob.mrap", "skycrate-bob-mrap-a8a79643-20261122191500"},
    {"bob--x-s3", "skycrate-bob-x-s3-5c159527-20261122191500"},
    /* clean ids that end like a hashed part are hashed, so they cannot impersonate one */
    {"deadbeef", "skycrate-deadbeef-2baf1f40-20261122191500"},
    {"bob-deadbeef", "skycrate-bob-deadbeef-3decd29e-20261122191500"},
    {"bob-deadbeeg", "skycrate-bob-deadbeeg-20261122191500"},
};

START_TEST(make_table)
{
    char name[SKYCRATE__BUCKET_NAME_MAX + 1];
    ck_assert_sky_ok(skycrate__bucket_name_make(name, NULL, make_cases[_i].id, T0, 0));
    ck_assert_str_eq(name, make_cases[_i].name);
    ck_assert(skycrate__bucket_name_valid(name));
    ck_assert_ptr_null(strchr(name, '.'));
}
END_TEST

START_TEST(make_retry_suffix_keeps_user_part)
{
    char first[64], retry[64], other[64];
    ck_assert_sky_ok(skycrate__bucket_name_make(first, NULL, "alice", T0, 0));
    ck_assert_sky_ok(skycrate__bucket_name_make(retry, NULL, "alice", T0, 0x1a2b3c4du));
    ck_assert_str_eq(retry, "skycrate-alice-20261122191500-1a2b3c4d");
    ck_assert_sky_ok(skycrate__bucket_name_make(other, NULL, "alice", T0, 7));
    ck_assert_str_eq(other, "skycrate-alice-20261122191500-00000007");
    /* the longest id and prefix, with a suffix, still fit in 63 characters */
    char longest[64], id[201];
    memset(id, 'x', 200);
    id[200] = '\0';
    ck_assert_sky_ok(
        skycrate__bucket_name_make(longest, "pppppppppppppppppppppppp", id, T0, 0xffffffffu));
    ck_assert_str_eq(longest, "pppppppppppppppppppppppp-xxxxx-aa20c23e-20261122191500-ffffffff");
    ck_assert_uint_eq(strlen(longest), 63);
    ck_assert(skycrate__bucket_name_valid(longest));
    ck_assert_sky_ok(skycrate__bucket_name_make(longest, NULL, id, T0, 0));
    ck_assert_str_eq(longest, "skycrate-xxxxxxxxxxxxxxxxxxxxx-aa20c23e-20261122191500");
    ck_assert_sky_ok(skycrate__bucket_name_make(longest, "x", id, T0, 0));
    ck_assert_str_eq(longest, "x-xxxxxxxxxxxxxxxxxxxxxxxxxxxx-aa20c23e-20261122191500");
}
END_TEST

START_TEST(make_time_and_prefix)
{
    char name[64];
    ck_assert_sky_ok(skycrate__bucket_name_make(name, "x", "alice", T0, 0));
    ck_assert_str_eq(name, "x-alice-20261122191500");
    /* "xn-" is not the reserved "xn--" (ids never start with '-') */
    ck_assert_sky_ok(skycrate__bucket_name_make(name, "xn", "alice", T0, 0));
    ck_assert_str_eq(name, "xn-alice-20261122191500");
    ck_assert_sky_ok(skycrate__bucket_name_make(name, "my-app2", "alice", 0, 0));
    ck_assert_str_eq(name, "my-app2-alice-19700101000000");
    ck_assert_sky_ok(skycrate__bucket_name_make(name, NULL, "alice", 253402300799LL, 0));
    ck_assert_str_eq(name, "skycrate-alice-99991231235959");
    ck_assert_int_eq(skycrate__bucket_name_make(name, NULL, "alice", -1, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate__bucket_name_make(name, NULL, "alice", 253402300800LL, 0),
                     SKYCRATE_EINVAL);
    ck_assert_str_eq(name, "");
}
END_TEST

static const struct {
    const char *prefix, *user_id;
} invalid_inputs[] = {
    {NULL, ""},
    {NULL, NULL},
    {NULL, "bad\xff utf8"},
    {NULL, "\xc0\xaf"}, /* overlong '/' */
    {"", "alice"},
    {"Sky", "alice"},
    {"sky.crate", "alice"},
    {"sky_crate", "alice"},
    {"-sky", "alice"},
    {"sky-", "alice"},
    {"sky--crate", "alice"},
    {"ppppppppppppppppppppppppp", "alice"}, /* 25 characters */
    {"sthree", "alice"},                    /* "sthree-alice-..." is reserved */
    {"amzn-s3-demo", "alice"},
    {"sthree-x", "alice"},
};

START_TEST(make_rejects_invalid_input)
{
    char name[64] = "junk";
    int rc = skycrate__bucket_name_make(name, invalid_inputs[_i].prefix, invalid_inputs[_i].user_id,
                                        T0, 0);
    ck_assert_int_eq(rc, SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EINVAL);
    ck_assert_str_eq(name, "");
    ck_assert_int_eq(
        skycrate__bucket_name_dev(name, invalid_inputs[_i].prefix, invalid_inputs[_i].user_id),
        SKYCRATE_EINVAL);
}
END_TEST

START_TEST(make_rejects_overlong_id)
{
    char name[64], id[1026];
    memset(id, 'a', 1025);
    id[1025] = '\0';
    ck_assert_int_eq(skycrate__bucket_name_make(name, NULL, id, T0, 0), SKYCRATE_EINVAL);
    id[1024] = '\0';
    ck_assert_sky_ok(skycrate__bucket_name_make(name, NULL, id, T0, 0));
    ck_assert(skycrate__bucket_name_valid(name));
}
END_TEST

/* Ids that fold to the same text still get distinct names; and every id of a generated set
 * gives a distinct, valid name. */
START_TEST(distinct_ids_get_distinct_names)
{
    static const char *const same_fold[] = {
        "alice.smith",  "alice_smith", "alice smith",  "Alice.Smith",  "ALICE_SMITH",
        "alice..smith", "alice-smith", ".alice-smith", "alice-smith.", "alice\xc3\xa9smith",
    };
    enum { N = SKYCRATE_ARRAY_SIZE(same_fold) };
    char names[N][64];
    for (size_t i = 0; i < N; i++) {
        ck_assert_sky_ok(skycrate__bucket_name_make(names[i], NULL, same_fold[i], T0, 0));
        ck_assert(skycrate__bucket_name_valid(names[i]));
        ck_assert_msg(strncmp(names[i], "skycrate-alice-smith-", 21) == 0, "%s", names[i]);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(names[i], names[j]);
    }

    /* Every byte value in a few positions, and long variants: all distinct and valid. */
    enum { M = 2 * 256 + 64 };
    static char made[M][64];
    size_t count = 0;
    for (int b = 1; b < 256; b++) {
        char id[8] = {'u', (char)b, 'x', '\0'};
        char id2[8] = {(char)b, 'z', '\0'};
        if (skycrate__bucket_name_make(made[count], NULL, id, T0, 0) == 0)
            count++;
        if (skycrate__bucket_name_make(made[count], NULL, id2, T0, 0) == 0)
            count++;
    }
    for (int k = 0; k < 64; k++) {
        char id[128];
        memset(id, 'q', 100);
        snprintf(id + 100, 28, "%d", k); /* differ only beyond what fits */
        ck_assert_sky_ok(skycrate__bucket_name_make(made[count++], NULL, id, T0, 0));
    }
    ck_assert_uint_gt(count, 256);
    for (size_t i = 0; i < count; i++) {
        ck_assert_msg(skycrate__bucket_name_valid(made[i]), "%s", made[i]);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(made[i], made[j]) != 0, "%s twice", made[i]);
    }
}
END_TEST

START_TEST(dev_names_are_deterministic)
{
    char a[64], b[64];
    ck_assert_sky_ok(skycrate__bucket_name_dev(a, NULL, "alice"));
    ck_assert_str_eq(a, "skycrate-dev-alice");
    ck_assert_sky_ok(skycrate__bucket_name_dev(b, NULL, "alice"));
    ck_assert_str_eq(a, b);
    ck_assert_sky_ok(skycrate__bucket_name_dev(a, NULL, "Alice"));
    ck_assert_str_eq(a, "skycrate-dev-alice-3bc51062");
    char id[201];
    memset(id, 'x', 200);
    id[200] = '\0';
    ck_assert_sky_ok(skycrate__bucket_name_dev(a, NULL, id));
    ck_assert_str_eq(a, "skycrate-dev-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-aa20c23e");
    ck_assert_uint_eq(strlen(a), 63);
    ck_assert_sky_ok(skycrate__bucket_name_dev(a, "pppppppppppppppppppppppp", id));
    ck_assert_str_eq(a, "pppppppppppppppppppppppp-dev-xxxxxxxxxxxxxxxxxxxxxxxxx-aa20c23e");
    ck_assert(skycrate__bucket_name_valid(a));
}
END_TEST

static const char *const valid_names[] = {
    "abc",
    "my-bucket",
    "my.bucket.name",
    "a.b-c.d",
    "123",
    "1.2.3",     /* three groups: not an IP address */
    "1.2.3.4.5", /* five groups */
    "1.2.3.a",
    "192.168.5.4a",
    "xn-abc",
    "sthree",
    "amzn-s3-demo",
    "bucket-s3alia",
    "bucket-ol-s3",
    "bucket.mra",
    "bucket-x-s3",
    "a-s3alias-b",
    "skycrate-alice-20261122191500",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 63 */
};

static const char *const invalid_names[] = {
    "",
    "ab",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
    "My-Bucket",
    "my_bucket",
    "my bucket",
    "my/bucket",
    "b\xc3\xa4r",
    "-bucket",
    "bucket-",
    ".bucket",
    "bucket.",
    "my..bucket",
    "192.168.5.4",
    "0.0.0.0",
    "999.999.999.999",
    "xn--bucket",
    "sthree-bucket",
    "sthree-configurator",
    "amzn-s3-demo-bucket",
    "bucket-s3alias",
    "bucket--ol-s3",
    "bucket.mrap",
    "bucket--x-s3",
    "bucket--table-s3",
};

START_TEST(validator_accepts)
{
    ck_assert_msg(skycrate__bucket_name_valid(valid_names[_i]), "%s", valid_names[_i]);
    ck_assert_int_eq(skycrate__bucket_name_check(valid_names[_i]), 0);
}
END_TEST

START_TEST(validator_rejects)
{
    skycrate_error_clear();
    ck_assert_msg(!skycrate__bucket_name_valid(invalid_names[_i]), "%s", invalid_names[_i]);
    ck_assert_int_eq(skycrate_error_last()->code, 0); /* valid() leaves the slot alone */
    ck_assert_int_eq(skycrate__bucket_name_check(invalid_names[_i]), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "invalid bucket name"));
}
END_TEST

START_TEST(validator_rejects_null)
{
    ck_assert(!skycrate__bucket_name_valid(NULL));
    ck_assert_int_eq(skycrate__bucket_name_check(NULL), SKYCRATE_EINVAL);
}
END_TEST

static Suite *naming_suite(void)
{
    Suite *s = suite_create("naming");
    TCase *tc = tcase_create("make");
    tcase_add_loop_test(tc, make_table, 0, (int)SKYCRATE_ARRAY_SIZE(make_cases));
    tcase_add_test(tc, make_retry_suffix_keeps_user_part);
    tcase_add_test(tc, make_time_and_prefix);
    suite_add_tcase(s, tc);

    tc = tcase_create("invalid-input");
    tcase_add_loop_test(tc, make_rejects_invalid_input, 0,
                        (int)SKYCRATE_ARRAY_SIZE(invalid_inputs));
    tcase_add_test(tc, make_rejects_overlong_id);
    suite_add_tcase(s, tc);

    tc = tcase_create("distinct");
    tcase_add_test(tc, distinct_ids_get_distinct_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("dev");
    tcase_add_test(tc, dev_names_are_deterministic);
    suite_add_tcase(s, tc);

    tc = tcase_create("validator");
    tcase_add_loop_test(tc, validator_accepts, 0, (int)SKYCRATE_ARRAY_SIZE(valid_names));
    tcase_add_loop_test(tc, validator_rejects, 0, (int)SKYCRATE_ARRAY_SIZE(invalid_names));
    tcase_add_test(tc, validator_rejects_null);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(naming_suite)
