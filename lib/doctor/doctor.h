/*
 * The 403 doctor (internal view): the case a diagnosis starts from, the parts of a presigned
 * URL it reads, the CORS and policy readers, and the replay that sends the case again.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_DOCTOR_INTERNAL_H
#define SKYCRATE_DOCTOR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/kv.h"
#include "presign/presign.h"
#include "skycrate/doctor.h"

/* Servers refuse requests signed further than this from their clock (S3: 15 minutes). */
#define SKYCRATE__DOCTOR_SKEW_LIMIT 900

struct skycrate_doctor {
    uint32_t magic;
    skycrate_presigner *presigner; /* region, endpoint, addressing and credentials */
};

/* An owned list of headers (names as given). */
typedef struct skycrate__doctor_headers {
    skycrate__presign_header *items;
    size_t count, cap;
} skycrate__doctor_headers;

/* One answer of the server. */
typedef struct skycrate__doctor_answer {
    int status; /* 0: unknown */
    skycrate__buf body;
    skycrate__doctor_headers headers;
} skycrate__doctor_answer;

struct skycrate_doctor_case {
    uint32_t magic;
    char *contract_method; /* NULL: no contract */
    char *contract_url;
    skycrate__doctor_headers contract_headers;
    char *sent_method; /* NULL: the contract's */
    char *sent_url;
    skycrate__doctor_headers sent_headers;
    bool sent_headers_set;
    char *origin;
    skycrate__doctor_answer answer, preflight;
    char *cors_xml;        /* NULL: unknown; "": the bucket has none */
    char *policy_json;     /* NULL: unknown; "": none */
    int block_public_acls; /* -1: unknown (read by a replay) */
    int64_t time;          /* -1: now */
};

struct skycrate_diagnosis {
    uint32_t magic;
    skycrate_verdict verdict;
    skycrate__buf subject, expected, actual, message, code;
    int64_t seconds;
    int status;
};

/* ---- headers ---- */
int skycrate__doctor_headers_add(skycrate__doctor_headers *h, const char *name, const char *value);
/* The value of the first header named `name` (any case), or NULL. */
const char *skycrate__doctor_headers_get(const skycrate__doctor_headers *h, const char *name);
void skycrate__doctor_headers_dispose(skycrate__doctor_headers *h);
int skycrate__doctor_case_copy(skycrate_doctor_case *dst, const skycrate_doctor_case *src);

/* ---- the parts of a presigned URL ---- */
typedef struct skycrate__doctor_url {
    bool https;
    char *host;                      /* host[:port] as written */
    char *path;                      /* decoded */
    skycrate__presign_header *query; /* decoded names and values, in URL order */
    size_t query_count;
    /* From the SigV4 parameters (borrowed from `query`), NULL when absent. */
    const char *algorithm, *credential, *amz_date, *expires, *signed_headers, *signature, *token;
    /* From the credential: access key id, scope date and region (owned, "" when absent). */
    char *access_key_id, *scope_region;
    int64_t signed_at, expires_in; /* -1 when absent or malformed */
} skycrate__doctor_url;

/* 0, SKYCRATE_EINVAL for a URL that is not http(s)://host/... or SKYCRATE_ENOMEM. */
int skycrate__doctor_url_parse(skycrate__doctor_url *out, const char *url);
void skycrate__doctor_url_dispose(skycrate__doctor_url *u);
/* Whether `name` is among the URL's signed headers. */
bool skycrate__doctor_url_signs(const skycrate__doctor_url *u, const char *name);
/* The bucket and key the URL addresses, given the presigner's endpoint. 0 or ENOMEM/EINVAL. */
int skycrate__doctor_url_target(char **bucket_out, char **key_out, const skycrate__doctor_url *u,
                                const skycrate_presigner *p);

/* ---- CORS rules and bucket policies ---- */
/* The CORS verdict for a request from `origin` with `method` and the non-safelisted headers in
 * `headers`, under the rules `cors_xml` ("" for none): SKYCRATE_VERDICT_OK, _CORS_ORIGIN,
 * _CORS_METHOD, _CORS_HEADER or _CORS_PREFLIGHT (no rule at all). `subject` gets what is
 * refused. A negative code on failure (ENOMEM, or EPARSE for a malformed document). */
int skycrate__doctor_cors_check(skycrate__buf *subject, const char *cors_xml, const char *origin,
                                const char *method, const skycrate__doctor_headers *headers);
/* The Sid (or "#index") of the first Deny statement of `policy_json` that covers `action` on
 * `resource`, into `out`: 1 when one applies (no condition, or only aws:SecureTransport false
 * over plain http), 2 when only statements with other conditions might, 0 when none; negative
 * on failure (EPARSE, ENOMEM). */
int skycrate__doctor_policy_denies(skycrate__buf *out, const char *policy_json, const char *action,
                                   const char *resource, bool https);
/* Whether a request header must be allowed by a preflight (not CORS-safelisted). */
bool skycrate__doctor_header_needs_preflight(const char *name, const char *value);

/* ---- sending ---- */
struct skycrate_client;
/* Sends one unsigned request (a presigned URL carries its signature) with `headers` and an
 * empty body through the client's transport, and records the answer in `a` (replacing what it
 * held; at most 256 KiB of body). 0, or the transport's code (ECONNECT, ETIMEOUT, ...). */
int skycrate__doctor_send(skycrate__doctor_answer *a, struct skycrate_client *client,
                          const char *method, const char *url, const skycrate__kv *headers,
                          size_t count);
void skycrate__doctor_answer_dispose(skycrate__doctor_answer *a);

/* ---- diagnosis ---- */
int skycrate__diagnosis_new(skycrate_diagnosis **out);
/* Sets the verdict and its details (each may be NULL); 0 or ENOMEM. */
int skycrate__diagnosis_set(skycrate_diagnosis *d, skycrate_verdict verdict, const char *subject,
                            const char *expected, const char *actual);
int skycrate__diagnosis_say(skycrate_diagnosis *d, const char *fmt, ...) SKYCRATE_PRINTF(2, 3);

#endif
