/*
 * The replay: what the browser could not see, seen from the server side. The case's request is
 * sent again (after its CORS preflight from the page's origin) through the client's transport,
 * exactly as the client says it sent it, and the bucket's CORS rules, policy and public access
 * block are read with the client's credentials; then the case is diagnosed.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "creds/net.h"
#include "doctor/doctor.h"
#include "http/http.h"
#include "s3/request.h"
#include "xml/s3.h"
#include "xml/xml.h"

/* Error bodies and bucket settings are small; more is not read into memory. */
#define ANSWER_MAX (256u * 1024)
#define HEADERS_MAX 32

void skycrate__doctor_answer_dispose(skycrate__doctor_answer *a)
{
    skycrate__buf_dispose(&a->body);
    skycrate__doctor_headers_dispose(&a->headers);
    a->status = 0;
}

static int record(skycrate__doctor_answer *a, const struct skycrate_http_response *resp)
{
    int error = 0;
    skycrate__doctor_answer_dispose(a);
    a->status = resp->status;
    if (resp->body.len)
        error = skycrate__buf_put(&a->body, resp->body.ptr, resp->body.len);
    for (size_t i = 0; i < resp->header_count && error == 0; i++)
        error = skycrate__doctor_headers_add(&a->headers, resp->headers[i].name,
                                             resp->headers[i].value);
    return error;
}

int skycrate__doctor_send(skycrate__doctor_answer *a, skycrate_client *client, const char *method,
                          const char *url, const skycrate__kv *headers, size_t count)
{
    struct skycrate_http_request req = {.method = method,
                                        .url = url,
                                        .headers = headers,
                                        .header_count = count,
                                        .body_kind = SKYCRATE__BODY_NONE,
                                        .connect_timeout_ms = client->connect_timeout_ms,
                                        .timeout_ms = client->request_timeout_ms};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    resp.max_buffered = ANSWER_MAX;
    int error = skycrate__http_perform(client->transport, &req, &resp);
    if (error == 0)
        error = record(a, &resp);
    skycrate__http_response_dispose(&resp);
    return error;
}

/* The URL goes where the case says, maybe to another host than the client's endpoint: plain
 * http under the rule the endpoint follows (the data and the signature would travel in the
 * clear). */
static int check_scheme(const skycrate_client *client, const char *url)
{
    skycrate__url_parts u;
    if (skycrate__url_split(&u, url) < 0)
        return skycrate__error_set(SKYCRATE_EINVAL, "the case's URL is not an http(s) URL");
    if (u.https || skycrate__plain_http_allowed(u.host, u.host_length, client->allow_http))
        return 0;
    return skycrate__error_set(SKYCRATE_EINVAL,
                               "the case's URL is plain http to a host that is not loopback: "
                               "not replayed unless the client allows plain http "
                               "(skycrate_client_config_set_allow_http())");
}

static int preflight(skycrate_doctor_case *c, skycrate_client *client, const char *method,
                     const char *url, const skycrate__doctor_headers *sent)
{
    skycrate__buf names = SKYCRATE_BUF_INIT;
    int error = 0;
    for (size_t i = 0; i < sent->count && error == 0; i++) {
        if (!skycrate__doctor_header_needs_preflight(sent->items[i].name, sent->items[i].value))
            continue;
        if (names.len)
            error = skycrate__buf_putc(&names, ',');
        for (const char *p = sent->items[i].name; *p && error == 0; p++)
            error = skycrate__buf_putc(&names, (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
    }
    skycrate__kv headers[3] = {{"Origin", c->origin},
                               {"Access-Control-Request-Method", method},
                               {"Access-Control-Request-Headers", skycrate__buf_cstr(&names)}};
    if (error == 0)
        error = skycrate__doctor_send(&c->preflight, client, "OPTIONS", url, headers,
                                      names.len ? 3 : 2);
    skycrate__buf_dispose(&names);
    return error;
}

static int request(skycrate_doctor_case *c, skycrate_client *client, const char *method,
                   const char *url, const skycrate__doctor_headers *sent)
{
    skycrate__kv headers[HEADERS_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < sent->count && n < HEADERS_MAX; i++)
        if (strcasecmp(sent->items[i].name, "host") != 0 &&
            strcasecmp(sent->items[i].name, "content-length") != 0)
            headers[n++] = (skycrate__kv){sent->items[i].name, sent->items[i].value};
    if (c->origin)
        headers[n++] = (skycrate__kv){"Origin", c->origin};
    return skycrate__doctor_send(&c->answer, client, method, url, headers, n);
}

/* One bucket setting: its document, "" when the bucket has none (404), NULL when unknown. */
static int read_setting(char **out, skycrate_client *client, const char *bucket,
                        const char *subresource, const char *root)
{
    skycrate__kv query = {subresource, ""};
    skycrate__s3_request req = {.operation = subresource,
                                .method = "GET",
                                .bucket = bucket,
                                .query = &query,
                                .query_count = 1};
    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    resp.max_buffered = ANSWER_MAX;
    int error = skycrate__s3_send(client, &req, &resp, NULL);
    const char *text = NULL;
    if (error == 0 &&
        (root == NULL || skycrate__xml_root_is(resp.body.ptr, resp.body.len, root) == 1))
        text = skycrate__buf_cstr(&resp.body);
    else if (resp.status == 404)
        text = "";
    error = error == SKYCRATE_ENOMEM ? error : 0;
    skycrate__free(*out);
    *out = NULL;
    if (error == 0 && text && (*out = skycrate__strdup(text)) == NULL)
        error = skycrate__error_nomem();
    if (error == 0)
        skycrate_error_clear(); /* a setting that cannot be read is unknown, not a failure */
    skycrate__http_response_dispose(&resp);
    return error;
}

static int read_bucket(skycrate_doctor_case *c, skycrate_client *client, const char *bucket)
{
    char *block = NULL;
    int error;
    if ((error = read_setting(&c->cors_xml, client, bucket, "cors", "CORSConfiguration")) < 0 ||
        (error = read_setting(&c->policy_json, client, bucket, "policy", NULL)) < 0 ||
        (error = read_setting(&block, client, bucket, "publicAccessBlock", NULL)) < 0)
        return error;
    if (block && *block) {
        skycrate__xml_node *root = NULL;
        bool on = false;
        /* radosgw names the root BlockPublicAccessBlockConfiguration. */
        if (skycrate__xml_parse(&root, block, strlen(block)) == 0 &&
            strstr(root->name, "PublicAccessBlockConfiguration") &&
            skycrate__xml_child_bool(&on, root, "BlockPublicAcls") == 0)
            c->block_public_acls = on;
        skycrate_error_clear();
        skycrate__xml_free(root);
    }
    skycrate__free(block);
    return 0;
}

int skycrate_doctor_replay(skycrate_diagnosis **out, skycrate_client *client,
                           const skycrate_doctor *doctor, const skycrate_doctor_case *c)
{
    skycrate_doctor_case *copy = NULL;
    skycrate__doctor_url url = {0};
    char *bucket = NULL, *key = NULL;
    int error;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(client, SKYCRATE_MAGIC_CLIENT);
    SKYCRATE_ASSERT_HANDLE(doctor, SKYCRATE_MAGIC_DOCTOR);
    SKYCRATE_ASSERT_HANDLE(c, SKYCRATE_MAGIC_DOCTOR_CASE);
    const char *target = c->sent_url ? c->sent_url : c->contract_url;
    const char *method = c->sent_method ? c->sent_method : c->contract_method;
    if (target == NULL)
        return skycrate__error_set(SKYCRATE_EINVAL, "the case has no contract and no sent URL");
    if ((error = skycrate_doctor_case_new(&copy)) < 0 ||
        (error = skycrate__doctor_case_copy(copy, c)) < 0 ||
        (error = check_scheme(client, target)) < 0 ||
        (error = skycrate__doctor_url_parse(&url, target)) < 0 ||
        (error = skycrate__doctor_url_target(&bucket, &key, &url, doctor->presigner)) < 0)
        goto done;
    const skycrate__doctor_headers *sent =
        c->sent_headers_set ? &c->sent_headers : &c->contract_headers;
    if (c->origin && (error = preflight(copy, client, method, target, sent)) < 0)
        goto done;
    if (strcmp(method, "POST") != 0) {
        if ((error = request(copy, client, method, target, sent)) < 0)
            goto done;
        copy->time = -1;
        /* The replayed PUT wrote an empty object where the upload was to go. */
        if (strcmp(method, "PUT") == 0 && copy->answer.status / 100 == 2 && *key &&
            skycrate_object_delete(client, bucket, key) < 0)
            skycrate_error_clear();
    }
    if ((error = read_bucket(copy, client, bucket)) < 0)
        goto done;
    error = skycrate_doctor_diagnose(out, doctor, copy);
done:
    skycrate__free(bucket);
    skycrate__free(key);
    skycrate__doctor_url_dispose(&url);
    skycrate_doctor_case_free(copy);
    return error;
}
