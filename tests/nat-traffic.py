#! /usr/bin/env python3
"""Hosts' programs for tests/nat-traffic.sh (NAT and NAPT services).

  server NAME TCP-PORT UDP-PORT [DELAY]
      In a member's namespace, on [::] (IPv4 too): TCP port TCP-PORT answers
      an HTTP request with "NAME PEER PEERPORT" (the address the member saw
      the client as), after DELAY seconds (default 0), and closes; a
      connection whose first line is "HOLD" gets the same line at once and
      stays open until the client closes it.  UDP port UDP-PORT answers each
      datagram with "NAME PEER PEERPORT".  Logs "tcp PEER PEERPORT" or "udp
      PEER PEERPORT" per connection or datagram on stdout, "ready" once
      listening.

  hold ADDR PORT N MEMBER RELEASE [MAX]
      Opens TCP connections to ADDR:PORT and sends HOLD, keeping those that
      reached MEMBER (closing the others) until N are held or MAX (default
      20 * N) were tried; prints "held N" and the members reached, then
      keeps the N open until the file RELEASE is gone (at most 120 s).
      MEMBER "any" keeps every connection.

  open ADDR PORT N TIMEOUT RELEASE
      Opens N TCP connections to ADDR:PORT at once, sends HOLD on each, and
      waits up to TIMEOUT seconds for each answer; prints one line per
      connection, "ok NAME PEER PEERPORT" or "fail REASON", then "done",
      and holds them until the file RELEASE is gone.

  udp ADDR PORT N
      N datagrams from N new sockets to ADDR:PORT; prints one line per
      datagram, "REPLY-SOURCE REPLY-SOURCE-PORT NAME PEER PEERPORT" or
      "none".

  burst ADDR PORT N
      N datagrams from one socket to ADDR:PORT at once, before any answer
      can come back, then up to 2 s for the answers; prints "answers K
      SOURCES", K the number answered and SOURCES the answers' sources.

  oneway ADDR PORT N TAG
      N datagrams "QUIET TAG I" from one socket to ADDR:PORT, 1 ms apart,
      which the member does not answer.

  synflood ADDR PORT SECONDS RATE
      Raw TCP SYNs (random source ports, IPv4 or IPv6 by ADDR) to ADDR:PORT
      at about RATE per second for SECONDS; prints "sent N".
"""

import os
import random
import select
import socket
import struct
import sys
import threading
import time


def peer_of(addr):
    host = addr[0]
    if host.startswith("::ffff:"):
        host = host[7:]
    return host, addr[1]


def log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def server(name, tcp_port, udp_port, delay=0.0):
    tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    tcp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("::", tcp_port))
    tcp.listen(1024)
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    udp.bind(("::", udp_port))

    def serve_udp():
        while True:
            data, addr = udp.recvfrom(65535)
            host, port = peer_of(addr)
            if data.startswith(b"QUIET"):
                log("quiet %s %s %d" % (data.split()[1].decode(), host, port))
                continue
            log("udp %s %d" % (host, port))
            udp.sendto(("%s %s %d\n" % (name, host, port)).encode(), addr)

    def serve_tcp(conn, addr):
        host, port = peer_of(addr)
        log("tcp %s %d" % (host, port))
        answer = ("%s %s %d\n" % (name, host, port)).encode()
        try:
            data = b""
            while b"\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            if data.startswith(b"HOLD"):
                conn.sendall(answer)
                while conn.recv(4096):
                    pass
                return
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            if delay:
                time.sleep(delay)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s"
                         % (len(answer), answer))
        except OSError:
            pass
        finally:
            conn.close()

    threading.Thread(target=serve_udp, daemon=True).start()
    log("ready")
    while True:
        conn, addr = tcp.accept()
        threading.Thread(target=serve_tcp, args=(conn, addr),
                         daemon=True).start()


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def connect_hold(addr, port, timeout):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((addr, port))
        s.sendall(b"HOLD\n")
        data = b""
        while b"\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("closed")
            data += chunk
        return s, data.decode().split()
    except OSError as e:
        s.close()
        return None, str(e) or type(e).__name__


def wait_release(path):
    deadline = time.monotonic() + 120
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def hold(addr, port, n, member, release, tries=None):
    tries = tries or 20 * n
    held = []
    seen = {}
    for _ in range(tries):
        if len(held) >= n:
            break
        s, answer = connect_hold(addr, port, 3)
        if s is None:
            continue
        seen[answer[0]] = seen.get(answer[0], 0) + 1
        if member in ("any", answer[0]):
            held.append(s)
        else:
            s.close()
    log("held %d" % len(held))
    log("reached " + " ".join("%s=%d" % kv for kv in sorted(seen.items())))
    wait_release(release)


def open_many(addr, port, n, timeout, release):
    results = [None] * n
    socks = [None] * n

    def one(i):
        socks[i], results[i] = connect_hold(addr, port, timeout)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(n):
        if socks[i] is not None:
            log("ok " + " ".join(results[i]))
        else:
            log("fail " + results[i].replace(" ", "_"))
    log("done")
    wait_release(release)


def udp(addr, port, n):
    for _ in range(n):
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        s.settimeout(2)
        try:
            s.sendto(b"hello\n", (addr, port))
            data, src = s.recvfrom(65535)
            log("%s %d %s" % (src[0], src[1], data.decode().strip()))
        except OSError:
            log("none")
        finally:
            s.close()


def burst(addr, port, n):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"burst %d\n" % i, (addr, port))
    got = 0
    sources = set()
    deadline = time.monotonic() + 2
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, src = s.recvfrom(65535)
        except OSError:
            break
        got += 1
        sources.add("%s:%d" % (src[0], src[1]))
    log("answers %d %s" % (got, ",".join(sorted(sources))))


def oneway(addr, port, n, tag):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(b"QUIET %s %d\n" % (tag.encode(), i), (addr, port))
        time.sleep(0.001)
    log("sent %d" % n)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def synflood(addr, port, seconds, rate):
    fam = family(addr)
    s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
    # The source address the kernel would pick for this destination.
    probe = socket.socket(fam, socket.SOCK_DGRAM)
    probe.connect((addr, port))
    src = probe.getsockname()[0]
    probe.close()
    src_b = socket.inet_pton(fam, src)
    dst_b = socket.inet_pton(fam, addr)
    if fam == socket.AF_INET6:
        pseudo = src_b + dst_b + struct.pack("!I3xB", 20, 6)
    else:
        pseudo = src_b + dst_b + struct.pack("!xBH", 6, 20)
    sent = 0
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * rate)
        while sent < due:
            sport = random.randint(1024, 65535)
            seq = random.getrandbits(32)
            hdr = struct.pack("!HHIIBBHHH", sport, port, seq, 0, 5 << 4,
                              0x02, 65535, 0, 0)
            csum = checksum(pseudo + hdr)
            hdr = hdr[:16] + struct.pack("!H", csum) + hdr[18:]
            try:
                s.sendto(hdr, (addr, 0))
            except OSError:
                pass
            sent += 1
        time.sleep(0.001)
    log("sent %d" % sent)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "server":
        server(args[0], int(args[1]), int(args[2]),
               float(args[3]) if len(args) > 3 else 0.0)
    elif cmd == "hold":
        hold(args[0], int(args[1]), int(args[2]), args[3], args[4],
             int(args[5]) if len(args) > 5 else None)
    elif cmd == "open":
        open_many(args[0], int(args[1]), int(args[2]), float(args[3]),
                  args[4])
    elif cmd == "udp":
        udp(args[0], int(args[1]), int(args[2]))
    elif cmd == "burst":
        burst(args[0], int(args[1]), int(args[2]))
    elif cmd == "oneway":
        oneway(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "synflood":
        synflood(args[0], int(args[1]), float(args[2]), int(args[3]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
