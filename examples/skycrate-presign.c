/*
 * skycrate-presign: prints a presigned URL (or its contract as JSON) for one S3 request.
 * Credentials come from the client's default provider chain (environment variables first).
 * Its interface is fixed: scripts and tests outside the repository use it.
 *
 *   skycrate-presign [options] METHOD BUCKET [KEY]
 *     --region R               signing region (else from the environment/config chain)
 *     --endpoint URL           custom endpoint, e.g. http://127.0.0.1:7480 or
 *                              https://minio.example.com/prefix
 *     --addressing MODE        auto (default) | virtual | path
 *     --expires SECONDS        default 900
 *     --header 'Name: value'   a header the client will send; signed (repeatable)
 *     --query name=value       an extra query parameter to sign (repeatable; value may be empty)
 *     --date YYYYMMDDTHHMMSSZ  sign as of this UTC time instead of now
 *     --json                   print the contract as JSON instead of the bare URL
 *     --explain                also print the canonical request and string to sign on stderr
 *     --ca-file FILE, --ca-path DIR, --allow-http   TLS and plain http (cli_tls.h)
 *
 * Exit status: 0 on success, 1 when presigning fails, 2 for a usage error.
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <skycrate.h>

#include "cli_tls.h"

#define MAX_ITEMS 64

static const char usage[] =
    "usage: skycrate-presign [options] METHOD BUCKET [KEY]\n"
    "\n"
    "Prints a presigned URL for METHOD (GET, PUT, HEAD, DELETE) on BUCKET/KEY, or with METHOD\n"
    "POST a POST-policy form for KEY (a key prefix when KEY ends with '/'): its URL, then its\n"
    "fields as name=value lines. Without KEY (or with an empty one) the request is on the\n"
    "bucket itself: GET lists it (--query list-type=2 for ListObjectsV2), HEAD checks it.\n"
    "Credentials come from the default chain.\n"
    "\n"
    "Options:\n"
    "  --region R               signing region (else from the environment/config chain)\n"
    "  --endpoint URL           custom endpoint, e.g. http://127.0.0.1:7480 or\n"
    "                           https://minio.example.com/prefix\n"
    "  --addressing MODE        auto (default) | virtual (virtual-hosted where the name\n"
    "                           allows, else path) | path\n"
    "  --expires SECONDS        default 900\n"
    "  --header 'Name: value'   a header the client will send; signed as a header (repeatable)\n"
    "  --query name=value       an extra query parameter to sign (repeatable; value may be "
    "empty)\n"
    "  --date YYYYMMDDTHHMMSSZ  sign as of this UTC time instead of now\n"
    "  --json                   print the contract as JSON instead of the bare URL\n"
    "  --explain                also print the canonical request and string to sign on stderr\n"
    "  --max-size BYTES         POST: the largest file the form accepts (content-length-range)\n"
    "  --help                   print this help and exit\n" CLI_TLS_HELP(
        "      ") "\n"
                  "With POST, --header 'Content-Type: T' fixes the file's content type and other "
                  "headers\n"
                  "become form fields. Exit status: 0 on success, 1 when presigning fails, 2 for a "
                  "usage\n"
                  "error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("skycrate-presign: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    fputs(usage, stderr);
    return 2;
}

/* Days since 1970-01-01 of a civil date (no timegm, no time zone). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* "YYYYMMDDTHHMMSSZ" to seconds since the epoch; -1 when malformed. */
static long long parse_date(const char *s)
{
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return -1;
    unsigned v[6];
    const int at[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
    for (int k = 0; k < 6; k++) {
        v[k] = 0;
        for (int i = 0; i < len[k]; i++)
            v[k] = v[k] * 10 + (unsigned)(s[at[k] + i] - '0');
    }
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
        (v[1] == 2 && v[2] == 29 && !leap) || v[3] > 23 || v[4] > 59 || v[5] > 59)
        return -1;
    return days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
}

/* POST: a form for KEY (a key prefix when it ends with '/'); prints it, 0 or 1. */
static int sign_form(const skycrate_presigner *presigner, const char *bucket, const char *key,
                     long long expires, long long at, const char *const *headers,
                     size_t header_count, long long max_size, int json)
{
    skycrate_post_policy *policy = NULL;
    skycrate_post_form *form = NULL;
    char *text = NULL, name[256];
    size_t len = strlen(key);
    int rc = skycrate_post_policy_new(&policy, bucket);
    if (rc == 0)
        rc = len && key[len - 1] == '/' ? skycrate_post_policy_set_key_prefix(policy, key)
                                        : skycrate_post_policy_set_key(policy, key);
    if (rc == 0)
        rc = skycrate_post_policy_set_expires(policy, expires);
    if (rc == 0 && at >= 0)
        rc = skycrate_post_policy_set_time(policy, at);
    if (rc == 0 && max_size >= 0)
        rc = skycrate_post_policy_set_content_length_range(policy, 0, (uint64_t)max_size);
    for (size_t i = 0; rc == 0 && i < header_count; i++) {
        const char *colon = strchr(headers[i], ':'), *value = colon + 1;
        snprintf(name, sizeof(name), "%.*s", (int)(colon - headers[i]), headers[i]);
        while (*value == ' ')
            value++;
        rc = strcasecmp(name, "Content-Type") == 0
                 ? skycrate_post_policy_set_content_type(policy, value)
                 : skycrate_post_policy_add_field(policy, name, value);
    }
    if (rc == 0)
        rc = skycrate_presigner_sign_post(&form, presigner, policy);
    if (rc == 0 && json && (rc = skycrate_post_form_to_json(&text, form, 0)) == 0)
        printf("%s\n", text);
    if (rc == 0 && !json) {
        printf("%s\n", skycrate_post_form_url(form));
        for (size_t i = 0; i < skycrate_post_form_field_count(form); i++) {
            const char *n, *v;
            skycrate_post_form_field(&n, &v, form, i);
            printf("%s=%s\n", n, v);
        }
    }
    skycrate_free(text);
    skycrate_post_form_free(form);
    skycrate_post_policy_free(policy);
    return rc == 0 && fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *region = NULL, *endpoint = NULL, *addressing = NULL, *date = NULL;
    const char *headers[MAX_ITEMS], *queries[MAX_ITEMS];
    size_t header_count = 0, query_count = 0;
    long long expires = 900, max_size = -1;
    int json = 0, explain = 0;
    cli_tls tls = {NULL, NULL, 0};

    enum {
        OPT_REGION = 256,
        OPT_ENDPOINT,
        OPT_ADDRESSING,
        OPT_EXPIRES,
        OPT_HEADER,
        OPT_QUERY,
        OPT_DATE,
        OPT_JSON,
        OPT_EXPLAIN,
        OPT_MAX_SIZE,
        OPT_HELP
    };
    static const struct option options[] = {
        {"region", required_argument, NULL, OPT_REGION},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"addressing", required_argument, NULL, OPT_ADDRESSING},
        {"expires", required_argument, NULL, OPT_EXPIRES},
        {"header", required_argument, NULL, OPT_HEADER},
        {"query", required_argument, NULL, OPT_QUERY},
        {"date", required_argument, NULL, OPT_DATE},
        {"json", no_argument, NULL, OPT_JSON},
        {"explain", no_argument, NULL, OPT_EXPLAIN},
        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
        {"help", no_argument, NULL, OPT_HELP},
        CLI_TLS_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        char *end;
        switch (opt) {
        case OPT_REGION: region = optarg; break;
        case OPT_ENDPOINT: endpoint = optarg; break;
        case OPT_ADDRESSING:
            if (strcmp(optarg, "auto") && strcmp(optarg, "virtual") && strcmp(optarg, "path"))
                return usage_error("--addressing must be auto, virtual or path, not '%s'", optarg);
            addressing = optarg;
            break;
        case OPT_EXPIRES:
            errno = 0;
            expires = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || expires < 1 || expires > 604800)
                return usage_error("--expires must be 1 to 604800 seconds, not '%s'", optarg);
            break;
        case OPT_HEADER:
            if (header_count == MAX_ITEMS || !strchr(optarg, ':'))
                return usage_error("--header wants 'Name: value', not '%s'", optarg);
            headers[header_count++] = optarg;
            break;
        case OPT_QUERY:
            if (query_count == MAX_ITEMS || optarg[0] == '=' || optarg[0] == '\0')
                return usage_error("--query wants name=value, not '%s'", optarg);
            queries[query_count++] = optarg;
            break;
        case OPT_DATE:
            if (parse_date(optarg) < 0)
                return usage_error("--date wants YYYYMMDDTHHMMSSZ (UTC), not '%s'", optarg);
            date = optarg;
            break;
        case OPT_JSON: json = 1; break;
        case OPT_EXPLAIN: explain = 1; break;
        case OPT_MAX_SIZE:
            errno = 0;
            max_size = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || max_size < 0)
                return usage_error("--max-size must be a number of bytes, not '%s'", optarg);
            break;
        case OPT_HELP: fputs(usage, stdout); return 0;
        default:
            if (!cli_tls_option(&tls, opt, optarg))
                return usage_error("unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (argc - optind != 3 && argc - optind != 2)
        return usage_error("%s", "METHOD and BUCKET are required, then KEY, and nothing else");
    const char *method = argv[optind], *bucket = argv[optind + 1];
    const char *key = argc - optind == 3 ? argv[optind + 2] : ""; /* "": the bucket itself */

    if (skycrate_global_init(NULL) < 0) {
        fprintf(stderr, "skycrate-presign: %s\n", skycrate_error_last()->message);
        return 1;
    }
    int status = 1;
    const char *step = "configuration";
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_presigner *presigner = NULL;
    skycrate_presign_request *request = NULL;
    skycrate_presigned *contract = NULL;
    char *text = NULL, *name = NULL;

    if (skycrate_client_config_new(&cfg) < 0 ||
        (region && skycrate_client_config_set_region(cfg, region) < 0) ||
        cli_tls_apply(&tls, cfg, endpoint) < 0 ||
        (addressing && skycrate_client_config_set_addressing(
                           cfg, !strcmp(addressing, "path")      ? SKYCRATE_ADDRESSING_PATH
                                : !strcmp(addressing, "virtual") ? SKYCRATE_ADDRESSING_VIRTUAL
                                                                 : SKYCRATE_ADDRESSING_AUTO) < 0))
        goto done;
    step = "client";
    if (skycrate_client_new(&client, cfg) < 0 || skycrate_presigner_new(&presigner, client) < 0)
        goto done;
    step = "request";
    if (strcasecmp(method, "POST") == 0) {
        status = sign_form(presigner, bucket, key, expires, date ? parse_date(date) : -1, headers,
                           header_count, max_size, json);
        step = status ? "form" : NULL;
        goto done;
    }
    if (skycrate_presign_request_new(&request, method, bucket, key) < 0 ||
        skycrate_presign_request_set_expires(request, expires) < 0 ||
        (date && skycrate_presign_request_set_time(request, parse_date(date)) < 0))
        goto done;
    for (size_t i = 0; i < header_count; i++) {
        const char *colon = strchr(headers[i], ':');
        free(name);
        if ((name = strndup(headers[i], (size_t)(colon - headers[i]))) == NULL ||
            skycrate_presign_request_add_header(request, name, colon + 1) < 0) {
            step = "--header";
            goto done;
        }
    }
    for (size_t i = 0; i < query_count; i++) {
        const char *eq = strchr(queries[i], '=');
        size_t n = eq ? (size_t)(eq - queries[i]) : strlen(queries[i]);
        free(name);
        if ((name = strndup(queries[i], n)) == NULL ||
            skycrate_presign_request_add_query(request, name, eq ? eq + 1 : "") < 0) {
            step = "--query";
            goto done;
        }
    }
    step = "presign";
    if (skycrate_presigner_sign(&contract, presigner, request) < 0)
        goto done;
    if (explain) {
        const char *cr, *sts;
        skycrate_presigned_explain(&cr, &sts, contract);
        fprintf(stderr, "Canonical request:\n%s\n\nString to sign:\n%s\n", cr, sts);
    }
    if (json) {
        if (skycrate_presigned_to_json(&text, contract, 0) < 0)
            goto done;
        printf("%s\n", text);
    } else {
        printf("%s\n", skycrate_presigned_url(contract));
    }
    status = fflush(stdout) == 0 ? 0 : 1;
done:
    if (status != 0 && step)
        fprintf(stderr, "skycrate-presign: %s: %s\n", step,
                skycrate_error_last()->code ? skycrate_error_last()->message : "failed");
    free(name);
    skycrate_free(text);
    skycrate_presigned_free(contract);
    skycrate_presign_request_free(request);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_global_cleanup();
    return status;
}
