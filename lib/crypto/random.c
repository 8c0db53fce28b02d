/*
 * Randomness: the system's source (getrandom), and for unguessable values drawn often (the
 * unique part of upload keys) a per-thread ChaCha20 generator seeded from it.
 *
 * The per-thread generator erases its key as it goes (the "fast key erasure" design of
 * OpenBSD's arc4random and Linux's random driver): each refill runs ChaCha20 (mbedTLS) under
 * the current key, keeps the first 32 bytes of output as the next key and hands out the rest
 * once, wiping each byte as it goes. The state a thread holds therefore never reveals what it
 * handed out before. It is seeded from getrandom on the thread's first draw, again after every
 * fork (a child must not repeat its parent's values) and after every RESEED_BYTES bytes, and
 * wiped when the thread exits.
 * SPDX-License-Identifier: MIT
 */
#include "crypto/crypto.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/chacha20.h>

#include "core/alloc.h"
#include "core/thread_exit.h"
#include "errors.h"

#define KEY_LEN 32
#define REFILL 512 /* bytes of ChaCha20 output per refill: the next key, then 480 to hand out */
#define RESEED_BYTES (1u << 20)

typedef struct {
    unsigned char key[KEY_LEN];
    unsigned char out[REFILL]; /* out[next..REFILL) not yet handed out */
    size_t next;
    size_t since_seed;
    unsigned fork_generation; /* of the seed */
    bool seeded, registered;
} generator;

static const unsigned char zeros[REFILL];
static _Thread_local generator gen;
static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

int skycrate__random_bytes(void *out, size_t len)
{
    unsigned char *p = out;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return skycrate__error_set(SKYCRATE_ERROR, "getrandom failed: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Runs in the child after fork(): every thread's generator must seed again. */
static void after_fork_in_child(void)
{
    atomic_fetch_add_explicit(&fork_generation, 1, memory_order_relaxed);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static void on_thread_exit(void *value)
{
    skycrate__wipe(value, sizeof(generator));
}

static skycrate__thread_exit exit_hook = SKYCRATE__THREAD_EXIT_INIT(on_thread_exit);

/* Runs ChaCha20 under the current key: the next key, then REFILL - KEY_LEN fresh bytes. */
static void refill(generator *g)
{
    static const unsigned char nonce[12];
    (void)mbedtls_chacha20_crypt(g->key, nonce, 0, REFILL, zeros, g->out);
    memcpy(g->key, g->out, KEY_LEN);
    skycrate__wipe(g->out, KEY_LEN);
    g->next = KEY_LEN;
}

static int seed(generator *g)
{
    int error = skycrate__random_bytes(g->key, KEY_LEN);
    if (error < 0)
        return error;
    g->fork_generation = atomic_load_explicit(&fork_generation, memory_order_relaxed);
    g->since_seed = 0;
    g->seeded = true;
    refill(g);
    return 0;
}

int skycrate__random_fast(void *out, size_t len)
{
    generator *g = &gen;
    if (!g->registered) {
        pthread_once(&atfork_once, register_atfork);
        skycrate__thread_exit_register(&exit_hook, g);
        g->registered = true;
    }
    unsigned char *p = out;
    while (len > 0) {
        int error = 0;
        if ((!g->seeded || g->since_seed >= RESEED_BYTES ||
             g->fork_generation != atomic_load_explicit(&fork_generation, memory_order_relaxed)) &&
            (error = seed(g)) < 0)
            return error;
        if (g->next == REFILL)
            refill(g);
        size_t n = REFILL - g->next < len ? REFILL - g->next : len;
        memcpy(p, g->out + g->next, n);
        skycrate__wipe(g->out + g->next, n);
        g->next += n;
        g->since_seed += n;
        p += n;
        len -= n;
    }
    return 0;
}
