#! /usr/bin/env python3
"""Frames for tests/pmtu.at, and what left the switch.

  pmtu-scapy.py frames SPEC...   prints one Ethernet frame in hex per SPEC
  pmtu-scapy.py seen PCAP...     prints, per PCAP, its name and the client
                                 ports quoted by the too-big messages in
                                 it, in order ("p2-tx.pcap 40001 40007")

SPEC is KIND,ARG,... with KIND one of:

  ptb6,VIP,CLIENT,VPORT,CPORT[,PROTO]  ICMPv6 Packet Too Big from a router
      to VIP quoting the reply VIP:VPORT -> CLIENT:CPORT (PROTO tcp or udp,
      default tcp)
  frag4,VIP,CLIENT,VPORT,CPORT         ICMPv4 fragmentation needed, same
  badsum6,VIP,CLIENT,VPORT,CPORT       a PTB with a wrong ICMPv6 checksum
  badsrc6,VIP,CLIENT,VPORT,CPORT       a PTB quoting a packet not from VIP
  short6,VIP,CLIENT,VPORT,CPORT        a PTB quoting 20 bytes of the reply
  tcp6,SRC,DST,SPORT,DPORT,DMAC        a client's TCP SYN, to DMAC
  hello,MAC,IP                         a frame from MAC (for MAC learning)

Frames come from the router's MAC 0a:00:00:00:00:ff to the environment's
VMAC.  Exits 77 if scapy is not installed.
"""

import os
import sys

try:
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6PacketTooBig,
                                    IPv6)
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import rdpcap
except ImportError:
    sys.exit(77)

ROUTER_MAC = "0a:00:00:00:00:ff"
ROUTER6 = "2001:db8:ff::1"
ROUTER4 = "192.0.2.1"


def transport(proto, sport, dport):
    cls = UDP if proto == "udp" else TCP
    return cls(sport=int(sport), dport=int(dport))


def reply6(vip, client, vport, cport, proto="tcp"):
    return (IPv6(src=vip, dst=client, fl=0xabcde)
            / transport(proto, vport, cport) / Raw(b"r" * 1300))


def eth():
    vmac = os.environ.get("VMAC", "ff:ff:ff:ff:ff:ff")
    return Ether(src=ROUTER_MAC, dst=vmac)


def ptb6(vip, client, vport, cport, proto="tcp"):
    # RFC 4443 2.4(c): as much of the packet as fits in 1280 bytes.
    quoted = bytes(reply6(vip, client, vport, cport, proto))[:1232]
    return (eth() / IPv6(src=ROUTER6, dst=vip)
            / ICMPv6PacketTooBig(mtu=1280) / Raw(quoted))


def frame(spec):
    kind, *args = spec.split(",")
    if kind == "ptb6":
        return ptb6(*args)
    if kind == "frag4":
        vip, client, vport, cport = args
        quoted = IP(src=vip, dst=client, flags="DF") / TCP(
            sport=int(vport), dport=int(cport)) / Raw(b"r" * 1400)
        return (eth() / IP(src=ROUTER4, dst=vip)
                / ICMP(type=3, code=4, nexthopmtu=1400)
                / Raw(bytes(quoted)[:548]))
    if kind == "badsum6":
        p = Ether(bytes(ptb6(*args)))
        p[ICMPv6PacketTooBig].cksum ^= 0x1234
        return p
    if kind == "badsrc6":
        vip, client, vport, cport = args
        quoted = bytes(reply6("2001:db8:dead::1", client, vport, cport))
        return (eth() / IPv6(src=ROUTER6, dst=vip)
                / ICMPv6PacketTooBig(mtu=1280) / Raw(quoted[:1232]))
    if kind == "short6":
        vip, client, vport, cport = args
        quoted = bytes(reply6(vip, client, vport, cport))[:20]
        return (eth() / IPv6(src=ROUTER6, dst=vip)
                / ICMPv6PacketTooBig(mtu=1280) / Raw(quoted))
    if kind == "tcp6":
        src, dst, sport, dport, dmac = args
        return (Ether(src="0a:00:00:00:00:11", dst=dmac)
                / IPv6(src=src, dst=dst, fl=0x54321)
                / TCP(sport=int(sport), dport=int(dport), flags="S"))
    if kind == "hello":
        mac, ip = args
        if ":" in ip:
            return (Ether(src=mac, dst="33:33:00:00:00:01")
                    / IPv6(src=ip, dst="ff02::1") / ICMPv6EchoRequest())
        return (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff")
                / IP(src=ip, dst="255.255.255.255") / UDP(sport=9, dport=9))
    raise SystemExit("unknown frame kind %s" % kind)


def quoted_client_port(p):
    """The client port a too-big frame quotes, or None if it is not one."""
    raw = bytes(p)
    e = Ether(raw)
    if IPv6 in e and e[IPv6].nh == 58 and bytes(e[IPv6].payload)[0] == 2:
        inner = IPv6(bytes(e[IPv6].payload)[8:])
        return inner[TCP].dport if TCP in inner else inner[UDP].dport
    if IP in e and e[IP].proto == 1 and e[ICMP].type == 3 \
            and e[ICMP].code == 4:
        inner = IP(bytes(e[ICMP].payload))
        return inner[TCP].dport
    return None


def main():
    if sys.argv[1] == "frames":
        for spec in sys.argv[2:]:
            print(bytes(frame(spec)).hex())
    elif sys.argv[1] == "seen":
        for name in sys.argv[2:]:
            ports = []
            if os.path.exists(name):
                for p in rdpcap(name):
                    port = quoted_client_port(p)
                    if port is not None:
                        ports.append(str(port))
            print(" ".join([name] + ports))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
