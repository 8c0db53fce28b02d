/*
 * The provisioner handle: creation from a configuration, the user store, loading records, and
 * show. The operations live in provision.c, deprovision.c, verify.c and usage.c.
 * SPDX-License-Identifier: MIT
 */
#include "provision/provisioner.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "provision/record.h"
#include "s3/endpoint.h"
#include "store/store.h"

static const skycrate__provision_tuning default_tuning = {
    .name_attempts = 5,
    .nosuchbucket_attempts = 6,
    .nosuchbucket_delay_ms = 100,
    .delete_rounds = 3,
    .confirm_attempts = 5,
    .confirm_delay_ms = 200,
};

void skycrate_provisioner_free(skycrate_provisioner *p)
{
    if (!p || p->magic != SKYCRATE_MAGIC_PROVISIONER)
        return;
    skycrate_user_store_unref(p->store);
    skycrate__profile_dispose(&p->profile);
    skycrate__free(p->region);
    skycrate__free(p->endpoint);
    p->magic = 0;
    skycrate__free(p);
}

/* What records name as the endpoint: the custom endpoint's URL, or AWS's regional one. */
static int endpoint_text(char **out, skycrate_client *client, const char *region)
{
    skycrate__target t;
    skycrate__buf b = SKYCRATE_BUF_INIT;
    int error =
        skycrate__target_resolve(&t, client->has_endpoint ? &client->endpoint : NULL, region,
                                 client->addressing, client->endpoint_flags, NULL, NULL);
    if (error < 0)
        return error;
    if ((error = skycrate__buf_puts(&b, skycrate__buf_cstr(&t.base))) == 0 && client->has_endpoint)
        error = skycrate__buf_puts(&b, client->endpoint.path_prefix);
    skycrate__target_dispose(&t);
    if (error == 0 && !(*out = skycrate__buf_detach(&b)))
        error = skycrate__error_nomem();
    skycrate__buf_dispose(&b);
    return error;
}

int skycrate_provisioner_new(skycrate_provisioner **out, skycrate_client *client,
                             const skycrate_provisioner_config *cfg_in)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    if (!skycrate__global_initialized())
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "call skycrate_global_init() before creating a provisioner");
    int error = 0;
    skycrate_provisioner_config *defaults = NULL;
    skycrate_provisioner *p = NULL;
    if (!cfg_in) {
        if ((error = skycrate_provisioner_config_new(&defaults)) < 0)
            return error;
        cfg_in = defaults;
    }
    const skycrate_provisioner_config *cfg = cfg_in;
    if (cfg->magic != SKYCRATE_MAGIC_PROVISIONER_CONFIG) {
        error = skycrate__error_set(SKYCRATE_EINVAL, "invalid handle: config");
        goto done;
    }
    if (!cfg->dev && (!client || client->magic != SKYCRATE_MAGIC_CLIENT)) {
        error = skycrate__error_set(SKYCRATE_EINVAL, "a provisioner needs a client (or dev mode)");
        goto done;
    }
    if (client && client->magic != SKYCRATE_MAGIC_CLIENT) {
        error = skycrate__error_set(SKYCRATE_EINVAL, "invalid handle: client");
        goto done;
    }
    if (!(p = skycrate__calloc(1, sizeof(*p)))) {
        error = skycrate__error_nomem();
        goto done;
    }
    p->magic = SKYCRATE_MAGIC_PROVISIONER;
    p->client = client;
    p->mode = cfg->mode;
    p->dev = cfg->dev;
    p->tuning = default_tuning;
    snprintf(p->prefix, sizeof(p->prefix), "%s",
             cfg->prefix ? cfg->prefix : SKYCRATE__BUCKET_PREFIX_DEFAULT);
    unsigned int transport_lanes = client ? skycrate__http_transport_lanes(client->transport) : 1;
    p->lanes = cfg->lanes && cfg->lanes < transport_lanes ? cfg->lanes : transport_lanes;
    /* S3-compatible servers may lose concurrent configuration writes of one bucket (radosgw 16
     * keeps them all in the bucket's attributes and rewrites them without a lock). */
    p->config_lanes = cfg->lanes || cfg->mode == SKYCRATE_FAILURE_MODE_STRICT ? p->lanes : 1;
    if ((error = skycrate__profile_copy(&p->profile, &cfg->profile)) < 0)
        goto done;
    if (!(p->region = skycrate__strdup(client ? client->region : "us-east-1"))) {
        error = skycrate__error_nomem();
        goto done;
    }
    if (client && !cfg->dev) {
        if ((error = endpoint_text(&p->endpoint, client, client->region)) < 0)
            goto done;
    } else if (!(p->endpoint = skycrate__strdup(""))) {
        error = skycrate__error_nomem();
        goto done;
    }
    if (cfg->store)
        p->store = skycrate_user_store_ref(cfg->store);
    else if ((error = skycrate_user_store_new_file(&p->store, NULL, 0)) < 0)
        goto done;
done:
    if (error < 0) {
        skycrate_provisioner_free(p);
        p = NULL;
    }
    *out = p;
    skycrate_provisioner_config_free(defaults);
    return error;
}

bool skycrate__record_is_dev(const json_t *record)
{
    return !strcmp(skycrate__record_str(record, "mode"), "dev");
}

int skycrate__provisioner_load(json_t **out, skycrate_provisioner *p, const char *user_id)
{
    char *text = NULL;
    json_t *record = NULL;
    *out = NULL;
    int error = skycrate_user_store_get(&text, p->store, user_id);
    if (error == 0)
        error = skycrate__record_parse(&record, text, strlen(text), SKYCRATE_EPARSE,
                                       "the user's record");
    skycrate__free(text);
    if (error < 0)
        return error;
    if ((error = skycrate__record_check(record, user_id)) < 0) {
        json_decref(record);
        return error;
    }
    *out = record;
    return 0;
}

int skycrate__provisioner_reach(skycrate_provisioner *p, const json_t *record, const char *user_id,
                                const char *what)
{
    skycrate_state state = skycrate__record_state(record);
    if (state == SKYCRATE_STATE_DELETED ||
        (state == SKYCRATE_STATE_FAILED && json_is_true(json_object_get(record, "rolledBack"))))
        return skycrate__error_set(SKYCRATE_ENOTFOUND, "user '%.64s' has no bucket (%s)", user_id,
                                   skycrate__state_name(state));
    if (!p->client)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "a dev-mode provisioner cannot %s an aws record", what);
    return skycrate__provisioner_target(p, record);
}

int skycrate__provisioner_target(skycrate_provisioner *p, const json_t *record)
{
    const char *endpoint = skycrate__record_str(record, "endpoint");
    const char *region = skycrate__record_str(record, "region");
    char *expected = NULL;
    if (!p->client)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "the record names a real bucket (on %s), and this dev-mode "
                                   "provisioner has no client",
                                   endpoint);
    /* The same server: the same custom endpoint, or AWS (in the bucket's region). */
    int error = endpoint_text(&expected, p->client, *region ? region : p->client->region);
    if (error < 0)
        return error;
    if (strcmp(endpoint, expected))
        error = skycrate__error_set(SKYCRATE_EINVAL,
                                    "the bucket was made on %s, and this provisioner's client "
                                    "talks to %s",
                                    endpoint, expected);
    skycrate__free(expected);
    if (error == 0 && *region && strcmp(region, p->client->region))
        error = skycrate__client_remember_region(p->client, skycrate__record_str(record, "bucket"),
                                                 region);
    return error;
}

int skycrate__provisioner_check_call(const skycrate_provisioner *p, const char *user_id)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_PROVISIONER);
    SKYCRATE_ASSERT_ARG(user_id);
    return skycrate__user_id_check(user_id);
}

int skycrate_provisioner_show(skycrate_record **out, skycrate_provisioner *p, const char *user_id)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    json_t *record = NULL;
    int error = skycrate__provisioner_check_call(p, user_id);
    if (error == 0)
        error = skycrate__provisioner_load(&record, p, user_id);
    if (error == 0)
        error = skycrate__record_wrap(out, record);
    json_decref(record);
    return error;
}
