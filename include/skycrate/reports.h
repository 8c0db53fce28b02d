/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_REPORTS_H
#define SKYCRATE_REPORTS_H

/**
 * @file skycrate/reports.h
 * @brief The results of verify, usage and deprovision.
 * @defgroup skycrate_reports Reports
 *
 * Each report is an independent, immutable object returned by a provisioner call: any
 * thread may read it; free it with its own `_free`.
 * @{
 */

#include "skycrate/common.h"
#include "skycrate/record.h"

SKYCRATE_BEGIN_DECLS

/** What verify found for one step. */
typedef enum skycrate_verify_status {
    SKYCRATE_VERIFY_STATUS_NOT_CHECKED = 0, /**< Off, skipped when provisioning, or a dev record. */
    SKYCRATE_VERIFY_STATUS_MATCH = 1,       /**< The server's configuration matches the profile. */
    SKYCRATE_VERIFY_STATUS_DRIFT = 2,   /**< It differs from the profile (the detail says how). */
    SKYCRATE_VERIFY_STATUS_MISSING = 3, /**< There is none (`NoSuch...`, or no bucket). */
    SKYCRATE_VERIFY_STATUS_UNSUPPORTED =
        4,                           /**< The server answered with another document or 501/405. */
    SKYCRATE_VERIFY_STATUS_ERROR = 5 /**< The read failed (the detail says why). */
} skycrate_verify_status;

/**
 * @brief Whether everything verify checked matches the profile: the bucket exists, no step is
 *        in drift, missing, unsupported or in error, and the browser check passed. A dev
 *        record has nothing on a server to check: its report says 1 here, with
 *        skycrate_verify_report_checked() 0, skycrate_verify_report_bucket_exists() 0, and
 *        every step and the browser check #SKYCRATE_VERIFY_STATUS_NOT_CHECKED.
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_verify_report_ok(const skycrate_verify_report *report);

/**
 * @brief Whether verify asked a server: 0 for a dev record (dev mode makes no bucket, so
 *        there is nothing to check), else 1.
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_verify_report_checked(const skycrate_verify_report *report);

/**
 * @brief The browser check: a CORS preflight (OPTIONS with `Origin`,
 *        `Access-Control-Request-Method` and `-Headers`) from each origin of the profile for
 *        each method of its CORS rule, then a presigned PUT and a presigned DELETE of the
 *        reserved key `.skycrate/browser-probe`, sent as a client sends them. A refused
 *        preflight or request is #SKYCRATE_VERIFY_STATUS_DRIFT, and the detail says which,
 *        with the 403 doctor's verdict (skycrate_doctor_diagnose()).
 *        #SKYCRATE_VERIFY_STATUS_NOT_CHECKED without origins in the profile, for a dev record
 *        or a missing bucket.
 * @param[out] detail_out what was found (borrowed, lives as long as the report); may be NULL.
 * @param[in] report the report.
 * @return a #skycrate_verify_status value.
 */
SKYCRATE_API skycrate_verify_status
skycrate_verify_report_browser(const char **detail_out, const skycrate_verify_report *report);

/**
 * @brief Whether the bucket exists and is accessible (HeadBucket answered 200).
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_verify_report_bucket_exists(const skycrate_verify_report *report);

/**
 * @brief The bucket's region as the server reported it (`x-amz-bucket-region`).
 * @param[in] report the report.
 * @return a borrowed string that lives as long as the report; "" when the server did not say.
 */
SKYCRATE_API const char *skycrate_verify_report_region(const skycrate_verify_report *report);

/**
 * @brief What verify found for one step (#SKYCRATE_STEP_CREATE: the bucket itself).
 * @param[in] report the report.
 * @param[in] step a #skycrate_step value.
 * @return a #skycrate_verify_status value.
 */
SKYCRATE_API skycrate_verify_status
skycrate_verify_report_step(const skycrate_verify_report *report, skycrate_step step);

/**
 * @brief Details for one step: what differs, or the server's answer.
 * @param[in] report the report.
 * @param[in] step a #skycrate_step value.
 * @return a borrowed string that lives as long as the report; "" when there is nothing to say.
 */
SKYCRATE_API const char *skycrate_verify_report_step_detail(const skycrate_verify_report *report,
                                                            skycrate_step step);

/**
 * @brief Renders the report as JSON:
 *        `{"userId", "bucket", "mode", "ok", "checked", "exists", "region", "steps":
 *        {"<step>": {"status": "match", "detail": ""}, ...}, "browser": {"status",
 *        "detail"}}`.
 * @param[out] out a NUL-terminated string; free it with skycrate_free().
 * @param[in] report the report.
 * @param[in] flags 0 or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_verify_report_to_json(char **out, const skycrate_verify_report *report,
                                                uint32_t flags);

/**
 * @brief Frees a verify report. NULL does nothing.
 * @param[in] report the report.
 */
SKYCRATE_API void skycrate_verify_report_free(skycrate_verify_report *report);

/**
 * @brief The number of objects (current versions; the other storage a user pays for has its
 *        own figures below).
 * @param[in] report the report.
 * @return the count.
 */
SKYCRATE_API uint64_t skycrate_usage_report_objects(const skycrate_usage_report *report);

/**
 * @brief The bytes of all objects.
 * @param[in] report the report.
 * @return the sum of their sizes.
 */
SKYCRATE_API uint64_t skycrate_usage_report_bytes(const skycrate_usage_report *report);

/**
 * @brief The number of storage classes seen.
 * @param[in] report the report.
 * @return the count (0 for an empty bucket).
 */
SKYCRATE_API size_t skycrate_usage_report_class_count(const skycrate_usage_report *report);

/**
 * @brief The name of a storage class ("STANDARD", "GLACIER", ...), sorted by name.
 * @param[in] report the report.
 * @param[in] index 0 .. skycrate_usage_report_class_count() - 1.
 * @return a borrowed string that lives as long as the report, or NULL for an index out of range.
 */
SKYCRATE_API const char *skycrate_usage_report_class_name(const skycrate_usage_report *report,
                                                          size_t index);

/**
 * @brief The number of objects in a storage class.
 * @param[in] report the report.
 * @param[in] index 0 .. skycrate_usage_report_class_count() - 1.
 * @return the count (0 for an index out of range).
 */
SKYCRATE_API uint64_t skycrate_usage_report_class_objects(const skycrate_usage_report *report,
                                                          size_t index);

/**
 * @brief The bytes in a storage class.
 * @param[in] report the report.
 * @param[in] index 0 .. skycrate_usage_report_class_count() - 1.
 * @return the bytes (0 for an index out of range).
 */
SKYCRATE_API uint64_t skycrate_usage_report_class_bytes(const skycrate_usage_report *report,
                                                        size_t index);

/**
 * @brief Whether the server listed object versions, so that the noncurrent figures and delete
 *        markers were counted (a server without ListObjectVersions is counted with
 *        ListObjectsV2: current objects only, and these figures are 0).
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_usage_report_versions_listed(const skycrate_usage_report *report);

/**
 * @brief The number of noncurrent versions (in a versioned bucket: the older versions of
 *        objects, stored and paid for until deleted).
 * @param[in] report the report.
 * @return the count.
 */
SKYCRATE_API uint64_t skycrate_usage_report_noncurrent_objects(const skycrate_usage_report *report);

/**
 * @brief The bytes of the noncurrent versions.
 * @param[in] report the report.
 * @return the sum of their sizes.
 */
SKYCRATE_API uint64_t skycrate_usage_report_noncurrent_bytes(const skycrate_usage_report *report);

/**
 * @brief The number of delete markers.
 * @param[in] report the report.
 * @return the count.
 */
SKYCRATE_API uint64_t skycrate_usage_report_delete_markers(const skycrate_usage_report *report);

/**
 * @brief The number of unfinished multipart uploads (neither completed nor aborted).
 * @param[in] report the report.
 * @return the count.
 */
SKYCRATE_API uint64_t skycrate_usage_report_upload_count(const skycrate_usage_report *report);

/**
 * @brief The number of parts stored for the unfinished multipart uploads.
 * @param[in] report the report.
 * @return the count.
 */
SKYCRATE_API uint64_t skycrate_usage_report_upload_parts(const skycrate_usage_report *report);

/**
 * @brief The bytes of the parts of the unfinished multipart uploads (stored and paid for until
 *        the uploads are completed or aborted).
 * @param[in] report the report.
 * @return the sum of their sizes.
 */
SKYCRATE_API uint64_t skycrate_usage_report_upload_bytes(const skycrate_usage_report *report);

/**
 * @brief Whether the usage was counted on a server: 0 for a dev record (no bucket; the counts
 *        are then 0), else 1.
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_usage_report_checked(const skycrate_usage_report *report);

/**
 * @brief Renders the report as JSON: `{"userId", "bucket", "mode", "checked", "objects",
 *        "bytes", "storageClasses": {"STANDARD": {"objects": 2, "bytes": 10}, ...},
 *        "versionsListed", "noncurrent": {"objects", "bytes"}, "deleteMarkers",
 *        "unfinishedUploads": {"uploads", "parts", "bytes"}}`.
 * @param[out] out a NUL-terminated string; free it with skycrate_free().
 * @param[in] report the report.
 * @param[in] flags 0 or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_usage_report_to_json(char **out, const skycrate_usage_report *report,
                                               uint32_t flags);

/**
 * @brief Frees a usage report. NULL does nothing.
 * @param[in] report the report.
 */
SKYCRATE_API void skycrate_usage_report_free(skycrate_usage_report *report);

/**
 * @brief Whether this was a dry run (nothing was deleted).
 * @param[in] report the report.
 * @return 1 or 0.
 */
SKYCRATE_API int skycrate_deprovision_report_dry_run(const skycrate_deprovision_report *report);

/**
 * @brief Object versions deleted (or, in a dry run, to delete); on a server without versioning
 *        support, objects.
 * @param[in] report the report.
 * @return the count, over every call that worked on this deprovisioning.
 */
SKYCRATE_API uint64_t
skycrate_deprovision_report_versions(const skycrate_deprovision_report *report);

/**
 * @brief Delete markers deleted (or to delete).
 * @param[in] report the report.
 * @return the count, over every call that worked on this deprovisioning.
 */
SKYCRATE_API uint64_t
skycrate_deprovision_report_delete_markers(const skycrate_deprovision_report *report);

/**
 * @brief Unfinished multipart uploads aborted (or to abort).
 * @param[in] report the report.
 * @return the count, over every call that worked on this deprovisioning.
 */
SKYCRATE_API uint64_t
skycrate_deprovision_report_uploads(const skycrate_deprovision_report *report);

/**
 * @brief Bytes of the object versions deleted (or to delete).
 * @param[in] report the report.
 * @return the sum of their sizes.
 */
SKYCRATE_API uint64_t skycrate_deprovision_report_bytes(const skycrate_deprovision_report *report);

/**
 * @brief The user's record after deprovisioning (as stored before, for a dry run).
 * @param[in] report the report.
 * @return a borrowed record that lives as long as the report.
 */
SKYCRATE_API const skycrate_record *
skycrate_deprovision_report_record(const skycrate_deprovision_report *report);

/**
 * @brief Renders the report as JSON: `{"userId", "bucket", "dryRun", "versions",
 *        "deleteMarkers", "uploads", "bytes", "record": {...}}`.
 * @param[out] out a NUL-terminated string; free it with skycrate_free().
 * @param[in] report the report.
 * @param[in] flags 0 or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_deprovision_report_to_json(char **out,
                                                     const skycrate_deprovision_report *report,
                                                     uint32_t flags);

/**
 * @brief Frees a deprovision report (and its record). NULL does nothing.
 * @param[in] report the report.
 */
SKYCRATE_API void skycrate_deprovision_report_free(skycrate_deprovision_report *report);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_REPORTS_H */
