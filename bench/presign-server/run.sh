#!/bin/bash
# The seed's stack against this one: skycrate-presign-server and a minimal Node server around
# the AWS SDK v3 presigner (seed-server.mjs), each pinned to one core, loaded in turn by the
# same wrk (keep-alive, a fixed number of connections, loopback, on the other core) with the
# same POST /api/s3/presign. Prints requests/s, p50/p99 latency and peak RSS of both, and the
# ratios. Presigning sends nothing: the server runs in dev mode and the endpoint is never
# contacted, so no S3 server is needed.
#   bench/presign-server/run.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build} secs=${2:-10} conns=${3:-32}
server=$build/examples/skycrate-presign-server
[ -x "$server" ] || { echo "no $server: build with libmicrohttpd (tools/deps)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -f "$here/node_modules/@aws-sdk/s3-request-presigner/package.json" ] ||
    npm install --prefix "$here" --no-audit --no-fund --no-package-lock --loglevel=error

dir=$(mktemp -d /tmp/skycrate-bench-server.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT

export BENCH_TOKEN=bench-token-0123456789abcdef
export AWS_ACCESS_KEY_ID=AKIDBENCHEXAMPLE AWS_SECRET_ACCESS_KEY=benchsecretkey0123456789abcdefghijklmnop
export AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
endpoint=http://127.0.0.1:9 # never contacted
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_listening() { # LOGFILE
    for _ in $(seq 1 100); do grep -q "listening on" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "a server did not start:" >&2; cat "$1" >&2; exit 1
}

p1=$(port)
cat >"$dir/config.json" <<JSON
{"dev": true, "endpoint": "$endpoint", "store": "$dir/users.json", "port": $p1, "threads": 1,
 "users": {"bench": "$BENCH_TOKEN"}}
JSON
taskset -c 0 "$server" "$dir/config.json" >"$dir/sky.log" 2>&1 &
pids+=($!); sky=$!
wait_listening "$dir/sky.log"
first=$(curl -s -XPOST "http://127.0.0.1:$p1/api/s3/presign" -H "Authorization: Bearer $BENCH_TOKEN" \
        -d '{"filename":"a.pdf","contentType":"application/pdf"}')
bucket=$(printf '%s' "$first" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bucket"])')

p2=$(port)
taskset -c 0 node "$here/seed-server.mjs" "$p2" "$endpoint" "$bucket" "$BENCH_TOKEN" >"$dir/node.log" 2>&1 &
pids+=($!); seed=$!
wait_listening "$dir/node.log"
curl -s -XPOST "http://127.0.0.1:$p2/api/s3/presign" -H "Authorization: Bearer $BENCH_TOKEN" \
     -d '{"filename":"a.pdf","contentType":"application/pdf"}' >"$dir/seed.json"
python3 - "$dir/seed.json" <<'PY' <<<"$first"
import json, sys
a = json.loads(sys.stdin.read()); b = json.load(open(sys.argv[1]))
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
PY

# wrk's latency lines read "50%  412.00us" or "99%  1.23ms"; in milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
measure() { # NAME PORT PID
    taskset -c 1 wrk -t1 -c"$conns" -d2s -s "$here/post.lua" "http://127.0.0.1:$2/api/s3/presign" >/dev/null
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/post.lua" \
        "http://127.0.0.1:$2/api/s3/presign" >"$dir/$1.wrk"
    local rps p50 p99 rss non2xx
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/$1.wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$dir/$1.wrk" | to_ms)
    p99=$(awk '$1 == "99%" {print $2}' "$dir/$1.wrk" | to_ms)
    non2xx=$(awk '/Non-2xx/ {print $5}' "$dir/$1.wrk")
    rss=$(awk '/^VmHWM:/ {printf "%.1f", $2/1024}' "/proc/$3/status")
    [ -z "$non2xx" ] || { echo "$1: $non2xx answers were not 2xx" >&2; exit 1; }
    printf '%-24s %12.0f %10s %10s %10s\n' "$1" "$rps" "$p50" "$p99" "$rss"
    eval "${1//-/_}_rps=$rps ${1//-/_}_p99=$p99 ${1//-/_}_rss=$rss"
}
echo "POST /api/s3/presign, wrk -t1 -c$conns -d${secs}s (keep-alive), each server on CPU 0, wrk on CPU 1"
printf '%-24s %12s %10s %10s %10s\n' server "requests/s" "p50 ms" "p99 ms" "RSS MiB"
measure skycrate "$p1" "$sky"
measure node-aws-sdk "$p2" "$seed"
awk -v a="$skycrate_rps" -v b="$node_aws_sdk_rps" -v c="$skycrate_p99" -v d="$node_aws_sdk_p99" \
    -v e="$skycrate_rss" -v f="$node_aws_sdk_rss" \
    'BEGIN { printf "ratio: throughput %.1fx, p99 %.2f of the Node server'"'"'s, RSS %.2f of it\n", a / b, c / d, e / f }'
