/*
 * libFuzzer target: URLs and names that become hosts and paths. The input's first line is
 * read as an endpoint URL (lib/s3/endpoint.c, the client's parser), as a credentials
 * endpoint URL (lib/creds/net.c) and as a region; the second as a bucket name and the third as
 * a key. What a parser accepts must be safe to send: no white space or control character in a
 * host, a port in range, a resolved target whose base URL and Host header stay printable, a
 * region and a bucket name of their own alphabet. Build and run: fuzz/README.md.
 */
#include "core/syntax.h"
#include "creds/net.h"
#include "fuzz_common.h"
#include "s3/bucket_name.h"
#include "s3/endpoint.h"

static void check_printable(const char *s, size_t n, const char *forbidden)
{
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)s[i] > ' ' && (unsigned char)s[i] < 0x7f &&
                   !strchr(forbidden, s[i]));
}

/* The input's `index`-th line (0-based), NUL-terminated, in buf. */
static const char *line(char *buf, size_t cap, const char *data, size_t size, int index)
{
    size_t start = 0;
    for (int i = 0; i < index; i++) {
        const char *nl = memchr(data + start, '\n', size - start);
        if (!nl)
            return NULL;
        start = (size_t)(nl - data) + 1;
    }
    const char *nl = memchr(data + start, '\n', size - start);
    size_t n = (nl ? (size_t)(nl - data) : size) - start;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, data + start, n);
    buf[n] = '\0';
    return buf;
}

static int resolve(const skycrate__endpoint *ep, const char *bucket, const char *key)
{
    static const skycrate_addressing modes[] = {
        SKYCRATE_ADDRESSING_AUTO, SKYCRATE_ADDRESSING_VIRTUAL, SKYCRATE_ADDRESSING_PATH};
    for (size_t i = 0; i < 3; i++) {
        skycrate__target t;
        int rc = skycrate__target_resolve(&t, ep, "eu-west-1", modes[i], 0, bucket, key);
        if (rc == 0) {
            check_printable(t.base.ptr, t.base.len, "");
            check_printable(t.host.ptr, t.host.len, "/?#@");
            FUZZ_CHECK(t.path.len > 0 && t.path.ptr[0] == '/');
        }
        skycrate__target_dispose(&t);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int run(const char *data, size_t size)
{
    char url[4096], bucket[128], key[1024];
    if (!line(url, sizeof(url), data, size, 0))
        return 0;
    const char *b = line(bucket, sizeof(bucket), data, size, 1);
    const char *k = line(key, sizeof(key), data, size, 2);
    if (b && !skycrate__bucket_name_valid(b))
        b = NULL;
    else if (b)
        check_printable(b, strlen(b), "/?#@:[]");
    if (skycrate__region_ok(url))
        check_printable(url, strlen(url), "./?#@:[]");

    skycrate__url_parts u;
    if (skycrate__url_split(&u, url) == 0) {
        FUZZ_CHECK(u.host_length > 0);
        check_printable(u.host, u.host_length, "/?#@");
        FUZZ_CHECK(u.port == -1 || (u.port >= 1 && u.port <= 65535));
        (void)skycrate__plain_http_allowed(u.host, u.host_length, false);
    }
    skycrate__endpoint ep;
    int rc = skycrate__endpoint_parse(&ep, url);
    if (rc == SKYCRATE_EINVAL)
        return SKYCRATE_EPARSE;
    if (rc < 0)
        return rc;
    FUZZ_CHECK(ep.host[0] != '\0' && ep.port <= 65535);
    check_printable(ep.host, strlen(ep.host), "/?#@");
    FUZZ_CHECK(!ep.path_prefix[0] || ep.path_prefix[0] == '/');
    FUZZ_CHECK(!strpbrk(ep.path_prefix, "?#"));
    rc = resolve(&ep, b, k);
    skycrate__endpoint_dispose(&ep);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_run(run, (const char *)data, size, fuzz_pick_failure(data, size));
    return 0;
}
