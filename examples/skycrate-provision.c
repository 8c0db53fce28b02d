/*
 * skycrate-provision: per-user buckets from the command line, with the provisioner.
 *
 *   skycrate-provision [--store FILE|postgresql://...] [--endpoint URL] [--region R] [--addressing MODE]
 *                      [--origin URL]... [--compatible] [--dev] COMMAND USER_ID
 *     COMMAND: provision | deprovision | verify | usage | show
 *
 * --store names the users file, or with a postgresql:// (or postgres://) URI the PostgreSQL user
 * store (skycrate/store_pg.h; when built with libskycrate-pg).
 *
 * Prints the user's record (or the verify/usage report) as JSON on stdout. Exit status: 0 on
 * success, 1 when the operation failed (or verify found drift), 2 for a usage error; the reason
 * goes to stderr. Credentials come from the client's default chain (AWS_ACCESS_KEY_ID, ...,
 * the AWS profile).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skycrate.h>
#ifdef SKYCRATE_WITH_POSTGRESQL
#include <skycrate/store_pg.h>
#endif

#define MAX_ORIGINS 32

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [--store FILE|URI] [--endpoint URL] [--region R] [--addressing MODE]\n"
            "       %*s [--origin URL]... [--compatible] [--dev] COMMAND USER_ID\n"
            "  COMMAND: provision | deprovision | verify | usage | show\n"
            "  --store FILE|URI   the users file (default: users.json), or a PostgreSQL\n"
            "                     database: postgresql://[user@][host][/db][?param=value]\n"
            "  --endpoint URL     an S3-compatible endpoint (default: AWS)\n"
            "  --region R         the region (default: AWS_REGION, the profile, us-east-1)\n"
            "  --addressing MODE  auto | virtual | path\n"
            "  --origin URL       a browser origin allowed to upload (CORS); repeatable\n"
            "  --compatible       skip configuration steps the server does not support\n"
            "  --dev              dev mode: no network, a mock bucket name\n",
            prog, (int)strlen(prog), "");
}

/* Prints a JSON text the library rendered, then frees it. */
static void print_json(char *json)
{
    if (json) {
        printf("%s\n", json);
        skycrate_free(json);
    }
}

static int report_failure(const char *what, skycrate_client *client)
{
    fprintf(stderr, "skycrate-provision: %s: %s\n", what, skycrate_error_last()->message);
    const skycrate_response_info *r = skycrate_client_last_response(client);
    if (client && r->http_status && *r->s3_code)
        fprintf(stderr, "  last S3 answer: HTTP %d %s (request id %s)\n", r->http_status,
                r->s3_code, r->request_id);
    return 1;
}

/* The user store --store names: a postgresql:// URI, or the users file. */
static int open_store(skycrate_user_store **out, const char *store)
{
    if (strncmp(store, "postgresql://", 13) && strncmp(store, "postgres://", 11))
        return skycrate_user_store_new_file(out, store, 0);
#ifdef SKYCRATE_WITH_POSTGRESQL
    return skycrate_user_store_new_postgresql(out, store, NULL);
#else
    skycrate_error_set_str(SKYCRATE_EINVAL, "this skycrate-provision was built without "
                                            "PostgreSQL support (libskycrate-pg)");
    return SKYCRATE_EINVAL;
#endif
}

/* After a failure, the record says what happened: print it too when there is one. */
static void print_record_if_any(skycrate_provisioner *p, const char *user_id)
{
    skycrate_record *record = NULL;
    char *json = NULL;
    if (skycrate_provisioner_show(&record, p, user_id) == 0 &&
        skycrate_record_to_json(&json, record, SKYCRATE_JSON_PRETTY) == 0)
        print_json(json);
    skycrate_record_free(record);
}

static int run(skycrate_provisioner *p, skycrate_client *client, const char *command,
               const char *user_id)
{
    char *json = NULL;
    int status = 0;
    if (!strcmp(command, "provision") || !strcmp(command, "show")) {
        skycrate_record *record = NULL;
        int rc = !strcmp(command, "show") ? skycrate_provisioner_show(&record, p, user_id)
                                          : skycrate_provisioner_provision(&record, p, user_id);
        if (rc < 0) {
            status = report_failure(command, client);
            if (!strcmp(command, "provision"))
                print_record_if_any(p, user_id);
        } else if (skycrate_record_to_json(&json, record, SKYCRATE_JSON_PRETTY) < 0) {
            status = report_failure("json", NULL);
        }
        skycrate_record_free(record);
    } else if (!strcmp(command, "deprovision")) {
        skycrate_deprovision_report *report = NULL;
        if (skycrate_provisioner_deprovision(&report, p, user_id, 0) < 0) {
            status = report_failure(command, client);
            print_record_if_any(p, user_id);
        } else if (skycrate_record_to_json(&json, skycrate_deprovision_report_record(report),
                                           SKYCRATE_JSON_PRETTY) < 0) {
            status = report_failure("json", NULL);
        }
        skycrate_deprovision_report_free(report);
    } else if (!strcmp(command, "verify")) {
        skycrate_verify_report *report = NULL;
        if (skycrate_provisioner_verify(&report, p, user_id) < 0) {
            status = report_failure(command, client);
        } else if (skycrate_verify_report_to_json(&json, report, SKYCRATE_JSON_PRETTY) < 0) {
            status = report_failure("json", NULL);
        } else if (!skycrate_verify_report_ok(report)) {
            fprintf(stderr, "skycrate-provision: verify: the bucket differs from the profile\n");
            status = 1;
        }
        skycrate_verify_report_free(report);
    } else {
        skycrate_usage_report *report = NULL;
        if (skycrate_provisioner_usage(&report, p, user_id) < 0)
            status = report_failure(command, client);
        else if (skycrate_usage_report_to_json(&json, report, SKYCRATE_JSON_PRETTY) < 0)
            status = report_failure("json", NULL);
        skycrate_usage_report_free(report);
    }
    print_json(json);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"store", required_argument, NULL, 's'},
                                            {"endpoint", required_argument, NULL, 'e'},
                                            {"region", required_argument, NULL, 'r'},
                                            {"addressing", required_argument, NULL, 'a'},
                                            {"origin", required_argument, NULL, 'o'},
                                            {"compatible", no_argument, NULL, 'c'},
                                            {"dev", no_argument, NULL, 'd'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *store = NULL, *endpoint = NULL, *region = NULL, *addressing = NULL;
    const char *origins[MAX_ORIGINS];
    size_t origin_count = 0;
    int compatible = 0, dev = 0, opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 's': store = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'r': region = optarg; break;
        case 'a': addressing = optarg; break;
        case 'o':
            if (origin_count == MAX_ORIGINS) {
                fprintf(stderr, "skycrate-provision: at most %d origins\n", MAX_ORIGINS);
                return 2;
            }
            origins[origin_count++] = optarg;
            break;
        case 'c': compatible = 1; break;
        case 'd': dev = 1; break;
        case 'h': usage(stdout, argv[0]); return 0;
        default: usage(stderr, argv[0]); return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr, argv[0]);
        return 2;
    }
    const char *command = argv[optind], *user_id = argv[optind + 1];
    if (strcmp(command, "provision") && strcmp(command, "deprovision") &&
        strcmp(command, "verify") && strcmp(command, "usage") && strcmp(command, "show")) {
        fprintf(stderr, "skycrate-provision: unknown command '%s'\n", command);
        usage(stderr, argv[0]);
        return 2;
    }
    skycrate_addressing style = SKYCRATE_ADDRESSING_AUTO;
    if (addressing && !strcmp(addressing, "virtual"))
        style = SKYCRATE_ADDRESSING_VIRTUAL;
    else if (addressing && !strcmp(addressing, "path"))
        style = SKYCRATE_ADDRESSING_PATH;
    else if (addressing && strcmp(addressing, "auto")) {
        fprintf(stderr, "skycrate-provision: --addressing is auto, virtual or path\n");
        return 2;
    }

    if (skycrate_global_init(NULL) < 0) {
        fprintf(stderr, "skycrate-provision: %s\n", skycrate_error_last()->message);
        return 1;
    }
    int status = 1;
    skycrate_client_config *ccfg = NULL;
    skycrate_client *client = NULL;
    skycrate_provisioner_config *pcfg = NULL;
    skycrate_user_store *users = NULL;
    skycrate_provisioner *p = NULL;
    const char *failed = "client";
    /* The client: region, endpoint and addressing as given, the rest (credentials first) from
     * the default chain. A client touches no network before its first request. */
    if (skycrate_client_config_new(&ccfg) < 0 ||
        (region && skycrate_client_config_set_region(ccfg, region) < 0) ||
        (endpoint && skycrate_client_config_set_endpoint(ccfg, endpoint) < 0) ||
        (endpoint && !strncmp(endpoint, "http://", 7) &&
         skycrate_client_config_set_allow_http(ccfg, 1) < 0) ||
        (addressing && skycrate_client_config_set_addressing(ccfg, style) < 0) ||
        skycrate_client_new(&client, ccfg) < 0)
        goto fail;
    failed = "configuration";
    if (skycrate_provisioner_config_new(&pcfg) < 0 ||
        (store && (open_store(&users, store) < 0 ||
                   skycrate_provisioner_config_set_store(pcfg, users) < 0)) ||
        (compatible && skycrate_provisioner_config_set_failure_mode(
                           pcfg, SKYCRATE_FAILURE_MODE_COMPATIBLE) < 0) ||
        skycrate_provisioner_config_set_dev_mode(pcfg, dev) < 0)
        goto fail;
    for (size_t i = 0; i < origin_count; i++)
        if (skycrate_provisioner_config_add_cors_origin(pcfg, origins[i]) < 0)
            goto fail;
    failed = "provisioner";
    if (skycrate_provisioner_new(&p, client, pcfg) < 0)
        goto fail;
    status = run(p, client, command, user_id);
    goto done;
fail:
    fprintf(stderr, "skycrate-provision: %s: %s\n", failed, skycrate_error_last()->message);
done:
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(pcfg);
    skycrate_user_store_unref(users);
    skycrate_client_free(client);
    skycrate_client_config_free(ccfg);
    skycrate_global_cleanup();
    return status;
}
