/*
 * Tests of neigh: parsing Neighbor Solicitations, Advertisements and ARP,
 * the answers for a VIP and the solicitations for a member.
 *
 * Packets come from libopenvswitch's compose_* helpers, as a host would
 * send them, or are exact bytes that scapy built.  Checksums of what neigh
 * builds are verified with this file's own one's-complement sum, not with
 * OVS's, and once more by scapy (tests/neigh-scapy.py) when it is
 * installed.
 */
#include <config.h>
#include "flowlb/neigh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "csum.h"
#include "dp-packet.h"
#include "packets.h"
#include "unit.h"
#include "util.h"

/* Offsets in an untagged Ethernet frame. */
#define OFS_ETH_DST 0
#define OFS_ETH_SRC 6
#define OFS_ETH_TYPE 12
#define OFS_IP6 14              /* IPv6 header. */
#define OFS_IP6_PLEN (OFS_IP6 + 4)
#define OFS_IP6_NXT (OFS_IP6 + 6)
#define OFS_IP6_HLIM (OFS_IP6 + 7)
#define OFS_IP6_SRC (OFS_IP6 + 8)
#define OFS_IP6_DST (OFS_IP6 + 24)
#define OFS_ICMP6 54            /* ICMPv6 header. */
#define OFS_ND_FLAGS (OFS_ICMP6 + 4)
#define OFS_ND_TARGET (OFS_ICMP6 + 8)
#define OFS_ND_OPT (OFS_ICMP6 + 24)
#define OFS_ARP 14              /* ARP header. */

static const struct eth_addr vmac = ETH_ADDR_C(02,00,5e,10,00,01);
static const struct eth_addr client_mac = ETH_ADDR_C(52,54,00,00,00,01);
static const struct eth_addr member_mac = ETH_ADDR_C(52,54,00,00,00,20);

/* Returns true if 'a' is the IPv6 address 's'. */
static bool
ip6_is(const struct in6_addr *a, const char *s)
{
    struct in6_addr b = unit_ip6(s);
    return ipv6_addr_equals(a, &b);
}

/* Returns true if 'a' is the IPv4-mapped form of 's'. */
static bool
ip4_is(const struct in6_addr *a, const char *s)
{
    struct in6_addr b = unit_ip4(s);
    return ipv6_addr_equals(a, &b);
}

static bool
bytes_are(const uint8_t *p, const void *want, size_t n)
{
    return !memcmp(p, want, n);
}

static uint16_t
get_be16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

/* Returns the one's-complement sum over the IPv6 pseudo-header and the
 * ICMPv6 message of 'frame', computed here byte by byte: 0xffff if the
 * checksum is right. */
static uint16_t
icmp6_sum(const uint8_t *frame)
{
    size_t plen = get_be16(frame + OFS_IP6_PLEN);
    uint32_t sum = 0;

    for (size_t i = OFS_IP6_SRC; i < OFS_ICMP6; i += 2) {
        sum += get_be16(frame + i);
    }
    sum += plen + frame[OFS_IP6_NXT];
    for (size_t i = 0; i < plen; i += 2) {
        sum += frame[OFS_ICMP6 + i] << 8
               | (i + 1 < plen ? frame[OFS_ICMP6 + i + 1] : 0);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* Recomputes the ICMPv6 checksum of 'frame' after a test changed it. */
static void
fix_icmp6_csum(uint8_t *frame)
{
    frame[OFS_ICMP6 + 2] = frame[OFS_ICMP6 + 3] = 0;
    uint16_t c = ~icmp6_sum(frame);
    frame[OFS_ICMP6 + 2] = c >> 8;
    frame[OFS_ICMP6 + 3] = c;
}

/* A solicitation from the client 2001:db8::1 for the VIP 2001:db8::10, as
 * a host sends it. */
static struct dp_packet *
client_ns(void)
{
    struct dp_packet *b = dp_packet_new(0);
    struct in6_addr src = unit_ip6("2001:db8::1");
    struct in6_addr vip = unit_ip6("2001:db8::10");

    compose_nd_ns(b, client_mac, &src, &vip);
    return b;
}

/* The same, by scapy:
 *
 *   Ether(src="52:54:00:00:00:01", dst="33:33:ff:00:00:10")
 *   / IPv6(src="2001:db8::1", dst="ff02::1:ff00:10", hlim=255)
 *   / ICMPv6ND_NS(tgt="2001:db8::10")
 *   / ICMPv6NDOptSrcLLAddr(lladdr="52:54:00:00:00:01") */
static const uint8_t scapy_ns[86] = {
    0x33, 0x33, 0xff, 0x00, 0x00, 0x10, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0xff, 0x00, 0x00, 0x10, 0x87, 0x00, 0xcb, 0xb6, 0x00, 0x00,
    0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x52, 0x54, 0x00, 0x00,
    0x00, 0x01,
};

/* A member's answer to neigh_solicit(), by scapy:
 *
 *   Ether(src="52:54:00:00:00:20", dst="02:00:5e:10:00:01")
 *   / IPv6(src="2001:db8::20", dst="fe80::5eff:fe10:1", hlim=255)
 *   / ICMPv6ND_NA(R=0, S=1, O=1, tgt="2001:db8::20")
 *   / ICMPv6NDOptDstLLAddr(lladdr="52:54:00:00:00:20") */
static const uint8_t scapy_na[86] = {
    0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x52, 0x54, 0x00, 0x00, 0x00, 0x20,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x20, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x5e, 0xff, 0xfe, 0x10, 0x00, 0x01, 0x88, 0x00, 0x0b, 0xeb, 0x60, 0x00,
    0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x02, 0x01, 0x52, 0x54, 0x00, 0x00,
    0x00, 0x20,
};

/* A member's answer to an ARP probe, as Linux sends it, padded, by scapy:
 *
 *   Ether(src="52:54:00:00:00:20", dst="02:00:5e:10:00:01")
 *   / ARP(op=2, hwsrc="52:54:00:00:00:20", psrc="192.0.2.20",
 *         hwdst="02:00:5e:10:00:01", pdst="0.0.0.0")
 *   / Padding(load=b"\0" * 18) */
static const uint8_t scapy_arp_reply[60] = {
    0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x52, 0x54, 0x00, 0x00, 0x00, 0x20,
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x52, 0x54,
    0x00, 0x00, 0x00, 0x20, 0xc0, 0x00, 0x02, 0x14, 0x02, 0x00, 0x5e, 0x10,
    0x00, 0x01,
};

/* Parses a copy of the 'len' bytes at 'data' that starts at an odd
 * address, since packet-in data may sit anywhere. */
static int
parse_unaligned(const void *data, size_t len, struct neigh_packet *np)
{
    uint8_t *buf = xmalloc(len + 1);
    int error;

    memcpy(buf + 1, data, len);
    error = neigh_parse(buf + 1, len, np);
    free(buf);
    return error;
}

static int
parse_packet(const struct dp_packet *b, struct neigh_packet *np)
{
    return parse_unaligned(dp_packet_data(b), dp_packet_size(b), np);
}

static void
test_parse_ns(void)
{
    struct dp_packet *b = client_ns();
    struct neigh_packet np;

    CU_ASSERT_EQUAL(parse_packet(b, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NS);
    CU_ASSERT(eth_addr_equals(np.eth_src, client_mac));
    CU_ASSERT(eth_addr_equals(np.sender_mac, client_mac));
    CU_ASSERT(ip6_is(&np.sender_ip, "2001:db8::1"));
    CU_ASSERT(ip6_is(&np.target_ip, "2001:db8::10"));
    dp_packet_delete(b);

    /* Scapy's bytes parse the same. */
    CU_ASSERT_EQUAL(parse_unaligned(scapy_ns, sizeof scapy_ns, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NS);
    CU_ASSERT(eth_addr_equals(np.sender_mac, client_mac));
    CU_ASSERT(ip6_is(&np.target_ip, "2001:db8::10"));
}

static void
test_parse_ns_sll_not_eth_src(void)
{
    /* The option, not the Ethernet source, says where the solicitor is. */
    struct eth_addr sll = ETH_ADDR_C(52,54,00,00,00,99);
    uint8_t f[sizeof scapy_ns];
    struct neigh_packet np;

    memcpy(f, scapy_ns, sizeof f);
    memcpy(f + OFS_ND_OPT + 2, &sll, 6);
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), 0);
    CU_ASSERT(eth_addr_equals(np.sender_mac, sll));
    CU_ASSERT(eth_addr_equals(np.eth_src, client_mac));
}

static void
test_parse_ns_dad(void)
{
    /* Duplicate address detection: from ::, no option, to the target's
     * solicited-node address. */
    uint8_t f[sizeof scapy_ns - 8];
    struct neigh_packet np;

    memcpy(f, scapy_ns, sizeof f);
    memset(f + OFS_IP6_SRC, 0, 16);
    f[OFS_IP6_PLEN + 1] = 24;
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NS);
    CU_ASSERT(!ipv6_addr_is_set(&np.sender_ip));
    CU_ASSERT(eth_addr_equals(np.sender_mac, client_mac));

    /* To a unicast address it is invalid. */
    struct in6_addr vip = unit_ip6("2001:db8::10");
    memcpy(f + OFS_IP6_DST, &vip, 16);
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);
}

static void
test_parse_ns_dad_with_sll(void)
{
    /* RFC 4861 7.1.1: from :: there must be no source link-layer address
     * option. */
    struct dp_packet *b = dp_packet_new(0);
    struct in6_addr vip = unit_ip6("2001:db8::10");
    struct neigh_packet np;

    compose_nd_ns(b, client_mac, &in6addr_any, &vip);
    CU_ASSERT_EQUAL(parse_packet(b, &np), EINVAL);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NONE);
    dp_packet_delete(b);
}

static void
test_parse_na(void)
{
    struct neigh_packet np;

    CU_ASSERT_EQUAL(parse_unaligned(scapy_na, sizeof scapy_na, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NA);
    CU_ASSERT(ip6_is(&np.sender_ip, "2001:db8::20"));
    CU_ASSERT(eth_addr_equals(np.sender_mac, member_mac));
    CU_ASSERT(eth_addr_equals(np.eth_dst, vmac));
    struct in6_addr lla = neigh_vmac_lla(vmac);
    CU_ASSERT(ipv6_addr_equals(&np.target_ip, &lla));
    CU_ASSERT_EQUAL(np.na_flags, ND_RSO_SOLICITED | ND_RSO_OVERRIDE);

    /* From OVS's encoder, with the router flag. */
    struct dp_packet *b = dp_packet_new(0);
    struct in6_addr src = unit_ip6("2001:db8::21");
    compose_nd_na(b, member_mac, vmac, &src, &lla,
                  htonl(ND_RSO_ROUTER | ND_RSO_SOLICITED));
    CU_ASSERT_EQUAL(parse_packet(b, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NA);
    CU_ASSERT(ipv6_addr_equals(&np.sender_ip, &src));
    CU_ASSERT_EQUAL(np.na_flags, ND_RSO_ROUTER | ND_RSO_SOLICITED);
    dp_packet_delete(b);
}

static void
test_parse_na_without_tll(void)
{
    /* Without the option the Ethernet source is the sender's MAC. */
    uint8_t f[sizeof scapy_na - 8];
    struct neigh_packet np;

    memcpy(f, scapy_na, sizeof f);
    f[OFS_ETH_SRC + 5] = 0x77;
    f[OFS_IP6_PLEN + 1] = 24;
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NA);
    CU_ASSERT(eth_addr_equals(np.sender_mac, np.eth_src));
    CU_ASSERT_EQUAL(np.sender_mac.ea[5], 0x77);
}

static void
test_parse_arp(void)
{
    struct dp_packet *b = dp_packet_new(0);
    struct neigh_packet np;
    struct in6_addr client6 = unit_ip4("192.0.2.1");
    struct in6_addr vip6 = unit_ip4("192.0.2.10");
    ovs_be32 client = in6_addr_get_mapped_ipv4(&client6);
    ovs_be32 vip = in6_addr_get_mapped_ipv4(&vip6);

    compose_arp(b, ARP_OP_REQUEST, client_mac, eth_addr_zero, true,
                client, vip);
    CU_ASSERT_EQUAL(parse_packet(b, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_ARP_REQUEST);
    CU_ASSERT(eth_addr_equals(np.sender_mac, client_mac));
    CU_ASSERT(ip4_is(&np.sender_ip, "192.0.2.1"));
    CU_ASSERT(ip4_is(&np.target_ip, "192.0.2.10"));
    CU_ASSERT(eth_addr_equals(np.eth_dst, eth_addr_broadcast));
    dp_packet_delete(b);

    /* A padded reply to a probe. */
    CU_ASSERT_EQUAL(parse_unaligned(scapy_arp_reply, sizeof scapy_arp_reply,
                                    &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_ARP_REPLY);
    CU_ASSERT(eth_addr_equals(np.sender_mac, member_mac));
    CU_ASSERT(ip4_is(&np.sender_ip, "192.0.2.20"));
    CU_ASSERT(ip4_is(&np.target_ip, "0.0.0.0"));
}

static void
test_parse_not_neigh(void)
{
    struct neigh_packet np;
    uint8_t f[sizeof scapy_ns];

    /* RARP. */
    uint8_t arp[sizeof scapy_arp_reply];
    memcpy(arp, scapy_arp_reply, sizeof arp);
    arp[OFS_ARP + 7] = ARP_OP_RARP;
    CU_ASSERT_EQUAL(parse_unaligned(arp, sizeof arp, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NONE);

    /* IPv4. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_ETH_TYPE] = 0x08;
    f[OFS_ETH_TYPE + 1] = 0x00;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NONE);

    /* An ICMPv6 echo request. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_ICMP6] = ICMP6_ECHO_REQUEST;
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NONE);

    /* UDP. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_IP6_NXT] = IPPROTO_UDP;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NONE);
}

static void
test_parse_truncated(void)
{
    struct neigh_packet np;

    /* Every prefix short of the whole packet is invalid. */
    for (size_t i = 0; i < sizeof scapy_ns; i++) {
        CU_ASSERT_EQUAL(parse_unaligned(scapy_ns, i, &np), EINVAL);
        CU_ASSERT_EQUAL(np.kind, NEIGH_NONE);
    }
    for (size_t i = 0; i < sizeof scapy_na; i++) {
        CU_ASSERT_EQUAL(parse_unaligned(scapy_na, i, &np), EINVAL);
    }
    for (size_t i = 0; i < ETH_HEADER_LEN + ARP_ETH_HEADER_LEN; i++) {
        CU_ASSERT_EQUAL(parse_unaligned(scapy_arp_reply, i, &np), EINVAL);
    }

    /* An IPv6 payload length too short for the message. */
    uint8_t f[sizeof scapy_ns];
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_IP6_PLEN + 1] = 20;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);
}

static void
test_parse_bad_checksum(void)
{
    struct neigh_packet np;
    uint8_t f[sizeof scapy_ns];

    memcpy(f, scapy_ns, sizeof f);
    f[OFS_ICMP6 + 3] ^= 1;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    /* The pseudo-header counts: a changed source breaks the sum too. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_IP6_SRC + 15] = 2;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);
}

static void
test_parse_bad_hop_limit(void)
{
    /* RFC 4861 7.1.1: a hop limit other than 255 means a router forwarded
     * it.  The hop limit is not in the checksum. */
    struct neigh_packet np;
    uint8_t f[sizeof scapy_na];

    memcpy(f, scapy_na, sizeof f);
    f[OFS_IP6_HLIM] = 254;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    uint8_t g[sizeof scapy_ns];
    memcpy(g, scapy_ns, sizeof g);
    g[OFS_IP6_HLIM] = 64;
    CU_ASSERT_EQUAL(parse_unaligned(g, sizeof g, &np), EINVAL);
}

static void
test_parse_bad_fields(void)
{
    struct neigh_packet np;
    uint8_t f[sizeof scapy_ns];

    /* Code 1. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_ICMP6 + 1] = 1;
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    /* Multicast target. */
    memcpy(f, scapy_ns, sizeof f);
    memcpy(f + OFS_ND_TARGET, &in6addr_all_hosts, 16);
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    /* An option of length 0. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_ND_OPT + 1] = 0;
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    /* An option longer than the message. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_ND_OPT + 1] = 2;
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    /* A multicast Ethernet source. */
    memcpy(f, scapy_ns, sizeof f);
    f[OFS_ETH_SRC] = 0x01;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    /* A solicited advertisement to a multicast address. */
    uint8_t g[sizeof scapy_na];
    memcpy(g, scapy_na, sizeof g);
    memcpy(g + OFS_IP6_DST, &in6addr_all_hosts, 16);
    fix_icmp6_csum(g);
    CU_ASSERT_EQUAL(parse_unaligned(g, sizeof g, &np), EINVAL);
    g[OFS_ND_FLAGS] = 0x20;     /* Override only: unsolicited, fine. */
    fix_icmp6_csum(g);
    CU_ASSERT_EQUAL(parse_unaligned(g, sizeof g, &np), 0);
    CU_ASSERT_EQUAL(np.na_flags, ND_RSO_OVERRIDE);
}

static void
test_parse_bad_arp(void)
{
    struct neigh_packet np;
    uint8_t f[sizeof scapy_arp_reply];

    memcpy(f, scapy_arp_reply, sizeof f);
    f[OFS_ARP + 4] = 5;         /* Hardware length. */
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NONE);

    memcpy(f, scapy_arp_reply, sizeof f);
    f[OFS_ARP + 5] = 16;        /* Protocol length. */
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    memcpy(f, scapy_arp_reply, sizeof f);
    f[OFS_ARP + 1] = 6;         /* Hardware type IEEE 802. */
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    memcpy(f, scapy_arp_reply, sizeof f);
    f[OFS_ARP + 2] = 0x86;      /* Protocol type IPv6. */
    f[OFS_ARP + 3] = 0xdd;
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);

    memcpy(f, scapy_arp_reply, sizeof f);
    f[OFS_ARP + 8] = 0xff;      /* Multicast sender hardware address. */
    CU_ASSERT_EQUAL(parse_unaligned(f, sizeof f, &np), EINVAL);
}

/* Checks the NA 'b' that answers a solicitation for 'vip': to 'dst_mac'
 * and 'dst_ip' with 'flags'. */
static void
check_na(const struct dp_packet *b, const struct in6_addr *vip,
         struct eth_addr dst_mac, const struct in6_addr *dst_ip,
         uint32_t flags)
{
    const uint8_t *f = dp_packet_data(b);
    struct neigh_packet np;

    CU_ASSERT_EQUAL_FATAL(dp_packet_size(b), 86);
    CU_ASSERT(bytes_are(f + OFS_ETH_DST, &dst_mac, 6));
    CU_ASSERT(bytes_are(f + OFS_ETH_SRC, &vmac, 6));
    CU_ASSERT_EQUAL(get_be16(f + OFS_ETH_TYPE), ETH_TYPE_IPV6);
    CU_ASSERT_EQUAL(f[OFS_IP6] >> 4, 6);
    CU_ASSERT_EQUAL(get_be16(f + OFS_IP6_PLEN), 32);
    CU_ASSERT_EQUAL(f[OFS_IP6_NXT], IPPROTO_ICMPV6);
    CU_ASSERT_EQUAL(f[OFS_IP6_HLIM], 255);
    CU_ASSERT(bytes_are(f + OFS_IP6_SRC, vip, 16));
    CU_ASSERT(bytes_are(f + OFS_IP6_DST, dst_ip, 16));
    CU_ASSERT_EQUAL(f[OFS_ICMP6], ND_NEIGHBOR_ADVERT);
    CU_ASSERT_EQUAL(f[OFS_ICMP6 + 1], 0);
    CU_ASSERT_EQUAL(icmp6_sum(f), 0xffff);
    uint8_t want_flags[4] = { flags >> 24, 0, 0, 0 };
    CU_ASSERT(bytes_are(f + OFS_ND_FLAGS, want_flags, 4));
    CU_ASSERT(bytes_are(f + OFS_ND_TARGET, vip, 16));
    CU_ASSERT_EQUAL(f[OFS_ND_OPT], ND_OPT_TARGET_LINKADDR);
    CU_ASSERT_EQUAL(f[OFS_ND_OPT + 1], 1);
    CU_ASSERT(bytes_are(f + OFS_ND_OPT + 2, &vmac, 6));

    /* And it is a valid advertisement. */
    CU_ASSERT_EQUAL(parse_packet(b, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NA);
    CU_ASSERT_EQUAL(np.na_flags, flags);
}

static void
test_answer_ns(void)
{
    struct eth_addr sll = ETH_ADDR_C(52,54,00,00,00,99);
    struct in6_addr vip = unit_ip6("2001:db8::10");
    struct in6_addr client = unit_ip6("2001:db8::1");
    uint8_t f[sizeof scapy_ns];
    struct neigh_packet req;

    /* The answer goes to the option's MAC, not the Ethernet source. */
    memcpy(f, scapy_ns, sizeof f);
    memcpy(f + OFS_ND_OPT + 2, &sll, 6);
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL_FATAL(neigh_parse(f, sizeof f, &req), 0);

    struct dp_packet *b = neigh_answer(&req, vmac);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    check_na(b, &vip, sll, &client, ND_RSO_SOLICITED | ND_RSO_OVERRIDE);
    dp_packet_delete(b);
}

static void
test_answer_ns_dad(void)
{
    /* RFC 4861 7.2.4: to a solicitation from ::, to all nodes, not
     * solicited. */
    struct in6_addr vip = unit_ip6("2001:db8::10");
    struct eth_addr all_nodes = ETH_ADDR_C(33,33,00,00,00,01);
    uint8_t f[sizeof scapy_ns - 8];
    struct neigh_packet req;

    memcpy(f, scapy_ns, sizeof f);
    memset(f + OFS_IP6_SRC, 0, 16);
    f[OFS_IP6_PLEN + 1] = 24;
    fix_icmp6_csum(f);
    CU_ASSERT_EQUAL_FATAL(neigh_parse(f, sizeof f, &req), 0);

    struct dp_packet *b = neigh_answer(&req, vmac);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    check_na(b, &vip, all_nodes, &in6addr_all_hosts, ND_RSO_OVERRIDE);
    dp_packet_delete(b);
}

static void
test_answer_arp(void)
{
    struct dp_packet *req_b = dp_packet_new(0);
    struct neigh_packet req;
    static const uint8_t client_ip[4] = { 192, 0, 2, 1 };
    static const uint8_t vip[4] = { 192, 0, 2, 10 };
    ovs_be32 client_be, vip_be;

    memcpy(&client_be, client_ip, 4);
    memcpy(&vip_be, vip, 4);
    compose_arp(req_b, ARP_OP_REQUEST, client_mac, eth_addr_zero, true,
                client_be, vip_be);
    CU_ASSERT_EQUAL_FATAL(parse_packet(req_b, &req), 0);
    dp_packet_delete(req_b);

    struct dp_packet *b = neigh_answer(&req, vmac);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    const uint8_t *f = dp_packet_data(b);
    CU_ASSERT_EQUAL_FATAL(dp_packet_size(b), ETH_TOTAL_MIN);
    CU_ASSERT(bytes_are(f + OFS_ETH_DST, &client_mac, 6));
    CU_ASSERT(bytes_are(f + OFS_ETH_SRC, &vmac, 6));
    CU_ASSERT_EQUAL(get_be16(f + OFS_ETH_TYPE), ETH_TYPE_ARP);
    CU_ASSERT_EQUAL(get_be16(f + OFS_ARP), ARP_HRD_ETHERNET);
    CU_ASSERT_EQUAL(get_be16(f + OFS_ARP + 2), ETH_TYPE_IP);
    CU_ASSERT_EQUAL(f[OFS_ARP + 4], 6);
    CU_ASSERT_EQUAL(f[OFS_ARP + 5], 4);
    CU_ASSERT_EQUAL(get_be16(f + OFS_ARP + 6), ARP_OP_REPLY);
    CU_ASSERT(bytes_are(f + OFS_ARP + 8, &vmac, 6));
    CU_ASSERT(bytes_are(f + OFS_ARP + 14, vip, 4));
    CU_ASSERT(bytes_are(f + OFS_ARP + 18, &client_mac, 6));
    CU_ASSERT(bytes_are(f + OFS_ARP + 24, client_ip, 4));
    for (size_t i = OFS_ARP + ARP_ETH_HEADER_LEN; i < ETH_TOTAL_MIN; i++) {
        CU_ASSERT_EQUAL(f[i], 0);
    }
    dp_packet_delete(b);
}

static void
test_answer_other(void)
{
    /* Only solicitations and requests have answers. */
    struct neigh_packet np;

    CU_ASSERT_EQUAL(neigh_parse(scapy_na, sizeof scapy_na, &np), 0);
    CU_ASSERT_PTR_NULL(neigh_answer(&np, vmac));
    CU_ASSERT_EQUAL(neigh_parse(scapy_arp_reply, sizeof scapy_arp_reply,
                                &np), 0);
    CU_ASSERT_PTR_NULL(neigh_answer(&np, vmac));
    np.kind = NEIGH_NONE;
    CU_ASSERT_PTR_NULL(neigh_answer(&np, vmac));
}

static void
test_vmac_lla(void)
{
    /* Modified EUI-64: the universal/local bit flips, ff:fe in the
     * middle. */
    struct in6_addr lla = neigh_vmac_lla(vmac);
    struct in6_addr want = unit_ip6("fe80::5eff:fe10:1");
    CU_ASSERT(ipv6_addr_equals(&lla, &want));

    lla = neigh_vmac_lla((struct eth_addr) ETH_ADDR_C(00,11,22,33,44,55));
    want = unit_ip6("fe80::211:22ff:fe33:4455");
    CU_ASSERT(ipv6_addr_equals(&lla, &want));
}

static void
test_solicit_ns(void)
{
    struct in6_addr member = unit_ip6("2001:db8::abcd:ef12");
    struct in6_addr lla = unit_ip6("fe80::5eff:fe10:1");
    struct in6_addr sn = unit_ip6("ff02::1:ffcd:ef12");
    struct eth_addr sn_mac = ETH_ADDR_C(33,33,ff,cd,ef,12);
    struct dp_packet *b = neigh_solicit(&member, vmac);
    const uint8_t *f = dp_packet_data(b);
    struct neigh_packet np;

    CU_ASSERT_EQUAL_FATAL(dp_packet_size(b), 86);
    CU_ASSERT(bytes_are(f + OFS_ETH_DST, &sn_mac, 6));
    CU_ASSERT(bytes_are(f + OFS_ETH_SRC, &vmac, 6));
    CU_ASSERT_EQUAL(get_be16(f + OFS_ETH_TYPE), ETH_TYPE_IPV6);
    CU_ASSERT_EQUAL(f[OFS_IP6] >> 4, 6);
    CU_ASSERT_EQUAL(get_be16(f + OFS_IP6_PLEN), 32);
    CU_ASSERT_EQUAL(f[OFS_IP6_NXT], IPPROTO_ICMPV6);
    CU_ASSERT_EQUAL(f[OFS_IP6_HLIM], 255);
    CU_ASSERT(bytes_are(f + OFS_IP6_SRC, &lla, 16));
    CU_ASSERT(bytes_are(f + OFS_IP6_DST, &sn, 16));
    CU_ASSERT_EQUAL(f[OFS_ICMP6], ND_NEIGHBOR_SOLICIT);
    CU_ASSERT_EQUAL(f[OFS_ICMP6 + 1], 0);
    CU_ASSERT_EQUAL(icmp6_sum(f), 0xffff);
    CU_ASSERT(bytes_are(f + OFS_ND_FLAGS, "\0\0\0\0", 4));
    CU_ASSERT(bytes_are(f + OFS_ND_TARGET, &member, 16));
    CU_ASSERT_EQUAL(f[OFS_ND_OPT], ND_OPT_SOURCE_LINKADDR);
    CU_ASSERT_EQUAL(f[OFS_ND_OPT + 1], 1);
    CU_ASSERT(bytes_are(f + OFS_ND_OPT + 2, &vmac, 6));

    CU_ASSERT_EQUAL(parse_packet(b, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_NS);
    CU_ASSERT(ipv6_addr_equals(&np.target_ip, &member));
    dp_packet_delete(b);
}

static void
test_solicit_arp(void)
{
    struct in6_addr member = unit_ip4("192.0.2.20");
    static const uint8_t member_ip[4] = { 192, 0, 2, 20 };
    struct dp_packet *b = neigh_solicit(&member, vmac);
    const uint8_t *f = dp_packet_data(b);
    struct neigh_packet np;

    CU_ASSERT_EQUAL_FATAL(dp_packet_size(b), ETH_TOTAL_MIN);
    CU_ASSERT(bytes_are(f + OFS_ETH_DST, &eth_addr_broadcast, 6));
    CU_ASSERT(bytes_are(f + OFS_ETH_SRC, &vmac, 6));
    CU_ASSERT_EQUAL(get_be16(f + OFS_ETH_TYPE), ETH_TYPE_ARP);
    CU_ASSERT_EQUAL(get_be16(f + OFS_ARP), ARP_HRD_ETHERNET);
    CU_ASSERT_EQUAL(get_be16(f + OFS_ARP + 2), ETH_TYPE_IP);
    CU_ASSERT_EQUAL(f[OFS_ARP + 4], 6);
    CU_ASSERT_EQUAL(f[OFS_ARP + 5], 4);
    CU_ASSERT_EQUAL(get_be16(f + OFS_ARP + 6), ARP_OP_REQUEST);
    CU_ASSERT(bytes_are(f + OFS_ARP + 8, &vmac, 6));
    /* A probe: sender protocol address and target hardware address 0. */
    CU_ASSERT(bytes_are(f + OFS_ARP + 14, "\0\0\0\0", 4));
    CU_ASSERT(bytes_are(f + OFS_ARP + 18, &eth_addr_zero, 6));
    CU_ASSERT(bytes_are(f + OFS_ARP + 24, member_ip, 4));

    CU_ASSERT_EQUAL(parse_packet(b, &np), 0);
    CU_ASSERT_EQUAL(np.kind, NEIGH_ARP_REQUEST);
    CU_ASSERT(ipv6_addr_equals(&np.target_ip, &member));
    dp_packet_delete(b);
}

static void
test_kind_names(void)
{
    CU_ASSERT_STRING_EQUAL(neigh_kind_name(NEIGH_NONE), "none");
    CU_ASSERT_STRING_EQUAL(neigh_kind_name(NEIGH_NS), "ns");
    CU_ASSERT_STRING_EQUAL(neigh_kind_name(NEIGH_NA), "na");
    CU_ASSERT_STRING_EQUAL(neigh_kind_name(NEIGH_ARP_REQUEST),
                           "arp-request");
    CU_ASSERT_STRING_EQUAL(neigh_kind_name(NEIGH_ARP_REPLY), "arp-reply");
}

/* Writes "'kind' HEX 'fields'" for the frame in 'b' to 'stream'. */
static void
put_scapy_line(FILE *stream, const char *kind, struct dp_packet *b,
               const char *fields)
{
    const uint8_t *p = dp_packet_data(b);

    fprintf(stream, "%s ", kind);
    for (size_t i = 0; i < dp_packet_size(b); i++) {
        fprintf(stream, "%02x", p[i]);
    }
    fprintf(stream, " %s\n", fields);
    dp_packet_delete(b);
}

/* Runs tests/neigh-scapy.py with 'python' on an NA and NS of ours.  Returns
 * its exit status: 0 if scapy agrees, 77 if it has no scapy. */
static int
run_scapy(const char *python)
{
    char *cmd = xasprintf("%s %s/tests/neigh-scapy.py", python,
                          UNIT_SRCDIR);
    FILE *stream = popen(cmd, "w");
    struct neigh_packet req;
    int status;

    free(cmd);
    if (!stream) {
        return 77;
    }

    ovs_assert(!neigh_parse(scapy_ns, sizeof scapy_ns, &req));
    put_scapy_line(stream, "na", neigh_answer(&req, vmac),
                   "ethsrc=02:00:5e:10:00:01 ethdst=52:54:00:00:00:01 "
                   "src=2001:db8::10 dst=2001:db8::1 tgt=2001:db8::10 "
                   "R=0 S=1 O=1 lladdr=02:00:5e:10:00:01");

    struct in6_addr member = unit_ip6("2001:db8::abcd:ef12");
    put_scapy_line(stream, "ns", neigh_solicit(&member, vmac),
                   "ethsrc=02:00:5e:10:00:01 ethdst=33:33:ff:cd:ef:12 "
                   "src=fe80::5eff:fe10:1 dst=ff02::1:ffcd:ef12 "
                   "tgt=2001:db8::abcd:ef12 lladdr=02:00:5e:10:00:01");

    member = unit_ip4("192.0.2.20");
    put_scapy_line(stream, "arp", neigh_solicit(&member, vmac),
                   "ethsrc=02:00:5e:10:00:01 ethdst=ff:ff:ff:ff:ff:ff "
                   "op=1 hwsrc=02:00:5e:10:00:01 psrc=0.0.0.0 "
                   "hwdst=00:00:00:00:00:00 pdst=192.0.2.20");

    status = pclose(stream);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void
test_scapy(void)
{
    /* Debian's python3-scapy is for /usr/bin/python3, which need not be
     * the first python3 on $PATH. */
    static const char *pythons[] = { "python3", "/usr/bin/python3" };
    int status = 77;

    for (size_t i = 0; i < ARRAY_SIZE(pythons) && status == 77; i++) {
        status = run_scapy(pythons[i]);
    }
    if (status == 77) {
        fprintf(stderr, "(scapy not installed, cross-check skipped) ");
        return;
    }
    CU_ASSERT_EQUAL(status, 0);
}

void
unit_register_neigh(void)
{
    static CU_TestInfo tests[] = {
        { "parse NS (OVS, scapy)", test_parse_ns },
        { "parse NS: SLL option over Ethernet source",
          test_parse_ns_sll_not_eth_src },
        { "parse NS from :: (DAD)", test_parse_ns_dad },
        { "parse NS from :: with SLL option is invalid",
          test_parse_ns_dad_with_sll },
        { "parse NA (scapy, OVS)", test_parse_na },
        { "parse NA without TLL option", test_parse_na_without_tll },
        { "parse ARP request and padded reply", test_parse_arp },
        { "parse ignores what is not a neighbour packet",
          test_parse_not_neigh },
        { "parse rejects truncated packets", test_parse_truncated },
        { "parse rejects a bad checksum", test_parse_bad_checksum },
        { "parse rejects hop limit != 255", test_parse_bad_hop_limit },
        { "parse rejects bad code, target, options, addresses",
          test_parse_bad_fields },
        { "parse rejects bad ARP types and lengths", test_parse_bad_arp },
        { "answer NS: unicast NA with S and O", test_answer_ns },
        { "answer NS from ::: NA to all nodes", test_answer_ns_dad },
        { "answer ARP request", test_answer_arp },
        { "answer nothing else", test_answer_other },
        { "vmac link-local address", test_vmac_lla },
        { "solicit IPv6 member: NS", test_solicit_ns },
        { "solicit IPv4 member: ARP probe", test_solicit_arp },
        { "kind names", test_kind_names },
        { "scapy agrees with our NA, NS and ARP probe", test_scapy },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("neigh", tests);
}
