#!/bin/sh
# ABI gate (b): abidiff against the committed baseline. Additions are fine; any other change
# fails. Before 1.0.0 a deliberate break regenerates the baseline with tools/abi-update and
# says so in CHANGELOG.md. abidiff 2.2 aborts on --drop-private-types with an XML baseline, so
# the baseline is written with that filter instead (tools/abi-update).
set -eu
lib=$1 baseline=$2 headers=$3
out=$(abidiff --no-added-syms --fail-no-debug-info --suppressions "$(dirname "$baseline")/suppressions.abignore" \
      --headers-dir1 "$headers" --headers-dir2 "$headers" "$baseline" "$lib" 2>&1) && rc=0 || rc=$?
if [ $rc -ne 0 ]; then
    echo "$out"
    echo "abidiff exit $rc: the ABI changed incompatibly against $baseline"
    echo "(if deliberate before 1.0.0: run tools/abi-update and add a CHANGELOG line)"
    exit 1
fi
echo "abi ok: no incompatible change against $(basename "$baseline")"
