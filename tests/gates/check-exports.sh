#!/bin/sh
# ABI gate (a): the shared library exports exactly the functions named in the linker map,
# all prefixed skycrate_ (STYLE.md §5, as jansson/test/suites/api/check-exports).
set -eu
lib=$1 map=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -n 's/^[[:space:]]*\(skycrate_[A-Za-z0-9_]*\);.*/\1/p' "$map" | sort > "$tmp/map"
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort > "$tmp/exported"
status=0
if ! diff -u "$tmp/map" "$tmp/exported"; then
    echo "exported symbols differ from the linker map ($map): - map only, + exported only"; status=1
fi
if grep -v '^skycrate_' "$tmp/exported"; then
    echo "symbols above are exported without the skycrate_ prefix"; status=1
fi
# Every public declaration is in the map, and nothing in the map is undeclared.
inc=$(dirname "$map")/../include
# A declaration may continue on the next lines (clang-format breaks after a long return type):
# join from SKYCRATE_API up to the first '(' and take the name just before it.
awk '/^SKYCRATE_API/ { decl = ""; on = 1 }
     on { decl = decl " " $0; if (index(decl, "(")) { on = 0; sub(/\(.*/, "(", decl); print decl } }' \
    "$inc"/skycrate/*.h | grep -o 'skycrate_[A-Za-z0-9_]*($' | tr -d '(' | sort > "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/map"; then
    echo "declared functions (-) differ from the map (+)"; status=1
fi
[ $status -eq 0 ] && echo "exports ok: $(wc -l < "$tmp/map") symbols match the map"
exit $status
