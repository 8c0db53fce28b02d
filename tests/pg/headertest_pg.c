/* skycrate/store_pg.h compiles alone as C99 -pedantic and as C++ (headertest_pg.cpp includes
 * this file), as the other public headers do (tests/headertest.c). */
#include "skycrate/store_pg.h"

int main(void)
{
    int (*open_store)(skycrate_user_store **, const char *, const char *) =
        skycrate_user_store_new_postgresql;
    return open_store ? 0 : 1;
}
