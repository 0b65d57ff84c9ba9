/*
 * counters: the numbers an operator asks "how many?" about, process wide.
 *
 * One list so that the struct, the REST rendering and the documentation of
 * each counter never drift apart.  Only the event loop thread touches them.
 */
#ifndef FLOWLB_COUNTERS_H
#define FLOWLB_COUNTERS_H 1

#include <stdint.h>

#define FLOWLB_COUNTERS                                                   \
    COUNTER(ofp_accepted, "OpenFlow connections accepted from switches")  \
    COUNTER(ofp_connect_attempts, "active OpenFlow connection attempts")  \
    COUNTER(ofp_connect_failures, "active connection attempts that failed") \
    COUNTER(ofp_handshakes, "OpenFlow handshakes completed")              \
    COUNTER(ofp_closed, "OpenFlow connections closed")                    \
    COUNTER(ofp_dead, "switches declared dead for not answering echo")    \
    COUNTER(ofp_rx_msgs, "OpenFlow messages received")                    \
    COUNTER(ofp_tx_msgs, "OpenFlow messages sent")                        \
    COUNTER(ofp_rx_errors, "OpenFlow error messages received")            \
    COUNTER(ofp_bad_msgs, "OpenFlow messages that did not decode")        \
    COUNTER(ofp_version_failures, "handshakes with no common version")    \
    COUNTER(ofp_echo_requests_sent, "echo requests sent")                 \
    COUNTER(ofp_echo_requests_answered, "echo requests answered")         \
    COUNTER(ofp_port_status, "port status messages received")             \
    COUNTER(sync_bundles, "bundles sent to switches")                     \
    COUNTER(sync_failures, "bundles that failed, switch left unchanged")  \
    COUNTER(neigh_answered, "NS and ARP requests for VIPs answered")      \
    COUNTER(neigh_solicited, "NS and ARP requests sent to resolve members") \
    COUNTER(neigh_resolved, "member MACs learned or changed")             \
    COUNTER(neigh_bad, "punted packets that were not valid ND or ARP")    \
    COUNTER(ptb_delivered, "ICMP too-big messages delivered to the owner") \
    COUNTER(ptb_broadcast, "ICMP too-big messages sent to every member")  \
    COUNTER(ptb_unmatched, "ICMP too-big messages for no service, dropped") \
    COUNTER(ptb_bad, "malformed ICMP too-big messages, dropped")          \
    COUNTER(ptb_dropped, "ICMP too-big messages dropped: no member, "     \
            "switch gone or too many lookups")                            \
    COUNTER(health_probes, "health probes sent")                          \
    COUNTER(health_probes_ok, "health probes that succeeded")             \
    COUNTER(health_probes_failed, "health probes that failed or timed out") \
    COUNTER(health_changes, "member health changes")                      \
    COUNTER(health_passive_down, "members taken down by passive detection") \
    COUNTER(session_packet_ins, "first packets of per-session services' "  \
            "sessions sent to flowlbd")                                   \
    COUNTER(sessions_installed, "per-session sessions bound and their "   \
            "flows installed")                                            \
    COUNTER(session_removed, "per-session session flows removed")         \
    COUNTER(session_no_member, "per-session first packets dropped: no "  \
            "member takes the session")                                   \
    COUNTER(session_bad, "per-session packet-ins that were no session's " \
            "first packet (not TCP, UDP or echo; fragments), dropped")    \
    COUNTER(session_refused, "per-session session flows the switch "     \
            "refused")                                                    \
    COUNTER(rest_requests, "REST requests")                               \
    COUNTER(rest_errors, "REST requests answered with an error")        \
    COUNTER(rest_changes, "REST requests that changed the services")      \
    COUNTER(state_save_failures, "state file saves that failed")

struct flowlb_counters {
#define COUNTER(NAME, DESCRIPTION) uint64_t NAME;
    FLOWLB_COUNTERS
#undef COUNTER
};

extern struct flowlb_counters flowlb_counters;

#define COUNTER_INC(NAME) (flowlb_counters.NAME++)

#endif /* flowlb/counters.h */
