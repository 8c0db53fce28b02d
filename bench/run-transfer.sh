#!/bin/bash
# Runs bench-transfer against a throwaway radosgw on 127.0.0.1 (tests/servers/rgw.sh), which it
# always stops: skycrate-upload and skycrate-download against curl on one file (default 1 GiB),
# then the memory bound of a 4 GiB upload against bench/sinkserver.c. See bench/README.md.
#
#   bench/run-transfer.sh [-C BUILD_DIR] [bench-transfer's options, e.g. --size 1024 --runs 3]
set -euo pipefail
# shellcheck source=SCRIPTDIR/rgw-server.sh
. "$(dirname "$0")/rgw-server.sh"
build=$bench_root/build
if [ "${1:-}" = "-C" ]; then
    build=$2
    shift 2
fi
bin=$(bench_program "$build" bench-transfer)
command -v curl >/dev/null || { echo "curl is needed (apt-get install curl)" >&2; exit 2; }

bench_rgw_start
bench_rgw_run "$bin" --endpoint "$SKYCRATE_TEST_ENDPOINT" --region "$SKYCRATE_TEST_REGION" \
    --upload "$build/examples/skycrate-upload" --download "$build/examples/skycrate-download" "$@"
