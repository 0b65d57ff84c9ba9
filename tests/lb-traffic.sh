#!/bin/sh
# Real TCP through flowlbd's flow-label load balancing (issue 4): the system
# test of services, on the userspace datapath.
#
#   c1, c2 (clients) --veth--+                 +--veth-- s1 .. s4 (servers)
#                            [br0, netdev datapath]
#                                  | OpenFlow
#                               flowlbd --REST-- this script
#
# Clients reach a VIP that flowlbd answers Neighbor Solicitations for; br0
# sends VIP traffic to a select group that hashes {src, dst, label} (the
# 5-tuple for a zero label) over the members' MACs; servers hold the VIP on
# their loopback and answer the clients directly (DSR).  Each server runs an
# HTTP server that answers GET / with its name (s1 .. s4), so a client sees
# which member it reached.
#
# usage: lb-traffic.sh [SCENARIO...]     (default: all of them, in order)
#
#   spread     300 curls from two clients spread over 3 members (+-30%)
#   weights    weights 2,1,1 give 150/75/75 (+-30%)
#   zero-label auto_flowlabels=0 in a client: label 0, still balanced on the
#              5-tuple
#   sticky     one {source, label} always reaches one member
#   remove     removing 1 of 4 members moves only the keys that were on it
#   drain      a drained member takes no new sessions
#   flowlbd-restart   restarting flowlbd under an iperf3 stream: the stream
#              goes on and flowlbd sends no flow or group mod; then a stale
#              flow and group added while flowlbd is down are removed by the
#              next flowlbd, and nothing else changes
#   vswitchd-restart  restarting ovs-vswitchd, plainly and as ovs-ctl does
#              (ovs-save, flow-restore-wait): flowlbd restores exactly the
#              same flows, groups and meters, and traffic flows again, to
#              a DSR service and to a per-session NAT service (whose
#              table 40 flow uses a meter, which ovs-save must restore
#              before the flows: ovs-patches/0005)
#
# Each check prints "lb-traffic: ok: ..." or "lb-traffic: FAIL: ...";
# measured numbers are printed as "lb-traffic: SCENARIO: ...".  All of them
# take about 40 s on 2 cores.  FLOWLBD_LOG_LEVEL=dbg makes flowlbd log
# every OpenFlow message it sends and receives.
#
# ovs-vswitchd and flowlbd run in a network namespace of their own, so that
# the userspace datapath's tap devices (ovs-netdev, br0) and the loopback
# ports flowlbd listens on never clash with a sandbox or another test run.
# tests/traffic-lib.sh, shared with tests/stick-traffic.sh, sets that up.
#
# Needs root, network namespaces, veth, the patched OVS and flowlbd in PATH
# (run by hand, it finds them in the source tree it lives in).  Exits 77
# (skip) when the machine lacks one, 0 when all checks pass, 1 otherwise.
# Everything it creates (namespaces, links, daemons by pid) goes away on
# exit; KEEP=1 keeps the state directory (logs, dumps) even on success.

set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/tests/traffic-lib.sh"
log_prefix=lb-traffic

all_scenarios="spread weights zero-label sticky remove drain flowlbd-restart vswitchd-restart"
parse_scenarios "$all_scenarios" "$@"
find_programs

tag=lb$$
dir=$(mktemp -d "${TMPDIR:-/tmp}/lb-traffic.XXXXXX")
ns_sw=$tag-sw
clients="c1 c2"
servers="s1 s2 s3 s4"
net=2001:db8:f1b:
dpid=00000000000000b1
failed=0

# The hosts: namespace $tag-NAME, interface eth0, the other end pN in $ns_sw
# as OpenFlow port N.
host_port() {
    case $1 in c1) echo 1 ;; c2) echo 2 ;; s1) echo 3 ;; s2) echo 4 ;;
               s3) echo 5 ;; s4) echo 6 ;; esac
}
host_addr() {
    case $1 in c1) echo ${net}:11 ;; c2) echo ${net}:12 ;; s1) echo ${net}:21 ;;
               s2) echo ${net}:22 ;; s3) echo ${net}:23 ;; s4) echo ${net}:24 ;;
    esac
}

trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

check_machine iperf3

# ---------------------------------------------------------------------------
# Helpers run inside the namespaces.

# An HTTP server that answers GET / with its name, on [::]:80.
cat > "$dir/httpd.py" <<'EOF'
import http.server
import socket
import sys

NAME = sys.argv[1].encode() + b"\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(NAME)))
        self.end_headers()
        self.wfile.write(NAME)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


Server(("::", 80), Handler).serve_forever()
EOF

# labelled.py VIP LABELS COUNT: for each flow label in LABELS (comma
# separated, decimal or 0x; "rand:SEED:N" for N distinct random nonzero
# labels), COUNT HTTP GETs of / from new sockets (so new source ports) that
# send that label, and one line "LABEL MEMBER" per GET ("none" on error).
cat > "$dir/labelled.py" <<'EOF'
import random
import socket
import struct
import sys

IPV6_FLOWLABEL_MGR = 32
IPV6_FLOWINFO_SEND = 33
IPV6_FL_A_GET = 0
IPV6_FL_S_ANY = 255
IPV6_FL_F_CREATE = 1

vip, labels, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if labels.startswith("rand:"):
    _, seed, n = labels.split(":")
    labels = random.Random(int(seed)).sample(range(1, 1 << 20), int(n))
else:
    labels = [int(x, 0) for x in labels.split(",")]
dst = socket.inet_pton(socket.AF_INET6, vip)

for label in labels:
    for _ in range(count):
        member = "none"
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            # struct in6_flowlabel_req: dst, label (network order), action,
            # share, flags, expires, linger, pad.
            req = struct.pack("=16s4sBBHHHI", dst, label.to_bytes(4, "big"),
                              IPV6_FL_A_GET, IPV6_FL_S_ANY, IPV6_FL_F_CREATE,
                              0, 0, 0)
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, req)
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 1)
            s.connect((vip, 80, label, 0))
            s.sendall(b"GET / HTTP/1.0\r\nHost: lb\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            body = data.split(b"\r\n\r\n", 1)[1].strip().decode()
            member = body or "none"
        except (OSError, IndexError) as e:
            print("labelled.py: label %#x: %s" % (label, e), file=sys.stderr)
        finally:
            s.close()
        print("%#x %s" % (label, member), flush=True)
EOF

# ---------------------------------------------------------------------------
# The hosts.

for h in $clients $servers; do
    add_host $h
done

# ---------------------------------------------------------------------------
# OVS and flowlbd in $ns_sw; flowlbd found from its log, and a restart
# (start_flowlbd again) reuses its ports.

start_ovs
start_flowlbd || { fail "flowlbd did not start"; exit 1; }

# A short max_backoff brings br0 back to a restarted flowlbd within a
# second.
start_bridge || exit 1
vsctl set controller br0 max_backoff=1000 || exit 1

cookie=cookie=0xf1b0000000000000/0xffff000000000000
wait_switch

for h in $servers; do
    ip netns exec "$tag-$h" $PYTHON "$dir/httpd.py" $h \
        > "$dir/httpd-$h.log" 2>&1 &
    echo $! > "$dir/httpd-$h.pid"
done
for h in $servers; do
    wait_until ip netns exec "$tag-$h" sh -c 'ss -ltn | grep -q ":80 "' \
        || { fail "HTTP server in $h did not start"; exit 1; }
done

# Before any service exists: flowlbd's own priority=0 NORMAL flow lets the
# clients reach the servers directly.
reaches() {
    test "$(ip netns exec "$tag-$1" curl -s -g --max-time 2 \
                "http://[$(host_addr $2)]/")" = "$2"
}
for c in $clients; do
    for s in $servers; do
        wait_until reaches $c $s || fail "$c cannot reach $s directly"
    done
done
[ "$failed" = 0 ] && ok "clients reach every server directly (flowlbd's NORMAL flow)"

# ---------------------------------------------------------------------------
# Services.

members_json() {
    sep=
    printf '['
    for m in "$@"; do
        case $m in
            *:*) printf '%s{"address": "%s", "weight": %s}' "$sep" \
                     "$(host_addr ${m%:*})" "${m#*:}" ;;
            *) printf '%s{"address": "%s"}' "$sep" "$(host_addr $m)" ;;
        esac
        sep=', '
    done
    printf ']'
}

# web NAME VIP KEY MEMBER[:WEIGHT]...: JSON of an HTTP service.
web() {
    printf '{"name": "%s", "vip": "%s", "protocol": "tcp", "ports": [80], "key": "%s", "members": %s}' \
        "$1" "$2" "$3" "$(shift 3; members_json "$@")"
}


# counts FILE MEMBER...: "s1=N s2=N ... none=N" for the members' lines.
counts() {
    file=$1
    shift
    for m in "$@" none; do
        printf '%s=%s ' $m $(grep -cx "$m" "$file")
    done
}

# spread_ok FILE MEMBER:EXPECTED...: every member within 30% of EXPECTED,
# no failed request, no other member.
spread_ok() {
    file=$1
    shift
    total=0
    for me in "$@"; do
        n=$(grep -cx "${me%:*}" "$file")
        e=${me#*:}
        total=$((total + n))
        # 10 * n within 7 * e .. 13 * e
        if [ $((10 * n)) -lt $((7 * e)) ] || [ $((10 * n)) -gt $((13 * e)) ]; then
            return 1
        fi
    done
    [ $total = "$(wc -l < "$file")" ]
}

# group_packets GROUP: packet_count of GROUP on br0.
group_packets() {
    ofctl dump-group-stats br0 group_id=$1 \
        | sed -n 's/.*group_id='$1',.*ref_count=[0-9]*,packet_count=\([0-9]*\),.*/\1/p'
}

# The flows and groups flowlbd owns, without counters and ages, sorted.
dump_state() {
    ofctl dump-flows br0 $cookie | grep 'cookie=' | sed -E \
        -e 's/ (duration|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout)=[^,]*,//g' \
        -e 's/^ *//' | sort
    ofctl dump-groups br0 | grep 'group_id=' | sed 's/^ *//' | sort
    ofctl dump-meters br0 | sed -n 's/^\(meter=\|type=\)/\1/p' | paste -sd' '
}

# ---------------------------------------------------------------------------
# Scenarios.

scenario_spread() {
    service_create "$(web spread ${net}:100 src-dst-label s1 s2 s3)" || return
    curls ${net}:100 150 $clients > "$dir/spread.out"
    log "spread: 300 requests from c1 and c2: $(counts "$dir/spread.out" s1 s2 s3 s4)"
    if spread_ok "$dir/spread.out" s1:100 s2:100 s3:100; then
        ok "spread: 300 requests over 3 members, each within 30% of 100"
    else
        fail "spread: not within 30% of 100 each"
    fi
    # What an operator reads: flowlbd's flows and groups for this service.
    ofctl dump-flows br0 $cookie | sed 's/^/lb-traffic: dump-flows: /'
    ofctl dump-groups br0 | sed 's/^/lb-traffic: dump-groups: /'
    service_delete $id
}

scenario_weights() {
    service_create "$(web weights ${net}:100 src-dst-label s1:2 s2:1 s3:1)" || return
    curls ${net}:100 150 $clients > "$dir/weights.out"
    log "weights: 2,1,1, 300 requests: $(counts "$dir/weights.out" s1 s2 s3 s4)"
    if spread_ok "$dir/weights.out" s1:150 s2:75 s3:75; then
        ok "weights: 2,1,1 give 150/75/75 within 30%"
    else
        fail "weights: not 150/75/75 within 30%"
    fi
    service_delete $id
}

scenario_zero_label() {
    service_create "$(web zero ${net}:100 src-dst-label s1 s2 s3)" || return
    svc=$(rest GET /v1/services/$id)
    g_label=$(echo "$svc" | jq -r .openflow.groups.label)
    g_tuple=$(echo "$svc" | jq -r '.openflow.groups["5tuple"]')
    ip netns exec $tag-c2 sysctl -qw net.ipv6.auto_flowlabels=0
    l0=$(group_packets $g_label) u0=$(group_packets $g_tuple)
    curls ${net}:100 300 c2 > "$dir/zero.out"
    # ovs-vswitchd adds datapath flows' counters to groups' statistics when
    # its revalidators run: wait until the requests show, at least 4
    # packets each from the client (SYN, ACK, GET, FIN).
    tuple_counted() {
        ovs-appctl revalidator/wait
        [ $(($(group_packets $g_tuple) - u0)) -ge 1200 ]
    }
    wait_until tuple_counted
    l1=$(group_packets $g_label) u1=$(group_packets $g_tuple)
    ip netns exec $tag-c2 sysctl -qw net.ipv6.auto_flowlabels=1
    log "zero-label: 300 requests from c2 with auto_flowlabels=0: $(counts "$dir/zero.out" s1 s2 s3 s4)"
    log "zero-label: packets through the label group $g_label: $((l1 - l0)), through the 5-tuple group $g_tuple: $((u1 - u0))"
    if [ $((l1 - l0)) = 0 ] && [ $((u1 - u0)) -ge 1200 ]; then
        ok "zero-label: every packet had label 0 and went through the 5-tuple group"
    else
        fail "zero-label: expected all packets in the 5-tuple group"
    fi
    if spread_ok "$dir/zero.out" s1:100 s2:100 s3:100; then
        ok "zero-label: 300 requests over 3 members, each within 30% of 100"
    else
        fail "zero-label: not within 30% of 100 each"
    fi
    service_delete $id
}

scenario_sticky() {
    service_create "$(web sticky ${net}:100 src-dst-label s1 s2 s3)" || return
    labels=0x1,0x2,0x3,0x12345,0x54321,0xabcde,0xfffff,0x80000,0x7,0xcafe
    bad=0
    for c in $clients; do
        ip netns exec $tag-$c $PYTHON "$dir/labelled.py" ${net}:100 $labels 20 \
            > "$dir/sticky-$c.out" 2> "$dir/sticky-$c.err"
        summary=$(sort "$dir/sticky-$c.out" | uniq -c \
                  | awk '{ printf "%s->%s(%d) ", $2, $3, $1 }')
        log "sticky: $c, 20 connections per label: $summary"
        # One member per label, 20 answers each, none failed.
        if sort -u "$dir/sticky-$c.out" | awk '
                $2 == "none" { bad = 1 } { n[$1]++ }
                END { for (l in n) if (n[l] != 1) bad = 1; exit bad }' \
           && [ "$(wc -l < "$dir/sticky-$c.out")" = 200 ]; then
            :
        else
            bad=1
        fi
        distinct=$(awk '{ print $2 }' "$dir/sticky-$c.out" | sort -u | wc -l)
        [ "$distinct" -ge 2 ] || bad=1
    done
    if [ $bad = 0 ]; then
        ok "sticky: each {source, label} reached one member, 20 connections of 10 labels from each client"
    else
        fail "sticky: a {source, label} reached several members, failed, or all labels one member"
    fi
    service_delete $id
}

scenario_remove() {
    service_create "$(web remove ${net}:100 src-dst-label s1 s2 s3 s4)" || return
    # 400 keys: with 200, the 0.25 + 0.07 bound is 2.3 standard deviations
    # of the removed member's share; with 400 it is 3.2.
    keys=400
    in_c1() { ip netns exec $tag-c1 "$@"; }
    in_c1 $PYTHON "$dir/labelled.py" ${net}:100 rand:7:$keys 1 \
        > "$dir/remove-before.out" 2> "$dir/remove-before.err"
    log "remove: $keys labels before: $(awk '{ print $2 }' "$dir/remove-before.out" > "$dir/m"; counts "$dir/m" s1 s2 s3 s4)"
    victim=s2
    mid=$(member_id $id $victim)
    rest DELETE /v1/services/$id/members/$mid >/dev/null \
        || fail "remove: DELETE member $mid"
    wait_service $id || return
    in_c1 $PYTHON "$dir/labelled.py" ${net}:100 rand:7:$keys 1 \
        > "$dir/remove-after.out" 2> "$dir/remove-after.err"
    log "remove: $keys labels after removing $victim: $(awk '{ print $2 }' "$dir/remove-after.out" > "$dir/m"; counts "$dir/m" s1 s2 s3 s4)"
    result=$(paste -d ' ' "$dir/remove-before.out" "$dir/remove-after.out" | awk \
        -v victim=$victim -v keys=$keys '
        $1 != $3 { print "misaligned"; exit }
        $2 == "none" || $4 == "none" { failed++ }
        $2 == victim { on_victim++ }
        $2 != $4 { moved++; if ($2 != victim) wrong++ }
        END { printf "%d %d %d %d %.3f\n", on_victim, moved, wrong, failed,
              moved / keys }')
    set -- $result
    log "remove: keys on $victim before: $1, keys moved: $2 (fraction $5), moved from another member: $3, failed: $4"
    if [ "$3" = 0 ] && [ "$4" = 0 ] && [ "$1" = "$2" ] \
       && awk -v f=$5 'BEGIN { exit !(f <= 0.32) }'; then
        ok "remove: only the keys on the removed member moved, fraction $5 <= 0.32"
    else
        fail "remove: keys moved that were not on the removed member, or too many"
    fi
    service_delete $id
}

scenario_drain() {
    service_create "$(web drain ${net}:100 src-dst-label s1 s2 s3)" || return
    mid=$(member_id $id s2)
    rest PATCH /v1/services/$id/members/$mid '{"state": "drain"}' >/dev/null \
        || fail "drain: PATCH member $mid"
    wait_service $id || return
    curls ${net}:100 50 $clients > "$dir/drain.out"
    log "drain: s2 drained, 100 requests: $(counts "$dir/drain.out" s1 s2 s3 s4)"
    if [ "$(grep -cx s2 "$dir/drain.out")" = 0 ] \
       && [ "$(grep -cx s1 "$dir/drain.out")" -gt 20 ] \
       && [ "$(grep -cx s3 "$dir/drain.out")" -gt 20 ] \
       && [ "$(grep -cvx -e s1 -e s3 "$dir/drain.out")" = 0 ]; then
        ok "drain: the drained member took none of 100 new sessions"
    else
        fail "drain: the drained member took sessions, or requests failed"
    fi
    service_delete $id
}

# flow_durations: "FLOW DURATION" per flowlbd flow, FLOW without counters.
flow_durations() {
    ofctl dump-flows br0 $cookie | grep 'cookie=' | sed -E \
        -e 's/^ *//' -e 's/ duration=([0-9.]*)s,(.*)/\2 \1/' \
        -e 's/ (n_packets|n_bytes|idle_age|hard_age)=[^,]*,//g' \
        -e 's/ /_/g' -e 's/_([0-9.]*)$/ \1/' | sort
}

scenario_flowlbd_restart() {
    # iperf3 opens a control and a data connection, which must reach the
    # same member: this service hashes on the source address only.
    body=$(printf '{"name": "iperf", "vip": "%s", "protocol": "tcp", "ports": [5201], "key": "src", "members": %s}' \
        ${net}:101 "$(members_json s1 s2 s3)")
    service_create "$body" || return
    for h in s1 s2 s3; do
        ip -n $tag-$h addr add ${net}:101/128 dev lo
        ip netns exec $tag-$h iperf3 -s -B ${net}:101 -p 5201 \
            > "$dir/iperf3-$h.log" 2>&1 &
        echo $! > "$dir/iperf3-$h.pid"
    done
    for h in s1 s2 s3; do
        wait_until ip netns exec $tag-$h sh -c 'ss -ltn | grep -q ":5201 "' \
            || { fail "iperf3 -s in $h did not start"; return; }
    done
    ip netns exec $tag-c1 iperf3 -c ${net}:101 -p 5201 -t 8 -i 0.5 -J \
        > "$dir/iperf3-client.json" 2> "$dir/iperf3-client.err" &
    client=$!
    echo $client > "$dir/iperf3-client.pid"
    # Mid-stream: once the data connection is established on a server.
    streaming() {
        for h in s1 s2 s3; do
            n=$(ip netns exec $tag-$h ss -Htn state established \
                    '( sport = :5201 )' | wc -l)
            [ "$n" -ge 2 ] && return 0
        done
        return 1
    }
    wait_until streaming || fail "flowlbd-restart: no iperf3 stream"
    # Restart once the stream is well under way: 50 MB received (about a
    # second here).
    streamed() {
        for h in s1 s2 s3; do
            ip netns exec $tag-$h ss -Htni state established '( sport = :5201 )'
        done | tr ' ' '\n' | sed -n 's/^bytes_received://p' \
            | awk '$1 >= 50000000 { found = 1 } END { exit !found }'
    }
    wait_until streamed || fail "flowlbd-restart: the stream carries nothing"
    flow_durations > "$dir/durations-before"
    before=$(date +%s.%N)
    kill_pidfile "$dir/flowlbd.pid"
    start_flowlbd || { fail "flowlbd-restart: flowlbd did not start again"; return; }
    wait_until switch_connected || fail "flowlbd-restart: br0 did not reconnect"
    wait_service $id
    restarted=$(date +%s.%N)
    sw=$(rest GET /v1/switches/$dpid)
    log "flowlbd-restart: flowlbd restarted and in sync in $(echo "$before $restarted" | awk '{ printf "%.2f", $2 - $1 }') s; GET /v1/switches/$dpid: $(echo "$sw" | jq -c .sync)"
    flow_durations > "$dir/durations-after"
    wait $client
    status=$?
    rm -f "$dir/iperf3-client.pid"
    if [ $status = 0 ]; then
        ok "flowlbd-restart: iperf3 exited 0"
    else
        fail "flowlbd-restart: iperf3 exited $status: $(cat "$dir/iperf3-client.err")"
    fi
    jq -r '.intervals[].sum | "\(.start) \(.end) \(.bytes)"' \
        "$dir/iperf3-client.json" > "$dir/iperf3-intervals"
    log "flowlbd-restart: iperf3: $(jq -r '.end.sum_received | "\(.bytes) bytes in \(.seconds) s, \(.bits_per_second / 1e6 | floor) Mbit/s"' "$dir/iperf3-client.json"), retransmits $(jq -r .end.sum_sent.retransmits "$dir/iperf3-client.json"), $(wc -l < "$dir/iperf3-intervals") intervals of 0.5 s, the smallest $(sort -n -k 3 "$dir/iperf3-intervals" | head -n 1 | awk '{ print $3 }') bytes"
    if [ -s "$dir/iperf3-intervals" ] \
       && awk '$3 == 0 { exit 1 }' "$dir/iperf3-intervals"; then
        ok "flowlbd-restart: no iperf3 interval without bytes"
    else
        fail "flowlbd-restart: an iperf3 interval carried no bytes"
    fi
    if echo "$sw" | jq -e '.sync.flow_mods == 0 and .sync.group_mods == 0' \
            >/dev/null; then
        ok "flowlbd-restart: the restarted flowlbd sent no flow or group mod"
    else
        fail "flowlbd-restart: the restarted flowlbd changed the switch"
    fi
    # The same flows, none re-added: every duration grew.
    if join "$dir/durations-before" "$dir/durations-after" \
            > "$dir/durations" \
       && [ "$(wc -l < "$dir/durations")" = "$(wc -l < "$dir/durations-before")" ] \
       && [ "$(wc -l < "$dir/durations")" = "$(wc -l < "$dir/durations-after")" ] \
       && awk '$3 < $2 { exit 1 }' "$dir/durations"; then
        ok "flowlbd-restart: the $(wc -l < "$dir/durations") flows were not replaced (durations not reset)"
    else
        fail "flowlbd-restart: flows changed or were re-added (see $dir/durations-*)"
    fi
    for h in s1 s2 s3; do
        kill_pidfile "$dir/iperf3-$h.pid"
        ip -n $tag-$h addr del ${net}:101/128 dev lo
    done

    # Objects in flowlbd's ranges that it does not want, as if left by a
    # service deleted from the state file while flowlbd was down: the next
    # flowlbd removes exactly those.
    dump_state > "$dir/stale-before"
    kill_pidfile "$dir/flowlbd.pid"
    ofctl add-flow br0 "cookie=0xf1b0000000ff0000,table=0,priority=500,tcp6,ipv6_dst=${net}:dead,actions=drop"
    ofctl add-group br0 "group_id=4081,type=select,selection_method=hash,fields(ipv6_src),bucket=bucket_id:256,actions=drop"
    start_flowlbd || { fail "flowlbd-restart: flowlbd did not start again"; return; }
    wait_until switch_connected || fail "flowlbd-restart: br0 did not reconnect"
    wait_service $id
    no_stale() {
        dump_state > "$dir/stale-after" && cmp -s "$dir/stale-before" "$dir/stale-after"
    }
    wait_until no_stale
    sw=$(rest GET /v1/switches/$dpid)
    log "flowlbd-restart: with a stale flow and group: $(echo "$sw" | jq -c .sync)"
    if no_stale && echo "$sw" | jq -e '.sync.flow_mods == 1 and .sync.group_mods == 1' >/dev/null; then
        ok "flowlbd-restart: flowlbd removed a stale flow and group, and changed nothing else"
    else
        fail "flowlbd-restart: stale objects not removed, or other changes:"
        diff "$dir/stale-before" "$dir/stale-after" | sed 's/^/lb-traffic: /'
    fi
    service_delete $id
}

# sync_counter FIELD: FIELD of the sync object of GET /v1/switches/DPID.
sync_counter() {
    rest GET /v1/switches/$dpid | jq -r ".sync.$1"
}

# per_session NAME VIP MEMBER...: JSON of an HTTP service with NAT that
# decides per session (least-sessions, exact).
per_session() {
    printf '{"name": "%s", "vip": "%s", "protocol": "tcp", "ports": [80], "forwarding": "nat", "decision": "per-session", "algorithm": "least-sessions", "members": %s}' \
        "$1" "$2" "$(shift 2; members_json "$@")"
}

# per_session_ok WHEN: 10 GETs to the per-session service from c1 are all
# answered, by s1, s2 and s3 in turn (least-sessions, exact counts).
per_session_ok() {
    curls ${net}:200 10 c1 > "$dir/per-session.out"
    if [ "$(grep -cx -e s1 -e s2 -e s3 "$dir/per-session.out")" = 10 ]; then
        ok "vswitchd-restart: 10 requests to the per-session service answered $1: $(counts "$dir/per-session.out" s1 s2 s3)"
    else
        fail "vswitchd-restart: requests to the per-session service failed $1: $(counts "$dir/per-session.out" s1 s2 s3)"
    fi
}

scenario_vswitchd_restart() {
    service_create "$(per_session sessions ${net}:200 s1 s2 s3)" || return
    ps_id=$id
    service_create "$(web restart ${net}:100 src-dst-label s1 s2 s3)" || return
    per_session_ok "before the restarts"
    dump_state > "$dir/dump-before"
    converged() {
        dump_state > "$dir/dump-after" && cmp -s "$dir/dump-before" "$dir/dump-after"
    }

    # A plain restart: ovs-vswitchd comes back with no flows at all and
    # flowlbd must install them all again, once each.
    t0=$(date +%s.%N)
    kill_pidfile "$dir/ovs-vswitchd.pid"
    start_vswitchd || { fail "vswitchd-restart: ovs-vswitchd did not start"; return; }
    if wait_until converged; then
        ok "vswitchd-restart: the same $(grep -c cookie= "$dir/dump-before") flows and $(grep -c group_id= "$dir/dump-before") groups after a restart, $(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }') s from the kill"
    else
        fail "vswitchd-restart: flows or groups differ after a restart:"
        diff "$dir/dump-before" "$dir/dump-after" | sed 's/^/lb-traffic: /'
    fi
    wait_service $id
    curls ${net}:100 10 c1 > "$dir/restart.out"
    if [ "$(grep -cx -e s1 -e s2 -e s3 "$dir/restart.out")" = 10 ]; then
        ok "vswitchd-restart: 10 requests answered after the restart"
    else
        fail "vswitchd-restart: requests failed after the restart: $(counts "$dir/restart.out" s1 s2 s3)"
    fi
    per_session_ok "after the restart"

    # The way ovs-ctl restarts it: ovs-save saves the flows and groups and
    # the new ovs-vswitchd waits (flow-restore-wait) until they are back.
    # OVS 3.1 then flushes them all anyway when the bridge gets its
    # controller (connmgr_set_controllers(): none -> some), so flowlbd
    # installs everything again; what counts is that it converges.
    if ! ovs-save save-flows br0 > "$dir/restore.sh" 2> "$dir/ovs-save.err"; then
        fail "vswitchd-restart: ovs-save failed: $(cat "$dir/ovs-save.err")"
        return
    fi
    flow_mods=$(sync_counter flow_mods) group_mods=$(sync_counter group_mods)
    t0=$(date +%s.%N)
    kill_pidfile "$dir/ovs-vswitchd.pid"
    ovs-vsctl --no-wait set open_vswitch . other_config:flow-restore-wait=true
    start_vswitchd || { fail "vswitchd-restart: ovs-vswitchd did not start"; return; }
    sh "$dir/restore.sh" > "$dir/restore.log" 2>&1 \
        || fail "vswitchd-restart: restoring the flows failed: $(cat "$dir/restore.log")"
    dump_state > "$dir/dump-restored"
    if cmp -s "$dir/dump-before" "$dir/dump-restored"; then
        ok "vswitchd-restart: ovs-save restored the same flows, groups and meters"
    else
        fail "vswitchd-restart: ovs-save did not restore the flows, groups and meters:"
        diff "$dir/dump-before" "$dir/dump-restored" | sed 's/^/lb-traffic: /'
    fi
    ovs-vsctl --no-wait remove open_vswitch . other_config flow-restore-wait
    if wait_until converged; then
        ok "vswitchd-restart: the same flows and groups after an ovs-save restart, $(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }') s from the kill"
    else
        fail "vswitchd-restart: flows or groups differ after an ovs-save restart:"
        diff "$dir/dump-before" "$dir/dump-after" | sed 's/^/lb-traffic: /'
    fi
    wait_service $id
    log "vswitchd-restart: ovs-save restart: flowlbd then sent $(($(sync_counter flow_mods) - flow_mods)) flow mods and $(($(sync_counter group_mods) - group_mods)) group mods"
    curls ${net}:100 10 c1 > "$dir/restart.out"
    if [ "$(grep -cx -e s1 -e s2 -e s3 "$dir/restart.out")" = 10 ]; then
        ok "vswitchd-restart: 10 requests answered after the ovs-save restart"
    else
        fail "vswitchd-restart: requests failed after the ovs-save restart: $(counts "$dir/restart.out" s1 s2 s3)"
    fi
    per_session_ok "after the ovs-save restart"
    service_delete $id
    service_delete $ps_id
}

# The VIP of the HTTP services, on every server's loopback.
for h in $servers; do
    ip -n $tag-$h addr add ${net}:100/128 dev lo
done

for s in $scenarios; do
    started=$(date +%s.%N)
    scenario_$(echo $s | tr - _)
    log "$s: took $(echo "$started $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }') s"
done

# Neither daemon logged an error (warnings from ovs-vswitchd's restart and
# the controller going away are expected).  One error is expected too: a
# restarted ovs-vswitchd that asks ovsdb-server for its lock before
# ovsdb-server has seen the old one's connection close logs "another
# ovs-vswitchd process is running" and waits for the lock.
finish 'another ovs-vswitchd process is running'
