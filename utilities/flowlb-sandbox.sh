#!/bin/sh
# Runs a private flowlb sandbox on this machine: the patched Open vSwitch in
# a state directory of its own, flowlbd as its controller, and client and
# server hosts in network namespaces, so that flowlb can be tried with real
# TCP traffic without touching a system OVS or the host's network.
#
# usage: flowlb-sandbox.sh start|stop
#
# "make sandbox" and "make sandbox-stop" run it with these variables set; run
# by hand, it finds them relative to the source tree it lives in:
#   OVS_BUILDDIR  the patched OVS build (ovs-build/openvswitch)
#   FLOWLBD       the flowlbd binary (controller/flowlbd)
#   SANDBOX_DIR   the state directory (sandbox/, git-ignored)
#   SANDBOX_TIMEOUT  seconds to wait for each part to come up (30)
#
# "start" on a sandbox that is already complete and running says so and
# leaves it alone; on the remains of a sandbox that is only partly there (a
# daemon that died, a namespace left by a killed run) it stops those remains
# first and starts afresh.  "stop" is idempotent: it removes whatever of the
# sandbox exists and succeeds when nothing does.
#
# Only processes whose pids the sandbox recorded are ever signalled, and only
# namespaces and interfaces whose names the configuration below gives are
# ever deleted: other people's OVS daemons and test namespaces may be running
# on the same machine.

set -eu

# ---------------------------------------------------------------------------
# Embedded default configuration.
#
# The hosts, one a line: short name, role, IPv6 address, IPv4 address.  Host
# NAME lives in namespace flowlb-NAME; its interface there is "eth0", the
# other end of its veth pair is fl-NAME in the root namespace and a port of
# the bridge; the Nth host on the list is the bridge's OpenFlow port N.  The addresses are documentation ranges (RFC 3849, RFC 5737)
# and exist only inside these namespaces.
HOSTS='
c1 client 2001:db8:f10::11 198.51.100.11
c2 client 2001:db8:f10::12 198.51.100.12
s1 server 2001:db8:f10::21 198.51.100.21
s2 server 2001:db8:f10::22 198.51.100.22
s3 server 2001:db8:f10::23 198.51.100.23
'
NS_PREFIX=flowlb-
VETH_PREFIX=fl-
INNER_IF=eth0
IPV6_PLEN=64
IPV4_PLEN=24

# The bridge.  A fixed datapath id lets the REST API, the docs and scripts
# name the switch the same way on every run.
BRIDGE=br0
DPID=00000000000000b0

# Where flowlbd listens for switches and serves its REST API.  Both are on
# loopback: the sandbox is for this machine only.
OFP_IP=127.0.0.1
OFP_PORT=6653
REST_IP=127.0.0.1
REST_PORT=8080

# The port each server's HTTP server listens on, in its namespace.
HTTP_PORT=80

# Services (virtual addresses balanced over the servers) are configured here
# once flowlbd has a services API; see configure_services below.
# ---------------------------------------------------------------------------

me=flowlb-sandbox
srcdir=$(cd "$(dirname "$0")/.." && pwd)
OVS_BUILDDIR=${OVS_BUILDDIR:-$srcdir/ovs-build/openvswitch}
FLOWLBD=${FLOWLBD:-$srcdir/controller/flowlbd}
SANDBOX_DIR=${SANDBOX_DIR:-$srcdir/sandbox}
SANDBOX_TIMEOUT=${SANDBOX_TIMEOUT:-30}
d=$SANDBOX_DIR

OVSDB_SERVER=$OVS_BUILDDIR/ovsdb/ovsdb-server
OVSDB_TOOL=$OVS_BUILDDIR/ovsdb/ovsdb-tool
OVS_VSWITCHD=$OVS_BUILDDIR/vswitchd/ovs-vswitchd
OVS_VSCTL=$OVS_BUILDDIR/utilities/ovs-vsctl
OVS_OFCTL=$OVS_BUILDDIR/utilities/ovs-ofctl
OVS_APPCTL=$OVS_BUILDDIR/utilities/ovs-appctl
OVS_SCHEMA=$OVS_BUILDDIR/vswitchd/vswitch.ovsschema

# Every OVS program, ours included, finds its sockets, pidfiles, logs and
# database through these, so pointing them at the state directory keeps the
# sandbox away from a system OVS's /var/run/openvswitch.
OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d OVS_SYSCONFDIR=$d
export OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR

# The daemons log to their files in the state directory; on the terminal
# only errors, which explain a failed start.
QUIET=-vconsole:err

# Debian's python3 rather than whatever "python3" is first in PATH: a pyenv
# shim, for one, runs the interpreter through wrapper scripts, and the
# recorded pid must be the HTTP server itself.
if [ -x /usr/bin/python3 ]; then
    PYTHON=/usr/bin/python3
else
    PYTHON=python3
fi

say() {
    echo "$me: $*"
}

warn() {
    echo "$me: $*" >&2
}

# The hosts of one role ("client", "server") or of all, as short names.
hosts() {
    echo "$HOSTS" | awk -v role="${1:-}" \
        'NF == 4 && (role == "" || $2 == role) { print $1 }'
}

# Field FIELD (role, ipv6, ipv4) of host NAME.
host_field() {
    echo "$HOSTS" | awk -v name="$1" -v field="$2" '
        NF == 4 && $1 == name {
            if (field == "role") print $2
            if (field == "ipv6") print $3
            if (field == "ipv4") print $4
        }'
}

n_hosts() {
    hosts | wc -l
}

# The bridge has one port per host plus its LOCAL port.
n_bridge_ports() {
    echo $(($(n_hosts) + 1))
}

# ovs-vsctl on the sandbox's database.  Without --no-wait it waits for
# ovs-vswitchd to apply the change and would wait for ever if ovs-vswitchd
# has died, hence the timeout.
vsctl() {
    timeout "$SANDBOX_TIMEOUT" "$OVS_VSCTL" --db="unix:$d/db.sock" "$@"
}

# curl that never goes through a proxy, whatever the environment says: all
# the sandbox's addresses are local.
lcurl() {
    curl -s --noproxy '*' "$@"
}

rest_get() {
    lcurl --max-time 2 "http://$REST_IP:$REST_PORT$1"
}

# Prints the pid recorded in pidfile FILE when that process is alive and is
# still the program the file is about (its command line contains PATTERN), so
# that a pid reused by something else after a crash is never signalled.
live_pid() {
    file=$1 pattern=$2
    [ -r "$file" ] || return 1
    pid=$(tr -cd '0-9' < "$file")
    [ -n "$pid" ] || return 1
    alive "$pid" || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -e "$pattern" || return 1
    echo "$pid"
}

# The pidfiles the sandbox records, each with the pattern its process's
# command line must match, one "FILE PATTERN" a line, in the order "stop"
# ends them: flowlbd first, so that its log does not record the switch's
# going as a failure; ovsdb-server after ovs-vswitchd, which reads its
# configuration from it; the HTTP servers, which depend on nothing, last.
pidfiles() {
    echo "$d/flowlbd.pid flowlbd"
    echo "$d/ovs-vswitchd.pid ovs-vswitchd"
    echo "$d/ovsdb-server.pid ovsdb-server"
    for h in $(hosts server); do
        echo "$d/http-$h.pid http.server"
    done
}

# Succeeds when process PID exists and is not a zombie.  A zombie has exited
# but "kill -0" still finds it until its parent reaps it, and the daemons'
# parent is init, which on some machines reaps only every few seconds.
alive() {
    [ -r "/proc/$1/stat" ] || return 1
    case $(sed -e 's/.*) //' -e 's/ .*//' "/proc/$1/stat" 2>/dev/null) in
        Z | X | "") return 1 ;;
    esac
    return 0
}

# Waits until process PID has exited, up to SECS seconds.
wait_gone() {
    pid=$1 secs=$2
    i=0
    while alive "$pid"; do
        [ $i -ge $((secs * 10)) ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
}

# Polls command "$@" every tenth of a second until it succeeds, or until
# SANDBOX_TIMEOUT seconds have passed, or until it returns 2, which means it
# can never succeed (a process it waits for has died).
poll() {
    i=0
    while :; do
        status=0
        "$@" || status=$?
        [ $status = 0 ] && return 0
        [ $status = 2 ] && return 1
        [ $i -ge $((SANDBOX_TIMEOUT * 10)) ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
}

ns_exists() {
    ip netns list | awk '{ print $1 }' | grep -qx -e "$1"
}

link_exists() {
    ip link show dev "$1" >/dev/null 2>&1
}

# Succeeds when anything of a sandbox exists: a recorded process still
# alive, a namespace, a veth end, or the datapath's taps.
anything_running() {
    pidfiles | {
        while read -r file pattern; do
            live_pid "$file" "$pattern" >/dev/null && exit 0
        done
        exit 1
    } && return 0
    [ -e "$d/datapath-created" ] && return 0
    for h in $(hosts); do
        ns_exists "$NS_PREFIX$h" && return 0
        link_exists "$VETH_PREFIX$h" && return 0
    done
    return 1
}

# Succeeds when the whole sandbox is up: every recorded process alive.
everything_running() {
    pidfiles | {
        while read -r file pattern; do
            live_pid "$file" "$pattern" >/dev/null || exit 1
        done
        exit 0
    }
}

# ---------------------------------------------------------------------------
# stop

# Ends the process recorded in pidfile FILE (matching PATTERN): politely
# first, then, if it does not go within 5 seconds, with SIGKILL.
stop_pid() {
    file=$1 pattern=$2
    if pid=$(live_pid "$file" "$pattern"); then
        stopped_pids="$stopped_pids $pid"
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" 5; then
            warn "pid $pid ($pattern) ignored SIGTERM, killing it"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || warn "pid $pid ($pattern) will not die"
        fi
    fi
    rm -f "$file"
}

do_stop() {
    stopped_pids=
    # ovs-vswitchd makes the userspace datapath's tap devices ($BRIDGE and
    # ovs-netdev) persistent and removes them only when it deletes the
    # datapath, which "exit --cleanup" does and a signal does not.  So ask it
    # to exit that way first, and fall back to signals below.
    if vswitchd_pid=$(live_pid "$d/ovs-vswitchd.pid" ovs-vswitchd); then
        stop_pid "$d/flowlbd.pid" flowlbd
        stopped_pids="$stopped_pids $vswitchd_pid"
        timeout 10 "$OVS_APPCTL" -t "$d/ovs-vswitchd.$vswitchd_pid.ctl" \
            exit --cleanup >/dev/null 2>&1 || true
        wait_gone "$vswitchd_pid" 5 || true
    fi

    while read -r file pattern; do
        stop_pid "$file" "$pattern"
    done <<EOF
$(pidfiles)
EOF

    # Deleting a namespace deletes the veth end inside it, and with it the
    # end on the bridge, but the kernel tears namespaces down
    # asynchronously: the outer end may still be there when "ip netns del"
    # returns, or be left over from a run that failed half-way.  So it is
    # deleted by name, and only a failure that leaves it there counts.
    for h in $(hosts); do
        if ns_exists "$NS_PREFIX$h"; then
            ip netns del "$NS_PREFIX$h" || warn "could not delete $NS_PREFIX$h"
        fi
        if link_exists "$VETH_PREFIX$h"; then
            ip link del "$VETH_PREFIX$h" 2>/dev/null \
                || ! link_exists "$VETH_PREFIX$h" \
                || warn "could not delete $VETH_PREFIX$h"
        fi
    done

    # If ovs-vswitchd died without cleaning up, its persistent taps remain.
    # They are removed only when this sandbox created them (the marker file)
    # and only when they are tun devices, so that a same-named interface of
    # someone else's is left alone.
    if [ -e "$d/datapath-created" ]; then
        for tap in "$BRIDGE" ovs-netdev; do
            if ip -d link show dev "$tap" 2>/dev/null | grep -q 'tun type tap'; then
                ip link del "$tap" || warn "could not delete $tap"
            fi
        done
        rm -f "$d/datapath-created"
    fi

    # The logs stay, to be read after a failure; the run-time files go.
    if [ -d "$d" ]; then
        rm -f "$d"/*.ctl "$d"/*.mgmt "$d"/*.snoop "$d/db.sock" \
            "$d/conf.db" "$d/.conf.db.~lock~"
        rm -rf "$d/www"
    fi

    # Every process has exited by now; wait a little for init to reap them
    # too, so that when "stop" returns not even a zombie is left.
    for pid in $stopped_pids; do
        i=0
        while [ -e "/proc/$pid" ] && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
    done
}

# ---------------------------------------------------------------------------
# start

# Prints the last lines of log LOG, for a failure message.
show_log() {
    if [ -r "$1" ]; then
        echo "--- last lines of $1:" >&2
        tail -n 20 "$1" >&2
        echo "---" >&2
    fi
}

# What "start" is doing, for the message when a command fails under set -e.
step=

# Reports a failed start with the log that should say why, then exits; the
# EXIT trap removes what was started.
fail() {
    msg=$1
    shift
    warn "$msg"
    for log in "$@"; do
        show_log "$log"
    done
    step=
    exit 1
}

check_prerequisites() {
    for f in "$OVSDB_SERVER" "$OVSDB_TOOL" "$OVS_VSWITCHD" "$OVS_VSCTL" \
            "$OVS_OFCTL" "$OVS_APPCTL" "$FLOWLBD"; do
        [ -x "$f" ] || fail "$f not found: build first (make)"
    done
    [ -r "$OVS_SCHEMA" ] || fail "$OVS_SCHEMA not found"
    for p in ip ethtool curl jq timeout setsid awk; do
        command -v "$p" >/dev/null 2>&1 \
            || fail "$p not found: run utilities/install-deps.sh"
    done
    [ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1 \
        || fail "python3 not found: run utilities/install-deps.sh"
}

start_ovs() {
    step="starting OVS"
    "$OVSDB_TOOL" create "$d/conf.db" "$OVS_SCHEMA" \
        || fail "ovsdb-tool create failed"
    "$OVSDB_SERVER" --detach --no-chdir --pidfile $QUIET --log-file \
        --remote="punix:$d/db.sock" "$d/conf.db" \
        || fail "ovsdb-server did not start" "$d/ovsdb-server.log"
    timeout "$SANDBOX_TIMEOUT" "$OVS_VSCTL" --db="unix:$d/db.sock" \
        --no-wait init || fail "ovs-vsctl init failed" "$d/ovsdb-server.log"

    # No --enable-dummy: it would replace every netdev type, and the bridge
    # needs real veths.  --disable-system keeps this daemon out of the
    # kernel datapath, which a system OVS may be using.
    "$OVS_VSWITCHD" --detach --no-chdir --pidfile $QUIET --log-file \
        --disable-system "unix:$d/db.sock" \
        || fail "ovs-vswitchd did not start" "$d/ovs-vswitchd.log"
}

# Creates namespace flowlb-NAME with host NAME's addresses on one end of a
# veth pair, and leaves the other end, fl-NAME, up in the root namespace.
add_host() {
    h=$1
    ns=$NS_PREFIX$h
    outer=$VETH_PREFIX$h
    ipv6=$(host_field "$h" ipv6)
    ipv4=$(host_field "$h" ipv4)

    step="setting up namespace $ns"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # The inner end is created directly in the namespace: named eth0, it
    # would clash with the host's own eth0 for a moment otherwise.
    ip link add "$outer" type veth peer name "$INNER_IF" netns "$ns"

    # The outer end is only a bridge port: without IPv6 on it the root
    # namespace neither sends router solicitations nor joins multicast
    # groups on the sandbox's LAN.
    echo 1 > "/proc/sys/net/ipv6/conf/$outer/disable_ipv6" || true

    # The userspace datapath does not complete checksums that the kernel
    # left to offload, so without this TCP through the bridge fails; it must
    # be off on both ends.
    ethtool -K "$outer" tx off >/dev/null
    ip netns exec "$ns" ethtool -K "$INNER_IF" tx off >/dev/null

    # nodad: the address is usable at once rather than after duplicate
    # address detection, which nothing else on this LAN could fail anyway.
    ip -n "$ns" addr add "$ipv6/$IPV6_PLEN" dev "$INNER_IF" nodad
    ip -n "$ns" addr add "$ipv4/$IPV4_PLEN" dev "$INNER_IF"
    ip -n "$ns" link set "$INNER_IF" up
    ip link set "$outer" up
}

add_bridge() {
    step="creating $BRIDGE"
    set -- add-br "$BRIDGE" \
        -- set bridge "$BRIDGE" datapath_type=netdev fail-mode=standalone \
           "other-config:datapath-id=$DPID"
    # Ports added in one transaction get OpenFlow port numbers in no
    # particular order; asking for them makes port N the Nth host on every
    # run, so flows and port lists can be compared between runs.
    ofport=0
    for h in $(hosts); do
        ofport=$((ofport + 1))
        set -- "$@" -- add-port "$BRIDGE" "$VETH_PREFIX$h" \
            -- set interface "$VETH_PREFIX$h" "ofport_request=$ofport"
    done
    : > "$d/datapath-created"
    vsctl "$@" || fail "could not create $BRIDGE" "$d/ovs-vswitchd.log"
    vsctl set-controller "$BRIDGE" "tcp:$OFP_IP:$OFP_PORT" \
        || fail "could not set $BRIDGE's controller" "$d/ovs-vswitchd.log"
}

start_flowlbd() {
    step="starting flowlbd"
    # flowlbd returns from --detach only once it is listening, so when this
    # succeeds the switch can connect.
    "$FLOWLBD" --detach --no-chdir --pidfile="$d/flowlbd.pid" \
        $QUIET --log-file="$d/flowlbd.log" \
        --ofp-listen="tcp:$OFP_IP:$OFP_PORT" --rest="$REST_IP:$REST_PORT" \
        --state-file="$d/flowlbd.json" \
        || fail "flowlbd did not start" "$d/flowlbd.log"
}

# Starts host NAME's HTTP server, which answers every GET of / with the
# host's namespace name, so a client sees which server it reached.
start_http() {
    h=$1
    ns=$NS_PREFIX$h
    www=$d/www/$h
    step="starting the HTTP server in $ns"
    mkdir -p "$www"
    echo "$ns" > "$www/index.html"
    # setsid: the server outlives this script and must not get the signals
    # of the terminal that ran "make sandbox".  Neither setsid (not a group
    # leader here) nor "ip netns exec" forks, so $! is the server's pid.
    # With --bind ::, http.server listens on a dual-stack socket and so
    # serves IPv4 too.
    setsid ip netns exec "$ns" "$PYTHON" -m http.server "$HTTP_PORT" \
        --bind :: --directory "$www" \
        < /dev/null > "$d/http-$h.log" 2>&1 &
    echo $! > "$d/http-$h.pid"
}

# Succeeds when the switch is connected to flowlbd and flowlbd knows all of
# its ports.
switch_ready() {
    live_pid "$d/flowlbd.pid" flowlbd >/dev/null || return 2
    live_pid "$d/ovs-vswitchd.pid" ovs-vswitchd >/dev/null || return 2
    rest_get "/v1/switches" 2>/dev/null | jq -e --arg dpid "$DPID" \
        --argjson n "$(n_bridge_ports)" \
        '.switches[] | select(.dpid == $dpid and .state == "connected"
                              and .n_ports == $n)' >/dev/null 2>&1
}

# Succeeds when host NAME's HTTP server answers, from inside its namespace.
http_ready() {
    h=$1
    live_pid "$d/http-$h.pid" http.server >/dev/null || return 2
    ip netns exec "$NS_PREFIX$h" curl -s --noproxy '*' --max-time 1 \
        "http://[::1]:$HTTP_PORT/" 2>/dev/null | grep -qx "$NS_PREFIX$h"
}

# The place for the sandbox's services: virtual addresses that flowlbd
# balances over the servers.  flowlbd has no services API yet, so there is
# nothing to configure; when it has one, the default services are created
# here through it, after the switch has connected.
configure_services() {
    :
}

# Lets the hosts talk to each other through the bridge.  fail-mode
# standalone does not do it on its own: OVS installs its default NORMAL flow
# only while a bridge has no controller, flushes the flow table when the
# bridge gets its first one (connmgr_set_controllers), and falls back to
# NORMAL only while the controller is unreachable.  So, with flowlbd
# connected and installing no flows yet, table 0 would be empty and drop
# everything.  The sandbox installs the same flow itself, at the lowest
# priority, after flowlbd has connected so that nothing flowlbd does on
# connecting can remove it.
add_normal_flow() {
    step="adding the NORMAL flow to $BRIDGE"
    timeout "$SANDBOX_TIMEOUT" "$OVS_OFCTL" add-flow "unix:$d/$BRIDGE.mgmt" \
        'priority=0,actions=NORMAL' \
        || fail "could not add the NORMAL flow to $BRIDGE" \
                "$d/ovs-vswitchd.log"
}

# Succeeds when client NAME reaches every server's HTTP server through the
# bridge, over IPv6 and IPv4.
clients_reach_servers() {
    c=$1
    for s in $(hosts server); do
        for addr in "[$(host_field "$s" ipv6)]" "$(host_field "$s" ipv4)"; do
            ip netns exec "$NS_PREFIX$c" curl -s --noproxy '*' --max-time 1 \
                "http://$addr:$HTTP_PORT/" 2>/dev/null \
                | grep -qx "$NS_PREFIX$s" || return 1
        done
    done
}

print_summary() {
    cat <<EOF

$me: running, state in $d

  flowlbd        pid $(cat "$d/flowlbd.pid")  OpenFlow tcp:$OFP_IP:$OFP_PORT, REST http://$REST_IP:$REST_PORT
  ovs-vswitchd   pid $(cat "$d/ovs-vswitchd.pid")  bridge $BRIDGE, dpid $DPID, datapath_type=netdev
  ovsdb-server   pid $(cat "$d/ovsdb-server.pid")  unix:$d/db.sock

  namespace    role    port      IPv6                 IPv4            HTTP server
EOF
    ofport=0
    for h in $(hosts); do
        ofport=$((ofport + 1))
        role=$(host_field "$h" role)
        if [ "$role" = server ]; then
            http="pid $(cat "$d/http-$h.pid"), port $HTTP_PORT"
        else
            http=-
        fi
        printf '  %-12s %-7s %-9s %-20s %-15s %s\n' "$NS_PREFIX$h" "$role" \
            "$ofport:$VETH_PREFIX$h" "$(host_field "$h" ipv6)" \
            "$(host_field "$h" ipv4)" "$http"
    done
    c=$(hosts client | head -n 1)
    s=$(hosts server | head -n 1)
    cat <<EOF

Try:
  ip netns exec $NS_PREFIX$c curl http://[$(host_field "$s" ipv6)]/
  ip netns exec $NS_PREFIX$c curl http://$(host_field "$s" ipv4)/
  curl -s http://$REST_IP:$REST_PORT/v1/switches
  curl -s http://$REST_IP:$REST_PORT/v1/switches/$DPID
  $OVS_OFCTL -O OpenFlow15 dump-flows unix:$d/$BRIDGE.mgmt
  $OVS_VSCTL --db=unix:$d/db.sock show
Logs: $d/*.log
Stop: make sandbox-stop
EOF
}

on_exit() {
    # Cleaning up is best effort: one thing that cannot be removed must not
    # keep the rest from being removed.
    set +e
    if [ "$started" != yes ]; then
        [ -n "$step" ] && warn "failed while $step"
        warn "start failed, cleaning up"
        do_stop
    fi
}

do_start() {
    if everything_running; then
        say "a sandbox is already running in $d; leaving it alone"
        say "(make sandbox-stop first to start a fresh one)"
        print_summary
        return 0
    fi
    if anything_running; then
        say "removing the remains of an earlier sandbox first"
        do_stop
    fi

    check_prerequisites
    t0=$(date +%s.%N)

    # From here on, a failure or an interruption removes whatever was
    # started, so a failed start leaves nothing running.
    started=no
    trap 'on_exit' EXIT
    trap 'step=; warn "interrupted"; exit 130' INT TERM HUP

    mkdir -p "$d"
    rm -f "$d"/*.log "$d"/*.pid

    start_ovs
    # Under set -e, any command of add_host that fails ends the script,
    # and the EXIT trap says at which step.
    for h in $(hosts); do
        add_host "$h"
    done
    # flowlbd before the bridge gets its controller: otherwise the first
    # connection attempt is refused and ovs-vswitchd backs off before trying
    # again.
    start_flowlbd
    add_bridge
    for h in $(hosts server); do
        start_http "$h"
    done

    step="waiting for $BRIDGE to connect"
    say "waiting for $BRIDGE (dpid $DPID) to connect to flowlbd"
    poll switch_ready || fail "$BRIDGE did not connect to flowlbd with \
$(n_bridge_ports) ports within ${SANDBOX_TIMEOUT}s; flowlbd says: \
$(rest_get /v1/switches || echo nothing)" "$d/flowlbd.log" "$d/ovs-vswitchd.log"

    for h in $(hosts server); do
        say "waiting for the HTTP server in $NS_PREFIX$h"
        poll http_ready "$h" || fail "the HTTP server in $NS_PREFIX$h did \
not answer within ${SANDBOX_TIMEOUT}s" "$d/http-$h.log"
    done

    add_normal_flow

    for c in $(hosts client); do
        say "waiting for $NS_PREFIX$c to reach the servers through $BRIDGE"
        poll clients_reach_servers "$c" || fail "$NS_PREFIX$c cannot reach \
every server through $BRIDGE within ${SANDBOX_TIMEOUT}s" \
            "$d/ovs-vswitchd.log"
    done

    configure_services

    started=yes
    t1=$(date +%s.%N)
    say "started in $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')s"
    print_summary
}

# ---------------------------------------------------------------------------

if [ $# -ne 1 ]; then
    echo "usage: $0 start|stop" >&2
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    warn "must be run as root: it creates network namespaces and veths"
    warn "(try: sudo make sandbox)"
    exit 1
fi

case $1 in
    start)
        do_start
        ;;
    stop)
        was_running=no
        anything_running && was_running=yes
        do_stop
        # do_stop carries on past what it cannot remove; this says whether
        # anything is left.
        if anything_running; then
            warn "could not remove everything; see the messages above"
            exit 1
        elif [ $was_running = yes ]; then
            say "stopped"
        else
            say "nothing was running"
        fi
        ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
