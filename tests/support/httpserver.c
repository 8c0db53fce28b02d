/*
 * The scripted loopback HTTP/1.1 server (see httpserver.h).
 */
#include "httpserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct bytes {
    char *ptr;
    size_t len, cap;
} bytes;

struct hs_response {
    int status;
    bytes headers; /* "Name: value\r\n" lines */
    bytes body;
    bytes interim; /* complete interim answers, sent first */
    bytes raw;
    bool has_raw;
    bool close;
    unsigned int delay_ms;
};

typedef struct scripted {
    int status;
    char *headers;
    unsigned char *body;
    size_t length;
    struct scripted *next;
} scripted;

typedef struct conn {
    httpserver *server;
    int fd;
    unsigned int index;
    pthread_t thread;
    struct conn *next;
} conn;

struct httpserver {
    int listen_fd;
    int stop_pipe[2]; /* readable once the server stops */
    int port;
    char url[64];
    hs_handler handler;
    void *user_data;
    pthread_t accept_thread;
    pthread_mutex_t lock;
    conn *conns;
    unsigned int connections;
    unsigned int in_flight, peak;
    hs_request **requests;
    size_t request_count, request_cap;
    scripted *head, *tail;
};

static void die(const char *what)
{
    fprintf(stderr, "httpserver: %s: %s\n", what, strerror(errno));
    abort();
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void put(bytes *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        b->ptr = realloc(b->ptr, cap);
        if (!b->ptr)
            die("out of memory");
        b->cap = cap;
    }
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

static void puts_(bytes *b, const char *s)
{
    put(b, s, strlen(s));
}

/* ---- building answers ---------------------------------------------------------------------- */

void hs_response_status(hs_response *resp, int status)
{
    resp->status = status;
}

void hs_response_header(hs_response *resp, const char *name, const char *value)
{
    puts_(&resp->headers, name);
    puts_(&resp->headers, ": ");
    puts_(&resp->headers, value);
    puts_(&resp->headers, "\r\n");
}

/* Appends header lines normalised to "\r\n" endings. */
static void put_lines(bytes *b, const char *lines)
{
    const char *p = lines;
    while (p && *p) {
        size_t n = strcspn(p, "\n");
        size_t line = n && p[n - 1] == '\r' ? n - 1 : n;
        if (line) {
            put(b, p, line);
            puts_(b, "\r\n");
        }
        p += n;
        if (*p == '\n')
            p++;
    }
}

void hs_response_headers(hs_response *resp, const char *lines)
{
    put_lines(&resp->headers, lines);
}

void hs_response_body(hs_response *resp, const void *data, size_t length)
{
    resp->body.len = 0;
    put(&resp->body, data, length);
}

void hs_response_body_str(hs_response *resp, const char *body)
{
    hs_response_body(resp, body, strlen(body));
}

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

void hs_response_interim(hs_response *resp, int status, const char *lines)
{
    char line[64];
    snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, reason(status));
    puts_(&resp->interim, line);
    put_lines(&resp->interim, lines);
    puts_(&resp->interim, "\r\n");
}

void hs_response_delay_ms(hs_response *resp, unsigned int ms)
{
    resp->delay_ms = ms;
}

void hs_response_close(hs_response *resp)
{
    resp->close = true;
}

void hs_response_raw(hs_response *resp, const void *data, size_t length)
{
    resp->raw.len = 0;
    put(&resp->raw, data, length);
    resp->has_raw = true;
    resp->close = true;
}

/* ---- scripted mode ------------------------------------------------------------------------- */

void hs_push(httpserver *s, int status, const char *headers, const void *body, size_t length)
{
    scripted *x = xmalloc(sizeof(*x));
    memset(x, 0, sizeof(*x));
    x->status = status;
    x->headers = headers ? xstrndup(headers, strlen(headers)) : NULL;
    x->body = xmalloc(length);
    if (length)
        memcpy(x->body, body, length);
    x->length = length;
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = x;
    else
        s->head = x;
    s->tail = x;
    pthread_mutex_unlock(&s->lock);
}

void hs_push_str(httpserver *s, int status, const char *headers, const char *body)
{
    hs_push(s, status, headers, body, body ? strlen(body) : 0);
}

static void scripted_answer(httpserver *s, hs_response *resp)
{
    pthread_mutex_lock(&s->lock);
    scripted *x = s->head;
    if (x) {
        s->head = x->next;
        if (!s->head)
            s->tail = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (!x) {
        hs_response_status(resp, 500);
        hs_response_body_str(resp, "no scripted response");
        return;
    }
    hs_response_status(resp, x->status);
    hs_response_headers(resp, x->headers);
    hs_response_body(resp, x->body, x->length);
    free(x->headers);
    free(x->body);
    free(x);
}

/* ---- accessors ----------------------------------------------------------------------------- */

int hs_port(const httpserver *s)
{
    return s->port;
}

const char *hs_url(const httpserver *s)
{
    return s->url;
}

unsigned int hs_connections(httpserver *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned int n = s->connections;
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned int hs_peak_concurrency(httpserver *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned int n = s->peak;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t hs_request_count(httpserver *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->request_count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const hs_request *hs_request_at(httpserver *s, size_t i)
{
    pthread_mutex_lock(&s->lock);
    const hs_request *r = i < s->request_count ? s->requests[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

const char *hs_request_header(const hs_request *r, const char *name)
{
    for (size_t i = 0; r && i < r->header_count; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

/* ---- connections --------------------------------------------------------------------------- */

/* Waits until fd is readable; false when the server stops first or the timeout expires. */
static bool wait_readable(httpserver *s, int fd, int timeout_ms)
{
    struct pollfd p[2] = {{fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    for (;;) {
        int n = poll(p, 2, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (p[1].revents & POLLIN))
            return false;
        return true;
    }
}

/* Sleeps for ms milliseconds; true when the server stops meanwhile. */
static bool sleep_or_stop(httpserver *s, unsigned int ms)
{
    struct pollfd p = {s->stop_pipe[0], POLLIN, 0};
    int n;
    do {
        n = poll(&p, 1, (int)ms);
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

static bool send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads more bytes into b; false on EOF, error or stop. */
static bool read_more(httpserver *s, int fd, bytes *b)
{
    if (!wait_readable(s, fd, -1))
        return false;
    char tmp[65536];
    ssize_t n;
    do {
        n = recv(fd, tmp, sizeof(tmp), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    put(b, tmp, (size_t)n);
    return true;
}

static void free_request(hs_request *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->target);
    free(r->version);
    for (size_t i = 0; i < r->header_count; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->body);
    free(r);
}

/* Parses the head (request line and headers, `len` bytes without the blank line). */
static hs_request *parse_head(const char *head, size_t len)
{
    hs_request *r = xmalloc(sizeof(*r));
    memset(r, 0, sizeof(*r));
    const char *end = head + len;
    const char *eol = memmem(head, len, "\r\n", 2);
    if (!eol)
        eol = end;
    const char *sp1 = memchr(head, ' ', (size_t)(eol - head));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2) {
        free(r);
        return NULL;
    }
    r->method = xstrndup(head, (size_t)(sp1 - head));
    r->target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    r->version = xstrndup(sp2 + 1, (size_t)(eol - sp2 - 1));
    size_t cap = 0;
    for (const char *p = eol + 2; p < end;) {
        const char *e = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!e)
            e = end;
        const char *colon = memchr(p, ':', (size_t)(e - p));
        if (colon) {
            if (r->header_count == cap) {
                cap = cap ? cap * 2 : 16;
                r->names = realloc(r->names, cap * sizeof(char *));
                r->values = realloc(r->values, cap * sizeof(char *));
                if (!r->names || !r->values)
                    die("out of memory");
            }
            const char *v = colon + 1, *ve = e;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            r->names[r->header_count] = xstrndup(p, (size_t)(colon - p));
            r->values[r->header_count] = xstrndup(v, (size_t)(ve - v));
            r->header_count++;
        }
        p = e + 2;
    }
    return r;
}

static void record(httpserver *s, hs_request *r)
{
    pthread_mutex_lock(&s->lock);
    if (s->request_count == s->request_cap) {
        s->request_cap = s->request_cap ? s->request_cap * 2 : 16;
        s->requests = realloc(s->requests, s->request_cap * sizeof(*s->requests));
        if (!s->requests)
            die("out of memory");
    }
    s->requests[s->request_count++] = r;
    pthread_mutex_unlock(&s->lock);
}

static void free_response(hs_response *resp)
{
    free(resp->headers.ptr);
    free(resp->body.ptr);
    free(resp->interim.ptr);
    free(resp->raw.ptr);
}

static bool has_token(const char *value, const char *token)
{
    return value && strcasestr(value, token) != NULL;
}

/* Sends the answer; false when the connection must close. */
static bool answer(httpserver *s, int fd, const hs_request *req, hs_response *resp)
{
    if (resp->delay_ms && sleep_or_stop(s, resp->delay_ms))
        return false; /* stopping */
    if (resp->interim.len && !send_all(fd, resp->interim.ptr, resp->interim.len))
        return false;
    if (resp->has_raw) {
        send_all(fd, resp->raw.ptr, resp->raw.len);
        return false;
    }
    bool close_after = resp->close || has_token(hs_request_header(req, "Connection"), "close");
    bytes out = {0};
    char line[128];
    snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", resp->status, reason(resp->status));
    puts_(&out, line);
    if (resp->headers.len)
        put(&out, resp->headers.ptr, resp->headers.len);
    if (!resp->headers.ptr || !strcasestr(resp->headers.ptr, "content-length:")) {
        snprintf(line, sizeof(line), "Content-Length: %zu\r\n", resp->body.len);
        puts_(&out, line);
    }
    if (close_after)
        puts_(&out, "Connection: close\r\n");
    puts_(&out, "\r\n");
    bool ok = send_all(fd, out.ptr, out.len);
    free(out.ptr);
    if (ok && strcmp(req->method, "HEAD") != 0 && resp->body.len)
        ok = send_all(fd, resp->body.ptr, resp->body.len);
    return ok && !close_after;
}

/* Serves one request from `in` (which may already hold bytes); false to close. */
static bool serve_one(conn *c, bytes *in)
{
    httpserver *s = c->server;
    char *end;
    while (!(in->ptr && (end = memmem(in->ptr, in->len, "\r\n\r\n", 4)))) {
        if (!read_more(s, c->fd, in))
            return false;
        if (in->ptr[0] < 'A' || in->ptr[0] > 'Z') { /* not HTTP (a TLS hello, say) */
            static const char junk[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                                       "Connection: close\r\n\r\n";
            send_all(c->fd, junk, sizeof(junk) - 1);
            return false;
        }
    }
    size_t head_len = (size_t)(end - in->ptr);
    hs_request *r = parse_head(in->ptr, head_len);
    if (!r) {
        static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n";
        send_all(c->fd, bad, sizeof(bad) - 1);
        return false;
    }
    r->connection = c->index;
    size_t consumed = head_len + 4;
    if (has_token(hs_request_header(r, "Transfer-Encoding"), "chunked")) {
        static const char chunked[] = "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n"
                                      "Connection: close\r\n\r\n";
        send_all(c->fd, chunked, sizeof(chunked) - 1);
        record(s, r);
        return false;
    }
    const char *cl = hs_request_header(r, "Content-Length");
    size_t length = cl ? (size_t)strtoull(cl, NULL, 10) : 0;
    if (has_token(hs_request_header(r, "Expect"), "100-continue")) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!send_all(c->fd, cont, sizeof(cont) - 1)) {
            free_request(r);
            return false;
        }
    }
    while (in->len - consumed < length)
        if (!read_more(s, c->fd, in)) {
            free_request(r);
            return false;
        }
    r->body = xmalloc(length + 1);
    memcpy(r->body, in->ptr + consumed, length);
    r->body[length] = '\0';
    r->body_length = length;
    consumed += length;
    memmove(in->ptr, in->ptr + consumed, in->len - consumed);
    in->len -= consumed;
    in->ptr[in->len] = '\0';
    record(s, r);

    pthread_mutex_lock(&s->lock);
    if (++s->in_flight > s->peak)
        s->peak = s->in_flight;
    pthread_mutex_unlock(&s->lock);
    hs_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    if (s->handler)
        s->handler(r, &resp, s->user_data);
    else
        scripted_answer(s, &resp);
    bool keep = answer(s, c->fd, r, &resp);
    free_response(&resp);
    pthread_mutex_lock(&s->lock);
    s->in_flight--;
    pthread_mutex_unlock(&s->lock);
    return keep;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    bytes in = {0};
    while (serve_one(c, &in))
        ;
    free(in.ptr);
    shutdown(c->fd, SHUT_RDWR);
    return NULL;
}

static void *accept_main(void *arg)
{
    httpserver *s = arg;
    for (;;) {
        if (!wait_readable(s, s->listen_fd, -1))
            break;
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn *c = xmalloc(sizeof(*c));
        memset(c, 0, sizeof(*c));
        c->server = s;
        c->fd = fd;
        pthread_mutex_lock(&s->lock);
        c->index = ++s->connections;
        c->next = s->conns;
        s->conns = c;
        pthread_mutex_unlock(&s->lock);
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0)
            die("pthread_create");
    }
    return NULL;
}

httpserver *hs_start(hs_handler handler, void *user_data)
{
    httpserver *s = xmalloc(sizeof(*s));
    memset(s, 0, sizeof(*s));
    s->handler = handler;
    s->user_data = user_data;
    pthread_mutex_init(&s->lock, NULL);
    if (pipe2(s->stop_pipe, O_CLOEXEC) != 0)
        die("pipe");
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0)
        die("socket");
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        die("bind 127.0.0.1:0");
    if (listen(s->listen_fd, 64) != 0)
        die("listen");
    socklen_t alen = sizeof(addr);
    if (getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen) != 0)
        die("getsockname");
    s->port = ntohs(addr.sin_port);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
    if (pthread_create(&s->accept_thread, NULL, accept_main, s) != 0)
        die("pthread_create");
    return s;
}

void hs_stop(httpserver *s)
{
    if (!s)
        return;
    if (write(s->stop_pipe[1], "x", 1) != 1)
        die("write stop pipe");
    pthread_join(s->accept_thread, NULL);
    /* No new connections now; wake every connection thread and wait for it. */
    for (conn *c = s->conns; c; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        pthread_join(c->thread, NULL);
        close(c->fd);
        free(c);
    }
    close(s->listen_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    for (size_t i = 0; i < s->request_count; i++)
        free_request(s->requests[i]);
    free(s->requests);
    for (scripted *x = s->head, *next; x; x = next) {
        next = x->next;
        free(x->headers);
        free(x->body);
        free(x);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}
