/* skycrate/store_pg.h as C++ (headertest_pg.c). */
#include "headertest_pg.c"
