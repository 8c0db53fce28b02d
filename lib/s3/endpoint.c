/*
 * Endpoints and addressing (docs/HACKING.md): regional virtual-hosted URLs for AWS, path style for
 * custom endpoints, IP hosts and dotted bucket names over https.
 * SPDX-License-Identifier: MIT
 */
#include "s3/endpoint.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/common.h"

static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

bool skycrate__host_is_ip(const char *host)
{
    if (host[0] == '[')
        return true;
    struct in_addr a4;
    return inet_pton(AF_INET, host, &a4) == 1;
}

bool skycrate__bucket_dns_compatible(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '.')
            return false;
        if ((i == 0 || i == n - 1) && !alnum)
            return false;
        if (c == '.' && (b[i + 1] == '.' || b[i + 1] == '-' || (i > 0 && b[i - 1] == '-')))
            return false;
    }
    return !skycrate__host_is_ip(b);
}

void skycrate__endpoint_dispose(skycrate__endpoint *ep)
{
    skycrate__free(ep->host);
    skycrate__free(ep->path_prefix);
    memset(ep, 0, sizeof(*ep));
}

int skycrate__endpoint_parse(skycrate__endpoint *out, const char *url)
{
    memset(out, 0, sizeof(*out));
    const char *p;
    if (!strncmp(url, "https://", 8)) {
        out->https = true;
        p = url + 8;
    } else if (!strncmp(url, "http://", 7)) {
        p = url + 7;
    } else {
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "endpoint '%s': the scheme must be https:// or http://", url);
    }
    const char *host = p, *host_end;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close)
            return skycrate__error_set(SKYCRATE_EINVAL, "endpoint '%s': unterminated IPv6 literal",
                                       url);
        char literal[64];
        size_t n = (size_t)(close - p - 1);
        struct in6_addr a6;
        if (n >= sizeof(literal) ||
            (memcpy(literal, p + 1, n), literal[n] = '\0', inet_pton(AF_INET6, literal, &a6) != 1))
            return skycrate__error_set(SKYCRATE_EINVAL, "endpoint '%s': invalid IPv6 literal", url);
        p = host_end = close + 1;
    } else {
        while (*p && is_host_char(*p))
            p++;
        host_end = p;
    }
    if (host_end == host)
        return skycrate__error_set(SKYCRATE_EINVAL, "endpoint '%s': no host", url);
    if (*p == ':') {
        unsigned long port = 0;
        const char *d = ++p;
        while (*p >= '0' && *p <= '9' && port <= 65535)
            port = port * 10 + (unsigned long)(*p++ - '0');
        if (p == d || port == 0 || port > 65535)
            return skycrate__error_set(SKYCRATE_EINVAL, "endpoint '%s': invalid port", url);
        out->port = (unsigned int)port;
    }
    const char *prefix = p, *prefix_end = p + strlen(p);
    if (*p && *p != '/')
        return skycrate__error_set(SKYCRATE_EINVAL, "endpoint '%s': unexpected '%c' after the host",
                                   url, *p);
    if (strpbrk(prefix, "?#"))
        return skycrate__error_set(SKYCRATE_EINVAL, "endpoint '%s': no query or fragment allowed",
                                   url);
    while (prefix_end > prefix && prefix_end[-1] == '/')
        prefix_end--;
    if ((out->https && out->port == 443) || (!out->https && out->port == 80))
        out->port = 0;
    out->host = skycrate__strndup(host, (size_t)(host_end - host));
    out->path_prefix = skycrate__strndup(prefix, (size_t)(prefix_end - prefix));
    if (!out->host || !out->path_prefix) {
        skycrate__endpoint_dispose(out);
        return skycrate__error_nomem();
    }
    for (char *h = out->host; *h; h++)
        if (*h >= 'A' && *h <= 'Z')
            *h = (char)(*h - 'A' + 'a');
    return 0;
}

void skycrate__target_dispose(skycrate__target *t)
{
    skycrate__buf_dispose(&t->host);
    skycrate__buf_dispose(&t->base);
    skycrate__buf_dispose(&t->path);
}

static bool use_virtual(const skycrate__endpoint *ep, skycrate_addressing addressing,
                        const char *bucket)
{
    if (!bucket || addressing == SKYCRATE_ADDRESSING_PATH)
        return false;
    if (!skycrate__bucket_dns_compatible(bucket))
        return false;
    bool https = ep ? ep->https : true;
    if (https && strchr(bucket, '.'))
        return false; /* the TLS wildcard certificate covers one label only */
    if (ep && skycrate__host_is_ip(ep->host))
        return false;
    if (addressing == SKYCRATE_ADDRESSING_AUTO && ep)
        return false; /* custom endpoints: path style unless virtual is asked for */
    return true;
}

int skycrate__target_resolve(skycrate__target *out, const skycrate__endpoint *ep,
                             const char *region, skycrate_addressing addressing, uint32_t flags,
                             const char *bucket, const char *key)
{
    int error = 0;
    memset(out, 0, sizeof(*out));
    out->virtual_hosted = use_virtual(ep, addressing, bucket);
    skycrate__buf *h = &out->host;

    if (out->virtual_hosted && (error = skycrate__buf_printf(h, "%s.", bucket)) < 0)
        goto done;
    if (ep) {
        if ((error = skycrate__buf_puts(h, ep->host)) < 0 ||
            (ep->port && (error = skycrate__buf_printf(h, ":%u", ep->port)) < 0))
            goto done;
    } else {
        bool china = !strncmp(region, "cn-", 3);
        const char *fips = (flags & SKYCRATE__ENDPOINT_FIPS) ? "-fips" : "";
        const char *dual = (flags & SKYCRATE__ENDPOINT_DUALSTACK) ? ".dualstack" : "";
        if ((error = skycrate__buf_printf(h, "s3%s%s.%s.amazonaws.com%s", fips, dual, region,
                                          china ? ".cn" : "")) < 0)
            goto done;
    }
    if ((error = skycrate__buf_printf(&out->base, "%s://%s", (ep && !ep->https) ? "http" : "https",
                                      skycrate__buf_cstr(h))) < 0)
        goto done;

    skycrate__buf *p = &out->path;
    if (ep && (error = skycrate__buf_puts(p, ep->path_prefix)) < 0)
        goto done;
    if (bucket && !out->virtual_hosted && (error = skycrate__buf_printf(p, "/%s", bucket)) < 0)
        goto done;
    if (key && *key && (error = skycrate__buf_printf(p, "/%s", key)) < 0)
        goto done;
    if (p->len == 0) /* the service, or a virtual-hosted bucket itself */
        error = skycrate__buf_putc(p, '/');
done:
    if (error < 0)
        skycrate__target_dispose(out);
    return error;
}
