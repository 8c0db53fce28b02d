/*
 * Escaping text for XML request bodies (DeleteObjects, CompleteMultipartUpload, CORS, tags).
 * SPDX-License-Identifier: MIT
 */
#include "xml/xml.h"

#include <string.h>

#include "core/common.h"

static int escape(skycrate__buf *out, const char *s, bool quotes)
{
    int error = 0;
    SKYCRATE_ASSERT_ARG(out);
    SKYCRATE_ASSERT_ARG(s);
    size_t start = out->len;
    const char *run = s; /* characters written as they are, not yet appended */
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        const char *entity = NULL;
        switch (c) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = quotes ? "&quot;" : NULL; break;
        case '\'': entity = quotes ? "&apos;" : NULL; break;
        case '\r': entity = "&#13;"; break;
        case '\0':
        case '\t':
        case '\n': break;
        default:
            if (c < 0x20) {
                error = skycrate__error_set(
                    SKYCRATE_EINVAL, "control character 0x%02x cannot be written in XML 1.0", c);
                goto done;
            }
        }
        if (!entity && c != '\0')
            continue;
        if ((error = skycrate__buf_put(out, run, (size_t)(p - run))) < 0)
            goto done;
        if (c == '\0')
            break;
        if ((error = skycrate__buf_puts(out, entity)) < 0)
            goto done;
        run = p + 1;
    }

done:
    if (error < 0 && out->ptr) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return error;
}

int skycrate__xml_escape(skycrate__buf *out, const char *s)
{
    return escape(out, s, true);
}

int skycrate__xml_escape_text(skycrate__buf *out, const char *s)
{
    return escape(out, s, false);
}
