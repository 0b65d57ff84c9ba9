#!/usr/bin/python3
"""Prints, as hex for "ovs-appctl netdev-dummy/receive", IPv6 packets for
the stick-table tests: pkt.py KIND SRC DST SPORT DPORT LABEL, where KIND is
tcp, udp, udp-dstopt, udp-hbh, udp-routing (UDP behind a Destination
Options, Hop-by-Hop Options or Routing header) or udp-frags (a 3000-byte
UDP datagram as fragments of 1280 bytes, one hex packet a line)."""
import sys
from scapy.all import (Ether, IPv6, TCP, UDP, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, fragment6,
                       IPv6ExtHdrFragment, raw)

kind, src, dst, sport, dport, label = sys.argv[1:7]
eth = Ether(src="0a:00:00:00:00:01", dst="02:00:00:00:00:ff")
ip = IPv6(src=src, dst=dst, fl=int(label, 0))
if kind == "tcp":
    pkts = [eth / ip / TCP(sport=int(sport), dport=int(dport), flags="S")]
elif kind == "udp":
    pkts = [eth / ip / UDP(sport=int(sport), dport=int(dport)) / Raw(b"x" * 32)]
elif kind in ("udp-dstopt", "udp-hbh", "udp-routing"):
    ext = {"udp-dstopt": IPv6ExtHdrDestOpt(),
           "udp-hbh": IPv6ExtHdrHopByHop(),
           # Type 4 (segment routing) with no segments left: passed by.
           "udp-routing": IPv6ExtHdrRouting(type=4, segleft=0)}[kind]
    pkts = [eth / ip / ext / UDP(sport=int(sport), dport=int(dport))
            / Raw(b"x" * 32)]
elif kind == "udp-frags":
    d = ip / IPv6ExtHdrFragment(id=7) / UDP(sport=int(sport), dport=int(dport)) / Raw(b"y" * 3000)
    pkts = [eth / f for f in fragment6(d, 1280)]
else:
    sys.exit("unknown kind " + kind)
for p in pkts:
    print(raw(p).hex())
