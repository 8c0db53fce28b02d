/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_DOCTOR_H
#define SKYCRATE_DOCTOR_H

/**
 * @file skycrate/doctor.h
 * @brief The 403 doctor: why a presigned upload was refused, in plain words and as a verdict.
 * @defgroup skycrate_doctor 403 doctor
 *
 * A browser whose presigned upload fails often sees nothing but `TypeError: Failed to fetch`:
 * S3's `SignatureDoesNotMatch` carries no CORS headers, and a refused preflight carries none
 * either. The doctor tells the causes apart. It is given a *case* (#skycrate_doctor_case): the
 * contract or URL the client was given, what it sent (method, headers, the page's origin) and,
 * when known, the server's answers to the request and to its CORS preflight, the bucket's CORS
 * rules and policy. It returns a *diagnosis* (#skycrate_diagnosis): a typed verdict
 * (#skycrate_verdict), the subject it concerns (a header, an origin, a policy statement), what
 * was expected and what was found, and a sentence for a person, also as JSON.
 *
 * skycrate_doctor_diagnose() computes only (it recomputes the URL's signature with the
 * doctor's credentials when they hold the URL's access key). skycrate_doctor_replay() first
 * sends the request again from the server side, with an OPTIONS preflight from the case's
 * origin, and reads the bucket's CORS rules, policy and public access block with a client,
 * so that it sees what the browser could not.
 * @{
 */

#include "skycrate/common.h"

SKYCRATE_BEGIN_DECLS

/** What made a presigned request fail. The values are fixed forever. */
typedef enum skycrate_verdict {
    /** Nothing is wrong: the request succeeded, or no fault was found without an answer. */
    SKYCRATE_VERDICT_OK = 0,
    /** A failure the doctor cannot explain (the server's code is in the details). */
    SKYCRATE_VERDICT_UNKNOWN = 1,
    /** A signed header was not sent (subject: its name; expected: its signed value). */
    SKYCRATE_VERDICT_HEADER_MISSING = 2,
    /** A signed header was sent with another value (subject, expected, actual). */
    SKYCRATE_VERDICT_HEADER_MISMATCH = 3,
    /** An `x-amz-*` header was sent that the URL does not sign (subject: its name). */
    SKYCRATE_VERDICT_HEADER_UNSIGNED = 4,
    /** The request used another method than the one signed (expected, actual). */
    SKYCRATE_VERDICT_METHOD_MISMATCH = 5,
    /** The URL was changed after signing, or signed with a secret the server does not hold. */
    SKYCRATE_VERDICT_SIGNATURE_MISMATCH = 6,
    /** Denied by the bucket's policy (subject: the statement's Sid or index) or its public
     *  access block (subject: the setting). */
    SKYCRATE_VERDICT_ACCESS_DENIED = 7,
    /** The page's origin is in no CORS rule of the bucket (subject: the origin). */
    SKYCRATE_VERDICT_CORS_ORIGIN = 8,
    /** The method is in no CORS rule for that origin (subject: the method). */
    SKYCRATE_VERDICT_CORS_METHOD = 9,
    /** A request header is not allowed by the CORS rule (subject: the header). */
    SKYCRATE_VERDICT_CORS_HEADER = 10,
    /** The CORS preflight was refused (no rule at all, or a reason not told apart). */
    SKYCRATE_VERDICT_CORS_PREFLIGHT = 11,
    /** The URL had expired (details: its expiry time). */
    SKYCRATE_VERDICT_EXPIRED = 12,
    /** The signer's clock and the server's differ (details: the offset in seconds). */
    SKYCRATE_VERDICT_CLOCK_SKEW = 13,
    /** The URL's host is not the S3 endpoint (a CloudFront domain, say; subject: the host). */
    SKYCRATE_VERDICT_NOT_S3 = 14,
    /** Signed for another region than the bucket's (expected, actual). */
    SKYCRATE_VERDICT_WRONG_REGION = 15,
    /** The server does not know the URL's access key (subject: the access key id). */
    SKYCRATE_VERDICT_UNKNOWN_ACCESS_KEY = 16,
    /** The upload is larger than the POST policy allows (`EntityTooLarge`). */
    SKYCRATE_VERDICT_TOO_LARGE = 17,
    /** The form breaks another condition of its POST policy. */
    SKYCRATE_VERDICT_POLICY_CONDITION = 18,
    /** The URL carries no SigV4 query signature. */
    SKYCRATE_VERDICT_NOT_PRESIGNED = 19,
    /** The bucket does not exist (subject: the bucket). */
    SKYCRATE_VERDICT_NO_SUCH_BUCKET = 20
} skycrate_verdict;

/**
 * @brief A stable lowercase name for a verdict (`"header-mismatch"`), as in the JSON render.
 *        Thread-safe.
 * @param[in] verdict a #skycrate_verdict value.
 * @return a static string; `"unknown"` for a value out of range.
 */
SKYCRATE_API const char *skycrate_verdict_name(skycrate_verdict verdict);

/**
 * @brief Creates a doctor from a client, whose region, endpoint and credentials provider it
 *        copies (the client may be freed afterwards). The doctor is immutable: any thread may
 *        use it at once.
 * @param[out] out the new doctor; free it with skycrate_doctor_free().
 * @param[in] client the client; only read.
 * @return 0, #SKYCRATE_EINVAL for an invalid client, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_new(skycrate_doctor **out, const skycrate_client *client);

/**
 * @brief Frees a doctor. NULL does nothing. No other thread may be using it.
 * @param[in] doctor the doctor.
 */
SKYCRATE_API void skycrate_doctor_free(skycrate_doctor *doctor);

/**
 * @brief Creates an empty case. A case is used by one thread at a time.
 * @param[out] out the new case; free it with skycrate_doctor_case_free().
 * @return 0 or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_new(skycrate_doctor_case **out);

/**
 * @brief Frees a case. NULL does nothing.
 * @param[in] c the case.
 */
SKYCRATE_API void skycrate_doctor_case_free(skycrate_doctor_case *c);

/**
 * @brief The contract the client was given: its method, URL and headers. Unless
 *        skycrate_doctor_case_set_sent() and skycrate_doctor_case_add_sent_header() say
 *        otherwise, the client is taken to have sent exactly what it says.
 * @param[in] c the case.
 * @param[in] contract the contract; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_set_contract(skycrate_doctor_case *c,
                                                   const skycrate_presigned *contract);

/**
 * @brief The contract as JSON, as skycrate_presigned_to_json() or a presign server writes it:
 *        an object with `method`, `url` (or `uploadUrl`) and optionally `headers` (an object
 *        of name to value).
 * @param[in] c the case.
 * @param[in] json the JSON text.
 * @return 0, #SKYCRATE_EPARSE for malformed JSON, #SKYCRATE_EINVAL for a missing or invalid
 *         field, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_set_contract_json(skycrate_doctor_case *c, const char *json);

/**
 * @brief What the client actually sent: the method and the URL (which may differ from the
 *        contract's, or stand alone when there is no contract).
 * @param[in] c the case.
 * @param[in] method `GET`, `PUT`, `HEAD`, `DELETE`, `POST` (any case).
 * @param[in] url an `http` or `https` URL; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_set_sent(skycrate_doctor_case *c, const char *method,
                                               const char *url);

/**
 * @brief A header the client sent. Once one is added, the client is taken to have sent these
 *        headers only (not the contract's).
 * @param[in] c the case.
 * @param[in] name the header name (any case); copied.
 * @param[in] value the value; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_add_sent_header(skycrate_doctor_case *c, const char *name,
                                                      const char *value);

/**
 * @brief The origin of the page that made the request (`http://localhost:3000`), for the CORS
 *        checks; NULL for a request from no page.
 * @param[in] c the case.
 * @param[in] origin `scheme://host[:port]`, or NULL; copied.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_set_origin(skycrate_doctor_case *c, const char *origin);

/**
 * @brief The server's answer to the request (or to its CORS preflight).
 * @param[in] c the case.
 * @param[in] preflight 0 for the request's answer, 1 for the preflight's.
 * @param[in] status the HTTP status, 100 .. 599.
 * @param[in] body the body (an S3 `<Error>` document, say), `body_len` bytes; may be NULL.
 * @param[in] body_len its length.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_set_answer(skycrate_doctor_case *c, int preflight, int status,
                                                 const char *body, size_t body_len);

/**
 * @brief A header of the server's answer (`Date`, `Access-Control-Allow-Origin`, ...). Call
 *        after skycrate_doctor_case_set_answer() for the same answer.
 * @param[in] c the case.
 * @param[in] preflight 0 for the request's answer, 1 for the preflight's.
 * @param[in] name the header name; copied.
 * @param[in] value the value; copied.
 * @return 0, #SKYCRATE_EINVAL (also before that answer was set), or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_add_answer_header(skycrate_doctor_case *c, int preflight,
                                                        const char *name, const char *value);

/**
 * @brief The bucket's settings, when the caller knows them: its CORS configuration and its
 *        policy.
 * @param[in] c the case.
 * @param[in] cors_xml the `CORSConfiguration` document, "" for a bucket without CORS, or NULL
 *            when unknown; copied.
 * @param[in] policy_json the bucket policy, "" for none, or NULL when unknown; copied.
 * @return 0, #SKYCRATE_EPARSE for a document that does not parse, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_case_set_bucket(skycrate_doctor_case *c, const char *cors_xml,
                                                 const char *policy_json);

/**
 * @brief When the request was sent, if not now (for cases diagnosed later).
 * @param[in] c the case.
 * @param[in] unix_seconds seconds since the Unix epoch, or -1 for now.
 * @return 0 or #SKYCRATE_EINVAL.
 */
SKYCRATE_API int skycrate_doctor_case_set_time(skycrate_doctor_case *c, int64_t unix_seconds);

/**
 * @brief Diagnoses a case from what it holds, computing only. Thread-safe.
 * @param[out] out the diagnosis; free it with skycrate_diagnosis_free().
 * @param[in] doctor the doctor.
 * @param[in] c the case; it needs a contract or a sent URL.
 * @return 0 (whatever the verdict), #SKYCRATE_EINVAL for a case without a URL, or
 *         #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_diagnose(skycrate_diagnosis **out, const skycrate_doctor *doctor,
                                          const skycrate_doctor_case *c);

/**
 * @brief Replays the case from here, then diagnoses it.
 *
 * Sends the CORS preflight (OPTIONS with the case's origin, method and headers) when the case
 * has an origin, then the request itself with the sent headers and an empty body (a PUT that
 * succeeds this way wrote an empty object: it is deleted again with the client). Reads the
 * bucket's CORS rules, policy and public access block with `client`, whose credentials must
 * be allowed to. The answers and settings replace those of the case. A POST form is not
 * replayed (it needs the file): its answer must be in the case. A plain http URL is replayed
 * to a loopback host, or elsewhere only when the client allows plain http
 * (skycrate_client_config_set_allow_http()), as for its endpoint. Uses the client, so one
 * thread at a time per client.
 * @param[out] out the diagnosis; free it with skycrate_diagnosis_free().
 * @param[in] client the client that sends (the doctor's owner, say).
 * @param[in] doctor the doctor.
 * @param[in] c the case; it needs a contract or a sent URL.
 * @return 0 (whatever the verdict), #SKYCRATE_EINVAL (also for a plain http URL the client
 *         may not send to), #SKYCRATE_ECONNECT or #SKYCRATE_ETIMEOUT when the server cannot be
 *         reached, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_doctor_replay(skycrate_diagnosis **out, skycrate_client *client,
                                        const skycrate_doctor *doctor,
                                        const skycrate_doctor_case *c);

/**
 * @brief Frees a diagnosis. NULL does nothing.
 * @param[in] d the diagnosis.
 */
SKYCRATE_API void skycrate_diagnosis_free(skycrate_diagnosis *d);

/**
 * @brief The verdict.
 * @param[in] d the diagnosis.
 * @return a #skycrate_verdict (#SKYCRATE_VERDICT_UNKNOWN for an invalid handle).
 */
SKYCRATE_API skycrate_verdict skycrate_diagnosis_verdict(const skycrate_diagnosis *d);

/**
 * @brief What it is about: a header name, an origin, a method, a host, a policy statement, an
 *        access key id, a bucket, as the verdict says; "" when nothing in particular.
 * @param[in] d the diagnosis.
 * @return a borrowed string that lives as long as the diagnosis.
 */
SKYCRATE_API const char *skycrate_diagnosis_subject(const skycrate_diagnosis *d);

/**
 * @brief What the signature, the rule or the server expected (a header's signed value, the
 *        signed method, the bucket's region, the server's canonical request line), or "".
 * @param[in] d the diagnosis.
 * @return a borrowed string that lives as long as the diagnosis.
 */
SKYCRATE_API const char *skycrate_diagnosis_expected(const skycrate_diagnosis *d);

/**
 * @brief What was found instead (the value sent, the method used, the URL's region), or "".
 * @param[in] d the diagnosis.
 * @return a borrowed string that lives as long as the diagnosis.
 */
SKYCRATE_API const char *skycrate_diagnosis_actual(const skycrate_diagnosis *d);

/**
 * @brief For #SKYCRATE_VERDICT_EXPIRED, when the URL expired; for
 *        #SKYCRATE_VERDICT_CLOCK_SKEW, the signer's clock minus the server's, in seconds.
 * @param[in] d the diagnosis.
 * @return seconds since the epoch, an offset in seconds, or 0.
 */
SKYCRATE_API int64_t skycrate_diagnosis_seconds(const skycrate_diagnosis *d);

/**
 * @brief The HTTP status and S3 error code of the answer that failed (the preflight's for a
 *        CORS verdict).
 * @param[out] code_out the S3 code (`SignatureDoesNotMatch`), "" when none (borrowed; may
 *             be NULL).
 * @param[in] d the diagnosis.
 * @return the status, or 0 when no answer was known.
 */
SKYCRATE_API int skycrate_diagnosis_status(const char **code_out, const skycrate_diagnosis *d);

/**
 * @brief The diagnosis in plain words for a person: what went wrong and what to change. Never
 *        contains a signature, secret or token.
 * @param[in] d the diagnosis.
 * @return a borrowed string that lives as long as the diagnosis.
 */
SKYCRATE_API const char *skycrate_diagnosis_message(const skycrate_diagnosis *d);

/**
 * @brief The diagnosis as JSON: `verdict` (skycrate_verdict_name()), `message`, and when set
 *        `subject`, `expected`, `actual`, `seconds` (with `expiredAt` as ISO 8601 for an
 *        expired URL), `status` and `code`.
 * @param[out] out the JSON text (UTF-8); free it with skycrate_free().
 * @param[in] d the diagnosis.
 * @param[in] flags 0 or #SKYCRATE_JSON_PRETTY.
 * @return 0, #SKYCRATE_EINVAL, or #SKYCRATE_ENOMEM.
 */
SKYCRATE_API int skycrate_diagnosis_to_json(char **out, const skycrate_diagnosis *d,
                                            uint32_t flags);

/** @} */

SKYCRATE_END_DECLS

#endif /* SKYCRATE_DOCTOR_H */
