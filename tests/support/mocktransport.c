/*
 * The scripted mock transport (see mocktransport.h).
 */
#include "mocktransport.h"

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef enum { STEP_RESPONSE, STEP_ERROR, STEP_INTERIM } step_kind;

typedef struct step {
    step_kind kind;
    int status; /* or the error code */
    char *headers;
    unsigned char *body;
    size_t body_length;
    char *message;
    char *match_method; /* routes only: NULL matches any method */
    char *match_url;    /* routes only: a substring of the URL */
    struct step *next;
} step;

struct mock_transport {
    pthread_mutex_t lock;
    step *head, *tail;
    step *routes; /* one-shot answers chosen by request, checked first, in push order */
    size_t pending;
    mock_req **requests;
    size_t request_count, request_cap;
    size_t chunk;
    unsigned int lanes;
    /* mock_gather() */
    pthread_cond_t gathered;
    char *gather_url;
    unsigned int gather_count, gather_arrived, gather_in, gather_max;
    /* mock_delay() */
    char *delay_url;
    unsigned int delay_ms;
    bool allow_unused; /* mock_allow_unused() */
    /* mock_on() */
    char *on_method, *on_url;
    void (*on_fn)(void *);
    void *on_user_data;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "mock transport: out of memory\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

mock_transport *mock_new(void)
{
    mock_transport *m = xmalloc(sizeof(*m));
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->gathered, NULL);
    m->chunk = 7;
    m->lanes = 1;
    return m;
}

static void free_step(step *s)
{
    free(s->match_method);
    free(s->match_url);
    free(s->headers);
    free(s->body);
    free(s->message);
    free(s);
}

static void free_request(mock_req *r)
{
    free(r->method);
    free(r->url);
    for (size_t i = 0; i < r->header_count; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->body);
    free(r);
}

void mock_free(mock_transport *m)
{
    if (!m)
        return;
    /* Strict: an answer scripted for a request that never came means the code under test did
     * less than the test says (stopped early, skipped a retry, lost a step). */
    size_t unused = mock_pending(m);
    ck_assert_msg(unused == 0 || m->allow_unused,
                  "mock transport: %zu scripted answers left unused (mock_discard_unused() for "
                  "answers a test scripts so that they are not taken)",
                  unused);
    for (step *s = m->head, *next; s; s = next) {
        next = s->next;
        free_step(s);
    }
    for (step *s = m->routes, *next; s; s = next) {
        next = s->next;
        free_step(s);
    }
    for (size_t i = 0; i < m->request_count; i++)
        free_request(m->requests[i]);
    free(m->requests);
    free(m->gather_url);
    free(m->delay_url);
    free(m->on_method);
    free(m->on_url);
    pthread_cond_destroy(&m->gathered);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void enqueue(mock_transport *m, step *s)
{
    pthread_mutex_lock(&m->lock);
    if (m->tail)
        m->tail->next = s;
    else
        m->head = s;
    m->tail = s;
    if (s->kind != STEP_INTERIM)
        m->pending++;
    pthread_mutex_unlock(&m->lock);
}

static step *new_step(step_kind kind, int status, const char *headers)
{
    step *s = xmalloc(sizeof(*s));
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->status = status;
    s->headers = headers ? xstrdup(headers) : NULL;
    return s;
}

void mock_push(mock_transport *m, int status, const char *headers, const void *body,
               size_t body_length)
{
    step *s = new_step(STEP_RESPONSE, status, headers);
    s->body = xmalloc(body_length);
    if (body_length)
        memcpy(s->body, body, body_length);
    s->body_length = body_length;
    enqueue(m, s);
}

void mock_push_str(mock_transport *m, int status, const char *headers, const char *body)
{
    mock_push(m, status, headers, body, body ? strlen(body) : 0);
}

void mock_push_error(mock_transport *m, int code)
{
    enqueue(m, new_step(STEP_ERROR, code, NULL));
}

void mock_push_error_msg(mock_transport *m, int code, const char *message)
{
    step *s = new_step(STEP_ERROR, code, NULL);
    s->message = xstrdup(message ? message : "");
    enqueue(m, s);
}

void mock_push_interim(mock_transport *m, int status, const char *headers)
{
    enqueue(m, new_step(STEP_INTERIM, status, headers));
}

static void add_route(mock_transport *m, step *s, const char *method, const char *url_part)
{
    s->match_method = method ? xstrdup(method) : NULL;
    s->match_url = xstrdup(url_part ? url_part : "");
    pthread_mutex_lock(&m->lock);
    step **tail = &m->routes;
    while (*tail)
        tail = &(*tail)->next;
    *tail = s;
    m->pending++;
    pthread_mutex_unlock(&m->lock);
}

void mock_route(mock_transport *m, const char *method, const char *url_part, int status,
                const char *headers, const char *body)
{
    step *s = new_step(STEP_RESPONSE, status, headers);
    s->body_length = body ? strlen(body) : 0;
    s->body = xmalloc(s->body_length);
    if (s->body_length)
        memcpy(s->body, body, s->body_length);
    add_route(m, s, method, url_part);
}

void mock_route_error(mock_transport *m, const char *method, const char *url_part, int code)
{
    add_route(m, new_step(STEP_ERROR, code, NULL), method, url_part);
}

void mock_set_chunk(mock_transport *m, size_t chunk)
{
    m->chunk = chunk ? chunk : 1;
}

void mock_set_concurrency(mock_transport *m, unsigned int lanes)
{
    m->lanes = lanes;
}

void mock_gather(mock_transport *m, const char *url_part, unsigned int count)
{
    pthread_mutex_lock(&m->lock);
    free(m->gather_url);
    m->gather_url = xstrdup(url_part);
    m->gather_count = count;
    m->gather_arrived = m->gather_in = m->gather_max = 0;
    pthread_mutex_unlock(&m->lock);
}

unsigned int mock_gathered_max(mock_transport *m)
{
    pthread_mutex_lock(&m->lock);
    unsigned int n = m->gather_max;
    pthread_mutex_unlock(&m->lock);
    return n;
}

void mock_delay(mock_transport *m, const char *url_part, unsigned int ms)
{
    pthread_mutex_lock(&m->lock);
    free(m->delay_url);
    m->delay_url = xstrdup(url_part);
    m->delay_ms = ms;
    pthread_mutex_unlock(&m->lock);
}

static void delay(mock_transport *m, const char *url)
{
    pthread_mutex_lock(&m->lock);
    unsigned int ms = m->delay_url && strstr(url, m->delay_url) ? m->delay_ms : 0;
    pthread_mutex_unlock(&m->lock);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (ms && nanosleep(&ts, &ts) != 0)
        ;
}

void mock_on(mock_transport *m, const char *method, const char *url_part, void (*fn)(void *),
             void *user_data)
{
    pthread_mutex_lock(&m->lock);
    free(m->on_method);
    free(m->on_url);
    m->on_method = method ? xstrdup(method) : NULL;
    m->on_url = xstrdup(url_part);
    m->on_fn = fn;
    m->on_user_data = user_data;
    pthread_mutex_unlock(&m->lock);
}

/* Runs the mock_on() function, once, for the first request it matches (outside the lock). */
static void on_request(mock_transport *m, const char *method, const char *url)
{
    pthread_mutex_lock(&m->lock);
    void (*fn)(void *) = NULL;
    void *user_data = m->on_user_data;
    if (m->on_fn && (!m->on_method || !strcmp(method, m->on_method)) && strstr(url, m->on_url)) {
        fn = m->on_fn;
        m->on_fn = NULL;
    }
    pthread_mutex_unlock(&m->lock);
    if (fn)
        fn(user_data);
}

/* Holds a request of the gather until all of it has arrived (at most 3 s). */
static void gather(mock_transport *m, const char *url)
{
    pthread_mutex_lock(&m->lock);
    if (m->gather_url && strstr(url, m->gather_url)) {
        m->gather_arrived++;
        if (++m->gather_in > m->gather_max)
            m->gather_max = m->gather_in;
        pthread_cond_broadcast(&m->gathered);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 3;
        while (m->gather_arrived < m->gather_count &&
               pthread_cond_timedwait(&m->gathered, &m->lock, &deadline) == 0)
            ;
        m->gather_in--;
    }
    pthread_mutex_unlock(&m->lock);
}

size_t mock_request_count(mock_transport *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->request_count;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const mock_req *mock_request(mock_transport *m, size_t i)
{
    pthread_mutex_lock(&m->lock);
    const mock_req *r = i < m->request_count ? m->requests[i] : NULL;
    pthread_mutex_unlock(&m->lock);
    return r;
}

const char *mock_request_header(const mock_req *r, const char *name)
{
    for (size_t i = 0; r && i < r->header_count; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

void mock_allow_unused(mock_transport *m)
{
    m->allow_unused = true;
}

size_t mock_discard_unused(mock_transport *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->pending;
    step *lists[] = {m->head, m->routes};
    m->head = m->tail = m->routes = NULL;
    m->pending = 0;
    pthread_mutex_unlock(&m->lock);
    for (size_t i = 0; i < 2; i++)
        for (step *s = lists[i], *next; s; s = next) {
            next = s->next;
            free_step(s);
        }
    return n;
}

size_t mock_pending(mock_transport *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->pending;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* Records what the transport can see of the request; the body is read in chunks. */
static int record(mock_req **out, mock_transport *m, skycrate_http_request *req)
{
    mock_req *r = xmalloc(sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->method = xstrdup(skycrate_http_request_method(req));
    r->url = xstrdup(skycrate_http_request_url(req));
    r->header_count = skycrate_http_request_header_count(req);
    r->names = xmalloc(r->header_count * sizeof(char *));
    r->values = xmalloc(r->header_count * sizeof(char *));
    for (size_t i = 0; i < r->header_count; i++) {
        const char *name = "", *value = "";
        skycrate_http_request_header(&name, &value, req, i);
        r->names[i] = xstrdup(name);
        r->values[i] = xstrdup(value);
    }
    r->declared_length = skycrate_http_request_body_length(req);
    r->connect_timeout_ms = skycrate_http_request_connect_timeout_ms(req);
    r->timeout_ms = skycrate_http_request_timeout_ms(req);

    size_t cap = 64, len = 0;
    r->body = xmalloc(cap);
    int rc = 0;
    for (;;) {
        if (cap - len < m->chunk + 1) {
            cap = cap * 2 + m->chunk;
            r->body = realloc(r->body, cap);
            if (!r->body)
                abort();
        }
        size_t n = 0;
        rc = skycrate_http_request_body_read(&n, req, r->body + len, m->chunk);
        if (rc < 0 || n == 0)
            break;
        len += n;
    }
    r->body[len] = '\0';
    r->body_length = len;

    pthread_mutex_lock(&m->lock);
    if (m->request_count == m->request_cap) {
        m->request_cap = m->request_cap ? m->request_cap * 2 : 8;
        m->requests = realloc(m->requests, m->request_cap * sizeof(*m->requests));
        if (!m->requests)
            abort();
    }
    m->requests[m->request_count++] = r;
    pthread_mutex_unlock(&m->lock);
    *out = r;
    return rc;
}

/* Takes the first route matching the request, if any. */
static step *take_route(mock_transport *m, const mock_req *r)
{
    pthread_mutex_lock(&m->lock);
    step **link = &m->routes;
    for (; *link; link = &(*link)->next) {
        step *s = *link;
        if ((!s->match_method || !strcmp(s->match_method, r->method)) &&
            strstr(r->url, s->match_url)) {
            *link = s->next;
            s->next = NULL;
            m->pending--;
            pthread_mutex_unlock(&m->lock);
            return s;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* Takes the interim steps and the final one for one request; NULL when the script ran out. */
static step *take(mock_transport *m, step **interims)
{
    pthread_mutex_lock(&m->lock);
    step *first = m->head, *last = NULL;
    step *s = first;
    while (s && s->kind == STEP_INTERIM)
        s = s->next;
    if (s) {
        last = s;
        m->head = s->next;
        if (!m->head)
            m->tail = NULL;
        last->next = NULL;
        m->pending--;
    }
    pthread_mutex_unlock(&m->lock);
    if (!last) {
        *interims = NULL;
        return NULL;
    }
    /* The steps from first up to (not including) last are its interim answers. */
    *interims = first == last ? NULL : first;
    for (step *i = *interims; i; i = i->next)
        if (i->next == last) {
            i->next = NULL;
            break;
        }
    return last;
}

static int send_headers(skycrate_http_response *resp, const char *headers)
{
    const char *p = headers;
    while (p && *p) {
        size_t n = strcspn(p, "\n");
        size_t line = n;
        if (line && p[line - 1] == '\r')
            line--;
        const char *colon = memchr(p, ':', line);
        if (colon) {
            /* Raw lengths, blanks included: the library trims. */
            int rc = skycrate_http_response_add_header(resp, p, (size_t)(colon - p), colon + 1,
                                                       line - (size_t)(colon - p) - 1);
            if (rc < 0)
                return rc;
        }
        p += n;
        if (*p == '\n')
            p++;
    }
    return 0;
}

static int play(mock_transport *m, step *interims, step *final, skycrate_http_response *resp)
{
    int rc = 0;
    for (step *i = interims; i && rc == 0; i = i->next) {
        rc = skycrate_http_response_set_status(resp, i->status);
        if (rc == 0)
            rc = send_headers(resp, i->headers);
    }
    if (rc < 0)
        return rc;
    if (final->kind == STEP_ERROR) {
        if (final->message)
            skycrate_error_set_str(final->status, final->message);
        return final->status;
    }
    rc = skycrate_http_response_set_status(resp, final->status);
    if (rc == 0)
        rc = send_headers(resp, final->headers);
    for (size_t off = 0; rc == 0 && off < final->body_length; off += m->chunk) {
        size_t n = final->body_length - off < m->chunk ? final->body_length - off : m->chunk;
        rc = skycrate_http_response_write_body(resp, final->body + off, n);
    }
    return rc;
}

static int mock_perform(skycrate_http_request *req, skycrate_http_response *resp, uint32_t flags,
                        void *user_data)
{
    (void)flags;
    mock_transport *m = user_data;
    mock_req *r = NULL;
    step *interims = NULL;
    gather(m, skycrate_http_request_url(req));
    delay(m, skycrate_http_request_url(req));
    int rc = record(&r, m, req);
    on_request(m, skycrate_http_request_method(req), skycrate_http_request_url(req));
    step *final = take_route(m, r);
    if (!final)
        final = take(m, &interims);
    if (rc == 0 && !final) {
        skycrate_error_set_str(SKYCRATE_ERROR, "mock transport: no scripted response left");
        rc = SKYCRATE_ERROR;
    }
    if (rc == 0)
        rc = play(m, interims, final, resp);
    r->result = rc;
    while (interims) {
        step *next = interims->next;
        free_step(interims);
        interims = next;
    }
    if (final)
        free_step(final);
    return rc;
}

static skycrate_http_transport *make(mock_transport *m, void (*free_fn)(void *))
{
    skycrate_http_transport_callbacks cb;
    skycrate_http_transport_callbacks_init(
        &cb,
        SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION); /* zero padding too: the table is copied byte for byte */
    cb.perform = mock_perform;
    cb.free = free_fn;
    cb.user_data = m;
    cb.max_concurrency = m->lanes;
    skycrate_http_transport *t = NULL;
    if (skycrate_http_transport_new(&t, &cb) < 0)
        abort();
    return t;
}

skycrate_http_transport *mock_transport_new(mock_transport *m)
{
    return make(m, NULL);
}

static void free_owned(void *user_data)
{
    mock_free(user_data);
}

skycrate_http_transport *mock_transport_new_owned(mock_transport *m)
{
    return make(m, free_owned);
}
