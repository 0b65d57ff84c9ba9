#!/bin/sh
# Megaflows and upcalls per 1,000 new IPv6 TCP connections, for three ways
# of writing a hash of the connection into the low 13 bits of the IPv6 flow
# label, on the patched OVS's userspace datapath:
#
#   (a) hash_flow_label(bits=13,key=...), our datapath action (skipped,
#       with a note, while ovs-ofctl does not know it);
#   (b) a dp_hash select group whose bucket moves dp_hash[0..12] into the
#       label: the datapath hashes (hash(l4)) and recirculates;
#   (c) multipath(symmetric_l4,...) into the label, computed at translation.
#
# and, for reference, a flow that only outputs.
#
# usage: megaflows.sh   (from the top of the tree, as root or not)
#
# It starts its own ovsdb-server and ovs-vswitchd (--enable-dummy, bridge
# on the dummy userspace datapath, dummy ports p1 and p2) in a temporary
# directory, stops them and removes it when it ends.  For each method it
# empties the datapath, clears the statistics, installs the method's flows,
# injects CONNECTIONS (default 1000) TCP SYNs with distinct source ports
# into p1 with netdev-dummy/receive, 50 at a time (a dummy port queues at
# most 100), waits until the datapath has received them all, and reads:
#   megaflows  ovs-appctl dpctl/dump-flows, counted;
#   upcalls    "miss with success upcall" of dpif-netdev/pmd-stats-show,
#              summed over threads: one per packet that found no megaflow,
#              counted at each pass through the datapath;
#   passes     datapath passes per packet (2 with a recirculation).
#
# Environment: OVS_BUILDDIR (default ovs-build/openvswitch beside this
# script's directory), CONNECTIONS, HASH_KEY (32 hex digits),
# MEGAFLOWS_DUMP=PREFIX to keep each method's megaflows in PREFIX.TAG.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
OVS_BUILDDIR=${OVS_BUILDDIR:-$top/ovs-build/openvswitch}
CONNECTIONS=${CONNECTIONS:-1000}
HASH_KEY=${HASH_KEY:-000102030405060708090a0b0c0d0e0f}
CHUNK=50
TIMEOUT=60

for p in ovsdb/ovsdb-tool ovsdb/ovsdb-server vswitchd/ovs-vswitchd \
         utilities/ovs-vsctl utilities/ovs-ofctl utilities/ovs-appctl; do
    [ -x "$OVS_BUILDDIR/$p" ] || {
        echo "megaflows: no $p in $OVS_BUILDDIR (run make)" >&2
        exit 1
    }
done
PATH=$OVS_BUILDDIR/ovsdb:$OVS_BUILDDIR/vswitchd:$OVS_BUILDDIR/utilities:$PATH
export PATH

work=$(mktemp -d "${TMPDIR:-/tmp}/flowlb-megaflows.XXXXXX")
OVS_RUNDIR=$work OVS_LOGDIR=$work OVS_DBDIR=$work OVS_SYSCONFDIR=$work
OVS_PKGDATADIR=$work
export OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR OVS_PKGDATADIR

# wait_until CONDITION: polls the shell CONDITION every 0.1 s until it
# holds, or fails after $TIMEOUT seconds.
wait_until() {
    tries=$((TIMEOUT * 10))
    while ! eval "$1"; do
        tries=$((tries - 1))
        if [ $tries -le 0 ]; then
            echo "megaflows: timed out after $TIMEOUT s: $1" >&2
            return 1
        fi
        sleep 0.1
    done
}

# stop_daemon NAME: asks the daemon whose pid is in $work/NAME.pid to
# exit, and kills it if it has not within $TIMEOUT seconds.
stop_daemon() {
    [ -f "$work/$1.pid" ] || return 0
    pid=$(cat "$work/$1.pid")
    ovs-appctl -t "$1" exit >/dev/null 2>&1 || true
    if ! wait_until "! kill -0 $pid 2>/dev/null" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
    fi
}

cleanup() {
    stop_daemon ovs-vswitchd
    stop_daemon ovsdb-server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

ovsdb-tool create "$work/conf.db" "$OVS_BUILDDIR/vswitchd/vswitch.ovsschema"
ovsdb-server -vconsole:off --detach --no-chdir --pidfile --log-file \
    --remote=punix:"$work/db.sock" "$work/conf.db"
ovs-vsctl --no-wait init
# Datapath flows must outlive the run (max-idle, ms) to be counted.
ovs-vsctl --no-wait set Open_vSwitch . other_config:max-idle=600000
ovs-vswitchd -vconsole:off --enable-dummy --disable-system --detach \
    --no-chdir --pidfile --log-file
ovs-vsctl --timeout=10 add-br br0 \
    -- set bridge br0 datapath_type=dummy fail-mode=secure \
       protocols=OpenFlow10,OpenFlow13,OpenFlow15 \
    -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
    -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2

ofctl() {
    ovs-ofctl -O OpenFlow15 "$@"
}

# pmd_stat FIELD: FIELD of dpif-netdev/pmd-stats-show, summed over threads.
pmd_stat() {
    ovs-appctl dpif-netdev/pmd-stats-show \
        | awk -v f="$1:" '{ line = $0; sub(/^[ \t]*/, "", line) }
                          index(line, f) == 1 { n += $NF }
                          END { print n + 0 }'
}

# The CONNECTIONS packets, one line each, as datapath flow keys.
flows=$work/flows
awk -v n="$CONNECTIONS" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02)," \
               "eth_type(0x86dd),ipv6(src=2001:db8:f10::11," \
               "dst=2001:db8:f10::21,label=0,proto=6,tclass=0,hlimit=64," \
               "frag=no),tcp(src=%d,dst=80),tcp_flags(syn)\n", 10000 + i
}' > "$flows"

# inject: sends the packets into p1, CHUNK per call, each chunk once the
# datapath has received the previous ones.
inject() {
    sent=0
    while [ $sent -lt "$CONNECTIONS" ]; do
        sed -n "$((sent + 1)),$((sent + CHUNK))p" "$flows" \
            | xargs ovs-appctl netdev-dummy/receive p1 > /dev/null
        sent=$((sent + CHUNK))
        [ $sent -le "$CONNECTIONS" ] || sent=$CONNECTIONS
        wait_until "[ \$(pmd_stat 'packets received') -ge $sent ]"
    done
}

# per_1000 N: N per 1,000 connections.
per_1000() {
    awk -v n="$1" -v c="$CONNECTIONS" 'BEGIN { printf "%.0f", n * 1000 / c }'
}

# measure NAME TAG SETUP: runs the experiment with the flows (and groups)
# that the shell command SETUP installs and prints a row of the table.
# With MEGAFLOWS_DUMP set, the megaflows go to $MEGAFLOWS_DUMP.TAG.
measure() {
    ofctl del-flows br0
    ofctl del-groups br0
    ovs-appctl revalidator/purge > /dev/null
    ovs-appctl dpif-netdev/pmd-stats-clear > /dev/null
    if ! err=$(eval "$3" 2>&1); then
        printf '%-44s skipped: %s\n' "$1" \
            "$(echo "$err" | head -n 1 | cut -c1-100)"
        return 0
    fi
    inject
    ovs-appctl revalidator/wait > /dev/null
    # One line per flow, after a "flow-dump from ..." line per thread.
    megaflows=$(ovs-appctl dpctl/dump-flows | grep -c 'actions:' || true)
    if [ -n "${MEGAFLOWS_DUMP:-}" ]; then
        ovs-appctl dpctl/dump-flows > "$MEGAFLOWS_DUMP.$2"
    fi
    upcalls=$(pmd_stat 'miss with success upcall')
    failed=$(pmd_stat 'miss with failed upcall')
    received=$(pmd_stat 'packets received')
    recirc=$(pmd_stat 'packet recirculations')
    passes=$(awk -v r="$received" -v c="$recirc" \
                 'BEGIN { printf "%.2f", (r + c) / r }')
    printf '%-44s %10s %10s %8s' "$1" "$(per_1000 "$megaflows")" \
        "$(per_1000 "$upcalls")" "$passes"
    [ "$failed" -eq 0 ] || printf '  (%s failed upcalls)' "$failed"
    echo
}

echo "Open vSwitch: $(ovs-vswitchd --version | head -n 1)"
echo "$CONNECTIONS new IPv6 TCP connections (one SYN each, distinct source" \
     "ports) into p1;"
echo "megaflows and upcalls are per 1,000 connections."
echo
printf '%-44s %10s %10s %8s\n' method megaflows upcalls passes
measure "output only (reference)" ref \
    'ofctl add-flow br0 "in_port=1,tcp6,actions=output:2"'
measure "(a) hash_flow_label(bits=13)" a \
    'ofctl add-flow br0 "in_port=1,tcp6,actions=hash_flow_label(bits=13,key=0x$HASH_KEY),output:2"'
# One bucket: the group hashes the packet in the datapath (hash(l4(0)),
# then recirc), and after the recirculation the bucket's move reads, so
# un-wildcards, dp_hash[0..12].  The megaflows then match those 13 bits
# whatever the bucket count: more buckets only widen the group's own
# dp_hash mask (16 to at most 256 values, in group_setup_dp_hash_table()),
# which the 13-bit match already covers.
measure "(b) dp_hash select group, move 13 bits" b \
    'ofctl add-group br0 "group_id=1,type=select,selection_method=dp_hash,bucket=bucket_id=0,actions=move:NXM_NX_DP_HASH[0..12]->NXM_NX_IPV6_LABEL[0..12],output:2" &&
     ofctl add-flow br0 "in_port=1,tcp6,actions=group:1"'
measure "(c) multipath symmetric_l4, 8192 links" c \
    'ofctl add-flow br0 "in_port=1,tcp6,actions=multipath(symmetric_l4,1024,hrw,8192,0,NXM_NX_IPV6_LABEL[0..12]),output:2"'
