/*
 * The discarding loopback server (sinkserver.h).
 * SPDX-License-Identifier: MIT
 */
#include "sinkserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define HEAD_MAX 16384
#define BODY_CHUNK (256 * 1024)

struct sinkserver {
    int listener;
    int port;
    pthread_t acceptor;
    pthread_mutex_t lock;
    int fds[MAX_CONNECTIONS];
    pthread_t threads[MAX_CONNECTIONS];
    int count;
    uint64_t bytes;        /* atomic */
    unsigned int requests; /* atomic */
};

typedef struct conn {
    sinkserver *s;
    int fd;
} conn;

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads the request head (up to the blank line) into head; extra bytes read past it are the
 * body's start (*extra of them, moved to the front of `head` after the call). */
static int read_head(int fd, char *head, size_t *len, size_t *head_end)
{
    for (;;) {
        char *end = *len ? memmem(head, *len, "\r\n\r\n", 4) : NULL;
        if (end) {
            *head_end = (size_t)(end - head) + 4;
            return 0;
        }
        if (*len >= HEAD_MAX - 1)
            return -1;
        ssize_t n = recv(fd, head + *len, HEAD_MAX - 1 - *len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        *len += (size_t)n;
    }
}

static uint64_t content_length(const char *head)
{
    const char *p = head;
    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (!strncasecmp(p, "Content-Length:", 15))
            return strtoull(p + 15, NULL, 10);
    }
    return 0;
}

/* Discards `left` body bytes; counts them when they are object data (`count`). */
static int discard(sinkserver *s, int fd, uint64_t left, char *buf, bool count)
{
    while (left) {
        size_t want = left < BODY_CHUNK ? (size_t)left : BODY_CHUNK;
        ssize_t n = recv(fd, buf, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        left -= (uint64_t)n;
        if (count)
            __atomic_add_fetch(&s->bytes, (uint64_t)n, __ATOMIC_RELAXED);
    }
    return 0;
}

static int answer(int fd, const char *method, const char *target)
{
    char out[1024];
    const char *xml = "";
    const char *status = "200 OK";
    if (!strcmp(method, "POST") && strstr(target, "?uploads"))
        xml = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
              "<UploadId>sink-upload</UploadId></InitiateMultipartUploadResult>";
    else if (!strcmp(method, "POST"))
        xml = "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
              "<ETag>\"00000000000000000000000000000000-1\"</ETag></CompleteMultipartUploadResult>";
    else if (!strcmp(method, "DELETE"))
        status = "204 No Content";
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %s\r\nETag: \"00000000000000000000000000000000\"\r\n"
                     "x-amz-request-id: sink\r\nContent-Length: %zu\r\n\r\n%s",
                     status, strlen(xml), xml);
    return write_all(fd, out, (size_t)n);
}

static void *serve(void *arg)
{
    conn *c = arg;
    char *head = malloc(HEAD_MAX), *buf = malloc(BODY_CHUNK);
    size_t len = 0;
    while (head && buf) {
        size_t head_end = 0;
        if (read_head(c->fd, head, &len, &head_end) < 0)
            break;
        head[head_end - 1] = '\0';
        char method[16] = "", target[2048] = "";
        if (sscanf(head, "%15s %2047s", method, target) != 2)
            break;
        uint64_t body = strcmp(method, "HEAD") ? content_length(head) : 0;
        size_t extra = len - head_end; /* body bytes read with the head */
        uint64_t have = extra < body ? extra : body;
        bool data = !strcmp(method, "PUT"); /* PutObject, UploadPart: not the XML of a POST */
        if (data)
            __atomic_add_fetch(&c->s->bytes, have, __ATOMIC_RELAXED);
        memmove(head, head + head_end + have, extra - (size_t)have);
        len = extra - (size_t)have;
        if (discard(c->s, c->fd, body - have, buf, data) < 0 || answer(c->fd, method, target) < 0)
            break;
        __atomic_add_fetch(&c->s->requests, 1, __ATOMIC_RELAXED);
    }
    free(head);
    free(buf);
    shutdown(c->fd, SHUT_RDWR);
    free(c);
    return NULL;
}

static void *accept_loop(void *arg)
{
    sinkserver *s = arg;
    for (;;) {
        int fd = accept(s->listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return NULL; /* closed by sinkserver_stop() */
        }
        conn *c = malloc(sizeof(*c));
        pthread_mutex_lock(&s->lock);
        if (!c || s->count == MAX_CONNECTIONS) {
            pthread_mutex_unlock(&s->lock);
            free(c);
            close(fd);
            continue;
        }
        c->s = s;
        c->fd = fd;
        s->fds[s->count] = fd;
        if (pthread_create(&s->threads[s->count], NULL, serve, c) == 0)
            s->count++;
        else
            close(fd);
        pthread_mutex_unlock(&s->lock);
    }
}

sinkserver *sinkserver_start(void)
{
    sinkserver *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listener < 0 || bind(s->listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(s->listener, 64) < 0 || getsockname(s->listener, (struct sockaddr *)&a, &alen) < 0 ||
        pthread_create(&s->acceptor, NULL, accept_loop, s) != 0) {
        fprintf(stderr, "sinkserver: cannot listen on 127.0.0.1: %s\n", strerror(errno));
        if (s->listener >= 0)
            close(s->listener);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    return s;
}

void sinkserver_stop(sinkserver *s)
{
    if (!s)
        return;
    shutdown(s->listener, SHUT_RDWR);
    close(s->listener);
    pthread_join(s->acceptor, NULL);
    for (int i = 0; i < s->count; i++) {
        shutdown(s->fds[i], SHUT_RDWR);
        pthread_join(s->threads[i], NULL);
        close(s->fds[i]);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int sinkserver_port(const sinkserver *s)
{
    return s->port;
}

uint64_t sinkserver_bytes(const sinkserver *s)
{
    return __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
}

unsigned int sinkserver_requests(const sinkserver *s)
{
    return __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
}
