/*
 * Unit tests of lib/creds (values and the provider seam): credentials, reference counting and
 * wiping, versioned callback tables, the error conventions of provider_get, and the delegate,
 * static and environment providers.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/time.h"
#include "creds/creds.h"
#include "testalloc.h"
#include "testhome.h"
#include "testutil.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
#define TOKEN "FwoGZXIvYXdzEXAMPLESESSIONTOKENSECRET"

static void setup(void)
{
    testhome_clear_aws_env();
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate_error_clear();
}

static void teardown(void)
{
    skycrate__clock_override(NULL, NULL);
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
}

static void assert_no_secret(void)
{
    const char *m = skycrate_error_last()->message;
    ck_assert_ptr_null(strstr(m, SECRET));
    ck_assert_ptr_null(strstr(m, TOKEN));
}

/* 2026-01-01T00:00:00Z */
#define FROZEN_NOW 1767225600
static int64_t frozen_clock(void *user_data)
{
    (void)user_data;
    return (int64_t)FROZEN_NOW * 1000;
}

/* --- credentials -------------------------------------------------------------------------- */

START_TEST(credentials_copy_their_strings)
{
    char akid[] = AKID, secret[] = SECRET, token[] = TOKEN;
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&c, akid, secret, token, 1767225600));
    memset(secret, 'x', sizeof(secret) - 1);
    memset(token, 'x', sizeof(token) - 1);
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), AKID);
    ck_assert_str_eq(skycrate_credentials_secret_access_key(c), SECRET);
    ck_assert_str_eq(skycrate_credentials_session_token(c), TOKEN);
    ck_assert_int_eq(skycrate_credentials_expiration(c), 1767225600);
    skycrate_credentials_unref(c);

    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, NULL, 0));
    ck_assert_ptr_null(skycrate_credentials_session_token(c));
    ck_assert_int_eq(skycrate_credentials_expiration(c), 0);
    skycrate_credentials_unref(c);
    /* An empty token means none. */
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, "", 0));
    ck_assert_ptr_null(skycrate_credentials_session_token(c));
    skycrate_credentials_unref(c);
}
END_TEST

START_TEST(credentials_need_both_keys)
{
    skycrate_credentials *c = (skycrate_credentials *)&c;
    ck_assert_int_eq(skycrate_credentials_new(&c, NULL, SECRET, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(skycrate_credentials_new(&c, "", SECRET, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_new(&c, AKID, NULL, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_new(&c, AKID, "", TOKEN, 0), SKYCRATE_EINVAL);
    ck_assert_ptr_null(c);
    assert_no_secret();
    ck_assert_int_eq(skycrate_credentials_new(NULL, AKID, SECRET, NULL, 0), SKYCRATE_EINVAL);
    /* What goes into a header or a credential scope as it is must fit there. */
    ck_assert_int_eq(skycrate_credentials_new(&c, AKID, SECRET, "tok\r\nX-Evil: 1", 0),
                     SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_new(&c, "AKID/x", SECRET, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_new(&c, "AKID,x", SECRET, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_new(&c, "AKID x", SECRET, NULL, 0), SKYCRATE_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, "any bytes\x01 at all", "a b\tc", 0));
    skycrate_credentials_unref(c);
    /* Accessors and ref/unref tolerate NULL. */
    ck_assert_ptr_null(skycrate_credentials_access_key_id(NULL));
    ck_assert_ptr_null(skycrate_credentials_secret_access_key(NULL));
    ck_assert_ptr_null(skycrate_credentials_session_token(NULL));
    ck_assert_int_eq(skycrate_credentials_expiration(NULL), 0);
    ck_assert_ptr_null(skycrate_credentials_ref(NULL));
    skycrate_credentials_unref(NULL);
}
END_TEST

START_TEST(credentials_are_freed_by_the_last_unref)
{
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, TOKEN, 0));
    long held = testalloc_outstanding();
    ck_assert_int_ge(held, 4); /* the struct and three strings */
    ck_assert_ptr_eq(skycrate_credentials_ref(c), c);
    ck_assert_ptr_eq(skycrate_credentials_ref(c), c);
    skycrate_credentials_unref(c);
    skycrate_credentials_unref(c);
    ck_assert_int_eq(testalloc_outstanding(), held);
    ck_assert_str_eq(skycrate_credentials_secret_access_key(c), SECRET);
    skycrate_credentials_unref(c);
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

static void *ref_unref_many(void *arg)
{
    skycrate_credentials *c = arg;
    for (int i = 0; i < 20000; i++) {
        skycrate_credentials_ref(c);
        skycrate_credentials_unref(c);
    }
    return NULL;
}

START_TEST(credentials_refcount_is_atomic)
{
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, TOKEN, 0));
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, ref_unref_many, c);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&c->refcount), 1);
    skycrate_credentials_unref(c);
    ck_assert_int_eq(testalloc_outstanding(), 0);
}
END_TEST

START_TEST(credentials_report_enomem_and_leak_nothing)
{
    for (long n = 1;; n++) {
        skycrate_credentials *c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_credentials_new(&c, AKID, SECRET, TOKEN, 0);
        testalloc_fail_at(0);
        if (rc == 0) {
            ck_assert_int_gt(n, 4);
            skycrate_credentials_unref(c);
            ck_assert_int_eq(testalloc_outstanding(), 0);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_ptr_null(c);
        ck_assert_int_eq(testalloc_outstanding(), 0);
    }
}
END_TEST

/* An allocator that records how many blocks still held the secret (or token) when freed. */
typedef struct {
    size_t size;
    size_t pad;
} block_header;

static atomic_int dirty_frees, frees;

static bool holds_secret(const char *p, size_t n)
{
    return memmem(p, n, SECRET, strlen(SECRET)) || memmem(p, n, TOKEN, strlen(TOKEN)) ||
           memmem(p, n, "K7MDENG", 7) || memmem(p, n, "SESSIONTOKEN", 12);
}

static void *inspect_malloc(size_t size, void *ud)
{
    (void)ud;
    block_header *h = malloc(sizeof(*h) + size);
    if (!h)
        return NULL;
    h->size = size;
    return h + 1;
}

static void inspect_free(void *ptr, void *ud)
{
    (void)ud;
    if (!ptr)
        return;
    block_header *h = (block_header *)ptr - 1;
    atomic_fetch_add(&frees, 1);
    if (holds_secret(ptr, h->size))
        atomic_fetch_add(&dirty_frees, 1);
    free(h);
}

static void *inspect_realloc(void *ptr, size_t size, void *ud)
{
    void *p = inspect_malloc(size, ud);
    if (p && ptr) {
        block_header *h = (block_header *)ptr - 1;
        memcpy(p, ptr, h->size < size ? h->size : size);
        inspect_free(ptr, ud);
    }
    return p;
}

static const skycrate_allocator inspecting = {inspect_malloc, inspect_realloc, inspect_free, NULL};

START_TEST(the_last_unref_wipes_secret_and_token)
{
    skycrate_global_cleanup(); /* the fixture's testalloc */
    ck_assert_int_eq(skycrate_global_init(&inspecting), 1);
    atomic_store(&dirty_frees, 0);
    atomic_store(&frees, 0);

    /* The detector itself: a secret freed without wiping is seen. */
    char *plain = skycrate__strdup(SECRET);
    skycrate__free(plain);
    ck_assert_int_eq(atomic_load(&dirty_frees), 1);
    atomic_store(&dirty_frees, 0);
    atomic_store(&frees, 0);

    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, TOKEN, 0));
    skycrate_credentials_ref(c);
    skycrate_credentials_unref(c);
    ck_assert_int_eq(atomic_load(&frees), 0);
    skycrate_credentials_unref(c);
    ck_assert_int_eq(atomic_load(&frees), 4);
    ck_assert_int_eq(atomic_load(&dirty_frees), 0);

    /* The same through a static provider, whose last unref drops the last reference. */
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, TOKEN, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&p, c));
    skycrate_credentials_unref(c);
    skycrate_credentials *got = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&got, p));
    skycrate_credentials_unref(got);
    skycrate_credentials_provider_unref(p);
    ck_assert_int_eq(atomic_load(&dirty_frees), 0);
    ck_assert_int_ge(atomic_load(&frees), 9);

    skycrate_global_cleanup();
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1); /* for the fixture */
}
END_TEST

/* --- callback tables ---------------------------------------------------------------------- */

typedef struct {
    int calls, frees, rc;
    const char *message; /* set with skycrate_error_set_str when failing */
    bool give_credentials;
    int64_t expiration;
} fake;

static int fake_get(skycrate_credentials **out, void *user_data)
{
    fake *f = user_data;
    f->calls++;
    if (f->give_credentials)
        ck_assert_int_eq(skycrate_credentials_new(out, AKID, SECRET, TOKEN, f->expiration), 0);
    if (f->rc < 0 && f->message)
        skycrate_error_set_str(f->rc, f->message);
    return f->rc;
}

static void fake_free(void *user_data)
{
    ((fake *)user_data)->frees++;
}

START_TEST(callbacks_init_checks_the_version)
{
    skycrate_credentials_provider_callbacks cb;
    memset(&cb, 0xff, sizeof(cb));
    ck_assert_sky_ok(skycrate_credentials_provider_callbacks_init(&cb, 1));
    ck_assert_uint_eq(cb.version, 1);
    ck_assert(cb.get == NULL);
    ck_assert(cb.free == NULL);
    ck_assert_ptr_null(cb.user_data);
    ck_assert_ptr_null(cb.name);
    ck_assert_int_eq(skycrate_credentials_provider_callbacks_init(&cb, 0), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_provider_callbacks_init(&cb, 2), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_provider_callbacks_init(NULL, 1), SKYCRATE_EINVAL);
    skycrate_credentials_provider_callbacks init = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT;
    ck_assert_uint_eq(init.version, SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION);
}
END_TEST

START_TEST(provider_new_rejects_bad_tables)
{
    fake f = {0};
    skycrate_credentials_provider *p = (skycrate_credentials_provider *)&p;
    skycrate_credentials_provider_callbacks cb = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT;
    cb.get = fake_get;
    cb.free = fake_free;
    cb.user_data = &f;

    cb.version = 0;
    ck_assert_int_eq(skycrate_credentials_provider_new(&p, &cb), SKYCRATE_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "version 0"));
    cb.version = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION + 1;
    ck_assert_int_eq(skycrate_credentials_provider_new(&p, &cb), SKYCRATE_EINVAL);
    cb.version = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_VERSION;
    cb.get = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_new(&p, &cb), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "get"));
    ck_assert_int_eq(skycrate_credentials_provider_new(&p, NULL), SKYCRATE_EINVAL);
    ck_assert_int_eq(skycrate_credentials_provider_new(NULL, &cb), SKYCRATE_EINVAL);
    ck_assert_ptr_null(p);
    /* A failed creation never calls free: user_data stays the caller's. */
    ck_assert_int_eq(f.frees, 0);
}
END_TEST

START_TEST(provider_copies_its_table_and_name)
{
    fake f = {.give_credentials = true};
    char name[] = "my-vault";
    skycrate_credentials_provider_callbacks cb = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT;
    cb.get = fake_get;
    cb.free = fake_free;
    cb.user_data = &f;
    cb.name = name;
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new(&p, &cb));
    /* The caller's table and name may change or go away. */
    memset(&cb, 0, sizeof(cb));
    strcpy(name, "changed!");
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "my-vault");
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_int_eq(f.calls, 1);
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), AKID);
    skycrate_credentials_unref(c);

    /* References: free runs once, at the last unref. */
    ck_assert_ptr_eq(skycrate_credentials_provider_ref(p), p);
    skycrate_credentials_provider_unref(p);
    ck_assert_int_eq(f.frees, 0);
    skycrate_credentials_provider_unref(p);
    ck_assert_int_eq(f.frees, 1);
    ck_assert_ptr_null(skycrate_credentials_provider_ref(NULL));
    skycrate_credentials_provider_unref(NULL);
    ck_assert_str_eq(skycrate_credentials_provider_name(NULL), "");
}
END_TEST

START_TEST(provider_without_name_is_custom)
{
    fake f = {0};
    skycrate_credentials_provider_callbacks cb;
    ck_assert_sky_ok(skycrate_credentials_provider_callbacks_init(&cb, 1));
    cb.get = fake_get;
    cb.user_data = &f;
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new(&p, &cb));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "custom");
    skycrate_credentials_provider_unref(p); /* no free function: nothing to call */
    cb.name = "";
    ck_assert_sky_ok(skycrate_credentials_provider_new(&p, &cb));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "custom");
    skycrate_credentials_provider_unref(p);
}
END_TEST

static skycrate_credentials_provider *fake_provider(fake *f, const char *name)
{
    skycrate_credentials_provider_callbacks cb = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT;
    cb.get = fake_get;
    cb.user_data = f;
    cb.name = name;
    skycrate_credentials_provider *p = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_new(&p, &cb), 0);
    return p;
}

START_TEST(provider_new_reports_enomem_and_leaks_nothing)
{
    fake f = {0};
    skycrate_credentials_provider_callbacks cb = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT;
    cb.get = fake_get;
    cb.free = fake_free;
    cb.user_data = &f;
    cb.name = "vault";
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, NULL, 0));
    long base = testalloc_outstanding();
    for (int kind = 0; kind < 4; kind++) {
        for (long n = 1;; n++) {
            skycrate_credentials_provider *p = NULL;
            testalloc_fail_at(n);
            int rc = kind == 0   ? skycrate_credentials_provider_new(&p, &cb)
                     : kind == 1 ? skycrate_credentials_provider_new_delegate(&p, fake_get, &f)
                     : kind == 2 ? skycrate_credentials_provider_new_static(&p, c)
                                 : skycrate_credentials_provider_new_env(&p);
            testalloc_fail_at(0);
            if (rc == 0) {
                skycrate_credentials_provider_unref(p);
                ck_assert_int_eq(testalloc_outstanding(), base);
                break;
            }
            ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
            ck_assert_ptr_null(p);
            ck_assert_int_eq(testalloc_outstanding(), base);
        }
    }
    ck_assert_int_eq(f.frees, 1); /* only the successful kind 0 */
    skycrate_credentials_unref(c);
}
END_TEST

/* --- provider_get error conventions ------------------------------------------------------- */

START_TEST(get_names_a_provider_that_failed_silently)
{
    fake f = {.rc = SKYCRATE_EAUTH};
    skycrate_credentials_provider *p = fake_provider(&f, "vault");
    skycrate_credentials *c = (skycrate_credentials *)&c;
    /* A stale message with the same code is not taken for the callback's. */
    skycrate__error_set(SKYCRATE_EAUTH, "stale");
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EAUTH);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EAUTH);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'vault' callback returned -6");
    skycrate_credentials_provider_unref(p);
}
END_TEST

START_TEST(get_keeps_the_callbacks_message_and_adds_the_name)
{
    fake f = {.rc = SKYCRATE_EAUTH, .message = "vault is sealed"};
    skycrate_credentials_provider *p = fake_provider(&f, "vault");
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EAUTH);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'vault': vault is sealed");
    skycrate_credentials_provider_unref(p);
}
END_TEST

START_TEST(get_passes_euser_through)
{
    fake f = {.rc = SKYCRATE_EUSER, .message = "app said no"};
    skycrate_credentials_provider *p = fake_provider(&f, NULL);
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EUSER);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message, "credentials provider 'custom': app said no");
    f.message = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EUSER);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'custom' callback returned -11");
    skycrate_credentials_provider_unref(p);
}
END_TEST

START_TEST(get_refuses_success_without_credentials)
{
    fake f = {.rc = 0};
    skycrate_credentials_provider *p = fake_provider(&f, "empty");
    skycrate_credentials *c = (skycrate_credentials *)&c;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_ERROR);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'empty': get returned 0 but no credentials");
    f.rc = 3;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_ERROR);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "'empty'"));
    skycrate_credentials_provider_unref(p);
}
END_TEST

START_TEST(get_releases_credentials_of_a_failed_call)
{
    fake f = {.rc = SKYCRATE_EAUTH, .give_credentials = true, .message = "half done"};
    skycrate_credentials_provider *p = fake_provider(&f, "sloppy");
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EAUTH);
    ck_assert_ptr_null(c);
    assert_no_secret();
    skycrate_credentials_provider_unref(p);
    /* teardown checks that nothing is outstanding */
}
END_TEST

START_TEST(get_refuses_expired_credentials)
{
    skycrate__clock_override(frozen_clock, NULL);
    fake f = {.give_credentials = true, .expiration = FROZEN_NOW};
    skycrate_credentials_provider *p = fake_provider(&f, "vault");
    skycrate_credentials *c = (skycrate_credentials *)&c;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, p), SKYCRATE_EEXPIRED);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'vault': the credentials expired at "
                     "2026-01-01T00:00:00Z");
    assert_no_secret();
    f.expiration = FROZEN_NOW + 1;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_int_eq(skycrate_credentials_expiration(c), FROZEN_NOW + 1);
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);
}
END_TEST

START_TEST(get_checks_its_arguments)
{
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_get(&c, NULL), SKYCRATE_EINVAL);
    fake f = {0};
    skycrate_credentials_provider *p = fake_provider(&f, "x");
    ck_assert_int_eq(skycrate_credentials_provider_get(NULL, p), SKYCRATE_EINVAL);
    ck_assert_int_eq(f.calls, 0);
    skycrate_credentials_provider_unref(p);
}
END_TEST

/* --- delegate and static ------------------------------------------------------------------ */

START_TEST(delegate_calls_the_function_with_user_data)
{
    fake f = {.give_credentials = true};
    skycrate_credentials_provider *p = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_new_delegate(&p, NULL, &f), SKYCRATE_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_sky_ok(skycrate_credentials_provider_new_delegate(&p, fake_get, &f));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "delegate");
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    skycrate_credentials_unref(c);
    ck_assert_sky_ok(skycrate_credentials_provider_get(&c, p));
    ck_assert_int_eq(f.calls, 2);
    skycrate_credentials_unref(c);
    skycrate_credentials_provider_unref(p);
    ck_assert_int_eq(f.frees, 0); /* a delegate has no free */
}
END_TEST

START_TEST(static_returns_its_credentials)
{
    skycrate_credentials *c = NULL, *got = NULL;
    skycrate_credentials_provider *p = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_new_static(&p, NULL), SKYCRATE_EINVAL);
    ck_assert_sky_ok(skycrate_credentials_new(&c, AKID, SECRET, TOKEN, 0));
    ck_assert_sky_ok(skycrate_credentials_provider_new_static(&p, c));
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "static");
    skycrate_credentials_unref(c); /* the provider keeps its own reference */
    ck_assert_sky_ok(skycrate_credentials_provider_get(&got, p));
    ck_assert_ptr_eq(got, c);
    ck_assert_str_eq(skycrate_credentials_secret_access_key(got), SECRET);
    skycrate_credentials_provider_unref(p);
    ck_assert_str_eq(skycrate_credentials_session_token(got), TOKEN); /* still ours */
    skycrate_credentials_unref(got);
}
END_TEST

/* --- environment -------------------------------------------------------------------------- */

static int env_get(skycrate_credentials **out)
{
    skycrate_credentials_provider *p = NULL;
    ck_assert_int_eq(skycrate_credentials_provider_new_env(&p), 0);
    ck_assert_str_eq(skycrate_credentials_provider_name(p), "environment");
    int rc = skycrate_credentials_provider_get(out, p);
    skycrate_credentials_provider_unref(p);
    return rc;
}

START_TEST(env_reads_the_four_variables)
{
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z", 1);
    skycrate_credentials *c = NULL;
    ck_assert_sky_ok(env_get(&c));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), AKID);
    ck_assert_str_eq(skycrate_credentials_secret_access_key(c), SECRET);
    ck_assert_str_eq(skycrate_credentials_session_token(c), TOKEN);
    ck_assert_int_eq(skycrate_credentials_expiration(c), 1893553445);
    skycrate_credentials_unref(c);

    /* Read at each get: a change shows, and empty variables count as unset. */
    setenv("AWS_SESSION_TOKEN", "", 1);
    unsetenv("AWS_CREDENTIAL_EXPIRATION");
    setenv("AWS_ACCESS_KEY_ID", "AKIDOTHER", 1);
    ck_assert_sky_ok(env_get(&c));
    ck_assert_str_eq(skycrate_credentials_access_key_id(c), "AKIDOTHER");
    ck_assert_ptr_null(skycrate_credentials_session_token(c));
    ck_assert_int_eq(skycrate_credentials_expiration(c), 0);
    skycrate_credentials_unref(c);
}
END_TEST

START_TEST(env_without_both_keys_is_not_found)
{
    skycrate_credentials *c = (skycrate_credentials *)&c;
    ck_assert_int_eq(env_get(&c), SKYCRATE_ENOTFOUND);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'environment': AWS_ACCESS_KEY_ID and "
                     "AWS_SECRET_ACCESS_KEY are not set");
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    ck_assert_int_eq(env_get(&c), SKYCRATE_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "AWS_ACCESS_KEY_ID is not"));
    assert_no_secret();
    unsetenv("AWS_SECRET_ACCESS_KEY");
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    ck_assert_int_eq(env_get(&c), SKYCRATE_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "AWS_SECRET_ACCESS_KEY is not"));
    setenv("AWS_SECRET_ACCESS_KEY", "", 1);
    ck_assert_int_eq(env_get(&c), SKYCRATE_ENOTFOUND);
}
END_TEST

static const char *bad_expirations[] = {"tomorrow", "2030-01-02", "2030-13-02T03:04:05Z",
                                        "1893553445", "2030-01-02T03:04:05"};

START_TEST(env_rejects_a_bad_expiration)
{
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", bad_expirations[_i], 1);
    skycrate_credentials *c = (skycrate_credentials *)&c;
    ck_assert_int_eq(env_get(&c), SKYCRATE_EPARSE);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "AWS_CREDENTIAL_EXPIRATION"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "'environment'"));
    assert_no_secret();
}
END_TEST

START_TEST(env_refuses_expired_credentials)
{
    skycrate__clock_override(frozen_clock, NULL);
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", "2025-12-31T23:59:59Z", 1);
    skycrate_credentials *c = NULL;
    ck_assert_int_eq(env_get(&c), SKYCRATE_EEXPIRED);
    ck_assert_str_eq(skycrate_error_last()->message,
                     "credentials provider 'environment': the credentials expired at "
                     "2025-12-31T23:59:59Z");
    assert_no_secret();
    setenv("AWS_CREDENTIAL_EXPIRATION", "2026-01-01T01:00:00+01:00", 1); /* == now: expired */
    ck_assert_int_eq(env_get(&c), SKYCRATE_EEXPIRED);
    setenv("AWS_CREDENTIAL_EXPIRATION", "2026-01-01T00:00:01Z", 1);
    ck_assert_sky_ok(env_get(&c));
    skycrate_credentials_unref(c);
}
END_TEST

START_TEST(env_get_reports_enomem_and_leaks_nothing)
{
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    skycrate_credentials_provider *p = NULL;
    ck_assert_sky_ok(skycrate_credentials_provider_new_env(&p));
    long base = testalloc_outstanding();
    for (long n = 1;; n++) {
        skycrate_credentials *c = NULL;
        testalloc_fail_at(n);
        int rc = skycrate_credentials_provider_get(&c, p);
        testalloc_fail_at(0);
        if (rc == 0) {
            skycrate_credentials_unref(c);
            break;
        }
        ck_assert_int_eq(rc, SKYCRATE_ENOMEM);
        ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "'environment'"));
        ck_assert_int_eq(testalloc_outstanding(), base);
    }
    skycrate_credentials_provider_unref(p);
}
END_TEST

static Suite *creds_suite(void)
{
    Suite *s = suite_create("creds");
    TCase *tc = tcase_create("credentials");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, credentials_copy_their_strings);
    tcase_add_test(tc, credentials_need_both_keys);
    tcase_add_test(tc, credentials_are_freed_by_the_last_unref);
    tcase_add_test(tc, credentials_refcount_is_atomic);
    tcase_add_test(tc, credentials_report_enomem_and_leak_nothing);
    tcase_add_test(tc, the_last_unref_wipes_secret_and_token);
    suite_add_tcase(s, tc);

    tc = tcase_create("callback tables");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, callbacks_init_checks_the_version);
    tcase_add_test(tc, provider_new_rejects_bad_tables);
    tcase_add_test(tc, provider_copies_its_table_and_name);
    tcase_add_test(tc, provider_without_name_is_custom);
    tcase_add_test(tc, provider_new_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("provider_get errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, get_names_a_provider_that_failed_silently);
    tcase_add_test(tc, get_keeps_the_callbacks_message_and_adds_the_name);
    tcase_add_test(tc, get_passes_euser_through);
    tcase_add_test(tc, get_refuses_success_without_credentials);
    tcase_add_test(tc, get_releases_credentials_of_a_failed_call);
    tcase_add_test(tc, get_refuses_expired_credentials);
    tcase_add_test(tc, get_checks_its_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("delegate and static");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, delegate_calls_the_function_with_user_data);
    tcase_add_test(tc, static_returns_its_credentials);
    suite_add_tcase(s, tc);

    tc = tcase_create("environment");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, env_reads_the_four_variables);
    tcase_add_test(tc, env_without_both_keys_is_not_found);
    tcase_add_loop_test(tc, env_rejects_a_bad_expiration, 0,
                        (int)SKYCRATE_ARRAY_SIZE(bad_expirations));
    tcase_add_test(tc, env_refuses_expired_credentials);
    tcase_add_test(tc, env_get_reports_enomem_and_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(creds_suite)
