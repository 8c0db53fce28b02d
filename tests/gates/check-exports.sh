#!/bin/sh
# ABI gate (a): the shared library exports exactly the functions named in the linker map, all
# prefixed skycrate_ (as jansson's test/suites/api/check-exports does); every map entry is a
# skycrate_ symbol; the map's newest node, the SONAME and the project version agree
# (docs/abi.md). HEADERS (default: include/skycrate beside the map's lib/) holds the library's
# public headers; libskycrate-pg passes its own.
#   check-exports.sh LIB MAP VERSION [HEADERS]
set -eu
lib=$1 map=$2 version=$3 headers=${4:-$(dirname "$2")/../include/skycrate}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
# Every entry of a global: section, whatever it looks like (comments and node lines dropped).
sed -e 's|/\*.*\*/||g' "$map" | awk '
    /^[[:space:]]*SKYCRATE_[0-9]+\.[0-9]+[[:space:]]*\{/ { next }
    /^[[:space:]]*global:/ { on = 1; next }
    /^[[:space:]]*local:/ { on = 0; next }
    /^[[:space:]]*\}/ { on = 0; next }
    on && NF { gsub(/[[:space:];]/, ""); print }' | sort > "$tmp/map"
if grep -v '^skycrate_[a-z0-9_]*$' "$tmp/map"; then
    echo "map entries above are not skycrate_ function names ($map)"; status=1
fi
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort > "$tmp/exported"
if ! diff -u "$tmp/map" "$tmp/exported"; then
    echo "exported symbols differ from the linker map ($map): - map only, + exported only"; status=1
fi
if grep -v '^skycrate_' "$tmp/exported"; then
    echo "symbols above are exported without the skycrate_ prefix"; status=1
fi
# Every public declaration is in the map, and nothing in the map is undeclared.
# A declaration may continue on the next lines (clang-format breaks after a long return type):
# join from SKYCRATE_API up to the first '(' and take the name just before it.
awk '/^SKYCRATE_API/ { decl = ""; on = 1 }
     on { decl = decl " " $0; if (index(decl, "(")) { on = 0; sub(/\(.*/, "(", decl); print decl } }' \
    "$headers"/*.h | grep -o 'skycrate_[A-Za-z0-9_]*($' | tr -d '(' | sort > "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/map"; then
    echo "declared functions (-) differ from the map (+)"; status=1
fi
# The newest node is SKYCRATE_MAJOR.MINOR of the project version; the SONAME follows the rule.
major=${version%%.*} rest=${version#*.} minor=${rest%%.*}
node=$(grep -o '^SKYCRATE_[0-9]*\.[0-9]*' "$map" | tail -n 1)
[ "$node" = "SKYCRATE_$major.$minor" ] ||
    { echo "the map's newest node is $node, the project version $version"; status=1; }
base=$(basename "$lib"); base=${base%%.so*}
if [ "$major" = 0 ]; then want=$base.so.0.$minor; else want=$base.so.$major; fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "$want" ] || { echo "SONAME is $soname, the rule says $want"; status=1; }
[ $status -eq 0 ] && echo "exports ok: $(wc -l < "$tmp/map") symbols match the map; $node, $soname"
exit $status
