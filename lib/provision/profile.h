/*
 * The security profile (what a provisioned bucket is configured with), the provisioner
 * configuration that carries it, and the request bodies of the steps, byte for byte as botocore
 * serialises them (tests/vectors/provision).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_PROFILE_H
#define SKYCRATE_PROVISION_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "skycrate/provisioner.h"
#include "skycrate/provisioner_config.h"
#include "skycrate/record.h"
#include "skycrate/reports.h"
#include "skycrate/store.h"

#define SKYCRATE__STEP_COUNT 8 /* SKYCRATE_STEP_CREATE .. SKYCRATE_STEP_TAGS */
#define SKYCRATE__TAGS_MAX 40  /* tags added by the caller (S3 allows 50 in all) */
#define SKYCRATE__CORS_ORIGINS_MAX 100
/* Limits of the CORS rule's allowed and exposed header lists. */
#define SKYCRATE__CORS_HEADERS_MAX 32
#define SKYCRATE__CORS_HEADER_MAX 128
#define SKYCRATE__LIFECYCLE_RULE_ID "skycrate-abort-incomplete-multipart-uploads"
#define SKYCRATE__POLICY_SID "DenyInsecureTransport"
#define SKYCRATE__TAG_OWNER "skycrate:owner"
#define SKYCRATE__TAG_APPLICATION "skycrate:application"

typedef struct skycrate__tag {
    char *key;
    char *value;
} skycrate__tag;

/* A list of strings the profile owns. */
typedef struct skycrate__names {
    char **items;
    size_t count;
} skycrate__names;

/* Appends a copy of `s`: 0 or SKYCRATE_ENOMEM (the list as it was). */
int skycrate__names_add(skycrate__names *list, const char *s);
/* Deep copy into an empty `dst`: 0 or SKYCRATE_ENOMEM (dst then empty). */
int skycrate__names_copy(skycrate__names *dst, const skycrate__names *src);
void skycrate__names_dispose(skycrate__names *list);

typedef struct skycrate__profile {
    uint32_t public_access_block; /* SKYCRATE_PAB_* set to true; 0: no step */
    skycrate_encryption encryption;
    char *kms_key_id; /* NULL: the AWS managed key */
    bool bucket_key;
    skycrate_ownership ownership;
    skycrate__names cors_origins;
    /* The AllowedHeader and ExposeHeader values when set (else the defaults below). */
    skycrate__names cors_allowed_headers, cors_expose_headers;
    bool cors_allowed_headers_set, cors_expose_headers_set;
    uint32_t cors_max_age;
    uint32_t cors_methods; /* SKYCRATE_CORS_METHOD_* */
    bool tls_only;
    uint32_t abort_multipart_days; /* 0: no step */
    bool tagging;
    char *application; /* NULL: no application tag */
    skycrate__tag *tags;
    size_t tag_count;
} skycrate__profile;

struct skycrate_provisioner_config {
    uint32_t magic;
    skycrate_user_store *store; /* NULL: users.json */
    char *prefix;               /* NULL: "skycrate" */
    skycrate_failure_mode mode;
    bool dev;
    unsigned int lanes; /* 0: the transport's */
    skycrate__profile profile;
};

/* The profile of skycrate_provisioner_config_new(). */
void skycrate__profile_defaults(skycrate__profile *p);
/* Deep copy; 0 or SKYCRATE_ENOMEM (dst is then empty). */
int skycrate__profile_copy(skycrate__profile *dst, const skycrate__profile *src);
void skycrate__profile_dispose(skycrate__profile *p);

/* Whether a step is part of the profile (CREATE always is). */
bool skycrate__profile_has_step(const skycrate__profile *p, skycrate_step step);

/* The `x-amz-object-ownership` value of an ownership setting, or NULL for UNSET. */
const char *skycrate__ownership_name(skycrate_ownership ownership);
/* The ARN partition of a region: "aws-cn" (cn-*), "aws-us-gov" (us-gov-*), else "aws". */
const char *skycrate__region_partition(const char *region);

/*
 * The value of the `skycrate:owner` tag: the user id when it has at most 256 bytes of tag
 * characters (ASCII letters, digits, space, + - = . _ : / @), else "sha256:" + the hex SHA-256 of
 * the id. 0 or SKYCRATE_ENOMEM.
 */
int skycrate__owner_tag(skycrate__buf *out, const char *user_id);

/*
 * The body of a step's request (appended to `out`): CreateBucketConfiguration (nothing for
 * us-east-1), PublicAccessBlockConfiguration, ServerSideEncryptionConfiguration,
 * OwnershipControls, CORSConfiguration, the policy JSON, LifecycleConfiguration, Tagging.
 * 0, SKYCRATE_ENOMEM, or SKYCRATE_EINVAL for a text XML cannot carry.
 */
int skycrate__profile_body(skycrate__buf *out, const skycrate__profile *p, skycrate_step step,
                           const char *bucket, const char *user_id, const char *region);

/* The AllowedHeader and ExposeHeader values of the CORS rule: the profile's, or the defaults
 * (content-type, content-md5, content-disposition, cache-control, x-amz-*; ETag). */
const char *const *skycrate__cors_allowed_headers(const skycrate__profile *p, size_t *count);
const char *const *skycrate__cors_expose_headers(const skycrate__profile *p, size_t *count);
/* The AllowedMethod values of the CORS rule for SKYCRATE_CORS_METHOD_* bits, in the order S3
 * examples write them (PUT, POST, GET, HEAD, DELETE), NULL-terminated; returns the count. */
#define SKYCRATE__CORS_METHODS_DEFAULT                                                             \
    (SKYCRATE_CORS_METHOD_PUT | SKYCRATE_CORS_METHOD_GET | SKYCRATE_CORS_METHOD_HEAD)
size_t skycrate__cors_methods(const char *out[6], uint32_t methods);

#endif
