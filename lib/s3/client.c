/*
 * The client handle and its configuration.
 * SPDX-License-Identifier: MIT
 */
#include "s3/client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "core/syntax.h"
#include "core/time.h"
#include "creds/creds.h"
#include "creds/net.h"
#include "creds/profile.h"
#include "http/http.h"
#include "skycrate/version.h"

/* Concurrent lanes of the default transport: enough for the provisioner's independent steps. */
#define DEFAULT_LANES 6

int skycrate_client_config_new(skycrate_client_config **out)
{
    SKYCRATE_ASSERT_ARG(out);
    skycrate_client_config *cfg = skycrate__calloc(1, sizeof(*cfg));
    if (!cfg)
        return skycrate__error_nomem();
    cfg->magic = SKYCRATE_MAGIC_CLIENT_CONFIG;
    cfg->addressing = SKYCRATE_ADDRESSING_AUTO;
    cfg->connect_timeout_ms = 10000;
    cfg->request_timeout_ms = 300000;
    cfg->max_attempts = 3;
    cfg->base_delay_ms = 100;
    cfg->max_delay_ms = 20000;
    *out = cfg;
    return 0;
}

void skycrate_client_config_free(skycrate_client_config *cfg)
{
    if (!cfg || cfg->magic != SKYCRATE_MAGIC_CLIENT_CONFIG)
        return;
    skycrate__free(cfg->region);
    skycrate__free(cfg->endpoint_url);
    skycrate__free(cfg->user_agent_suffix);
    skycrate__free(cfg->ca_file);
    skycrate__free(cfg->ca_path);
    skycrate_credentials_provider_unref(cfg->provider);
    skycrate_http_transport_unref(cfg->transport);
    cfg->magic = 0;
    skycrate__free(cfg);
}

int skycrate_client_config_set_region(skycrate_client_config *cfg, const char *region)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    SKYCRATE_ASSERT_ARG(region);
    int error = skycrate__region_check(region, "region");
    return error < 0 ? error : skycrate__set_string(&cfg->region, region);
}

int skycrate_client_config_set_endpoint(skycrate_client_config *cfg, const char *url)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    if (url) {
        skycrate__endpoint ep;
        int error = skycrate__endpoint_parse(&ep, url);
        if (error < 0)
            return error;
        skycrate__endpoint_dispose(&ep);
    }
    int error = skycrate__set_string(&cfg->endpoint_url, url);
    if (error == 0)
        cfg->endpoint_set = true;
    return error;
}

int skycrate_client_config_set_allow_http(skycrate_client_config *cfg, int allow)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    cfg->allow_http = allow != 0;
    return 0;
}

int skycrate_client_config_set_addressing(skycrate_client_config *cfg,
                                          skycrate_addressing addressing)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    if (addressing != SKYCRATE_ADDRESSING_AUTO && addressing != SKYCRATE_ADDRESSING_VIRTUAL &&
        addressing != SKYCRATE_ADDRESSING_PATH)
        return skycrate__error_set(SKYCRATE_EINVAL, "unknown addressing style %d", (int)addressing);
    cfg->addressing = addressing;
    cfg->addressing_set = true;
    return 0;
}

int skycrate_client_config_set_endpoint_flags(skycrate_client_config *cfg, uint32_t flags)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    if (flags & ~(uint32_t)(SKYCRATE_ENDPOINT_DUALSTACK | SKYCRATE_ENDPOINT_FIPS))
        return skycrate__error_set(SKYCRATE_EINVAL, "unknown endpoint flags 0x%x", (unsigned)flags);
    cfg->endpoint_flags = flags;
    cfg->endpoint_flags_set = true;
    return 0;
}

/* AWS_USE_DUALSTACK_ENDPOINT / AWS_USE_FIPS_ENDPOINT, as the SDKs read them. */
static uint32_t endpoint_flags_from_env(void)
{
    uint32_t flags = 0;
    const char *v = getenv("AWS_USE_DUALSTACK_ENDPOINT");
    if (v && !strcasecmp(v, "true"))
        flags |= SKYCRATE_ENDPOINT_DUALSTACK;
    v = getenv("AWS_USE_FIPS_ENDPOINT");
    if (v && !strcasecmp(v, "true"))
        flags |= SKYCRATE_ENDPOINT_FIPS;
    return flags;
}

int skycrate_client_config_set_timeouts(skycrate_client_config *cfg, uint32_t connect_timeout_ms,
                                        uint32_t request_timeout_ms)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    cfg->connect_timeout_ms = connect_timeout_ms;
    cfg->request_timeout_ms = request_timeout_ms;
    return 0;
}

int skycrate_client_config_set_retry(skycrate_client_config *cfg, uint32_t max_attempts,
                                     uint32_t base_delay_ms, uint32_t max_delay_ms)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    if (max_attempts < 1 || max_attempts > 20)
        return skycrate__error_set(SKYCRATE_EINVAL, "max_attempts must be 1..20, not %u",
                                   max_attempts);
    if (max_delay_ms < base_delay_ms)
        return skycrate__error_set(SKYCRATE_EINVAL, "max_delay_ms (%u) is below base_delay_ms (%u)",
                                   max_delay_ms, base_delay_ms);
    cfg->max_attempts = max_attempts;
    cfg->base_delay_ms = base_delay_ms;
    cfg->max_delay_ms = max_delay_ms;
    return 0;
}

int skycrate_client_config_set_user_agent_suffix(skycrate_client_config *cfg, const char *suffix)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    for (const char *p = suffix; p && *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "the user-agent suffix must be printable ASCII");
    return skycrate__set_string(&cfg->user_agent_suffix, suffix);
}

int skycrate_client_config_set_ca(skycrate_client_config *cfg, const char *ca_file,
                                  const char *ca_path)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    char *old_file = cfg->ca_file, *old_path = cfg->ca_path;
    cfg->ca_file = cfg->ca_path = NULL;
    if (skycrate__set_string(&cfg->ca_file, ca_file) < 0 ||
        skycrate__set_string(&cfg->ca_path, ca_path) < 0) {
        skycrate__free(cfg->ca_file);
        cfg->ca_file = old_file;
        cfg->ca_path = old_path;
        return SKYCRATE_ENOMEM;
    }
    skycrate__free(old_file);
    skycrate__free(old_path);
    return 0;
}

int skycrate_client_config_set_transport(skycrate_client_config *cfg,
                                         skycrate_http_transport *transport)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    if (transport)
        SKYCRATE_ASSERT_HANDLE(transport, SKYCRATE_MAGIC_HTTP_TRANSPORT);
    skycrate_http_transport_unref(cfg->transport);
    cfg->transport = skycrate_http_transport_ref(transport);
    return 0;
}

int skycrate_client_config_set_credentials_provider(skycrate_client_config *cfg,
                                                    skycrate_credentials_provider *provider)
{
    SKYCRATE_ASSERT_HANDLE(cfg, SKYCRATE_MAGIC_CLIENT_CONFIG);
    if (provider)
        SKYCRATE_ASSERT_HANDLE(provider, SKYCRATE_MAGIC_CREDENTIALS_PROVIDER);
    skycrate_credentials_provider_unref(cfg->provider);
    cfg->provider = skycrate_credentials_provider_ref(provider);
    return 0;
}

void skycrate_client_free(skycrate_client *client)
{
    if (!client || client->magic != SKYCRATE_MAGIC_CLIENT)
        return;
    skycrate_http_transport_unref(client->transport);
    skycrate_credentials_provider_unref(client->provider);
    skycrate__endpoint_dispose(&client->endpoint);
    for (size_t i = 0; i < client->region_count; i++) {
        skycrate__free(client->regions[i].bucket);
        skycrate__free(client->regions[i].region);
    }
    skycrate__free(client->regions);
    skycrate__response_record_dispose(&client->last);
    pthread_mutex_destroy(&client->lock);
    skycrate__clock_unref(client->clock);
    skycrate__free(client->region);
    skycrate__free(client->user_agent);
    client->magic = 0;
    skycrate__free(client);
}

/* A client with cfg's settings copied and its clock made; the rest is resolved by the steps
 * after it. */
static int client_alloc(skycrate_client **out, const skycrate_client_config *cfg)
{
    skycrate_client *c = skycrate__calloc(1, sizeof(*c));
    if (!c)
        return skycrate__error_nomem();
    c->magic = SKYCRATE_MAGIC_CLIENT;
    pthread_mutex_init(&c->lock, NULL);
    skycrate__response_record_init(&c->last);
    c->addressing = cfg->addressing;
    c->allow_http = cfg->allow_http;
    c->endpoint_flags = cfg->endpoint_flags_set ? cfg->endpoint_flags : endpoint_flags_from_env();
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->request_timeout_ms = cfg->request_timeout_ms;
    c->max_attempts = cfg->max_attempts;
    c->base_delay_ms = cfg->base_delay_ms;
    c->max_delay_ms = cfg->max_delay_ms;
    *out = c; /* from here on, failures free it through skycrate_client_free() */
    return skycrate__clock_new(&c->clock) < 0 ? skycrate__error_nomem() : 0;
}

/* The endpoint, parsed; plain http only to loopback unless the configuration allows it. */
static int client_set_endpoint(skycrate_client *c, const char *endpoint, bool allow_http)
{
    int error = skycrate__endpoint_parse(&c->endpoint, endpoint);
    if (error < 0)
        return error;
    c->has_endpoint = true;
    if (!c->endpoint.https &&
        !skycrate__plain_http_allowed(c->endpoint.host, strlen(c->endpoint.host), allow_http))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "endpoint '%s' is plain http to a host that is not "
                                   "loopback (credentials and data would travel in the "
                                   "clear): allow it with "
                                   "skycrate_client_config_set_allow_http()",
                                   endpoint);
    return 0;
}

/* What the configuration leaves open (region, endpoint, addressing) comes from the environment
 * and the AWS profile, as the SDKs resolve it. */
static int client_resolve(skycrate_client *c, const skycrate_client_config *cfg)
{
    int error = 0;
    skycrate__aws_settings settings;
    memset(&settings, 0, sizeof(settings));
    if ((!cfg->region || !cfg->endpoint_set || !cfg->addressing_set) &&
        (error = skycrate__aws_settings_resolve(&settings, NULL)) < 0)
        goto done;
    const char *region = cfg->region       ? cfg->region
                         : settings.region ? settings.region
                                           : "us-east-1";
    /* The setter and skycrate__aws_settings_resolve() checked it (skycrate__region_check()). */
    if (!(c->region = skycrate__strdup(region))) {
        error = skycrate__error_nomem();
        goto done;
    }
    if (!cfg->addressing_set && settings.s3_addressing_style)
        c->addressing = !strcmp(settings.s3_addressing_style, "path") ? SKYCRATE_ADDRESSING_PATH
                        : !strcmp(settings.s3_addressing_style, "virtual")
                            ? SKYCRATE_ADDRESSING_VIRTUAL
                            : SKYCRATE_ADDRESSING_AUTO;
    const char *endpoint = cfg->endpoint_set ? cfg->endpoint_url : settings.s3_endpoint;
    if (endpoint)
        error = client_set_endpoint(c, endpoint, cfg->allow_http);
done:
    skycrate__aws_settings_dispose(&settings);
    return error;
}

/* "libskycrate/<version>", then the configuration's suffix. */
static int client_user_agent(skycrate_client *c, const skycrate_client_config *cfg)
{
    skycrate__buf ua = SKYCRATE_BUF_INIT;
    int error = skycrate__buf_printf(&ua, "libskycrate/%s", SKYCRATE_VERSION);
    if (error == 0 && cfg->user_agent_suffix)
        error = skycrate__buf_printf(&ua, " %s", cfg->user_agent_suffix);
    if (error < 0) {
        skycrate__buf_dispose(&ua);
        return error;
    }
    c->user_agent = skycrate__buf_detach(&ua);
    return 0;
}

/* The configuration's provider and transport, or the default chain and the libcurl
 * transport, which trust the configuration's CAs. */
static int client_connect(skycrate_client *c, const skycrate_client_config *cfg)
{
    int error = 0;
    if (cfg->provider) {
        c->provider = skycrate_credentials_provider_ref(cfg->provider);
    } else {
        /* The default chain's STS, container and IMDS requests trust the same CAs. */
        skycrate__curl_options creds_opts = {cfg->ca_file, cfg->ca_path, c->user_agent, 1};
        if ((error = skycrate__credentials_provider_default_ex(&c->provider, NULL, &creds_opts,
                                                               cfg->allow_http)) < 0)
            return error;
    }
    if (cfg->transport) {
        c->transport = skycrate_http_transport_ref(cfg->transport);
    } else {
        skycrate__curl_options opts = {cfg->ca_file, cfg->ca_path, c->user_agent, DEFAULT_LANES};
        error = skycrate__curl_transport_new(&c->transport, &opts);
    }
    return error;
}

int skycrate_client_new(skycrate_client **out, const skycrate_client_config *cfg)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    if (!skycrate__global_initialized())
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "call skycrate_global_init() before creating a client");
    int error = 0;
    skycrate_client_config *defaults = NULL;
    if (!cfg) {
        if ((error = skycrate_client_config_new(&defaults)) < 0)
            goto done;
        cfg = defaults;
    }
    if (cfg->magic != SKYCRATE_MAGIC_CLIENT_CONFIG) {
        error = skycrate__error_set(SKYCRATE_EINVAL, "invalid handle: config");
        goto done;
    }
    if ((error = client_alloc(out, cfg)) == 0 && (error = client_resolve(*out, cfg)) == 0 &&
        (error = client_user_agent(*out, cfg)) == 0)
        error = client_connect(*out, cfg);
done:
    if (error < 0 && *out) {
        skycrate_client_free(*out);
        *out = NULL;
    }
    skycrate_client_config_free(defaults);
    return error;
}

const skycrate_response_info *skycrate_client_last_response(const skycrate_client *client)
{
    static const skycrate_response_info empty = {1, 0, "", "", "", "", "", "", "", 0};
    if (!client || client->magic != SKYCRATE_MAGIC_CLIENT)
        return &empty;
    return &client->last.info;
}

const char *skycrate_client_region(const skycrate_client *client)
{
    if (!client || client->magic != SKYCRATE_MAGIC_CLIENT)
        return "";
    return client->region;
}

int64_t skycrate_client_clock_offset(const skycrate_client *client)
{
    if (!client || client->magic != SKYCRATE_MAGIC_CLIENT)
        return 0;
    return skycrate__clock_offset(client->clock);
}

int skycrate_client_set_clock_offset(skycrate_client *client, int64_t seconds)
{
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    if (seconds < -SKYCRATE__CLOCK_OFFSET_MAX || seconds > SKYCRATE__CLOCK_OFFSET_MAX)
        return skycrate__error_set(
            SKYCRATE_EINVAL, "client: a clock offset of %lld s is beyond +-%lld s (ten years)",
            (long long)seconds, (long long)SKYCRATE__CLOCK_OFFSET_MAX);
    skycrate__clock_set_offset(client->clock, seconds);
    return 0;
}

int64_t skycrate__client_now(skycrate_client *client)
{
    return skycrate__clock_now(client->clock);
}

int skycrate__client_region_for(skycrate_client *client, skycrate__buf *out, const char *bucket)
{
    const char *region = client->region;
    pthread_mutex_lock(&client->lock);
    for (size_t i = 0; bucket && i < client->region_count; i++)
        if (!strcmp(client->regions[i].bucket, bucket))
            region = client->regions[i].region;
    skycrate__buf_clear(out);
    int error = skycrate__buf_puts(out, region);
    pthread_mutex_unlock(&client->lock);
    return error;
}

int skycrate__client_remember_region(skycrate_client *client, const char *bucket,
                                     const char *region)
{
    /* Regions come from servers and records too: they become host names. */
    int error = skycrate__region_check(region, "the bucket's region");
    if (error < 0)
        return error;
    pthread_mutex_lock(&client->lock);
    for (size_t i = 0; i < client->region_count; i++) {
        if (!strcmp(client->regions[i].bucket, bucket)) {
            char *copy = skycrate__strdup(region);
            if (!copy) {
                error = skycrate__error_nomem();
            } else {
                skycrate__free(client->regions[i].region);
                client->regions[i].region = copy;
            }
            goto done;
        }
    }
    skycrate__bucket_region *grown =
        skycrate__realloc(client->regions, (client->region_count + 1) * sizeof(*grown));
    if (!grown) {
        error = skycrate__error_nomem();
        goto done;
    }
    client->regions = grown;
    skycrate__bucket_region *e = &grown[client->region_count];
    e->bucket = skycrate__strdup(bucket);
    e->region = skycrate__strdup(region);
    if (!e->bucket || !e->region) {
        skycrate__free(e->bucket);
        skycrate__free(e->region);
        error = skycrate__error_nomem();
        goto done;
    }
    client->region_count++;
done:
    pthread_mutex_unlock(&client->lock);
    return error;
}
