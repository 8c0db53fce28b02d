/*
 * Reading test-vector directories and query strings (tests/support/testvectors.c).
 */
#ifndef SKYCRATE_TESTVECTORS_H
#define SKYCRATE_TESTVECTORS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/kv.h"

#define MAX_CASES 128

/* The case directories of one vector set, sorted. */
typedef struct {
    char *names[MAX_CASES];
    int count;
} case_list;

/* Name/value pairs that own their strings (malloc). */
typedef struct {
    skycrate__kv items[64];
    char *owned[128];
    size_t count, owned_count;
} kv_list;

/* $SKYCRATE_VECTORS, set by tests/meson.build to the source tree's tests/vectors. */
const char *vectors_root(void);
/* Lists the case directories under vectors_root()/sub. */
void list_cases(case_list *list, const char *sub);
void case_dir(char *out, size_t size, const char *sub, const char *name);
/* The whole file (malloc), or NULL; must_read fails the test instead. */
char *read_text(const char *dir, const char *name);
char *must_read(const char *dir, const char *name);
/* Percent-decodes `len` bytes ('+' stays '+') into a new string. */
char *pct_decode(const char *s, size_t len);
/* Takes ownership of name and value. */
void kv_add(kv_list *l, char *name, char *value);
void kv_free(kv_list *l);
/* Splits "a=1&b=&c" into decoded pairs. */
void parse_query(kv_list *l, const char *q);
/* Two query strings carry the same parameters (decoded), in any order. */
void assert_same_params(const char *got, const char *want);

#endif
