/*
 * The process-wide log callback, and the redaction filter that every log line and error
 * message passes through.
 * SPDX-License-Identifier: MIT
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdbool.h>
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
    skycrate__redact(line, sizeof(line));
    log_fn(level, line, log_user_data);
}

/*
 * Redaction by field. Each field that may carry a secret is known with the syntax it is written
 * in, and its whole value, as that syntax delimits it, becomes "[redacted]" whatever its length
 * (so neither its tail nor its length shows):
 *   HEADER  name ':' value to the end of the line (a canonical request, a header dump)
 *   QUERY   name '=' value to '&', '#', white space or the end (percent-encoded values)
 *   PARAM   name '=' an RFC 7235 token (Authorization's Signature=)
 *   INI     name ws ('=' | ':') value to the end of the line (a shared credentials file)
 *   JSON    '"' name '"' ws ':' a JSON value: a string to its closing quote, escapes and all,
 *           or a scalar
 *   XML     '<' name '>' text to the next '<'
 * Names match case-insensitively and only as whole names (not inside a longer name).
 */
typedef enum { HEADER, QUERY, PARAM, INI, JSON, XML } field_syntax;

static const struct {
    const char *name;
    field_syntax syntax;
} secret_fields[] = {
    {"x-amz-signature", QUERY},
    {"x-amz-security-token", QUERY},
    {"x-amz-security-token", HEADER},
    {"x-aws-ec2-metadata-token", HEADER},
    {"webidentitytoken", QUERY},
    {"signature", PARAM},
    {"aws_secret_access_key", INI},
    {"aws_session_token", INI},
    {"aws_security_token", INI},
    {"secretaccesskey", JSON},
    {"sessiontoken", JSON},
    {"token", JSON},
    {"x-amz-signature", JSON},
    {"x-amz-security-token", JSON},
    {"signature", JSON},
    {"policy", JSON},
    {"webidentitytoken", JSON},
    {"secretaccesskey", XML},
    {"sessiontoken", XML},
    {"webidentitytoken", XML},
};

static const char redacted[] = "[redacted]";
static const char token_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                  "!#$%&'*+-.^_`|~";
#define REDACTED_LEN (sizeof(redacted) - 1)

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The end of a JSON value at v: a string through its closing quote (escapes skipped), or a
 * scalar up to the next ',', '}', ']' or white space. */
static const char *json_value_end(const char *v)
{
    if (*v != '"')
        return v + strcspn(v, ",}] \t\r\n");
    const char *p = v + 1;
    while (*p && *p != '"')
        p += p[0] == '\\' && p[1] ? 2 : 1;
    return *p ? p + 1 : p;
}

/* Where the value of field i starts at `at` (which begins with its name), and where it ends;
 * NULL when `at` is not that field. */
static const char *field_value(const char *at, size_t i, const char **end_out)
{
    size_t n = strlen(secret_fields[i].name);
    const char *p = at, *v;
    field_syntax syntax = secret_fields[i].syntax;
    if (syntax == JSON || syntax == XML)
        p++; /* the opening '"' or '<' */
    if (strncasecmp(p, secret_fields[i].name, n) != 0)
        return NULL;
    p += n;
    switch (syntax) {
    case HEADER:
        if (*p != ':')
            return NULL;
        v = skip_blanks(p + 1);
        *end_out = v + strcspn(v, "\r\n");
        return v;
    case QUERY:
    case PARAM:
        if (*p != '=')
            return NULL;
        v = p + 1;
        *end_out = syntax == QUERY ? v + strcspn(v, "&# \t\r\n") : v + strspn(v, token_chars);
        return v;
    case INI:
        p = skip_blanks(p);
        if (*p != '=' && *p != ':')
            return NULL;
        v = skip_blanks(p + 1);
        *end_out = v + strcspn(v, "\r\n");
        return v;
    case JSON:
        if (*at != '"' || *p != '"')
            return NULL;
        p = skip_blanks(p + 1);
        if (*p != ':')
            return NULL;
        v = skip_blanks(p + 1);
        *end_out = json_value_end(v);
        return v;
    case XML:
        if (*at != '<' || *p != '>')
            return NULL;
        v = p + 1;
        *end_out = v + strcspn(v, "<");
        return v;
    }
    return NULL;
}

/* Replaces [v, end) in s (of capacity cap) with "[redacted]" ("\"[redacted]\"" for a JSON
 * string). Returns where scanning goes on. When the line has no room to grow, it is cut after
 * the marker: nothing of the value may stay. */
static char *replace_value(char *s, size_t cap, char *v, char *end, bool json_string)
{
    char with[REDACTED_LEN + 3];
    snprintf(with, sizeof(with), json_string ? "\"%s\"" : "%s", redacted);
    size_t wlen = strlen(with), vlen = (size_t)(end - v), tail = strlen(end);
    size_t len = (size_t)(v - s) + wlen + tail;
    if (len + 1 > cap) { /* no room for the rest: keep what fits of the marker, drop the rest */
        size_t room = cap - 1 - (size_t)(v - s);
        memcpy(v, with, room < wlen ? room : wlen);
        v[room < wlen ? room : wlen] = '\0';
        return v + strlen(v);
    }
    if (vlen == wlen && !memcmp(v, with, wlen))
        return end; /* already redacted */
    memmove(v + wlen, end, tail + 1);
    memcpy(v, with, wlen);
    return v + wlen;
}

void skycrate__redact(char *s, size_t capacity)
{
    for (char *p = s; *p;) {
        bool boundary = p == s || !name_char(p[-1]);
        char *next = p + 1;
        for (size_t i = 0; boundary && i < sizeof(secret_fields) / sizeof(secret_fields[0]); i++) {
            const char *end = NULL;
            const char *v = field_value(p, i, &end);
            if (!v || end == v)
                continue;
            next = replace_value(s, capacity, (char *)v, (char *)end,
                                 secret_fields[i].syntax == JSON && *v == '"');
            break;
        }
        p = next;
    }
}
