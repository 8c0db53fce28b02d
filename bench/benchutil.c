/*
 * What the benchmark programs share (benchutil.h).
 * SPDX-License-Identifier: MIT
 */
#include "benchutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static double log_epoch = -1;

static void log_line(skycrate_log_level level, const char *message, void *user_data)
{
    (void)level;
    (void)user_data;
    fprintf(stderr, "[%9.1f ms] %s\n", bench_now_ms() - log_epoch, message);
}

void bench_log_to_stderr(int level)
{
    if (log_epoch < 0)
        log_epoch = bench_now_ms();
    skycrate_log_set((skycrate_log_level)level, level > 0 ? log_line : NULL, NULL);
}

int bench_client_new(skycrate_client **out, const char *url, const char *region)
{
    skycrate_client_config *cfg = NULL;
    int error = skycrate_client_config_new(&cfg);
    if (error == 0)
        error = skycrate_client_config_set_endpoint(cfg, url);
    if (error == 0)
        error = skycrate_client_config_set_allow_http(cfg, 1);
    if (error == 0 && region)
        error = skycrate_client_config_set_region(cfg, region);
    if (error == 0)
        error = skycrate_client_new(out, cfg);
    skycrate_client_config_free(cfg);
    return error;
}

int bench_parse_endpoint(const char *url, char *host, size_t host_size, int *port)
{
    const char *p = strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    const char *colon = p ? strchr(p, ':') : NULL;
    if (!colon || (size_t)(colon - p) >= host_size)
        return -1;
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (v <= 0 || v > 65535 || (*end && strcmp(end, "/") != 0))
        return -1;
    *port = (int)v;
    return 0;
}

int bench_store_make(char *store_path, size_t size, const char *parent)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/skycrate-bench.XXXXXX", parent);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(store_path, size, "%s/users.json", dir);
    return 0;
}

void bench_store_remove(const char *store_path)
{
    if (!*store_path)
        return;
    char path[512];
    unlink(store_path);
    snprintf(path, sizeof(path), "%s.lock", store_path);
    unlink(path);
    snprintf(path, sizeof(path), "%s", store_path);
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        rmdir(path);
    }
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
