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
 * Replaces, in place, the values of everything that may carry a secret with "[redacted]"
 * (shortening the string): X-Amz-Signature / X-Amz-Security-Token / X-Amz-Credential query
 * parameters keep their names only for the first two; "Signature=" in Authorization headers;
 * x-amz-security-token headers; JSON/XML fields named like SecretAccessKey, SessionToken, Token.
 */
void skycrate__redact(char *s);

#endif
