/*
 * ofconn: one OpenFlow connection on a bufferevent.  See ofconn.h.
 *
 * libopenvswitch's own connection code (vconn, rconn) runs on OVS's poll
 * loop, so this module does the connection handling on libevent and uses
 * libopenvswitch only to encode, decode and print messages.
 */
#include <config.h>
#include "flowlb/ofconn.h"

#include <errno.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include "flowlb/counters.h"
#include "flowlb/ofmsg.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(ofconn);

/* Per-message logs are rate limited: a misbehaving switch must not fill the
 * log. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* Where the handshake is; one list so names and values never drift. */
#define OFCONN_STATES                                                   \
    OFCONN_STATE(HELLO, "waiting for hello")                           \
    OFCONN_STATE(FEATURES, "waiting for features reply")               \
    OFCONN_STATE(PORTS, "waiting for port descriptions")               \
    OFCONN_STATE(READY, "ready")                                        \
    OFCONN_STATE(CLOSING, "closing")

enum ofconn_state {
#define OFCONN_STATE(ENUM, NAME) OFCONN_##ENUM,
    OFCONN_STATES
#undef OFCONN_STATE
};

static const char *
ofconn_state_name(enum ofconn_state state)
{
    switch (state) {
#define OFCONN_STATE(ENUM, NAME) case OFCONN_##ENUM: return NAME;
        OFCONN_STATES
#undef OFCONN_STATE
    }
    return "unknown";
}

struct ofconn {
    struct bufferevent *bev;
    char *peer;                 /* For logs: "tcp:IP:PORT" or "unix:PATH". */
    enum ofconn_state state;
    enum ofp_version version;   /* Negotiated version, once past HELLO. */

    struct ofputil_switch_features features;
    struct ofmsg_ports ports;   /* Collected during OFCONN_PORTS. */

    /* Liveness.  After 'probe_interval' ms without a message from the
     * switch we send an echo request; after twice that, it is dead. */
    int probe_interval;
    long long int last_rx;      /* Monotonic ms of the last message. */
    bool echo_sent;             /* Echo request sent since 'last_rx'? */
    struct event *probe_timer;

    /* Why the connection is closing, while in OFCONN_CLOSING. */
    char *close_reason;

    const struct ofconn_cbs *cbs;
    void *aux;
};

static void ofconn_read_cb(struct bufferevent *, void *ofconn_);
static void ofconn_write_cb(struct bufferevent *, void *ofconn_);
static void ofconn_event_cb(struct bufferevent *, short events,
                            void *ofconn_);
static void ofconn_probe_cb(evutil_socket_t, short, void *ofconn_);
static void ofconn_close(struct ofconn *, bool dead, const char *reason);
static void ofconn_arm_probe(struct ofconn *, long long int now);

/* Creates an OpenFlow connection on 'bev', a connected socket bufferevent
 * that the new ofconn owns from now on, and starts the handshake.  'peer'
 * names the other end in logs.  'probe_interval_ms' is how long the switch
 * may stay quiet before it gets an echo request; twice that and it is
 * declared dead.  'cbs' with 'aux' receive what happens. */
struct ofconn *
ofconn_create(struct event_base *base, struct bufferevent *bev,
              const char *peer, int probe_interval_ms,
              const struct ofconn_cbs *cbs, void *aux)
{
    struct ofconn *ofconn = xzalloc(sizeof *ofconn);

    ofconn->bev = bev;
    ofconn->peer = xstrdup(peer);
    ofconn->state = OFCONN_HELLO;
    ofmsg_ports_init(&ofconn->ports);
    ofconn->probe_interval = MAX(probe_interval_ms, 100);
    ofconn->last_rx = time_msec();
    ofconn->probe_timer = evtimer_new(base, ofconn_probe_cb, ofconn);
    ofconn->cbs = cbs;
    ofconn->aux = aux;

    bufferevent_setcb(bev, ofconn_read_cb, NULL, ofconn_event_cb, ofconn);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    ofconn_arm_probe(ofconn, ofconn->last_rx);

    VLOG_INFO("%s: connected, sending hello", peer);
    ofconn_send(ofconn, ofputil_encode_hello(OFMSG_VERSION_BITMAP));
    return ofconn;
}

void
ofconn_destroy(struct ofconn *ofconn)
{
    if (ofconn) {
        if (ofconn->bev) {
            bufferevent_free(ofconn->bev);
        }
        event_free(ofconn->probe_timer);
        ofmsg_ports_destroy(&ofconn->ports);
        free(ofconn->close_reason);
        free(ofconn->peer);
        free(ofconn);
    }
}

const char *
ofconn_get_peer(const struct ofconn *ofconn)
{
    return ofconn->peer;
}

enum ofp_version
ofconn_get_version(const struct ofconn *ofconn)
{
    return ofconn->version;
}

static void
log_msg(const struct ofconn *ofconn, const char *dir,
        const struct ofpbuf *msg)
{
    if (VLOG_IS_DBG_ENABLED()) {
        char *s = ofp_to_string(msg->data, msg->size, NULL, NULL, 1);
        VLOG_DBG("%s: %s %s", ofconn->peer, dir, s);
        free(s);
    }
}

/* Sends 'msg', taking ownership of it. */
void
ofconn_send(struct ofconn *ofconn, struct ofpbuf *msg)
{
    if (ofconn->bev && ofconn->state != OFCONN_CLOSING) {
        ofpmsg_update_length(msg);
        log_msg(ofconn, "send", msg);
        bufferevent_write(ofconn->bev, msg->data, msg->size);
        COUNTER_INC(ofp_tx_msgs);
    }
    ofpbuf_delete(msg);
}

/* Asks the switch again for its features and ports, as after the hello, and
 * calls the 'ready' callback when they are in.  Does nothing before the
 * first handshake has finished. */
void
ofconn_resync(struct ofconn *ofconn)
{
    if (ofconn->state == OFCONN_READY) {
        ofconn->state = OFCONN_FEATURES;
        ofconn_send(ofconn, ofpraw_alloc(OFPRAW_OFPT_FEATURES_REQUEST,
                                         ofconn->version, 0));
    }
}

/* Arms the probe timer for the next moment the connection's liveness must
 * be checked, given that it is 'now'. */
static void
ofconn_arm_probe(struct ofconn *ofconn, long long int now)
{
    long long int deadline = (ofconn->last_rx + ofconn->probe_interval
                              * (ofconn->echo_sent ? 2 : 1));
    long long int wait = MAX(deadline - now, 1);
    struct timeval tv = { .tv_sec = wait / 1000,
                          .tv_usec = (wait % 1000) * 1000 };
    evtimer_add(ofconn->probe_timer, &tv);
}

static void
ofconn_probe_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
                void *ofconn_)
{
    struct ofconn *ofconn = ofconn_;
    long long int now = time_msec();
    long long int idle = now - ofconn->last_rx;

    if (ofconn->state == OFCONN_CLOSING) {
        /* The peer has not even taken our last words: give up. */
        ofconn_close(ofconn, false, ofconn->close_reason);
        return;
    }
    if (idle >= 2LL * ofconn->probe_interval) {
        char *reason = xasprintf("no message for %lld ms (%s); declared dead",
                                 idle, ofconn_state_name(ofconn->state));
        COUNTER_INC(ofp_dead);
        VLOG_WARN("%s: %s", ofconn->peer, reason);
        ofconn_close(ofconn, true, reason);
        free(reason);
        return;
    }
    if (idle >= ofconn->probe_interval && !ofconn->echo_sent
        && ofconn->state != OFCONN_HELLO) {
        VLOG_DBG("%s: idle for %lld ms, sending echo request",
                 ofconn->peer, idle);
        ofconn_send(ofconn, ofputil_encode_echo_request(ofconn->version));
        COUNTER_INC(ofp_echo_requests_sent);
        ofconn->echo_sent = true;
    }
    ofconn_arm_probe(ofconn, now);
}

/* Closes the connection and tells the owner, which destroys it: nothing may
 * touch 'ofconn' after this returns. */
static void
ofconn_close(struct ofconn *ofconn, bool dead, const char *reason_)
{
    char *reason = xstrdup(reason_);

    if (ofconn->bev) {
        bufferevent_free(ofconn->bev);
        ofconn->bev = NULL;
    }
    evtimer_del(ofconn->probe_timer);
    COUNTER_INC(ofp_closed);
    VLOG_INFO("%s: connection closed: %s", ofconn->peer, reason);
    ofconn->cbs->closed(ofconn, dead, reason, ofconn->aux);
    free(reason);
}

/* Sends 'msg' as the last message on the connection and closes it once the
 * switch has taken it (or after the probe interval, if it does not). */
static void
ofconn_close_after(struct ofconn *ofconn, struct ofpbuf *msg,
                   const char *reason)
{
    ofconn_send(ofconn, msg);
    ofconn->state = OFCONN_CLOSING;
    ofconn->close_reason = xstrdup(reason);
    bufferevent_disable(ofconn->bev, EV_READ);
    bufferevent_setcb(ofconn->bev, NULL, ofconn_write_cb, ofconn_event_cb,
                      ofconn);
    bufferevent_setwatermark(ofconn->bev, EV_WRITE, 0, 0);
    if (!evbuffer_get_length(bufferevent_get_output(ofconn->bev))) {
        ofconn_close(ofconn, false, reason);
    }
}

static void
ofconn_write_cb(struct bufferevent *bev, void *ofconn_)
{
    struct ofconn *ofconn = ofconn_;

    if (!evbuffer_get_length(bufferevent_get_output(bev))) {
        ofconn_close(ofconn, false, ofconn->close_reason);
    }
}

static void
ofconn_event_cb(struct bufferevent *bev OVS_UNUSED, short events,
                void *ofconn_)
{
    struct ofconn *ofconn = ofconn_;

    if (events & BEV_EVENT_EOF) {
        ofconn_close(ofconn, false, ofconn->state == OFCONN_CLOSING
                     ? ofconn->close_reason : "closed by switch");
    } else if (events & BEV_EVENT_ERROR) {
        char *reason = xasprintf("connection error: %s",
                                 ovs_strerror(EVUTIL_SOCKET_ERROR()));
        ofconn_close(ofconn, false, reason);
        free(reason);
    }
}

/* Handles the switch's hello.  Returns 0, or EPROTO if the connection is
 * being closed. */
static int
ofconn_handle_hello(struct ofconn *ofconn, const struct ofp_header *oh)
{
    enum ofp_version version;
    int error = ofmsg_negotiate(oh, OFMSG_VERSION_BITMAP, &version);

    if (error == EPROTONOSUPPORT) {
        uint32_t theirs;
        ofputil_decode_hello(oh, &theirs);
        char *reason = xasprintf("no common OpenFlow version (we speak "
                                 "1.3 to 1.5, switch bitmap %#"PRIx32")",
                                 theirs);
        COUNTER_INC(ofp_version_failures);
        VLOG_WARN("%s: %s", ofconn->peer, reason);
        ofconn_close_after(ofconn,
                           ofperr_encode_hello(OFPERR_OFPHFC_INCOMPATIBLE,
                                               OFP13_VERSION, reason),
                           reason);
        free(reason);
        return EPROTO;
    } else if (error) {
        COUNTER_INC(ofp_bad_msgs);
        ofconn_close_after(ofconn,
                           ofperr_encode_hello(OFPERR_OFPHFC_EPERM,
                                               OFP13_VERSION,
                                               "expected hello"),
                           "first message was not a hello");
        return EPROTO;
    }

    ofconn->version = version;
    ofconn->state = OFCONN_FEATURES;
    VLOG_INFO("%s: negotiated %s", ofconn->peer, ofputil_version_to_string(version));

    /* A connection to a bridge's management socket is a "service"
     * connection, which gets no asynchronous messages (port status among
     * them) until it sets a nonzero miss_send_len. */
    struct ofputil_switch_config config = {
        .frag = OFPUTIL_FRAG_NORMAL,
        .invalid_ttl_to_controller = -1,
        .miss_send_len = OFP_DEFAULT_MISS_SEND_LEN,
    };
    ofconn_send(ofconn, ofputil_encode_set_config(&config, version));
    ofconn_send(ofconn, ofpraw_alloc(OFPRAW_OFPT_FEATURES_REQUEST,
                                     version, 0));
    return 0;
}

static void
ofconn_handle_features(struct ofconn *ofconn, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    enum ofperr error = ofputil_pull_switch_features(&b, &ofconn->features);

    if (error) {
        COUNTER_INC(ofp_bad_msgs);
        VLOG_WARN_RL(&rl, "%s: bad features reply: %s", ofconn->peer,
                     ofperr_to_string(error));
        return;
    }
    if (ofconn->state != OFCONN_FEATURES) {
        return;
    }

    VLOG_INFO("%s: datapath id %016"PRIx64", %d tables", ofconn->peer,
              ofconn->features.datapath_id, ofconn->features.n_tables);
    ofmsg_ports_destroy(&ofconn->ports);
    ofconn->state = OFCONN_PORTS;
    ofconn_send(ofconn, ofputil_encode_port_desc_stats_request(
                    ofconn->version, OFPP_ANY));
}

static void
ofconn_handle_port_desc(struct ofconn *ofconn, const struct ofp_header *oh)
{
    bool more;

    if (ofconn->state != OFCONN_PORTS) {
        return;
    }
    if (ofmsg_ports_pull(&ofconn->ports, oh, &more)) {
        COUNTER_INC(ofp_bad_msgs);
        VLOG_WARN_RL(&rl, "%s: bad port description reply", ofconn->peer);
        return;
    }
    if (!more) {
        COUNTER_INC(ofp_handshakes);
        ofconn->state = OFCONN_READY;
        VLOG_INFO("%s: ready, %"PRIuSIZE" ports", ofconn->peer,
                  ofconn->ports.n);
        ofconn->cbs->ready(ofconn, &ofconn->features, &ofconn->ports,
                           ofconn->aux);
    }
}

static void
ofconn_handle_port_status(struct ofconn *ofconn, const struct ofp_header *oh)
{
    struct ofputil_port_status ps;
    enum ofperr error = ofputil_decode_port_status(oh, &ps);

    COUNTER_INC(ofp_port_status);
    if (error) {
        COUNTER_INC(ofp_bad_msgs);
        VLOG_WARN_RL(&rl, "%s: bad port status: %s", ofconn->peer,
                     ofperr_to_string(error));
    } else if (ofconn->state == OFCONN_READY) {
        ofconn->cbs->port_status(ofconn, &ps, ofconn->aux);
    }
}

/* Handles one message from the switch.  Returns 0, or EPROTO if the
 * connection is closing and no further message should be read. */
static int
ofconn_handle_msg(struct ofconn *ofconn, const struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;
    enum ofptype type;

    COUNTER_INC(ofp_rx_msgs);
    ofconn->last_rx = time_msec();
    ofconn->echo_sent = false;
    log_msg(ofconn, "received", msg);

    if (ofconn->state == OFCONN_HELLO) {
        return ofconn_handle_hello(ofconn, oh);
    }

    if (oh->version != ofconn->version) {
        COUNTER_INC(ofp_bad_msgs);
        VLOG_WARN_RL(&rl, "%s: message version %#x, negotiated %#x",
                     ofconn->peer, oh->version, ofconn->version);
        ofconn_send(ofconn, ofperr_encode_reply(OFPERR_OFPBRC_BAD_VERSION,
                                                oh));
        return 0;
    }

    enum ofperr error = ofptype_decode(&type, oh);
    if (error) {
        COUNTER_INC(ofp_bad_msgs);
        VLOG_WARN_RL(&rl, "%s: undecodable message: %s", ofconn->peer,
                     ofperr_to_string(error));
        ofconn_send(ofconn, ofperr_encode_reply(error, oh));
        return 0;
    }

    switch ((int) type) {
    case OFPTYPE_ECHO_REQUEST:
        ofconn_send(ofconn, ofputil_encode_echo_reply(oh));
        COUNTER_INC(ofp_echo_requests_answered);
        break;
    case OFPTYPE_ECHO_REPLY:
        break;
    case OFPTYPE_FEATURES_REPLY:
        ofconn_handle_features(ofconn, oh);
        break;
    case OFPTYPE_PORT_DESC_STATS_REPLY:
        ofconn_handle_port_desc(ofconn, oh);
        break;
    case OFPTYPE_PORT_STATUS:
        ofconn_handle_port_status(ofconn, oh);
        break;
    case OFPTYPE_ERROR: {
        COUNTER_INC(ofp_rx_errors);
        enum ofperr err = ofperr_decode_msg(oh, NULL);
        VLOG_WARN_RL(&rl, "%s: switch sent error: %s", ofconn->peer,
                     err ? ofperr_to_string(err) : "(undecodable)");
        /* The error may answer a request of the upper layer's. */
        if (ofconn->state == OFCONN_READY && ofconn->cbs->msg) {
            ofconn->cbs->msg(ofconn, type, oh, ofconn->aux);
        }
        break;
    }
    default:
        if (ofconn->state == OFCONN_READY && ofconn->cbs->msg) {
            ofconn->cbs->msg(ofconn, type, oh, ofconn->aux);
        } else {
            VLOG_DBG_RL(&rl, "%s: ignoring %s", ofconn->peer,
                        ofptype_get_name(type));
        }
        break;
    }
    return 0;
}

static void
ofconn_read_cb(struct bufferevent *bev, void *ofconn_)
{
    struct ofconn *ofconn = ofconn_;
    struct evbuffer *input = bufferevent_get_input(bev);

    for (;;) {
        /* ofmsg_frame() reads only the header, so only that needs to be
         * contiguous. */
        size_t avail = evbuffer_get_length(input);
        const void *hdr = evbuffer_pullup(input, MIN(avail, 8));
        size_t msg_len;

        int error = ofmsg_frame(hdr, avail, &msg_len);
        if (error == EAGAIN) {
            return;
        } else if (error) {
            COUNTER_INC(ofp_bad_msgs);
            ofconn_close(ofconn, false, "bad OpenFlow framing (length < 8)");
            return;
        }

        /* Copy the message out: OVS's decoders need it aligned. */
        struct ofpbuf *msg = ofpbuf_new(msg_len);
        evbuffer_remove(input, ofpbuf_put_uninit(msg, msg_len), msg_len);
        error = ofconn_handle_msg(ofconn, msg);
        ofpbuf_delete(msg);
        if (error) {
            return;
        }
    }
}
