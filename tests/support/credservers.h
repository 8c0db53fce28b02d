/*
 * Fake AWS credential endpoints on 127.0.0.1 for loopback and integration tests, built on the
 * handler mode of httpserver.h. Each speaks the real protocol of its service:
 *
 *  - IMDSv2 (FAKE_IMDS): PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds
 *    (1..21600, else 400; a request with X-Forwarded-For is 403), then GETs under
 *    /latest/meta-data/iam/security-credentials/ with X-aws-ec2-metadata-token (a wrong or
 *    missing token is 401): the role name, then {"Code": "Success", "LastUpdated", "Type":
 *    "AWS-HMAC", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}. With a token status
 *    of 403/404/405 it is an IMDSv1-only service: the PUT gets that status and GETs need no
 *    token.
 *  - Container (FAKE_CONTAINER): GET on any path; when an authorization token is required, an
 *    Authorization header other than it is 401 {"code", "message"}; else {"AccessKeyId",
 *    "SecretAccessKey", "Token", "Expiration", "RoleArn"}.
 *  - STS (FAKE_STS): POST / with a Query API form. AssumeRoleWithWebIdentity checks the token
 *    (InvalidIdentityToken otherwise); AssumeRole needs an AWS4-HMAC-SHA256 Authorization with
 *    the expected access key id and scope .../sts/aws4_request (InvalidClientTokenId,
 *    MissingAuthenticationToken otherwise; the signature itself is not verified: the golden
 *    vectors and radosgw do that). Answers are the STS XML documents, errors <ErrorResponse>.
 *
 * Every server records its requests (fake_http() gives the httpserver for hs_request_at()).
 * Memory is plain libc. Thread-safe: settings may change while requests are served.
 */
#ifndef SKYCRATE_TEST_CREDSERVERS_H
#define SKYCRATE_TEST_CREDSERVERS_H

#include <stdint.h>

#include "httpserver.h"

typedef enum { FAKE_IMDS = 1, FAKE_CONTAINER, FAKE_STS } fake_kind;

typedef struct fake_server fake_server;

/* Starts a server handing out AKIDFAKE / SECRETXFAKE... / TOKENFAKE, expiring in an hour. */
fake_server *fake_start(fake_kind kind);
void fake_stop(fake_server *f);
/* "http://127.0.0.1:PORT" */
const char *fake_url(const fake_server *f);
httpserver *fake_http(fake_server *f);

/* The credentials handed out (copied); expiration in seconds since the epoch, 0: an hour from
 * the real clock at each answer. token NULL: none in the answer. */
void fake_set_creds(fake_server *f, const char *access_key_id, const char *secret,
                    const char *token, int64_t expiration);
/* From now on, answer credential requests with this status and body as they are (malformed
 * answers); NULL restores the normal answers. */
void fake_set_answer(fake_server *f, int status, const char *body);
/* Wait this long before every answer. */
void fake_set_delay(fake_server *f, unsigned int ms);
/* How many credentials were handed out. */
unsigned int fake_hits(fake_server *f);

/* IMDS: the role (NULL: the instance has none, 404), "skycrate-role" by default. */
void fake_imds_set_role(fake_server *f, const char *role);
/* IMDS: what the token PUT gets (200 by default; 403/404/405: IMDSv1 only). */
void fake_imds_set_token_status(fake_server *f, int status);
/* Container: the Authorization value required (NULL: none). */
void fake_container_require_auth(fake_server *f, const char *token);
/* STS: the web identity token AssumeRoleWithWebIdentity accepts (default "fake-jwt"). */
void fake_sts_expect_token(fake_server *f, const char *token);
/* STS: the access key id AssumeRole must be signed with (default "AKIDSOURCE"). */
void fake_sts_expect_key(fake_server *f, const char *access_key_id);

#endif
