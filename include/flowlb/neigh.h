/*
 * neigh: the neighbour packets flowlbd exchanges, built and parsed.
 *
 * flowlbd answers IPv6 Neighbor Solicitations and IPv4 ARP requests for
 * every VIP from the model's virtual MAC 'vmac' (lb.h), and resolves the MAC
 * of a member the operator gave none for by sending a solicitation out of
 * the switch and catching the answer.  Packets arrive as OpenFlow
 * packet-ins and leave as packet-outs; that I/O belongs to the caller.  This
 * module only turns whole Ethernet frames into "struct neigh_packet"s and
 * back, with libopenvswitch's packet helpers (lib/packets.h).
 *
 * Pure: no sockets, no event loop.
 *
 * Addresses are kept as IPv6, as in lb.h: an IPv4 address is IPv4-mapped
 * (::ffff:a.b.c.d).  Frames are untagged Ethernet II.
 */
#ifndef FLOWLB_NEIGH_H
#define FLOWLB_NEIGH_H 1

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct dp_packet;

/* What a frame is: NONE (not a neighbour packet), an IPv6 Neighbor
 * Solicitation or Advertisement, an ARP request or reply.  One list so
 * names and values never drift. */
#define NEIGH_KINDS                             \
    NEIGH_KIND(NONE, "none")                    \
    NEIGH_KIND(NS, "ns")                        \
    NEIGH_KIND(NA, "na")                        \
    NEIGH_KIND(ARP_REQUEST, "arp-request")      \
    NEIGH_KIND(ARP_REPLY, "arp-reply")

enum neigh_kind {
#define NEIGH_KIND(ENUM, NAME) NEIGH_##ENUM,
    NEIGH_KINDS
#undef NEIGH_KIND
};

const char *neigh_kind_name(enum neigh_kind);

/* A punted packet, parsed and validated by neigh_parse(). */
struct neigh_packet {
    enum neigh_kind kind;
    struct eth_addr eth_src;
    struct eth_addr eth_dst;

    /* Who speaks and for which address:
     *
     *   NS:  IPv6 source (:: for duplicate address detection).
     *   NA:  the target address, the one being advertised.
     *   ARP: sender protocol address (0.0.0.0 for a probe). */
    struct in6_addr sender_ip;

    /* NS: the Source Link-Layer Address option, else the Ethernet source.
     * NA: the Target Link-Layer Address option, else the Ethernet source.
     * ARP: sender hardware address. */
    struct eth_addr sender_mac;

    /* NS: the target address, the one being asked for.
     * NA: IPv6 destination, whom the advertisement is for.
     * ARP: target protocol address. */
    struct in6_addr target_ip;

    /* NA only: ND_RSO_ROUTER, ND_RSO_SOLICITED, ND_RSO_OVERRIDE (packets.h)
     * in host byte order. */
    uint32_t na_flags;
};

int neigh_parse(const void *frame, size_t len, struct neigh_packet *);

struct dp_packet *neigh_answer(const struct neigh_packet *req,
                               struct eth_addr vmac);
struct dp_packet *neigh_solicit(const struct in6_addr *target,
                                struct eth_addr vmac);

struct in6_addr neigh_vmac_lla(struct eth_addr vmac);

#endif /* flowlb/neigh.h */
