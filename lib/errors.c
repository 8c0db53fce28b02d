/*
 * The dependencies' errors as library errors (errors.h).
 * SPDX-License-Identifier: MIT
 */
#include "errors.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

int skycrate__error_code_from_curl(int curl_code)
{
    CURLcode code = (CURLcode)curl_code;
    switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SEND_FAIL_REWIND: return SKYCRATE_ECONNECT; /* reached, then lost */
    case CURLE_OPERATION_TIMEDOUT: return SKYCRATE_ETIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED: return SKYCRATE_ETLS;
    case CURLE_OUT_OF_MEMORY: return SKYCRATE_ENOMEM;
    default: return SKYCRATE_ERROR;
    }
}

int skycrate__error_from_json(int code, const struct json_error_t *e, bool show_text,
                              const char *fmt, ...)
{
    char what[SKYCRATE_ERROR_MESSAGE_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (show_text)
        return skycrate__error_set(code, "%s: %s (line %d, column %d)", what, e->text, e->line,
                                   e->column);
    return skycrate__error_set(code, "%s (line %d, column %d)", what, e->line, e->column);
}

int skycrate__error_from_mbedtls(int code, int ret, const char *what)
{
    return skycrate__error_set(code, "%s failed (mbedTLS error -0x%04X)", what,
                               (unsigned int)(ret < 0 ? -ret : ret));
}
