/*
 * skycrate-doctor: why a presigned request fails, from the command line.
 *
 *   skycrate-doctor [options] URL|CONTRACT.json|-
 *
 * The argument is a presigned URL, or a file holding a contract as JSON (skycrate-presign
 * --json, or a presign server's answer), or - for that JSON on standard input. The request is
 * sent again from here (with a CORS preflight when --origin is given) and the bucket's CORS
 * rules, policy and public access block are read with the credentials of the default chain;
 * --no-replay diagnoses from the URL alone. Prints the verdict in plain words, or --json.
 * Exit status: 0 when nothing is wrong, 3 when a fault was found, 1 when the doctor could not
 * run, 2 for a usage error.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skycrate.h>

#include "cli_tls.h"

static const char usage[] =
    "usage: skycrate-doctor [options] URL|CONTRACT.json|-\n"
    "\n"
    "Tells why a presigned request fails: sends it again (with a CORS preflight when --origin\n"
    "is given), reads the bucket's CORS rules, policy and public access block, and prints the\n"
    "verdict.\n"
    "\n"
    "Options:\n"
    "  --method M          the method the client used (default: the contract's, else PUT)\n"
    "  --header 'N: v'     a header the client sent (repeatable; default: the contract's)\n"
    "  --origin URL        the origin of the page that sent it (checks CORS)\n"
    "  --endpoint URL      the S3 endpoint (e.g. http://127.0.0.1:7480); default: AWS\n"
    "  --region R          the region (default: AWS_REGION, else us-east-1)\n"
    "  --no-replay         diagnose from the URL alone: send nothing, read nothing\n"
    "  --json              print the diagnosis as JSON\n" CLI_TLS_HELP(
        " ") "  --help              print this help and exit\n"
             "\n"
             "Credentials come from the default chain (environment variables first).\n"
             "Exit status: 0 nothing wrong, 3 a fault was found, 1 the doctor could not run, 2 "
             "usage.\n";

static int fail(const char *what)
{
    fprintf(stderr, "skycrate-doctor: %s: %s\n", what, skycrate_error_last()->message);
    return 1;
}

static char *read_all(FILE *f)
{
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    for (size_t n; text && (n = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (len + 1 == cap) {
            char *grown = realloc(text, cap *= 2);
            if (grown == NULL)
                free(text);
            text = grown;
        }
    }
    if (text)
        text[len] = '\0';
    return text;
}

/* Loads the argument into the case: a URL, a contract file, or "-". */
static int load_subject(skycrate_doctor_case *dc, const char *arg, const char *method)
{
    if (strncmp(arg, "http://", 7) == 0 || strncmp(arg, "https://", 8) == 0)
        return skycrate_doctor_case_set_sent(dc, method ? method : "PUT", arg);
    FILE *f = strcmp(arg, "-") == 0 ? stdin : fopen(arg, "rb");
    if (f == NULL) {
        perror(arg);
        return -1;
    }
    char *text = read_all(f);
    if (f != stdin)
        fclose(f);
    int rc = text ? skycrate_doctor_case_set_contract_json(dc, text) : SKYCRATE_ENOMEM;
    free(text);
    return rc;
}

/* The client reads the bucket's settings and replays the URL (plain http to it as to the
 * endpoint: loopback, or --allow-http). */
static int make_client(skycrate_client **out, const char *endpoint, const char *region,
                       const cli_tls *tls)
{
    skycrate_client_config *cfg = NULL;
    int rc = skycrate_client_config_new(&cfg);
    if (rc == 0 && region)
        rc = skycrate_client_config_set_region(cfg, region);
    if (rc == 0)
        rc = cli_tls_apply(tls, cfg, endpoint);
    if (rc == 0)
        rc = skycrate_client_new(out, cfg);
    skycrate_client_config_free(cfg);
    return rc;
}

/* Adds "Name: value" as a sent header. */
static int add_header(skycrate_doctor_case *dc, const char *line)
{
    const char *colon = strchr(line, ':');
    if (colon == NULL || colon == line) {
        fprintf(stderr, "skycrate-doctor: --header takes 'Name: value'\n");
        return -2;
    }
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)(colon - line), line);
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    return skycrate_doctor_case_add_sent_header(dc, name, value);
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL, *region = NULL, *origin = NULL, *method = NULL, *subject = NULL;
    int json = 0, replay = 1, status = 1;
    cli_tls tls = {NULL, NULL, 0};
    skycrate_client *client = NULL;
    skycrate_doctor *doctor = NULL;
    skycrate_doctor_case *dc = NULL;
    skycrate_diagnosis *d = NULL;
    if (skycrate_global_init(NULL) < 0 || skycrate_doctor_case_new(&dc) < 0)
        return fail("init");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            status = 0;
            goto done;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--no-replay")) {
            replay = 0;
        } else if (v && !strcmp(a, "--method")) {
            method = argv[++i];
        } else if (v && !strcmp(a, "--origin")) {
            rc = skycrate_doctor_case_set_origin(dc, argv[++i]);
            origin = argv[i];
        } else if (v && !strcmp(a, "--header")) {
            rc = add_header(dc, argv[++i]);
        } else if (v && !strcmp(a, "--endpoint")) {
            endpoint = argv[++i];
        } else if (v && !strcmp(a, "--region")) {
            region = argv[++i];
        } else if (v && !strcmp(a, "--ca-file")) {
            cli_tls_option(&tls, CLI_TLS_CA_FILE, argv[++i]);
        } else if (v && !strcmp(a, "--ca-path")) {
            cli_tls_option(&tls, CLI_TLS_CA_PATH, argv[++i]);
        } else if (!strcmp(a, "--allow-http")) {
            cli_tls_option(&tls, CLI_TLS_ALLOW_HTTP, NULL);
        } else if ((a[0] == '-' && a[1] != '\0') || subject) {
            fprintf(stderr, "skycrate-doctor: unknown option or extra argument: %s\n%s", a, usage);
            status = 2;
            goto done;
        } else {
            subject = a;
        }
        if (rc < 0) {
            if (rc != -2)
                fprintf(stderr, "skycrate-doctor: %s: %s\n", a, skycrate_error_last()->message);
            status = 2;
            goto done;
        }
    }
    (void)origin;
    if (subject == NULL) {
        fputs(usage, stderr);
        status = 2;
        goto done;
    }
    if (load_subject(dc, subject, method) < 0) {
        status = fail(subject);
        goto done;
    }
    if (method && strncmp(subject, "http", 4) != 0) {
        /* A contract was loaded: --method overrides the method it was used with. */
        fprintf(stderr, "skycrate-doctor: --method with a contract: pass the URL instead\n");
        status = 2;
        goto done;
    }
    if (make_client(&client, endpoint, region, &tls) < 0 ||
        skycrate_doctor_new(&doctor, client) < 0) {
        status = fail("client");
        goto done;
    }
    int rc = replay ? skycrate_doctor_replay(&d, client, doctor, dc)
                    : skycrate_doctor_diagnose(&d, doctor, dc);
    if (rc < 0) {
        status = fail("diagnose");
        goto done;
    }
    if (json) {
        char *text = NULL;
        if (skycrate_diagnosis_to_json(&text, d, SKYCRATE_JSON_PRETTY) < 0) {
            status = fail("json");
            goto done;
        }
        puts(text);
        skycrate_free(text);
    } else {
        printf("%s: %s\n", skycrate_verdict_name(skycrate_diagnosis_verdict(d)),
               skycrate_diagnosis_message(d));
    }
    status = skycrate_diagnosis_verdict(d) == SKYCRATE_VERDICT_OK ? 0 : 3;
done:
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate_doctor_free(doctor);
    skycrate_client_free(client);
    skycrate_global_cleanup();
    return status;
}
