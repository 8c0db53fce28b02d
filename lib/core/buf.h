/*
 * A growable byte buffer, always NUL-terminated.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_BUF_H
#define SKYCRATE_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef struct skycrate__buf {
    char *ptr;   /* NULL until the first append; then NUL-terminated */
    size_t len;  /* bytes used, not counting the NUL */
    size_t cap;  /* bytes allocated */
    bool secret; /* the contents are wiped whenever memory is released (growth, dispose) */
} skycrate__buf;

#define SKYCRATE_BUF_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }
/* For contents that may hold a secret (session tokens, signatures, keys). */
#define SKYCRATE_BUF_INIT_SECRET                                                                   \
    {                                                                                              \
        NULL, 0, 0, true                                                                           \
    }

/* Each returns 0 or SKYCRATE_ENOMEM (with the error slot set). */
int skycrate__buf_grow(skycrate__buf *b, size_t extra);
int skycrate__buf_put(skycrate__buf *b, const void *data, size_t len);
int skycrate__buf_puts(skycrate__buf *b, const char *s);
int skycrate__buf_putc(skycrate__buf *b, char c);
int skycrate__buf_printf(skycrate__buf *b, const char *fmt, ...) SKYCRATE_PRINTF(2, 3);
/* Empties the buffer but keeps its memory. */
void skycrate__buf_clear(skycrate__buf *b);
/* Hands the memory to the caller (free with skycrate__free); the buffer is reset. */
char *skycrate__buf_detach(skycrate__buf *b);
/* The contents, or "" for an empty buffer. */
const char *skycrate__buf_cstr(const skycrate__buf *b);
void skycrate__buf_dispose(skycrate__buf *b);
/* Wipes the contents (a secret) before freeing. */
void skycrate__buf_dispose_secret(skycrate__buf *b);

/* Grows an array of `size`-byte items (doubling, from 8) until `need` items fit; the new items
 * are zeroed. 0, or SKYCRATE_ENOMEM with the error slot set (the array is unchanged). */
int skycrate__array_grow(void **items, size_t *cap, size_t need, size_t size);

#endif
