#!/bin/sh
# Runs an example program against the test radosgw with the standard AWS environment
# variables, as an application would: run-example.sh PROGRAM ARGS... (ENDPOINT is substituted).
set -eu
: "${SKYCRATE_TEST_ENDPOINT:?run through tools/test, which starts radosgw}"
export AWS_ACCESS_KEY_ID="$SKYCRATE_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SKYCRATE_TEST_SECRET_KEY"
export AWS_REGION="$SKYCRATE_TEST_REGION"
prog=$1; shift
args=""
for a in "$@"; do [ "$a" = ENDPOINT ] && a=$SKYCRATE_TEST_ENDPOINT; args="$args $a"; done
# shellcheck disable=SC2086
exec "$prog" $args
