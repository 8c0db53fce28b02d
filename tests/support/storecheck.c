/*
 * Checks every user store must pass (storecheck.h).
 */
#include "storecheck.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "testutil.h"

int storecheck_increment(const skycrate_user_store *s, const char *id)
{
    for (;;) {
        char *old = NULL, next[64];
        long n = 0;
        int rc = skycrate_user_store_get(&old, s, id);
        if (rc == 0) {
            json_t *j = json_loads(old, 0, NULL);
            n = (long)json_integer_value(json_object_get(j, "n"));
            json_decref(j);
        } else if (rc != SKYCRATE_ENOTFOUND) {
            return rc;
        }
        snprintf(next, sizeof(next), "{\"n\":%ld}", n + 1);
        rc = skycrate_user_store_put(s, id, next, old);
        skycrate_free(old);
        if (rc != SKYCRATE_ECONFLICT)
            return rc;
    }
}

static int add_one(json_t **record, void *ctx)
{
    (void)ctx;
    if (!*record)
        *record = json_object();
    json_t *n = json_object_get(*record, "n");
    return json_object_set_new(*record, "n", json_integer(json_integer_value(n) + 1));
}

int storecheck_increment_helper(const skycrate_user_store *s, const char *id)
{
    return skycrate__user_store_update(NULL, s, id, add_one, NULL);
}

static int writer_work(const skycrate_user_store *s, int w, int rounds)
{
    char own[32];
    snprintf(own, sizeof(own), "writer-%d", w);
    for (int r = 0; r < rounds; r++) {
        int rc = storecheck_increment(s, own);
        if (rc == 0)
            rc = (r + w) % 2 ? storecheck_increment(s, "shared")
                             : storecheck_increment_helper(s, "shared");
        if (rc != 0)
            return rc;
    }
    return 0;
}

long storecheck_counter(const skycrate_user_store *s, const char *id)
{
    char *text = NULL;
    ck_assert_sky_ok(skycrate_user_store_get(&text, s, id));
    json_t *j = json_loads(text, 0, NULL);
    long n = (long)json_integer_value(json_object_get(j, "n"));
    json_decref(j);
    skycrate_free(text);
    return n;
}

static void check_counts(const skycrate_user_store *s, int writers, int rounds)
{
    for (int w = 0; w < writers; w++) {
        char own[32];
        snprintf(own, sizeof(own), "writer-%d", w);
        ck_assert_int_eq(storecheck_counter(s, own), rounds);
    }
    ck_assert_int_eq(storecheck_counter(s, "shared"), (long)writers * rounds);
}

void storecheck_processes(const skycrate_user_store *s, storecheck_open_fn open, void *ctx,
                          int writers, int rounds)
{
    pid_t pids[64];
    int start[2]; /* the writers start together when the parent closes the pipe */
    ck_assert_int_le(writers, 64);
    ck_assert_int_eq(pipe(start), 0);
    fflush(NULL);
    for (int w = 0; w < writers; w++) {
        pids[w] = fork();
        ck_assert_int_ge(pids[w], 0);
        if (pids[w] == 0) {
            char c;
            close(start[1]);
            while (read(start[0], &c, 1) < 0 && errno == EINTR) {
            }
            skycrate_user_store *mine = NULL;
            int rc = open(&mine, ctx);
            if (rc == 0)
                rc = writer_work(mine, w, rounds);
            if (rc != 0)
                fprintf(stderr, "writer %d: %s\n", w, skycrate_error_last()->message);
            skycrate_user_store_unref(mine);
            _exit(rc == 0 ? 0 : 1);
        }
    }
    close(start[0]);
    close(start[1]);
    for (int w = 0; w < writers; w++) {
        int status = 0;
        ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
    check_counts(s, writers, rounds);
}

typedef struct {
    const skycrate_user_store *store;
    pthread_barrier_t *start;
    int w, rounds, rc;
} thread_arg;

static void *writer_thread(void *p)
{
    thread_arg *a = p;
    pthread_barrier_wait(a->start);
    a->rc = writer_work(a->store, a->w, a->rounds);
    return NULL;
}

void storecheck_threads(const skycrate_user_store *s, int writers, int rounds)
{
    pthread_t t[64];
    thread_arg args[64];
    pthread_barrier_t start;
    ck_assert_int_le(writers, 64);
    pthread_barrier_init(&start, NULL, (unsigned)writers);
    for (int w = 0; w < writers; w++) {
        args[w] = (thread_arg){s, &start, w, rounds, -1};
        ck_assert_int_eq(pthread_create(&t[w], NULL, writer_thread, &args[w]), 0);
    }
    for (int w = 0; w < writers; w++) {
        pthread_join(t[w], NULL);
        ck_assert_msg(args[w].rc == 0, "writer %d: %d", w, args[w].rc);
    }
    pthread_barrier_destroy(&start);
    check_counts(s, writers, rounds);
}
