/*
 * Reading test-vector directories (tests/vectors, found through SKYCRATE_VECTORS) and query
 * strings, for the signing tests.
 */
#include "testvectors.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *read_text(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

char *must_read(const char *dir, const char *name)
{
    char *s = read_text(dir, name);
    ck_assert_msg(s != NULL, "cannot read %s/%s", dir, name);
    return s;
}

const char *vectors_root(void)
{
    const char *root = getenv("SKYCRATE_VECTORS");
    return root ? root : "tests/vectors";
}

static int dir_filter(const struct dirent *e)
{
    return e->d_name[0] != '.' && e->d_type == DT_DIR;
}

void list_cases(case_list *list, const char *sub)
{
    char dir[1024];
    struct dirent **entries;
    snprintf(dir, sizeof(dir), "%s/%s", vectors_root(), sub);
    int n = scandir(dir, &entries, dir_filter, alphasort);
    list->count = 0;
    for (int i = 0; i < n; i++) {
        if (list->count < MAX_CASES)
            list->names[list->count++] = strdup(entries[i]->d_name);
        free(entries[i]);
    }
    if (n >= 0)
        free(entries);
}

void case_dir(char *out, size_t size, const char *sub, const char *name)
{
    snprintf(out, size, "%s/%s/%s", vectors_root(), sub, name);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes `len` bytes of s into a new string ('+' stays '+'). */
char *pct_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1), *p = out;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *p++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *p++ = s[i];
        }
    }
    *p = '\0';
    return out;
}

void kv_add(kv_list *l, char *name, char *value)
{
    ck_assert_uint_lt(l->count, 64);
    l->owned[l->owned_count++] = name;
    l->owned[l->owned_count++] = value;
    l->items[l->count++] = (skycrate__kv){name, value};
}

void kv_free(kv_list *l)
{
    for (size_t i = 0; i < l->owned_count; i++)
        free(l->owned[i]);
    l->count = l->owned_count = 0;
}

/* Splits "a=1&b=&c" into decoded pairs. */
void parse_query(kv_list *l, const char *q)
{
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t nlen = eq ? (size_t)(eq - q) : len;
        kv_add(l, pct_decode(q, nlen), eq ? pct_decode(eq + 1, len - nlen - 1) : strdup(""));
        q = amp ? amp + 1 : NULL;
    }
}

static int pair_cmp(const void *pa, const void *pb)
{
    const skycrate__kv *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->value, b->value);
}

/* Two query strings carry the same parameters (decoded), in any order. */
void assert_same_params(const char *got, const char *want)
{
    kv_list a = {0}, b = {0};
    parse_query(&a, got);
    parse_query(&b, want);
    ck_assert_uint_eq(a.count, b.count);
    qsort(a.items, a.count, sizeof(skycrate__kv), pair_cmp);
    qsort(b.items, b.count, sizeof(skycrate__kv), pair_cmp);
    for (size_t i = 0; i < a.count; i++) {
        ck_assert_str_eq(a.items[i].name, b.items[i].name);
        ck_assert_str_eq(a.items[i].value, b.items[i].value);
    }
    kv_free(&a);
    kv_free(&b);
}
