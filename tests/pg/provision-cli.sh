#!/bin/sh
# skycrate-provision with --store postgresql://...: the PostgreSQL user store selected from the
# command line, in dev mode and against radosgw (run through with-pg.sh and run-example.sh).
#   provision-cli.sh PROGRAM ENDPOINT
set -eu
prog=$1 endpoint=$2
: "${SKYCRATE_TEST_PG:?run through tests/servers/with-pg.sh}"
dir=$(mktemp -d /tmp/skycrate-provision-pg.XXXXXX)
user="cli-$(date +%s)-$$"
# The CLI takes URIs; the table is the default one, in a database of this test's own.
db="skycrate_cli_$$"
psql -q -d "$SKYCRATE_TEST_PG" -c "CREATE DATABASE $db" >/dev/null
store=$(printf '%s' "$SKYCRATE_TEST_PG" | sed "s|^postgresql:///[^?]*|postgresql:///$db|")
trap '"$prog" --store "$store" --endpoint "$endpoint" deprovision "$user" >/dev/null 2>&1;
      psql -q -d "$SKYCRATE_TEST_PG" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
has() { grep -q -- "$2" "$1" || { cat "$1" >&2; fail "$3: '$2' not in the output"; }; }
sql() { psql -At -d "$store" -c "$1"; }

"$prog" --store "$store" --dev provision "dev user" >"$dir/out" || fail "dev provision"
has "$dir/out" '"mode": "dev"' "dev provision"
[ "$(sql "SELECT record->>'state' FROM skycrate_users WHERE user_id = 'dev user'")" = active ] ||
    fail "the dev record is not in PostgreSQL"

"$prog" --store "$store" --endpoint "$endpoint" --compatible provision "$user" >"$dir/out" ||
    fail "provision"
has "$dir/out" '"state": "active"' provision
bucket=$(sql "SELECT record->>'bucket' FROM skycrate_users WHERE user_id = '$user'")
has "$dir/out" "\"bucket\": \"$bucket\"" "provision (the record in PostgreSQL)"
"$prog" --store "$store" --endpoint "$endpoint" show "$user" >"$dir/out" || fail show
has "$dir/out" "$bucket" show
"$prog" --store "$store" --endpoint "$endpoint" deprovision "$user" >"$dir/out" || fail deprovision
[ "$(sql "SELECT record->>'state' FROM skycrate_users WHERE user_id = '$user'")" = deleted ] ||
    fail "deprovision did not reach PostgreSQL"

# Errors: no server there (exit 1, a clear reason, no password echoed); a bad URI.
if "$prog" --store "postgresql://app:hunter2@/db?host=$dir/none" --dev show x >"$dir/out" 2>"$dir/err"; then
    fail "an unreachable database worked"
fi
has "$dir/err" "PostgreSQL" "unreachable database"
grep -q hunter2 "$dir/err" && fail "the password reached the message"
echo "skycrate-provision --store postgresql://: ok"
