/*
 * The syntax of values that the library puts into requests, checked the same way whether they
 * come from the caller, a file, the environment or a server's answer: HTTP header names and
 * values, and region names (which become part of host names and of the signing scope).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_SYNTAX_H
#define SKYCRATE_CORE_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/kv.h"

/* An RFC 7230 token (header names, methods): one or more of A-Z a-z 0-9 !#$%&'*+-.^_`|~. */
bool skycrate__http_token_ok(const char *s);

/* A header value sent as it is: printable ASCII, spaces and tabs; possibly empty. No CR, LF,
 * NUL or other control character (they would end the header and start another), no byte
 * above 0x7e (S3 takes ASCII only; encode others). */
bool skycrate__http_value_ok(const char *s);

/* A URL as a request carries it: printable ASCII without blanks (others are percent-encoded). */
bool skycrate__url_text_ok(const char *s);

/* Every header of a request, as above. SKYCRATE_EINVAL naming the first bad header (never its
 * value, which may be a secret). */
int skycrate__http_headers_check(const skycrate__kv *headers, size_t count);

/* The longest region name. */
#define SKYCRATE__REGION_MAX 63

/* A region name as botocore's validate_region_name has it: 1-63 of A-Z a-z 0-9 and '-',
 * alphanumeric at both ends. Nothing else can reach a host name or a credential scope. */
bool skycrate__region_ok(const char *region);

/* skycrate__region_ok() or SKYCRATE_EINVAL: "<what> '<region>' is not a region name ...", the
 * region quoted up to 64 characters, with those outside printable ASCII as '?'. */
int skycrate__region_check(const char *region, const char *what);

#endif
