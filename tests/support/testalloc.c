#include "testalloc.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long count, outstanding, fail_at;

static int should_fail(void)
{
    long n = atomic_fetch_add(&count, 1) + 1;
    long f = atomic_load(&fail_at);
    return f > 0 && n == f;
}

static void *t_malloc(size_t size, void *ud)
{
    (void)ud;
    if (should_fail())
        return NULL;
    void *p = malloc(size);
    if (p)
        atomic_fetch_add(&outstanding, 1);
    return p;
}

static void *t_realloc(void *ptr, size_t size, void *ud)
{
    (void)ud;
    if (should_fail())
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        atomic_fetch_add(&outstanding, 1);
    return p;
}

static void t_free(void *ptr, void *ud)
{
    (void)ud;
    if (ptr)
        atomic_fetch_sub(&outstanding, 1);
    free(ptr);
}

const skycrate_allocator testalloc = {t_malloc, t_realloc, t_free, NULL};

void testalloc_fail_at(long nth)
{
    atomic_store(&count, 0);
    atomic_store(&fail_at, nth);
}

long testalloc_count(void)
{
    return atomic_load(&count);
}

long testalloc_outstanding(void)
{
    return atomic_load(&outstanding);
}

void testalloc_reset_count(void)
{
    atomic_store(&count, 0);
}

const char *watched;
int watched_hits;

static void check_block(void *p)
{
    size_t n = malloc_usable_size(p), w = strlen(watched);
    for (size_t i = 0; i + w <= n; i++)
        if (memcmp((char *)p + i, watched, w) == 0)
            watched_hits++;
}

/* Zeroed, so that scanning a block never reads bytes nobody wrote. */
static void *w_malloc(size_t size, void *ud)
{
    (void)ud;
    return calloc(1, size);
}

static void w_free(void *p, void *ud)
{
    (void)ud;
    if (p)
        check_block(p);
    free(p);
}

static void *w_realloc(void *p, size_t size, void *ud)
{
    if (!p)
        return w_malloc(size, ud);
    void *n = w_malloc(size, ud);
    if (n) {
        size_t old = malloc_usable_size(p);
        memcpy(n, p, old < size ? old : size);
        w_free(p, ud);
    }
    return n;
}

const skycrate_allocator watching = {w_malloc, w_realloc, w_free, NULL};
