/*
 * The parts skycrate-upload and skycrate-download share (transfercli.h).
 * SPDX-License-Identifier: MIT
 */
#include "transfercli.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- options ---- */

int cli_parse_size(uint64_t *out, const char *text)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno || end == text || text[0] == '-')
        return -1;
    uint64_t unit = 1;
    if (*end == 'K' || *end == 'k')
        unit = 1024;
    else if (*end == 'M' || *end == 'm')
        unit = 1024 * 1024;
    else if (*end == 'G' || *end == 'g')
        unit = 1024ull * 1024 * 1024;
    if (unit > 1) {
        end++;
        if (!strcmp(end, "iB") || !strcmp(end, "B"))
            end += strlen(end);
    }
    if (*end || n > UINT64_MAX / unit)
        return -1;
    *out = (uint64_t)n * unit;
    return 0;
}

int cli_option(cli *c, int opt, const char *arg)
{
    switch (opt) {
    case CLI_REGION: c->region = arg; return 1;
    case CLI_ENDPOINT: c->endpoint = arg; return 1;
    case CLI_ADDRESSING:
        if (strcmp(arg, "auto") && strcmp(arg, "virtual") && strcmp(arg, "path")) {
            fprintf(stderr, "%s: --addressing is auto, virtual or path\n", c->program);
            return -1;
        }
        c->addressing = arg;
        return 1;
    case CLI_PART_SIZE:
        if (cli_parse_size(&c->part_size, arg) < 0) {
            fprintf(stderr, "%s: --part-size '%s' is not a size (e.g. 8M)\n", c->program, arg);
            return -1;
        }
        return 1;
    case CLI_CONCURRENCY: {
        char *end = NULL;
        long n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 64) {
            fprintf(stderr, "%s: --concurrency is 1 .. 64\n", c->program);
            return -1;
        }
        c->concurrency = (unsigned int)n;
        return 1;
    }
    case CLI_JSON: c->json = true; return 1;
    case CLI_QUIET: c->quiet = true; return 1;
    case CLI_URL: c->url = arg; return 1;
    default: return cli_tls_option(&c->tls, opt, arg);
    }
}

int cli_fail(const cli *c, const char *what)
{
    cli_progress_end();
    const skycrate_error *e = skycrate_error_last();
    fprintf(stderr, "%s: %s: %s\n", c->program, what, e->code ? e->message : "failed");
    return 1;
}

int cli_options_new(cli *c)
{
    if (skycrate_transfer_options_new(&c->options) < 0 ||
        skycrate_transfer_options_set_part_size(c->options, c->part_size) < 0 ||
        skycrate_transfer_options_set_concurrency(c->options, c->concurrency) < 0 ||
        skycrate_transfer_options_set_progress(c->options, cli_progress, c) < 0 ||
        skycrate_transfer_options_set_progress_interval(c->options, 200) < 0)
        return -1;
    return 0;
}

int cli_client_new(skycrate_client **out, const cli *c)
{
    skycrate_client_config *cfg = NULL;
    int rc = -1;
    if (skycrate_client_config_new(&cfg) < 0 ||
        (c->region && skycrate_client_config_set_region(cfg, c->region) < 0) ||
        cli_tls_apply(&c->tls, cfg, c->endpoint) < 0 ||
        (c->addressing &&
         skycrate_client_config_set_addressing(
             cfg, !strcmp(c->addressing, "path")      ? SKYCRATE_ADDRESSING_PATH
                  : !strcmp(c->addressing, "virtual") ? SKYCRATE_ADDRESSING_VIRTUAL
                                                      : SKYCRATE_ADDRESSING_AUTO) < 0))
        goto done;
    rc = skycrate_client_new(out, cfg) < 0 ? -1 : 0;
done:
    skycrate_client_config_free(cfg);
    return rc;
}

/* ---- the progress bar ---- */

static double bar_start = -1;
static bool bar_drawn;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void human(char *out, size_t size, double bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    snprintf(out, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cli_catch_interrupts(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_progress(uint64_t done, uint64_t total, void *user_data)
{
    const cli *c = user_data;
    if (interrupted)
        return 1; /* cancels: the library aborts the upload, removes the partial download */
    if (c->quiet || !isatty(STDERR_FILENO))
        return 0; /* quiet when not a terminal */
    double t = now_s();
    if (bar_start < 0)
        bar_start = t;
    double elapsed = t - bar_start;
    double rate = elapsed > 0.05 ? (double)done / elapsed : 0;
    char got[32], all[32], speed[32];
    human(got, sizeof(got), (double)done);
    human(speed, sizeof(speed), rate);
    if (total == SKYCRATE_TRANSFER_SIZE_UNKNOWN) {
        fprintf(stderr, "\r%s  %s/s   ", got, speed);
    } else {
        human(all, sizeof(all), (double)total);
        int pct = total ? (int)(done * 100 / total) : 100;
        char bar[31];
        int filled = pct * 30 / 100;
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        long eta = rate > 0 ? (long)((double)(total - done) / rate) : -1;
        char eta_text[48] = "--:--";
        if (eta >= 0)
            snprintf(eta_text, sizeof(eta_text), "%ld:%02ld", eta / 60, eta % 60);
        fprintf(stderr, "\r[%s] %3d%%  %s / %s  %s/s  ETA %s   ", bar, pct, got, all, speed,
                eta_text);
    }
    bar_drawn = true;
    return 0;
}

void cli_progress_end(void)
{
    if (bar_drawn)
        fputc('\n', stderr);
    bar_drawn = false;
    bar_start = -1;
}

void cli_print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* ---- presigned URLs through plain libcurl ---- */

typedef struct curl_io {
    FILE *file;
    uint64_t left;
    char *etag;
} curl_io;

static size_t read_body(char *buf, size_t size, size_t nitems, void *user_data)
{
    curl_io *io = user_data;
    size_t want = size * nitems;
    if (want > io->left)
        want = (size_t)io->left;
    size_t n = fread(buf, 1, want, io->file);
    if (n < want && ferror(io->file))
        return CURL_READFUNC_ABORT;
    io->left -= n;
    return n;
}

static size_t keep_etag(char *buf, size_t size, size_t nitems, void *user_data)
{
    curl_io *io = user_data;
    size_t len = size * nitems;
    if (io->etag && len > 5 && !strncasecmp(buf, "ETag:", 5)) {
        size_t start = 5;
        while (start < len && buf[start] == ' ')
            start++;
        size_t end = len;
        while (end > start && (buf[end - 1] == '\r' || buf[end - 1] == '\n' || buf[end - 1] == ' '))
            end--;
        snprintf(io->etag, 256, "%.*s", (int)(end - start), buf + start);
    }
    return len;
}

static int on_curl_progress(void *user_data, curl_off_t dltotal, curl_off_t dlnow,
                            curl_off_t ultotal, curl_off_t ulnow)
{
    const cli *c = user_data;
    if (!ultotal && !dltotal)
        return interrupted ? 1 : 0;
    return cli_progress(ultotal ? (uint64_t)ulnow : (uint64_t)dlnow,
                        ultotal ? (uint64_t)ultotal : (uint64_t)dltotal, (void *)c);
}

/* Performs a prepared transfer; a non-2xx answer is an error. The URL was checked
 * (cli_tls_url_check()); the CAs are those the client would trust. */
static int perform(const cli *c, CURL *easy, const char *what)
{
    const char *ca_file, *ca_path;
    cli_tls_ca(&c->tls, &ca_file, &ca_path);
    if (ca_file)
        curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file);
    if (ca_path)
        curl_easy_setopt(easy, CURLOPT_CAPATH, ca_path);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_curl_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
    CURLcode code = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status < 200 || status > 299) {
        cli_progress_end();
        fprintf(stderr, "%s: %s: %s\n", c->program, what,
                code != CURLE_OK ? curl_easy_strerror(code) : "the server refused it");
        if (code == CURLE_OK)
            fprintf(stderr, "%s: HTTP %ld\n", c->program, status);
        return -1;
    }
    return 0;
}

int cli_put_url(const cli *c, const char *url, const char *path, uint64_t offset, uint64_t length,
                char *etag_out)
{
    if (cli_tls_url_check(&c->tls, c->program, url) < 0)
        return -1;
    curl_io io = {fopen(path, "rb"), length, etag_out};
    if (!io.file || fseeko(io.file, (off_t)offset, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot read '%s': %s\n", c->program, path, strerror(errno));
        if (io.file)
            fclose(io.file);
        return -1;
    }
    CURL *easy = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(easy, CURLOPT_READDATA, &io);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, keep_etag);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &io);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    int rc = perform(c, easy, "PUT to the presigned URL");
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    fclose(io.file);
    return rc;
}

int cli_get_url(const cli *c, const char *url, const char *path, uint64_t *size_out)
{
    if (cli_tls_url_check(&c->tls, c->program, url) < 0)
        return -1;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.skycrate-XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        fprintf(stderr, "%s: cannot create a file beside '%s': %s\n", c->program, path,
                strerror(errno));
        free(tmp);
        return -1;
    }
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, f);
    int rc = perform(c, easy, "GET of the presigned URL");
    curl_off_t size = 0;
    curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &size);
    curl_easy_cleanup(easy);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        if (rc == 0)
            fprintf(stderr, "%s: cannot write '%s': %s\n", c->program, path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && rename(tmp, path) != 0) {
        fprintf(stderr, "%s: cannot rename to '%s': %s\n", c->program, path, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    *size_out = (uint64_t)size;
    return rc;
}
