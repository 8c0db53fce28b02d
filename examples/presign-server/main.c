/*
 * skycrate-presign-server: serves the seed's presign API for browsers, with a bearer token per
 * user, each user's bucket provisioned on demand, an audit log and a 403 doctor.
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_tls.h"
#include "server.h"

static const char usage[] =
    "usage: skycrate-presign-server [--port N] CONFIG.json\n"
    "\n"
    "Serves, on 127.0.0.1 unless the configuration says otherwise:\n"
    "  GET  /                          the upload page\n"
    "  POST /api/s3/presign            {filename, contentType?, size?} -> {key, uploadUrl, "
    "method,\n"
    "                                  headers, expiresAt}\n"
    "  POST /api/s3/presign-post       the same as a POST-policy form: {key, url, fields, ...}\n"
    "  POST /api/s3/multipart/create   {filename, contentType?, size} -> {key, uploadId, parts}\n"
    "  POST /api/s3/multipart/complete {key, uploadId, parts: [{partNumber, etag}]}\n"
    "  POST /api/s3/multipart/abort    {key, uploadId}\n"
    "  POST /api/s3/diagnose           {contract, sent?, origin?, answer?} -> the doctor's "
    "verdict\n"
    "Every /api call needs 'Authorization: Bearer TOKEN' with a token from the configuration.\n"
    "\n"
    "Options:\n"
    "  --port N     listen on port N (0: any free port) instead of the configuration's\n"
    "  --help       print this help and exit\n"
    "\n"
    "The configuration (JSON): users (user id -> bearer token, at least 16 characters),\n"
    "endpoint, region, store (users.json), bucketPrefix, origins (the page's origin, for the\n"
    "buckets' CORS rule), corsMethods (PUT, POST, GET, HEAD, DELETE; default PUT, POST, GET,\n"
    "HEAD, as the page sends POST-policy forms), compatible, dev,\n"
    "publicAccessBlock (setting names), tlsOnlyPolicy, maxSize, expires, partSize, keyPrefix,\n"
    "auditLog, listen, port, threads, caFile, caPath, allowHttp.\n"
    "Credentials come from the default chain (environment variables first). Certificates are\n"
    "always verified: caFile (else AWS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE) and caPath\n"
    "(else SSL_CERT_DIR) name the CAs to trust. An http:// endpoint must be a loopback host\n"
    "unless allowHttp is true (credentials and data would travel in the clear).\n";

static int make_client(server *s)
{
    skycrate_client_config *cc = NULL;
    int rc = skycrate_client_config_new(&cc);
    if (rc == 0 && s->cfg.region)
        rc = skycrate_client_config_set_region(cc, s->cfg.region);
    if (rc == 0 && s->cfg.endpoint)
        rc = skycrate_client_config_set_endpoint(cc, s->cfg.endpoint);
    cli_tls tls = {s->cfg.ca_file, s->cfg.ca_path, s->cfg.allow_http};
    if (rc == 0)
        rc = cli_tls_apply(&tls, cc, NULL); /* the endpoint is set above: its option is allowHttp */
    if (rc == 0)
        rc = skycrate_client_new(&s->client, cc);
    skycrate_client_config_free(cc);
    if (rc == 0)
        rc = skycrate_presigner_new(&s->presigner, s->client);
    if (rc == 0)
        rc = skycrate_doctor_new(&s->doctor, s->client);
    return rc;
}

static int make_provisioner(server *s)
{
    skycrate_provisioner_config *pc = NULL;
    skycrate_user_store *store = NULL;
    int rc = skycrate_provisioner_config_new(&pc);
    if (rc == 0)
        rc = skycrate_user_store_new_file(&store, s->cfg.store, 0);
    if (rc == 0)
        rc = skycrate_provisioner_config_set_store(pc, store);
    skycrate_user_store_unref(store); /* the configuration holds its own reference */
    if (rc == 0 && s->cfg.bucket_prefix)
        rc = skycrate_provisioner_config_set_bucket_prefix(pc, s->cfg.bucket_prefix);
    if (rc == 0 && s->cfg.compatible)
        rc = skycrate_provisioner_config_set_failure_mode(pc, SKYCRATE_FAILURE_MODE_COMPATIBLE);
    if (rc == 0 && s->cfg.dev)
        rc = skycrate_provisioner_config_set_dev_mode(pc, 1);
    if (rc == 0)
        rc = skycrate_provisioner_config_set_public_access_block(pc, s->cfg.public_access_block);
    if (rc == 0)
        rc = skycrate_provisioner_config_set_tls_only_policy(pc, s->cfg.tls_only);
    /* The page sends POST-policy forms with fetch: without POST in the rule the object is
     * written while the page sees only a TypeError. */
    uint32_t methods = s->cfg.cors_methods
                           ? s->cfg.cors_methods
                           : SKYCRATE_CORS_METHOD_PUT | SKYCRATE_CORS_METHOD_POST |
                                 SKYCRATE_CORS_METHOD_GET | SKYCRATE_CORS_METHOD_HEAD;
    if (rc == 0)
        rc = skycrate_provisioner_config_set_cors_methods(pc, methods);
    for (size_t i = 0; rc == 0 && i < s->cfg.origin_count; i++)
        rc = skycrate_provisioner_config_add_cors_origin(pc, s->cfg.origins[i]);
    if (rc == 0)
        rc = skycrate_provisioner_new(&s->provisioner, s->client, pc);
    skycrate_provisioner_config_free(pc);
    return rc;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    long port = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            port = strtol(argv[++i], &end, 10);
            if (*end || port < 0 || port > 65535) {
                fprintf(stderr, "skycrate-presign-server: --port takes 0..65535\n");
                return 2;
            }
        } else if (argv[i][0] == '-' || config) {
            fprintf(stderr, "skycrate-presign-server: unknown option %s\n%s", argv[i], usage);
            return 2;
        } else {
            config = argv[i];
        }
    }
    if (config == NULL) {
        fputs(usage, stderr);
        return 2;
    }
    server s = {.audit_fd = -1};
    pthread_mutex_init(&s.lock, NULL);
    if (config_load(&s.cfg, config) < 0)
        return 1;
    if (port >= 0)
        s.cfg.port = (unsigned)port;
    int status = 1;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before any thread starts */
    if (skycrate_global_init(NULL) < 0 || make_client(&s) < 0 || make_provisioner(&s) < 0) {
        fprintf(stderr, "skycrate-presign-server: %s\n", skycrate_error_last()->message);
        goto done;
    }
    if (s.cfg.audit_log &&
        (s.audit_fd = open(s.cfg.audit_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        perror(s.cfg.audit_log);
        goto done;
    }
    if (http_start(&s) < 0)
        goto done;
    printf("listening on http://%s:%u\n", s.cfg.listen, s.cfg.port);
    fflush(stdout);
    int sig;
    sigwait(&stop, &sig);
    http_stop(&s);
    status = 0;
done:
    if (s.audit_fd >= 0)
        close(s.audit_fd);
    skycrate_provisioner_free(s.provisioner);
    skycrate_doctor_free(s.doctor);
    skycrate_presigner_free(s.presigner);
    skycrate_client_free(s.client);
    skycrate_global_cleanup();
    config_dispose(&s.cfg);
    pthread_mutex_destroy(&s.lock);
    return status;
}
