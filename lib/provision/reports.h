/*
 * The reports of verify, usage and deprovision (internal view).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_REPORTS_H
#define SKYCRATE_PROVISION_REPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "provision/profile.h"
#include "provision/record.h"

typedef struct skycrate__verify_item {
    skycrate_verify_status status;
    skycrate__buf detail;
} skycrate__verify_item;

struct skycrate_verify_report {
    uint32_t magic;
    char *user_id, *bucket, *mode, *region;
    bool exists;
    bool checked; /* a server was asked (false for dev records) */
    skycrate__verify_item items[SKYCRATE__STEP_COUNT];
    skycrate__verify_item browser; /* the browser check (browser.c) */
};

/* verify's browser check (browser.c): a CORS preflight from each profile origin for each
 * method of the rule, then a presigned PUT and DELETE of SKYCRATE__BROWSER_PROBE_KEY sent as a
 * browser sends them; a refusal is drift, with the doctor's words. Fills r->browser. 0, or
 * SKYCRATE_ENOMEM / the credentials' code (a server's refusal is no failure of verify). */
#define SKYCRATE__BROWSER_PROBE_KEY ".skycrate/browser-probe"
int skycrate__verify_browser(skycrate_verify_report *r, skycrate_provisioner *p,
                             const char *bucket);

/* A report for a record: strings copied, every item NOT_CHECKED. 0 or SKYCRATE_ENOMEM. */
int skycrate__verify_report_new(skycrate_verify_report **out, const json_t *record);

typedef struct skycrate__usage_class {
    char *name;
    uint64_t objects, bytes;
} skycrate__usage_class;

struct skycrate_usage_report {
    uint32_t magic;
    char *user_id, *bucket, *mode;
    bool checked; /* a server was asked (false for dev records) */
    uint64_t objects, bytes;
    skycrate__usage_class *classes; /* sorted by name */
    size_t class_count;
    bool versions_listed; /* false: the server lists no versions (noncurrent figures unknown) */
    uint64_t noncurrent_objects, noncurrent_bytes, delete_markers;
    uint64_t uploads, upload_parts, upload_bytes; /* unfinished multipart uploads */
};

int skycrate__usage_report_new(skycrate_usage_report **out, const json_t *record);
/* Counts one object of `size` bytes in `storage_class` (NULL or "": STANDARD). 0 or ENOMEM. */
int skycrate__usage_report_add(skycrate_usage_report *report, const char *storage_class,
                               uint64_t size);

struct skycrate_deprovision_report {
    uint32_t magic;
    bool dry_run;
    skycrate__deletion_counts counts;
    skycrate_record *record;
};

/* A report holding a new reference to `record`. 0 or SKYCRATE_ENOMEM. */
int skycrate__deprovision_report_new(skycrate_deprovision_report **out, json_t *record,
                                     bool dry_run, const skycrate__deletion_counts *counts);

#endif
