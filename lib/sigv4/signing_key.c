/*
 * The signing-key cache, one per thread, shared by header signing, query signing, presigned
 * URLs and POST policies (sigv4.h). Entries are keyed by the SHA-256 of the secret: the secret
 * itself is never kept. A hit is a few memcmp calls, with no lock and no allocation. Entries
 * are wiped when evicted, when their thread exits (a pthread key destructor) and on
 * skycrate__sigv4_cache_clear().
 * SPDX-License-Identifier: MIT
 */
#include <stdatomic.h>
#include <string.h>

#include "core/common.h"
#include "core/thread_exit.h"
#include "sigv4/sigv4.h"

#define ENTRIES 8
#define DATE_LEN 8
#define AMZ_DATE_LEN 16
#define BLOCK 64
/* "AWS4-HMAC-SHA256\n" "YYYYMMDDTHHMMSSZ\n", then the scope */
#define STS_HEAD_LEN (17 + AMZ_DATE_LEN + 1)

typedef struct {
    uint64_t last_use; /* 0: empty */
    uint8_t secret_hash[SKYCRATE__SHA256_LEN];
    char date[DATE_LEN];
    uint8_t akid_len, region_len, service_len;
    char akid[SKYCRATE__SIGV4_AKID_MAX];
    char region[SKYCRATE__SIGV4_NAME_MAX];
    char service[SKYCRATE__SIGV4_NAME_MAX];
    skycrate__sigv4_scope scope;
} key_entry;

typedef struct {
    key_entry entries[ENTRIES];
    uint64_t tick, hits, misses, block_hits;
    bool registered;
} thread_cache;

static _Thread_local thread_cache cache;

static atomic_ullong exit_wipes;

static void wipe_entries(thread_cache *tc)
{
    skycrate__wipe(tc->entries, sizeof(tc->entries));
    tc->tick = 0;
}

/* Runs in the exiting thread, whose thread-local storage is still there. */
static void on_thread_exit(void *value)
{
    wipe_entries(value);
    atomic_fetch_add(&exit_wipes, 1);
}

static skycrate__thread_exit exit_hook = SKYCRATE__THREAD_EXIT_INIT(on_thread_exit);

static void register_thread(thread_cache *tc)
{
    if (tc->registered)
        return;
    skycrate__thread_exit_register(&exit_hook, tc);
    tc->registered = true;
}

/* The four HMACs of the SigV4 key derivation. */
static void derive(uint8_t out[SKYCRATE__SHA256_LEN], const skycrate__sigv4_identity *id)
{
    skycrate__hmac_sha256_key k;
    uint8_t block[BLOCK];
    size_t n = strlen(id->secret_access_key);
    if (4 + n <= sizeof(block)) {
        memcpy(block, "AWS4", 4);
        memcpy(block + 4, id->secret_access_key, n);
        skycrate__hmac_sha256_prepare(&k, block, 4 + n);
    } else {
        /* HMAC hashes a key longer than a block: the same as hashing "AWS4" + secret here. */
        skycrate__sha256_ctx ctx;
        skycrate__sha256_begin(&ctx);
        skycrate__sha256_update(&ctx, "AWS4", 4);
        skycrate__sha256_update(&ctx, id->secret_access_key, n);
        skycrate__sha256_end(&ctx, block);
        skycrate__hmac_sha256_prepare(&k, block, SKYCRATE__SHA256_LEN);
    }
    skycrate__hmac_sha256_prepared(out, &k, id->date, strlen(id->date));
    skycrate__hmac_sha256_prepare(&k, out, SKYCRATE__SHA256_LEN);
    skycrate__hmac_sha256_prepared(out, &k, id->region, strlen(id->region));
    skycrate__hmac_sha256_prepare(&k, out, SKYCRATE__SHA256_LEN);
    skycrate__hmac_sha256_prepared(out, &k, id->service, strlen(id->service));
    skycrate__hmac_sha256_prepare(&k, out, SKYCRATE__SHA256_LEN);
    skycrate__hmac_sha256_prepared(out, &k, "aws4_request", 12);
    skycrate__hmac_sha256_key_wipe(&k);
    skycrate__wipe(block, sizeof(block));
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* The keys, and the scope when the inputs are within the limits. */
static void fill_scope(skycrate__sigv4_scope *s, const skycrate__sigv4_identity *id,
                       bool within_limits)
{
    derive(s->key, id);
    skycrate__hmac_sha256_prepare(&s->prepared, s->key, sizeof(s->key));
    s->has_block = false;
    s->scope_len = 0;
    if (!within_limits)
        return;
    char *p = put(s->scope, id->date, DATE_LEN);
    *p++ = '/';
    p = put(p, id->region, strlen(id->region));
    *p++ = '/';
    p = put(p, id->service, strlen(id->service));
    p = put(p, "/aws4_request", sizeof("/aws4_request") - 1);
    s->scope_len = (size_t)(p - s->scope);
}

static bool matches(const key_entry *e, const skycrate__sigv4_identity *id, const uint8_t *hash,
                    size_t al, size_t rl, size_t sl)
{
    return e->last_use != 0 && memcmp(e->date, id->date, DATE_LEN) == 0 && e->akid_len == al &&
           e->region_len == rl && e->service_len == sl &&
           memcmp(e->akid, id->access_key_id, al) == 0 && memcmp(e->region, id->region, rl) == 0 &&
           memcmp(e->service, id->service, sl) == 0 &&
           memcmp(e->secret_hash, hash, SKYCRATE__SHA256_LEN) == 0;
}

/* The least recently used entry, or an empty one. */
static key_entry *victim(thread_cache *tc)
{
    key_entry *v = &tc->entries[0];
    for (size_t i = 0; i < ENTRIES && v->last_use != 0; i++)
        if (tc->entries[i].last_use < v->last_use)
            v = &tc->entries[i];
    return v;
}

static key_entry *fill_entry(key_entry *e, const skycrate__sigv4_identity *id, const uint8_t *hash,
                             size_t al, size_t rl, size_t sl)
{
    skycrate__wipe(e, sizeof(*e));
    memcpy(e->secret_hash, hash, SKYCRATE__SHA256_LEN);
    memcpy(e->date, id->date, DATE_LEN);
    e->akid_len = (uint8_t)al;
    e->region_len = (uint8_t)rl;
    e->service_len = (uint8_t)sl;
    memcpy(e->akid, id->access_key_id, al);
    memcpy(e->region, id->region, rl);
    memcpy(e->service, id->service, sl);
    fill_scope(&e->scope, id, true);
    return e;
}

skycrate__sigv4_scope *skycrate__sigv4_scope_get(skycrate__sigv4_scope *scratch,
                                                 const skycrate__sigv4_identity *id)
{
    size_t al = strlen(id->access_key_id), rl = strlen(id->region), sl = strlen(id->service);
    if (strlen(id->date) != DATE_LEN || al >= SKYCRATE__SIGV4_AKID_MAX ||
        rl >= SKYCRATE__SIGV4_NAME_MAX || sl >= SKYCRATE__SIGV4_NAME_MAX) {
        fill_scope(scratch, id, false);
        return scratch;
    }
    uint8_t own_hash[SKYCRATE__SHA256_LEN];
    const uint8_t *hash = id->secret_hash;
    if (hash == NULL) {
        skycrate__sha256(own_hash, id->secret_access_key, strlen(id->secret_access_key));
        hash = own_hash;
    }
    thread_cache *tc = &cache;
    register_thread(tc);
    key_entry *e = NULL;
    for (size_t i = 0; i < ENTRIES && e == NULL; i++)
        if (matches(&tc->entries[i], id, hash, al, rl, sl))
            e = &tc->entries[i];
    if (e != NULL) {
        tc->hits++;
    } else {
        tc->misses++;
        e = fill_entry(victim(tc), id, hash, al, rl, sl);
    }
    e->last_use = ++tc->tick;
    if (hash == own_hash)
        skycrate__wipe(own_hash, sizeof(own_hash));
    return &e->scope;
}

void skycrate__sigv4_scope_release(skycrate__sigv4_scope *scope, skycrate__sigv4_scope *scratch)
{
    if (scope == scratch)
        skycrate__wipe(scratch, sizeof(*scratch));
}

void skycrate__sigv4_scope_sign(uint8_t out[SKYCRATE__SHA256_LEN], skycrate__sigv4_scope *scope,
                                const char *string_to_sign, size_t len)
{
    skycrate__sha256_ctx mac;
    size_t from = 0;
    if (scope->scope_len > 0 && STS_HEAD_LEN + scope->scope_len + 1 >= BLOCK && len >= BLOCK) {
        const char *amz_date = string_to_sign + 17;
        if (scope->has_block && memcmp(scope->block_amz_date, amz_date, AMZ_DATE_LEN) == 0) {
            cache.block_hits++;
        } else {
            /* The opaque state is plain data (an mbedTLS context), copied by assignment as
             * skycrate__hmac_sha256_begin clones it. */
            scope->block = scope->prepared.inner;
            skycrate__sha256_update(&scope->block, string_to_sign, BLOCK);
            memcpy(scope->block_amz_date, amz_date, AMZ_DATE_LEN);
            scope->has_block = true;
        }
        mac = scope->block;
        from = BLOCK;
    } else {
        skycrate__hmac_sha256_begin(&mac, &scope->prepared);
    }
    skycrate__sha256_update(&mac, string_to_sign + from, len - from);
    skycrate__hmac_sha256_end(&mac, &scope->prepared, out);
}

void skycrate__sigv4_signing_key(uint8_t out[32], const char *access_key_id,
                                 const char *secret_access_key, const char *date,
                                 const char *region, const char *service)
{
    skycrate__sigv4_identity id = {access_key_id, secret_access_key, NULL, date, region, service};
    skycrate__sigv4_scope scratch, *s = skycrate__sigv4_scope_get(&scratch, &id);
    memcpy(out, s->key, SKYCRATE__SHA256_LEN);
    skycrate__sigv4_scope_release(s, &scratch);
}

void skycrate__sigv4_cache_clear(void)
{
    wipe_entries(&cache);
}

void skycrate__sigv4_cache_stats(uint64_t *hits, uint64_t *misses, uint64_t *block_hits,
                                 uint64_t *wipes)
{
    if (hits)
        *hits = cache.hits;
    if (misses)
        *misses = cache.misses;
    if (block_hits)
        *block_hits = cache.block_hits;
    if (wipes)
        *wipes = atomic_load(&exit_wipes);
}

void skycrate__sigv4_cache_memory(const void **start, size_t *size)
{
    *start = &cache;
    *size = sizeof(cache);
}
