/*
 * Fixture of the provisioner tests: a frozen clock at the golden requests' time, a scripted
 * mock transport, a client on it, a users file in a fresh directory, the profile of
 * tools/gen-golden-provision.py, and the comparison of a sent request with a golden one.
 */
#ifndef SKYCRATE_TEST_PROVFIXTURE_H
#define SKYCRATE_TEST_PROVFIXTURE_H

#include <jansson.h>
#include <stdbool.h>

#include "mocktransport.h"
#include "skycrate.h"

/* tools/gen-golden-provision.py's T0: 2024-11-22T18:26:40Z. */
#define PROV_T0_MS 1732300000000LL
#define PROV_BUCKET "skycrate-u42-20241122182640"

typedef struct prov_fixture {
    mock_transport *mock;
    skycrate_client *client;
    char dir[64];
    char store_path[128];
} prov_fixture;

/* Freezes the clock at PROV_T0_MS, creates the mock (with `lanes` lanes), a client for `region`
 * and `endpoint` (NULL: AWS) with a static key, and an empty directory for the users file. */
void prov_fixture_init(prov_fixture *f, const char *region, const char *endpoint,
                       unsigned int lanes);
/* Replaces the client (same mock). */
void prov_fixture_client(prov_fixture *f, const char *region, const char *endpoint);
/* Frees everything, removes the directory, unfreezes the clock. */
void prov_fixture_dispose(prov_fixture *f);

/* A configuration storing records in the fixture's users file (the library's defaults else). */
skycrate_provisioner_config *prov_config(const prov_fixture *f);
/* The generator's profile: CORS for two origins (max age 3000), application "photos", the tag
 * team = "web + mobile @ 2024"; the rest as the defaults. */
void prov_golden_profile(skycrate_provisioner_config *cfg);
/* Leaves out every configuration step but the public access block and CORS. */
void prov_block_only_profile(skycrate_provisioner_config *cfg);
/* A provisioner with the retry pauses cut to 1 ms (they sleep for real). */
skycrate_provisioner *prov_new(prov_fixture *f, const skycrate_provisioner_config *cfg);

/* An in-memory user store (one record per user, compared byte for byte; no fsync): fast
 * enough for allocation-failure loops. Release it with skycrate_user_store_unref(). */
skycrate_user_store *prov_memory_store(void);
/* Sets the JSON-file store at `path` on a provisioner configuration. */
void prov_use_store_file(skycrate_provisioner_config *cfg, const char *path);
/* The record text a memory store holds for a user, or NULL. */
const char *prov_memory_record(const skycrate_user_store *store, const char *user_id);

/* The user's record as the users file holds it (NULL when there is none); json_decref it. */
json_t *prov_record(const prov_fixture *f, const char *user_id);
/* A string field of a record ("" when absent). */
const char *prov_str(const json_t *record, const char *field);

/* A provisioner on the fixture with the generator's profile (prov_golden_profile()). */
skycrate_provisioner *prov_golden_provisioner(prov_fixture *f);
/* Scripts `n` empty 200 answers (any request takes the next one). */
void prov_push_ok(prov_fixture *f, int n);
/* An S3 error document with this code and the message "<code> here" (a per-thread buffer). */
const char *prov_error_doc(const char *code);
/* The number of CreateBucket requests: PUTs on the bucket itself (the URL ends with '/'). */
size_t prov_count_creates(mock_transport *m);

/* The number of requests with this method (NULL: any) whose URL contains `url_part`. */
size_t mock_count(mock_transport *m, const char *method, const char *url_part);

/*
 * Checks that the mock received the request of tests/vectors/provision/<name>.json: same
 * method, same URL (query parameters compared decoded, in any order; "?cors" is "?cors="), the
 * body byte for byte, every header botocore signed with the same value, and the same
 * Authorization header (so the same canonical request and signature).
 */
void golden_check(mock_transport *m, const char *name);

#endif
