/*
 * The client handle and its configuration (internal view).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_S3_CLIENT_H
#define SKYCRATE_S3_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/time.h"
#include "s3/endpoint.h"
#include "skycrate/client.h"
#include "skycrate/credentials.h"
#include "skycrate/transport.h"

struct skycrate_client_config {
    uint32_t magic;
    char *region;       /* NULL: resolved from the environment and profile */
    char *endpoint_url; /* NULL: AWS (or the environment's AWS_ENDPOINT_URL_S3 ...) */
    bool endpoint_set;  /* set explicitly (even to NULL): the environment is not consulted */
    bool allow_http;
    skycrate_addressing addressing;
    bool addressing_set;
    uint32_t endpoint_flags; /* SKYCRATE_ENDPOINT_* */
    bool endpoint_flags_set;
    uint32_t connect_timeout_ms, request_timeout_ms;
    uint32_t max_attempts, base_delay_ms, max_delay_ms;
    char *user_agent_suffix;
    char *ca_file, *ca_path;
    skycrate_http_transport *transport;      /* NULL: the default transport */
    skycrate_credentials_provider *provider; /* NULL: the default provider */
};

/* The owned strings behind the public skycrate_response_info. */
typedef struct skycrate__response_record {
    skycrate_response_info info;
    skycrate__buf s3_code, s3_message, request_id, host_id, region, string_to_sign,
        canonical_request;
} skycrate__response_record;

typedef struct skycrate__bucket_region {
    char *bucket;
    char *region;
} skycrate__bucket_region;

struct skycrate_client {
    uint32_t magic;
    char *region;
    bool has_endpoint;
    skycrate__endpoint endpoint;
    bool allow_http; /* plain http to hosts that are not loopback (set_allow_http) */
    skycrate_addressing addressing;
    uint32_t endpoint_flags;
    uint32_t connect_timeout_ms, request_timeout_ms;
    uint32_t max_attempts, base_delay_ms, max_delay_ms;
    char *user_agent;
    skycrate_http_transport *transport;
    skycrate_credentials_provider *provider;
    /* Seconds added to the local clock when signing: set by skew correction and
     * skycrate_client_set_clock_offset(), read by presigners made from the client. */
    skycrate__clock *clock;

    /* Shared by concurrent lanes (the provisioner): guarded by `lock`. */
    pthread_mutex_t lock;
    skycrate__bucket_region *regions; /* buckets learnt to live in another region */
    size_t region_count;
    skycrate__response_record last;
};

/* Copies a response record into the client's last-response slot (thread-safe). */
void skycrate__client_set_last(skycrate_client *client, const skycrate__response_record *rec);
/* The signing region for a bucket (learnt from redirects), copied into `out`. */
int skycrate__client_region_for(skycrate_client *client, skycrate__buf *out, const char *bucket);
int skycrate__client_remember_region(skycrate_client *client, const char *bucket,
                                     const char *region);
int64_t skycrate__client_now(skycrate_client *client); /* seconds, corrected by the offset */
/* The largest clock offset skycrate_client_set_clock_offset() takes: ten years of seconds. */
#define SKYCRATE__CLOCK_OFFSET_MAX INT64_C(315576000)

void skycrate__response_record_init(skycrate__response_record *rec);
void skycrate__response_record_clear(skycrate__response_record *rec);
void skycrate__response_record_dispose(skycrate__response_record *rec);
/* Copies src into dst (dst's strings are replaced). 0 or ENOMEM. */
/* Points the public strings at the owned buffers again (after the buffers changed). */
void skycrate__response_record_sync(skycrate__response_record *rec);
int skycrate__response_record_copy(skycrate__response_record *dst,
                                   const skycrate__response_record *src);

#endif
