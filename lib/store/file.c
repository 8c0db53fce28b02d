/*
 * The JSON-file user store: {"version": 1, "users": {"<id>": {record}, ...}} (stream.h).
 *
 * The path is resolved once, when the store is made: a symbolic link is followed to its file
 * (one that points nowhere is refused), and the directory to its real place, so that the reads,
 * the rename that replaces the file, and the lock all concern one file, whichever name it was
 * given by. Anything but a regular file is refused without waiting for it (a FIFO would block
 * a read forever). Reads open the file and stream through it for one record (rename makes every
 * version complete, so no lock). Writes take an exclusive flock(2) on "<path>.lock" (a sidecar:
 * the data file itself is replaced by rename, so a lock on it would protect nothing), stream the
 * file into "<path>.tmp" with the change made, fsync it, rename it over the file and fsync the
 * directory: the cost of a write is bounded by the largest record, not by the file. flock locks
 * belong to an open file description, and each write opens the lock file anew, so threads of
 * one process exclude each other as processes do. A crash leaves either the old or the new
 * file, and at worst a stale "<path>.tmp" that the next write replaces.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/time.h"
#include "store/store.h"
#include "store/stream.h"

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

/* Opens the users file to read it: *fd_out -1 when there is none (an empty store). Anything
 * but a regular file is refused at once: the open does not wait (O_NONBLOCK), fstat decides.
 * `mode_out` (optional) gets its permission bits, 0600 for a file yet to be made. */
static int open_users(int *fd_out, mode_t *mode_out, const char *path)
{
    *fd_out = -1;
    if (mode_out)
        *mode_out = S_IRUSR | S_IWUSR;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : io_error("open", path, errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return io_error("stat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return skycrate__error_set(SKYCRATE_EIO,
                                   "user store: %s is not a regular file (a directory, a FIFO or "
                                   "a device cannot hold users)",
                                   path);
    }
    if (mode_out)
        *mode_out = st.st_mode & 0777;
    *fd_out = fd;
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

/* Writes the file with the change made into the temporary file, then renames it over the
 * file (the commit point) and syncs the directory. `in` is the current file (-1: none). */
static int save(const file_store *fs, int in, mode_t mode, const skycrate__users_change *change)
{
    int error = 0;
    /* Only writers holding the lock touch the temporary file: a leftover one is stale. */
    if (unlink(fs->tmp_path) != 0 && errno != ENOENT)
        return io_error("remove", fs->tmp_path, errno);
    int fd =
        open(fs->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0)
        return io_error("create", fs->tmp_path, errno);
    if (mode != (S_IRUSR | S_IWUSR) && fchmod(fd, mode) != 0) {
        error = io_error("write", fs->tmp_path, errno);
        goto done;
    }
    if ((error = skycrate__users_rewrite(in, fs->path, fd, fs->tmp_path, change)) < 0)
        goto done;
    if (fsync(fd) != 0) {
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
    /* Committed. A failing directory sync is still reported: durability is not certain. */
    return fsync_dir(fs->dir_path);
done:
    if (fd >= 0)
        close(fd);
    unlink(fs->tmp_path);
    return error;
}

/* Takes the writers' lock: flock on a fresh descriptor of the sidecar file, polled until the
 * timeout. Returns the descriptor (>= 0; closing it releases the lock) or a negative code. */
static int lock_acquire(const file_store *fs)
{
    int fd = open(fs->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                  S_IRUSR | S_IWUSR);
    if (fd < 0)
        return io_error("open lock file", fs->lock_path, errno);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return skycrate__error_set(SKYCRATE_EIO,
                                   "user store: the lock file %s is not a regular "
                                   "file",
                                   fs->lock_path);
    }
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

static int file_get(skycrate_user_store_value *out, const char *user_id, uint32_t flags,
                    void *user_data)
{
    const file_store *fs = user_data;
    char *text = NULL;
    int fd = -1;
    (void)flags;
    SKYCRATE_ASSERT_ARG(out && fs);
    int error = skycrate__user_id_check(user_id);
    if (error == 0)
        error = open_users(&fd, NULL, fs->path);
    if (error == 0 && fd >= 0)
        error = skycrate__users_read(&text, fd, fs->path, user_id);
    if (error == 0 && !text)
        error = skycrate__error_set(SKYCRATE_ENOTFOUND, "user store: no record for user '%.64s'",
                                    user_id);
    if (error == 0)
        error = skycrate_user_store_value_set(out, text, strlen(text));
    if (fd >= 0)
        close(fd);
    skycrate__free(text);
    return error;
}

/* The common write path: lock, stream the file with the change into a new one, rename,
 * unlock. `json` NULL removes. */
static int file_change(const file_store *fs, const char *user_id, const char *json,
                       const char *expected_json)
{
    json_t *record = NULL;
    int lock = -1, in = -1;
    mode_t mode = 0;
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
    if ((error = open_users(&in, &mode, fs->path)) < 0)
        goto done;
    if (in < 0 && !json) {
        error = skycrate__error_set(SKYCRATE_ENOTFOUND, "user store: no record for user '%.64s'",
                                    user_id);
        goto done;
    }
    skycrate__users_change change = {user_id, record, expected_json};
    error = save(fs, in, mode, &change);
done:
    if (in >= 0)
        close(in);
    lock_release(lock);
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

/* The file's one real path: a symbolic link followed to its file, the directory resolved, so
 * that every name of one file gives one path (and one lock). A link to nothing is refused: the
 * first write would replace the link with a file of its own. */
static int resolve(char **out, const char *path)
{
    char real[PATH_MAX];
    *out = NULL;
    if (realpath(path, real))
        return (*out = skycrate__strdup(real)) ? 0 : skycrate__error_nomem();
    if (errno != ENOENT)
        return io_error("resolve", path, errno);
    struct stat st;
    if (lstat(path, &st) == 0)
        return skycrate__error_set(SKYCRATE_EIO,
                                   "user store: %s is a symbolic link to a file that does not "
                                   "exist; refused (the first write would replace the link)",
                                   path);
    const char *slash = strrchr(path, '/');
    skycrate__buf dir = SKYCRATE_BUF_INIT;
    int error = !slash ? skycrate__buf_puts(&dir, ".")
                       : skycrate__buf_put(&dir, path, slash == path ? 1 : (size_t)(slash - path));
    if (error == 0 && !realpath(skycrate__buf_cstr(&dir), real))
        error = io_error("resolve the directory of", path, errno);
    skycrate__buf_dispose(&dir);
    if (error < 0)
        return error;
    *out = concat(real, real[1] ? "/" : "");
    char *full = *out ? concat(*out, slash ? slash + 1 : path) : NULL;
    skycrate__free(*out);
    *out = full;
    return full ? 0 : skycrate__error_nomem();
}

/* The file holds a users document (or is not there): checked once, when the store is made. */
static int check_file(const char *path)
{
    int fd = -1;
    int error = open_users(&fd, NULL, path);
    if (error == 0 && fd >= 0)
        error = skycrate__users_check(fd, path);
    if (fd >= 0)
        close(fd);
    return error;
}

int skycrate_user_store_new_file(skycrate_user_store **out, const char *path,
                                 uint32_t lock_timeout_ms)
{
    file_store *fs = NULL;
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
    if ((error = resolve(&fs->path, path)) < 0)
        goto done;
    const char *slash = strrchr(fs->path, '/'); /* an absolute path now */
    fs->lock_path = concat(fs->path, ".lock");
    fs->tmp_path = concat(fs->path, ".tmp");
    fs->dir_path = slash == fs->path ? skycrate__strdup("/")
                                     : skycrate__strndup(fs->path, (size_t)(slash - fs->path));
    if (!fs->lock_path || !fs->tmp_path || !fs->dir_path) {
        error = skycrate__error_nomem();
        goto done;
    }
    if ((error = check_file(fs->path)) < 0)
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
    file_store_free(fs);
    return error;
}
