/*
 * The thread-local error slot.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_ERROR_H
#define SKYCRATE_CORE_ERROR_H

#include "skycrate/errors.h"

#define SKYCRATE_ERROR_MESSAGE_MAX 1024

#if defined(__GNUC__)
#define SKYCRATE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SKYCRATE_PRINTF(f, a)
#endif

/*
 * Records `code` with a formatted message on this thread and returns `code`, so that
 * `return skycrate__error_set(SKYCRATE_EINVAL, "...")` reads naturally. The message passes
 * through the log redaction filter; still, never format a secret into it.
 */
int skycrate__error_set(int code, const char *fmt, ...) SKYCRATE_PRINTF(2, 3);

/* Records ENOMEM and returns it. */
int skycrate__error_nomem(void);

/*
 * After a user callback returned `rc`: if it failed without setting a message, records
 * "<what> callback returned <rc>". Returns `rc`. As libgit2's git_error_set_after_callback.
 */
int skycrate__error_after_callback(int rc, const char *what);

/* Prefixes the current message with "<prefix>: " (keeps the code). Returns the code. */
int skycrate__error_prefix(const char *fmt, ...) SKYCRATE_PRINTF(1, 2);

/*
 * An error kept for later: for the calling thread when a lane thread failed (the slot is per
 * thread), or across a clean-up that makes calls of its own. Zeroed, it holds no error.
 */
typedef struct skycrate__kept_error {
    int code;
    char *message; /* a copy; NULL when none could be made */
} skycrate__kept_error;

/* Keeps `code` (negative) with this thread's current message. */
void skycrate__error_keep(skycrate__kept_error *kept, int code);
/* Records the kept error on this thread (the code's own text when the copy could not be made),
 * frees the copy and returns the code. */
int skycrate__error_restore(skycrate__kept_error *kept);
/* Frees the copy of an error kept but not restored. */
void skycrate__kept_error_dispose(skycrate__kept_error *kept);

#endif
