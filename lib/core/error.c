/*
 * Error codes, their static text, and the per-thread last error.
 * SPDX-License-Identifier: MIT
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"

typedef struct {
    skycrate_error error;
    char message[SKYCRATE_ERROR_MESSAGE_MAX];
} error_slot;

static _Thread_local error_slot slot = {{1, 0, ""}, ""};

static void slot_store(int code, const char *message)
{
    snprintf(slot.message, sizeof(slot.message), "%s", message);
    skycrate__redact(slot.message, sizeof(slot.message));
    slot.error.age = 1;
    slot.error.code = code;
    slot.error.message = slot.message;
}

int skycrate__error_set(int code, const char *fmt, ...)
{
    char buf[SKYCRATE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    slot_store(code, buf);
    return code;
}

int skycrate__error_nomem(void)
{
    return skycrate__error_set(SKYCRATE_ENOMEM, "out of memory");
}

int skycrate__error_after_callback(int rc, const char *what)
{
    if (rc < 0 && (slot.error.code != rc || slot.message[0] == '\0'))
        skycrate__error_set(rc, "%s callback returned %d", what, rc);
    return rc;
}

int skycrate__error_prefix(const char *fmt, ...)
{
    char prefix[256], old[SKYCRATE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, slot.message, sizeof(old));
    size_t n = strlen(prefix);
    if (n > sizeof(slot.message) - 3)
        n = sizeof(slot.message) - 3;
    memcpy(slot.message, prefix, n);
    memcpy(slot.message + n, ": ", 2);
    size_t rest = sizeof(slot.message) - n - 3;
    size_t olen = strnlen(old, rest);
    memcpy(slot.message + n + 2, old, olen);
    slot.message[n + 2 + olen] = '\0';
    return slot.error.code;
}

void skycrate__error_keep(skycrate__kept_error *kept, int code)
{
    kept->code = code;
    kept->message = skycrate__strdup(slot.message);
}

int skycrate__error_restore(skycrate__kept_error *kept)
{
    int code = kept->code;
    if (code == SKYCRATE_ENOMEM && !kept->message)
        skycrate__error_nomem();
    else
        skycrate__error_set(code, "%s", kept->message ? kept->message : skycrate_strerror(code));
    skycrate__kept_error_dispose(kept);
    return code;
}

void skycrate__kept_error_dispose(skycrate__kept_error *kept)
{
    skycrate__free(kept->message);
    kept->message = NULL;
}

const skycrate_error *skycrate_error_last(void)
{
    if (slot.error.message == NULL)
        slot.error.message = "";
    return &slot.error;
}

void skycrate_error_clear(void)
{
    slot.error.code = 0;
    slot.message[0] = '\0';
    slot.error.message = slot.message;
}

void skycrate_error_set_str(int code, const char *message)
{
    slot_store(code, message ? message : "");
}

const char *skycrate_strerror(int code)
{
    switch (code) {
    case SKYCRATE_OK: return "success";
    case SKYCRATE_ERROR: return "generic error";
    case SKYCRATE_ENOMEM: return "out of memory";
    case SKYCRATE_EINVAL: return "invalid argument";
    case SKYCRATE_ENOTFOUND: return "not found";
    case SKYCRATE_EEXISTS: return "already exists";
    case SKYCRATE_EAUTH: return "no usable credentials";
    case SKYCRATE_EHTTP: return "unexpected HTTP answer";
    case SKYCRATE_ETLS: return "TLS failure";
    case SKYCRATE_ETIMEOUT: return "timed out";
    case SKYCRATE_EPARSE: return "malformed document";
    case SKYCRATE_EUSER: return "user callback error";
    case SKYCRATE_EACCESS: return "access denied";
    case SKYCRATE_ESIGNATURE: return "signature does not match";
    case SKYCRATE_EEXPIRED: return "expired";
    case SKYCRATE_ESKEW: return "clock skew too large";
    case SKYCRATE_ENOTIMPL: return "not implemented by the server";
    case SKYCRATE_ETHROTTLED: return "throttled by the server";
    case SKYCRATE_ECONNECT: return "could not connect";
    case SKYCRATE_ECONFLICT: return "conflicting state";
    case SKYCRATE_EIO: return "local I/O error";
    case SKYCRATE_EREGION: return "wrong region";
    case SKYCRATE_ECANCELED: return "cancelled";
    default: return "unknown error code";
    }
}
