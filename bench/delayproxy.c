/*
 * The delaying TCP proxy (see delayproxy.h).
 * SPDX-License-Identifier: MIT
 */
#include "delayproxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX 65536
#define LINE_MAX_ 8192

/* Bytes read from one side, waiting for their delivery time. */
typedef struct chunk {
    struct chunk *next;
    int64_t due_ns;
    unsigned int hold; /* the hold (generation) it waits for; 0: none */
    size_t len;
    char data[];
} chunk;

/* An incremental HTTP/1.1 request parser for the client-to-server stream. */
enum { P_HEAD, P_BODY, P_CHUNK_SIZE, P_CHUNK_DATA, P_TRAILER };
typedef struct reqparser {
    int state;
    char line[LINE_MAX_];
    size_t line_len;
    char request_line[512];
    bool have_request_line;
    bool chunked;
    uint64_t content_length;
    uint64_t remaining;
} reqparser;

typedef struct conn conn;

typedef struct direction {
    conn *c;
    int src, dst;
    bool to_server;
    pthread_t thread;
} direction;

struct conn {
    delayproxy *proxy;
    int client_fd, upstream_fd;
    int64_t handshake_done_ns; /* client bytes cannot arrive before this */
    unsigned int generation, index;
    direction up, down;
    unsigned int running; /* directions still pumping; guarded by the proxy's lock */
    reqparser parser;     /* used by the client-to-server direction only */
    /* Holds on this connection (generations; 0: none), guarded by the proxy's lock: the
     * client's bytes from the held request on, or the server's answer. */
    unsigned int hold_request, hold_answer;
    conn *next;
};

typedef struct recorded {
    char *line;
    unsigned int connection;
} recorded;

struct delayproxy {
    int listen_fd;
    int stop_pipe[2]; /* readable once the proxy stops */
    int port;
    struct sockaddr_in upstream;
    int64_t one_way_ns, rtt_ns;
    pthread_t accept_thread;
    pthread_mutex_t lock;
    conn *conns;
    unsigned int generation;
    unsigned int connections;
    recorded *requests;
    size_t request_count, request_cap;
    /* The hold: armed for request `hold_index` at `hold_point`; generations count holds, and
     * every hold up to `released` is released. */
    bool hold_armed, held;
    size_t hold_index;
    delayproxy_hold_point hold_point;
    unsigned int hold_generation, released;
    pthread_cond_t hold_changed;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- request counting ---------------------------------------------------------------------- */

static void record_request(conn *c, const char *line)
{
    delayproxy *p = c->proxy;
    char *copy = strdup(line);
    pthread_mutex_lock(&p->lock);
    if (copy && p->request_count == p->request_cap) {
        size_t cap = p->request_cap ? p->request_cap * 2 : 64;
        recorded *grown = realloc(p->requests, cap * sizeof(*grown));
        if (grown) {
            p->requests = grown;
            p->request_cap = cap;
        }
    }
    if (copy && p->request_count < p->request_cap) {
        if (p->hold_armed && p->request_count == p->hold_index) {
            p->hold_armed = false;
            if (p->hold_point == DELAYPROXY_HOLD_REQUEST)
                c->hold_request = p->hold_generation;
            else
                c->hold_answer = p->hold_generation;
        }
        p->requests[p->request_count].line = copy;
        p->requests[p->request_count].connection = c->generation == p->generation ? c->index : 0;
        p->request_count++;
        copy = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    free(copy);
}

static void parser_reset(reqparser *r)
{
    r->state = P_HEAD;
    r->line_len = 0;
    r->have_request_line = false;
    r->chunked = false;
    r->content_length = 0;
    r->remaining = 0;
}

/* A complete line (without its line break) in the HEAD, CHUNK_SIZE or TRAILER state. */
static void parser_line(conn *c, reqparser *r, const char *line)
{
    switch (r->state) {
    case P_HEAD:
        if (!r->have_request_line) {
            if (*line) { /* blank lines before a request are tolerated (RFC 9112 §2.2) */
                size_t n = strnlen(line, sizeof(r->request_line) - 1); /* longer ones are cut */
                memcpy(r->request_line, line, n);
                r->request_line[n] = '\0';
                r->have_request_line = true;
            }
        } else if (!*line) {
            record_request(c, r->request_line);
            bool chunked = r->chunked;
            uint64_t length = r->content_length;
            parser_reset(r);
            if (chunked) {
                r->state = P_CHUNK_SIZE;
            } else if (length) {
                r->state = P_BODY;
                r->remaining = length;
            }
        } else if (!strncasecmp(line, "content-length:", 15)) {
            r->content_length = strtoull(line + 15, NULL, 10);
        } else if (!strncasecmp(line, "transfer-encoding:", 18) && strcasestr(line, "chunked")) {
            r->chunked = true;
        }
        break;
    case P_CHUNK_SIZE: {
        uint64_t size = strtoull(line, NULL, 16);
        if (size == 0) {
            r->state = P_TRAILER;
        } else {
            r->state = P_CHUNK_DATA;
            r->remaining = size + 2; /* the data and its CRLF */
        }
        break;
    }
    case P_TRAILER:
        if (!*line)
            parser_reset(r);
        break;
    default: break;
    }
}

static void parser_feed(conn *c, const char *data, size_t len)
{
    reqparser *r = &c->parser;
    size_t i = 0;
    while (i < len) {
        if (r->state == P_BODY || r->state == P_CHUNK_DATA) {
            size_t take = len - i < r->remaining ? len - i : (size_t)r->remaining;
            i += take;
            r->remaining -= take;
            if (r->remaining == 0)
                r->state = r->state == P_BODY ? P_HEAD : P_CHUNK_SIZE;
            continue;
        }
        char ch = data[i++];
        if (ch == '\n') {
            if (r->line_len && r->line[r->line_len - 1] == '\r')
                r->line_len--;
            r->line[r->line_len] = '\0';
            r->line_len = 0;
            parser_line(c, r, r->line);
        } else if (r->line_len < sizeof(r->line) - 1) {
            r->line[r->line_len++] = ch; /* longer lines are cut: only their start matters */
        }
    }
}

/* ---- forwarding ---------------------------------------------------------------------------- */

static bool send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static void conn_finished(conn *c)
{
    delayproxy *p = c->proxy;
    pthread_mutex_lock(&p->lock);
    bool last = --c->running == 0;
    pthread_mutex_unlock(&p->lock);
    if (last) {
        /* Both directions are done: the descriptors can go now (the struct stays until stop,
         * which joins the threads). */
        close(c->client_fd);
        close(c->upstream_fd);
    }
}

/* Whether `ch` (the next chunk due in direction d) must wait for a hold; the first time a hold
 * stops something, waiters learn it. */
static bool held_back(direction *d, const chunk *ch)
{
    conn *c = d->c;
    delayproxy *p = c->proxy;
    pthread_mutex_lock(&p->lock);
    unsigned int g = d->to_server ? ch->hold : c->hold_answer;
    bool hold = g != 0 && g > p->released;
    if (hold && !p->held) {
        p->held = true;
        pthread_cond_broadcast(&p->hold_changed);
    }
    pthread_mutex_unlock(&p->lock);
    return hold;
}

/* The hold a chunk just read from the client waits for (0: none). */
static unsigned int request_hold(conn *c)
{
    delayproxy *p = c->proxy;
    pthread_mutex_lock(&p->lock);
    unsigned int g = c->hold_request > p->released ? c->hold_request : 0;
    pthread_mutex_unlock(&p->lock);
    return g;
}

static void *pump(void *arg)
{
    direction *d = arg;
    conn *c = d->c;
    delayproxy *p = c->proxy;
    chunk *head = NULL, *tail = NULL;
    bool eof = false, failed = false;

    for (;;) {
        int64_t now = now_ns();
        bool holding = false;
        while (head && head->due_ns <= now) {
            if ((holding = held_back(d, head)))
                break;
            if (!send_all(d->dst, head->data, head->len)) {
                failed = true;
                break;
            }
            chunk *done = head;
            head = head->next;
            if (!head)
                tail = NULL;
            free(done);
        }
        if (failed)
            break;
        if (eof && !head) {
            shutdown(d->dst, SHUT_WR);
            break;
        }

        struct pollfd pfd[2] = {{p->stop_pipe[0], POLLIN, 0}, {eof ? -1 : d->src, POLLIN, 0}};
        struct timespec wait, *waitp = NULL;
        if (holding) { /* look again for the release soon */
            wait.tv_sec = 0;
            wait.tv_nsec = 5000000;
            waitp = &wait;
        } else if (head) {
            int64_t left = head->due_ns - now;
            wait.tv_sec = left / 1000000000;
            wait.tv_nsec = left % 1000000000;
            waitp = &wait;
        }
        int n = ppoll(pfd, 2, waitp, NULL);
        if (n < 0 && errno != EINTR) {
            failed = true;
            break;
        }
        if (n <= 0)
            continue;
        if (pfd[0].revents) /* the proxy is stopping */
            break;
        if (pfd[1].revents) {
            chunk *ch = malloc(sizeof(*ch) + CHUNK_MAX);
            if (!ch) {
                failed = true;
                break;
            }
            ssize_t got = recv(d->src, ch->data, CHUNK_MAX, 0);
            if (got <= 0) {
                free(ch);
                if (got < 0 && errno == EINTR)
                    continue;
                eof = true; /* end of stream or a reset: deliver what is queued, then pass it on */
                continue;
            }
            int64_t arrived = now_ns();
            ch->hold = 0;
            if (d->to_server) {
                if (arrived < c->handshake_done_ns)
                    arrived = c->handshake_done_ns;
                parser_feed(c, ch->data, (size_t)got);
                ch->hold = request_hold(c);
            }
            ch->len = (size_t)got;
            ch->due_ns = arrived + p->one_way_ns;
            ch->next = NULL;
            if (tail)
                tail->next = ch;
            else
                head = ch;
            tail = ch;
        }
    }

    if (failed) {
        /* The other side is gone: end the opposite direction as well. */
        shutdown(d->src, SHUT_RDWR);
        shutdown(d->dst, SHUT_RDWR);
    }
    while (head) {
        chunk *next = head->next;
        free(head);
        head = next;
    }
    conn_finished(c);
    return NULL;
}

static int connect_upstream(delayproxy *p)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&p->upstream, sizeof(p->upstream)) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void start_conn(delayproxy *p, int client_fd)
{
    int64_t accepted = now_ns();
    int upstream_fd = connect_upstream(p);
    if (upstream_fd < 0) {
        fprintf(stderr, "delayproxy: cannot connect upstream: %s\n", strerror(errno));
        close(client_fd);
        return;
    }
    int one = 1;
    setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(client_fd);
        close(upstream_fd);
        return;
    }
    c->proxy = p;
    c->client_fd = client_fd;
    c->upstream_fd = upstream_fd;
    c->handshake_done_ns = accepted + p->rtt_ns;
    parser_reset(&c->parser);
    c->up = (direction){c, client_fd, upstream_fd, true, 0};
    c->down = (direction){c, upstream_fd, client_fd, false, 0};
    c->running = 2;

    pthread_mutex_lock(&p->lock);
    c->generation = p->generation;
    c->index = ++p->connections;
    c->next = p->conns;
    p->conns = c;
    pthread_mutex_unlock(&p->lock);

    if (pthread_create(&c->up.thread, NULL, pump, &c->up) != 0 ||
        pthread_create(&c->down.thread, NULL, pump, &c->down) != 0) {
        fprintf(stderr, "delayproxy: cannot start a connection's threads\n");
        abort();
    }
}

static void *accept_loop(void *arg)
{
    delayproxy *p = arg;
    for (;;) {
        struct pollfd pfd[2] = {{p->stop_pipe[0], POLLIN, 0}, {p->listen_fd, POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents)
            break;
        if (pfd[1].revents & POLLIN) {
            int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                start_conn(p, fd);
        }
    }
    return NULL;
}

/* ---- the handle ---------------------------------------------------------------------------- */

delayproxy *delayproxy_start(const char *upstream_host, int upstream_port, unsigned int rtt_ms)
{
    delayproxy *p = calloc(1, sizeof(*p));
    if (!p) {
        fprintf(stderr, "delayproxy: out of memory\n");
        return NULL;
    }
    p->listen_fd = -1;
    p->stop_pipe[0] = p->stop_pipe[1] = -1;
    p->rtt_ns = (int64_t)rtt_ms * 1000000;
    p->one_way_ns = p->rtt_ns / 2;
    p->upstream.sin_family = AF_INET;
    p->upstream.sin_port = htons((uint16_t)upstream_port);
    if (inet_pton(AF_INET, upstream_host, &p->upstream.sin_addr) != 1) {
        fprintf(stderr, "delayproxy: '%s' is not an IPv4 address\n", upstream_host);
        goto fail;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->hold_changed, NULL);
    if (pipe2(p->stop_pipe, O_CLOEXEC) != 0)
        goto fail_errno;
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0)
        goto fail_errno;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(p->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(p->listen_fd, 64) != 0 ||
        getsockname(p->listen_fd, (struct sockaddr *)&addr, &len) != 0)
        goto fail_errno;
    p->port = ntohs(addr.sin_port);
    if (pthread_create(&p->accept_thread, NULL, accept_loop, p) != 0)
        goto fail_errno;
    return p;

fail_errno:
    fprintf(stderr, "delayproxy: cannot listen on 127.0.0.1: %s\n", strerror(errno));
fail:
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    if (p->stop_pipe[0] >= 0) {
        close(p->stop_pipe[0]);
        close(p->stop_pipe[1]);
    }
    free(p);
    return NULL;
}

void delayproxy_stop(delayproxy *p)
{
    if (!p)
        return;
    if (write(p->stop_pipe[1], "x", 1) != 1)
        fprintf(stderr, "delayproxy: cannot signal the stop\n");
    pthread_join(p->accept_thread, NULL);
    conn *c = p->conns;
    while (c) {
        pthread_join(c->up.thread, NULL);
        pthread_join(c->down.thread, NULL);
        conn *next = c->next;
        free(c);
        c = next;
    }
    close(p->listen_fd);
    close(p->stop_pipe[0]);
    close(p->stop_pipe[1]);
    delayproxy_reset(p);
    free(p->requests);
    pthread_cond_destroy(&p->hold_changed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int delayproxy_port(const delayproxy *p)
{
    return p->port;
}

unsigned int delayproxy_connections(delayproxy *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned int n = p->connections;
    pthread_mutex_unlock(&p->lock);
    return n;
}

size_t delayproxy_request_count(delayproxy *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->request_count;
    pthread_mutex_unlock(&p->lock);
    return n;
}

int delayproxy_request_line(delayproxy *p, size_t i, char *buf, size_t size)
{
    int rc = -1;
    pthread_mutex_lock(&p->lock);
    if (i < p->request_count && size) {
        snprintf(buf, size, "%s", p->requests[i].line);
        rc = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

unsigned int delayproxy_request_connection(delayproxy *p, size_t i)
{
    pthread_mutex_lock(&p->lock);
    unsigned int n = i < p->request_count ? p->requests[i].connection : 0;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void delayproxy_hold(delayproxy *p, size_t index, delayproxy_hold_point point)
{
    pthread_mutex_lock(&p->lock);
    p->released = p->hold_generation; /* the last hold, if any, goes */
    p->hold_generation++;
    p->hold_armed = true;
    p->held = false;
    p->hold_index = index;
    p->hold_point = point;
    pthread_cond_broadcast(&p->hold_changed);
    pthread_mutex_unlock(&p->lock);
}

bool delayproxy_wait_held(delayproxy *p, unsigned int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    while (!p->held && pthread_cond_timedwait(&p->hold_changed, &p->lock, &deadline) == 0)
        ;
    bool held = p->held;
    pthread_mutex_unlock(&p->lock);
    return held;
}

void delayproxy_release(delayproxy *p)
{
    pthread_mutex_lock(&p->lock);
    p->hold_armed = false;
    p->held = false;
    p->released = p->hold_generation;
    pthread_cond_broadcast(&p->hold_changed);
    pthread_mutex_unlock(&p->lock);
}

void delayproxy_reset(delayproxy *p)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->request_count; i++)
        free(p->requests[i].line);
    p->request_count = 0;
    p->connections = 0;
    p->generation++;
    pthread_mutex_unlock(&p->lock);
}
