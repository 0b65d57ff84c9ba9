#!/bin/sh
# The per-packet cost of datapath actions in the userspace datapath:
# bench/odp-bench times each action list below with odp_execute_actions()
# on batches of 32 packets (median of runs, ns per packet), and callgrind
# counts the instructions per packet that odp_execute_actions() and what it
# calls execute.  Prints one table, with each cost as a ratio to the first
# row, the masked flow-label rewrite that stock OVS emits for
# "set_field:0x123/0x1fff->ipv6_label".
#
# usage: odp-actions.sh   (after "make bench/odp-bench", or "make bench")
#
# Actions that the datapath parser of this OVS build rejects (our new
# actions before their patches are in ovs-patches/) are listed as skipped.
#
# Environment: ODP_BENCH (default bench/odp-bench beside this script),
# REPEAT (processes per action, default 5), RUNS and BATCHES (timed runs
# per process, batches of 32 packets per run), COUNT (packets under
# callgrind), VALGRIND (valgrind, or "no" to skip the instruction counts).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
ODP_BENCH=${ODP_BENCH:-$here/odp-bench}
RUNS=${RUNS:-11}
REPEAT=${REPEAT:-5}
BATCHES=${BATCHES:-4000}
COUNT=${COUNT:-32000}
VALGRIND=${VALGRIND:-valgrind}
KEY=0x000102030405060708090a0b0c0d0e0f

[ -x "$ODP_BENCH" ] || {
    echo "odp-actions: $ODP_BENCH not built (make bench/odp-bench)" >&2
    exit 1
}
if [ "$VALGRIND" != no ] && ! command -v "$VALGRIND" > /dev/null; then
    echo "odp-actions: $VALGRIND not found, no instruction counts" \
         "(apt-get install valgrind)" >&2
    VALGRIND=no
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/flowlb-odp-actions.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' HUP INT PIPE TERM

# The packets, as datapath flow keys; flow_compose() adds 64 bytes of
# payload: 138 bytes for ipv6, 118 for ipv4.  ipv6l has a flow label to
# copy (push_ipip's label=copy hashes when the inner label is 0).
ipv6='in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02),eth_type(0x86dd),ipv6(src=2001:db8:f10::11,dst=2001:db8:f10::21,label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=40000,dst=80)'
ipv6l='in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02),eth_type(0x86dd),ipv6(src=2001:db8:f10::11,dst=2001:db8:f10::21,label=0x12345,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=40000,dst=80)'
ipv4='in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02),eth_type(0x0800),ipv4(src=198.51.100.11,dst=198.51.100.21,proto=6,tos=0,ttl=64,frag=no),tcp(src=40000,dst=80)'

# The rows: name, packet, datapath actions, separated by '|'.  The first
# row is the baseline of the ratios.  tnl_push runs through odp-bench's
# datapath callback, netdev_push_header() on a GRE netdev, as dpif-netdev
# runs it, with headroom to spare: it measures the header push alone.
rows="\
set ipv6 label, masked|ipv6|set(ipv6(label=0x123/0x1fff))
set eth src and dst|ipv6|set(eth(src=50:54:00:00:00:0a,dst=50:54:00:00:00:0b))
tnl_push gre (ipv4, 38 B)|ipv6|tnl_push(tnl_port(4),header(size=38,type=3,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=47,tos=0,ttl=64,frag=0x4000),gre((flags=0x0,proto=0x6558))),out_port(1))
hash_flow_label bits=13|ipv6|hash_flow_label(bits=13,key=$KEY)
push_ipip 6in6 label=copy|ipv6l|push_ipip(src=2001:db8::1,dst=2001:db8::2,proto=41,ttl=64,tos=inherit,label=copy,key=$KEY)
push_ipip 6in6 label=hash|ipv6|push_ipip(src=2001:db8::1,dst=2001:db8::2,proto=41,ttl=64,tos=inherit,label=hash,key=$KEY)
push_ipip 4in6 label=hash|ipv4|push_ipip(src=2001:db8::1,dst=2001:db8::2,proto=4,ttl=64,tos=inherit,label=hash,key=$KEY)
push_ipip 4in4|ipv4|push_ipip(src=192.0.2.1,dst=192.0.2.2,proto=4,ttl=64,tos=inherit)"

# timed FLOW ACTIONS: ns per packet, the median of REPEAT processes' own
# medians: one process's runs agree closely, but two processes can differ
# by more than the difference being measured (CPU placement, neighbours).
timed() {
    i=0
    : > "$work/ns"
    while [ $i -lt "$REPEAT" ]; do
        result=$("$ODP_BENCH" --runs="$RUNS" --batches="$BATCHES" \
                     --flow="$1" "$2" 2>&1) || { echo "$result"; return 1; }
        echo "$result" | sed -n 's/^ns_per_packet=\([0-9.]*\).*/\1/p' \
            >> "$work/ns"
        i=$((i + 1))
    done
    sort -n "$work/ns" | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%s", m }'
}

# instructions FLOW ACTIONS: instructions per packet under callgrind.
instructions() {
    out=$work/callgrind.out
    packets=$("$VALGRIND" --tool=callgrind \
                  --toggle-collect=odp_execute_actions \
                  --callgrind-out-file="$out" "$ODP_BENCH" --count="$COUNT" \
                  --flow="$1" "$2" 2> "$work/valgrind.log" \
              | sed -n 's/^packets=//p')
    # "totals:" (or "summary:") holds the collected events, Ir first.
    ir=$(awk '$1 == "totals:" || $1 == "summary:" { print $2; exit }' "$out")
    if [ -z "$packets" ] || [ -z "$ir" ]; then
        cat "$work/valgrind.log" >&2
        return 1
    fi
    awk -v ir="$ir" -v n="$packets" 'BEGIN { printf "%.1f", ir / n }'
}

echo "Open vSwitch: $("$ODP_BENCH" --version 2>/dev/null | head -n 1 || true)"
echo "odp_execute_actions() on batches of 32 packets.  ns/packet: the median"
echo "over $REPEAT processes of the median of $RUNS runs of" \
     "$((BATCHES * 32)) packets.  instr/packet:"
echo "callgrind's Ir in odp_execute_actions() over $COUNT packets."
echo
printf '%-28s %10s %13s %9s %12s\n' action ns/packet instr/packet \
    'ns ratio' 'instr ratio'
base_ns= base_ir=
notes=
echo "$rows" | while IFS='|' read -r name packet actions; do
    eval "flow=\$$packet"
    if ! err=$("$ODP_BENCH" --parse "$actions" 2>&1); then
        printf '%-28s skipped: the datapath parser rejects it\n' "$name"
        : > "$work/skipped"
        continue
    fi
    ns=$(timed "$flow" "$actions") || {
        printf '%-28s failed: %s\n' "$name" "$ns"
        continue
    }
    ir=-
    if [ "$VALGRIND" != no ]; then
        ir=$(instructions "$flow" "$actions") || ir=failed
    fi
    if [ -z "$base_ns" ]; then
        base_ns=$ns base_ir=$ir
    fi
    awk -v name="$name" -v ns="$ns" -v ir="$ir" -v bns="$base_ns" \
        -v bir="$base_ir" 'BEGIN {
            nr = bns > 0 ? sprintf("%.2f", ns / bns) : "-"
            ir_ok = ir ~ /^[0-9.]+$/ && bir ~ /^[0-9.]+$/ && bir > 0
            irr = ir_ok ? sprintf("%.2f", ir / bir) : "-"
            printf "%-28s %10.1f %13s %9s %12s\n", name, ns, ir, nr, irr
        }'
done
echo
if [ -e "$work/skipped" ]; then
    echo "Skipped: this OVS build's datapath parser rejects the action (not"
    echo "in the series yet, or another syntax: bench/odp-bench --parse" \
         "ACTIONS)."
    echo
fi
echo "Packets (TCP, 64 bytes of payload):"
for packet in ipv6 ipv6l ipv4; do
    eval "flow=\$$packet"
    printf '  %-6s %s\n' "$packet" "$flow"
done
echo "Actions:"
echo "$rows" | while IFS='|' read -r name packet actions; do
    printf '  %-28s on %s: %s\n' "$name" "$packet" "$actions"
done
