/*
 * JSON written straight into memory, byte for byte as jansson's json_dumps writes the same
 * document with JSON_PRESERVE_ORDER and JSON_COMPACT, or JSON_INDENT(2) for
 * SKYCRATE_JSON_PRETTY (core/json.h): for documents rendered on hot paths, such as the presign
 * contract. A writer without memory only counts, so a document is measured, then written
 * with the same calls. Strings must be valid UTF-8 (jansson refuses anything else).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_JSON_WRITER_H
#define SKYCRATE_CORE_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct skycrate__json_writer {
    char *p;    /* where the text goes; NULL: count only */
    size_t len; /* bytes written or counted so far */
    bool pretty;
    unsigned depth;
    uint32_t has_members; /* bit d: the object at depth d has a member */
} skycrate__json_writer;

/* `mem` needs room for the length a counting pass gave; no NUL is written. */
void skycrate__json_writer_init(skycrate__json_writer *w, char *mem, bool pretty);
/* Objects nest up to 31 deep. */
void skycrate__json_object_begin(skycrate__json_writer *w);
void skycrate__json_object_end(skycrate__json_writer *w);
/* Starts a member of the current object: the separator, indentation and "name": . The name
 * needs no escaping: no control character, '"' or '\\' (the library's own names, HTTP
 * header names). */
void skycrate__json_member(skycrate__json_writer *w, const char *name);
void skycrate__json_string(skycrate__json_writer *w, const char *s, size_t n);
void skycrate__json_int(skycrate__json_writer *w, int64_t value);
void skycrate__json_bool(skycrate__json_writer *w, bool value);
/* Text put as is (already JSON); with `s` NULL, `n` bytes are only skipped, for the caller to
 * fill. */
void skycrate__json_raw(skycrate__json_writer *w, const char *s, size_t n);

/* The escaped form of s[0..n) without quotes: its length, and written at `p` (the end is
 * returned). jansson's escapes: \" \\ \b \f \n \r \t, other control characters as \u00XX. */
size_t skycrate__json_escaped_len(const char *s, size_t n);
char *skycrate__json_escape_at(char *p, const char *s, size_t n);

#endif
