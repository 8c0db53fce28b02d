/* The public headers compile alone as C99 -pedantic and as C++ (docs/abi.md); every table
 * initialiser compiles without a missing-initializer warning. */
#include "skycrate.h"

int main(void)
{
    skycrate_user_store_callbacks store = SKYCRATE_USER_STORE_CALLBACKS_INIT;
    skycrate_http_transport_callbacks transport = SKYCRATE_HTTP_TRANSPORT_CALLBACKS_INIT;
    skycrate_credentials_provider_callbacks provider = SKYCRATE_CREDENTIALS_PROVIDER_CALLBACKS_INIT;
    (void)store;
    (void)transport;
    (void)provider;
    return skycrate_version() == SKYCRATE_VERSION_NUM ? 0 : 1;
}
