/*
 * The profile provider: the credentials of a profile of the AWS shared files. Static keys,
 * credential_process, roles (STS AssumeRole from a source profile or a credential source) and
 * web identity tokens (STS AssumeRoleWithWebIdentity). SSO profiles are recognised and
 * refused, not guessed.
 * SPDX-License-Identifier: MIT
 */
#include "creds/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "creds/remote.h"
#include "creds/sts.h"

/* How deep source_profile may chain roles (botocore has no limit but its loop check). */
#define MAX_ROLE_CHAIN 16

typedef struct {
    char *profile; /* NULL: chosen from the environment at each get */
    uint32_t process_timeout_ms;
    skycrate__creds_http *http;
} profile_provider;

/* One resolution: the files, and the profiles visited through source_profile. */
typedef struct {
    profile_provider *pp;
    const skycrate__aws_config *cfg;
    const char *visited[MAX_ROLE_CHAIN];
    size_t depth;
} resolution;

static const char *show(const char *path)
{
    return path ? path : "-";
}

static int refuse_sso(const skycrate__profile_creds *pc)
{
    return skycrate__error_set(SKYCRATE_EAUTH,
                               "profile '%s' uses AWS IAM Identity Center (SSO) (%s in %s line "
                               "%u), which libskycrate does not do: use `aws sso login` with "
                               "`aws configure export-credentials --format process` as a "
                               "credential_process, or another profile",
                               pc->profile, pc->sso_session ? "sso_session" : "sso_start_url",
                               show(pc->where.path), pc->where.pair->line);
}

/* The value of a role setting, for messages: "key in FILE line N". */
static void where_of(char *out, size_t size, const resolution *r, const char *profile,
                     const char *key)
{
    skycrate__aws_setting w;
    if (skycrate__aws_config_get(&w, r->cfg, profile, key, SKYCRATE__AWS_BOTH_FILES))
        snprintf(out, size, "%s in %s line %u", key, show(w.path), w.pair->line);
    else
        snprintf(out, size, "%s", key);
}

static int duration_of(uint32_t *out, const resolution *r, const skycrate__profile_creds *pc)
{
    *out = 0;
    if (!pc->duration_seconds)
        return 0;
    char *end;
    unsigned long n = strtoul(pc->duration_seconds, &end, 10);
    if (*end != '\0' || pc->duration_seconds[0] < '0' || pc->duration_seconds[0] > '9' ||
        n < SKYCRATE__STS_MIN_DURATION || n > SKYCRATE__STS_MAX_DURATION) {
        char where[512];
        where_of(where, sizeof(where), r, pc->profile, "duration_seconds");
        return skycrate__error_set(
            SKYCRATE_EINVAL, "profile '%s': %s is not a number of seconds from %d to %d",
            pc->profile, where, SKYCRATE__STS_MIN_DURATION, SKYCRATE__STS_MAX_DURATION);
    }
    *out = (uint32_t)n;
    return 0;
}

static int profile_creds(skycrate_credentials **out, resolution *r, const char *profile,
                         bool as_source);

/* The credentials of credential_source. A source with nothing is an error here: it was named. */
static int credential_source(skycrate_credentials **out, resolution *r,
                             const skycrate__profile_creds *pc)
{
    const char *source = pc->credential_source;
    int error;
    if (strcmp(source, "Environment") == 0) {
        skycrate_credentials_provider *env = NULL;
        if ((error = skycrate_credentials_provider_new_env(&env)) == 0)
            error = skycrate_credentials_provider_get(out, env);
        skycrate_credentials_provider_unref(env);
    } else if (strcmp(source, "Ec2InstanceMetadata") == 0) {
        error = skycrate__imds_fetch(out, r->pp->http);
    } else if (strcmp(source, "EcsContainer") == 0) {
        error = skycrate__container_fetch(out, r->pp->http);
    } else {
        char where[512];
        where_of(where, sizeof(where), r, pc->profile, "credential_source");
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "profile '%s': %s is '%.64s', not Environment, "
                                   "Ec2InstanceMetadata or EcsContainer",
                                   pc->profile, where, source);
    }
    if (error < 0) {
        char where[512], reason[SKYCRATE_ERROR_MESSAGE_MAX];
        where_of(where, sizeof(where), r, pc->profile, "credential_source");
        snprintf(reason, sizeof(reason), "%s", skycrate_error_last()->message);
        if (error == SKYCRATE_ENOTFOUND)
            error = SKYCRATE_EAUTH; /* configured, so not "nothing here" */
        skycrate__error_set(error, "profile '%s': %s = %s: %s", pc->profile, where, source, reason);
    }
    return error;
}

/* The source credentials of a role: source_profile or credential_source. */
static int role_source(skycrate_credentials **out, resolution *r, const skycrate__profile_creds *pc)
{
    if (pc->credential_source)
        return credential_source(out, r, pc);
    const char *name = pc->source_profile;
    char where[512];
    where_of(where, sizeof(where), r, pc->profile, "source_profile");
    if (!skycrate__aws_config_has_profile(r->cfg, name))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "profile '%s': %s names profile '%s', which is in neither %s "
                                   "nor %s",
                                   pc->profile, where, name, show(r->cfg->credentials_path),
                                   show(r->cfg->config_path));
    for (size_t i = 0; i < r->depth; i++) {
        if (strcmp(r->visited[i], name) != 0)
            continue;
        /* A profile may name itself when it has static keys (botocore, for the CLI). */
        skycrate__profile_creds keys;
        int error = skycrate__profile_static_keys(&keys, r->cfg, name);
        if (error < 0)
            return error;
        if (strcmp(name, pc->profile) == 0 && keys.kind == SKYCRATE__PROFILE_CREDS_STATIC)
            return skycrate_credentials_new(out, keys.access_key_id, keys.secret_access_key,
                                            keys.session_token, 0);
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "profile '%s': %s makes a loop of source profiles back to "
                                   "'%s'",
                                   pc->profile, where, name);
    }
    if (r->depth == MAX_ROLE_CHAIN)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "profile '%s': more than %d roles chained through "
                                   "source_profile",
                                   pc->profile, MAX_ROLE_CHAIN);
    return profile_creds(out, r, name, true);
}

static int assume_role(skycrate_credentials **out, resolution *r, const skycrate__profile_creds *pc)
{
    if (pc->mfa_serial) {
        char where[512];
        where_of(where, sizeof(where), r, pc->profile, "mfa_serial");
        return skycrate__error_set(SKYCRATE_EAUTH,
                                   "profile '%s' needs an MFA code (%s), which libskycrate cannot "
                                   "ask for: use credentials that need none, or a "
                                   "credential_process that asks",
                                   pc->profile, where);
    }
    uint32_t duration;
    int error = duration_of(&duration, r, pc);
    if (error < 0)
        return error;
    skycrate_credentials *source = NULL;
    skycrate__sts_endpoint endpoint;
    memset(&endpoint, 0, sizeof(endpoint));
    r->visited[r->depth++] = pc->profile;
    error = role_source(&source, r, pc);
    r->depth--;
    if (error < 0)
        goto done;
    if ((error = skycrate__sts_endpoint_resolve(&endpoint, r->cfg)) < 0)
        goto done;
    char who[256];
    snprintf(who, sizeof(who), "profile '%.200s'", pc->profile);
    skycrate__sts_request req = {
        .role_arn = pc->role_arn,
        .session_name = pc->role_session_name,
        .external_id = pc->external_id,
        .duration_seconds = duration,
        .source = source,
        .endpoint = &endpoint,
        .who = who,
    };
    error = skycrate__sts_assume_role(out, r->pp->http, &req);
done:
    skycrate__sts_endpoint_dispose(&endpoint);
    skycrate_credentials_unref(source);
    return error;
}

static int web_identity(skycrate_credentials **out, resolution *r,
                        const skycrate__profile_creds *pc)
{
    uint32_t duration;
    int error = duration_of(&duration, r, pc);
    if (error < 0)
        return error;
    char who[256];
    snprintf(who, sizeof(who), "profile '%.200s'", pc->profile);
    skycrate__web_identity wi = {
        .token_file = pc->web_identity_token_file,
        .role_arn = pc->role_arn,
        .session_name = pc->role_session_name,
        .duration_seconds = duration,
        .who = who,
    };
    return skycrate__web_identity_fetch(out, r->pp->http, &wi, r->cfg);
}

/*
 * The credentials of one profile. As a source profile (`as_source`), its static keys win over
 * its own role, and having no credentials at all is an error (it was named).
 */
static int profile_creds(skycrate_credentials **out, resolution *r, const char *profile,
                         bool as_source)
{
    skycrate__profile_creds pc;
    int error;
    if (as_source) {
        if ((error = skycrate__profile_static_keys(&pc, r->cfg, profile)) < 0)
            return error;
        if (pc.kind == SKYCRATE__PROFILE_CREDS_STATIC)
            return skycrate_credentials_new(out, pc.access_key_id, pc.secret_access_key,
                                            pc.session_token, 0);
    }
    if ((error = skycrate__profile_creds_resolve(&pc, r->cfg, profile)) < 0)
        return error;
    switch (pc.kind) {
    case SKYCRATE__PROFILE_CREDS_STATIC:
        return skycrate_credentials_new(out, pc.access_key_id, pc.secret_access_key,
                                        pc.session_token, 0);
    case SKYCRATE__PROFILE_CREDS_PROCESS:
        return skycrate__credential_process_run(out, pc.process, r->pp->process_timeout_ms,
                                                profile);
    case SKYCRATE__PROFILE_CREDS_ASSUME_ROLE: return assume_role(out, r, &pc);
    case SKYCRATE__PROFILE_CREDS_WEB_IDENTITY: return web_identity(out, r, &pc);
    case SKYCRATE__PROFILE_CREDS_SSO: return refuse_sso(&pc);
    case SKYCRATE__PROFILE_CREDS_NONE:
    default: break;
    }
    return skycrate__error_set(as_source ? SKYCRATE_EINVAL : SKYCRATE_ENOTFOUND,
                               "profile '%s' has no credential settings in %s or %s%s", profile,
                               show(r->cfg->credentials_path), show(r->cfg->config_path),
                               as_source ? " (it is a source_profile)" : "");
}

static int profile_get(skycrate_credentials **out, void *user_data)
{
    profile_provider *pp = user_data;
    skycrate__aws_config cfg;
    int error = skycrate__aws_config_load(&cfg, pp->profile);
    if (error < 0)
        return error;
    if (!skycrate__aws_config_has_profile(&cfg, cfg.profile)) {
        const char *creds = cfg.credentials_path ? cfg.credentials_path : "(no home directory)";
        const char *conf = cfg.config_path ? cfg.config_path : "(no home directory)";
        /* A profile someone named must exist; a missing default lets the chain move on. */
        if (cfg.profile_from)
            error = skycrate__error_set(SKYCRATE_EINVAL,
                                        "profile '%s' (named by %s) is in neither %s nor %s",
                                        cfg.profile, cfg.profile_from, creds, conf);
        else
            error = skycrate__error_set(SKYCRATE_ENOTFOUND, "no profile '%s' in %s or %s",
                                        cfg.profile, creds, conf);
        goto done;
    }
    resolution r;
    memset(&r, 0, sizeof(r));
    r.pp = pp;
    r.cfg = &cfg;
    error = profile_creds(out, &r, cfg.profile, false);
done:
    skycrate__aws_config_dispose(&cfg);
    return error;
}

static void profile_free(void *user_data)
{
    profile_provider *pp = user_data;
    skycrate__creds_http_unref(pp->http);
    skycrate__free(pp->profile);
    skycrate__free(pp);
}

int skycrate__credentials_provider_new_profile_http(skycrate_credentials_provider **out,
                                                    const char *profile,
                                                    uint32_t process_timeout_ms,
                                                    skycrate__creds_http *http)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    profile_provider *pp = skycrate__calloc(1, sizeof(*pp));
    if (!pp)
        return skycrate__error_nomem();
    int error = 0;
    pp->process_timeout_ms = process_timeout_ms;
    if (profile && *profile && !(pp->profile = skycrate__strdup(profile))) {
        error = skycrate__error_nomem();
        goto done;
    }
    if (http)
        pp->http = skycrate__creds_http_ref(http);
    else if ((error = skycrate__creds_http_new(&pp->http, NULL, NULL)) < 0)
        goto done;
    error = skycrate__credentials_provider_wrap(out, profile_get, profile_free, pp, "profile");
done:
    if (error < 0)
        profile_free(pp);
    return error;
}

int skycrate__credentials_provider_new_profile(skycrate_credentials_provider **out,
                                               const char *profile, uint32_t process_timeout_ms)
{
    return skycrate__credentials_provider_new_profile_http(out, profile, process_timeout_ms, NULL);
}
