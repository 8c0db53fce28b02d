/*
 * Library setup (reference-counted) and runtime version queries.
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>

#include "core/common.h"
#include "core/log.h"
#include "sigv4/sigv4.h"
#include "skycrate/version.h"

static int init_count;

bool skycrate__global_initialized(void)
{
    return init_count > 0;
}

int skycrate_global_init(const skycrate_allocator *allocator)
{
    if (allocator && (!allocator->malloc || !allocator->realloc || !allocator->free))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "allocator table is incomplete: all three hooks are required");
    if (init_count > 0) {
        if (allocator && !skycrate__alloc_is(allocator))
            return skycrate__error_set(
                SKYCRATE_EINVAL, "the allocator cannot change while the library is initialised");
        return ++init_count;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return skycrate__error_set(SKYCRATE_ERROR, "libcurl could not be initialised");
    skycrate__alloc_set(allocator);
    return ++init_count;
}

int skycrate_global_cleanup(void)
{
    if (init_count <= 0)
        return skycrate__error_set(SKYCRATE_ERROR,
                                   "skycrate_global_cleanup() without skycrate_global_init()");
    if (--init_count == 0) {
        /* Other threads' signing-key caches are wiped when they exit. */
        skycrate__sigv4_cache_clear();
        curl_global_cleanup();
        skycrate__alloc_set(NULL);
    }
    return init_count;
}

unsigned int skycrate_version(void)
{
    return SKYCRATE_VERSION_NUM;
}

const char *skycrate_version_string(void)
{
    return SKYCRATE_VERSION;
}

uint32_t skycrate_features(void)
{
    return SKYCRATE_FEATURE_CURL | SKYCRATE_FEATURE_THREADS;
}
