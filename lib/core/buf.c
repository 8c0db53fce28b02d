/*
 * A growable byte buffer.
 * SPDX-License-Identifier: MIT
 */
#include "core/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

int skycrate__buf_grow(skycrate__buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return skycrate__error_nomem();
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p;
    if (b->secret) {
        /* realloc could leave a copy of the secret in the block it frees: move it by hand */
        if (!(p = skycrate__malloc(cap)))
            return skycrate__error_nomem();
        if (b->ptr) {
            memcpy(p, b->ptr, b->len + 1);
            skycrate__wipe(b->ptr, b->cap);
            skycrate__free(b->ptr);
        }
    } else if (!(p = skycrate__realloc(b->ptr, cap))) {
        return skycrate__error_nomem();
    }
    if (!b->ptr)
        p[0] = '\0';
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int skycrate__buf_put(skycrate__buf *b, const void *data, size_t len)
{
    if (skycrate__buf_grow(b, len) < 0)
        return SKYCRATE_ENOMEM;
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return 0;
}

int skycrate__buf_puts(skycrate__buf *b, const char *s)
{
    return skycrate__buf_put(b, s, strlen(s));
}

int skycrate__buf_putc(skycrate__buf *b, char c)
{
    return skycrate__buf_put(b, &c, 1);
}

int skycrate__buf_printf(skycrate__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return skycrate__error_set(SKYCRATE_ERROR, "invalid format");
    if (skycrate__buf_grow(b, (size_t)n) < 0)
        return SKYCRATE_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void skycrate__buf_clear(skycrate__buf *b)
{
    if (b->secret)
        skycrate__wipe(b->ptr, b->len);
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

char *skycrate__buf_detach(skycrate__buf *b)
{
    char *p = b->ptr;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *skycrate__buf_cstr(const skycrate__buf *b)
{
    return b->ptr ? b->ptr : "";
}

void skycrate__buf_dispose(skycrate__buf *b)
{
    if (b->secret)
        skycrate__wipe(b->ptr, b->cap);
    skycrate__free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void skycrate__buf_dispose_secret(skycrate__buf *b)
{
    skycrate__wipe(b->ptr, b->cap);
    skycrate__buf_dispose(b);
}

int skycrate__array_grow(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    char *grown = n > SIZE_MAX / size ? NULL : skycrate__realloc(*items, n * size);
    if (!grown)
        return skycrate__error_nomem();
    memset(grown + *cap * size, 0, (n - *cap) * size);
    *items = grown;
    *cap = n;
    return 0;
}
