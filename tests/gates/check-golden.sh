#!/bin/sh
# The golden files are botocore's answers, reproducible: every tools/gen-golden-*.py regenerates
# its directories into a temporary directory, and any difference from tests/vectors fails.
# Needs the pinned botocore (tools/golden.py; tools/deps installs it).
set -eu
root=$1
tmp=$(mktemp -d /tmp/skycrate-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export BOTO_DISABLE_CRT=true PYTHONDONTWRITEBYTECODE=1
status=0
for gen in "$root"/tools/gen-golden-*.py; do
    /usr/bin/python3 "$gen" --out "$tmp" >/dev/null || { echo "$gen failed"; status=1; }
done
[ "$(ls "$tmp")" ] || { echo "no golden directory was generated"; exit 1; }
for dir in "$tmp"/*; do
    name=$(basename "$dir")
    if diff -r "$root/tests/vectors/$name" "$dir" >"$tmp.diff" 2>&1; then
        echo "golden ok: tests/vectors/$name ($(find "$dir" -type f | wc -l) files)"
    else
        echo "tests/vectors/$name differs from what its generator writes now:"
        head -n 40 "$tmp.diff"
        status=1
    fi
    rm -f "$tmp.diff"
done
exit $status
