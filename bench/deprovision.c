/*
 * bench/deprovision: deprovisioning wall time, requests and connections over a link with a
 * round-trip delay, one batch at a time (concurrency 1) against the provisioner's default (one
 * DeleteObjects per lane at once), in the same run (bench/README.md).
 *
 *   bench-deprovision --endpoint http://127.0.0.1:PORT [--rtt MS] [--runs N] [--objects N]
 *                     [--region R] [--store-dir DIR] [--log LEVEL]
 *
 * Each run provisions a bucket through the delaying proxy (delayproxy.c), fills it with
 * --objects small objects over direct connections, then deprovisions it through the proxy:
 * only the deprovisioning is timed. Public API only (and the proxy). Credentials come from
 * the client's default chain.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "delayproxy.h"
#include "skycrate.h"

#define RUNS_MAX 100
#define FILLERS 6 /* threads (each with its own client) filling a bucket */

typedef struct options {
    const char *endpoint;
    const char *region;
    const char *store_dir;
    unsigned int rtt_ms, runs, objects;
    int log_level;
} options;

typedef struct order {
    const char *name;
    const char *description;
    unsigned int concurrency; /* skycrate_provisioner_config_set_concurrency() */
} order;

static const order orders[2] = {
    {"sequential", "concurrency 1: list a page, delete it, list the next", 1},
    {"concurrent", "the default: one DeleteObjects per lane at once, the listing runs ahead", 0},
};

typedef struct run_result {
    int error;
    char message[300];
    double wall_ms;
    size_t requests;
    unsigned int connections;
    uint64_t versions;
} run_result;

/* A provisioner in compatible mode (the test server rejects encryption and ownership
 * controls), with no BlockPublicAcls (radosgw 16 then refuses every upload; see docs/HACKING.md). */
static int make_provisioner(skycrate_provisioner **out, skycrate_client *client,
                            const char *store_path, unsigned int concurrency)
{
    skycrate_provisioner_config *cfg = NULL;
    skycrate_user_store *store = NULL;
    int error = skycrate_provisioner_config_new(&cfg);
    if (error == 0)
        error = skycrate_user_store_new_file(&store, store_path, 0);
    if (error == 0)
        error = skycrate_provisioner_config_set_store(cfg, store);
    if (error == 0)
        error = skycrate_provisioner_config_set_failure_mode(cfg, SKYCRATE_FAILURE_MODE_COMPATIBLE);
    if (error == 0)
        error = skycrate_provisioner_config_set_public_access_block(
            cfg, SKYCRATE_PAB_ALL & ~SKYCRATE_PAB_BLOCK_PUBLIC_ACLS);
    if (error == 0)
        error = skycrate_provisioner_config_set_concurrency(cfg, concurrency);
    if (error == 0)
        error = skycrate_provisioner_new(out, client, cfg);
    skycrate_provisioner_config_free(cfg);
    skycrate_user_store_unref(store);
    return error;
}

/* ---- filling a bucket ---- */

typedef struct filler {
    const options *opt;
    const char *bucket;
    unsigned int first, step; /* objects first, first + step, ... */
    int error;
    char message[300];
} filler;

static void *fill(void *arg)
{
    filler *f = arg;
    skycrate_client *client = NULL;
    f->error = bench_client_new(&client, f->opt->endpoint, f->opt->region);
    for (unsigned int i = f->first; f->error == 0 && i < f->opt->objects; i += f->step) {
        char key[48];
        snprintf(key, sizeof(key), "uploads/bench/%07u.txt", i);
        f->error = skycrate_object_put(NULL, client, f->bucket, key, "bench", 5, "text/plain");
    }
    if (f->error < 0)
        snprintf(f->message, sizeof(f->message), "%s", skycrate_error_last()->message);
    skycrate_client_free(client);
    return NULL;
}

static int fill_bucket(const options *opt, const char *bucket, char *message, size_t size)
{
    filler f[FILLERS];
    pthread_t threads[FILLERS];
    for (unsigned int i = 0; i < FILLERS; i++) {
        f[i] = (filler){.opt = opt, .bucket = bucket, .first = i, .step = FILLERS};
        if (pthread_create(&threads[i], NULL, fill, &f[i]) != 0) {
            f[i].error = SKYCRATE_ERROR;
            snprintf(f[i].message, sizeof(f[i].message), "no thread");
            threads[i] = 0;
        }
    }
    int error = 0;
    for (unsigned int i = 0; i < FILLERS; i++) {
        if (threads[i])
            pthread_join(threads[i], NULL);
        if (f[i].error < 0 && error == 0) {
            error = f[i].error;
            snprintf(message, size, "filling %s: %s", bucket, f[i].message);
        }
    }
    return error;
}

/* ---- one run ---- */

static void run_once(const options *opt, delayproxy *proxy, const char *proxied_url,
                     const char *store_path, const order *o, unsigned int run, run_result *r)
{
    memset(r, 0, sizeof(*r));
    skycrate_client *client = NULL;
    skycrate_provisioner *p = NULL;
    skycrate_record *rec = NULL;
    skycrate_deprovision_report *rep = NULL;
    char user[64];
    snprintf(user, sizeof(user), "bench-%d-%s-%u", (int)getpid(), o->name, run);
    /* Provisioned through the proxy: the record names the endpoint the deprovisioning uses. */
    int error = bench_client_new(&client, proxied_url, opt->region);
    if (error == 0)
        error = make_provisioner(&p, client, store_path, o->concurrency);
    if (error == 0)
        error = skycrate_provisioner_provision(&rec, p, user);
    if (error < 0) {
        snprintf(r->message, sizeof(r->message), "%s", skycrate_error_last()->message);
    } else if ((error = fill_bucket(opt, skycrate_record_bucket(rec), r->message,
                                    sizeof(r->message))) == 0) {
        /* A fresh client: connections are counted from zero. */
        skycrate_provisioner_free(p);
        skycrate_client_free(client);
        p = NULL;
        error = bench_client_new(&client, proxied_url, opt->region);
        if (error == 0)
            error = make_provisioner(&p, client, store_path, o->concurrency);
        delayproxy_reset(proxy);
        bench_log_to_stderr(opt->log_level);
        double start = bench_now_ms();
        if (error == 0)
            error = skycrate_provisioner_deprovision(&rep, p, user, 0);
        r->wall_ms = bench_now_ms() - start;
        bench_log_to_stderr(0);
        r->requests = delayproxy_request_count(proxy);
        r->connections = delayproxy_connections(proxy);
        if (error < 0)
            snprintf(r->message, sizeof(r->message), "%s", skycrate_error_last()->message);
        else
            r->versions = skycrate_deprovision_report_versions(rep);
    }
    r->error = error;
    if (error < 0 && p) /* leave nothing behind */
        skycrate_provisioner_deprovision(NULL, p, user, 0);
    skycrate_deprovision_report_free(rep);
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
    skycrate_client_free(client);
}

static void print_run(const char *run, const order *o, const run_result *r)
{
    if (r->error < 0)
        printf("%-4s %-11s FAILED: %s\n", run, o->name, r->message);
    else
        printf("%-4s %-11s %8zu %11u %9llu %9.1f\n", run, o->name, r->requests, r->connections,
               (unsigned long long)r->versions, r->wall_ms);
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bench-deprovision --endpoint http://IPV4:PORT [--rtt MS] [--runs N] "
               "[--objects N] [--region R] [--store-dir DIR] [--log LEVEL]\n");
}

static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return -1;
    *out = (unsigned int)v;
    return 0;
}

static int parse_options(options *opt, int argc, char **argv)
{
    static const struct option longopts[] = {{"endpoint", required_argument, NULL, 'e'},
                                             {"rtt", required_argument, NULL, 't'},
                                             {"runs", required_argument, NULL, 'n'},
                                             {"objects", required_argument, NULL, 'o'},
                                             {"region", required_argument, NULL, 'r'},
                                             {"store-dir", required_argument, NULL, 's'},
                                             {"log", required_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *opt = (options){.store_dir = "/tmp", .rtt_ms = 20, .runs = 3, .objects = 6000};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'e': opt->endpoint = optarg; break;
        case 't': bad = parse_uint(optarg, 0, 10000, &opt->rtt_ms); break;
        case 'n': bad = parse_uint(optarg, 1, RUNS_MAX, &opt->runs); break;
        case 'o': bad = parse_uint(optarg, 1, 10000000, &opt->objects); break;
        case 'r': opt->region = optarg; break;
        case 's': opt->store_dir = optarg; break;
        case 'l': opt->log_level = atoi(optarg); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (bad) {
            fprintf(stderr, "bad value '%s'\n", optarg);
            usage(stderr);
            return -1;
        }
    }
    if (!opt->endpoint || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_options(&opt, argc, argv) < 0)
        return 2;
    char host[64];
    int port;
    if (bench_parse_endpoint(opt.endpoint, host, sizeof(host), &port) < 0) {
        fprintf(stderr, "--endpoint must be http://IPV4:PORT, not '%s'\n", opt.endpoint);
        return 2;
    }
    if (skycrate_global_init(NULL) < 0) {
        fprintf(stderr, "skycrate_global_init: %s\n", skycrate_error_last()->message);
        return 1;
    }
    int status = 1;
    char store_path[300] = "", proxied_url[64];
    run_result(*results)[2] = calloc(opt.runs, sizeof(*results));
    delayproxy *proxy = NULL;
    if (!results || bench_store_make(store_path, sizeof(store_path), opt.store_dir) < 0)
        goto done;
    if (!(proxy = delayproxy_start(host, port, opt.rtt_ms)))
        goto done;
    snprintf(proxied_url, sizeof(proxied_url), "http://127.0.0.1:%d", delayproxy_port(proxy));

    printf("libskycrate deprovisioning benchmark\n");
    printf("server   %s, through a delaying proxy on 127.0.0.1:%d\n", opt.endpoint,
           delayproxy_port(proxy));
    printf("delay    RTT %u ms: %.1f ms each way per chunk, one more RTT per new connection\n",
           opt.rtt_ms, opt.rtt_ms / 2.0);
    printf("bucket   %u objects of 5 bytes, filled over direct connections before each run\n",
           opt.objects);
    for (size_t k = 0; k < 2; k++)
        printf("order    %-11s %s\n", orders[k].name, orders[k].description);
    printf("\n%-4s %-11s %8s %11s %9s %9s\n", "run", "order", "requests", "connections", "versions",
           "wall ms");

    bool failed = false;
    for (unsigned int run = 0; run < opt.runs; run++) {
        for (size_t k = 0; k < 2; k++) {
            size_t which = run % 2 ? 1 - k : k;
            run_result *r = &results[run][which];
            char label[16];
            snprintf(label, sizeof(label), "%u", run + 1);
            run_once(&opt, proxy, proxied_url, store_path, &orders[which], run + 1, r);
            print_run(label, &orders[which], r);
            failed |= r->error < 0;
        }
    }
    if (failed)
        goto done;

    printf("\nmedian of %u runs\n", opt.runs);
    double med[2];
    for (size_t k = 0; k < 2; k++) {
        double wall[RUNS_MAX], req[RUNS_MAX], conn[RUNS_MAX];
        for (unsigned int run = 0; run < opt.runs; run++) {
            wall[run] = results[run][k].wall_ms;
            req[run] = (double)results[run][k].requests;
            conn[run] = results[run][k].connections;
        }
        med[k] = bench_median(wall, opt.runs);
        printf("  %-11s %5.0f requests %4.0f connection(s) %9.1f ms  %8.0f objects/s\n",
               orders[k].name, bench_median(req, opt.runs), bench_median(conn, opt.runs), med[k],
               med[k] > 0 ? opt.objects / (med[k] / 1000) : 0);
    }
    printf("  ratio concurrent/sequential %.2f\n", med[0] > 0 ? med[1] / med[0] : 0);
    status = 0;

done:
    delayproxy_stop(proxy);
    bench_store_remove(store_path);
    free(results);
    skycrate_global_cleanup();
    return status;
}
