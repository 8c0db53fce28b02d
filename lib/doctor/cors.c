/*
 * What the bucket's settings say about a request: which part of a CORS preflight no rule
 * allows, and which statement of a bucket policy denies an action.
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "doctor/doctor.h"
#include "store/store.h"
#include "xml/xml.h"

/* `pattern` with any number of '*' (any run of characters) against `s`. */
static bool glob(const char *pattern, const char *s, bool nocase)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pattern == '*') {
            star = pattern++;
            resume = s;
        } else if (*pattern && (nocase ? (*pattern | 0x20) == (*s | 0x20) : *pattern == *s)) {
            pattern++;
            s++;
        } else if (star) {
            pattern = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

static bool any_child(const skycrate__xml_node *rule, const char *element, const char *value,
                      bool nocase)
{
    for (const skycrate__xml_node *n = skycrate__xml_child(rule, element); n;
         n = skycrate__xml_next(n))
        if (glob(n->text, value, nocase))
            return true;
    return false;
}

bool skycrate__doctor_header_needs_preflight(const char *name, const char *value)
{
    static const char *const safe[] = {"accept", "accept-language", "content-language"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(safe); i++)
        if (strcasecmp(name, safe[i]) == 0)
            return false;
    if (strcasecmp(name, "content-type") == 0) {
        static const char *const simple[] = {"application/x-www-form-urlencoded",
                                             "multipart/form-data", "text/plain"};
        for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(simple); i++)
            if (strncasecmp(value, simple[i], strlen(simple[i])) == 0)
                return false;
    }
    return true;
}

/* The header that rule allows none of, or NULL. */
static const char *refused_header(const skycrate__xml_node *rule,
                                  const skycrate__doctor_headers *headers)
{
    for (size_t i = 0; i < headers->count; i++) {
        const skycrate__presign_header *h = &headers->items[i];
        if (skycrate__doctor_header_needs_preflight(h->name, h->value) &&
            !any_child(rule, "AllowedHeader", h->name, true))
            return h->name;
    }
    return NULL;
}

int skycrate__doctor_cors_check(skycrate__buf *subject, const char *cors_xml, const char *origin,
                                const char *method, const skycrate__doctor_headers *headers)
{
    skycrate__xml_node *root = NULL;
    int error = 0, verdict = SKYCRATE_VERDICT_CORS_PREFLIGHT;
    const char *what = "the bucket has no CORS rule";
    if (*cors_xml && (error = skycrate__xml_parse_as(&root, cors_xml, strlen(cors_xml),
                                                     "CORSConfiguration")) < 0)
        return error;
    bool origin_seen = false, method_seen = false;
    const char *header = NULL;
    for (const skycrate__xml_node *rule = root ? skycrate__xml_child(root, "CORSRule") : NULL; rule;
         rule = skycrate__xml_next(rule)) {
        if (!any_child(rule, "AllowedOrigin", origin, false))
            continue;
        origin_seen = true;
        if (!any_child(rule, "AllowedMethod", method, false))
            continue;
        method_seen = true;
        const char *refused = refused_header(rule, headers);
        if (refused == NULL) {
            verdict = SKYCRATE_VERDICT_OK;
            break;
        }
        header = header ? header : refused;
    }
    if (verdict != SKYCRATE_VERDICT_OK && root && skycrate__xml_child(root, "CORSRule")) {
        verdict = !origin_seen   ? SKYCRATE_VERDICT_CORS_ORIGIN
                  : !method_seen ? SKYCRATE_VERDICT_CORS_METHOD
                                 : SKYCRATE_VERDICT_CORS_HEADER;
        what = !origin_seen ? origin : !method_seen ? method : header;
    }
    skycrate__xml_free(root);
    if (verdict != SKYCRATE_VERDICT_OK && (error = skycrate__buf_puts(subject, what)) < 0)
        return error;
    return verdict;
}

/* A policy field that is a string or an array of strings, any of which matches `value`. */
static bool field_matches(const json_t *field, const char *value, bool nocase)
{
    if (json_is_string(field))
        return glob(json_string_value(field), value, nocase);
    size_t i;
    const json_t *item;
    json_array_foreach(field, i, item)
    {
        if (json_is_string(item) && glob(json_string_value(item), value, nocase))
            return true;
    }
    return false;
}

/* A statement whose only condition is {"Bool": {"aws:SecureTransport": "false"}}. */
static bool secure_transport_only(const json_t *condition)
{
    const json_t *b = json_object_get(condition, "Bool");
    const json_t *v = json_object_get(b, "aws:SecureTransport");
    return json_object_size(condition) == 1 && json_object_size(b) == 1 &&
           ((json_is_string(v) && strcmp(json_string_value(v), "false") == 0) || json_is_false(v));
}

static int statement_name(skycrate__buf *out, const json_t *statement, size_t index)
{
    const char *sid = json_string_value(json_object_get(statement, "Sid"));
    return sid && *sid ? skycrate__buf_puts(out, sid) : skycrate__buf_printf(out, "#%zu", index);
}

int skycrate__doctor_policy_denies(skycrate__buf *out, const char *policy_json, const char *action,
                                   const char *resource, bool https)
{
    json_t *doc = NULL;
    int error = skycrate__record_parse(&doc, policy_json, strlen(policy_json), SKYCRATE_EPARSE,
                                       "the bucket policy");
    if (error < 0)
        return error;
    json_t *statements = json_object_get(doc, "Statement");
    if (json_is_object(statements))
        statements = json_pack("[O]", statements);
    else
        json_incref(statements);
    size_t i;
    json_t *s;
    int found = 0;
    json_array_foreach(statements, i, s)
    {
        const char *effect = json_string_value(json_object_get(s, "Effect"));
        const json_t *condition = json_object_get(s, "Condition");
        if (effect == NULL || strcmp(effect, "Deny") != 0 ||
            !field_matches(json_object_get(s, "Action"), action, true) ||
            !field_matches(json_object_get(s, "Resource"), resource, false))
            continue;
        /* A condition the doctor cannot evaluate makes the statement a suspect, not a finding. */
        if (condition && !(secure_transport_only(condition) && !https)) {
            if (found == 0 && (error = statement_name(out, s, i)) < 0)
                break;
            found = found ? found : 2;
            continue;
        }
        skycrate__buf_clear(out);
        found = (error = statement_name(out, s, i)) < 0 ? 0 : 1;
        break;
    }
    json_decref(statements);
    json_decref(doc);
    return error < 0 ? error : found;
}
