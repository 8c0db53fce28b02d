#include "testhome.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/time.h"
#include "testalloc.h"

extern char **environ;

static char home[256];
static char path_buf[512];

void testhome_clear_aws_env(void)
{
    for (;;) {
        char name[256] = "";
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "AWS_", 4) == 0) {
                size_t n = strcspn(*e, "=");
                if (n < sizeof(name)) {
                    memcpy(name, *e, n);
                    name[n] = '\0';
                }
                break;
            }
        }
        if (!name[0])
            return;
        unsetenv(name);
    }
}

const char *testhome_path(const char *rel)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", home, rel);
    return path_buf;
}

void testhome_write(const char *rel, const char *content)
{
    FILE *f = fopen(testhome_path(rel), "wb");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
}

void testhome_write_config(const char *content)
{
    testhome_write(".aws/config", content);
}

void testhome_write_credentials(const char *content)
{
    testhome_write(".aws/credentials", content);
}

void testhome_setup(void)
{
    testhome_clear_aws_env();
    snprintf(home, sizeof(home), "/tmp/skycrate-home-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(home));
    setenv("HOME", home, 1);
    ck_assert_int_eq(mkdir(testhome_path(".aws"), 0700), 0);
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    skycrate_error_clear();
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void testhome_teardown(void)
{
    skycrate__clock_override(NULL, NULL);
    ck_assert_int_eq(testalloc_outstanding(), 0);
    skycrate_global_cleanup();
    nftw(home, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int64_t testhome_frozen_clock(void *user_data)
{
    (void)user_data;
    return (int64_t)TESTHOME_NOW * 1000;
}

void testhome_assert_no_secret(void)
{
    const char *m = skycrate_error_last()->message;
    ck_assert_msg(!strstr(m, TEST_SECRET) && !strstr(m, TEST_TOKEN) && !strstr(m, "SECRETX"),
                  "a secret in '%s'", m);
}
