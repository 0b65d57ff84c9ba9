/*
 * switch: the registry of switches flowlbd knows, by datapath id.
 *
 * Pure: connmgr tells it what happened on the wire (a switch finished its
 * handshake, a port changed, a connection closed) and rest reads it through
 * render.  An entry outlives its connection, so an operator can see that a
 * switch is dead or disconnected, and why, until it comes back.
 */
#ifndef FLOWLB_SWITCH_H
#define FLOWLB_SWITCH_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openflow/openflow.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofp-port.h"

/* A switch's connection state, one list so names and values never drift. */
#define SWITCH_STATES                                                   \
    SWITCH_STATE(CONNECTED, "connected")    /* Handshake done, live. */ \
    SWITCH_STATE(DEAD, "dead")              /* Stopped answering. */    \
    SWITCH_STATE(DISCONNECTED, "disconnected") /* Connection closed. */

enum switch_state {
#define SWITCH_STATE(ENUM, NAME) SWITCH_##ENUM,
    SWITCH_STATES
#undef SWITCH_STATE
};

const char *switch_state_name(enum switch_state);

/* What the OpenFlow handshake told about a switch. */
struct switch_hello {
    enum ofp_version version;   /* Negotiated OpenFlow version. */
    const char *peer;           /* E.g. "tcp:127.0.0.1:40000". */
    uint32_t n_buffers;
    uint8_t n_tables;
    uint32_t capabilities;      /* OFPUTIL_C_*. */
};

struct switch_port {
    struct hmap_node node;      /* In switch_entry's 'ports', by port_no. */
    struct ofputil_phy_port pp;
};

/* One switch.  Callers read these fields; only switch.c writes them. */
struct switch_entry {
    struct hmap_node node;      /* In the registry, by hash of 'dpid'. */
    uint64_t dpid;
    enum switch_state state;
    char *peer;                 /* Where the last connection came from. */
    enum ofp_version version;
    uint32_t n_buffers;
    uint8_t n_tables;
    uint32_t capabilities;
    struct hmap ports;          /* Contains "struct switch_port"s. */

    long long int connected_since; /* Wall clock, ms, of the last connect. */
    long long int state_since;  /* Wall clock, ms, of the last change. */
    char *reason;               /* Why the last connection ended, or NULL. */
    unsigned int n_connects;    /* Handshakes completed. */
    unsigned int n_port_changes; /* Port status messages applied. */
};

struct switch_registry *switch_registry_create(void);
void switch_registry_destroy(struct switch_registry *);

struct switch_entry *switch_connected(struct switch_registry *, uint64_t dpid,
                                      const struct switch_hello *,
                                      long long int now);
void switch_set_ports(struct switch_entry *, const struct ofputil_phy_port *,
                      size_t n);
void switch_port_status(struct switch_entry *, enum ofp_port_reason,
                        const struct ofputil_phy_port *);
void switch_disconnected(struct switch_entry *, enum switch_state,
                         const char *reason, long long int now);

struct switch_entry *switch_find(const struct switch_registry *,
                                 uint64_t dpid);
size_t switch_count(const struct switch_registry *);
size_t switch_count_state(const struct switch_registry *, enum switch_state);
const struct switch_entry **switch_sorted(const struct switch_registry *,
                                          size_t *n);
const struct switch_port **switch_sorted_ports(const struct switch_entry *,
                                               size_t *n);

int switch_parse_dpid(const char *, uint64_t *dpid);
void switch_format_dpid(uint64_t dpid, char s[17]);

#endif /* flowlb/switch.h */
