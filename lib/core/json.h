/*
 * jansson rendering with the library's conventions: every failure reported (also the ones
 * jansson overlooks), library-owned strings, and the public SKYCRATE_JSON_* flags.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_JSON_H
#define SKYCRATE_CORE_JSON_H

#include <jansson.h>

#include "core/buf.h"

/* Appends the JSON text of `value` (json_dump flags) to `out`. Every failure is reported,
 * including the ones jansson itself overlooks. 0 or SKYCRATE_ENOMEM (`out` unchanged). */
int skycrate__json_dump(skycrate__buf *out, const json_t *value, size_t flags);

/* The json_dump flags for the public flags of a `_to_json` function (key order kept; two
 * spaces of indentation with SKYCRATE_JSON_PRETTY, else compact). */
size_t skycrate__json_flags(uint32_t public_flags);

/* Renders `value` into a library-owned string (*out, freed with skycrate__free; NULL on
 * failure) as `_to_json` does: 0, SKYCRATE_EINVAL for unknown flags, or SKYCRATE_ENOMEM. The
 * text is wiped when a failure leaves it behind, since some documents hold URLs that grant
 * access. */
int skycrate__json_render(char **out, const json_t *value, uint32_t public_flags);

#endif
