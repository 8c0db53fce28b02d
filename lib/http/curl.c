/*
 * The default transport, on libcurl. Each lane keeps one easy handle, reused from request to
 * request, so that its connection (TCP and TLS) stays alive between them. With several lanes,
 * perform() may run on several threads at once: each call takes a free lane under a mutex and
 * releases it after the transfer; the mutex is never held during a transfer.
 * A request with a gate (http.h) connects on its lane and waits at the gate in libcurl's
 * pre-request callback, so that its connection is open by the time the gate opens.
 * TLS peer and host verification are always on; there is no option to turn them off.
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "http/http.h"
#include "errors.h"

typedef struct lane {
    CURL *easy; /* created on first use, then reused (keep-alive) */
    bool busy;
} lane;

typedef struct curl_transport {
    pthread_mutex_t lock;
    pthread_cond_t lane_free;
    unsigned int lane_count;
    lane *lanes;
    char *ca_file;
    char *ca_path;
    char *user_agent;
} curl_transport;

/* The state of one transfer, shared with libcurl's callbacks. */
typedef struct transfer {
    skycrate_http_request *req;
    skycrate_http_response *resp;
    int callback_rc; /* the first failure of one of our callbacks: the code to return */
    char errbuf[CURL_ERROR_SIZE];
} transfer;

static void set_code(transfer *t, int rc)
{
    if (t->callback_rc == 0)
        t->callback_rc = rc;
}

/* ---- libcurl callbacks ------------------------------------------------------------------- */

static size_t on_read(char *buffer, size_t size, size_t nitems, void *userdata)
{
    transfer *t = userdata;
    size_t n = 0;
    int rc = skycrate_http_request_body_read(&n, t->req, buffer, size * nitems);
    if (rc < 0) {
        set_code(t, rc);
        return CURL_READFUNC_ABORT;
    }
    return n;
}

static int on_seek(void *userdata, curl_off_t offset, int origin)
{
    transfer *t = userdata;
    skycrate_http_request *req = t->req;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > req->body_length)
        return CURL_SEEKFUNC_CANTSEEK;
    if (offset == 0)
        return skycrate_http_request_body_rewind(req) == 0 ? CURL_SEEKFUNC_OK
                                                           : CURL_SEEKFUNC_CANTSEEK;
    if (req->body_kind != SKYCRATE__BODY_MEMORY && req->body_kind != SKYCRATE__BODY_FILE)
        return CURL_SEEKFUNC_CANTSEEK;
    req->body_position = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* "HTTP/1.1 200 OK" or "HTTP/2 200": the status, or 0 when the line is not a status line. */
static int parse_status_line(const char *line, size_t len)
{
    if (len < 5 || memcmp(line, "HTTP/", 5) != 0)
        return 0;
    size_t i = 5;
    while (i < len && line[i] != ' ')
        i++;
    while (i < len && line[i] == ' ')
        i++;
    int status = 0, digits = 0;
    while (i < len && line[i] >= '0' && line[i] <= '9' && digits < 3) {
        status = status * 10 + (line[i] - '0');
        i++;
        digits++;
    }
    return digits == 3 ? status : -1;
}

static size_t on_header(char *buffer, size_t size, size_t nitems, void *userdata)
{
    transfer *t = userdata;
    size_t len = size * nitems;
    int status = parse_status_line(buffer, len);
    int rc = 0;
    if (status < 0) {
        rc = skycrate__error_set(SKYCRATE_EHTTP, "malformed HTTP status line");
    } else if (status > 0) {
        rc = skycrate_http_response_set_status(t->resp, status);
    } else {
        const char *colon = memchr(buffer, ':', len);
        /* The blank line ending a block, and obsolete folded lines, carry no header. */
        if (colon && buffer[0] != ' ' && buffer[0] != '\t')
            rc = skycrate_http_response_add_header(t->resp, buffer, (size_t)(colon - buffer),
                                                   colon + 1, len - (size_t)(colon - buffer) - 1);
    }
    if (rc < 0) {
        set_code(t, rc);
        return 0; /* anything but len aborts the transfer */
    }
    return len;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    transfer *t = userdata;
    size_t len = size * nmemb;
    int rc = skycrate_http_response_write_body(t->resp, ptr, len);
    if (rc < 0) {
        set_code(t, rc);
        return 0; /* curl never passes 0 bytes: anything but len aborts */
    }
    return len;
}

/* Called once the connection is ready (TCP, TLS), just before the request is sent. */
#if LIBCURL_VERSION_NUM >= 0x075000
static int on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    transfer *t = clientp;
    if (skycrate__http_gate_wait(t->req->gate))
        return CURL_PREREQFUNC_OK;
    set_code(t, skycrate__http_gate_refused(t->req));
    return CURL_PREREQFUNC_ABORT;
}
#endif

/* ---- errors -------------------------------------------------------------------------------- */

/* Copies `s` into out, cutting every query string ("?..." up to a blank) out of it. */
static void without_queries(char *out, size_t size, const char *s)
{
    size_t o = 0;
    while (*s && o + 1 < size) {
        if (*s == '?') {
            while (*s && *s != ' ' && *s != '\t' && *s != '"' && *s != '\'')
                s++;
            continue;
        }
        out[o++] = *s++;
    }
    out[o] = '\0';
}

/* A failed transfer as a library error (the code from lib/errors.c) naming the request. */
static int map_curl_error(CURLcode code, const transfer *t)
{
    bool from_callback =
        code == CURLE_ABORTED_BY_CALLBACK || code == CURLE_READ_ERROR || code == CURLE_WRITE_ERROR;
    if (from_callback && t->callback_rc < 0)
        return t->callback_rc; /* the callback's code and message */
    int mapped = skycrate__error_code_from_curl(code);
    if (mapped == SKYCRATE_ENOMEM)
        return skycrate__error_nomem();
    char detail[CURL_ERROR_SIZE];
    without_queries(detail, sizeof(detail), t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
    char url[512];
    const char *u = t->req->url;
    snprintf(url, sizeof(url), "%.*s", (int)strcspn(u, "?#"), u);
    return skycrate__error_set(mapped, "%s %s: %s (curl error %d)", t->req->method, url, detail,
                               (int)code);
}

/* ---- one transfer -------------------------------------------------------------------------- */

static bool has_header(const skycrate_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return true;
    return false;
}

/* Appends one line as curl takes it: "Name: value", "Name;" (sent as an empty header) or
 * "Name:" (removes a header curl would add on its own). */
static int append_line(struct curl_slist **list, skycrate__buf *line, const char *name,
                       const char *value, char mark)
{
    skycrate__buf_clear(line);
    int rc = value && value[0] ? skycrate__buf_printf(line, "%s: %s", name, value)
                               : skycrate__buf_printf(line, "%s%c", name, mark);
    if (rc < 0)
        return rc;
    struct curl_slist *grown = curl_slist_append(*list, line->ptr);
    if (!grown)
        return skycrate__error_nomem();
    *list = grown;
    return 0;
}

static int build_headers(struct curl_slist **out, const skycrate_http_request *req, bool is_post)
{
    /* Names and values were checked by skycrate__http_perform(), for every transport. */
    skycrate__buf line = SKYCRATE_BUF_INIT;
    struct curl_slist *list = NULL;
    int error = 0;
    for (size_t i = 0; i < req->header_count && error == 0; i++)
        error = append_line(&list, &line, req->headers[i].name, req->headers[i].value, ';');
    if (error == 0) /* no 100-continue wait before the body */
        error = append_line(&list, &line, "Expect", NULL, ':');
    if (error == 0 && is_post && !has_header(req, "Content-Type")) /* no form type */
        error = append_line(&list, &line, "Content-Type", NULL, ':');
    skycrate__buf_dispose(&line);
    if (error < 0) {
        curl_slist_free_all(list);
        return error;
    }
    *out = list;
    return 0;
}

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (code == CURLE_OK)                                                                      \
            code = curl_easy_setopt(easy, opt, val);                                               \
    } while (0)

static CURLcode configure(CURL *easy, const curl_transport *ct, transfer *t,
                          struct curl_slist *headers)
{
    skycrate_http_request *req = t->req;
    CURLcode code = CURLE_OK;
    uint64_t length = skycrate_http_request_body_length(req);
    bool has_body = req->body_kind != SKYCRATE__BODY_NONE;

    SETOPT(CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(CURLOPT_PATH_AS_IS, 1L);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    if (ct->ca_file)
        SETOPT(CURLOPT_CAINFO, ct->ca_file);
    if (ct->ca_path)
        SETOPT(CURLOPT_CAPATH, ct->ca_path);
    if (ct->user_agent)
        SETOPT(CURLOPT_USERAGENT, ct->user_agent);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    SETOPT(CURLOPT_ERRORBUFFER, t->errbuf);
    SETOPT(CURLOPT_HTTPHEADER, headers);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, t);
    SETOPT(CURLOPT_WRITEFUNCTION, on_write);
    SETOPT(CURLOPT_WRITEDATA, t);
#if LIBCURL_VERSION_NUM >= 0x075000
    if (req->gate) {
        SETOPT(CURLOPT_PREREQFUNCTION, on_prereq);
        SETOPT(CURLOPT_PREREQDATA, t);
    }
#endif

    const char *method = req->method;
    if (strcmp(method, "HEAD") == 0) {
        SETOPT(CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") == 0) {
        SETOPT(CURLOPT_POST, 1L);
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    } else if (has_body || strcmp(method, "PUT") == 0) {
        /* An upload: Content-Length from the body, the method name as given. */
        SETOPT(CURLOPT_UPLOAD, 1L);
        SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
        if (strcmp(method, "PUT") != 0)
            SETOPT(CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") == 0) {
        SETOPT(CURLOPT_HTTPGET, 1L);
    } else {
        SETOPT(CURLOPT_CUSTOMREQUEST, method);
    }
    if (strcmp(method, "POST") == 0 || has_body || strcmp(method, "PUT") == 0) {
        SETOPT(CURLOPT_READFUNCTION, on_read);
        SETOPT(CURLOPT_READDATA, t);
        SETOPT(CURLOPT_SEEKFUNCTION, on_seek);
        SETOPT(CURLOPT_SEEKDATA, t);
    }
    return code;
}

static lane *take_lane(curl_transport *ct)
{
    pthread_mutex_lock(&ct->lock);
    lane *chosen = NULL;
    for (;;) {
        /* Prefer a lane with a live handle: it may hold an open connection. */
        for (unsigned int i = 0; i < ct->lane_count; i++) {
            lane *l = &ct->lanes[i];
            if (l->busy)
                continue;
            if (l->easy) {
                chosen = l;
                break;
            }
            if (!chosen)
                chosen = l;
        }
        if (chosen)
            break;
        pthread_cond_wait(&ct->lane_free, &ct->lock);
    }
    chosen->busy = true;
    pthread_mutex_unlock(&ct->lock);
    return chosen;
}

static void release_lane(curl_transport *ct, lane *l)
{
    pthread_mutex_lock(&ct->lock);
    l->busy = false;
    pthread_cond_signal(&ct->lane_free);
    pthread_mutex_unlock(&ct->lock);
}

static int curl_perform(skycrate_http_request *req, skycrate_http_response *resp, uint32_t flags,
                        void *user_data)
{
    (void)flags;
    curl_transport *ct = user_data;
    transfer t = {req, resp, 0, {0}};
    struct curl_slist *headers = NULL;
    int error = 0;

    if (req->gate && skycrate__http_gate_cancelled(req->gate))
        return skycrate__http_gate_refused(req); /* no connection for a request never due */
    lane *l = take_lane(ct);
    if (!l->easy) {
        l->easy = curl_easy_init();
        if (!l->easy) {
            error = skycrate__error_set(SKYCRATE_ENOMEM, "could not create a libcurl handle");
            goto done;
        }
    }
    error = build_headers(&headers, req, strcmp(req->method, "POST") == 0);
    if (error < 0)
        goto done;

    CURLcode code = configure(l->easy, ct, &t, headers);
    if (code != CURLE_OK) {
        error = map_curl_error(code, &t);
        goto done;
    }
    code = curl_easy_perform(l->easy);
    if (code != CURLE_OK)
        error = map_curl_error(code, &t);
    else if (t.callback_rc < 0)
        error = t.callback_rc;

done:
    /* Back to defaults (dropping pointers into this call), keeping the live connection. */
    if (l->easy)
        curl_easy_reset(l->easy);
    curl_slist_free_all(headers);
    release_lane(ct, l);
    return error;
}

static void curl_transport_free(void *user_data)
{
    curl_transport *ct = user_data;
    if (!ct)
        return;
    for (unsigned int i = 0; ct->lanes && i < ct->lane_count; i++)
        if (ct->lanes[i].easy)
            curl_easy_cleanup(ct->lanes[i].easy);
    skycrate__free(ct->lanes);
    skycrate__free(ct->ca_file);
    skycrate__free(ct->ca_path);
    skycrate__free(ct->user_agent);
    pthread_cond_destroy(&ct->lane_free);
    pthread_mutex_destroy(&ct->lock);
    skycrate__free(ct);
}

int skycrate__curl_transport_new(skycrate_http_transport **out,
                                 const skycrate__curl_options *options)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(options);
    unsigned int lanes = options->lanes ? options->lanes : 1;
    int error = 0;

    curl_transport *ct = skycrate__calloc(1, sizeof(*ct));
    if (!ct)
        return skycrate__error_nomem();
    if (pthread_mutex_init(&ct->lock, NULL) != 0) {
        skycrate__free(ct);
        return skycrate__error_set(SKYCRATE_ERROR, "could not create the transport's mutex");
    }
    if (pthread_cond_init(&ct->lane_free, NULL) != 0) {
        pthread_mutex_destroy(&ct->lock);
        skycrate__free(ct);
        return skycrate__error_set(SKYCRATE_ERROR, "could not create the transport's condvar");
    }
    ct->lanes = skycrate__calloc(lanes, sizeof(*ct->lanes));
    if (!ct->lanes) {
        error = skycrate__error_nomem();
        goto done;
    }
    ct->lane_count = lanes;
    if ((error = skycrate__set_string(&ct->ca_file, options->ca_file)) < 0 ||
        (error = skycrate__set_string(&ct->ca_path, options->ca_path)) < 0 ||
        (error = skycrate__set_string(&ct->user_agent, options->user_agent)) < 0)
        goto done;

    skycrate_http_transport_callbacks cb;
    skycrate_http_transport_callbacks_init(
        &cb,
        SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION); /* zero padding too: the table is copied byte for byte */
    cb.perform = curl_perform;
    cb.free = curl_transport_free;
    cb.user_data = ct;
    cb.max_concurrency = lanes;
    /* With libcurl 7.80's pre-request callback a request connects, then waits at its gate. */
    error = skycrate__http_transport_make(out, &cb, LIBCURL_VERSION_NUM >= 0x075000);

done:
    if (error < 0)
        curl_transport_free(ct);
    return error;
}
