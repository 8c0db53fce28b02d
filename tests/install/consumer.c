/*
 * A program that uses an installed libskycrate through pkg-config only (tests/install/
 * consumers.sh builds it with `pkg-config --cflags --libs skycrate`, and --static): a dev-mode
 * provisioning into a users file in DIR and a presigned PUT at a fixed time, whose URL it
 * prints (the C++ and Python consumers must print the same).
 *   consumer DIR
 */
#include <stdio.h>
#include <string.h>

#include <skycrate.h>

#define T0 1732300000 /* 2024-11-22T18:26:40Z */

static int fail(const char *what)
{
    fprintf(stderr, "consumer: %s: %s\n", what, skycrate_error_last()->message);
    return 1;
}

static int provision(const char *dir)
{
    char path[512];
    skycrate_user_store *store = NULL;
    skycrate_provisioner_config *cfg = NULL;
    skycrate_provisioner *p = NULL;
    skycrate_record *rec = NULL;
    int status = 1;
    snprintf(path, sizeof(path), "%s/users.json", dir);
    if (skycrate_user_store_new_file(&store, path, 0) < 0 ||
        skycrate_provisioner_config_new(&cfg) < 0 ||
        skycrate_provisioner_config_set_store(cfg, store) < 0 ||
        skycrate_provisioner_config_set_dev_mode(cfg, 1) < 0 ||
        skycrate_provisioner_new(&p, NULL, cfg) < 0 ||
        skycrate_provisioner_provision(&rec, p, "u42") < 0) {
        fail("provision");
    } else if (skycrate_record_state(rec) != SKYCRATE_STATE_ACTIVE ||
               strcmp(skycrate_record_bucket(rec), "skycrate-dev-u42") != 0) {
        fprintf(stderr, "consumer: unexpected record: %s\n", skycrate_record_bucket(rec));
    } else {
        printf("provisioned %s\n", skycrate_record_bucket(rec));
        status = 0;
    }
    skycrate_record_free(rec);
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(cfg);
    skycrate_user_store_unref(store);
    return status;
}

static int presign(void)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_presigner *presigner = NULL;
    skycrate_presign_request *req = NULL;
    skycrate_presigned *contract = NULL;
    int status = 1;
    if (skycrate_credentials_new(&creds, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                 NULL, 0) < 0 ||
        skycrate_credentials_provider_new_static(&provider, creds) < 0 ||
        skycrate_client_config_new(&cfg) < 0 ||
        skycrate_client_config_set_region(cfg, "eu-west-1") < 0 ||
        skycrate_client_config_set_credentials_provider(cfg, provider) < 0 ||
        skycrate_client_new(&client, cfg) < 0 || skycrate_presigner_new(&presigner, client) < 0 ||
        skycrate_presign_request_new(&req, "PUT", "bucket", "uploads/u42/report.pdf") < 0 ||
        skycrate_presign_request_add_header(req, "Content-Type", "application/pdf") < 0 ||
        skycrate_presign_request_set_time(req, T0) < 0 ||
        skycrate_presigner_sign(&contract, presigner, req) < 0) {
        fail("presign");
    } else {
        printf("url %s\n", skycrate_presigned_url(contract));
        status = 0;
    }
    skycrate_presigned_free(contract);
    skycrate_presign_request_free(req);
    skycrate_presigner_free(presigner);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_credentials_provider_unref(provider);
    skycrate_credentials_unref(creds);
    return status;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer DIR\n");
        return 2;
    }
    if (skycrate_global_init(NULL) < 0)
        return fail("init");
    int status = provision(argv[1]) || presign();
    printf("libskycrate %s\n", skycrate_version_string());
    skycrate_global_cleanup();
    return status;
}
