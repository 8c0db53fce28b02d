/*
 * Retry backoff: full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog), drawn
 * from a per-thread xorshift64* generator seeded from getrandom().
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "core/common.h"
#include "http/http.h"

static _Thread_local uint64_t rng_state;

static uint64_t seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s) || s == 0) {
        /* No entropy yet (early boot): the delay need not be secret, only spread out. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&s;
        s |= 1;
    }
    return s;
}

static uint64_t next_random(void)
{
    if (rng_state == 0)
        rng_state = seed();
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint32_t skycrate__retry_backoff_ms(unsigned int attempt, uint32_t base_ms, uint32_t max_ms)
{
    if (attempt == 0)
        attempt = 1;
    uint64_t cap = base_ms;
    for (unsigned int i = 1; i < attempt && cap < max_ms; i++)
        cap *= 2;
    if (cap > max_ms)
        cap = max_ms;
    if (cap == 0)
        return 0;
    /* The modulo bias is below 2^-31 for a 32-bit cap against a 64-bit draw. */
    return (uint32_t)(next_random() % (cap + 1));
}
