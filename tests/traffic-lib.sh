# The lab that tests/lb-traffic.sh and tests/stick-traffic.sh share, sourced
# by both (POSIX sh): ovs-vswitchd (userspace datapath) and flowlbd in a
# network namespace of their own, $tag-sw, so that the datapath's tap
# devices (ovs-netdev, br0) and the loopback ports flowlbd listens on never
# clash with a sandbox or another test run; hosts in namespaces $tag-NAME
# joined to br0 by veth pairs; logging, cleanup, flowlbd's REST API and
# the final check of the daemons' logs.  It defines functions (and sets
# ofp_port and rest_port to 0, for start_flowlbd).
#
# The sourcing script sets, before it calls them:
#   log_prefix   the name its output lines start with ("lb-traffic")
#   srcdir       the source tree (the parent of tests/)
#   tag, dir     the run's unique name prefix, its state directory
#   ns_sw        the switch's namespace, $tag-sw
#   clients, servers   the hosts' names
#   dpid         br0's datapath id
#   failed=0
# and defines host_port HOST (HOST's OpenFlow port), host_addr HOST (its
# IPv6 address) and wait_until CMD... (polls CMD until it succeeds, for up
# to 30 s).

log() { echo "$log_prefix: $*"; }
skip() { log "skipped: $*"; exit 77; }
fail() { log "FAIL: $*"; failed=1; }
ok() { log "ok: $*"; }

# wait_for SECS CMD...: polls CMD every 0.05 s until it succeeds, for up
# to SECS seconds (of wall-clock time: CMD itself may take a while).
wait_for() {
    deadline=$(($(date +%s%N) + $1 * 1000000000))
    shift
    while ! "$@" >/dev/null 2>&1; do
        if [ $(date +%s%N) -ge $deadline ]; then
            return 1
        fi
        sleep 0.05
    done
}
wait_until() { wait_for 30 "$@"; }

# now: seconds since the epoch, with the fraction; since T: seconds from T
# to now, to two places.
now() { date +%s.%N; }
since() { echo "$1 $(now)" | awk '{ printf "%.2f", $2 - $1 }'; }

# parse_scenarios ALL [SCENARIO...]: sets $scenarios to the SCENARIOs, by
# default all of ALL; exits 2 on one that ALL lacks.
parse_scenarios() {
    known=$1
    shift
    scenarios=${*:-$known}
    for s in $scenarios; do
        case " $known " in
            *" $s "*) ;;
            *) log "unknown scenario $s (known: $known)" >&2
               exit 2 ;;
        esac
    done
}

# find_programs: run by hand (OVS_SRCDIR unset), the patched OVS and
# flowlbd come from the source tree; $PYTHON is the python3 to run hosts'
# helpers with.
find_programs() {
    if [ -z "${OVS_SRCDIR:-}" ]; then
        OVS_SRCDIR=$srcdir/ovs-build/openvswitch
        PATH=$srcdir/controller:$OVS_SRCDIR/ovsdb:$OVS_SRCDIR/vswitchd:$OVS_SRCDIR/utilities:$PATH
        export OVS_SRCDIR PATH
    fi
    # Debian's python3, not a pyenv shim: the pid recorded must be the
    # server's.
    PYTHON=python3
    [ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
}

# alive PID: PID exists and is not a zombie (a detached daemon's parent is
# init, which may take its time to reap it).
alive() {
    case $(sed -e 's/.*) //' -e 's/ .*//' "/proc/$1/stat" 2>/dev/null) in
        Z | X | "") return 1 ;;
    esac
}

# kill_pid PID: ends PID and waits until it has exited (SIGKILL after 5 s).
kill_pid() {
    kill "$1" 2>/dev/null
    i=0
    while alive "$1" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$1" 2>/dev/null
}

# kill_pidfile FILE: kill_pid of the pid FILE holds, if FILE exists, and
# removes FILE.
kill_pidfile() {
    if [ -f "$1" ]; then
        kill_pid "$(cat "$1")"
        rm -f "$1"
    fi
}

# cleanup: ends every process with a pid file in $dir, deletes the
# namespaces, and removes $dir unless a check failed or KEEP is set.  The
# scripts run it on exit.
cleanup() {
    for pidfile in "$dir"/*.pid; do
        [ -e "$pidfile" ] || continue
        case $pidfile in
            */ovsdb-server.pid) ;;      # last: ovs-vswitchd reads it
            *) kill_pidfile "$pidfile" ;;
        esac
    done
    kill_pidfile "$dir/ovsdb-server.pid"
    # Deleting a namespace deletes the veths (and the datapath's taps,
    # ovs-netdev and br0) in it; both ends of every veth live in one of
    # ours.
    for h in sw $clients $servers; do
        ip netns del "$tag-$h" 2>/dev/null
    done
    if [ "$failed" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$dir"
    else
        log "state kept in $dir"
    fi
}

# check_machine [TOOL...]: skips unless run as root with ip, ethtool, curl,
# jq, the TOOLs, $PYTHON, OVS and flowlbd, and able to create network
# namespaces; creates $ns_sw.
check_machine() {
    [ "$(id -u)" = 0 ] || skip "needs root"
    for tool in ip ethtool curl jq "$@" $PYTHON ovsdb-server ovs-vswitchd \
                ovs-vsctl ovs-ofctl flowlbd; do
        command -v $tool >/dev/null 2>&1 || skip "$tool not found"
    done
    ip netns add "$ns_sw" 2>/dev/null \
        || skip "cannot create network namespaces"
    ip -n "$ns_sw" link set lo up
}

in_sw() { ip netns exec "$ns_sw" "$@"; }

# add_host HOST: namespace $tag-HOST, its eth0 up with $(host_addr HOST)/64,
# the other end p$(host_port HOST) in $ns_sw, up.
add_host() {
    ns=$tag-$1
    port=p$(host_port $1)
    ip netns add "$ns"
    # No duplicate address detection: addresses are usable at once.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
        net.ipv6.conf.default.accept_dad=0
    ip -n "$ns" link set lo up
    ip -n "$ns_sw" link add "$port" type veth peer name eth0 netns "$ns" \
        || skip "cannot create veth pairs"
    # The bridge side is only a port: no IPv6 on it, no router
    # solicitations or MLD reports from it.
    in_sw sysctl -qw "net.ipv6.conf.$port.disable_ipv6=1"
    # Without TX checksum offload off on both ends, TCP through the
    # userspace datapath fails.
    in_sw ethtool -K "$port" tx off >/dev/null
    ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
    ip -n "$ns" addr add "$(host_addr $1)/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    in_sw ip link set "$port" up
}

# start_ovs: ovsdb-server and, in $ns_sw, ovs-vswitchd on the userspace
# datapath, both with all their files in $dir; exits 1 if one fails.
start_ovs() {
    export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir
    ovsdb-tool create "$dir/conf.db" "$OVS_SRCDIR/vswitchd/vswitch.ovsschema" \
        || exit 1
    ovsdb-server --detach --no-chdir --pidfile --log-file -vconsole:off \
        --remote=punix:"$dir/db.sock" "$dir/conf.db" || exit 1
    ovs-vsctl --no-wait init
    start_vswitchd || exit 1
}

# start_vswitchd: (re)starts ovs-vswitchd in $ns_sw.
start_vswitchd() {
    in_sw ovs-vswitchd --detach --no-chdir --pidfile --log-file \
        -vconsole:off --disable-system
}

vsctl() { ovs-vsctl --timeout=20 "$@"; }
ofctl() { ovs-ofctl -O OpenFlow15 "$@"; }

# start_flowlbd: flowlbd in $ns_sw, OpenFlow and REST on free loopback
# ports there, found from its log ($ofp_port, $rest_port).  A restart
# (start_flowlbd again) reuses those ports.  Returns 1 if flowlbd did not
# start, 2 if its ports are not in its log.
ofp_port=0 rest_port=0
start_flowlbd() {
    in_sw flowlbd --detach --no-chdir --pidfile="$dir/flowlbd.pid" \
        --log-file="$dir/flowlbd.log" -vconsole:off \
        -vfile:${FLOWLBD_LOG_LEVEL:-info} \
        --ofp-listen=tcp:127.0.0.1:$ofp_port --rest=127.0.0.1:$rest_port \
        --state-file="$dir/state.json" || return 1
    ofp_port=$(sed -n 's/.*listening for OpenFlow switches on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$dir/flowlbd.log" | tail -n 1)
    rest_port=$(sed -n 's|.*REST API listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$dir/flowlbd.log" | tail -n 1)
    [ -n "$ofp_port" ] && [ -n "$rest_port" ] || return 2
}

# start_bridge: br0 on the userspace datapath with datapath id $dpid, every
# host's port as OpenFlow port $(host_port HOST), flowlbd its controller.
# fail-mode=secure: while flowlbd is away (a restart), the switch keeps
# flowlbd's flows instead of falling back to its own NORMAL flow.
start_bridge() {
    set -- add-br br0 -- set bridge br0 datapath_type=netdev fail-mode=secure \
        protocols=OpenFlow13,OpenFlow15 other-config:datapath-id=$dpid
    for h in $clients $servers; do
        n=$(host_port $h)
        set -- "$@" -- add-port br0 p$n -- set interface p$n ofport_request=$n
    done
    vsctl "$@" -- set-controller br0 tcp:127.0.0.1:$ofp_port
}

# rest METHOD PATH [BODY]: the body of the answer; fails on HTTP >= 400.
rest() {
    if [ $# -ge 3 ]; then
        in_sw curl -sS --fail-with-body --noproxy '*' --max-time 5 -X "$1" \
            -H 'Content-Type: application/json' -d "$3" \
            "http://127.0.0.1:$rest_port$2"
    else
        in_sw curl -sS --fail-with-body --noproxy '*' --max-time 5 -X "$1" \
            "http://127.0.0.1:$rest_port$2"
    fi
}

switch_connected() {
    rest GET /v1/switches/$dpid | jq -e '.state == "connected"'
}

# wait_switch: until br0 is connected to flowlbd; exits 1 if it does not
# connect.
wait_switch() {
    wait_until switch_connected || {
        fail "br0 did not connect to flowlbd: $(rest GET /v1/switches)"
        exit 1
    }
}

# service_create JSON: creates a service, sets $id to its id, and waits
# until every switch holds it and every member's MAC is known.
service_create() {
    svc=$(rest POST /v1/services "$1") || {
        fail "POST /v1/services $1: $svc"
        return 1
    }
    id=$(echo "$svc" | jq -r .id)
    wait_service $id
}

service_ready() {
    rest GET /v1/services/$1 | jq -e '
        (.status.switches | length > 0 and all(.sync == "in-sync"))
        and all(.members[]; .status.mac_source != "unresolved")'
}

# wait_service ID: until service ID is in sync on br0 with all MACs known.
wait_service() {
    wait_until service_ready $1 || {
        fail "service $1 not in sync within 30 s: $(rest GET /v1/services/$1)"
        return 1
    }
}

service_delete() {
    rest DELETE /v1/services/$1 >/dev/null || fail "DELETE service $1"
}

# member_id SERVICE HOST: the id of HOST's member of SERVICE.
member_id() {
    rest GET /v1/services/$1 \
        | jq -r --arg a "$(host_addr $2)" '.members[] | select(.address == $a) | .id'
}

# finish [EXPECTED]: fails if ovs-vswitchd or flowlbd logged an error
# (printing those lines), except one that matches the basic regular
# expression EXPECTED; says whether all checks passed and exits with
# $failed.
finish() {
    errors=$(grep -E '\|(ERR|EMER)\|' "$dir/ovs-vswitchd.log" \
                  "$dir/flowlbd.log")
    if [ $# -ge 1 ] && [ -n "$errors" ]; then
        errors=$(printf '%s\n' "$errors" | grep -v -e "$1")
    fi
    if [ -n "$errors" ]; then
        printf '%s\n' "$errors"
        fail "a daemon logged errors"
    fi

    if [ "$failed" = 0 ]; then
        log "all checks passed"
    fi
    exit $failed
}

# curls ADDR N CLIENT...: N GETs of http://ADDR/ (an IPv6 ADDR goes in
# brackets) from each CLIENT (namespace $tag-CLIENT) at once, a new
# connection each; prints the answers, one a line, or "none".
curls() {
    addr=$1 n=$2
    shift 2
    case $addr in *:*) addr="[$addr]" ;; esac
    pids=
    for c in "$@"; do
        ip netns exec "$tag-$c" sh -c '
            i=0
            while [ $i -lt '$n' ]; do
                curl -s -g --max-time 3 "http://'$addr'/" || echo none
                i=$((i + 1))
            done' > "$dir/curls-$c.out" &
        pids="$pids $!"
    done
    wait $pids
    for c in "$@"; do
        cat "$dir/curls-$c.out"
    done
}
