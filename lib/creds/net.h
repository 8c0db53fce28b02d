/*
 * HTTP for the network credential providers (STS, container, instance metadata): one shared,
 * reference-counted context over the transport seam of lib/http (the default libcurl transport,
 * created on first use, or a given transport table), small requests with bodies in memory, and
 * answers read into one fixed buffer that is wiped when released (it holds secrets).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CREDS_NET_H
#define SKYCRATE_CREDS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kv.h"
#include "http/http.h"
#include "skycrate/credentials.h"

/* The largest answer a credentials endpoint may send. */
#define SKYCRATE__CREDS_MAX_BODY (64 * 1024)

typedef struct skycrate__creds_http skycrate__creds_http;

/*
 * Creates a context. `transport` NULL: the libcurl transport, made on the first request with
 * `curl` (copied; NULL: system CA, no user agent). Otherwise the context takes a reference to
 * the transport. Returns 0 or SKYCRATE_ENOMEM.
 */
int skycrate__creds_http_new(skycrate__creds_http **out, skycrate_http_transport *transport,
                             const skycrate__curl_options *curl);
skycrate__creds_http *skycrate__creds_http_ref(skycrate__creds_http *http);
/* Whether plain http may go to hosts other than loopback (STS endpoints): the setting of the
 * client that made the context (skycrate_client_config_set_allow_http()); off by default. Set
 * it before the context is shared. */
void skycrate__creds_http_set_allow_http(skycrate__creds_http *http, bool allow);
bool skycrate__creds_http_allows_http(const skycrate__creds_http *http);
void skycrate__creds_http_unref(skycrate__creds_http *http);

/*
 * A provider named `name` whose `get` receives `http` as its user_data: the web identity,
 * container and instance-metadata providers. Takes a reference to `http`, released with the
 * provider. Returns 0 or SKYCRATE_ENOMEM.
 */
int skycrate__creds_http_provider_new(skycrate_credentials_provider **out,
                                      skycrate__creds_http *http, skycrate_credentials_get_fn get,
                                      const char *name);

typedef struct skycrate__creds_fetch {
    const char *method;
    const char *url;
    const skycrate__kv *headers; /* borrowed; no Host */
    size_t header_count;
    const char *body; /* NULL: none */
    size_t body_length;
    uint32_t connect_timeout_ms, timeout_ms;
    /* Tries in all (0 or 1: one). Transport failures (ECONNECT, ETIMEOUT) and 5xx answers
     * are tried again after a short full-jitter backoff. */
    unsigned attempts;
} skycrate__creds_fetch;

typedef struct skycrate__creds_reply {
    int status;
    char *body; /* NUL-terminated; wiped by _dispose */
    size_t length;
    char *content_type; /* NULL when none */
} skycrate__creds_reply;

/*
 * Sends one request and reads the whole answer (any status) into `out`. Returns 0 with the
 * answer, the transport's code (SKYCRATE_ECONNECT, SKYCRATE_ETIMEOUT, SKYCRATE_ETLS, ...) with
 * its message, SKYCRATE_EHTTP for an answer over SKYCRATE__CREDS_MAX_BODY, or SKYCRATE_ENOMEM.
 * Dispose `out` in every case.
 */
int skycrate__creds_http_fetch(skycrate__creds_reply *out, skycrate__creds_http *http,
                               const skycrate__creds_fetch *fetch);
void skycrate__creds_reply_dispose(skycrate__creds_reply *reply);

/* The parts of an http:// or https:// URL. */
typedef struct skycrate__url_parts {
    bool https;
    const char *host; /* points into the URL: host_length bytes, brackets of IPv6 kept */
    size_t host_length;
    int port;         /* -1: none given */
    const char *path; /* points into the URL: "/..." up to '?' or '#', or "" */
    size_t path_length;
} skycrate__url_parts;

/* Splits a URL. Returns 0 or SKYCRATE_EINVAL (no message: the caller says whose URL it is). */
int skycrate__url_split(skycrate__url_parts *out, const char *url);
/* True for 127.0.0.0/8, ::1 and "localhost" (host as in skycrate__url_parts). */
bool skycrate__host_is_loopback(const char *host, size_t length);

/* The one rule for plain http (an S3 endpoint, an STS endpoint): to a loopback host always,
 * since the bytes stay on this machine; elsewhere only when `allowed`, the caller's explicit
 * choice. */
bool skycrate__plain_http_allowed(const char *host, size_t length, bool allowed);

/*
 * Reads a small secret file whole (a web identity or authorization token) and trims trailing
 * white space. `what` names it in messages ("web identity token file"). Returns 0,
 * SKYCRATE_EIO (missing, unreadable, larger than SKYCRATE__CREDS_MAX_BODY, empty) or
 * SKYCRATE_ENOMEM. Free the result with skycrate__free_secret().
 */
int skycrate__read_token_file(char **out, const char *path, const char *what);

#endif
