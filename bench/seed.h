/*
 * The provisioning requests of the benchmark, issued as the seed design issues them: one
 * after another on one connection (CreateBucket, PutPublicAccessBlock, PutBucketEncryption,
 * PutBucketOwnershipControls, then the rest of the profile), then one record written to the
 * user store.
 *
 * The requests are those of libskycrate's provisioner for its default security profile with
 * one CORS origin and an application tag (docs/HACKING.md), with bodies built the same
 * way (for user ids that need no hashing in the owner tag), signed and sent through the
 * client's request layer (skycrate__s3_send) with Content-MD5 on each. It needs only the
 * client; the benchmark also compares the request lines the proxy saw.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_BENCH_SEED_H
#define SKYCRATE_BENCH_SEED_H

#include <stdbool.h>
#include <stddef.h>

#include "skycrate.h"

#define SEED_STEPS_MAX 16

typedef struct seed_options {
    const char *user_id;
    const char *origin;      /* the CORS origin */
    const char *application; /* the value of the application tag */
    bool compatible;         /* NotImplemented, InvalidArgument, MethodNotAllowed: skipped */
    bool exists_check;       /* HeadBucket before the create (the seed checks first) */
    int abort_multipart_days;
    const skycrate_user_store *store; /* where the record goes at the end; NULL: nowhere */
} seed_options;

typedef struct seed_step_result {
    const char *operation;
    int status; /* HTTP status, 0 when no answer */
    char s3_code[64];
    bool skipped;
    int error; /* 0, or the library's code for a step that failed */
} seed_step_result;

typedef struct seed_result {
    seed_step_result steps[SEED_STEPS_MAX];
    size_t count;
    char message[256]; /* why it failed */
} seed_result;

/* Provisions `bucket` step by step. 0, or a library code with result->message set; in any case
 * result->steps holds what was sent and answered. */
int seed_provision(skycrate_client *client, const char *bucket, const seed_options *options,
                   seed_result *result);

/* The same requests, with the configuration steps after the create spread over the client's
 * concurrent lanes (the transport's max_concurrency), each lane a thread reusing its
 * connection. This is the bench's own concurrent order, for checking the harness; the
 * library's order is the provisioner's. */
int seed_provision_lanes(skycrate_client *client, const char *bucket, const seed_options *options,
                         seed_result *result);

/* Reads every configuration of the profile back (GET of each subresource) and checks that it
 * is there, except for steps that `result` shows skipped. Returns how many are missing and
 * names their subresources in `missing`. Not timed, never counted. */
int seed_verify(skycrate_client *client, const char *bucket, const seed_result *result,
                char *missing, size_t size);

/* Deletes a bucket made by a run (not timed, never counted). */
int seed_cleanup(skycrate_client *client, const char *bucket);

#endif
