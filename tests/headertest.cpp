/* The public headers compile alone as C99 -pedantic and as C++ (STYLE.md §10). */
#include "skycrate.h"

int main(void)
{
    return skycrate_version() == SKYCRATE_VERSION_NUM ? 0 : 1;
}
