/*
 * What skycrate-upload and skycrate-download share: options common to both, the client they
 * build, sizes with units, the progress bar, and plain-HTTP transfers to presigned URLs (a worker
 * that holds only URLs, no credentials).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_EXAMPLES_TRANSFERCLI_H
#define SKYCRATE_EXAMPLES_TRANSFERCLI_H

#include <stdbool.h>
#include <stdint.h>

#include <skycrate.h>

#include "cli_tls.h"

/* Options both programs take (getopt_long values from 1000 on). */
enum {
    CLI_REGION = 1000,
    CLI_ENDPOINT,
    CLI_ADDRESSING,
    CLI_PART_SIZE,
    CLI_CONCURRENCY,
    CLI_JSON,
    CLI_QUIET,
    CLI_URL,
    CLI_HELP,
    CLI_NEXT /* the first value a program may use for its own options */
};

#define CLI_COMMON_OPTIONS                                                                         \
    {"region", required_argument, NULL, CLI_REGION},                                               \
        {"endpoint", required_argument, NULL, CLI_ENDPOINT},                                       \
        {"addressing", required_argument, NULL, CLI_ADDRESSING},                                   \
        {"part-size", required_argument, NULL, CLI_PART_SIZE},                                     \
        {"concurrency", required_argument, NULL, CLI_CONCURRENCY},                                 \
        {"json", no_argument, NULL, CLI_JSON}, {"quiet", no_argument, NULL, CLI_QUIET},            \
        {"url", required_argument, NULL, CLI_URL}, {"help", no_argument, NULL, CLI_HELP},          \
        CLI_TLS_OPTIONS

typedef struct cli {
    const char *program;
    const char *region, *endpoint, *addressing, *url;
    uint64_t part_size;
    unsigned int concurrency;
    bool json, quiet;
    cli_tls tls; /* --ca-file, --ca-path, --allow-http: the client's and the presigned URLs' */
    skycrate_transfer_options *options;
} cli;

/* Handles one of the common options: 1 when taken, 0 when not one of them, -1 on a bad value
 * (the message is printed). */
int cli_option(cli *c, int opt, const char *arg);
/* Parses "123", "8M", "8MiB", "1G" (binary units). 0, or -1 when malformed. */
int cli_parse_size(uint64_t *out, const char *text);
/* Creates the transfer options (part size, concurrency, the progress bar). 0 or -1. */
int cli_options_new(cli *c);
/* A client from the options (credentials: the default chain). 0 or -1. */
int cli_client_new(skycrate_client **out, const cli *c);
/* SIGINT and SIGTERM cancel the transfer in progress (through the progress callback). */
void cli_catch_interrupts(void);
/* The progress callback (user_data: the cli): on a TTY without --quiet, a bar with rate and ETA
 * on stderr; after an interrupt it returns non-zero, which cancels the transfer. */
int cli_progress(uint64_t done, uint64_t total, void *user_data);
/* Ends the bar's line (when one was drawn). */
void cli_progress_end(void);
/* Prints "program: what: <the library's last error>" and returns 1. */
int cli_fail(const cli *c, const char *what);

/* Prints `s` as a JSON string (quotes, backslashes and control characters escaped). */
void cli_print_json_string(const char *s);

/* PUT `length` bytes of a file from `offset` to a URL; the answer's ETag into etag_out (256
 * bytes). 0, or -1 with a message printed. */
int cli_put_url(const cli *c, const char *url, const char *path, uint64_t offset, uint64_t length,
                char *etag_out);
/* GET a URL into `path` (through a file beside it, renamed when complete). 0 or -1. */
int cli_get_url(const cli *c, const char *url, const char *path, uint64_t *size_out);

#endif
