#!/bin/sh
# All library memory goes through the allocator seam (docs/HACKING.md): no raw malloc, calloc,
# realloc, free or strdup under lib/ except the seam itself.
set -eu
cd "$1"
hits=$(grep -rnE '(^|[^_a-zA-Z0-9.>])(malloc|calloc|realloc|free|strdup|strndup)\(' lib --include='*.c' --include='*.h' \
       | grep -v '^lib/core/alloc\.c:' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' || true)
if [ -n "$hits" ]; then
    echo "$hits"; echo "raw allocator calls in lib/: use skycrate__malloc and friends"; exit 1
fi
echo "no raw allocator calls in lib/"
