/*
 * The allocator seam. Every allocation reports ENOMEM through the error slot at its caller;
 * these functions only route to the installed hooks.
 * SPDX-License-Identifier: MIT
 */
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static void *libc_malloc(size_t size, void *user_data)
{
    (void)user_data;
    return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *user_data)
{
    (void)user_data;
    return realloc(ptr, size);
}

static void libc_free(void *ptr, void *user_data)
{
    (void)user_data;
    free(ptr);
}

static const skycrate_allocator libc_allocator = {libc_malloc, libc_realloc, libc_free, NULL};
static skycrate_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

void skycrate__alloc_set(const skycrate_allocator *allocator)
{
    current = allocator ? *allocator : libc_allocator;
}

int skycrate__alloc_is(const skycrate_allocator *allocator)
{
    const skycrate_allocator *a = allocator ? allocator : &libc_allocator;
    return a->malloc == current.malloc && a->realloc == current.realloc &&
           a->free == current.free && a->user_data == current.user_data;
}

void *skycrate__malloc(size_t size)
{
    return current.malloc(size ? size : 1, current.user_data);
}

void *skycrate__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t total = count * size;
    void *p = skycrate__malloc(total);
    if (p)
        memset(p, 0, total ? total : 1);
    return p;
}

void *skycrate__realloc(void *ptr, size_t size)
{
    return current.realloc(ptr, size ? size : 1, current.user_data);
}

void skycrate__free(void *ptr)
{
    if (ptr)
        current.free(ptr, current.user_data);
}

char *skycrate__strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = skycrate__malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *skycrate__strdup(const char *s)
{
    return skycrate__strndup(s, SIZE_MAX);
}

void *skycrate__memdup(const void *src, size_t n)
{
    void *p = skycrate__malloc(n);
    if (p && n)
        memcpy(p, src, n);
    return p;
}

int skycrate__set_string(char **slot, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = skycrate__strdup(value)))
        return skycrate__error_nomem();
    skycrate__free(*slot);
    *slot = copy;
    return 0;
}

void skycrate__wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void skycrate__free_secret(char *s)
{
    if (s) {
        skycrate__wipe(s, strlen(s));
        skycrate__free(s);
    }
}

void skycrate_free(void *ptr)
{
    skycrate__free(ptr);
}
