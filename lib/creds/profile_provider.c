/*
 * The profile provider: the credentials of a profile of the AWS shared files, static keys or
 * credential_process. Profiles that need STS or SSO are recognised and refused, not guessed.
 * SPDX-License-Identifier: MIT
 */
#include "creds/profile.h"

#include <string.h>

#include "core/common.h"

typedef struct {
    char *profile; /* NULL: chosen from the environment at each get */
    uint32_t process_timeout_ms;
} profile_provider;

static int needs_network(const skycrate__profile_creds *pc)
{
    const char *what = "uses AWS IAM Identity Center (SSO)";
    const char *key = pc->sso_session ? "sso_session" : "sso_start_url";
    if (pc->kind == SKYCRATE__PROFILE_CREDS_ASSUME_ROLE) {
        what = "assumes a role";
        key = "role_arn";
    } else if (pc->kind == SKYCRATE__PROFILE_CREDS_WEB_IDENTITY) {
        what = "assumes a role with a web identity token";
        key = "role_arn";
    }
    return skycrate__error_set(SKYCRATE_EAUTH,
                               "profile '%s' %s (%s in %s line %u), which this version of "
                               "libskycrate cannot do",
                               pc->profile, what, key, pc->where.path, pc->where.pair->line);
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
    skycrate__profile_creds pc;
    if ((error = skycrate__profile_creds_resolve(&pc, &cfg, cfg.profile)) < 0)
        goto done;
    switch (pc.kind) {
    case SKYCRATE__PROFILE_CREDS_STATIC:
        error = skycrate_credentials_new(out, pc.access_key_id, pc.secret_access_key,
                                         pc.session_token, 0);
        break;
    case SKYCRATE__PROFILE_CREDS_PROCESS:
        error =
            skycrate__credential_process_run(out, pc.process, pp->process_timeout_ms, cfg.profile);
        break;
    case SKYCRATE__PROFILE_CREDS_ASSUME_ROLE:
    case SKYCRATE__PROFILE_CREDS_WEB_IDENTITY:
    case SKYCRATE__PROFILE_CREDS_SSO:
        /* The STS step plugs in here (see profile.h); until then this is a clear refusal. */
        error = needs_network(&pc);
        break;
    case SKYCRATE__PROFILE_CREDS_NONE:
    default:
        error = skycrate__error_set(SKYCRATE_ENOTFOUND,
                                    "profile '%s' has no credential settings in %s or %s",
                                    cfg.profile, cfg.credentials_path ? cfg.credentials_path : "-",
                                    cfg.config_path ? cfg.config_path : "-");
        break;
    }
done:
    skycrate__aws_config_dispose(&cfg);
    return error;
}

static void profile_free(void *user_data)
{
    profile_provider *pp = user_data;
    skycrate__free(pp->profile);
    skycrate__free(pp);
}

int skycrate__credentials_provider_new_profile(skycrate_credentials_provider **out,
                                               const char *profile, uint32_t process_timeout_ms)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    profile_provider *pp = skycrate__calloc(1, sizeof(*pp));
    if (!pp)
        return skycrate__error_nomem();
    pp->process_timeout_ms = process_timeout_ms;
    if (profile && *profile && !(pp->profile = skycrate__strdup(profile))) {
        skycrate__free(pp);
        return skycrate__error_nomem();
    }
    int error = skycrate__credentials_provider_wrap(out, profile_get, profile_free, pp, "profile");
    if (error < 0)
        profile_free(pp);
    return error;
}
