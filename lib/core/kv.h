/*
 * A borrowed name/value pair: query parameters and headers handed between layers.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_CORE_KV_H
#define SKYCRATE_CORE_KV_H

typedef struct skycrate__kv {
    const char *name;
    const char *value;
} skycrate__kv;

#endif
