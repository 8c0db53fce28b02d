/*
 * Safe object keys for browser uploads: "{prefix}/{user}/{uuid}-{name}" from an untrusted file
 * name (the seed's POST /api/s3/presign {filename}), written straight into the caller's
 * buffer. The uuid's random bits come from the thread's ChaCha20 generator (crypto.h).
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
#define UUID_LEN 36

/* What becomes of each character of a file name. */
enum { KEEP = 0, REPLACE, BLANK, DOT, DROP };

/* ASCII: control characters go, except that tab to carriage return are blanks; the characters
 * S3 and URLs handle badly become '_' (AWS's "characters to avoid" and a few that shells and
 * file systems dislike). */
static const unsigned char ascii_class[128] = {
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    BLANK,
    BLANK,
    BLANK,
    BLANK,
    BLANK,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    DROP,
    [' '] = BLANK,
    ['.'] = DOT,
    ['"'] = REPLACE,
    ['#'] = REPLACE,
    ['%'] = REPLACE,
    ['*'] = REPLACE,
    [':'] = REPLACE,
    [';'] = REPLACE,
    ['<'] = REPLACE,
    ['>'] = REPLACE,
    ['?'] = REPLACE,
    ['\\'] = REPLACE,
    ['^'] = REPLACE,
    ['`'] = REPLACE,
    ['{'] = REPLACE,
    ['|'] = REPLACE,
    ['}'] = REPLACE,
    ['['] = REPLACE,
    [']'] = REPLACE,
    [0x7f] = DROP,
};

/* Beyond ASCII: blanks, and the invisible or direction-changing characters that go (a name
 * that displays as "invoice.pdf" but is "invoice\u202Efdp.exe"). */
static int class_of(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_class[cp];
    if (cp == 0xa0 || cp == 0x3000)
        return BLANK;
    if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xad || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||
        (cp >= 0xfff9 && cp <= 0xfffb))
        return DROP;
    return KEEP;
}

/* Appends one decoded character of the name to buf[0..*w). */
static void put_name_char(char *buf, size_t *w, uint32_t cp, const char *bytes, size_t len)
{
    switch (class_of(cp)) {
    case KEEP:
        memcpy(buf + *w, bytes, len);
        *w += len;
        break;
    case REPLACE: buf[(*w)++] = '_'; break;
    case BLANK:
        if (*w > 0 && buf[*w - 1] != ' ')
            buf[(*w)++] = ' ';
        break;
    case DOT:
        while (*w > 0 && buf[*w - 1] == ' ') /* "name .txt" is "name.txt" */
            (*w)--;
        if (*w > 0 && buf[*w - 1] != '.')
            buf[(*w)++] = '.'; /* no leading dot, no ".." */
        break;
    default: break; /* DROP */
    }
}

/* The clean name, at most MAX_NAME bytes, into `out` (MAX_NAME + 1 bytes); returns its
 * length. */
static size_t clean_name(char *out, const char *filename)
{
    /* Directories go: the part after the last '/' or '\'. */
    const char *base = filename;
    for (const char *p = filename; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;

    size_t n = strlen(base), w = 0;
    char buf[4096];
    for (size_t i = 0; i < n && w + 4 < sizeof(buf);) {
        uint32_t cp = (unsigned char)base[i];
        if (cp < 0x80 && ascii_class[cp] == KEEP) { /* the common case, kept as it is */
            buf[w++] = (char)cp;
            i++;
            continue;
        }
        size_t len = cp < 0x80 ? 1 : skycrate__utf8_decode(base + i, n - i, &cp);
        if (len == 0) { /* invalid byte: dropped */
            i++;
            continue;
        }
        put_name_char(buf, &w, cp, base + i, len);
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
    return w;
}

static bool user_char(unsigned char c)
{
    static const bool other[128] = {
        ['.'] = 1, ['_'] = 1, ['@'] = 1, ['+'] = 1, ['='] = 1, ['~'] = 1, ['-'] = 1};
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c < 0x80 && other[c]);
}

static int check_user(const char *user_id, size_t *len_out)
{
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
    *len_out = un;
    return 0;
}

/* The prefix's length without trailing slashes, once it is known to be safe. */
static int check_prefix(const char *prefix, size_t *len_out)
{
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
    *len_out = pn;
    return 0;
}

/* A version 4 (random) uuid, 36 characters, no NUL. */
static int put_uuid(char *out)
{
    uint8_t rnd[16];
    char hex[33];
    int error = skycrate__random_fast(rnd, sizeof(rnd));
    if (error < 0)
        return error;
    rnd[6] = (uint8_t)((rnd[6] & 0x0f) | 0x40); /* version 4 */
    rnd[8] = (uint8_t)((rnd[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    skycrate__hex_encode(hex, rnd, sizeof(rnd));
    static const unsigned char groups[][2] = {{0, 8}, {8, 4}, {12, 4}, {16, 4}, {20, 12}};
    char *p = out;
    for (size_t i = 0; i < 5; i++) {
        if (i > 0)
            *p++ = '-';
        memcpy(p, hex + groups[i][0], groups[i][1]);
        p += groups[i][1];
    }
    skycrate__wipe(rnd, sizeof(rnd));
    return 0;
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

int skycrate_upload_key_to(char *buf, size_t cap, size_t *len_out, const char *prefix,
                           const char *user_id, const char *filename)
{
    int error = 0;
    size_t un = 0, pn = 0;
    char name[MAX_NAME + 1];
    if (len_out)
        *len_out = 0;
    SKYCRATE_ASSERT_ARG(filename != NULL);
    if (prefix == NULL)
        prefix = DEFAULT_PREFIX;
    if ((error = check_user(user_id, &un)) < 0 || (error = check_prefix(prefix, &pn)) < 0)
        return error;
    size_t nn = clean_name(name, filename);
    size_t total = (pn ? pn + 1 : 0) + un + 1 + UUID_LEN + 1 + nn;
    if (len_out)
        *len_out = total;
    if (buf == NULL || cap <= total)
        return skycrate__error_set(SKYCRATE_EINVAL,
                                   "upload key: the key needs %zu bytes, the buffer has %zu",
                                   total + 1, buf ? cap : 0);
    char *p = buf;
    if (pn) {
        p = put(p, prefix, pn);
        *p++ = '/';
    }
    p = put(p, user_id, un);
    *p++ = '/';
    if ((error = put_uuid(p)) < 0) {
        buf[0] = '\0';
        return error;
    }
    p += UUID_LEN;
    *p++ = '-';
    p = put(p, name, nn);
    *p = '\0';
    return 0;
}

int skycrate_upload_key(char **out, const char *prefix, const char *user_id, const char *filename)
{
    char key[SKYCRATE_UPLOAD_KEY_MAX + 1];
    size_t len = 0;
    SKYCRATE_ASSERT_ARG(out != NULL);
    *out = NULL;
    int error = skycrate_upload_key_to(key, sizeof(key), &len, prefix, user_id, filename);
    if (error < 0)
        return error;
    if ((*out = skycrate__strndup(key, len)) == NULL)
        return skycrate__error_nomem();
    return 0;
}
