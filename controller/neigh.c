/*
 * neigh: building and parsing neighbour packets.  See neigh.h.
 *
 * Parsing reads the frame byte by byte (memcpy into aligned copies), so a
 * packet-in's data may sit at any address.  Building uses libopenvswitch's
 * compose_nd_ns(), compose_nd_na() and compose_arp(), which also compute
 * the ICMPv6 checksums.
 */
#include <config.h>
#include "flowlb/neigh.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <string.h>
#include "csum.h"
#include "dp-packet.h"
#include "packets.h"
#include "util.h"

const char *
neigh_kind_name(enum neigh_kind kind)
{
    switch (kind) {
#define NEIGH_KIND(ENUM, NAME) case NEIGH_##ENUM: return NAME;
        NEIGH_KINDS
#undef NEIGH_KIND
    }
    return "unknown";
}

/* Returns true if 'ip' is a solicited-node multicast address,
 * ff02::1:ffxx:xxxx (RFC 4291 section 2.7.1). */
static bool
is_solicited_node(const struct in6_addr *ip)
{
    static const uint8_t prefix[13] = {
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff,
    };
    return !memcmp(ip->s6_addr, prefix, sizeof prefix);
}

/* Parses the ARP packet of 'len' bytes at 'p' into 'np'. */
static int
parse_arp(const uint8_t *p, size_t len, struct neigh_packet *np)
{
    struct arp_eth_header arp;

    if (len < sizeof arp) {
        return EINVAL;
    }
    memcpy(&arp, p, sizeof arp);
    if (arp.ar_hrd != htons(ARP_HRD_ETHERNET)
        || arp.ar_pro != htons(ARP_PRO_IP)
        || arp.ar_hln != ETH_ADDR_LEN
        || arp.ar_pln != sizeof(ovs_be32)) {
        return EINVAL;
    }
    if (arp.ar_op == htons(ARP_OP_REQUEST)) {
        np->kind = NEIGH_ARP_REQUEST;
    } else if (arp.ar_op == htons(ARP_OP_REPLY)) {
        np->kind = NEIGH_ARP_REPLY;
    } else {
        /* RARP and the rest: not ours. */
        return 0;
    }
    if (eth_addr_is_multicast(arp.ar_sha)) {
        np->kind = NEIGH_NONE;
        return EINVAL;
    }
    np->sender_mac = arp.ar_sha;
    np->sender_ip = in6_addr_mapped_ipv4(get_16aligned_be32(&arp.ar_spa));
    np->target_ip = in6_addr_mapped_ipv4(get_16aligned_be32(&arp.ar_tpa));
    return 0;
}

/* Parses the Neighbor Discovery options in the 'len' bytes at 'p', which
 * must all be well formed, and stores the first link-layer address option
 * of type 'type' (ND_OPT_SOURCE_LINKADDR or ND_OPT_TARGET_LINKADDR) in
 * '*mac' and sets '*found', or leaves them alone if there is none. */
static int
parse_nd_options(const uint8_t *p, size_t len, uint8_t type,
                 struct eth_addr *mac, bool *found)
{
    while (len > 0) {
        struct ovs_nd_lla_opt opt;

        /* Every option is a multiple of 8 bytes long, and not 0 (RFC 4861
         * section 4.6). */
        if (len < 2 || !p[1] || p[1] * 8 > len) {
            return EINVAL;
        }
        if (p[0] == type && !*found) {
            /* On Ethernet a link-layer address option is 8 bytes long
             * (RFC 2464 section 8). */
            if (p[1] != 1) {
                return EINVAL;
            }
            memcpy(&opt, p, sizeof opt);
            *mac = opt.mac;
            *found = true;
        }
        len -= p[1] * 8;
        p += p[1] * 8;
    }
    return 0;
}

/* Parses the IPv6 packet of 'len' bytes at 'p' into 'np', if it is a
 * Neighbor Solicitation or Advertisement, validated as RFC 4861 sections
 * 7.1.1 and 7.1.2 ask.  Extension headers are not followed: such a packet
 * is not ours. */
static int
parse_nd(const uint8_t *p, size_t len, struct neigh_packet *np)
{
    struct ovs_16aligned_ip6_hdr ip6;
    struct ovs_nd_msg nd;
    struct in6_addr src, dst, target;
    size_t plen;

    if (len < sizeof ip6) {
        return EINVAL;
    }
    memcpy(&ip6, p, sizeof ip6);
    plen = ntohs(ip6.ip6_plen);
    if ((ip6.ip6_vfc >> 4) != 6 || plen > len - sizeof ip6) {
        return EINVAL;
    }
    if (ip6.ip6_nxt != IPPROTO_ICMPV6 || plen < 1) {
        return 0;
    }

    const uint8_t *icmp = p + sizeof ip6;
    if (icmp[0] != ND_NEIGHBOR_SOLICIT && icmp[0] != ND_NEIGHBOR_ADVERT) {
        return 0;
    }
    if (plen < sizeof nd) {
        return EINVAL;
    }
    memcpy(&nd, icmp, sizeof nd);
    if (ip6.ip6_hlim != 255 || nd.icmph.icmp6_code != 0) {
        return EINVAL;
    }
    if (csum_finish(csum_continue(packet_csum_pseudoheader6(&ip6),
                                  icmp, plen))) {
        return EINVAL;
    }

    memcpy(&src, &ip6.ip6_src, sizeof src);
    memcpy(&dst, &ip6.ip6_dst, sizeof dst);
    memcpy(&target, &nd.target, sizeof target);
    if (ipv6_addr_is_multicast(&target) || ipv6_addr_is_multicast(&src)) {
        return EINVAL;
    }

    bool is_ns = nd.icmph.icmp6_type == ND_NEIGHBOR_SOLICIT;
    bool found = false;
    int error = parse_nd_options(icmp + sizeof nd, plen - sizeof nd,
                                 (is_ns ? ND_OPT_SOURCE_LINKADDR
                                  : ND_OPT_TARGET_LINKADDR),
                                 &np->sender_mac, &found);
    if (error) {
        return error;
    }

    if (is_ns) {
        /* A solicitation from the unspecified address is duplicate address
         * detection: it goes to a solicited-node address and carries no
         * source link-layer address. */
        if (!ipv6_addr_is_set(&src)
            && (!is_solicited_node(&dst) || found)) {
            return EINVAL;
        }
        np->kind = NEIGH_NS;
        np->sender_ip = src;
        np->target_ip = target;
    } else {
        uint32_t flags = ntohl(get_16aligned_be32(&nd.rso_flags));

        /* An advertisement to a multicast address is unsolicited. */
        if (ipv6_addr_is_multicast(&dst) && flags & ND_RSO_SOLICITED) {
            return EINVAL;
        }
        np->kind = NEIGH_NA;
        np->sender_ip = target;
        np->target_ip = dst;
        np->na_flags = flags & (ND_RSO_ROUTER | ND_RSO_SOLICITED
                                | ND_RSO_OVERRIDE);
    }
    if (!found) {
        np->sender_mac = np->eth_src;
    }
    return 0;
}

/* Parses the Ethernet frame of 'len' bytes at 'frame' into '*np'.
 *
 * Returns 0 if it is a neighbour packet, with np->kind saying which, or if
 * it is not one at all (another EtherType, ICMPv6 type or ARP operation, a
 * VLAN tag, IPv6 extension headers), with np->kind NEIGH_NONE.  Returns
 * EINVAL, with np->kind NEIGH_NONE, for a neighbour packet that fails
 * validation: truncated, multicast Ethernet source, wrong ARP hardware or
 * protocol type or length, or, for ND, hop limit other than 255, bad
 * ICMPv6 checksum, nonzero code, multicast target, malformed options, a
 * solicitation from :: with a source link-layer address option or not to a
 * solicited-node address, or a solicited advertisement to a multicast
 * address.  Bytes after the IPv6 payload or the ARP packet (Ethernet
 * padding) are ignored. */
int
neigh_parse(const void *frame, size_t len, struct neigh_packet *np)
{
    const uint8_t *p = frame;
    struct eth_header eth;
    int error;

    memset(np, 0, sizeof *np);
    np->kind = NEIGH_NONE;
    if (len < sizeof eth) {
        return EINVAL;
    }
    memcpy(&eth, p, sizeof eth);
    np->eth_src = eth.eth_src;
    np->eth_dst = eth.eth_dst;

    if (eth.eth_type == htons(ETH_TYPE_ARP)) {
        error = parse_arp(p + sizeof eth, len - sizeof eth, np);
    } else if (eth.eth_type == htons(ETH_TYPE_IPV6)) {
        error = parse_nd(p + sizeof eth, len - sizeof eth, np);
    } else {
        return 0;
    }
    if (!error && np->kind != NEIGH_NONE
        && eth_addr_is_multicast(eth.eth_src)) {
        error = EINVAL;
    }
    if (error) {
        np->kind = NEIGH_NONE;
    }
    return error;
}

/* Returns the IPv6 link-local address derived from 'vmac' by modified
 * EUI-64 (RFC 4291 appendix A), fe80::xxxx:xxff:fexx:xxxx.  It is the
 * source of the solicitations neigh_solicit() sends, so the advertisements
 * that answer them go to it. */
struct in6_addr
neigh_vmac_lla(struct eth_addr vmac)
{
    struct in6_addr lla;

    in6_generate_lla(vmac, &lla);
    return lla;
}

/* Pads 'b' with zeros to the Ethernet minimum of 60 bytes, without FCS. */
static void
pad_frame(struct dp_packet *b)
{
    if (dp_packet_size(b) < ETH_TOTAL_MIN) {
        dp_packet_put_zeros(b, ETH_TOTAL_MIN - dp_packet_size(b));
    }
}

/* Returns the answer to 'req', a Neighbor Solicitation or ARP request for
 * an address the caller owns (a VIP), from 'vmac', or NULL if 'req' is of
 * another kind.  The caller frees it with dp_packet_delete().
 *
 * To a solicitation: a Neighbor Advertisement for req->target_ip with the
 * Override flag and a target link-layer address option 'vmac' (RFC 4861
 * section 7.2.4), never the Router flag.  It goes to the solicitor,
 * req->sender_ip at req->sender_mac, with the Solicited flag; or, if the
 * solicitation came from :: (duplicate address detection), to all nodes,
 * ff02::1 at 33:33:00:00:00:01, without it.
 *
 * To an ARP request: an ARP reply from 'vmac' and req->target_ip to
 * req->sender_mac and req->sender_ip, unicast to req->sender_mac. */
struct dp_packet *
neigh_answer(const struct neigh_packet *req, struct eth_addr vmac)
{
    struct dp_packet *b;

    switch (req->kind) {
    case NEIGH_NS: {
        uint32_t flags = ND_RSO_OVERRIDE;
        struct in6_addr dst_ip;
        struct eth_addr dst_mac;

        if (ipv6_addr_is_set(&req->sender_ip)) {
            dst_ip = req->sender_ip;
            dst_mac = req->sender_mac;
            flags |= ND_RSO_SOLICITED;
        } else {
            dst_ip = in6addr_all_hosts;
            ipv6_multicast_to_ethernet(&dst_mac, &dst_ip);
        }
        b = dp_packet_new(0);
        compose_nd_na(b, vmac, dst_mac, &req->target_ip, &dst_ip,
                      htonl(flags));
        return b;
    }

    case NEIGH_ARP_REQUEST:
        b = dp_packet_new(0);
        compose_arp(b, ARP_OP_REPLY, vmac, req->sender_mac, false,
                    in6_addr_get_mapped_ipv4(&req->target_ip),
                    in6_addr_get_mapped_ipv4(&req->sender_ip));
        pad_frame(b);
        return b;

    case NEIGH_NONE:
    case NEIGH_NA:
    case NEIGH_ARP_REPLY:
        break;
    }
    return NULL;
}

/* Returns a solicitation from 'vmac' for the MAC of 'target', a member's
 * address: an ARP request if 'target' is IPv4-mapped, otherwise a Neighbor
 * Solicitation.  The caller frees it with dp_packet_delete().
 *
 * The solicitation goes to the solicited-node multicast address of
 * 'target' at 33:33:ff:xx:xx:xx, hop limit 255, with a source link-layer
 * address option 'vmac'.  Its source is neigh_vmac_lla(vmac), not a VIP:
 * with direct server return the member has the VIP on its loopback, and a
 * solicitation from an address it owns itself would at best go unanswered
 * and at worst teach it that its own VIP lives at 'vmac'.  A link-local
 * address derived from 'vmac' belongs to no host, and the member answers
 * it with an advertisement unicast to 'vmac'.
 *
 * The ARP request is broadcast, with sender hardware address 'vmac' and
 * sender protocol address 0.0.0.0, for the same reason: an ARP probe (RFC
 * 5227 section 2.1.1).  It updates no ARP cache, and Linux answers it
 * (arp_process() in net/ipv4/arp.c) with a reply unicast to 'vmac' whose
 * target protocol address is 0.0.0.0. */
struct dp_packet *
neigh_solicit(const struct in6_addr *target, struct eth_addr vmac)
{
    struct dp_packet *b = dp_packet_new(0);

    if (IN6_IS_ADDR_V4MAPPED(target)) {
        compose_arp(b, ARP_OP_REQUEST, vmac, eth_addr_zero, true,
                    htonl(0), in6_addr_get_mapped_ipv4(target));
        pad_frame(b);
    } else {
        struct in6_addr lla = neigh_vmac_lla(vmac);

        compose_nd_ns(b, vmac, &lla, target);
    }
    return b;
}
