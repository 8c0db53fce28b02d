/*
 * The transport seam: the object made from a versioned callback table, and the call into a
 * transport with the library's callback error conventions.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/table.h"
#include "core/log.h"
#include "core/syntax.h"
#include "http/http.h"

static const size_t callbacks_prefix[] = {
    0, SKYCRATE__PREFIX_THROUGH(skycrate_http_transport_callbacks, max_concurrency), /* 1 */
};

static const skycrate__table_layout callbacks_layout = {
    "transport callbacks", SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION, callbacks_prefix,
    sizeof(skycrate_http_transport_callbacks)};

int skycrate_http_transport_callbacks_init(skycrate_http_transport_callbacks *callbacks,
                                           unsigned int version)
{
    return skycrate__table_init(callbacks, version, &callbacks_layout);
}

int skycrate__http_transport_make(skycrate_http_transport **out,
                                  const skycrate_http_transport_callbacks *callbacks,
                                  bool connects_early)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    skycrate_http_transport_callbacks cb;
    int error = skycrate__table_copy(&cb, callbacks, &callbacks_layout);
    if (error < 0)
        return error;
    if (!cb.perform)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "transport callbacks without a perform function");
    skycrate_http_transport *t = skycrate__calloc(1, sizeof(*t));
    if (!t)
        return skycrate__error_nomem();
    t->magic = SKYCRATE_MAGIC_HTTP_TRANSPORT;
    atomic_init(&t->refs, 1);
    t->callbacks = cb;
    t->connects_early = connects_early;
    *out = t;
    return 0;
}

int skycrate_http_transport_new(skycrate_http_transport **out,
                                const skycrate_http_transport_callbacks *callbacks)
{
    return skycrate__http_transport_make(out, callbacks, false);
}

skycrate_http_transport *skycrate_http_transport_ref(skycrate_http_transport *transport)
{
    if (!SKYCRATE_VALID_HANDLE(transport, SKYCRATE_MAGIC_HTTP_TRANSPORT))
        return NULL;
    atomic_fetch_add_explicit(&transport->refs, 1, memory_order_relaxed);
    return transport;
}

void skycrate_http_transport_unref(skycrate_http_transport *transport)
{
    if (!transport || transport->magic != SKYCRATE_MAGIC_HTTP_TRANSPORT ||
        atomic_fetch_sub_explicit(&transport->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (transport->callbacks.free)
        transport->callbacks.free(transport->callbacks.user_data);
    transport->magic = 0;
    skycrate__free(transport);
}

bool skycrate__http_transport_connects_early(const skycrate_http_transport *transport)
{
    return transport->connects_early;
}

unsigned int skycrate__http_transport_lanes(const skycrate_http_transport *transport)
{
    unsigned int n = transport->callbacks.max_concurrency;
    return n < 1 ? 1 : n;
}

/* Whoever built the request (from the caller's values, a file's, a server's), nothing that
 * ends a line or a URL reaches a transport: this is the one place every request goes through. */
static int check_request(const struct skycrate_http_request *req)
{
    if (!skycrate__http_token_ok(req->method))
        return skycrate__error_set(SKYCRATE_EINVAL, "request method is not an HTTP token");
    if (!skycrate__url_text_ok(req->url))
        return skycrate__error_set(SKYCRATE_EINVAL, "request URL has a space or a character "
                                                    "outside printable ASCII");
    return skycrate__http_headers_check(req->headers, req->header_count);
}

/* "METHOD scheme://host/path" without the query (it may carry a presigned signature). */
static void describe(char *out, size_t size, const struct skycrate_http_request *req)
{
    const char *url = req->url ? req->url : "";
    size_t n = strcspn(url, "?#");
    snprintf(out, size, "%s %.*s", req->method ? req->method : "?", (int)n, url);
}

int skycrate__http_perform(const skycrate_http_transport *transport,
                           struct skycrate_http_request *req, struct skycrate_http_response *resp)
{
    SKYCRATE_ASSERT_HANDLE(transport, SKYCRATE_MAGIC_HTTP_TRANSPORT);
    SKYCRATE_ASSERT_ARG(req && req->method && req->url);
    SKYCRATE_ASSERT_HANDLE(resp, SKYCRATE_MAGIC_HTTP_RESPONSE);
    /* The request is the library's own; from here on a transport may read it through the
     * public accessors, which check this. */
    req->magic = SKYCRATE_MAGIC_HTTP_REQUEST;

    int rc = check_request(req);
    if (rc < 0)
        return rc;
    /* A retried request starts its body over; a consumed stream cannot, and that is an error. */
    rc = skycrate_http_request_body_rewind(req);
    if (rc < 0)
        return rc;
    skycrate__http_response_reset(resp);

    /* The default transport waits at the gate once connected; any other, before perform. */
    if (req->gate && !transport->connects_early && !skycrate__http_gate_wait(req->gate))
        return skycrate__http_gate_refused(req);

    char what[256];
    describe(what, sizeof(what), req);
    skycrate_error_clear(); /* so that a stale message is not taken for the transport's */
    rc = transport->callbacks.perform(req, resp, 0, transport->callbacks.user_data);
    if (rc < 0) {
        skycrate__error_after_callback(rc, "transport");
        if (skycrate__log_enabled(SKYCRATE_LOG_LEVEL_DEBUG))
            skycrate__log(SKYCRATE_LOG_LEVEL_DEBUG, "http: %s failed: %s", what,
                          skycrate_error_last()->message);
        return rc;
    }
    if (rc > 0)
        return skycrate__error_set(SKYCRATE_ERROR, "transport callback returned %d", rc);
    if (resp->status == 0)
        return skycrate__error_set(SKYCRATE_ERROR,
                                   "transport returned 0 without setting a response status");
    if (resp->status < 200)
        return skycrate__error_set(SKYCRATE_ERROR,
                                   "transport returned an interim HTTP %d as the final answer",
                                   resp->status);
    if (skycrate__log_enabled(SKYCRATE_LOG_LEVEL_DEBUG))
        skycrate__log(SKYCRATE_LOG_LEVEL_DEBUG, "http: %s -> %d (%zu headers, %llu body bytes)",
                      what, resp->status, resp->header_count, (unsigned long long)resp->body_bytes);
    return 0;
}
