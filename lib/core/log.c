/*
 * The process-wide log callback, and the redaction filter that every log line and error
 * message passes through.
 * SPDX-License-Identifier: MIT
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static skycrate_log_fn log_fn;
static void *log_user_data;
static skycrate_log_level log_max = SKYCRATE_LOG_LEVEL_NONE;

void skycrate_log_set(skycrate_log_level max_level, skycrate_log_fn fn, void *user_data)
{
    log_fn = fn;
    log_user_data = user_data;
    log_max = fn ? max_level : SKYCRATE_LOG_LEVEL_NONE;
}

bool skycrate__log_enabled(skycrate_log_level level)
{
    return log_fn != NULL && level != SKYCRATE_LOG_LEVEL_NONE && level <= log_max;
}

void skycrate__log(skycrate_log_level level, const char *fmt, ...)
{
    if (!skycrate__log_enabled(level))
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    skycrate__redact(line);
    log_fn(level, line, log_user_data);
}

/* Markers after which a value runs to a delimiter; matched case-insensitively. */
static const char *const markers[] = {
    "x-amz-signature=",
    "x-amz-security-token=",
    "x-amz-security-token:",
    "signature=",
    "\"secretaccesskey\":",
    "\"sessiontoken\":",
    "\"token\":",
    "<secretaccesskey>",
    "<sessiontoken>",
    "aws_secret_access_key=",
    "aws_session_token=",
    "\"x-amz-signature\":",
    "\"x-amz-security-token\":",
    "\"signature\":",
    "\"policy\":",
};

static const char redacted[] = "[redacted]";

static size_t value_length(const char *v)
{
    size_t n = 0;
    if (v[n] == '"') {
        n++;
        while (v[n] && v[n] != '"')
            n++;
        return v[n] ? n + 1 : n;
    }
    while (v[n] && !strchr("&,;\" \t\r\n<", v[n]))
        n++;
    return n;
}

void skycrate__redact(char *s)
{
    for (char *p = s; *p; p++) {
        for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
            size_t mlen = strlen(markers[i]);
            if (strncasecmp(p, markers[i], mlen) != 0)
                continue;
            char *value = p + mlen;
            while (*value == ' ' || *value == '\t')
                value++;
            size_t vlen = value_length(value);
            if (vlen == 0 || (vlen == sizeof(redacted) - 1 && !memcmp(value, redacted, vlen)))
                break;
            if (vlen >= sizeof(redacted) - 1) {
                memcpy(value, redacted, sizeof(redacted) - 1);
                memmove(value + sizeof(redacted) - 1, value + vlen, strlen(value + vlen) + 1);
            } else {
                /* A short value: overwrite it with asterisks in place. */
                memset(value, '*', vlen);
            }
            p = value;
            break;
        }
    }
}
