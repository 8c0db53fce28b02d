/*
 * Endpoints and addressing: where a request for (bucket, key) goes, and with which Host.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_S3_ENDPOINT_H
#define SKYCRATE_S3_ENDPOINT_H

#include <stdbool.h>

#include "core/buf.h"
#include "skycrate/client.h"

/* A parsed custom endpoint: scheme://host[:port][/prefix]. */
typedef struct skycrate__endpoint {
    bool https;
    char *host;        /* a name, an IPv4 literal, or an IPv6 literal in brackets */
    unsigned int port; /* 0: the scheme's default */
    char *path_prefix; /* "" or "/prefix" (no trailing slash) */
} skycrate__endpoint;

/* Endpoint variants for AWS hosts. */
#define SKYCRATE__ENDPOINT_DUALSTACK SKYCRATE_ENDPOINT_DUALSTACK
#define SKYCRATE__ENDPOINT_FIPS SKYCRATE_ENDPOINT_FIPS

/* 0 or SKYCRATE_EINVAL (message names what is wrong) or SKYCRATE_ENOMEM. */
int skycrate__endpoint_parse(skycrate__endpoint *out, const char *url);
void skycrate__endpoint_dispose(skycrate__endpoint *ep);

/* The host part of an endpoint is an IP literal (virtual hosting impossible). */
bool skycrate__host_is_ip(const char *host);
/* The bucket name can be a DNS label prefix (lowercase, digits, '-', '.'; 3..63; no "..").
 * Dotted names are DNS-compatible but break TLS wildcards: callers check https separately. */
bool skycrate__bucket_dns_compatible(const char *bucket);

/* Where one request goes. */
typedef struct skycrate__target {
    skycrate__buf host; /* Host header value: host[:port] (port only when not the default) */
    skycrate__buf base; /* "scheme://host[:port]" */
    skycrate__buf path; /* the raw, unencoded path: prefix + "/bucket/key", "/key" or "/" */
    bool virtual_hosted;
} skycrate__target;

void skycrate__target_dispose(skycrate__target *t);

/*
 * Resolves (bucket, key) to a target. `ep` is NULL for AWS (regional virtual-hosted
 * `{bucket}.s3.{region}.amazonaws.com`, `.amazonaws.com.cn` for China regions, dual-stack and
 * FIPS variants by `flags`). `bucket` may be NULL (service-level requests), `key` NULL or "".
 * Returns 0 or SKYCRATE_ENOMEM.
 */
int skycrate__target_resolve(skycrate__target *out, const skycrate__endpoint *ep,
                             const char *region, skycrate_addressing addressing, uint32_t flags,
                             const char *bucket, const char *key);

#endif
