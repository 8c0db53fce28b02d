/*
 * libFuzzer target: the STS readers of lib/xml. Build and run: fuzz/README.md.
 */
#include "fuzz_common.h"
#include "xml/sts.h"

static int run_credentials(const char *data, size_t size)
{
    skycrate__sts_credentials_doc c;
    int rc = skycrate__sts_credentials_parse(&c, data, size);
    if (rc < 0)
        FUZZ_CHECK(fuzz_all_zero(&c, sizeof(c)));
    else
        FUZZ_CHECK(c.access_key_id && c.access_key_id[0] && c.secret_access_key &&
                   c.secret_access_key[0] && c.session_token && c.session_token[0]);
    skycrate__sts_credentials_dispose(&c);
    FUZZ_CHECK(fuzz_all_zero(&c, sizeof(c)));
    return rc;
}

static int run_error(const char *data, size_t size)
{
    skycrate__sts_error_doc e;
    int rc = skycrate__sts_error_doc_parse(&e, data, size);
    if (rc < 0)
        FUZZ_CHECK(fuzz_all_zero(&e, sizeof(e)));
    skycrate__sts_error_doc_dispose(&e);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long fail_at = fuzz_pick_failure(data, size);
    fuzz_run(run_credentials, (const char *)data, size, fail_at);
    fuzz_run(run_error, (const char *)data, size, fail_at);
    return 0;
}
