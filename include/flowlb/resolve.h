/*
 * resolve: neighbour discovery on the switches, for VIPs and members.
 *
 * flowlbd answers Neighbor Solicitations and ARP requests for every VIP
 * from the model's virtual MAC, so clients on the segment reach the VIP,
 * and it learns the MAC of every member the operator gave none for by
 * soliciting it out of each switch the member's service is on.  The
 * compiler punts both kinds of packet to flowlbd (docs/pipeline.md); the
 * packets themselves are neigh's.
 *
 * A member with no known MAC is solicited every second; one with a known
 * MAC every 'refresh' interval, so that a MAC that changes (a server
 * replaced behind the same address) is picked up.  A change of MAC bumps
 * the service's generation, which recompiles it.
 */
#ifndef FLOWLB_RESOLVE_H
#define FLOWLB_RESOLVE_H 1

#include <stdint.h>
#include <netinet/in.h>
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/types.h"

struct event_base;
struct lb_model;
struct ofconn;
struct ofp_header;
struct resolve;

struct resolve *resolve_create(struct event_base *, struct lb_model *,
                               int refresh_ms,
                               void (*changed)(void *aux), void *aux);
void resolve_destroy(struct resolve *);

void resolve_switch_up(struct resolve *, uint64_t dpid, struct ofconn *);
void resolve_switch_down(struct resolve *, uint64_t dpid);
void resolve_packet_in(struct resolve *, uint64_t dpid,
                       const struct ofp_header *);
void resolve_model_changed(struct resolve *);
void resolve_bucket_mac(struct resolve *, const struct in6_addr *,
                        struct eth_addr);

#endif /* flowlb/resolve.h */
