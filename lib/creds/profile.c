/*
 * The AWS shared files: where they are, which profile is selected, how a profile's settings
 * are looked up across both files, and where its credentials come from.
 * SPDX-License-Identifier: MIT
 */
#include "creds/profile.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/common.h"

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* $HOME, else the password database; *out stays NULL when neither knows. */
static int home_dir(char **out)
{
    *out = NULL;
    const char *home = env_value("HOME");
    struct passwd pw, *result = NULL;
    char buf[4096];
    if (!home && getpwuid_r(getuid(), &pw, buf, sizeof(buf), &result) == 0 && result && pw.pw_dir &&
        *pw.pw_dir)
        home = pw.pw_dir;
    if (!home)
        return 0;
    *out = skycrate__strdup(home);
    return *out ? 0 : skycrate__error_nomem();
}

/*
 * The path of one shared file: the environment variable (with "~/" expanded), else
 * ~/.aws/<name>. *out stays NULL when there is no home directory to put it in.
 */
static int file_path(char **out, const char *variable, const char *name)
{
    *out = NULL;
    const char *set = env_value(variable);
    bool tilde = set && set[0] == '~' && (set[1] == '/' || set[1] == '\0');
    if (set && !tilde) {
        *out = skycrate__strdup(set);
        return *out ? 0 : skycrate__error_nomem();
    }
    char *home = NULL;
    if (home_dir(&home) < 0)
        return SKYCRATE_ENOMEM;
    if (!home) {
        if (tilde)
            return skycrate__error_set(
                SKYCRATE_EINVAL, "%s starts with '~' but there is no home directory", variable);
        return 0; /* no home: the default files do not exist */
    }
    skycrate__buf b = SKYCRATE_BUF_INIT;
    int error = tilde ? skycrate__buf_printf(&b, "%s%s", home, set + 1)
                      : skycrate__buf_printf(&b, "%s/.aws/%s", home, name);
    skycrate__free(home);
    if (error < 0) {
        skycrate__buf_dispose(&b);
        return error;
    }
    *out = skycrate__buf_detach(&b);
    return 0;
}

void skycrate__aws_config_dispose(skycrate__aws_config *cfg)
{
    skycrate__free(cfg->profile);
    skycrate__free(cfg->config_path);
    skycrate__free(cfg->credentials_path);
    skycrate__ini_dispose(&cfg->config);
    skycrate__ini_dispose(&cfg->credentials);
    memset(cfg, 0, sizeof(*cfg));
}

int skycrate__aws_config_load(skycrate__aws_config *cfg, const char *profile)
{
    SKYCRATE_ASSERT_ARG(cfg);
    memset(cfg, 0, sizeof(*cfg));
    int error = 0;
    const char *from = NULL;
    if (profile && *profile)
        from = "the caller";
    else if ((profile = env_value("AWS_PROFILE")) != NULL)
        from = "AWS_PROFILE";
    else if ((profile = env_value("AWS_DEFAULT_PROFILE")) != NULL)
        from = "AWS_DEFAULT_PROFILE";
    else
        profile = "default";
    cfg->profile_from = from;
    if (!(cfg->profile = skycrate__strdup(profile))) {
        error = skycrate__error_nomem();
        goto done;
    }
    if ((error = file_path(&cfg->credentials_path, "AWS_SHARED_CREDENTIALS_FILE", "credentials")) <
            0 ||
        (error = file_path(&cfg->config_path, "AWS_CONFIG_FILE", "config")) < 0)
        goto done;
    if (cfg->credentials_path &&
        (error = skycrate__ini_load(&cfg->credentials, &cfg->credentials_found,
                                    cfg->credentials_path)) < 0)
        goto done;
    if (cfg->config_path &&
        (error = skycrate__ini_load(&cfg->config, &cfg->config_found, cfg->config_path)) < 0)
        goto done;
done:
    if (error < 0)
        skycrate__aws_config_dispose(cfg);
    return error;
}

/* "kind name" (white space between, none inside the name): name matches. */
static bool header_is(const char *header, const char *kind, const char *name)
{
    size_t k = strlen(kind);
    if (strncmp(header, kind, k) != 0 || (header[k] != ' ' && header[k] != '\t'))
        return false;
    const char *n = header + k;
    while (*n == ' ' || *n == '\t')
        n++;
    return strcmp(n, name) == 0;
}

const skycrate__ini_section *skycrate__aws_config_section(const skycrate__aws_config *cfg,
                                                          const char *kind, const char *name)
{
    /* The last one wins, as in botocore's profile map. */
    for (size_t i = cfg->config.count; i-- > 0;) {
        const skycrate__ini_section *s = &cfg->config.sections[i];
        if (header_is(s->name, kind, name))
            return s;
        if (strcmp(kind, "profile") == 0 && strcmp(name, "default") == 0 &&
            strcmp(s->name, "default") == 0)
            return s;
    }
    return NULL;
}

static const skycrate__ini_section *credentials_section(const skycrate__aws_config *cfg,
                                                        const char *profile)
{
    return skycrate__ini_section_find(&cfg->credentials, profile);
}

bool skycrate__aws_config_has_profile(const skycrate__aws_config *cfg, const char *profile)
{
    return credentials_section(cfg, profile) ||
           skycrate__aws_config_section(cfg, "profile", profile);
}

/* The pair of a key, credentials file first; empty values included. */
static const skycrate__ini_pair *find(skycrate__aws_setting *where, const skycrate__aws_config *cfg,
                                      const char *profile, const char *key, unsigned files)
{
    skycrate__aws_setting w = {NULL, NULL};
    if (files & SKYCRATE__AWS_CREDENTIALS_FILE) {
        w.pair = skycrate__ini_get(credentials_section(cfg, profile), key);
        w.path = cfg->credentials_path;
    }
    if (!w.pair && (files & SKYCRATE__AWS_CONFIG_FILE)) {
        w.pair = skycrate__ini_get(skycrate__aws_config_section(cfg, "profile", profile), key);
        w.path = cfg->config_path;
    }
    if (!w.pair)
        w.path = NULL;
    if (where)
        *where = w;
    return w.pair;
}

const char *skycrate__aws_config_get(skycrate__aws_setting *where, const skycrate__aws_config *cfg,
                                     const char *profile, const char *key, unsigned files)
{
    const skycrate__ini_pair *p = find(where, cfg, profile, key, files);
    return p && p->value[0] ? p->value : NULL;
}

const char *skycrate__aws_config_get_sub(skycrate__aws_setting *where,
                                         const skycrate__aws_config *cfg, const char *profile,
                                         const char *key, const char *subkey)
{
    skycrate__aws_setting w;
    /* A nested block in the credentials file replaces the config file's whole block. */
    const skycrate__ini_pair *sub =
        skycrate__ini_sub_get(find(&w, cfg, profile, key, SKYCRATE__AWS_BOTH_FILES), subkey);
    if (where) {
        where->pair = sub;
        where->path = sub ? w.path : NULL;
    }
    return sub && sub->value[0] ? sub->value : NULL;
}

/* --- where the credentials come from ------------------------------------------------------ */

static const char *show(const char *path)
{
    return path ? path : "(no home directory)";
}

/* Static keys from one file; both halves or neither. */
static int static_keys(skycrate__profile_creds *out, const skycrate__aws_config *cfg,
                       const char *profile, unsigned file)
{
    skycrate__aws_setting akid, secret;
    const char *a = skycrate__aws_config_get(&akid, cfg, profile, "aws_access_key_id", file);
    const char *s = skycrate__aws_config_get(&secret, cfg, profile, "aws_secret_access_key", file);
    if (!a && !s)
        return 0;
    if (!a || !s) {
        const skycrate__aws_setting *w = a ? &akid : &secret;
        return skycrate__error_set(SKYCRATE_EINVAL, "profile '%s' in %s line %u has %s but no %s",
                                   profile, show(w->path), w->pair->line,
                                   a ? "aws_access_key_id" : "aws_secret_access_key",
                                   a ? "aws_secret_access_key" : "aws_access_key_id");
    }
    out->kind = SKYCRATE__PROFILE_CREDS_STATIC;
    out->where = akid;
    out->access_key_id = a;
    out->secret_access_key = s;
    out->session_token = skycrate__aws_config_get(NULL, cfg, profile, "aws_session_token", file);
    if (!out->session_token) /* the older name, still read by botocore */
        out->session_token =
            skycrate__aws_config_get(NULL, cfg, profile, "aws_security_token", file);
    return 0;
}

int skycrate__profile_static_keys(skycrate__profile_creds *out, const skycrate__aws_config *cfg,
                                  const char *profile)
{
    SKYCRATE_ASSERT_ARG(out && cfg && profile);
    memset(out, 0, sizeof(*out));
    out->profile = profile;
    int error = static_keys(out, cfg, profile, SKYCRATE__AWS_CREDENTIALS_FILE);
    if (error < 0 || out->kind != SKYCRATE__PROFILE_CREDS_NONE)
        return error;
    return static_keys(out, cfg, profile, SKYCRATE__AWS_CONFIG_FILE);
}

/* A setting of the profile from either file (NULL when absent). */
static const char *setting(const skycrate__aws_config *cfg, const char *profile, const char *name)
{
    return skycrate__aws_config_get(NULL, cfg, profile, name, SKYCRATE__AWS_BOTH_FILES);
}

/* A profile with role_arn (found at `where`): web identity with web_identity_token_file, else
 * AssumeRole from exactly one of source_profile and credential_source. */
static int role_creds(skycrate__profile_creds *out, const skycrate__aws_config *cfg,
                      const char *profile, const skycrate__aws_setting *where)
{
    out->where = *where;
    out->role_session_name = setting(cfg, profile, "role_session_name");
    out->duration_seconds = setting(cfg, profile, "duration_seconds");
    out->web_identity_token_file = setting(cfg, profile, "web_identity_token_file");
    if (out->web_identity_token_file) {
        out->kind = SKYCRATE__PROFILE_CREDS_WEB_IDENTITY;
        return 0;
    }
    out->kind = SKYCRATE__PROFILE_CREDS_ASSUME_ROLE;
    out->external_id = setting(cfg, profile, "external_id");
    out->mfa_serial = setting(cfg, profile, "mfa_serial");
    out->source_profile = setting(cfg, profile, "source_profile");
    out->credential_source = setting(cfg, profile, "credential_source");
    if (!out->source_profile == !out->credential_source)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "profile '%s' in %s line %u has role_arn and %s of "
                                   "source_profile and credential_source (it needs one)",
                                   profile, show(where->path), where->pair->line,
                                   out->source_profile ? "both" : "neither");
    return 0;
}

int skycrate__profile_creds_resolve(skycrate__profile_creds *out, const skycrate__aws_config *cfg,
                                    const char *profile)
{
    SKYCRATE_ASSERT_ARG(out);
    SKYCRATE_ASSERT_ARG(cfg);
    SKYCRATE_ASSERT_ARG(profile);
    memset(out, 0, sizeof(*out));
    out->profile = profile;
    if (!skycrate__aws_config_has_profile(cfg, profile))
        return skycrate__error_set(SKYCRATE_ENOTFOUND, "no profile '%s' in %s or %s", profile,
                                   show(cfg->credentials_path), show(cfg->config_path));
    const unsigned both = SKYCRATE__AWS_BOTH_FILES;
    skycrate__aws_setting where;
    if ((out->role_arn = skycrate__aws_config_get(&where, cfg, profile, "role_arn", both)))
        return role_creds(out, cfg, profile, &where);
    if (skycrate__aws_config_get(&where, cfg, profile, "web_identity_token_file", both))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "profile '%s' in %s line %u has web_identity_token_file but "
                                   "no role_arn",
                                   profile, show(where.path), where.pair->line);
    out->sso_session = skycrate__aws_config_get(&where, cfg, profile, "sso_session", both);
    if (!out->sso_session)
        out->sso_start_url = skycrate__aws_config_get(&where, cfg, profile, "sso_start_url", both);
    if (out->sso_session || out->sso_start_url) {
        out->kind = SKYCRATE__PROFILE_CREDS_SSO;
        out->where = where;
        return 0;
    }
    /* botocore: the credentials file's keys, then credential_process, then the config's keys. */
    int error = static_keys(out, cfg, profile, SKYCRATE__AWS_CREDENTIALS_FILE);
    if (error < 0 || out->kind != SKYCRATE__PROFILE_CREDS_NONE)
        return error;
    out->process = skycrate__aws_config_get(&where, cfg, profile, "credential_process", both);
    if (out->process) {
        out->kind = SKYCRATE__PROFILE_CREDS_PROCESS;
        out->where = where;
        return 0;
    }
    return static_keys(out, cfg, profile, SKYCRATE__AWS_CONFIG_FILE);
}
