/*
 * What the command-line programs share about TLS and plain http: --ca-file, --ca-path and
 * --allow-http, and the CA bundle of the environment when no option names one.
 *
 * Certificates are always verified. The CA bundle is --ca-file, else AWS_CA_BUNDLE (as the
 * AWS CLI), else CURL_CA_BUNDLE (as curl), else SSL_CERT_FILE (as OpenSSL); the directory is
 * --ca-path, else SSL_CERT_DIR; none: the system's. Plain http goes to a loopback host only,
 * unless --allow-http says otherwise (the library's rule: skycrate_client_config_set_allow_http()).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_EXAMPLES_CLI_TLS_H
#define SKYCRATE_EXAMPLES_CLI_TLS_H

#include <getopt.h>

#include <skycrate.h>

typedef struct cli_tls {
    const char *ca_file, *ca_path;
    int allow_http;
} cli_tls;

/* getopt_long values of the options, above any a program uses for its own. */
enum { CLI_TLS_CA_FILE = 0x1001, CLI_TLS_CA_PATH, CLI_TLS_ALLOW_HTTP };

/* The entries for a program's `struct option` table. */
#define CLI_TLS_OPTIONS                                                                            \
    {"ca-file", required_argument, NULL, CLI_TLS_CA_FILE},                                         \
        {"ca-path", required_argument, NULL, CLI_TLS_CA_PATH},                                     \
    {                                                                                              \
        "allow-http", no_argument, NULL, CLI_TLS_ALLOW_HTTP                                        \
    }

/* The lines of --help about them, their descriptions at column 21 plus the spaces PAD, so that
 * they line up with the program's own options: CLI_TLS_HELP("  ") for column 23. */
#define CLI_TLS_HELP(PAD)                                                                          \
    "  --ca-file FILE     " PAD "trust the CA certificates of this PEM bundle\n"                   \
    "                     " PAD "(default: AWS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE,\n"        \
    "                     " PAD "else the system's)\n"                                             \
    "  --ca-path DIR      " PAD "trust the hashed CA certificates of this directory\n"             \
    "                     " PAD "(default: SSL_CERT_DIR)\n"                                        \
    "  --allow-http       " PAD "plain http:// to a host that is not loopback (endpoint,\n"        \
    "                     " PAD "STS, presigned URLs): credentials and data would travel\n"        \
    "                     " PAD "in the clear\n"

/* Takes an option of CLI_TLS_OPTIONS: 1 when `opt` was one, 0 when not. */
int cli_tls_option(cli_tls *tls, int opt, const char *arg);

/* Parses a command line of the TLS options and then exactly `operands` operands, for programs
 * that take no other option: the index of the first operand, or -1 (a usage error). */
int cli_tls_parse(cli_tls *tls, int argc, char **argv, int operands);

/* Sets the endpoint (NULL: none, the environment's or AWS), the CA certificates (options, else
 * the environment) and the plain-http permission on a client configuration. An http endpoint
 * to a host that is not loopback, without --allow-http, is refused here, with a message that
 * names the option. 0, or the library's error code (its message says why). */
int cli_tls_apply(const cli_tls *tls, skycrate_client_config *config, const char *endpoint);

/* The CA bundle and directory to trust: the options, else the environment; NULL for none (the
 * system's), for programs that make requests of their own (presigned URLs through libcurl). */
void cli_tls_ca(const cli_tls *tls, const char **file_out, const char **path_out);

/* Whether a program may send to `url` itself: an https URL, or an http URL to a loopback host
 * (localhost, 127.0.0.0/8, [::1]) or with --allow-http. 0, or -1 with a message on stderr. */
int cli_tls_url_check(const cli_tls *tls, const char *program, const char *url);

#endif
