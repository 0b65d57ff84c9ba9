/*
 * connmgr: every OpenFlow connection flowlbd has, and the switch registry
 * they feed.
 *
 * It listens for switches (passive) and connects to bridges' management
 * sockets (active, with reconnect and exponential backoff), creates an
 * ofconn for each connection and turns what they report into registry
 * updates.  When one switch is connected more than once (say through its
 * controller setting and its management socket), the newest connection is
 * the one the registry follows; the others stay open as standbys.
 */
#ifndef FLOWLB_CONNMGR_H
#define FLOWLB_CONNMGR_H 1

#include <stdint.h>
#include "openvswitch/ofp-msgs.h"

struct connmgr;
struct event_base;
struct ofconn;
struct ofp_header;
struct switch_registry;

/* What the layers above hear about switches, through the connection the
 * registry follows (the primary one). */
struct connmgr_hooks {
    /* 'dpid' finished its handshake on 'ofconn' (again, after a standby
     * took over): whatever was sent through an earlier ofconn is gone. */
    void (*switch_up)(uint64_t dpid, struct ofconn *, void *aux);

    /* 'dpid' has no connection left. */
    void (*switch_down)(uint64_t dpid, void *aux);

    /* A message other than the handshake's, from 'dpid''s primary
     * connection. */
    void (*msg)(uint64_t dpid, struct ofconn *, enum ofptype,
                const struct ofp_header *, void *aux);
};

struct connmgr *connmgr_create(struct event_base *, struct switch_registry *,
                               int probe_interval_ms,
                               const struct connmgr_hooks *, void *aux);
void connmgr_destroy(struct connmgr *);

int connmgr_listen(struct connmgr *, const char *target, char **bound);
int connmgr_connect(struct connmgr *, const char *target);

#endif /* flowlb/connmgr.h */
