#!/bin/sh
# Runs examples/skycrate-doctor against the test radosgw as a person would (through
# run-example.sh, which sets the AWS_* variables): a contract used with another Content-Type, a
# URL used from an origin the bucket's CORS rule does not name, a URL that is not presigned,
# the JSON output, and the exit codes.
#   doctor-example.sh DOCTOR PRESIGN PROVISION ENDPOINT
set -eu
doctor=$1 presign=$2 provision=$3 endpoint=$4
dir=$(mktemp -d /tmp/skycrate-doctor-example.XXXXXX)
store=$dir/users.json
user="doctor-$(date +%s)-$$"
trap '"$provision" --store "$store" --endpoint "$endpoint" deprovision "$user" >/dev/null 2>&1; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
has() { grep -q -- "$2" "$1" || { cat "$1" >&2; fail "$3: '$2' not in the output"; }; }
run() { # EXPECTED-STATUS OUT ARGS...
    want=$1 out=$2; shift 2
    st=0; "$doctor" "$@" >"$out" 2>&1 || st=$?
    [ "$st" -eq "$want" ] || { cat "$out" >&2; fail "skycrate-doctor $*: exit $st, want $want"; }
}

run 0 "$dir/out" --help
has "$dir/out" "usage: skycrate-doctor" help
has "$dir/out" "--origin URL" help
run 2 "$dir/out" --bogus x
run 2 "$dir/out"

"$provision" --store "$store" --endpoint "$endpoint" --compatible --origin http://localhost:3000 \
    provision "$user" >"$dir/record" || fail provision
bucket=$(sed -n 's/.*"bucket": "\([^"]*\)".*/\1/p' "$dir/record")
[ -n "$bucket" ] || fail "no bucket in the record"

"$presign" --endpoint "$endpoint" --json --header 'Content-Type: text/plain' PUT "$bucket" a.txt \
    >"$dir/contract.json" || fail presign
run 3 "$dir/out" --endpoint "$endpoint" --header 'Content-Type: text/html' "$dir/contract.json"
has "$dir/out" "^header-mismatch: The header content-type was signed as \"text/plain\" but sent as \"text/html\"" mismatch

url=$("$presign" --endpoint "$endpoint" PUT "$bucket" b.txt) || fail presign
run 3 "$dir/out" --endpoint "$endpoint" --json --origin http://evil.example "$url"
has "$dir/out" '"verdict": "cors-origin"' cors
has "$dir/out" '"subject": "http://evil.example"' cors

run 3 "$dir/out" --endpoint "$endpoint" --no-replay "$endpoint/$bucket/c.txt"
has "$dir/out" "^not-presigned:" not-presigned
echo "skycrate-doctor: all cases passed"
