/*
 * connmgr: OpenFlow listeners, active connections and their ofconns.  See
 * connmgr.h.
 */
#include <config.h>
#include "flowlb/connmgr.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include "flowlb/addr.h"
#include "flowlb/counters.h"
#include "flowlb/ofconn.h"
#include "flowlb/ofmsg.h"
#include "flowlb/switch.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(connmgr);

/* Reconnect backoff for active connections, as OVS's rconn does it: start
 * at one second, double on each failure, at most eight seconds. */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 8000

struct connmgr {
    struct event_base *base;
    struct switch_registry *switches;
    int probe_interval;
    struct ovs_list conns;      /* Contains "struct conn"s. */
    struct ovs_list actives;    /* Contains "struct active"s. */
    struct ovs_list listeners;  /* Contains "struct listener"s. */
    const struct connmgr_hooks *hooks; /* May be NULL. */
    void *aux;
};

/* One OpenFlow connection, accepted or made. */
struct conn {
    struct ovs_list node;       /* In connmgr's 'conns'. */
    struct connmgr *mgr;
    struct ofconn *ofconn;
    struct active *active;      /* Owning active target, or NULL. */
    bool ready;                 /* Handshake done; 'dpid' is valid. */
    bool primary;               /* The one the registry follows? */
    uint64_t dpid;
};

/* A switch we connect to, e.g. "unix:/var/run/openvswitch/br0.mgmt". */
struct active {
    struct ovs_list node;       /* In connmgr's 'actives'. */
    struct connmgr *mgr;
    char *target;
    struct sockaddr_storage ss;
    socklen_t socklen;
    struct bufferevent *connecting; /* While a connect is under way. */
    struct conn *conn;          /* While connected. */
    struct event *retry_timer;
    int backoff;                /* Next wait before retrying, in ms. */
};

struct listener {
    struct ovs_list node;       /* In connmgr's 'listeners'. */
    struct evconnlistener *evl;
};

struct connmgr *
connmgr_create(struct event_base *base, struct switch_registry *switches,
               int probe_interval_ms, const struct connmgr_hooks *hooks,
               void *aux)
{
    struct connmgr *mgr = xzalloc(sizeof *mgr);
    mgr->base = base;
    mgr->hooks = hooks;
    mgr->aux = aux;
    mgr->switches = switches;
    mgr->probe_interval = probe_interval_ms;
    ovs_list_init(&mgr->conns);
    ovs_list_init(&mgr->actives);
    ovs_list_init(&mgr->listeners);
    return mgr;
}

static void
conn_destroy(struct conn *conn)
{
    ovs_list_remove(&conn->node);
    ofconn_destroy(conn->ofconn);
    free(conn);
}

void
connmgr_destroy(struct connmgr *mgr)
{
    if (mgr) {
        struct conn *conn;
        LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
            conn_destroy(conn);
        }
        struct active *active;
        LIST_FOR_EACH_SAFE (active, node, &mgr->actives) {
            if (active->connecting) {
                bufferevent_free(active->connecting);
            }
            event_free(active->retry_timer);
            free(active->target);
            free(active);
        }
        struct listener *l;
        LIST_FOR_EACH_SAFE (l, node, &mgr->listeners) {
            evconnlistener_free(l->evl);
            free(l);
        }
        free(mgr);
    }
}

/* Returns the ready connection to 'dpid' other than 'except' that was
 * connected last, or NULL if there is none. */
static struct conn *
find_standby(struct connmgr *mgr, uint64_t dpid, const struct conn *except)
{
    struct conn *conn, *found = NULL;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (conn != except && conn->ready && conn->dpid == dpid) {
            found = conn;
        }
    }
    return found;
}

static void
conn_ready(struct ofconn *ofconn, const struct ofputil_switch_features *f,
           const struct ofmsg_ports *ports, void *conn_)
{
    struct conn *conn = conn_;
    struct connmgr *mgr = conn->mgr;
    struct switch_hello hello = {
        .version = ofconn_get_version(ofconn),
        .peer = ofconn_get_peer(ofconn),
        .n_buffers = f->n_buffers,
        .n_tables = f->n_tables,
        .capabilities = f->capabilities,
    };

    /* The newest connection to a switch is the one the registry follows. */
    struct conn *other;
    LIST_FOR_EACH (other, node, &mgr->conns) {
        if (other != conn && other->ready && other->dpid == f->datapath_id
            && other->primary) {
            VLOG_INFO("%016"PRIx64": now followed through %s; %s stays "
                      "open as a standby", f->datapath_id,
                      ofconn_get_peer(ofconn), ofconn_get_peer(other->ofconn));
            other->primary = false;
        }
    }
    conn->ready = conn->primary = true;
    conn->dpid = f->datapath_id;
    if (conn->active) {
        conn->active->backoff = BACKOFF_MIN_MS;
    }

    struct switch_entry *sw = switch_connected(mgr->switches, conn->dpid,
                                               &hello, time_wall_msec());
    switch_set_ports(sw, ports->ports, ports->n);
    if (mgr->hooks && mgr->hooks->switch_up) {
        mgr->hooks->switch_up(conn->dpid, ofconn, mgr->aux);
    }
}

static void
conn_msg(struct ofconn *ofconn, enum ofptype type,
         const struct ofp_header *oh, void *conn_)
{
    struct conn *conn = conn_;
    struct connmgr *mgr = conn->mgr;
    if (conn->ready && conn->primary && mgr->hooks && mgr->hooks->msg) {
        mgr->hooks->msg(conn->dpid, ofconn, type, oh, mgr->aux);
    }
}

static void
conn_port_status(struct ofconn *ofconn OVS_UNUSED,
                 const struct ofputil_port_status *ps, void *conn_)
{
    struct conn *conn = conn_;
    if (conn->primary) {
        struct switch_entry *sw = switch_find(conn->mgr->switches,
                                              conn->dpid);
        if (sw) {
            switch_port_status(sw, ps->reason, &ps->desc);
        }
    }
}

static void
active_schedule_retry(struct active *active)
{
    struct timeval tv = { .tv_sec = active->backoff / 1000,
                          .tv_usec = (active->backoff % 1000) * 1000 };
    VLOG_INFO("%s: reconnecting in %d ms", active->target, active->backoff);
    evtimer_add(active->retry_timer, &tv);
    active->backoff = MIN(active->backoff * 2, BACKOFF_MAX_MS);
}

static void
conn_closed(struct ofconn *ofconn OVS_UNUSED, bool dead, const char *reason,
            void *conn_)
{
    struct conn *conn = conn_;
    struct connmgr *mgr = conn->mgr;
    struct active *active = conn->active;

    if (conn->ready && conn->primary) {
        struct conn *standby = find_standby(mgr, conn->dpid, conn);
        struct switch_entry *sw = switch_find(mgr->switches, conn->dpid);
        if (standby) {
            /* Follow the standby, and re-read the ports we did not track
             * through it. */
            standby->primary = true;
            ofconn_resync(standby->ofconn);

            /* Until the standby is ready again, the layers above must not
             * use the closing connection. */
            if (mgr->hooks && mgr->hooks->switch_down) {
                mgr->hooks->switch_down(conn->dpid, mgr->aux);
            }
        } else {
            if (sw) {
                switch_disconnected(sw, (dead ? SWITCH_DEAD
                                         : SWITCH_DISCONNECTED),
                                    reason, time_wall_msec());
            }
            if (mgr->hooks && mgr->hooks->switch_down) {
                mgr->hooks->switch_down(conn->dpid, mgr->aux);
            }
        }
    }

    conn_destroy(conn);
    if (active) {
        active->conn = NULL;
        active_schedule_retry(active);
    }
}

static const struct ofconn_cbs conn_cbs = {
    .ready = conn_ready,
    .port_status = conn_port_status,
    .msg = conn_msg,
    .closed = conn_closed,
};

static struct conn *
conn_create(struct connmgr *mgr, struct bufferevent *bev, const char *peer,
            struct active *active)
{
    struct conn *conn = xzalloc(sizeof *conn);
    conn->mgr = mgr;
    conn->active = active;
    ovs_list_push_back(&mgr->conns, &conn->node);
    conn->ofconn = ofconn_create(mgr->base, bev, peer, mgr->probe_interval,
                                 &conn_cbs, conn);
    return conn;
}

static void
listener_accept_cb(struct evconnlistener *evl OVS_UNUSED, evutil_socket_t fd,
                   struct sockaddr *sa, int socklen OVS_UNUSED, void *mgr_)
{
    struct connmgr *mgr = mgr_;
    struct bufferevent *bev = bufferevent_socket_new(mgr->base, fd,
                                                     BEV_OPT_CLOSE_ON_FREE);
    char *peer = addr_format_target(sa);

    COUNTER_INC(ofp_accepted);
    conn_create(mgr, bev, peer, NULL);
    free(peer);
}

static void
listener_error_cb(struct evconnlistener *evl OVS_UNUSED, void *mgr_ OVS_UNUSED)
{
    /* accept() failing (out of descriptors, say) must not stop the daemon;
     * libevent retries on the next readiness. */
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    VLOG_WARN_RL(&rl, "accept failed: %s",
                 ovs_strerror(EVUTIL_SOCKET_ERROR()));
}

/* Listens for switches on 'target' ("tcp:IP:PORT"; port 0 picks a free
 * one).  On success stores in '*bound' (if nonnull) the target actually
 * bound, for the caller to free, and returns 0; otherwise a positive
 * errno. */
int
connmgr_listen(struct connmgr *mgr, const char *target, char **bound)
{
    struct sockaddr_storage ss;
    socklen_t socklen;

    if (addr_parse_target(target, &ss, &socklen)
        || ss.ss_family == AF_UNIX) {
        VLOG_ERR("%s: OpenFlow listen target must be tcp:IP:PORT", target);
        return EINVAL;
    }

    struct evconnlistener *evl = evconnlistener_new_bind(
        mgr->base, listener_accept_cb, mgr,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        16, (struct sockaddr *) &ss, socklen);
    if (!evl) {
        int error = errno ? errno : EADDRINUSE;
        VLOG_ERR("%s: cannot listen: %s", target, ovs_strerror(error));
        return error;
    }
    evconnlistener_set_error_cb(evl, listener_error_cb);

    struct sockaddr_storage local;
    socklen_t local_len = sizeof local;
    getsockname(evconnlistener_get_fd(evl), (struct sockaddr *) &local,
                &local_len);
    char *name = addr_format_target((struct sockaddr *) &local);
    VLOG_INFO("listening for OpenFlow switches on %s", name);
    if (bound) {
        *bound = name;
    } else {
        free(name);
    }

    struct listener *l = xmalloc(sizeof *l);
    l->evl = evl;
    ovs_list_push_back(&mgr->listeners, &l->node);
    return 0;
}

/* The connection attempt on 'bev' failed with 'error': log it and try
 * again after the backoff. */
static void
active_connect_failed(struct active *active, struct bufferevent *bev,
                      int error)
{
    active->connecting = NULL;
    COUNTER_INC(ofp_connect_failures);
    VLOG_INFO("%s: connection failed: %s", active->target,
              ovs_strerror(error));
    bufferevent_free(bev);
    active_schedule_retry(active);
}

static void
active_event_cb(struct bufferevent *bev, short events, void *active_)
{
    struct active *active = active_;

    if (events & BEV_EVENT_CONNECTED) {
        active->connecting = NULL;
        active->conn = conn_create(active->mgr, bev, active->target, active);
    } else {
        active_connect_failed(active, bev, EVUTIL_SOCKET_ERROR());
    }
}

static void
active_connect(struct active *active)
{
    struct bufferevent *bev = bufferevent_socket_new(active->mgr->base, -1,
                                                     BEV_OPT_CLOSE_ON_FREE);
    COUNTER_INC(ofp_connect_attempts);
    active->connecting = bev;
    bufferevent_setcb(bev, NULL, NULL, active_event_cb, active);
    if (bufferevent_socket_connect(bev, (struct sockaddr *) &active->ss,
                                   active->socklen)
        && active->connecting == bev) {
        /* Failed at once (a missing Unix socket, say), and libevent has not
         * reported it through active_event_cb(). */
        active_connect_failed(active, bev, errno);
    }
}

static void
active_retry_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
                void *active_)
{
    active_connect(active_);
}

/* Connects to the switch at 'target' ("unix:PATH", such as a bridge's
 * management socket, or "tcp:IP:PORT"), and reconnects with backoff whenever
 * the connection fails or ends.  Returns 0 or EINVAL for a bad target. */
int
connmgr_connect(struct connmgr *mgr, const char *target)
{
    struct active *active = xzalloc(sizeof *active);

    if (addr_parse_target(target, &active->ss, &active->socklen)) {
        VLOG_ERR("%s: OpenFlow connect target must be unix:PATH or "
                 "tcp:IP:PORT", target);
        free(active);
        return EINVAL;
    }
    active->mgr = mgr;
    active->target = xstrdup(target);
    active->backoff = BACKOFF_MIN_MS;
    active->retry_timer = evtimer_new(mgr->base, active_retry_cb, active);
    ovs_list_push_back(&mgr->actives, &active->node);
    active_connect(active);
    return 0;
}
