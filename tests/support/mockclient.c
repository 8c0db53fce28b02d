/*
 * A client on the scripted mock transport (see mockclient.h).
 */
#include "mockclient.h"

#include <check.h>

#include "core/time.h"
#include "testalloc.h"
#include "testutil.h"

static int64_t frozen(void *ud)
{
    (void)ud;
    return MOCK_CLIENT_T0_MS;
}

void mock_client_begin(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate__clock_override(frozen, NULL);
}

skycrate_client *mock_client_new(mock_transport *mock, uint32_t max_attempts)
{
    skycrate_credentials *creds;
    skycrate_credentials_provider *provider;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, "AKIDEXAMPLE", "secret", NULL, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, "http://127.0.0.1:7480"));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, "us-east-1"));
    ck_assert_sky_ok(skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_PATH));
    ck_assert_sky_ok(skycrate_client_config_set_retry(cfg, max_attempts, 1, 2));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_http_transport *t = mock_transport_new(mock);
    ck_assert_sky_ok(skycrate_client_config_set_transport(cfg, t));
    skycrate_http_transport_unref(t);
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    return client;
}

void mock_client_end(mock_transport *mock, skycrate_client *client)
{
    skycrate_client_free(client);
    mock_free(mock);
    skycrate__clock_override(NULL, NULL);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
