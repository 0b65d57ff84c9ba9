/*
 * pmtu: ICMP "too big" messages to a VIP, delivered to the member that
 * owns the flow they quote, so that path MTU discovery works through the
 * balancer.
 *
 * The compiler punts ICMPv6 Packet Too Big and ICMPv4 fragmentation needed
 * addressed to a VIP to flowlbd whole (table 0, docs/pipeline.md).  pmtu
 * parses them (ptb), finds the service of the quoted packet and then its
 * owner:
 *
 *   - a stateful service: the switch's learned 5-tuple entry for the
 *     client's direction, asked for with an OpenFlow flow statistics
 *     request on the stick table (the member id is in the entry's cookie);
 *   - a stateless service keyed on the 5-tuple or the source: the member
 *     the select group picks, computed (ptb_select_member());
 *   - otherwise (a label key: the quoted reply carries the member's label,
 *     not the client's), or when the switch has no entry or does not
 *     answer within a second: every member that takes traffic.
 *
 * It sends the punted frame back to the switch in a packet-out from the
 * port it came in on, with actions "set_field:MAC->eth_dst,NORMAL" once
 * per member, and counts the outcome (counters.h, and per service in
 * lb_service's n_ptb_*).
 *
 * A lookup in flight is forgotten when its switch disconnects or another
 * connection takes over (the reply would never come); at most
 * PMTU_MAX_PENDING are in flight, further messages that need one are
 * dropped, so a flood of them costs the switch a bounded number of
 * requests.
 */
#ifndef FLOWLB_PMTU_H
#define FLOWLB_PMTU_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/ofp-msgs.h"

struct event_base;
struct lb_model;
struct ofconn;
struct ofp_header;
struct pmtu;

#define PMTU_MAX_PENDING 256
#define PMTU_TIMEOUT_MS 1000

struct pmtu *pmtu_create(struct event_base *, struct lb_model *);
void pmtu_destroy(struct pmtu *);

void pmtu_switch_up(struct pmtu *, uint64_t dpid, struct ofconn *);
void pmtu_switch_down(struct pmtu *, uint64_t dpid);

bool pmtu_packet_in(struct pmtu *, uint64_t dpid, const struct ofp_header *);
bool pmtu_handle_msg(struct pmtu *, uint64_t dpid, enum ofptype,
                     const struct ofp_header *);

#endif /* flowlb/pmtu.h */
