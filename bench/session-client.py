#!/usr/bin/env python3
"""New UDP sessions to a VIP, each the first datagram of its own 5-tuple.

usage: session-client.py VIP PORT FIRST_SPORT N WINDOW TIMEOUT [RATE]

Opens N sessions from source ports FIRST_SPORT .. FIRST_SPORT + N - 1,
keeping up to WINDOW of them in flight: each is a new socket bound to its
port that sends one datagram to VIP:PORT and waits, up to TIMEOUT seconds,
for the echo.  A session is done when its echo arrives, lost when it does
not.  With RATE (sessions per second), new sessions start no faster than
that: an offered load, rather than as fast as the window allows.

Prints one line of JSON: sessions done and lost, the elapsed time from
the first send to the last answer (or timeout), the rate of done
sessions, and the round trip of the first datagram (microseconds: p50,
p90, p99, max).
"""

import json
import selectors
import socket
import sys
import time


def main():
    vip, port, first, n, window, timeout = sys.argv[1:7]
    port, first, n, window = int(port), int(first), int(n), int(window)
    timeout = float(timeout)
    rate = float(sys.argv[7]) if len(sys.argv) > 7 else 0
    family = socket.AF_INET6 if ":" in vip else socket.AF_INET
    any_addr = "::" if family == socket.AF_INET6 else "0.0.0.0"

    sel = selectors.DefaultSelector()
    rtts = []
    lost = 0
    next_i = 0
    inflight = {}               # socket -> send time (ns)
    payload = b"x" * 32
    start = time.perf_counter_ns()
    last = start

    def open_next():
        nonlocal next_i
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((any_addr, first + next_i))
        s.setblocking(False)
        next_i += 1
        t = time.perf_counter_ns()
        s.sendto(payload, (vip, port))
        inflight[s] = t
        sel.register(s, selectors.EVENT_READ)

    def close(s):
        sel.unregister(s)
        del inflight[s]
        s.close()

    while next_i < n or inflight:
        while next_i < n and len(inflight) < window:
            if rate and (time.perf_counter_ns() - start) * rate < next_i * 1e9:
                break
            open_next()
        events = sel.select(timeout=0.001 if rate else 0.01)
        now = time.perf_counter_ns()
        for key, _ in events:
            s = key.fileobj
            try:
                s.recv(2048)
            except BlockingIOError:
                continue
            rtts.append((now - inflight[s]) / 1000.0)
            last = now
            close(s)
        for s, t in list(inflight.items()):
            if now - t > timeout * 1e9:
                lost += 1
                last = now
                close(s)

    elapsed = (last - start) / 1e9
    rtts.sort()

    def pct(p):
        if not rtts:
            return None
        return round(rtts[min(len(rtts) - 1, int(len(rtts) * p / 100))], 1)

    print(json.dumps({
        "done": len(rtts), "lost": lost, "elapsed": round(elapsed, 4),
        "rate": round(len(rtts) / elapsed, 1) if elapsed > 0 else None,
        "p50": pct(50), "p90": pct(90), "p99": pct(99),
        "max": round(rtts[-1], 1) if rtts else None,
    }))


if __name__ == "__main__":
    main()
