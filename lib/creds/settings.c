/*
 * Region, S3 endpoint and addressing style from the environment and the profile, in the
 * order the AWS SDKs use (SDKs and Tools Reference Guide, "AWS Region" and "Service-specific
 * endpoints").
 * SPDX-License-Identifier: MIT
 */
#include "creds/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "core/syntax.h"

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* http:// or https://, a host, and no white space or control characters. */
static bool endpoint_ok(const char *u)
{
    size_t skip;
    if (strncasecmp(u, "https://", 8) == 0)
        skip = 8;
    else if (strncasecmp(u, "http://", 7) == 0)
        skip = 7;
    else
        return false;
    if (u[skip] == '\0' || u[skip] == '/' || u[skip] == '?' || u[skip] == '#')
        return false;
    for (const unsigned char *c = (const unsigned char *)u; *c; c++)
        if (*c <= ' ' || *c >= 0x7f)
            return false;
    return true;
}

/* Where a value came from, for a message: an environment variable or a file and line. */
static int invalid(const char *what, const char *from, const skycrate__aws_setting *w,
                   const char *profile, const char *expected)
{
    if (w && w->pair)
        return skycrate__error_set(SKYCRATE_EINVAL, "the %s of profile '%s' (%s line %u) is not %s",
                                   what, profile, w->path, w->pair->line, expected);
    return skycrate__error_set(SKYCRATE_EINVAL, "%s is not %s", from ? from : what, expected);
}

static bool is_true(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

void skycrate__aws_settings_dispose(skycrate__aws_settings *settings)
{
    skycrate__free(settings->region);
    skycrate__free(settings->s3_endpoint);
    skycrate__free(settings->s3_addressing_style);
    memset(settings, 0, sizeof(*settings));
}

static int copy(char **out, const char *value)
{
    *out = skycrate__strdup(value);
    return *out ? 0 : skycrate__error_nomem();
}

int skycrate__aws_service_endpoint(const char **url_out, const char **from_out,
                                   const skycrate__aws_config *cfg, const char *service,
                                   const char *variable)
{
    *url_out = NULL;
    *from_out = NULL;
    const char *profile = cfg->profile;
    const unsigned both = SKYCRATE__AWS_BOTH_FILES;
    const char *ignore = env_value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (!ignore)
        ignore =
            skycrate__aws_config_get(NULL, cfg, profile, "ignore_configured_endpoint_urls", both);
    if (is_true(ignore))
        return 0;

    skycrate__aws_setting w = {NULL, NULL};
    const char *url = NULL, *from = NULL;
    if ((url = env_value(variable)) != NULL) {
        from = variable;
    } else if ((url = env_value("AWS_ENDPOINT_URL")) != NULL) {
        from = "AWS_ENDPOINT_URL";
    } else {
        const char *services = skycrate__aws_config_get(NULL, cfg, profile, "services", both);
        const skycrate__ini_section *s =
            services ? skycrate__aws_config_section(cfg, "services", services) : NULL;
        const skycrate__ini_pair *p =
            skycrate__ini_sub_get(skycrate__ini_get(s, service), "endpoint_url");
        if (p && p->value[0]) {
            url = p->value;
            from = "services";
            w.pair = p;
            w.path = cfg->config_path;
        } else if ((url =
                        skycrate__aws_config_get_sub(&w, cfg, profile, service, "endpoint_url"))) {
            from = "profile sub-section";
        } else if ((url = skycrate__aws_config_get(&w, cfg, profile, "endpoint_url", both))) {
            from = "profile";
        }
    }
    if (!url)
        return 0;
    if (!endpoint_ok(url)) {
        char what[64];
        snprintf(what, sizeof(what), "%s endpoint_url", service);
        return invalid(what, from, w.pair ? &w : NULL, profile, "an http:// or https:// URL");
    }
    *url_out = url;
    *from_out = from;
    return 0;
}

int skycrate__aws_region(const char **region_out, const char **from_out,
                         const skycrate__aws_config *cfg)
{
    skycrate__aws_setting w = {NULL, NULL};
    const char *region = NULL, *from = NULL;
    *region_out = NULL;
    *from_out = NULL;
    if ((region = env_value("AWS_REGION")) != NULL)
        from = "AWS_REGION";
    else if ((region = env_value("AWS_DEFAULT_REGION")) != NULL)
        from = "AWS_DEFAULT_REGION";
    else if ((region = skycrate__aws_config_get(&w, cfg, cfg->profile, "region",
                                                SKYCRATE__AWS_BOTH_FILES)) != NULL)
        from = "profile";
    if (region && !skycrate__region_ok(region))
        return invalid("region", from, w.pair ? &w : NULL, cfg->profile, "a region name");
    *region_out = region;
    *from_out = from;
    return 0;
}

int skycrate__aws_settings_resolve(skycrate__aws_settings *out, const char *profile)
{
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    skycrate__aws_config cfg;
    int error = skycrate__aws_config_load(&cfg, profile);
    if (error < 0)
        return error;
    if (cfg.profile_from && !skycrate__aws_config_has_profile(&cfg, cfg.profile)) {
        error = skycrate__error_set(
            SKYCRATE_EINVAL, "profile '%s' (named by %s) is in neither %s nor %s", cfg.profile,
            cfg.profile_from, cfg.credentials_path ? cfg.credentials_path : "-",
            cfg.config_path ? cfg.config_path : "-");
        goto done;
    }

    skycrate__aws_setting w = {NULL, NULL};
    const char *region = NULL, *from = NULL;
    if ((error = skycrate__aws_region(&region, &from, &cfg)) < 0)
        goto done;
    if (region) {
        out->region_from = from;
        if ((error = copy(&out->region, region)) < 0)
            goto done;
    }

    const char *url = NULL;
    if ((error = skycrate__aws_service_endpoint(&url, &from, &cfg, "s3", "AWS_ENDPOINT_URL_S3")) <
        0)
        goto done;
    if (url) {
        out->endpoint_from = !strcmp(from, "profile sub-section") ? "profile s3" : from;
        if ((error = copy(&out->s3_endpoint, url)) < 0)
            goto done;
    }

    const char *style =
        skycrate__aws_config_get_sub(&w, &cfg, cfg.profile, "s3", "addressing_style");
    if (style) {
        static const char *const styles[] = {"auto", "virtual", "path"};
        const char *known = NULL;
        for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(styles); i++)
            if (strcasecmp(style, styles[i]) == 0)
                known = styles[i];
        if (!known) {
            error = invalid("s3 addressing_style", NULL, &w, cfg.profile, "auto, virtual or path");
            goto done;
        }
        error = copy(&out->s3_addressing_style, known);
    }
done:
    skycrate__aws_config_dispose(&cfg);
    if (error < 0)
        skycrate__aws_settings_dispose(out);
    return error;
}
