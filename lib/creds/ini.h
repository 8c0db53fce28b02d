/*
 * A reader for the INI dialect of ~/.aws/config and ~/.aws/credentials, as botocore reads it
 * (Python's RawConfigParser plus one level of nested sub-sections):
 *
 *   [section]                  names are trimmed; a duplicate section is an error
 *   key = value                `=` or `:`, whichever comes first; keys are lower-cased and
 *                              unique per section; values are trimmed; no inline comments
 *   # comment / ; comment      whole lines only, at any indentation
 *   s3 =                       an empty value followed by lines indented deeper than the key
 *     endpoint_url = http://x  is a nested block of `key = value` lines (last one wins)
 *   key = first                a non-empty value followed by deeper-indented lines is one
 *     second                   multi-line value ("first\nsecond")
 *
 * Errors name the source and the line, never the line's content (it may hold a secret).
 * Values are wiped when the document is disposed.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_INI_H
#define SKYCRATE_CREDS_INI_H

#include <stdbool.h>
#include <stddef.h>

typedef struct skycrate__ini_pair {
    char *key;                      /* lower-cased (nested keys: as written) */
    char *value;                    /* trimmed; "" for a nested block */
    unsigned line;                  /* where the key is */
    struct skycrate__ini_pair *sub; /* a nested block's pairs, or NULL */
    size_t sub_count, sub_cap;
} skycrate__ini_pair;

typedef struct skycrate__ini_section {
    char *name; /* the text between the brackets, trimmed */
    unsigned line;
    skycrate__ini_pair *pairs;
    size_t count, cap;
} skycrate__ini_section;

typedef struct skycrate__ini {
    skycrate__ini_section *sections;
    size_t count, cap;
} skycrate__ini;

#define SKYCRATE_INI_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* The largest file skycrate__ini_load() reads. */
#define SKYCRATE_INI_MAX_FILE (1024 * 1024)

/*
 * Parses `len` bytes. `source` names the text in error messages ("/home/u/.aws/config").
 * Returns 0, SKYCRATE_EPARSE ("<source> line <n>: <what is wrong>") or SKYCRATE_ENOMEM;
 * on failure `out` is left empty.
 */
int skycrate__ini_parse(skycrate__ini *out, const char *text, size_t len, const char *source);

/*
 * Reads and parses a file. A missing file (or a missing directory on its path) is not an
 * error: `*found` is false and `out` is empty. A character device is read as a file (/dev/null
 * is an empty one). Returns 0, SKYCRATE_EPARSE, SKYCRATE_EIO (not readable, a directory or a
 * FIFO, larger than SKYCRATE_INI_MAX_FILE) or SKYCRATE_ENOMEM.
 */
int skycrate__ini_load(skycrate__ini *out, bool *found, const char *path);

/* Wipes the values and frees everything; the document is empty again. */
void skycrate__ini_dispose(skycrate__ini *ini);

/* The last section with this exact name, or NULL. */
const skycrate__ini_section *skycrate__ini_section_find(const skycrate__ini *ini, const char *name);
/* A key of a section (case-insensitive), or NULL. */
const skycrate__ini_pair *skycrate__ini_get(const skycrate__ini_section *section, const char *key);
/* A key of a nested block (case-insensitive), or NULL (also when `pair` is NULL). */
const skycrate__ini_pair *skycrate__ini_sub_get(const skycrate__ini_pair *pair, const char *key);

#endif
