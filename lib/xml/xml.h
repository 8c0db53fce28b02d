/*
 * A small element tree built with libexpat, and the readers for S3 and STS documents.
 * No hand-written XML parsing anywhere in the library.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_XML_H
#define SKYCRATE_XML_H

#include <stddef.h>

/* An element: local name (namespace prefix/URI stripped), its text (character data directly
 * inside it, concatenated; "" when none), children in document order. */
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
void skycrate__xml_free(skycrate__xml_node *root);
/* The first child named `name`, or NULL. */
const skycrate__xml_node *skycrate__xml_child(const skycrate__xml_node *node, const char *name);
/* The text of the first child named `name`, or NULL when there is no such child. */
const char *skycrate__xml_child_text(const skycrate__xml_node *node, const char *name);
/* The next sibling with the same name as `node`, or NULL. */
const skycrate__xml_node *skycrate__xml_next(const skycrate__xml_node *node);

#endif
