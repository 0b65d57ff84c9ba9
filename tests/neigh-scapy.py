#! /usr/bin/env python3
"""Cross-checks packets built by flowlb's neigh module against scapy.

An independent oracle for tests/unit/test-neigh.c: scapy, not
libopenvswitch, decodes the frames and recomputes their checksums.

Reads lines "KIND HEX [FIELD=VALUE]..." on stdin, KIND one of ns, na, arp,
HEX an Ethernet frame.  For each, checks that scapy decodes the frame as
that kind, that encoding scapy's decoding gives back the same bytes, that
the ICMPv6 checksum is the one scapy computes and the hop limit is 255,
and that every FIELD has VALUE.  FIELDs: ethsrc, ethdst, src, dst, hlim,
tgt, R, S, O, lladdr (the link-layer address option), op, hwsrc, psrc,
hwdst, pdst.

Exits 0 if every check passed, 1 if one failed (the reasons on stderr), 77
if scapy is not installed.
"""

import socket
import sys

try:
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.layers.inet6 import (IPv6, ICMPv6ND_NA, ICMPv6ND_NS,
                                    ICMPv6NDOptDstLLAddr,
                                    ICMPv6NDOptSrcLLAddr)
    from scapy.layers.l2 import ARP, Ether
except ImportError:
    sys.exit(77)


def same_ip6(a, b):
    try:
        return (socket.inet_pton(socket.AF_INET6, a)
                == socket.inet_pton(socket.AF_INET6, b))
    except OSError:
        return False


def fields(pkt, kind):
    """Returns the FIELD -> value getters for 'pkt', decoded as 'kind'."""
    f = {"ethsrc": lambda: pkt[Ether].src,
         "ethdst": lambda: pkt[Ether].dst}
    if kind == "arp":
        a = pkt[ARP]
        f.update(op=lambda: a.op, hwsrc=lambda: a.hwsrc,
                 psrc=lambda: a.psrc, hwdst=lambda: a.hwdst,
                 pdst=lambda: a.pdst)
    else:
        nd = pkt[ICMPv6ND_NS if kind == "ns" else ICMPv6ND_NA]
        opt = ICMPv6NDOptSrcLLAddr if kind == "ns" else ICMPv6NDOptDstLLAddr
        f.update(src=lambda: pkt[IPv6].src, dst=lambda: pkt[IPv6].dst,
                 hlim=lambda: pkt[IPv6].hlim, tgt=lambda: nd.tgt,
                 lladdr=lambda: pkt[opt].lladdr)
        if kind == "na":
            f.update(R=lambda: nd.R, S=lambda: nd.S, O=lambda: nd.O)
    return f


def check(line):
    """Returns the list of what is wrong with 'line'."""
    words = line.split()
    kind, data = words[0], bytes.fromhex(words[1])
    pkt = Ether(data)
    layers = {"ns": [IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr],
              "na": [IPv6, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr],
              "arp": [ARP]}.get(kind)
    if layers is None:
        return ["unknown kind %s" % kind]
    missing = [layer.__name__ for layer in layers if layer not in pkt]
    if missing:
        return ["%s: scapy finds no %s in %s"
                % (kind, ", ".join(missing), pkt.summary())]

    errors = []
    if bytes(pkt) != data:
        errors.append("%s: scapy re-encodes it differently" % kind)
    if kind != "arp":
        nd = pkt[layers[1]]
        again = Ether(data)
        del again[layers[1]].cksum
        want = Ether(bytes(again))[layers[1]].cksum
        if nd.cksum != want:
            errors.append("%s: checksum %#06x, scapy computes %#06x"
                          % (kind, nd.cksum, want))
        if pkt[IPv6].hlim != 255:
            errors.append("%s: hop limit %d" % (kind, pkt[IPv6].hlim))

    getters = fields(pkt, kind)
    for word in words[2:]:
        name, want = word.split("=", 1)
        if name not in getters:
            errors.append("%s: unknown field %s" % (kind, name))
            continue
        got = str(getters[name]())
        if got.lower() != want.lower() and not same_ip6(got, want):
            errors.append("%s: %s is %s, expected %s"
                          % (kind, name, got, want))
    return errors


def main():
    errors = []
    n = 0
    for line in sys.stdin:
        if line.strip():
            errors += check(line)
            n += 1
    for e in errors:
        sys.stderr.write("neigh-scapy: %s\n" % e)
    if not n:
        sys.stderr.write("neigh-scapy: no packet on stdin\n")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
