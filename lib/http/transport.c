/*
 * The transport table: versioned initialisation and copy (STYLE.md §5), and the call into a
 * transport with the library's callback error conventions (STYLE.md §6).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "http/http.h"

/* The bytes of a table that a given version knows: up to the end of its last field. */
#define PREFIX_THROUGH(field)                                                                      \
    (offsetof(skycrate_http_transport, field) + sizeof(((skycrate_http_transport *)0)->field))

static size_t known_prefix(unsigned int version)
{
    switch (version) {
    case 1: return PREFIX_THROUGH(max_concurrency);
    default: return 0;
    }
}

int skycrate_http_transport_init(skycrate_http_transport *transport, unsigned int version)
{
    SKYCRATE_ASSERT_ARG(transport);
    size_t size = known_prefix(version);
    if (size == 0)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "unknown transport table version %u (this library knows 1..%u)",
                                   version, (unsigned int)SKYCRATE_HTTP_TRANSPORT_VERSION);
    /* Only the caller's prefix: a table compiled against an older header is shorter. */
    memset(transport, 0, size);
    transport->version = version;
    return 0;
}

int skycrate__http_transport_copy(skycrate_http_transport *dst, const skycrate_http_transport *src)
{
    SKYCRATE_ASSERT_ARG(dst);
    SKYCRATE_ASSERT_ARG(src);
    size_t size = known_prefix(src->version);
    if (size == 0)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "unknown transport table version %u (this library knows 1..%u)",
                                   src->version, (unsigned int)SKYCRATE_HTTP_TRANSPORT_VERSION);
    if (!src->perform)
        return skycrate__error_set(SKYCRATE_EINVAL, "transport table without a perform function");
    memset(dst, 0, sizeof(*dst));
    memcpy(dst, src, size);
    /* The copy is a complete current table: later fields are zero, their documented default. */
    dst->version = SKYCRATE_HTTP_TRANSPORT_VERSION;
    return 0;
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
    SKYCRATE_ASSERT_ARG(transport && transport->perform);
    SKYCRATE_ASSERT_ARG(req && req->method && req->url);
    SKYCRATE_ASSERT_ARG(resp);

    /* A retried request starts its body over; a consumed stream cannot, and that is an error. */
    int rc = skycrate_http_request_body_rewind(req);
    if (rc < 0)
        return rc;
    skycrate__http_response_reset(resp);

    /* The default transport waits at the gate once connected; any other, before perform. */
    if (req->gate && !skycrate__curl_transport_connects_early(transport) &&
        !skycrate__http_gate_wait(req->gate))
        return skycrate__http_gate_refused(req);

    char what[256];
    describe(what, sizeof(what), req);
    skycrate_error_clear(); /* so that a stale message is not taken for the transport's */
    rc = transport->perform(req, resp, 0, transport->user_data);
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
