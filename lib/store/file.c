/*
 * The JSON-file user store: {"version": 1, "users": {"<id>": {record}, ...}}.
 *
 * Reads open the file and parse it (rename makes every version complete, so no lock). Writes
 * take an exclusive flock(2) on "<path>.lock" (a sidecar: the data file itself is replaced by
 * rename, so a lock on it would protect nothing), read and check the file, apply the change,
 * write "<path>.tmp", fsync it, rename it over the file and fsync the directory. flock locks
 * belong to an open file description, and each write opens the lock file anew, so threads of
 * one process exclude each other as processes do. A crash leaves either the old or the new
 * file, and at worst a stale "<path>.tmp" that the next write replaces.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/time.h"
#include "store/store.h"
#include "errors.h"

#define FILE_FORMAT_VERSION 1
#define DEFAULT_LOCK_TIMEOUT_MS 10000u

int (*skycrate__file_store_test_hook)(const char *stage);

typedef struct file_store {
    char *path, *lock_path, *tmp_path, *dir_path;
    uint32_t lock_timeout_ms;
} file_store;

static int io_error(const char *what, const char *path, int err)
{
    return skycrate__error_set(SKYCRATE_EIO, "user store: cannot %s %s: %s", what, path,
                               strerror(err));
}

/* The parsed file. `root` is NULL when the file does not exist yet. */
typedef struct document {
    json_t *root;
    json_t *users; /* borrowed from root */
    mode_t mode;   /* the file's permission bits, 0600 for a new file */
} document;

static void document_dispose(document *doc)
{
    json_decref(doc->root);
    doc->root = doc->users = NULL;
}

static int read_all(skycrate__buf *out, int fd, const char *path)
{
    for (;;) {
        if (skycrate__buf_grow(out, 4096) < 0)
            return SKYCRATE_ENOMEM;
        ssize_t n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error("read", path, errno);
        if (n == 0)
            return 0;
        out->len += (size_t)n;
        out->ptr[out->len] = '\0';
    }
}

/* Checks the shape; the messages never quote records. */
static int document_check(document *doc, const char *path)
{
    json_t *version = json_object_get(doc->root, "version");
    json_t *users = json_object_get(doc->root, "users");
    if (!json_is_object(doc->root) || !json_is_integer(version) || !json_is_object(users))
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "user store: %s is not a libskycrate users file (it needs "
                                   "\"version\": 1 and a \"users\" object); it is left untouched",
                                   path);
    if (json_integer_value(version) != FILE_FORMAT_VERSION)
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "user store: %s has format version %lld, this library reads "
                                   "version %d; it is left untouched",
                                   path, (long long)json_integer_value(version),
                                   FILE_FORMAT_VERSION);
    const char *id;
    json_t *record;
    json_object_foreach(users, id, record)
    {
        if (!json_is_object(record))
            return skycrate__error_set(SKYCRATE_EPARSE,
                                       "user store: %s holds a user record that is not a JSON "
                                       "object; it is left untouched",
                                       path);
    }
    doc->users = users;
    return 0;
}

static int document_load(document *doc, const char *path)
{
    skycrate__buf text = SKYCRATE_BUF_INIT;
    int error = 0;
    int fd = -1;
    doc->root = doc->users = NULL;
    doc->mode = S_IRUSR | S_IWUSR;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        goto done; /* a missing file is an empty store */
    if (fd < 0) {
        error = io_error("open", path, errno);
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        error = io_error("stat", path, errno);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        error = skycrate__error_set(SKYCRATE_EIO, "user store: %s is not a regular file", path);
        goto done;
    }
    doc->mode = st.st_mode & 0777;
    if ((error = read_all(&text, fd, path)) < 0)
        goto done;

    json_error_t jerr;
    doc->root = json_loadb(text.ptr, text.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc->root) {
        error = skycrate__error_from_json(SKYCRATE_EPARSE, &jerr, true,
                                          "user store: %s is corrupt (left untouched)", path);
        goto done;
    }
    error = document_check(doc, path);
done:
    if (fd >= 0)
        close(fd);
    skycrate__buf_dispose(&text);
    if (error < 0)
        document_dispose(doc);
    return error;
}

/* Makes sure there is a document to change: a new one when the file does not exist. */
static int document_ensure(document *doc)
{
    if (doc->root)
        return 0;
    doc->root = json_pack("{s:i, s:{}}", "version", FILE_FORMAT_VERSION, "users");
    if (!doc->root)
        return skycrate__error_nomem();
    doc->users = json_object_get(doc->root, "users");
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_error("open directory", dir, errno);
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    /* Some file systems cannot sync a directory; the rename is then as durable as it gets. */
    if (rc != 0 && err != EINVAL && err != ENOTSUP)
        return io_error("sync directory", dir, err);
    return 0;
}

/* Serialises the document and replaces the file with it; the rename is the commit point. */
static int document_save(const file_store *fs, const document *doc)
{
    skycrate__buf text = SKYCRATE_BUF_INIT;
    int error = 0;
    int fd = -1;
    bool tmp_created = false;

    const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
    if ((error = skycrate__json_dump(&text, doc->root, flags)) < 0 ||
        (error = skycrate__buf_putc(&text, '\n')) < 0)
        goto done;

    /* Only writers holding the lock touch the temporary file: a leftover one is stale. */
    if (unlink(fs->tmp_path) != 0 && errno != ENOENT) {
        error = io_error("remove", fs->tmp_path, errno);
        goto done;
    }
    fd =
        open(fs->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        error = io_error("create", fs->tmp_path, errno);
        goto done;
    }
    tmp_created = true;
    if ((doc->mode != (S_IRUSR | S_IWUSR) && fchmod(fd, doc->mode) != 0) ||
        write_all(fd, text.ptr, text.len) != 0 || fsync(fd) != 0) {
        error = io_error("write", fs->tmp_path, errno);
        goto done;
    }
    int rc = close(fd);
    fd = -1;
    if (rc != 0) {
        error = io_error("write", fs->tmp_path, errno);
        goto done;
    }
    if (skycrate__file_store_test_hook && skycrate__file_store_test_hook("tmp-written") != 0) {
        error = io_error("rename over", fs->path, EIO);
        goto done;
    }
    if (rename(fs->tmp_path, fs->path) != 0) {
        error = io_error("rename over", fs->path, errno);
        goto done;
    }
    tmp_created = false;
    /* Committed. A failing directory sync is still reported: durability is not certain. */
    error = fsync_dir(fs->dir_path);
done:
    if (fd >= 0)
        close(fd);
    if (tmp_created)
        unlink(fs->tmp_path);
    skycrate__buf_dispose(&text);
    return error;
}

/* Takes the writers' lock: flock on a fresh descriptor of the sidecar file, polled until the
 * timeout. Returns the descriptor (>= 0; closing it releases the lock) or a negative code. */
static int lock_acquire(const file_store *fs)
{
    int fd = open(fs->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0)
        return io_error("open lock file", fs->lock_path, errno);
    int64_t deadline = skycrate__monotonic_ms() + fs->lock_timeout_ms;
    uint32_t pause = 1;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            int err = errno;
            close(fd);
            return io_error("lock", fs->lock_path, err);
        }
        int64_t left = deadline - skycrate__monotonic_ms();
        if (left <= 0) {
            close(fd);
            return skycrate__error_set(SKYCRATE_ECONFLICT,
                                       "user store: %s stayed locked by another writer for %u "
                                       "ms",
                                       fs->path, (unsigned)fs->lock_timeout_ms);
        }
        skycrate__sleep_ms(pause < left ? pause : (uint32_t)left);
        if (pause < 32)
            pause *= 2;
    }
}

static void lock_release(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* Compares the stored record with the expected text (as JSON values). */
static int check_expected(json_t *current, const char *expected_json, bool for_remove)
{
    json_t *expected = NULL;
    int error = 0;
    if (!expected_json) {
        if (current && !for_remove)
            error =
                skycrate__error_set(SKYCRATE_ECONFLICT, "user store: the record exists already");
        return error;
    }
    error = skycrate__record_parse(&expected, expected_json, strlen(expected_json), SKYCRATE_EINVAL,
                                   "the expected record");
    if (error == 0 && !current)
        error = for_remove
                    ? 0
                    : skycrate__error_set(SKYCRATE_ECONFLICT, "user store: the record was removed");
    else if (error == 0 && !json_equal(current, expected))
        error = skycrate__error_set(SKYCRATE_ECONFLICT,
                                    "user store: the record changed since it was read");
    json_decref(expected);
    return error;
}

static int file_get(skycrate_user_store_value *out, const char *user_id, uint32_t flags,
                    void *user_data)
{
    const file_store *fs = user_data;
    document doc;
    char *text = NULL;
    (void)flags;
    SKYCRATE_ASSERT_ARG(out && fs);
    int error = skycrate__user_id_check(user_id);
    if (error < 0 || (error = document_load(&doc, fs->path)) < 0)
        return error;
    json_t *record = doc.users ? json_object_get(doc.users, user_id) : NULL;
    if (!record)
        error = skycrate__error_set(SKYCRATE_ENOTFOUND, "user store: no record for user '%.64s'",
                                    user_id);
    else if ((error = skycrate__record_dump(&text, record)) == 0)
        error = skycrate_user_store_value_set(out, text, strlen(text));
    skycrate__free(text);
    document_dispose(&doc);
    return error;
}

/* The common write path: lock, load, compare, change, save, unlock. `record` NULL removes. */
static int file_change(const file_store *fs, const char *user_id, const char *json,
                       const char *expected_json)
{
    json_t *record = NULL;
    document doc = {NULL, NULL, 0};
    int lock = -1;
    int error = skycrate__user_id_check(user_id);
    if (error < 0)
        return error;
    if (json && (error = skycrate__record_parse(&record, json, strlen(json), SKYCRATE_EINVAL,
                                                "the record")) < 0)
        return error;
    if ((lock = lock_acquire(fs)) < 0) {
        error = lock;
        goto done;
    }
    if ((error = document_load(&doc, fs->path)) < 0)
        goto done;
    json_t *current = doc.users ? json_object_get(doc.users, user_id) : NULL;
    if (!json && !current) {
        error = skycrate__error_set(SKYCRATE_ENOTFOUND, "user store: no record for user '%.64s'",
                                    user_id);
        goto done;
    }
    if ((error = check_expected(current, expected_json, json == NULL)) < 0)
        goto done;
    if ((error = document_ensure(&doc)) < 0)
        goto done;
    if (json ? json_object_set(doc.users, user_id, record) != 0
             : json_object_del(doc.users, user_id) != 0) {
        error = skycrate__error_nomem();
        goto done;
    }
    error = document_save(fs, &doc);
done:
    lock_release(lock);
    document_dispose(&doc);
    json_decref(record);
    return error;
}

static int file_put(const char *user_id, const char *json, const char *expected_json,
                    uint32_t flags, void *user_data)
{
    (void)flags;
    SKYCRATE_ASSERT_ARG(user_data && json);
    return file_change(user_data, user_id, json, expected_json);
}

static int file_remove(const char *user_id, const char *expected_json, uint32_t flags,
                       void *user_data)
{
    (void)flags;
    SKYCRATE_ASSERT_ARG(user_data);
    return file_change(user_data, user_id, NULL, expected_json);
}

static void file_store_free(void *user_data)
{
    file_store *fs = user_data;
    if (!fs)
        return;
    skycrate__free(fs->path);
    skycrate__free(fs->lock_path);
    skycrate__free(fs->tmp_path);
    skycrate__free(fs->dir_path);
    skycrate__free(fs);
}

static char *concat(const char *a, const char *b)
{
    skycrate__buf buf = SKYCRATE_BUF_INIT;
    if (skycrate__buf_puts(&buf, a) < 0 || skycrate__buf_puts(&buf, b) < 0) {
        skycrate__buf_dispose(&buf);
        return NULL;
    }
    return skycrate__buf_detach(&buf);
}

int skycrate_user_store_new_file(skycrate_user_store **out, const char *path,
                                 uint32_t lock_timeout_ms)
{
    file_store *fs = NULL;
    document doc = {NULL, NULL, 0};
    int error = 0;
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    if (!path)
        path = "users.json";
    size_t len = strlen(path);
    if (len == 0 || path[len - 1] == '/')
        return skycrate__error_set(SKYCRATE_EINVAL, "user store: '%s' is not a file path", path);

    fs = skycrate__calloc(1, sizeof(*fs));
    if (!fs)
        return skycrate__error_nomem();
    fs->lock_timeout_ms = lock_timeout_ms ? lock_timeout_ms : DEFAULT_LOCK_TIMEOUT_MS;
    const char *slash = strrchr(path, '/');
    fs->path = skycrate__strdup(path);
    fs->lock_path = concat(path, ".lock");
    fs->tmp_path = concat(path, ".tmp");
    fs->dir_path = !slash          ? skycrate__strdup(".")
                   : slash == path ? skycrate__strdup("/")
                                   : skycrate__strndup(path, (size_t)(slash - path));
    if (!fs->path || !fs->lock_path || !fs->tmp_path || !fs->dir_path) {
        error = skycrate__error_nomem();
        goto done;
    }
    if ((error = document_load(&doc, fs->path)) < 0)
        goto done;

    skycrate_user_store_callbacks cb;
    skycrate_user_store_callbacks_init(
        &cb,
        SKYCRATE_USER_STORE_CALLBACKS_VERSION); /* zero padding too: the table is copied byte for byte */
    cb.get = file_get;
    cb.put = file_put;
    cb.remove = file_remove;
    cb.free = file_store_free;
    cb.user_data = fs;
    if ((error = skycrate_user_store_new(out, &cb)) == 0)
        fs = NULL; /* the store owns it now */
done:
    document_dispose(&doc);
    file_store_free(fs);
    return error;
}
