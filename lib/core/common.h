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

/* Handles start with a magic number; a wrong one is a caller bug (use after free, wrong type). */
#define SKYCRATE_ASSERT_HANDLE(h, magic_value)                                                     \
    do {                                                                                           \
        if ((h) == NULL || (h)->magic != (magic_value))                                            \
            return skycrate__error_set(SKYCRATE_EINVAL, "invalid handle: %s", #h);                 \
    } while (0)

#define SKYCRATE_MAGIC_CLIENT 0x534b4331u      /* "SKC1" */
#define SKYCRATE_MAGIC_CONFIG 0x534b4346u      /* "SKCF" */
#define SKYCRATE_MAGIC_PRESIGNER 0x534b5053u   /* "SKPS" */
#define SKYCRATE_MAGIC_PROVISIONER 0x534b5056u /* "SKPV" */

/* True once skycrate_global_init() has run (and not been undone). */
bool skycrate__global_initialized(void);

#endif
