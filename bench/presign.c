/*
 * bench/presign: what each path a web app can take to a presigned upload costs, against the
 * bare cryptography a presign cannot avoid, and what a second thread on one shared presigner
 * adds.
 *
 *   bench/presign [--rounds N] [--pairs N] [--window-ms MS]
 *
 * Workload (issue 15's typical PUT): PUT into skycrate-user42-1732300000 in us-east-1 (AWS,
 * virtual-hosted), 900 s, no extra header, static credentials. The key is what
 * skycrate_upload_key("uploads", "user42", FILE_NAME) makes: a fresh random uuid on every call
 * of the web-app paths, as a server makes them. The signing time comes from the clock, so it
 * changes every second as a server sees it.
 *
 * Floors, computed here with mbedTLS on the same canonical request and string to sign:
 *   floor                    SHA-256 of the canonical request, then mbedtls_md_hmac_starts/
 *                            update/finish of the string to sign with the derived key: the HMAC
 *                            is re-keyed every time (11 SHA-256 compressions).
 *   floor-same-compressions  the same SHA-256, then the HMAC continued from the state after
 *                            the key block and the string to sign's first block (8
 *                            compressions: what the library computes for a presign in the same
 *                            second as the previous one). Paths minus this are the cost of
 *                            everything that is not cryptography.
 * Paths:
 *   sign_url                 skycrate_presigner_sign_url() of a request made once
 *   contract                 skycrate_presigner_sign() + skycrate_presigned_free()
 *   contract+json            the same + skycrate_presigned_to_json() + skycrate_free()
 *   web-app                  per call: skycrate_upload_key(), skycrate_presign_request_new(),
 *                            _set_expires(), the contract, its JSON, and every free
 *   web-app-reused           per call: skycrate_upload_key() into the thread's buffer,
 *                            skycrate_presign_request_set_key() on the thread's request, and
 *                            skycrate_presigner_sign_json() into the thread's buffer
 *
 * Before anything is timed, every path's output for one fixed time and key is compared with
 * the others (the unit tests compare each path with botocore's goldens).
 *
 * One-thread figures: ROUNDS rounds; each times every path and both floors for SAMPLE_OPS calls
 * in thread CPU time, in an order that rotates from round to round. A path's figure is the
 * median over the rounds of its ns per call, and its ratio the median of its per-round ratio to
 * the floor measured in the same round: a busy machine slows both alike.
 *
 * Two threads: PAIRS pairs of runs of the web-app path, each run WINDOW ms of wall time, one
 * run with one thread and one with two threads on the same presigner, the order alternating.
 * Both are measured the same way: calls completed per second of wall time. Printed: the median
 * and the range of the per-pair ratio, the CPU time per call on two threads against one (what
 * sharing costs, whatever the load), and the cores left free by other processes during the
 * two-thread runs (from /proc/stat, minus this process's own CPU time).
 *
 * Every figure line reads `<path>: <ns> ns = <x> x floor`.
 * SPDX-License-Identifier: MIT
 */
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "skycrate.h"

#define BUCKET "skycrate-user42-1732300000"
#define REGION "us-east-1"
#define PREFIX "uploads"
#define USER "user42"
#define FILE_NAME "Quarterly report 2024 (final).pdf"
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EXPIRES 900
#define SAMPLE_OPS 2000
#define URL_CAP 2048
#define JSON_CAP 4096

/* The figure aws-sdk-go-v2's PresignHTTP had in issue 15's harness (another sitting, its own
 * floor): 7946 ns = 3.97 x floor. */
#define GO_FLOOR_RATIO 3.97

static int rounds = 41, pairs = 61;
static double window_ms = 200;

static void die(const char *what)
{
    fprintf(stderr, "bench/presign: %s: %s\n", what, skycrate_error_last()->message);
    exit(1);
}

static double seconds_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the paths ------------------------------------------------------------------------------ */

/* What one thread keeps between calls: the reused path's request and buffers. */
typedef struct {
    const skycrate_presigner *presigner;
    const skycrate_presign_request *fixed; /* sign_url and contract paths */
    skycrate_presign_request *reused;
    char url[URL_CAP];
    char json[JSON_CAP];
} thread_state;

typedef int (*path_fn)(thread_state *t);

static int path_sign_url(thread_state *t)
{
    return skycrate_presigner_sign_url(t->url, sizeof(t->url), NULL, t->presigner, t->fixed);
}

static int path_contract(thread_state *t)
{
    skycrate_presigned *c = NULL;
    int error = skycrate_presigner_sign(&c, t->presigner, t->fixed);
    skycrate_presigned_free(c);
    return error;
}

static int path_contract_json(thread_state *t)
{
    skycrate_presigned *c = NULL;
    char *json = NULL;
    int error = skycrate_presigner_sign(&c, t->presigner, t->fixed);
    if (error == 0)
        error = skycrate_presigned_to_json(&json, c, 0);
    skycrate_free(json);
    skycrate_presigned_free(c);
    return error;
}

static int path_web_app(thread_state *t)
{
    char *key = NULL, *json = NULL;
    skycrate_presign_request *r = NULL;
    skycrate_presigned *c = NULL;
    int error = 0;
    if ((error = skycrate_upload_key(&key, PREFIX, USER, FILE_NAME)) < 0 ||
        (error = skycrate_presign_request_new(&r, "PUT", BUCKET, key)) < 0 ||
        (error = skycrate_presign_request_set_expires(r, EXPIRES)) < 0 ||
        (error = skycrate_presigner_sign(&c, t->presigner, r)) < 0 ||
        (error = skycrate_presigned_to_json(&json, c, 0)) < 0)
        goto done;
done:
    skycrate_free(json);
    skycrate_presigned_free(c);
    skycrate_presign_request_free(r);
    skycrate_free(key);
    return error;
}

static int path_web_app_reused(thread_state *t)
{
    char key[1024];
    int error = 0;
    if ((error = skycrate_upload_key_to(key, sizeof(key), NULL, PREFIX, USER, FILE_NAME)) < 0 ||
        (error = skycrate_presign_request_set_key(t->reused, key)) < 0)
        return error;
    return skycrate_presigner_sign_json(t->json, sizeof(t->json), NULL, t->presigner, t->reused, 0);
}

/* ---- the floors ----------------------------------------------------------------------------- */

typedef struct {
    mbedtls_md_context_t md;
    unsigned char key[32];
    const unsigned char *cr, *sts;
    size_t cr_len, sts_len;
    /* The SHA-256 states after the ipad block plus the string to sign's first block, and
     * after the opad block. */
    mbedtls_sha256_context inner_after_block, outer;
} floors;

static void hmac(unsigned char out[32], const void *key, size_t key_len, const char *data)
{
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len,
                    (const unsigned char *)data, strlen(data), out);
}

static void floors_init(floors *f, const char *canonical_request, const char *string_to_sign)
{
    unsigned char k[32], pad[64];
    char date[9];
    memcpy(date, strchr(string_to_sign, '\n') + 1, 8);
    date[8] = '\0';
    hmac(k, "AWS4" SECRET, strlen("AWS4" SECRET), date);
    hmac(k, k, 32, REGION);
    hmac(k, k, 32, "s3");
    hmac(f->key, k, 32, "aws4_request");
    mbedtls_md_init(&f->md);
    if (mbedtls_md_setup(&f->md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0) {
        fprintf(stderr, "bench/presign: mbedtls_md_setup failed\n");
        exit(1);
    }
    f->cr = (const unsigned char *)canonical_request;
    f->sts = (const unsigned char *)string_to_sign;
    f->cr_len = strlen(canonical_request);
    f->sts_len = strlen(string_to_sign);

    memset(pad, 0x36, sizeof(pad));
    for (int i = 0; i < 32; i++)
        pad[i] ^= f->key[i];
    mbedtls_sha256_init(&f->inner_after_block);
    mbedtls_sha256_starts_ret(&f->inner_after_block, 0);
    mbedtls_sha256_update_ret(&f->inner_after_block, pad, 64);
    mbedtls_sha256_update_ret(&f->inner_after_block, f->sts, 64);
    memset(pad, 0x5c, sizeof(pad));
    for (int i = 0; i < 32; i++)
        pad[i] ^= f->key[i];
    mbedtls_sha256_init(&f->outer);
    mbedtls_sha256_starts_ret(&f->outer, 0);
    mbedtls_sha256_update_ret(&f->outer, pad, 64);
}

static volatile unsigned char sink;

static int floor_rekeyed(floors *f)
{
    unsigned char digest[32];
    mbedtls_sha256_ret(f->cr, f->cr_len, digest, 0);
    mbedtls_md_hmac_starts(&f->md, f->key, sizeof(f->key));
    mbedtls_md_hmac_update(&f->md, f->sts, f->sts_len);
    mbedtls_md_hmac_finish(&f->md, digest);
    sink ^= digest[0];
    return 0;
}

static int floor_same_compressions(floors *f)
{
    unsigned char digest[32], inner[32];
    mbedtls_sha256_context ctx;
    mbedtls_sha256_ret(f->cr, f->cr_len, digest, 0);
    mbedtls_sha256_init(&ctx);
    mbedtls_sha256_clone(&ctx, &f->inner_after_block);
    mbedtls_sha256_update_ret(&ctx, f->sts + 64, f->sts_len - 64);
    mbedtls_sha256_finish_ret(&ctx, inner);
    mbedtls_sha256_clone(&ctx, &f->outer);
    mbedtls_sha256_update_ret(&ctx, inner, sizeof(inner));
    mbedtls_sha256_finish_ret(&ctx, digest);
    sink ^= digest[0];
    return 0;
}

/* ---- one-thread figures --------------------------------------------------------------------- */

enum { FLOOR, FLOOR_SAME, SIGN_URL, CONTRACT, CONTRACT_JSON, WEB_APP, WEB_APP_REUSED, KINDS };

static const char *const names[KINDS] = {"floor",         "floor-same-compressions", "sign_url",
                                         "contract",      "contract+json",           "web-app",
                                         "web-app-reused"};

static const path_fn paths[KINDS] = {NULL,
                                     NULL,
                                     path_sign_url,
                                     path_contract,
                                     path_contract_json,
                                     path_web_app,
                                     path_web_app_reused};

/* CPU nanoseconds per call of `kind` on this thread, over `n` calls. */
static double sample(int kind, thread_state *t, floors *f, int n)
{
    double start = seconds_of(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < n; i++) {
        int rc = kind == FLOOR        ? floor_rekeyed(f)
                 : kind == FLOOR_SAME ? floor_same_compressions(f)
                                      : paths[kind](t);
        if (rc != 0)
            die(names[kind]);
    }
    return (seconds_of(CLOCK_THREAD_CPUTIME_ID) - start) * 1e9 / n;
}

static void one_thread_figures(thread_state *t, floors *f, double ns_out[KINDS])
{
    double *ns[KINDS], *ratio[KINDS];
    for (int k = 0; k < KINDS; k++) {
        ns[k] = calloc((size_t)rounds, sizeof(double));
        ratio[k] = calloc((size_t)rounds, sizeof(double));
    }
    for (int r = 0; r < rounds; r++) {
        double got[KINDS];
        for (int i = 0; i < KINDS; i++) {
            int k = (i + r) % KINDS;
            got[k] = sample(k, t, f, SAMPLE_OPS);
        }
        for (int k = 0; k < KINDS; k++) {
            ns[k][r] = got[k];
            ratio[k][r] = got[k] / got[FLOOR];
        }
    }
    for (int k = 0; k < KINDS; k++) {
        ns_out[k] = bench_median(ns[k], (size_t)rounds);
        printf("%s: %.0f ns = %.2f x floor\n", names[k], ns_out[k],
               bench_median(ratio[k], (size_t)rounds));
        free(ns[k]);
        free(ratio[k]);
    }
}

/* ---- two threads ---------------------------------------------------------------------------- */

typedef struct {
    thread_state *state;
    double end; /* monotonic seconds */
    unsigned long long calls;
    double cpu_seconds;
} runner;

static void *run_web_app(void *arg)
{
    runner *w = arg;
    double cpu = seconds_of(CLOCK_THREAD_CPUTIME_ID);
    unsigned long long n = 0;
    do {
        for (int i = 0; i < 64; i++)
            if (path_web_app(w->state) != 0)
                die("web-app");
        n += 64;
    } while (seconds_of(CLOCK_MONOTONIC) < w->end);
    w->calls = n;
    w->cpu_seconds = seconds_of(CLOCK_THREAD_CPUTIME_ID) - cpu;
    return NULL;
}

/* Busy and total jiffies of all CPUs, from the first line of /proc/stat. */
static void cpu_jiffies(double *busy, double *total)
{
    unsigned long long v[10] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
                            &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 8) {
        *busy = *total = 0;
    } else {
        double t = 0;
        for (int i = 0; i < 8; i++) /* guest time is already in user time */
            t += (double)v[i];
        *total = t;
        *busy = t - (double)v[3] - (double)v[4]; /* idle, iowait */
    }
    if (f)
        fclose(f);
}

static double process_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

typedef struct {
    double rate; /* calls per second of wall time */
    double cpu_ns_per_call;
    double free_cores; /* cores other processes left idle during the run */
} run_result;

static run_result run(thread_state *states, int threads, long cores)
{
    pthread_t tid[2];
    runner w[2];
    double busy0, total0, busy1, total1;
    long hz = sysconf(_SC_CLK_TCK);
    cpu_jiffies(&busy0, &total0);
    double self0 = process_cpu_seconds(), start = seconds_of(CLOCK_MONOTONIC);
    for (int i = 0; i < threads; i++) {
        w[i] = (runner){&states[i], start + window_ms / 1000, 0, 0};
        if (pthread_create(&tid[i], NULL, run_web_app, &w[i]) != 0) {
            fprintf(stderr, "bench/presign: pthread_create failed\n");
            exit(1);
        }
    }
    unsigned long long calls = 0;
    double cpu = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        calls += w[i].calls;
        cpu += w[i].cpu_seconds;
    }
    double wall = seconds_of(CLOCK_MONOTONIC) - start;
    double self = process_cpu_seconds() - self0;
    cpu_jiffies(&busy1, &total1);
    double others = (busy1 - busy0) / (double)hz - self; /* CPU seconds of other processes */
    run_result r = {(double)calls / wall, cpu * 1e9 / (double)calls, (double)cores - others / wall};
    return r;
}

static void two_thread_figures(const skycrate_presigner *p, long cores, const char *label)
{
    thread_state states[2];
    double ratio[64] = {0}, cpu_ratio[64] = {0}, free_cores[64] = {0};
    for (int i = 0; i < 2; i++)
        states[i] = (thread_state){.presigner = p};
    for (int i = 0; i < pairs; i++) {
        run_result one, two;
        if (i % 2 == 0) {
            one = run(states, 1, cores);
            two = run(states, 2, cores);
        } else {
            two = run(states, 2, cores);
            one = run(states, 1, cores);
        }
        ratio[i] = two.rate / one.rate;
        cpu_ratio[i] = two.cpu_ns_per_call / one.cpu_ns_per_call;
        free_cores[i] = two.free_cores;
    }
    double lo = ratio[0], hi = ratio[0];
    for (int i = 1; i < pairs; i++) {
        lo = ratio[i] < lo ? ratio[i] : lo;
        hi = ratio[i] > hi ? ratio[i] : hi;
    }
    double fmin = free_cores[0];
    for (int i = 1; i < pairs; i++)
        fmin = free_cores[i] < fmin ? free_cores[i] : fmin;
    printf("threads%s: web-app on 2 threads, one shared presigner = %.2f x one thread (calls per "
           "wall-clock second, median of %d pairs of %.0f ms runs, range %.2f-%.2f)\n",
           label, bench_median(ratio, (size_t)pairs), pairs, window_ms, lo, hi);
    printf("threads%s: CPU time per call on 2 threads = %.3f x on one thread (median)\n", label,
           bench_median(cpu_ratio, (size_t)pairs));
    printf("threads%s: cores online %ld, left free by other processes during the 2-thread runs: "
           "%.2f (median), %.2f (least)\n",
           label, cores, bench_median(free_cores, (size_t)pairs), fmin);
}

/* ---- setup and checks ----------------------------------------------------------------------- */

static void check_paths_agree(thread_state *t, skycrate_presign_request *fixed, const char *key)
{
    /* One fixed signing time and key: every path must give the same URL. */
    skycrate_presigned *c = NULL;
    char *json = NULL;
    if (skycrate_presign_request_set_time(fixed, 1732300000) < 0 ||
        skycrate_presign_request_set_time(t->reused, 1732300000) < 0 ||
        skycrate_presign_request_set_key(t->reused, key) < 0 || path_sign_url(t) < 0 ||
        skycrate_presigner_sign(&c, t->presigner, fixed) < 0 ||
        skycrate_presigned_to_json(&json, c, 0) < 0 ||
        skycrate_presigner_sign_json(t->json, sizeof(t->json), NULL, t->presigner, t->reused, 0) <
            0)
        die("check");
    const char *url = skycrate_presigned_url(c);
    if (strcmp(url, t->url) != 0 || strstr(json, url) == NULL || strcmp(json, t->json) != 0) {
        fprintf(stderr, "bench/presign: the paths disagree:\n%s\n%s\n%s\n%s\n", t->url, url, json,
                t->json);
        exit(1);
    }
    skycrate_free(json);
    skycrate_presigned_free(c);
    if (skycrate_presign_request_set_time(fixed, -1) < 0 ||
        skycrate_presign_request_set_time(t->reused, -1) < 0)
        die("check");
}

/* A provider the library cannot see through: every presign asks it and gets a reference. */
static int delegate_get(skycrate_credentials **out, void *user_data)
{
    *out = skycrate_credentials_ref(user_data);
    return 0;
}

/* A presigner on static credentials, or with `delegate` on a provider asked per presign. */
static skycrate_presigner *make_presigner(skycrate_credentials **creds_out, bool delegate)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_presigner *p = NULL;
    if (skycrate_credentials_new(&creds, AKID, SECRET, NULL, 0) < 0 ||
        (delegate ? skycrate_credentials_provider_new_delegate(&provider, delegate_get, creds)
                  : skycrate_credentials_provider_new_static(&provider, creds)) < 0 ||
        skycrate_client_config_new(&cfg) < 0 ||
        skycrate_client_config_set_region(cfg, REGION) < 0 ||
        skycrate_client_config_set_endpoint(cfg, NULL) < 0 ||
        skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_AUTO) < 0 ||
        skycrate_client_config_set_credentials_provider(cfg, provider) < 0 ||
        skycrate_client_new(&client, cfg) < 0 || skycrate_presigner_new(&p, client) < 0)
        die("setup");
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_credentials_provider_unref(provider);
    *creds_out = creds; /* the delegate borrows them */
    return p;
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--rounds N] [--pairs N] [--window-ms MS]\n", argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage(argv[0]);
        if (!strcmp(argv[i], "--rounds") && (rounds = atoi(argv[i + 1])) > 0)
            i++;
        else if (!strcmp(argv[i], "--pairs") && (pairs = atoi(argv[i + 1])) > 0 && pairs <= 64)
            i++;
        else if (!strcmp(argv[i], "--window-ms") && (window_ms = atof(argv[i + 1])) > 0)
            i++;
        else
            usage(argv[0]);
    }
    if (skycrate_global_init(NULL) < 0)
        die("init");
    skycrate_credentials *creds = NULL, *delegate_creds = NULL;
    skycrate_presigner *presigner = make_presigner(&creds, false);
    char *key = NULL;
    skycrate_presign_request *fixed = NULL, *reused = NULL;
    skycrate_presigned *contract = NULL;
    if (skycrate_upload_key(&key, PREFIX, USER, FILE_NAME) < 0 ||
        skycrate_presign_request_new(&fixed, "PUT", BUCKET, key) < 0 ||
        skycrate_presign_request_set_expires(fixed, EXPIRES) < 0 ||
        skycrate_presign_request_new(&reused, "PUT", BUCKET, key) < 0 ||
        skycrate_presign_request_set_expires(reused, EXPIRES) < 0)
        die("request");
    thread_state t = {.presigner = presigner, .fixed = fixed, .reused = reused};
    check_paths_agree(&t, fixed, key);

    /* The canonical request and string to sign of this workload, for the floors. */
    const char *cr = NULL, *sts = NULL;
    if (skycrate_presigner_sign(&contract, presigner, fixed) < 0 ||
        skycrate_presigned_explain(&cr, &sts, contract) < 0)
        die("presign");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench/presign: PUT %s/%s (a new uuid per call on the web-app paths), %s, %d s, "
           "signing time from the clock\n",
           BUCKET, key, REGION, EXPIRES);
    printf("canonical request %zu bytes, string to sign %zu bytes; %d rounds of %d calls per "
           "path\n",
           strlen(cr), strlen(sts), rounds, SAMPLE_OPS);
    floors f;
    floors_init(&f, cr, sts);
    double ns[KINDS];
    one_thread_figures(&t, &f, ns);
    mbedtls_md_free(&f.md);
    printf("aws-sdk-go-v2 PresignHTTP: not run in this sitting (see bench/README.md); issue 15 "
           "measured it at %.2f x its floor, so web-app-reused is %.1f x faster and web-app "
           "%.1f x faster by floor ratios (not same sitting)\n",
           GO_FLOOR_RATIO, GO_FLOOR_RATIO / (ns[WEB_APP_REUSED] / ns[FLOOR]),
           GO_FLOOR_RATIO / (ns[WEB_APP] / ns[FLOOR]));
    two_thread_figures(presigner, cores, "");
    /* For comparison: a provider asked on every presign, which takes and drops a reference on
     * the shared credentials each time (what every presign did before issue 15). */
    skycrate_presigner *asking = make_presigner(&delegate_creds, true);
    two_thread_figures(asking, cores, " (provider asked per presign)");
    skycrate_presigner_free(asking);
    skycrate_credentials_unref(delegate_creds);

    skycrate_presigned_free(contract);
    skycrate_presign_request_free(reused);
    skycrate_presign_request_free(fixed);
    skycrate_free(key);
    skycrate_presigner_free(presigner);
    skycrate_credentials_unref(creds);
    skycrate_global_cleanup();
    return 0;
}
