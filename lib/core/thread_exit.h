/*
 * Work a thread must do when it exits: wiping its thread-local caches of secrets.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_THREAD_EXIT_H
#define SKYCRATE_CORE_THREAD_EXIT_H

#include <pthread.h>
#include <stdbool.h>

/* One per module; static storage, initialised with SKYCRATE__THREAD_EXIT_INIT(fn). */
typedef struct skycrate__thread_exit {
    void (*on_exit)(void *value); /* runs in the exiting thread, its thread-locals still there */
    pthread_key_t key;
    bool created, ok;
} skycrate__thread_exit;

#define SKYCRATE__THREAD_EXIT_INIT(fn)                                                             \
    {                                                                                              \
        (fn), 0, false, false                                                                      \
    }

/*
 * Makes `hook->on_exit(value)` run when the calling thread exits. Call once per thread (it is
 * not for hot paths). Without a free pthread key the work is simply not done at exit: callers
 * also clear their caches at skycrate_global_cleanup().
 */
void skycrate__thread_exit_register(skycrate__thread_exit *hook, void *value);

#endif
