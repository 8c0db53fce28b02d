/*
 * The steps of provisioning (names, S3 operations, subresources) and the requests a provisioner
 * sends on its lanes, each with its own copy of the server's answer and of the error message.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_STEPS_H
#define SKYCRATE_PROVISION_STEPS_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/kv.h"
#include "http/http.h"
#include "provision/provisioner.h"

typedef struct skycrate__step_def {
    skycrate_step step;
    const char *name;          /* "public-access-block": the journal's and JSON's name */
    const char *put_operation; /* "PutPublicAccessBlock" */
    const char *get_operation; /* "GetPublicAccessBlock"; "HeadBucket" for create */
    const char *subresource;   /* "publicAccessBlock"; NULL for create */
    const char *root;          /* the root element of the GET answer; NULL for create/policy */
    const char *root_alias;    /* another root a server is known to send for it, or NULL */
} skycrate__step_def;

/* The definition of a step, or NULL for an unknown value. */
const skycrate__step_def *skycrate__step_def_get(skycrate_step step);
/* The step named `name`; -1 when there is none. */
int skycrate__step_from_name(const char *name);

/* What one request ended with: the code, the server's answer, the error message, the body. */
typedef struct skycrate__outcome {
    int rc;
    skycrate__response_record rec;
    skycrate__buf message; /* the error message when rc < 0 */
    skycrate__buf body;    /* the body of a 2xx answer (when kept) */
} skycrate__outcome;

void skycrate__outcome_init(skycrate__outcome *o);
void skycrate__outcome_dispose(skycrate__outcome *o);
/* The S3 error code of the answer ("" when none). */
const char *skycrate__outcome_code(const skycrate__outcome *o);
/* True for an answer compatible mode skips: NotImplemented, InvalidArgument, MethodNotAllowed,
 * or HTTP 501/405. */
bool skycrate__outcome_unsupported(const skycrate__outcome *o);
/* True when the server answered 404 (SKYCRATE_ENOTFOUND alone may mean other things, such as
 * a custom transport's or credentials provider's "nothing found"). */
bool skycrate__outcome_not_found(const skycrate__outcome *o);
/* Appends "HTTP 400 InvalidArgument: message" (or the error message when no answer came). */
int skycrate__outcome_note(skycrate__buf *out, const skycrate__outcome *o);
/* Makes the outcome's code and message the calling thread's error again; returns the code. */
int skycrate__outcome_raise(const skycrate__outcome *o);
/* Keeps `rc` and the calling thread's error message in the outcome, before it leaves a lane. */
void skycrate__outcome_capture(skycrate__outcome *out, int rc);

/* One request of the provisioner. */
typedef struct skycrate__prov_request {
    const char *operation;
    const char *method;
    const char *bucket;
    const char *key; /* NULL: bucket level */
    const skycrate__kv *query;
    size_t query_count;
    const skycrate__kv *headers; /* besides Content-MD5 */
    size_t header_count;
    const char *body; /* NULL: none */
    size_t body_len;
    bool content_md5;          /* send Content-MD5 of the body */
    bool keep_body;            /* keep a 2xx body in outcome->body */
    bool nosuchbucket;         /* retry NoSuchBucket (eventual consistency after the create) */
    skycrate__http_gate *gate; /* NULL, or the gate it waits at before it is sent */
} skycrate__prov_request;

/*
 * Sends a request and fills `out` (which the caller initialised): safe on any lane thread.
 * Returns out->rc.
 */
int skycrate__prov_send(skycrate__outcome *out, skycrate_provisioner *p,
                        const skycrate__prov_request *req);

/* PUTs a configuration step (not CREATE) from the profile, once `gate` (NULL: none) opens.
 * Returns out->rc. */
int skycrate__step_apply(skycrate__outcome *out, skycrate_provisioner *p, skycrate_step step,
                         const char *bucket, const char *user_id, const char *region,
                         skycrate__http_gate *gate);
/* The same from another profile (a public access block adapted to the server, say). */
int skycrate__step_apply_profile(skycrate__outcome *out, skycrate_provisioner *p,
                                 const skycrate__profile *profile, skycrate_step step,
                                 const char *bucket, const char *user_id, const char *region,
                                 skycrate__http_gate *gate);

/* The reserved key of the write probe; nothing else ever writes it. */
#define SKYCRATE__PROBE_KEY ".skycrate/write-probe"

/*
 * Compatible mode's write probe, after the public access block was put with BlockPublicAcls:
 * a PutObject of SKYCRATE__PROBE_KEY (deleted again). When the server refuses it with
 * AccessDenied (radosgw 16 refuses every PutObject once BlockPublicAcls is set), the block is
 * put again without BlockPublicAcls, keeping the other three settings, and the probe repeated.
 * Returns 0 (with *adapted true when the block was changed, `refusal` then holding the first
 * refusal), or the code of the request that failed (its message set).
 */
int skycrate__probe_writes(skycrate__outcome *refusal, bool *adapted, skycrate_provisioner *p,
                           const char *bucket, const char *user_id);

/* GETs a configuration step (HeadBucket for CREATE), keeping the body. Returns out->rc. */
int skycrate__step_read(skycrate__outcome *out, skycrate_provisioner *p, skycrate_step step,
                        const char *bucket);

#endif
