# A throwaway radosgw on 127.0.0.1 for a benchmark (tests/servers/rgw.sh), sourced by the bash
# scripts bench/run-*.sh:
#
#   bench_program BUILD_DIR NAME   prints BUILD_DIR/bench/NAME, or exits 2 when it is not built
#   bench_rgw_start                starts radosgw in a new temporary directory, exports its
#                                  variables (SKYCRATE_TEST_*), and stops it when the shell exits
#   bench_rgw_stop                 stops it now (rgw.sh stop: every process it started, by PID)
#   bench_rgw_run PROGRAM ARGS...  runs PROGRAM with the server's keys and region in the
#                                  standard AWS variables, and nothing of the user's own AWS
#                                  configuration
# shellcheck shell=bash

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_rgw_dir=""

bench_program() {
    local bin=$1/bench/$2
    [ -x "$bin" ] || {
        echo "no $bin: build first (meson setup build && ninja -C build)" >&2
        exit 2
    }
    echo "$bin"
}

bench_rgw_start() {
    bench_rgw_dir=$(mktemp -d /tmp/skycrate-bench-rgw.XXXXXX)
    trap bench_rgw_stop EXIT
    echo "starting radosgw (tests/servers/rgw.sh) ..." >&2
    "$bench_root/tests/servers/rgw.sh" start "$bench_rgw_dir" >/dev/null
    set -a
    # shellcheck source=/dev/null
    . "$bench_rgw_dir/env"
    set +a
}

bench_rgw_stop() {
    [ -n "$bench_rgw_dir" ] || return 0
    "$bench_root/tests/servers/rgw.sh" stop "$bench_rgw_dir"
    bench_rgw_dir=""
}

bench_rgw_run() {
    : > "$bench_rgw_dir/aws-empty"
    env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 \
        AWS_CONFIG_FILE="$bench_rgw_dir/aws-empty" \
        AWS_SHARED_CREDENTIALS_FILE="$bench_rgw_dir/aws-empty" \
        AWS_ACCESS_KEY_ID="$SKYCRATE_TEST_ACCESS_KEY" \
        AWS_SECRET_ACCESS_KEY="$SKYCRATE_TEST_SECRET_KEY" \
        AWS_REGION="$SKYCRATE_TEST_REGION" "$@"
}
