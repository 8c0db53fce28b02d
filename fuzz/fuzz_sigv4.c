/*
 * libFuzzer target: URI encoding and SigV4 canonicalisation/signing (lib/sigv4). The input is
 * split into lines: method, path, query ("a=b&c"), then "name: value" headers. Signing must
 * succeed or refuse with EINVAL (reported as EPARSE to the shared runner), be deterministic,
 * put only encoded bytes on the wire, and never leak. Build and run: fuzz/README.md.
 */
#include <string.h>

#include "fuzz_common.h"
#include "sigv4/sigv4.h"

#define MAX_ITEMS 40

static size_t split(char *s, char sep, char **parts, size_t max)
{
    size_t n = 0;
    while (s && n < max) {
        parts[n++] = s;
        char *next = strchr(s, sep);
        if (next)
            *next++ = '\0';
        s = next;
    }
    return n;
}

static int check_wire(const skycrate__buf *b, const char *allowed)
{
    for (size_t i = 0; i < b->len; i++) {
        char c = b->ptr[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 strchr("-_.~%", c) || strchr(allowed, c);
        if (!ok || c == '\0')
            return 0;
    }
    return 1;
}

static int sign(const char *data, size_t size, int query_mode, char signature[65])
{
    char *text = skycrate__strndup(data, size);
    if (!text)
        return SKYCRATE_ENOMEM;
    char *lines[3 + MAX_ITEMS];
    size_t nlines = split(text, '\n', lines, 3 + MAX_ITEMS);
    char *qparts[MAX_ITEMS];
    skycrate__kv query[MAX_ITEMS], headers[MAX_ITEMS];
    size_t nq = 0, nh = 0;
    if (nlines > 2 && lines[2][0])
        for (size_t i = 0, n = split(lines[2], '&', qparts, MAX_ITEMS); i < n; i++) {
            char *eq = strchr(qparts[i], '=');
            if (eq)
                *eq++ = '\0';
            query[nq++] = (skycrate__kv){qparts[i], eq ? eq : ""};
        }
    for (size_t i = 3; i < nlines; i++) {
        char *colon = strchr(lines[i], ':');
        if (!colon)
            continue;
        *colon = '\0';
        headers[nh++] = (skycrate__kv){lines[i], colon + 1};
    }
    skycrate__sigv4_input in = {
        .method = nlines > 0 ? lines[0] : "",
        .host = "bucket.s3.eu-west-1.amazonaws.com",
        .path = nlines > 1 ? lines[1] : "/",
        .query = query,
        .query_count = nq,
        .headers = headers,
        .header_count = nh,
        .payload_hash = SKYCRATE__UNSIGNED_PAYLOAD,
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        .session_token = size % 3 == 0 ? "token/with+chars=" : NULL,
        .region = "eu-west-1",
        .service = "s3",
        .time = 1440938160,
        .expires = 900,
    };
    skycrate__sigv4_output out = SKYCRATE__SIGV4_OUTPUT_INIT;
    int rc = query_mode ? skycrate__sigv4_sign_query(&out, &in)
                        : skycrate__sigv4_sign_headers(&out, &in);
    if (rc == 0) {
        FUZZ_CHECK(strlen(out.signature) == 64);
        FUZZ_CHECK(check_wire(&out.encoded_path, "/"));
        FUZZ_CHECK(check_wire(&out.query_string, "=&"));
        memcpy(signature, out.signature, 65);
    }
    skycrate__sigv4_output_dispose(&out);
    skycrate__free(text);
    return rc == SKYCRATE_EINVAL ? SKYCRATE_EPARSE : rc;
}

static int run_headers(const char *data, size_t size)
{
    char a[65] = "", b[65] = "";
    int rc = sign(data, size, 0, a);
    if (rc == 0 && sign(data, size, 0, b) == 0)
        FUZZ_CHECK(!strcmp(a, b));
    return rc;
}

static int run_query(const char *data, size_t size)
{
    char a[65] = "";
    return sign(data, size, 1, a);
}

static int run_encode(const char *data, size_t size)
{
    skycrate__buf out = SKYCRATE_BUF_INIT;
    int rc = skycrate__uri_encode(&out, data, size, size % 2 == 0);
    if (rc == 0) {
        FUZZ_CHECK(check_wire(&out, "/"));
        /* Decoding gives the input back. */
        size_t j = 0;
        for (size_t i = 0; i < out.len; i++, j++) {
            unsigned char c = (unsigned char)out.ptr[i];
            if (c == '%') {
                unsigned v = 0;
                for (int k = 1; k <= 2; k++) {
                    char h = out.ptr[i + k];
                    v = v * 16 + (unsigned)(h <= '9' ? h - '0' : h - 'A' + 10);
                }
                c = (unsigned char)v;
                i += 2;
            }
            FUZZ_CHECK(j < size && (unsigned char)data[j] == c);
        }
        FUZZ_CHECK(j == size);
    }
    skycrate__buf_dispose(&out);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long fail_at = fuzz_pick_failure(data, size);
    fuzz_run(run_encode, (const char *)data, size, fail_at);
    fuzz_run(run_headers, (const char *)data, size, fail_at);
    fuzz_run(run_query, (const char *)data, size, fail_at);
    return 0;
}
