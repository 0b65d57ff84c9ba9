/*
 * ptb: ICMP "too big" messages addressed to a VIP, and the member that
 * owns the flow they quote.
 *
 * With direct server return a member answers clients from the VIP, so when
 * a router on the way back cannot forward a reply it sends its ICMPv6
 * Packet Too Big (RFC 4443 section 3.2, RFC 8201) or ICMPv4 "fragmentation
 * needed" (RFC 792, RFC 1191) to the VIP, and the balancer must get it to
 * the member that sent the reply, or path MTU discovery fails for that
 * connection.  The compiler punts such messages to flowlbd
 * (docs/pipeline.md); pmtu does the I/O; this module is the pure part:
 *
 *   - ptb_parse() validates a punted Ethernet frame and extracts the
 *     quoted packet's tuple (VIP -> client);
 *   - ptb_find_service() finds the service the quoted packet belongs to;
 *   - ptb_select_member() computes the member that a stateless service's
 *     5-tuple (or "src") select group gives the client's packets, exactly
 *     as OVS 3.1 picks a bucket;
 *   - ptb_member_mac() says whether a member takes traffic and where.
 *
 * Pure: no sockets, no event loop.  Addresses are kept as IPv6, as in
 * lb.h: an IPv4 address is IPv4-mapped (::ffff:a.b.c.d).
 */
#ifndef FLOWLB_PTB_H
#define FLOWLB_PTB_H 1

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct lb_member;
struct lb_model;
struct lb_service;

/* A packet's addresses, transport protocol and ports. */
struct ptb_tuple {
    struct in6_addr src;        /* IPv4-mapped for IPv4. */
    struct in6_addr dst;
    uint8_t proto;              /* Transport: after IPv6 extension headers;
                                 * a later fragment's is the one its
                                 * fragment header names. */
    bool has_ports;             /* TCP or UDP, ports quoted. */
    uint16_t src_port;          /* Host byte order; 0 unless 'has_ports'. */
    uint16_t dst_port;
};

/* A valid too-big message, as ptb_parse() found it. */
struct ptb_packet {
    bool is_ipv4;               /* ICMPv4 "fragmentation needed". */
    struct in6_addr sender;     /* Outer source: the router that sent it. */
    uint32_t mtu;               /* The MTU it reports (IPv4: next-hop MTU,
                                 * 0 from routers older than RFC 1191). */

    /* The quoted packet, a member's reply: 'quoted.src' is the VIP (the
     * outer destination), 'quoted.dst' the client. */
    struct ptb_tuple quoted;
    uint32_t label;             /* Its IPv6 flow label; 0 for IPv4. */
    bool later_fragment;        /* A fragment other than the first: no
                                 * ports. */
};

int ptb_parse(const void *frame, size_t len, struct ptb_packet *);
void ptb_tuple_reverse(const struct ptb_tuple *, struct ptb_tuple *);

const struct lb_service *ptb_find_service(const struct lb_model *,
                                          uint64_t dpid,
                                          const struct ptb_tuple *quoted);
int ptb_select_member(const struct lb_service *,
                      const struct ptb_tuple *client_to_vip,
                      uint32_t *member_id);
bool ptb_member_mac(const struct lb_service *, const struct lb_member *,
                    struct eth_addr *mac);

#endif /* flowlb/ptb.h */
