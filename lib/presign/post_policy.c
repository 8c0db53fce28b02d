/*
 * POST policies for browser form uploads: the policy document (JSON with jansson, written as
 * botocore's generate_presigned_post writes it), its base64, and the SigV4 signature of that
 * base64 with the derived signing key.
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <string.h>

#include "core/common.h"
#include "core/utf8.h"
#include "core/json.h"
#include "core/time.h"
#include "crypto/crypto.h"
#include "presign/presign.h"
#include "s3/bucket_name.h"
#include "sigv4/sigv4.h"
#include "skycrate/post_policy.h"

#define FILENAME_VAR "${filename}"
#define MAX_KEY 1024
#define MAX_FIELDS 32
#define MAX_RANGE (UINT64_C(1) << 53)

struct skycrate_post_policy {
    uint32_t magic;
    char *bucket;
    char *key; /* the key, or the key prefix */
    bool key_set, key_is_prefix;
    bool has_range;
    uint64_t range_min, range_max;
    char *content_type;
    bool content_type_is_prefix;
    int success_action_status;
    skycrate__presign_header *fields; /* name as given, value */
    size_t field_count;
    int64_t expires;
    bool has_time;
    int64_t time;
};

struct skycrate_post_form {
    uint32_t magic;
    char *url;
    skycrate__presign_header *fields;
    size_t field_count;
    int64_t signed_at, expires_in;
    bool clamped;
    char *policy_json;
};

static const char *const reserved_fields[] = {
    "key",
    "policy",
    "bucket",
    "file",
    "content-type",
    "success_action_status",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-signature",
    "x-amz-security-token",
};

static bool same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
            return false;
    }
    return *a == '\0' && *b == '\0';
}

static bool printable_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p >= 0x7f)
            return false;
    return true;
}

static int replace(char **slot, const char *value)
{
    char *copy = skycrate__strdup(value);
    if (copy == NULL)
        return skycrate__error_nomem();
    skycrate__free(*slot);
    *slot = copy;
    return 0;
}

int skycrate_post_policy_new(skycrate_post_policy **out, const char *bucket)
{
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    int error = skycrate__bucket_name_usable(bucket);
    if (error < 0)
        return error;
    skycrate_post_policy *p = skycrate__calloc(1, sizeof(*p));
    if (p == NULL || (p->bucket = skycrate__strdup(bucket)) == NULL) {
        skycrate__free(p);
        return skycrate__error_nomem();
    }
    p->magic = SKYCRATE_MAGIC_POST_POLICY;
    p->expires = SKYCRATE__PRESIGN_DEFAULT_EXPIRES;
    *out = p;
    return 0;
}

void skycrate_post_policy_free(skycrate_post_policy *p)
{
    if (!SKYCRATE_VALID_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY))
        return;
    for (size_t i = 0; i < p->field_count; i++) {
        skycrate__free(p->fields[i].name);
        skycrate__free(p->fields[i].value);
    }
    skycrate__free(p->fields);
    skycrate__free(p->bucket);
    skycrate__free(p->key);
    skycrate__free(p->content_type);
    p->magic = 0;
    skycrate__free(p);
}

int skycrate_post_policy_set_key(skycrate_post_policy *p, const char *key)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    int error = skycrate__presign_check_key(key);
    if (error < 0 || (error = replace(&p->key, key)) < 0)
        return error;
    p->key_set = true;
    p->key_is_prefix = false;
    return 0;
}

int skycrate_post_policy_set_key_prefix(skycrate_post_policy *p, const char *prefix)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    size_t n = prefix ? strlen(prefix) : 0;
    if (prefix == NULL || n > MAX_KEY - strlen(FILENAME_VAR) || !skycrate__utf8_valid(prefix, n))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "post policy: the key prefix must be UTF-8 of at most %zu bytes",
                                   MAX_KEY - strlen(FILENAME_VAR));
    int error = replace(&p->key, prefix);
    if (error < 0)
        return error;
    p->key_set = true;
    p->key_is_prefix = true;
    return 0;
}

int skycrate_post_policy_set_content_length_range(skycrate_post_policy *p, uint64_t min_bytes,
                                                  uint64_t max_bytes)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    if (min_bytes > max_bytes || max_bytes > MAX_RANGE)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "post policy: invalid content-length-range %llu..%llu",
                                   (unsigned long long)min_bytes, (unsigned long long)max_bytes);
    p->has_range = true;
    p->range_min = min_bytes;
    p->range_max = max_bytes;
    return 0;
}

static int set_content_type(skycrate_post_policy *p, const char *value, bool prefix)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    if (value == NULL || (!prefix && value[0] == '\0') || !printable_ascii(value))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "post policy: the content type must be printable ASCII");
    int error = replace(&p->content_type, value);
    if (error == 0)
        p->content_type_is_prefix = prefix;
    return error;
}

int skycrate_post_policy_set_content_type(skycrate_post_policy *p, const char *content_type)
{
    return set_content_type(p, content_type, false);
}

int skycrate_post_policy_set_content_type_prefix(skycrate_post_policy *p, const char *prefix)
{
    return set_content_type(p, prefix, true);
}

int skycrate_post_policy_set_success_action_status(skycrate_post_policy *p, int status)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    if (status != 0 && status != 200 && status != 201 && status != 204)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "post policy: success_action_status must be 200, 201 or 204");
    p->success_action_status = status;
    return 0;
}

int skycrate_post_policy_add_field(skycrate_post_policy *p, const char *name, const char *value)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    if (name == NULL || name[0] == '\0' || value == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "post policy: a field needs a name and a value");
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (*c <= 0x20 || *c >= 0x7f || strchr("\"()<>@,;:\\/[]?={}", *c))
            return skycrate__error_set(SKYCRATE_EINVAL, "post policy: invalid field name");
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(reserved_fields); i++)
        if (same_name(name, reserved_fields[i]))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "post policy: the field '%s' is set by its own setter or "
                                       "by the signer",
                                       name);
    for (size_t i = 0; i < p->field_count; i++)
        if (same_name(name, p->fields[i].name))
            return skycrate__error_set(SKYCRATE_EINVAL, "post policy: field '%s' given twice",
                                       name);
    if (p->field_count >= MAX_FIELDS)
        return skycrate__error_set(SKYCRATE_EINVAL, "post policy: more than %d fields", MAX_FIELDS);
    size_t n = strlen(value);
    if (!skycrate__utf8_valid(value, n))
        return skycrate__error_set(SKYCRATE_EINVAL, "post policy: field '%s' is not UTF-8", name);
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "post policy: control character in field '%s'", name);
    skycrate__presign_header *grown =
        skycrate__realloc(p->fields, (p->field_count + 1) * sizeof(*grown));
    if (grown == NULL)
        return skycrate__error_nomem();
    p->fields = grown;
    char *nc = skycrate__strdup(name), *vc = skycrate__strdup(value);
    if (nc == NULL || vc == NULL) {
        skycrate__free(nc);
        skycrate__free(vc);
        return skycrate__error_nomem();
    }
    p->fields[p->field_count++] = (skycrate__presign_header){nc, vc};
    return 0;
}

int skycrate_post_policy_set_expires(skycrate_post_policy *p, int64_t seconds)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    if (seconds < 1 || seconds > SKYCRATE__PRESIGN_MAX_EXPIRES)
        return skycrate__error_set(SKYCRATE_EINVAL, "post policy: expiry outside 1..%d seconds",
                                   SKYCRATE__PRESIGN_MAX_EXPIRES);
    p->expires = seconds;
    return 0;
}

int skycrate_post_policy_set_time(skycrate_post_policy *p, int64_t unix_seconds)
{
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_POST_POLICY);
    if (unix_seconds == -1) {
        p->has_time = false;
        return 0;
    }
    if (unix_seconds < 0 || unix_seconds > SKYCRATE__PRESIGN_MAX_TIME)
        return skycrate__error_set(SKYCRATE_EINVAL, "post policy: signing time out of range");
    p->has_time = true;
    p->time = unix_seconds;
    return 0;
}

/* ---- signing -------------------------------------------------------------------------------- */

/* A form under construction: fields in order. */
typedef struct {
    skycrate__presign_header items[MAX_FIELDS + 12];
    size_t count;
} field_list;

static int add_field(field_list *l, const char *name, const char *value)
{
    char *n = skycrate__strdup(name), *v = skycrate__strdup(value);
    if (n == NULL || v == NULL) {
        skycrate__free(n);
        skycrate__free(v);
        return skycrate__error_nomem();
    }
    l->items[l->count++] = (skycrate__presign_header){n, v};
    return 0;
}

/* Appends {name: value} or a JSON array to the conditions; false when jansson fails. */
static bool cond_eq(json_t *conds, const char *name, const char *value)
{
    json_t *o = json_object(), *v = json_string(value);
    if (o == NULL || v == NULL || json_object_set_new(o, name, v) != 0) {
        json_decref(o);
        return false;
    }
    return json_array_append_new(conds, o) == 0;
}

static bool cond_starts_with(json_t *conds, const char *field, const char *prefix)
{
    json_t *a = json_array();
    if (a == NULL || json_array_append_new(a, json_string("starts-with")) != 0 ||
        json_array_append_new(a, json_string(field)) != 0 ||
        json_array_append_new(a, json_string(prefix)) != 0) {
        json_decref(a);
        return false;
    }
    return json_array_append_new(conds, a) == 0;
}

static bool cond_range(json_t *conds, uint64_t lo, uint64_t hi)
{
    json_t *a = json_array();
    if (a == NULL || json_array_append_new(a, json_string("content-length-range")) != 0 ||
        json_array_append_new(a, json_integer((json_int_t)lo)) != 0 ||
        json_array_append_new(a, json_integer((json_int_t)hi)) != 0) {
        json_decref(a);
        return false;
    }
    return json_array_append_new(conds, a) == 0;
}

static void form_free_fields(skycrate__presign_header *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        skycrate__free(f[i].name);
        skycrate__free_secret(f[i].value); /* the token and the signature are among them */
    }
}

/* The values one signature of a form uses, in the form they take in its policy and fields. */
typedef struct form_values {
    char amz_date[17], date[9], expiration[21], status[8], signature[65];
    const char *token; /* NULL when the credentials have none */
    skycrate__buf credential, key_field;
} form_values;

static int form_values_make(form_values *v, const skycrate__presign_plan *pl,
                            const skycrate_presigner *presigner, const skycrate_post_policy *policy)
{
    skycrate__format_amz_date(v->amz_date, pl->time);
    memcpy(v->date, v->amz_date, 8);
    v->date[8] = '\0';
    skycrate__format_iso8601(v->expiration, pl->time + pl->expires);
    snprintf(v->status, sizeof(v->status), "%d", policy->success_action_status);
    v->token =
        pl->creds.session_token && pl->creds.session_token[0] ? pl->creds.session_token : NULL;
    int error;
    if ((error = skycrate__buf_printf(&v->credential, "%s/%s/%s/s3/aws4_request",
                                      pl->creds.access_key_id, v->date, presigner->region)) < 0 ||
        (error = skycrate__buf_puts(&v->key_field, policy->key)) < 0 ||
        (policy->key_is_prefix && (error = skycrate__buf_puts(&v->key_field, FILENAME_VAR)) < 0))
        return error;
    return 0;
}

static void form_values_dispose(form_values *v)
{
    skycrate__wipe(v->signature, sizeof(v->signature));
    skycrate__buf_dispose(&v->credential);
    skycrate__buf_dispose(&v->key_field);
}

/* The policy's conditions in botocore's order: the caller's, then bucket, key and the SigV4
 * ones. False when jansson fails. */
static bool add_conditions(json_t *conds, const skycrate_post_policy *policy, const form_values *v)
{
    if (policy->has_range && !cond_range(conds, policy->range_min, policy->range_max))
        return false;
    if (policy->content_type &&
        !(policy->content_type_is_prefix
              ? cond_starts_with(conds, "$content-type", policy->content_type)
              : cond_eq(conds, "content-type", policy->content_type)))
        return false;
    if (policy->success_action_status && !cond_eq(conds, "success_action_status", v->status))
        return false;
    for (size_t i = 0; i < policy->field_count; i++)
        if (!cond_eq(conds, policy->fields[i].name, policy->fields[i].value))
            return false;
    return cond_eq(conds, "bucket", policy->bucket) &&
           (policy->key_is_prefix ? cond_starts_with(conds, "$key", policy->key)
                                  : cond_eq(conds, "key", policy->key)) &&
           cond_eq(conds, "x-amz-algorithm", "AWS4-HMAC-SHA256") &&
           cond_eq(conds, "x-amz-credential", v->credential.ptr) &&
           cond_eq(conds, "x-amz-date", v->amz_date) &&
           (!v->token || cond_eq(conds, "x-amz-security-token", v->token));
}

/* The policy document as JSON text (Python's json.dumps separators, as S3's examples and
 * botocore write) and its base64. */
static int policy_document(skycrate__buf *json_text, skycrate__buf *b64,
                           const skycrate_post_policy *policy, const form_values *v)
{
    json_t *doc = json_object(), *conds = json_array();
    int error = 0;
    if (doc == NULL || conds == NULL ||
        json_object_set_new(doc, "expiration", json_string(v->expiration)) != 0 ||
        json_object_set(doc, "conditions", conds) != 0 || !add_conditions(conds, policy, v))
        error = skycrate__error_nomem();
    else if ((error = skycrate__json_dump(json_text, doc, JSON_PRESERVE_ORDER)) == 0)
        error = skycrate__base64_encode(b64, json_text->ptr, json_text->len);
    json_decref(conds);
    json_decref(doc);
    return error;
}

/* Signs the base64 policy with the scope's key (from the thread's signing-key cache). */
static void sign_policy(form_values *v, const skycrate__presign_plan *pl,
                        const skycrate_presigner *presigner, const skycrate__buf *b64)
{
    uint8_t mac[SKYCRATE__SHA256_LEN];
    skycrate__sigv4_identity id = {pl->creds.access_key_id, pl->creds.secret_access_key,
                                   pl->creds.secret_hash,   v->date,
                                   presigner->region,       "s3"};
    skycrate__sigv4_scope scratch, *scope = skycrate__sigv4_scope_get(&scratch, &id);
    skycrate__hmac_sha256_prepared(mac, &scope->prepared, b64->ptr, b64->len);
    skycrate__sigv4_scope_release(scope, &scratch);
    skycrate__hex_encode(v->signature, mac, sizeof(mac));
    skycrate__wipe(mac, sizeof(mac));
}

/* The fields, in the order of skycrate_post_form_field(). */
static int add_fields(field_list *fields, const skycrate_post_policy *policy, const form_values *v,
                      const skycrate__buf *b64)
{
    int error;
    if ((error = add_field(fields, "key", v->key_field.ptr)) < 0 ||
        (policy->content_type && !policy->content_type_is_prefix &&
         (error = add_field(fields, "content-type", policy->content_type)) < 0) ||
        (policy->success_action_status &&
         (error = add_field(fields, "success_action_status", v->status)) < 0))
        return error;
    for (size_t i = 0; i < policy->field_count; i++)
        if ((error = add_field(fields, policy->fields[i].name, policy->fields[i].value)) < 0)
            return error;
    if ((error = add_field(fields, "x-amz-algorithm", "AWS4-HMAC-SHA256")) < 0 ||
        (error = add_field(fields, "x-amz-credential", v->credential.ptr)) < 0 ||
        (error = add_field(fields, "x-amz-date", v->amz_date)) < 0 ||
        (v->token && (error = add_field(fields, "x-amz-security-token", v->token)) < 0) ||
        (error = add_field(fields, "policy", b64->ptr)) < 0)
        return error;
    return add_field(fields, "x-amz-signature", v->signature);
}

/* The form: its URL (the bucket's, "/" when virtual-hosted without a path prefix), the policy
 * and the fields, which it takes over (`fields` is then empty). */
static int form_new(skycrate_post_form **out, const skycrate__presign_plan *pl,
                    skycrate__buf *json_text, field_list *fields)
{
    skycrate__buf url = SKYCRATE_BUF_INIT;
    skycrate_post_form *form = NULL;
    int error;
    if ((error = skycrate__buf_put(&url, pl->target.base, pl->target.base_len)) < 0 ||
        (error = pl->target.path_len ? skycrate__buf_put(&url, pl->target.path, pl->target.path_len)
                                     : skycrate__buf_putc(&url, '/')) < 0)
        goto done;
    if ((form = skycrate__calloc(1, sizeof(*form))) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    form->magic = SKYCRATE_MAGIC_POST_FORM; /* so that skycrate_post_form_free() takes it */
    if ((form->fields = skycrate__calloc(fields->count, sizeof(*form->fields))) == NULL) {
        error = skycrate__error_nomem();
        goto done;
    }
    form->signed_at = pl->time;
    form->expires_in = pl->expires;
    form->clamped = pl->clamped;
    form->url = skycrate__buf_detach(&url);
    form->policy_json = skycrate__buf_detach(json_text);
    memcpy(form->fields, fields->items, fields->count * sizeof(fields->items[0]));
    form->field_count = fields->count;
    fields->count = 0;
    *out = form;
    form = NULL;
done:
    skycrate_post_form_free(form);
    skycrate__buf_dispose(&url);
    return error;
}

int skycrate_presigner_sign_post(skycrate_post_form **out,
                                 const struct skycrate_presigner *presigner,
                                 const skycrate_post_policy *policy)
{
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(policy, SKYCRATE_MAGIC_POST_POLICY);
    if (!policy->key_set)
        return skycrate__error_set(SKYCRATE_EINVAL, "post policy: no key or key prefix set");
    skycrate__presign_plan pl;
    pl.credentials = NULL;
    pl.spill.used = false;
    field_list fields;
    fields.count = 0;
    form_values v = {.credential = SKYCRATE_BUF_INIT, .key_field = SKYCRATE_BUF_INIT};
    skycrate__buf json_text = SKYCRATE_BUF_INIT, b64 = SKYCRATE_BUF_INIT;
    int error = skycrate__presign_plan_make(&pl, presigner, policy->bucket, policy->has_time,
                                            policy->time, policy->expires);
    if (error == 0 && (error = form_values_make(&v, &pl, presigner, policy)) == 0 &&
        (error = policy_document(&json_text, &b64, policy, &v)) == 0) {
        sign_policy(&v, &pl, presigner, &b64);
        if ((error = add_fields(&fields, policy, &v, &b64)) == 0)
            error = form_new(out, &pl, &json_text, &fields);
    }
    skycrate__presign_plan_dispose(&pl);
    form_free_fields(fields.items, fields.count);
    form_values_dispose(&v);
    skycrate__buf_dispose_secret(&json_text);
    skycrate__buf_dispose(&b64);
    return error;
}

/* ---- the form ------------------------------------------------------------------------------- */

void skycrate_post_form_free(skycrate_post_form *f)
{
    if (!SKYCRATE_VALID_HANDLE(f, SKYCRATE_MAGIC_POST_FORM))
        return;
    if (f->fields)
        form_free_fields(f->fields, f->field_count);
    skycrate__free(f->fields);
    skycrate__free(f->url);
    skycrate__free_secret(f->policy_json);
    f->magic = 0;
    skycrate__free(f);
}

static bool valid(const skycrate_post_form *f)
{
    return f != NULL && f->magic == SKYCRATE_MAGIC_POST_FORM;
}

const char *skycrate_post_form_url(const skycrate_post_form *f)
{
    return valid(f) ? f->url : "";
}

size_t skycrate_post_form_field_count(const skycrate_post_form *f)
{
    return valid(f) ? f->field_count : 0;
}

int skycrate_post_form_field(const char **name, const char **value, const skycrate_post_form *f,
                             size_t index)
{
    SKYCRATE_ASSERT_HANDLE(f, SKYCRATE_MAGIC_POST_FORM);
    if (index >= f->field_count)
        return skycrate__error_set(SKYCRATE_EINVAL, "post form: no field #%zu (it has %zu)", index,
                                   f->field_count);
    if (name)
        *name = f->fields[index].name;
    if (value)
        *value = f->fields[index].value;
    return 0;
}

int64_t skycrate_post_form_expires_at(const skycrate_post_form *f)
{
    return valid(f) ? f->signed_at + f->expires_in : 0;
}

int64_t skycrate_post_form_expires_in(const skycrate_post_form *f)
{
    return valid(f) ? f->expires_in : 0;
}

int skycrate_post_form_clamped(const skycrate_post_form *f)
{
    return valid(f) && f->clamped ? 1 : 0;
}

const char *skycrate_post_form_policy(const skycrate_post_form *f)
{
    return valid(f) ? f->policy_json : "";
}

int skycrate_post_form_to_json(char **out, const skycrate_post_form *f, uint32_t flags)
{
    int error = 0;
    json_t *doc = NULL, *fields = NULL;
    char expires_at[21];
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(f, SKYCRATE_MAGIC_POST_FORM);
    SKYCRATE_ASSERT_ARG((flags & ~SKYCRATE_JSON_PRETTY) == 0);
    skycrate__format_iso8601(expires_at, f->signed_at + f->expires_in);
    if ((doc = json_object()) == NULL || (fields = json_object()) == NULL)
        goto nomem;
    for (size_t i = 0; i < f->field_count; i++)
        if (json_object_set_new(fields, f->fields[i].name, json_string(f->fields[i].value)) != 0)
            goto nomem;
    if (json_object_set_new(doc, "url", json_string(f->url)) != 0 ||
        json_object_set(doc, "fields", fields) != 0 ||
        json_object_set_new(doc, "expiresAt", json_string(expires_at)) != 0 ||
        json_object_set_new(doc, "expiresIn", json_integer(f->expires_in)) != 0 ||
        json_object_set_new(doc, "expiresClamped", json_boolean(f->clamped)) != 0)
        goto nomem;
    error = skycrate__json_render(out, doc, flags);
    goto done;
nomem:
    error = skycrate__error_nomem();
done:
    json_decref(fields);
    json_decref(doc);
    return error;
}
