#include "xmldocs.h"

#include <stdio.h>
#include <stdlib.h>

#include "skycrate.h"
#include "testalloc.h"
#include "testutil.h"
#include "testvectors.h"

char *load_xml(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/xml/%s", vectors_root(), name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

void expect_parse_error(int rc)
{
    ck_assert_int_eq(rc, SKYCRATE_EPARSE);
    ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_EPARSE);
    ck_assert(skycrate_error_last()->message[0] != '\0');
}

void assert_enomem_loop(const char *file, reader_fn fn)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    size_t len;
    char *doc = load_xml(file, &len);
    long n;
    for (n = 1;; n++) {
        testalloc_fail_at(n);
        int rc = fn(doc, len);
        testalloc_fail_at(0);
        ck_assert_int_eq(testalloc_outstanding(), 0);
        if (rc == 0)
            break;
        ck_assert_msg(rc == SKYCRATE_ENOMEM, "%s: allocation %ld failed gave %d (%s)", file, n, rc,
                      skycrate_error_last()->message);
        ck_assert_int_eq(skycrate_error_last()->code, SKYCRATE_ENOMEM);
    }
    ck_assert_msg(n > 5, "only %ld allocations: expat is not on the seam", n);
    free(doc);
    skycrate_global_cleanup();
}
