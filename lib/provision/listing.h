/*
 * One page of a bucket listing for deprovisioning and usage: object versions, objects
 * (ListObjectsV2, where versions are not supported) and unfinished multipart uploads. Keys are
 * requested URL-encoded (as botocore does) so that any key survives the XML.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_PROVISION_LISTING_H
#define SKYCRATE_PROVISION_LISTING_H

#include <stdbool.h>

#include "provision/steps.h"
#include "xml/s3.h"

/*
 * ListObjectVersions from the markers (NULL: the first page). `unsupported` is set (and 0
 * returned with an empty page) when the server does not list versions: 501/405, or a 200 with
 * another document. Returns 0, the request's code (the outcome holds the answer) or
 * SKYCRATE_EPARSE.
 */
int skycrate__list_versions(skycrate__s3_list_versions *page, bool *unsupported,
                            skycrate__outcome *o, skycrate_provisioner *p, const char *bucket,
                            const char *key_marker, const char *version_id_marker);

/* ListObjectsV2 from a continuation token (NULL: the first page). */
int skycrate__list_objects(skycrate__s3_list_v2 *page, skycrate__outcome *o,
                           skycrate_provisioner *p, const char *bucket, const char *token);

/* ListMultipartUploads from the markers; `unsupported` as for versions. */
int skycrate__list_uploads(skycrate__s3_list_uploads *page, bool *unsupported, skycrate__outcome *o,
                           skycrate_provisioner *p, const char *bucket, const char *key_marker,
                           const char *upload_id_marker);

/* ListParts of one unfinished upload from a part-number marker (0: the first page). */
int skycrate__list_parts(skycrate__s3_list_parts *page, skycrate__outcome *o,
                         skycrate_provisioner *p, const char *bucket, const char *key,
                         const char *upload_id, uint32_t marker);

#endif
