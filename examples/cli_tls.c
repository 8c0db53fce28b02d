/*
 * --ca-file, --ca-path, --allow-http and the environment's CA bundle (see cli_tls.h).
 * SPDX-License-Identifier: MIT
 */
#include "cli_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cli_tls_option(cli_tls *tls, int opt, const char *arg)
{
    switch (opt) {
    case CLI_TLS_CA_FILE: tls->ca_file = arg; return 1;
    case CLI_TLS_CA_PATH: tls->ca_path = arg; return 1;
    case CLI_TLS_ALLOW_HTTP: tls->allow_http = 1; return 1;
    default: return 0;
    }
}

int cli_tls_parse(cli_tls *tls, int argc, char **argv, int operands)
{
    static const struct option options[] = {CLI_TLS_OPTIONS, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1)
        if (!cli_tls_option(tls, opt, optarg))
            return -1;
    return argc - optind == operands ? optind : -1;
}

/* The first of the environment variables that is set and not empty, or NULL. */
static const char *first_env(const char *const *names)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v)
            return v;
    }
    return NULL;
}

void cli_tls_ca(const cli_tls *tls, const char **file_out, const char **path_out)
{
    static const char *const bundle_vars[] = {"AWS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
                                              NULL};
    static const char *const dir_vars[] = {"SSL_CERT_DIR", NULL};
    *file_out = tls->ca_file ? tls->ca_file : first_env(bundle_vars);
    *path_out = tls->ca_path ? tls->ca_path : first_env(dir_vars);
}

static int is_loopback(const char *host);

int cli_tls_apply(const cli_tls *tls, skycrate_client_config *config, const char *endpoint)
{
    if (endpoint && !tls->allow_http && !strncasecmp(endpoint, "http://", 7) &&
        !is_loopback(endpoint + 7)) {
        skycrate_error_set_str(SKYCRATE_EINVAL,
                               "the endpoint is plain http to a host that is not loopback "
                               "(credentials and data would travel in the clear): use https, "
                               "or --allow-http");
        return SKYCRATE_EINVAL;
    }
    const char *ca_file, *ca_path;
    cli_tls_ca(tls, &ca_file, &ca_path);
    int rc = 0;
    if ((endpoint && (rc = skycrate_client_config_set_endpoint(config, endpoint)) < 0) ||
        ((ca_file || ca_path) &&
         (rc = skycrate_client_config_set_ca(config, ca_file, ca_path)) < 0))
        return rc;
    return skycrate_client_config_set_allow_http(config, tls->allow_http);
}

/* localhost, [::1], or 127.x.y.z: the host of an http URL (what follows "http://"); never
 * with a user name (127.0.0.1:x@host is host). */
static int is_loopback(const char *host)
{
    if (memchr(host, '@', strcspn(host, "/?#")))
        return 0;
    size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?#");
    if ((n == 9 && !strncasecmp(host, "localhost", 9)) || (n == 5 && !strncmp(host, "[::1]", 5)))
        return 1;
    unsigned a, b, c, d;
    return strspn(host, "0123456789.") == n &&
           sscanf(host, "%3u.%3u.%3u.%3u", &a, &b, &c, &d) == 4 && a == 127 && b < 256 && c < 256 &&
           d < 256;
}

int cli_tls_url_check(const cli_tls *tls, const char *program, const char *url)
{
    if (!strncasecmp(url, "https://", 8))
        return 0;
    if (strncasecmp(url, "http://", 7) != 0) {
        fprintf(stderr, "%s: '%.64s' is not an http(s):// URL\n", program, url);
        return -1;
    }
    if (tls->allow_http || is_loopback(url + 7))
        return 0;
    fprintf(stderr,
            "%s: the URL is plain http to a host that is not loopback (the data and the URL's "
            "signature would travel in the clear): use https, or --allow-http\n",
            program);
    return -1;
}
