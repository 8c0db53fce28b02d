/*
 * The record behind skycrate_client_last_response(): owned copies of what S3 answered.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "s3/client.h"

void skycrate__response_record_sync(skycrate__response_record *rec)
{
    rec->info.age = 1;
    rec->info.s3_code = skycrate__buf_cstr(&rec->s3_code);
    rec->info.s3_message = skycrate__buf_cstr(&rec->s3_message);
    rec->info.request_id = skycrate__buf_cstr(&rec->request_id);
    rec->info.host_id = skycrate__buf_cstr(&rec->host_id);
    rec->info.region = skycrate__buf_cstr(&rec->region);
    rec->info.string_to_sign = skycrate__buf_cstr(&rec->string_to_sign);
    rec->info.canonical_request = skycrate__buf_cstr(&rec->canonical_request);
}

#define EACH_FIELD(X)                                                                              \
    X(s3_code)                                                                                     \
    X(s3_message) X(request_id) X(host_id) X(region) X(string_to_sign) X(canonical_request)

void skycrate__response_record_init(skycrate__response_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    skycrate__response_record_sync(rec);
}

void skycrate__response_record_clear(skycrate__response_record *rec)
{
#define CLEAR(f) skycrate__buf_clear(&rec->f);
    EACH_FIELD(CLEAR)
#undef CLEAR
    rec->info.http_status = 0;
    rec->info.attempts = 0;
    skycrate__response_record_sync(rec);
}

void skycrate__response_record_dispose(skycrate__response_record *rec)
{
#define DISPOSE(f) skycrate__buf_dispose(&rec->f);
    EACH_FIELD(DISPOSE)
#undef DISPOSE
    skycrate__response_record_init(rec);
}

int skycrate__response_record_copy(skycrate__response_record *dst,
                                   const skycrate__response_record *src)
{
    skycrate__response_record_clear(dst);
    int error = 0;
#define COPY(f)                                                                                    \
    if (error == 0)                                                                                \
        error = skycrate__buf_put(&dst->f, src->f.ptr ? src->f.ptr : "", src->f.len);
    EACH_FIELD(COPY)
#undef COPY
    dst->info.http_status = src->info.http_status;
    dst->info.attempts = src->info.attempts;
    skycrate__response_record_sync(dst);
    return error;
}

void skycrate__client_set_last(skycrate_client *client, const skycrate__response_record *rec)
{
    pthread_mutex_lock(&client->lock);
    if (skycrate__response_record_copy(&client->last, rec) < 0)
        skycrate__response_record_clear(&client->last);
    pthread_mutex_unlock(&client->lock);
}
