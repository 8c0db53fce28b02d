/*
 * libFuzzer target: the AWS shared files and what is resolved from them. The input is the
 * config file, then (after a line "\x1e" alone, if there is one) the credentials file; both
 * are parsed (lib/creds/ini.c), then for each profile they name (at most 8): where its
 * credentials come from (role, source profile, web identity, process, static keys), its
 * static keys, its region, its S3 and STS endpoints and the STS endpoint's URL. The
 * environment is cleared first, so that only the files count. Build and run: fuzz/README.md.
 */
#include "core/syntax.h"
#include "creds/profile.h"
#include "creds/sts.h"
#include "fuzz_common.h"

#define MAX_PROFILES 8

static const char *const env_vars[] = {
    "AWS_PROFILE",          "AWS_DEFAULT_PROFILE",
    "AWS_REGION",           "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",     "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};

/* Profile names: [profile X] and [default] of the config file, [X] of the credentials. */
static size_t profile_names(const char **names, const skycrate__aws_config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->config.count && n < MAX_PROFILES; i++) {
        const char *s = cfg->config.sections[i].name;
        if (!strncmp(s, "profile ", 8))
            names[n++] = s + 8;
        else if (!strcmp(s, "default"))
            names[n++] = s;
    }
    for (size_t i = 0; i < cfg->credentials.count && n < MAX_PROFILES; i++)
        names[n++] = cfg->credentials.sections[i].name;
    return n;
}

/* Passes an expected failure on as the reader's own; ENOMEM stops the run. */
#define EXPECT(call, ...)                                                                          \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ == SKYCRATE_ENOMEM)                                                                \
            return rc_;                                                                            \
        static const int ok_[] = {0, __VA_ARGS__};                                                 \
        int found_ = 0;                                                                            \
        for (size_t k_ = 0; k_ < sizeof(ok_) / sizeof(ok_[0]); k_++)                               \
            found_ |= rc_ == ok_[k_];                                                              \
        FUZZ_CHECK(found_);                                                                        \
    } while (0)

static int resolve(const skycrate__aws_config *cfg)
{
    const char *names[MAX_PROFILES];
    size_t n = profile_names(names, cfg);
    skycrate__aws_config one = *cfg;
    for (size_t i = 0; i < n; i++) {
        one.profile = (char *)names[i];
        skycrate__profile_creds pc;
        EXPECT(skycrate__profile_creds_resolve(&pc, cfg, names[i]), SKYCRATE_ENOTFOUND,
               SKYCRATE_EINVAL);
        EXPECT(skycrate__profile_static_keys(&pc, cfg, names[i]), SKYCRATE_EINVAL);
        const char *region = NULL, *from = NULL, *url = NULL;
        int rc = skycrate__aws_region(&region, &from, &one);
        EXPECT(rc, SKYCRATE_EINVAL);
        FUZZ_CHECK(rc < 0 || !region || skycrate__region_ok(region));
        EXPECT(skycrate__aws_service_endpoint(&url, &from, &one, "s3", "AWS_ENDPOINT_URL_S3"),
               SKYCRATE_EINVAL);
        skycrate__sts_endpoint sts;
        rc = skycrate__sts_endpoint_resolve(&sts, &one);
        EXPECT(rc, SKYCRATE_EINVAL);
        FUZZ_CHECK(rc < 0 || (sts.url && skycrate__region_ok(sts.region)));
        skycrate__sts_endpoint_dispose(&sts);
    }
    return 0;
}

static int run(const char *data, size_t size)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 3 <= size && !sep; i++)
        if (!memcmp(data + i, "\n\x1e\n", 3))
            sep = data + i;
    skycrate__aws_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.config_path = "config";
    cfg.credentials_path = "credentials";
    cfg.config_found = cfg.credentials_found = true;
    size_t config_len = sep ? (size_t)(sep - data) : size;
    int rc = skycrate__ini_parse(&cfg.config, data, config_len, "config");
    if (rc == 0 && sep)
        rc = skycrate__ini_parse(&cfg.credentials, sep + 3, size - config_len - 3, "credentials");
    if (rc == 0)
        rc = resolve(&cfg);
    skycrate__ini_dispose(&cfg.config);
    skycrate__ini_dispose(&cfg.credentials);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        unsetenv(env_vars[i]);
    fuzz_run(run, (const char *)data, size, fuzz_pick_failure(data, size));
    return 0;
}
