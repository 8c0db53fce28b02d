/*
 * Request gates (see http.h): a mutex, a condition variable and a state resolved once.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "http/http.h"

int skycrate__http_gate_init(skycrate__http_gate *gate)
{
    memset(gate, 0, sizeof(*gate));
    if (pthread_mutex_init(&gate->lock, NULL) != 0)
        return skycrate__error_set(SKYCRATE_ERROR, "could not create a gate's mutex");
    if (pthread_cond_init(&gate->changed, NULL) != 0) {
        pthread_mutex_destroy(&gate->lock);
        return skycrate__error_set(SKYCRATE_ERROR, "could not create a gate's condvar");
    }
    return 0;
}

void skycrate__http_gate_dispose(skycrate__http_gate *gate)
{
    pthread_cond_destroy(&gate->changed);
    pthread_mutex_destroy(&gate->lock);
}

static void resolve(skycrate__http_gate *gate, int state)
{
    pthread_mutex_lock(&gate->lock);
    if (gate->state == 0) {
        gate->state = state;
        pthread_cond_broadcast(&gate->changed);
    }
    pthread_mutex_unlock(&gate->lock);
}

void skycrate__http_gate_open(skycrate__http_gate *gate)
{
    resolve(gate, 1);
}

void skycrate__http_gate_cancel(skycrate__http_gate *gate)
{
    resolve(gate, -1);
}

bool skycrate__http_gate_wait(skycrate__http_gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    while (gate->state == 0)
        pthread_cond_wait(&gate->changed, &gate->lock);
    bool open = gate->state > 0;
    pthread_mutex_unlock(&gate->lock);
    return open;
}

bool skycrate__http_gate_cancelled(skycrate__http_gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    bool cancelled = gate->state < 0;
    pthread_mutex_unlock(&gate->lock);
    return cancelled;
}

int skycrate__http_gate_refused(const struct skycrate_http_request *req)
{
    char url[256];
    const char *u = req->url ? req->url : "";
    snprintf(url, sizeof(url), "%.*s", (int)strcspn(u, "?#"), u);
    return skycrate__error_set(SKYCRATE_ERROR, "%s %s: not sent (cancelled before it was due)",
                               req->method ? req->method : "?", url);
}
