/*
 * The security profile and the request bodies of the provisioning steps. The bodies are what
 * botocore 1.29 serialises for the same input (member order as passed, `true`/`false`, element
 * text escaped as ElementTree does, an empty element written `<Prefix />`); the golden requests
 * in tests/vectors/provision prove it.
 * SPDX-License-Identifier: MIT
 */
#include "provision/profile.h"

#include <string.h>

#include "core/common.h"
#include "crypto/crypto.h"
#include "xml/xml.h"

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
#define OWNER_TAG_MAX 256

static const char *const default_allowed_headers[] = {
    "content-type", "content-md5", "content-disposition", "cache-control", "x-amz-*"};
static const char *const default_expose_headers[] = {"ETag"};

const char *const *skycrate__cors_allowed_headers(const skycrate__profile *p, size_t *count)
{
    if (!p->cors_allowed_headers_set) {
        *count = SKYCRATE_ARRAY_SIZE(default_allowed_headers);
        return default_allowed_headers;
    }
    *count = p->cors_allowed_headers.count;
    return (const char *const *)p->cors_allowed_headers.items;
}

const char *const *skycrate__cors_expose_headers(const skycrate__profile *p, size_t *count)
{
    if (!p->cors_expose_headers_set) {
        *count = SKYCRATE_ARRAY_SIZE(default_expose_headers);
        return default_expose_headers;
    }
    *count = p->cors_expose_headers.count;
    return (const char *const *)p->cors_expose_headers.items;
}

int skycrate__names_add(skycrate__names *list, const char *s)
{
    char **grown = skycrate__realloc(list->items, (list->count + 1) * sizeof(char *));
    if (!grown)
        return skycrate__error_nomem();
    list->items = grown;
    if (!(grown[list->count] = skycrate__strdup(s)))
        return skycrate__error_nomem();
    list->count++;
    return 0;
}

void skycrate__names_dispose(skycrate__names *list)
{
    for (size_t i = 0; i < list->count; i++)
        skycrate__free(list->items[i]);
    skycrate__free(list->items);
    list->items = NULL;
    list->count = 0;
}

int skycrate__names_copy(skycrate__names *dst, const skycrate__names *src)
{
    dst->items = NULL;
    dst->count = 0;
    if (src->count == 0)
        return 0;
    if (!(dst->items = skycrate__calloc(src->count, sizeof(char *))))
        return skycrate__error_nomem();
    for (; dst->count < src->count; dst->count++)
        if (!(dst->items[dst->count] = skycrate__strdup(src->items[dst->count]))) {
            skycrate__names_dispose(dst);
            return skycrate__error_nomem();
        }
    return 0;
}

size_t skycrate__cors_methods(const char *out[6], uint32_t methods)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } order[] = {{SKYCRATE_CORS_METHOD_PUT, "PUT"},
                 {SKYCRATE_CORS_METHOD_POST, "POST"},
                 {SKYCRATE_CORS_METHOD_GET, "GET"},
                 {SKYCRATE_CORS_METHOD_HEAD, "HEAD"},
                 {SKYCRATE_CORS_METHOD_DELETE, "DELETE"}};
    size_t n = 0;
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(order); i++)
        if (methods & order[i].bit)
            out[n++] = order[i].name;
    out[n] = NULL;
    return n;
}

void skycrate__profile_defaults(skycrate__profile *p)
{
    memset(p, 0, sizeof(*p));
    p->public_access_block = SKYCRATE_PAB_ALL;
    p->encryption = SKYCRATE_ENCRYPTION_AES256;
    p->ownership = SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED;
    p->cors_max_age = 3600;
    p->cors_methods = SKYCRATE__CORS_METHODS_DEFAULT;
    p->tls_only = true;
    p->abort_multipart_days = 7;
    p->tagging = true;
}

void skycrate__profile_dispose(skycrate__profile *p)
{
    skycrate__free(p->kms_key_id);
    skycrate__names_dispose(&p->cors_origins);
    skycrate__names_dispose(&p->cors_allowed_headers);
    skycrate__names_dispose(&p->cors_expose_headers);
    skycrate__free(p->application);
    for (size_t i = 0; i < p->tag_count; i++) {
        skycrate__free(p->tags[i].key);
        skycrate__free(p->tags[i].value);
    }
    skycrate__free(p->tags);
    memset(p, 0, sizeof(*p));
}

int skycrate__profile_copy(skycrate__profile *dst, const skycrate__profile *src)
{
    int error = 0;
    *dst = *src;
    dst->kms_key_id = dst->application = NULL;
    dst->cors_origins = dst->cors_allowed_headers = dst->cors_expose_headers =
        (skycrate__names){NULL, 0};
    dst->tags = NULL;
    dst->tag_count = 0;
    if ((error = skycrate__set_string(&dst->kms_key_id, src->kms_key_id)) < 0 ||
        (error = skycrate__set_string(&dst->application, src->application)) < 0)
        goto done;
    if ((error = skycrate__names_copy(&dst->cors_origins, &src->cors_origins)) < 0 ||
        (error = skycrate__names_copy(&dst->cors_allowed_headers, &src->cors_allowed_headers)) <
            0 ||
        (error = skycrate__names_copy(&dst->cors_expose_headers, &src->cors_expose_headers)) < 0)
        goto done;
    if (src->tag_count) {
        if (!(dst->tags = skycrate__calloc(src->tag_count, sizeof(*dst->tags)))) {
            error = skycrate__error_nomem();
            goto done;
        }
        for (; dst->tag_count < src->tag_count; dst->tag_count++) {
            skycrate__tag *t = &dst->tags[dst->tag_count];
            if ((error = skycrate__set_string(&t->key, src->tags[dst->tag_count].key)) < 0 ||
                (error = skycrate__set_string(&t->value, src->tags[dst->tag_count].value)) < 0) {
                skycrate__free(t->key);
                goto done;
            }
        }
    }
done:
    if (error < 0)
        skycrate__profile_dispose(dst);
    return error;
}

bool skycrate__profile_has_step(const skycrate__profile *p, skycrate_step step)
{
    switch (step) {
    case SKYCRATE_STEP_CREATE: return true;
    case SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK: return p->public_access_block != 0;
    case SKYCRATE_STEP_ENCRYPTION: return p->encryption != SKYCRATE_ENCRYPTION_NONE;
    case SKYCRATE_STEP_OWNERSHIP_CONTROLS: return p->ownership != SKYCRATE_OWNERSHIP_UNSET;
    case SKYCRATE_STEP_CORS: return p->cors_origins.count > 0;
    case SKYCRATE_STEP_TLS_POLICY: return p->tls_only;
    case SKYCRATE_STEP_LIFECYCLE: return p->abort_multipart_days > 0;
    case SKYCRATE_STEP_TAGS: return p->tagging;
    }
    return false;
}

const char *skycrate__ownership_name(skycrate_ownership ownership)
{
    switch (ownership) {
    case SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED: return "BucketOwnerEnforced";
    case SKYCRATE_OWNERSHIP_BUCKET_OWNER_PREFERRED: return "BucketOwnerPreferred";
    case SKYCRATE_OWNERSHIP_OBJECT_WRITER: return "ObjectWriter";
    case SKYCRATE_OWNERSHIP_UNSET: break;
    }
    return NULL;
}

const char *skycrate__region_partition(const char *region)
{
    if (!strncmp(region, "cn-", 3))
        return "aws-cn";
    if (!strncmp(region, "us-gov-", 7))
        return "aws-us-gov";
    return "aws";
}

static bool tag_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
           strchr("+-=._:/@", c) != NULL;
}

int skycrate__owner_tag(skycrate__buf *out, const char *user_id)
{
    size_t n = strlen(user_id);
    bool plain = n > 0 && n <= OWNER_TAG_MAX;
    for (size_t i = 0; plain && i < n; i++)
        plain = tag_char((unsigned char)user_id[i]);
    if (plain)
        return skycrate__buf_puts(out, user_id);
    uint8_t digest[SKYCRATE__SHA256_LEN];
    char hex[2 * SKYCRATE__SHA256_LEN + 1];
    skycrate__sha256(digest, user_id, n);
    skycrate__hex_encode(hex, digest, sizeof(digest));
    return skycrate__buf_printf(out, "sha256:%s", hex);
}

/* <name>text</name>, the text escaped. */
static int element(skycrate__buf *out, const char *name, const char *text)
{
    int error;
    if ((error = skycrate__buf_printf(out, "<%s>", name)) < 0 ||
        (error = skycrate__xml_escape_text(out, text)) < 0)
        return error;
    return skycrate__buf_printf(out, "</%s>", name);
}

static int bool_element(skycrate__buf *out, const char *name, bool value)
{
    return element(out, name, value ? "true" : "false");
}

static int create_body(skycrate__buf *out, const char *region)
{
    int error;
    if (!strcmp(region, "us-east-1"))
        return 0; /* us-east-1 takes no LocationConstraint (docs/HACKING.md) */
    if ((error = skycrate__buf_puts(out, "<CreateBucketConfiguration xmlns=\"" S3_XMLNS "\">")) <
            0 ||
        (error = element(out, "LocationConstraint", region)) < 0)
        return error;
    return skycrate__buf_puts(out, "</CreateBucketConfiguration>");
}

static int public_access_block_body(skycrate__buf *out, uint32_t flags)
{
    int error;
    if ((error = skycrate__buf_puts(out, "<PublicAccessBlockConfiguration xmlns=\"" S3_XMLNS
                                         "\">")) < 0 ||
        (error = bool_element(out, "BlockPublicAcls", flags & SKYCRATE_PAB_BLOCK_PUBLIC_ACLS)) <
            0 ||
        (error = bool_element(out, "IgnorePublicAcls", flags & SKYCRATE_PAB_IGNORE_PUBLIC_ACLS)) <
            0 ||
        (error = bool_element(out, "BlockPublicPolicy", flags & SKYCRATE_PAB_BLOCK_PUBLIC_POLICY)) <
            0 ||
        (error = bool_element(out, "RestrictPublicBuckets",
                              flags & SKYCRATE_PAB_RESTRICT_PUBLIC_BUCKETS)) < 0)
        return error;
    return skycrate__buf_puts(out, "</PublicAccessBlockConfiguration>");
}

static int encryption_body(skycrate__buf *out, const skycrate__profile *p)
{
    int error;
    bool kms = p->encryption == SKYCRATE_ENCRYPTION_KMS;
    if ((error = skycrate__buf_puts(out, "<ServerSideEncryptionConfiguration xmlns=\"" S3_XMLNS
                                         "\"><Rule><ApplyServerSideEncryptionByDefault>")) < 0 ||
        (error = element(out, "SSEAlgorithm", kms ? "aws:kms" : "AES256")) < 0 ||
        (kms && p->kms_key_id && (error = element(out, "KMSMasterKeyID", p->kms_key_id)) < 0) ||
        (error = skycrate__buf_puts(out, "</ApplyServerSideEncryptionByDefault>")) < 0 ||
        (kms && p->bucket_key && (error = bool_element(out, "BucketKeyEnabled", true)) < 0))
        return error;
    return skycrate__buf_puts(out, "</Rule></ServerSideEncryptionConfiguration>");
}

static int ownership_body(skycrate__buf *out, skycrate_ownership ownership)
{
    int error;
    if ((error = skycrate__buf_puts(out, "<OwnershipControls xmlns=\"" S3_XMLNS "\"><Rule>")) < 0 ||
        (error = element(out, "ObjectOwnership", skycrate__ownership_name(ownership))) < 0)
        return error;
    return skycrate__buf_puts(out, "</Rule></OwnershipControls>");
}

static int elements(skycrate__buf *out, const char *name, const char *const *values, size_t count)
{
    int error = 0;
    for (size_t i = 0; error == 0 && i < count; i++)
        error = element(out, name, values[i]);
    return error;
}

static int cors_body(skycrate__buf *out, const skycrate__profile *p)
{
    size_t allowed_count, exposed_count;
    const char *const *allowed = skycrate__cors_allowed_headers(p, &allowed_count);
    const char *const *exposed = skycrate__cors_expose_headers(p, &exposed_count);
    const char *methods[6];
    size_t method_count = skycrate__cors_methods(methods, p->cors_methods);
    int error;
    if ((error = skycrate__buf_puts(out, "<CORSConfiguration xmlns=\"" S3_XMLNS "\"><CORSRule>")) <
            0 ||
        (error = elements(out, "AllowedHeader", allowed, allowed_count)) < 0 ||
        (error = elements(out, "AllowedMethod", methods, method_count)) < 0 ||
        (error = elements(out, "AllowedOrigin", (const char *const *)p->cors_origins.items,
                          p->cors_origins.count)) < 0 ||
        (error = elements(out, "ExposeHeader", exposed, exposed_count)) < 0 ||
        (error = skycrate__buf_printf(out, "<MaxAgeSeconds>%u</MaxAgeSeconds>", p->cors_max_age)) <
            0)
        return error;
    return skycrate__buf_puts(out, "</CORSRule></CORSConfiguration>");
}

/* Compact JSON in this key order; bucket names need no JSON escaping ([a-z0-9.-]). */
static int policy_body(skycrate__buf *out, const char *bucket, const char *region)
{
    const char *partition = skycrate__region_partition(region);
    return skycrate__buf_printf(
        out,
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"" SKYCRATE__POLICY_SID "\","
        "\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
        "\"Resource\":[\"arn:%s:s3:::%s\",\"arn:%s:s3:::%s/*\"],"
        "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}",
        partition, bucket, partition, bucket);
}

static int lifecycle_body(skycrate__buf *out, uint32_t days)
{
    return skycrate__buf_printf(
        out,
        "<LifecycleConfiguration xmlns=\"" S3_XMLNS "\"><Rule><ID>" SKYCRATE__LIFECYCLE_RULE_ID
        "</ID><Filter><Prefix /></Filter><Status>Enabled</Status>"
        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>%u</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>",
        days);
}

static int tag_element(skycrate__buf *out, const char *key, const char *value)
{
    int error;
    if ((error = skycrate__buf_puts(out, "<Tag>")) < 0 || (error = element(out, "Key", key)) < 0 ||
        (error = element(out, "Value", value)) < 0)
        return error;
    return skycrate__buf_puts(out, "</Tag>");
}

static int tagging_body(skycrate__buf *out, const skycrate__profile *p, const char *user_id)
{
    skycrate__buf owner = SKYCRATE_BUF_INIT;
    int error;
    if ((error = skycrate__owner_tag(&owner, user_id)) < 0 ||
        (error = skycrate__buf_puts(out, "<Tagging xmlns=\"" S3_XMLNS "\"><TagSet>")) < 0 ||
        (error = tag_element(out, SKYCRATE__TAG_OWNER, skycrate__buf_cstr(&owner))) < 0 ||
        (p->application &&
         (error = tag_element(out, SKYCRATE__TAG_APPLICATION, p->application)) < 0))
        goto done;
    for (size_t i = 0; i < p->tag_count; i++)
        if ((error = tag_element(out, p->tags[i].key, p->tags[i].value)) < 0)
            goto done;
    error = skycrate__buf_puts(out, "</TagSet></Tagging>");
done:
    skycrate__buf_dispose(&owner);
    return error;
}

int skycrate__profile_body(skycrate__buf *out, const skycrate__profile *p, skycrate_step step,
                           const char *bucket, const char *user_id, const char *region)
{
    size_t start = out->len;
    int error = 0;
    switch (step) {
    case SKYCRATE_STEP_CREATE: error = create_body(out, region); break;
    case SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK:
        error = public_access_block_body(out, p->public_access_block);
        break;
    case SKYCRATE_STEP_ENCRYPTION: error = encryption_body(out, p); break;
    case SKYCRATE_STEP_OWNERSHIP_CONTROLS: error = ownership_body(out, p->ownership); break;
    case SKYCRATE_STEP_CORS: error = cors_body(out, p); break;
    case SKYCRATE_STEP_TLS_POLICY: error = policy_body(out, bucket, region); break;
    case SKYCRATE_STEP_LIFECYCLE: error = lifecycle_body(out, p->abort_multipart_days); break;
    case SKYCRATE_STEP_TAGS: error = tagging_body(out, p, user_id); break;
    default: error = skycrate__error_set(SKYCRATE_EINVAL, "no step %d", (int)step); break;
    }
    if (error < 0 && out->ptr) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return error;
}
