/*
 * bench/provision: provisioning wall time, requests and connections over a link with a
 * round-trip delay, for the seed design's sequential order and for a concurrent order, in
 * the same run (bench/README.md).
 *
 *   bench-provision --endpoint http://127.0.0.1:PORT [--rtt MS] [--runs N] [--region R]
 *                   [--origin URL] [--orders LIST] [--compatible] [--exists-check]
 *                   [--check] [--verbose] [--log LEVEL] [--store-dir DIR]
 *
 * The server is reached through a delaying proxy in this process (delayproxy.c), which counts
 * connections and requests. Credentials come from the client's default chain
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, ...). Every bucket a run makes is
 * deleted afterwards over a direct connection, outside the measurement.
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "delayproxy.h"
#include "provision/naming.h"
#include "provision/provisioner.h"
#include "seed.h"
#include "skycrate.h"

#define RUNS_MAX 100

/* Built against a library with the provisioner (include/skycrate/provisioner.h), the default
 * compares its sequential mode with its concurrent order; without it, the bench's own orders. */
#define DEFAULT_ORDERS "sequential,concurrent"
#define LINES_MAX 64

typedef struct options {
    const char *endpoint;
    const char *region;
    const char *origin;
    const char *orders;
    const char *store_dir; /* where the temporary users.json goes */
    unsigned int rtt_ms;
    unsigned int runs;
    int log_level;
    bool compatible, exists_check, check, verbose;
} options;

/* What one provisioning run did. */
typedef struct run_result {
    int error;
    char message[300];
    char bucket[SKYCRATE__BUCKET_NAME_MAX + 1];
    seed_result steps;
    int lost;          /* configurations missing when read back afterwards */
    char missing[128]; /* their subresources */
    double wall_ms;
    size_t requests;
    size_t repeats; /* requests sent again (retries) */
    unsigned int connections;
    unsigned int per_connection[LINES_MAX]; /* requests on connection i + 1 */
    size_t line_count;
    char lines[LINES_MAX][160]; /* request lines, the bucket name replaced by {bucket} */
} run_result;

typedef struct context {
    const options *opt;
    delayproxy *proxy;
    char proxied_url[64];
    skycrate_user_store *store;
} context;

/* An order: provisions `user_id`'s bucket with a fresh client pointed at `url`. */
typedef int (*order_fn)(context *ctx, const char *user_id, run_result *out);

typedef struct order {
    const char *name;
    const char *description;
    order_fn run;
} order;

static void seed_options_for(seed_options *so, context *ctx, const char *user_id)
{
    *so = (seed_options){.user_id = user_id,
                         .origin = ctx->opt->origin,
                         .application = "skycrate-bench",
                         .compatible = ctx->opt->compatible,
                         .exists_check = ctx->opt->exists_check,
                         .abort_multipart_days = 7,
                         .store = ctx->store};
}

/* The seed's and the bench's own orders share this shape: name, client, time, steps. */
static int run_seed(context *ctx, const char *user_id, run_result *out, bool lanes)
{
    skycrate_client *client = NULL;
    int error = bench_client_new(&client, ctx->proxied_url, ctx->opt->region);
    if (error == 0)
        error = skycrate__bucket_name_make(out->bucket, NULL, user_id, time(NULL), 0);
    if (error < 0) {
        snprintf(out->message, sizeof(out->message), "%s", skycrate_error_last()->message);
        skycrate_client_free(client);
        return error;
    }
    seed_options so;
    seed_options_for(&so, ctx, user_id);
    double t0 = bench_now_ms();
    error = lanes ? seed_provision_lanes(client, out->bucket, &so, &out->steps)
                  : seed_provision(client, out->bucket, &so, &out->steps);
    out->wall_ms = bench_now_ms() - t0;
    if (error < 0)
        snprintf(out->message, sizeof(out->message), "%s", out->steps.message);
    skycrate_client_free(client); /* closes its connections */
    return error;
}

static int run_seed_order(context *ctx, const char *user_id, run_result *out)
{
    return run_seed(ctx, user_id, out, false);
}

static int run_lanes(context *ctx, const char *user_id, run_result *out)
{
    return run_seed(ctx, user_id, out, true);
}

/* The provisioner's steps, in its order, with the operation names seed.c uses. */
static const struct {
    skycrate_step step;
    const char *operation;
} provisioner_steps[] = {
    {SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK, "PutPublicAccessBlock"},
    {SKYCRATE_STEP_ENCRYPTION, "PutBucketEncryption"},
    {SKYCRATE_STEP_OWNERSHIP_CONTROLS, "PutBucketOwnershipControls"},
    {SKYCRATE_STEP_CORS, "PutBucketCors"},
    {SKYCRATE_STEP_TLS_POLICY, "PutBucketPolicy"},
    {SKYCRATE_STEP_LIFECYCLE, "PutBucketLifecycleConfiguration"},
    {SKYCRATE_STEP_TAGS, "PutBucketTagging"},
};

/* What the record says of each step, in the shape seed.c reports it. */
static void steps_from_record(seed_result *steps, const skycrate_record *record)
{
    memset(steps, 0, sizeof(*steps));
    for (size_t i = 0; i < sizeof(provisioner_steps) / sizeof(provisioner_steps[0]); i++) {
        skycrate_step_status st = skycrate_record_step(record, provisioner_steps[i].step);
        if (st == SKYCRATE_STEP_STATUS_OFF)
            continue;
        seed_step_result *r = &steps->steps[steps->count++];
        r->operation = provisioner_steps[i].operation;
        r->skipped = st == SKYCRATE_STEP_STATUS_SKIPPED;
        if (r->skipped) /* "HTTP 400 InvalidArgument: ..." */
            sscanf(skycrate_record_step_note(record, provisioner_steps[i].step),
                   "HTTP %d %63[A-Za-z]", &r->status, r->s3_code);
    }
}

/* The library's provisioner, with `lanes` concurrent lanes (0: the transport's); `late`: no
 * configuration request starts before the create has answered. */
static int run_provisioner(context *ctx, const char *user_id, run_result *out, unsigned int lanes,
                           bool late)
{
    skycrate_client *client = NULL;
    skycrate_provisioner_config *cfg = NULL;
    skycrate_provisioner *p = NULL;
    skycrate_record *record = NULL;
    int error = bench_client_new(&client, ctx->proxied_url, ctx->opt->region);
    if (error == 0)
        error = skycrate_provisioner_config_new(&cfg);
    if (error == 0)
        error = skycrate_provisioner_config_set_store(cfg, ctx->store);
    if (error == 0)
        error = skycrate_provisioner_config_set_failure_mode(
            cfg,
            ctx->opt->compatible ? SKYCRATE_FAILURE_MODE_COMPATIBLE : SKYCRATE_FAILURE_MODE_STRICT);
    if (error == 0)
        error = skycrate_provisioner_config_add_cors_origin(cfg, ctx->opt->origin);
    if (error == 0)
        error = skycrate_provisioner_config_set_application(cfg, "skycrate-bench");
    if (error == 0)
        error = skycrate_provisioner_config_set_concurrency(cfg, lanes);
    if (error == 0)
        error = skycrate_provisioner_new(&p, client, cfg);
    if (error < 0) {
        snprintf(out->message, sizeof(out->message), "%s", skycrate_error_last()->message);
        goto done;
    }
    p->tuning.late_lanes = late; /* an internal switch (lib/provision/provisioner.h) */

    double t0 = bench_now_ms();
    error = skycrate_provisioner_provision(&record, p, user_id);
    out->wall_ms = bench_now_ms() - t0;
    if (error < 0) {
        snprintf(out->message, sizeof(out->message), "%s", skycrate_error_last()->message);
        /* The record names the bucket even after a failure (rolled back or not). */
        if (skycrate_provisioner_show(&record, p, user_id) < 0)
            skycrate_error_clear();
    }
    if (record) {
        snprintf(out->bucket, sizeof(out->bucket), "%s", skycrate_record_bucket(record));
        steps_from_record(&out->steps, record);
    }

done:
    skycrate_record_free(record);
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(cfg);
    skycrate_client_free(client); /* closes its connections */
    return error;
}

static int run_sequential(context *ctx, const char *user_id, run_result *out)
{
    return run_provisioner(ctx, user_id, out, 1, false);
}

/* Concurrency is capped by the transport's max_concurrency: this asks for every lane, also in
 * compatible mode (where the provisioner's default is one lane). */
#define ALL_LANES 1024u

static int run_concurrent(context *ctx, const char *user_id, run_result *out)
{
    return run_provisioner(ctx, user_id, out, ALL_LANES, false);
}

static int run_concurrent_late(context *ctx, const char *user_id, run_result *out)
{
    return run_provisioner(ctx, user_id, out, ALL_LANES, true);
}

static int run_default(context *ctx, const char *user_id, run_result *out)
{
    return run_provisioner(ctx, user_id, out, 0, false);
}

static const order orders[] = {
    {"sequential",
     "the provisioner's sequential mode (concurrency 1): the seed's order, one request after "
     "another, one connection",
     run_sequential},
    {"concurrent",
     "the provisioner's concurrent order (concurrency: every lane of the transport, also in "
     "compatible mode): the create, then the configuration steps at once",
     run_concurrent},
    {"concurrent-late",
     "the concurrent order with every configuration request started only once the create "
     "has answered (each extra lane then connects after it)",
     run_concurrent_late},
    {"default",
     "the provisioner with its default concurrency (0: the transport's lanes in strict mode, "
     "one lane in compatible mode)",
     run_default},
    {"seed",
     "the seed's order rebuilt on the request layer (bench/seed.c), one request after another",
     run_seed_order},
    {"lanes", "bench/seed.c's requests, the steps after the create on the client's lanes",
     run_lanes},
};

/* ---- measuring ----------------------------------------------------------------------------- */

/* Appends up to `n` bytes of `s` to out (size bytes in all, kept NUL-terminated). */
static void append(char *out, size_t size, const char *s, size_t n)
{
    size_t len = strlen(out);
    if (n > size - 1 - len)
        n = size - 1 - len;
    memcpy(out + len, s, n);
    out[len + n] = '\0';
}

/* The request line with the bucket name replaced by "{bucket}", so that runs compare. */
static void normalise(char *out, size_t size, const char *line, const char *bucket)
{
    const char *at = *bucket ? strstr(line, bucket) : NULL;
    out[0] = '\0';
    if (!at) {
        append(out, size, line, strlen(line));
        return;
    }
    append(out, size, line, (size_t)(at - line));
    append(out, size, "{bucket}", 8);
    append(out, size, at + strlen(bucket), strlen(at + strlen(bucket)));
}

static void collect(context *ctx, run_result *r)
{
    r->requests = delayproxy_request_count(ctx->proxy);
    r->connections = delayproxy_connections(ctx->proxy);
    r->line_count = 0;
    for (size_t i = 0; i < r->requests && i < LINES_MAX; i++) {
        char line[512];
        if (delayproxy_request_line(ctx->proxy, i, line, sizeof(line)) != 0)
            break;
        normalise(r->lines[r->line_count++], sizeof(r->lines[0]), line, r->bucket);
        unsigned int c = delayproxy_request_connection(ctx->proxy, i);
        if (c >= 1 && c <= LINES_MAX)
            r->per_connection[c - 1]++;
        for (size_t j = 0; j + 1 < r->line_count; j++)
            if (!strcmp(r->lines[j], r->lines[r->line_count - 1])) {
                r->repeats++;
                break;
            }
    }
}

static void run_once(context *ctx, const order *o, unsigned int run, run_result *r,
                     skycrate_client *direct)
{
    memset(r, 0, sizeof(*r));
    char user_id[64];
    snprintf(user_id, sizeof(user_id), "bench-%d-%s-%u", (int)getpid(), o->name, run);
    delayproxy_reset(ctx->proxy);
    r->error = o->run(ctx, user_id, r);
    /* Requests are counted as their bytes reach the proxy: every answered one is counted. */
    collect(ctx, r);
    if (r->error == 0)
        r->lost = seed_verify(direct, r->bucket, &r->steps, r->missing, sizeof(r->missing));
    if (*r->bucket && seed_cleanup(direct, r->bucket) < 0 &&
        skycrate_client_last_response(direct)->http_status != 404)
        fprintf(stderr, "warning: could not delete %s: %s\n", r->bucket,
                skycrate_error_last()->message);
    skycrate_user_store_remove(ctx->store, user_id, NULL);
    skycrate_error_clear();
}

/* ---- printing ------------------------------------------------------------------------------ */

static void print_outcome(const run_result *r)
{
    if (r->error < 0) {
        printf("FAILED: %s", r->message);
        return;
    }
    if (r->lost)
        printf("LOST %d (read back afterwards: no %s)", r->lost, r->missing);
    else
        printf("ok, verified");
    const char *sep = ", skipped: ";
    for (size_t i = 0; i < r->steps.count; i++) {
        const seed_step_result *s = &r->steps.steps[i];
        if (s->operation && s->skipped) {
            printf("%s%s (%d %s)", sep, s->operation, s->status, s->s3_code);
            sep = ", ";
        }
    }
}

static void print_run(unsigned int run, const order *o, const run_result *r, bool verbose)
{
    char per[128] = "";
    size_t len = 0;
    for (unsigned int c = 0; c < r->connections && c < LINES_MAX && len < sizeof(per) - 8; c++)
        len += (size_t)snprintf(per + len, sizeof(per) - len, "%s%u", c ? " " : "",
                                r->per_connection[c]);
    printf("%-4u %-11s %8zu %7zu %11u  %-16s %9.1f  ", run, o->name, r->requests, r->repeats,
           r->connections, per, r->wall_ms);
    print_outcome(r);
    printf("\n");
    if (verbose)
        for (size_t i = 0; i < r->line_count; i++)
            printf("       %s\n", r->lines[i]);
}

static int compare_line(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Sorts a run's request lines and drops repeats (retries); returns how many are distinct. */
static size_t distinct_lines(run_result *r)
{
    qsort(r->lines, r->line_count, sizeof(r->lines[0]), compare_line);
    size_t n = 0;
    for (size_t i = 0; i < r->line_count; i++)
        if (n == 0 || strcmp(r->lines[n - 1], r->lines[i]) != 0)
            memmove(r->lines[n++], r->lines[i], sizeof(r->lines[0]));
    r->line_count = n;
    return n;
}

/* True when both runs sent the same requests (in any order, repeats aside). */
static bool same_requests(run_result *a, run_result *b)
{
    if (distinct_lines(a) != distinct_lines(b))
        return false;
    for (size_t i = 0; i < a->line_count; i++)
        if (strcmp(a->lines[i], b->lines[i]) != 0)
            return false;
    return true;
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bench-provision --endpoint http://127.0.0.1:PORT [--rtt MS] [--runs N]\n"
               "                       [--region R] [--origin URL] [--orders LIST]\n"
               "                       [--compatible] [--exists-check] [--check] [--verbose]\n"
               "                       [--log LEVEL (1 errors .. 3 one line per request .. 5)]\n"
               "                       [--store-dir DIR (for the users.json, default /tmp)]\n"
               "orders:");
    for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++)
        fprintf(f, "\n  %-11s %s", orders[i].name, orders[i].description);
    fprintf(f, "\n");
}

static int parse_options(options *opt, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"rtt", required_argument, NULL, 'r'},
        {"runs", required_argument, NULL, 'n'},     {"region", required_argument, NULL, 'g'},
        {"origin", required_argument, NULL, 'o'},   {"orders", required_argument, NULL, 'O'},
        {"compatible", no_argument, NULL, 'c'},     {"exists-check", no_argument, NULL, 'x'},
        {"check", no_argument, NULL, 'k'},          {"verbose", no_argument, NULL, 'v'},
        {"log", required_argument, NULL, 'l'},      {"store-dir", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    *opt = (options){.rtt_ms = 20,
                     .runs = 5,
                     .origin = "https://app.example.com",
                     .orders = DEFAULT_ORDERS,
                     .store_dir = "/tmp"};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'e': opt->endpoint = optarg; break;
        case 'r': opt->rtt_ms = (unsigned int)strtoul(optarg, NULL, 10); break;
        case 'n': opt->runs = (unsigned int)strtoul(optarg, NULL, 10); break;
        case 'g': opt->region = optarg; break;
        case 'o': opt->origin = optarg; break;
        case 'O': opt->orders = optarg; break;
        case 'c': opt->compatible = true; break;
        case 'x': opt->exists_check = true; break;
        case 'k': opt->check = true; break;
        case 'v': opt->verbose = true; break;
        case 'l': opt->log_level = atoi(optarg); break;
        case 's': opt->store_dir = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (!opt->endpoint || optind != argc || opt->runs < 1 || opt->runs > RUNS_MAX) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* "http://IPV4:PORT" (the proxy forwards to an IPv4 address on loopback or elsewhere). */
static const order *find_order(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++)
        if (strlen(orders[i].name) == len && !strncmp(orders[i].name, name, len))
            return &orders[i];
    return NULL;
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_options(&opt, argc, argv) < 0)
        return 2;
    const order *chosen[2];
    size_t n_orders = 0;
    for (const char *p = opt.orders; *p && n_orders < 2;) {
        size_t len = strcspn(p, ",");
        if (!(chosen[n_orders++] = find_order(p, len))) {
            fprintf(stderr, "unknown order '%.*s'\n", (int)len, p);
            return 2;
        }
        p += len + (p[len] == ',');
    }
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
    bench_log_to_stderr(opt.log_level);

    int status = 1;
    context ctx = {.opt = &opt};
    skycrate_client *direct = NULL;
    char store_path[300] = "";
    run_result(*results)[2] = calloc(opt.runs, sizeof(*results));
    if (!results || bench_store_make(store_path, sizeof(store_path), opt.store_dir) < 0)
        goto done;
    if (skycrate_user_store_new_file(&ctx.store, store_path, 0) < 0 ||
        bench_client_new(&direct, opt.endpoint, opt.region) < 0) {
        fprintf(stderr, "bench: %s\n", skycrate_error_last()->message);
        goto done;
    }
    ctx.proxy = delayproxy_start(host, port, opt.rtt_ms);
    if (!ctx.proxy)
        goto done;
    snprintf(ctx.proxied_url, sizeof(ctx.proxied_url), "http://127.0.0.1:%d",
             delayproxy_port(ctx.proxy));

    printf("libskycrate provisioning benchmark\n");
    printf("server   %s, through a delaying proxy on 127.0.0.1:%d\n", opt.endpoint,
           delayproxy_port(ctx.proxy));
    printf("delay    RTT %u ms: %.1f ms each way per chunk, one more RTT per new connection\n",
           opt.rtt_ms, opt.rtt_ms / 2.0);
    printf("store    %s (user records; the provisioner writes each one three times, with fsync)\n",
           store_path);
    printf("mode     %s%s; %u runs of each order, alternating which goes first\n",
           opt.compatible ? "compatible" : "strict",
           opt.exists_check ? ", HeadBucket before the create" : "", opt.runs);
    for (size_t k = 0; k < n_orders; k++)
        printf("order    %-11s %s\n", chosen[k]->name, chosen[k]->description);
    printf("\n%-4s %-11s %8s %7s %11s  %-16s %9s  %s\n", "run", "order", "requests", "repeats",
           "connections", "per connection", "wall ms", "result");

    /* A fresh radosgw makes its pools on the first bucket: one untimed run of each order first. */
    for (size_t k = 0; k < n_orders; k++) {
        run_result *warm = &results[0][k];
        run_once(&ctx, chosen[k], 0, warm, direct);
        printf("%-4s %-11s %8s %7s %11s  %-16s %9.1f  %s\n", "-", chosen[k]->name, "", "", "",
               "warm-up", warm->wall_ms, warm->error < 0 ? warm->message : "");
    }

    bool failed = false;
    for (unsigned int run = 0; run < opt.runs; run++) {
        for (size_t k = 0; k < n_orders; k++) {
            size_t which = (run % 2 && n_orders == 2) ? 1 - k : k;
            run_result *r = &results[run][which];
            run_once(&ctx, chosen[which], run + 1, r, direct);
            print_run(run + 1, chosen[which], r, opt.verbose);
            failed |= r->error < 0;
        }
    }

    printf("\nmedian of %u runs\n", opt.runs);
    double med[2] = {0, 0};
    bool lost = false;
    for (size_t k = 0; k < n_orders; k++) {
        double wall[RUNS_MAX], req[RUNS_MAX], conn[RUNS_MAX];
        unsigned int lost_runs = 0;
        for (unsigned int run = 0; run < opt.runs; run++) {
            wall[run] = results[run][k].wall_ms;
            req[run] = (double)results[run][k].requests;
            conn[run] = results[run][k].connections;
            lost_runs += results[run][k].lost > 0;
        }
        med[k] = bench_median(wall, opt.runs);
        printf("  %-11s %5.0f requests %4.0f connection(s) %9.1f ms", chosen[k]->name,
               bench_median(req, opt.runs), bench_median(conn, opt.runs), med[k]);
        if (lost_runs)
            printf("   configuration lost in %u of %u runs", lost_runs, opt.runs);
        printf("\n");
        lost |= lost_runs > 0;
    }
    status = failed ? 1 : 0;
    if (n_orders == 2) {
        double ratio = med[0] > 0 ? med[1] / med[0] : 0;
        bool met = ratio > 0 && ratio <= 0.5;
        printf("  ratio %s/%s %.2f (target <= 0.50: %s)\n", chosen[1]->name, chosen[0]->name, ratio,
               met ? "met" : "NOT met");
        bool same = true;
        for (unsigned int run = 0; run < opt.runs; run++)
            same &= same_requests(&results[run][0], &results[run][1]);
        printf("  same requests in both orders (repeats aside): %s\n",
               same ? "yes" : "NO (see --verbose)");
        if (opt.check && !failed && (!met || !same || lost))
            status = 3;
    }

done:
    delayproxy_stop(ctx.proxy);
    skycrate_client_free(direct);
    skycrate_user_store_unref(ctx.store);
    bench_store_remove(store_path);
    free(results);
    skycrate_global_cleanup();
    return status;
}
