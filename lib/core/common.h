/*
 * Internal definitions shared by every source file of the library.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_COMMON_H
#define SKYCRATE_CORE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skycrate.h"

#include "core/alloc.h"
#include "core/error.h"

#define SKYCRATE_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 9110 token characters (tchar): header names and methods. */
static inline bool skycrate__is_tchar(unsigned char c)
{
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
}

/* Checks a required argument: records a message and returns SKYCRATE_EINVAL. */
#define SKYCRATE_ASSERT_ARG(expr)                                                                  \
    do {                                                                                           \
        if (!(expr))                                                                               \
            return skycrate__error_set(SKYCRATE_EINVAL, "invalid argument: %s", #expr);            \
    } while (0)

/* Like SKYCRATE_ASSERT_ARG for functions that return a pointer or nothing. */
#define SKYCRATE_ASSERT_ARG_RET(expr, ret)                                                         \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            skycrate__error_set(SKYCRATE_EINVAL, "invalid argument: %s", #expr);                   \
            return ret;                                                                            \
        }                                                                                          \
    } while (0)

/* True when `h` is a live handle of one kind: for accessors that cannot fail and return an
 * empty value for anything else. */
#define SKYCRATE_VALID_HANDLE(h, magic_value) ((h) != NULL && (h)->magic == (magic_value))

/* Handles start with a magic number; a wrong one is a caller bug (use after free, wrong type). */
#define SKYCRATE_ASSERT_HANDLE(h, magic_value)                                                     \
    do {                                                                                           \
        if ((h) == NULL || (h)->magic != (magic_value))                                            \
            return skycrate__error_set(SKYCRATE_EINVAL, "invalid handle: %s", #h);                 \
    } while (0)

/*
 * The magic numbers that start every handle, one per kind and all different, so that a handle of
 * one kind passed where another is expected is refused (SKYCRATE_ASSERT_HANDLE) instead of
 * being read or written as the wrong struct. The one list: X(NAME, value, "four letters").
 */
#define SKYCRATE__HANDLE_KINDS(X)                                                                  \
    X(CLIENT, 0x534b4331, "SKC1")                                                                  \
    X(CLIENT_CONFIG, 0x534b4346, "SKCF")                                                           \
    X(HTTP_TRANSPORT, 0x534b4854, "SKHT")                                                          \
    X(PRESIGNER, 0x534b5053, "SKPS")                                                               \
    X(PRESIGN_REQUEST, 0x534b5052, "SKPR")                                                         \
    X(PRESIGNED, 0x534b5043, "SKPC")                                                               \
    X(POST_POLICY, 0x534b5050, "SKPP")                                                             \
    X(POST_FORM, 0x534b5046, "SKPF")                                                               \
    X(PROVISIONER, 0x534b5056, "SKPV")                                                             \
    X(PROVISIONER_CONFIG, 0x534b5643, "SKVC")                                                      \
    X(USER_STORE, 0x534b5553, "SKUS")                                                              \
    X(USER_STORE_VALUE, 0x534b5356, "SKSV")                                                        \
    X(CREDENTIALS, 0x534b4352, "SKCR")                                                             \
    X(CREDENTIALS_PROVIDER, 0x534b4350, "SKCP")                                                    \
    X(HTTP_REQUEST, 0x534b4851, "SKHQ")                                                            \
    X(HTTP_RESPONSE, 0x534b4852, "SKHR")                                                           \
    X(OBJECT_INFO, 0x534b4f49, "SKOI")                                                             \
    X(OBJECT_PAGE, 0x534b4f50, "SKOP")                                                             \
    X(RECORD, 0x534b5243, "SKRC")                                                                  \
    X(VERIFY_REPORT, 0x534b5256, "SKRV")                                                           \
    X(USAGE_REPORT, 0x534b5255, "SKRU")                                                            \
    X(DEPROVISION_REPORT, 0x534b5244, "SKRD")                                                      \
    X(TRANSFER_OPTIONS, 0x534b544f, "SKTO")                                                        \
    X(TRANSFER_RESULT, 0x534b5452, "SKTR")                                                         \
    X(DOCTOR, 0x534b4444, "SKDD")                                                                  \
    X(DOCTOR_CASE, 0x534b4443, "SKDC")                                                             \
    X(DIAGNOSIS, 0x534b4447, "SKDG")

#define SKYCRATE__MAGIC_ENUM(name, value, text) SKYCRATE_MAGIC_##name = value,
enum { SKYCRATE__HANDLE_KINDS(SKYCRATE__MAGIC_ENUM) };
#undef SKYCRATE__MAGIC_ENUM

/* True once skycrate_global_init() has run (and not been undone). */
bool skycrate__global_initialized(void);

#endif
