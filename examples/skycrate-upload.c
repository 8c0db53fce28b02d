/*
 * skycrate-upload: uploads a file of any size to S3, through the client (one PutObject or a
 * parallel multipart upload) or, for a worker that holds no credentials, through a presigned
 * URL or presigned part URLs. A progress bar with rate and ETA on a terminal; quiet otherwise.
 *
 *   skycrate-upload [options] FILE BUCKET KEY        through the client (FILE - : standard input)
 *   skycrate-upload --url URL FILE                   PUT to a presigned URL
 *   skycrate-upload --part-urls LIST --part-size SIZE FILE
 *                                                    PUT each part to its presigned UploadPart URL
 *                                                    (LIST: one URL a line, in part order) and
 *                                                    print the ETags (the server completes)
 *
 * Exit status: 0 on success, 1 when the upload fails, 2 for a usage error.
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "transfercli.h"

static const char usage[] =
    "usage: skycrate-upload [options] FILE BUCKET KEY   (FILE - reads standard input)\n"
    "       skycrate-upload [--json] [--quiet] --url URL FILE\n"
    "       skycrate-upload [--json] [--quiet] --part-urls LIST --part-size SIZE FILE\n"
    "  --region R           signing region (else from the environment/config chain)\n"
    "  --endpoint URL       custom endpoint, e.g. http://127.0.0.1:7480\n"
    "  --addressing MODE    auto (default) | virtual | path\n"
    "  --part-size SIZE     part size, 5M .. 5G (default: a sixteenth of the file, from 8M up\n"
    "                       to 64M, more for files over 625 GiB; 8M for a pipe)\n"
    "  --threshold SIZE     multipart from this size on (default 16M)\n"
    "  --concurrency N      parts sent at once (default: the client's lanes, 6)\n"
    "  --checksum KIND      crc32c (default) | md5 | sha256 | none, sent with each part\n"
    "  --content-type TYPE  the object's Content-Type\n"
    "  --upload-id ID       continue this multipart upload: parts already there are not sent\n"
    "  --url URL            PUT the file to this presigned URL (no credentials needed)\n"
    "  --part-urls LIST     PUT each part to its presigned UploadPart URL (one a line)\n"
    "  --json               print the result as JSON on standard output\n"
    "  --quiet              no progress bar (there is none when standard error is no terminal)\n"
    "  --help               this text\n" CLI_TLS_HELP("  ");

enum { OPT_THRESHOLD = CLI_NEXT, OPT_CHECKSUM, OPT_CONTENT_TYPE, OPT_UPLOAD_ID, OPT_PART_URLS };

typedef struct upload_args {
    cli c;
    uint64_t threshold;
    int checksum; /* -1: the default */
    const char *content_type, *upload_id, *part_urls;
} upload_args;

static int usage_error(const char *message)
{
    fprintf(stderr, "skycrate-upload: %s\n%s", message, usage);
    return 2;
}

static int parse(upload_args *a, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"checksum", required_argument, NULL, OPT_CHECKSUM},
        {"content-type", required_argument, NULL, OPT_CONTENT_TYPE},
        {"upload-id", required_argument, NULL, OPT_UPLOAD_ID},
        {"part-urls", required_argument, NULL, OPT_PART_URLS},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        int taken = cli_option(&a->c, opt, optarg);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        switch (opt) {
        case CLI_HELP: fputs(usage, stdout); return 0;
        case OPT_THRESHOLD:
            if (cli_parse_size(&a->threshold, optarg) < 0 || a->threshold == 0)
                return usage_error("--threshold is a size (e.g. 16M)");
            break;
        case OPT_CHECKSUM:
            a->checksum = !strcmp(optarg, "none")     ? SKYCRATE_TRANSFER_CHECKSUM_NONE
                          : !strcmp(optarg, "md5")    ? SKYCRATE_TRANSFER_CHECKSUM_MD5
                          : !strcmp(optarg, "crc32c") ? SKYCRATE_TRANSFER_CHECKSUM_CRC32C
                          : !strcmp(optarg, "sha256") ? SKYCRATE_TRANSFER_CHECKSUM_SHA256
                                                      : -2;
            if (a->checksum == -2)
                return usage_error("--checksum is crc32c, md5, sha256 or none");
            break;
        case OPT_CONTENT_TYPE: a->content_type = optarg; break;
        case OPT_UPLOAD_ID: a->upload_id = optarg; break;
        case OPT_PART_URLS: a->part_urls = optarg; break;
        default: return usage_error("unknown option");
        }
    }
    int want = a->c.url || a->part_urls ? 1 : 3;
    if (argc - optind != want)
        return usage_error(want == 1 ? "FILE is required, and nothing else"
                                     : "FILE, BUCKET and KEY are required, and nothing else");
    if (a->c.url && a->part_urls)
        return usage_error("--url and --part-urls exclude each other");
    if (a->part_urls && !a->c.part_size)
        return usage_error("--part-urls needs --part-size (the size the URLs were made for)");
    return -1; /* go on */
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;
}

/* Through the client: one PutObject or a multipart upload. */
static int upload_with_client(upload_args *a, const char *file, const char *bucket, const char *key)
{
    skycrate_client *client = NULL;
    skycrate_transfer_result *result = NULL;
    char *json = NULL;
    int status = 1;
    if (cli_options_new(&a->c) < 0 ||
        (a->threshold &&
         skycrate_transfer_options_set_multipart_threshold(a->c.options, a->threshold) < 0) ||
        (a->checksum >= 0 && skycrate_transfer_options_set_checksum(
                                 a->c.options, (skycrate_transfer_checksum)a->checksum) < 0) ||
        (a->content_type &&
         skycrate_transfer_options_set_content_type(a->c.options, a->content_type) < 0) ||
        (a->upload_id && skycrate_transfer_options_set_upload_id(a->c.options, a->upload_id) < 0)) {
        status = cli_fail(&a->c, "options");
        goto done;
    }
    if (cli_client_new(&client, &a->c) < 0) {
        status = cli_fail(&a->c, "client");
        goto done;
    }
    int rc = !strcmp(file, "-")
                 ? skycrate_transfer_upload_fd(&result, client, bucket, key, 0, a->c.options)
                 : skycrate_transfer_upload_file(&result, client, bucket, key, file, a->c.options);
    if (rc < 0) {
        status = cli_fail(&a->c, "upload");
        goto done;
    }
    cli_progress_end();
    if (a->c.json) {
        if (skycrate_transfer_result_to_json(&json, result, 0) < 0) {
            status = cli_fail(&a->c, "result");
            goto done;
        }
        printf("%s\n", json);
    }
    status = 0;
done:
    skycrate_free(json);
    skycrate_transfer_result_free(result);
    skycrate_client_free(client);
    skycrate_transfer_options_free(a->c.options);
    return status;
}

/* A worker with one presigned PUT URL. */
static int upload_to_url(upload_args *a, const char *file)
{
    uint64_t size = file_size(file);
    if (size == UINT64_MAX) {
        fprintf(stderr, "skycrate-upload: '%s' is not a readable regular file\n", file);
        return 1;
    }
    char etag[256] = "";
    if (cli_put_url(&a->c, a->c.url, file, 0, size, etag) < 0)
        return 1;
    cli_progress_end();
    if (a->c.json) {
        printf("{\"etag\":");
        cli_print_json_string(etag);
        printf(",\"size\":%llu}\n", (unsigned long long)size);
    }
    return 0;
}

/* A worker with presigned UploadPart URLs: sends each part, prints the ETags for the server. */
static int upload_parts(upload_args *a, const char *file)
{
    uint64_t size = file_size(file);
    FILE *list = fopen(a->part_urls, "r");
    if (size == UINT64_MAX || !list) {
        fprintf(stderr, "skycrate-upload: cannot read '%s'\n", list ? file : a->part_urls);
        if (list)
            fclose(list);
        return 1;
    }
    uint64_t part = a->c.part_size;
    uint64_t parts = size ? (size + part - 1) / part : 1;
    char url[8192];
    int status = 0;
    if (a->c.json)
        printf("{\"size\":%llu,\"parts\":[", (unsigned long long)size);
    for (uint64_t i = 0; i < parts && status == 0; i++) {
        if (!fgets(url, sizeof(url), list)) {
            fprintf(stderr, "skycrate-upload: %s has %llu URLs for %llu parts\n", a->part_urls,
                    (unsigned long long)i, (unsigned long long)parts);
            status = 1;
            break;
        }
        url[strcspn(url, "\r\n")] = '\0';
        uint64_t offset = i * part, length = size - offset < part ? size - offset : part;
        char etag[256] = "";
        if (cli_put_url(&a->c, url, file, offset, length, etag) < 0) {
            status = 1;
            break;
        }
        if (a->c.json) {
            printf("%s{\"partNumber\":%llu,\"etag\":", i ? "," : "", (unsigned long long)i + 1);
            cli_print_json_string(etag);
            printf("}");
        }
    }
    cli_progress_end();
    if (a->c.json)
        printf("]}\n");
    fclose(list);
    return status;
}

int main(int argc, char **argv)
{
    upload_args a = {.c = {.program = "skycrate-upload"}, .checksum = -1};
    int parsed = parse(&a, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (skycrate_global_init(NULL) < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "skycrate-upload: cannot initialise the libraries\n");
        return 1;
    }
    cli_catch_interrupts();
    int status = a.c.url ? upload_to_url(&a, argv[optind])
                 : a.part_urls
                     ? upload_parts(&a, argv[optind])
                     : upload_with_client(&a, argv[optind], argv[optind + 1], argv[optind + 2]);
    if (fflush(stdout) != 0)
        status = 1;
    curl_global_cleanup();
    skycrate_global_cleanup();
    return status;
}
