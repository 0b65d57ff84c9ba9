/*
 * ofconn: one OpenFlow connection to a switch, on a libevent bufferevent.
 *
 * It frames messages (ofmsg), negotiates the version (1.3 to 1.5, preferring
 * 1.5), asks for features and port descriptions, answers echo, sends echo
 * when the switch is quiet and declares it dead when it stays silent.  What
 * it learns goes up through callbacks; connmgr owns it.
 */
#ifndef FLOWLB_OFCONN_H
#define FLOWLB_OFCONN_H 1

#include <stdbool.h>
#include "openflow/openflow.h"
#include "openvswitch/ofp-msgs.h"

struct bufferevent;
struct event_base;
struct ofconn;
struct ofmsg_ports;
struct ofpbuf;
struct ofputil_port_status;
struct ofputil_switch_features;

struct ofconn_cbs {
    /* The handshake is done: version agreed, features and every port
     * known.  Called again after ofconn_resync(). */
    void (*ready)(struct ofconn *, const struct ofputil_switch_features *,
                  const struct ofmsg_ports *, void *aux);

    /* The switch reported a port change (only once ready). */
    void (*port_status)(struct ofconn *, const struct ofputil_port_status *,
                        void *aux);

    /* Any other message, once ready: replies to the upper layer's
     * requests, packet-ins, errors (also logged here).  May be NULL. */
    void (*msg)(struct ofconn *, enum ofptype, const struct ofp_header *,
                void *aux);

    /* The connection is closed: 'dead' if the switch stopped answering,
     * otherwise it closed or failed; 'reason' says what happened.  This is
     * the last call; the callee must ofconn_destroy() the connection, and
     * may do so inside the callback. */
    void (*closed)(struct ofconn *, bool dead, const char *reason,
                   void *aux);
};

struct ofconn *ofconn_create(struct event_base *, struct bufferevent *,
                             const char *peer, int probe_interval_ms,
                             const struct ofconn_cbs *, void *aux);
void ofconn_destroy(struct ofconn *);

void ofconn_send(struct ofconn *, struct ofpbuf *);
void ofconn_resync(struct ofconn *);

const char *ofconn_get_peer(const struct ofconn *);
enum ofp_version ofconn_get_version(const struct ofconn *);

#endif /* flowlb/ofconn.h */
