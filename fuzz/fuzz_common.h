/*
 * Shared by the fuzz targets: a counting allocator installed through skycrate_global_init()
 * that can fail the Nth allocation, and a check that every call left nothing allocated.
 * Each target runs its readers twice per input: normally, then with one allocation failing
 * (chosen from the input), and checks that the second run gives the same answer or ENOMEM.
 */
#ifndef SKYCRATE_FUZZ_COMMON_H
#define SKYCRATE_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

static long fuzz_count, fuzz_fail_at, fuzz_outstanding;

static void *fuzz_malloc(size_t size, void *user_data)
{
    (void)user_data;
    if (fuzz_fail_at > 0 && ++fuzz_count == fuzz_fail_at)
        return NULL;
    void *p = malloc(size);
    if (p)
        fuzz_outstanding++;
    return p;
}

static void *fuzz_realloc(void *ptr, size_t size, void *user_data)
{
    (void)user_data;
    if (fuzz_fail_at > 0 && ++fuzz_count == fuzz_fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        fuzz_outstanding++;
    return p;
}

static void fuzz_free(void *ptr, void *user_data)
{
    (void)user_data;
    if (ptr)
        fuzz_outstanding--;
    free(ptr);
}

static const skycrate_allocator fuzz_allocator = {fuzz_malloc, fuzz_realloc, fuzz_free, NULL};

/* Stops the run with a message: libFuzzer saves the input as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    FUZZ_CHECK(skycrate_global_init(&fuzz_allocator) == 1);
    return 0;
}

typedef int (*fuzz_reader)(const char *data, size_t size);

/*
 * Runs `reader` normally, then with allocation number `fail_at` failing. Checks the return
 * codes (0, SKYCRATE_EPARSE or SKYCRATE_ENOMEM only; the same answer or ENOMEM the second
 * time) and that nothing stays allocated.
 */
static inline void fuzz_run(fuzz_reader reader, const char *data, size_t size, long fail_at)
{
    fuzz_fail_at = 0;
    int rc = reader(data, size);
    FUZZ_CHECK(rc == 0 || rc == SKYCRATE_EPARSE);
    FUZZ_CHECK(fuzz_outstanding == 0);
    fuzz_count = 0;
    fuzz_fail_at = fail_at;
    int rc2 = reader(data, size);
    fuzz_fail_at = 0;
    FUZZ_CHECK(rc2 == rc || rc2 == SKYCRATE_ENOMEM);
    FUZZ_CHECK(fuzz_outstanding == 0);
}

/* The allocation to fail in the second run, from the input's last byte. */
static inline long fuzz_pick_failure(const uint8_t *data, size_t size)
{
    return size ? 1 + data[size - 1] % 96 : 1;
}

/* True when all `n` bytes at `p` are zero (a reader leaves its struct zeroed on errors). */
static inline int fuzz_all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

#endif
