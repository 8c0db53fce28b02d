/*
 * Every public function refuses every other kind of handle (docs/HACKING.md, "Handles"): each
 * function that takes a handle gets, in that place, a live handle of every other kind, with
 * its other arguments valid. A function that returns codes answers SKYCRATE_EINVAL about the
 * handle; an accessor answers as it does for NULL; none changes the foreign handle. The cases
 * are generated from the public headers (tests/gen_handle_test.py), so a new function is
 * covered when it is declared.
 */
#include <stdbool.h>
#include <string.h>

#include "handle_cases.h"
#include "testalloc.h"
#include "testutil.h"

static void *h[HK_COUNT];

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    handles_make(h);
}

static void teardown(void)
{
    handles_release(h);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

/* A foreign handle is refused as NULL is: an accessor answers what it answers for NULL. */
static void check_refused(const handle_case *c, handle_kind wrong, const result *r,
                          const result *for_null)
{
    const char *what = handle_kind_name(wrong);
    switch (c->returns) {
    case R_CODE:
        ck_assert_msg(r->value == SKYCRATE_EINVAL, "%s(%s at %d) returned %lld: %s", c->function,
                      what, c->position, r->value, skycrate_error_last()->message);
        ck_assert_msg(strstr(skycrate_error_last()->message, "handle") != NULL,
                      "%s(%s at %d) refused it for another reason: %s", c->function, what,
                      c->position, skycrate_error_last()->message);
        break;
    case R_VALUE:
        ck_assert_msg(r->value == for_null->value, "%s(%s at %d) returned %lld, not %lld",
                      c->function, what, c->position, r->value, for_null->value);
        break;
    case R_STRING:
        ck_assert_msg(
            r->pointer == for_null->pointer ||
                (r->pointer && for_null->pointer && strcmp(r->pointer, for_null->pointer) == 0),
            "%s(%s at %d) returned \"%s\"", c->function, what, c->position,
            r->pointer ? (const char *)r->pointer : "(null)");
        break;
    case R_POINTER:
        ck_assert_msg(r->pointer == for_null->pointer, "%s(%s at %d) returned another pointer",
                      c->function, what, c->position);
        break;
    case R_VOID: break;
    }
}

START_TEST(every_function_refuses_every_other_kind)
{
    const handle_case *c = &handle_cases[_i];
    result for_null = {0, NULL};
    if (c->returns != R_VOID && c->returns != R_CODE)
        c->call(h, NULL, &for_null);
    for (int k = 0; k < HK_COUNT; k++) {
        if ((handle_kind)k == c->kind)
            continue;
        uint32_t magics[HK_COUNT];
        for (int j = 0; j < HK_COUNT; j++)
            magics[j] = handle_magic(h[j]);
        result r = {0, NULL};
        skycrate_error_clear();
        c->call(h, h[k], &r);
        check_refused(c, (handle_kind)k, &r, &for_null);
        for (int j = 0; j < HK_COUNT; j++)
            ck_assert_msg(handle_magic(h[j]) == magics[j], "%s(%s at %d) changed a %s", c->function,
                          handle_kind_name((handle_kind)k), c->position,
                          handle_kind_name((handle_kind)j));
    }
}
END_TEST

/* The cases cover what they claim: every kind is taken by some function. */
START_TEST(every_kind_is_taken_somewhere)
{
    for (int k = 0; k < HK_COUNT; k++) {
        bool taken = false;
        for (size_t i = 0; i < handle_case_count; i++)
            taken = taken || handle_cases[i].kind == (handle_kind)k;
        ck_assert_msg(taken, "no public function takes a %s", handle_kind_name((handle_kind)k));
        ck_assert_uint_ne(handle_magic(h[k]), 0);
        for (int j = k + 1; j < HK_COUNT; j++)
            ck_assert_uint_ne(handle_magic(h[k]), handle_magic(h[j]));
    }
    ck_assert_uint_gt(handle_case_count, 150);
}
END_TEST

static Suite *handles_suite(void)
{
    Suite *s = suite_create("handles");
    TCase *tc = tcase_create("kinds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_kind_is_taken_somewhere);
    tcase_add_loop_test(tc, every_function_refuses_every_other_kind, 0, (int)handle_case_count);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(handles_suite)
