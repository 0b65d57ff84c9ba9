#!/usr/bin/python3
"""Hosts of tests/stick-traffic.sh: servers and clients in namespaces.

    stick-traffic.py server NAME VIP [VIP4]
        In a server namespace: UDP on [VIP]:7000 (and VIP4:7000), HTTP on
        [::]:80 and a TCP sink on [::]:9000, one thread each, until killed.  Logs one line
        per UDP datagram and per sink connection on stdout (below).
    stick-traffic.py udp-client VIP RUN LABELS COUNT SIZE [OPTION...]
        In a client namespace: COUNT datagrams of SIZE bytes from each of a
        set of UDP sockets, paced by the servers' acknowledgements.  An
        IPv4 VIP is written ::ffff:A.B.C.D (labels "auto:N" only).
    stick-traffic.py tcp-stream VIP PORT FIFO BYTES
        One TCP connection that sends BYTES in two halves, waiting for a
        line on FIFO in between, and records the flow labels it sends.
    stick-traffic.py ptb VIP ROUTER MTU
        Gets a real reply from the UDP service and sends the VIP an ICMPv6
        Packet Too Big quoting it, as a router with that MTU would.

UDP datagrams: a 24-byte header (magic, run, socket index, sequence number,
flags, reply size) and then a fixed pattern, so that a server can check a
reassembled datagram byte for byte.  The server answers every datagram
from the VIP (DSR) with "ACK", the header and its name, padded to the reply
size asked for.  It logs

    udp RUN SRC SPORT LABEL SEQ LENGTH OK|BAD PLAIN|DSTOPTS

LABEL is the flow label of the datagram as received (of the first fragment
when it was reassembled).  The TCP sink logs "tcp SRC SPORT BYTES" when a
connection ends and answers "NAME BYTES"; HTTP answers GET with "NAME" and
POST with "NAME BYTES" (the body's length).
"""

import http.server
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import random
import fcntl
import termios

UDP_PORT = 7000
SINK_PORT = 9000
HTTP_PORT = 80

MAGIC = b"STK1"
HEADER = struct.Struct("!4sIIIHH")      # magic run index seq flags reply
F_DSTOPTS = 1                           # sent with a Destination Options
PATTERN = bytes(range(256)) * 64        # 16 KiB

# Linux socket options Python does not name.
IPV6_FLOWINFO = 11
IPV6_FLOWLABEL_MGR = 32
IPV6_FLOWINFO_SEND = 33
IPV6_FL_A_GET = 0
IPV6_FL_S_ANY = 255
IPV6_FL_F_CREATE = 1
IPV6_FLOWINFO_FLOWLABEL = 0x000fffff
SO_RCVBUFFORCE = 33
ETH_P_ALL = 0x0003
ETH_P_IPV6 = 0x86dd
PACKET_OUTGOING = 4

# A Destination Options header of 8 bytes: next header (the kernel fills
# it in), length 0, one PadN option of 4 bytes.
DSTOPTS = bytes([0, 0, 1, 4, 0, 0, 0, 0])


def payload(run, index, seq, flags, size, reply=0):
    head = HEADER.pack(MAGIC, run, index, seq, flags, reply)
    body = size - len(head)
    start = seq % 251
    return head + PATTERN[start:start + body]


def payload_ok(data):
    if len(data) < HEADER.size:
        return None
    magic, run, index, seq, flags, reply = HEADER.unpack_from(data)
    if magic != MAGIC:
        return None
    start = seq % 251
    ok = data[HEADER.size:] == PATTERN[start:start + len(data) - HEADER.size]
    return run, index, seq, flags, reply, ok


# ---------------------------------------------------------------------------
# Servers.

class Log:
    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, line):
        with self.lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


def udp_server(name, vip, log):
    """'vip' may be IPv4, written as an IPv4-mapped IPv6 address."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    # Room for every datagram of a run: nothing is lost to the socket.
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWINFO, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVDSTOPTS, 1)
    # Bound to the VIP: answers leave from the VIP (direct server return).
    s.bind((vip, UDP_PORT))
    cmsg_space = socket.CMSG_SPACE(4) + socket.CMSG_SPACE(256)
    while True:
        data, ancdata, _, addr = s.recvmsg(65536, cmsg_space)
        label = 0
        dstopts = False
        for level, kind, value in ancdata:
            if level == socket.IPPROTO_IPV6 and kind == IPV6_FLOWINFO:
                label = (struct.unpack("!I", value[:4])[0]
                         & IPV6_FLOWINFO_FLOWLABEL)
            elif level == socket.IPPROTO_IPV6 \
                    and kind == socket.IPV6_DSTOPTS:
                dstopts = True
        checked = payload_ok(data)
        if checked is None:
            log("udp ? %s %d %#x ? %d BAD %s"
                % (addr[0], addr[1], label, len(data),
                   "DSTOPTS" if dstopts else "PLAIN"))
            continue
        run, index, seq, flags, reply, ok = checked
        log("udp %d %s %d %#x %d %d %s %s"
            % (run, addr[0], addr[1], label, seq, len(data),
               "OK" if ok else "BAD", "DSTOPTS" if dstopts else "PLAIN"))
        ack = b"ACK" + data[:HEADER.size] + name.encode()
        if reply > len(ack):
            ack += b"\0" * (reply - len(ack))
        try:
            s.sendto(ack, addr)
        except OSError as e:
            log("udp-error %s" % e)


def sink_server(name, log):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", SINK_PORT))
    s.listen(64)

    def serve(c, addr):
        n = 0
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                n += len(chunk)
            c.sendall(("%s %d\n" % (name, n)).encode())
        except OSError as e:
            log("tcp-error %s %d %s" % (addr[0], addr[1], e))
        finally:
            c.close()
        log("tcp %s %d %d" % (addr[0], addr[1], n))

    while True:
        c, addr = s.accept()
        threading.Thread(target=serve, args=(c, addr), daemon=True).start()


def http_server(name):
    answer = name.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, body):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.reply(answer + b"\n")

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            got = 0
            while got < n:
                chunk = self.rfile.read(min(65536, n - got))
                if not chunk:
                    break
                got += len(chunk)
            self.reply(answer + b" %d\n" % got)

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6
        daemon_threads = True
        request_queue_size = 128

    Server(("::", HTTP_PORT), Handler).serve_forever()


def cmd_server(name, vip, vip4=None):
    log = Log()
    threads = [(udp_server, (name, vip, log)),
               (sink_server, (name, log)),
               (http_server, (name,))]
    if vip4:
        threads.append((udp_server, (name, "::ffff:" + vip4, log)))
    for target, args in threads:
        threading.Thread(target=target, args=args, daemon=True).start()
    log("ready %s" % name)
    while True:
        time.sleep(3600)


# ---------------------------------------------------------------------------
# Clients.

def labelled_socket(kind, vip, port, label):
    """A socket of 'kind' that sends 'label' to [vip]:port (label None: the
    kernel's own, auto_flowlabels)."""
    s = socket.socket(socket.AF_INET6, kind)
    if label is not None:
        dst = socket.inet_pton(socket.AF_INET6, vip)
        # struct in6_flowlabel_req: dst, label (network order), action,
        # share, flags, expires, linger, pad.
        req = struct.pack("=16s4sBBHHHI", dst, label.to_bytes(4, "big"),
                          IPV6_FL_A_GET, IPV6_FL_S_ANY, IPV6_FL_F_CREATE,
                          0, 0, 0)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, req)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 1)
    s.connect((vip, port, label or 0, 0))
    return s


def parse_labels(spec):
    """"rand:SEED:N": N distinct random nonzero labels; "auto:N": N sockets
    with the kernel's labels; else a comma-separated list."""
    if spec.startswith("rand:"):
        _, seed, n = spec.split(":")
        return random.Random(int(seed)).sample(range(1, 1 << 20), int(n))
    if spec.startswith("auto:"):
        return [None] * int(spec.split(":")[1])
    return [int(x, 0) for x in spec.split(",")]


def cmd_udp_client(vip, run, labels, count, size, *options):
    """Options: window=N (datagrams in flight per socket, default 1),
    in-flight=N (in flight in all, default 20: 60 fragments of 1,500 bytes
    fit in the 208 KiB receive buffer of ovs-vswitchd's AF_PACKET socket
    even if it reads none of them for a while), timeout=SECS (an
    unanswered datagram frees its slot after at most SECS, default 0.05;
    less, down to 10 ms, when the measured round trips are short),
    dstopts=every|odd|none (which datagrams carry a Destination Options
    header, default none), sockets=N (sockets per label, default 1).

    Prints "socket INDEX LABEL SPORT SENT ACKED MEMBER=N..." per socket and
    "total SENT ACKED SECONDS"."""
    opts = dict(o.split("=", 1) for o in options)
    window = int(opts.get("window", 1))
    cap = int(opts.get("in-flight", 20))
    timeout = float(opts.get("timeout", 0.05))
    dstopts = opts.get("dstopts", "none")
    per_label = int(opts.get("sockets", 1))
    run, count, size = int(run), int(count), int(size)

    socks = []
    for label in parse_labels(labels):
        for _ in range(per_label):
            s = labelled_socket(socket.SOCK_DGRAM, vip, UDP_PORT, label)
            s.setblocking(False)
            socks.append({"sock": s, "label": label, "next": 0,
                          "out": {}, "acked": 0, "members": {},
                          "resolved": False})
    by_fd = {st["sock"].fileno(): (i, st) for i, st in enumerate(socks)}
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLIN)

    start = time.monotonic()
    sent = acked = 0
    srtt = rttvar = None
    rto = timeout
    while True:
        now = time.monotonic()
        busy = False
        in_flight = sum(len(st["out"]) for st in socks)
        for i, st in enumerate(socks):
            for seq, t in list(st["out"].items()):
                if now - t > rto:
                    del st["out"][seq]
                    st["resolved"] = True
                    in_flight -= 1
            # One datagram alone first: while the datapath has no flow for
            # a new socket, every packet is an upcall, and a burst of them
            # overflows ovs-vswitchd's receive buffer.
            limit = window if st["resolved"] else 1
            while len(st["out"]) < limit and st["next"] < count \
                    and in_flight < cap:
                seq = st["next"]
                flags = 0
                if dstopts == "every" or (dstopts == "odd" and seq % 2):
                    flags |= F_DSTOPTS
                data = payload(run, i, seq, flags, size)
                anc = []
                if flags & F_DSTOPTS:
                    anc = [(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS,
                            DSTOPTS)]
                try:
                    st["sock"].sendmsg([data], anc)
                except BlockingIOError:
                    break
                st["out"][seq] = time.monotonic()
                st["next"] += 1
                sent += 1
                in_flight += 1
            if st["out"] or st["next"] < count:
                busy = True
        if not busy:
            break
        for fd, _ in poller.poll(20):
            i, st = by_fd[fd]
            while True:
                try:
                    ack = st["sock"].recv(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if ack[:3] != b"ACK" or len(ack) < 3 + HEADER.size:
                    continue
                _, _, _, seq, _, _ = HEADER.unpack_from(ack, 3)
                member = ack[3 + HEADER.size:].rstrip(b"\0").decode()
                st["members"][member] = st["members"].get(member, 0) + 1
                st["resolved"] = True
                t = st["out"].pop(seq, None)
                if t is not None:
                    # RFC 6298's estimator; the timeout only frees slots.
                    r = time.monotonic() - t
                    if srtt is None:
                        srtt, rttvar = r, r / 2
                    else:
                        rttvar = 0.75 * rttvar + 0.25 * abs(srtt - r)
                        srtt = 0.875 * srtt + 0.125 * r
                    rto = min(timeout, max(0.01, srtt + 4 * rttvar))
                    st["acked"] += 1
                    acked += 1
    elapsed = time.monotonic() - start
    for i, st in enumerate(socks):
        label = st["label"]
        print("socket %d %s %d %d %d %s"
              % (i, "auto" if label is None else "%#x" % label,
                 st["sock"].getsockname()[1], st["next"], st["acked"],
                 " ".join("%s=%d" % kv for kv in sorted(st["members"].items()))
                 or "-"))
    print("total %d %d %.2f rtt %.1f ms timeout %.1f ms"
          % (sent, acked, elapsed, (srtt or 0) * 1000, rto * 1000))


def outgoing_labels(iface, sport, dport, labels, stop):
    """Appends to 'labels' the flow label of every TCP segment from 'sport'
    to 'dport' that leaves through 'iface', as it changes, until 'stop'."""
    # Only ETH_P_ALL sockets see outgoing packets.
    p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    p.bind((iface, ETH_P_ALL))
    p.settimeout(0.1)
    while not stop.is_set():
        try:
            frame, addr = p.recvfrom(65536)
        except socket.timeout:
            continue
        if addr[2] != PACKET_OUTGOING or addr[1] != ETH_P_IPV6 \
                or len(frame) < 14 + 40 + 4:
            continue
        ip = frame[14:]
        if ip[6] != socket.IPPROTO_TCP:
            continue
        s, d = struct.unpack_from("!HH", ip, 40)
        if (s, d) != (sport, dport):
            continue
        label = struct.unpack_from("!I", ip, 0)[0] & IPV6_FLOWINFO_FLOWLABEL
        if not labels or labels[-1] != label:
            labels.append(label)


def cmd_tcp_stream(vip, port, fifo, nbytes):
    """Prints "sport PORT", sends half of BYTES, prints "half" once they
    are all acknowledged, waits for a line on FIFO, sends the rest, shuts
    down, and prints the server's answer ("answer NAME BYTES", or "answer
    none ERROR") and the labels its segments carried ("labels L1 L2...")."""
    port, nbytes = int(port), int(nbytes)
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((vip, port))
    sport = s.getsockname()[1]
    labels = []
    stop = threading.Event()
    sniffer = threading.Thread(target=outgoing_labels,
                               args=("eth0", sport, port, labels, stop),
                               daemon=True)
    sniffer.start()
    print("sport %d" % sport, flush=True)

    def report(answer):
        print("answer %s" % answer)
        print("labels %s" % " ".join("%#x" % x for x in labels), flush=True)

    def on_term(signum, frame):
        # Stopped while stuck (label_change "drop"): say what was sent.
        report("none killed")
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    chunk = PATTERN[:16384]
    answer = "none"
    try:
        half = nbytes // 2
        sent = 0
        while sent < half:
            sent += s.send(chunk[:min(len(chunk), half - sent)])
        # Until the server has acknowledged the first half.
        deadline = time.monotonic() + 10
        buf = bytearray(4)
        while time.monotonic() < deadline:
            fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, buf)
            if struct.unpack("i", buf)[0] == 0:
                break
            time.sleep(0.01)
        print("half %d" % sent, flush=True)
        with open(fifo) as f:
            f.readline()
        while sent < nbytes:
            sent += s.send(chunk[:min(len(chunk), nbytes - sent)])
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            more = s.recv(4096)
            if not more:
                break
            data += more
        answer = data.decode().strip() or "none empty"
    except OSError as e:
        answer = "none %s" % e
    finally:
        stop.set()
        sniffer.join()
        s.close()
    report(answer)


def cmd_ptb(vip, router, mtu, reply_size="1450"):
    """Sends the UDP service a datagram asking for a reply of REPLY_SIZE
    bytes, captures that reply as it arrives on eth0, then sends to the VIP,
    from ROUTER, an ICMPv6 Packet Too Big (MTU) quoting it.  Prints "owner
    NAME", "quoted SRC SPORT DST DPORT LENGTH", "sent BYTES"."""
    mtu, reply_size = int(mtu), int(reply_size)
    p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_IPV6))
    p.bind(("eth0", ETH_P_IPV6))
    p.settimeout(3)
    u = labelled_socket(socket.SOCK_DGRAM, vip, UDP_PORT, None)
    u.settimeout(3)
    sport = u.getsockname()[1]
    u.send(payload(0, 0, 0, 0, 64, reply_size))
    ack = u.recv(65536)
    owner = ack[3 + HEADER.size:].rstrip(b"\0").decode()
    vip_n = socket.inet_pton(socket.AF_INET6, vip)
    quoted = None
    while quoted is None:
        frame = p.recv(65536)
        ip = frame[14:]
        if len(ip) >= 48 and ip[6] == socket.IPPROTO_UDP \
                and ip[8:24] == vip_n \
                and struct.unpack_from("!HH", ip, 40) == (UDP_PORT, sport):
            quoted = ip
    print("owner %s" % owner)
    print("quoted %s %d %s %d %d"
          % (vip, UDP_PORT, socket.inet_ntop(socket.AF_INET6, quoted[24:40]),
             sport, len(quoted)))
    # As much of the packet as fits in the minimum MTU (RFC 4443 2.4 c).
    quoted = quoted[:1280 - 40 - 8]
    icmp = struct.pack("!BBHI", 2, 0, 0, mtu) + quoted
    r = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                      socket.IPPROTO_ICMPV6)
    r.bind((router, 0))
    # The kernel computes ICMPv6 checksums on raw sockets.
    n = r.sendto(icmp, (vip, 0))
    print("sent %d" % n)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    commands = {"server": cmd_server, "udp-client": cmd_udp_client,
                "tcp-stream": cmd_tcp_stream, "ptb": cmd_ptb}
    if cmd not in commands:
        sys.exit("stick-traffic.py: unknown command %s" % cmd)
    commands[cmd](*args)


if __name__ == "__main__":
    main()
