/*
 * The derived signing key, cached per thread: a hit is a few memcmp calls and a copy, with no
 * lock and no allocation. Entries are wiped when evicted, when their thread exits (a pthread
 * key destructor) and on skycrate__sigv4_cache_clear().
 * SPDX-License-Identifier: MIT
 */
#include <stdatomic.h>
#include <string.h>

#include "core/common.h"
#include "core/thread_exit.h"
#include "sigv4/sigv4.h"

#define ENTRIES 8
#define AKID_MAX 128
#define NAME_MAX_LEN 64
#define DATE_LEN 8

typedef struct {
    uint64_t last_use; /* 0: empty */
    uint8_t secret_hash[SKYCRATE__SHA256_LEN];
    char date[DATE_LEN];
    uint8_t akid_len, region_len, service_len;
    char akid[AKID_MAX];
    char region[NAME_MAX_LEN];
    char service[NAME_MAX_LEN];
    uint8_t key[SKYCRATE__SHA256_LEN];
    skycrate__hmac_sha256_key prepared;
} key_entry;

typedef struct {
    key_entry entries[ENTRIES];
    uint64_t tick, hits, misses;
    bool registered;
} thread_cache;

static _Thread_local thread_cache cache;

static atomic_ullong exit_wipes;

static void wipe_entries(void)
{
    skycrate__wipe(cache.entries, sizeof(cache.entries));
    cache.tick = 0;
}

/* Runs in the exiting thread, whose thread-local storage is still there. */
static void on_thread_exit(void *value)
{
    (void)value;
    wipe_entries();
    atomic_fetch_add(&exit_wipes, 1);
}

static skycrate__thread_exit exit_hook = SKYCRATE__THREAD_EXIT_INIT(on_thread_exit);

static void register_thread(void)
{
    if (cache.registered)
        return;
    skycrate__thread_exit_register(&exit_hook, &cache);
    cache.registered = true;
}

/* The four HMACs of the SigV4 key derivation. */
static void derive(uint8_t out[SKYCRATE__SHA256_LEN], const char *secret, const char *date,
                   const char *region, const char *service)
{
    skycrate__hmac_sha256_key k;
    uint8_t block[64];
    size_t n = strlen(secret);
    if (4 + n <= sizeof(block)) {
        memcpy(block, "AWS4", 4);
        memcpy(block + 4, secret, n);
        skycrate__hmac_sha256_prepare(&k, block, 4 + n);
    } else {
        /* HMAC hashes a key longer than a block: the same as hashing "AWS4" + secret here. */
        skycrate__sha256_ctx ctx;
        skycrate__sha256_begin(&ctx);
        skycrate__sha256_update(&ctx, "AWS4", 4);
        skycrate__sha256_update(&ctx, secret, n);
        skycrate__sha256_end(&ctx, block);
        skycrate__hmac_sha256_prepare(&k, block, SKYCRATE__SHA256_LEN);
    }
    skycrate__hmac_sha256_prepared(out, &k, date, strlen(date));
    skycrate__hmac_sha256_prepare(&k, out, SKYCRATE__SHA256_LEN);
    skycrate__hmac_sha256_prepared(out, &k, region, strlen(region));
    skycrate__hmac_sha256_prepare(&k, out, SKYCRATE__SHA256_LEN);
    skycrate__hmac_sha256_prepared(out, &k, service, strlen(service));
    skycrate__hmac_sha256_prepare(&k, out, SKYCRATE__SHA256_LEN);
    skycrate__hmac_sha256_prepared(out, &k, "aws4_request", 12);
    skycrate__hmac_sha256_key_wipe(&k);
    skycrate__wipe(block, sizeof(block));
}

/* The cache entry for these inputs, filled on a miss; NULL when they cannot be cached. */
static key_entry *lookup(const char *akid, const char *secret, const uint8_t *secret_hash,
                         const char *date, const char *region, const char *service)
{
    size_t al = strlen(akid), rl = strlen(region), sl = strlen(service);
    if (strlen(date) != DATE_LEN || al >= AKID_MAX || rl >= NAME_MAX_LEN || sl >= NAME_MAX_LEN)
        return NULL;
    uint8_t hash[SKYCRATE__SHA256_LEN];
    if (secret_hash == NULL) {
        skycrate__sha256(hash, secret, strlen(secret));
        secret_hash = hash;
    }
    register_thread();

    key_entry *victim = &cache.entries[0];
    for (size_t i = 0; i < ENTRIES; i++) {
        key_entry *e = &cache.entries[i];
        if (e->last_use == 0) {
            if (victim->last_use != 0)
                victim = e;
            continue;
        }
        if (memcmp(e->date, date, DATE_LEN) == 0 && e->akid_len == al && e->region_len == rl &&
            e->service_len == sl && memcmp(e->akid, akid, al) == 0 &&
            memcmp(e->region, region, rl) == 0 && memcmp(e->service, service, sl) == 0 &&
            memcmp(e->secret_hash, secret_hash, SKYCRATE__SHA256_LEN) == 0) {
            e->last_use = ++cache.tick;
            cache.hits++;
            skycrate__wipe(hash, sizeof(hash));
            return e;
        }
        if (victim->last_use != 0 && e->last_use < victim->last_use)
            victim = e;
    }

    cache.misses++;
    key_entry *e = victim;
    skycrate__wipe(e, sizeof(*e));
    memcpy(e->secret_hash, secret_hash, SKYCRATE__SHA256_LEN);
    memcpy(e->date, date, DATE_LEN);
    e->akid_len = (uint8_t)al;
    e->region_len = (uint8_t)rl;
    e->service_len = (uint8_t)sl;
    memcpy(e->akid, akid, al);
    memcpy(e->region, region, rl);
    memcpy(e->service, service, sl);
    derive(e->key, secret, date, region, service);
    skycrate__hmac_sha256_prepare(&e->prepared, e->key, SKYCRATE__SHA256_LEN);
    e->last_use = ++cache.tick;
    skycrate__wipe(hash, sizeof(hash));
    return e;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

void skycrate__sigv4_signing_key(uint8_t out[32], const char *access_key_id,
                                 const char *secret_access_key, const char *date,
                                 const char *region, const char *service)
{
    const char *secret = or_empty(secret_access_key);
    key_entry *e = lookup(or_empty(access_key_id), secret, NULL, or_empty(date), or_empty(region),
                          or_empty(service));
    if (e)
        memcpy(out, e->key, SKYCRATE__SHA256_LEN);
    else
        derive(out, secret, or_empty(date), or_empty(region), or_empty(service));
}

void skycrate__sigv4_signing_key_prepared(skycrate__hmac_sha256_key *out, const char *access_key_id,
                                          const char *secret_access_key,
                                          const uint8_t secret_hash[32], const char *date,
                                          const char *region, const char *service)
{
    const char *secret = or_empty(secret_access_key);
    key_entry *e = lookup(or_empty(access_key_id), secret, secret_hash, or_empty(date),
                          or_empty(region), or_empty(service));
    if (e) {
        *out = e->prepared;
        return;
    }
    uint8_t key[SKYCRATE__SHA256_LEN];
    derive(key, secret, or_empty(date), or_empty(region), or_empty(service));
    skycrate__hmac_sha256_prepare(out, key, sizeof(key));
    skycrate__wipe(key, sizeof(key));
}

void skycrate__sigv4_cache_clear(void)
{
    wipe_entries();
}

void skycrate__sigv4_cache_stats(uint64_t *hits, uint64_t *misses, uint64_t *wipes)
{
    if (hits)
        *hits = cache.hits;
    if (misses)
        *misses = cache.misses;
    if (wipes)
        *wipes = atomic_load(&exit_wipes);
}
