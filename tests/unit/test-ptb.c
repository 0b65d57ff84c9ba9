/*
 * Tests of ptb: parsing ICMPv6 Packet Too Big and ICMPv4 fragmentation
 * needed frames, the service a quoted packet belongs to, and the member a
 * stateless service's select group gives the client's packets.
 *
 * The frames are exact bytes that scapy 2.5 built (checksums included),
 * from the lines quoted above each; the bad ones are built the same way,
 * or are good ones cut or changed here.  Whether ptb_select_member() picks
 * what OVS picks is shown against a running ovs-vswitchd by tests/pmtu.at;
 * here it is checked for what follows from OVS's rendezvous hashing, and
 * against answers that ovs-vswitchd gave.
 */
#include <config.h>
#include "flowlb/ptb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "flowlb/lb.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "unit.h"
#include "util.h"

/* Frames, by scapy, each "bytes(p)" of the packet given here:
 *
 *   E = Ether(src='0a:00:00:00:00:ff', dst='02:f1:0b:00:00:01')
 *   VIP6 = '2001:db8:f10::100', CLI6 = '2001:db8:c1::11',
 *   RTR6 = '2001:db8:ff::1', VIP4 = '198.51.100.100',
 *   CLI4 = '203.0.113.11', RTR4 = '192.0.2.1',
 *   reply6() = IPv6(src=VIP6, dst=CLI6, fl=0x12345)
 *
 * v6_tcp: E/IPv6(src=RTR6, dst=VIP6)/ICMPv6PacketTooBig(mtu=1400)/
 *     (reply6()/TCP(sport=80, dport=40000, flags='A')/Raw(b'x'*64))
 * v6_ext: ...PacketTooBig(mtu=1280)/(reply6()/IPv6ExtHdrHopByHop()/
 *     IPv6ExtHdrRouting(addresses=[])/IPv6ExtHdrDestOpt(options=[PadN(
 *     optdata=b'\0'*4)])/IPv6ExtHdrFragment(offset=0, m=1, id=7)/
 *     UDP(sport=53, dport=5353)/Raw(b'y'*32))
 * v6_later: ...PacketTooBig(mtu=1280)/(reply6()/IPv6ExtHdrFragment(
 *     offset=100, m=1, id=7, nh=17)/Raw(b'z'*40))
 * v6_vlan_hbh: E/Dot1Q(vlan=10)/IPv6(src=RTR6, dst=VIP6)/
 *     IPv6ExtHdrHopByHop()/ICMPv6PacketTooBig(mtu=1400)/
 *     (reply6()/TCP(sport=443, dport=50000)/Raw(b'x'*16))
 * v6_wrong_src: ...PacketTooBig(mtu=1400)/(IPv6(src='2001:db8:f10::101',
 *     dst=CLI6)/TCP(sport=80, dport=40000))
 * v6_code1: ...PacketTooBig(mtu=1400, code=1)/(reply6()/TCP(sport=80,
 *     dport=40000))
 * v6_short_quote: ...PacketTooBig(mtu=1400)/Raw(bytes(reply6()/TCP(
 *     sport=80, dport=40000))[:30])
 * v6_cut_ext: ...PacketTooBig(mtu=1400)/Raw(bytes(reply6()/
 *     IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\0'*12)])/TCP(sport=80,
 *     dport=40000))[:52])
 * v6_no_ports: ...PacketTooBig(mtu=1400)/Raw(bytes(reply6()/TCP(sport=80,
 *     dport=40000))[:42])
 * v6_echo: E/IPv6(src=RTR6, dst=VIP6)/ICMPv6EchoRequest()
 * v4_tcp: E/IP(src=RTR4, dst=VIP4)/ICMP(type=3, code=4, nexthopmtu=1400)/
 *     (IP(src=VIP4, dst=CLI4, flags='DF')/TCP(sport=80, dport=40001)/
 *     Raw(b'x'*8))
 * v4_opts: ...ICMP(type=3, code=4, nexthopmtu=576)/(IP(src=VIP4, dst=CLI4,
 *     options=[IPOption_NOP()]*4)/UDP(sport=53, dport=33333)/Raw(b'q'*8))
 * v4_wrong_src: ...ICMP(type=3, code=4, nexthopmtu=1400)/(IP(
 *     src='198.51.100.101', dst=CLI4)/TCP(sport=80, dport=40001))
 * v4_port_unreach: ...ICMP(type=3, code=3)/(IP(src=VIP4, dst=CLI4)/
 *     UDP(sport=53, dport=40001))
 */

static const uint8_t v6_tcp[186] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x84, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0xc7, 0x00, 0x00,
    0x05, 0x78, 0x60, 0x01, 0x23, 0x45, 0x00, 0x54, 0x06, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x50, 0x9c, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x10, 0x20, 0x00, 0x77, 0xa1,
    0x00, 0x00, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
};

static const uint8_t v6_ext[174] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x78, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x62, 0x25, 0x00, 0x00,
    0x05, 0x00, 0x60, 0x01, 0x23, 0x45, 0x00, 0x48, 0x00, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x2b, 0x00, 0x01, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00,
    0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x07, 0x00, 0x35, 0x14, 0xe9, 0x00, 0x28, 0xe6, 0x94, 0x79, 0x79,
    0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
    0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
    0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
};

static const uint8_t v6_later[150] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x60, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0xca, 0x1e, 0x00, 0x00,
    0x05, 0x00, 0x60, 0x01, 0x23, 0x45, 0x00, 0x30, 0x2c, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, 0x00, 0x03, 0x21, 0x00, 0x00,
    0x00, 0x07, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
    0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
    0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
    0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
};

static const uint8_t v6_vlan_hbh[150] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x81, 0x00, 0x00, 0x0a, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x5c,
    0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x3a, 0x00,
    0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0xf7, 0x00, 0x00,
    0x05, 0x78, 0x60, 0x01, 0x23, 0x45, 0x00, 0x24, 0x06, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x01, 0xbb, 0xc3, 0x50, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x9a, 0xaf,
    0x00, 0x00, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
};

static const uint8_t v6_wrong_src[122] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x44, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x25, 0x4d, 0x00, 0x00,
    0x05, 0x78, 0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x50, 0x9c, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x86, 0xfd,
    0x00, 0x00,
};

static const uint8_t v6_code1[122] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x44, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01, 0x02, 0x06, 0x00, 0x00,
    0x05, 0x78, 0x60, 0x01, 0x23, 0x45, 0x00, 0x14, 0x06, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x50, 0x9c, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x86, 0xfe,
    0x00, 0x00,
};

static const uint8_t v6_short_quote[92] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x26, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x95, 0xc7, 0x00, 0x00,
    0x05, 0x78, 0x60, 0x01, 0x23, 0x45, 0x00, 0x14, 0x06, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1,
};

static const uint8_t v6_cut_ext[114] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x58, 0x83, 0x00, 0x00,
    0x05, 0x78, 0x60, 0x01, 0x23, 0x45, 0x00, 0x24, 0x3c, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x06, 0x01, 0x01, 0x0c, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t v6_no_ports[104] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x32, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x95, 0x5a, 0x00, 0x00,
    0x05, 0x78, 0x60, 0x01, 0x23, 0x45, 0x00, 0x14, 0x06, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x50,
};

static const uint8_t v6_echo[62] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0x40, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x80, 0x00, 0x13, 0x3b, 0x00, 0x00,
    0x00, 0x00,
};

static const uint8_t v4_tcp[90] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x4c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01,
    0x8e, 0x17, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x64, 0x03, 0x04,
    0x5e, 0x4a, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x30, 0x00, 0x01,
    0x40, 0x00, 0x40, 0x06, 0xd4, 0x23, 0xc6, 0x33, 0x64, 0x64, 0xcb, 0x00,
    0x71, 0x0b, 0x00, 0x50, 0x9c, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0xaa, 0xc3, 0x00, 0x00, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
};

static const uint8_t v4_opts[82] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x44, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01,
    0x8e, 0x1f, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x64, 0x03, 0x04,
    0x61, 0x81, 0x00, 0x00, 0x02, 0x40, 0x46, 0x00, 0x00, 0x28, 0x00, 0x01,
    0x00, 0x00, 0x40, 0x11, 0x11, 0x1f, 0xc6, 0x33, 0x64, 0x64, 0xcb, 0x00,
    0x71, 0x0b, 0x01, 0x01, 0x01, 0x01, 0x00, 0x35, 0x82, 0x35, 0x00, 0x10,
    0x50, 0xfa, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71,
};

static const uint8_t v4_wrong_src[82] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x44, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01,
    0x8e, 0x1f, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x64, 0x03, 0x04,
    0x5e, 0x43, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x28, 0x00, 0x01,
    0x00, 0x00, 0x40, 0x06, 0x14, 0x2b, 0xc6, 0x33, 0x64, 0x65, 0xcb, 0x00,
    0x71, 0x0b, 0x00, 0x50, 0x9c, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x8c, 0xac, 0x00, 0x00,
};

static const uint8_t v4_port_unreach[70] = {
    0x02, 0xf1, 0x0b, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01,
    0x8e, 0x2b, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x64, 0x03, 0x03,
    0x63, 0xba, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x00, 0x01,
    0x00, 0x00, 0x40, 0x11, 0x14, 0x2d, 0xc6, 0x33, 0x64, 0x64, 0xcb, 0x00,
    0x71, 0x0b, 0x00, 0x35, 0x9c, 0x41, 0x00, 0x08, 0xfc, 0xc3,
};

/* Parses the 'len' bytes at 'frame' from an odd address, as a packet-in's
 * data may be. */
static int
parse_unaligned(const uint8_t *frame, size_t len, struct ptb_packet *ptb)
{
    uint8_t *buf = xmalloc(len + 1);
    memcpy(buf + 1, frame, len);
    int error = ptb_parse(buf + 1, len, ptb);
    free(buf);
    return error;
}

/* Parses a copy of 'frame' with byte 'ofs' xored with 'x'. */
static int
parse_changed(const uint8_t *frame, size_t len, size_t ofs, uint8_t x)
{
    uint8_t *buf = xmemdup(frame, len);
    struct ptb_packet ptb;
    buf[ofs] ^= x;
    int error = ptb_parse(buf, len, &ptb);
    free(buf);
    return error;
}

static void
test_parse_v6_tcp(void)
{
    struct ptb_packet ptb;

    CU_ASSERT_EQUAL_FATAL(parse_unaligned(v6_tcp, sizeof v6_tcp, &ptb), 0);
    CU_ASSERT_FALSE(ptb.is_ipv4);
    struct in6_addr rtr = unit_ip6("2001:db8:ff::1");
    struct in6_addr vip = unit_ip6("2001:db8:f10::100");
    struct in6_addr cli = unit_ip6("2001:db8:c1::11");
    CU_ASSERT(ipv6_addr_equals(&ptb.sender, &rtr));
    CU_ASSERT(ipv6_addr_equals(&ptb.quoted.src, &vip));
    CU_ASSERT(ipv6_addr_equals(&ptb.quoted.dst, &cli));
    CU_ASSERT_EQUAL(ptb.mtu, 1400);
    CU_ASSERT_EQUAL(ptb.quoted.proto, IPPROTO_TCP);
    CU_ASSERT(ptb.quoted.has_ports);
    CU_ASSERT_EQUAL(ptb.quoted.src_port, 80);
    CU_ASSERT_EQUAL(ptb.quoted.dst_port, 40000);
    CU_ASSERT_EQUAL(ptb.label, 0x12345);
    CU_ASSERT_FALSE(ptb.later_fragment);

    /* Ethernet padding is not part of the packet. */
    uint8_t padded[sizeof v6_tcp + 20];
    memset(padded, 0, sizeof padded);
    memcpy(padded, v6_tcp, sizeof v6_tcp);
    CU_ASSERT_EQUAL(ptb_parse(padded, sizeof padded, &ptb), 0);
    CU_ASSERT_EQUAL(ptb.quoted.dst_port, 40000);
}

static void
test_parse_v6_ext_headers(void)
{
    struct ptb_packet ptb;

    /* Hop-by-hop, routing, destination options and a first fragment
     * before UDP in the quoted packet. */
    CU_ASSERT_EQUAL_FATAL(parse_unaligned(v6_ext, sizeof v6_ext, &ptb), 0);
    CU_ASSERT_EQUAL(ptb.mtu, 1280);
    CU_ASSERT_EQUAL(ptb.quoted.proto, IPPROTO_UDP);
    CU_ASSERT(ptb.quoted.has_ports);
    CU_ASSERT_EQUAL(ptb.quoted.src_port, 53);
    CU_ASSERT_EQUAL(ptb.quoted.dst_port, 5353);
    CU_ASSERT_FALSE(ptb.later_fragment);

    /* A later fragment: the protocol its header names, no ports. */
    CU_ASSERT_EQUAL_FATAL(parse_unaligned(v6_later, sizeof v6_later, &ptb),
                          0);
    CU_ASSERT_EQUAL(ptb.quoted.proto, IPPROTO_UDP);
    CU_ASSERT_FALSE(ptb.quoted.has_ports);
    CU_ASSERT(ptb.later_fragment);

    /* A VLAN tag, and a hop-by-hop header before the ICMPv6 header. */
    CU_ASSERT_EQUAL_FATAL(parse_unaligned(v6_vlan_hbh, sizeof v6_vlan_hbh,
                                          &ptb), 0);
    CU_ASSERT_EQUAL(ptb.quoted.proto, IPPROTO_TCP);
    CU_ASSERT_EQUAL(ptb.quoted.src_port, 443);
    CU_ASSERT_EQUAL(ptb.quoted.dst_port, 50000);
}

static void
test_parse_v6_no_ports(void)
{
    struct ptb_packet ptb;

    /* Cut two bytes into the TCP header: valid, but no ports. */
    CU_ASSERT_EQUAL_FATAL(ptb_parse(v6_no_ports, sizeof v6_no_ports, &ptb),
                          0);
    CU_ASSERT_EQUAL(ptb.quoted.proto, IPPROTO_TCP);
    CU_ASSERT_FALSE(ptb.quoted.has_ports);
    CU_ASSERT_EQUAL(ptb.quoted.src_port, 0);
}

static void
test_parse_v6_bad(void)
{
    struct ptb_packet ptb;

    CU_ASSERT_EQUAL(ptb_parse(v6_wrong_src, sizeof v6_wrong_src, &ptb),
                    EINVAL);
    CU_ASSERT_EQUAL(ptb_parse(v6_code1, sizeof v6_code1, &ptb), EINVAL);
    CU_ASSERT_EQUAL(ptb_parse(v6_short_quote, sizeof v6_short_quote, &ptb),
                    EINVAL);
    CU_ASSERT_EQUAL(ptb_parse(v6_cut_ext, sizeof v6_cut_ext, &ptb), EINVAL);

    /* Cut anywhere after the ICMPv6 type: truncated. */
    for (size_t len = 14 + 40 + 1; len < sizeof v6_tcp; len++) {
        CU_ASSERT_EQUAL(ptb_parse(v6_tcp, len, &ptb), EINVAL);
    }

    /* Any byte of the ICMPv6 message changed: wrong checksum (or another
     * message, for the type).  The outer addresses are in the
     * pseudo-header. */
    for (size_t ofs = 14 + 8; ofs < sizeof v6_tcp; ofs++) {
        int error = parse_changed(v6_tcp, sizeof v6_tcp, ofs, 0x01);
        if (ofs == 14 + 40) {
            CU_ASSERT_EQUAL(error, ENOMSG);   /* Type 3: not ours. */
        } else {
            CU_ASSERT_EQUAL(error, EINVAL);
        }
    }
    /* A failed parse leaves nothing behind. */
    CU_ASSERT_EQUAL(ptb_parse(v6_wrong_src, sizeof v6_wrong_src, &ptb),
                    EINVAL);
    CU_ASSERT_EQUAL(ptb.quoted.src_port, 0);
}

static void
test_parse_not_ours(void)
{
    struct ptb_packet ptb;

    CU_ASSERT_EQUAL(ptb_parse(v6_echo, sizeof v6_echo, &ptb), ENOMSG);
    CU_ASSERT_EQUAL(ptb_parse(v4_port_unreach, sizeof v4_port_unreach,
                              &ptb), ENOMSG);
    CU_ASSERT_EQUAL(ptb_parse(v6_tcp, 13, &ptb), ENOMSG);
    CU_ASSERT_EQUAL(ptb_parse(v6_tcp, 14 + 39, &ptb), ENOMSG);
    CU_ASSERT_EQUAL(ptb_parse(v6_tcp, 14 + 40, &ptb), ENOMSG);

    /* ARP. */
    uint8_t arp[42];
    memset(arp, 0, sizeof arp);
    arp[12] = 0x08;
    arp[13] = 0x06;
    CU_ASSERT_EQUAL(ptb_parse(arp, sizeof arp, &ptb), ENOMSG);

    /* Version 4 in an IPv6 frame. */
    CU_ASSERT_EQUAL(parse_changed(v6_tcp, sizeof v6_tcp, 14, 0x20), ENOMSG);
}

static void
test_parse_v4(void)
{
    struct ptb_packet ptb;

    CU_ASSERT_EQUAL_FATAL(parse_unaligned(v4_tcp, sizeof v4_tcp, &ptb), 0);
    CU_ASSERT(ptb.is_ipv4);
    struct in6_addr rtr = unit_ip4("192.0.2.1");
    struct in6_addr vip = unit_ip4("198.51.100.100");
    struct in6_addr cli = unit_ip4("203.0.113.11");
    CU_ASSERT(ipv6_addr_equals(&ptb.sender, &rtr));
    CU_ASSERT(ipv6_addr_equals(&ptb.quoted.src, &vip));
    CU_ASSERT(ipv6_addr_equals(&ptb.quoted.dst, &cli));
    CU_ASSERT_EQUAL(ptb.mtu, 1400);
    CU_ASSERT_EQUAL(ptb.quoted.proto, IPPROTO_TCP);
    CU_ASSERT(ptb.quoted.has_ports);
    CU_ASSERT_EQUAL(ptb.quoted.src_port, 80);
    CU_ASSERT_EQUAL(ptb.quoted.dst_port, 40001);
    CU_ASSERT_EQUAL(ptb.label, 0);

    /* Options in the quoted header. */
    CU_ASSERT_EQUAL_FATAL(parse_unaligned(v4_opts, sizeof v4_opts, &ptb), 0);
    CU_ASSERT_EQUAL(ptb.mtu, 576);
    CU_ASSERT_EQUAL(ptb.quoted.proto, IPPROTO_UDP);
    CU_ASSERT_EQUAL(ptb.quoted.src_port, 53);
    CU_ASSERT_EQUAL(ptb.quoted.dst_port, 33333);

    /* Padding, as Ethernet adds to short frames. */
    uint8_t padded[sizeof v4_tcp + 6];
    memset(padded, 0, sizeof padded);
    memcpy(padded, v4_tcp, sizeof v4_tcp);
    CU_ASSERT_EQUAL(ptb_parse(padded, sizeof padded, &ptb), 0);
}

static void
test_parse_v4_bad(void)
{
    struct ptb_packet ptb;

    CU_ASSERT_EQUAL(ptb_parse(v4_wrong_src, sizeof v4_wrong_src, &ptb),
                    EINVAL);
    for (size_t len = 14 + 20 + 2; len < sizeof v4_tcp; len++) {
        CU_ASSERT_EQUAL(ptb_parse(v4_tcp, len, &ptb), EINVAL);
    }
    /* The TTL (IP header checksum), a byte of the quoted packet (ICMP
     * checksum). */
    CU_ASSERT_EQUAL(parse_changed(v4_tcp, sizeof v4_tcp, 14 + 8, 1), EINVAL);
    CU_ASSERT_EQUAL(parse_changed(v4_tcp, sizeof v4_tcp, 14 + 20 + 8 + 12,
                                  1), EINVAL);
    /* A later fragment, or another code: not ours. */
    CU_ASSERT_EQUAL(parse_changed(v4_tcp, sizeof v4_tcp, 14 + 7, 1),
                    ENOMSG);
    CU_ASSERT_EQUAL(parse_changed(v4_tcp, sizeof v4_tcp, 14 + 21, 1),
                    ENOMSG);
}

static void
test_tuple_reverse(void)
{
    struct ptb_packet ptb;
    struct ptb_tuple t;

    CU_ASSERT_EQUAL_FATAL(ptb_parse(v6_tcp, sizeof v6_tcp, &ptb), 0);
    ptb_tuple_reverse(&ptb.quoted, &t);
    CU_ASSERT(ipv6_addr_equals(&t.src, &ptb.quoted.dst));
    CU_ASSERT(ipv6_addr_equals(&t.dst, &ptb.quoted.src));
    CU_ASSERT_EQUAL(t.src_port, 40000);
    CU_ASSERT_EQUAL(t.dst_port, 80);
    CU_ASSERT_EQUAL(t.proto, IPPROTO_TCP);
    CU_ASSERT(t.has_ports);
    ptb_tuple_reverse(&t, &t);
    CU_ASSERT_EQUAL(t.src_port, 80);
    CU_ASSERT(ipv6_addr_equals(&t.src, &ptb.quoted.src));
}

/* A model from the state file's JSON: 'services' is the text of the
 * "services" array. */
static struct lb_model *
model_from(const char *services)
{
    char *text = xasprintf("{\"version\": 1, \"vmac\": \"02:f1:0b:00:00:01\","
                           " \"next_service_id\": 10, \"services\": %s}",
                           services);
    json_error_t jerror;
    json_t *json = json_loads(text, 0, &jerror);
    if (!json) {
        fprintf(stderr, "%s: %s\n", text, jerror.text);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);

    struct lb_model *model = NULL;
    struct lb_error error = { 0, NULL, NULL };
    int retval = lb_model_from_json(json, &model, &error);
    if (retval) {
        fprintf(stderr, "%s: %s\n", error.field ? error.field : "",
                error.message);
    }
    CU_ASSERT_EQUAL_FATAL(retval, 0);
    lb_error_clear(&error);
    json_decref(json);
    free(text);
    return model;
}

/* The JSON of service 'id' with the given fields, and members with ids 1
 * to 'n_members' at 2001:db8:f10::21 and on (or 198.51.100.21 and on for
 * an IPv4 'vip'), MAC 0a:00:00:00:00:21 and on, all enabled; on every
 * switch unless 'fields' says otherwise. */
static char *
service_json(int id, const char *vip, const char *fields, int n_members)
{
    bool v4 = !strchr(vip, ':');
    struct ds ds = DS_EMPTY_INITIALIZER;

    ds_put_format(&ds, "{\"id\": %d, \"name\": \"s%d\", \"vip\": \"%s\", "
                  "\"forwarding\": \"dsr\", %s"
                  "\"hash_basis\": \"0x0123456789abcdef\", "
                  "\"next_member_id\": %d, %s, \"members\": [",
                  id, id, vip,
                  strstr(fields, "\"switches\"") ? "" : "\"switches\": [], ",
                  n_members + 1, fields);
    for (int i = 1; i <= n_members; i++) {
        ds_put_format(&ds, "%s{\"id\": %d, \"address\": \"%s%d\", "
                      "\"mac\": \"0a:00:00:00:00:%02d\", \"weight\": 1, "
                      "\"state\": \"enabled\"}", i > 1 ? ", " : "", i,
                      v4 ? "198.51.100." : "2001:db8:f10::", 20 + i, 20 + i);
    }
    ds_put_cstr(&ds, "]}");
    return ds_steal_cstr(&ds);
}

static struct lb_model *
one_service_model(const char *vip, const char *fields, int n_members)
{
    char *svc = service_json(1, vip, fields, n_members);
    char *services = xasprintf("[%s]", svc);
    struct lb_model *model = model_from(services);
    free(services);
    free(svc);
    return model;
}

static struct ptb_tuple
tuple(const char *src, const char *dst, uint8_t proto, int sport, int dport)
{
    struct ptb_tuple t;
    memset(&t, 0, sizeof t);
    t.src = strchr(src, ':') ? unit_ip6(src) : unit_ip4(src);
    t.dst = strchr(dst, ':') ? unit_ip6(dst) : unit_ip4(dst);
    t.proto = proto;
    t.has_ports = sport >= 0;
    t.src_port = MAX(sport, 0);
    t.dst_port = MAX(dport, 0);
    return t;
}

static void
test_find_service(void)
{
    char *a = service_json(1, "2001:db8:f10::100",
                           "\"protocol\": \"tcp\", \"ports\": [80, 443], "
                           "\"key\": \"5tuple\"", 1);
    char *b = service_json(2, "2001:db8:f10::100",
                           "\"protocol\": \"udp\", \"ports\": [], "
                           "\"key\": \"5tuple\"", 1);
    char *c = service_json(3, "198.51.100.100",
                           "\"protocol\": \"any\", \"ports\": [], "
                           "\"key\": \"src\", "
                           "\"switches\": [\"00000000000000b1\"]",
                           1);
    char *d = service_json(4, "2001:db8:f10::100",
                           "\"protocol\": \"tcp\", \"ports\": [8080], "
                           "\"key\": \"5tuple\"", 1);
    char *services = xasprintf("[%s, %s, %s, %s]", a, b, c, d);
    struct lb_model *model = model_from(services);
    const struct lb_service *svc;
    struct ptb_tuple t;

    t = tuple("2001:db8:f10::100", "2001:db8:c1::11", IPPROTO_TCP, 443,
              40000);
    svc = ptb_find_service(model, 0xb0, &t);
    CU_ASSERT(svc && svc->id == 1);
    t.src_port = 8080;
    svc = ptb_find_service(model, 0xb0, &t);
    CU_ASSERT(svc && svc->id == 4);
    t.src_port = 22;
    CU_ASSERT_PTR_NULL(ptb_find_service(model, 0xb0, &t));

    /* No ports: the lowest id with the VIP and protocol. */
    t.has_ports = false;
    svc = ptb_find_service(model, 0xb0, &t);
    CU_ASSERT(svc && svc->id == 1);

    t = tuple("2001:db8:f10::100", "2001:db8:c1::11", IPPROTO_UDP, 9, 9);
    svc = ptb_find_service(model, 0xb0, &t);
    CU_ASSERT(svc && svc->id == 2);
    t.proto = IPPROTO_SCTP;
    CU_ASSERT_PTR_NULL(ptb_find_service(model, 0xb0, &t));

    /* Another VIP; a service on other switches only. */
    t = tuple("2001:db8:f10::101", "2001:db8:c1::11", IPPROTO_TCP, 80, 9);
    CU_ASSERT_PTR_NULL(ptb_find_service(model, 0xb0, &t));
    t = tuple("198.51.100.100", "203.0.113.11", IPPROTO_ICMP, -1, -1);
    CU_ASSERT_PTR_NULL(ptb_find_service(model, 0xb0, &t));
    svc = ptb_find_service(model, 0xb1, &t);
    CU_ASSERT(svc && svc->id == 3);

    lb_model_destroy(model);
    free(services);
    free(a);
    free(b);
    free(c);
    free(d);
}

/* The member ptb_select_member() picks for client port 'port' of
 * 2001:db8:c1::11 to port 80, or 0 on error. */
static uint32_t
pick(const struct lb_model *model, int port)
{
    const struct lb_service *svc = lb_service_find(model, 1);
    struct ptb_tuple t = tuple(svc->is_ipv4 ? "203.0.113.11"
                               : "2001:db8:c1::11",
                               svc->is_ipv4 ? "198.51.100.100"
                               : "2001:db8:f10::100", IPPROTO_TCP, port,
                               80);
    uint32_t member = 0;
    int error = ptb_select_member(svc, &t, &member);
    CU_ASSERT_EQUAL(error, 0);
    return error ? 0 : member;
}

static void
test_select_member(void)
{
    struct lb_model *model = one_service_model(
        "2001:db8:f10::100", "\"protocol\": \"tcp\", \"ports\": [80], "
        "\"key\": \"5tuple\"", 3);
    struct lb_service *svc = lb_service_find(model, 1);
    uint32_t before[200];
    int hits[4] = { 0, 0, 0, 0 };

    for (int i = 0; i < 200; i++) {
        before[i] = pick(model, 40000 + i);
        CU_ASSERT(before[i] >= 1 && before[i] <= 3);
        hits[before[i]]++;
        CU_ASSERT_EQUAL(pick(model, 40000 + i), before[i]);
    }
    /* 200 keys over three equal members: each gets a fair share. */
    for (int m = 1; m <= 3; m++) {
        CU_ASSERT(hits[m] > 40);
    }

    /* Rendezvous hashing: disabling member 2 moves only its keys; drain
     * is the same in a stateless service. */
    lb_member_find(svc, 2)->state = LB_MEMBER_DISABLED;
    for (int i = 0; i < 200; i++) {
        uint32_t now = pick(model, 40000 + i);
        CU_ASSERT(now == 1 || now == 3);
        if (before[i] != 2) {
            CU_ASSERT_EQUAL(now, before[i]);
        }
    }
    lb_member_find(svc, 2)->state = LB_MEMBER_DRAIN;
    for (int i = 0; i < 200; i++) {
        CU_ASSERT_NOT_EQUAL(pick(model, 40000 + i), 2);
    }

    /* No member with a bucket. */
    struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        m->state = LB_MEMBER_DISABLED;
    }
    struct ptb_tuple t = tuple("2001:db8:c1::11", "2001:db8:f10::100",
                               IPPROTO_TCP, 40000, 80);
    uint32_t member;
    CU_ASSERT_EQUAL(ptb_select_member(svc, &t, &member), ENOENT);

    /* Ports unknown. */
    LIST_FOR_EACH (m, node, &svc->members) {
        m->state = LB_MEMBER_ENABLED;
    }
    t.has_ports = false;
    CU_ASSERT_EQUAL(ptb_select_member(svc, &t, &member), EOPNOTSUPP);

    /* A label key cannot be computed from a reply. */
    t.has_ports = true;
    svc->key = LB_KEY_SRC_DST_LABEL;
    CU_ASSERT_EQUAL(ptb_select_member(svc, &t, &member), EOPNOTSUPP);
    lb_model_destroy(model);
}

static void
test_select_member_weights(void)
{
    /* Weight 2 means two buckets, and about twice the keys. */
    struct lb_model *model = one_service_model(
        "2001:db8:f10::100", "\"protocol\": \"tcp\", \"ports\": [80], "
        "\"key\": \"5tuple\"", 2);
    struct lb_service *svc = lb_service_find(model, 1);
    lb_member_find(svc, 2)->weight = 2;
    int hits[3] = { 0, 0, 0 };
    for (int i = 0; i < 600; i++) {
        hits[pick(model, 30000 + i)]++;
    }
    CU_ASSERT(hits[2] > hits[1] * 3 / 2);
    CU_ASSERT(hits[2] < hits[1] * 3);
    lb_model_destroy(model);
}

static void
test_select_member_src(void)
{
    /* Key "src": the client's address alone, so every port of one client
     * goes to one member, on IPv4 too. */
    struct lb_model *model = one_service_model(
        "198.51.100.100", "\"protocol\": \"any\", \"ports\": [], "
        "\"key\": \"src\"", 3);
    const struct lb_service *svc = lb_service_find(model, 1);
    uint32_t first = pick(model, 1);
    CU_ASSERT(first >= 1 && first <= 3);
    for (int i = 2; i < 50; i++) {
        CU_ASSERT_EQUAL(pick(model, i), first);
    }
    /* ICMP has no ports and needs none. */
    struct ptb_tuple t = tuple("203.0.113.11", "198.51.100.100", IPPROTO_ICMP,
                               -1, -1);
    uint32_t member;
    CU_ASSERT_EQUAL(ptb_select_member(svc, &t, &member), 0);
    CU_ASSERT_EQUAL(member, first);

    /* Other clients spread. */
    int hits[4] = { 0, 0, 0, 0 };
    for (int i = 1; i <= 90; i++) {
        char s[INET_ADDRSTRLEN];
        snprintf(s, sizeof s, "203.0.113.%d", i);
        t = tuple(s, "198.51.100.100", IPPROTO_UDP, 5000, 53);
        CU_ASSERT_EQUAL(ptb_select_member(svc, &t, &member), 0);
        hits[member]++;
    }
    CU_ASSERT(hits[1] > 10 && hits[2] > 10 && hits[3] > 10);
    lb_model_destroy(model);
}

/* What ovs-vswitchd 3.1 (our build, ofproto/trace) chose with the groups
 * the compiler makes of these services (hash basis 0x0123456789abcdef,
 * members 1 to 3 with one bucket each):
 *
 *   fields(ipv6_src,ipv6_dst,ip_proto,tcp_src,tcp_dst), client
 *   2001:db8:c1::11 port 40000 + i to 2001:db8:f10::100 port 80;
 *   fields(ip_src), client 203.0.113.(1 + i) to 198.51.100.100. */
static void
test_select_member_ovs_answers(void)
{
    static const uint32_t tcp6[12] = { 2, 1, 2, 3, 3, 3, 3, 2, 3, 1, 2, 2 };
    static const uint32_t src4[8] = { 1, 1, 3, 3, 3, 2, 2, 1 };
    struct lb_model *model = one_service_model(
        "2001:db8:f10::100", "\"protocol\": \"tcp\", \"ports\": [80], "
        "\"key\": \"5tuple\"", 3);
    for (size_t i = 0; i < ARRAY_SIZE(tcp6); i++) {
        CU_ASSERT_EQUAL(pick(model, 40000 + i), tcp6[i]);
    }
    lb_model_destroy(model);

    model = one_service_model("198.51.100.100", "\"protocol\": \"any\", "
                              "\"ports\": [], \"key\": \"src\"", 3);
    const struct lb_service *svc = lb_service_find(model, 1);
    for (size_t i = 0; i < ARRAY_SIZE(src4); i++) {
        char s[INET_ADDRSTRLEN];
        snprintf(s, sizeof s, "203.0.113.%"PRIuSIZE, i + 1);
        struct ptb_tuple t = tuple(s, "198.51.100.100", IPPROTO_UDP, 5000,
                                   53);
        uint32_t member = 0;
        CU_ASSERT_EQUAL(ptb_select_member(svc, &t, &member), 0);
        CU_ASSERT_EQUAL(member, src4[i]);
    }
    lb_model_destroy(model);
}

static void
test_member_mac(void)
{
    static const struct eth_addr mac21 = ETH_ADDR_C(0a,00,00,00,00,21);
    static const struct eth_addr mac99 = ETH_ADDR_C(0a,00,00,00,00,99);
    struct lb_model *model = one_service_model(
        "2001:db8:f10::100", "\"protocol\": \"tcp\", \"ports\": [80], "
        "\"key\": \"5tuple\"", 1);
    struct lb_service *svc = lb_service_find(model, 1);
    struct lb_member *m = lb_member_find(svc, 1);
    struct eth_addr mac;

    CU_ASSERT(ptb_member_mac(svc, m, &mac));
    CU_ASSERT(eth_addr_equals(mac, mac21));
    m->state = LB_MEMBER_DRAIN;
    CU_ASSERT_FALSE(ptb_member_mac(svc, m, &mac));
    svc->persistence = LB_PERSIST_STATEFUL;
    CU_ASSERT(ptb_member_mac(svc, m, &mac));
    m->state = LB_MEMBER_DISABLED;
    CU_ASSERT_FALSE(ptb_member_mac(svc, m, &mac));
    m->state = LB_MEMBER_ENABLED;
    m->has_mac = false;
    CU_ASSERT_FALSE(ptb_member_mac(svc, m, &mac));
    m->resolved = true;
    m->resolved_mac = mac99;
    CU_ASSERT(ptb_member_mac(svc, m, &mac));
    CU_ASSERT(eth_addr_equals(mac, mac99));
    lb_model_destroy(model);
}

void
unit_register_ptb(void)
{
    static CU_TestInfo tests[] = {
        { "parse PTB: TCP reply quoted", test_parse_v6_tcp },
        { "parse PTB: extension headers, fragments, VLAN",
          test_parse_v6_ext_headers },
        { "parse PTB: quoted packet cut before its ports",
          test_parse_v6_no_ports },
        { "parse PTB: malformed", test_parse_v6_bad },
        { "parse: not a too-big message", test_parse_not_ours },
        { "parse ICMPv4 fragmentation needed", test_parse_v4 },
        { "parse ICMPv4 fragmentation needed: malformed",
          test_parse_v4_bad },
        { "tuple reverse", test_tuple_reverse },
        { "find the service of a quoted packet", test_find_service },
        { "select member: 5tuple, rendezvous", test_select_member },
        { "select member: weights", test_select_member_weights },
        { "select member: src key, IPv4", test_select_member_src },
        { "select member: what ovs-vswitchd chose",
          test_select_member_ovs_answers },
        { "member takes traffic", test_member_mac },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("ptb", tests);
}
