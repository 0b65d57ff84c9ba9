/*
 * session: the per-session decision of NAT services.  See session.h.
 */
#include <config.h>
#include "flowlb/session.h"

#include <errno.h>
#include <string.h>
#include "dp-packet.h"
#include "flow.h"
#include "flowlb/compiler.h"
#include "flowlb/lb.h"
#include "flowlb/lb-algo.h"
#include "flowlb/pipeline.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "util.h"

/* A service's algorithm state, kept across picks (round-robin position),
 * and recreated when the service changes algorithm. */
struct session_service {
    struct hmap_node node;      /* In 'services', by id. */
    uint32_t id;
    int algorithm;
    void *state;
};

/* The exact session count of one member, over all switches. */
struct session_count {
    struct hmap_node node;      /* In 'counts', by service and member. */
    uint32_t service_id;
    uint32_t member_id;
    uint64_t n;
};

struct session_table {
    struct hmap by_client;      /* "struct session"s by client tuple. */
    struct hmap by_natted;      /* ...by translated tuple. */
    struct hmap by_xid;         /* ...by flow_mod xid. */
    struct hmap services;       /* "struct session_service"s. */
    struct hmap counts;         /* "struct session_count"s. */
};

/* Parsing. */

/* Parses 'frame', 'len' bytes of an Ethernet frame, the first packet of a
 * session, into 'tuple'.  Returns 0, EINVAL if it is not a whole IPv4 or
 * IPv6 packet with its transport header (fragments included: a fragment
 * is no session's first packet flowlbd can bind), or EPROTONOSUPPORT if it
 * is neither TCP, UDP nor an ICMP or ICMPv6 echo request. */
int
session_parse(const void *frame, size_t len, struct session_tuple *tuple)
{
    struct dp_packet packet;
    struct flow flow;

    memset(tuple, 0, sizeof *tuple);
    dp_packet_use_const(&packet, frame, len);
    pkt_metadata_init(&packet.md, 0);
    flow_extract(&packet, &flow);

    if (flow.dl_type == htons(ETH_TYPE_IP)) {
        tuple->is_ipv4 = true;
        in6_addr_set_mapped_ipv4(&tuple->src, flow.nw_src);
        in6_addr_set_mapped_ipv4(&tuple->dst, flow.nw_dst);
    } else if (flow.dl_type == htons(ETH_TYPE_IPV6)) {
        tuple->src = flow.ipv6_src;
        tuple->dst = flow.ipv6_dst;
    } else {
        return EINVAL;
    }
    if (flow.nw_frag & FLOW_NW_FRAG_ANY || !dp_packet_l4(&packet)) {
        return EINVAL;
    }

    /* flow_extract() stops at a truncated header and leaves the rest 0, so
     * check that the transport header is all there. */
    size_t l4_size = dp_packet_l4_size(&packet);
    tuple->proto = flow.nw_proto;
    switch (flow.nw_proto) {
    case IPPROTO_TCP:
        if (l4_size < TCP_HEADER_LEN) {
            return EINVAL;
        }
        break;
    case IPPROTO_UDP:
        if (l4_size < UDP_HEADER_LEN) {
            return EINVAL;
        }
        break;
    case IPPROTO_ICMP:
        if (l4_size < ICMP_HEADER_LEN) {
            return EINVAL;
        }
        if (!tuple->is_ipv4 || flow.tp_src != htons(ICMP4_ECHO_REQUEST)) {
            return EPROTONOSUPPORT;
        }
        return 0;
    case IPPROTO_ICMPV6:
        if (l4_size < ICMP6_HEADER_LEN) {
            return EINVAL;
        }
        if (tuple->is_ipv4 || flow.tp_src != htons(ICMP6_ECHO_REQUEST)) {
            return EPROTONOSUPPORT;
        }
        return 0;
    default:
        return EPROTONOSUPPORT;
    }
    tuple->src_port = ntohs(flow.tp_src);
    tuple->dst_port = ntohs(flow.tp_dst);
    return 0;
}

/* Extracts from 'match', a table 45 flow's, the translated tuple it
 * matches.  Returns 0, or EINVAL if it is not a session flow's match. */
int
session_tuple_from_match(const struct match *match,
                         struct session_tuple *tuple)
{
    const struct flow *f = &match->flow;
    const struct flow_wildcards *wc = &match->wc;

    memset(tuple, 0, sizeof *tuple);
    if (f->dl_type == htons(ETH_TYPE_IP)) {
        tuple->is_ipv4 = true;
        in6_addr_set_mapped_ipv4(&tuple->src, f->nw_src);
        in6_addr_set_mapped_ipv4(&tuple->dst, f->nw_dst);
    } else if (f->dl_type == htons(ETH_TYPE_IPV6)) {
        tuple->src = f->ipv6_src;
        tuple->dst = f->ipv6_dst;
    } else {
        return EINVAL;
    }
    if (!wc->masks.nw_proto) {
        return EINVAL;
    }
    tuple->proto = f->nw_proto;
    if (tuple->proto == IPPROTO_TCP || tuple->proto == IPPROTO_UDP) {
        tuple->src_port = ntohs(f->tp_src);
        tuple->dst_port = ntohs(f->tp_dst);
    }
    return 0;
}

/* Returns true if 'cookie' is a stick cookie (pipeline.h), and then stores
 * the service and member ids it names. */
bool
session_cookie_parse(uint64_t cookie, uint32_t *service_id,
                     uint32_t *member_id)
{
    if (cookie >> 48 != FLOWLB_STICK_COOKIE_TAG) {
        return false;
    }
    *service_id = (cookie >> 16) & 0xffffff;
    *member_id = cookie & 0xffff;
    return true;
}

static uint32_t
tuple_hash(uint64_t dpid, uint32_t service_id,
           const struct session_tuple *t)
{
    uint32_t hash = hash_uint64_basis(dpid, service_id);
    hash = hash_bytes(&t->src, sizeof t->src, hash);
    hash = hash_bytes(&t->dst, sizeof t->dst, hash);
    return hash_3words(t->proto, t->src_port, hash_2words(t->dst_port,
                                                          hash));
}

static bool
tuple_equals(const struct session_tuple *a, const struct session_tuple *b)
{
    return (ipv6_addr_equals(&a->src, &b->src)
            && ipv6_addr_equals(&a->dst, &b->dst)
            && a->proto == b->proto
            && a->src_port == b->src_port
            && a->dst_port == b->dst_port);
}

static uint32_t
xid_hash(uint64_t dpid, ovs_be32 xid)
{
    return hash_uint64_basis(dpid, (OVS_FORCE uint32_t) xid);
}

/* The table. */

struct session_table *
session_table_create(void)
{
    struct session_table *t = xzalloc(sizeof *t);
    hmap_init(&t->by_client);
    hmap_init(&t->by_natted);
    hmap_init(&t->by_xid);
    hmap_init(&t->services);
    hmap_init(&t->counts);
    return t;
}

void
session_table_destroy(struct session_table *t)
{
    if (t) {
        struct session *s;
        HMAP_FOR_EACH_POP (s, client_node, &t->by_client) {
            free(s);
        }
        hmap_destroy(&t->by_client);
        hmap_destroy(&t->by_natted);
        hmap_destroy(&t->by_xid);

        struct session_service *ss;
        HMAP_FOR_EACH_POP (ss, node, &t->services) {
            lb_algo_state_destroy(lb_algo_get(ss->algorithm), ss->state);
            free(ss);
        }
        hmap_destroy(&t->services);

        struct session_count *c;
        HMAP_FOR_EACH_POP (c, node, &t->counts) {
            free(c);
        }
        hmap_destroy(&t->counts);
        free(t);
    }
}

static struct session_count *
count_find(const struct session_table *t, uint32_t service_id,
           uint32_t member_id)
{
    struct session_count *c;
    HMAP_FOR_EACH_WITH_HASH (c, node, hash_2words(service_id, member_id),
                             &t->counts) {
        if (c->service_id == service_id && c->member_id == member_id) {
            return c;
        }
    }
    return NULL;
}

/* Adds 'delta' (+1 or -1) to the count of 'service_id''s member
 * 'member_id'; a count that reaches 0 is forgotten. */
static void
count_add(struct session_table *t, uint32_t service_id, uint32_t member_id,
          int delta)
{
    struct session_count *c = count_find(t, service_id, member_id);
    if (!c) {
        if (delta < 0) {
            return;
        }
        c = xzalloc(sizeof *c);
        c->service_id = service_id;
        c->member_id = member_id;
        hmap_insert(&t->counts, &c->node, hash_2words(service_id,
                                                      member_id));
    }
    if (delta < 0 && c->n <= (uint64_t) -delta) {
        hmap_remove(&t->counts, &c->node);
        free(c);
    } else {
        c->n += delta;
    }
}

/* Returns the number of sessions bound to 'service_id''s member
 * 'member_id', on all switches. */
uint64_t
session_count(const struct session_table *t, uint32_t service_id,
              uint32_t member_id)
{
    const struct session_count *c = count_find(t, service_id, member_id);
    return c ? c->n : 0;
}

/* Returns the number of sessions bound, all services and switches. */
size_t
session_n(const struct session_table *t)
{
    return hmap_count(&t->by_client);
}

/* Stores the session count of 'svc''s member 'member_id', if it still has
 * one, as its n_stick_entries (its "sessions" in the REST API). */
void
session_apply_count(const struct session_table *t, struct lb_service *svc,
                    uint32_t member_id)
{
    struct lb_member *m = lb_member_find(svc, member_id);
    if (m) {
        m->n_stick_entries = session_count(t, svc->id, member_id);
    }
}

/* Stores the session count of every member of every per-session service
 * in 'model' as its n_stick_entries. */
void
session_apply_counts(const struct session_table *t, struct lb_model *model)
{
    struct lb_service *svc;
    HMAP_FOR_EACH (svc, node, &model->services) {
        if (svc->decision == LB_DECISION_PER_SESSION) {
            struct lb_member *m;
            LIST_FOR_EACH (m, node, &svc->members) {
                m->n_stick_entries = session_count(t, svc->id, m->id);
            }
        }
    }
}

static struct session *
session_find_client(const struct session_table *t, uint64_t dpid,
                    uint32_t service_id, const struct session_tuple *client)
{
    struct session *s;
    HMAP_FOR_EACH_WITH_HASH (s, client_node,
                             tuple_hash(dpid, service_id, client),
                             &t->by_client) {
        if (s->dpid == dpid && s->service_id == service_id
            && tuple_equals(&s->client, client)) {
            return s;
        }
    }
    return NULL;
}

static struct session *
session_find_natted(const struct session_table *t, uint64_t dpid,
                    uint32_t service_id, const struct session_tuple *natted)
{
    struct session *s;
    HMAP_FOR_EACH_WITH_HASH (s, natted_node,
                             tuple_hash(dpid, service_id, natted),
                             &t->by_natted) {
        if (s->dpid == dpid && s->service_id == service_id
            && tuple_equals(&s->natted, natted)) {
            return s;
        }
    }
    return NULL;
}

/* Adds session 's' to 't' and counts it. */
static void
session_insert(struct session_table *t, struct session *s)
{
    hmap_insert(&t->by_client, &s->client_node,
                tuple_hash(s->dpid, s->service_id, &s->client));
    hmap_insert(&t->by_natted, &s->natted_node,
                tuple_hash(s->dpid, s->service_id, &s->natted));
    count_add(t, s->service_id, s->member_id, 1);
}

/* Removes session 's' from 't', uncounts and frees it. */
static void
session_delete(struct session_table *t, struct session *s)
{
    hmap_remove(&t->by_client, &s->client_node);
    hmap_remove(&t->by_natted, &s->natted_node);
    if (s->xid) {
        hmap_remove(&t->by_xid, &s->xid_node);
    }
    count_add(t, s->service_id, s->member_id, -1);
    free(s);
}

/* The client's tuple 'client' as member 'm' sees it, after
 * destination translation. */
static void
session_translate(const struct lb_member *m,
                  const struct session_tuple *client,
                  struct session_tuple *natted)
{
    *natted = *client;
    natted->dst = m->address;
    if (m->port && client->proto != IPPROTO_ICMP
        && client->proto != IPPROTO_ICMPV6) {
        natted->dst_port = m->port;
    }
}

/* The round robins keep a member that cannot take sessions but has a
 * backup in the rotation, as its backup, just as the datapath-fast group
 * keeps its buckets with the backup's actions.  The load-based algorithms
 * see such a member as unusable and its backup as itself. */
static bool
algorithm_follows_backup(int algorithm)
{
    return (algorithm == LB_ALGO_ROUND_ROBIN
            || algorithm == LB_ALGO_WEIGHTED_ROUND_ROBIN);
}

static struct session_service *
session_service_get(struct session_table *t, const struct lb_service *svc)
{
    struct session_service *ss;
    HMAP_FOR_EACH_WITH_HASH (ss, node, hash_int(svc->id, 0), &t->services) {
        if (ss->id == svc->id) {
            break;
        }
    }
    if (ss && ss->algorithm != svc->algorithm) {
        lb_algo_state_destroy(lb_algo_get(ss->algorithm), ss->state);
        hmap_remove(&t->services, &ss->node);
        free(ss);
        ss = NULL;
    }
    if (!ss) {
        ss = xzalloc(sizeof *ss);
        ss->id = svc->id;
        ss->algorithm = svc->algorithm;
        const struct lb_algo_ops *ops = lb_algo_get(svc->algorithm);
        ss->state = ops ? lb_algo_state_create(ops) : NULL;
        hmap_insert(&t->services, &ss->node, hash_int(svc->id, 0));
    }
    return ss;
}

/* Picks the member of 'svc' for a new session by the service's algorithm,
 * with the exact session counts of 't'.  Returns NULL if no member can
 * take it. */
static const struct lb_member *
session_pick(struct session_table *t, const struct lb_service *svc)
{
    const struct lb_algo_ops *ops = lb_algo_get(svc->algorithm);
    if (!ops) {
        return NULL;
    }
    struct session_service *ss = session_service_get(t, svc);
    bool follow = algorithm_follows_backup(svc->algorithm);
    size_t n = ovs_list_size(&svc->members);
    struct lb_algo_member *am = xcalloc(MAX(n, 1), sizeof *am);
    const struct lb_member **ms = xcalloc(MAX(n, 1), sizeof *ms);
    unsigned int session_weight = MAX(svc->session_weight, 1);

    size_t i = 0;
    const struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        uint64_t sessions = session_count(t, svc->id, m->id);
        ms[i] = follow ? lb_member_effective(svc, m) : m;
        am[i] = (struct lb_algo_member) {
            .id = m->id,
            .weight = m->weight,
            .usable = (follow ? ms[i] != NULL
                       : lb_member_takes_sessions(m)),
            .sessions = sessions,
            .weighted_sessions = sessions * session_weight,
            .traffic = m->traffic_rate,
            .rtt_ms = m->rtt_ms,
            .cost = m->cost,
        };
        i++;
    }

    int idx = ops->pick(ss->state, am, n);
    const struct lb_member *chosen = (idx >= 0 && (size_t) idx < n
                                      && am[idx].usable
                                      ? ms[idx] : NULL);
    free(ms);
    free(am);
    return chosen;
}

/* Finds or makes the binding of the session whose first packet, with
 * tuple 'client', switch 'dpid' sent to flowlbd for per-session service
 * 'svc'.
 *
 * If the session is already bound on that switch (the client sent its
 * first packet again before the session's flows were in place, or the
 * switch forgot the connection but not its table 45 flow), stores it in
 * '*sessionp', sets '*is_new' to false and returns 0.  Otherwise picks the
 * member, binds and counts the session, stores it and sets '*is_new' to
 * true, and returns 0; the caller then installs its flow and calls
 * session_set_xid().  Returns ENOENT if no member can take the session. */
int
session_decide(struct session_table *t, uint64_t dpid,
               const struct lb_service *svc,
               const struct session_tuple *client,
               struct session **sessionp, bool *is_new)
{
    struct session *s = session_find_client(t, dpid, svc->id, client);
    if (s) {
        *sessionp = s;
        *is_new = false;
        return 0;
    }

    const struct lb_member *m = session_pick(t, svc);
    if (!m) {
        *sessionp = NULL;
        *is_new = false;
        return ENOENT;
    }

    s = xzalloc(sizeof *s);
    s->dpid = dpid;
    s->service_id = svc->id;
    s->member_id = m->id;
    s->client = *client;
    session_translate(m, client, &s->natted);

    /* Two clients' tuples cannot translate to one, except when a member
     * with a translated port serves two of the service's ports: the
     * switch's conntrack then refuses the second, and so does table 45
     * (one flow).  Keep the older binding. */
    struct session *old = session_find_natted(t, dpid, svc->id, &s->natted);
    if (old) {
        free(s);
        *sessionp = old;
        *is_new = false;
        return 0;
    }
    session_insert(t, s);
    *sessionp = s;
    *is_new = true;
    return 0;
}

/* Notes that 's''s flow went to its switch in the flow_mod with 'xid', so
 * that an error the switch sends about it finds it (session_failed()). */
void
session_set_xid(struct session_table *t, struct session *s, ovs_be32 xid)
{
    if (s->xid) {
        hmap_remove(&t->by_xid, &s->xid_node);
    }
    s->xid = xid;
    if (xid) {
        hmap_insert(&t->by_xid, &s->xid_node, xid_hash(s->dpid, xid));
    }
}

/* Switch 'dpid' refused the flow_mod with 'xid'.  If it was a session's,
 * unbinds that session, stores its service and member ids and returns
 * true; otherwise returns false. */
bool
session_failed(struct session_table *t, uint64_t dpid, ovs_be32 xid,
               uint32_t *service_id, uint32_t *member_id)
{
    struct session *s;
    HMAP_FOR_EACH_WITH_HASH (s, xid_node, xid_hash(dpid, xid), &t->by_xid) {
        if (s->dpid == dpid && s->xid == xid) {
            *service_id = s->service_id;
            *member_id = s->member_id;
            session_delete(t, s);
            return true;
        }
    }
    return false;
}

/* Switch 'dpid' removed the table 45 flow of 'service_id''s member
 * 'member_id' that matched translated tuple 'natted'.  Unbinds the
 * session and returns true, or returns false if flowlbd had no such
 * session. */
bool
session_removed(struct session_table *t, uint64_t dpid, uint32_t service_id,
                uint32_t member_id, const struct session_tuple *natted)
{
    struct session *s = session_find_natted(t, dpid, service_id, natted);
    if (!s || s->member_id != member_id) {
        return false;
    }
    session_delete(t, s);
    return true;
}

/* Binds again a session that switch 'dpid' has a table 45 flow for (found
 * when flowlbd reads the switch after it connects): 'svc''s member
 * 'member_id', translated tuple 'natted'.  The client's destination port
 * is the member's translated one unless the member keeps the client's, or
 * the service has a single port; when neither tells, the session is
 * counted but a retransmitted first packet would not find it.  Returns
 * false if the session was already bound. */
bool
session_restore(struct session_table *t, uint64_t dpid,
                const struct lb_service *svc, uint32_t member_id,
                const struct session_tuple *natted)
{
    if (session_find_natted(t, dpid, svc->id, natted)) {
        return false;
    }

    struct session *s = xzalloc(sizeof *s);
    s->dpid = dpid;
    s->service_id = svc->id;
    s->member_id = member_id;
    s->natted = *natted;
    s->client = *natted;
    s->client.dst = svc->vip;
    const struct lb_member *m = lb_member_find(svc, member_id);
    bool has_ports = (natted->proto == IPPROTO_TCP
                      || natted->proto == IPPROTO_UDP);
    if (has_ports && m && m->port) {
        s->client.dst_port = svc->n_ports == 1 ? svc->ports[0] : 0;
    }
    session_insert(t, s);
    return true;
}

/* Unbinds every session on switch 'dpid' (it disconnected, or flowlbd is
 * about to read what it holds again).  Returns how many there were. */
size_t
session_forget_switch(struct session_table *t, uint64_t dpid)
{
    size_t n = 0;
    struct session *s, *next;
    HMAP_FOR_EACH_SAFE (s, next, client_node, &t->by_client) {
        if (s->dpid == dpid) {
            session_delete(t, s);
            n++;
        }
    }
    return n;
}

static bool
service_is_per_session(const struct lb_model *model, uint32_t service_id)
{
    const struct lb_service *svc = lb_service_find(model, service_id);
    return (svc && lb_service_is_nat(svc)
            && svc->decision == LB_DECISION_PER_SESSION);
}

/* Forgets the algorithm state and the sessions of the services that
 * 'model' no longer has, or that no longer decide per session: their
 * flows time out on the switches without flowlbd.  Returns true if it
 * forgot any session. */
bool
session_forget_stale(struct session_table *t, const struct lb_model *model)
{
    bool forgot = false;

    /* Every session is counted, so the counts name every service with
     * sessions: most model changes find none stale and cost no walk over
     * the sessions. */
    bool any_stale = false;
    const struct session_count *c;
    HMAP_FOR_EACH (c, node, &t->counts) {
        if (!service_is_per_session(model, c->service_id)) {
            any_stale = true;
            break;
        }
    }

    if (any_stale) {
        struct session *s, *next;
        HMAP_FOR_EACH_SAFE (s, next, client_node, &t->by_client) {
            if (!service_is_per_session(model, s->service_id)) {
                session_delete(t, s);
                forgot = true;
            }
        }
    }

    struct session_service *ss, *next_ss;
    HMAP_FOR_EACH_SAFE (ss, next_ss, node, &t->services) {
        if (!service_is_per_session(model, ss->id)) {
            lb_algo_state_destroy(lb_algo_get(ss->algorithm), ss->state);
            hmap_remove(&t->services, &ss->node);
            free(ss);
        }
    }
    return forgot;
}

/* Forgets 'service_id''s algorithm state and sessions. */
void
session_forget_service(struct session_table *t, uint32_t service_id)
{
    struct session *s, *next;
    HMAP_FOR_EACH_SAFE (s, next, client_node, &t->by_client) {
        if (s->service_id == service_id) {
            session_delete(t, s);
        }
    }

    struct session_service *ss;
    HMAP_FOR_EACH_WITH_HASH (ss, node, hash_int(service_id, 0),
                             &t->services) {
        if (ss->id == service_id) {
            lb_algo_state_destroy(lb_algo_get(ss->algorithm), ss->state);
            hmap_remove(&t->services, &ss->node);
            free(ss);
            break;
        }
    }
}

/* Encoding. */

/* Returns the idle timeout, in seconds, of 'svc''s sessions of IP
 * protocol 'proto', within OpenFlow's 16 bits: a longer one (TCP's
 * default is 86400 s) is cut to 65535 s, as the datapath-fast learned
 * entries are. */
int
session_idle_timeout(const struct lb_service *svc, uint8_t proto)
{
    int timeout = (proto == IPPROTO_TCP ? svc->timeout_tcp
                   : proto == IPPROTO_UDP ? svc->timeout_udp
                   : svc->timeout_icmp);
    return MIN(MAX(timeout, 1), UINT16_MAX);
}

/* Returns the flow_mod that adds session 's''s flow to table 45 of a
 * switch that speaks 'version': the service's register, the translated
 * tuple (ICMP: addresses only), the member's stick cookie, the protocol's
 * idle timeout, a flow-removed message when it goes, and for TCP a 1 s
 * idle timeout once a FIN or RST passes (OVS refuses fin_timeout in a
 * flow that does not match TCP).  Other protocols' flows have no actions:
 * the packet goes on with the rest of table 41's. */
struct ofpbuf *
session_encode_flow_mod(const struct lb_service *svc,
                        const struct session *s, enum ofp_version version)
{
    const struct session_tuple *nt = &s->natted;
    struct ofputil_flow_mod fm = {
        .priority = PIPELINE_PRIO_STICK,
        .new_cookie = htonll(lb_service_stick_cookie(svc, s->member_id)),
        .cookie_mask = htonll(0),
        .table_id = PIPELINE_TABLE_SESSIONS,
        .command = OFPFC_ADD,
        .idle_timeout = session_idle_timeout(svc, nt->proto),
        .hard_timeout = 0,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .flags = OFPUTIL_FF_SEND_FLOW_REM,
        .importance = 0,
    };

    struct match match;
    match_init_catchall(&match);
    match_set_reg(&match, 1, s->service_id);
    if (nt->is_ipv4) {
        match_set_dl_type(&match, htons(ETH_TYPE_IP));
        match_set_nw_src(&match, in6_addr_get_mapped_ipv4(&nt->src));
        match_set_nw_dst(&match, in6_addr_get_mapped_ipv4(&nt->dst));
    } else {
        match_set_dl_type(&match, htons(ETH_TYPE_IPV6));
        match_set_ipv6_src(&match, &nt->src);
        match_set_ipv6_dst(&match, &nt->dst);
    }
    match_set_nw_proto(&match, nt->proto);
    if (nt->proto == IPPROTO_TCP || nt->proto == IPPROTO_UDP) {
        match_set_tp_src(&match, htons(nt->src_port));
        match_set_tp_dst(&match, htons(nt->dst_port));
    }
    minimatch_init(&fm.match, &match);

    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 16);
    if (nt->proto == IPPROTO_TCP) {
        struct ofpact_fin_timeout *ft = ofpact_put_FIN_TIMEOUT(&ofpacts);
        ft->fin_idle_timeout = 1;
    }
    fm.ofpacts = ofpacts.data;
    fm.ofpacts_len = ofpacts.size;

    struct ofpbuf *msg = ofputil_encode_flow_mod(
        &fm, ofputil_protocol_from_ofp_version(version));
    minimatch_destroy(&fm.match);
    ofpbuf_uninit(&ofpacts);
    return msg;
}

/* Returns the packet-out that sends 'frame' ('len' bytes, which came in on
 * 'in_port') on as a new session of 'svc' bound to member 'm': the
 * member's bucket actions (compiler_nat_bucket_actions()), which commit
 * the session in conntrack with the destination translated and deliver
 * the packet through table 41.
 *
 * With 'commit_only' (the switch sent only part of the packet, which must
 * not go on cut), the conntrack commit stays and the delivery goes: the
 * session exists and its next packet passes, this one is lost. */
struct ofpbuf *
session_encode_packet_out(const struct lb_service *svc,
                          const struct lb_member *m, const void *frame,
                          size_t len, ofp_port_t in_port, bool commit_only,
                          enum ofp_version version)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    compiler_nat_bucket_actions(svc, m, &ds);

    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 64);
    enum ofputil_protocol usable = OFPUTIL_P_ANY;
    struct ofpact_parse_params pp = {
        .ofpacts = &ofpacts,
        .usable_protocols = &usable,
    };
    char *error = ofpacts_parse_actions(ds_cstr(&ds), &pp);
    ovs_assert(!error);         /* The compiler's own bucket actions. */
    ds_destroy(&ds);

    if (commit_only) {
        struct ofpact *a;
        OFPACT_FOR_EACH (a, ofpacts.data, ofpacts.size) {
            if (a->type == OFPACT_CT) {
                ofpact_get_CT(a)->recirc_table = NX_CT_RECIRC_NONE;
            }
        }
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
    struct ofpbuf *msg = ofputil_encode_packet_out(
        &po, ofputil_protocol_from_ofp_version(version));
    ofpbuf_uninit(&ofpacts);
    return msg;
}
