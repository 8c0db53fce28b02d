/*
 * S3 error codes to library codes.
 * SPDX-License-Identifier: MIT
 */
#include "s3/errors.h"

#include <string.h>

#include "skycrate/errors.h"

static const struct {
    const char *s3;
    int code;
} table[] = {
    {"AccessDenied", SKYCRATE_EACCESS},
    {"AccountProblem", SKYCRATE_EACCESS},
    {"AllAccessDisabled", SKYCRATE_EACCESS},
    {"AuthorizationHeaderMalformed", SKYCRATE_EREGION},
    {"BadDigest", SKYCRATE_EINVAL},
    {"BucketAlreadyExists", SKYCRATE_EEXISTS},
    {"BucketAlreadyOwnedByYou", SKYCRATE_EEXISTS},
    {"BucketNotEmpty", SKYCRATE_ECONFLICT},
    {"EntityTooLarge", SKYCRATE_EINVAL},
    {"EntityTooSmall", SKYCRATE_EINVAL},
    {"ExpiredToken", SKYCRATE_EEXPIRED},
    {"IllegalLocationConstraintException", SKYCRATE_EREGION},
    {"IncompleteBody", SKYCRATE_EINVAL},
    {"InvalidAccessKeyId", SKYCRATE_EAUTH},
    {"InvalidArgument", SKYCRATE_EINVAL},
    {"InvalidBucketName", SKYCRATE_EINVAL},
    {"InvalidDigest", SKYCRATE_EINVAL},
    {"InvalidLocationConstraint", SKYCRATE_EREGION},
    {"InvalidPart", SKYCRATE_EINVAL},
    {"InvalidPartOrder", SKYCRATE_EINVAL},
    {"InvalidRange", SKYCRATE_EINVAL},
    {"InvalidRequest", SKYCRATE_EINVAL},
    {"InvalidToken", SKYCRATE_EAUTH},
    {"KeyTooLongError", SKYCRATE_EINVAL},
    {"MalformedPolicy", SKYCRATE_EINVAL},
    {"MalformedXML", SKYCRATE_EINVAL},
    {"MetadataTooLarge", SKYCRATE_EINVAL},
    {"MethodNotAllowed", SKYCRATE_ENOTIMPL},
    {"MissingContentLength", SKYCRATE_EINVAL},
    {"MissingSecurityHeader", SKYCRATE_EINVAL},
    {"NoSuchBucket", SKYCRATE_ENOTFOUND},
    {"NoSuchBucketPolicy", SKYCRATE_ENOTFOUND},
    {"NoSuchCORSConfiguration", SKYCRATE_ENOTFOUND},
    {"NoSuchKey", SKYCRATE_ENOTFOUND},
    {"NoSuchLifecycleConfiguration", SKYCRATE_ENOTFOUND},
    {"NoSuchPublicAccessBlockConfiguration", SKYCRATE_ENOTFOUND},
    {"NoSuchTagSet", SKYCRATE_ENOTFOUND},
    {"NoSuchUpload", SKYCRATE_ENOTFOUND},
    {"NoSuchVersion", SKYCRATE_ENOTFOUND},
    {"NotImplemented", SKYCRATE_ENOTIMPL},
    {"OperationAborted", SKYCRATE_ECONFLICT},
    {"OwnershipControlsNotFoundError", SKYCRATE_ENOTFOUND},
    {"PermanentRedirect", SKYCRATE_EREGION},
    {"PreconditionFailed", SKYCRATE_ECONFLICT},
    {"Redirect", SKYCRATE_EREGION},
    {"RequestExpired", SKYCRATE_EEXPIRED},
    {"RequestTimeTooSkewed", SKYCRATE_ESKEW},
    {"RequestTimeout", SKYCRATE_ETIMEOUT},
    {"ServerSideEncryptionConfigurationNotFoundError", SKYCRATE_ENOTFOUND},
    {"ServiceUnavailable", SKYCRATE_ETHROTTLED},
    {"SignatureDoesNotMatch", SKYCRATE_ESIGNATURE},
    {"SlowDown", SKYCRATE_ETHROTTLED},
    {"TemporaryRedirect", SKYCRATE_EREGION},
    {"TokenRefreshRequired", SKYCRATE_EEXPIRED},
    {"TooManyBuckets", SKYCRATE_ECONFLICT},
    {"XAmzContentSHA256Mismatch", SKYCRATE_EINVAL},
};

int skycrate__s3_map_error(int status, const char *s3_code)
{
    if (s3_code && *s3_code) {
        /* The table is sorted: a binary search keeps this one comparison per level. */
        size_t lo = 0, hi = sizeof(table) / sizeof(table[0]);
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(s3_code, table[mid].s3);
            if (c == 0)
                return table[mid].code;
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
    }
    switch (status) {
    case 301:
    case 307: return SKYCRATE_EREGION;
    case 400: return SKYCRATE_EINVAL;
    case 401: return SKYCRATE_EAUTH;
    case 403: return SKYCRATE_EACCESS;
    case 404: return SKYCRATE_ENOTFOUND;
    case 405:
    case 501: return SKYCRATE_ENOTIMPL;
    case 409: return SKYCRATE_ECONFLICT;
    case 412: return SKYCRATE_ECONFLICT;
    case 429:
    case 503: return SKYCRATE_ETHROTTLED;
    default: return SKYCRATE_EHTTP;
    }
}

bool skycrate__s3_retryable(int status, const char *s3_code)
{
    /* OperationAborted: a conflicting operation on the same bucket is in progress (try again). */
    static const char *const codes[] = {
        "OperationAborted",    "SlowDown",           "RequestTimeout",
        "InternalError",       "ServiceUnavailable", "Throttling",
        "ThrottlingException", "RequestThrottled",   "TooManyRequestsException"};
    if (s3_code)
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
            if (!strcmp(s3_code, codes[i]))
                return true;
    return status == 500 || status == 502 || status == 503 || status == 504 || status == 429;
}
