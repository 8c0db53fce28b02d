/*
 * The response side of the transport seam: status, owned header copies, and the body routed
 * to the caller's sink (2xx) or buffered in memory (no sink, or an error answer).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "http/http.h"

void skycrate__http_response_init(struct skycrate_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->magic = SKYCRATE_MAGIC_HTTP_RESPONSE;
    skycrate__buf init = SKYCRATE_BUF_INIT;
    resp->body = init;
}

static void free_headers(struct skycrate_http_response *resp)
{
    for (size_t i = 0; i < resp->header_count; i++) {
        skycrate__free((char *)resp->headers[i].name);
        skycrate__free((char *)resp->headers[i].value);
    }
    resp->header_count = 0;
}

void skycrate__http_response_reset(struct skycrate_http_response *resp)
{
    if (!resp)
        return;
    free_headers(resp);
    skycrate__free(resp->headers);
    resp->headers = NULL;
    resp->header_cap = 0;
    skycrate__buf_dispose(&resp->body);
    resp->status = 0;
    resp->body_bytes = 0;
}

void skycrate__http_response_dispose(struct skycrate_http_response *resp)
{
    if (!resp)
        return;
    skycrate__http_response_reset(resp);
    skycrate__http_response_init(resp);
}

const char *skycrate__http_response_header(const struct skycrate_http_response *resp,
                                           const char *name)
{
    if (!resp || !name)
        return NULL;
    for (size_t i = 0; i < resp->header_count; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

int skycrate_http_response_set_status(skycrate_http_response *response, int status)
{
    SKYCRATE_ASSERT_HANDLE(response, SKYCRATE_MAGIC_HTTP_RESPONSE);
    if (status < 100 || status > 599)
        return skycrate__error_set(SKYCRATE_EINVAL, "HTTP status %d out of range 100..599", status);
    /* A later status line (after an interim 1xx answer) starts a new header block. */
    free_headers(response);
    response->status = status;
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_blank((*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*s)[*len - 1]))
        (*len)--;
}

int skycrate_http_response_add_header(skycrate_http_response *response, const char *name,
                                      size_t name_length, const char *value, size_t value_length)
{
    SKYCRATE_ASSERT_HANDLE(response, SKYCRATE_MAGIC_HTTP_RESPONSE);
    SKYCRATE_ASSERT_ARG(name || name_length == 0);
    SKYCRATE_ASSERT_ARG(value || value_length == 0);
    if (response->status == 0)
        return skycrate__error_set(SKYCRATE_EINVAL, "response header before the status");
    trim(&name, &name_length);
    trim(&value, &value_length);
    if (name_length == 0)
        return skycrate__error_set(SKYCRATE_EINVAL, "response header with an empty name");

    if (response->header_count == response->header_cap) {
        size_t cap = response->header_cap ? response->header_cap * 2 : 16;
        skycrate__kv *grown = skycrate__realloc(response->headers, cap * sizeof(*grown));
        if (!grown)
            return skycrate__error_nomem();
        response->headers = grown;
        response->header_cap = cap;
    }
    char *n = skycrate__malloc(name_length + 1);
    char *v = skycrate__malloc(value_length + 1);
    if (!n || !v) {
        skycrate__free(n);
        skycrate__free(v);
        return skycrate__error_nomem();
    }
    if (name_length)
        memcpy(n, name, name_length);
    n[name_length] = '\0';
    if (value_length)
        memcpy(v, value, value_length);
    v[value_length] = '\0';
    response->headers[response->header_count].name = n;
    response->headers[response->header_count].value = v;
    response->header_count++;
    return 0;
}

int skycrate_http_response_write_body(skycrate_http_response *response, const void *data,
                                      size_t length)
{
    SKYCRATE_ASSERT_HANDLE(response, SKYCRATE_MAGIC_HTTP_RESPONSE);
    SKYCRATE_ASSERT_ARG(data || length == 0);
    if (response->status == 0)
        return skycrate__error_set(SKYCRATE_EINVAL, "response body before the status");
    if (length == 0)
        return 0;
    if (response->sink && response->status >= 200 && response->status < 300) {
        int rc = response->sink(data, length, response->sink_user_data);
        if (rc < 0)
            return skycrate__error_after_callback(rc, "response body sink");
    } else {
        if (response->max_buffered && (response->body.len > response->max_buffered ||
                                       length > response->max_buffered - response->body.len))
            return skycrate__error_set(SKYCRATE_EHTTP,
                                       "HTTP %d answer: the body exceeds the %zu bytes this "
                                       "request accepts",
                                       response->status, response->max_buffered);
        int rc = skycrate__buf_put(&response->body, data, length);
        if (rc < 0)
            return rc;
    }
    response->body_bytes += length;
    return 0;
}
