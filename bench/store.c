/*
 * bench-store: records per second of dev-mode provisioning into the JSON-file user store and
 * into the PostgreSQL user store (libskycrate-pg), from 1 and from 8 processes at once.
 *
 *   tests/servers/with-pg.sh build/bench/bench-store [--users N] [--runs R] [--store-dir DIR]
 *       [--pg CONNINFO] [--processes 1,8]
 *
 * Dev mode makes no network call, so what is measured is the store: each provisioning reads
 * the user's record (none), writes it with compare-and-swap and reads it back. Every process
 * opens its own store (as separate app servers would), then they start together; the time runs
 * from the start to the last process's end, and each process provisions its own N users, so a
 * run writes processes * N records. The file store writes to DIR (default /tmp); the
 * PostgreSQL store to a fresh table of the database SKYCRATE_TEST_PG names (with-pg.sh starts a
 * throwaway server; its durability is off, like a file system without fsync would not be, so
 * compare shapes, not absolute numbers). The baseline is the file store from one process, run
 * in the same sitting; each figure is the median of R runs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "skycrate.h"
#include "skycrate/store_pg.h"

#define MAX_PROCESSES 64
#define MAX_RUNS 32

typedef struct options {
    int users, runs;
    const char *store_dir, *pg;
    int processes[8];
    size_t process_counts;
} options;

typedef enum kind { KIND_FILE, KIND_PG } kind;
static const char *const kind_name[] = {"file", "postgresql"};

/* Where a run keeps its records: the users file's path, or the table's name. */
typedef struct target {
    kind kind;
    char path[512];
    char table[64];
    const char *pg;
} target;

static int open_store(skycrate_user_store **out, const target *t)
{
    if (t->kind == KIND_FILE)
        return skycrate_user_store_new_file(out, t->path, 60000);
    return skycrate_user_store_new_postgresql(out, t->pg, t->table);
}

/* One process: opens its store and provisioner, waits for the start, provisions its users. */
static int worker(const target *t, int process, int users, int start_fd)
{
    skycrate_user_store *store = NULL;
    skycrate_provisioner_config *cfg = NULL;
    skycrate_provisioner *p = NULL;
    int failures = 0;
    char c;
    if (open_store(&store, t) < 0 || skycrate_provisioner_config_new(&cfg) < 0 ||
        skycrate_provisioner_config_set_store(cfg, store) < 0 ||
        skycrate_provisioner_config_set_dev_mode(cfg, 1) < 0 ||
        skycrate_provisioner_new(&p, NULL, cfg) < 0) {
        fprintf(stderr, "bench-store: %s\n", skycrate_error_last()->message);
        failures = users;
    }
    while (read(start_fd, &c, 1) < 0 && errno == EINTR) {
    }
    for (int i = 0; p && i < users; i++) {
        char id[64];
        snprintf(id, sizeof(id), "bench-p%d-u%d", process, i);
        if (skycrate_provisioner_provision(NULL, p, id) < 0) {
            fprintf(stderr, "bench-store: %s: %s\n", id, skycrate_error_last()->message);
            failures++;
        }
    }
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(cfg);
    skycrate_user_store_unref(store);
    return failures;
}

/* One run: `processes` processes at once; returns the seconds, or -1 when one failed. */
static double run(const target *t, int processes, int users)
{
    pid_t pids[MAX_PROCESSES];
    int start[2];
    if (pipe(start) != 0)
        return -1;
    fflush(NULL);
    for (int k = 0; k < processes; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            close(start[1]);
            _exit(worker(t, k, users, start[0]) == 0 ? 0 : 1);
        }
    }
    close(start[0]);
    usleep(200 * 1000); /* every process has opened its store (a connection, for PostgreSQL) */
    double t0 = bench_now_ms();
    close(start[1]);
    bool ok = true;
    for (int k = 0; k < processes; k++) {
        int status = 0;
        ok = waitpid(pids[k], &status, 0) == pids[k] && WIFEXITED(status) &&
             WEXITSTATUS(status) == 0 && ok;
    }
    return ok ? (bench_now_ms() - t0) / 1000.0 : -1;
}

/* A fresh place for one run's records. */
static int target_make(target *t, kind k, const options *o, int run_no)
{
    memset(t, 0, sizeof(*t));
    t->kind = k;
    t->pg = o->pg;
    if (k == KIND_FILE)
        return bench_store_make(t->path, sizeof(t->path), o->store_dir);
    snprintf(t->table, sizeof(t->table), "bench_store_%d_%d", (int)getpid(), run_no);
    return 0;
}

/* Removes the run's records: the file and its directory, or the table's rows. */
static void target_remove(const target *t, int processes, int users)
{
    if (t->kind == KIND_FILE) {
        bench_store_remove(t->path);
        return;
    }
    skycrate_user_store *store = NULL;
    if (open_store(&store, t) < 0)
        return;
    for (int k = 0; k < processes; k++)
        for (int i = 0; i < users; i++) {
            char id[64];
            snprintf(id, sizeof(id), "bench-p%d-u%d", k, i);
            skycrate_user_store_remove(store, id, NULL);
        }
    skycrate_user_store_unref(store);
}

/* The median of R runs, in records per second (0 when a run failed). */
static double measure(kind k, int processes, const options *o, int *run_no)
{
    double rates[MAX_RUNS];
    for (int r = 0; r < o->runs; r++) {
        target t;
        if (target_make(&t, k, o, ++*run_no) < 0)
            return 0;
        double seconds = run(&t, processes, o->users);
        target_remove(&t, processes, o->users);
        if (seconds <= 0)
            return 0;
        rates[r] = processes * o->users / seconds;
    }
    return bench_median(rates, (size_t)o->runs);
}

static int parse_processes(options *o, const char *list)
{
    o->process_counts = 0;
    for (const char *p = list; *p;) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 1 || n > MAX_PROCESSES || o->process_counts == 8)
            return -1;
        o->processes[o->process_counts++] = (int)n;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return o->process_counts ? 0 : -1;
}

static int parse_options(options *o, int argc, char **argv)
{
    static const struct option longs[] = {
        {"users", required_argument, NULL, 'u'},     {"runs", required_argument, NULL, 'r'},
        {"store-dir", required_argument, NULL, 'd'}, {"pg", required_argument, NULL, 'g'},
        {"processes", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
    *o = (options){.users = 100, .runs = 3, .store_dir = "/tmp", .pg = getenv("SKYCRATE_TEST_PG")};
    parse_processes(o, "1,8");
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'u': o->users = atoi(optarg); break;
        case 'r': o->runs = atoi(optarg); break;
        case 'd': o->store_dir = optarg; break;
        case 'g': o->pg = optarg; break;
        case 'p':
            if (parse_processes(o, optarg) < 0)
                return -1;
            break;
        default: return -1;
        }
    }
    if (o->users < 1 || o->runs < 1 || o->runs > MAX_RUNS || optind != argc)
        return -1;
    if (!o->pg) {
        fprintf(stderr, "bench-store: no database: run it through tests/servers/with-pg.sh, "
                        "or give --pg CONNINFO\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(&o, argc, argv) < 0) {
        fprintf(stderr,
                "usage: %s [--users N] [--runs R] [--store-dir DIR] [--pg CONNINFO] "
                "[--processes 1,8]\n",
                argv[0]);
        return 2;
    }
    if (skycrate_global_init(NULL) < 0)
        return 1;
    printf("dev-mode provisioning, %d users per process, median of %d runs\n", o.users, o.runs);
    printf("%-11s %9s %9s %11s %10s\n", "store", "processes", "records", "records/s", "vs file/1");
    int run_no = 0, status = 0;
    double baseline = measure(KIND_FILE, 1, &o, &run_no);
    for (int k = KIND_FILE; k <= KIND_PG; k++)
        for (size_t i = 0; i < o.process_counts; i++) {
            int n = o.processes[i];
            double rate = k == KIND_FILE && n == 1 ? baseline : measure(k, n, &o, &run_no);
            if (rate <= 0)
                status = 1;
            printf("%-11s %9d %9d %11.0f %9.2fx\n", kind_name[k], n, n * o.users, rate,
                   baseline > 0 ? rate / baseline : 0.0);
            fflush(stdout);
        }
    skycrate_global_cleanup();
    return status;
}
