/*
 * The cases of tests/unit/test_handles.c: one per public function and handle parameter, made
 * by tests/gen_handle_test.py from the public headers.
 */
#ifndef SKYCRATE_TEST_HANDLE_CASES_H
#define SKYCRATE_TEST_HANDLE_CASES_H

#include <stddef.h>

#include "handles.h"

typedef enum {
    R_CODE,    /* 0 or a negative code: a foreign handle is SKYCRATE_EINVAL, "handle" said */
    R_VALUE,   /* a number: a foreign handle gets what NULL gets */
    R_STRING,  /* a string: likewise */
    R_POINTER, /* a pointer: likewise */
    R_VOID     /* nothing: the foreign handle is left alone */
} result_kind;

typedef struct {
    long long value;
    const void *pointer;
} result;

typedef struct {
    const char *function;
    int position;     /* which parameter gets the foreign handle */
    handle_kind kind; /* the kind that parameter takes */
    result_kind returns;
    void (*call)(void **h, void *wrong, result *r);
} handle_case;

extern const handle_case handle_cases[];
extern const size_t handle_case_count;

#endif
