#!/bin/sh
# Real TCP through IP-in-IP between two OVS bridges on the userspace
# datapath: the system test of ovs-patches' push_ipip and pop_ipip.
#
#   client ns --veth-- [front] ==veth "middle" link== [back] --veth-- server ns
#
# "front" wraps the client's packets in an outer IPv6 header (6 in 6 for
# IPv6, 4 in 6 for IPv4) towards "back", which strips it and delivers the
# inner packet to the server; replies go the same way back.  TCP transfers
# run in both families, and tcpdump on the middle link must show the outer
# header: next header 41 or 4, the front and back addresses, and the outer
# flow label, copied from the inner IPv6 label or hashed from the inner IPv4
# flow.
#
# Needs root, network namespaces, veth and the patched OVS in PATH.  Exits 77
# (skip) when the machine lacks one, 0 when all checks pass, 1 otherwise.
# Everything it creates (namespaces, links, daemons by pid) goes away on exit.

set -u

tag=fl$$
dir=$(mktemp -d "${TMPDIR:-/tmp}/ipip-traffic.XXXXXX")
ns_c=$tag-c
ns_s=$tag-s
# The bridges' names become tap devices in the root namespace: per run, so
# two runs on one machine do not collide.
br_f=$tag-front
br_b=$tag-back
# The userspace datapath's own tap device, also persistent: removed on exit
# only if this run created it (another ovs-vswitchd may be using it).
ovs_netdev_before=no
ip link show ovs-netdev >/dev/null 2>&1 && ovs_netdev_before=yes
key=0x000102030405060708090a0b0c0d0e0f
failed=0

log() { echo "ipip-traffic: $*"; }
skip() { log "skipped: $*"; exit 77; }
fail() { log "FAIL: $*"; failed=1; }

cleanup() {
    for pidfile in "$dir"/ovs-vswitchd.pid "$dir"/ovsdb-server.pid \
                   "$dir"/http6.pid "$dir"/tcpdump.pid; do
        if [ -f "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null
        fi
    done
    # The tap devices below can only go once ovs-vswitchd has let go.
    if [ -f "$dir"/ovs-vswitchd.pid ]; then
        i=0
        while kill -0 "$(cat "$dir"/ovs-vswitchd.pid)" 2>/dev/null \
                && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
    fi
    ip netns del "$ns_c" 2>/dev/null
    ip netns del "$ns_s" 2>/dev/null
    ip link del "$tag-cb" 2>/dev/null
    ip link del "$tag-sb" 2>/dev/null
    ip link del "$tag-mf" 2>/dev/null
    # ovs-vswitchd makes a netdev bridge's tap device persistent: it
    # outlives the daemon unless deleted.
    ip link del "$br_f" 2>/dev/null
    ip link del "$br_b" 2>/dev/null
    if [ "$ovs_netdev_before" = no ]; then
        ip link del ovs-netdev 2>/dev/null
    fi
    if [ "$failed" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$dir"
    else
        log "state kept in $dir"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_until CMD...: polls CMD every 0.1 s for up to 30 s.
wait_until() {
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -ge 300 ]; then
            return 1
        fi
        sleep 0.1
    done
}

[ "$(id -u)" = 0 ] || skip "needs root"
for tool in ip ethtool tcpdump curl python3 ovs-vswitchd ovs-ofctl; do
    command -v $tool >/dev/null 2>&1 || skip "$tool not found"
done
ip netns add "$ns_c" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$ns_s"
ovs-ofctl parse-flow 'ip,nw_proto=4,actions=pop_ipip' >/dev/null 2>&1 || {
    fail "the OVS in PATH lacks pop_ipip: not flowlb's patched build"
    exit 1
}

# OVS in a private directory, userspace datapath.
export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir
ovsdb-tool create "$dir/conf.db" "${OVS_SRCDIR:?}/vswitchd/vswitch.ovsschema"
ovsdb-server --detach --no-chdir --pidfile --log-file \
    --remote=punix:"$dir/db.sock" -vconsole:off "$dir/conf.db" || exit 1
ovs-vsctl --no-wait init
ovs-vswitchd --detach --no-chdir --pidfile --log-file -vconsole:off || exit 1
vsctl() { ovs-vsctl --timeout=20 "$@"; }

# quiet DEV: no IPv6 on bridge-side link DEV, so that the kernel sends no
# router solicitations or MLD reports into the bridges.
quiet() {
    sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
}

# host NS BRIDGE-SIDE ADDR6 ADDR4: a host in NS, linked to BRIDGE-SIDE.
host() {
    ns=$1 side=$2 addr6=$3 addr4=$4
    ip link add "$side" type veth peer name eth0 netns "$ns"
    quiet "$side"
    ip -n "$ns" addr add "$addr6/64" dev eth0 nodad
    ip -n "$ns" addr add "$addr4/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip link set "$side" up
    ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
    ethtool -K "$side" tx off >/dev/null
}
host "$ns_c" "$tag-cb" 2001:db8:1::1 10.1.0.1
host "$ns_s" "$tag-sb" 2001:db8:1::2 10.1.0.2
mac_c=$(ip -n "$ns_c" -br link show eth0 | awk '{print $3}')
mac_s=$(ip -n "$ns_s" -br link show eth0 | awk '{print $3}')
# Only IP crosses the tunnel: resolve the neighbours statically.
ip -n "$ns_c" neigh add 2001:db8:1::2 lladdr "$mac_s" dev eth0 nud permanent
ip -n "$ns_c" neigh add 10.1.0.2 lladdr "$mac_s" dev eth0 nud permanent
ip -n "$ns_s" neigh add 2001:db8:1::1 lladdr "$mac_c" dev eth0 nud permanent
ip -n "$ns_s" neigh add 10.1.0.1 lladdr "$mac_c" dev eth0 nud permanent

# The middle link carries 40 more bytes per packet than the hosts' MTU.
ip link add "$tag-mf" type veth peer name "$tag-mb"
quiet "$tag-mf"
quiet "$tag-mb"
ip link set "$tag-mf" mtu 1600 up
ip link set "$tag-mb" mtu 1600 up
ethtool -K "$tag-mf" tx off >/dev/null
ethtool -K "$tag-mb" tx off >/dev/null

vsctl add-br "$br_f" -- set bridge "$br_f" datapath_type=netdev fail-mode=secure \
    -- add-port "$br_f" "$tag-cb" -- set interface "$tag-cb" ofport_request=1 \
    -- add-port "$br_f" "$tag-mf" -- set interface "$tag-mf" ofport_request=2 \
    -- add-br "$br_b" -- set bridge "$br_b" datapath_type=netdev fail-mode=secure \
    -- add-port "$br_b" "$tag-mb" -- set interface "$tag-mb" ofport_request=1 \
    -- add-port "$br_b" "$tag-sb" -- set interface "$tag-sb" ofport_request=2 \
    || exit 1

# Front stage: encapsulate towards the back stage, decapsulate replies.
cat > "$dir/front.flows" <<EOF
in_port=1,ipv6 actions=push_ipip(src=fd00:f::f,dst=fd00:f::b,key=$key),output:2
in_port=1,ip actions=push_ipip(src=fd00:f::f,dst=fd00:f::b,key=$key),output:2
in_port=2,ipv6,nw_proto=41 actions=pop_ipip,output:1
in_port=2,ipv6,nw_proto=4 actions=pop_ipip,output:1
EOF
# Back stage: the mirror image.
cat > "$dir/back.flows" <<EOF
in_port=1,ipv6,nw_proto=41 actions=pop_ipip,output:2
in_port=1,ipv6,nw_proto=4 actions=pop_ipip,output:2
in_port=2,ipv6 actions=push_ipip(src=fd00:f::b,dst=fd00:f::f,key=$key),output:1
in_port=2,ip actions=push_ipip(src=fd00:f::b,dst=fd00:f::f,key=$key),output:1
EOF
ovs-ofctl -O OpenFlow13 add-flows "$br_f" "$dir/front.flows" || exit 1
ovs-ofctl -O OpenFlow13 add-flows "$br_b" "$dir/back.flows" || exit 1

# A server that answers GET with 1 MB, so that full-size segments cross.
head -c 1000000 /dev/urandom > "$dir/blob"
ip netns exec "$ns_s" python3 -m http.server --bind :: --directory "$dir" \
    8000 > "$dir/http.log" 2>&1 &
echo $! > "$dir/http6.pid"
wait_until ip netns exec "$ns_s" sh -c 'ss -ltn | grep -q ":8000 "' \
    || { fail "HTTP server did not start"; exit 1; }

tcpdump -i "$tag-mf" -n -U -w "$dir/middle.pcap" 2> "$dir/tcpdump.log" &
echo $! > "$dir/tcpdump.pid"
wait_until grep -q "listening on" "$dir/tcpdump.log" \
    || { fail "tcpdump did not start"; exit 1; }

want=$(sha256sum < "$dir/blob")
for url in "http://[2001:db8:1::2]:8000/blob" "http://10.1.0.2:8000/blob"; do
    got=$(ip netns exec "$ns_c" curl -sS -g --max-time 30 "$url" | sha256sum)
    if [ "$got" = "$want" ]; then
        log "ok: TCP transfer of 1 MB from $url"
    else
        fail "TCP transfer from $url"
    fi
done

kill "$(cat "$dir/tcpdump.pid")"
rm -f "$dir/tcpdump.pid"
wait_until sh -c "tcpdump -n -r '$dir/middle.pcap' 2>/dev/null | grep -q ."

# Every packet on the middle link is IPv6 between the stages, next header 41
# (IPv6 inside) or 4 (IPv4 inside).
tcpdump -n -v -r "$dir/middle.pcap" 2>/dev/null > "$dir/middle.txt"
python3 - "$dir/middle.pcap" <<'EOF' || failed=1
import struct
import sys

with open(sys.argv[1], "rb") as f:
    data = f.read()
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
off = 24
counts = {}
bad = 0
while off + 16 <= len(data):
    _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
    pkt = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    if struct.unpack("!H", pkt[12:14])[0] != 0x86DD:
        bad += 1
        continue
    outer = pkt[14:54]
    vtcfl, plen, nxt, hlim = struct.unpack("!IHBB", outer[:8])
    label = vtcfl & 0xFFFFF
    src, dst = outer[8:24].hex(), outer[24:40].hex()
    stages = {"fd00000f00000000000000000000000f",
              "fd00000f00000000000000000000000b"}
    inner = pkt[54:]
    if {src, dst} != stages or plen != len(inner) or nxt not in (4, 41):
        bad += 1
        continue
    if nxt == 41:
        inner_label = struct.unpack("!I", inner[:4])[0] & 0xFFFFF
        kind = "6in6 label copied" if label == inner_label and label else \
            "6in6 label hashed" if label else "6in6 label zero"
    else:
        kind = "4in6 label hashed" if label else "4in6 label zero"
    counts[kind] = counts.get(kind, 0) + 1
for kind in sorted(counts):
    print("ipip-traffic: middle link: %d packets %s" % (counts[kind], kind))
if bad:
    print("ipip-traffic: FAIL: %d packets on the middle link are not "
          "IP-in-IPv6 between the stages" % bad)
    sys.exit(1)
if not counts.get("6in6 label copied") or not counts.get("4in6 label hashed") \
        or counts.get("6in6 label zero") or counts.get("4in6 label zero"):
    print("ipip-traffic: FAIL: expected copied 6in6 and hashed 4in6 labels")
    sys.exit(1)
EOF
# What an operator sees in tcpdump: the outer header with its flow label.
grep -m1 'next-header IPIP (4).*proto TCP' "$dir/middle.txt" | sed 's/^/ipip-traffic: tcpdump: /'
grep -m1 'next-header IPv6 (41).*next-header TCP' "$dir/middle.txt" | sed 's/^/ipip-traffic: tcpdump: /'

# ovs-vswitchd logged no warnings or errors.
if grep -E '\|(WARN|ERR|EMER)\|' "$dir/ovs-vswitchd.log"; then
    fail "ovs-vswitchd logged warnings"
fi

if [ "$failed" = 0 ]; then
    log "all checks passed"
fi
exit $failed
