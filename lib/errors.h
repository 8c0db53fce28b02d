/*
 * The one place where the dependencies' errors become library errors (docs/HACKING.md): libcurl's
 * CURLcode, jansson's parse errors and mbedTLS's return codes reach the caller only as a
 * library code with a message made here.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_LIB_ERRORS_H
#define SKYCRATE_LIB_ERRORS_H

#include <stdbool.h>

#include "core/error.h"

/* The dependencies' types are only named here, so that including this header does not pull
 * libcurl or jansson into a layer that does not use them (crypto/ includes it for mbedTLS). */
struct json_error_t;

/* The library's code for a failed libcurl transfer: SKYCRATE_ECONNECT (not reached, or reached
 * and lost), SKYCRATE_ETIMEOUT, SKYCRATE_ETLS, SKYCRATE_ENOMEM or SKYCRATE_ERROR. Sets no error:
 * the caller knows the request the message must name. */
int skycrate__error_code_from_curl(int curl_code);

/*
 * Records `code` with "<fmt...>: <jansson's text> (line L, column C)" and returns it. jansson's
 * text can quote the input ("near '...'"); with `show_text` false only the position is shown,
 * for input that may hold a secret (credentials).
 */
int skycrate__error_from_json(int code, const struct json_error_t *e, bool show_text,
                              const char *fmt, ...) SKYCRATE_PRINTF(4, 5);

/* Records `code` with "<what> failed (mbedTLS error -0xNNNN)" for mbedTLS's return `ret`. */
int skycrate__error_from_mbedtls(int code, int ret, const char *what);

#endif
