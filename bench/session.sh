#!/bin/sh
# The per-session decision against datapath-fast for the same NAT service
# (issue 6's benchmark, docs/performance.md "Per-session decision"): new
# sessions per second, and the round trip of a session's first packet,
# through flowlbd ("decision": "per-session") and through the select group
# ("decision": "datapath-fast"), in one run; then what the meter does to a
# flood of new sessions.
#
#      client c --veth p1-- [br0, netdev datapath] --veth p2, p3-- s1, s2
#                                  | OpenFlow
#                               flowlbd
#
# Two NAT services on their own VIPs with the same two members (each
# service translating to its own member port) and algorithm
# least-sessions, UDP port 7: "fast" (datapath-fast) and "exact"
# (per-session, per_session_rate 100000, the most the API allows, so that
# the meter does not limit the measurement).  The members run a UDP echo
# server; the client (bench/session-client.py) opens sessions, each a new
# socket with its own source port sending one 32-byte datagram, and waits
# for the echo: so every session is new to conntrack and, for "exact", one
# packet-in, one flow_mod and one packet-out.
#
#   rate:     SESSIONS (default 2000) sessions, up to WINDOW (32) in flight:
#             done sessions per second, from the first send to the last
#             echo;
#   latency:  LAT_SESSIONS (300) sessions one at a time: the first
#             datagram's round trip, client send to echo received
#             (median, 90th and 99th percentiles).
#
# The methods run interleaved, ROUNDS (default 5) times, each round with
# fresh source ports, so nothing is ever a known session; the table shows
# the median over rounds and the ratio exact / fast.
#
# Flood: a third service "metered", per-session with the default
# per_session_rate 1000, gets FLOOD (10000) new sessions offered at
# FLOOD_RATE (5000) a second: how many reached flowlbd (its
# session_packet_ins), how many the meter's band dropped, how many
# sessions were answered, and how long REST GETs took meanwhile.  (Offered
# paced: a burst of thousands of datagrams at once overflows the socket
# the userspace datapath reads a veth through, before any meter.)
#
# ovs-vswitchd and flowlbd run pinned to CPU 0 (OVS_CPU), the client and
# the echo servers to CPU 1 (GEN_CPU).
#
# usage: bench/session.sh    (as root, after make; about a minute)
#
# Environment: SESSIONS, WINDOW, LAT_SESSIONS, ROUNDS, FLOOD, FLOOD_RATE,
# OVS_CPU,
# GEN_CPU, OVS_BUILDDIR (default ovs-build/openvswitch beside this script's
# directory), FLOWLBD, SESSION_KEEP=DIR (keeps logs and results).
#
# Everything it creates (namespaces, with the veths and the datapath's tap
# devices in them, daemons by pid) goes away on exit.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
OVS_BUILDDIR=${OVS_BUILDDIR:-$top/ovs-build/openvswitch}
FLOWLBD=${FLOWLBD:-$top/controller/flowlbd}
SESSIONS=${SESSIONS:-2000}
WINDOW=${WINDOW:-32}
LAT_SESSIONS=${LAT_SESSIONS:-300}
ROUNDS=${ROUNDS:-5}
FLOOD=${FLOOD:-10000}
FLOOD_RATE=${FLOOD_RATE:-5000}
OVS_CPU=${OVS_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
PYTHON=python3
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
CLIENT="$PYTHON $top/bench/session-client.py"
TIMEOUT=30

log() { echo "session: $*" >&2; }
die() { log "$*"; exit 1; }

# skip REASON: this machine cannot run it (exit 77, autotest's skip).
skip() { log "skipped: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veths)"
for p in ovsdb/ovsdb-tool ovsdb/ovsdb-server vswitchd/ovs-vswitchd \
         utilities/ovs-vsctl utilities/ovs-ofctl utilities/ovs-appctl; do
    [ -x "$OVS_BUILDDIR/$p" ] || die "no $p in $OVS_BUILDDIR (run make)"
done
[ -x "$FLOWLBD" ] || die "no $FLOWLBD (run make)"
for p in ip ethtool taskset curl jq $PYTHON; do
    command -v $p > /dev/null || skip "needs $p"
done
[ "$(nproc)" -gt "$GEN_CPU" ] && [ "$(nproc)" -gt "$OVS_CPU" ] \
    || skip "needs CPUs $OVS_CPU and $GEN_CPU"
PATH=$OVS_BUILDDIR/ovsdb:$OVS_BUILDDIR/vswitchd:$OVS_BUILDDIR/utilities:$PATH
export PATH
# The flood holds up to FLOOD sockets open at once.
ulimit -n $((FLOOD + 1024)) 2> /dev/null || true

tag=ses$$
work=$(mktemp -d "${TMPDIR:-/tmp}/flowlb-session.XXXXXX")
OVS_RUNDIR=$work OVS_LOGDIR=$work OVS_DBDIR=$work OVS_SYSCONFDIR=$work
OVS_PKGDATADIR=$work
export OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR OVS_PKGDATADIR
servers="s1 s2"
client_ip=192.0.2.11
client_mac=02:00:00:00:02:11
dpid=00000000000000b6
port=7

server_mac() { echo "02:00:00:00:02:2${1#s}"; }
server_ip() { echo "192.0.2.2${1#s}"; }
vip() {
    case $1 in fast) echo 192.0.2.100 ;; exact) echo 192.0.2.101 ;;
               metered) echo 192.0.2.102 ;; esac
}
# The members' port of each service: NAT services may not share a member
# address and port (their replies could not be told apart).
member_port() {
    case $1 in fast) echo 7007 ;; exact) echo 7008 ;; metered) echo 7009 ;;
    esac
}

# alive PID: PID exists and is not a zombie.
alive() {
    case $(sed -e 's/.*) //' -e 's/ .*//' "/proc/$1/stat" 2>/dev/null) in
        Z | X | "") return 1 ;;
    esac
}

# stop_pidfile FILE: ends the process whose pid FILE holds and waits until
# it has gone (SIGKILL after 5 s).
stop_pidfile() {
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    kill "$pid" 2> /dev/null || true
    i=0
    while alive "$pid" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$pid" 2> /dev/null || true
    rm -f "$1"
}

cleanup() {
    set +e
    for s in $servers; do
        stop_pidfile "$work/echo-$s.pid"
    done
    stop_pidfile "$work/flowlbd.pid"
    stop_pidfile "$work/ovs-vswitchd.pid"
    stop_pidfile "$work/ovsdb-server.pid"
    for h in sw c $servers; do
        ip netns del "$tag-$h" 2> /dev/null
    done
    if [ -n "${SESSION_KEEP:-}" ]; then
        mkdir -p "$SESSION_KEEP"
        cp -r "$work"/. "$SESSION_KEEP"/ 2> /dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

# wait_until CONDITION: polls the shell CONDITION every 0.1 s until it
# holds, or fails after $TIMEOUT seconds.
wait_until() {
    tries=$((TIMEOUT * 10))
    while ! eval "$1"; do
        tries=$((tries - 1))
        if [ $tries -le 0 ]; then
            log "timed out after $TIMEOUT s: $1"
            return 1
        fi
        sleep 0.1
    done
}

in_ns() { ns=$1; shift; ip netns exec "$tag-$ns" "$@"; }

# ---------------------------------------------------------------------------
# Namespaces and veths, IPv4 only.

newns() {
    ip netns add "$tag-$1"
    in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
    ip -n "$tag-$1" link set lo up
}

# veth HOST MAC PORT ADDR: a veth from HOST's eth0 (with MAC and ADDR/24)
# to the switch namespace's PORT.
veth() {
    ip -n "$tag-sw" link add "$3" type veth peer name eth0 netns "$tag-$1"
    ip -n "$tag-$1" link set eth0 address "$2"
    in_ns sw ethtool -K "$3" tx off > /dev/null
    in_ns "$1" ethtool -K eth0 tx off > /dev/null
    ip -n "$tag-$1" addr add "$4/24" dev eth0
    ip -n "$tag-$1" link set eth0 up
    ip -n "$tag-sw" link set "$3" up
}

ip netns add "$tag-sw" || skip "cannot create network namespaces"
ip -n "$tag-sw" link set lo up
in_ns sw sysctl -qw net.ipv6.conf.default.disable_ipv6=1
newns c
veth c $client_mac p1 $client_ip
n=1
for s in $servers; do
    n=$((n + 1))
    newns $s
    veth $s "$(server_mac $s)" p$n "$(server_ip $s)"
    # Replies to the client: the switch rewrites the Ethernet addresses.
    ip -n "$tag-$s" neigh replace $client_ip lladdr $client_mac dev eth0 \
        nud permanent
done

# The members' UDP echo servers.
cat > "$work/echo.py" <<'EOF'
import selectors
import socket
import sys
sel = selectors.DefaultSelector()
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", int(port)))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        try:
            while True:
                data, addr = key.fileobj.recvfrom(2048)
                key.fileobj.sendto(data, addr)
        except BlockingIOError:
            pass
EOF
# "ip netns exec" itself, not in_ns: a shell function in the background
# is a subshell, whose pid would be recorded, and killing it would leave
# the server running.
for s in $servers; do
    ip netns exec "$tag-$s" taskset -c "$GEN_CPU" $PYTHON "$work/echo.py" \
        $(member_port fast) $(member_port exact) $(member_port metered) \
        > /dev/null 2>&1 &
    echo $! > "$work/echo-$s.pid"
done

# ---------------------------------------------------------------------------
# OVS and flowlbd in the switch namespace, pinned to $OVS_CPU.

in_ns sw ovsdb-tool create "$work/conf.db" \
    "$OVS_BUILDDIR/vswitchd/vswitch.ovsschema"
in_ns sw ovsdb-server -vconsole:off --detach --no-chdir --pidfile --log-file \
    --remote=punix:"$work/db.sock" "$work/conf.db"
ovs-vsctl --no-wait init
in_ns sw taskset -c "$OVS_CPU" ovs-vswitchd -vconsole:off --detach \
    --no-chdir --pidfile --log-file --disable-system
vsctl() { ovs-vsctl --timeout=20 "$@"; }
appctl() { ovs-appctl "$@"; }

in_ns sw taskset -c "$OVS_CPU" "$FLOWLBD" --detach --no-chdir \
    --pidfile="$work/flowlbd.pid" --log-file="$work/flowlbd.log" \
    -vconsole:off --ofp-listen=tcp:127.0.0.1:0 --rest=127.0.0.1:0 \
    --state-file="$work/state.json" 2> "$work/flowlbd.stderr"
ofp_port=$(sed -n 's/.*listening for OpenFlow switches on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$work/flowlbd.log" | tail -n 1)
rest_port=$(sed -n 's|.*REST API listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/flowlbd.log" | tail -n 1)
[ -n "$ofp_port" ] && [ -n "$rest_port" ] || die "flowlbd did not start"

set -- add-br br0 -- set bridge br0 datapath_type=netdev fail-mode=secure \
    protocols=OpenFlow13,OpenFlow15 other-config:datapath-id=$dpid \
    other-config:disable-in-band=true
for n in 1 2 3; do
    set -- "$@" -- add-port br0 p$n -- set interface p$n ofport_request=$n
done
vsctl "$@" -- set-controller br0 tcp:127.0.0.1:$ofp_port
# NORMAL's MAC table: static entries, never flooded, never aged.
appctl fdb/add br0 p1 0 $client_mac > /dev/null
n=1
for s in $servers; do
    n=$((n + 1))
    appctl fdb/add br0 p$n 0 "$(server_mac $s)" > /dev/null
done

# rest METHOD PATH [BODY]: the body of the answer; fails on HTTP >= 400.
rest() {
    if [ $# -ge 3 ]; then
        in_ns sw curl -sS --fail-with-body --noproxy '*' --max-time 5 \
            -X "$1" -H 'Content-Type: application/json' -d "$3" \
            "http://127.0.0.1:$rest_port$2"
    else
        in_ns sw curl -sS --fail-with-body --noproxy '*' --max-time 5 \
            -X "$1" "http://127.0.0.1:$rest_port$2"
    fi
}

wait_until "rest GET /v1/switches/$dpid 2>/dev/null \
            | jq -e '.state == \"connected\"' > /dev/null" \
    || die "br0 did not connect to flowlbd"
vmac=$(rest GET /v1/status | jq -r .vmac)

# members SERVICE: the members' JSON.
members() {
    for s in $servers; do
        printf '{"address": "%s", "mac": "%s", "port": %s}\n' \
            "$(server_ip $s)" "$(server_mac $s)" "$(member_port $1)"
    done | jq -s -c .
}

# service NAME EXTRA-JSON: creates NAT service NAME and waits until it is
# in sync.
service() {
    body=$(jq -n -c --arg name "$1" --arg vip "$(vip "$1")" \
               --argjson port $port --argjson m "$(members $1)" \
               --argjson x "$2" \
               '{name: $name, vip: $vip, protocol: "udp", ports: [$port],
                 forwarding: "nat", algorithm: "least-sessions",
                 members: $m} + $x')
    rest POST /v1/services "$body" > "$work/$1.json" \
        || die "flowlbd refused service $1: $(cat "$work/$1.json")"
    wait_until "rest GET /v1/services/$1 | jq -e '
        (.status.switches | length > 0 and all(.sync == \"in-sync\"))' \
        > /dev/null" || die "service $1 not in sync"
    ip -n "$tag-c" neigh replace "$(vip "$1")" lladdr "$vmac" dev eth0 \
        nud permanent
}
service fast '{"decision": "datapath-fast"}'
service exact '{"decision": "per-session", "per_session_rate": 100000}'
service metered '{"decision": "per-session"}'

counter() { rest GET /v1/status | jq -r ".counters.$1"; }

# client SERVICE FIRST_SPORT N WINDOW TIMEOUT [RATE]: one run of the
# client, its result as one line of compact JSON.
client() {
    in_ns c taskset -c "$GEN_CPU" $CLIENT "$(vip $1)" $port "$2" "$3" "$4" \
        "$5" ${6:-} | jq -c .
}

# Sanity: one session each way.
for m in fast exact; do
    r=$(client $m 1024 1 1 2)
    [ "$(echo "$r" | jq .done)" = 1 ] || die "no echo through $m: $r"
done

# ---------------------------------------------------------------------------
# Rounds.

# cpu_ticks PIDFILE: the process's user and system CPU time, in clock
# ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$(cat "$1")/stat"
}
hz=$(getconf CLK_TCK)

sport=2000
: > "$work/results"
r=1
while [ $r -le "$ROUNDS" ]; do
    for m in fast exact; do
        pi0=$(counter session_packet_ins)
        lb0=$(cpu_ticks "$work/flowlbd.pid")
        vs0=$(cpu_ticks "$work/ovs-vswitchd.pid")
        res=$(client $m $sport "$SESSIONS" "$WINDOW" 2)
        lb=$(( $(cpu_ticks "$work/flowlbd.pid") - lb0 ))
        vs=$(( $(cpu_ticks "$work/ovs-vswitchd.pid") - vs0 ))
        sport=$((sport + SESSIONS))
        pi=$(( $(counter session_packet_ins) - pi0 ))
        echo "$r $m rate $res $pi $lb $vs" >> "$work/results"
        log "round $r $m rate: $res (packet-ins $pi)"
        res=$(client $m $sport "$LAT_SESSIONS" 1 2)
        sport=$((sport + LAT_SESSIONS))
        echo "$r $m latency $res" >> "$work/results"
        log "round $r $m latency: $res"
    done
    r=$((r + 1))
done
[ $sport -lt 60000 ] || die "ran out of source ports: fewer ROUNDS or SESSIONS"

# median FIELD METHOD KIND: the median over rounds.
median() {
    awk -v m="$2" -v k="$3" '$2 == m && $3 == k { print $4 }' \
        "$work/results" | jq -s "map(.$1) | sort | .[length / 2 | floor]"
}
printf '\n%-8s %12s %8s %12s %12s %12s %8s\n' method sessions/s lost \
    'rtt p50 us' 'rtt p90 us' 'rtt p99 us' rounds
for m in fast exact; do
    printf '%-8s %12s %8s %12s %12s %12s %8s\n' $m \
        "$(median rate $m rate)" "$(median lost $m rate)" \
        "$(median p50 $m latency)" "$(median p90 $m latency)" \
        "$(median p99 $m latency)" "$ROUNDS"
done
rate_ratio=$(echo "$(median rate exact rate) $(median rate fast rate)" \
             | awk '{ printf "%.2f", $1 / $2 }')
lat_ratio=$(echo "$(median p50 exact latency) $(median p50 fast latency)" \
            | awk '{ printf "%.2f", $1 / $2 }')
lat_extra=$(echo "$(median p50 exact latency) $(median p50 fast latency)" \
            | awk '{ printf "%.0f", $1 - $2 }')
printf '\nper-session / datapath-fast: new sessions per second x%s, %s\n' \
    "$rate_ratio" \
    "first-packet round trip x$lat_ratio (+$lat_extra us at the median)"
# cpu_per_session METHOD FIELD: CPU microseconds per session of the rate
# runs, all rounds together (FIELD 6: flowlbd, 7: ovs-vswitchd).
cpu_per_session() {
    awk -v m="$1" -v f="$2" -v hz="$hz" -v n="$SESSIONS" \
        '$2 == m && $3 == "rate" { t += $f; k++ }
         END { printf "%.0f", t / hz * 1e6 / (k * n) }' "$work/results"
}
printf 'CPU per session (rate runs): ovs-vswitchd %s us fast, %s us exact; flowlbd %s us exact (%s us fast)\n' \
    "$(cpu_per_session fast 7)" "$(cpu_per_session exact 7)" \
    "$(cpu_per_session exact 6)" "$(cpu_per_session fast 6)"
printf 'per-session sessions installed: %s, packet-ins: %s, no member: %s, bad: %s\n' \
    "$(counter sessions_installed)" "$(counter session_packet_ins)" \
    "$(counter session_no_member)" "$(counter session_bad)"

# ---------------------------------------------------------------------------
# Flood: FLOOD new sessions offered at FLOOD_RATE against the default meter.

meter_id=$(jq -r .id "$work/metered.json")
meter_drops() {
    ovs-ofctl -O OpenFlow15 meter-stats br0 "meter=$meter_id" \
        | tee -a "$work/meter-stats" \
        | sed -n 's/.*0: *packet_count:\([0-9]*\).*/\1/p' | tail -n 1
}
pi0=$(counter session_packet_ins)
md0=$(meter_drops)
client metered $sport "$FLOOD" "$FLOOD" 1 "$FLOOD_RATE" > "$work/flood.json" &
flood_pid=$!
: > "$work/rest-ms"
while alive $flood_pid; do
    t0=$(date +%s%N)
    rest GET /v1/status > /dev/null
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$work/rest-ms"
    sleep 0.1
done
wait $flood_pid || true
pi=$(( $(counter session_packet_ins) - pi0 ))
md=$(( $(meter_drops) - md0 ))
printf '\nflood: %s new sessions offered at %s/s against per_session_rate 1000: %s reached flowlbd, meter band dropped %s, %s answered (in %s s); %s REST GETs meanwhile, slowest %s ms\n' \
    "$FLOOD" "$FLOOD_RATE" "$pi" "$md" "$(jq .done "$work/flood.json")" \
    "$(jq .elapsed "$work/flood.json")" "$(wc -l < "$work/rest-ms")" \
    "$(sort -n "$work/rest-ms" | tail -n 1)"
