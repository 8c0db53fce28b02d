/*
 * The provisioner configuration: store, naming, mode and the security profile.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "provision/naming.h"
#include "provision/profile.h"
#include "store/store.h"

#define ORIGIN_MAX 512
#define TAG_KEY_MAX 128
#define TAG_VALUE_MAX 256
#define LIFECYCLE_DAYS_MAX 3650

int skycrate_provisioner_config_new(skycrate_provisioner_config **out)
{
    SKYCRATE_ASSERT_ARG(out);
    skycrate_provisioner_config *cfg = skycrate__calloc(1, sizeof(*cfg));
    if (!cfg)
        return skycrate__error_nomem();
    cfg->magic = SKYCRATE_MAGIC_PROVISIONER_CONFIG;
    cfg->mode = SKYCRATE_FAILURE_MODE_STRICT;
    skycrate__profile_defaults(&cfg->profile);
    *out = cfg;
    return 0;
}

void skycrate_provisioner_config_free(skycrate_provisioner_config *cfg)
{
    if (!cfg || cfg->magic != SKYCRATE_MAGIC_PROVISIONER_CONFIG)
        return;
    skycrate_user_store_unref(cfg->store);
    skycrate__free(cfg->prefix);
    skycrate__profile_dispose(&cfg->profile);
    cfg->magic = 0;
    skycrate__free(cfg);
}

int skycrate_provisioner_config_set_store(skycrate_provisioner_config *cfg,
                                          skycrate_user_store *store)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (store)
        SKYCRATE_ASSERT_HANDLE(store, SKYCRATE_MAGIC_USER_STORE);
    skycrate_user_store_unref(cfg->store);
    cfg->store = skycrate_user_store_ref(store);
    return 0;
}

int skycrate_provisioner_config_set_bucket_prefix(skycrate_provisioner_config *cfg,
                                                  const char *prefix)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    int error;
    if (prefix && (error = skycrate__bucket_prefix_check(prefix)) < 0)
        return error;
    return skycrate__set_string(&cfg->prefix, prefix);
}

int skycrate_provisioner_config_set_failure_mode(skycrate_provisioner_config *cfg,
                                                 skycrate_failure_mode mode)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (mode != SKYCRATE_FAILURE_MODE_STRICT && mode != SKYCRATE_FAILURE_MODE_COMPATIBLE)
        return skycrate__error_set(SKYCRATE_EINVAL, "unknown provisioning mode %d", (int)mode);
    cfg->mode = mode;
    return 0;
}

int skycrate_provisioner_config_set_dev_mode(skycrate_provisioner_config *cfg, int enabled)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    cfg->dev = enabled != 0;
    return 0;
}

int skycrate_provisioner_config_set_public_access_block(skycrate_provisioner_config *cfg,
                                                        uint32_t flags)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (flags & ~SKYCRATE_PAB_ALL)
        return skycrate__error_set(SKYCRATE_EINVAL, "unknown public access block flags 0x%x",
                                   flags & ~SKYCRATE_PAB_ALL);
    cfg->profile.public_access_block = flags;
    return 0;
}

/* Printable ASCII without blanks, 1..max bytes. */
static bool printable_token(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return false;
    return true;
}

int skycrate_provisioner_config_set_encryption(skycrate_provisioner_config *cfg,
                                               skycrate_encryption encryption,
                                               const char *kms_key_id, int bucket_key)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (encryption != SKYCRATE_ENCRYPTION_NONE && encryption != SKYCRATE_ENCRYPTION_AES256 &&
        encryption != SKYCRATE_ENCRYPTION_KMS)
        return skycrate__error_set(SKYCRATE_EINVAL, "unknown encryption %d", (int)encryption);
    if (encryption != SKYCRATE_ENCRYPTION_KMS && (kms_key_id || bucket_key))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "a KMS key id and a bucket key go with SKYCRATE_ENCRYPTION_KMS");
    if (kms_key_id && !printable_token(kms_key_id, 2048))
        return skycrate__error_set(SKYCRATE_EINVAL, "the KMS key id is not a printable token");
    int error = skycrate__set_string(&cfg->profile.kms_key_id, kms_key_id);
    if (error < 0)
        return error;
    cfg->profile.encryption = encryption;
    cfg->profile.bucket_key = bucket_key != 0;
    return 0;
}

int skycrate_provisioner_config_set_object_ownership(skycrate_provisioner_config *cfg,
                                                     skycrate_ownership ownership)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (ownership != SKYCRATE_OWNERSHIP_UNSET && !skycrate__ownership_name(ownership))
        return skycrate__error_set(SKYCRATE_EINVAL, "unknown object ownership %d", (int)ownership);
    cfg->profile.ownership = ownership;
    return 0;
}

static bool origin_valid(const char *origin)
{
    if (!printable_token(origin, ORIGIN_MAX))
        return false;
    if (!strcmp(origin, "*"))
        return true;
    const char *host = !strncmp(origin, "https://", 8)  ? origin + 8
                       : !strncmp(origin, "http://", 7) ? origin + 7
                                                        : NULL;
    if (!host || !*host || strchr(host, '/') || strchr(host, '?') || strchr(host, '#'))
        return false;
    const char *star = strchr(origin, '*');
    return !star || !strchr(star + 1, '*');
}

int skycrate_provisioner_config_add_cors_origin(skycrate_provisioner_config *cfg,
                                                const char *origin)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    SKYCRATE_ASSERT_ARG(origin);
    skycrate__profile *p = &cfg->profile;
    if (!origin_valid(origin))
        return skycrate__error_set(
            SKYCRATE_EINVAL, "'%.80s' is not a CORS origin (scheme://host[:port] or *)", origin);
    if (p->cors_origins.count >= SKYCRATE__CORS_ORIGINS_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "at most %d CORS origins",
                                   SKYCRATE__CORS_ORIGINS_MAX);
    return skycrate__names_add(&p->cors_origins, origin);
}

/* A header name as HTTP writes it (RFC 9110 token characters), with at most one `*`. */
static bool header_pattern_valid(const char *name)
{
    size_t len = strlen(name), stars = 0;
    if (len == 0 || len > SKYCRATE__CORS_HEADER_MAX)
        return false;
    for (const char *c = name; *c; c++) {
        if (*c == '*')
            stars++;
        else if (!skycrate__is_tchar((unsigned char)*c))
            return false;
    }
    return stars <= 1;
}

/* Replaces `list` (and marks it set) with `names`, or restores the default (names NULL). */
static int set_headers(skycrate__names *list, bool *set, const char *const *names, size_t count,
                       const char *what)
{
    if (!names && count)
        return skycrate__error_set(SKYCRATE_EINVAL, "CORS %s: no names but a count of %zu", what,
                                   count);
    if (count > SKYCRATE__CORS_HEADERS_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "at most %d CORS %s",
                                   SKYCRATE__CORS_HEADERS_MAX, what);
    for (size_t i = 0; i < count; i++) {
        SKYCRATE_ASSERT_ARG(names[i]);
        if (!header_pattern_valid(names[i]))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "'%.80s' is not a header name for the CORS %s (token "
                                       "characters, at most one *, 1 to %d bytes)",
                                       names[i], what, SKYCRATE__CORS_HEADER_MAX);
    }
    skycrate__names fresh = {NULL, 0};
    for (size_t i = 0; i < count; i++) {
        int error = skycrate__names_add(&fresh, names[i]);
        if (error < 0) {
            skycrate__names_dispose(&fresh);
            return error;
        }
    }
    skycrate__names_dispose(list);
    *list = fresh;
    *set = names != NULL;
    return 0;
}

int skycrate_provisioner_config_set_cors_allowed_headers(skycrate_provisioner_config *cfg,
                                                         const char *const *headers, size_t count)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    return set_headers(&cfg->profile.cors_allowed_headers, &cfg->profile.cors_allowed_headers_set,
                       headers, count, "allowed headers");
}

int skycrate_provisioner_config_set_cors_expose_headers(skycrate_provisioner_config *cfg,
                                                        const char *const *headers, size_t count)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    return set_headers(&cfg->profile.cors_expose_headers, &cfg->profile.cors_expose_headers_set,
                       headers, count, "exposed headers");
}

int skycrate_provisioner_config_set_cors_methods(skycrate_provisioner_config *cfg, uint32_t methods)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (methods == 0 || (methods & ~(uint32_t)0x1f) != 0)
        return skycrate__error_set(SKYCRATE_EINVAL, "CORS methods: at least one "
                                                    "SKYCRATE_CORS_METHOD_* bit, and no other");
    cfg->profile.cors_methods = methods;
    return 0;
}

int skycrate_provisioner_config_set_cors_max_age(skycrate_provisioner_config *cfg, uint32_t seconds)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    cfg->profile.cors_max_age = seconds;
    return 0;
}

int skycrate_provisioner_config_set_tls_only_policy(skycrate_provisioner_config *cfg, int enabled)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    cfg->profile.tls_only = enabled != 0;
    return 0;
}

int skycrate_provisioner_config_set_abort_multipart_days(skycrate_provisioner_config *cfg,
                                                         uint32_t days)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (days > LIFECYCLE_DAYS_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "abort-multipart days are 0..%d, not %u",
                                   LIFECYCLE_DAYS_MAX, days);
    cfg->profile.abort_multipart_days = days;
    return 0;
}

int skycrate_provisioner_config_set_tagging(skycrate_provisioner_config *cfg, int enabled)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    cfg->profile.tagging = enabled != 0;
    return 0;
}

/* Tag text: 0..max bytes of ASCII letters, digits, space and + - = . _ : / @. */
static bool tag_text_valid(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ' ' || strchr("+-=._:/@", c)))
            return false;
    }
    return true;
}

int skycrate_provisioner_config_set_application(skycrate_provisioner_config *cfg, const char *name)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    if (name && !tag_text_valid(name, 1, TAG_VALUE_MAX))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "the application name must be 1..%d tag characters "
                                   "(letters, digits, space, + - = . _ : / @)",
                                   TAG_VALUE_MAX);
    return skycrate__set_string(&cfg->profile.application, name);
}

int skycrate_provisioner_config_add_tag(skycrate_provisioner_config *cfg, const char *key,
                                        const char *value)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    SKYCRATE_ASSERT_ARG(key);
    SKYCRATE_ASSERT_ARG(value);
    skycrate__profile *p = &cfg->profile;
    if (!tag_text_valid(key, 1, TAG_KEY_MAX) || !tag_text_valid(value, 0, TAG_VALUE_MAX))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "tag keys are 1..%d and values 0..%d tag characters "
                                   "(letters, digits, space, + - = . _ : / @)",
                                   TAG_KEY_MAX, TAG_VALUE_MAX);
    if (!strncmp(key, "aws:", 4) || !strncmp(key, "skycrate:", 9))
        return skycrate__error_set(SKYCRATE_EINVAL, "tag keys starting with aws: or skycrate: "
                                                    "are reserved");
    for (size_t i = 0; i < p->tag_count; i++)
        if (!strcmp(p->tags[i].key, key))
            return skycrate__error_set(SKYCRATE_EINVAL, "tag '%s' is already set", key);
    if (p->tag_count >= SKYCRATE__TAGS_MAX)
        return skycrate__error_set(SKYCRATE_EINVAL, "at most %d tags", SKYCRATE__TAGS_MAX);
    skycrate__tag *grown = skycrate__realloc(p->tags, (p->tag_count + 1) * sizeof(*grown));
    if (!grown)
        return skycrate__error_nomem();
    p->tags = grown;
    skycrate__tag *t = &grown[p->tag_count];
    t->key = skycrate__strdup(key);
    t->value = skycrate__strdup(value);
    if (!t->key || !t->value) {
        skycrate__free(t->key);
        skycrate__free(t->value);
        return skycrate__error_nomem();
    }
    p->tag_count++;
    return 0;
}

int skycrate_provisioner_config_set_concurrency(skycrate_provisioner_config *cfg,
                                                unsigned int lanes)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_PROVISIONER_CONFIG);
    cfg->lanes = lanes;
    return 0;
}
