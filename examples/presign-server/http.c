/*
 * The HTTP side, on libmicrohttpd: request bodies gathered up to a limit, JSON parsed, the
 * route called, and its reply sent as JSON (or the page). Every bad request gets a 4xx JSON
 * error {"error": {"code", "message"}}; nothing in a reply or a log carries a token.
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

typedef struct pending {
    char *body;
    size_t len;
    bool too_large;
} pending;

void reply_error(reply *r, unsigned status, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    json_decref(r->json);
    r->status = status;
    r->page = NULL;
    r->json = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
}

void reply_library_error(reply *r, int rc, const char *what)
{
    unsigned status = 502;
    const char *code = "upstream_error";
    switch (rc) {
    case SKYCRATE_EINVAL: status = 400, code = "invalid_request"; break;
    case SKYCRATE_ENOTFOUND: status = 404, code = "not_found"; break;
    case SKYCRATE_EACCESS: status = 403, code = "forbidden"; break;
    case SKYCRATE_ENOMEM: status = 503, code = "out_of_memory"; break;
    case SKYCRATE_ECONNECT:
    case SKYCRATE_ETIMEOUT: status = 504, code = "storage_unreachable"; break;
    default: break;
    }
    reply_error(r, status, code, "%s: %s", what, skycrate_error_last()->message);
}

static void peer(char *out, size_t size, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "unknown");
    if (info == NULL || info->client_addr == NULL)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, reply *r)
{
    struct MHD_Response *resp;
    if (r->page) {
        resp = MHD_create_response_from_buffer(strlen(r->page), (void *)r->page,
                                               MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    } else {
        char *text = r->json ? json_dumps(r->json, JSON_COMPACT) : NULL;
        if (text == NULL) {
            static const char oom[] = "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"\"}}";
            r->status = 503;
            resp = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
                                                   MHD_RESPMEM_PERSISTENT);
        } else {
            resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        }
        MHD_add_response_header(resp, "Content-Type", "application/json");
    }
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    json_decref(r->json);
    return ret;
}

/* Parses the gathered body: a JSON object, or a 400/413 reply. */
static json_t *parse_body(reply *r, const pending *p)
{
    if (p->too_large) {
        reply_error(r, 413, "body_too_large", "the request body is larger than %d bytes",
                    SERVER_BODY_MAX);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = p->len ? json_loadb(p->body, p->len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (doc == NULL || !json_is_object(doc)) {
        reply_error(r, 400, "bad_json", "the body must be a JSON object%s%s",
                    doc == NULL && p->len ? ": " : "", doc == NULL && p->len ? jerr.text : "");
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    server *s = cls;
    pending *p = *con_cls;
    if (p == NULL) {
        if ((p = calloc(1, sizeof(*p))) == NULL)
            return MHD_NO;
        *con_cls = p;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!p->too_large && p->len + *upload_data_size <= SERVER_BODY_MAX) {
            char *grown = realloc(p->body, p->len + *upload_data_size);
            if (grown == NULL)
                return MHD_NO;
            memcpy(grown + p->len, upload_data, *upload_data_size);
            p->body = grown;
            p->len += *upload_data_size;
        } else {
            p->too_large = true;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    reply r = {200, NULL, NULL};
    json_t *body = NULL;
    bool post = strcmp(method, "POST") == 0;
    if (!post || (body = parse_body(&r, p)) != NULL || strncmp(url, "/api/", 5) != 0) {
        char client[64];
        peer(client, sizeof(client), conn);
        json_decref(r.json);
        r = (reply){200, NULL, NULL};
        route(s, &r, method, url,
              MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"), body, client);
    }
    json_decref(body);
    return send_reply(conn, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    pending *p = *con_cls;
    if (p) {
        free(p->body);
        free(p);
    }
    *con_cls = NULL;
}

int http_start(server *s)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->cfg.port)};
    if (inet_pton(AF_INET, s->cfg.listen, &addr.sin_addr) != 1) {
        fprintf(stderr, "skycrate-presign-server: listen must be an IPv4 address\n");
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    /* One thread with epoll by default; a pool when the configuration asks for threads. */
    unsigned int pool = s->cfg.threads > 1 ? s->cfg.threads : 1;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
                                 on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                                 pool > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool,
                                 MHD_OPTION_END);
    if (s->daemon == NULL) {
        fprintf(stderr, "skycrate-presign-server: cannot listen on %s:%u\n", s->cfg.listen,
                s->cfg.port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info)
        s->cfg.port = info->port;
    return 0;
}

void http_stop(server *s)
{
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}
