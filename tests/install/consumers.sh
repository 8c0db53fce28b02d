#!/bin/sh
# The library as a user or a packager meets it: `meson install` of this build into a temporary
# root, then programs built with nothing but pkg-config:
#   - consumer.c (C99) and consumer.cpp (C++17, skycrate.hpp) with `pkg-config --cflags --libs
#     skycrate`, run against the installed shared library;
#   - the same with `pkg-config --static`, linked against a copy of the root without the
#     shared library, so that only the static archive and the private dependencies that
#     skycrate.pc names can satisfy the link;
#   - a program using libskycrate-pg with `pkg-config --cflags --libs skycrate-pg` (linked);
#   - the Python binding installed with pip, offline, from a copy of bindings/python, loading
#     the installed library through the dynamic loader.
# Each run provisions a user in dev mode and presigns a PUT at a fixed time; all must print
# the same URL.
#   consumers.sh SOURCE_ROOT BUILD_DIR
set -eu
src=$1 build=$2
tmp=$(mktemp -d /tmp/skycrate-consumers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

root=$tmp/root
meson install -C "$build" --destdir "$root" --no-rebuild --quiet >/dev/null
pc=$(dirname "$(find "$root" -name skycrate.pc | head -n 1)")
[ -f "$pc/skycrate.pc" ] || fail "no skycrate.pc installed"
libdir=$(dirname "$pc")
for f in skycrate.h skycrate.hpp skycrate/store.h skycrate/store_pg.h skycrate/version.h; do
    [ -f "$(find "$root" -path "*/include/$f" | head -n 1)" ] || fail "$f is not installed"
done

# pkg-config sees the root as the system root: -I and -L point into it.
export PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$pc" PKG_CONFIG_LIBDIR="$pc:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/lib/pkgconfig:/usr/share/pkgconfig"

run() { # NAME: runs a built consumer in its own directory; keeps its output
    mkdir "$tmp/$1.d"
    LD_LIBRARY_PATH=$libdir "$tmp/$1" "$tmp/$1.d" >"$tmp/$1.out" || { cat "$tmp/$1.out"; fail "$1 failed"; }
    grep -q '^provisioned skycrate-dev-u42$' "$tmp/$1.out" || fail "$1 did not provision"
}
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror -o "$tmp/c" "$src/tests/install/consumer.c" \
    $(pkg-config --cflags --libs skycrate)
run c
# shellcheck disable=SC2046
c++ -std=c++17 -Wall -Wextra -pedantic -Werror -o "$tmp/cpp" "$src/tests/install/consumer.cpp" \
    $(pkg-config --cflags --libs skycrate)
run cpp

# Static: the same root without the shared libraries.
static=$tmp/static
cp -a "$root" "$static"
find "$static" -name 'libskycrate*.so*' -delete
# shellcheck disable=SC2046
cc -std=c99 -o "$tmp/c-static" "$src/tests/install/consumer.c" \
    $(PKG_CONFIG_SYSROOT_DIR=$static pkg-config --static --cflags --libs skycrate)
# shellcheck disable=SC2046
c++ -std=c++17 -o "$tmp/cpp-static" "$src/tests/install/consumer.cpp" \
    $(PKG_CONFIG_SYSROOT_DIR=$static pkg-config --static --cflags --libs skycrate)
for p in c-static cpp-static; do
    ldd "$tmp/$p" | grep -q libskycrate && fail "$p links the shared library"
    run "$p"
done

# libskycrate-pg through its own pkg-config file.
cat >"$tmp/pg.c" <<'C'
#include <skycrate.h>
#include <skycrate/store_pg.h>
int main(void)
{
    skycrate_user_store *s = NULL;
    skycrate_global_init(NULL);
    int rc = skycrate_user_store_new_postgresql(&s, "host=/nonexistent-dir", NULL);
    skycrate_global_cleanup();
    return rc == SKYCRATE_ECONNECT && !s ? 0 : 1;
}
C
# shellcheck disable=SC2046
cc -std=c99 -Wall -Werror -o "$tmp/pg" "$tmp/pg.c" $(pkg-config --cflags --libs skycrate-pg)
LD_LIBRARY_PATH=$libdir "$tmp/pg" || fail "the skycrate-pg consumer failed"

# Python: pip, offline, from a copy (pip writes build files next to the sources).
cp -r "$src/bindings/python" "$tmp/python-src"
rm -rf "$tmp/python-src/build" "$tmp/python-src"/*.egg-info
/usr/bin/python3 -m pip install --quiet --no-index --no-build-isolation --no-warn-script-location \
    --target "$tmp/site" "$tmp/python-src" 2>"$tmp/pip.err" || { cat "$tmp/pip.err"; fail "pip install"; }
mkdir "$tmp/py.d"
(cd "$tmp" && env -u SKYCRATE_LIBRARY -u SKYCRATE_PG_LIBRARY PYTHONPATH="$tmp/site" LD_LIBRARY_PATH="$libdir" \
    /usr/bin/python3 "$src/tests/install/consumer.py" "$tmp/py.d") >"$tmp/py.out" || { cat "$tmp/py.out"; fail "python"; }
grep -q "^binding $tmp/site/skycrate/__init__.py$" "$tmp/py.out" || fail "python did not use the pip-installed binding"
grep -q '^provisioned skycrate-dev-u42$' "$tmp/py.out" || fail "python did not provision"

# One URL, whoever presigned it.
urls=$(grep -h '^url ' "$tmp"/*.out | sort -u)
[ "$(printf '%s\n' "$urls" | wc -l)" -eq 1 ] || { printf '%s\n' "$urls"; fail "the consumers presigned different URLs"; }
case "$urls" in
"url https://bucket.s3.eu-west-1.amazonaws.com/uploads/u42/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&"*"X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature="*) ;;
*) fail "unexpected URL: $urls" ;;
esac
echo "installed consumers: C, C++, static C and C++, skycrate-pg, Python (pip): ok"
