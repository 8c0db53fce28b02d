/*
 * The allocator seam: all library memory goes through these functions.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_ALLOC_H
#define SKYCRATE_CORE_ALLOC_H

#include <stddef.h>

#include "skycrate/alloc.h"

/* Installs the allocator (NULL: libc). Called by skycrate_global_init() only. */
void skycrate__alloc_set(const skycrate_allocator *allocator);
/* True when `allocator` is the one installed (NULL matches libc). */
int skycrate__alloc_is(const skycrate_allocator *allocator);

void *skycrate__malloc(size_t size);
void *skycrate__calloc(size_t count, size_t size);
void *skycrate__realloc(void *ptr, size_t size);
void skycrate__free(void *ptr);
char *skycrate__strdup(const char *s);
char *skycrate__strndup(const char *s, size_t n);
void *skycrate__memdup(const void *p, size_t n);
/*
 * Replaces *slot (NULL or a string of this allocator) with a copy of `value`; NULL clears it.
 * On failure *slot is unchanged. Returns 0 or SKYCRATE_ENOMEM (recorded).
 */
int skycrate__set_string(char **slot, const char *value);

/* Overwrites memory in a way the compiler cannot elide (secrets). */
void skycrate__wipe(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it. NULL does nothing. */
void skycrate__free_secret(char *s);

#endif
