/*
 * Thread-exit hooks on pthread keys. The keys are deleted when the library is unloaded, so no
 * destructor pointing into unmapped code is left in the process's key table.
 * SPDX-License-Identifier: MIT
 */
#include "core/thread_exit.h"

#include "core/common.h"

#define MAX_HOOKS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static skycrate__thread_exit *hooks[MAX_HOOKS];
static size_t hook_count;

void skycrate__thread_exit_register(skycrate__thread_exit *hook, void *value)
{
    pthread_mutex_lock(&lock);
    if (!hook->created) {
        hook->created = true;
        hook->ok = hook_count < MAX_HOOKS && pthread_key_create(&hook->key, hook->on_exit) == 0;
        if (hook->ok)
            hooks[hook_count++] = hook;
    }
    pthread_mutex_unlock(&lock);
    if (hook->ok)
        pthread_setspecific(hook->key, value);
}

__attribute__((destructor)) static void delete_keys(void)
{
    for (size_t i = 0; i < hook_count; i++) {
        pthread_key_delete(hooks[i]->key);
        hooks[i]->ok = false;
    }
    hook_count = 0;
}
