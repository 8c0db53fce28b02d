/*
 * The presigner handle: made from a client, immutable, shared by any number of threads. A
 * presign asks the credentials provider once, resolves the bucket's host and path through a
 * small per-thread cache (lib/s3's endpoint rules on a miss), clamps the expiry to the
 * credentials' expiration, and runs the signing engine.
 * SPDX-License-Identifier: MIT
 */
#include <stdatomic.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/creds.h"
#include "presign/presign.h"
#include "s3/client.h"
#include "sigv4/sigv4.h"

#define TARGET_ENTRIES 4
#define BUCKET_MAX 256
#define HOST_MAX 384
#define PATH_MAX_LEN 768

static atomic_ullong next_id = 1;

/* ---- the per-thread target cache ------------------------------------------------------------ */

typedef struct {
    uint64_t presigner_id; /* 0: empty */
    uint64_t last_use;
    size_t bucket_len, host_len, base_len, path_len;
    char bucket[BUCKET_MAX];
    char host[HOST_MAX];
    char base[HOST_MAX + 8];
    char path[PATH_MAX_LEN];
} target_entry;

static _Thread_local struct {
    target_entry entries[TARGET_ENTRIES];
    uint64_t tick;
} targets;

typedef skycrate__presign_spill target_spill;

static void fill_target(skycrate__presign_target *out, const target_entry *e)
{
    *out = (skycrate__presign_target){e->host,     e->host_len, e->base,
                                      e->base_len, e->path,     e->path_len};
}

/* The host, base URL and encoded path before the key for a bucket. A hit costs a memcmp. */
static int resolve(skycrate__presign_target *out, target_spill *spill, const skycrate_presigner *p,
                   const char *bucket)
{
    size_t bl = strlen(bucket);
    target_entry *victim = &targets.entries[0];
    for (size_t i = 0; i < TARGET_ENTRIES; i++) {
        target_entry *e = &targets.entries[i];
        if (e->presigner_id == p->id && e->bucket_len == bl && !memcmp(e->bucket, bucket, bl)) {
            e->last_use = ++targets.tick;
            fill_target(out, e);
            return 0;
        }
        if (e->presigner_id == 0 ? victim->presigner_id != 0 : e->last_use < victim->last_use)
            victim = e;
    }

    int error = skycrate__target_resolve(&spill->t, p->has_endpoint ? &p->endpoint : NULL,
                                         p->region, p->addressing, p->endpoint_flags, bucket, NULL);
    if (error < 0)
        return error;
    spill->path = (skycrate__buf)SKYCRATE_BUF_INIT;
    spill->used = true;
    /* "/" alone is the virtual-hosted bucket itself: the key's path then starts at "/". */
    const skycrate__buf *raw = &spill->t.path;
    size_t raw_len = (raw->len == 1 && raw->ptr[0] == '/') ? 0 : raw->len;
    if ((error = skycrate__uri_encode(&spill->path, raw->ptr, raw_len, true)) < 0 ||
        (error = skycrate__buf_grow(&spill->path, 0)) < 0)
        return error;
    *out = (skycrate__presign_target){spill->t.host.ptr, spill->t.host.len, spill->t.base.ptr,
                                      spill->t.base.len, spill->path.ptr,   spill->path.len};
    if (bl >= BUCKET_MAX || spill->t.host.len >= HOST_MAX || spill->t.base.len >= HOST_MAX + 8 ||
        spill->path.len >= PATH_MAX_LEN)
        return 0; /* served from the spill, not cached */

    target_entry *e = victim;
    e->presigner_id = p->id;
    e->last_use = ++targets.tick;
    memcpy(e->bucket, bucket, bl);
    e->bucket_len = bl;
    memcpy(e->host, spill->t.host.ptr, spill->t.host.len);
    e->host_len = spill->t.host.len;
    memcpy(e->base, spill->t.base.ptr, spill->t.base.len);
    e->base_len = spill->t.base.len;
    memcpy(e->path, spill->path.ptr, spill->path.len);
    e->path_len = spill->path.len;
    fill_target(out, e);
    return 0;
}

/* ---- the handle ----------------------------------------------------------------------------- */

int skycrate_presigner_new(skycrate_presigner **out, const struct skycrate_client *client)
{
    int error = 0;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    if (strlen(client->region) >= 64)
        return skycrate__error_set(SKYCRATE_EINVAL, "presigner: the region name is too long");
    skycrate_presigner *p = skycrate__calloc(1, sizeof(*p));
    if (p == NULL)
        return skycrate__error_nomem();
    p->magic = SKYCRATE_MAGIC_PRESIGNER;
    p->id = atomic_fetch_add(&next_id, 1);
    p->addressing = client->addressing;
    p->endpoint_flags = client->endpoint_flags;
    p->clock = skycrate__clock_ref(client->clock);
    if ((p->region = skycrate__strdup(client->region)) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    if (client->has_endpoint) {
        p->has_endpoint = true;
        p->endpoint.https = client->endpoint.https;
        p->endpoint.port = client->endpoint.port;
        if ((p->endpoint.host = skycrate__strdup(client->endpoint.host)) == NULL ||
            (p->endpoint.path_prefix = skycrate__strdup(client->endpoint.path_prefix)) == NULL) {
            error = skycrate__error_nomem();
            goto done;
        }
    }
    p->provider = skycrate_credentials_provider_ref(client->provider);
    *out = p;
    p = NULL;
done:
    skycrate_presigner_free(p);
    return error;
}

void skycrate_presigner_free(skycrate_presigner *p)
{
    if (!SKYCRATE_VALID_HANDLE(p, SKYCRATE_MAGIC_PRESIGNER))
        return;
    skycrate_credentials_provider_unref(p->provider);
    skycrate__clock_unref(p->clock);
    skycrate__endpoint_dispose(&p->endpoint);
    skycrate__free(p->region);
    p->magic = 0;
    skycrate__free(p);
}

const char *skycrate_presigner_region(const skycrate_presigner *p)
{
    return p && p->magic == SKYCRATE_MAGIC_PRESIGNER ? p->region : "";
}

/* ---- presigning ----------------------------------------------------------------------------- */

typedef skycrate__presign_plan presign_plan;

void skycrate__presign_plan_dispose(skycrate__presign_plan *plan)
{
    skycrate_credentials_unref(plan->credentials);
    plan->credentials = NULL;
    if (plan->spill.used) {
        skycrate__target_dispose(&plan->spill.t);
        skycrate__buf_dispose(&plan->spill.path);
        plan->spill.used = false;
    }
}

static void plan_dispose(presign_plan *plan)
{
    skycrate__presign_plan_dispose(plan);
}

int skycrate__presign_plan_make(skycrate__presign_plan *out, const skycrate_presigner *p,
                                const char *bucket, bool has_time, int64_t time, int64_t expires)
{
    int error = 0;
    out->credentials = NULL;
    out->spill.used = false;
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_PRESIGNER);
    out->time = has_time ? time : skycrate__clock_now(p->clock);
    out->expires = expires;
    out->clamped = false;
    /* Credentials that never change are borrowed from the provider: no reference is taken,
     * so threads presigning with one presigner share no written cache line. */
    const skycrate_credentials *c = skycrate__credentials_provider_fixed(p->provider);
    if (c == NULL) {
        if ((error = skycrate_credentials_provider_get(&out->credentials, p->provider)) < 0)
            return skycrate__error_prefix("presign: credentials");
        c = out->credentials;
    }
    out->creds = (skycrate__presign_creds){c->access_key_id, c->secret_access_key, c->session_token,
                                           c->secret_hash};
    if (c->expiration != 0 && c->expiration - out->time < out->expires) {
        int64_t left = c->expiration - out->time;
        if (left < 1) {
            char when[21];
            skycrate__format_iso8601(when, c->expiration);
            return skycrate__error_set(SKYCRATE_EEXPIRED,
                                       "presign: the credentials expire at %s, before the signing "
                                       "time",
                                       when);
        }
        out->expires = left;
        out->clamped = true;
    }
    return resolve(&out->target, &out->spill, p, bucket);
}

static int plan(presign_plan *out, const skycrate_presigner *p, const skycrate_presign_request *r)
{
    out->credentials = NULL;
    out->spill.used = false;
    SKYCRATE_ASSERT_HANDLE(r, SKYCRATE_MAGIC_PRESIGN_REQUEST);
    return skycrate__presign_plan_make(out, p, r->bucket, r->has_time, r->time, r->expires);
}

int skycrate_presigner_sign_url(char *buf, size_t cap, size_t *len_out,
                                const skycrate_presigner *presigner,
                                const skycrate_presign_request *request)
{
    presign_plan pl;
    int error = plan(&pl, presigner, request);
    if (error == 0)
        error = skycrate__presign_sign(buf, cap, len_out, request, &pl.target, &pl.creds,
                                       presigner->region, pl.time, pl.expires, NULL);
    plan_dispose(&pl);
    return error;
}

int skycrate_presigner_sign(skycrate_presigned **out, const skycrate_presigner *presigner,
                            const skycrate_presign_request *request)
{
    int error = 0;
    skycrate_presigned *c = NULL;
    skycrate__presign_lengths len;
    presign_plan pl;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    if ((error = plan(&pl, presigner, request)) < 0)
        goto done;
    skycrate__presign_measure(&len, request, &pl.target, &pl.creds, presigner->region, pl.expires);
    if ((error = skycrate__presigned_alloc(&c, request, &len)) < 0)
        goto done;
    skycrate__presign_explain ex = {c->canonical_request, c->string_to_sign};
    if ((error = skycrate__presign_sign(c->url, len.url + 1, NULL, request, &pl.target, &pl.creds,
                                        presigner->region, pl.time, pl.expires, &ex)) < 0)
        goto done;
    c->signed_at = pl.time;
    c->expires_in = pl.expires;
    c->clamped = pl.clamped;
    *out = c;
    c = NULL;
done:
    plan_dispose(&pl);
    skycrate_presigned_free(c);
    return error;
}

int skycrate_presigner_sign_json(char *buf, size_t cap, size_t *len_out,
                                 const skycrate_presigner *presigner,
                                 const skycrate_presign_request *request, uint32_t flags)
{
    int error = 0;
    skycrate__presign_lengths len;
    presign_plan pl;
    size_t url_at = 0;
    if (len_out)
        *len_out = 0;
    SKYCRATE_ASSERT_ARG((flags & ~SKYCRATE_JSON_PRETTY) == 0);
    if ((error = plan(&pl, presigner, request)) < 0)
        goto done;
    skycrate__presign_measure(&len, request, &pl.target, &pl.creds, presigner->region, pl.expires);
    skycrate__presigned_view v = {request->method,
                                  request->bucket,
                                  request->key,
                                  request->headers,
                                  request->header_count,
                                  request->upload_id,
                                  request->part_number,
                                  "",
                                  pl.expires,
                                  pl.clamped};
    skycrate__format_iso8601(v.expires_at, pl.time + pl.expires);
    bool pretty = (flags & SKYCRATE_JSON_PRETTY) != 0;
    size_t total = skycrate__presigned_render(NULL, &v, NULL, len.url, pretty, &url_at);
    if (len_out)
        *len_out = total;
    if (buf == NULL || cap <= total) {
        error = skycrate__error_set(SKYCRATE_EINVAL,
                                    "presign: the JSON needs %zu bytes, the buffer has %zu",
                                    total + 1, buf ? cap : 0);
        goto done;
    }
    /* The URL is signed straight into its place, then the document is written around it (over
     * the URL's NUL): nothing is written when signing fails. */
    if ((error = skycrate__presign_sign(buf + url_at, len.url + 1, NULL, request, &pl.target,
                                        &pl.creds, presigner->region, pl.time, pl.expires, NULL)) <
        0)
        goto done;
    skycrate__presigned_render(buf, &v, NULL, len.url, pretty, NULL);
    buf[total] = '\0';
done:
    plan_dispose(&pl);
    return error;
}

int skycrate_presigner_sign_parts(skycrate_presigned **out, size_t count,
                                  const skycrate_presigner *presigner, const char *bucket,
                                  const char *key, const char *upload_id, uint32_t first_part,
                                  int64_t expires_seconds)
{
    int error = 0;
    skycrate_presign_request *r = NULL;
    SKYCRATE_ASSERT_ARG(out != NULL);
    for (size_t i = 0; i < count; i++)
        out[i] = NULL;
    SKYCRATE_ASSERT_ARG(count >= 1);
    SKYCRATE_ASSERT_HANDLE(presigner, SKYCRATE_MAGIC_PRESIGNER);
    if (first_part < 1 || count > 10000 || first_part - 1 + count > 10000)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "presign: parts %u.. and %zu more exceed part number 10000",
                                   first_part, count - 1);
    if (upload_id == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL, "presign: no upload id");
    if ((error = skycrate_presign_request_new(&r, "PUT", bucket, key)) < 0 ||
        (error = skycrate_presign_request_set_expires(r, expires_seconds)) < 0)
        goto done;
    /* One signing time for all the parts, so that they expire together. */
    if ((error = skycrate_presign_request_set_time(r, skycrate__clock_now(presigner->clock))) < 0)
        goto done;
    for (size_t i = 0; i < count; i++) {
        if ((error = skycrate_presign_request_set_upload_part(r, upload_id,
                                                              first_part + (uint32_t)i)) < 0 ||
            (error = skycrate_presigner_sign(&out[i], presigner, r)) < 0)
            goto done;
    }
done:
    skycrate_presign_request_free(r);
    if (error < 0)
        for (size_t i = 0; i < count; i++) {
            skycrate_presigned_free(out[i]);
            out[i] = NULL;
        }
    return error;
}
