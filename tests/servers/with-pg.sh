#!/bin/sh
# Runs a command with a PostgreSQL server described by SKYCRATE_TEST_PG: the one the caller
# started (tools/test starts one for the whole run), or a throwaway one (tests/servers/pg.sh)
# started here and always stopped when the command ends.
#   with-pg.sh PROGRAM ARGS...
set -eu
[ -n "${SKYCRATE_TEST_PG:-}" ] && exec "$@"
here=$(dirname "$0")
dir=$(mktemp -d /tmp/skycrate-pg.XXXXXX)
trap '"$here/pg.sh" stop "$dir"' EXIT
trap 'exit 1' INT TERM
"$here/pg.sh" start "$dir" >/dev/null || { echo "PostgreSQL did not start" >&2; exit 1; }
SKYCRATE_TEST_PG=$(sed -n 's/^SKYCRATE_TEST_PG=//p' "$dir/env")
export SKYCRATE_TEST_PG
status=0
"$@" || status=$?
exit $status
