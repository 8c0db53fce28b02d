/*
 * The progress meter of a transfer: lanes add the bytes they move; the calling thread reports
 * them to the caller's callback at most once per interval, and learns from its answer whether
 * to stop.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "transfer/transfer.h"

void skycrate__progress_init(skycrate__progress *p, const skycrate_transfer_options *o,
                             uint64_t total)
{
    memset(p, 0, sizeof(*p));
    p->fn = o->progress;
    p->user_data = o->progress_user_data;
    p->interval_ms = o->progress_interval_ms;
    p->total = total;
    p->caller = pthread_self();
    p->last_ms = skycrate__monotonic_ms();
}

void skycrate__progress_add(skycrate__progress *p, int64_t delta)
{
    __atomic_add_fetch(&p->moved, (uint64_t)delta, __ATOMIC_RELAXED);
}

bool skycrate__progress_report(skycrate__progress *p, bool force)
{
    if (__atomic_load_n(&p->cancel_code, __ATOMIC_ACQUIRE))
        return true;
    if (!p->fn)
        return false;
    int64_t now = skycrate__monotonic_ms();
    if (!force && now - p->last_ms < (int64_t)p->interval_ms)
        return false;
    p->last_ms = now;
    uint64_t moved = __atomic_load_n(&p->moved, __ATOMIC_RELAXED);
    if (p->total != SKYCRATE_TRANSFER_SIZE_UNKNOWN && moved > p->total)
        moved = p->total;
    int rc = p->fn(moved, p->total, p->user_data);
    if (rc == 0)
        return false;
    /* A negative code is the caller's own (passed through); anything else is a plain cancel. */
    __atomic_store_n(&p->cancel_code, rc < 0 ? rc : SKYCRATE_ECANCELED, __ATOMIC_RELEASE);
    return true;
}

int skycrate__progress_cancelled(const skycrate__progress *p)
{
    int code = __atomic_load_n(&p->cancel_code, __ATOMIC_ACQUIRE);
    if (code == SKYCRATE_ECANCELED)
        return skycrate__error_set(code, "the transfer was cancelled by its progress callback");
    return skycrate__error_after_callback(code, "progress");
}

int skycrate__progress_finish(skycrate__progress *p)
{
    if (skycrate__progress_report(p, true))
        return skycrate__progress_cancelled(p);
    return 0;
}

int skycrate__progress_check(skycrate__progress *p)
{
    if (pthread_equal(pthread_self(), p->caller))
        skycrate__progress_report(p, false);
    if (__atomic_load_n(&p->cancel_code, __ATOMIC_ACQUIRE))
        return skycrate__progress_cancelled(p);
    return 0;
}

int skycrate__progress_on_body(uint64_t position, void *meter)
{
    skycrate__body_meter *m = meter;
    skycrate__progress_add(m->progress, (int64_t)position - (int64_t)m->counted);
    m->counted = position;
    return skycrate__progress_check(m->progress);
}
