#!/bin/bash
# A throwaway PostgreSQL cluster (Debian's postgresql) in a directory, listening on a Unix
# socket in that directory only (no TCP), for the tests of the PostgreSQL user store.
#
#   pg.sh start DIR   initdb + pg_ctl start; writes DIR/env (SKYCRATE_TEST_PG=<connection
#                     string>) and prints it
#   pg.sh stop DIR    stops the server it started (pg_ctl, then its PID) and removes DIR
#
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user the
# package creates, and DIR is handed to it. Durability is off (fsync, full-page writes): the
# cluster lives as long as one test run.
set -euo pipefail

cmd=${1:-} D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_server() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
    [ -d "$D" ] || return 0
    if [ -f "$D/data/postmaster.pid" ]; then
        local pid
        pid=$(head -n 1 "$D/data/postmaster.pid")
        as_server "$bindir/pg_ctl" -D "$D/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$D"
}

start() {
    rm -rf "$D"; mkdir -p "$D"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$D"
    as_server "$bindir/initdb" -D "$D/data" -A trust -U skycrate -E UTF8 --locale=C -N \
        --no-instructions >"$D/initdb.log" 2>&1 || { cat "$D/initdb.log" >&2; return 1; }
    as_server "$bindir/pg_ctl" -D "$D/data" -w -t 60 -l "$D/server.log" \
        -o "-c listen_addresses='' -c unix_socket_directories='$D' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        start >/dev/null || { cat "$D/server.log" >&2; return 1; }
    echo "SKYCRATE_TEST_PG=postgresql:///postgres?host=$D&user=skycrate" > "$D/env"
    cat "$D/env"
}

case "$cmd" in
start) start || { stop; exit 1; } ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
