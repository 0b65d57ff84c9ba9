/*
 * ptb: too-big messages parsed, and the owner of the flow they quote.  See
 * ptb.h.
 *
 * Parsing reads the frame byte by byte, so a packet-in's data may sit at
 * any address.  The quoted packet is parsed as OVS's flow_extract() would
 * parse the same packet (lib/flow.c, parse_ipv6_ext_hdrs__()), so that the
 * protocol and ports we hash are those the switch hashed.
 *
 * ptb_select_member() does not restate the compiler's hash fields and
 * buckets: it compiles the service, parses the 5-tuple group's text with
 * libopenvswitch as sync does, and runs OVS 3.1's selection on the result
 * (ofproto/ofproto-dpif-xlate.c, pick_hash_fields_select_group() and
 * group_best_live_bucket()), so a change in the compiler cannot make the
 * two disagree.
 */
#include <config.h>
#include "flowlb/ptb.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include "bitmap.h"
#include "csum.h"
#include "flow.h"
#include "flowlb/compiler.h"
#include "flowlb/lb.h"
#include "flowlb/pipeline.h"
#include "hash.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "util.h"

#define ICMP4_DEST_UNREACH 3
#define ICMP4_FRAG_NEEDED 4     /* Code of ICMP4_DEST_UNREACH. */
#define ICMP6_PACKET_TOO_BIG_TYPE 2

#define IPV6_HEADER_LEN 40
#define ICMP_HEADER_LEN 8       /* Type, code, checksum, 4 more bytes. */

static uint16_t
get16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static struct in6_addr
get_ipv6(const uint8_t *p)
{
    struct in6_addr a;
    memcpy(&a, p, sizeof a);
    return a;
}

static struct in6_addr
get_ipv4_mapped(const uint8_t *p)
{
    ovs_be32 ip;
    memcpy(&ip, p, sizeof ip);
    return in6_addr_mapped_ipv4(ip);
}

/* The Internet checksum of the 'len' bytes at 'p' with 'partial' already
 * summed (a pseudo-header, or 0).  0 when the checksum in them is right. */
static uint16_t
checksum(uint32_t partial, const uint8_t *p, size_t len)
{
    return ntohs(csum_finish(csum_continue(partial, p, len)));
}

/* Skips the IPv6 extension headers that OVS skips (hop-by-hop, routing,
 * destination options, authentication, fragment) in the 'len' bytes at
 * 'p', starting with header type '*proto'.  On success stores the offset
 * of the first other header in '*ofs', its type in '*proto' (for a
 * fragment other than the first, the type the fragment header names) and
 * whether it is such a fragment in '*later', and returns 0; returns
 * EINVAL if a header does not fit. */
static int
skip_ipv6_ext_headers(const uint8_t *p, size_t len, uint8_t *proto,
                      size_t *ofs, bool *later)
{
    *ofs = 0;
    *later = false;
    for (;;) {
        size_t hlen;

        switch (*proto) {
        case IPPROTO_HOPOPTS:
        case IPPROTO_ROUTING:
        case IPPROTO_DSTOPTS:
            if (len - *ofs < 8) {
                return EINVAL;
            }
            hlen = (p[*ofs + 1] + 1) * 8;
            break;

        case IPPROTO_AH:
            if (len - *ofs < 8) {
                return EINVAL;
            }
            hlen = (p[*ofs + 1] + 2) * 4;
            break;

        case IPPROTO_FRAGMENT:
            if (len - *ofs < 8) {
                return EINVAL;
            }
            hlen = 8;
            if (get16(&p[*ofs + 2]) & 0xfff8) {
                /* Offset nonzero: no transport header here. */
                *proto = p[*ofs];
                *ofs += hlen;
                *later = true;
                return 0;
            }
            break;

        default:
            return 0;
        }
        if (hlen > len - *ofs) {
            return EINVAL;
        }
        *proto = p[*ofs];
        *ofs += hlen;
    }
}

/* Stores the ports of the transport header of 'proto' in the 'len' bytes
 * at 'p' into 't', if it is TCP or UDP and they are there.  Other
 * protocols have no ports that select groups or stick tables use. */
static void
get_ports(const uint8_t *p, size_t len, uint8_t proto, struct ptb_tuple *t)
{
    if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= 4) {
        t->has_ports = true;
        t->src_port = get16(p);
        t->dst_port = get16(p + 2);
    }
}

/* Parses the quoted IPv6 packet, 'len' bytes at 'p', into 'ptb'.  It must
 * come from 'vip', the outer destination. */
static int
parse_quoted_ipv6(const uint8_t *p, size_t len, const struct in6_addr *vip,
                  struct ptb_packet *ptb)
{
    if (len < IPV6_HEADER_LEN || p[0] >> 4 != 6) {
        return EINVAL;
    }
    /* A router quotes as much of the packet as fits (RFC 4443 section
     * 2.4(c)), never more than it was: what lies beyond the packet's own
     * length is not part of it. */
    size_t plen = get16(p + 4);
    len = MIN(len, IPV6_HEADER_LEN + plen);

    ptb->quoted.src = get_ipv6(p + 8);
    ptb->quoted.dst = get_ipv6(p + 24);
    ptb->label = get32(p) & 0xfffff;
    if (!ipv6_addr_equals(&ptb->quoted.src, vip)) {
        return EINVAL;
    }

    uint8_t proto = p[6];
    size_t ofs;
    int error = skip_ipv6_ext_headers(p + IPV6_HEADER_LEN,
                                      len - IPV6_HEADER_LEN, &proto, &ofs,
                                      &ptb->later_fragment);
    if (error) {
        return error;
    }
    ptb->quoted.proto = proto;
    if (!ptb->later_fragment) {
        get_ports(p + IPV6_HEADER_LEN + ofs, len - IPV6_HEADER_LEN - ofs,
                  proto, &ptb->quoted);
    }
    return 0;
}

/* Parses the IPv6 packet of 'len' bytes at 'p'. */
static int
parse_ipv6(const uint8_t *p, size_t len, struct ptb_packet *ptb)
{
    if (len < IPV6_HEADER_LEN || p[0] >> 4 != 6) {
        return ENOMSG;
    }

    /* Find the ICMPv6 header in what is there, to tell whether the packet
     * is ours at all before judging it. */
    size_t plen = get16(p + 4);
    size_t avail = len - IPV6_HEADER_LEN;
    uint8_t proto = p[6];
    size_t ofs;
    bool later;
    if (skip_ipv6_ext_headers(p + IPV6_HEADER_LEN, MIN(avail, plen), &proto,
                              &ofs, &later)
        || later || proto != IPPROTO_ICMPV6
        || MIN(avail, plen) - ofs < 1
        || p[IPV6_HEADER_LEN + ofs] != ICMP6_PACKET_TOO_BIG_TYPE) {
        return ENOMSG;
    }

    /* It is a Packet Too Big: from here on, anything wrong makes it a bad
     * one.  Ethernet may pad the frame, never cut it. */
    if (plen > avail) {
        return EINVAL;
    }
    const uint8_t *icmp = p + IPV6_HEADER_LEN + ofs;
    size_t icmp_len = plen - ofs;
    if (icmp_len < ICMP_HEADER_LEN || icmp[1] != 0) {
        return EINVAL;
    }

    /* A fragment header before the ICMPv6 header would mean a fragmented
     * message, which RFC 4443 section 2.4(c) rules out by size; and the
     * checksum could not be checked.  (skip_ipv6_ext_headers() stops at a
     * later fragment only, so look for a first one.) */
    uint8_t next = p[6];
    for (size_t o = 0; o < ofs; ) {
        if (next == IPPROTO_FRAGMENT) {
            return EINVAL;
        }
        const uint8_t *h = p + IPV6_HEADER_LEN + o;
        o += next == IPPROTO_AH ? (h[1] + 2) * 4 : (h[1] + 1) * 8;
        next = h[0];
    }

    /* The checksum covers a pseudo-header with the header's destination:
     * the VIP, which is what the punting flow matched. */
    uint32_t partial = csum_continue(0, p + 8, 2 * sizeof(struct in6_addr));
    partial = csum_add16(partial, htons(icmp_len));
    partial = csum_add16(partial, htons(IPPROTO_ICMPV6));
    if (checksum(partial, icmp, icmp_len)) {
        return EINVAL;
    }

    ptb->is_ipv4 = false;
    ptb->sender = get_ipv6(p + 8);
    ptb->mtu = get32(icmp + 4);
    struct in6_addr vip = get_ipv6(p + 24);
    return parse_quoted_ipv6(icmp + ICMP_HEADER_LEN,
                             icmp_len - ICMP_HEADER_LEN, &vip, ptb);
}

/* Parses the quoted IPv4 packet, 'len' bytes at 'p', into 'ptb'.  It must
 * come from 'vip', the outer destination. */
static int
parse_quoted_ipv4(const uint8_t *p, size_t len, const struct in6_addr *vip,
                  struct ptb_packet *ptb)
{
    if (len < IP_HEADER_LEN || p[0] >> 4 != 4) {
        return EINVAL;
    }
    size_t hlen = (p[0] & 0xf) * 4;
    size_t tot_len = get16(p + 2);
    if (hlen < IP_HEADER_LEN || hlen > len || tot_len < hlen) {
        return EINVAL;
    }
    /* Never more than the packet was (RFC 4884 may pad the quote). */
    len = MIN(len, tot_len);

    ptb->quoted.src = get_ipv4_mapped(p + 12);
    ptb->quoted.dst = get_ipv4_mapped(p + 16);
    ptb->quoted.proto = p[9];
    if (!ipv6_addr_equals(&ptb->quoted.src, vip)) {
        return EINVAL;
    }
    if (get16(p + 6) & 0x1fff) {
        ptb->later_fragment = true;
    } else {
        get_ports(p + hlen, len - hlen, ptb->quoted.proto, &ptb->quoted);
    }
    return 0;
}

/* Parses the IPv4 packet of 'len' bytes at 'p'. */
static int
parse_ipv4(const uint8_t *p, size_t len, struct ptb_packet *ptb)
{
    if (len < IP_HEADER_LEN || p[0] >> 4 != 4) {
        return ENOMSG;
    }
    size_t hlen = (p[0] & 0xf) * 4;
    if (hlen < IP_HEADER_LEN || hlen + 2 > len || p[9] != IPPROTO_ICMP
        || get16(p + 6) & 0x1fff
        || p[hlen] != ICMP4_DEST_UNREACH || p[hlen + 1] != ICMP4_FRAG_NEEDED) {
        return ENOMSG;
    }

    /* It is a "fragmentation needed": from here on, anything wrong makes
     * it a bad one. */
    size_t tot_len = get16(p + 2);
    if (tot_len > len || tot_len < hlen + ICMP_HEADER_LEN
        || get16(p + 6) & 0x2000          /* More fragments. */
        || checksum(0, p, hlen)) {
        return EINVAL;
    }
    const uint8_t *icmp = p + hlen;
    size_t icmp_len = tot_len - hlen;
    if (checksum(0, icmp, icmp_len)) {
        return EINVAL;
    }

    ptb->is_ipv4 = true;
    ptb->sender = get_ipv4_mapped(p + 12);
    ptb->mtu = get16(icmp + 6);
    struct in6_addr vip = get_ipv4_mapped(p + 16);
    return parse_quoted_ipv4(icmp + ICMP_HEADER_LEN,
                             icmp_len - ICMP_HEADER_LEN, &vip, ptb);
}

/* Parses the Ethernet frame of 'len' bytes at 'frame' (untagged, or with
 * one or two VLAN tags) into 'ptb'.
 *
 * Returns 0 for a valid ICMPv6 Packet Too Big (type 2, code 0) or ICMPv4
 * fragmentation needed (type 3, code 4); ENOMSG if the frame is not one of
 * those at all; EINVAL if it is one but malformed: truncated, a wrong
 * checksum (ICMPv6 and ICMPv4 checksums, and the IPv4 header's, are always
 * checked), a fragment, a code other than 0 for ICMPv6, a quoted packet
 * whose IP header is incomplete, or whose source is not the outer
 * destination, or whose IPv6 extension headers are cut.  A quoted packet
 * cut before its ports is valid: 'quoted.has_ports' says so.  On error
 * '*ptb' is all zeros.
 *
 * The checksums are checked although the member's stack checks them
 * again: a corrupt message would otherwise cost a stick-table lookup and
 * maybe a broadcast, and count as delivered; the sum over at most 1,280
 * bytes costs less than the packet-in did.  The quoted packet's own
 * checksums are not checked: it may be cut, and a router may have changed
 * it on the way. */
int
ptb_parse(const void *frame, size_t len, struct ptb_packet *ptb)
{
    const uint8_t *p = frame;

    memset(ptb, 0, sizeof *ptb);
    if (len < ETH_HEADER_LEN) {
        return ENOMSG;
    }
    uint16_t type = get16(p + 12);
    size_t ofs = ETH_HEADER_LEN;
    for (int i = 0; i < 2 && (type == ETH_TYPE_VLAN_8021Q
                              || type == ETH_TYPE_VLAN_8021AD); i++) {
        if (len - ofs < VLAN_HEADER_LEN) {
            return ENOMSG;
        }
        type = get16(p + ofs + 2);
        ofs += VLAN_HEADER_LEN;
    }

    int error = (type == ETH_TYPE_IPV6 ? parse_ipv6(p + ofs, len - ofs, ptb)
                 : type == ETH_TYPE_IP ? parse_ipv4(p + ofs, len - ofs, ptb)
                 : ENOMSG);
    if (error) {
        memset(ptb, 0, sizeof *ptb);
    }
    return error;
}

/* Stores 'in' with source and destination swapped into 'out': the client's
 * packets from the quoted reply.  'in' and 'out' may be the same. */
void
ptb_tuple_reverse(const struct ptb_tuple *in, struct ptb_tuple *out)
{
    struct ptb_tuple t = *in;
    t.src = in->dst;
    t.dst = in->src;
    t.src_port = in->dst_port;
    t.dst_port = in->src_port;
    *out = t;
}

static bool
service_takes_proto(const struct lb_service *svc, uint8_t proto)
{
    switch (svc->protocol) {
    case LB_PROTO_TCP:
        return proto == IPPROTO_TCP;
    case LB_PROTO_UDP:
        return proto == IPPROTO_UDP;
    case LB_PROTO_ANY:
        return true;
    }
    return false;
}

static bool
service_takes_port(const struct lb_service *svc, uint16_t port)
{
    if (!svc->n_ports) {
        return true;
    }
    for (size_t i = 0; i < svc->n_ports; i++) {
        if (svc->ports[i] == port) {
            return true;
        }
    }
    return false;
}

/* Returns the service on switch 'dpid' whose traffic 'quoted' (a member's
 * reply, VIP -> client) answers: the VIP is 'quoted->src', the protocol
 * the service's, and the quoted source port one of its ports.  A quoted
 * packet without ports (a later fragment, or cut short) matches on VIP and
 * protocol, as fragments do on the switch.  When several services match,
 * the lowest id wins, as it does for a flow two services share.  Returns
 * NULL if none matches. */
const struct lb_service *
ptb_find_service(const struct lb_model *model, uint64_t dpid,
                 const struct ptb_tuple *quoted)
{
    const struct lb_service *best = NULL;
    const struct lb_service *svc;

    HMAP_FOR_EACH (svc, node, &model->services) {
        if (ipv6_addr_equals(&svc->vip, &quoted->src)
            && service_takes_proto(svc, quoted->proto)
            && (!quoted->has_ports
                || service_takes_port(svc, quoted->src_port))
            && compiler_service_on_switch(svc, dpid)
            && (!best || svc->id < best->id)) {
            best = svc;
        }
    }
    return best;
}

/* Stores into '*mac' where member 'm' of 'svc' is and returns true, if it
 * takes traffic: it has a MAC and is enabled, or draining in a stateful
 * service (whose sessions stay on it until they end). */
bool
ptb_member_mac(const struct lb_service *svc, const struct lb_member *m,
               struct eth_addr *mac)
{
    return ((m->state == LB_MEMBER_ENABLED
             || (m->state == LB_MEMBER_DRAIN
                 && svc->persistence == LB_PERSIST_STATEFUL))
            && lb_member_mac(m, mac));
}

/* Fills 'flow' with what the switch's flow holds for a packet with tuple
 * 't' of a service of family 'is_ipv4', for the fields a select group can
 * hash. */
static void
tuple_to_flow(const struct ptb_tuple *t, bool is_ipv4, struct flow *flow)
{
    memset(flow, 0, sizeof *flow);
    if (is_ipv4) {
        flow->dl_type = htons(ETH_TYPE_IP);
        flow->nw_src = in6_addr_get_mapped_ipv4(&t->src);
        flow->nw_dst = in6_addr_get_mapped_ipv4(&t->dst);
    } else {
        flow->dl_type = htons(ETH_TYPE_IPV6);
        flow->ipv6_src = t->src;
        flow->ipv6_dst = t->dst;
    }
    flow->nw_proto = t->proto;
    if (t->has_ports) {
        flow->tp_src = htons(t->src_port);
        flow->tp_dst = htons(t->dst_port);
    }
}

/* OVS 3.1's pick_hash_fields_select_group() and group_best_live_bucket()
 * for group 'gm' and a packet whose flow is 'flow': the hash of the
 * group's fields, in field id order (not the order the text names them),
 * skipping those whose prerequisites the packet does not meet, seeded
 * with the hash of selection_method_param; then the live bucket with the
 * highest (hash_int(bucket_id, hash) & 0xffff) * weight, the last of
 * equals.  Stores the bucket id in '*bucket_id' and returns 0, or returns
 * ENOENT if no bucket is live, EOPNOTSUPP if liveness depends on the
 * switch (watch_port, watch_group: the compiler sets neither). */
static int
pick_bucket(const struct ofputil_group_mod *gm, const struct flow *flow,
            uint32_t *bucket_id)
{
    const struct field_array *fields = &gm->props.fields;
    const uint8_t *mask_values = fields->values;
    uint32_t basis = hash_uint64(gm->props.selection_method_param);
    size_t i;

    BITMAP_FOR_EACH_1 (i, MFF_N_IDS, fields->used.bm) {
        const struct mf_field *mf = mf_from_id(i);

        if (!mf_are_prereqs_ok(mf, flow, NULL)) {
            mask_values += mf->n_bytes;
            continue;
        }

        union mf_value value;
        mf_get_value(mf, flow, &value);
        for (int j = 0; j < mf->n_bytes; j++) {
            value.b[j] &= *mask_values++;
        }
        basis = hash_bytes(&value, mf->n_bytes, basis);
        if (mf_is_tun_metadata(mf)) {
            basis = hash_boolean(mf_is_set(mf, flow), basis);
        }
    }

    const struct ofputil_bucket *best = NULL;
    uint32_t best_score = 0;
    const struct ofputil_bucket *b;
    LIST_FOR_EACH (b, list_node, &gm->buckets) {
        if (ofputil_bucket_has_liveness(b)) {
            return EOPNOTSUPP;
        }
        if (!b->weight) {
            continue;
        }
        uint32_t score = (hash_int(b->bucket_id, basis) & 0xffff) * b->weight;
        if (score >= best_score) {
            best = b;
            best_score = score;
        }
    }
    if (!best) {
        return ENOENT;
    }
    *bucket_id = best->bucket_id;
    return 0;
}

/* Computes the member that the select group of 'svc', a stateless service
 * whose key is "5tuple" or "src", gives packets with tuple 'client_to_vip'
 * (the reverse of a too-big message's quoted packet), on a switch that
 * holds what the compiler makes of 'svc' now.  Stores its id in
 * '*member_id' and returns 0.
 *
 * Returns EOPNOTSUPP if the choice cannot be computed: a label key (the
 * quoted reply's label is the member's, not the client's), or TCP or UDP
 * without ports for the "5tuple" key; ENOENT if the group has no bucket,
 * that is no usable member. */
int
ptb_select_member(const struct lb_service *svc,
                  const struct ptb_tuple *client_to_vip, uint32_t *member_id)
{
    if (svc->key != LB_KEY_FIVE_TUPLE && svc->key != LB_KEY_SRC) {
        return EOPNOTSUPP;
    }
    if (svc->key == LB_KEY_FIVE_TUPLE && !client_to_vip->has_ports
        && (client_to_vip->proto == IPPROTO_TCP
            || client_to_vip->proto == IPPROTO_UDP)) {
        return EOPNOTSUPP;
    }

    struct compiler_output out;
    compiler_output_init(&out);
    compiler_service(svc, &out);

    char *prefix = xasprintf("group_id=%"PRIu32",",
                             pipeline_group_id(svc->id,
                                               PIPELINE_GROUP_5TUPLE));
    const char *text = NULL;
    for (size_t i = 0; i < out.groups.n; i++) {
        if (!strncmp(out.groups.names[i], prefix, strlen(prefix))) {
            text = out.groups.names[i];
            break;
        }
    }
    free(prefix);

    int error = EOPNOTSUPP;
    if (text) {
        struct ofputil_group_mod gm;
        enum ofputil_protocol usable;
        char *perr = parse_ofp_group_mod_str(&gm, OFPGC11_ADD, text, NULL,
                                             NULL, &usable);
        if (perr) {
            /* sync could not install it either. */
            free(perr);
        } else {
            if (!strcmp(gm.props.selection_method, "hash")) {
                struct flow flow;
                uint32_t bucket_id;
                tuple_to_flow(client_to_vip, svc->is_ipv4, &flow);
                error = pick_bucket(&gm, &flow, &bucket_id);
                if (!error) {
                    *member_id = compiler_bucket_member(bucket_id);
                }
            }
            ofputil_uninit_group_mod(&gm);
        }
    }
    compiler_output_destroy(&out);
    return error;
}
