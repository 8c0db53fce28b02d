/*
 * HTTP for the network credential providers: a shared transport over lib/http, answers read
 * into one fixed buffer that is wiped when released, URL checks, and token files.
 * SPDX-License-Identifier: MIT
 */
#include "creds/net.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "creds/creds.h"
#include "core/time.h"

struct skycrate__creds_http {
    atomic_int refcount;
    pthread_mutex_t lock;               /* guards the lazy creation of the libcurl transport */
    skycrate_http_transport *transport; /* NULL: the libcurl transport, made on first use */
    char *ca_file, *ca_path, *user_agent;
    bool allow_http; /* set before the context is shared */
};

static void http_free(skycrate__creds_http *h)
{
    skycrate_http_transport_unref(h->transport);
    skycrate__free(h->ca_file);
    skycrate__free(h->ca_path);
    skycrate__free(h->user_agent);
    pthread_mutex_destroy(&h->lock);
    skycrate__free(h);
}

int skycrate__creds_http_new(skycrate__creds_http **out, skycrate_http_transport *transport,
                             const skycrate__curl_options *curl)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    skycrate__creds_http *h = skycrate__calloc(1, sizeof(*h));
    if (!h)
        return skycrate__error_nomem();
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        skycrate__free(h);
        return skycrate__error_set(SKYCRATE_ERROR, "could not create a mutex");
    }
    atomic_init(&h->refcount, 1);
    int error = 0;
    if (transport) {
        h->transport = skycrate_http_transport_ref(transport);
    } else if (curl && ((error = skycrate__set_string(&h->ca_file, curl->ca_file)) < 0 ||
                        (error = skycrate__set_string(&h->ca_path, curl->ca_path)) < 0 ||
                        (error = skycrate__set_string(&h->user_agent, curl->user_agent)) < 0)) {
        http_free(h);
        return error;
    }
    *out = h;
    return 0;
}

skycrate__creds_http *skycrate__creds_http_ref(skycrate__creds_http *http)
{
    if (http)
        atomic_fetch_add_explicit(&http->refcount, 1, memory_order_relaxed);
    return http;
}

void skycrate__creds_http_unref(skycrate__creds_http *http)
{
    if (http && atomic_fetch_sub_explicit(&http->refcount, 1, memory_order_acq_rel) == 1)
        http_free(http);
}

static void http_release(void *user_data)
{
    skycrate__creds_http_unref(user_data);
}

int skycrate__creds_http_provider_new(skycrate_credentials_provider **out,
                                      skycrate__creds_http *http, skycrate_credentials_get_fn get,
                                      const char *name)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(http);
    int error = skycrate__credentials_provider_wrap(out, get, http_release,
                                                    skycrate__creds_http_ref(http), name);
    if (error < 0)
        skycrate__creds_http_unref(http);
    return error;
}

/* The transport, made on first use; creating it never runs a transfer, so the lock is short. */
static int transport_of(const skycrate_http_transport **out, skycrate__creds_http *h)
{
    pthread_mutex_lock(&h->lock);
    int error = 0;
    if (!h->transport) {
        skycrate__curl_options opts = {h->ca_file, h->ca_path, h->user_agent, 2};
        error = skycrate__curl_transport_new(&h->transport, &opts);
    }
    *out = h->transport;
    pthread_mutex_unlock(&h->lock);
    return error;
}

/* --- one fetch ----------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} fixed_sink;

static int sink_write(const void *data, size_t length, void *user_data)
{
    fixed_sink *s = user_data;
    if (length > s->cap - s->len)
        return skycrate__error_set(SKYCRATE_EHTTP, "the answer is longer than %zu bytes", s->cap);
    memcpy(s->data + s->len, data, length);
    s->len += length;
    return 0;
}

void skycrate__creds_reply_dispose(skycrate__creds_reply *reply)
{
    if (!reply)
        return;
    if (reply->body) {
        skycrate__wipe(reply->body, SKYCRATE__CREDS_MAX_BODY + 1);
        skycrate__free(reply->body);
    }
    skycrate__free(reply->content_type);
    memset(reply, 0, sizeof(*reply));
}

static bool retryable(int rc, int status)
{
    if (rc < 0)
        return rc == SKYCRATE_ECONNECT || rc == SKYCRATE_ETIMEOUT;
    return status >= 500;
}

int skycrate__creds_http_fetch(skycrate__creds_reply *out, skycrate__creds_http *http,
                               const skycrate__creds_fetch *fetch)
{
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    SKYCRATE_ASSERT_ARG(http);
    SKYCRATE_ASSERT_ARG(fetch && fetch->method && fetch->url);
    const skycrate_http_transport *transport = NULL;
    int error = transport_of(&transport, http);
    if (error < 0)
        return error;
    /* One buffer of fixed size: a growing buffer would leave copies of secrets behind. */
    if (!(out->body = skycrate__malloc(SKYCRATE__CREDS_MAX_BODY + 1)))
        return skycrate__error_nomem();

    struct skycrate_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = fetch->method;
    req.url = fetch->url;
    req.headers = fetch->headers;
    req.header_count = fetch->header_count;
    if (fetch->body) {
        req.body_kind = SKYCRATE__BODY_MEMORY;
        req.body_data = fetch->body;
        req.body_length = fetch->body_length;
    }
    req.connect_timeout_ms = fetch->connect_timeout_ms;
    req.timeout_ms = fetch->timeout_ms;

    struct skycrate_http_response resp;
    skycrate__http_response_init(&resp);
    fixed_sink sink = {out->body, 0, SKYCRATE__CREDS_MAX_BODY};
    resp.sink = sink_write;
    resp.sink_user_data = &sink;
    resp.max_buffered = SKYCRATE__CREDS_MAX_BODY;
    unsigned attempts = fetch->attempts ? fetch->attempts : 1;
    for (unsigned attempt = 1;; attempt++) {
        sink.len = 0;
        error = skycrate__http_perform(transport, &req, &resp);
        if (attempt >= attempts || !retryable(error, resp.status))
            break;
        skycrate__sleep_ms(skycrate__retry_backoff_ms(attempt, 50, 1000));
    }
    if (error < 0)
        goto done;
    out->status = resp.status;
    if (resp.status < 200 || resp.status >= 300) {
        /* An error answer went to resp.body (it carries no secret); copy it. */
        size_t n = resp.body.len < SKYCRATE__CREDS_MAX_BODY ? resp.body.len : 0;
        if (n)
            memcpy(out->body, resp.body.ptr, n);
        sink.len = n;
    }
    out->length = sink.len;
    out->body[out->length] = '\0';
    const char *ct = skycrate__http_response_header(&resp, "Content-Type");
    if (ct && !(out->content_type = skycrate__strdup(ct)))
        error = skycrate__error_nomem();
done:
    skycrate__buf_dispose_secret(&resp.body);
    skycrate__http_response_dispose(&resp);
    return error;
}

/* --- URLs ---------------------------------------------------------------------------------- */

int skycrate__url_split(skycrate__url_parts *out, const char *url)
{
    memset(out, 0, sizeof(*out));
    out->port = -1;
    const char *p;
    if (strncasecmp(url, "https://", 8) == 0) {
        out->https = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else {
        return SKYCRATE_EINVAL;
    }
    /* Printable ASCII only: a name in another script is written in punycode. */
    for (const unsigned char *c = (const unsigned char *)url; *c; c++)
        if (*c <= ' ' || *c >= 0x7f)
            return SKYCRATE_EINVAL;
    size_t authority = strcspn(p, "/?#");
    if (memchr(p, '@', authority)) /* no user:password@ */
        return SKYCRATE_EINVAL;
    const char *host = p, *end = p + authority;
    const char *colon = NULL;
    if (*host == '[') {
        const char *close = memchr(host, ']', authority);
        if (!close)
            return SKYCRATE_EINVAL;
        out->host_length = (size_t)(close - host) + 1;
        if (close + 1 < end) {
            if (close[1] != ':')
                return SKYCRATE_EINVAL;
            colon = close + 1;
        }
    } else {
        colon = memchr(host, ':', authority);
        out->host_length = colon ? (size_t)(colon - host) : authority;
    }
    if (out->host_length == 0)
        return SKYCRATE_EINVAL;
    out->host = host;
    if (colon) {
        const char *d = colon + 1;
        if (d == end || end - d > 5)
            return SKYCRATE_EINVAL;
        int port = 0;
        for (; d < end; d++) {
            if (*d < '0' || *d > '9')
                return SKYCRATE_EINVAL;
            port = port * 10 + (*d - '0');
        }
        if (port < 1 || port > 65535)
            return SKYCRATE_EINVAL;
        out->port = port;
    }
    out->path = end;
    out->path_length = strcspn(end, "?#");
    if (out->path_length && end[0] != '/')
        return SKYCRATE_EINVAL;
    return 0;
}

void skycrate__creds_http_set_allow_http(skycrate__creds_http *http, bool allow)
{
    http->allow_http = allow;
}

bool skycrate__creds_http_allows_http(const skycrate__creds_http *http)
{
    return http->allow_http;
}

bool skycrate__plain_http_allowed(const char *host, size_t length, bool allowed)
{
    return allowed || skycrate__host_is_loopback(host, length);
}

bool skycrate__host_is_loopback(const char *host, size_t length)
{
    if ((length == 9 && strncasecmp(host, "localhost", 9) == 0) ||
        (length == 5 && memcmp(host, "[::1]", 5) == 0))
        return true;
    /* 127.x.y.z, as four decimal numbers */
    if (length < 7 || length > 15 || strncmp(host, "127.", 4) != 0)
        return false;
    int parts = 2, digits = 0, value = 0; /* "127." was the first */
    for (size_t i = 4; i < length; i++) {
        char c = host[i];
        if (c == '.') {
            if (digits == 0)
                return false;
            parts++;
            digits = value = 0;
        } else if (c >= '0' && c <= '9' && digits < 3) {
            value = value * 10 + (c - '0');
            digits++;
            if (value > 255)
                return false;
        } else {
            return false;
        }
    }
    return parts == 4 && digits > 0;
}

/* --- token files --------------------------------------------------------------------------- */

int skycrate__read_token_file(char **out, const char *path, const char *what)
{
    *out = NULL;
    char errbuf[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return skycrate__error_set(SKYCRATE_EIO, "the %s %s cannot be read: %s", what, path,
                                   strerror_r(errno, errbuf, sizeof(errbuf)));
    int error = 0;
    size_t len = 0;
    char *data = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        error = skycrate__error_set(SKYCRATE_EIO, "the %s %s is not a regular file", what, path);
        goto done;
    }
    if (!(data = skycrate__malloc(SKYCRATE__CREDS_MAX_BODY + 1))) {
        error = skycrate__error_nomem();
        goto done;
    }
    for (;;) {
        ssize_t n = read(fd, data + len, SKYCRATE__CREDS_MAX_BODY + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = skycrate__error_set(SKYCRATE_EIO, "the %s %s cannot be read: %s", what, path,
                                        strerror_r(errno, errbuf, sizeof(errbuf)));
            goto done;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > SKYCRATE__CREDS_MAX_BODY) {
            error = skycrate__error_set(SKYCRATE_EIO, "the %s %s is larger than %d bytes", what,
                                        path, SKYCRATE__CREDS_MAX_BODY);
            goto done;
        }
    }
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' ' ||
                       data[len - 1] == '\t'))
        len--;
    data[len] = '\0';
    if (len == 0) {
        error = skycrate__error_set(SKYCRATE_EIO, "the %s %s is empty", what, path);
        goto done;
    }
    if (!(*out = skycrate__strndup(data, len)))
        error = skycrate__error_nomem();
done:
    if (data) {
        skycrate__wipe(data, SKYCRATE__CREDS_MAX_BODY + 1);
        skycrate__free(data);
    }
    close(fd);
    return error;
}
