/*
 * The radosgw that tools/test starts (tests/servers/rgw.sh) is described by environment
 * variables. Integration tests fail, never skip, when it is missing.
 */
#ifndef SKYCRATE_TEST_RGWENV_H
#define SKYCRATE_TEST_RGWENV_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "skycrate.h"

static inline const char *rgw_env(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(
        v && *v,
        "%s is not set: run the integration tests through tools/test, which starts radosgw", name);
    return v;
}

/* A client for the test server at `endpoint` (radosgw's, or a proxy's in front of it) with the
 * given secret (NULL: the right one). */
static inline skycrate_client *rgw_client_at(const char *endpoint, const char *secret)
{
    skycrate_credentials *creds;
    skycrate_credentials_provider *provider;
    ck_assert_int_eq(skycrate_credentials_new(&creds, rgw_env("SKYCRATE_TEST_ACCESS_KEY"),
                                              secret ? secret : rgw_env("SKYCRATE_TEST_SECRET_KEY"),
                                              NULL, 0),
                     0);
    ck_assert_int_eq(skycrate_credentials_provider_new_static(&provider, creds), 0);
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg;
    ck_assert_int_eq(skycrate_client_config_new(&cfg), 0);
    ck_assert_int_eq(skycrate_client_config_set_endpoint(cfg, endpoint), 0);
    ck_assert_int_eq(skycrate_client_config_set_allow_http(cfg, 1), 0);
    ck_assert_int_eq(skycrate_client_config_set_region(cfg, rgw_env("SKYCRATE_TEST_REGION")), 0);
    ck_assert_int_eq(skycrate_client_config_set_credentials_provider(cfg, provider), 0);
    skycrate_credentials_provider_unref(provider);
    skycrate_client *client;
    int rc = skycrate_client_new(&client, cfg);
    ck_assert_msg(rc == 0, "client: %s", skycrate_error_last()->message);
    skycrate_client_config_free(cfg);
    return client;
}

/* A client for the test server with the given secret (NULL: the right one). */
static inline skycrate_client *rgw_client(const char *secret)
{
    return rgw_client_at(rgw_env("SKYCRATE_TEST_ENDPOINT"), secret);
}

/* A bucket name unique to this process and call. */
static inline void rgw_bucket_name(char *out, size_t size, const char *what)
{
    static int counter;
    snprintf(out, size, "it-%s-%ld-%d-%d", what, (long)time(NULL) % 100000, (int)getpid(),
             ++counter);
}

#endif
