/*
 * skycrate-presign-server: the seed's presign API as a small program embedding libskycrate
 * and libmicrohttpd. Shared definitions of its parts: configuration (config.c), HTTP glue and
 * JSON replies (http.c), the API routes (routes.c), the upload page (page.html, embedded).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PRESIGN_SERVER_H
#define SKYCRATE_PRESIGN_SERVER_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <skycrate.h>

/* Requests larger than this are refused before they are parsed (413). */
#define SERVER_BODY_MAX (64 * 1024)
/* A file name longer than this (bytes) is refused (422). */
#define SERVER_FILENAME_MAX 255

typedef struct server_user {
    char *id;
    char *token;
    char *bucket; /* NULL until provisioned (or found in the store) */
} server_user;

typedef struct server_config {
    char *listen;            /* "127.0.0.1" by default */
    unsigned port;           /* 0: any free port, printed at start */
    char *endpoint;          /* NULL: AWS */
    char *ca_file, *ca_path; /* NULL: the environment's (cli_tls.h), else the system's */
    bool allow_http;         /* plain http to an endpoint that is not loopback */
    char *region;
    char *store; /* users.json path */
    char *bucket_prefix;
    char **origins; /* CORS origins of the buckets (the page's origin among them) */
    size_t origin_count;
    bool compatible, dev, tls_only;
    uint32_t public_access_block; /* SKYCRATE_PAB_* bits; all by default */
    uint32_t cors_methods;        /* SKYCRATE_CORS_METHOD_* bits; 0: the library's default */
    uint64_t max_size;            /* bytes a single upload may have */
    int64_t expires;              /* seconds a URL or form stays valid */
    uint64_t part_size;           /* multipart part size */
    char *key_prefix;             /* "uploads" */
    char *audit_log;              /* path, or NULL for none */
    unsigned threads;             /* 0 or 1: one internal thread (epoll); more: a pool */
    server_user *users;
    size_t user_count;
} server_config;

typedef struct server {
    server_config cfg;
    skycrate_client *client; /* S3 calls (provisioning, multipart, diagnose): under `lock` */
    skycrate_presigner *presigner;
    skycrate_provisioner *provisioner;
    skycrate_doctor *doctor;
    pthread_mutex_t lock;
    int audit_fd; /* -1: none */
    struct MHD_Daemon *daemon;
} server;

/* config.c */
int config_load(server_config *cfg, const char *path);
void config_dispose(server_config *cfg);
/* The user whose token the Authorization header carries (compared in constant time). */
server_user *config_authenticate(server_config *cfg, const char *authorization);

/* A reply: status and a JSON document (owned), or a page. */
typedef struct reply {
    unsigned status;
    json_t *json;
    const char *page; /* static HTML instead of JSON */
} reply;

/* http.c */
void reply_error(reply *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A 4xx/5xx from the library's last error (its code mapped to a status). */
void reply_library_error(reply *r, int rc, const char *what);
int http_start(server *s);
void http_stop(server *s);

/* routes.c: the request with its parsed JSON body (NULL for GET) from `client` (the peer
 * address) answered in `r`. */
void route(server *s, reply *r, const char *method, const char *path, const char *authorization,
           json_t *body, const char *client);
void audit(server *s, const server_user *user, const char *bucket, const char *key,
           const char *method, int64_t expires_at, const char *client);

/* The upload page (page.html, embedded at build time). */
extern const char server_page[];

#endif
