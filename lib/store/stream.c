/*
 * The users file as a stream (see stream.h). A reader scans the document's structure through a
 * fixed buffer; each value it meets is captured whole (at most SKYCRATE__USERS_RECORD_MAX
 * bytes), parsed by jansson to check it, and either dropped, kept (the user's record) or
 * written on; a writer buffers what goes out. Memory: the two buffers and one record.
 * SPDX-License-Identifier: MIT
 */
#include "store/stream.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "core/json.h"
#include "store/store.h"

#define IO_BUFFER 65536
#define KEY_MAX (8 * SKYCRATE__USER_ID_MAX) /* a key's text, escapes and all */

/* ---- reading ---------------------------------------------------------------------------- */

typedef struct reader {
    int fd;
    const char *path;
    size_t pos, len;
    bool eof;
    unsigned char buf[IO_BUFFER];
} reader;

static int corrupt(const reader *r, const char *what)
{
    return skycrate__error_set(SKYCRATE_EPARSE,
                               "user store: %s is not a users file of this library (%s); it is "
                               "left untouched",
                               r->path, what);
}

/* The next byte without taking it; -1 at the end, or an error (SKYCRATE_EIO is set). */
static int peek(reader *r, int *error)
{
    while (r->pos == r->len && !r->eof) {
        ssize_t n = r->fd < 0 ? 0 : read(r->fd, r->buf, sizeof(r->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *error = skycrate__error_set(SKYCRATE_EIO, "user store: cannot read %s: %s", r->path,
                                         strerror(errno));
            return -1;
        }
        r->pos = 0;
        r->len = (size_t)n;
        r->eof = n == 0;
    }
    return r->pos < r->len ? r->buf[r->pos] : -1;
}

static void skip_blanks(reader *r, int *error)
{
    int c;
    while ((c = peek(r, error)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        r->pos++;
}

/* Takes the byte `c` after blanks; EPARSE when something else comes. */
static int expect(reader *r, char c, const char *what)
{
    int error = 0;
    skip_blanks(r, &error);
    if (error == 0 && peek(r, &error) != c)
        return error < 0 ? error : corrupt(r, what);
    r->pos++;
    return error;
}

/* Takes `n` bytes at the current position (all in the buffer) into `out` (NULL: skipped;
 * else bounded by `max`). */
static int take(reader *r, skycrate__buf *out, size_t max, size_t n)
{
    if (out && out->len + n > max)
        return corrupt(r, "a value longer than a record may be");
    int rc = out ? skycrate__buf_put(out, (const char *)r->buf + r->pos, n) : 0;
    r->pos += n;
    return rc;
}

/* How many bytes from the current position in the buffer are not in `stop` (a table). */
static size_t span(const reader *r, const bool *stop)
{
    size_t n = 0;
    while (r->pos + n < r->len && !stop[r->buf[r->pos + n]])
        n++;
    return n;
}

/* The bytes that end a run: in a string, and in a value inside or outside brackets. */
static const bool string_stops[256] = {['"'] = true, ['\\'] = true};
static const bool nested_stops[256] = {
    ['"'] = true, ['{'] = true, ['}'] = true, ['['] = true, [']'] = true};
static const bool top_stops[256] = {
    ['"'] = true, ['{'] = true, ['}'] = true,  ['['] = true,  [']'] = true,
    [','] = true, [' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true};

/* A string, its quotes and escapes as they are (the escape's next byte is taken blindly:
 * jansson checks the string afterwards). `out` NULL: skipped. */
static int capture_string(reader *r, skycrate__buf *out, size_t max)
{
    int error = 0, c;
    if (peek(r, &error) != '"')
        return error < 0 ? error : corrupt(r, "a key that is not a string");
    if ((error = take(r, out, max, 1)) < 0)
        return error;
    for (;;) {
        if ((c = peek(r, &error)) < 0)
            return error < 0 ? error : corrupt(r, "an unterminated string");
        size_t n = span(r, string_stops);
        if (n > 0)
            error = take(r, out, max, n);
        else if (c == '"')
            return take(r, out, max, 1);
        else if ((error = take(r, out, max, 1)) == 0 && peek(r, &error) >= 0)
            error = take(r, out, max, 1); /* the escaped byte */
        if (error < 0)
            return error;
    }
}

/* One JSON value as it is written: an object or array to its matching bracket (strings
 * skipped whole), a string, or a scalar up to the next delimiter. jansson checks it afterwards.
 * `out` NULL: skipped. */
static int capture_value(reader *r, skycrate__buf *out, size_t max)
{
    int error = 0, depth = 0;
    size_t taken = 0;
    skip_blanks(r, &error);
    for (;;) {
        int c = peek(r, &error);
        if (c < 0 && error < 0)
            return error;
        if (c < 0)
            return depth == 0 && taken > 0 ? 0 : corrupt(r, "it ends inside a value");
        if (depth == 0 && taken > 0 && top_stops[c] && c != '"' && c != '{' && c != '[')
            return 0; /* the end of a scalar */
        size_t n = 1;
        if (c == '"') {
            if ((error = capture_string(r, out, max)) < 0 || depth == 0)
                return error;
            taken++;
            continue;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth-- == 0)
                return corrupt(r, "a misplaced bracket");
        } else if ((n = span(r, depth ? nested_stops : top_stops)) == 0) {
            return corrupt(r, "a value is missing"); /* "key": , (a comma at once) */
        }
        if ((error = take(r, out, max, n)) < 0)
            return error;
        taken += n;
        if (depth == 0 && (c == '}' || c == ']'))
            return 0;
    }
}

/* Parses a captured value with jansson (any value; duplicate keys refused). NULL: malformed. */
static json_t *decode(const skycrate__buf *text)
{
    return json_loadb(text->ptr ? text->ptr : "", text->len,
                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct writer {
    int fd;
    const char *path;
    size_t len;
    int error;
    char buf[IO_BUFFER];
} writer;

static void flush(writer *w)
{
    for (size_t done = 0; w->error == 0 && done < w->len;) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            w->error = skycrate__error_set(SKYCRATE_EIO, "user store: cannot write %s: %s", w->path,
                                           strerror(errno));
        else
            done += (size_t)n;
    }
    w->len = 0;
}

static void put(writer *w, const char *s, size_t n)
{
    while (n > 0 && w->error == 0) {
        size_t room = sizeof(w->buf) - w->len, k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
        if (w->len == sizeof(w->buf))
            flush(w);
    }
}

static void puts_(writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* A record as the whole file used to be dumped (indent 2), nested `indent` spaces deep. */
static int put_record(writer *w, const json_t *record, const char *indent)
{
    skycrate__buf text = SKYCRATE_BUF_INIT;
    int error = skycrate__json_dump(&text, record, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    for (const char *p = text.ptr, *nl; error == 0 && p && *p; p = nl + 1) {
        nl = strchr(p, '\n');
        put(w, p, nl ? (size_t)(nl - p) + 1 : strlen(p));
        if (!nl)
            break;
        puts_(w, indent); /* strings hold no raw line break: each one is layout */
    }
    skycrate__buf_dispose(&text);
    return error < 0 ? error : w->error;
}

/* ---- the user ids seen, to find one given twice ----------------------------------------- */

/* An open-addressing set of the keys' texts (offsets into one arena): memory in proportion to
 * the ids, not to the records. */
typedef struct key_set {
    skycrate__buf arena;
    size_t *slots; /* offset + 1; 0: empty */
    size_t cap, count;
} key_set;

static uint64_t hash_of(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static void key_set_dispose(key_set *k)
{
    skycrate__buf_dispose(&k->arena);
    skycrate__free(k->slots);
    memset(k, 0, sizeof(*k));
}

/* Adds a key (its text as written: a key escaped two ways is not found twice, and jansson would
 * not have found it either); *seen tells whether it was there already. */
static int key_set_add(key_set *k, const skycrate__buf *key, bool *seen)
{
    if (2 * (k->count + 1) > k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 1024;
        size_t *slots = skycrate__calloc(cap, sizeof(*slots));
        if (!slots)
            return skycrate__error_nomem();
        for (size_t i = 0; i < k->cap; i++) {
            if (!k->slots[i])
                continue;
            const char *s = k->arena.ptr + k->slots[i] - 1;
            size_t j = hash_of(s, strlen(s)) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = k->slots[i];
        }
        skycrate__free(k->slots);
        k->slots = slots;
        k->cap = cap;
    }
    size_t j = hash_of(key->ptr, key->len) & (k->cap - 1);
    for (; k->slots[j]; j = (j + 1) & (k->cap - 1)) {
        const char *s = k->arena.ptr + k->slots[j] - 1;
        if (strlen(s) == key->len && !memcmp(s, key->ptr, key->len)) {
            *seen = true;
            return 0;
        }
    }
    *seen = false;
    size_t at = k->arena.len;
    int error = skycrate__buf_put(&k->arena, key->ptr, key->len);
    if (error == 0)
        error = skycrate__buf_putc(&k->arena, '\0');
    if (error < 0)
        return error;
    k->slots[j] = at + 1;
    k->count++;
    return 0;
}

/* ---- the document ----------------------------------------------------------------------- */

/* What a pass over the document does with the users' records. */
typedef struct pass {
    reader *in;
    writer *out; /* NULL: reading only */
    const char *user_id;
    const skycrate__users_change *change; /* rewriting */
    char *found;                          /* reading: the user's record, compact */
    bool validate; /* every record decoded and every id compared, not only the user's */
    bool has_found, has_version, has_users;
    size_t written;   /* members written in the object being written */
    key_set ids;      /* validating: the user ids seen */
    int change_error; /* the change refused (ECONFLICT, ENOTFOUND): told once the whole
                          document proved sound, since a broken one is the greater news */
} pass;

/* Separator and indentation of the next member of an object written `indent` deep. */
static void next_member(pass *p, const char *indent)
{
    if (!p->out)
        return;
    puts_(p->out, p->written++ ? ",\n" : "\n");
    puts_(p->out, indent);
}

/* The user's record compared with the expected text (as JSON values). */
static int check_expected(const json_t *current, const skycrate__users_change *c)
{
    if (!c->expected) {
        if (current && c->record)
            return skycrate__error_set(SKYCRATE_ECONFLICT, "user store: the record exists already");
        return 0;
    }
    json_t *expected = NULL;
    int error = skycrate__record_parse(&expected, c->expected, strlen(c->expected), SKYCRATE_EINVAL,
                                       "the expected record");
    if (error == 0 && !current)
        error = c->record
                    ? skycrate__error_set(SKYCRATE_ECONFLICT, "user store: the record was removed")
                    : 0;
    else if (error == 0 && !json_equal(current, expected))
        error = skycrate__error_set(SKYCRATE_ECONFLICT,
                                    "user store: the record changed since it was read");
    json_decref(expected);
    return error;
}

/* The user's stored record (NULL: none) checked against the change, then its new version.
 * A refusal is kept in p->change_error (and nothing is written); the pass goes on. */
static int apply_change(pass *p, const json_t *current)
{
    const skycrate__users_change *c = p->change;
    int error = check_expected(current, c);
    if (error == SKYCRATE_ECONFLICT || error == SKYCRATE_EINVAL ||
        (error == 0 && !current && !c->record)) {
        p->change_error =
            error < 0 ? error
                      : skycrate__error_set(SKYCRATE_ENOTFOUND,
                                            "user store: no record for user '%.64s'", c->user_id);
        return 0;
    }
    if (error < 0 || !c->record)
        return error;
    next_member(p, "    ");
    skycrate__buf key_text = SKYCRATE_BUF_INIT;
    json_t *key = json_string(c->user_id);
    error = key ? skycrate__json_dump(&key_text, key, JSON_ENCODE_ANY) : skycrate__error_nomem();
    json_decref(key);
    if (error == 0) {
        put(p->out, key_text.ptr, key_text.len);
        puts_(p->out, ": ");
    }
    skycrate__buf_dispose(&key_text);
    if (error < 0)
        return error;
    return put_record(p->out, c->record, "    ");
}

/* Whether a key (its text as written) is the user's id. Reading, a key without escapes is
 * compared as it is; any other, and every key of a pass that validates, is decoded (checked)
 * by jansson first. */
static int key_is(bool *mine, pass *p, const skycrate__buf *key_text)
{
    const char *raw = key_text->ptr + 1;
    size_t n = key_text->len - 2, id = strlen(p->user_id);
    if (!p->validate && !memchr(raw, '\\', n)) {
        *mine = n == id && !memcmp(raw, p->user_id, n);
        return 0;
    }
    json_t *key = decode(key_text);
    if (!json_is_string(key)) {
        json_decref(key);
        return corrupt(p->in, "a malformed user id");
    }
    *mine = !strcmp(json_string_value(key), p->user_id);
    json_decref(key);
    return 0;
}

/* One member of "users": the key and its record. */
static int user_member(pass *p)
{
    skycrate__buf key_text = SKYCRATE_BUF_INIT, value = SKYCRATE_BUF_INIT;
    json_t *record = NULL;
    int error = 0;
    if ((error = capture_string(p->in, &key_text, KEY_MAX)) < 0 ||
        (error = expect(p->in, ':', "a key without a value")) < 0)
        goto done;
    bool mine = false, seen = false;
    if ((error = key_is(&mine, p, &key_text)) < 0)
        goto done;
    /* Reading, only the user's record is kept (the others are skipped, unread). */
    if ((error = capture_value(p->in, mine || p->validate ? &value : NULL,
                               SKYCRATE__USERS_RECORD_MAX)) < 0 ||
        (!mine && !p->validate))
        goto done;
    if (!(record = decode(&value)) || !json_is_object(record)) {
        error = corrupt(p->in, "a user record that is not a JSON object");
        goto done;
    }
    if ((p->validate && (error = key_set_add(&p->ids, &key_text, &seen)) < 0) ||
        ((seen || (mine && p->has_found)) && (error = corrupt(p->in, "two records for one user"))))
        goto done;
    if (mine) {
        p->has_found = true;
        error = p->out ? apply_change(p, record) : skycrate__record_dump(&p->found, record);
        goto done;
    }
    if (!p->out)
        goto done;
    next_member(p, "    ");
    put(p->out, key_text.ptr, key_text.len);
    puts_(p->out, ": ");
    put(p->out, value.ptr, value.len);
done:
    json_decref(record);
    skycrate__buf_dispose(&key_text);
    skycrate__buf_dispose(&value);
    return error;
}

/* The members of an object (the reader is past its '{'), each read by `member`. */
static int members(pass *p, int (*member)(pass *))
{
    int error = 0;
    skip_blanks(p->in, &error);
    if (error == 0 && peek(p->in, &error) == '}') {
        p->in->pos++;
        return 0;
    }
    for (;;) {
        if (error < 0 || (error = member(p)) < 0)
            return error;
        skip_blanks(p->in, &error);
        int c = peek(p->in, &error);
        if (c == ',' || c == '}')
            p->in->pos++;
        if (c == '}')
            return error;
        if (c != ',')
            return error < 0 ? error : corrupt(p->in, "a member not followed by ',' or '}'");
        skip_blanks(p->in, &error);
    }
}

static int users_object(pass *p)
{
    int error = expect(p->in, '{', "\"users\" is not an object");
    if (error < 0)
        return error;
    size_t outer = p->written;
    p->written = 0;
    if (p->out)
        puts_(p->out, "{");
    if ((error = members(p, user_member)) == 0 && p->out && !p->has_found)
        error = apply_change(p, NULL);
    if (p->out)
        puts_(p->out, p->written ? "\n  }" : "}");
    p->written = outer;
    return error;
}

/* "version": the integer 1. */
static int version_value(pass *p, const skycrate__buf *value)
{
    json_t *v = decode(value);
    bool integer = json_is_integer(v);
    long long n = integer ? (long long)json_integer_value(v) : 0;
    json_decref(v);
    if (!integer)
        return corrupt(p->in, "its \"version\" is not a number");
    if (n != SKYCRATE__USERS_FILE_VERSION)
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "user store: %s has format version %lld, this library reads "
                                   "version %d; it is left untouched",
                                   p->in->path, n, SKYCRATE__USERS_FILE_VERSION);
    if (p->out)
        puts_(p->out, "1");
    return 0;
}

/* A member of the document: "version", "users", or another kept as it is. */
static int top_member(pass *p)
{
    skycrate__buf key_text = SKYCRATE_BUF_INIT, value = SKYCRATE_BUF_INIT;
    json_t *key = NULL, *other = NULL;
    int error = 0;
    if ((error = capture_string(p->in, &key_text, KEY_MAX)) < 0 ||
        (error = expect(p->in, ':', "a key without a value")) < 0)
        goto done;
    if (!(key = decode(&key_text)) || !json_is_string(key)) {
        error = corrupt(p->in, "a malformed key");
        goto done;
    }
    const char *name = json_string_value(key);
    bool is_users = !strcmp(name, "users"), is_version = !strcmp(name, "version");
    if ((is_users && p->has_users) || (is_version && p->has_version)) {
        error = corrupt(p->in, "a key given twice");
        goto done;
    }
    next_member(p, "  ");
    if (p->out) {
        put(p->out, key_text.ptr, key_text.len);
        puts_(p->out, ": ");
    }
    if (is_users) {
        p->has_users = true;
        error = users_object(p);
        goto done;
    }
    if ((error = capture_value(p->in, &value, SKYCRATE__USERS_RECORD_MAX)) < 0)
        goto done;
    if (is_version) {
        p->has_version = true;
        error = version_value(p, &value);
    } else if (!(other = decode(&value))) {
        error = corrupt(p->in, "a malformed value");
    } else if (p->out) {
        put(p->out, value.ptr, value.len);
    }
done:
    json_decref(key);
    json_decref(other);
    skycrate__buf_dispose(&key_text);
    skycrate__buf_dispose(&value);
    return error;
}

/* The whole document; nothing but blanks after it. */
static int document(pass *p)
{
    int error = expect(p->in, '{', "it is not a JSON object");
    if (error == 0 && p->out)
        puts_(p->out, "{");
    if (error == 0)
        error = members(p, top_member);
    if (error < 0)
        return error;
    if (!p->has_version || !p->has_users)
        return corrupt(p->in, "it needs \"version\": 1 and a \"users\" object");
    skip_blanks(p->in, &error);
    if (error == 0 && peek(p->in, &error) >= 0)
        return error < 0 ? error : corrupt(p->in, "something follows the document");
    if (p->out)
        puts_(p->out, "\n}\n");
    return error < 0 ? error : p->change_error;
}

/* A pass that reads (out NULL) or rewrites. */
static int run_pass(pass *p, int fd, const char *path)
{
    reader *in = skycrate__malloc(sizeof(*in));
    if (!in)
        return skycrate__error_nomem();
    in->fd = fd; /* the buffer itself needs no clearing */
    in->path = path;
    in->pos = in->len = 0;
    in->eof = false;
    p->in = in;
    int error = fd < 0 ? 0 : document(p);
    key_set_dispose(&p->ids);
    skycrate__free(in);
    return error;
}

int skycrate__users_read(char **out, int fd, const char *path, const char *user_id)
{
    SKYCRATE_ASSERT_ARG(out && path && user_id);
    *out = NULL;
    pass p = {.user_id = user_id};
    int error = run_pass(&p, fd, path);
    if (error == 0)
        *out = p.found;
    else
        skycrate__free(p.found);
    return error;
}

int skycrate__users_check(int fd, const char *path)
{
    SKYCRATE_ASSERT_ARG(path);
    pass p = {.user_id = "", .validate = true};
    int error = run_pass(&p, fd, path);
    skycrate__free(p.found);
    return error;
}

/* A new file: the document with the one record. */
static int fresh_document(pass *p)
{
    puts_(p->out, "{\n  \"version\": 1,\n  \"users\": {");
    p->written = 0;
    int error = apply_change(p, NULL);
    puts_(p->out, p->written ? "\n  }\n}\n" : "}\n}\n");
    return error < 0 ? error : p->change_error;
}

int skycrate__users_rewrite(int in_fd, const char *in_path, int out_fd, const char *out_path,
                            const skycrate__users_change *change)
{
    SKYCRATE_ASSERT_ARG(in_path && out_path && change && change->user_id);
    writer *out = skycrate__malloc(sizeof(*out));
    if (!out)
        return skycrate__error_nomem();
    out->fd = out_fd; /* the buffer itself needs no clearing */
    out->path = out_path;
    out->len = 0;
    out->error = 0;
    pass p = {.out = out, .user_id = change->user_id, .change = change, .validate = true};
    int error = in_fd < 0 ? fresh_document(&p) : run_pass(&p, in_fd, in_path);
    flush(out);
    if (error == 0)
        error = out->error;
    skycrate__free(out);
    return error;
}
