/*
 * Reading the presign golden cases, comparing presigned URLs and the frozen clock, for
 * test_presign, test_presigner and test_post_policy.
 */
#include "presigncases.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "s3/client.h"
#include "s3/endpoint.h"
#include "testutil.h"
#include "testvectors.h"

json_t *load_context(const char *sub, const char *name, char *dir, size_t dir_size)
{
    case_dir(dir, dir_size, sub, name);
    char *text = must_read(dir, "context.json");
    json_error_t jerr;
    json_t *ctx = json_loads(text, 0, &jerr);
    ck_assert_msg(ctx != NULL, "%s: %s", name, jerr.text);
    free(text);
    return ctx;
}

const char *jstr(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

skycrate_presign_request *golden_request(const json_t *ctx)
{
    const json_t *r = json_object_get(ctx, "request");
    skycrate_presign_request *req = NULL;
    ck_assert_sky_ok(
        skycrate_presign_request_new(&req, jstr(r, "method"), jstr(r, "bucket"), jstr(r, "key")));
    ck_assert_sky_ok(skycrate_presign_request_set_expires(
        req, json_integer_value(json_object_get(r, "expires"))));
    ck_assert_sky_ok(
        skycrate_presign_request_set_time(req, json_integer_value(json_object_get(r, "time"))));
    size_t i;
    json_t *pair;
    json_array_foreach(json_object_get(r, "headers"), i, pair)
    {
        ck_assert_sky_ok(
            skycrate_presign_request_add_header(req, json_string_value(json_array_get(pair, 0)),
                                                json_string_value(json_array_get(pair, 1))));
    }
    json_array_foreach(json_object_get(r, "query"), i, pair)
    {
        ck_assert_sky_ok(
            skycrate_presign_request_add_query(req, json_string_value(json_array_get(pair, 0)),
                                               json_string_value(json_array_get(pair, 1))));
    }
    if (jstr(r, "upload_id"))
        ck_assert_sky_ok(skycrate_presign_request_set_upload_part(
            req, jstr(r, "upload_id"),
            (uint32_t)json_integer_value(json_object_get(r, "part_number"))));
    return req;
}

skycrate_client *golden_client(const json_t *ctx)
{
    const json_t *cfgj = json_object_get(ctx, "config");
    const json_t *cj = json_object_get(ctx, "credentials");
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&creds, jstr(cj, "access_key_id"),
                                              jstr(cj, "secret_access_key"),
                                              jstr(cj, "session_token"), 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&provider, creds));
    skycrate_credentials_unref(creds);

    skycrate_client_config *cfg = NULL;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, jstr(cfgj, "region")));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, jstr(cfgj, "endpoint")));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, 1));
    const char *addressing = jstr(cfgj, "addressing");
    ck_assert_sky_ok(skycrate_client_config_set_addressing(
        cfg, !strcmp(addressing, "path")      ? SKYCRATE_ADDRESSING_PATH
             : !strcmp(addressing, "virtual") ? SKYCRATE_ADDRESSING_VIRTUAL
                                              : SKYCRATE_ADDRESSING_AUTO));
    ck_assert_sky_ok(skycrate_client_config_set_credentials_provider(cfg, provider));
    skycrate_credentials_provider_unref(provider);
    skycrate_client *client = NULL;
    ck_assert_sky_ok(skycrate_client_new(&client, cfg));
    skycrate_client_config_free(cfg);
    /* Endpoint variants have no public setter yet: set them as a configuration would. */
    if (json_is_true(json_object_get(cfgj, "dualstack")))
        client->endpoint_flags |= SKYCRATE__ENDPOINT_DUALSTACK;
    if (json_is_true(json_object_get(cfgj, "fips")))
        client->endpoint_flags |= SKYCRATE__ENDPOINT_FIPS;
    return client;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void assert_same_url(const char *got, const char *want)
{
    const char *gq = strchr(got, '?'), *wq = strchr(want, '?');
    ck_assert_ptr_nonnull(gq);
    ck_assert_ptr_nonnull(wq);
    ck_assert_msg((size_t)(gq - got) == (size_t)(wq - want) && !strncmp(got, want, gq - got),
                  "URL before the query:\n got %.*s\nwant %.*s", (int)(gq - got), got,
                  (int)(wq - want), want);
    char *g = strdup(gq + 1), *w = strdup(wq + 1);
    char *gp[128], *wp[128];
    size_t gn = 0, wn = 0;
    for (char *s = strtok(g, "&"); s && gn < 128; s = strtok(NULL, "&"))
        gp[gn++] = s;
    for (char *s = strtok(w, "&"); s && wn < 128; s = strtok(NULL, "&"))
        wp[wn++] = s;
    ck_assert_uint_eq(gn, wn);
    qsort(gp, gn, sizeof(char *), str_cmp);
    qsort(wp, wn, sizeof(char *), str_cmp);
    for (size_t i = 0; i < gn; i++)
        ck_assert_str_eq(gp[i], wp[i]);
    free(g);
    free(w);
}

void assert_sorted_query(const char *url)
{
    char *q = strdup(strchr(url, '?') + 1), *prev = NULL;
    char *sig = strstr(q, "&X-Amz-Signature=");
    ck_assert_ptr_nonnull(sig);
    ck_assert_ptr_null(strchr(sig + 1, '&'));
    *sig = '\0';
    for (char *s = strtok(q, "&"); s; s = strtok(NULL, "&")) {
        if (prev)
            ck_assert_msg(strcmp(prev, s) < 0, "%s before %s", prev, s);
        prev = s;
    }
    free(q);
}

int64_t presign_clock_ms;

int64_t presign_clock(void *user_data)
{
    (void)user_data;
    return presign_clock_ms;
}

void presign_setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    presign_clock_ms = (int64_t)PRESIGN_T0 * 1000;
    skycrate__clock_override(presign_clock, NULL);
}

void presign_teardown(void)
{
    skycrate__clock_override(NULL, NULL);
    skycrate_global_cleanup();
}
