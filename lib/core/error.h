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

#endif
