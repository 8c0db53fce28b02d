/*
 * Building, signing and sending one S3 request, with retries, clock-skew correction and
 * region redirects.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_S3_REQUEST_H
#define SKYCRATE_S3_REQUEST_H

#include "core/kv.h"
#include "http/http.h"
#include "s3/client.h"

typedef struct skycrate__s3_request {
    const char *operation; /* "PutObject": for messages and logs */
    const char *method;
    const char *bucket;        /* NULL: a service-level request */
    const char *key;           /* NULL or "": a bucket-level request */
    const skycrate__kv *query; /* raw names and values; e.g. {"list-type", "2"}, {"uploads", ""} */
    size_t query_count;
    const skycrate__kv *headers; /* extra headers to send and sign (content-type, content-md5) */
    size_t header_count;
    skycrate__body_kind body_kind;
    const void *body_data; /* MEMORY */
    uint64_t body_length;  /* MEMORY, FILE, STREAM */
    FILE *body_file;       /* FILE, read from body_file_offset */
    int64_t body_file_offset;
    skycrate_read_fn body_read; /* STREAM */
    void *body_read_user_data;
    int (*on_body)(uint64_t position, void *user_data); /* NULL, or as in http.h */
    void *on_body_user_data;
    const char *payload_hash; /* NULL: the SHA-256 of a memory body; UNSIGNED-PAYLOAD for streams */
    skycrate_write_fn sink;   /* where a 2xx body goes; NULL: into resp->body */
    void *sink_user_data;
    skycrate__http_gate *gate; /* NULL, or the gate the request waits at (http.h) */
} skycrate__s3_request;

/*
 * Sends the request. On a 2xx answer returns 0 with `resp` holding status, headers and (when
 * no sink was given) the body. Otherwise returns the mapped library code with a message naming
 * the operation, the HTTP status and the S3 code; `resp` holds the answer. The client's
 * last-response record is updated in both cases; `rec` (optional) receives a copy too, for
 * callers on concurrent lanes.
 */
int skycrate__s3_send(skycrate_client *client, const skycrate__s3_request *req,
                      struct skycrate_http_response *resp, skycrate__response_record *rec);

/* Checks the arguments every object call takes: a client handle, a bucket, a key of 1..1024
 * bytes. 0 or SKYCRATE_EINVAL. */
int skycrate__s3_check_target(skycrate_client *client, const char *bucket, const char *key);

#endif
