#!/bin/sh
# Runs examples/skycrate-provision against the test radosgw as an application would (through
# run-example.sh, which sets the AWS_* variables): provision, show, verify, usage, deprovision,
# in compatible mode (radosgw rejects encryption and ownership controls), both option syntaxes,
# dev mode, and the exit codes of usage errors.
#   provision-example.sh PROGRAM ENDPOINT
set -eu
prog=$1 endpoint=$2
dir=$(mktemp -d /tmp/skycrate-provision-example.XXXXXX)
store=$dir/users.json
user="example-$(date +%s)-$$"
# Whatever fails, leave no bucket behind.
trap '"$prog" --store "$store" --endpoint "$endpoint" deprovision "$user" >/dev/null 2>&1
      "$prog" --store "$store" --endpoint "$endpoint" deprovision "$user-opts" >/dev/null 2>&1
      rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
has() { grep -q -- "$2" "$1" || { cat "$1" >&2; fail "$3: '$2' not in the output"; }; }

"$prog" --store "$store" --endpoint "$endpoint" --compatible --origin https://app.example.com \
    --origin=http://localhost:3000 provision "$user" >"$dir/out" || fail "provision"
has "$dir/out" '"state": "active"' provision
has "$dir/out" "\"userId\": \"$user\"" provision
has "$dir/out" '"step": "encryption"' "provision (encryption skipped)"
"$prog" --store="$store" --endpoint="$endpoint" show "$user" >"$dir/out" || fail "show"
has "$dir/out" '"mode": "aws"' show
"$prog" --store "$store" --endpoint "$endpoint" --compatible --origin https://app.example.com \
    --origin http://localhost:3000 verify "$user" >"$dir/out" || { cat "$dir/out" >&2; fail verify; }
has "$dir/out" '"ok": true' verify
"$prog" --store "$store" --endpoint "$endpoint" usage "$user" >"$dir/out" || fail "usage"
has "$dir/out" '"objects": 0' usage
"$prog" --store "$store" --endpoint "$endpoint" deprovision "$user" >"$dir/out" || fail "deprovision"
has "$dir/out" '"state": "deleted"' deprovision
# Strict mode on radosgw: encryption is rejected, so the transaction rolls back.
if "$prog" --store "$store" --endpoint "$endpoint" provision "$user-strict" >"$dir/out" 2>"$dir/err"; then
    fail "strict provisioning on radosgw succeeded"
fi
has "$dir/err" "rolled back" "strict provision"
has "$dir/out" '"state": "failed"' "strict provision"
# The whole profile from the command line: a block without BlockPublicAcls, POST in the CORS
# rule with its own header lists, a lifecycle of 3 days, tags of our own, no TLS policy; verify
# checks what was asked.
"$prog" --store "$store" --endpoint "$endpoint" --compatible --prefix opts \
    --public-access-block IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets \
    --origin http://localhost:3000 --cors-methods PUT,POST,GET --cors-max-age 600 \
    --cors-allowed-headers 'content-type,x-amz-meta-*' --cors-expose-headers ETag,x-amz-version-id \
    --abort-multipart-days 3 --no-tls-policy --application example --tag team=web \
    provision "$user-opts" >"$dir/out" || { cat "$dir/out" >&2; fail "provision with options"; }
has "$dir/out" '"bucket": "opts-' "provision with options"
if grep -q '"tls-policy"' "$dir/out"; then cat "$dir/out" >&2; fail "the TLS policy was asked off"; fi
"$prog" --store "$store" --endpoint "$endpoint" --compatible --prefix opts \
    --public-access-block IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets \
    --origin http://localhost:3000 --cors-methods PUT,POST,GET --cors-max-age 600 \
    --cors-allowed-headers 'content-type,x-amz-meta-*' --cors-expose-headers ETag,x-amz-version-id \
    --abort-multipart-days 3 --no-tls-policy --application example --tag team=web \
    verify "$user-opts" >"$dir/out" || { cat "$dir/out" >&2; fail "verify with options"; }
has "$dir/out" '"ok": true' "verify with options"
has "$dir/out" '"status": "match",' "verify with options"
# The same rule without POST is drift.
if "$prog" --store "$store" --endpoint "$endpoint" --compatible --prefix opts \
    --public-access-block IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets \
    --origin http://localhost:3000 --cors-methods PUT,GET --cors-max-age 600 \
    --cors-allowed-headers 'content-type,x-amz-meta-*' --cors-expose-headers ETag,x-amz-version-id \
    --abort-multipart-days 3 --no-tls-policy --application example --tag team=web \
    verify "$user-opts" >"$dir/out" 2>/dev/null; then
    fail "verify without POST in the rule found no drift"
fi
has "$dir/out" '"cors": {' "verify drift"
# And so is the rule with other exposed headers.
if "$prog" --store "$store" --endpoint "$endpoint" --compatible --prefix opts \
    --public-access-block IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets \
    --origin http://localhost:3000 --cors-methods PUT,POST,GET --cors-max-age 600 \
    --cors-allowed-headers 'content-type,x-amz-meta-*' --cors-expose-headers ETag \
    --abort-multipart-days 3 --no-tls-policy --application example --tag team=web \
    verify "$user-opts" >"$dir/out" 2>/dev/null; then
    fail "verify with other exposed headers found no drift"
fi
has "$dir/out" '"cors": {' "verify drift (exposed headers)"
"$prog" --store "$store" --endpoint "$endpoint" deprovision "$user-opts" >/dev/null || fail "deprovision with options"
# Dev mode: no network (no endpoint either), a deterministic name.
"$prog" --store "$store" --dev provision "dev user" >"$dir/out" || fail "dev provision"
has "$dir/out" '"bucket": "skycrate-dev-dev-user-' "dev provision"
has "$dir/out" '"mode": "dev"' "dev provision"
# Usage errors exit with 2.
set +e
"$prog" --store "$store" provision >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing user id"
"$prog" --store "$store" frobnicate "$user" >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command"
"$prog" --bogus show "$user" >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option"
for bad in "--public-access-block BlockEverything" "--cors-methods PATCH" "--encryption rot13" \
           "--ownership mine" "--abort-multipart-days -1" "--tag novalue" \
           "--cors-allowed-headers a;b" "--cors-expose-headers ,"; do
    # shellcheck disable=SC2086
    "$prog" --store "$store" --dev $bad provision "$user-bad" >/dev/null 2>&1
    [ $? -eq 2 ] || fail "$bad: not a usage error"
done
"$prog" --store "$store" show nobody >/dev/null 2>&1; [ $? -eq 1 ] || fail "show of no record"
echo "skycrate-provision example: ok"
