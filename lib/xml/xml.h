/*
 * A small element tree built with libexpat, and the readers for S3 and STS documents.
 * No hand-written XML parsing anywhere in the library.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_XML_H
#define SKYCRATE_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Limits of skycrate__xml_parse(); a document past any of them is SKYCRATE_EPARSE. */
#define SKYCRATE_XML_MAX_DEPTH 32                 /* the root element is depth 1 */
#define SKYCRATE_XML_MAX_SIZE (16u * 1024 * 1024) /* bytes of the whole document */
#define SKYCRATE_XML_MAX_TEXT (1024u * 1024)      /* bytes of text inside one element */
#define SKYCRATE_XML_MAX_ELEMENTS 262144u         /* elements in one document */

/* An element: local name (namespace prefix/URI stripped), its text (character data directly
 * inside it, concatenated; "" when none), children in document order.
 * Whitespace: the text of an element with no child elements is kept byte for byte (an S3 key
 * may be " "); an element with child elements whose text is only whitespace (the indentation
 * between its children) gets "". Attributes, comments and processing instructions are dropped. */
typedef struct skycrate__xml_node {
    char *name;
    char *text;
    struct skycrate__xml_node *parent;
    struct skycrate__xml_node *first_child;
    struct skycrate__xml_node *next_sibling;
} skycrate__xml_node;

/* Parses a whole document. Limits depth and size; rejects DTDs and entity declarations
 * (no billion laughs). 0, SKYCRATE_EPARSE (with a message) or SKYCRATE_ENOMEM. */
int skycrate__xml_parse(skycrate__xml_node **root_out, const char *data, size_t len);
/* skycrate__xml_parse(), then SKYCRATE_EPARSE unless the root's local name is `root_name`. */
int skycrate__xml_parse_as(skycrate__xml_node **root_out, const char *data, size_t len,
                           const char *root_name);
/* Frees the tree, wiping every text first (documents may carry secrets). NULL does nothing. */
void skycrate__xml_free(skycrate__xml_node *root);
/* The first child named `name`, or NULL. */
const skycrate__xml_node *skycrate__xml_child(const skycrate__xml_node *node, const char *name);
/* The text of the first child named `name`, or NULL when there is no such child. */
const char *skycrate__xml_child_text(const skycrate__xml_node *node, const char *name);
/* The next sibling with the same name as `node`, or NULL. */
const skycrate__xml_node *skycrate__xml_next(const skycrate__xml_node *node);
/* The number of children named `name`. */
size_t skycrate__xml_count(const skycrate__xml_node *node, const char *name);

/*
 * Typed reads of the child named `name` of `node`. When there is no such child, each returns 0
 * and leaves *out as it was. Malformed values are SKYCRATE_EPARSE with a message that names
 * the element (never its value).
 *   _dup:  a copy of the text (free with skycrate__free); 0 or SKYCRATE_ENOMEM
 *   _required: the same, but a missing or empty child is SKYCRATE_EPARSE ("XML <node> has
 *          no <name>")
 *   _u64:  decimal digits only, no sign, no blanks, no overflow
 *   _bool: "true" or "false" (also xs:boolean's "1" and "0")
 *   _time: ISO 8601 (skycrate__parse_iso8601), seconds since the epoch
 */
int skycrate__xml_child_dup(char **out, const skycrate__xml_node *node, const char *name);
int skycrate__xml_child_required(char **out, const skycrate__xml_node *node, const char *name);
int skycrate__xml_child_u64(uint64_t *out, const skycrate__xml_node *node, const char *name);
int skycrate__xml_child_bool(bool *out, const skycrate__xml_node *node, const char *name);
int skycrate__xml_child_time(int64_t *out, const skycrate__xml_node *node, const char *name);

/*
 * Appends `s` to `out` escaped for XML 1.0 text and attribute values: & < > " ' become
 * entities, CR becomes &#13; (a parser would fold it). 0, SKYCRATE_ENOMEM, or SKYCRATE_EINVAL
 * for a control character that XML 1.0 cannot carry (anything below 0x20 but TAB, LF, CR);
 * on an error `out` is left as it was.
 */
int skycrate__xml_escape(skycrate__buf *out, const char *s);
/*
 * The same for element text, as botocore's serialiser (ElementTree) writes it: only & < > become
 * entities (quotes stay as they are), CR becomes &#13;. Request bodies use it so that they are
 * byte for byte what botocore sends.
 */
int skycrate__xml_escape_text(skycrate__buf *out, const char *s);

#endif
