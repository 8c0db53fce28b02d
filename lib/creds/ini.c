/*
 * The INI reader for the AWS shared files (see ini.h for the dialect).
 *
 * Not Debian's inih (libinih 55): it is built with a 200-byte line limit and silently cuts
 * longer lines (a session token is 400-1000 bytes), strips `;` inline comments from values
 * (`credential_process = a ; b` loses `; b`, RawConfigParser keeps it), allocates with the C
 * library instead of the skycrate allocator, and does not wipe what it read.
 * SPDX-License-Identifier: MIT
 */
#include "creds/ini.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/common.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* [*b, *e) without leading and trailing white space. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_space(**b))
        (*b)++;
    while (*e > *b && is_space((*e)[-1]))
        (*e)--;
}

static void pair_dispose(skycrate__ini_pair *p)
{
    for (size_t i = 0; i < p->sub_count; i++)
        pair_dispose(&p->sub[i]);
    skycrate__free(p->sub);
    skycrate__free(p->key);
    skycrate__free_secret(p->value);
}

void skycrate__ini_dispose(skycrate__ini *ini)
{
    for (size_t i = 0; i < ini->count; i++) {
        skycrate__ini_section *s = &ini->sections[i];
        for (size_t j = 0; j < s->count; j++)
            pair_dispose(&s->pairs[j]);
        skycrate__free(s->pairs);
        skycrate__free(s->name);
    }
    skycrate__free(ini->sections);
    ini->sections = NULL;
    ini->count = ini->cap = 0;
}

const skycrate__ini_section *skycrate__ini_section_find(const skycrate__ini *ini, const char *name)
{
    for (size_t i = ini->count; i-- > 0;)
        if (strcmp(ini->sections[i].name, name) == 0)
            return &ini->sections[i];
    return NULL;
}

static const skycrate__ini_pair *find_pair(const skycrate__ini_pair *pairs, size_t count,
                                           const char *key)
{
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(pairs[i].key, key) == 0)
            return &pairs[i];
    return NULL;
}

const skycrate__ini_pair *skycrate__ini_get(const skycrate__ini_section *section, const char *key)
{
    return section ? find_pair(section->pairs, section->count, key) : NULL;
}

const skycrate__ini_pair *skycrate__ini_sub_get(const skycrate__ini_pair *pair, const char *key)
{
    return pair ? find_pair(pair->sub, pair->sub_count, key) : NULL;
}

/* --- the parser --------------------------------------------------------------------------- */

typedef struct {
    skycrate__ini *ini;
    const char *source;
    unsigned line;
    skycrate__ini_section *section; /* the current section, or NULL before the first */
    skycrate__ini_pair *pair;       /* the option that continuation lines extend, or NULL */
    size_t indent;                  /* the indentation of the last section or option line */
    unsigned pending_empty;         /* empty lines seen inside a multi-line value */
} parser;

static int fail(const parser *p, const char *what)
{
    return skycrate__error_set(SKYCRATE_EPARSE, "%s line %u: %s", p->source, p->line, what);
}

static int add_section(parser *p, const char *b, const char *e)
{
    skycrate__ini *ini = p->ini;
    size_t n = (size_t)(e - b);
    for (size_t i = 0; i < ini->count; i++)
        if (strlen(ini->sections[i].name) == n && memcmp(ini->sections[i].name, b, n) == 0)
            return skycrate__error_set(SKYCRATE_EPARSE,
                                       "%s line %u: section [%s] again (first "
                                       "at line %u)",
                                       p->source, p->line, ini->sections[i].name,
                                       ini->sections[i].line);
    if (skycrate__array_grow((void **)&ini->sections, &ini->cap, ini->count + 1,
                             sizeof(*ini->sections)) < 0)
        return SKYCRATE_ENOMEM;
    skycrate__ini_section *s = &ini->sections[ini->count];
    s->name = skycrate__strndup(b, n);
    if (!s->name)
        return skycrate__error_nomem();
    s->line = p->line;
    ini->count++;
    p->section = s;
    return 0;
}

static char *lower_dup(const char *b, const char *e)
{
    char *k = skycrate__strndup(b, (size_t)(e - b));
    for (char *c = k; c && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return k;
}

static int add_option(parser *p, const char *b, const char *e)
{
    const char *delim = b;
    while (delim < e && *delim != '=' && *delim != ':')
        delim++;
    if (delim == e)
        return fail(p, "expected 'key = value'");
    const char *kb = b, *ke = delim, *vb = delim + 1, *ve = e;
    trim(&kb, &ke);
    trim(&vb, &ve);
    if (kb == ke)
        return fail(p, "a value without a key");

    skycrate__ini_section *s = p->section;
    char *key = lower_dup(kb, ke);
    if (!key)
        return skycrate__error_nomem();
    const skycrate__ini_pair *dup = find_pair(s->pairs, s->count, key);
    if (dup) {
        int rc = skycrate__error_set(SKYCRATE_EPARSE,
                                     "%s line %u: key '%s' again in [%s] (first "
                                     "at line %u)",
                                     p->source, p->line, key, s->name, dup->line);
        skycrate__free(key);
        return rc;
    }
    if (skycrate__array_grow((void **)&s->pairs, &s->cap, s->count + 1, sizeof(*s->pairs)) < 0) {
        skycrate__free(key);
        return SKYCRATE_ENOMEM;
    }
    skycrate__ini_pair *pair = &s->pairs[s->count];
    pair->key = key;
    pair->value = skycrate__strndup(vb, (size_t)(ve - vb));
    if (!pair->value) {
        skycrate__free(key);
        pair->key = NULL;
        return skycrate__error_nomem();
    }
    pair->line = p->line;
    s->count++;
    p->pair = pair;
    return 0;
}

/* A deeper-indented line under `key =` (empty value): one `key = value` of a nested block. */
static int add_nested(parser *p, const char *b, const char *e)
{
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq)
        return fail(p, "expected 'key = value' in a nested block");
    const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
    trim(&kb, &ke);
    trim(&vb, &ve);
    /* An empty nested key is accepted, as botocore does: files shared with the CLI must load. */
    skycrate__ini_pair *parent = p->pair;
    char *value = skycrate__strndup(vb, (size_t)(ve - vb));
    if (!value)
        return skycrate__error_nomem();
    for (size_t i = 0; i < parent->sub_count; i++) {
        skycrate__ini_pair *old = &parent->sub[i];
        if (strlen(old->key) == (size_t)(ke - kb) &&
            strncasecmp(old->key, kb, (size_t)(ke - kb)) == 0) {
            skycrate__free_secret(old->value); /* the last one wins, as in botocore */
            old->value = value;
            old->line = p->line;
            return 0;
        }
    }
    if (skycrate__array_grow((void **)&parent->sub, &parent->sub_cap, parent->sub_count + 1,
                             sizeof(*parent->sub)) < 0) {
        skycrate__free_secret(value);
        return SKYCRATE_ENOMEM;
    }
    skycrate__ini_pair *sub = &parent->sub[parent->sub_count];
    sub->key = skycrate__strndup(kb, (size_t)(ke - kb));
    if (!sub->key) {
        skycrate__free_secret(value);
        return skycrate__error_nomem();
    }
    sub->value = value;
    sub->line = p->line;
    parent->sub_count++;
    return 0;
}

/* A deeper-indented line under `key = first`: appended with the empty lines before it. */
static int extend_value(parser *p, const char *b, const char *e)
{
    skycrate__ini_pair *pair = p->pair;
    size_t old = strlen(pair->value), add = (size_t)(e - b);
    char *v = skycrate__malloc(old + p->pending_empty + 1 + add + 1);
    if (!v)
        return skycrate__error_nomem();
    memcpy(v, pair->value, old);
    memset(v + old, '\n', p->pending_empty + 1);
    memcpy(v + old + p->pending_empty + 1, b, add);
    v[old + p->pending_empty + 1 + add] = '\0';
    skycrate__free_secret(pair->value);
    pair->value = v;
    return 0;
}

static int parse_line(parser *p, const char *b, const char *e)
{
    const char *tb = b, *te = e;
    trim(&tb, &te);
    if (tb < te && (*tb == '#' || *tb == ';'))
        return 0; /* a comment, at any indentation, even inside a value */
    if (tb == te) {
        if (p->pair)
            p->pending_empty++;
        return 0;
    }
    size_t indent = (size_t)(tb - b);
    if (p->pair && indent > p->indent) {
        int rc;
        if (p->pair->value[0] == '\0')
            rc = add_nested(p, tb, te);
        else
            rc = extend_value(p, tb, te);
        p->pending_empty = 0;
        return rc;
    }
    p->pair = NULL;
    p->pending_empty = 0;
    p->indent = indent;
    if (*tb == '[') {
        const char *close = te;
        while (close > tb && close[-1] != ']')
            close--;
        if (close == tb)
            return fail(p, "a section header without ']'");
        const char *nb = tb + 1, *ne = close - 1;
        trim(&nb, &ne);
        if (nb == ne)
            return fail(p, "an empty section name");
        return add_section(p, nb, ne);
    }
    if (!p->section)
        return fail(p, "a setting before the first [section]");
    return add_option(p, tb, te);
}

int skycrate__ini_parse(skycrate__ini *out, const char *text, size_t len, const char *source)
{
    SKYCRATE_ASSERT_ARG(out);
    SKYCRATE_ASSERT_ARG(text || len == 0);
    *out = (skycrate__ini)SKYCRATE_INI_INIT;
    parser p = {out, source ? source : "(text)", 0, NULL, NULL, 0, 0};
    int error = 0;
    const char *s = text, *end = text + len;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3; /* a UTF-8 byte order mark, as Windows editors write it */
    if (memchr(s, '\0', (size_t)(end - s))) {
        p.line = 1;
        for (const char *c = s; *c; c++)
            p.line += *c == '\n';
        error = fail(&p, "a NUL byte");
        goto done;
    }
    while (s < end) {
        const char *eol = s;
        while (eol < end && *eol != '\n' && *eol != '\r')
            eol++;
        p.line++;
        if ((error = parse_line(&p, s, eol)) < 0)
            goto done;
        /* "\n", "\r\n" and a lone "\r" end a line, as in Python's universal newlines. */
        s = eol + (eol < end ? 1 : 0);
        if (s < end && *eol == '\r' && *s == '\n')
            s++;
    }
done:
    if (error < 0)
        skycrate__ini_dispose(out);
    return error;
}

/* Reads the file into `text` (cap bytes, the size fstat gave + 1), NUL-terminated; a file that
 * grew meanwhile is an error. */
static int read_text(char *text, size_t cap, size_t *len, int fd, const char *path)
{
    char errbuf[128];
    *len = 0;
    for (;;) {
        /* Reads one byte past the size fstat gave, to notice a file that grew meanwhile. */
        char extra;
        char *dst = *len < cap - 1 ? text + *len : &extra;
        ssize_t n = read(fd, dst, *len < cap - 1 ? cap - 1 - *len : 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return skycrate__error_set(SKYCRATE_EIO, "cannot read %s: %s", path,
                                       strerror_r(errno, errbuf, sizeof(errbuf)));
        if (n == 0)
            break;
        if (dst == &extra)
            return skycrate__error_set(SKYCRATE_EIO, "%s changed while it was read", path);
        *len += (size_t)n;
    }
    text[*len] = '\0';
    return 0;
}

/* What the open file is: a regular file or a character device, within the size limit. */
static int check_file(size_t *size, int fd, const char *path)
{
    char errbuf[128];
    struct stat st;
    if (fstat(fd, &st) < 0)
        return skycrate__error_set(SKYCRATE_EIO, "cannot read %s: %s", path,
                                   strerror_r(errno, errbuf, sizeof(errbuf)));
    /* A character device is read like a file: AWS_CONFIG_FILE=/dev/null is the usual way to
     * say "no configuration" (botocore reads it as empty); an endless one fails in read_text. */
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        return skycrate__error_set(SKYCRATE_EIO, "%s is not a regular file", path);
    if (st.st_size > SKYCRATE_INI_MAX_FILE)
        return skycrate__error_set(SKYCRATE_EIO, "%s is larger than %d bytes", path,
                                   SKYCRATE_INI_MAX_FILE);
    *size = (size_t)st.st_size;
    return 0;
}

int skycrate__ini_load(skycrate__ini *out, bool *found, const char *path)
{
    SKYCRATE_ASSERT_ARG(out);
    SKYCRATE_ASSERT_ARG(found);
    SKYCRATE_ASSERT_ARG(path);
    *out = (skycrate__ini)SKYCRATE_INI_INIT;
    *found = false;
    char errbuf[128];
    char *text = NULL;
    size_t len = 0, cap = 0;
    /* O_NONBLOCK: opening a FIFO must not hang; regular files ignore it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return skycrate__error_set(SKYCRATE_EIO, "cannot open %s: %s", path,
                                   strerror_r(errno, errbuf, sizeof(errbuf)));
    }
    int error = check_file(&cap, fd, path);
    if (error < 0)
        goto done;
    /* One allocation of the final size: a growing buffer would leave copies of secrets. */
    if (!(text = skycrate__malloc(++cap))) {
        error = skycrate__error_nomem();
        goto done;
    }
    if ((error = read_text(text, cap, &len, fd, path)) < 0)
        goto done;
    *found = true;
    error = skycrate__ini_parse(out, text, len, path);
done:
    if (text) {
        skycrate__wipe(text, cap);
        skycrate__free(text);
    }
    close(fd);
    return error;
}
