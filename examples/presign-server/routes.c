/*
 * The API: presigned PUTs, POST-policy forms and multipart uploads inside the caller's own
 * bucket and key prefix, the 403 doctor, and the upload page. Every presign issued is one audit
 * line (time, user, bucket, key, method, expiry, client address), never a URL or a token.
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

static void iso8601(char out[21], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void audit(server *s, const server_user *user, const char *bucket, const char *key,
           const char *method, int64_t expires_at, const char *client)
{
    if (s->audit_fd < 0)
        return;
    char now[21], expiry[21];
    iso8601(now, (int64_t)time(NULL));
    iso8601(expiry, expires_at);
    json_t *line =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "time", now, "user", user->id, "bucket", bucket,
                  "key", key, "method", method, "expiresAt", expiry, "client", client);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text) {
        size_t len = strlen(text);
        text[len] = '\n'; /* replaces the NUL: one write, one line (O_APPEND) */
        if (write(s->audit_fd, text, len + 1) < 0)
            perror("skycrate-presign-server: audit log");
    }
    free(text);
    json_decref(line);
}

/* ---- inputs ---- */

static const char *filename_of(reply *r, const json_t *body)
{
    const json_t *f = json_object_get(body, "filename");
    const char *name = json_string_value(f);
    size_t len = json_string_length(f);
    const char *why = name == NULL                ? "filename must be a string"
                      : len == 0                  ? "filename is empty"
                      : len > SERVER_FILENAME_MAX ? "filename is longer than 255 bytes"
                      : strlen(name) != len       ? "filename contains a NUL character"
                      : strspn(name, ". ") == len ? "filename has nothing but dots"
                                                  : NULL;
    if (why) {
        reply_error(r, 422, "invalid_filename", "%s", why);
        return NULL;
    }
    return name;
}

/* The optional content type: "" when absent, NULL (with a reply) when invalid. */
static const char *content_type_of(reply *r, const json_t *body)
{
    const json_t *v = json_object_get(body, "contentType");
    if (v == NULL || json_is_null(v))
        return "";
    const char *t = json_string_value(v);
    bool ok = t != NULL && strlen(t) <= 255;
    for (const char *p = t; ok && *p; p++)
        ok = *p >= 0x20 && *p < 0x7f;
    if (!ok)
        reply_error(r, 422, "invalid_content_type",
                    "contentType must be printable ASCII, at "
                    "most 255 characters");
    return ok ? t : NULL;
}

/* The optional size (-1 when absent); false with a reply when invalid or over the limit. */
static bool size_of(server *s, reply *r, const json_t *body, int64_t *out)
{
    const json_t *v = json_object_get(body, "size");
    *out = -1;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        reply_error(r, 422, "invalid_size", "size must be a non-negative integer");
        return false;
    }
    *out = json_integer_value(v);
    if ((uint64_t)*out > s->cfg.max_size) {
        reply_error(r, 413, "size_over_limit", "size %lld is over the limit of %llu bytes",
                    (long long)*out, (unsigned long long)s->cfg.max_size);
        return false;
    }
    return true;
}

/* The user's bucket, provisioned on first use. */
static const char *bucket_of(server *s, reply *r, server_user *user)
{
    pthread_mutex_lock(&s->lock);
    if (user->bucket == NULL) {
        skycrate_record *record = NULL;
        int rc = skycrate_provisioner_provision(&record, s->provisioner, user->id);
        if (rc == 0)
            user->bucket = strdup(skycrate_record_bucket(record));
        else
            reply_library_error(r, rc, "the user's bucket could not be provisioned");
        skycrate_record_free(record);
    }
    const char *bucket = user->bucket;
    pthread_mutex_unlock(&s->lock);
    return bucket;
}

/* A key the caller may touch: under "{keyPrefix}/{user}/", without "..". */
static const char *own_key(server *s, reply *r, const server_user *user, const json_t *body)
{
    const char *key = json_string_value(json_object_get(body, "key"));
    size_t plen = strlen(s->cfg.key_prefix), ulen = strlen(user->id);
    bool ok = key && strncmp(key, s->cfg.key_prefix, plen) == 0 && key[plen] == '/' &&
              strncmp(key + plen + 1, user->id, ulen) == 0 && key[plen + 1 + ulen] == '/' &&
              strstr(key, "..") == NULL;
    if (!ok)
        reply_error(r, 403, "forbidden", "the key is not under your prefix");
    return ok ? key : NULL;
}

static const char *upload_id_of(reply *r, const json_t *body)
{
    const char *id = json_string_value(json_object_get(body, "uploadId"));
    if (id == NULL || *id == '\0' || strlen(id) > 1024)
        reply_error(r, 422, "invalid_upload_id", "uploadId must be a non-empty string");
    return id && *id && strlen(id) <= 1024 ? id : NULL;
}

/* ---- presigned PUT ---- */

static json_t *contract_json(skycrate_presigned *c, const char *key, const char *bucket)
{
    json_t *headers = json_object();
    for (size_t i = 0; i < skycrate_presigned_header_count(c); i++) {
        const char *name, *value;
        if (skycrate_presigned_header(&name, &value, c, i) == 0)
            json_object_set_new(headers, name, json_string(value));
    }
    char expires[21];
    iso8601(expires, skycrate_presigned_expires_at(c));
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "key", key, "bucket", bucket, "uploadUrl",
                     skycrate_presigned_url(c), "method", skycrate_presigned_method(c), "headers",
                     headers, "expiresAt", expires);
}

static void presign_put(server *s, reply *r, server_user *user, const json_t *body,
                        const char *client)
{
    const char *name = filename_of(r, body), *type = name ? content_type_of(r, body) : NULL;
    int64_t size;
    if (type == NULL || !size_of(s, r, body, &size))
        return;
    /* A shorter life than the configured one may be asked for (expiresIn seconds). */
    const json_t *asked = json_object_get(body, "expiresIn");
    int64_t expires = s->cfg.expires;
    if (asked && !json_is_null(asked)) {
        if (!json_is_integer(asked) || json_integer_value(asked) < 1 ||
            json_integer_value(asked) > s->cfg.expires) {
            reply_error(r, 422, "invalid_expires", "expiresIn must be 1..%lld seconds",
                        (long long)s->cfg.expires);
            return;
        }
        expires = json_integer_value(asked);
    }
    const char *bucket = bucket_of(s, r, user);
    if (bucket == NULL)
        return;
    char *key = NULL;
    skycrate_presign_request *req = NULL;
    skycrate_presigned *c = NULL;
    int rc = skycrate_upload_key(&key, s->cfg.key_prefix, user->id, name);
    if (rc == 0)
        rc = skycrate_presign_request_new(&req, "PUT", bucket, key);
    if (rc == 0)
        rc = skycrate_presign_request_set_expires(req, expires);
    if (rc == 0 && *type)
        rc = skycrate_presign_request_add_header(req, "Content-Type", type);
    if (rc == 0)
        rc = skycrate_presigner_sign(&c, s->presigner, req);
    if (rc == 0) {
        r->json = contract_json(c, key, bucket);
        audit(s, user, bucket, key, "PUT", skycrate_presigned_expires_at(c), client);
    } else {
        reply_library_error(r, rc, "presign");
    }
    skycrate_presigned_free(c);
    skycrate_presign_request_free(req);
    skycrate_free(key);
}

/* ---- POST policy form ---- */

static void presign_post(server *s, reply *r, server_user *user, const json_t *body,
                         const char *client)
{
    const char *name = filename_of(r, body), *type = name ? content_type_of(r, body) : NULL;
    int64_t size;
    if (type == NULL || !size_of(s, r, body, &size))
        return;
    const char *bucket = bucket_of(s, r, user);
    if (bucket == NULL)
        return;
    char *key = NULL, *text = NULL;
    skycrate_post_policy *policy = NULL;
    skycrate_post_form *form = NULL;
    int rc = skycrate_upload_key(&key, s->cfg.key_prefix, user->id, name);
    if (rc == 0)
        rc = skycrate_post_policy_new(&policy, bucket);
    if (rc == 0)
        rc = skycrate_post_policy_set_key(policy, key);
    if (rc == 0)
        rc = skycrate_post_policy_set_content_length_range(policy, 0, s->cfg.max_size);
    if (rc == 0 && *type)
        rc = skycrate_post_policy_set_content_type(policy, type);
    if (rc == 0)
        rc = skycrate_post_policy_set_success_action_status(policy, 201);
    if (rc == 0)
        rc = skycrate_post_policy_set_expires(policy, s->cfg.expires);
    if (rc == 0)
        rc = skycrate_presigner_sign_post(&form, s->presigner, policy);
    if (rc == 0)
        rc = skycrate_post_form_to_json(&text, form, 0);
    if (rc == 0) {
        r->json = json_loads(text, 0, NULL);
        json_object_set_new(r->json, "key", json_string(key));
        json_object_set_new(r->json, "bucket", json_string(bucket));
        json_object_set_new(r->json, "maxSize", json_integer((json_int_t)s->cfg.max_size));
        audit(s, user, bucket, key, "POST", skycrate_post_form_expires_at(form), client);
    } else {
        reply_library_error(r, rc, "presign the form");
    }
    skycrate_free(text);
    skycrate_post_form_free(form);
    skycrate_post_policy_free(policy);
    skycrate_free(key);
}

/* ---- multipart ---- */

static json_t *part_urls(server *s, server_user *user, const char *bucket, const char *key,
                         const char *upload_id, size_t count, const char *client, int *rc)
{
    skycrate_presigned **parts = calloc(count, sizeof(*parts));
    json_t *list = json_array();
    *rc = parts ? skycrate_presigner_sign_parts(parts, count, s->presigner, bucket, key, upload_id,
                                                1, s->cfg.expires)
                : SKYCRATE_ENOMEM;
    for (size_t i = 0; *rc == 0 && i < count; i++) {
        json_array_append_new(list, json_pack("{s:I,s:s}", "partNumber", (json_int_t)(i + 1), "url",
                                              skycrate_presigned_url(parts[i])));
        audit(s, user, bucket, key, "UploadPart", skycrate_presigned_expires_at(parts[i]), client);
    }
    for (size_t i = 0; parts && i < count; i++)
        skycrate_presigned_free(parts[i]);
    free(parts);
    return list;
}

static void multipart_create(server *s, reply *r, server_user *user, const json_t *body,
                             const char *client)
{
    const char *name = filename_of(r, body), *type = name ? content_type_of(r, body) : NULL;
    int64_t size;
    if (type == NULL || !size_of(s, r, body, &size))
        return;
    uint64_t part = s->cfg.part_size;
    size_t count = size <= 0 ? 1 : (size_t)(((uint64_t)size + part - 1) / part);
    if (size < 0 || count > 10000) {
        reply_error(r, 422, "invalid_size",
                    "a multipart upload needs its size (at most 10000 "
                    "parts of %llu bytes)",
                    (unsigned long long)part);
        return;
    }
    const char *bucket = bucket_of(s, r, user);
    if (bucket == NULL)
        return;
    char *key = NULL, *upload_id = NULL;
    int rc = skycrate_upload_key(&key, s->cfg.key_prefix, user->id, name);
    if (rc == 0) {
        pthread_mutex_lock(&s->lock);
        rc = skycrate_multipart_create(&upload_id, s->client, bucket, key, *type ? type : NULL);
        if (rc < 0)
            reply_library_error(r, rc, "start the multipart upload");
        pthread_mutex_unlock(&s->lock);
    } else {
        reply_library_error(r, rc, "make the key");
    }
    if (rc == 0) {
        json_t *parts = part_urls(s, user, bucket, key, upload_id, count, client, &rc);
        if (rc == 0)
            r->json = json_pack("{s:s,s:s,s:s,s:I,s:o}", "key", key, "bucket", bucket, "uploadId",
                                upload_id, "partSize", (json_int_t)part, "parts", parts);
        else {
            json_decref(parts);
            reply_library_error(r, rc, "presign the parts");
        }
    }
    skycrate_free(upload_id);
    skycrate_free(key);
}

static void multipart_complete(server *s, reply *r, server_user *user, const json_t *body)
{
    const char *key = own_key(s, r, user, body), *upload_id = key ? upload_id_of(r, body) : NULL;
    const json_t *list = json_object_get(body, "parts");
    size_t count = json_array_size(list);
    if (upload_id == NULL)
        return;
    if (count == 0 || count > 10000) {
        reply_error(r, 422, "invalid_parts", "parts must list 1 to 10000 {partNumber, etag}");
        return;
    }
    uint32_t *numbers = calloc(count, sizeof(*numbers));
    const char **etags = calloc(count, sizeof(*etags));
    for (size_t i = 0; i < count; i++) {
        const json_t *p = json_array_get(list, i);
        json_int_t n = json_integer_value(json_object_get(p, "partNumber"));
        etags[i] = json_string_value(json_object_get(p, "etag"));
        numbers[i] = (uint32_t)(n >= 1 && n <= 10000 ? n : 0);
        if (numbers[i] == 0 || etags[i] == NULL || strlen(etags[i]) > 256) {
            reply_error(r, 422, "invalid_parts",
                        "part %zu needs a partNumber 1..10000 and an "
                        "etag",
                        i + 1);
            goto done;
        }
    }
    const char *bucket = bucket_of(s, r, user);
    if (bucket == NULL)
        goto done;
    char *etag = NULL;
    pthread_mutex_lock(&s->lock);
    int rc = skycrate_multipart_complete(&etag, s->client, bucket, key, upload_id, numbers, etags,
                                         count);
    if (rc == 0)
        r->json = json_pack("{s:s,s:s,s:s}", "key", key, "bucket", bucket, "etag", etag);
    else
        reply_library_error(r, rc, "complete the multipart upload");
    pthread_mutex_unlock(&s->lock);
    skycrate_free(etag);
done:
    free(numbers);
    free(etags);
}

static void multipart_abort(server *s, reply *r, server_user *user, const json_t *body)
{
    const char *key = own_key(s, r, user, body), *upload_id = key ? upload_id_of(r, body) : NULL;
    const char *bucket = upload_id ? bucket_of(s, r, user) : NULL;
    if (bucket == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    int rc = skycrate_multipart_abort(s->client, bucket, key, upload_id);
    if (rc == 0)
        r->json = json_pack("{s:s,s:s}", "key", key, "uploadId", upload_id);
    else
        reply_library_error(r, rc, "abort the multipart upload");
    pthread_mutex_unlock(&s->lock);
}

/* ---- the doctor ---- */

/* Fills a case from {contract, sent?: {method, url, headers}, origin?, answer?}. */
static int fill_case(reply *r, skycrate_doctor_case *dc, const json_t *body, const char *bucket)
{
    const json_t *contract = json_object_get(body, "contract");
    const json_t *sent = json_object_get(body, "sent");
    const json_t *answer = json_object_get(body, "answer");
    const char *origin = json_string_value(json_object_get(body, "origin"));
    char *text = contract ? json_dumps(contract, JSON_COMPACT) : NULL;
    int rc = text ? skycrate_doctor_case_set_contract_json(dc, text) : SKYCRATE_EINVAL;
    free(text);
    const char *url = json_string_value(json_object_get(sent, "url"));
    const char *method = json_string_value(json_object_get(sent, "method"));
    if (rc == 0 && (url || method))
        rc = skycrate_doctor_case_set_sent(
            dc, method ? method : json_string_value(json_object_get(contract, "method")),
            url ? url : json_string_value(json_object_get(contract, "uploadUrl")));
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)json_object_get(sent, "headers"), name, value)
    {
        if (rc == 0)
            rc = skycrate_doctor_case_add_sent_header(dc, name, json_string_value(value));
    }
    if (rc == 0 && origin)
        rc = skycrate_doctor_case_set_origin(dc, origin);
    json_int_t status = json_integer_value(json_object_get(answer, "status"));
    const char *answer_body = json_string_value(json_object_get(answer, "body"));
    if (rc == 0 && status)
        rc = skycrate_doctor_case_set_answer(dc, 0, (int)status, answer_body,
                                             answer_body ? strlen(answer_body) : 0);
    if (rc < 0) {
        reply_error(r, 422, "invalid_case", "%s", skycrate_error_last()->message);
        return rc;
    }
    /* Only URLs into the caller's own bucket are replayed. */
    const char *target = url ? url : json_string_value(json_object_get(contract, "uploadUrl"));
    if (target == NULL)
        target = json_string_value(json_object_get(contract, "url"));
    char path[300], host[300];
    snprintf(path, sizeof(path), "/%s/", bucket);
    snprintf(host, sizeof(host), "//%s.", bucket);
    size_t tl = target ? strlen(target) : 0, bl = strlen(bucket);
    bool form_url = tl > bl && target[tl - bl - 1] == '/' && strcmp(target + tl - bl, bucket) == 0;
    if (target == NULL ||
        (strstr(target, path) == NULL && strstr(target, host) == NULL && !form_url)) {
        reply_error(r, 403, "forbidden", "the URL is not into your bucket");
        return -1;
    }
    return 0;
}

static void diagnose(server *s, reply *r, server_user *user, const json_t *body)
{
    const char *bucket = bucket_of(s, r, user);
    if (bucket == NULL)
        return;
    skycrate_doctor_case *dc = NULL;
    skycrate_diagnosis *d = NULL;
    char *text = NULL;
    if (skycrate_doctor_case_new(&dc) < 0 || fill_case(r, dc, body, bucket) < 0)
        goto done;
    pthread_mutex_lock(&s->lock);
    int rc = skycrate_doctor_replay(&d, s->client, s->doctor, dc);
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        rc = skycrate_diagnosis_to_json(&text, d, 0);
    if (rc == 0)
        r->json = json_loads(text, 0, NULL);
    else
        reply_library_error(r, rc, "diagnose");
done:
    skycrate_free(text);
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
}

/* ---- routing ---- */

typedef void (*api_fn)(server *s, reply *r, server_user *user, const json_t *body,
                       const char *client);

static void complete_route(server *s, reply *r, server_user *u, const json_t *b, const char *c)
{
    (void)c;
    multipart_complete(s, r, u, b);
}

static void abort_route(server *s, reply *r, server_user *u, const json_t *b, const char *c)
{
    (void)c;
    multipart_abort(s, r, u, b);
}

static void diagnose_route(server *s, reply *r, server_user *u, const json_t *b, const char *c)
{
    (void)c;
    diagnose(s, r, u, b);
}

static const struct {
    const char *path;
    api_fn fn;
} api[] = {
    {"/api/s3/presign", presign_put},
    {"/api/s3/presign-post", presign_post},
    {"/api/s3/multipart/create", multipart_create},
    {"/api/s3/multipart/complete", complete_route},
    {"/api/s3/multipart/abort", abort_route},
    {"/api/s3/diagnose", diagnose_route},
};

void route(server *s, reply *r, const char *method, const char *path, const char *authorization,
           json_t *body, const char *client)
{
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
            r->page = server_page;
        else
            reply_error(r, 405, "method_not_allowed", "%s / is not allowed: use GET", method);
        return;
    }
    size_t i = 0;
    while (i < sizeof(api) / sizeof(api[0]) && strcmp(api[i].path, path) != 0)
        i++;
    if (i == sizeof(api) / sizeof(api[0])) {
        reply_error(r, 404, "not_found", "no such route");
        return;
    }
    if (strcmp(method, "POST") != 0) {
        reply_error(r, 405, "method_not_allowed", "use POST with a JSON body");
        return;
    }
    server_user *user = config_authenticate(&s->cfg, authorization);
    if (user == NULL) {
        reply_error(r, 401, "unauthorized", "a valid bearer token is required");
        return;
    }
    api[i].fn(s, r, user, body, client);
    if (r->json == NULL && r->page == NULL)
        reply_error(r, 500, "internal", "no reply");
}
