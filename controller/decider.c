/*
 * decider: the I/O of the per-session decision.  See decider.h; the
 * decision itself is session's.
 */
#include <config.h>
#include "flowlb/decider.h"

#include <errno.h>
#include "flowlb/counters.h"
#include "flowlb/lb.h"
#include "flowlb/ofconn.h"
#include "flowlb/ofmsg.h"
#include "flowlb/pipeline.h"
#include "flowlb/session.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-monitor.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(decider);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

struct decider_switch {
    struct hmap_node node;      /* In decider's 'switches', by dpid. */
    uint64_t dpid;
    struct ofconn *ofconn;
    ovs_be32 dump_xid;          /* Table 45 read in flight, or 0. */
};

struct decider {
    struct lb_model *model;
    struct session_table *sessions;
    struct hmap switches;       /* Contains "struct decider_switch"es. */
};

struct decider *
decider_create(struct lb_model *model)
{
    struct decider *d = xzalloc(sizeof *d);
    d->model = model;
    d->sessions = session_table_create();
    hmap_init(&d->switches);
    return d;
}

void
decider_destroy(struct decider *d)
{
    if (d) {
        struct decider_switch *ds;
        HMAP_FOR_EACH_POP (ds, node, &d->switches) {
            free(ds);
        }
        hmap_destroy(&d->switches);
        session_table_destroy(d->sessions);
        free(d);
    }
}

static struct decider_switch *
decider_switch_find(const struct decider *d, uint64_t dpid)
{
    struct decider_switch *ds;
    HMAP_FOR_EACH_WITH_HASH (ds, node, hash_uint64(dpid), &d->switches) {
        if (ds->dpid == dpid) {
            return ds;
        }
    }
    return NULL;
}

/* Returns the per-session NAT service with id 'service_id', or NULL. */
static struct lb_service *
per_session_service(const struct decider *d, int64_t service_id)
{
    struct lb_service *svc = (service_id > 0
                              ? lb_service_find(d->model, service_id)
                              : NULL);
    return (svc && lb_service_is_nat(svc)
            && svc->decision == LB_DECISION_PER_SESSION ? svc : NULL);
}

/* Asks 'ds' for its table 45 flows under stick cookies; the reply goes to
 * decider_restore(). */
static void
decider_read_sessions(struct decider_switch *ds)
{
    enum ofp_version version = ofconn_get_version(ds->ofconn);
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(FLOWLB_STICK_COOKIE_TAG << 48),
        .cookie_mask = htonll(FLOWLB_COOKIE_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = PIPELINE_TABLE_SESSIONS,
    };
    match_init_catchall(&fsr.match);
    struct ofpbuf *msg = ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(version));
    ds->dump_xid = ((const struct ofp_header *) msg->data)->xid;
    ofconn_send(ds->ofconn, msg);
}

void
decider_switch_up(struct decider *d, uint64_t dpid, struct ofconn *ofconn)
{
    struct decider_switch *ds = decider_switch_find(d, dpid);
    if (!ds) {
        ds = xzalloc(sizeof *ds);
        ds->dpid = dpid;
        hmap_insert(&d->switches, &ds->node, hash_uint64(dpid));
    }
    ds->ofconn = ofconn;
    session_forget_switch(d->sessions, dpid);
    session_apply_counts(d->sessions, d->model);
    decider_read_sessions(ds);
}

void
decider_switch_down(struct decider *d, uint64_t dpid)
{
    struct decider_switch *ds = decider_switch_find(d, dpid);
    if (ds) {
        hmap_remove(&d->switches, &ds->node);
        free(ds);
    }
    if (session_forget_switch(d->sessions, dpid)) {
        session_apply_counts(d->sessions, d->model);
    }
}

/* Forgets the sessions of services that are gone or no longer decide per
 * session: their flows time out on the switches without flowlbd. */
void
decider_model_changed(struct decider *d)
{
    if (session_forget_stale(d->sessions, d->model)) {
        session_apply_counts(d->sessions, d->model);
    }
}

/* Logs 'tuple' with 'what' at debug level, rate-limited. */
static void
log_tuple(uint64_t dpid, const char *what, const struct session_tuple *t)
{
    if (!VLOG_DROP_DBG(&rl)) {
        char s[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
        ipv6_string_mapped(s, &t->src);
        ipv6_string_mapped(dst, &t->dst);
        VLOG_DBG("%016"PRIx64": %s: %s:%"PRIu16" -> %s:%"PRIu16", protocol "
                 "%"PRIu8, dpid, what, s, t->src_port, dst, t->dst_port,
                 t->proto);
    }
}

/* Handles a packet-in from switch 'dpid'.  Returns false if it is not the
 * first packet of a per-session service's session (pmtu's or resolve's,
 * then), true if it was, whatever became of it. */
bool
decider_packet_in(struct decider *d, uint64_t dpid,
                  const struct ofp_header *oh)
{
    struct ofputil_packet_in pin;
    size_t total_len;
    uint32_t buffer_id;

    if (ofputil_decode_packet_in(oh, true, NULL, NULL, &pin, &total_len,
                                 &buffer_id, NULL)
        || pin.table_id != PIPELINE_TABLE_NAT_STATE) {
        return false;
    }
    struct lb_service *svc = per_session_service(
        d, pipeline_cookie_service(ntohll(pin.cookie)));
    if (!svc) {
        return false;
    }
    COUNTER_INC(session_packet_ins);

    struct decider_switch *ds = decider_switch_find(d, dpid);
    struct session_tuple client;
    if (!ds || !ds->ofconn
        || session_parse(pin.packet, pin.packet_len, &client)
        || !ipv6_addr_equals(&client.dst, &svc->vip)) {
        COUNTER_INC(session_bad);
        VLOG_DBG_RL(&rl, "%016"PRIx64": service %"PRIu32": packet-in that "
                    "is no session's first packet dropped", dpid, svc->id);
        return true;
    }

    struct session *s;
    bool is_new;
    if (session_decide(d->sessions, dpid, svc, &client, &s, &is_new)) {
        COUNTER_INC(session_no_member);
        log_tuple(dpid, "no member takes the session", &client);
        return true;
    }
    const struct lb_member *m = lb_member_find(svc, s->member_id);
    if (!m) {
        /* Bound to a member that has gone since: its flows are gone. */
        COUNTER_INC(session_no_member);
        log_tuple(dpid, "the session's member is gone", &client);
        return true;
    }

    /* The flow first: the switch handles one connection's messages in
     * order, so the packet then finds it and is counted. */
    enum ofp_version version = ofconn_get_version(ds->ofconn);
    if (is_new) {
        struct ofpbuf *msg = session_encode_flow_mod(svc, s, version);
        session_set_xid(d->sessions, s,
                        ((const struct ofp_header *) msg->data)->xid);
        ofconn_send(ds->ofconn, msg);
        COUNTER_INC(sessions_installed);
        session_apply_count(d->sessions, svc, s->member_id);
        log_tuple(dpid, "new session", &client);
    }
    ofconn_send(ds->ofconn, session_encode_packet_out(
                    svc, m, pin.packet, pin.packet_len,
                    pin.flow_metadata.flow.in_port.ofp_port,
                    pin.packet_len < total_len, version));
    return true;
}

/* A session flow's flow-removed message. */
static void
decider_flow_removed(struct decider *d, uint64_t dpid,
                     const struct ofp_header *oh)
{
    struct ofputil_flow_removed fr;
    uint32_t service_id, member_id;
    struct session_tuple natted;

    if (ofputil_decode_flow_removed(&fr, oh)
        || fr.table_id != PIPELINE_TABLE_SESSIONS
        || !session_cookie_parse(ntohll(fr.cookie), &service_id, &member_id)
        || session_tuple_from_match(&fr.match, &natted)) {
        return;
    }
    if (session_removed(d->sessions, dpid, service_id, member_id, &natted)) {
        COUNTER_INC(session_removed);
        struct lb_service *svc = lb_service_find(d->model, service_id);
        if (svc) {
            session_apply_count(d->sessions, svc, member_id);
        }
    }
}

/* Binds the per-session services' sessions found in table 45 flow 'fs'. */
static void
decider_restore(const struct ofputil_flow_stats *fs, void *aux)
{
    void **args = aux;
    struct decider *d = args[0];
    const uint64_t *dpid = args[1];
    uint32_t service_id, member_id;
    struct session_tuple natted;

    if (fs->table_id != PIPELINE_TABLE_SESSIONS
        || !session_cookie_parse(ntohll(fs->cookie), &service_id,
                                 &member_id)
        || session_tuple_from_match(&fs->match, &natted)) {
        return;
    }
    struct lb_service *svc = per_session_service(d, service_id);
    if (svc && session_restore(d->sessions, *dpid, svc, member_id,
                               &natted)) {
        session_apply_count(d->sessions, svc, member_id);
    }
}

/* Handles message 'oh' of 'type' from switch 'dpid' if it is decider's:
 * a flow-removed message of a session flow, an error about a session
 * flow, or the answer to the read of table 45.  Returns true if it was
 * one of those. */
bool
decider_handle_msg(struct decider *d, uint64_t dpid, enum ofptype type,
                   const struct ofp_header *oh)
{
    struct decider_switch *ds = decider_switch_find(d, dpid);
    if (!ds) {
        return false;
    }

    switch ((int) type) {
    case OFPTYPE_FLOW_REMOVED:
        decider_flow_removed(d, dpid, oh);
        return true;

    case OFPTYPE_FLOW_STATS_REPLY:
        if (!ds->dump_xid || oh->xid != ds->dump_xid) {
            return false;
        }
        void *args[2] = { d, &dpid };
        if (ofmsg_flow_stats_foreach(oh, decider_restore, args)) {
            VLOG_WARN_RL(&rl, "%016"PRIx64": bad flow stats reply", dpid);
        }
        if (!ofpmp_more(oh)) {
            ds->dump_xid = 0;
            VLOG_INFO("%016"PRIx64": %"PRIuSIZE" per-session sessions "
                      "bound", dpid, session_n(d->sessions));
        }
        return true;

    case OFPTYPE_ERROR: {
        uint32_t service_id, member_id;
        if (ds->dump_xid && oh->xid == ds->dump_xid) {
            ds->dump_xid = 0;
            return true;
        }
        if (!session_failed(d->sessions, dpid, oh->xid, &service_id,
                            &member_id)) {
            return false;
        }
        COUNTER_INC(session_refused);
        VLOG_WARN_RL(&rl, "%016"PRIx64": service %"PRIu32": session flow "
                     "refused: %s", dpid, service_id,
                     ofperr_to_string(ofperr_decode_msg(oh, NULL)));
        struct lb_service *svc = lb_service_find(d->model, service_id);
        if (svc) {
            session_apply_count(d->sessions, svc, member_id);
        }
        return true;
    }

    default:
        return false;
    }
}
