#!/bin/bash
# Runs bench-provision against a throwaway radosgw on 127.0.0.1 (tests/servers/rgw.sh), which it
# always stops. radosgw rejects default encryption and ownership controls, so the benchmark
# runs in compatible mode: those two steps are answered 400 and recorded as skipped (still one
# request each). See bench/README.md.
#
# With --deprovision it runs bench-deprovision instead (deprovisioning one batch at a time
# against one per lane).
#
#   bench/run-provision.sh [-C BUILD_DIR] [--deprovision] [the program's options, e.g. --rtt 20]
set -euo pipefail
# shellcheck source=SCRIPTDIR/rgw-server.sh
. "$(dirname "$0")/rgw-server.sh"
build=$bench_root/build
if [ "${1:-}" = "-C" ]; then
    build=$2
    shift 2
fi
program=bench-provision
mode=(--compatible)
if [ "${1:-}" = "--deprovision" ]; then
    program=bench-deprovision
    mode=()
    shift
fi
bin=$(bench_program "$build" "$program")

bench_rgw_start
bench_rgw_run "$bin" --endpoint "$SKYCRATE_TEST_ENDPOINT" --region "$SKYCRATE_TEST_REGION" \
    "${mode[@]}" "$@"
