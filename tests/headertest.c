/* The public headers compile alone as C99 -pedantic and as C++ (STYLE.md §10). */
#include "skycrate.h"

int main(void)
{
    skycrate_user_store store = SKYCRATE_USER_STORE_INIT; /* no missing-initializer warning */
    (void)store;
    return skycrate_version() == SKYCRATE_VERSION_NUM ? 0 : 1;
}
