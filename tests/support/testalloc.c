#include "testalloc.h"

#include <stdatomic.h>
#include <stdlib.h>

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
