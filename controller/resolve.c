/*
 * resolve: answering for VIPs and learning members' MACs.  See resolve.h.
 */
#include <config.h>
#include "flowlb/resolve.h"

#include <errno.h>
#include <string.h>
#include <event2/event.h>
#include "dp-packet.h"
#include "flowlb/compiler.h"
#include "flowlb/counters.h"
#include "flowlb/lb.h"
#include "flowlb/neigh.h"
#include "flowlb/ofconn.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(resolve);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* An unresolved member is solicited this often. */
#define RETRY_MS 1000

/* A member address flowlbd resolves.  Several services may share one. */
struct resolve_target {
    struct hmap_node node;      /* In resolve's 'targets', by address. */
    struct in6_addr addr;       /* IPv4-mapped for IPv4. */
    bool resolved;
    struct eth_addr mac;
    long long int last_solicit; /* Monotonic ms, 0 if never. */
    bool wanted;                /* Scratch for resolve_pass(). */

    /* The switches to solicit it through: those of the services it is a
     * member of. */
    bool all_switches;
    uint64_t *dpids;
    size_t n_dpids;
};

static void
resolve_target_destroy(struct resolve_target *t)
{
    if (t) {
        free(t->dpids);
        free(t);
    }
}

/* Adds the switches of 'svc' to those 't' is solicited through. */
static void
target_add_switches(struct resolve_target *t, const struct lb_service *svc)
{
    if (!svc->n_switches) {
        t->all_switches = true;
        return;
    }
    t->dpids = xrealloc(t->dpids, (t->n_dpids + svc->n_switches)
                        * sizeof *t->dpids);
    memcpy(&t->dpids[t->n_dpids], svc->switches,
           svc->n_switches * sizeof *svc->switches);
    t->n_dpids += svc->n_switches;
}

static bool
target_on_switch(const struct resolve_target *t, uint64_t dpid)
{
    if (t->all_switches) {
        return true;
    }
    for (size_t i = 0; i < t->n_dpids; i++) {
        if (t->dpids[i] == dpid) {
            return true;
        }
    }
    return false;
}

struct resolve_switch {
    struct hmap_node node;      /* In resolve's 'switches', by dpid. */
    uint64_t dpid;
    struct ofconn *ofconn;
};

struct resolve {
    struct lb_model *model;
    int refresh;                /* ms between solicitations of a known
                                 * member. */
    struct hmap targets;
    struct hmap switches;
    struct event *timer;
    void (*changed)(void *aux);
    void *aux;
};

static void resolve_timer_cb(evutil_socket_t, short, void *r_);

struct resolve *
resolve_create(struct event_base *base, struct lb_model *model,
               int refresh_ms, void (*changed)(void *aux), void *aux)
{
    struct resolve *r = xzalloc(sizeof *r);
    r->model = model;
    r->refresh = MAX(refresh_ms, RETRY_MS);
    hmap_init(&r->targets);
    hmap_init(&r->switches);
    r->changed = changed;
    r->aux = aux;
    r->timer = event_new(base, -1, EV_PERSIST, resolve_timer_cb, r);
    struct timeval tv = { .tv_sec = RETRY_MS / 1000,
                          .tv_usec = RETRY_MS % 1000 * 1000 };
    event_add(r->timer, &tv);
    return r;
}

void
resolve_destroy(struct resolve *r)
{
    if (r) {
        struct resolve_target *t;
        HMAP_FOR_EACH_POP (t, node, &r->targets) {
            resolve_target_destroy(t);
        }
        hmap_destroy(&r->targets);
        struct resolve_switch *rs;
        HMAP_FOR_EACH_POP (rs, node, &r->switches) {
            free(rs);
        }
        hmap_destroy(&r->switches);
        event_free(r->timer);
        free(r);
    }
}

static struct resolve_switch *
resolve_switch_find(const struct resolve *r, uint64_t dpid)
{
    struct resolve_switch *rs;
    HMAP_FOR_EACH_WITH_HASH (rs, node, hash_uint64(dpid), &r->switches) {
        if (rs->dpid == dpid) {
            return rs;
        }
    }
    return NULL;
}

static struct resolve_target *
resolve_target_find(const struct resolve *r, const struct in6_addr *addr)
{
    struct resolve_target *t;
    HMAP_FOR_EACH_WITH_HASH (t, node, hash_bytes(addr, sizeof *addr, 0),
                             &r->targets) {
        if (ipv6_addr_equals(&t->addr, addr)) {
            return t;
        }
    }
    return NULL;
}

/* Sends 'packet' out of switch 'rs': to 'port', or flooded if 'port' is
 * OFPP_FLOOD. */
static void
send_packet(const struct resolve_switch *rs, const struct dp_packet *packet,
            ofp_port_t port)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    ofpact_put_OUTPUT(&ofpacts)->port = port;

    struct ofputil_packet_out po = {
        .packet = dp_packet_data(packet),
        .packet_len = dp_packet_size(packet),
        .buffer_id = UINT32_MAX,
        .ofpacts = ofpacts.data,
        .ofpacts_len = ofpacts.size,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, OFPP_CONTROLLER);

    enum ofp_version version = ofconn_get_version(rs->ofconn);
    ofconn_send(rs->ofconn, ofputil_encode_packet_out(
                    &po, ofputil_protocol_from_ofp_version(version)));
    ofpbuf_uninit(&ofpacts);
}

static void
solicit(struct resolve *r, struct resolve_target *t, long long int now)
{
    struct dp_packet *packet = neigh_solicit(&t->addr,
                                             r->model->vmac);
    struct resolve_switch *rs;
    HMAP_FOR_EACH (rs, node, &r->switches) {
        if (target_on_switch(t, rs->dpid)) {
            send_packet(rs, packet, OFPP_FLOOD);
            COUNTER_INC(neigh_solicited);
        }
    }
    dp_packet_delete(packet);
    t->last_solicit = now;
}

/* Gives every member without a configured MAC the MAC resolution found for
 * its address, bumping the generation of each service that changes.
 * Returns true if any did. */
static bool
apply_targets(struct resolve *r)
{
    struct lb_service *svc;
    bool changed = false;

    HMAP_FOR_EACH (svc, node, &r->model->services) {
        struct lb_member *m;
        bool svc_changed = false;
        LIST_FOR_EACH (m, node, &svc->members) {
            if (m->has_mac) {
                continue;
            }
            const struct resolve_target *t;
            t = resolve_target_find(r, &m->address);
            if (t && t->resolved
                && (!m->resolved || !eth_addr_equals(m->resolved_mac,
                                                     t->mac))) {
                m->resolved = true;
                m->resolved_mac = t->mac;
                svc_changed = true;
            }
        }
        if (svc_changed) {
            svc->generation = ++r->model->generation;
            changed = true;
        }
    }
    return changed;
}

/* Brings the targets in line with the model's members and solicits those
 * that are due. */
static void
resolve_pass(struct resolve *r)
{
    long long int now = time_msec();
    struct resolve_target *t;

    HMAP_FOR_EACH (t, node, &r->targets) {
        t->wanted = false;
        t->all_switches = false;
        t->n_dpids = 0;
    }

    const struct lb_service *svc;
    HMAP_FOR_EACH (svc, node, &r->model->services) {
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            if (m->has_mac) {
                continue;
            }
            t = resolve_target_find(r, &m->address);
            if (!t) {
                t = xzalloc(sizeof *t);
                t->addr = m->address;
                hmap_insert(&r->targets, &t->node,
                            hash_bytes(&t->addr, sizeof t->addr, 0));
            }
            t->wanted = true;
            target_add_switches(t, svc);
        }
    }

    struct resolve_target *next;
    HMAP_FOR_EACH_SAFE (t, next, node, &r->targets) {
        if (!t->wanted) {
            hmap_remove(&r->targets, &t->node);
            resolve_target_destroy(t);
        } else if (hmap_count(&r->switches)
                   && (!t->last_solicit
                       || now - t->last_solicit >= (t->resolved
                                                    ? r->refresh
                                                    : RETRY_MS))) {
            solicit(r, t, now);
        }
    }
}

static void
resolve_timer_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
                 void *r_)
{
    resolve_pass(r_);
}

void
resolve_model_changed(struct resolve *r)
{
    if (apply_targets(r)) {
        r->changed(r->aux);
    }
    resolve_pass(r);
}

/* A switch's installed buckets say that 'addr' was at 'mac' when flowlbd
 * last programmed it.  Until the member answers, believe that rather than
 * take it out of its groups: a restarted flowlbd then recompiles the same
 * buckets.  Its answer corrects the MAC if it has changed meanwhile. */
void
resolve_bucket_mac(struct resolve *r, const struct in6_addr *addr,
                   struct eth_addr mac)
{
    struct resolve_target *t = resolve_target_find(r, addr);
    if (t && !t->resolved) {
        char s[INET6_ADDRSTRLEN];
        ipv6_string_mapped(s, addr);
        VLOG_INFO("member %s is at "ETH_ADDR_FMT" as the switch's buckets "
                  "say, until it answers", s, ETH_ADDR_ARGS(mac));
        t->resolved = true;
        t->mac = mac;
        t->last_solicit = 0;        /* Ask it at the next pass. */
        apply_targets(r);
    }
}

void
resolve_switch_up(struct resolve *r, uint64_t dpid, struct ofconn *ofconn)
{
    struct resolve_switch *rs = resolve_switch_find(r, dpid);
    if (!rs) {
        rs = xzalloc(sizeof *rs);
        rs->dpid = dpid;
        hmap_insert(&r->switches, &rs->node, hash_uint64(dpid));
    }
    rs->ofconn = ofconn;

    /* Solicit every member through the new switch now. */
    struct resolve_target *t;
    HMAP_FOR_EACH (t, node, &r->targets) {
        t->last_solicit = 0;
    }
    resolve_pass(r);
}

void
resolve_switch_down(struct resolve *r, uint64_t dpid)
{
    struct resolve_switch *rs = resolve_switch_find(r, dpid);
    if (rs) {
        hmap_remove(&r->switches, &rs->node);
        free(rs);
    }
}

/* Is 'addr' the VIP, or the NAPT source address, of a service on the
 * switch with 'dpid'?  flowlbd answers for both. */
static bool
is_vip(const struct resolve *r, uint64_t dpid, const struct in6_addr *addr)
{
    const struct lb_service *svc;
    HMAP_FOR_EACH (svc, node, &r->model->services) {
        if ((ipv6_addr_equals(&svc->vip, addr)
             || (svc->forwarding == LB_FWD_NAPT
                 && ipv6_addr_equals(&svc->source, addr)))
            && compiler_service_on_switch(svc, dpid)) {
            return true;
        }
    }
    return false;
}

static void
learn(struct resolve *r, const struct neigh_packet *np)
{
    struct resolve_target *t = resolve_target_find(r, &np->sender_ip);
    if (!t) {
        return;                 /* Not a member we resolve: ignore. */
    }
    if (!t->resolved || !eth_addr_equals(t->mac, np->sender_mac)) {
        char addr[INET6_ADDRSTRLEN];
        ipv6_string_mapped(addr, &t->addr);
        if (t->resolved) {
            VLOG_INFO("member %s moved from "ETH_ADDR_FMT" to "ETH_ADDR_FMT,
                      addr, ETH_ADDR_ARGS(t->mac),
                      ETH_ADDR_ARGS(np->sender_mac));
        } else {
            VLOG_INFO("member %s is at "ETH_ADDR_FMT, addr,
                      ETH_ADDR_ARGS(np->sender_mac));
        }
        t->resolved = true;
        t->mac = np->sender_mac;
        COUNTER_INC(neigh_resolved);
        if (apply_targets(r)) {
            r->changed(r->aux);
        }
    }
}

void
resolve_packet_in(struct resolve *r, uint64_t dpid,
                  const struct ofp_header *oh)
{
    struct resolve_switch *rs = resolve_switch_find(r, dpid);
    struct ofputil_packet_in pin;
    size_t total_len;
    uint32_t buffer_id;

    if (!rs || ofputil_decode_packet_in(oh, true, NULL, NULL, &pin,
                                        &total_len, &buffer_id, NULL)) {
        COUNTER_INC(neigh_bad);
        return;
    }

    struct neigh_packet np;
    int error = neigh_parse(pin.packet, pin.packet_len, &np);
    if (error) {
        COUNTER_INC(neigh_bad);
        VLOG_DBG_RL(&rl, "%016"PRIx64": punted packet dropped: %s", dpid,
                    ovs_strerror(error));
    } else if (np.kind == NEIGH_NS || np.kind == NEIGH_ARP_REQUEST) {
        if (is_vip(r, dpid, &np.target_ip)) {
            struct dp_packet *answer = neigh_answer(&np, r->model->vmac);
            if (answer) {
                send_packet(rs, answer,
                            pin.flow_metadata.flow.in_port.ofp_port);
                dp_packet_delete(answer);
                COUNTER_INC(neigh_answered);
            }
        }
    } else if (np.kind == NEIGH_NA || np.kind == NEIGH_ARP_REPLY) {
        learn(r, &np);
    }
}
