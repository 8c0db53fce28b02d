/*
 * Readers for STS response documents (AssumeRole, AssumeRoleWithWebIdentity, errors).
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_XML_STS_H
#define SKYCRATE_XML_STS_H

#include <stddef.h>
#include <stdint.h>

/* <Credentials> of an AssumeRole or AssumeRoleWithWebIdentity answer: every field owned and
 * present after a successful parse. The secret and the token are wiped by _dispose. */
typedef struct skycrate__sts_credentials_doc {
    char *access_key_id;
    char *secret_access_key; /* a secret: wiped on dispose, never logged */
    char *session_token;     /* a secret: wiped on dispose, never logged */
    int64_t expiration;      /* seconds since the epoch */
} skycrate__sts_credentials_doc;

/*
 * Reads <AssumeRoleResponse><AssumeRoleResult><Credentials> or
 * <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>.
 * 0, SKYCRATE_EPARSE (another root, a missing or empty field, a bad Expiration; the message
 * never holds a value) or SKYCRATE_ENOMEM.
 */
int skycrate__sts_credentials_parse(skycrate__sts_credentials_doc *out, const char *xml,
                                    size_t len);
void skycrate__sts_credentials_dispose(skycrate__sts_credentials_doc *doc);

/* An STS error: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>, or the
 * S3-style <Error> root that some STS implementations send. Every field owned, NULL when
 * absent. */
typedef struct skycrate__sts_error_doc {
    char *type; /* "Sender" or "Receiver" */
    char *code;
    char *message;
    char *request_id;
} skycrate__sts_error_doc;

/* 0, SKYCRATE_EPARSE (not XML, another root) or SKYCRATE_ENOMEM. */
int skycrate__sts_error_doc_parse(skycrate__sts_error_doc *out, const char *xml, size_t len);
void skycrate__sts_error_doc_dispose(skycrate__sts_error_doc *doc);

#endif
