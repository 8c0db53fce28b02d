/*
 * The configuration file (JSON) and the bearer tokens it names, compared in constant time.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

static int fail(const char *path, const char *what)
{
    fprintf(stderr, "skycrate-presign-server: %s: %s\n", path, what);
    return -1;
}

static char *dup_string(const json_t *doc, const char *name, const char *fallback)
{
    const char *v = json_string_value(json_object_get(doc, name));
    v = v ? v : fallback;
    return v ? strdup(v) : NULL;
}

static const struct {
    const char *name;
    uint32_t bit;
} pab_names[] = {
    {"BlockPublicAcls", SKYCRATE_PAB_BLOCK_PUBLIC_ACLS},
    {"IgnorePublicAcls", SKYCRATE_PAB_IGNORE_PUBLIC_ACLS},
    {"BlockPublicPolicy", SKYCRATE_PAB_BLOCK_PUBLIC_POLICY},
    {"RestrictPublicBuckets", SKYCRATE_PAB_RESTRICT_PUBLIC_BUCKETS},
};

static int read_pab(server_config *cfg, const json_t *list, const char *path)
{
    if (list == NULL)
        return 0;
    if (!json_is_array(list))
        return fail(path, "publicAccessBlock must be a list of setting names");
    cfg->public_access_block = 0;
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item)
    {
        size_t k = 0;
        while (k < 4 &&
               (!json_is_string(item) || strcmp(json_string_value(item), pab_names[k].name) != 0))
            k++;
        if (k == 4)
            return fail(path, "publicAccessBlock: unknown setting (BlockPublicAcls, "
                              "IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets)");
        cfg->public_access_block |= pab_names[k].bit;
    }
    return 0;
}

static int read_methods(server_config *cfg, const json_t *list, const char *path)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"PUT", SKYCRATE_CORS_METHOD_PUT},
                 {"POST", SKYCRATE_CORS_METHOD_POST},
                 {"GET", SKYCRATE_CORS_METHOD_GET},
                 {"HEAD", SKYCRATE_CORS_METHOD_HEAD},
                 {"DELETE", SKYCRATE_CORS_METHOD_DELETE}};
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item)
    {
        size_t k = 0;
        while (k < 5 && (!json_is_string(item) || strcmp(json_string_value(item), names[k].name)))
            k++;
        if (k == 5)
            return fail(path, "corsMethods: PUT, POST, GET, HEAD, DELETE");
        cfg->cors_methods |= names[k].bit;
    }
    return 0;
}

static int read_users(server_config *cfg, const json_t *users, const char *path)
{
    if (!json_is_object(users) || json_object_size(users) == 0)
        return fail(path, "users must be an object of user id to bearer token");
    cfg->users = calloc(json_object_size(users), sizeof(*cfg->users));
    const char *id;
    const json_t *token;
    json_object_foreach((json_t *)users, id, token)
    {
        const char *t = json_string_value(token);
        if (t == NULL || strlen(t) < 16)
            return fail(path, "each user's token must be a string of at least 16 characters");
        server_user *u = &cfg->users[cfg->user_count++];
        u->id = strdup(id);
        u->token = strdup(t);
    }
    return 0;
}

static int read_origins(server_config *cfg, const json_t *origins, const char *path)
{
    if (origins == NULL)
        return 0;
    if (!json_is_array(origins))
        return fail(path, "origins must be a list");
    cfg->origins = calloc(json_array_size(origins) + 1, sizeof(char *));
    size_t i;
    const json_t *o;
    json_array_foreach(origins, i, o)
    {
        if (!json_is_string(o))
            return fail(path, "origins must be strings");
        cfg->origins[cfg->origin_count++] = strdup(json_string_value(o));
    }
    return 0;
}

static int64_t number(const json_t *doc, const char *name, int64_t fallback)
{
    const json_t *v = json_object_get(doc, name);
    return json_is_integer(v) ? json_integer_value(v) : fallback;
}

int config_load(server_config *cfg, const char *path)
{
    json_error_t jerr;
    memset(cfg, 0, sizeof(*cfg));
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        char what[300];
        snprintf(what, sizeof(what), "not a JSON object (%s, line %d)", jerr.text, jerr.line);
        json_decref(doc);
        return fail(path, what);
    }
    int error = 0;
    cfg->listen = dup_string(doc, "listen", "127.0.0.1");
    cfg->port = (unsigned)number(doc, "port", 8080);
    cfg->endpoint = dup_string(doc, "endpoint", NULL);
    cfg->ca_file = dup_string(doc, "caFile", NULL);
    cfg->ca_path = dup_string(doc, "caPath", NULL);
    cfg->allow_http = json_is_true(json_object_get(doc, "allowHttp"));
    cfg->region = dup_string(doc, "region", NULL);
    cfg->store = dup_string(doc, "store", "users.json");
    cfg->bucket_prefix = dup_string(doc, "bucketPrefix", NULL);
    cfg->key_prefix = dup_string(doc, "keyPrefix", "uploads");
    cfg->audit_log = dup_string(doc, "auditLog", NULL);
    cfg->compatible = json_is_true(json_object_get(doc, "compatible"));
    cfg->dev = json_is_true(json_object_get(doc, "dev"));
    cfg->tls_only = !json_is_false(json_object_get(doc, "tlsOnlyPolicy"));
    cfg->public_access_block = SKYCRATE_PAB_BLOCK_PUBLIC_ACLS | SKYCRATE_PAB_IGNORE_PUBLIC_ACLS |
                               SKYCRATE_PAB_BLOCK_PUBLIC_POLICY |
                               SKYCRATE_PAB_RESTRICT_PUBLIC_BUCKETS;
    cfg->max_size = (uint64_t)number(doc, "maxSize", 100 * 1024 * 1024);
    cfg->expires = number(doc, "expires", 900);
    cfg->part_size = (uint64_t)number(doc, "partSize", 5 * 1024 * 1024);
    cfg->threads = (unsigned)number(doc, "threads", 1);
    if (cfg->port > 65535 || cfg->expires < 1 || cfg->expires > 604800 || cfg->max_size < 1 ||
        cfg->part_size < 5 * 1024 * 1024 || cfg->threads > 64)
        error = fail(path, "port 0..65535, expires 1..604800, maxSize >= 1, partSize >= 5 MiB, "
                           "threads <= 64");
    if (error == 0)
        error = read_pab(cfg, json_object_get(doc, "publicAccessBlock"), path);
    if (error == 0)
        error = read_methods(cfg, json_object_get(doc, "corsMethods"), path);
    if (error == 0)
        error = read_origins(cfg, json_object_get(doc, "origins"), path);
    if (error == 0)
        error = read_users(cfg, json_object_get(doc, "users"), path);
    json_decref(doc);
    return error;
}

void config_dispose(server_config *cfg)
{
    for (size_t i = 0; i < cfg->user_count; i++) {
        free(cfg->users[i].id);
        if (cfg->users[i].token)
            memset(cfg->users[i].token, 0, strlen(cfg->users[i].token));
        free(cfg->users[i].token);
        free(cfg->users[i].bucket);
    }
    free(cfg->users);
    for (size_t i = 0; i < cfg->origin_count; i++)
        free(cfg->origins[i]);
    free(cfg->origins);
    free(cfg->listen);
    free(cfg->endpoint);
    free(cfg->ca_file);
    free(cfg->ca_path);
    free(cfg->region);
    free(cfg->store);
    free(cfg->bucket_prefix);
    free(cfg->key_prefix);
    free(cfg->audit_log);
}

/* Whether a equals b, in a time that depends only on their lengths. */
static int same_secret(const char *a, size_t alen, const char *b, size_t blen)
{
    volatile unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ b[i < blen ? i : 0]);
    return diff == 0;
}

server_user *config_authenticate(server_config *cfg, const char *authorization)
{
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *token = authorization + 7;
    size_t len = strlen(token);
    server_user *found = NULL;
    /* Every token is compared, whichever matches. */
    for (size_t i = 0; i < cfg->user_count; i++) {
        const char *t = cfg->users[i].token;
        if (same_secret(token, len, t, strlen(t)) && found == NULL)
            found = &cfg->users[i];
    }
    return found;
}
