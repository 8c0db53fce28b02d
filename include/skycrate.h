/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_H
#define SKYCRATE_H

/**
 * @file skycrate.h
 * @brief The umbrella header: include this one.
 */

#include "skycrate/common.h"
#include "skycrate/version.h"
#include "skycrate/errors.h"
#include "skycrate/alloc.h"
#include "skycrate/log.h"
#include "skycrate/credentials.h"
#include "skycrate/transport.h"
#include "skycrate/client.h"
#include "skycrate/objects.h"
#include "skycrate/buckets.h"
#include "skycrate/store.h"
#include "skycrate/presigner.h"
#include "skycrate/post_policy.h"
#include "skycrate/multipart.h"
#include "skycrate/doctor.h"
#include "skycrate/provisioner_config.h"
#include "skycrate/record.h"
#include "skycrate/reports.h"
#include "skycrate/transfer.h"
#include "skycrate/provisioner.h"

#endif /* SKYCRATE_H */
