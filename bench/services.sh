#!/bin/sh
# How long flowlbd takes to put SERVICES (default 1,000) load-balancing
# services of MEMBERS (default 8) members each on a switch, from the first
# REST call until the switch's barrier reply, next to ovs-ofctl installing
# the same flows and groups.
#
# usage: bench/services.sh   (after make, from anywhere, root or not)
#
# It starts its own ovsdb-server and ovs-vswitchd (--enable-dummy, two
# bridges on the dummy datapath, OpenFlow 1.5, fail-mode secure: br0,
# datapath id b0, for flowlbd, and br1, b1, for ovs-ofctl) in a temporary
# directory, and stops them and removes it when it ends.  Each service has
# an IPv6 VIP, "ports": [80], key src-dst-label and members with explicit
# MACs (no neighbour resolution), so it compiles to 5 flows and 2 select
# groups of MEMBERS buckets.
#
# flowlbd methods.  Each run starts a fresh flowlbd (empty state file, br0
# emptied, then connected and in sync) and times, from before the first
# REST call, the "in sync with generation N" line flowlbd logs when the
# barrier after its bundle comes back, for the first N at least the model
# generation of the last answer ("log" column); and, as a client would see
# it, the first GET /v1/switches/b0 whose sync.in_sync is true, polled every
# 10 ms once the last answer is in ("poll" column).  One POST per service
# with inline members, so SERVICES REST calls:
#   curl               sequential curl, one process per call;
#   curl xargs -P N    N curl processes at a time;
#   http.client xN     N keep-alive connections (bench/services-client.py);
# with the state file (which flowlbd saves with fsync before each answer)
# in the temporary directory, and the last two once more with it on
# /dev/shm (tmpfs, where fsync costs nothing), to show the share of the
# disk.  After each run: PATCH the weight of one member of the middle
# service (svc500) and time until in sync, with the flow_mods and
# group_mods flowlbd counted for it.
#
# Then flowlbd restarted on the state file of the last run, with br0
# emptied: from the log line that says it has read the switch to the "in
# sync" line, the cost of compiling every service and sending one bundle,
# without REST and the state file.
#
# ovs-ofctl methods, on br1 (emptied before each run): what flowlbd
# installed on br0, dumped once (dump-flows under flowlbd's cookie,
# dump-groups) after the first flowlbd run, and installed with
#   ovs-ofctl --bundle add-groups, then --bundle add-flows (two commands,
#       two bundles);
#   ovs-ofctl bundle, one file of "group add" and "flow add" lines (one
#       atomic bundle, what flowlbd sends): the baseline of the ratios.
# Each is checked to leave br1 with as many flows and groups as br0.
#
# Methods run interleaved, ROUNDS (default 3) times; the table shows the
# median of each.
#
# Environment: SERVICES, MEMBERS, ROUNDS, CLIENTS (default 8),
# OVS_BUILDDIR (default ovs-build/openvswitch beside this script's
# directory), FLOWLBD (default controller/flowlbd there), SHM_DIR (default
# /dev/shm; SHM_DIR=no skips the tmpfs rows), SERVICES_KEEP=DIR to keep the
# temporary directory's files (logs, dumps) in DIR.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
OVS_BUILDDIR=${OVS_BUILDDIR:-$top/ovs-build/openvswitch}
FLOWLBD=${FLOWLBD:-$top/controller/flowlbd}
# The interpreter itself, not a wrapper (pyenv's shims take 0.2 s).
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
CLIENT="$PYTHON $top/bench/services-client.py"
SERVICES=${SERVICES:-1000}
MEMBERS=${MEMBERS:-8}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-8}
SHM_DIR=${SHM_DIR:-/dev/shm}
TIMEOUT=${TIMEOUT:-600}
DPID=00000000000000b0
LOOP=tcp:127.0.0.1:
PATCHED=svc$(( (SERVICES + 1) / 2 ))

for p in ovsdb/ovsdb-tool ovsdb/ovsdb-server vswitchd/ovs-vswitchd \
         utilities/ovs-vsctl utilities/ovs-ofctl utilities/ovs-appctl; do
    [ -x "$OVS_BUILDDIR/$p" ] || {
        echo "services: no $p in $OVS_BUILDDIR (run make)" >&2
        exit 1
    }
done
[ -x "$FLOWLBD" ] || {
    echo "services: no $FLOWLBD (run make)" >&2
    exit 1
}
for p in curl python3; do
    command -v $p > /dev/null || {
        echo "services: needs $p" >&2
        exit 1
    }
done
PATH=$OVS_BUILDDIR/ovsdb:$OVS_BUILDDIR/vswitchd:$OVS_BUILDDIR/utilities:$PATH
export PATH

work=$(mktemp -d "${TMPDIR:-/tmp}/flowlb-services.XXXXXX")
OVS_RUNDIR=$work OVS_LOGDIR=$work OVS_DBDIR=$work OVS_SYSCONFDIR=$work
OVS_PKGDATADIR=$work
export OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR OVS_PKGDATADIR
shm=
if [ "$SHM_DIR" != no ] && [ -d "$SHM_DIR" ] && [ -w "$SHM_DIR" ]; then
    shm=$(mktemp -d "$SHM_DIR/flowlb-services.XXXXXX")
fi

# wait_until CONDITION: polls the shell CONDITION every 0.1 s until it
# holds, or fails after $TIMEOUT seconds.
wait_until() {
    tries=$((TIMEOUT * 10))
    while ! eval "$1"; do
        tries=$((tries - 1))
        if [ $tries -le 0 ]; then
            echo "services: timed out after $TIMEOUT s: $1" >&2
            return 1
        fi
        sleep 0.1
    done
}

# stop_pid PID: asks process PID to exit, and kills it if it has not
# within 10 seconds.
stop_pid() {
    kill "$1" 2>/dev/null || return 0
    TIMEOUT=10 wait_until "! kill -0 $1 2>/dev/null" 2>/dev/null \
        || kill -9 "$1" 2>/dev/null || true
}

# stop_daemon NAME: stops the OVS daemon whose pid is in $work/NAME.pid.
stop_daemon() {
    [ -f "$work/$1.pid" ] || return 0
    pid=$(cat "$work/$1.pid")
    ovs-appctl -t "$1" exit > /dev/null 2>&1 || true
    TIMEOUT=10 wait_until "! kill -0 $pid 2>/dev/null" 2>/dev/null \
        || kill -9 "$pid" 2>/dev/null || true
}

flowlbd_pid=
cleanup() {
    [ -z "$flowlbd_pid" ] || stop_pid "$flowlbd_pid"
    stop_daemon ovs-vswitchd
    stop_daemon ovsdb-server
    if [ -n "${SERVICES_KEEP:-}" ]; then
        mkdir -p "$SERVICES_KEEP"
        cp -r "$work"/. "$SERVICES_KEEP"/ 2>/dev/null || true
    fi
    rm -rf "$work"
    [ -z "$shm" ] || rm -rf "$shm"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

ovsdb-tool create "$work/conf.db" "$OVS_BUILDDIR/vswitchd/vswitch.ovsschema"
ovsdb-server -vconsole:off --detach --no-chdir --pidfile --log-file \
    --remote=punix:"$work/db.sock" "$work/conf.db"
ovs-vsctl --no-wait init
ovs-vswitchd -vconsole:off --enable-dummy --disable-system --detach \
    --no-chdir --pidfile --log-file
for br in br0 br1; do
    ovs-vsctl --timeout=10 add-br $br \
        -- set bridge $br datapath_type=dummy fail-mode=secure \
           protocols=OpenFlow15 \
           other-config:datapath-id=00000000000000b${br#br} \
        -- add-port $br $br-p1 \
        -- set interface $br-p1 type=dummy ofport_request=1
done

ofctl() {
    ovs-ofctl -O OpenFlow15 "$@"
}

# dump_flows BRIDGE, dump_groups BRIDGE: flowlbd's flows (by cookie) and
# all groups on BRIDGE, one a line, as ovs-ofctl add-flows and add-groups
# read them.
dump_flows() {
    ofctl --no-stats dump-flows "$1" \
        cookie=0xf1b0000000000000/0xffff000000000000 \
        | sed -e 's/^ *//' -e 's/, /,/g' | grep 'actions=' || true
}

dump_groups() {
    ofctl dump-groups "$1" | sed -e 's/^ *//' | grep '^group_id=' || true
}

n_flows() {
    dump_flows "$1" | wc -l
}

n_groups() {
    dump_groups "$1" | wc -l
}

# now: the wall clock, seconds since the epoch, to the microsecond.
now() {
    date +%s.%6N
}

# field KEY LINE: the value of KEY=VALUE in LINE.
field() {
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# flowlbd_start STATE-FILE RUN [keep]: starts a fresh flowlbd with an empty
# STATE-FILE (or, with "keep", the one there), logging to
# $work/flowlbd-RUN.log, as the controller of br0 (emptied first), and
# waits until it has br0 in sync.
flowlbd_start() {
    [ -z "$flowlbd_pid" ] || stop_pid "$flowlbd_pid"
    flowlbd_pid=
    ofctl del-flows br0
    ofctl del-groups br0
    [ "${3:-}" = keep ] || rm -f "$1"
    log=$work/flowlbd-$2.log
    "$FLOWLBD" --detach --no-chdir --pidfile="$work/flowlbd.pid" \
        --log-file="$log" -vconsole:off --ofp-listen=tcp:127.0.0.1:0 \
        --rest=127.0.0.1:0 --state-file="$1" 2> "$work/flowlbd.stderr"
    flowlbd_pid=$(cat "$work/flowlbd.pid")
    ofp_port=$(sed -n "s/.*listening for OpenFlow switches on $LOOP\
\([0-9]*\).*/\\1/p" "$log")
    rest_port=$(sed -n "s|.*REST API listening on http://127.0.0.1:\
\([0-9]*\).*|\\1|p" "$log")
    ovs-vsctl --timeout=10 set-controller br0 tcp:127.0.0.1:"$ofp_port"
    wait_until "$CLIENT sync $rest_port $DPID 2>/dev/null \
                | grep -q '\"in_sync\": true'"
}

# The bodies: one JSON object a line.
bodies=$work/bodies
$CLIENT bodies "$SERVICES" "$MEMBERS" > "$bodies"

# run_flowlbd NAME ROUND CLIENT-KIND STATE-DIR: one flowlbd run, which
# appends "NAME log_s poll_s calls" to $work/times and the PATCH's figures
# to $work/patch.
run=0
run_flowlbd() {
    run=$((run + 1))
    state=$4/state.json
    flowlbd_start "$state" $run
    url=http://127.0.0.1:$rest_port/v1/services
    # The poller starts now and waits on the fifo for the load to end.
    rm -f "$work/go"
    mkfifo "$work/go"
    $CLIENT wait "$rest_port" $DPID "$log" < "$work/go" > "$work/wait" &
    waiter=$!
    exec 3> "$work/go"
    case $3 in
        curl)
            start=$(now)
            while read -r body; do
                curl -sS -H 'Content-Type: application/json' -d "$body" \
                    -w '\n@@ %{http_code}\n' "$url"
            done < "$bodies" > "$work/answers"
            echo "$start" >&3
            load=$($CLIENT answers "$work/answers")
            ;;
        curl-xargs)
            start=$(now)
            xargs -d '\n' -n 1 -P "$CLIENTS" curl -sS \
                -H 'Content-Type: application/json' \
                -w '\n@@ %{http_code}\n' "$url" -d < "$bodies" \
                > "$work/answers"
            echo "$start" >&3
            load=$($CLIENT answers "$work/answers")
            ;;
        http)
            load=$($CLIENT load "$rest_port" "$bodies" "$CLIENTS")
            start=$(field start "$load")
            echo "$start" >&3
            ;;
    esac
    calls=$(field calls "$load")
    gen=$(field generation "$load")
    echo "$gen" >&3
    exec 3>&-
    wait $waiter
    res=$(cat "$work/wait")
    echo "$1|$(field log_s "$res")|$(field poll_s "$res")|$calls" \
        >> "$work/times"

    # What it holds and costs, once loaded.
    sync=$($CLIENT sync "$rest_port" $DPID)
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$flowlbd_pid/status")
    echo "$1|$rss|$(wc -c < "$state")|$sync" >> "$work/memory"

    if [ ! -f "$work/all.txt" ]; then
        dump_baseline
    fi

    res=$($CLIENT patch "$rest_port" $DPID "$log" "$PATCHED" 2)
    echo "$res" >> "$work/patch"
    printf '.'
}

# run_restart NAME STATE-DIR: restarts flowlbd on the state file the last
# run left in STATE-DIR, with br0 emptied, and appends to $work/times the
# time from its "holds 0 flowlbd flows" log line (it has read the switch)
# to its "in sync" line: compiling every service and one bundle, no REST.
run_restart() {
    run=$((run + 1))
    flowlbd_start "$2/state.json" $run keep
    res=$($CLIENT restart "$log" $DPID)
    echo "$1|$(field log_s "$res")||0" >> "$work/times"
    printf '.'
}

# dump_baseline: what flowlbd installed on br0, as ovs-ofctl input files.
dump_baseline() {
    dump_flows br0 > "$work/flows.txt"
    dump_groups br0 > "$work/groups.txt"
    { sed 's/^/group add /' "$work/groups.txt"
      sed 's/^/flow add /' "$work/flows.txt"; } > "$work/all.txt"
    want_flows=$(wc -l < "$work/flows.txt")
    want_groups=$(wc -l < "$work/groups.txt")
}

# run_ofctl NAME KIND: installs the dump on an empty br1 and appends
# "NAME seconds" to $work/times.
run_ofctl() {
    ofctl del-flows br1
    ofctl del-groups br1
    case $2 in
        two)
            start=$(now)
            ofctl --bundle add-groups br1 "$work/groups.txt"
            ofctl --bundle add-flows br1 "$work/flows.txt"
            end=$(now)
            ;;
        one)
            start=$(now)
            ofctl bundle br1 "$work/all.txt"
            end=$(now)
            ;;
    esac
    got_flows=$(n_flows br1)
    got_groups=$(n_groups br1)
    if [ "$got_flows" != "$want_flows" ] \
        || [ "$got_groups" != "$want_groups" ]; then
        echo "services: $1: br1 holds $got_flows flows and $got_groups" \
             "groups, not $want_flows and $want_groups" >&2
        exit 1
    fi
    # Not only as many: the same.
    dump_flows br1 | sort > "$work/got"
    sort "$work/flows.txt" | cmp -s - "$work/got" \
        && dump_groups br1 | sort > "$work/got" \
        && sort "$work/groups.txt" | cmp -s - "$work/got" || {
        echo "services: $1: br1 does not hold what br0 held" >&2
        exit 1
    }
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    echo "$1|$secs||" >> "$work/times"
    printf '.'
}

M_CURL="flowlbd, curl"
M_XARGS="flowlbd, curl xargs -P $CLIENTS"
M_HTTP="flowlbd, http.client x$CLIENTS"
M_XARGS_SHM="$M_XARGS, tmpfs"
M_HTTP_SHM="$M_HTTP, tmpfs"
M_RESTART="flowlbd restart, state file to in sync"
M_TWO="ovs-ofctl --bundle add-groups, add-flows"
M_ONE="ovs-ofctl bundle (one bundle)"

echo "Open vSwitch: $(ovs-vswitchd --version | head -n 1)"
echo "flowlbd: $("$FLOWLBD" --version 2>/dev/null | head -n 1)"
echo "$SERVICES services of $MEMBERS members (IPv6 VIP, ports [80]," \
     "key src-dst-label, explicit MACs), $ROUNDS rounds"
[ -n "$shm" ] || echo "(no tmpfs rows: SHM_DIR=$SHM_DIR is not usable)"
: > "$work/times"
: > "$work/memory"
: > "$work/patch"
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    run_flowlbd "$M_CURL" $r curl "$work"
    run_flowlbd "$M_XARGS" $r curl-xargs "$work"
    run_flowlbd "$M_HTTP" $r http "$work"
    if [ -n "$shm" ]; then
        run_flowlbd "$M_XARGS_SHM" $r curl-xargs "$shm"
        run_flowlbd "$M_HTTP_SHM" $r http "$shm"
    fi
    run_restart "$M_RESTART" "$work"
    run_ofctl "$M_TWO" two
    run_ofctl "$M_ONE" one
done
echo
echo

# The table: medians, ratios to the one-bundle ovs-ofctl row.
awk -F'|' -v base="$M_ONE" '
    function median(list,    a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
                t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
            }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    !($1 in log_s) { order[++n] = $1 }
    { log_s[$1] = log_s[$1] " " $2; poll[$1] = poll[$1] " " $3
      calls[$1] = $4 }
    END {
        b = median(log_s[base])
        printf "%-42s %6s %8s %8s %7s\n", "method", "calls", "seconds",
               "poll_s", "ratio"
        for (i = 1; i <= n; i++) {
            m = order[i]; s = median(log_s[m])
            printf "%-42s %6s %8.3f %8s %7.1f\n", m,
                   calls[m] == "" ? "-" : calls[m], s,
                   poll[m] ~ /[0-9]/ ? sprintf("%.3f", median(poll[m])) : "-",
                   (b > 0 ? s / b : 0)
        }
    }' "$work/times"
echo
echo "seconds: flowlbd, from before the first REST call to the \"in sync\""
echo "log line (barrier reply); ovs-ofctl, the commands' wall time."
echo "poll_s: to the first GET /v1/switches/$DPID with sync.in_sync true."
echo

last=$(tail -n 1 "$work/memory")
echo "br0 after loading: $(echo "$last" | cut -d'|' -f4)"
echo "flowlbd after loading: VmRSS $(echo "$last" | cut -d'|' -f2) kB," \
     "state file $(echo "$last" | cut -d'|' -f3) bytes"
echo "ovs-ofctl input: $want_flows flows, $want_groups groups"
echo
# Median of the PATCH times; the counters of the last.
awk -v svc="$PATCHED" '
    function get(k,    i, f) {
        for (i = 1; i <= NF; i++) {
            split($i, f, "=")
            if (f[1] == k) return f[2]
        }
    }
    { t[NR] = get("log_s"); line = $0; fm = get("flow_mods")
      gm = get("group_mods"); bu = get("bundles") }
    END {
        for (i = 2; i <= NR; i++)
            for (j = i; j > 1 && t[j - 1] + 0 > t[j] + 0; j--) {
                x = t[j]; t[j] = t[j - 1]; t[j - 1] = x
            }
        m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "PATCH one member weight of %s: %.3f s to in sync (median " \
               "of %d), %d flow_mods, %d group_mods, %d bundles\n",
               svc, m, NR, fm, gm, bu
    }' "$work/patch"
