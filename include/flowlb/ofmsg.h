/*
 * ofmsg: OpenFlow message framing and version negotiation.
 *
 * Pure: no sockets, no event loop.  ofconn feeds it the bytes it reads and
 * sends what it builds; the encoding and decoding of message bodies is
 * libopenvswitch's (ofp-msgs, ofp-util, ofp-port, ofp-switch).
 */
#ifndef FLOWLB_OFMSG_H
#define FLOWLB_OFMSG_H 1

#include <stddef.h>
#include <stdint.h>
#include "openflow/openflow.h"
#include "openvswitch/ofp-port.h"

struct ofpbuf;
struct ofputil_flow_stats;

/* The OpenFlow versions flowlbd speaks: 1.3 to 1.5, preferring 1.5. */
#define OFMSG_VERSION_BITMAP ((1u << OFP13_VERSION)    \
                              | (1u << OFP14_VERSION)  \
                              | (1u << OFP15_VERSION))

int ofmsg_frame(const void *data, size_t len, size_t *msg_len);
int ofmsg_negotiate(const struct ofp_header *hello, uint32_t our_versions,
                    enum ofp_version *version);

/* The ports of one switch, as collected from a (possibly multipart) port
 * description reply. */
struct ofmsg_ports {
    struct ofputil_phy_port *ports;
    size_t n, allocated;
};

void ofmsg_ports_init(struct ofmsg_ports *);
void ofmsg_ports_destroy(struct ofmsg_ports *);
int ofmsg_ports_pull(struct ofmsg_ports *, const struct ofp_header *,
                     bool *more);

/* Calls 'cb' with each flow in flow statistics reply 'oh' (one part of a
 * multipart reply).  Returns 0, or EPROTO if the reply is malformed (after
 * calling 'cb' for the flows before the fault). */
int ofmsg_flow_stats_foreach(const struct ofp_header *oh,
                             void (*cb)(const struct ofputil_flow_stats *,
                                        void *aux),
                             void *aux);

#endif /* flowlb/ofmsg.h */
