/*
 * libFuzzer target: a users file as the file store loads it, and each record in it as the
 * provisioner reads it before acting (skycrate__record_check: the user's own record, a valid
 * bucket name, a region name, lists that are lists), then rendered (skycrate_record_to_json).
 * The input is written to a file in a private temporary directory and read through the public
 * store and a dev-mode provisioner, as an application would. Build and run: fuzz/README.md.
 */
#include <jansson.h>
#include <unistd.h>

#include "core/syntax.h"
#include "fuzz_common.h"
#include "s3/bucket_name.h"

static char dir[64], path[96];

static void remove_dir(void)
{
    unlink(path);
    char lock[112];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    unlink(lock);
    rmdir(dir);
}

static void write_input(const char *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/skycrate-fuzz-users-XXXXXX");
        FUZZ_CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/users.json", dir);
        atexit(remove_dir);
    }
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);
}

/* The user ids the file names (at most 8), and two it may not. */
static size_t user_ids(char ids[][128], const char *data, size_t size)
{
    size_t n = 0;
    snprintf(ids[n++], 128, "%s", "u");
    snprintf(ids[n++], 128, "%s", "");
    json_t *root = json_loadb(data, size, 0, NULL);
    const char *id;
    json_t *v;
    json_object_foreach(json_object_get(root, "users"), id, v)
    {
        if (n == 10)
            break;
        snprintf(ids[n++], 128, "%s", id);
    }
    json_decref(root);
    return n;
}

/* A record that passed the checks is safe to act on. */
static void check_record(const skycrate_record *rec, const char *user_id)
{
    FUZZ_CHECK(!strcmp(skycrate_record_user_id(rec), user_id));
    FUZZ_CHECK(skycrate__bucket_name_valid(skycrate_record_bucket(rec)));
    const char *region = skycrate_record_region(rec);
    FUZZ_CHECK(!*region || skycrate__region_ok(region));
    FUZZ_CHECK(skycrate_record_state(rec) >= SKYCRATE_STATE_PROVISIONING &&
               skycrate_record_state(rec) <= SKYCRATE_STATE_DELETED);
}

static int show_all(skycrate_provisioner *p, const char *data, size_t size)
{
    char ids[10][128];
    size_t n = user_ids(ids, data, size);
    int result = 0;
    for (size_t i = 0; i < n; i++) {
        skycrate_record *rec = NULL;
        int rc = skycrate_provisioner_show(&rec, p, ids[i]);
        FUZZ_CHECK(rc == 0 || rc == SKYCRATE_ENOTFOUND || rc == SKYCRATE_EPARSE ||
                   rc == SKYCRATE_EINVAL || rc == SKYCRATE_ENOMEM);
        FUZZ_CHECK((rc == 0) == (rec != NULL));
        char *json = NULL;
        if (rec) {
            check_record(rec, ids[i]);
            rc = skycrate_record_to_json(&json, rec, i % 2 ? SKYCRATE_JSON_PRETTY : 0);
            FUZZ_CHECK(rc == 0 || rc == SKYCRATE_ENOMEM);
        }
        skycrate_free(json);
        skycrate_record_free(rec);
        if (rc == SKYCRATE_ENOMEM)
            return rc;
        if (rc == SKYCRATE_EPARSE)
            result = rc; /* a broken file, or a broken record in it */
    }
    return result;
}

static int run(const char *data, size_t size)
{
    skycrate_user_store *store = NULL;
    skycrate_provisioner_config *cfg = NULL;
    skycrate_provisioner *p = NULL;
    int rc = skycrate_user_store_new_file(&store, path, 0);
    if (rc == 0)
        rc = skycrate_provisioner_config_new(&cfg);
    if (rc == 0)
        rc = skycrate_provisioner_config_set_store(cfg, store);
    if (rc == 0)
        rc = skycrate_provisioner_config_set_dev_mode(cfg, 1);
    if (rc == 0)
        rc = skycrate_provisioner_new(&p, NULL, cfg);
    if (rc == 0)
        rc = show_all(p, data, size);
    skycrate_provisioner_free(p);
    skycrate_provisioner_config_free(cfg);
    skycrate_user_store_unref(store);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input((const char *)data, size);
    fuzz_run(run, (const char *)data, size, fuzz_pick_failure(data, size));
    return 0;
}
