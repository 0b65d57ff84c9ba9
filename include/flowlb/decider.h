/*
 * decider: packet-ins of per-session NAT services, and their sessions'
 * flow-removed messages, between the switches and the session module.
 *
 * Table 40 of a per-session service sends a new session's first packet,
 * through the service's meter, to flowlbd with the service's cookie
 * (docs/pipeline.md "Per-session decision").  decider_packet_in() takes
 * those: the session module parses the packet and binds the session to a
 * member, and decider sends the switch the session's table 45 flow and
 * then the packet itself, with the member's bucket actions, in a
 * packet-out.  The flow-removed message of a session flow unbinds the
 * session, so the members' session counts stay exact; an error the switch
 * sends about a session flow does too.
 *
 * When a switch connects, decider forgets the sessions it had bound there
 * and reads the switch's table 45 again, binding the per-session services'
 * flows it finds: flows may have gone while the switch was away, and
 * their flow-removed messages with them.
 *
 * The counters are in counters.h (session_*).
 */
#ifndef FLOWLB_DECIDER_H
#define FLOWLB_DECIDER_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/ofp-msgs.h"

struct decider;
struct lb_model;
struct ofconn;
struct ofp_header;

struct decider *decider_create(struct lb_model *);
void decider_destroy(struct decider *);

void decider_switch_up(struct decider *, uint64_t dpid, struct ofconn *);
void decider_switch_down(struct decider *, uint64_t dpid);
void decider_model_changed(struct decider *);

bool decider_packet_in(struct decider *, uint64_t dpid,
                       const struct ofp_header *);
bool decider_handle_msg(struct decider *, uint64_t dpid, enum ofptype,
                        const struct ofp_header *);

#endif /* flowlb/decider.h */
