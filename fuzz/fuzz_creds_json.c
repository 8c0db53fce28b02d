/*
 * libFuzzer target: the credentials a server or a program answers with, read into
 * credentials: the container endpoint's and instance metadata's JSON, a credential_process's
 * JSON, and STS's XML. Every success must be usable as it is: a key id that fits a credential
 * scope and a token that fits a header. Build and run: fuzz/README.md.
 */
#include "core/syntax.h"
#include "creds/creds.h"
#include "creds/profile.h"
#include "creds/remote.h"
#include "fuzz_common.h"
#include "xml/sts.h"

/* A refusal (a JSON "Code" other than "Success") is an answer like a malformed one here. */
static int as_parse_result(int rc)
{
    return rc == SKYCRATE_EAUTH ? SKYCRATE_EPARSE : rc;
}

static void check_usable(const skycrate_credentials *c)
{
    const char *akid = skycrate_credentials_access_key_id(c);
    const char *token = skycrate_credentials_session_token(c);
    FUZZ_CHECK(skycrate__http_token_ok(akid) && !strpbrk(akid, "/,"));
    FUZZ_CHECK(skycrate_credentials_secret_access_key(c)[0] != '\0');
    FUZZ_CHECK(!token || (token[0] && skycrate__http_value_ok(token)));
}

static int run_container(const char *data, size_t size)
{
    skycrate_credentials *c = NULL;
    int rc = skycrate__credentials_json_parse(&c, data, size, "fuzz");
    FUZZ_CHECK((rc == 0) == (c != NULL));
    if (c)
        check_usable(c);
    skycrate_credentials_unref(c);
    return as_parse_result(rc);
}

static int run_process(const char *data, size_t size)
{
    skycrate_credentials *c = NULL;
    int rc = skycrate__credential_process_parse(&c, data, size, "fuzz");
    FUZZ_CHECK((rc == 0) == (c != NULL));
    if (c)
        check_usable(c);
    skycrate_credentials_unref(c);
    return as_parse_result(rc);
}

static int run_sts(const char *data, size_t size)
{
    skycrate__sts_credentials_doc doc;
    int rc = skycrate__sts_credentials_parse(&doc, data, size);
    skycrate_credentials *c = NULL;
    if (rc == 0) {
        rc = skycrate__credentials_from_answer(&c, doc.access_key_id, doc.secret_access_key,
                                               doc.session_token, doc.expiration, "fuzz");
        if (c)
            check_usable(c);
    }
    skycrate_credentials_unref(c);
    skycrate__sts_credentials_dispose(&doc);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long fail_at = fuzz_pick_failure(data, size);
    fuzz_run(run_container, (const char *)data, size, fail_at);
    fuzz_run(run_process, (const char *)data, size, fail_at);
    fuzz_run(run_sts, (const char *)data, size, fail_at);
    return 0;
}
