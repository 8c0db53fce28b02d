/*
 * skycrate-download: downloads an object of any size into a file, through the client (ranged
 * GETs in parallel, pinned to the object's ETag) or, for a worker that holds no credentials,
 * through a presigned GET URL. The file appears complete or not at all. A progress bar with
 * rate and ETA on a terminal; quiet otherwise.
 *
 *   skycrate-download [options] BUCKET KEY FILE
 *   skycrate-download --url URL FILE
 *
 * Exit status: 0 on success, 1 when the download fails, 2 for a usage error.
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "transfercli.h"

static const char usage[] =
    "usage: skycrate-download [options] BUCKET KEY FILE\n"
    "       skycrate-download [--json] [--quiet] --url URL FILE\n"
    "  --region R           signing region (else from the environment/config chain)\n"
    "  --endpoint URL       custom endpoint, e.g. http://127.0.0.1:7480\n"
    "  --addressing MODE    auto (default) | virtual | path\n"
    "  --part-size SIZE     bytes per ranged GET, 5M .. 5G (default: a quarter of the file per\n"
    "                       ranged GET at once, from 8M up to 64M)\n"
    "  --concurrency N      ranges fetched at once (default: the client's lanes, 6)\n"
    "  --url URL            GET this presigned URL (no credentials needed)\n"
    "  --json               print the result as JSON on standard output\n"
    "  --quiet              no progress bar (there is none when standard error is no terminal)\n"
    "  --help               this text\n" CLI_TLS_HELP("  ");

static int usage_error(const char *message)
{
    fprintf(stderr, "skycrate-download: %s\n%s", message, usage);
    return 2;
}

static int parse(cli *c, int argc, char **argv)
{
    static const struct option options[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        int taken = cli_option(c, opt, optarg);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        if (opt == CLI_HELP) {
            fputs(usage, stdout);
            return 0;
        }
        return usage_error("unknown option");
    }
    int want = c->url ? 1 : 3;
    if (argc - optind != want)
        return usage_error(want == 1 ? "FILE is required, and nothing else"
                                     : "BUCKET, KEY and FILE are required, and nothing else");
    return -1;
}

static int download_with_client(cli *c, const char *bucket, const char *key, const char *file)
{
    skycrate_client *client = NULL;
    skycrate_transfer_result *result = NULL;
    char *json = NULL;
    int status = 1;
    if (cli_options_new(c) < 0) {
        status = cli_fail(c, "options");
        goto done;
    }
    if (cli_client_new(&client, c) < 0) {
        status = cli_fail(c, "client");
        goto done;
    }
    if (skycrate_transfer_download_file(&result, client, bucket, key, file, c->options) < 0) {
        status = cli_fail(c, "download");
        goto done;
    }
    cli_progress_end();
    if (c->json) {
        if (skycrate_transfer_result_to_json(&json, result, 0) < 0) {
            status = cli_fail(c, "result");
            goto done;
        }
        printf("%s\n", json);
    }
    status = 0;
done:
    skycrate_free(json);
    skycrate_transfer_result_free(result);
    skycrate_client_free(client);
    skycrate_transfer_options_free(c->options);
    return status;
}

static int download_url(cli *c, const char *file)
{
    uint64_t size = 0;
    if (cli_get_url(c, c->url, file, &size) < 0)
        return 1;
    cli_progress_end();
    if (c->json)
        printf("{\"size\":%llu}\n", (unsigned long long)size);
    return 0;
}

int main(int argc, char **argv)
{
    cli c = {.program = "skycrate-download"};
    int parsed = parse(&c, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (skycrate_global_init(NULL) < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "skycrate-download: cannot initialise the libraries\n");
        return 1;
    }
    cli_catch_interrupts();
    int status = c.url ? download_url(&c, argv[optind])
                       : download_with_client(&c, argv[optind], argv[optind + 1], argv[optind + 2]);
    if (fflush(stdout) != 0)
        status = 1;
    curl_global_cleanup();
    skycrate_global_cleanup();
    return status;
}
