/*
 * Unit tests of the JSON-file store's file (lib/store/file.c, stream.c): one file whatever name
 * it is given (symbolic links), files that are not regular refused without blocking, broken
 * files refused at once, a users file of 10,000 users read and changed one record at a time,
 * and writers killed at random points (the file always parses, no committed record is lost).
 * tests/unit/test_store.c has the store's records, compare-and-swap and concurrency.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "skycrate.h"
#include "testutil.h"

static char dir[64], path[128];

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    snprintf(dir, sizeof(dir), "/tmp/skycrate-file-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/users.json", dir);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char p[512];
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
    }
    if (d)
        closedir(d);
    rmdir(dir);
    skycrate_global_cleanup();
}

static char *in_dir(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

static long counter(const skycrate_user_store *s, const char *id)
{
    char *text = NULL;
    int rc = skycrate_user_store_get(&text, s, id);
    if (rc == SKYCRATE_ENOTFOUND)
        return 0;
    ck_assert_sky_ok(rc);
    json_t *j = json_loads(text, 0, NULL);
    long n = (long)json_integer_value(json_object_get(j, "n"));
    json_decref(j);
    skycrate_free(text);
    return n;
}

static int set_counter(const skycrate_user_store *s, const char *id, long n)
{
    char *old = NULL, json[64];
    int rc = skycrate_user_store_get(&old, s, id);
    if (rc < 0 && rc != SKYCRATE_ENOTFOUND)
        return rc;
    snprintf(json, sizeof(json), "{\"n\":%ld}", n);
    rc = skycrate_user_store_put(s, id, json, old);
    skycrate_free(old);
    return rc;
}

/* ---- files that are not users files ---- */

/* A value missing after its key (a comma at once) is a broken file, at the top and in the
 * users object, whichever is read; it used to make the reader loop for ever (found by the users
 * fuzz target). */
START_TEST(a_missing_value_is_refused_at_once)
{
    static const char *const texts[] = {
        "{\"version\":,\"users\":{}}",
        "{\"version\": 1, \"users\": {\"u\": , \"v\": {}}}",
        "{\"version\": 1, \"users\": {}, \"other\":,}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(texts[i], f);
        ck_assert_int_eq(fclose(f), 0);
        skycrate_user_store *s = NULL;
        ck_assert_int_eq(skycrate_user_store_new_file(&s, path, 0), SKYCRATE_EPARSE);
        ck_assert_ptr_null(s);
        ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "left untouched"));
    }
}
END_TEST

/* ---- one file, whatever its name ---- */

START_TEST(a_symbolic_link_is_the_file_it_names)
{
    char real[160], link[160], lock[176];
    in_dir(real, sizeof(real), "real.json");
    in_dir(link, sizeof(link), "link.json");
    ck_assert_int_eq(symlink("real.json", link), 0);
    skycrate_user_store *by_link = NULL, *by_name = NULL;
    /* A link to nothing is refused: the first write would replace the link. */
    ck_assert_int_eq(skycrate_user_store_new_file(&by_link, link, 0), SKYCRATE_EIO);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "symbolic link"));
    FILE *f = fopen(real, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"version\": 1, \"users\": {}}\n", f);
    fclose(f);

    ck_assert_sky_ok(skycrate_user_store_new_file(&by_link, link, 0));
    ck_assert_sky_ok(skycrate_user_store_new_file(&by_name, real, 0));
    for (int i = 1; i <= 3; i++) {
        ck_assert_sky_ok(set_counter(by_link, "a", i));
        ck_assert_int_eq(counter(by_name, "a"), i); /* one store, not two */
        ck_assert_sky_ok(set_counter(by_name, "b", i));
        ck_assert_int_eq(counter(by_link, "b"), i);
    }
    struct stat st;
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode)); /* still the link: the file it names was replaced */
    /* One lock for one file: the lock file of the real name, none of the link's. */
    snprintf(lock, sizeof(lock), "%s.lock", link);
    ck_assert_int_ne(access(lock, F_OK), 0);
    snprintf(lock, sizeof(lock), "%s.lock", real);
    ck_assert_int_eq(access(lock, F_OK), 0);
    skycrate_user_store_unref(by_link);
    skycrate_user_store_unref(by_name);
}
END_TEST

START_TEST(a_linked_directory_is_its_directory)
{
    char sub[160], alias[160], via[200], direct[200];
    in_dir(sub, sizeof(sub), "sub");
    in_dir(alias, sizeof(alias), "alias");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(symlink("sub", alias), 0);
    snprintf(via, sizeof(via), "%s/users.json", alias);
    snprintf(direct, sizeof(direct), "%s/users.json", sub);
    skycrate_user_store *a = NULL, *b = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&a, via, 0)); /* no file yet */
    ck_assert_sky_ok(skycrate_user_store_new_file(&b, direct, 0));
    ck_assert_sky_ok(set_counter(a, "x", 7));
    ck_assert_int_eq(counter(b, "x"), 7);
    skycrate_user_store_unref(a);
    skycrate_user_store_unref(b);
    unlink(direct);
    char lock[220];
    snprintf(lock, sizeof(lock), "%s.lock", direct);
    unlink(lock);
}
END_TEST

/* ---- files that are not regular: refused at once ---- */

START_TEST(a_fifo_is_refused_without_blocking)
{
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    skycrate_user_store *s = NULL;
    ck_assert_int_eq(skycrate_user_store_new_file(&s, path, 0), SKYCRATE_EIO);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "not a regular file"));
    ck_assert_ptr_null(s);
    /* A FIFO that appears later: reads and writes refuse it too. */
    unlink(path);
    ck_assert_sky_ok(skycrate_user_store_new_file(&s, path, 0));
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    char *text = NULL;
    ck_assert_int_eq(skycrate_user_store_get(&text, s, "a"), SKYCRATE_EIO);
    ck_assert_int_eq(skycrate_user_store_put(s, "a", "{}", NULL), SKYCRATE_EIO);
    /* And a lock file that is a FIFO. */
    unlink(path);
    char lock[160];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    unlink(lock);
    ck_assert_int_eq(mkfifo(lock, 0600), 0);
    ck_assert_int_eq(skycrate_user_store_put(s, "a", "{}", NULL), SKYCRATE_EIO);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "lock file"));
    skycrate_user_store_unref(s);
}
END_TEST

START_TEST(a_missing_directory_is_refused_at_once)
{
    char missing[192];
    snprintf(missing, sizeof(missing), "%s/nope/users.json", dir);
    skycrate_user_store *s = NULL;
    ck_assert_int_eq(skycrate_user_store_new_file(&s, missing, 0), SKYCRATE_EIO);
    ck_assert_ptr_null(s);
}
END_TEST

/* ---- 10,000 users ---- */

#define USERS 10000

/* A users file of USERS records, as the library writes them, made directly. */
static void write_many(void)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\n  \"version\": 1,\n  \"app\": {\"name\": \"kept\"},\n  \"users\": {", f);
    for (int i = 0; i < USERS; i++)
        fprintf(f,
                "%s\n    \"user-%05d\": {\n      \"userId\": \"user-%05d\",\n      \"bucket\": "
                "\"skycrate-user-%05d-20261122191500\",\n      \"state\": \"active\",\n      "
                "\"stepsDone\": [\"create\", \"cors\", \"tags\"],\n      \"n\": %d\n    }",
                i ? "," : "", i, i, i, i);
    fputs("\n  }\n}\n", f);
    fclose(f);
}

START_TEST(ten_thousand_users_one_record_at_a_time)
{
    write_many();
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_gt(st.st_size, 1024 * 1024);
    json_t *before = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(before);

    skycrate_user_store *s = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&s, path, 0));
    ck_assert_int_eq(counter(s, "user-00000"), 0);
    ck_assert_int_eq(counter(s, "user-09999"), 9999);
    ck_assert_int_eq(counter(s, "user-05000"), 5000);
    ck_assert_sky_ok(set_counter(s, "user-05000", -1));
    ck_assert_sky_ok(skycrate_user_store_remove(s, "user-00007", NULL));
    ck_assert_sky_ok(set_counter(s, "newcomer", 1));
    ck_assert_int_eq(counter(s, "user-05000"), -1);
    ck_assert_int_eq(skycrate_user_store_remove(s, "user-00007", NULL), SKYCRATE_ENOTFOUND);
    skycrate_user_store_unref(s);

    /* Every other record is as it was, in its place; the rest of the document too. */
    json_t *after = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(after);
    json_t *users_before = json_object_get(before, "users");
    json_t *users_after = json_object_get(after, "users");
    ck_assert_uint_eq(json_object_size(users_after), USERS);
    json_object_del(users_before, "user-05000");
    json_object_del(users_before, "user-00007");
    json_object_del(users_after, "user-05000");
    json_object_del(users_after, "newcomer");
    ck_assert(json_equal(before, after));
    json_decref(before);
    json_decref(after);
}
END_TEST

/* ---- writers killed at random points ---- */

enum { KILL_WRITERS = 3, KILLS = 24 };

/* A writer: increments its own counter forever and reports each committed value. It pauses a
 * moment between writes, as a provisioning does: the lock is polled, and writers that took it
 * back at once would keep the others waiting. */
static void writer_loop(int w, int report)
{
    srand((unsigned)getpid());
    skycrate_user_store *s = NULL;
    if (skycrate_user_store_new_file(&s, path, 60000) < 0)
        _exit(2);
    char id[32];
    snprintf(id, sizeof(id), "writer-%d", w);
    for (;;) {
        long n = counter(s, id) + 1;
        if (set_counter(s, id, n) < 0)
            _exit(3);
        long msg[2] = {w, n};
        if (write(report, msg, sizeof(msg)) != sizeof(msg))
            _exit(4);
        struct timespec pause = {0, 500000 + rand() % 2500000};
        nanosleep(&pause, NULL);
    }
}

static pid_t start_writer(int w, int report)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        writer_loop(w, report);
    return pid;
}

/* Reads the writers' reports that have arrived (waiting up to `ms` for the first). */
static void collect(int fd, long *committed, int ms)
{
    struct timespec step = {0, 1000000};
    long msg[2];
    for (int waited = 0;; waited++) {
        ssize_t n = read(fd, msg, sizeof(msg));
        if (n == sizeof(msg)) {
            if (msg[1] > committed[msg[0]])
                committed[msg[0]] = msg[1];
            ms = 0; /* something came: take the rest without waiting */
            continue;
        }
        if (waited >= ms)
            return;
        nanosleep(&step, NULL);
    }
}

START_TEST(writers_killed_at_random_points_lose_nothing_committed)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    pid_t pids[KILL_WRITERS];
    long committed[KILL_WRITERS] = {0};
    for (int w = 0; w < KILL_WRITERS; w++)
        pids[w] = start_writer(w, fds[1]);
    srand((unsigned)time(NULL));
    for (int k = 0; k < KILLS; k++) {
        int w = rand() % KILL_WRITERS;
        /* Once this writer has committed since it started, at a random point after that. */
        long since = committed[w];
        for (int i = 0; i < 600 && committed[w] == since; i++)
            collect(fds[0], committed, 50);
        ck_assert_msg(committed[w] > since, "writer %d made no progress", w);
        struct timespec pause = {0, (long)(rand() % 10000000)};
        nanosleep(&pause, NULL);
        kill(pids[w], SIGKILL);
        int status = 0;
        ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
        ck_assert_msg(WIFSIGNALED(status), "writer %d stopped by itself: %d", w, status);
        collect(fds[0], committed, 0);
        pids[w] = start_writer(w, fds[1]);
    }
    for (int w = 0; w < KILL_WRITERS; w++) {
        kill(pids[w], SIGKILL);
        waitpid(pids[w], NULL, 0);
    }
    collect(fds[0], committed, 0);
    close(fds[0]);
    close(fds[1]);

    /* The file parses, and holds every value a writer saw committed (or one more, when a writer
     * was killed between the rename and its report). */
    skycrate_user_store *s = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&s, path, 0));
    for (int w = 0; w < KILL_WRITERS; w++) {
        char id[32];
        snprintf(id, sizeof(id), "writer-%d", w);
        long stored = counter(s, id);
        ck_assert_msg(stored == committed[w] || stored == committed[w] + 1,
                      "writer %d: %ld stored, %ld committed", w, stored, committed[w]);
    }
    skycrate_user_store_unref(s);
}
END_TEST

static Suite *store_file_suite(void)
{
    Suite *s = suite_create("store_file");
    TCase *tc = tcase_create("paths");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20); /* a FIFO read that blocks fails here instead of hanging */
    tcase_add_test(tc, a_symbolic_link_is_the_file_it_names);
    tcase_add_test(tc, a_linked_directory_is_its_directory);
    tcase_add_test(tc, a_fifo_is_refused_without_blocking);
    tcase_add_test(tc, a_missing_directory_is_refused_at_once);
    tcase_add_test(tc, a_missing_value_is_refused_at_once);
    suite_add_tcase(s, tc);
    tc = tcase_create("size");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, ten_thousand_users_one_record_at_a_time);
    suite_add_tcase(s, tc);
    tc = tcase_create("crashes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, writers_killed_at_random_points_lose_nothing_committed);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(store_file_suite)
