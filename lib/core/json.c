/*
 * jansson rendering with the library's conventions (json.h).
 * SPDX-License-Identifier: MIT
 */
#include "core/json.h"

#include <stdbool.h>

#include "core/common.h"

typedef struct dump_sink {
    skycrate__buf *buf;
    bool failed;
} dump_sink;

/* Once a write failed, every later one fails too: jansson 2.14 ignores the result of the
 * callback when it writes an object key and would go on, leaving a key out of the text. */
static int dump_to_buf(const char *data, size_t size, void *user_data)
{
    dump_sink *sink = user_data;
    if (sink->failed || skycrate__buf_put(sink->buf, data, size) < 0)
        sink->failed = true;
    return sink->failed ? -1 : 0;
}

int skycrate__json_dump(skycrate__buf *out, const json_t *value, size_t flags)
{
    dump_sink sink = {out, false};
    size_t start = out->len;
    if (json_dump_callback(value, dump_to_buf, &sink, flags) != 0 || sink.failed ||
        skycrate__buf_grow(out, 0) < 0) {
        out->len = start;
        if (out->ptr)
            out->ptr[start] = '\0';
        return skycrate__error_nomem();
    }
    return 0;
}

size_t skycrate__json_flags(uint32_t public_flags)
{
    return JSON_PRESERVE_ORDER |
           ((public_flags & SKYCRATE_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT);
}

int skycrate__json_render(char **out, const json_t *value, uint32_t public_flags)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(value);
    SKYCRATE_ASSERT_ARG((public_flags & ~SKYCRATE_JSON_PRETTY) == 0);
    skycrate__buf text = SKYCRATE_BUF_INIT;
    int error = skycrate__json_dump(&text, value, skycrate__json_flags(public_flags));
    if (error == 0)
        *out = skycrate__buf_detach(&text);
    skycrate__buf_dispose_secret(&text);
    return error;
}
