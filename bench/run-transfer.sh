#!/bin/bash
# Runs bench-transfer against a throwaway radosgw on 127.0.0.1 (tests/servers/rgw.sh), which it
# always stops: skycrate-upload and skycrate-download against curl on one file (default 1 GiB),
# then the memory bound of a 4 GiB upload against bench/sinkserver.c. See bench/README.md.
#
#   bench/run-transfer.sh [-C BUILD_DIR] [bench-transfer's options, e.g. --size 1024 --runs 3]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
if [ "${1:-}" = "-C" ]; then
    build=$2
    shift 2
fi
bin=$build/bench/bench-transfer
[ -x "$bin" ] || { echo "no $bin: build first (meson setup build && ninja -C build)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is needed (apt-get install curl)" >&2; exit 2; }

dir=$(mktemp -d /tmp/skycrate-bench-rgw.XXXXXX)
trap '"$root/tests/servers/rgw.sh" stop "$dir"' EXIT
echo "starting radosgw (tests/servers/rgw.sh) ..." >&2
"$root/tests/servers/rgw.sh" start "$dir" >/dev/null
set -a
. "$dir/env"
set +a

# The server's keys, and nothing from the user's own AWS configuration.
: > "$dir/aws-empty"
env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 \
    AWS_CONFIG_FILE="$dir/aws-empty" AWS_SHARED_CREDENTIALS_FILE="$dir/aws-empty" \
    AWS_ACCESS_KEY_ID="$SKYCRATE_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SKYCRATE_TEST_SECRET_KEY" \
    AWS_REGION="$SKYCRATE_TEST_REGION" \
    "$bin" --endpoint "$SKYCRATE_TEST_ENDPOINT" --region "$SKYCRATE_TEST_REGION" \
    --upload "$build/examples/skycrate-upload" --download "$build/examples/skycrate-download" "$@"
