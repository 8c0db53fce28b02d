/*
 * Versioned callback tables (the public `_callbacks` structs of the seams): one way to
 * initialise and copy them. A table's first field is `unsigned int version`; fields are only
 * appended, so each version defines a prefix of the current struct. A table filled by a program
 * built against an older header is shorter than ours: only its prefix may be read or written.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_TABLE_H
#define SKYCRATE_CORE_TABLE_H

#include <stddef.h>

/* The bytes of `type` up to the end of `field`: the prefix of a version whose last field it is. */
#define SKYCRATE__PREFIX_THROUGH(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

typedef struct skycrate__table_layout {
    const char *name;     /* for messages: "transport callbacks" */
    unsigned int current; /* the newest version this library knows */
    const size_t *prefix; /* prefix[v]: the bytes version v defines, for v in 1..current */
    size_t size;          /* sizeof the current struct */
} skycrate__table_layout;

/* Zero-fills the prefix of `table` that `version` defines and sets its version: 0, or
 * SKYCRATE_EINVAL for a NULL table or an unknown version (0 or newer than this library). */
int skycrate__table_init(void *table, unsigned int version, const skycrate__table_layout *layout);

/* Copies the prefix that `src`'s version defines into `dst` (a current table), zero-fills the
 * rest and sets dst's version to the current one: 0, or SKYCRATE_EINVAL (the message names the
 * table) for a NULL table or an unknown version. */
int skycrate__table_copy(void *dst, const void *src, const skycrate__table_layout *layout);

#endif
