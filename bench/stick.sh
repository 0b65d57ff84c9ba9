#!/bin/sh
# The cost of flowlb's pipelines on OVS's userspace datapath, with real
# packets (issue 5's benchmark, docs/performance.md):
#
#   1. megaflows and upcalls per SESSIONS (default 1,000) sessions for the
#      stateless label key (key src-dst-label), the stateless 5-tuple key
#      (key 5tuple) and stateful mode (persistence stateful), and the stick
#      entries stateful mode learns;
#   2. the forwarding rate of each pipeline as a ratio to plain forwarding
#      (a bridge whose only flow is NORMAL) in the same run: ROUNDS
#      interleaved rounds (plain, label, 5tuple, stateful, plain, ...),
#      median and spread.
#
#      client --veth p1-- [br0: flowlbd, 3 services] --veth pN-- sinks s1..s4
#      client --veth q1-- [br1: NORMAL only]         --veth qN-- sinks s1..s4
#
# The traffic is trafgen's (netsniff-ng), from the client namespace: SESSIONS
# UDP/IPv6 sessions to port 5000, each with its own flow label and source
# port, each 4 packets: a plain one, one with a Destination Options header,
# and a datagram in two fragments (bench/stick-gen.py; 80 to 102-byte
# frames).  The three services have their own VIPs and the same 4 members,
# with their MACs given (no neighbour resolution); the plain rounds send the
# same packets (VIP of the label service) on br1 with a sink's MAC as the
# destination, session i to sink i % 4.  The sinks have IPv6 disabled: they
# count the frames (interface rx_packets) and drop them, and send nothing.
# Both bridges are on the same userspace datapath; OVS's static FDB entries
# (fdb/add) give NORMAL the sinks' ports, so nothing is flooded.
#
# ovs-vswitchd (all its threads: veth ports are polled by its main thread)
# and flowlbd run pinned to CPU 0 (OVS_CPU), trafgen to CPU 1 (GEN_CPU).
#
# Megaflows: for each pipeline, the datapath is emptied
# (revalidator/purge), its statistics cleared, and trafgen sends the
# 4 x SESSIONS packets once, GEN_GAP (100us) apart ("new": first packets
# of every session), then, after revalidator/wait, once more
# ("established").  (trafgen's -b rate limit sends bursts of hundreds of
# packets, which overflow the socket OVS reads a veth through; -t, a gap
# between single sends, does not.)  After each pass: megaflows (dpctl/dump-flows, by
# fragment kind), upcalls ("miss with success upcall" of
# dpif-netdev/pmd-stats-show), packets the sinks received, and for stateful
# mode the learned entries in tables 10 (5-tuple) and 11 (label).
#
# Rates: for each pipeline of each round, revalidator/purge, then trafgen
# at full speed for WARMUP (1) + MEASURE (3) seconds; over the last MEASURE
# seconds the frames the sinks received per second (the forwarding rate),
# the frames the client's veth sent (offered load) and ovs-vswitchd's CPU
# use.  The ratio of a pipeline in a round is its rate over the mean of
# the plain rounds before and after it.
#
# usage: bench/stick.sh    (as root, after make)
#
# Environment: SESSIONS, ROUNDS (default 15), WARMUP, MEASURE, GEN_GAP,
# OVS_CPU, GEN_CPU, OVS_BUILDDIR (default ovs-build/openvswitch beside this
# script's directory), FLOWLBD, STICK_KEEP=DIR (keeps logs and dumps),
# PIPELINES (default "label 5tuple stateful"; stateful is skipped, with a
# note, when flowlbd refuses "persistence": "stateful").
#
# Everything it creates (namespaces, with the veths and the datapath's tap
# devices in them, daemons by pid) goes away on exit.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
OVS_BUILDDIR=${OVS_BUILDDIR:-$top/ovs-build/openvswitch}
FLOWLBD=${FLOWLBD:-$top/controller/flowlbd}
SESSIONS=${SESSIONS:-1000}
ROUNDS=${ROUNDS:-15}
WARMUP=${WARMUP:-1}
MEASURE=${MEASURE:-3}
GEN_GAP=${GEN_GAP:-100us}
OVS_CPU=${OVS_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
PIPELINES=${PIPELINES:-label 5tuple stateful}
PYTHON=python3
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
TIMEOUT=30

log() { echo "stick: $*" >&2; }
die() { log "$*"; exit 1; }

# skip REASON: this machine cannot run it (exit 77, autotest's skip).
skip() { log "skipped: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veths)"
for p in ovsdb/ovsdb-tool ovsdb/ovsdb-server vswitchd/ovs-vswitchd \
         utilities/ovs-vsctl utilities/ovs-ofctl utilities/ovs-appctl; do
    [ -x "$OVS_BUILDDIR/$p" ] || die "no $p in $OVS_BUILDDIR (run make)"
done
[ -x "$FLOWLBD" ] || die "no $FLOWLBD (run make)"
for p in ip ethtool taskset pgrep trafgen curl jq $PYTHON; do
    command -v $p > /dev/null \
        || skip "needs $p (trafgen: apt-get install netsniff-ng)"
done
[ "$(nproc)" -gt "$GEN_CPU" ] && [ "$(nproc)" -gt "$OVS_CPU" ] \
    || skip "needs CPUs $OVS_CPU and $GEN_CPU"
PATH=$OVS_BUILDDIR/ovsdb:$OVS_BUILDDIR/vswitchd:$OVS_BUILDDIR/utilities:$PATH
export PATH

tag=stk$$
work=$(mktemp -d "${TMPDIR:-/tmp}/flowlb-stick.XXXXXX")
OVS_RUNDIR=$work OVS_LOGDIR=$work OVS_DBDIR=$work OVS_SYSCONFDIR=$work
OVS_PKGDATADIR=$work
export OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR OVS_PKGDATADIR
sinks="s1 s2 s3 s4"
net=2001:db8:f1b:
client_ip=${net}:11
client_mac=02:00:00:00:01:11
dpid=00000000000000b5
port=5000

sink_mac() { echo "02:00:00:00:01:2${1#s}"; }
sink_ip() { echo "${net}:2${1#s}"; }
vip() {
    case $1 in label) echo ${net}:100 ;; 5tuple) echo ${net}:101 ;;
               stateful) echo ${net}:102 ;; plain) echo ${net}:100 ;; esac
}

# alive PID: PID exists and is not a zombie.
alive() {
    case $(sed -e 's/.*) //' -e 's/ .*//' "/proc/$1/stat" 2>/dev/null) in
        Z | X | "") return 1 ;;
    esac
}

# stop_pidfile FILE [SIGNAL]: ends the process whose pid FILE holds (with
# SIGNAL, default TERM) and waits until it has gone (SIGKILL after 5 s).
stop_pidfile() {
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    kill -"${2:-TERM}" "$pid" 2> /dev/null || true
    i=0
    while alive "$pid" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$pid" 2> /dev/null || true
    rm -f "$1"
}

# stop_trafgen: stops the trafgen started last.  trafgen forks its
# workers (one with -P 1), and the parent waits for them: SIGINT to the
# workers, then to the parent.
stop_trafgen() {
    [ -f "$work/trafgen.pid" ] || return 0
    children=$(pgrep -P "$(cat "$work/trafgen.pid")" || true)
    for child in $children; do
        kill -INT "$child" 2> /dev/null || true
    done
    stop_pidfile "$work/trafgen.pid" INT
    for child in $children; do
        if alive "$child"; then
            sleep 1
            kill -9 "$child" 2> /dev/null || true
        fi
    done
}

cleanup() {
    set +e
    stop_trafgen
    stop_pidfile "$work/flowlbd.pid"
    stop_pidfile "$work/ovs-vswitchd.pid"
    stop_pidfile "$work/ovsdb-server.pid"
    # Deleting a namespace deletes the veths and tap devices in it; both
    # ends of every veth live in one of ours.
    for h in sw c $sinks; do
        ip netns del "$tag-$h" 2> /dev/null
    done
    if [ -n "${STICK_KEEP:-}" ]; then
        mkdir -p "$STICK_KEEP"
        cp -r "$work"/. "$STICK_KEEP"/ 2> /dev/null
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
# Namespaces and veths.  No IPv6 (or IPv4) anywhere but on the switch's
# loopback: the hosts send nothing of their own, the sinks drop what they
# get after counting it.

newns() {
    ip netns add "$tag-$1"
    in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
    ip -n "$tag-$1" link set lo up
}

# veth HOST IFNAME MAC PORT: a veth from HOST's IFNAME (with MAC) to the
# switch namespace's PORT.
veth() {
    ip -n "$tag-sw" link add "$4" type veth peer name "$2" netns "$tag-$1"
    ip -n "$tag-$1" link set "$2" address "$3"
    in_ns sw ethtool -K "$4" tx off > /dev/null
    in_ns "$1" ethtool -K "$2" tx off > /dev/null
    ip -n "$tag-$1" link set "$2" up
    ip -n "$tag-sw" link set "$4" up
}

ip netns add "$tag-sw" || skip "cannot create network namespaces"
ip -n "$tag-sw" link set lo up
in_ns sw sysctl -qw net.ipv6.conf.default.disable_ipv6=1
newns c
veth c eth0 $client_mac p1
veth c eth1 $client_mac q1
n=1
for s in $sinks; do
    n=$((n + 1))
    newns $s
    veth $s eth0 "$(sink_mac $s)" p$n
    veth $s eth1 "$(sink_mac $s)" q$n
done

# ---------------------------------------------------------------------------
# OVS and flowlbd in the switch namespace, pinned to $OVS_CPU.

in_ns sw ovsdb-tool create "$work/conf.db" \
    "$OVS_BUILDDIR/vswitchd/vswitch.ovsschema"
in_ns sw ovsdb-server -vconsole:off --detach --no-chdir --pidfile --log-file \
    --remote=punix:"$work/db.sock" "$work/conf.db"
ovs-vsctl --no-wait init
# Megaflows outlive a pass of the megaflow measurement (max-idle, ms);
# every measurement starts from an empty datapath anyway.
ovs-vsctl --no-wait set Open_vSwitch . other_config:max-idle=60000
in_ns sw taskset -c "$OVS_CPU" ovs-vswitchd -vconsole:off --detach \
    --no-chdir --pidfile --log-file --disable-system
vsctl() { ovs-vsctl --timeout=20 "$@"; }
ofctl() { ovs-ofctl -O OpenFlow15 "$@"; }
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
    other-config:disable-in-band=true \
    -- add-br br1 -- set bridge br1 datapath_type=netdev
for n in 1 2 3 4 5; do
    set -- "$@" -- add-port br0 p$n -- set interface p$n ofport_request=$n \
        -- add-port br1 q$n -- set interface q$n ofport_request=$n
done
vsctl "$@" -- set-controller br0 tcp:127.0.0.1:$ofp_port
# NORMAL's MAC table: static entries, never flooded, never aged.
n=1
for s in $sinks; do
    n=$((n + 1))
    appctl fdb/add br0 p$n 0 "$(sink_mac $s)" > /dev/null
    appctl fdb/add br1 q$n 0 "$(sink_mac $s)" > /dev/null
done
appctl fdb/add br0 p1 0 $client_mac > /dev/null
appctl fdb/add br1 q1 0 $client_mac > /dev/null

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

members=$(for s in $sinks; do
              printf '{"address": "%s", "mac": "%s"}\n' \
                  "$(sink_ip $s)" "$(sink_mac $s)"
          done | jq -s -c .)

# service PIPELINE EXTRA-JSON: creates PIPELINE's service, waits until it
# is in sync; fails if flowlbd refuses it (the answer in $work/PIPELINE.err).
service() {
    body=$(jq -n -c --arg name "lb-$1" --arg vip "$(vip "$1")" \
               --argjson port $port --argjson m "$members" --argjson x "$2" \
               '{name: $name, vip: $vip, protocol: "udp", ports: [$port],
                 members: $m} + $x')
    if ! rest POST /v1/services "$body" > "$work/$1.json" 2> "$work/$1.err"
    then
        cat "$work/$1.json" >> "$work/$1.err"
        return 1
    fi
    wait_until "rest GET /v1/services/lb-$1 | jq -e '
        (.status.switches | length > 0 and all(.sync == \"in-sync\"))' \
        > /dev/null"
}

pipelines=
for p in $PIPELINES; do
    case $p in
        label) x='{"key": "src-dst-label"}' ;;
        5tuple) x='{"key": "5tuple"}' ;;
        stateful) x='{"key": "src-dst-label", "persistence": "stateful"}' ;;
        *) die "unknown pipeline $p (known: label 5tuple stateful)" ;;
    esac
    if service $p "$x"; then
        pipelines="$pipelines $p"
    else
        log "$p skipped: flowlbd refused $x: $(head -c 300 "$work/$p.err")"
    fi
done
[ -n "$pipelines" ] || die "no pipeline to measure"
ofctl dump-flows br0 > "$work/flows-br0.txt"
ofctl dump-groups br0 > "$work/groups-br0.txt"

# The traffic: one trafgen configuration per pipeline.
all_sink_macs=$(for s in $sinks; do sink_mac $s; done | paste -sd ,)
for p in plain $pipelines; do
    if [ $p = plain ]; then dmac=$all_sink_macs; else dmac=$vmac; fi
    $PYTHON "$top/bench/stick-gen.py" "$SESSIONS" $client_mac "$dmac" \
        $client_ip "$(vip $p)" $port > "$work/$p.cfg"
done
cycle=$((SESSIONS * 4))

dev_of() { if [ "$1" = plain ]; then echo eth1; else echo eth0; fi; }

# counter NS DEV rx|tx: packets received or sent by DEV in NS.
counter() {
    ip -n "$tag-$1" -s -j link show dev "$2" | jq ".[0].stats64.$3.packets"
}

# sink_rx DEV: frames received by the sinks' DEVs, summed.
sink_rx() {
    t=0
    for s in $sinks; do
        t=$((t + $(counter $s "$1" rx)))
    done
    echo $t
}

# pmd_stat FIELD: FIELD of dpif-netdev/pmd-stats-show, summed over threads.
pmd_stat() {
    appctl dpif-netdev/pmd-stats-show \
        | awk -v f="$1:" '{ line = $0; sub(/^[ \t]*/, "", line) }
                          index(line, f) == 1 { n += $NF }
                          END { print n + 0 }'
}

# trafgen_start PIPELINE [ARGS]: trafgen from the client, on $GEN_CPU.
trafgen_start() {
    p=$1
    shift
    # Not through in_ns: $! must be trafgen's pid (ip and taskset exec it),
    # not a subshell's.
    ip netns exec "$tag-c" taskset -c "$GEN_CPU" trafgen -o "$(dev_of $p)" \
        -i "$work/$p.cfg" -P 1 --no-sock-mem -Q -C "$@" \
        > "$work/trafgen.out" 2>&1 &
    echo $! > "$work/trafgen.pid"
}

# vswitchd_cpu: ovs-vswitchd's CPU time so far, in clock ticks.
vswitchd_cpu() {
    awk '{ print $14 + $15 }' "/proc/$(cat "$work/ovs-vswitchd.pid")/stat"
}

if [ -n "${STICK_PAUSE:-}" ]; then
    # Debugging: the lab stays up until $STICK_PAUSE is removed.
    echo "tag=$tag work=$work rest_port=$rest_port" > "$STICK_PAUSE"
    while [ -f "$STICK_PAUSE" ]; do sleep 1; done
fi

echo "Open vSwitch: $(ovs-vswitchd --version | head -n 1)"
echo "flowlbd: $(git -C "$top" describe --always --dirty 2> /dev/null || echo unknown)"
echo "$(nproc) CPUs: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "$SESSIONS sessions x 4 packets (plain, Destination Options, 2 fragments);"
echo "ovs-vswitchd and flowlbd on CPU $OVS_CPU, trafgen on CPU $GEN_CPU."
echo

# ---------------------------------------------------------------------------
# 1. Megaflows and upcalls.

# megaflow_pass PIPELINE PASS: sends the cycle once and prints a row.
megaflow_pass() {
    before=$(sink_rx "$(dev_of $1)")
    trafgen_start $1 -n $cycle -t "$GEN_GAP"
    wait "$(cat "$work/trafgen.pid")" || true
    rm -f "$work/trafgen.pid"
    TIMEOUT=10 wait_until "[ \$((\$(sink_rx $(dev_of $1)) - $before)) \
                            -ge $cycle ]" 2> /dev/null || true
    got=$(($(sink_rx "$(dev_of $1)") - before))
    appctl revalidator/wait > /dev/null
    appctl dpctl/dump-flows > "$work/megaflows-$1-$2.txt"
    mf=$(grep -c 'actions:' "$work/megaflows-$1-$2.txt" || true)
    mf_no=$(grep -c 'frag=no' "$work/megaflows-$1-$2.txt" || true)
    mf_first=$(grep -c 'frag=first' "$work/megaflows-$1-$2.txt" || true)
    mf_later=$(grep -c 'frag=later' "$work/megaflows-$1-$2.txt" || true)
    dp=$(pmd_stat 'packets received')
    up=$(pmd_stat 'miss with success upcall')
    fup=$(pmd_stat 'miss with failed upcall')
    if [ $1 = stateful ]; then
        ofctl dump-flows br0 > "$work/openflow-$1-$2.txt"
        t10=$(grep 'cookie=0xf1b1' "$work/openflow-$1-$2.txt" | grep -c ' table=10,' || true)
        t11=$(grep 'cookie=0xf1b1' "$work/openflow-$1-$2.txt" | grep -c ' table=11,' || true)
        stick="$t10+$t11"
    else
        stick=-
    fi
    printf '%-9s %-12s %12s %9s %18s %8s %7s %9s\n' "$1" "$2" \
        "$dp/$got" "$mf" "$mf_no/$mf_first/$mf_later" "$up" "$fup" \
        "$stick"
}

# split_sessions PIPELINE: the sessions (labels) whose packets the datapath's
# megaflows send to more than one place: the actions of the megaflows with
# the session's label, and of those that match no label (which apply to
# every session).
split_sessions() {
    sed -n 's/.*ipv6(\([^)]*\)).*actions:\(.*\)/\1 \2/p' \
        "$work/megaflows-$1-established.txt" | awk '
        { label = "any"
          if (match($1, /label=0x[0-9a-f]*/))
              label = substr($1, RSTART + 6, RLENGTH - 6)
          act[label, $2] = 1; if (label != "any") labels[label] = 1
          else anyact[$2] = 1 }
        END {
            n = 0; split_ = 0
            for (l in labels) {
                n++; k = 0
                delete seen
                for (key in act) {
                    split(key, f, SUBSEP)
                    if (f[1] == l && !(f[2] in seen)) { seen[f[2]] = 1; k++ }
                }
                for (a in anyact) if (!(a in seen)) { seen[a] = 1; k++ }
                if (k > 1) split_++
            }
            printf "%d of %d", split_, n
        }'
}

echo "1. Megaflows and upcalls: each pass sends the $cycle packets once," \
     "$GEN_GAP apart;"
echo "counts are cumulative from an empty datapath (revalidator/purge)" \
     "before \"new\"."
printf '%-9s %-12s %12s %9s %18s %8s %7s %9s\n' pipeline pass dp/sinks \
    megaflows "no/first/later" upcalls failed "stick"
for p in plain $pipelines; do
    appctl revalidator/purge > /dev/null
    appctl dpif-netdev/pmd-stats-clear > /dev/null
    megaflow_pass $p new
    megaflow_pass $p established
done
echo "dp/sinks: packets the datapath received (cumulative), packets the" \
     "sinks received in this pass;"
echo "megaflows: also by IPv6 fragment kind (frag=no/first/later);" \
     "stick: learned entries in tables 10+11."
printf 'Sessions (labels) whose packets the megaflows send to more than' 
printf ' one member:'
for p in $pipelines; do
    printf ' %s %s;' $p "$(split_sessions $p)"
done
echo
echo

# ---------------------------------------------------------------------------
# 2. Forwarding rates.

hz=$(getconf CLK_TCK)
# snapshot DEV: "TIME SINKS_RX CLIENT_TX OVS_TX OVS_CPU BUSY" for the
# pipeline whose client sends on DEV (eth0: br0, p ports; eth1: br1, q
# ports): the frames the sinks received, the client sent and ovs-vswitchd
# sent to the sinks (the switch side of their veths), ovs-vswitchd's CPU
# time and the whole machine's busy time (ticks).  Only kernel counters:
# ovs-appctl would wait for the busy main thread.
snapshot() {
    if [ "$1" = eth0 ]; then sw=p; else sw=q; fi
    echo "$(date +%s.%N) $(sink_rx "$1") $(counter c "$1" tx)" \
         "$(ip -n "$tag-sw" -s -j link show | jq --arg p "$sw" '
              [.[] | select(.ifname | test("^" + $p + "[2-9]$"))
               | .stats64.tx.packets] | add')" \
         "$(vswitchd_cpu)" \
         "$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)"
}

# rate_run PIPELINE ROUND: appends "PIPELINE ROUND PPS OFFERED OVS_TX CPU
# BUSY" to $work/rates: per second, the frames the sinks received, the
# client sent and ovs-vswitchd sent; ovs-vswitchd's CPU use and the
# machine's (1.00 = one core).
rate_run() {
    dev=$(dev_of $1)
    appctl revalidator/purge > /dev/null
    trafgen_start $1
    sleep "$WARMUP"
    s0=$(snapshot $dev)
    sleep "$MEASURE"
    s1=$(snapshot $dev)
    stop_trafgen
    wait 2> /dev/null || true
    echo "$1 $2 $s0 $s1" | awk -v hz=$hz '{
        d = $9 - $3
        printf "%s %d %.0f %.0f %.0f %.2f %.2f\n", $1, $2, ($10 - $4) / d,
               ($11 - $5) / d, ($12 - $6) / d, ($13 - $7) / hz / d,
               ($14 - $8) / hz / d }' >> "$work/rates"
}

: > "$work/rates"
echo "2. Forwarding rates: $ROUNDS rounds, each pipeline ${WARMUP} s warm-up" \
     "then $MEASURE s measured, trafgen at full speed."
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    for p in plain $pipelines; do
        rate_run $p $r
    done
    printf .
done
rate_run plain $((ROUNDS + 1))
echo
cp "$work/rates" "$work/rates.txt"

echo
# The rates file: PIPELINE ROUND PPS OFFERED OVS_TX CPU BUSY.  us/packet:
# ovs-vswitchd's CPU time per frame it sent, which does not depend on how
# much of the CPU it got (the machine may be shared).
echo "Per round: frames forwarded per second (kpps), ovs-vswitchd CPU per"
echo "frame forwarded (us), the machine's CPU use (busy, 2.00 = both cores):"
awk '
    { pps[$1, $2] = $3; us[$1, $2] = $5 ? $6 * 1e6 / $5 : 0
      busy[$2] = busy[$2] " " $7
      if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
      if ($2 > rounds) rounds = $2 }
    END {
        printf "%-6s", "round"
        for (i = 1; i <= n; i++) printf " %16s", order[i] " kpps/us"
        printf "  busy\n"
        for (r = 1; r <= rounds; r++) {
            printf "%-6d", r
            for (i = 1; i <= n; i++)
                printf " %16s", ((order[i], r) in pps) ? sprintf("%.1f/%.2f", pps[order[i], r] / 1000, us[order[i], r]) : "-"
            printf " %s\n", busy[r]
        }
    }' "$work/rates"

echo
echo "Medians over the rounds (min-max).  rate ratio: a round's rate over"
echo "the mean of the plain rounds before and after it; cpu ratio: the same"
echo "for ovs-vswitchd's CPU per frame, inverted (plain us / pipeline us, so"
echo "that, like the rate ratio, 1 is as fast as plain and less is slower);"
echo "offered: frames trafgen sent; sinks/ovs: frames the sinks received"
echo "over frames ovs-vswitchd sent them."
awk '
    function sort(a, n,    i, j, t) {
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
                t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
            }
    }
    function med(a, n) {
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function range(a, n, f) {
        sort(a, n)
        return sprintf(f " (" f "-" f ")", med(a, n), a[1], a[n])
    }
    { pps[$1, $2] = $3; off[$1, $2] = $4; otx[$1, $2] = $5
      us[$1, $2] = $5 ? $6 * 1e6 / $5 : 0
      if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
      if ($2 > rounds) rounds = $2 }
    END {
        printf "%-9s %17s %20s %17s %20s %17s %9s\n", "pipeline", "kpps",
               "rate ratio", "us/frame", "cpu ratio", "offered kpps",
               "sinks/ovs"
        for (i = 1; i <= n; i++) {
            p = order[i]; k = 0
            delete a; delete b; delete c; delete d; delete e
            for (r = 1; r <= rounds; r++) {
                if (!((p, r) in pps)) continue
                k++
                a[k] = pps[p, r] / 1000; c[k] = us[p, r]
                d[k] = off[p, r] / 1000
                e[k] = otx[p, r] ? pps[p, r] / otx[p, r] : 0
                if (p == "plain") continue
                b[k] = 2 * pps[p, r] / (pps["plain", r] + pps["plain", r + 1])
                f[k] = (us["plain", r] + us["plain", r + 1]) / 2 / us[p, r]
            }
            printf "%-9s %17s %20s %17s %20s %17s %9s\n", p,
                   range(a, k, "%.1f"),
                   p == "plain" ? "1" : range(b, k, "%.3f"),
                   range(c, k, "%.2f"),
                   p == "plain" ? "1" : range(f, k, "%.3f"),
                   range(d, k, "%.0f"), sprintf("%.3f", med(e, k))
        }
    }' "$work/rates"
