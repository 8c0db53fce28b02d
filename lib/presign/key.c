/*
 * Safe object keys for browser uploads: "{prefix}/{user}/{uuid}-{name}" from an untrusted file
 * name (the seed's POST /api/s3/presign {filename}).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "core/common.h"
#include "core/utf8.h"
#include "crypto/crypto.h"
#include "presign/presign.h"

#define DEFAULT_PREFIX "uploads"
#define MAX_PREFIX 256
#define MAX_USER 128
#define MAX_NAME 128
#define MAX_EXT 16

/* Characters S3 and URLs handle badly, made '_' (AWS's "characters to avoid" and a few that
 * shells and file systems dislike). */
static bool replaced(uint32_t cp)
{
    return cp < 0x80 && strchr("\"#%*:;<>?\\^`{|}[]", (int)cp) != NULL;
}

/* Control and invisible or direction-changing characters (a name that displays as
 * "invoice.pdf" but is "invoice\u202Efdp.exe"). */
static bool dropped(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0xad ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

/* The clean name, at most MAX_NAME bytes, into `out` (MAX_NAME + 1 bytes). */
static void clean_name(char *out, const char *filename)
{
    /* Directories go: the part after the last '/' or '\'. */
    const char *base = filename;
    for (const char *p = filename; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;

    const unsigned char *s = (const unsigned char *)base;
    size_t n = strlen(base), w = 0;
    char buf[4096];
    for (size_t i = 0; i < n && w + 4 < sizeof(buf);) {
        uint32_t cp;
        size_t len = skycrate__utf8_decode(base + i, n - i, &cp);
        if (len == 0) { /* invalid byte: dropped */
            i++;
            continue;
        }
        bool blank = cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xa0 || cp == 0x3000;
        if (!blank && dropped(cp)) {
            i += len;
            continue;
        }
        if (replaced(cp)) {
            buf[w++] = '_';
        } else if (blank) {
            if (w > 0 && buf[w - 1] != ' ')
                buf[w++] = ' ';
        } else if (cp == '.') {
            while (w > 0 && buf[w - 1] == ' ') /* "name .txt" is "name.txt" */
                w--;
            if (w > 0 && buf[w - 1] != '.')
                buf[w++] = '.'; /* no leading dot, no ".." */
        } else {
            memcpy(buf + w, s + i, len);
            w += len;
        }
        i += len;
    }
    /* No trailing dots or blanks (Windows drops them, and "name." hides an extension). */
    while (w > 0 && (buf[w - 1] == '.' || buf[w - 1] == ' '))
        w--;
    buf[w] = '\0';

    if (w > MAX_NAME) {
        /* Keep a short extension, cut the stem at a character boundary. */
        const char *dot = strrchr(buf, '.');
        size_t ext = dot ? (size_t)(buf + w - dot) : 0;
        if (ext > MAX_EXT + 1)
            ext = 0;
        size_t stem = MAX_NAME - ext;
        while (stem > 0 && ((unsigned char)buf[stem] & 0xc0) == 0x80)
            stem--;
        while (stem > 0 && (buf[stem - 1] == ' ' || buf[stem - 1] == '.'))
            stem--;
        memmove(buf + stem, buf + w - ext, ext + 1);
        w = stem + ext;
    }
    if (w == 0 || buf[0] == '.') /* nothing left, or only an extension */
        memmove(buf + 4, buf, w + 1), memcpy(buf, "file", 4), w += 4;
    memcpy(out, buf, w + 1);
}

static bool user_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("._@+=~-", c) != NULL);
}

int skycrate_upload_key(char **out, const char *prefix, const char *user_id, const char *filename)
{
    int error = 0;
    skycrate__buf key = SKYCRATE_BUF_INIT;
    char name[MAX_NAME + 1], uuid[37];
    uint8_t rnd[16];
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(filename != NULL);

    size_t un = user_id ? strlen(user_id) : 0;
    if (un == 0 || un > MAX_USER || user_id[0] == '.')
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "upload key: the user id must have 1 to %d characters and not "
                                   "start with '.'",
                                   MAX_USER);
    for (size_t i = 0; i < un; i++)
        if (!user_char((unsigned char)user_id[i]))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "upload key: the user id may contain A-Z a-z 0-9 . _ @ + "
                                       "= ~ - only");
    if (prefix == NULL)
        prefix = DEFAULT_PREFIX;
    size_t pn = strlen(prefix);
    while (pn > 0 && prefix[pn - 1] == '/')
        pn--;
    if (pn > MAX_PREFIX || prefix[0] == '/' || !skycrate__utf8_valid(prefix, pn))
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "upload key: the prefix must be UTF-8 of at most %d bytes, not "
                                   "starting with '/'",
                                   MAX_PREFIX);
    for (size_t i = 0, seg = 0; i <= pn; i++) {
        if (i < pn && ((unsigned char)prefix[i] < 0x20 || prefix[i] == 0x7f))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "upload key: control character in the prefix");
        if (i < pn && prefix[i] != '/')
            continue;
        /* A segment ends at prefix[i]: it must not be empty, "." or "..". */
        size_t len = i - seg;
        if (pn > 0 && (len == 0 || (len <= 2 && !strncmp(prefix + seg, "..", len))))
            return skycrate__error_set(SKYCRATE_EINVAL,
                                       "upload key: empty, '.' or '..' segment in the prefix");
        seg = i + 1;
    }

    clean_name(name, filename);
    if ((error = skycrate__random_bytes(rnd, sizeof(rnd))) < 0)
        return error;
    rnd[6] = (uint8_t)((rnd[6] & 0x0f) | 0x40); /* version 4 */
    rnd[8] = (uint8_t)((rnd[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[33];
    skycrate__hex_encode(hex, rnd, sizeof(rnd));
    memcpy(uuid, hex, 8);
    uuid[8] = '-';
    memcpy(uuid + 9, hex + 8, 4);
    uuid[13] = '-';
    memcpy(uuid + 14, hex + 12, 4);
    uuid[18] = '-';
    memcpy(uuid + 19, hex + 16, 4);
    uuid[23] = '-';
    memcpy(uuid + 24, hex + 20, 12);
    uuid[36] = '\0';

    if ((pn > 0 && ((error = skycrate__buf_put(&key, prefix, pn)) < 0 ||
                    (error = skycrate__buf_putc(&key, '/')) < 0)) ||
        (error = skycrate__buf_printf(&key, "%s/%s-%s", user_id, uuid, name)) < 0)
        goto done;
    *out = skycrate__buf_detach(&key);
done:
    skycrate__buf_dispose(&key);
    return error;
}
