/*
 * The element tree, built with libexpat (never a hand-written parser).
 *
 * Expat runs with namespace processing (element names arrive as "URI\nlocal" and are cut to
 * the local name), allocates through the library's allocator seam (so allocation-failure
 * tests reach into expat too) and wipes every block it frees: S3 and STS documents may carry
 * secrets (STS credentials, the signature in an S3 <Error>). A DOCTYPE or an entity
 * declaration stops the parser at once: no billion laughs, no external entities.
 * SPDX-License-Identifier: MIT
 */
#include "xml/xml.h"

#include <expat.h>
#include <stddef.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"

#define NS_SEPARATOR '\n'

/* The text of elements that have none; never freed or written. */
static char empty_text[1] = "";

/* ---- expat's allocator: the seam, with a size header so that every block is wiped ---- */

typedef union {
    size_t size;
    max_align_t align;
} mm_header;

static void *mm_malloc(size_t size)
{
    if (size > SIZE_MAX - sizeof(mm_header))
        return NULL;
    mm_header *h = skycrate__malloc(sizeof(*h) + size);
    if (!h)
        return NULL;
    h->size = size;
    return h + 1;
}

static void mm_free(void *p)
{
    if (!p)
        return;
    mm_header *h = (mm_header *)p - 1;
    skycrate__wipe(h, sizeof(*h) + h->size);
    skycrate__free(h);
}

/* Moves instead of growing in place, so that no unwiped copy is left behind. */
static void *mm_realloc(void *p, size_t size)
{
    if (!p)
        return mm_malloc(size);
    mm_header *h = (mm_header *)p - 1;
    void *n = mm_malloc(size);
    if (!n)
        return NULL;
    memcpy(n, p, h->size < size ? h->size : size);
    mm_free(p);
    return n;
}

static const XML_Memory_Handling_Suite mm_suite = {mm_malloc, mm_realloc, mm_free};

/* ---- building the tree ---- */

typedef struct {
    skycrate__xml_node *node;
    skycrate__xml_node *last_child;
    char *text; /* NULL until the first character data */
    size_t len, cap;
} frame;

typedef struct {
    XML_Parser parser;
    skycrate__xml_node *root;
    frame frames[SKYCRATE_XML_MAX_DEPTH];
    size_t depth;
    size_t elements;
    int error;
} parse_state;

static void free_text(char *text, size_t len)
{
    if (text && text != empty_text) {
        skycrate__wipe(text, len);
        skycrate__free(text);
    }
}

static void free_node(skycrate__xml_node *n)
{
    if (n->text)
        free_text(n->text, strlen(n->text));
    skycrate__free(n);
}

/* Stops the parser with `code`; the message gets the position appended. */
static void fail(parse_state *st, int code, const char *what)
{
    if (st->error)
        return;
    if (code == SKYCRATE_ENOMEM)
        st->error = skycrate__error_nomem();
    else
        st->error =
            skycrate__error_set(code, "XML document rejected at line %lu, column %lu: %s",
                                (unsigned long)XML_GetCurrentLineNumber(st->parser),
                                (unsigned long)XML_GetCurrentColumnNumber(st->parser) + 1, what);
    XML_StopParser(st->parser, XML_FALSE);
}

static void XMLCALL on_start(void *user_data, const XML_Char *name, const XML_Char **attrs)
{
    parse_state *st = user_data;
    (void)attrs;
    if (st->error)
        return;
    if (st->depth >= SKYCRATE_XML_MAX_DEPTH) {
        fail(st, SKYCRATE_EPARSE, "elements nested too deep");
        return;
    }
    if (st->elements >= SKYCRATE_XML_MAX_ELEMENTS) {
        fail(st, SKYCRATE_EPARSE, "too many elements");
        return;
    }
    const char *local = strrchr(name, NS_SEPARATOR);
    local = local ? local + 1 : name;
    size_t nlen = strlen(local);
    skycrate__xml_node *n = skycrate__malloc(sizeof(*n) + nlen + 1);
    if (!n) {
        fail(st, SKYCRATE_ENOMEM, NULL);
        return;
    }
    memset(n, 0, sizeof(*n));
    n->name = (char *)(n + 1);
    memcpy(n->name, local, nlen + 1);
    if (st->depth == 0) {
        st->root = n;
    } else {
        frame *parent = &st->frames[st->depth - 1];
        n->parent = parent->node;
        if (parent->last_child)
            parent->last_child->next_sibling = n;
        else
            parent->node->first_child = n;
        parent->last_child = n;
    }
    st->frames[st->depth] = (frame){n, NULL, NULL, 0, 0};
    st->depth++;
    st->elements++;
}

static bool only_whitespace(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

static void XMLCALL on_end(void *user_data, const XML_Char *name)
{
    parse_state *st = user_data;
    (void)name;
    if (st->error || st->depth == 0)
        return;
    frame *f = &st->frames[--st->depth];
    if (f->len == 0 || (f->node->first_child && only_whitespace(f->text, f->len))) {
        free_text(f->text, f->cap);
        f->node->text = empty_text;
    } else {
        f->node->text = f->text;
    }
    f->text = NULL;
}

static void XMLCALL on_text(void *user_data, const XML_Char *s, int len)
{
    parse_state *st = user_data;
    if (st->error || st->depth == 0 || len <= 0)
        return;
    frame *f = &st->frames[st->depth - 1];
    size_t n = (size_t)len;
    if (n > SKYCRATE_XML_MAX_TEXT - f->len) {
        fail(st, SKYCRATE_EPARSE, "element text too long");
        return;
    }
    if (f->len + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 32;
        while (cap < f->len + n + 1)
            cap *= 2;
        /* Move rather than realloc: the old block is wiped, never left behind. */
        char *p = skycrate__malloc(cap);
        if (!p) {
            fail(st, SKYCRATE_ENOMEM, NULL);
            return;
        }
        if (f->len)
            memcpy(p, f->text, f->len);
        free_text(f->text, f->cap);
        f->text = p;
        f->cap = cap;
    }
    memcpy(f->text + f->len, s, n);
    f->len += n;
    f->text[f->len] = '\0';
}

static void XMLCALL on_doctype(void *user_data, const XML_Char *doctype_name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)doctype_name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(user_data, SKYCRATE_EPARSE, "DOCTYPE declarations are not accepted");
}

static void XMLCALL on_entity(void *user_data, const XML_Char *entity_name, int is_parameter,
                              const XML_Char *value, int value_length, const XML_Char *base,
                              const XML_Char *system_id, const XML_Char *public_id,
                              const XML_Char *notation_name)
{
    (void)entity_name, (void)is_parameter, (void)value, (void)value_length, (void)base;
    (void)system_id, (void)public_id, (void)notation_name;
    fail(user_data, SKYCRATE_EPARSE, "entity declarations are not accepted");
}

int skycrate__xml_parse(skycrate__xml_node **root_out, const char *data, size_t len)
{
    int error = 0;
    parse_state st;
    memset(&st, 0, sizeof(st));
    SKYCRATE_ASSERT_ARG(root_out);
    *root_out = NULL;
    SKYCRATE_ASSERT_ARG(data || len == 0);
    if (len > SKYCRATE_XML_MAX_SIZE)
        return skycrate__error_set(SKYCRATE_EPARSE, "XML document too large: %zu bytes (max %u)",
                                   len, SKYCRATE_XML_MAX_SIZE);

    const XML_Char separator[2] = {NS_SEPARATOR, '\0'};
    st.parser = XML_ParserCreate_MM(NULL, &mm_suite, separator);
    if (!st.parser)
        return skycrate__error_nomem();
    XML_SetUserData(st.parser, &st);
    XML_SetElementHandler(st.parser, on_start, on_end);
    XML_SetCharacterDataHandler(st.parser, on_text);
    XML_SetStartDoctypeDeclHandler(st.parser, on_doctype);
    XML_SetEntityDeclHandler(st.parser, on_entity);

    if (XML_Parse(st.parser, data ? data : "", (int)len, XML_TRUE) != XML_STATUS_OK) {
        if (st.error)
            error = st.error;
        else if (XML_GetErrorCode(st.parser) == XML_ERROR_NO_MEMORY)
            error = skycrate__error_nomem();
        else
            error =
                skycrate__error_set(SKYCRATE_EPARSE, "XML parse error at line %lu, column %lu: %s",
                                    (unsigned long)XML_GetCurrentLineNumber(st.parser),
                                    (unsigned long)XML_GetCurrentColumnNumber(st.parser) + 1,
                                    XML_ErrorString(XML_GetErrorCode(st.parser)));
        goto done;
    }
    if (!st.root || st.depth != 0) {
        error = skycrate__error_set(SKYCRATE_EPARSE, "XML document has no complete root element");
        goto done;
    }
    *root_out = st.root;
    st.root = NULL;

done:
    for (size_t i = 0; i < st.depth; i++)
        free_text(st.frames[i].text, st.frames[i].cap);
    skycrate__xml_free(st.root);
    XML_ParserFree(st.parser);
    return error;
}

int skycrate__xml_parse_as(skycrate__xml_node **root_out, const char *data, size_t len,
                           const char *root_name)
{
    int error = skycrate__xml_parse(root_out, data, len);
    if (error < 0)
        return error;
    if (strcmp((*root_out)->name, root_name) != 0) {
        error = skycrate__error_set(SKYCRATE_EPARSE, "expected an XML <%s> document, got <%.64s>",
                                    root_name, (*root_out)->name);
        skycrate__xml_free(*root_out);
        *root_out = NULL;
    }
    return error;
}

void skycrate__xml_free(skycrate__xml_node *root)
{
    skycrate__xml_node *n = root;
    /* Iterative post-order: free the deepest first child, then come back up. */
    while (n) {
        while (n->first_child)
            n = n->first_child;
        if (n == root) {
            free_node(n);
            break;
        }
        skycrate__xml_node *up = n->parent;
        up->first_child = n->next_sibling;
        free_node(n);
        n = up;
    }
}

/* ---- lookups ---- */

const skycrate__xml_node *skycrate__xml_child(const skycrate__xml_node *node, const char *name)
{
    if (!node)
        return NULL;
    for (const skycrate__xml_node *c = node->first_child; c; c = c->next_sibling)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const char *skycrate__xml_child_text(const skycrate__xml_node *node, const char *name)
{
    const skycrate__xml_node *c = skycrate__xml_child(node, name);
    return c ? c->text : NULL;
}

const skycrate__xml_node *skycrate__xml_next(const skycrate__xml_node *node)
{
    if (!node)
        return NULL;
    for (const skycrate__xml_node *c = node->next_sibling; c; c = c->next_sibling)
        if (strcmp(c->name, node->name) == 0)
            return c;
    return NULL;
}

size_t skycrate__xml_count(const skycrate__xml_node *node, const char *name)
{
    size_t count = 0;
    for (const skycrate__xml_node *c = skycrate__xml_child(node, name); c;
         c = skycrate__xml_next(c))
        count++;
    return count;
}

/* ---- typed values ---- */

int skycrate__xml_child_dup(char **out, const skycrate__xml_node *node, const char *name)
{
    const char *text = skycrate__xml_child_text(node, name);
    if (!text)
        return 0;
    char *copy = skycrate__strdup(text);
    if (!copy)
        return skycrate__error_nomem();
    *out = copy;
    return 0;
}

int skycrate__xml_child_required(char **out, const skycrate__xml_node *node, const char *name)
{
    int error = skycrate__xml_child_dup(out, node, name);
    if (error < 0)
        return error;
    if (!*out || !**out)
        return skycrate__error_set(SKYCRATE_EPARSE, "XML <%.64s> has no <%s>", node->name, name);
    return 0;
}

static int bad_value(const skycrate__xml_node *node, const char *name, const char *kind)
{
    return skycrate__error_set(SKYCRATE_EPARSE, "XML <%.64s> in <%.64s> is not %s", name,
                               node->name, kind);
}

int skycrate__xml_child_u64(uint64_t *out, const skycrate__xml_node *node, const char *name)
{
    const char *s = skycrate__xml_child_text(node, name);
    if (!s)
        return 0;
    uint64_t v = 0;
    if (*s == '\0')
        return bad_value(node, name, "a number");
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return bad_value(node, name, "a number");
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return bad_value(node, name, "a number in range");
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int skycrate__xml_child_bool(bool *out, const skycrate__xml_node *node, const char *name)
{
    const char *s = skycrate__xml_child_text(node, name);
    if (!s)
        return 0;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *out = false;
    else
        return bad_value(node, name, "a boolean");
    return 0;
}

int skycrate__xml_child_time(int64_t *out, const skycrate__xml_node *node, const char *name)
{
    const char *s = skycrate__xml_child_text(node, name);
    if (!s)
        return 0;
    int64_t t;
    if (skycrate__parse_iso8601(&t, s) < 0)
        return bad_value(node, name, "an ISO 8601 date");
    *out = t;
    return 0;
}
