/*
 * session: the exact decision of NAT services, one session at a time
 * ("decision": "per-session", LSNAT section 5's rules applied exactly).
 *
 * Table 40 sends the first packet of a new session to a per-session
 * service's VIP to flowlbd, through the service's meter (docs/pipeline.md
 * "Per-session decision").  decider (the I/O shell) hands each such
 * packet-in here:
 *
 *   - session_parse() extracts the packet's session tuple (TCP, UDP or
 *     ICMP echo, IPv4 or IPv6);
 *   - session_decide() finds the session if flowlbd already bound it (a
 *     retransmitted first packet goes where the first one went) or picks
 *     the member with the service's algorithm (lb-algo.h 'pick') and binds
 *     the session, counting it at once, before the next pick;
 *   - session_encode_flow_mod() and session_encode_packet_out() build what
 *     the switch then gets: the session's flow in table 45, whose cookie
 *     names the member and which tells flowlbd when it goes (flow
 *     removed), and the packet itself with the member's bucket actions;
 *   - session_removed() unbinds a session when its flow is removed, and
 *     session_failed() when the switch refused it.
 *
 * So each member's session count is exact: +1 per flow flowlbd installs,
 * -1 per flow removed.  The count is what the algorithms see as
 * 'sessions' and what the member's "sessions" shows (n_stick_entries).
 *
 * A session is identified by the switch it is on, its service and its
 * tuple as the client sent it; its table 45 flow matches the tuple after
 * destination translation (the member's address and port).  OpenFlow
 * cannot match an ICMP echo identifier, so all echo sessions of one client
 * to one service are one session here, as they are one flow in table 45.
 *
 * Pure: no sockets, no event loop; it reads the model and writes only the
 * members' n_stick_entries (session_apply_count()).
 */
#ifndef FLOWLB_SESSION_H
#define FLOWLB_SESSION_H 1

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openflow/openflow.h"
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"

struct lb_member;
struct lb_model;
struct lb_service;
struct ofpbuf;

/* A session's addresses, protocol and ports. */
struct session_tuple {
    struct in6_addr src;        /* IPv4-mapped for IPv4. */
    struct in6_addr dst;
    uint8_t proto;              /* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6. */
    bool is_ipv4;
    uint16_t src_port;          /* Host byte order; 0 for ICMP echo. */
    uint16_t dst_port;
};

int session_parse(const void *frame, size_t len, struct session_tuple *);
struct match;
int session_tuple_from_match(const struct match *, struct session_tuple *);
bool session_cookie_parse(uint64_t cookie, uint32_t *service_id,
                          uint32_t *member_id);

/* One session flowlbd bound.  Callers read the fields; session.c writes
 * them. */
struct session {
    struct hmap_node client_node;   /* In the table, by client tuple. */
    struct hmap_node natted_node;   /* By translated tuple. */
    struct hmap_node xid_node;      /* By flow_mod xid, if it has one. */
    uint64_t dpid;
    uint32_t service_id;
    uint32_t member_id;
    struct session_tuple client;    /* As the client sent it, to the VIP. */
    struct session_tuple natted;    /* To the member's address and port. */
    ovs_be32 xid;                   /* Its flow_mod's, 0 if restored. */
};

struct session_table *session_table_create(void);
void session_table_destroy(struct session_table *);

int session_decide(struct session_table *, uint64_t dpid,
                   const struct lb_service *,
                   const struct session_tuple *client,
                   struct session **, bool *is_new);
void session_set_xid(struct session_table *, struct session *, ovs_be32 xid);
bool session_failed(struct session_table *, uint64_t dpid, ovs_be32 xid,
                    uint32_t *service_id, uint32_t *member_id);
bool session_removed(struct session_table *, uint64_t dpid,
                     uint32_t service_id, uint32_t member_id,
                     const struct session_tuple *natted);
bool session_restore(struct session_table *, uint64_t dpid,
                     const struct lb_service *, uint32_t member_id,
                     const struct session_tuple *natted);
size_t session_forget_switch(struct session_table *, uint64_t dpid);
void session_forget_service(struct session_table *, uint32_t service_id);
bool session_forget_stale(struct session_table *, const struct lb_model *);

uint64_t session_count(const struct session_table *, uint32_t service_id,
                       uint32_t member_id);
size_t session_n(const struct session_table *);
void session_apply_count(const struct session_table *, struct lb_service *,
                         uint32_t member_id);
void session_apply_counts(const struct session_table *, struct lb_model *);

/* What the switch gets. */
int session_idle_timeout(const struct lb_service *, uint8_t proto);
struct ofpbuf *session_encode_flow_mod(const struct lb_service *,
                                       const struct session *,
                                       enum ofp_version);
struct ofpbuf *session_encode_packet_out(const struct lb_service *,
                                         const struct lb_member *,
                                         const void *frame, size_t len,
                                         ofp_port_t in_port,
                                         bool commit_only,
                                         enum ofp_version);

#endif /* flowlb/session.h */
