#!/bin/sh
# Real traffic through flowlbd's NAT services (issue 6): LSNAT ("forwarding":
# "nat") and LS-NAPT ("napt") over IPv4 and IPv6, NAPT port exhaustion,
# backup members, the load-share algorithms by their behaviour and the
# per-session decision under a SYN flood; the system test of
# docs/pipeline.md's NAT tables, on the userspace datapath (OVS conntrack).
#
#   c1, c2 (clients) --veth--+                 +--veth-- s1, s2, s3 (members)
#                            [br0, netdev datapath]
#                              | OpenFlow     | br0's own port: health probes
#                            flowlbd --REST-- this script
#
# The lab of tests/lb-traffic.sh (tests/traffic-lib.sh): ovs-vswitchd and
# flowlbd in a namespace of their own, hosts in namespaces joined to br0.
# Unlike DSR, the members hold no VIP: br0 translates.  Each member runs
# tests/nat-traffic.py server: TCP port 8080 (HTTP: "NAME PEER PEERPORT",
# the address it saw the client as; HOLD: the same, then kept open) and
# UDP port 7001 (the same line back), and iperf3 on port 5301.  The
# services' VIP ports differ (80, 7000, 5201): the member "port" field
# translates them.
#
# usage: nat-traffic.sh [SCENARIO...]    (default: all of them, in order)
#
#   nat          forwarding nat, IPv4 and IPv6: curl, UDP datagrams (one
#                per socket, a burst from one socket, a one-way flow the
#                member never answers), an iperf3 UDP test and ping through
#                the VIP; the members see the client's own address and the
#                replies come back from the VIP; br0's own address (where
#                health probes come from) still reaches a member's port
#                directly; a connection whose first SYN is lost completes
#                with a retransmitted one (IPv4)
#   napt         the same with napt: the members see the balancer's
#                "source" address, from its port range
#   exhaustion   napt with source_ports of 2 ports and 6 concurrent
#                connections: 2 succeed, the member's napt_exhausted
#                rises, and no untranslated packet reaches the member
#                (tcpdump on the member)
#   backup       member s1 with backup s2: s1 drained, then disabled, its
#                new sessions go to s2 only, s3 keeps its share; disabling
#                s1 flushes its conntrack entries, deleting the service
#                flushes its zone
#   least-sessions  10 connections held on s1 make new ones avoid s1
#   least-traffic   a heavy iperf3 UDP flow on one member moves the bucket
#                weights away from it, and back after the window
#   weights      weighted-round-robin 3:1 and cost-least-load costs
#                1:3:infinity shape the spread of new connections; the
#                infinite-cost member never has a bucket
#   fastest      fastest-response with an HTTP monitor (napt service): a
#                member that answers 50 ms late gets the smaller share
#   passive      passive detection (no monitor, passive_timeout 2): a
#                member that receives but no longer answers the clients
#                goes down, new sessions go to the other one
#   per-session  a raw-socket SYN flood (20,000/s for 4 s) against a
#                per-session service: packet-ins stay within the meter and
#                REST keeps answering
#
# Each check prints "nat-traffic: ok: ..." or "nat-traffic: FAIL: ...";
# numbers as "nat-traffic: SCENARIO: ...".  A scenario whose feature flowlbd
# lacks (REST rejects the fields, the switch refuses the service) fails,
# naming the missing feature.  A daemon that dies fails the run at once.
# NAT_BY_HAND=1 installs the NAT pipeline by hand instead (below);
# NAT_DEBUG=FILE sources FILE in the lab after the scenarios; NAT_HOLD=1
# keeps the lab until $dir/hold is removed.
#
# Needs root, network namespaces, veth, python3, curl, iperf3, tcpdump, the
# patched OVS and flowlbd in PATH (run by hand, it finds them in the source
# tree it lives in).  Exits 77 (skip) when the machine lacks one, 0 when all
# checks pass, 1 otherwise.  Everything it creates goes away on exit;
# KEEP=1 keeps the state directory (logs, dumps) even on success.

set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/tests/traffic-lib.sh"
log_prefix=nat-traffic

all_scenarios="nat napt exhaustion backup least-sessions least-traffic weights fastest passive per-session"
parse_scenarios "$all_scenarios" "$@"
find_programs
helper=$srcdir/tests/nat-traffic.py

tag=nat$$
dir=$(mktemp -d "${TMPDIR:-/tmp}/nat-traffic.XXXXXX")
ns_sw=$tag-sw
clients="c1 c2"
servers="s1 s2 s3"
net=2001:db8:f1e:
net4=198.51.100
dpid=00000000000000b6
failed=0

vip6=${net}:100 vip4=${net4}.100
source6=${net}:200 source4=${net4}.200
br6=${net}:2 br4=${net4}.2      # br0's own address, for health probes

# The hosts: namespace $tag-NAME, interface eth0, the other end pN in $ns_sw
# as OpenFlow port N.
host_port() {
    case $1 in c1) echo 1 ;; c2) echo 2 ;; s1) echo 3 ;; s2) echo 4 ;;
               s3) echo 5 ;; esac
}
host_addr() {
    case $1 in c1) echo ${net}:11 ;; c2) echo ${net}:12 ;; s1) echo ${net}:21 ;;
               s2) echo ${net}:22 ;; s3) echo ${net}:23 ;;
    esac
}
host_addr4() {
    case $1 in c1) echo ${net4}.11 ;; c2) echo ${net4}.12 ;; s1) echo ${net4}.21 ;;
               s2) echo ${net4}.22 ;; s3) echo ${net4}.23 ;;
    esac
}
# addr_of FAMILY HOST: HOST's address of FAMILY (4 or 6).
addr_of() { if [ $1 = 4 ]; then host_addr4 $2; else host_addr $2; fi; }
in_ns() { h=$1; shift; ip netns exec "$tag-$h" "$@"; }

trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE


check_machine iperf3 tcpdump ping

# ---------------------------------------------------------------------------
# The hosts.

for h in $clients $servers; do
    add_host $h
    ip -n $tag-$h addr add "$(host_addr4 $h)/24" dev eth0
done

# ---------------------------------------------------------------------------
# OVS and flowlbd in $ns_sw.

start_ovs
start_flowlbd
case $? in
    0) ;;
    1) fail "flowlbd did not start"; exit 1 ;;
    *) fail "flowlbd's ports not found in its log"; exit 1 ;;
esac
start_bridge || exit 1
wait_switch

# br0's own port (a tap in $ns_sw) on the hosts' networks: flowlbd's
# health probes come from the host's stack, here $ns_sw's.
in_sw sysctl -qw net.ipv6.conf.br0.accept_dad=0
in_sw ip addr add $br6/64 dev br0 nodad
in_sw ip addr add $br4/24 dev br0
in_sw ethtool -K br0 tx off >/dev/null 2>&1
in_sw ip link set br0 up

vmac=$(rest GET /v1/status | jq -r .vmac)

# The members' programs.  Background processes: "ip netns exec" itself, not
# in_ns, so that the pid recorded is the process's.
start_server() {
    ip netns exec $tag-$1 $PYTHON "$helper" server $1 8080 7001 ${2:-0} \
        >> "$dir/server-$1.log" 2>> "$dir/server-$1.err" &
    echo $! > "$dir/server-$1.pid"
}
server_ready() {
    in_ns $1 ss -Hltn '( sport = :8080 )' | grep -q . \
        && in_ns $1 ss -Hlun '( sport = :7001 )' | grep -q .
}
for h in $servers; do
    start_server $h
    ip netns exec $tag-$h iperf3 -s -p 5301 > "$dir/iperf3-$h.log" 2>&1 &
    echo $! > "$dir/iperf3-$h.pid"
done
for h in $servers; do
    wait_until server_ready $h \
        || { fail "the servers in $h did not start: $(cat "$dir/server-$h.err")"; exit 1; }
    wait_until sh -c "ip netns exec $tag-$h ss -Hltn '( sport = :5301 )' | grep -q ." \
        || { fail "iperf3 in $h did not start"; exit 1; }
done

# ---------------------------------------------------------------------------
# Services.

# member FAMILY HOST [FIELDS]: JSON of HOST's member, FIELDS more fields
# (e.g. '"port": 8080').
member() {
    printf '{"address": "%s"%s}' "$(addr_of $1 $2)" "${3:+, $3}"
}

# svc_json NAME FAMILY PROTOCOL PORTS FORWARDING MEMBERS [EXTRA]: JSON of a
# service on the FAMILY VIP; MEMBERS a JSON array; EXTRA more fields.
svc_json() {
    eval v=\$vip$2
    printf '{"name": "%s", "vip": "%s", "protocol": "%s", "ports": [%s], "forwarding": "%s", "members": %s%s}' \
        "$1" $v "$3" "$4" "$5" "$6" "${7:+, $7}"
}

# The service's live data.
svc() { rest GET /v1/services/$id; }

# feature_missing WHAT ANSWER: the REST answer to a service with WHAT's
# fields was an error: fail loudly, naming the feature, so that the
# scenario shows up red until flowlbd has it.
feature_missing() {
    fail "$1: flowlbd does not take it yet (feature not merged?): $2"
}

# nat_service SCENARIO JSON: creates the service (sets $id) and waits for
# it; fails with feature_missing if flowlbd rejects it.
nat_service() {
    if [ -n "${NAT_BY_HAND:-}" ]; then
        hand_service "$2"
        return
    fi
    if ! svc=$(rest POST /v1/services "$2" 2>&1); then
        feature_missing "$1" "$svc"
        return 1
    fi
    id=$(echo "$svc" | jq -r .id)
    wait_service $id
}

# ---------------------------------------------------------------------------
# NAT_BY_HAND=1: nat_service installs the contract's NAT pipeline
# (docs/pipeline.md "NAT services") by hand instead of asking flowlbd, with
# cookies and group ids flowlbd does not own: for checking the lab and the
# pipeline itself against OVS.  Only the fields vip, protocol, ports,
# forwarding, members (address, port), source and source_ports count, and
# there is no REST status: the nat, napt and exhaustion scenarios only.
# It has three changes that the checks here showed the pipeline needs:
#   - table 40: a new session's later packets (a retransmitted SYN, UDP
#     before the first answer) are "+new+dnat", their destination already
#     translated: to table 41, not to NORMAL;
#   - NAT: connections to a member's port that do not come through the
#     VIP (health probes) are committed in the zone without a mark
#     (table 0 "nw_dst=MEMBER,tp_dst=PORT", table 40 "+new":
#     "ct(commit),NORMAL"), and their packets (ct_mark 0) go to NORMAL, so
#     that the member's answers are not invalid;
#   - the members' neighbour discovery bypasses conntrack.

hand_n=0
mac_of() { ip -n $tag-$1 link show eth0 | awk '/link\/ether/ { print $2 }'; }
host_of() {
    for h in $clients $servers; do
        if [ "$(host_addr $h)" = $1 ] || [ "$(host_addr4 $h)" = $1 ]; then
            echo $h
        fi
    done
}
hand_service() {
    hand_n=$((hand_n + 1))
    id=$((100 + hand_n))
    h_zone=$id h_z2=$((id + 32768)) h_group=$((id * 16 + 15))
    hcookie=$(printf '0x5a7c%012x' $id)
    h_j=$1
    h_vip=$(echo "$h_j" | jq -r .vip)
    h_fwd=$(echo "$h_j" | jq -r .forwarding)
    case $h_vip in
        *:*) h_ip=ipv6 h_src=ipv6_src h_dst=ipv6_dst h_tcp=tcp6 h_udp=udp6
             h_hfields="ipv6_src,ipv6_dst,nw_proto,tcp_src,tcp_dst,udp_src,udp_dst" ;;
        *) h_ip=ip h_src=nw_src h_dst=nw_dst h_tcp=tcp h_udp=udp
           h_hfields="nw_src,nw_dst,nw_proto,tcp_src,tcp_dst,udp_src,udp_dst" ;;
    esac
    h_ports=$(echo "$h_j" | jq -r '.ports[]?')
    case $(echo "$h_j" | jq -r .protocol) in
        tcp) h_protos=$h_tcp ;;
        udp) h_protos=$h_udp ;;
        *) h_protos=$h_ip; [ -n "$h_ports" ] && h_protos="$h_tcp $h_udp" ;;
    esac
    h_source=$(echo "$h_j" | jq -r '.source // empty')
    h_sa=$h_source; case $h_source in *:*) h_sa="[$h_source]" ;; esac
    h_lo=$(echo "$h_j" | jq -r '.source_ports[0] // 1024')
    h_hi=$(echo "$h_j" | jq -r '.source_ports[1] // 65535')
    to_ct="set_field:$id->reg1,ct(zone=$h_zone,nat,table=40)"
    h_f=$dir/hand-$id.flows
    : > $h_f
    for h_p in $h_protos; do
        if [ -n "$h_ports" ] && [ $h_p != $h_ip ]; then
            for h_port in $h_ports; do
                echo "table=0,priority=500,$h_p,$h_dst=$h_vip,tp_dst=$h_port actions=$to_ct" >> $h_f
                echo "table=40,priority=90,reg1=$id,ct_state=+new+trk,$h_p,$h_dst=$h_vip,tp_dst=$h_port actions=group:$h_group" >> $h_f
            done
        else
            echo "table=0,priority=500,$h_p,$h_dst=$h_vip actions=$to_ct" >> $h_f
            echo "table=40,priority=90,reg1=$id,ct_state=+new+trk,$h_p,$h_dst=$h_vip actions=group:$h_group" >> $h_f
        fi
    done
    echo "table=40,priority=100,reg1=$id,ct_state=+inv+trk actions=drop" >> $h_f
    echo "table=40,priority=95,reg1=$id,ct_state=+new+dnat+trk actions=resubmit(,41)" >> $h_f
    if [ $h_fwd = napt ]; then
        echo "table=40,priority=80,reg1=$id,ct_state=+new+trk actions=NORMAL" >> $h_f
    else
        echo "table=40,priority=80,reg1=$id,ct_state=+new+trk,$h_ip actions=ct(commit,zone=$h_zone),NORMAL" >> $h_f
        echo "table=40,priority=15,reg1=$id,ct_state=+trk,ct_mark=0/0xffff actions=NORMAL" >> $h_f
    fi
    echo "table=40,priority=10,reg1=$id actions=resubmit(,41)" >> $h_f
    if [ $h_fwd = napt ]; then
        echo "table=0,priority=500,$h_ip,$h_dst=$h_source actions=set_field:$id->reg1,ct(zone=$h_z2,nat,table=43)" >> $h_f
        echo "table=43,priority=10,reg1=$id,ct_state=+est+trk,$h_ip actions=ct(zone=$h_zone,nat,table=40)" >> $h_f
        echo "table=43,priority=10,reg1=$id,ct_state=+rel+trk,$h_ip actions=ct(zone=$h_zone,nat,table=40)" >> $h_f
        echo "table=43,priority=0,reg1=$id actions=drop" >> $h_f
    fi
    h_buckets=
    h_n=$(echo "$h_j" | jq '.members | length')
    h_i=0
    while [ $h_i -lt $h_n ]; do
        h_m=$((h_i + 1))
        h_addr=$(echo "$h_j" | jq -r ".members[$h_i].address")
        h_mport=$(echo "$h_j" | jq -r ".members[$h_i].port // 0")
        h_mac=$(mac_of $(host_of $h_addr))
        h_a=$h_addr
        case $h_addr in *:*) h_a="[$h_addr]" ;; esac
        [ $h_mport != 0 ] && h_a="$h_a:$h_mport"
        # NAPT replies go to the source, and only its flow takes them.
        [ $h_fwd = napt ] && h_protos_m= || h_protos_m=$h_protos
        for h_p in $h_protos_m; do
            if [ $h_mport != 0 ] && [ $h_p != $h_ip ]; then
                echo "table=0,priority=500,$h_p,$h_src=$h_addr,tp_src=$h_mport actions=$to_ct" >> $h_f
                echo "table=0,priority=500,$h_p,$h_dst=$h_addr,tp_dst=$h_mport actions=$to_ct" >> $h_f
            else
                echo "table=0,priority=500,$h_p,$h_src=$h_addr actions=$to_ct" >> $h_f
            fi
        done
        # Not in the contract: without these, an "any" IPv6 service's
        # member flow sends the member's Neighbor Solicitations (source
        # the member) through conntrack, which finds them invalid.
        case $h_protos_m in
            ipv6) for h_t in 135 136; do
                      echo "table=0,priority=501,icmp6,$h_src=$h_addr,icmp_type=$h_t actions=NORMAL" >> $h_f
                  done ;;
        esac
        if [ $h_fwd = napt ]; then
            echo "table=41,priority=10,reg1=$id,ct_mark=$h_m,ct_state=-rpl+trk,$h_ip actions=set_field:$h_m->reg0,ct(commit,zone=$h_z2,nat(src=$h_sa:$h_lo-$h_hi),table=42)" >> $h_f
            echo "table=42,priority=10,reg1=$id,reg0=$h_m,$h_ip,$h_src=$h_source actions=set_field:$h_mac->eth_dst,NORMAL" >> $h_f
            echo "table=42,priority=5,reg1=$id,reg0=$h_m actions=drop" >> $h_f
        else
            echo "table=41,priority=10,reg1=$id,ct_mark=$h_m,ct_state=-rpl+trk actions=set_field:$h_mac->eth_dst,NORMAL" >> $h_f
        fi
        echo "table=41,priority=10,reg1=$id,ct_mark=$h_m,ct_state=+rpl+trk actions=move:NXM_NX_CT_LABEL[0..47]->NXM_OF_ETH_DST[],set_field:$vmac->eth_src,NORMAL" >> $h_f
        h_buckets="$h_buckets,bucket=bucket_id:$((h_m << 8)),actions=ct(commit,zone=$h_zone,nat(dst=$h_a),exec(set_field:$h_m->ct_mark,move:NXM_OF_ETH_SRC[]->NXM_NX_CT_LABEL[0..47]),table=41)"
        h_i=$((h_i + 1))
    done
    sed -i "s/^/cookie=$hcookie,/" $h_f
    ofctl add-group br0 "group_id=$h_group,type=select,selection_method=hash,fields($h_hfields)$h_buckets" \
        || { fail "hand: add-group $h_group"; return 1; }
    ofctl add-flows br0 $h_f || { fail "hand: add-flows $h_f"; return 1; }
    # No flowlbd to answer ARP and Neighbor Solicitations.
    for c in $clients; do
        ip -n $tag-$c neigh replace $h_vip lladdr $vmac dev eth0 nud permanent
    done
    if [ -n "$h_source" ]; then
        for h in $servers; do
            ip -n $tag-$h neigh replace $h_source lladdr $vmac dev eth0 nud permanent
        done
    fi
}
hand_delete() {
    ofctl del-flows br0 "cookie=$(printf '0x5a7c%012x' $1)/-1"
    ofctl del-groups br0 group_id=$(($1 * 16 + 15))
}

# dump_nat TAG: the switch's NAT tables and groups, for a failure's log.
dump_nat() {
    ofctl dump-flows br0 | grep -E 'table=(0|4[0-5]),' | grep -v 'n_packets=0,' \
        | sed "s/^ */nat-traffic: $1: dump-flows: /"
    ofctl dump-groups br0 | sed "s/^ */nat-traffic: $1: dump-groups: /"
    in_sw ovs-appctl dpctl/dump-conntrack 2>/dev/null | head -n 20 \
        | sed "s/^/nat-traffic: $1: conntrack: /"
}

# mark_logs: remembers how long each server's log is, so that since_mark
# HOST prints only what came after.
mark_logs() {
    for h in $servers; do
        wc -l < "$dir/server-$h.log" > "$dir/mark-$h"
    done
}
since_mark() { tail -n +$(($(cat "$dir/mark-$1") + 1)) "$dir/server-$1.log"; }


# spread FILE: "s1=N s2=N s3=N none=N" of curls' answers in FILE.
spread() {
    for h in $servers; do
        printf '%s=%s ' $h $(awk -v h=$h '$1 == h' "$1" | wc -l)
    done
    printf 'none=%s' $(grep -c '^none' "$1")
}
count() { awk -v h=$2 '$1 == h' "$1" | wc -l; }

# ---------------------------------------------------------------------------
# Scenarios.

# svc_delete: deletes service $id.
svc_delete() {
    if [ -n "${NAT_BY_HAND:-}" ]; then
        hand_delete $id
    else
        service_delete $id
    fi
}

# capture_start HOST NAME FILTER: tcpdump on HOST's eth0 into
# $dir/NAME.pcap, running once this returns.
capture_start() {
    ip netns exec $tag-$1 tcpdump -i eth0 -n -U --immediate-mode -w "$dir/$2.pcap" "$3" \
        2> "$dir/$2.tcpdump" &
    echo $! > "$dir/tcpdump-$2.pid"
    cap=$2
    listening() { grep -q 'listening on' "$dir/$cap.tcpdump"; }
    wait_for 10 listening || fail "tcpdump on $1 did not start: $(cat "$dir/$2.tcpdump")"
}
# capture_stop NAME: stops it; the packets, one a line, in $dir/NAME.txt.
capture_stop() {
    kill_pidfile "$dir/tcpdump-$1.pid"
    tcpdump -n -r "$dir/$1.pcap" 2>/dev/null > "$dir/$1.txt"
}

# source_k K: NAPT source number K (0..9) of family $fam.
source_k() {
    case $fam in 4) echo ${net4}.20$1 ;; 6) echo ${net}:20$1 ;; esac
}
# napt_extra K: under napt, the fields giving a service source K.
napt_extra() {
    if [ $mode = napt ]; then
        printf '"source": "%s", "source_ports": [20000, 20999]' $(source_k $1)
    fi
}

# basic MODE FAMILY: the nat and napt scenarios for one family.  Services
# web (tcp 80 -> s1, s2 :8080), dgram (udp 7000 -> s1, s2 :7001), perft
# and perfu (tcp and udp 5201 -> s1 :5301, one member, so that iperf3's
# control connection and its datagrams meet) on the VIP, and echo (any
# protocol, all ports -> s3) on a second VIP (a member's address may not
# be in two services with a protocol and port in common).
basic() {
    mode=$1 fam=$2 t="$1: IPv$2"
    eval vip=\$vip$fam
    case $fam in 4) vip2=${net4}.101 ;; 6) vip2=${net}:101 ;; esac
    ids=
    # A NAPT service's source is its own (replies to it find the service
    # by it): web .200, dgram .201, perf .202 (TCP) and .204 (UDP), echo
    # .203 (::200 ...).
    for spec in "web tcp 80 8080 s1,s2 0" "dgram udp 7000 7001 s1,s2 1" \
                "perft tcp 5201 5301 s1 2" "perfu udp 5201 5301 s1 4" \
                "echo any '' 0 s3 3"; do
        eval set -- $spec
        members= sep=
        for h in $(echo $5 | tr , ' '); do
            members="$members$sep$(member $fam $h "$([ $4 != 0 ] && echo "\"port\": $4")")"
            sep=", "
        done
        json=$(svc_json $1-$mode$fam $fam $2 "$3" $mode "[$members]" "$(napt_extra $6)")
        # The echo service's VIP: svc_json takes the family's.
        [ $1 = echo ] && json=$(echo "$json" | sed "s/\"$vip\"/\"$vip2\"/")
        if ! nat_service "$t" "$json"; then
            for id in $ids; do svc_delete; done
            return
        fi
        ids="$ids $id"
    done

    # expected_peer CLIENT K: the address a member of service K should see
    # CLIENT as.
    expected_peer() {
        if [ $mode = nat ]; then addr_of $fam $1; else source_k $2; fi
    }

    # HTTP.
    mark_logs
    curls $vip 10 $clients > "$dir/basic.out"
    bad=0
    for c in $clients; do
        # Each client's answers: "sN PEER PEERPORT", PEER as expected.
        want=$(expected_peer $c 0)
        n_bad=$(awk -v w=$want '$2 != w || $1 == "none"' "$dir/curls-$c.out" | wc -l)
        bad=$((bad + n_bad))
    done
    ports_ok=yes
    if [ $mode = napt ]; then
        ports_ok=$(awk '$3 < 20000 || $3 > 20999 { bad = 1 } END { print bad ? "no" : "yes" }' "$dir/basic.out")
    fi
    log "$t: web: 20 GETs of http://$vip/ from c1 and c2: $(spread "$dir/basic.out"); members saw: $(awk '{ print $2 }' "$dir/basic.out" | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }'); peer ports $(awk 'NR == 1 { lo = hi = $3 } { if ($3 < lo) lo = $3; if ($3 > hi) hi = $3 } END { printf "%s..%s", lo, hi }' "$dir/basic.out")"
    if [ $bad = 0 ] && [ $ports_ok = yes ] && [ $(count "$dir/basic.out" s1) -gt 0 ] \
       && [ $(count "$dir/basic.out" s2) -gt 0 ]; then
        ok "$t: web: 20 GETs through $vip:80 to members' port 8080 answered, both members used, members saw $(if [ $mode = nat ]; then echo "the clients' own addresses"; else echo "the source $(source_k 0), ports in 20000-20999"; fi)"
    else
        fail "$t: web: $bad GETs failed or the member saw the wrong peer; or a member got none; or ports outside the range ($ports_ok)"
        dump_nat "$t"
    fi

    # The balancer host's own stack (where flowlbd's health probes come
    # from: br0's address in $ns_sw) still reaches the members' port
    # directly while the service covers it.
    probe_addr=$(addr_of $fam s1)
    case $probe_addr in *:*) probe_addr="[$probe_addr]" ;; esac
    answer=$(in_sw curl -s -g --noproxy '*' --max-time 3 "http://$probe_addr:8080/")
    eval br=\$br$fam
    log "$t: probe: GET http://$probe_addr:8080/ from br0 ($br): ${answer:-no answer}"
    if [ "$answer" = "s1 $br $(echo "$answer" | awk '{ print $3 }')" ] && [ -n "$answer" ]; then
        ok "$t: probe: the balancer host reaches s1:8080 directly (as health probes do)"
    else
        fail "$t: probe: the balancer host cannot reach s1:8080 directly while the service covers it (health probes would fail): ${answer:-no answer}"
        dump_nat "$t: probe"
    fi

    # UDP datagrams: the answer must come from the VIP and port 7000.
    in_ns c1 $PYTHON "$helper" udp $vip 7000 20 > "$dir/udp.out"
    want=$(expected_peer c1 1)
    good=$(awk -v v=$vip -v w=$want '$1 == v && $2 == 7000 && $4 == w' "$dir/udp.out" | wc -l)
    log "$t: dgram: 20 datagrams to $vip:7000 from c1: $good answered from $vip:7000 with the expected peer; answers from $(awk '{ print $1 ":" $2 }' "$dir/udp.out" | sort | uniq -c | tr '\n' ' '); members: $(spread "$(awk '{ print $3 }' "$dir/udp.out" > "$dir/udp.members"; echo "$dir/udp.members")")"
    if [ $good = 20 ]; then
        ok "$t: dgram: 20 datagrams to $vip:7000 answered from $vip:7000 (members' port 7001), members saw $want"
    else
        fail "$t: dgram: only $good of 20 datagrams answered from the VIP with the expected peer"
        dump_nat "$t"
    fi

    # 20 datagrams from one socket at once: all but the first reach the
    # switch before the member's first answer, while conntrack still calls
    # the session new.
    in_ns c1 $PYTHON "$helper" burst $vip 7000 20 > "$dir/burst.out"
    log "$t: dgram: a burst of 20 datagrams from one socket: $(cat "$dir/burst.out")"
    if [ "$(cat "$dir/burst.out")" = "answers 20 $vip:7000" ]; then
        ok "$t: dgram: a burst of 20 datagrams from one socket, sent before any answer, all answered from $vip:7000"
    else
        fail "$t: dgram: a burst of 20 datagrams from one socket: $(cat "$dir/burst.out") (expected all 20 answered from $vip:7000)"
        dump_nat "$t: burst"
    fi

    # A one-way UDP flow: 20 datagrams from one socket that the member
    # never answers (conntrack calls every one of them new).
    tag1="$mode$fam"
    in_ns c1 $PYTHON "$helper" oneway $vip 7000 20 $tag1 > /dev/null
    quiet() { cat "$dir"/server-s*.log | awk -v t=$tag1 '$1 == "quiet" && $2 == t' | wc -l; }
    all_quiet() { [ "$(quiet)" -ge 20 ]; }
    wait_for 3 all_quiet
    got=$(quiet)
    log "$t: dgram: a one-way flow of 20 datagrams (no answer): $got reached a member ($(cat "$dir"/server-s*.log | awk -v t=$tag1 '$1 == "quiet" && $2 == t { print $3 }' | sort | uniq -c | tr -s ' \n' ' '))"
    if [ "$got" = 20 ]; then
        ok "$t: dgram: a one-way flow of 20 datagrams all reached the member"
    else
        fail "$t: dgram: only $got of a one-way flow of 20 datagrams reached a member (the rest are ct_state=+new after translation)"
        dump_nat "$t: one-way"
    fi

    # iperf3 UDP through the VIP (its control connection over TCP).
    before=$(wc -l < "$dir/iperf3-s1.log")
    if in_ns c1 timeout 20 iperf3 -c $vip -p 5201 -u -b 20M -t 2 --connect-timeout 3000 -J > "$dir/iperf3.json" 2> "$dir/iperf3.err"; then
        loss=$(jq -r '.end.sum.lost_percent' "$dir/iperf3.json")
        pkts=$(jq -r '.end.sum.packets' "$dir/iperf3.json")
        mbps=$(jq -r '.end.sum.bits_per_second / 1e6 | floor' "$dir/iperf3.json")
        seen=$(tail -n +$((before + 1)) "$dir/iperf3-s1.log" | sed -n 's/.*Accepted connection from \([^,]*\),.*/\1/p; s/.*local .* connected to \([^ ]*\) port.*/\1/p' | sort -u | tr '\n' ' ')
        log "$t: perf: iperf3 -u -b 20M -t 2 to $vip:5201: $pkts datagrams, $loss% lost, $mbps Mbit/s; s1's iperf3 (port 5301) saw: $seen"
        want=$(printf '%s\n' $(expected_peer c1 2) $(expected_peer c1 4) | sort -u | tr '\n' ' ')
        if [ "$seen" = "$want" ] \
           && awk -v l=$loss 'BEGIN { exit !(l < 5) }'; then
            ok "$t: perf: iperf3 UDP through $vip:5201 to s1:5301: $pkts datagrams, $loss% lost, s1 saw only $want"
        else
            fail "$t: perf: iperf3's server saw \"$seen\", expected $want; or $loss% lost"
        fi
    else
        fail "$t: perf: iperf3 through $vip:5201 failed: $(jq -r .error "$dir/iperf3.json" 2>/dev/null) $(cat "$dir/iperf3.err")"
        dump_nat "$t"
    fi

    # ping the second VIP; s3 answers, and tcpdump there shows from whom
    # the echo requests came.
    case $fam in
        4) filter='icmp[icmptype] == 8' ;;
        6) filter='icmp6 and ip6[40] == 128' ;;
    esac
    capture_start s3 echo$fam "$filter"
    in_ns c1 ping -$fam -c 5 -i 0.2 -W 2 $vip2 > "$dir/ping.out" 2>&1
    capture_stop echo$fam
    replies=$(grep -c "bytes from $vip2: " "$dir/ping.out")
    seen=$(awk '$2 == "IP" || $2 == "IP6" { sub(/:$/, "", $3); print $3 }' "$dir/echo$fam.txt" | sort -u | tr '\n' ' ')
    log "$t: echo: ping -c 5 $vip2: $replies replies from $vip2; s3 received echo requests from: $seen; $(tail -n 1 "$dir/ping.out")"
    if [ "$replies" = 5 ] && [ "$seen" = "$(expected_peer c1 3) " ]; then
        ok "$t: echo: 5 pings of $vip2 answered from $vip2, s3 saw $(expected_peer c1 3)"
    else
        fail "$t: echo: $replies of 5 replies from $vip2, s3 saw \"$seen\" (expected $(expected_peer c1 3))"
        dump_nat "$t"
    fi

    for id in $ids; do
        svc_delete
    done
}

# mstat HOST FIELD: .status.FIELD of HOST's member of service $id.
mstat() {
    svc | jq -r --arg a4 "$(host_addr4 $1)" --arg a6 "$(host_addr $1)" --arg f $2 '
        .members[] | select(.address == $a4 or .address == $a6) | .status[$f]'
}
# mid HOST: the id of HOST's member of service $id.
mid() {
    svc | jq -r --arg a4 "$(host_addr4 $1)" --arg a6 "$(host_addr $1)" '
        .members[] | select(.address == $a4 or .address == $a6) | .id'
}
# group_weights: "bucket_id:weight ..." of service $id's 5-tuple group.
group_weights() {
    g=$(svc | jq -r '.openflow.groups["5tuple"]')
    ofctl dump-groups br0 $g | tr ',' '\n' \
        | sed -n 's/.*bucket_id:\([0-9]*\)/\1/p; s/^weight:\([0-9]*\)/w\1/p' \
        | paste -sd' ' | sed 's/ w/:/g'
}

scenario_exhaustion() {
    t=exhaustion
    src=${net4}.205
    nat_service $t "$(svc_json exhaust4 4 tcp 80 napt "[$(member 4 s1 '"port": 8080')]" "\"source\": \"$src\", \"source_ports\": [30000, 30001]")" || return
    # Everything s1 receives on port 8080 that is not from the source.
    capture_start s1 exhaust "tcp dst port 8080 and not src host $src"
    mark_logs
    touch "$dir/release"
    ip netns exec $tag-c1 $PYTHON "$helper" open $vip4 80 6 4 "$dir/release" \
        > "$dir/open.out" 2> "$dir/open.err" &
    echo $! > "$dir/open.pid"
    opened() { grep -q '^done' "$dir/open.out"; }
    wait_for 15 opened || fail "$t: the 6 connections did not finish within 15 s"
    exhausted() { [ "$(mstat s1 napt_exhausted)" -gt 0 ] 2>/dev/null; }
    [ -z "${NAT_BY_HAND:-}" ] && wait_for 5 exhausted
    n_ok=$(grep -c '^ok ' "$dir/open.out")
    if [ -z "${NAT_BY_HAND:-}" ]; then
        n_exh=$(mstat s1 napt_exhausted)
        svc_exh=$(svc | jq -r .status.napt_exhausted)
    else
        n_exh=$(ofctl dump-flows br0 table=42 | grep 'actions=drop' | sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
        svc_exh=by-hand
    fi
    ports=$(awk '$1 == "ok" { print $4 }' "$dir/open.out" | sort -u | tr '\n' ' ')
    drop=$(ofctl dump-flows br0 table=42 | grep 'actions=drop' | sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
    rm -f "$dir/release"
    kill_pidfile "$dir/open.pid"
    capture_stop exhaust
    untranslated=$(grep -c . "$dir/exhaust.txt")
    peers=$(since_mark s1 | awk '$1 == "tcp" { print $2 }' | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')
    log "$t: source_ports [30000, 30001], 6 concurrent connections: $n_ok answered (source ports $ports), others: $(grep '^fail' "$dir/open.out" | sort | uniq -c | tr '\n' ' '); s1's napt_exhausted $n_exh, service's $svc_exh, table 42 drops $drop; s1 accepted from: $peers; packets at s1 not from $src: $untranslated"
    [ $untranslated = 0 ] || sed -n '1,5s/^/nat-traffic: exhaustion: untranslated: /p' "$dir/exhaust.txt"
    if [ $n_ok = 2 ] && [ "$n_exh" -gt 0 ] 2>/dev/null && [ $untranslated = 0 ] \
       && [ "$peers" = "$src x2 " ]; then
        ok "$t: 2 of 6 connections got the 2 source ports, s1's napt_exhausted rose to $n_exh, no untranslated packet reached s1"
    else
        fail "$t: expected 2 connections, napt_exhausted > 0 and nothing untranslated at s1; got $n_ok, $n_exh, $untranslated"
        dump_nat $t
    fi
    svc_delete
}

# ct_entries ZONE ADDR: conntrack entries in ZONE whose reply comes from
# ADDR (a member's sessions).
ct_entries() {
    in_sw ovs-appctl dpctl/dump-conntrack zone=$1 | grep -c "reply=(src=$2,"
}

scenario_backup() {
    t=backup
    nat_service $t "$(svc_json backup4 4 tcp 80 nat "[$(member 4 s1 '"port": 8080'), $(member 4 s2 '"port": 8080'), $(member 4 s3 '"port": 8080')]")" || return
    m1=$(mid s1) m2=$(mid s2)
    if ! out=$(rest PATCH /v1/services/$id/members/$m1 "{\"backup\": $m2}" 2>&1); then
        feature_missing "$t: member backup" "$out"
        svc_delete
        return
    fi
    wait_service $id
    curls $vip4 30 $clients > "$dir/backup-0.out"
    log "$t: s1 (backup s2), s2, s3 all enabled: 60 GETs: $(spread "$dir/backup-0.out")"
    zone=$(svc | jq -r .openflow.ct_zone)
    for state in drain disabled; do
        n_ct=$(ct_entries $zone $(host_addr4 s1))
        rest PATCH /v1/services/$id/members/$m1 "{\"state\": \"$state\"}" > /dev/null \
            || { fail "$t: PATCH state $state"; break; }
        wait_service $id
        # Drained, s1 keeps its sessions; disabled, flowlbd flushes them
        # from conntrack.
        if [ $state = disabled ]; then
            flushed() { [ "$(ct_entries $zone $(host_addr4 s1))" = 0 ]; }
            if wait_for 3 flushed; then
                ok "$t: s1 disabled: its $n_ct conntrack entries were flushed"
            else
                fail "$t: s1 disabled: $(ct_entries $zone $(host_addr4 s1)) of its $n_ct conntrack entries still there 3 s later"
                in_sw ovs-appctl dpctl/dump-conntrack zone=$zone | grep "reply=(src=$(host_addr4 s1)," | head -n 3 | sed "s/^/nat-traffic: $t: left: /"
            fi
        else
            log "$t: s1 drain: its conntrack entries: $n_ct before, $(ct_entries $zone $(host_addr4 s1)) after"
        fi
        log "$t: s1 $state: group: $(group_weights)"
        curls $vip4 30 $clients > "$dir/backup-$state.out"
        n1=$(count "$dir/backup-$state.out" s1) n2=$(count "$dir/backup-$state.out" s2)
        n3=$(count "$dir/backup-$state.out" s3)
        none=$(grep -c '^none' "$dir/backup-$state.out")
        log "$t: s1 $state: 60 GETs: $(spread "$dir/backup-$state.out"); takes_sessions: s1 $(mstat s1 takes_sessions) s2 $(mstat s2 takes_sessions)"
        # s2 takes its own third and s1's: about 40 of 60; s3 about 20.
        if [ $n1 = 0 ] && [ $none = 0 ] && [ $n2 -gt $n3 ] && [ $n3 -ge 8 ] \
           && [ $n3 -le 32 ]; then
            ok "$t: s1 $state: none of 60 new sessions went to s1; s2 (its backup) took $n2, s3 kept its share ($n3)"
        else
            fail "$t: s1 $state: s1=$n1 (expected 0), s2=$n2 should exceed s3=$n3 (8..32), failed $none"
            dump_nat "$t"
        fi
    done
    # Deleting the service flushes its members' sessions: nothing of it
    # is left in its zone for the next service that gets the zone.
    n_ct=$(in_sw ovs-appctl dpctl/dump-conntrack zone=$zone | grep -c .)
    svc_delete
    empty() { [ "$(in_sw ovs-appctl dpctl/dump-conntrack zone=$zone | grep -c .)" = 0 ]; }
    if wait_for 3 empty; then
        ok "$t: deleting the service flushed all $n_ct conntrack entries of its zone $zone"
    else
        fail "$t: deleting the service left $(in_sw ovs-appctl dpctl/dump-conntrack zone=$zone | grep -c .) of $n_ct conntrack entries in its zone $zone (the next service to get the zone inherits them)"
        in_sw ovs-appctl dpctl/dump-conntrack zone=$zone | head -n 3 | sed "s/^/nat-traffic: $t: left: /"
    fi
}

# algo_service NAME ALGORITHM EXTRA MEMBERS...: a nat service on the IPv4
# VIP, tcp 80 to port 8080 of each MEMBER ("HOST" or "HOST:FIELDS");
# forwarding $algo_fwd (default nat).
algo_fwd=nat
algo_service() {
    name=$1 algo=$2 extra=$3
    shift 3
    members= sep=
    for m in "$@"; do
        fields='"port": 8080'
        case $m in *:*) fields="$fields, ${m#*:}" ;; esac
        members="$members$sep$(member 4 ${m%%:*} "$fields")"
        sep=", "
    done
    nat_service $name "$(svc_json $name 4 tcp 80 $algo_fwd "[$members]" "\"algorithm\": \"$algo\"${extra:+, $extra}")"
}

# weights_of HOST...: "HOST=bucket_weight ..." of service $id.
weights_of() {
    svc > "$dir/svc.json"
    for h in "$@"; do
        printf '%s=%s ' $h "$(jq -r --arg a "$(host_addr4 $h)" '.members[] | select(.address == $a) | .status.bucket_weight' "$dir/svc.json")"
    done
}

scenario_least_sessions() {
    t=least-sessions
    algo_service $t least-sessions '' s1 s2 || return
    log "$t: before: bucket weights $(weights_of s1 s2); group $(group_weights)"
    touch "$dir/release"
    ip netns exec $tag-c1 $PYTHON "$helper" hold $vip4 80 10 s1 "$dir/release" \
        > "$dir/hold.out" 2> "$dir/hold.err" &
    echo $! > "$dir/hold.pid"
    held() { grep -q '^held 10' "$dir/hold.out"; }
    wait_for 20 held || fail "$t: could not hold 10 connections on s1: $(cat "$dir/hold.out" "$dir/hold.err")"
    t0=$(now)
    # Until a balance round counts s1's 10 sessions and none of the
    # connections the hold closed on s2 (they end a second after their
    # FIN): least-sessions then weights s1 1:3 (lb-algo.h: inversely to
    # sessions plus the mean).
    shifted() {
        [ "$(mstat s1 sessions)" -ge 10 ] && [ "$(mstat s2 sessions)" = 0 ] \
            && [ $(($(mstat s1 bucket_weight) * 2)) -le "$(mstat s2 bucket_weight)" ]
    } 2>/dev/null
    wait_for 5 shifted || fail "$t: the weights did not move away from s1 within 5 s: $(weights_of s1 s2)"
    log "$t: 10 connections held on s1 ($(grep reached "$dir/hold.out")): after $(since $t0) s sessions s1=$(mstat s1 sessions) s2=$(mstat s2 sessions); bucket weights $(weights_of s1 s2); group $(group_weights)"
    curls $vip4 30 $clients > "$dir/ls.out"
    n1=$(count "$dir/ls.out" s1) n2=$(count "$dir/ls.out" s2)
    log "$t: 60 new GETs: $(spread "$dir/ls.out"); bucket weights now $(weights_of s1 s2)"
    rm -f "$dir/release"
    kill_pidfile "$dir/hold.pid"
    # Expected about 25% (weights 1:3); 40% is 3 standard deviations off.
    if [ $n1 -lt $n2 ] && [ $((n1 * 100)) -le $((60 * 40)) ] \
       && [ $(grep -c '^none' "$dir/ls.out") = 0 ]; then
        ok "$t: with 10 sessions held on s1, s1 got $n1 of 60 new sessions, s2 $n2"
    else
        fail "$t: s1 (10 sessions held) got $n1 of 60 new sessions, s2 $n2; expected s1 at most 40%"
        dump_nat $t
    fi
    svc_delete
}

scenario_least_traffic() {
    t=least-traffic
    # Protocol any, key src: iperf3's control connection and its datagrams
    # (from one client) reach the same member, whichever that is.
    nat_service $t "$(svc_json lt4 4 any '' nat "[$(member 4 s1), $(member 4 s2)]" '"algorithm": "least-traffic", "traffic_window": 2, "key": "src"')" || return
    log "$t: before: bucket weights $(weights_of s1 s2); group $(group_weights)"
    ip netns exec $tag-c1 timeout 30 iperf3 -c $vip4 -p 5301 -u -b 100M -t 6 \
        --connect-timeout 3000 -J > "$dir/lt-iperf3.json" 2> "$dir/lt-iperf3.err" &
    echo $! > "$dir/lt-iperf3.pid"
    # The member the flow reached: the one whose traffic rate rises (the
    # iperf3 servers' logs are buffered).
    heavy=
    found() {
        for h in s1 s2; do
            if awk -v r="$(mstat $h traffic_rate)" 'BEGIN { exit !(r > 1000000) }'; then
                heavy=$h
                return 0
            fi
        done
        return 1
    }
    wait_for 5 found
    other=s1
    [ "$heavy" = s1 ] && other=s2
    t0=$(now)
    moved() {
        [ "$(mstat $heavy bucket_weight)" -lt "$(mstat $other bucket_weight)" ]
    } 2>/dev/null
    if [ -n "$heavy" ] && wait_for 8 moved; then
        took=$(since $t0)
        log "$t: iperf3 -u -b 100M on $heavy: after $took s traffic_rate $heavy=$(mstat $heavy traffic_rate) $other=$(mstat $other traffic_rate); bucket weights $(weights_of s1 s2); group $(group_weights)"
        ok "$t: a heavy UDP flow on $heavy moved the bucket weights away from it within $took s ($(weights_of s1 s2))"
    else
        fail "$t: heavy flow on '${heavy:-none}': weights did not move away within 8 s: traffic_rate s1=$(mstat s1 traffic_rate) s2=$(mstat s2 traffic_rate), weights $(weights_of s1 s2)"
        dump_nat $t
    fi
    wait_for 30 sh -c "! kill -0 $(cat "$dir/lt-iperf3.pid") 2>/dev/null"
    log "$t: iperf3: $(jq -r '"\(.end.sum.packets) datagrams, \(.end.sum.lost_percent)% lost, \(.end.sum.bits_per_second / 1e6 | floor) Mbit/s"' "$dir/lt-iperf3.json" 2>/dev/null) $(head -c 200 "$dir/lt-iperf3.err")"
    rm -f "$dir/lt-iperf3.pid"
    # After the window, the weights come back.
    t0=$(now)
    even() { [ "$(mstat s1 bucket_weight)" = "$(mstat s2 bucket_weight)" ]; } 2>/dev/null
    if wait_for 10 even; then
        log "$t: weights even again $(since $t0) s after the flow: $(weights_of s1 s2)"
    else
        log "$t: weights not even 10 s after the flow: $(weights_of s1 s2)"
    fi
    svc_delete
}

# shaped NAME EXPECTED-S1-PERCENT: 80 GETs through service $id; passes if
# s1's share is within 15 points of EXPECTED (binomial, 80 draws: about 3
# standard deviations), s3 got none, none failed.
shaped() {
    curls $vip4 40 $clients > "$dir/$1.out"
    n1=$(count "$dir/$1.out" s1) n2=$(count "$dir/$1.out" s2) n3=$(count "$dir/$1.out" s3)
    none=$(grep -c '^none' "$dir/$1.out")
    pct=$((n1 * 100 / 80))
    log "$1: 80 GETs: $(spread "$dir/$1.out"); s1 $pct%; bucket weights $(weights_of s1 s2 s3); group $(group_weights)"
    [ $none = 0 ] && [ $n3 = 0 ] && [ $pct -ge $(($2 - 15)) ] && [ $pct -le $(($2 + 15)) ]
}

# balanced: service $id's bucket weights have been computed once.
balanced() {
    svc | jq -e '[.members[].status.bucket_weight] | add > 0' > /dev/null
}

scenario_weights() {
    t=weights
    algo_service $t-wrr weighted-round-robin '' 's1:"weight": 3' 's2:"weight": 1' || return
    if shaped $t-wrr 75; then
        ok "$t: weighted-round-robin 3:1: s1 got $n1, s2 $n2 of 80"
    else
        fail "$t: weighted-round-robin 3:1: s1 got $n1, s2 $n2 of 80 (expected 75% +-15)"
    fi
    svc_delete
    algo_service $t-cost cost-least-load '' 's1:"cost": 1' 's2:"cost": 3' 's3:"cost": "infinity"' || return
    # A member of infinite cost takes nothing, even before the first
    # balance round.
    m3=$(mid s3)
    g=$(group_weights)
    if echo " $g " | grep -q " $((m3 * 256))[: ]"; then
        fail "$t: cost-least-load: s3 (cost infinity) has buckets in the group as soon as the service is in sync: $g"
    else
        ok "$t: cost-least-load: s3 (cost infinity) has no bucket from the start"
    fi
    wait_for 5 balanced || fail "$t: cost-least-load: no bucket weights within 5 s"
    if shaped $t-cost 75; then
        ok "$t: cost-least-load costs 1:3:infinity: s1 got $n1, s2 $n2, s3 $n3 of 80"
    else
        fail "$t: cost-least-load costs 1:3:infinity: s1 got $n1, s2 $n2, s3 $n3 of 80 (expected s1 75% +-15, s3 none)"
    fi
    svc_delete
}

scenario_fastest() {
    t=fastest
    # s2 answers 50 ms late.
    kill_pidfile "$dir/server-s2.pid"
    start_server s2 0.05
    wait_until server_ready s2 || { fail "$t: s2's slow server did not start"; return; }
    # napt: the HTTP probes from br0's address reach the members' port
    # directly (under nat the members' answers to them go through the
    # service's conntrack zone, which does not know them: see the nat
    # scenario's probe check).
    algo_fwd=napt
    if algo_service $t fastest-response "\"source\": \"${net4}.206\", \"health\": {\"type\": \"http\", \"interval\": 0.5, \"timeout\": 0.4, \"rise\": 1, \"fall\": 3, \"path\": \"/\"}" s1 s2; then
        algo_fwd=nat
        t0=$(now)
        rtts() {
            r1=$(mstat s1 rtt_ms) r2=$(mstat s2 rtt_ms)
            [ "$r1" != null ] && [ "$r2" != null ] \
                && [ "$(mstat s1 bucket_weight)" -gt "$(mstat s2 bucket_weight)" ]
        } 2>/dev/null
        if wait_for 10 rtts; then
            log "$t: after $(since $t0) s: rtt_ms s1=$(mstat s1 rtt_ms) s2=$(mstat s2 rtt_ms); health s1=$(mstat s1 health) s2=$(mstat s2 health); bucket weights $(weights_of s1 s2); group $(group_weights)"
            curls $vip4 20 $clients > "$dir/fastest.out"
            n1=$(count "$dir/fastest.out" s1) n2=$(count "$dir/fastest.out" s2)
            log "$t: 40 GETs: $(spread "$dir/fastest.out")"
            if [ $n2 -lt $n1 ] && [ $(grep -c '^none' "$dir/fastest.out") = 0 ]; then
                ok "$t: s2 answering 50 ms late got $n2 of 40 new sessions, s1 $n1"
            else
                fail "$t: s2 (50 ms late) got $n2, s1 $n1 of 40; expected s2 < s1"
            fi
        else
            fail "$t: no rtt_ms for both members, or s1 not weighted above s2, within 10 s (HTTP health monitor not merged?): rtt_ms s1=$(mstat s1 rtt_ms) s2=$(mstat s2 rtt_ms), health s1=$(mstat s1 health) ($(mstat s1 health_reason)) s2=$(mstat s2 health), weights $(weights_of s1 s2)"
        fi
        svc_delete
    fi
    algo_fwd=nat
    kill_pidfile "$dir/server-s2.pid"
    start_server s2
    wait_until server_ready s2 || fail "$t: s2's server did not restart"
}

scenario_per_session() {
    t=per-session
    rate=200
    json=$(svc_json $t 4 tcp 80 nat "[$(member 4 s1 '"port": 8080'), $(member 4 s2 '"port": 8080')]" "\"algorithm\": \"least-sessions\", \"decision\": \"per-session\", \"per_session_rate\": $rate")
    if ! svc=$(rest POST /v1/services "$json" 2>&1); then
        feature_missing "$t: decision per-session" "$svc"
        return
    fi
    id=$(echo "$svc" | jq -r .id)
    # A switch that refuses the service's meter fails the sync: say so
    # rather than wait.
    settled() { svc | jq -e '.status.switches | length > 0 and all(.sync == "in-sync" or .sync == "failed")'; }
    wait_for 10 settled
    if ! service_ready $id > /dev/null 2>&1; then
        fail "$t: the per-session service is not in sync on br0 ($(svc | jq -c '[.status.switches[].sync]')): flowlbd's log says: $(grep -E 'WARN|ERR' "$dir/flowlbd.log" | tail -n 3 | sed 's/.*|//' | tr '\n' ';') (per-session decision and its meter not merged?)"
        svc_delete
        return
    fi
    # A few real sessions first: flowlbd decides and installs them.
    curls $vip4 10 $clients > "$dir/ps.out"
    log "$t: 20 GETs through flowlbd's decisions: $(spread "$dir/ps.out"); sessions s1=$(mstat s1 sessions) s2=$(mstat s2 sessions)"
    if [ $(grep -c '^none' "$dir/ps.out") != 0 ]; then
        fail "$t: GETs through a per-session service failed (per-session decision not merged?)"
        dump_nat $t
        svc_delete
        return
    fi
    meter=$(svc | jq -r .openflow.meter)
    # meter_passed: packets the service's meter let through so far.
    meter_passed() {
        ofctl meter-stats br0 meter=$meter | tr ' ' '\n' | awk -F: '
            $1 == "packet_in_count" { n = $2 } $1 == "packet_count" { d += $2 }
            END { print n - d }'
    }
    counter() { rest GET /v1/status | jq -r ".counters.$1"; }
    pi0=$(counter session_packet_ins) inst0=$(counter sessions_installed)
    passed0=$(meter_passed)
    ip netns exec $tag-c2 $PYTHON "$helper" synflood $vip4 80 4 20000 \
        > "$dir/flood.out" 2> "$dir/flood.err" &
    echo $! > "$dir/flood.pid"
    t0=$(now)
    # A GET every 0.5 s during the flood, timed.
    worst=0 slow=0 n=0
    while alive "$(cat "$dir/flood.pid")"; do
        ms=$(in_sw curl -sS -o /dev/null --noproxy '*' --max-time 5 -w '%{time_total}' \
                 "http://127.0.0.1:$rest_port/v1/services/$id" | awk '{ printf "%d", $1 * 1000 }')
        n=$((n + 1))
        [ "${ms:-5000}" -gt $worst ] && worst=${ms:-5000}
        [ "${ms:-5000}" -gt 1000 ] && slow=$((slow + 1))
        sleep 0.5
    done
    secs=$(since $t0)
    rm -f "$dir/flood.pid"
    # The last packet-ins in flight.
    caught_up() { [ "$(counter session_packet_ins)" -ge $((pi0 + $(meter_passed) - passed0)) ]; }
    wait_for 3 caught_up
    pi=$(($(counter session_packet_ins) - pi0))
    inst=$(($(counter sessions_installed) - inst0))
    passed=$(($(meter_passed) - passed0))
    sent=$(sed -n 's/sent //p' "$dir/flood.out")
    log "$t: $sent SYNs in $secs s from c2 (raw socket); meter $meter (rate $rate/s) let $passed through; flowlbd counted $pi packet-ins and installed $inst sessions; meter stats: $(ofctl meter-stats br0 meter=$meter | tail -n +2 | tr -s ' \n' ' ')"
    log "$t: $n timed GETs of the service during the flood: worst $worst ms, $slow over 1 s; after: sessions s1=$(mstat s1 sessions) s2=$(mstat s2 sessions)"
    # At most the rate for the flood's duration, plus a burst.
    limit=$(awk -v r=$rate -v s=$secs 'BEGIN { printf "%d", r * (s + 1) * 1.2 }')
    if [ $pi -le $limit ] && [ $pi -gt 0 ] && [ $slow = 0 ] && [ $n -ge 4 ]; then
        ok "$t: a flood of $sent SYNs gave flowlbd $pi packet-ins (at most $limit for $rate/s over $secs s), REST answered $n GETs meanwhile, worst $worst ms"
    else
        fail "$t: flowlbd got $pi packet-ins (limit $limit), $slow of $n GETs over 1 s (worst $worst ms)"
        dump_nat $t
    fi
    svc_delete
}

# syn_retransmit: a connection whose first SYN is lost (s1's link down for
# 1.5 s) completes with a retransmitted SYN.  Conntrack still calls the
# session new then, with its destination already translated.
syn_retransmit() {
    t="nat: IPv4: retransmit"
    nat_service "$t" "$(svc_json retx4 4 tcp 80 nat "[$(member 4 s1 '"port": 8080')]")" || return
    # Keep s1's IPv6 address over the outage (Linux drops it on link down).
    in_ns s1 sysctl -qw net.ipv6.conf.eth0.keep_addr_on_down=1
    ip -n $tag-s1 link set eth0 down
    in_ns c1 curl -s --max-time 8 -o "$dir/retx.out" -w '%{time_connect}' \
        "http://$vip4/" > "$dir/retx.time" &
    curl_pid=$!
    sleep 1.5   # The outage itself, not synchronisation.
    ip -n $tag-s1 link set eth0 up
    wait $curl_pid
    log "$t: s1 down for 1.5 s as c1 connected: answer \"$(cat "$dir/retx.out" 2>/dev/null)\", connected after $(cat "$dir/retx.time") s"
    if grep -q '^s1 ' "$dir/retx.out" 2>/dev/null; then
        ok "$t: the connection completed with a retransmitted SYN after $(cat "$dir/retx.time") s"
    else
        fail "$t: the retransmitted SYNs never reached s1 (they are ct_state=+new after translation)"
        dump_nat "$t"
    fi
    svc_delete
}

scenario_passive() {
    t=passive
    nat_service $t "$(svc_json passive4 4 udp 7000 nat "[$(member 4 s1 '"port": 7001'), $(member 4 s2 '"port": 7001')]" '"passive_timeout": 2')" || return
    # s1 goes on receiving but stops answering the clients: its replies to
    # them go nowhere.
    for c in $clients; do
        in_ns s1 ip route add blackhole "$(host_addr4 $c)/32"
    done
    t0=$(now)
    in_ns c1 $PYTHON "$helper" udp $vip4 7000 10 > "$dir/passive1.out"
    unanswered=$(grep -c '^none' "$dir/passive1.out")
    passive_down() { [ "$(mstat s1 health)" = down ]; } 2>/dev/null
    if [ "$unanswered" = 0 ]; then
        fail "$t: no datagram went to s1: $(cat "$dir/passive1.out")"
    elif wait_for 15 passive_down; then
        reason=$(mstat s1 health_reason)
        log "$t: $unanswered of 10 sessions went to s1 unanswered; s1 down $(since $t0) s after the first datagram: $reason"
        case $reason in
            passive:*) ok "$t: s1, which stopped answering, went down by passive detection" ;;
            *) fail "$t: s1 went down, but not by passive detection: $reason" ;;
        esac
        in_ns c1 $PYTHON "$helper" udp $vip4 7000 10 > "$dir/passive2.out"
        n2=$(awk '$3 == "s2"' "$dir/passive2.out" | wc -l)
        if [ $n2 = 10 ]; then
            ok "$t: all 10 new sessions went to s2 and were answered"
        else
            fail "$t: of 10 new sessions, $n2 were answered by s2: $(cat "$dir/passive2.out")"
        fi
        if [ "$(mstat s2 health)" != down ]; then
            ok "$t: s2, which answers, stayed up"
        else
            fail "$t: s2 went down too: $(mstat s2 health_reason)"
        fi
    else
        fail "$t: s1 did not go down within 15 s: health $(mstat s1 health), sent $(mstat s1 packets), replies $(mstat s1 reply_packets)"
    fi
    for c in $clients; do
        in_ns s1 ip route del blackhole "$(host_addr4 $c)/32"
    done
    svc_delete
}

scenario_nat() {
    basic nat 4
    syn_retransmit
    basic nat 6
}

scenario_napt() {
    basic napt 4
    basic napt 6
}

for s in $scenarios; do
    started=$(now)
    scenario_$(echo $s | tr - _)
    log "$s: took $(since $started) s"
    # A daemon that died takes every later scenario with it: say so once.
    for d in ovs-vswitchd flowlbd; do
        if ! alive "$(cat "$dir/$d.pid" 2>/dev/null)"; then
            fail "$s: $d died (its log: $dir/$d.log; a core file, if enabled, in $(pwd)); stopping"
            exit 1
        fi
    done
done

# NAT_DEBUG=FILE: source FILE here (ad hoc experiments in the lab).
[ -n "${NAT_DEBUG:-}" ] && . "$NAT_DEBUG"

# NAT_HOLD=1: keep everything running until $dir/hold is removed.
if [ -n "${NAT_HOLD:-}" ]; then
    touch "$dir/hold"
    log "holding: rm $dir/hold to end; namespaces $tag-*"
    while [ -e "$dir/hold" ]; do sleep 1; done
fi

finish
