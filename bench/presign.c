/*
 * bench/presign: how fast a presign is, against the cryptography it cannot avoid.
 *
 * One typical browser upload (PUT, bucket skycrate-user42-1732300000, key
 * "uploads/user42/report 2024.pdf", eu-west-1, 900 s) is presigned with the public fast path
 * skycrate_presigner_sign_url() on one thread and on every core, and compared with the bare crypto a
 * presign needs: SHA-256 of the same canonical request, then mbedtls_md_hmac_starts/update/
 * finish of the same string to sign with an already-derived signing key.
 *
 *   bench/presign [seconds for the all-cores run, default 1]
 *
 * Prints presigns/s and ns per operation, and `ratio = presign / bare crypto` (lower is better;
 * the target is <= 1.0). The one-thread figures are the fastest of many short samples that
 * alternate presign and bare crypto, timed in thread CPU time, so that a busy machine (or a
 * busy hypervisor) slows both sides alike and is filtered out.
 * SPDX-License-Identifier: MIT
 */
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "skycrate.h"

#define BUCKET "skycrate-user42-1732300000"
#define KEY "uploads/user42/report 2024.pdf"
#define REGION "eu-west-1"
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
/* One-thread figures: the fastest of SAMPLES interleaved samples (presign, bare, presign, ...)
 * of about 20 ms each, in thread CPU time. All cores: the best of 3 runs of `seconds`. */
#define SAMPLES 200
#define SAMPLE_OPS 10000

static double seconds_per_run = 1.0;

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

/* The calling thread's CPU time: time the hypervisor gives to other guests is not in it. */
static double cpu_now(void)
{
    return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

static void die(const char *what)
{
    fprintf(stderr, "bench/presign: %s: %s\n", what, skycrate_error_last()->message);
    exit(1);
}

/* ---- the presign ---------------------------------------------------------------------------- */

typedef struct {
    const skycrate_presigner *presigner;
    const skycrate_presign_request *request;
    double seconds;
    unsigned long long count;
    int failures;
} worker;

/* Presigns for `seconds` of wall time, checking the clock every 256 presigns. */
static void *presign_loop(void *arg)
{
    worker *w = arg;
    char url[2048];
    unsigned long long n = 0;
    double start = now(), end = start + w->seconds;
    do {
        for (int i = 0; i < 256; i++)
            if (skycrate_presigner_sign_url(url, sizeof(url), NULL, w->presigner, w->request) != 0)
                w->failures++;
        n += 256;
    } while (now() < end);
    w->count = n;
    w->seconds = now() - start;
    return NULL;
}

/* Presigns per second of wall time on `threads` threads at once, one run. */
static double presign_rate(const skycrate_presigner *p, const skycrate_presign_request *r,
                           int threads, double seconds)
{
    pthread_t t[256];
    worker w[256];
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){p, r, seconds, 0, 0};
        if (pthread_create(&t[i], NULL, presign_loop, &w[i]) != 0) {
            fprintf(stderr, "bench/presign: pthread_create failed\n");
            exit(1);
        }
    }
    double rate = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (w[i].failures) {
            fprintf(stderr, "bench/presign: %d presigns failed\n", w[i].failures);
            exit(1);
        }
        rate += (double)w[i].count / w[i].seconds;
    }
    return rate;
}

/* CPU nanoseconds per presign on this thread, one sample of `n` presigns. */
static double presign_ns(const skycrate_presigner *p, const skycrate_presign_request *r, int n)
{
    char url[2048];
    double start = cpu_now();
    for (int i = 0; i < n; i++)
        if (skycrate_presigner_sign_url(url, sizeof(url), NULL, p, r) != 0)
            die("presign");
    return (cpu_now() - start) * 1e9 / n;
}

/* ---- the bare crypto ------------------------------------------------------------------------ */

typedef struct {
    mbedtls_md_context_t md;
    unsigned char key[32];
    const unsigned char *cr, *sts;
    size_t cr_len, sts_len;
} bare_crypto;

static void hmac(unsigned char out[32], const void *key, size_t key_len, const char *data)
{
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len,
                    (const unsigned char *)data, strlen(data), out);
}

/* Derives the signing key once, as a presigner's cache has it. */
static void bare_init(bare_crypto *b, const char *canonical_request, const char *string_to_sign,
                      const char *date)
{
    unsigned char k[32];
    char secret[64];
    snprintf(secret, sizeof(secret), "AWS4%s", SECRET);
    hmac(k, secret, strlen(secret), date);
    hmac(k, k, 32, REGION);
    hmac(k, k, 32, "s3");
    hmac(b->key, k, 32, "aws4_request");
    mbedtls_md_init(&b->md);
    if (mbedtls_md_setup(&b->md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0) {
        fprintf(stderr, "bench/presign: mbedtls_md_setup failed\n");
        exit(1);
    }
    b->cr = (const unsigned char *)canonical_request;
    b->sts = (const unsigned char *)string_to_sign;
    b->cr_len = strlen(canonical_request);
    b->sts_len = strlen(string_to_sign);
}

/* CPU nanoseconds per SHA-256 of the canonical request plus HMAC of the string to sign. */
static double bare_ns(bare_crypto *b, int n)
{
    unsigned char digest[32];
    volatile unsigned char sink = 0; /* keeps the loop from being optimised away */
    double start = cpu_now();
    for (int i = 0; i < n; i++) {
        mbedtls_sha256_ret(b->cr, b->cr_len, digest, 0);
        mbedtls_md_hmac_starts(&b->md, b->key, sizeof(b->key));
        mbedtls_md_hmac_update(&b->md, b->sts, b->sts_len);
        mbedtls_md_hmac_finish(&b->md, digest);
        sink ^= digest[0];
    }
    (void)sink;
    return (cpu_now() - start) * 1e9 / n;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (seconds_per_run = atof(argv[1])) <= 0) {
        fprintf(stderr, "usage: %s [seconds for the all-cores run]\n", argv[0]);
        return 2;
    }
    if (skycrate_global_init(NULL) < 0)
        die("init");

    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_presigner *presigner = NULL;
    skycrate_presign_request *request = NULL;
    skycrate_presigned *contract = NULL;
    if (skycrate_credentials_new(&creds, AKID, SECRET, NULL, 0) < 0 ||
        skycrate_credentials_provider_new_static(&provider, creds) < 0 ||
        skycrate_client_config_new(&cfg) < 0 ||
        skycrate_client_config_set_region(cfg, REGION) < 0 ||
        skycrate_client_config_set_endpoint(cfg, NULL) < 0 ||
        skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_AUTO) < 0 ||
        skycrate_client_config_set_credentials_provider(cfg, provider) < 0 ||
        skycrate_client_new(&client, cfg) < 0 || skycrate_presigner_new(&presigner, client) < 0)
        die("setup");
    if (skycrate_presign_request_new(&request, "PUT", BUCKET, KEY) < 0 ||
        skycrate_presign_request_set_expires(request, 900) < 0)
        die("request");

    /* The canonical request and string to sign of this very presign, for the bare crypto. */
    if (skycrate_presigner_sign(&contract, presigner, request) < 0)
        die("presign");
    const char *cr = NULL, *sts = NULL;
    skycrate_presigned_explain(&cr, &sts, contract);
    char date[9];
    memcpy(date, strchr(sts, '\n') + 1, 8);
    date[8] = '\0';

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    if (cores > 256)
        cores = 256;
    printf("presign benchmark: PUT %s/%s, %s, 900 s\n", BUCKET, KEY, REGION);
    printf("url: %s\n", skycrate_presigned_url(contract));
    printf("canonical request: %zu bytes, string to sign: %zu bytes\n", strlen(cr), strlen(sts));

    bare_crypto bare_state;
    bare_init(&bare_state, cr, sts, date);
    double presign_best = 1e30, bare_best = 1e30;
    for (int i = 0; i < SAMPLES; i++) {
        double a = presign_ns(presigner, request, SAMPLE_OPS);
        double b = bare_ns(&bare_state, SAMPLE_OPS);
        presign_best = a < presign_best ? a : presign_best;
        bare_best = b < bare_best ? b : bare_best;
    }
    mbedtls_md_free(&bare_state.md);
    double one = 1e9 / presign_best, bare = 1e9 / bare_best, all = 0;
    for (int i = 0; i < 3; i++) {
        double rate = presign_rate(presigner, request, (int)cores, seconds_per_run);
        all = rate > all ? rate : all;
    }
    printf("presign, 1 thread:        %10.0f presigns/s  %7.1f ns/presign\n", one, 1e9 / one);
    printf("presign, %3ld threads:     %10.0f presigns/s  %7.2fx one thread (wall time)\n", cores,
           all, all / one);
    printf("bare crypto, 1 thread:    %10.0f /s          %7.1f ns (SHA-256 + mbedtls HMAC)\n", bare,
           1e9 / bare);
    printf("ratio = presign / bare crypto = %.3f\n", (1e9 / one) / (1e9 / bare));

    skycrate_presigned_free(contract);
    skycrate_presign_request_free(request);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_credentials_provider_unref(provider);
    skycrate_credentials_unref(creds);
    skycrate_global_cleanup();
    return 0;
}
