/*
 * What the tests of lib/xml share (tests/support/xmldocs.c): the documents of
 * tests/vectors/xml/ (rgw_* captured from radosgw 16 on Debian 12, aws_* and sts_* after the
 * examples of the AWS documentation), the parse-error check and the allocation-failure loop.
 */
#ifndef SKYCRATE_XMLDOCS_H
#define SKYCRATE_XMLDOCS_H

#include <stddef.h>

/* tests/vectors/xml/<name>, NUL-terminated (malloc); `len` receives its size. */
char *load_xml(const char *name, size_t *len);

/* rc and the last error are SKYCRATE_EPARSE, with a message. */
void expect_parse_error(int rc);

/* Reads a document with one reader and frees what it read; returns the reader's code. */
typedef int (*reader_fn)(const char *xml, size_t len);

/* Defines `fname`, a reader_fn over a reader's parse and dispose functions of `type`. */
#define XML_READER(fname, type, parse, dispose)                                                    \
    static int fname(const char *xml, size_t len)                                                  \
    {                                                                                              \
        type doc;                                                                                  \
        int rc = parse(&doc, xml, len);                                                            \
        dispose(&doc);                                                                             \
        return rc;                                                                                 \
    }

/* A document of tests/vectors/xml/ and the reader whose allocation failures it checks. */
typedef struct {
    const char *file;
    reader_fn fn;
} enomem_case;

/* Fails every allocation of `fn` on tests/vectors/xml/<file> in turn (expat's included): each
 * is SKYCRATE_ENOMEM without a leak, until the read succeeds. */
void assert_enomem_loop(const char *file, reader_fn fn);

#endif
