/*
 * The usage report: objects and bytes, in total and per storage class, from ListObjectsV2 page
 * by page (current versions; any number of objects).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "provision/listing.h"
#include "provision/reports.h"
#include "store/store.h"

static int count(skycrate_usage_report *report, skycrate_provisioner *p, const char *bucket)
{
    char *token = NULL;
    int error = 0;
    for (;;) {
        skycrate__s3_list_v2 page;
        skycrate__outcome o;
        skycrate__outcome_init(&o);
        error = skycrate__list_objects(&page, &o, p, bucket, token);
        skycrate__outcome_dispose(&o);
        for (size_t i = 0; error == 0 && i < page.count; i++)
            error = skycrate__usage_report_add(report, page.entries[i].storage_class,
                                               page.entries[i].size);
        skycrate__free(token);
        token = page.next_continuation_token;
        page.next_continuation_token = NULL;
        bool more = page.truncated && token;
        skycrate__s3_list_v2_dispose(&page);
        if (error < 0 || !more)
            break;
    }
    skycrate__free(token);
    return error;
}

int skycrate_provisioner_usage(skycrate_usage_report **out, skycrate_provisioner *p,
                               const char *user_id)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_HANDLE(p, SKYCRATE_MAGIC_PROVISIONER);
    SKYCRATE_ASSERT_ARG(user_id);
    json_t *record = NULL;
    skycrate_usage_report *report = NULL;
    int error = skycrate__user_id_check(user_id);
    if (error == 0)
        error = skycrate__provisioner_load(&record, p, user_id);
    if (error == 0)
        error = skycrate__usage_report_new(&report, record);
    if (error == 0 && !skycrate__record_is_dev(record) &&
        (error = skycrate__provisioner_reach(p, record, user_id, "count")) == 0)
        error = count(report, p, skycrate__record_str(record, "bucket"));
    if (error == 0)
        *out = report;
    else
        skycrate_usage_report_free(report);
    json_decref(record);
    return error;
}
