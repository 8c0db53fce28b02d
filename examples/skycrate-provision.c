/*
 * skycrate-provision: per-user buckets from the command line, with the provisioner.
 *
 *   skycrate-provision [options] COMMAND USER_ID
 *     COMMAND: provision | deprovision | verify | usage | show
 *   with options for where the records and buckets are and for the whole security profile
 *   (public access block, encryption, ownership, CORS origins/methods/headers/max age, TLS policy,
 *   lifecycle, tags): see --help.
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
#include <strings.h>

#include <skycrate.h>
#ifdef SKYCRATE_WITH_POSTGRESQL
#include <skycrate/store_pg.h>
#endif

#include "cli_tls.h"

#define MAX_ITEMS 32

static void usage(FILE *f, const char *prog)
{
    fprintf(
        f,
        "usage: %s [options] COMMAND USER_ID\n"
        "  COMMAND: provision | deprovision | verify | usage | show\n"
        "\n"
        "Where the records and buckets are:\n"
        "  --store FILE|URI         the users file (default: users.json), or a PostgreSQL\n"
        "                           database: postgresql://[user@][host][/db][?param=value]\n"
        "  --endpoint URL           an S3-compatible endpoint (default: AWS)\n"
        "  --region R               the region (default: AWS_REGION, the profile, us-east-1)\n"
        "  --addressing MODE        auto | virtual | path\n"
        "  --prefix P               bucket names start with P- (default: skycrate)\n"
        "  --compatible             skip configuration steps the server does not support, and\n"
        "                           adapt the public access block when the server would refuse\n"
        "                           uploads with BlockPublicAcls (the record says so)\n"
        "  --dev                    dev mode: no network, a mock bucket name\n"
        "  --concurrency N          requests at once (default: the transport's)\n"
        "\n"
        "TLS and plain http:\n" CLI_TLS_HELP(
            "      ") "\n"
                      "The security profile (every bucket gets it; verify checks it):\n"
                      "  --public-access-block L  the settings set to true, comma-separated from\n"
                      "                           BlockPublicAcls, IgnorePublicAcls, "
                      "BlockPublicPolicy,\n"
                      "                           RestrictPublicBuckets (default: all four), or "
                      "none (no step)\n"
                      "  --encryption E           aes256 (default) | kms | kms:KEY-ID | none (no "
                      "step)\n"
                      "  --ownership O            enforced (BucketOwnerEnforced, default) | "
                      "preferred |\n"
                      "                           writer | none (no step)\n"
                      "  --origin URL             a browser origin allowed to upload (CORS); "
                      "repeatable;\n"
                      "                           without one there is no CORS step\n"
                      "  --cors-methods L         the methods the CORS rule allows, "
                      "comma-separated from PUT,\n"
                      "                           POST, GET, HEAD, DELETE (default: PUT,GET,HEAD; "
                      "add POST\n"
                      "                           for POST-policy forms sent from scripts)\n"
                      "  --cors-allowed-headers L the request headers the CORS rule allows, "
                      "comma-separated\n"
                      "                           (one * wildcard each), or none (default: "
                      "content-type,\n"
                      "                           "
                      "content-md5,content-disposition,cache-control,x-amz-*)\n"
                      "  --cors-expose-headers L  the response headers scripts may read, "
                      "comma-separated, or\n"
                      "                           none (default: ETag)\n"
                      "  --cors-max-age S         how long browsers cache a preflight (default: "
                      "3600)\n"
                      "  --no-tls-policy          no bucket policy denying requests without TLS\n"
                      "  --abort-multipart-days N a lifecycle rule aborting unfinished multipart "
                      "uploads\n"
                      "                           after N days (default: 7; 0: no lifecycle step)\n"
                      "  --no-tags                no tagging step\n"
                      "  --application NAME       the skycrate:application tag\n"
                      "  --tag KEY=VALUE          another tag on every bucket; repeatable\n"
                      "\n"
                      "Prints the record (or the verify/usage report) as JSON. Exit status: 0 on "
                      "success,\n"
                      "1 when the operation failed (or verify found drift), 2 for a usage error.\n"
                      "Credentials come from the default chain (environment variables first).\n",
        prog);
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

/* The profile as the options give it; unset fields keep the library's defaults. */
typedef struct profile_options {
    const char *prefix, *pab, *encryption, *ownership, *cors_methods, *application;
    const char *cors_allowed, *cors_exposed;
    long cors_max_age, abort_days, concurrency; /* -1: unset */
    int no_tls_policy, no_tags;
    const char *origins[MAX_ITEMS], *tags[MAX_ITEMS];
    size_t origin_count, tag_count;
} profile_options;

/* The bits of the comma-separated `list` among `names`; -1 for an unknown name. */
static long bits_of(const char *list, const char *const *names, const uint32_t *bits, size_t n)
{
    long out = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ","), i = 0;
        while (i < n && (strlen(names[i]) != len || strncasecmp(p, names[i], len) != 0))
            i++;
        if (i == n)
            return -1;
        out |= (long)bits[i];
        p += len + (p[len] == ',');
    }
    return out;
}

static int apply_public_access_block(skycrate_provisioner_config *c, const char *list)
{
    static const char *const names[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                        "RestrictPublicBuckets"};
    static const uint32_t bits[] = {SKYCRATE_PAB_BLOCK_PUBLIC_ACLS, SKYCRATE_PAB_IGNORE_PUBLIC_ACLS,
                                    SKYCRATE_PAB_BLOCK_PUBLIC_POLICY,
                                    SKYCRATE_PAB_RESTRICT_PUBLIC_BUCKETS};
    long flags = strcasecmp(list, "none") == 0 ? 0 : bits_of(list, names, bits, 4);
    return flags < 0 ? -2 : skycrate_provisioner_config_set_public_access_block(c, (uint32_t)flags);
}

static int apply_cors_methods(skycrate_provisioner_config *c, const char *list)
{
    static const char *const names[] = {"PUT", "POST", "GET", "HEAD", "DELETE"};
    static const uint32_t bits[] = {SKYCRATE_CORS_METHOD_PUT, SKYCRATE_CORS_METHOD_POST,
                                    SKYCRATE_CORS_METHOD_GET, SKYCRATE_CORS_METHOD_HEAD,
                                    SKYCRATE_CORS_METHOD_DELETE};
    long methods = bits_of(list, names, bits, 5);
    return methods <= 0 ? -2 : skycrate_provisioner_config_set_cors_methods(c, (uint32_t)methods);
}

typedef int (*header_list_setter)(skycrate_provisioner_config *c, const char *const *headers,
                                  size_t count);

/* A comma-separated list of header names (or "none") given to one of the CORS list setters. */
static int apply_header_list(skycrate_provisioner_config *c, const char *list,
                             header_list_setter set)
{
    char copy[4096], *names[MAX_ITEMS] = {NULL}, *save = NULL;
    size_t count = 0;
    if (strlen(list) >= sizeof(copy))
        return -2;
    if (strcasecmp(list, "none") == 0)
        return set(c, (const char *const *)names, 0);
    strcpy(copy, list);
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (count == MAX_ITEMS)
            return -2;
        names[count++] = name;
    }
    return count == 0 ? -2 : set(c, (const char *const *)names, count);
}

static int apply_encryption(skycrate_provisioner_config *c, const char *e)
{
    if (!strcasecmp(e, "none"))
        return skycrate_provisioner_config_set_encryption(c, SKYCRATE_ENCRYPTION_NONE, NULL, 0);
    if (!strcasecmp(e, "aes256"))
        return skycrate_provisioner_config_set_encryption(c, SKYCRATE_ENCRYPTION_AES256, NULL, 0);
    if (!strncasecmp(e, "kms", 3) && (e[3] == '\0' || e[3] == ':'))
        return skycrate_provisioner_config_set_encryption(c, SKYCRATE_ENCRYPTION_KMS,
                                                          e[3] ? e + 4 : NULL, 0);
    return -2;
}

static int apply_ownership(skycrate_provisioner_config *c, const char *o)
{
    skycrate_ownership own = !strcasecmp(o, "none")       ? SKYCRATE_OWNERSHIP_UNSET
                             : !strcasecmp(o, "enforced") ? SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED
                             : !strcasecmp(o, "preferred")
                                 ? SKYCRATE_OWNERSHIP_BUCKET_OWNER_PREFERRED
                             : !strcasecmp(o, "writer") ? SKYCRATE_OWNERSHIP_OBJECT_WRITER
                                                        : (skycrate_ownership)-1;
    return (int)own < 0 ? -2 : skycrate_provisioner_config_set_object_ownership(c, own);
}

/* Applies the options: 0, -2 for a malformed value (`bad` names the option), or the library's
 * code. */
static int apply_profile(skycrate_provisioner_config *c, const profile_options *o, const char **bad)
{
    int rc = 0;
#define APPLY(cond, what, call)                                                                    \
    if (rc == 0 && (cond)) {                                                                       \
        *bad = what;                                                                               \
        rc = call;                                                                                 \
    }
    APPLY(o->prefix, "--prefix", skycrate_provisioner_config_set_bucket_prefix(c, o->prefix))
    APPLY(o->pab, "--public-access-block", apply_public_access_block(c, o->pab))
    APPLY(o->encryption, "--encryption", apply_encryption(c, o->encryption))
    APPLY(o->ownership, "--ownership", apply_ownership(c, o->ownership))
    APPLY(o->cors_methods, "--cors-methods", apply_cors_methods(c, o->cors_methods))
    APPLY(
        o->cors_allowed, "--cors-allowed-headers",
        apply_header_list(c, o->cors_allowed, skycrate_provisioner_config_set_cors_allowed_headers))
    APPLY(
        o->cors_exposed, "--cors-expose-headers",
        apply_header_list(c, o->cors_exposed, skycrate_provisioner_config_set_cors_expose_headers))
    APPLY(o->cors_max_age >= 0, "--cors-max-age",
          skycrate_provisioner_config_set_cors_max_age(c, (uint32_t)o->cors_max_age))
    APPLY(o->no_tls_policy, "--no-tls-policy",
          skycrate_provisioner_config_set_tls_only_policy(c, 0))
    APPLY(o->abort_days >= 0, "--abort-multipart-days",
          skycrate_provisioner_config_set_abort_multipart_days(c, (uint32_t)o->abort_days))
    APPLY(o->no_tags, "--no-tags", skycrate_provisioner_config_set_tagging(c, 0))
    APPLY(o->application, "--application",
          skycrate_provisioner_config_set_application(c, o->application))
    APPLY(o->concurrency >= 0, "--concurrency",
          skycrate_provisioner_config_set_concurrency(c, (unsigned int)o->concurrency))
    for (size_t i = 0; i < o->origin_count; i++)
        APPLY(1, "--origin", skycrate_provisioner_config_add_cors_origin(c, o->origins[i]))
    for (size_t i = 0; i < o->tag_count; i++) {
        char key[256];
        const char *eq = strchr(o->tags[i], '=');
        snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - o->tags[i]) : 0, o->tags[i]);
        APPLY(1, "--tag", eq ? skycrate_provisioner_config_add_tag(c, key, eq + 1) : -2)
    }
#undef APPLY
    return rc;
}

/* A number option: 0..max, or -1 (with a message) when malformed. */
static long number(const char *opt, const char *value, long max)
{
    char *end;
    long n = strtol(value, &end, 10);
    if (*value == '\0' || *end || n < 0 || n > max) {
        fprintf(stderr, "skycrate-provision: %s takes a number from 0 to %ld\n", opt, max);
        return -1;
    }
    return n;
}

int main(int argc, char **argv)
{
    enum {
        O_PREFIX = 256,
        O_PAB,
        O_ENC,
        O_OWN,
        O_METHODS,
        O_MAXAGE,
        O_ALLOWED,
        O_EXPOSED,
        O_NOTLS,
        O_DAYS,
        O_NOTAGS,
        O_APP,
        O_TAG,
        O_CONC
    };
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},
        {"endpoint", required_argument, NULL, 'e'},
        {"region", required_argument, NULL, 'r'},
        {"addressing", required_argument, NULL, 'a'},
        {"origin", required_argument, NULL, 'o'},
        {"compatible", no_argument, NULL, 'c'},
        {"dev", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {"prefix", required_argument, NULL, O_PREFIX},
        {"public-access-block", required_argument, NULL, O_PAB},
        {"encryption", required_argument, NULL, O_ENC},
        {"ownership", required_argument, NULL, O_OWN},
        {"cors-methods", required_argument, NULL, O_METHODS},
        {"cors-max-age", required_argument, NULL, O_MAXAGE},
        {"cors-allowed-headers", required_argument, NULL, O_ALLOWED},
        {"cors-expose-headers", required_argument, NULL, O_EXPOSED},
        {"no-tls-policy", no_argument, NULL, O_NOTLS},
        {"abort-multipart-days", required_argument, NULL, O_DAYS},
        {"no-tags", no_argument, NULL, O_NOTAGS},
        {"application", required_argument, NULL, O_APP},
        {"tag", required_argument, NULL, O_TAG},
        {"concurrency", required_argument, NULL, O_CONC},
        CLI_TLS_OPTIONS,
        {NULL, 0, NULL, 0}};
    const char *store = NULL, *endpoint = NULL, *region = NULL, *addressing = NULL;
    profile_options po = {.cors_max_age = -1, .abort_days = -1, .concurrency = -1};
    int compatible = 0, dev = 0, opt;
    cli_tls tls = {NULL, NULL, 0};
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 's': store = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'r': region = optarg; break;
        case 'a': addressing = optarg; break;
        case 'o':
        case O_TAG:
            if ((opt == 'o' ? po.origin_count : po.tag_count) == MAX_ITEMS) {
                fprintf(stderr, "skycrate-provision: at most %d of --%s\n", MAX_ITEMS,
                        opt == 'o' ? "origin" : "tag");
                return 2;
            }
            if (opt == 'o')
                po.origins[po.origin_count++] = optarg;
            else
                po.tags[po.tag_count++] = optarg;
            break;
        case 'c': compatible = 1; break;
        case 'd': dev = 1; break;
        case 'h': usage(stdout, argv[0]); return 0;
        case O_PREFIX: po.prefix = optarg; break;
        case O_PAB: po.pab = optarg; break;
        case O_ENC: po.encryption = optarg; break;
        case O_OWN: po.ownership = optarg; break;
        case O_METHODS: po.cors_methods = optarg; break;
        case O_ALLOWED: po.cors_allowed = optarg; break;
        case O_EXPOSED: po.cors_exposed = optarg; break;
        case O_APP: po.application = optarg; break;
        case O_NOTLS: po.no_tls_policy = 1; break;
        case O_NOTAGS: po.no_tags = 1; break;
        case O_MAXAGE:
            if ((po.cors_max_age = number("--cors-max-age", optarg, 86400 * 365)) < 0)
                return 2;
            break;
        case O_DAYS:
            if ((po.abort_days = number("--abort-multipart-days", optarg, 3650)) < 0)
                return 2;
            break;
        case O_CONC:
            if ((po.concurrency = number("--concurrency", optarg, 64)) < 0)
                return 2;
            break;
        default:
            if (!cli_tls_option(&tls, opt, optarg)) {
                usage(stderr, argv[0]);
                return 2;
            }
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
        cli_tls_apply(&tls, ccfg, endpoint) < 0 ||
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
    const char *bad = NULL;
    int rc = apply_profile(pcfg, &po, &bad);
    if (rc == -2 || rc == SKYCRATE_EINVAL) { /* a malformed value is a usage error */
        fprintf(stderr, "skycrate-provision: %s: %s\n", bad,
                rc == -2 ? "unknown value (see --help)" : skycrate_error_last()->message);
        status = 2;
        goto done;
    } else if (rc < 0) {
        failed = bad;
        goto fail;
    }
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
