/*
 * The AWS shared files (~/.aws/config and ~/.aws/credentials), the profile provider, the
 * credential_process runner, and region / endpoint resolution as the AWS SDKs do it.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_PROFILE_H
#define SKYCRATE_CREDS_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "creds/creds.h"
#include "creds/ini.h"

/* --- the shared files --------------------------------------------------------------------- */

/*
 * Both files, parsed, and the selected profile. Paths: AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE (a leading "~/" is the home directory), else ~/.aws/config and
 * ~/.aws/credentials (home: $HOME, else the password database). A missing file is empty.
 */
typedef struct skycrate__aws_config {
    char *profile;            /* the selected profile's name */
    const char *profile_from; /* "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "the caller", or NULL
                                 when it is "default" because nothing named one */
    char *config_path;        /* NULL when no home directory could be found */
    char *credentials_path;   /* likewise */
    bool config_found, credentials_found;
    skycrate__ini config, credentials;
} skycrate__aws_config;

/*
 * Loads both files. `profile` selects the profile; NULL: AWS_PROFILE, then
 * AWS_DEFAULT_PROFILE, then "default". Returns 0, SKYCRATE_EPARSE or SKYCRATE_EIO (naming the
 * file), or SKYCRATE_ENOMEM. On failure `cfg` is empty (disposing it again is harmless).
 */
int skycrate__aws_config_load(skycrate__aws_config *cfg, const char *profile);
void skycrate__aws_config_dispose(skycrate__aws_config *cfg);

/* True when a profile has a section in either file. */
bool skycrate__aws_config_has_profile(const skycrate__aws_config *cfg, const char *profile);

/* Which files a lookup reads. */
#define SKYCRATE__AWS_CREDENTIALS_FILE 1u
#define SKYCRATE__AWS_CONFIG_FILE 2u
#define SKYCRATE__AWS_BOTH_FILES 3u

/* Where a setting was found: the pair, and the file it is in (for messages). */
typedef struct skycrate__aws_setting {
    const skycrate__ini_pair *pair; /* NULL: not found */
    const char *path;
} skycrate__aws_setting;

/*
 * A key of a profile: `[name]` in the credentials file first, then `[profile name]` in the
 * config file (`[default]` or `[profile default]` for "default"), as botocore merges them.
 * Returns the value (never empty; an empty value counts as absent) or NULL.
 */
const char *skycrate__aws_config_get(skycrate__aws_setting *where, const skycrate__aws_config *cfg,
                                     const char *profile, const char *key, unsigned files);

/* A key of a nested block of a profile (`s3 =` + indented lines), e.g. ("s3", "endpoint_url"). */
const char *skycrate__aws_config_get_sub(skycrate__aws_setting *where,
                                         const skycrate__aws_config *cfg, const char *profile,
                                         const char *key, const char *subkey);

/* A section of the config file with a kind and a name, as `[services my-endpoints]`. */
const skycrate__ini_section *skycrate__aws_config_section(const skycrate__aws_config *cfg,
                                                          const char *kind, const char *name);

/* --- what a profile's credentials come from ----------------------------------------------- */

typedef enum {
    SKYCRATE__PROFILE_CREDS_NONE = 0,     /* no credential settings: the chain moves on */
    SKYCRATE__PROFILE_CREDS_STATIC,       /* aws_access_key_id + aws_secret_access_key */
    SKYCRATE__PROFILE_CREDS_PROCESS,      /* credential_process */
    SKYCRATE__PROFILE_CREDS_ASSUME_ROLE,  /* role_arn + source_profile | credential_source */
    SKYCRATE__PROFILE_CREDS_WEB_IDENTITY, /* role_arn + web_identity_token_file */
    SKYCRATE__PROFILE_CREDS_SSO           /* sso_session / sso_start_url (IAM Identity Center) */
} skycrate__profile_creds_kind;

/*
 * A profile's credential settings, borrowed from the skycrate__aws_config it came from.
 * Only the fields of `kind` are set; the others are NULL.
 */
typedef struct skycrate__profile_creds {
    skycrate__profile_creds_kind kind;
    const char *profile;
    skycrate__aws_setting where; /* the setting that decided `kind` (file and line) */
    /* STATIC */
    const char *access_key_id, *secret_access_key, *session_token;
    /* PROCESS */
    const char *process;
    /* ASSUME_ROLE and WEB_IDENTITY */
    const char *role_arn, *role_session_name, *external_id, *mfa_serial, *duration_seconds;
    const char *source_profile;          /* ASSUME_ROLE: one of these two */
    const char *credential_source;       /* "Environment", "Ec2InstanceMetadata", "EcsContainer" */
    const char *web_identity_token_file; /* WEB_IDENTITY */
    /* SSO */
    const char *sso_session, *sso_start_url;
} skycrate__profile_creds;

/*
 * Decides, as botocore does, where a profile's credentials come from: role_arn (with
 * source_profile or credential_source) before web_identity_token_file before SSO before
 * static keys in the credentials file before credential_process before static keys in the
 * config file. Pure: no process is run and no request is sent.
 * Returns 0 (also for kind NONE); SKYCRATE_ENOTFOUND for a profile in neither file;
 * SKYCRATE_EINVAL for an inconsistent profile (role_arn without a source or with both,
 * an access key id without its secret, or the reverse), naming the file and line.
 */
int skycrate__profile_creds_resolve(skycrate__profile_creds *out, const skycrate__aws_config *cfg,
                                    const char *profile);

/* --- credential_process ------------------------------------------------------------------- */

#define SKYCRATE__PROCESS_TIMEOUT_MS 30000u
#define SKYCRATE__PROCESS_MAX_OUTPUT (64 * 1024)

/*
 * Runs `command` with /bin/sh -c (the user's own command line, nothing added to it), stdin
 * and stderr inherited, stdout captured (at most SKYCRATE__PROCESS_MAX_OUTPUT bytes). After
 * `timeout_ms` (0: SKYCRATE__PROCESS_TIMEOUT_MS) its process group is killed. Parses the
 * output: {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}.
 * `profile` names the profile in messages; the output is never quoted in them.
 * Returns 0, SKYCRATE_ETIMEOUT, SKYCRATE_EAUTH (non-zero exit, killed by a signal),
 * SKYCRATE_EPARSE (not JSON, wrong Version, missing or mistyped fields, bad Expiration),
 * SKYCRATE_EIO (could not start it, or too much output) or SKYCRATE_ENOMEM.
 * Expired credentials are returned as they are; skycrate_credentials_provider_get() refuses them.
 */
int skycrate__credential_process_run(skycrate_credentials **out, const char *command,
                                     uint32_t timeout_ms, const char *profile);

/* Parses a credential_process answer (exposed for tests). Same codes as above. */
int skycrate__credential_process_parse(skycrate_credentials **out, const char *json, size_t len,
                                       const char *profile);

/* --- the profile provider ----------------------------------------------------------------- */

/*
 * A provider named "profile" that, each time it is asked, loads the shared files and gives
 * the credentials of `profile` (NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE, "default"): static
 * keys or credential_process (with `process_timeout_ms`, 0: 30 s). Its get returns
 * SKYCRATE_ENOTFOUND when the files or the default profile are missing or the profile has no
 * credential settings; SKYCRATE_EINVAL when a profile named by the caller or the environment
 * is missing; SKYCRATE_EAUTH for a profile that needs STS (assume role, web identity) or SSO,
 * which this provider does not do; and the codes of the files and of credential_process.
 */
int skycrate__credentials_provider_new_profile(skycrate_credentials_provider **out,
                                               const char *profile, uint32_t process_timeout_ms);

/* --- region and endpoint ------------------------------------------------------------------ */

/* Settings a client takes from the environment and the profile when it was given none. */
typedef struct skycrate__aws_settings {
    char *region;              /* NULL when none */
    const char *region_from;   /* "AWS_REGION", "AWS_DEFAULT_REGION", "profile", or NULL */
    char *s3_endpoint;         /* an http:// or https:// URL, or NULL */
    const char *endpoint_from; /* "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "services",
                                  "profile s3", "profile", or NULL */
    char *s3_addressing_style; /* "auto", "virtual", "path", or NULL when not set */
} skycrate__aws_settings;

/*
 * Resolves, for `profile` (NULL: as skycrate__aws_config_load()):
 *  - region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`;
 *  - S3 endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, then `endpoint_url` of `s3` in the
 *    profile's `services` section, then the profile's nested `s3 = endpoint_url`, then its
 *    `endpoint_url`; none at all when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
 *    ignore_configured_endpoint_urls) is true;
 *  - addressing style: the profile's nested `s3 = addressing_style`.
 * Empty environment variables count as unset. Returns 0; SKYCRATE_EINVAL for a malformed
 * region, endpoint or addressing style (naming where it came from) or a missing profile named
 * by the caller or the environment; the codes of skycrate__aws_config_load().
 */
int skycrate__aws_settings_resolve(skycrate__aws_settings *out, const char *profile);
void skycrate__aws_settings_dispose(skycrate__aws_settings *settings);

#endif
