/*
 * bench-transfer: skycrate-upload and skycrate-download against curl, in one sitting, on the
 * same server and file; and the memory bound of a large upload against a discarding server.
 *
 *   1. Uploads of one file (default 1 GiB) to S3 (radosgw on loopback, bench/run-transfer.sh):
 *      `curl -T` to a presigned PUT URL made by the library, `skycrate-upload` as one PutObject
 *      (with its default CRC32C checksum, and with none, as curl sends), `skycrate-upload` as a
 *      multipart upload with 4 parts at once, in the library's automatic part size. One round
 *      of each first warms the server and the page cache, uncounted; then the runs rotate the
 *      order.
 *   2. Downloads of that object: `curl -o` from a presigned GET URL, `skycrate-download` with 4
 *      ranges at once (automatic range size).
 *   3. An upload of a generated stream (default 4 GiB, read from a pipe, never a file) by
 *      `skycrate-upload` to bench/sinkserver.c, which reads and discards.
 * Each transfer is a child process: wall time from fork to exit, and its peak RSS (wait4).
 * Every object is deleted after its run (the test radosgw keeps objects in memory).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "sinkserver.h"

#define MIB (1024.0 * 1024.0)
#define MAX_RUNS 20

typedef struct settings {
    const char *endpoint, *region, *dir, *upload_bin, *download_bin, *curl_bin;
    unsigned long long size, sink_size;
    int runs;
    bool skip_s3, skip_sink;
} settings;

typedef struct outcome {
    double seconds;
    long rss_kib;
    int status;
} outcome;

/* Runs argv with stdin from `in_fd` (-1: /dev/null), stdout to /dev/null; its time and RSS. */
static outcome run(char *const argv[], int in_fd)
{
    outcome o = {0, 0, -1};
    double start = bench_now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(in_fd >= 0 ? in_fd : null, 0);
        dup2(null, 1);
        execvp(argv[0], argv);
        fprintf(stderr, "bench-transfer: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
        return o;
    o.seconds = (bench_now_ms() - start) / 1000.0;
    o.rss_kib = ru.ru_maxrss;
    o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return o;
}

/* A file of `size` bytes of pseudo-random content (incompressible, not periodic). */
static int make_file(const char *path, unsigned long long size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    static uint64_t buf[1 << 17]; /* 1 MiB */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned long long at = 0; at < size; at += sizeof(buf)) {
        for (size_t i = 0; i < sizeof(buf) / 8; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = x;
        }
        size_t n = size - at < sizeof(buf) ? (size_t)(size - at) : sizeof(buf);
        if (fwrite(buf, 1, n, f) != n) {
            fclose(f);
            return -1;
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

static char *presign(skycrate_presigner *p, const char *method, const char *bucket, const char *key)
{
    skycrate_presign_request *req = NULL;
    skycrate_presigned *c = NULL;
    char *url = NULL;
    if (skycrate_presign_request_new(&req, method, bucket, key) == 0 &&
        skycrate_presign_request_set_expires(req, 3600) == 0 &&
        skycrate_presigner_sign(&c, p, req) == 0)
        url = strdup(skycrate_presigned_url(c));
    skycrate_presigned_free(c);
    skycrate_presign_request_free(req);
    return url;
}

typedef struct series {
    const char *name;
    double mibs[MAX_RUNS];
    long rss[MAX_RUNS];
    int n;
} series;

static void record(series *s, outcome o, unsigned long long size)
{
    if (o.status != 0) {
        fprintf(stderr, "bench-transfer: %s failed (exit %d)\n", s->name, o.status);
        return;
    }
    s->mibs[s->n] = (double)size / MIB / o.seconds;
    s->rss[s->n] = o.rss_kib;
    printf("  %-32s %8.1f MiB/s  %6.1f s  peak RSS %6.1f MiB\n", s->name, s->mibs[s->n], o.seconds,
           (double)o.rss_kib / 1024.0);
    fflush(stdout);
    s->n++;
}

static double median_of(series *s)
{
    double v[MAX_RUNS];
    memcpy(v, s->mibs, sizeof(double) * (size_t)s->n);
    return s->n ? bench_median(v, (size_t)s->n) : 0;
}

static long max_rss(const series *s)
{
    long m = 0;
    for (int i = 0; i < s->n; i++)
        m = s->rss[i] > m ? s->rss[i] : m;
    return m;
}

/* Deletes an object and lets radosgw's garbage collector free its data (memstore). */
static void remove_object(skycrate_client *c, const char *bucket, const char *key)
{
    skycrate_object_delete(c, bucket, key);
    sleep(4);
}

static void verdict(const char *what, bool met)
{
    printf("  %-58s %s\n", what, met ? "met" : "MISSED");
}

static int bench_s3(const settings *s, bool *all_met)
{
    skycrate_client *client = NULL;
    skycrate_presigner *presigner = NULL;
    char bucket[64], path[1024], out[1024], size_text[32];
    snprintf(bucket, sizeof(bucket), "bench-transfer-%d", (int)getpid());
    snprintf(path, sizeof(path), "%s/bench-transfer-%d.bin", s->dir, (int)getpid());
    snprintf(out, sizeof(out), "%s/bench-transfer-%d.out", s->dir, (int)getpid());
    if (bench_client_new(&client, s->endpoint, s->region) < 0 ||
        skycrate_bucket_create(client, bucket) < 0 ||
        skycrate_presigner_new(&presigner, client) < 0) {
        fprintf(stderr, "bench-transfer: %s\n", skycrate_error_last()->message);
        skycrate_client_free(client);
        return 1;
    }
    printf("file: %.0f MiB of pseudo-random bytes in %s\n", (double)s->size / MIB, s->dir);
    if (make_file(path, s->size) < 0) {
        fprintf(stderr, "bench-transfer: cannot write %s\n", path);
        return 1;
    }
    char *put_url = presign(presigner, "PUT", bucket, "curl");
    char *get_url = presign(presigner, "GET", bucket, "obj");
    snprintf(size_text, sizeof(size_text), "%llu", s->size);
    const char *ep = s->endpoint;
    char *curl_put[] = {(char *)s->curl_bin, "-sS",   "-f", "-T", path, "-o",
                        "/dev/null",         put_url, NULL};
    char *single[] = {(char *)s->upload_bin,
                      "--endpoint",
                      (char *)ep,
                      "--quiet",
                      "--threshold",
                      "5G",
                      path,
                      bucket,
                      "single",
                      NULL};
    char *bare[] = {
        (char *)s->upload_bin, "--endpoint", (char *)ep, "--quiet", "--threshold", "5G",
        "--checksum",          "none",       path,       bucket,    "bare",        NULL};
    char *multi[] = {(char *)s->upload_bin,
                     "--endpoint",
                     (char *)ep,
                     "--quiet",
                     "--concurrency",
                     "4",
                     path,
                     bucket,
                     "multi",
                     NULL};
    enum { UPLOADS = 4 };
    char *const *cmds[UPLOADS] = {curl_put, single, bare, multi};
    const char *keys[UPLOADS] = {"curl", "single", "bare", "multi"};
    series up[UPLOADS] = {{.name = "curl -T (presigned PUT)"},
                          {.name = "skycrate-upload, one PutObject"},
                          {.name = "one PutObject, no checksum"},
                          {.name = "skycrate-upload, multipart x4"}};
    printf("\nuploads (one uncounted round, then %d runs, the order rotates):\n", s->runs);
    for (int i = 0; i < UPLOADS; i++) { /* warm-up */
        run(cmds[i], -1);
        remove_object(client, bucket, keys[i]);
    }
    for (int r = 0; r < s->runs; r++)
        for (int k = 0; k < UPLOADS; k++) {
            int i = (k + r) % UPLOADS;
            record(&up[i], run(cmds[i], -1), s->size);
            remove_object(client, bucket, keys[i]);
        }

    char *obj_up[] = {
        (char *)s->upload_bin, "--endpoint", (char *)ep, "--quiet", path, bucket, "obj", NULL};
    char *curl_get[] = {(char *)s->curl_bin, "-sS", "-f", "-o", out, get_url, NULL};
    char *down[] = {(char *)s->download_bin,
                    "--endpoint",
                    (char *)ep,
                    "--quiet",
                    "--concurrency",
                    "4",
                    bucket,
                    "obj",
                    out,
                    NULL};
    series dn[2] = {{.name = "curl -o (presigned GET)"}, {.name = "skycrate-download, ranges x4"}};
    char *const *dcmds[] = {curl_get, down};
    printf("\ndownloads (%d runs, the order alternates):\n", s->runs);
    if (run(obj_up, -1).status != 0) {
        fprintf(stderr, "bench-transfer: the object to download could not be uploaded\n");
    } else {
        for (int r = 0; r < s->runs; r++)
            for (int k = 0; k < 2; k++) {
                int i = (k + r) % 2;
                outcome o = run(dcmds[i], -1);
                struct stat st;
                if (o.status == 0 &&
                    (stat(out, &st) != 0 || (unsigned long long)st.st_size != s->size))
                    o.status = 99; /* incomplete */
                record(&dn[i], o, s->size);
                unlink(out);
            }
        remove_object(client, bucket, "obj");
    }
    unlink(path);

    double curl_up = median_of(&up[0]), curl_down = median_of(&dn[0]);
    printf("\nmedians (MiB/s) and ratios against curl:\n");
    for (int i = 0; i < UPLOADS; i++)
        printf("  %-32s %8.1f  x%.2f  peak RSS %.1f MiB\n", up[i].name, median_of(&up[i]),
               curl_up ? median_of(&up[i]) / curl_up : 0, (double)max_rss(&up[i]) / 1024.0);
    for (int i = 0; i < 2; i++)
        printf("  %-32s %8.1f  x%.2f  peak RSS %.1f MiB\n", dn[i].name, median_of(&dn[i]),
               curl_down ? median_of(&dn[i]) / curl_down : 0, (double)max_rss(&dn[i]) / 1024.0);
    bool single_ok = up[1].n && median_of(&up[1]) >= 0.95 * curl_up;
    bool multi_ok = up[3].n && median_of(&up[3]) >= curl_up;
    long rss = 0;
    for (int i = 1; i < UPLOADS; i++)
        rss = max_rss(&up[i]) > rss ? max_rss(&up[i]) : rss;
    rss = max_rss(&dn[1]) > rss ? max_rss(&dn[1]) : rss;
    printf("\ntargets:\n");
    verdict("one PutObject >= 0.95 x curl -T", single_ok);
    verdict("multipart x4 >= curl -T", multi_ok);
    verdict("peak RSS of skycrate-upload/-download < 64 MiB", rss > 0 && rss < 64 * 1024);
    *all_met = single_ok && multi_ok && rss > 0 && rss < 64 * 1024;
    skycrate_bucket_delete(client, bucket);
    free(put_url);
    free(get_url);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    return 0;
}

/* Writes `size` generated bytes into `fd` (a child process: its memory is not the uploader's). */
static pid_t generate(int fd, unsigned long long size)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    static unsigned char buf[1 << 16];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    for (unsigned long long at = 0; at < size;) {
        size_t n = size - at < sizeof(buf) ? (size_t)(size - at) : sizeof(buf);
        ssize_t w = write(fd, buf, n);
        if (w <= 0)
            _exit(1);
        at += (unsigned long long)w;
    }
    _exit(0);
}

static int bench_sink(const settings *s, bool *met)
{
    sinkserver *sink = sinkserver_start();
    if (!sink)
        return 1;
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", sinkserver_port(sink));
    int fds[2];
    if (pipe(fds) < 0)
        return 1;
    pid_t gen = generate(fds[1], s->sink_size);
    close(fds[1]);
    char *up[] = {(char *)s->upload_bin, "--endpoint", ep,  "--quiet",     "--part-size", "8M",
                  "--concurrency",       "4",          "-", "sink-bucket", "big",         NULL};
    printf("\nmemory bound: %.0f MiB generated into a pipe, uploaded by skycrate-upload (parts of "
           "8 MiB, 4 at once) to a loopback server that discards them:\n",
           (double)s->sink_size / MIB);
    series one = {.name = "skycrate-upload, stream to sink"};
    outcome o = run(up, fds[0]);
    close(fds[0]);
    waitpid(gen, NULL, 0);
    unsigned long long got = sinkserver_bytes(sink);
    if (got != s->sink_size) {
        fprintf(stderr, "bench-transfer: the sink read %llu bytes of %llu\n", got, s->sink_size);
        o.status = 98;
    }
    record(&one, o, s->sink_size);
    printf("  requests: %u; bound: 8 MiB x 4 lanes = 32 MiB of parts held at once\n",
           sinkserver_requests(sink));
    sinkserver_stop(sink);
    *met = one.n && one.rss[0] < 64 * 1024;
    verdict("peak RSS < 64 MiB at this size", *met);
    return 0;
}

static int parse(settings *s, int argc, char **argv)
{
    static const struct option options[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"region", required_argument, NULL, 'r'},
        {"size", required_argument, NULL, 's'},     {"sink-size", required_argument, NULL, 'k'},
        {"runs", required_argument, NULL, 'n'},     {"dir", required_argument, NULL, 'd'},
        {"upload", required_argument, NULL, 'u'},   {"download", required_argument, NULL, 'w'},
        {"curl", required_argument, NULL, 'c'},     {"only-sink", no_argument, NULL, 'S'},
        {"only-s3", no_argument, NULL, 'T'},        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'e': s->endpoint = optarg; break;
        case 'r': s->region = optarg; break;
        case 's': s->size = strtoull(optarg, NULL, 10) * 1024 * 1024; break;
        case 'k': s->sink_size = strtoull(optarg, NULL, 10) * 1024 * 1024; break;
        case 'n': s->runs = atoi(optarg); break;
        case 'd': s->dir = optarg; break;
        case 'u': s->upload_bin = optarg; break;
        case 'w': s->download_bin = optarg; break;
        case 'c': s->curl_bin = optarg; break;
        case 'S': s->skip_s3 = true; break;
        case 'T': s->skip_sink = true; break;
        default: return 2;
        }
    }
    if (s->runs < 1 || s->runs > MAX_RUNS || !s->size || !s->sink_size ||
        (!s->skip_s3 && !s->endpoint)) {
        fprintf(stderr, "usage: bench-transfer --endpoint URL [--size MIB] [--sink-size MIB] "
                        "[--runs N] [--dir DIR] [--upload BIN] [--download BIN] [--curl BIN] "
                        "[--only-s3 | --only-sink]\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    settings s = {.dir = "/dev/shm", /* the network and the programs are measured, not a disk */
                  .upload_bin = "skycrate-upload",
                  .download_bin = "skycrate-download",
                  .curl_bin = "curl",
                  .size = 1024ull * 1024 * 1024,
                  .sink_size = 4096ull * 1024 * 1024,
                  .runs = 3};
    int rc = parse(&s, argc, argv);
    if (rc)
        return rc;
    if (skycrate_global_init(NULL) < 0)
        return 1;
    bool s3_met = true, sink_met = true;
    if (!s.skip_s3)
        rc = bench_s3(&s, &s3_met);
    if (rc == 0 && !s.skip_sink)
        rc = bench_sink(&s, &sink_met);
    skycrate_global_cleanup();
    if (rc == 0 && !(s3_met && sink_met))
        printf("\nsome targets were missed (see above)\n");
    return rc;
}
