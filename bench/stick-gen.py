#!/usr/bin/env python3
"""Writes the trafgen(8) packet configuration of bench/stick.sh.

usage: stick-gen.py SESSIONS SRC_MAC DST_MACS SRC_IP DST_IP DST_PORT [SEED]

SESSIONS sessions from SRC_IP to [DST_IP]:DST_PORT, UDP over IPv6, each with
its own nonzero flow label (distinct, drawn with SEED, default 7) and its own
source port (10000 + i).  Each session is four packets, in this order:

  plain     Ethernet, IPv6, UDP, 18 bytes of payload (80-byte frame);
  dstopts   the same with a Destination Options header (8 bytes, one PadN
            option) between IPv6 and UDP (88-byte frame);
  frag1     first fragment of a 72-byte UDP datagram (header and 64 bytes
            of payload): a Fragment header, offset 0, M=1, and the first 40
            bytes (102-byte frame);
  frag2     last fragment of it: offset 40, M=0, the other 32 bytes
            (94-byte frame).

The fragment identification is the session number + 1, the same each time
trafgen sends the cycle again (the packets are fixed bytes).  UDP checksums
are right (over the whole datagram for the fragments).  DST_MACS is a
comma-separated list: session i goes to DST_MACS[i % n] (plain forwarding
spreads the sessions over the sinks that way; the load balancer needs only
one, its virtual MAC).

trafgen sends the 4 * SESSIONS packets round robin, in this order, for ever
or -n packets.  Prints the configuration on stdout, and the labels, one
line "i label sport" per session, on stderr when STICK_GEN_LABELS is set.
"""

import ipaddress
import os
import random
import struct
import sys


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp(src, dst, sport, dport, payload):
    length = 8 + len(payload)
    pseudo = src + dst + struct.pack("!IxxxB", length, 17)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo + hdr + payload) or 0xffff
    return struct.pack("!HHHH", sport, dport, length, c) + payload


def ipv6(label, nxt, src, dst, body):
    vtf = (6 << 28) | label
    return struct.pack("!IHBB", vtf, len(body), nxt, 64) + src + dst + body


def main():
    if len(sys.argv) not in (7, 8):
        sys.exit(__doc__)
    n = int(sys.argv[1])
    smac = mac(sys.argv[2])
    dmacs = [mac(m) for m in sys.argv[3].split(",")]
    src = ipaddress.IPv6Address(sys.argv[4]).packed
    dst = ipaddress.IPv6Address(sys.argv[5]).packed
    dport = int(sys.argv[6])
    seed = int(sys.argv[7]) if len(sys.argv) > 7 else 7
    labels = random.Random(seed).sample(range(1, 1 << 20), n)
    show = os.environ.get("STICK_GEN_LABELS")

    out = sys.stdout
    out.write("# bench/stick-gen.py %s\n" % " ".join(sys.argv[1:]))
    for i in range(n):
        label, sport = labels[i], 10000 + i
        if show:
            print(i, "%#x" % label, sport, file=sys.stderr)
        eth = dmacs[i % len(dmacs)] + smac + b"\x86\xdd"
        frames = []
        # plain
        payload = struct.pack("!I", i) + b"flowlb-stick"[:14].ljust(14, b".")
        frames.append(("plain", eth + ipv6(label, 17, src, dst,
                                           udp(src, dst, sport, dport,
                                               payload))))
        # dstopts: next header UDP, length 0 (8 bytes), PadN of 4 bytes
        dopt = bytes([17, 0, 1, 4, 0, 0, 0, 0])
        frames.append(("dstopts", eth + ipv6(label, 60, src, dst,
                                             dopt + udp(src, dst, sport,
                                                        dport, payload))))
        # a 72-byte datagram in two fragments
        dgram = udp(src, dst, sport, dport,
                    (struct.pack("!I", i) + b"F" * 60))
        ident = i + 1
        for off, chunk, more in ((0, dgram[:40], 1), (40, dgram[40:], 0)):
            fh = struct.pack("!BBHI", 17, 0, (off // 8) << 3 | more, ident)
            frames.append(("frag%d" % (1 if more else 2),
                           eth + ipv6(label, 44, src, dst, fh + chunk)))
        for kind, f in frames:
            out.write("# %d %s label %#x sport %d\n{ %s }\n"
                      % (i, kind, label, sport,
                         ", ".join("0x%02x" % b for b in f)))


if __name__ == "__main__":
    main()
