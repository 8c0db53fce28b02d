/*
 * Logging with redaction.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_LOG_H
#define SKYCRATE_CORE_LOG_H

#include <stdbool.h>

#include "core/error.h"
#include "skycrate/log.h"

/* True when a line at `level` would reach a callback (test before costly formatting). */
bool skycrate__log_enabled(skycrate_log_level level);

/* Formats, redacts and delivers one line. */
void skycrate__log(skycrate_log_level level, const char *fmt, ...) SKYCRATE_PRINTF(2, 3);

/*
 * Replaces, in place, the whole value of every field that may carry a secret with
 * "[redacted]", whatever its length: X-Amz-Signature, X-Amz-Security-Token and
 * WebIdentityToken query parameters; x-amz-security-token and x-aws-ec2-metadata-token header
 * lines; Authorization's Signature=; aws_secret_access_key, aws_session_token and
 * aws_security_token lines of a shared file; JSON members and XML elements named like
 * SecretAccessKey, SessionToken, Token, Signature, Policy, WebIdentityToken. Each value ends
 * where its field's syntax ends it (log.c lists them), not at the first space or quote. The
 * string may grow; `capacity` is the size of its buffer (a line that cannot grow is cut after
 * the marker).
 */
void skycrate__redact(char *s, size_t capacity);

#endif
