#!/usr/bin/env python3
"""A stand-in for flowlbd's REST API (docs/api.md), for tests/ctl.at.

usage: fake-api.py PORT-FILE LOG-FILE [--hang]

Listens on 127.0.0.1 on a free port and writes the port number to
PORT-FILE once it accepts connections (the file appears whole, by rename).
Each request is appended to LOG-FILE, before the answer is sent, as one
line "METHOD PATH BODY", BODY being the request's JSON compact with sorted
keys, or "-" when there is none.

The answers are canned, from two services ("web", id 1, IPv6, three
members, with the algorithm and health fields of issue 6; "dns", id 2,
IPv4, one member, as an older flowlbd answers; "napt", id 5, which GET
finds but the list does not show) and two switches, and do not
change: a POST answers what it would have created, a PATCH the object
with the change, a DELETE 204.  It checks what tests need to see refused:
ports and weights out of range (422), a duplicate name (409), unknown
services and members (404).  Service "boom" answers 500 and service
"garbage" a 200 that is not JSON.

With --hang it listens and never accepts, so that clients time out.
"""

import copy
import json
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

STATUS = {
    "version": "0.1.0",
    "ovs_version": "3.1.0",
    "started": "2026-11-23T20:16:01.123Z",
    "uptime_s": 3725,
    "switches": {"total": 2, "connected": 1, "dead": 1, "disconnected": 0},
    "counters": {
        "ofp_accepted": 3,
        "ofp_handshakes": 3,
        "ofp_closed": 1,
        "ofp_dead": 1,
        "rest_requests": 42,
        "rest_errors": 2,
    },
}

SWITCHES = [
    {"dpid": "00000000000000b0", "state": "connected",
     "version": "OpenFlow15", "peer": "127.0.0.1:41000",
     "connected_since": "2026-11-23T20:16:02.000Z",
     "state_since": "2026-11-23T20:16:02.000Z", "state_for_s": 120,
     "reason": None, "n_ports": 4},
    {"dpid": "00000000000000b1", "state": "dead",
     "version": "OpenFlow13", "peer": "127.0.0.1:41002",
     "connected_since": "2026-11-23T20:16:03.000Z",
     "state_since": "2026-11-23T21:16:03.000Z", "state_for_s": 5,
     "reason": "no echo reply for 10 s", "n_ports": 2},
]


def member(mid, address, mac, weight, state, smac, source, packets,
           stick=0, health=None):
    m = {"id": mid, "address": address, "mac": mac, "weight": weight,
         "state": state,
         "status": {"mac": smac, "mac_source": source,
                    "packets": packets, "bytes": packets * 100,
                    "stick_entries": stick}}
    if health:
        # A flowlbd with NAT, algorithms and health (issue 6): 'health' is
        # (health, rtt_ms, sessions).
        m.update({"port": 0, "backup": None, "cost": 1})
        m["status"].update({
            "health": health[0], "rtt_ms": health[1],
            "sessions": health[2], "takes_sessions": health[0] != "down",
            "health_since": None, "health_reason": None,
            "health_history": [], "traffic_rate": 0.0,
            "bucket_weight": 0, "reply_packets": 0, "reply_bytes": 0,
            "napt_exhausted": 0})
    return m


def counters(**kw):
    c = {"fragments": 0, "label_change_drops": 0, "ptb_delivered": 0,
         "ptb_broadcast": 0, "stick_entries": 0}
    c.update(kw)
    return c


SERVICES = [
    {"id": 1, "name": "web", "vip": "2001:db8:f10::100", "family": "ipv6",
     "protocol": "tcp", "ports": [80, 443], "key": "src-dst-label",
     "forwarding": "dsr", "persistence": "stateless", "idle_timeout": 300,
     "label_change": "rebalance", "switches": [],
     "algorithm": "least-sessions", "decision": "datapath-fast",
     "per_session_rate": 1000, "traffic_metric": "bytes",
     "traffic_window": 10, "session_weight": 1,
     "health": {"type": "http", "interval": 2, "timeout": 0.5, "rise": 2,
                "fall": 3, "port": 0, "path": "/", "expect": 200},
     "passive_timeout": 0,
     "members": [
         member(1, "2001:db8:f10::21", None, 1, "enabled",
                "aa:bb:cc:dd:ee:01", "resolved", 10,
                health=("up", 1.25, 0)),
         member(2, "2001:db8:f10::22", "aa:bb:cc:dd:ee:02", 2, "drain",
                "aa:bb:cc:dd:ee:02", "configured", 5,
                health=("unknown", None, 0)),
         member(3, "2001:db8:f10::23", None, 1, "disabled",
                None, "unresolved", 0, health=("down", None, 0))],
     "status": dict(counters(fragments=4, ptb_broadcast=1),
                    packets=15, bytes=1500, members_active=2,
                    switches=[{"dpid": "00000000000000b0",
                               "sync": "in-sync"}]),
     "openflow": {"cookie": "0xf1b0000000010000",
                  "cookie_mask": "0xffffffffffff0000", "tables": [0],
                  "groups": {"label": 17, "5tuple": 18}}},
    {"id": 2, "name": "dns", "vip": "198.51.100.53", "family": "ipv4",
     "protocol": "udp", "ports": [53], "key": "5tuple",
     "forwarding": "dsr", "persistence": "stateful", "idle_timeout": 60,
     "label_change": "follow", "switches": ["00000000000000b0"],
     "members": [
         member(1, "198.51.100.21", None, 1, "enabled",
                "aa:bb:cc:dd:ee:11", "resolved", 7, 3)],
     "status": dict(counters(stick_entries=3, ptb_delivered=2),
                    packets=7, bytes=700, members_active=1,
                    switches=[{"dpid": "00000000000000b0",
                               "sync": "pending"}]),
     "openflow": {"cookie": "0xf1b0000000020000",
                  "cookie_mask": "0xffffffffffff0000",
                  "tables": [0, 10, 12, 20, 30],
                  "groups": {"5tuple": 19},
                  "stick_cookie": "0xf1b1010000020000",
                  "stick_cookie_mask": "0xffff00ffffff0000"}},
]


# Found by name or id but not listed, so that the tables of the listed
# services stay as they are: a NAPT service with every field of issue 6.
HIDDEN_SERVICES = [
    {"id": 5, "name": "napt", "vip": "192.0.2.100", "family": "ipv4",
     "protocol": "tcp", "ports": [80], "key": "5tuple",
     "forwarding": "napt", "persistence": "stateless", "idle_timeout": 300,
     "label_change": "rebalance", "source": "192.0.2.200",
     "source_ports": [2000, 3000],
     "timeouts": {"tcp": 3600, "udp": 30, "icmp": 60},
     "algorithm": "fastest-response", "decision": "per-session",
     "per_session_rate": 50, "traffic_metric": "packets",
     "traffic_window": 30, "session_weight": 2,
     "health": {"type": "tcp", "interval": 0.5, "timeout": 0.25,
                "rise": 1, "fall": 2, "port": 8080},
     "passive_timeout": 30, "switches": [],
     "members": [
         member(1, "192.0.2.21", None, 1, "enabled", "aa:bb:cc:dd:ee:21",
                "resolved", 40, 4, health=("up", 0.42, 4)),
         member(2, "192.0.2.22", None, 1, "enabled", "aa:bb:cc:dd:ee:22",
                "resolved", 0, 0, health=("down", None, 0))],
     "status": dict(counters(stick_entries=4), packets=40, bytes=4000,
                    members_active=1, sessions=4, sessions_started=9,
                    reply_packets=38, reply_bytes=3800, napt_exhausted=1,
                    nat_invalid=2, switches=[]),
     "openflow": {"cookie": "0xf1b0000000050000",
                  "cookie_mask": "0xffffffffffff0000",
                  "tables": [0, 40, 41, 42, 43, 45],
                  "groups": {"5tuple": 82, "fragments": 83},
                  "ct_zone": 3, "ct_zone_snat": 32771, "meter": 5,
                  "stick_cookie": "0xf1b1030000050000",
                  "stick_cookie_mask": "0xffff00ffffff0000"}},
]


class Refused(Exception):
    def __init__(self, status, field, message):
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def find_service(name):
    for svc in SERVICES + HIDDEN_SERVICES:
        if name in (str(svc["id"]), svc["name"]):
            return copy.deepcopy(svc)
    raise Refused(404, None, 'no service "%s"' % name)


def find_member(svc, mid):
    for m in svc["members"]:
        if str(m["id"]) == mid:
            return m
    raise Refused(404, None, 'service %s has no member %s'
                  % (svc["name"], mid))


def check_service(body):
    for i, port in enumerate(body.get("ports", [])):
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise Refused(422, "ports[%d]" % i,
                          "ports[%d]: must be an integer from 1 to 65535"
                          % i)
    name = body.get("name")
    if name is not None and name in [s["name"] for s in SERVICES]:
        raise Refused(409, "name", 'name: a service named "%s" exists'
                      % name)


def check_member(body):
    weight = body.get("weight", 1)
    if not isinstance(weight, int) or not 1 <= weight <= 256:
        raise Refused(422, "weight",
                      "weight: must be an integer from 1 to 256")


def new_service(body):
    check_service(body)
    for f in ("name", "vip"):
        if f not in body:
            raise Refused(422, f, "%s: required" % f)
    ipv6 = ":" in body["vip"]
    svc = {"id": 3, "family": "ipv6" if ipv6 else "ipv4",
           "protocol": "tcp", "ports": [],
           "key": "src-dst-label" if ipv6 else "5tuple",
           "forwarding": "dsr", "persistence": "stateless",
           "idle_timeout": 300, "label_change": "rebalance",
           "switches": [], "members": [],
           "status": dict(counters(), packets=0, bytes=0, members_active=0,
                          switches=[]),
           "openflow": {"cookie": "0xf1b0000000030000",
                        "cookie_mask": "0xffffffffffff0000",
                        "tables": [0], "groups": {"5tuple": 20}}}
    svc.update(body)
    return svc


def new_member(body):
    check_member(body)
    mac = body.get("mac")
    m = {"id": 4, "mac": None, "weight": 1, "state": "enabled",
         "status": {"mac": mac, "packets": 0, "bytes": 0,
                    "mac_source": "configured" if mac else "unresolved",
                    "stick_entries": 0}}
    m.update(body)
    return m


def route(method, parts, body):
    """Returns (status, answer) for 'method' on path 'parts' (the segments
    after /v1/), or raises Refused."""
    if parts == ["status"] and method == "GET":
        return 200, STATUS
    if parts == ["switches"] and method == "GET":
        return 200, {"switches": SWITCHES}
    if parts == ["services"]:
        if method == "GET":
            return 200, {"services": SERVICES}
        if method == "POST":
            return 201, new_service(body)
    elif len(parts) >= 2 and parts[0] == "services":
        if parts[1] == "boom":
            raise Refused(500, None, "internal error: boom")
        if parts[1] == "garbage":
            return 200, "<html>not JSON</html>"
        svc = find_service(parts[1])
        if len(parts) == 2:
            if method == "GET":
                return 200, svc
            if method == "PATCH":
                check_service(body)
                svc.update(body)
                return 200, svc
            if method == "DELETE":
                return 204, None
        elif parts[2:] == ["members"]:
            if method == "GET":
                return 200, {"members": svc["members"]}
            if method == "POST":
                return 201, new_member(body)
        elif len(parts) == 4 and parts[2] == "members":
            m = find_member(svc, parts[3])
            if method == "GET":
                return 200, m
            if method == "PATCH":
                check_member(body)
                m.update(body)
                return 200, m
            if method == "DELETE":
                return 204, None
    raise Refused(404, None, "no such path, or not with this method")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_file = None

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = None
        logged = "-"
        if raw:
            try:
                body = json.loads(raw)
                logged = json.dumps(body, sort_keys=True,
                                    separators=(",", ":"))
            except ValueError:
                logged = raw.decode("utf-8", "replace")
        with open(Handler.log_file, "a") as log:
            log.write("%s %s %s\n" % (self.command, self.path, logged))

        parts = self.path.split("/")
        try:
            if parts[:2] != ["", "v1"]:
                raise Refused(404, None, "no such path")
            if raw and not isinstance(body, dict):
                raise Refused(400, None, "body is not a JSON object")
            status, answer = route(self.command, parts[2:], body or {})
        except Refused as e:
            status = e.status
            answer = {"error": {"status": e.status, "field": e.field,
                                "message": e.message}}
        if answer is None:
            data = b""
        elif isinstance(answer, str):
            data = answer.encode()
        else:
            data = json.dumps(answer).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def log_message(self, format, *args):
        pass


def write_port(port_file, port):
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(port_file + ".tmp", port_file)


def main():
    port_file, log_file = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
    if sys.argv[3:] == ["--hang"]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        write_port(port_file, sock.getsockname()[1])
        while True:
            signal.pause()
    Handler.log_file = log_file
    open(log_file, "a").close()
    server = HTTPServer(("127.0.0.1", 0), Handler)
    write_port(port_file, server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
