/*
 * Unit tests of lib/store: the user store seam and the JSON-file store.
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/common.h"
#include "core/time.h"
#include "core/table.h"
#include "store/store.h"
#include "storecheck.h"
#include "testalloc.h"
#include "testutil.h"

/* ---- fixture: a fresh directory per test ---- */

static char dir[64];
static char path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/skycrate-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/users.json", dir);
    skycrate__file_store_test_hook = NULL;
}

static void teardown(void)
{
    skycrate__file_store_test_hook = NULL;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char p[512];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ---- helpers ---- */

static char *slurp(const char *p, size_t *len_out)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            buf = realloc(buf, cap);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

static void spit(const char *p, const char *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* The names in the test directory, sorted and joined with ',' (to spot leftovers). */
static void dir_listing(char *out, size_t cap)
{
    char names[16][64];
    int count = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && count < 16)
        if (e->d_name[0] != '.')
            snprintf(names[count++], 64, "%.63s", e->d_name);
    if (d)
        closedir(d);
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char t[64];
                memcpy(t, names[i], 64);
                memcpy(names[i], names[j], 64);
                memcpy(names[j], t, 64);
            }
    out[0] = '\0';
    for (int i = 0; i < count; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "", names[i]);
}

static bool json_text_equal(const char *a, const char *b)
{
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
    bool eq = ja && jb && json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

static void open_store(skycrate_user_store **s)
{
    ck_assert_sky_ok(skycrate_user_store_new_file(s, path, 0));
}

static const char rich_record[] =
    "{\"userId\":\"u42\",\"bucket\":\"skycrate-u42-20261122191500\",\"region\":\"eu-west-1\","
    "\"endpoint\":\"https://s3.eu-west-1.amazonaws.com\",\"mode\":\"aws\",\"state\":\"active\","
    "\"stepsDone\":[\"create\",\"public-access-block\"],"
    "\"stepsSkipped\":[{\"step\":\"encryption\",\"code\":\"InvalidArgument\",\"message\":\"no\"}],"
    "\"createdAt\":\"2026-11-22T19:15:00Z\",\"updatedAt\":\"2026-11-22T19:15:02Z\","
    "\"x-app\":{\"plan\":\"pro\",\"quota\":1099511627776,\"ratio\":0.1,\"tags\":[null,true,false],"
    "\"name\":\"J\\u00f6rg \\u65e5\\u672c \\\"q\\\"\"}}";

/* ---- records ---- */

START_TEST(record_round_trip_keeps_unknown_fields)
{
    skycrate_user_store *s = NULL;
    open_store(&s);
    ck_assert_sky_ok(skycrate_user_store_put(s, "u42", rich_record, NULL));
    char *got = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&got, s, "u42"));
    ck_assert(json_text_equal(got, rich_record));
    skycrate_user_store_unref(s);

    /* a new store on the same file sees the same record, byte for byte as text */
    skycrate_user_store *s2 = NULL;
    open_store(&s2);
    char *again = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&again, s2, "u42"));
    ck_assert_str_eq(again, got);
    skycrate_free(got);
    skycrate_free(again);

    /* the file has the documented shape */
    char *text = slurp(path, NULL);
    json_t *doc = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 1);
    json_t *users = json_object_get(doc, "users");
    ck_assert_uint_eq(json_object_size(users), 1);
    json_t *expected = json_loads(rich_record, 0, NULL);
    ck_assert(json_equal(json_object_get(users, "u42"), expected));
    json_decref(expected);
    json_decref(doc);
    free(text);
    skycrate_user_store_unref(s2);
}
END_TEST

START_TEST(unknown_top_level_fields_are_kept)
{
    const char *doc0 = "{\"version\":1,\"users\":{},\"x-app\":{\"owner\":\"ops\"}}";
    spit(path, doc0, strlen(doc0));
    skycrate_user_store *s = NULL;
    open_store(&s);
    ck_assert_sky_ok(skycrate_user_store_put(s, "a", "{\"n\":1}", NULL));
    char *text = slurp(path, NULL);
    json_t *doc = json_loads(text, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "x-app"), "owner")),
                     "ops");
    json_decref(doc);
    free(text);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(missing_file_is_an_empty_store)
{
    skycrate_user_store *s = NULL;
    open_store(&s);
    char *got = (char *)"sentinel";
    ck_assert_int_eq(skycrate_user_store_get(&got, s, "nobody"), SKYCRATE_ENOTFOUND);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(skycrate_user_store_remove(s, "nobody", NULL), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(access(path, F_OK), -1); /* reads create nothing */
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(compare_and_swap)
{
    skycrate_user_store *s = NULL;
    open_store(&s);
    const char *v1 = "{\"state\":\"provisioning\"}";
    const char *v2 = "{\"state\":\"active\"}";
    const char *v3 = "{\"state\":\"failed\"}";
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", v1, NULL));
    ck_assert_int_eq(skycrate_user_store_put(s, "u", v2, NULL), SKYCRATE_ECONFLICT);

    char *read1 = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&read1, s, "u"));
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", v2, read1));
    /* a writer that read v1 too loses, and nothing is written */
    char *before = slurp(path, NULL);
    ck_assert_int_eq(skycrate_user_store_put(s, "u", v3, read1), SKYCRATE_ECONFLICT);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ECONFLICT);
    ck_assert_int_eq(skycrate_user_store_remove(s, "u", read1), SKYCRATE_ECONFLICT);
    char *after = slurp(path, NULL);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);

    /* expected is compared as JSON: whitespace and key order do not matter */
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", v3, " { \"state\" : \"active\" } "));
    char *read3 = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&read3, s, "u"));
    ck_assert(json_text_equal(read3, v3));
    ck_assert_int_eq(skycrate_user_store_put(s, "u", v1, "not json"), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_user_store_remove(s, "u", read3));
    ck_assert_int_eq(skycrate_user_store_put(s, "u", v1, read3), SKYCRATE_ECONFLICT);
    ck_assert_sky_ok(skycrate_user_store_put(s, "u", v1, NULL));
    ck_assert_sky_ok(skycrate_user_store_remove(s, "u", NULL)); /* unconditional */
    ck_assert_int_eq(skycrate_user_store_remove(s, "u", NULL), SKYCRATE_ENOTFOUND);
    skycrate_free(read1);
    skycrate_free(read3);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(many_users_are_independent)
{
    skycrate_user_store *s = NULL;
    open_store(&s);
    char id[32], rec[64];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "user-%d", i);
        snprintf(rec, sizeof(rec), "{\"i\":%d}", i);
        ck_assert_sky_ok(skycrate_user_store_put(s, id, rec, NULL));
    }
    ck_assert_sky_ok(skycrate_user_store_remove(s, "user-7", NULL));
    for (int i = 0; i < 50; i++) {
        char *got = NULL;
        snprintf(id, sizeof(id), "user-%d", i);
        int rc = skycrate_user_store_get(&got, s, id);
        if (i == 7) {
            ck_assert_int_eq(rc, SKYCRATE_ENOTFOUND);
            continue;
        }
        ck_assert_sky_ok(rc);
        snprintf(rec, sizeof(rec), "{\"i\":%d}", i);
        ck_assert_str_eq(got, rec);
        skycrate_free(got);
    }
    skycrate_user_store_unref(s);
}
END_TEST

/* ---- corrupt and foreign files ---- */

static const char *const bad_files[] = {
    "",                                              /* empty */
    "{",                                             /* truncated */
    "{\"version\":1,\"users\":{}} trailing",         /* junk after the document */
    "{\"version\":1,\"users\":{\"a\":{},\"a\":{}}}", /* duplicate user */
    "\x89PNG\r\n\x1a\n\0\0\0",                       /* binary */
    "[]",                                            /* foreign: valid JSON, other shape */
    "{}",
    "\"users\"",
    "{\"users\":{}}",
    "{\"version\":1}",
    "{\"version\":1,\"users\":[]}",
    "{\"version\":\"1\",\"users\":{}}",
    "{\"version\":2,\"users\":{}}",          /* a newer format */
    "{\"version\":1,\"users\":{\"a\":[1]}}", /* a record that is no object */
    "{\"Version\":1,\"Users\":{}}",
};

START_TEST(bad_file_is_an_error_and_left_untouched)
{
    const char *content = bad_files[_i];
    size_t len = _i == 4 ? 11 : strlen(content);
    skycrate_user_store *s = NULL;
    open_store(&s); /* the file does not exist yet */
    spit(path, content, len);
    skycrate_user_store *refused = (skycrate_user_store *)1;
    ck_assert_int_eq(skycrate_user_store_new_file(&refused, path, 0), SKYCRATE_EPARSE);
    ck_assert_ptr_null(refused);

    char *got = NULL;
    ck_assert_int_eq(skycrate_user_store_get(&got, s, "a"), SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_user_store_put(s, "a", "{\"n\":1}", NULL), SKYCRATE_EPARSE);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "users.json"));
    ck_assert_int_eq(skycrate_user_store_put(s, "b", "{\"n\":1}", "{}"), SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_user_store_remove(s, "a", NULL), SKYCRATE_EPARSE);

    size_t after_len = 0;
    char *after = slurp(path, &after_len);
    ck_assert_uint_eq(after_len, len);
    ck_assert(memcmp(after, content, len) == 0);
    free(after);
    char listing[256];
    dir_listing(listing, sizeof(listing));
    ck_assert_str_eq(listing, "users.json,users.json.lock");
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(path_problems)
{
    skycrate_user_store *s = NULL;
    ck_assert_int_eq(skycrate_user_store_new_file(&s, "", 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_new_file(&s, "dir/", 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_new_file(NULL, path, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_new_file(&s, dir, 0), SKYCRATE_EIO); /* a directory */
    ck_assert_ptr_null(s);

    /* a missing directory: refused at once (the path is resolved when the store is made) */
    char missing[192];
    snprintf(missing, sizeof(missing), "%s/nope/users.json", dir);
    ck_assert_int_eq(skycrate_user_store_new_file(&s, missing, 0), SKYCRATE_EIO);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(default_path_is_users_json)
{
    char cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(dir), 0);
    skycrate_user_store *s = NULL;
    int rc = skycrate_user_store_new_file(&s, NULL, 0);
    if (rc == 0)
        rc = skycrate_user_store_put(s, "a", "{}", NULL);
    skycrate_user_store_unref(s);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(access(path, R_OK), 0);
}
END_TEST

/* ---- atomicity ---- */

static int fail_before_rename(const char *stage)
{
    return strcmp(stage, "tmp-written") == 0 ? -1 : 0;
}

static int crash_before_rename(const char *stage)
{
    if (strcmp(stage, "tmp-written") == 0)
        _exit(42);
    return 0;
}

START_TEST(failed_rename_leaves_old_file)
{
    skycrate_user_store *s = NULL;
    open_store(&s);
    ck_assert_sky_ok(skycrate_user_store_put(s, "a", "{\"v\":1}", NULL));
    char *before = slurp(path, NULL);
    skycrate__file_store_test_hook = fail_before_rename;
    ck_assert_int_eq(skycrate_user_store_put(s, "a", "{\"v\":2}", "{\"v\":1}"), SKYCRATE_EIO);
    ck_assert_int_eq(skycrate_user_store_put(s, "b", "{\"v\":1}", NULL), SKYCRATE_EIO);
    skycrate__file_store_test_hook = NULL;
    char *after = slurp(path, NULL);
    ck_assert_str_eq(before, after);
    char listing[256];
    dir_listing(listing, sizeof(listing));
    ck_assert_str_eq(listing, "users.json,users.json.lock"); /* no partial file remains */
    free(before);
    free(after);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(crash_before_rename_leaves_old_file)
{
    skycrate_user_store *s = NULL;
    open_store(&s);
    ck_assert_sky_ok(skycrate_user_store_put(s, "a", "{\"v\":1}", NULL));
    char *before = slurp(path, NULL);

    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        skycrate__file_store_test_hook = crash_before_rename;
        skycrate_user_store_put(s, "a", "{\"v\":2,\"big\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
                                "{\"v\":1}");
        _exit(1); /* not reached: the hook "crashes" first */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 42);

    /* the old file is intact; the complete temporary file is a harmless leftover */
    char *after = slurp(path, NULL);
    ck_assert_str_eq(before, after);
    char listing[256];
    dir_listing(listing, sizeof(listing));
    ck_assert_str_eq(listing, "users.json,users.json.lock,users.json.tmp");
    char *got = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&got, s, "a"));
    ck_assert_str_eq(got, "{\"v\":1}");
    skycrate_free(got);

    /* the next write replaces the leftover and commits */
    ck_assert_sky_ok(skycrate_user_store_put(s, "a", "{\"v\":3}", "{\"v\":1}"));
    dir_listing(listing, sizeof(listing));
    ck_assert_str_eq(listing, "users.json,users.json.lock");
    ck_assert_sky_ok(skycrate_user_store_get(&got, s, "a"));
    ck_assert_str_eq(got, "{\"v\":3}");
    skycrate_free(got);
    free(before);
    free(after);
    skycrate_user_store_unref(s);
}
END_TEST

/* ---- permissions ---- */

START_TEST(new_files_are_private_and_modes_are_kept)
{
    mode_t old = umask(022);
    skycrate_user_store *s = NULL;
    open_store(&s);
    ck_assert_sky_ok(skycrate_user_store_put(s, "a", "{}", NULL));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    char lock[160];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    ck_assert_int_eq(stat(lock, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);

    /* an administrator's chmod survives the next write */
    ck_assert_int_eq(chmod(path, 0640), 0);
    ck_assert_sky_ok(skycrate_user_store_put(s, "b", "{}", NULL));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0640);
    umask(old);
    skycrate_user_store_unref(s);
}
END_TEST

/* ---- locking and concurrency ---- */

START_TEST(lock_timeout_is_a_conflict)
{
    skycrate_user_store *s = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&s, path, 150));
    ck_assert_sky_ok(skycrate_user_store_put(s, "a", "{\"v\":1}", NULL));
    char *before = slurp(path, NULL);

    char lock[160];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    int fd = open(lock, O_RDWR);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX), 0);

    int64_t t0 = skycrate__monotonic_ms();
    ck_assert_int_eq(skycrate_user_store_put(s, "a", "{\"v\":2}", "{\"v\":1}"), SKYCRATE_ECONFLICT);
    int64_t waited = skycrate__monotonic_ms() - t0;
    ck_assert_int_ge(waited, 150);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "locked"));
    ck_assert_int_eq(skycrate_user_store_remove(s, "a", NULL), SKYCRATE_ECONFLICT);
    char *got = NULL; /* reads take no lock */
    ck_assert_sky_ok(skycrate_user_store_get(&got, s, "a"));
    skycrate_free(got);
    char *after = slurp(path, NULL);
    ck_assert_str_eq(before, after);

    close(fd); /* released: writes go through again */
    ck_assert_sky_ok(skycrate_user_store_put(s, "a", "{\"v\":2}", "{\"v\":1}"));
    free(before);
    free(after);
    skycrate_user_store_unref(s);
}
END_TEST

enum { WRITERS = 4, ROUNDS = 50 };

static int open_file_store(skycrate_user_store **out, void *ctx)
{
    return skycrate_user_store_new_file(out, ctx, 60000);
}

START_TEST(concurrent_processes_lose_no_update)
{
    skycrate_user_store *s = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&s, path, 60000));
    /* each process opens its own store on the same file */
    storecheck_processes(s, open_file_store, path, WRITERS, ROUNDS);
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(concurrent_threads_lose_no_update)
{
    skycrate_user_store *s = NULL; /* one store shared by every thread */
    ck_assert_sky_ok(skycrate_user_store_new_file(&s, path, 60000));
    storecheck_threads(s, WRITERS, ROUNDS);
    skycrate_user_store_unref(s);
}
END_TEST

/* ---- allocation failures ---- */

/* A full life cycle; returns the first failing code. */
static int life_cycle(void)
{
    skycrate_user_store *s = NULL;
    char *got = NULL;
    int rc = skycrate_user_store_new_file(&s, path, 0);
    if (rc < 0)
        return rc;
    if ((rc = skycrate_user_store_put(s, "u1", rich_record, NULL)) == 0 &&
        (rc = skycrate_user_store_get(&got, s, "u1")) == 0 &&
        (rc = skycrate_user_store_put(s, "u1", "{\"state\":\"deleted\"}", got)) == 0 &&
        (rc = storecheck_increment_helper(s, "u2")) == 0)
        rc = skycrate_user_store_remove(s, "u1", "{\"state\":\"deleted\"}");
    skycrate_free(got);
    skycrate_user_store_unref(s);
    return rc;
}

START_TEST(allocation_failures_are_enomem_and_leak_nothing)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    long n;
    for (n = 1;; n++) {
        unlink(path);
        testalloc_fail_at(n);
        int rc = life_cycle();
        testalloc_fail_at(0);
        ck_assert_int_eq(testalloc_outstanding(), 0);
        /* whatever failed, the file is absent or a complete users file */
        char *text = slurp(path, NULL);
        if (text) {
            json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
            ck_assert_msg(doc != NULL, "partial file after failing allocation %ld: %s", n, text);
            ck_assert(json_is_object(json_object_get(doc, "users")));
            json_decref(doc);
            free(text);
        }
        if (rc == 0)
            break;
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "allocation %ld: %d %s", n, rc,
                      skycrate_error_last()->message);
    }
    ck_assert_int_gt(n, 10);
    skycrate_global_cleanup();
}
END_TEST

/* ---- the seam itself, with an application's store ---- */

typedef struct {
    char *text;         /* the one record (user "u"), or NULL */
    int conflicts_left; /* put fails with ECONFLICT this many more times */
    int gets, puts, frees;
    int get_mode; /* 0 normal, 1 positive rc, 2 no value, 3 not an object, 4 message */
} mem_store;

static int mem_get(skycrate_user_store_value *out, const char *user_id, uint32_t flags, void *ud)
{
    mem_store *m = ud;
    ck_assert_uint_eq(flags, 0);
    m->gets++;
    if (strcmp(user_id, "u") != 0)
        return SKYCRATE_ENOTFOUND;
    switch (m->get_mode) {
    case 1: return 7;
    case 2: return 0;
    case 3: return skycrate_user_store_value_set(out, "[1,2]", 5);
    case 4: skycrate_error_set_str(SKYCRATE_EUSER, "database is down"); return SKYCRATE_EUSER;
    default: break;
    }
    if (!m->text)
        return SKYCRATE_ENOTFOUND;
    /* not NUL-terminated on purpose: the length counts */
    return skycrate_user_store_value_set(out, m->text, strlen(m->text));
}

static int mem_put(const char *user_id, const char *json, const char *expected, uint32_t flags,
                   void *ud)
{
    mem_store *m = ud;
    (void)user_id;
    ck_assert_uint_eq(flags, 0);
    m->puts++;
    if (m->conflicts_left > 0) {
        m->conflicts_left--;
        return SKYCRATE_ECONFLICT;
    }
    if ((expected == NULL) != (m->text == NULL) || (expected && strcmp(expected, m->text) != 0))
        return SKYCRATE_ECONFLICT;
    free(m->text);
    m->text = strdup(json);
    return 0;
}

static int mem_remove(const char *user_id, const char *expected, uint32_t flags, void *ud)
{
    mem_store *m = ud;
    (void)user_id, (void)expected, (void)flags;
    if (!m->text)
        return SKYCRATE_ENOTFOUND;
    free(m->text);
    m->text = NULL;
    return 0;
}

static void mem_free(void *ud)
{
    mem_store *m = ud;
    m->frees++;
    free(m->text);
    m->text = NULL;
}

static skycrate_user_store_callbacks mem_callbacks(mem_store *m)
{
    skycrate_user_store_callbacks cb = SKYCRATE_USER_STORE_CALLBACKS_INIT;
    cb.get = mem_get;
    cb.put = mem_put;
    cb.remove = mem_remove;
    cb.free = mem_free;
    cb.user_data = m;
    return cb;
}

static skycrate_user_store *mem_store_new(mem_store *m)
{
    skycrate_user_store_callbacks cb = mem_callbacks(m);
    skycrate_user_store *store = NULL;
    ck_assert_sky_ok(skycrate_user_store_new(&store, &cb));
    return store;
}

START_TEST(callbacks_versions_and_init)
{
    skycrate_user_store_callbacks t;
    memset(&t, 0xab, sizeof(t));
    ck_assert_sky_ok(skycrate_user_store_callbacks_init(&t, SKYCRATE_USER_STORE_CALLBACKS_VERSION));
    ck_assert_uint_eq(t.version, 1);
    ck_assert(t.get == NULL);
    ck_assert_ptr_null(t.user_data);
    ck_assert_int_eq(skycrate_user_store_callbacks_init(&t, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_callbacks_init(&t, 2), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_callbacks_init(NULL, 1), SKYCRATE_EINVAL);

    mem_store m = {0};
    skycrate_user_store_callbacks bad = mem_callbacks(&m);
    skycrate_user_store *store = (skycrate_user_store *)1;
    bad.version = 0;
    ck_assert_int_eq(skycrate_user_store_new(&store, &bad), SKYCRATE_EINVAL);
    ck_assert_ptr_null(store);
    bad.version = SKYCRATE_USER_STORE_CALLBACKS_VERSION + 1;
    ck_assert_int_eq(skycrate_user_store_new(&store, &bad), SKYCRATE_EINVAL);
    bad = mem_callbacks(&m);
    bad.remove = NULL;
    ck_assert_int_eq(skycrate_user_store_new(&store, &bad), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_new(&store, NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(m.frees, 0); /* a failed _new leaves user_data to the caller */
    char *got = NULL;
    ck_assert_int_eq(skycrate_user_store_get(&got, NULL, "u"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_put(NULL, "u", "{}", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(m.puts, 0);

    /* A version-1 table that ends where version 1 ends: only that prefix is read. */
    size_t v1 = SKYCRATE__PREFIX_THROUGH(skycrate_user_store_callbacks, user_data);
    skycrate_user_store_callbacks *short_table = malloc(v1);
    skycrate_user_store_callbacks good = mem_callbacks(&m);
    memcpy(short_table, &good, v1);
    ck_assert_sky_ok(skycrate_user_store_new(&store, short_table));
    free(short_table);
    ck_assert_ptr_eq(store->callbacks.user_data, &m);
    ck_assert(store->callbacks.put == mem_put);
    skycrate_user_store_unref(store);
    ck_assert_int_eq(m.frees, 1);
}
END_TEST

START_TEST(wrappers_check_their_inputs)
{
    mem_store m = {0};
    skycrate_user_store *t = mem_store_new(&m);
    char *got = NULL;
    char long_id[1100];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    ck_assert_int_eq(skycrate_user_store_get(&got, t, ""), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_get(&got, t, NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_get(&got, t, "\xed\xa0\x80"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_get(&got, t, long_id), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_get(NULL, t, "u"), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_put(t, "u", "[]", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_put(t, "u", "{\"a\":1,\"a\":2}", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_put(t, "u", "{", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_put(t, "u", NULL, NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_user_store_remove(t, "", NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(m.gets + m.puts, 0);
    long_id[1024] = '\0';
    ck_assert_int_eq(skycrate_user_store_get(&got, t, long_id), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(skycrate_user_store_get(&got, t, "\xe6\x97\xa5"), SKYCRATE_ENOTFOUND);
    ck_assert_int_eq(skycrate_user_store_value_set(NULL, "{}", 2), SKYCRATE_EINVAL);
    skycrate_user_store_unref(t);
}
END_TEST

START_TEST(wrappers_apply_callback_conventions)
{
    mem_store m = {0};
    skycrate_user_store *t = mem_store_new(&m);
    char *got = NULL;
    ck_assert_sky_ok(skycrate_user_store_put(t, "u", "{\"a\":1}", NULL));
    ck_assert_sky_ok(skycrate_user_store_get(&got, t, "u"));
    ck_assert_str_eq(got, "{\"a\":1}");
    skycrate_free(got);
    got = NULL;

    m.get_mode = 1; /* a positive return is a broken store */
    ck_assert_int_eq(skycrate_user_store_get(&got, t, "u"), SKYCRATE_ERROR);
    m.get_mode = 2; /* success without a value */
    ck_assert_int_eq(skycrate_user_store_get(&got, t, "u"), SKYCRATE_ERROR);
    m.get_mode = 3; /* not an object */
    ck_assert_int_eq(skycrate_user_store_get(&got, t, "u"), SKYCRATE_EPARSE);
    ck_assert_ptr_null(got);
    m.get_mode = 4; /* the callback's own message and EUSER pass through */
    ck_assert_int_eq(skycrate_user_store_get(&got, t, "u"), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "database is down");
    m.get_mode = 0;
    m.conflicts_left = 1; /* a callback failing without a message gets a generic one */
    ck_assert_int_eq(skycrate_user_store_put(t, "u", "{}", "{\"a\":1}"), SKYCRATE_ECONFLICT);
    ck_assert_str_eq(skycrate_error_last()->message, "user store put callback returned -19");

    ck_assert_ptr_eq(skycrate_user_store_ref(t), t);
    skycrate_user_store_unref(t);
    ck_assert_int_eq(m.frees, 0);
    skycrate_user_store_unref(t);
    ck_assert_int_eq(m.frees, 1); /* the last reference frees user_data, once */
    skycrate_user_store_unref(NULL);
}
END_TEST

static int set_state(json_t **record, void *ctx)
{
    if (!*record)
        *record = json_object();
    return json_object_set_new(*record, "state", json_string(ctx));
}

static int keep(json_t **record, void *ctx)
{
    (void)record, (void)ctx;
    return SKYCRATE__USER_STORE_UNCHANGED;
}

static int refuse(json_t **record, void *ctx)
{
    (void)record, (void)ctx;
    return skycrate__error_set(SKYCRATE_EINVAL, "refused");
}

START_TEST(update_retries_conflicts)
{
    mem_store m = {0};
    skycrate_user_store *t = mem_store_new(&m);
    json_t *result = NULL;
    ck_assert_sky_ok(skycrate__user_store_update(&result, t, "u", set_state, "active"));
    ck_assert_str_eq(json_string_value(json_object_get(result, "state")), "active");
    json_decref(result);

    m.conflicts_left = 3; /* three lost races, then success: four reads, four writes */
    m.gets = m.puts = 0;
    ck_assert_sky_ok(skycrate__user_store_update(NULL, t, "u", set_state, "failed"));
    ck_assert_int_eq(m.gets, 4);
    ck_assert_int_eq(m.puts, 4);
    ck_assert(json_text_equal(m.text, "{\"state\":\"failed\"}"));

    m.conflicts_left = 1000; /* never wins: gives up after the bound */
    m.puts = 0;
    ck_assert_int_eq(skycrate__user_store_update(NULL, t, "u", set_state, "x"), SKYCRATE_ECONFLICT);
    ck_assert_int_eq(m.puts, SKYCRATE__USER_STORE_ATTEMPTS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "still changing"));
    m.conflicts_left = 0;

    m.puts = 0;
    ck_assert_sky_ok(skycrate__user_store_update(&result, t, "u", keep, NULL));
    ck_assert_int_eq(m.puts, 0);
    ck_assert_str_eq(json_string_value(json_object_get(result, "state")), "failed");
    json_decref(result);
    ck_assert_int_eq(skycrate__user_store_update(NULL, t, "u", refuse, NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(m.puts, 0);
    skycrate_user_store_unref(t);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, record_round_trip_keeps_unknown_fields);
    tcase_add_test(tc, unknown_top_level_fields_are_kept);
    tcase_add_test(tc, missing_file_is_an_empty_store);
    tcase_add_test(tc, compare_and_swap);
    tcase_add_test(tc, many_users_are_independent);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad-files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, bad_file_is_an_error_and_left_untouched, 0,
                        (int)SKYCRATE_ARRAY_SIZE(bad_files));
    tcase_add_test(tc, path_problems);
    tcase_add_test(tc, default_path_is_users_json);
    suite_add_tcase(s, tc);

    tc = tcase_create("atomicity");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, failed_rename_leaves_old_file);
    tcase_add_test(tc, crash_before_rename_leaves_old_file);
    tcase_add_test(tc, new_files_are_private_and_modes_are_kept);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, lock_timeout_is_a_conflict);
    tcase_add_test(tc, concurrent_processes_lose_no_update);
    tcase_add_test(tc, concurrent_threads_lose_no_update);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocation");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, allocation_failures_are_enomem_and_leak_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("seam");
    tcase_add_test(tc, callbacks_versions_and_init);
    tcase_add_test(tc, wrappers_check_their_inputs);
    tcase_add_test(tc, wrappers_apply_callback_conventions);
    tcase_add_test(tc, update_retries_conflicts);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(store_suite)
