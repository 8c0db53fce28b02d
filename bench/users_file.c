/*
 * bench-users-file: what one write (and one read) of the users file costs as the file grows, against
 * the whole-tree way in the same run: parse the whole file into a jansson tree, change one
 * record, dump the whole tree (what the store did before it streamed).
 *
 *   build/bench/bench-users-file [--users N,N,...] [--runs R] [--dir DIR]
 *
 * For each size it writes a users file of N realistic records (about 700 bytes each) into a
 * fresh directory under DIR (default /tmp), then measures, each in a fresh child process: one
 * read of a record, one compare-and-swap write of a record through the store (a provisioning
 * makes three), and the whole-tree baseline. It prints the medians of R runs (default 5) in
 * milliseconds, the ratio baseline/store, and each child's peak resident memory above that of
 * a child that does nothing.
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "skycrate.h"

#define MAX_SIZES 8

static void write_users(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs("{\n  \"version\": 1,\n  \"users\": {", f);
    for (int i = 0; i < n; i++)
        fprintf(
            f,
            "%s\n    \"user-%07d\": {\n      \"userId\": \"user-%07d\",\n      \"bucket\": "
            "\"skycrate-user-%07d-20261122191500\",\n      \"region\": \"eu-west-1\",\n      "
            "\"endpoint\": \"https://s3.eu-west-1.amazonaws.com\",\n      \"mode\": \"aws\",\n"
            "      \"failureMode\": \"strict\",\n      \"state\": \"active\",\n      "
            "\"stepsPlanned\": [\"create\", \"public-access-block\", \"encryption\", "
            "\"ownership-controls\", \"cors\", \"tls-policy\", \"lifecycle\", \"tags\"],\n      "
            "\"stepsDone\": [\"create\", \"public-access-block\", \"encryption\", "
            "\"ownership-controls\", \"cors\", \"tls-policy\", \"lifecycle\", \"tags\"],\n      "
            "\"stepsSkipped\": [],\n      \"nameAttempts\": 1,\n      \"createdAt\": "
            "\"2026-11-22T19:15:00Z\",\n      \"updatedAt\": \"2026-11-22T19:15:02Z\"\n    }",
            i ? "," : "", i, i, i);
    fputs("\n  }\n}\n", f);
    fclose(f);
}

typedef enum { DO_NOTHING, DO_READ, DO_WRITE, DO_WHOLE_TREE } job;

static int run_job(job what, const char *path, const char *user)
{
    if (what == DO_NOTHING)
        return 0;
    if (what == DO_WHOLE_TREE) { /* parse all, change one, dump all */
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
        json_t *users = json_object_get(root, "users");
        json_t *r = json_object_get(users, user);
        json_object_set_new(r, "updatedAt", json_string("2026-11-22T19:16:00Z"));
        char tmp[600];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int rc = json_dump_file(root, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        unlink(tmp);
        return rc;
    }
    skycrate_user_store *store = NULL;
    char *text = NULL;
    int rc = skycrate_user_store_new_file(&store, path, 0);
    if (rc == 0)
        rc = skycrate_user_store_get(&text, store, user);
    if (rc == 0 && what == DO_WRITE) {
        json_t *r = json_loads(text, 0, NULL);
        json_object_set_new(r, "updatedAt", json_string("2026-11-22T19:16:00Z"));
        char *changed = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = skycrate_user_store_put(store, user, changed, text);
        free(changed);
        json_decref(r);
    }
    skycrate_free(text);
    skycrate_user_store_unref(store);
    return rc;
}

/* Runs a job in a fresh child: its time (ms, measured inside) and peak memory (KiB). */
static void measure(job what, const char *path, const char *user, double *ms, long *kib)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double start = bench_now_ms();
        int rc = run_job(what, path, user);
        double took = bench_now_ms() - start;
        if (write(fds[1], &took, sizeof(took)) != sizeof(took))
            _exit(3);
        _exit(rc == 0 ? 0 : 2);
    }
    close(fds[1]);
    int status = 0;
    struct rusage ru;
    if (pid < 0 || read(fds[0], ms, sizeof(*ms)) != sizeof(*ms) ||
        wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "bench-users-file: job %d failed (status %d)\n", (int)what, status);
        exit(1);
    }
    close(fds[0]);
    *kib = ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    int sizes[MAX_SIZES] = {1000, 10000, 100000}, count = 3, runs = 5;
    const char *parent = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--users") && i + 1 < argc) {
            count = 0;
            for (char *p = argv[++i]; *p && count < MAX_SIZES; p += strspn(p, ","))
                sizes[count++] = (int)strtol(p, &p, 10);
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            parent = argv[++i];
        } else {
            fprintf(stderr, "usage: bench-users-file [--users N,N,...] [--runs R] [--dir DIR]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 99 || skycrate_global_init(NULL) < 0)
        return 2;
    printf("%9s %8s %9s %9s %11s %7s %10s %10s %10s\n", "users", "file MiB", "read ms", "write ms",
           "whole ms", "ratio", "read KiB", "write KiB", "whole KiB");
    for (int s = 0; s < count; s++) {
        char path[512], user[32];
        if (bench_store_make(path, sizeof(path), parent) != 0)
            return 1;
        write_users(path, sizes[s]);
        snprintf(user, sizeof(user), "user-%07d", sizes[s] / 2);
        struct stat st;
        stat(path, &st);
        double t[4][99];
        long kib[4] = {0, 0, 0, 0};
        for (int r = 0; r < runs; r++)
            for (int j = DO_NOTHING; j <= DO_WHOLE_TREE; j++) {
                long k = 0;
                measure((job)j, path, user, &t[j][r], &k);
                if (k > kib[j])
                    kib[j] = k;
            }
        double read = bench_median(t[DO_READ], (size_t)runs);
        double write = bench_median(t[DO_WRITE], (size_t)runs);
        double whole = bench_median(t[DO_WHOLE_TREE], (size_t)runs);
        printf("%9d %8.1f %9.1f %9.1f %11.1f %6.2fx %10ld %10ld %10ld\n", sizes[s],
               st.st_size / 1048576.0, read, write, whole, whole / write,
               kib[DO_READ] - kib[DO_NOTHING], kib[DO_WRITE] - kib[DO_NOTHING],
               kib[DO_WHOLE_TREE] - kib[DO_NOTHING]);
        fflush(stdout);
        bench_store_remove(path);
    }
    skycrate_global_cleanup();
    return 0;
}
