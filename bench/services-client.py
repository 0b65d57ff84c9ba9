#!/usr/bin/env python3
"""REST client side of bench/services.sh: makes the service bodies, loads
them over keep-alive connections, and waits until flowlbd has a switch in
sync.  Standard library only.

  services-client.py bodies N MEMBERS     one JSON body a line, on stdout
  services-client.py load PORT FILE CLIENTS
        POSTs each line of FILE to /v1/services over CLIENTS keep-alive
        connections (one thread each, lines dealt round-robin), and prints
        "start=EPOCH end=EPOCH calls=N generation=G": the wall clock before
        the first call and after the last answer, and the highest
        "generation" of the answers.  Any answer but 201 is an error.
  services-client.py answers FILE         reads what the curl loops of
        services.sh write (each answer's body, then a line "@@ CODE") and
        prints "calls=N generation=G", failing on any CODE but 201.
  services-client.py wait PORT DPID LOG
        reads a line "START" on stdin (it is started before the load and
        told when the load is done), then polls GET /v1/switches/DPID every
        10 ms until sync.in_sync is true, then reads a line "GENERATION" on
        stdin and flowlbd's LOG for the first line "DPID: in sync with generation N"
        with N >= GENERATION, and prints "poll_s=S log_s=S log_ms=MS":
        seconds from START (epoch) to the poll that saw it and to the log
        line's time stamp, and the bundle's own time from the log line.
  services-client.py patch PORT DPID LOG SERVICE WEIGHT
        PATCHes the weight of SERVICE's first member, waits as above and
        prints "poll_s=... log_s=... log_ms=... flow_mods=N group_mods=N
        bundles=N": the differences in the switch's sync counters.
  services-client.py restart LOG DPID
        prints "log_s=S": seconds from LOG's "DPID: holds 0 flowlbd flows"
        line to the first "in sync" line after it.
  services-client.py sync PORT DPID       prints the switch's sync object.
"""

import calendar
import http.client
import json
import re
import sys
import threading
import time

TIMEOUT = 600


def die(msg):
    sys.stderr.write("services-client: %s\n" % msg)
    sys.exit(1)


def bodies(n, n_members):
    for i in range(1, n + 1):
        members = []
        for j in range(1, n_members + 1):
            members.append({
                "address": "2001:db8:f20:%x::%x" % (i, j),
                "mac": "02:00:%02x:%02x:00:%02x" % (i >> 8 & 0xff,
                                                    i & 0xff, j),
                "weight": 1,
            })
        print(json.dumps({
            "name": "svc%d" % i,
            "vip": "2001:db8:f10:%x::%x" % (i >> 16, i & 0xffff),
            "protocol": "tcp",
            "ports": [80],
            "key": "src-dst-label",
            "members": members,
        }, separators=(",", ":")))


def request(conn, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data


def load(port, path, n_clients):
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    results = [None] * n_clients
    errors = []

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        gen = 0
        try:
            for line in lines[k::n_clients]:
                status, data = request(conn, "POST", "/v1/services",
                                       line.encode())
                if status != 201:
                    errors.append("POST: %d %s" % (status, data[:200]))
                    return
                gen = max(gen, json.loads(data).get("generation", 0))
        except Exception as e:          # noqa: BLE001 (report and fail)
            errors.append("POST: %s" % e)
        finally:
            conn.close()
        results[k] = gen

    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(n_clients)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.time()
    if errors:
        die(errors[0])
    print("start=%.6f end=%.6f calls=%d generation=%d"
          % (start, end, len(lines), max(results)))


def answers(path):
    with open(path) as f:
        text = f.read()
    codes = re.findall(r"^@@ (\d+)$", text, re.M)
    bad = [c for c in codes if c != "201"]
    if bad:
        die("%d answers were not 201, the first %s" % (len(bad), bad[0]))
    gens = [int(g) for g in re.findall(r'"generation": *(\d+)', text)]
    print("calls=%d generation=%d" % (len(codes), max(gens, default=0)))


def get_sync(conn, dpid):
    status, data = request(conn, "GET", "/v1/switches/%s" % dpid)
    if status != 200:
        die("GET /v1/switches/%s: %d" % (dpid, status))
    return json.loads(data).get("sync") or {}


# vlog's default file format starts "2026-11-24T00:09:53.123Z|".
LOG_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z\|.*"
                    r"\|([0-9a-f]{16}): in sync with generation (\d+) "
                    r"\((\d+) ms")


TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z\|")


def log_time(log, dpid, generation):
    with open(log) as f:
        for line in f:
            m = LOG_RE.match(line)
            if (m and int(m.group(3), 16) == int(dpid, 16)
                    and int(m.group(4)) >= generation):
                t = calendar.timegm(time.strptime(m.group(1),
                                                  "%Y-%m-%dT%H:%M:%S"))
                return t + int(m.group(2)) / 1000.0, int(m.group(5))
    return None, None


def restart(log, dpid):
    t0 = None
    with open(log) as f:
        for line in f:
            m = TIME_RE.match(line)
            if not m:
                continue
            t = calendar.timegm(time.strptime(m.group(1),
                                              "%Y-%m-%dT%H:%M:%S"))
            t += int(m.group(2)) / 1000.0
            if "%s: holds 0 flowlbd flows" % dpid in line:
                t0 = t
            elif t0 is not None and "%s: in sync with" % dpid in line:
                print("log_s=%.3f" % (t - t0))
                return
    die("no \"holds 0\" then \"in sync\" lines in %s" % log)


def wait(port, dpid, log, generation, start):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    deadline = time.time() + TIMEOUT
    while True:
        sync = get_sync(conn, dpid)
        now = time.time()
        if sync.get("in_sync"):
            break
        if now > deadline:
            die("%s not in sync after %d s: %s" % (dpid, TIMEOUT, sync))
        time.sleep(0.01)
    conn.close()
    if generation is None:
        generation = int(sys.stdin.readline())
    # The log line is written before the answer that says "in sync".
    t, ms = log_time(log, dpid, generation)
    if t is None:
        die("no \"in sync with generation >= %d\" in %s" % (generation, log))
    return sync, "poll_s=%.3f log_s=%.3f log_ms=%d" % (now - start,
                                                      t - start, ms)


def patch(port, dpid, log, service, weight):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    status, data = request(conn, "GET", "/v1/services/%s" % service)
    if status != 200:
        die("GET /v1/services/%s: %d" % (service, status))
    mid = json.loads(data)["members"][0]["id"]
    before = get_sync(conn, dpid)
    start = time.time()
    status, data = request(conn, "PATCH", "/v1/services/%s/members/%s"
                           % (service, mid),
                           json.dumps({"weight": weight}).encode())
    if status != 200:
        die("PATCH: %d %s" % (status, data[:200]))
    status, data = request(conn, "GET", "/v1/services/%s" % service)
    generation = json.loads(data)["generation"]
    conn.close()
    after, line = wait(port, dpid, log, generation, start)
    print("%s flow_mods=%d group_mods=%d bundles=%d"
          % (line, after["flow_mods"] - before["flow_mods"],
             after["group_mods"] - before["group_mods"],
             after["bundles"] - before["bundles"]))


def main(argv):
    if len(argv) < 2:
        die("usage: see the comment at the top of this script")
    cmd, args = argv[1], argv[2:]
    if cmd == "bodies":
        bodies(int(args[0]), int(args[1]))
    elif cmd == "load":
        load(int(args[0]), args[1], int(args[2]))
    elif cmd == "answers":
        answers(args[0])
    elif cmd == "wait":
        print(wait(int(args[0]), args[1], args[2], None,
                   float(sys.stdin.readline()))[1])
    elif cmd == "patch":
        patch(int(args[0]), args[1], args[2], args[3], int(args[4]))
    elif cmd == "restart":
        restart(args[0], args[1])
    elif cmd == "sync":
        conn = http.client.HTTPConnection("127.0.0.1", int(args[0]),
                                          timeout=TIMEOUT)
        print(json.dumps(get_sync(conn, args[1])))
    else:
        die("unknown command %s" % cmd)


if __name__ == "__main__":
    main(sys.argv)
