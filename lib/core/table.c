/*
 * Versioned callback tables (table.h).
 * SPDX-License-Identifier: MIT
 */
#include "core/table.h"

#include <string.h>

#include "core/common.h"

static int check_version(unsigned int version, const skycrate__table_layout *layout)
{
    if (version == 0 || version > layout->current)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "unknown %s version %u (this library knows 1 to %u)",
                                   layout->name, version, layout->current);
    return 0;
}

int skycrate__table_init(void *table, unsigned int version, const skycrate__table_layout *layout)
{
    SKYCRATE_ASSERT_ARG(table);
    int error = check_version(version, layout);
    if (error < 0)
        return error;
    /* Only the caller's prefix: its struct may be shorter than ours. */
    memset(table, 0, layout->prefix[version]);
    *(unsigned int *)table = version;
    return 0;
}

int skycrate__table_copy(void *dst, const void *src, const skycrate__table_layout *layout)
{
    SKYCRATE_ASSERT_ARG(dst);
    SKYCRATE_ASSERT_ARG(src);
    unsigned int version = *(const unsigned int *)src;
    int error = check_version(version, layout);
    if (error < 0)
        return error;
    memset(dst, 0, layout->size);
    memcpy(dst, src, layout->prefix[version]);
    /* The copy is a complete current table: later fields are zero, their documented default. */
    *(unsigned int *)dst = layout->current;
    return 0;
}
