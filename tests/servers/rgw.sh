#!/bin/bash
# A throwaway one-node Ceph (1 mon + 1 memstore OSD) with radosgw, on 127.0.0.1 only, on free
# ports. Packages (Debian 12): radosgw ceph-mon ceph-osd.
#
#   rgw.sh start DIR   starts it; writes DIR/env (shell assignments for the tests) and prints it
#   rgw.sh stop DIR    stops every process it started (by PID) and removes DIR
#
# radosgw checks SigV4 strictly (header and query signing, payload hash, clock skew): it is
# the integration server of the project (docs/HACKING.md, "The test servers").
#
# A second radosgw on the same cluster (SKYCRATE_TEST_STS_ENDPOINT) has its STS on
# (rgw_s3_auth_use_sts, rgw_sts_key): the user may assume the role SKYCRATE_TEST_ROLE_ARN,
# whose policy allows every S3 action, with STS AssumeRole at that endpoint, which accepts
# the session credentials it issued. The first one keeps STS off because with it on, radosgw
# answers a wrong signature with AccessDenied instead of SignatureDoesNotMatch.
set -euo pipefail

cmd=${1:-} D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

ACCESS_KEY=SKYCRATEACCESSKEY
SECRET_KEY=SKYCRATESECRETKEY0123456789
ROLE_NAME=skycrate-test
ROLE_ARN=arn:aws:iam:::role/$ROLE_NAME
# radosgw encrypts its session tokens with this key; it must be 16 characters.
STS_KEY=skycratestskey16

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    echo "no free port found" >&2; return 1
}

stop() {
    [ -d "$D" ] || return 0
    local pids=""
    for f in rgw rgw-sts osd mon; do
        [ -f "$D/$f.pid" ] && pids="$pids $(cat "$D/$f.pid")"
    done
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
    wait_gone $pids
    for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
    # SIGKILL is not instant either: a start right after this one must find the ports free.
    wait_gone $pids
    rm -rf "$D"
}

# Waits up to 5 s until none of the PIDS runs.
wait_gone() {
    for _ in $(seq 1 50); do
        local alive=""
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
}

start() {
    rm -rf "$D"; mkdir -p "$D/run" "$D/osd.0" "$D/mon.a"
    local MON_PORT RGW_PORT STS_PORT FSID
    MON_PORT=$(free_port); RGW_PORT=$(free_port); STS_PORT=$(free_port)
    FSID=$(cat /proc/sys/kernel/random/uuid)
    cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:$MON_PORT
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
osd_objectstore = memstore
memstore_device_bytes = 2147483648
# radosgw frees the data of deleted objects (their tails, multipart parts) through its garbage
# collector, by default two hours later: in 2 GiB of memory, the transfer tests (hundreds of MiB,
# each object deleted after its test) would fill the OSD, which then hangs every request.
rgw_gc_obj_min_wait = 0
rgw_gc_processor_period = 2
run_dir = $D/run
admin_socket = $D/run/\$name.asok
log_file = $D/\$name.log
mon_data = $D/mon.\$id
osd_data = $D/osd.\$id
[client.rgw.test]
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
[client.rgw.sts]
rgw_frontends = beast endpoint=127.0.0.1:$STS_PORT
rgw_sts_key = $STS_KEY
rgw_s3_auth_use_sts = true
CONF
    local C="-c $D/ceph.conf"
    monmaptool --create --add a "v2:127.0.0.1:$MON_PORT" --fsid "$FSID" "$D/monmap" >/dev/null
    ceph-mon $C --mkfs -i a --monmap "$D/monmap"
    ceph-mon $C -i a --pid-file "$D/mon.pid"
    timeout 60 ceph $C osd create >/dev/null
    ceph-osd $C -i 0 --mkfs 2>/dev/null
    ceph-osd $C -i 0 --pid-file "$D/osd.pid" 2>/dev/null
    radosgw $C -n client.rgw.test --auth_client_required=none --ms_mon_client_mode=crc --pid-file "$D/rgw.pid" \
        2>/dev/null
    radosgw $C -n client.rgw.sts --auth_client_required=none --ms_mon_client_mode=crc \
        --pid-file "$D/rgw-sts.pid" 2>/dev/null
    local port up
    for port in $RGW_PORT $STS_PORT; do
        up=""
        for _ in $(seq 1 240); do
            curl -s -o /dev/null "http://127.0.0.1:$port/" && { up=1; break; }
            sleep 0.5
        done
        [ -n "$up" ] || { echo "radosgw did not come up on port $port" >&2; return 1; }
    done
    local admin="timeout 60 radosgw-admin $C -n client.rgw.test --auth_client_required=none --ms_mon_client_mode=crc"
    $admin user create --uid=skycrate --display-name=skycrate \
        --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null 2>"$D/admin.err"
    # A role the user may assume through radosgw's STS, allowed every S3 action.
    $admin role create --role-name="$ROLE_NAME" --path=/ --assume-role-policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/skycrate"]},"Action":["sts:AssumeRole"]}]}' \
        >/dev/null 2>>"$D/admin.err"
    $admin role-policy put --role-name="$ROLE_NAME" --policy-name=s3-all \
        --policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"arn:aws:s3:::*"}]}' \
        >/dev/null 2>>"$D/admin.err"
    cat > "$D/env" <<ENV
SKYCRATE_TEST_ENDPOINT=http://127.0.0.1:$RGW_PORT
SKYCRATE_TEST_ACCESS_KEY=$ACCESS_KEY
SKYCRATE_TEST_SECRET_KEY=$SECRET_KEY
SKYCRATE_TEST_REGION=us-east-1
SKYCRATE_TEST_STS_ENDPOINT=http://127.0.0.1:$STS_PORT
SKYCRATE_TEST_ROLE_ARN=$ROLE_ARN
ENV
    cat "$D/env"
}

case "$cmd" in
start) start || { stop; exit 1; } ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
