/*
 * pmtu: too-big messages to VIPs, delivered to their owners.  See pmtu.h;
 * the parsing and the computed choice are ptb's.
 */
#include <config.h>
#include "flowlb/pmtu.h"

#include <errno.h>
#include <string.h>
#include <event2/event.h>
#include "flowlb/counters.h"
#include "flowlb/lb.h"
#include "flowlb/ofmsg.h"
#include "flowlb/ofconn.h"
#include "flowlb/pipeline.h"
#include "flowlb/ptb.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(pmtu);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

struct pmtu_switch {
    struct hmap_node node;      /* In pmtu's 'switches', by dpid. */
    uint64_t dpid;
    struct ofconn *ofconn;
};

/* A message waiting for the switch's stick-table entry. */
struct pmtu_request {
    struct hmap_node node;      /* In pmtu's 'requests', by xid. */
    struct pmtu *pmtu;
    ovs_be32 xid;
    uint64_t dpid;
    uint32_t service_id;
    ofp_port_t in_port;
    void *frame;                /* The punted frame, to send on. */
    size_t len;
    struct event *timer;

    /* The members the entries found name, in the order found, distinct
     * (several only with label_change "rebalance", whose entries carry
     * the label too). */
    uint32_t *owners;
    size_t n_owners;
};

struct pmtu {
    struct event_base *base;
    struct lb_model *model;
    struct hmap switches;
    struct hmap requests;
};

struct pmtu *
pmtu_create(struct event_base *base, struct lb_model *model)
{
    struct pmtu *pmtu = xzalloc(sizeof *pmtu);
    pmtu->base = base;
    pmtu->model = model;
    hmap_init(&pmtu->switches);
    hmap_init(&pmtu->requests);
    return pmtu;
}

static void
request_destroy(struct pmtu_request *req)
{
    if (req) {
        hmap_remove(&req->pmtu->requests, &req->node);
        event_free(req->timer);
        free(req->frame);
        free(req->owners);
        free(req);
    }
}

void
pmtu_destroy(struct pmtu *pmtu)
{
    if (pmtu) {
        struct pmtu_request *req, *next;
        HMAP_FOR_EACH_SAFE (req, next, node, &pmtu->requests) {
            request_destroy(req);
        }
        hmap_destroy(&pmtu->requests);
        struct pmtu_switch *ps;
        HMAP_FOR_EACH_POP (ps, node, &pmtu->switches) {
            free(ps);
        }
        hmap_destroy(&pmtu->switches);
        free(pmtu);
    }
}

static struct pmtu_switch *
pmtu_switch_find(const struct pmtu *pmtu, uint64_t dpid)
{
    struct pmtu_switch *ps;
    HMAP_FOR_EACH_WITH_HASH (ps, node, hash_uint64(dpid), &pmtu->switches) {
        if (ps->dpid == dpid) {
            return ps;
        }
    }
    return NULL;
}

static struct pmtu_request *
request_find(const struct pmtu *pmtu, ovs_be32 xid)
{
    struct pmtu_request *req;
    HMAP_FOR_EACH_WITH_HASH (req, node, hash_int(ntohl(xid), 0),
                             &pmtu->requests) {
        if (req->xid == xid) {
            return req;
        }
    }
    return NULL;
}

/* Forgets the lookups in flight on 'dpid': their replies will not come. */
static void
forget_requests(struct pmtu *pmtu, uint64_t dpid)
{
    struct pmtu_request *req, *next;
    HMAP_FOR_EACH_SAFE (req, next, node, &pmtu->requests) {
        if (req->dpid == dpid) {
            COUNTER_INC(ptb_dropped);
            request_destroy(req);
        }
    }
}

void
pmtu_switch_up(struct pmtu *pmtu, uint64_t dpid, struct ofconn *ofconn)
{
    struct pmtu_switch *ps = pmtu_switch_find(pmtu, dpid);
    if (!ps) {
        ps = xzalloc(sizeof *ps);
        ps->dpid = dpid;
        hmap_insert(&pmtu->switches, &ps->node, hash_uint64(dpid));
    }
    if (ps->ofconn != ofconn) {
        /* What went through the earlier connection is gone. */
        forget_requests(pmtu, dpid);
    }
    ps->ofconn = ofconn;
}

void
pmtu_switch_down(struct pmtu *pmtu, uint64_t dpid)
{
    struct pmtu_switch *ps = pmtu_switch_find(pmtu, dpid);
    forget_requests(pmtu, dpid);
    if (ps) {
        hmap_remove(&pmtu->switches, &ps->node);
        free(ps);
    }
}

/* Sends the 'len' bytes of 'frame' back into switch 'ps' as if they came
 * in on 'in_port', once for each of the 'n' MACs in 'macs', each time with
 * that MAC as Ethernet destination and the bridge's L2 switching to take
 * it there (as the service's own flows do). */
static void
send_to_macs(const struct pmtu_switch *ps, const void *frame, size_t len,
             ofp_port_t in_port, const struct eth_addr *macs, size_t n)
{
    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 64 * n);
    for (size_t i = 0; i < n; i++) {
        ofpact_put_set_field(&ofpacts, mf_from_id(MFF_ETH_DST), &macs[i],
                             NULL);
        ofpact_put_OUTPUT(&ofpacts)->port = OFPP_NORMAL;
    }

    struct ofputil_packet_out po = {
        .packet = frame,
        .packet_len = len,
        .buffer_id = UINT32_MAX,
        .ofpacts = ofpacts.data,
        .ofpacts_len = ofpacts.size,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, in_port);

    enum ofp_version version = ofconn_get_version(ps->ofconn);
    ofconn_send(ps->ofconn, ofputil_encode_packet_out(
                    &po, ofputil_protocol_from_ofp_version(version)));
    ofpbuf_uninit(&ofpacts);
}

/* Delivers the frame to those of the 'n_owners' members 'owners' of 'svc'
 * that take traffic, or, if 'n_owners' is 0 or none of them does, to
 * every member that does.  Counts the outcome: delivered when exactly one
 * owner got it, broadcast otherwise, dropped when no member takes
 * traffic. */
static void
deliver(const struct pmtu_switch *ps, struct lb_service *svc,
        const void *frame, size_t len, ofp_port_t in_port,
        const uint32_t *owners, size_t n_owners)
{
    size_t n_members = ovs_list_size(&svc->members);
    struct eth_addr *macs = xmalloc(MAX(n_members, 1) * sizeof *macs);
    size_t n = 0;

    for (size_t i = 0; i < n_owners; i++) {
        const struct lb_member *m = lb_member_find(svc, owners[i]);
        if (m && ptb_member_mac(svc, m, &macs[n])) {
            n++;
        }
    }
    bool known = n > 0;
    if (!known) {
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            if (ptb_member_mac(svc, m, &macs[n])) {
                n++;
            }
        }
    }

    if (!n) {
        COUNTER_INC(ptb_dropped);
        VLOG_DBG_RL(&rl, "%016"PRIx64": too big for service %"PRIu32" "
                    "dropped: no member takes traffic", ps->dpid, svc->id);
    } else if (known && n == 1) {
        send_to_macs(ps, frame, len, in_port, macs, n);
        svc->n_ptb_delivered++;
        COUNTER_INC(ptb_delivered);
    } else {
        send_to_macs(ps, frame, len, in_port, macs, n);
        svc->n_ptb_broadcast++;
        COUNTER_INC(ptb_broadcast);
    }
    free(macs);
}

static void
request_timeout_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
                   void *req_)
{
    struct pmtu_request *req = req_;
    struct pmtu *pmtu = req->pmtu;
    struct pmtu_switch *ps = pmtu_switch_find(pmtu, req->dpid);
    struct lb_service *svc = lb_service_find(pmtu->model, req->service_id);

    VLOG_WARN_RL(&rl, "%016"PRIx64": no stick-table answer in %d ms, "
                 "sending the too-big message to every member",
                 req->dpid, PMTU_TIMEOUT_MS);
    if (ps && svc) {
        deliver(ps, svc, req->frame, req->len, req->in_port, NULL, 0);
    } else {
        COUNTER_INC(ptb_unmatched);
    }
    request_destroy(req);
}

/* Asks switch 'ps' for the learned 5-tuple entry of 'client' (the client's
 * direction of the quoted flow) in stateful service 'svc'; the answer goes
 * to pmtu_handle_msg(). */
static void
ask_stick_table(struct pmtu *pmtu, struct pmtu_switch *ps,
                const struct lb_service *svc, const struct ptb_tuple *client,
                const struct ofputil_packet_in *pin)
{
    if (hmap_count(&pmtu->requests) >= PMTU_MAX_PENDING) {
        COUNTER_INC(ptb_dropped);
        VLOG_WARN_RL(&rl, "%016"PRIx64": %d stick-table lookups in flight, "
                     "too-big message dropped", ps->dpid, PMTU_MAX_PENDING);
        return;
    }

    /* The learned entries match the service's register, the addresses,
     * the protocol and the ports, and with label_change "rebalance" the
     * label too; a non-strict request with the fields we know gets every
     * such entry.  The cookie and mask select the service's entries,
     * whatever their policy and member. */
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(pipeline_stick_cookie(svc->id, 0, 0)),
        .cookie_mask = htonll(FLOWLB_STICK_COOKIE_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = PIPELINE_TABLE_STICK_5TUPLE,
    };
    match_init_catchall(&fsr.match);
    if (svc->is_ipv4) {
        match_set_dl_type(&fsr.match, htons(ETH_TYPE_IP));
        match_set_nw_src(&fsr.match, in6_addr_get_mapped_ipv4(&client->src));
        match_set_nw_dst(&fsr.match, in6_addr_get_mapped_ipv4(&client->dst));
    } else {
        match_set_dl_type(&fsr.match, htons(ETH_TYPE_IPV6));
        match_set_ipv6_src(&fsr.match, &client->src);
        match_set_ipv6_dst(&fsr.match, &client->dst);
    }
    match_set_nw_proto(&fsr.match, client->proto);
    if (client->has_ports) {
        match_set_tp_src(&fsr.match, htons(client->src_port));
        match_set_tp_dst(&fsr.match, htons(client->dst_port));
    }

    enum ofp_version version = ofconn_get_version(ps->ofconn);
    struct ofpbuf *msg = ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(version));

    struct pmtu_request *req = xzalloc(sizeof *req);
    req->pmtu = pmtu;
    req->xid = ((const struct ofp_header *) msg->data)->xid;
    req->dpid = ps->dpid;
    req->service_id = svc->id;
    req->in_port = pin->flow_metadata.flow.in_port.ofp_port;
    req->frame = xmemdup(pin->packet, pin->packet_len);
    req->len = pin->packet_len;
    req->timer = evtimer_new(pmtu->base, request_timeout_cb, req);
    hmap_insert(&pmtu->requests, &req->node, hash_int(ntohl(req->xid), 0));
    struct timeval tv = { .tv_sec = PMTU_TIMEOUT_MS / 1000,
                          .tv_usec = PMTU_TIMEOUT_MS % 1000 * 1000 };
    evtimer_add(req->timer, &tv);

    ofconn_send(ps->ofconn, msg);
}

/* Handles a packet-in from switch 'dpid'.  Returns false if it is not an
 * ICMP too-big message at all (resolve's, then), true if it was one,
 * whatever became of it. */
bool
pmtu_packet_in(struct pmtu *pmtu, uint64_t dpid, const struct ofp_header *oh)
{
    struct ofputil_packet_in pin;
    size_t total_len;
    uint32_t buffer_id;

    if (ofputil_decode_packet_in(oh, true, NULL, NULL, &pin, &total_len,
                                 &buffer_id, NULL)) {
        return false;
    }

    struct ptb_packet ptb;
    int error = ptb_parse(pin.packet, pin.packet_len, &ptb);
    if (error == ENOMSG) {
        return false;
    }

    if (!error && pin.packet_len < total_len) {
        /* Cut by the switch: the punt asks for the whole frame. */
        error = EINVAL;
    }
    if (error) {
        COUNTER_INC(ptb_bad);
        VLOG_DBG_RL(&rl, "%016"PRIx64": bad too-big message dropped",
                    dpid);
        return true;
    }
    struct pmtu_switch *ps = pmtu_switch_find(pmtu, dpid);
    if (!ps) {
        /* connmgr reports messages only after switch_up: cannot happen. */
        COUNTER_INC(ptb_dropped);
        return true;
    }

    const struct lb_service *csvc = ptb_find_service(pmtu->model, dpid,
                                                     &ptb.quoted);
    if (!csvc) {
        COUNTER_INC(ptb_unmatched);
        if (!VLOG_DROP_DBG(&rl)) {
            char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
            ipv6_string_mapped(s, &ptb.quoted.src);
            ipv6_string_mapped(d, &ptb.quoted.dst);
            VLOG_DBG("%016"PRIx64": too big for %s -> %s, protocol %u, "
                     "port %u: no service", dpid, s, d, ptb.quoted.proto,
                     ptb.quoted.src_port);
        }
        return true;
    }
    struct lb_service *svc = lb_service_find(pmtu->model, csvc->id);

    struct ptb_tuple client;
    ptb_tuple_reverse(&ptb.quoted, &client);
    ofp_port_t in_port = pin.flow_metadata.flow.in_port.ofp_port;

    if (svc->persistence == LB_PERSIST_STATEFUL) {
        ask_stick_table(pmtu, ps, svc, &client, &pin);
    } else {
        uint32_t owner;
        if (!ptb_select_member(svc, &client, &owner)) {
            deliver(ps, svc, pin.packet, pin.packet_len, in_port, &owner, 1);
        } else {
            deliver(ps, svc, pin.packet, pin.packet_len, in_port, NULL, 0);
        }
    }
    return true;
}

/* Adds the owner that flow 'fs', a learned 5-tuple entry, names to the
 * request 'req_'. */
static void
collect_owner(const struct ofputil_flow_stats *fs, void *req_)
{
    struct pmtu_request *req = req_;
    uint64_t cookie = ntohll(fs->cookie);
    uint32_t owner = cookie & 0xffff;
    if ((cookie & FLOWLB_STICK_COOKIE_MASK)
        != pipeline_stick_cookie(req->service_id, 0, 0) || !owner) {
        return;
    }
    for (size_t i = 0; i < req->n_owners; i++) {
        if (req->owners[i] == owner) {
            return;
        }
    }
    req->owners = xrealloc(req->owners,
                           (req->n_owners + 1) * sizeof *req->owners);
    req->owners[req->n_owners++] = owner;
}

/* Adds the owners named by the entries in flow statistics reply 'oh' to
 * 'req'. */
static void
collect_owners(struct pmtu_request *req, const struct ofp_header *oh)
{
    if (ofmsg_flow_stats_foreach(oh, collect_owner, req)) {
        VLOG_WARN_RL(&rl, "%016"PRIx64": bad flow stats reply", req->dpid);
    }
}

/* Handles message 'oh' of 'type' from switch 'dpid' if it answers one of
 * pmtu's requests (a flow statistics reply, or an error), and returns
 * true; returns false for any other message. */
bool
pmtu_handle_msg(struct pmtu *pmtu, uint64_t dpid, enum ofptype type,
                const struct ofp_header *oh)
{
    if (type != OFPTYPE_FLOW_STATS_REPLY && type != OFPTYPE_ERROR) {
        return false;
    }
    struct pmtu_request *req = request_find(pmtu, oh->xid);
    if (!req || req->dpid != dpid) {
        return false;
    }

    if (type == OFPTYPE_ERROR) {
        VLOG_WARN_RL(&rl, "%016"PRIx64": stick-table lookup failed: %s",
                     dpid, ofperr_to_string(ofperr_decode_msg(oh, NULL)));
    } else {
        collect_owners(req, oh);
        if (ofpmp_more(oh)) {
            return true;
        }
    }

    struct pmtu_switch *ps = pmtu_switch_find(pmtu, dpid);
    struct lb_service *svc = lb_service_find(pmtu->model, req->service_id);
    if (ps && svc) {
        deliver(ps, svc, req->frame, req->len, req->in_port, req->owners,
                req->n_owners);
    } else {
        COUNTER_INC(ptb_unmatched);     /* The service went meanwhile. */
    }
    request_destroy(req);
    return true;
}
