/*
 * compiler: model to OpenFlow text.  See compiler.h and docs/pipeline.md.
 */
#include <config.h>
#include "flowlb/compiler.h"

#include <arpa/inet.h>
#include <math.h>
#include <string.h>
#include "flowlb/lb.h"
#include "flowlb/lb-algo.h"
#include "flowlb/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "sset.h"

/* Packets punted to flowlbd (neighbour discovery) are small; 256 bytes
 * hold any NS, NA or ARP frame with room for VLAN tags. */
#define PUNT_ACTION "CONTROLLER:256"

/* ICMP "too big" messages are punted whole, since flowlbd forwards them to
 * a member (RFC 4443 keeps a Packet Too Big within 1280 bytes). */
#define PUNT_WHOLE_ACTION "CONTROLLER:65535"

void
compiler_output_init(struct compiler_output *out)
{
    svec_init(&out->flows);
    svec_init(&out->groups);
}

void
compiler_output_destroy(struct compiler_output *out)
{
    if (out) {
        svec_destroy(&out->flows);
        svec_destroy(&out->groups);
    }
}

/* Formats 'addr' (IPv4-mapped if 'is_ipv4') into 'ds' as ovs-ofctl reads
 * it. */
static void
put_addr(struct ds *ds, const struct in6_addr *addr, bool is_ipv4)
{
    char buf[INET6_ADDRSTRLEN];
    if (is_ipv4) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(addr);
        inet_ntop(AF_INET, &ip4, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, addr, buf, sizeof buf);
    }
    ds_put_cstr(ds, buf);
}

bool
compiler_service_on_switch(const struct lb_service *svc, uint64_t dpid)
{
    if (!svc->n_switches) {
        return true;
    }
    for (size_t i = 0; i < svc->n_switches; i++) {
        if (svc->switches[i] == dpid) {
            return true;
        }
    }
    return false;
}

/* In a stateful service, a member keeps its sessions (its stick entries
 * and the flows that forward them) while it is enabled or draining and its
 * MAC is known.  Disabling or removing it deletes its entries. */
static bool
member_keeps_sessions(const struct lb_member *m, struct eth_addr *mac)
{
    return m->state != LB_MEMBER_DISABLED && lb_member_mac(m, mac);
}

static bool
service_is_stateful(const struct lb_service *svc)
{
    return svc->persistence == LB_PERSIST_STATEFUL;
}

/* Bucket ids carry the member id, so that group statistics map back to
 * members and a member keeps its buckets (and so its sessions, OVS's hash
 * selection being rendezvous hashing on the bucket id) while others come
 * and go. */
#define BUCKET_REPLICA_BITS 8

uint32_t
compiler_bucket_member(uint32_t bucket_id)
{
    return bucket_id >> BUCKET_REPLICA_BITS;
}

/* The weight of 'm''s buckets: its configured weight, equal weights for
 * round-robin, the balance module's weight for the load-based algorithms
 * (but the configured weights until it has computed any, so that a new
 * service never has an empty group). */
static unsigned int
bucket_weight(const struct lb_service *svc, const struct lb_member *m,
              bool live)
{
    if (svc->algorithm == LB_ALGO_ROUND_ROBIN) {
        return 1;
    }
    if (live) {
        return m->bucket_weight;
    }
    if ((svc->algorithm == LB_ALGO_COST_LEAST_LOAD
         || svc->algorithm == LB_ALGO_COST_LEAST_TRAFFIC)
        && !(m->cost > 0 && isfinite(m->cost))) {
        return 0;               /* Takes nothing, even before balance. */
    }
    return m->weight;
}

static bool
service_has_live_weights(const struct lb_service *svc)
{
    const struct lb_member *m;

    if (!lb_service_weights_are_live(svc)) {
        return false;
    }
    LIST_FOR_EACH (m, node, &svc->members) {
        if (m->bucket_weight) {
            return true;
        }
    }
    return false;
}

/* Appends to 'ds' the actions of a bucket that sends a new session of a
 * NAT service to member 'm': commit it in the service's zone with the
 * destination translated, note the member in ct_mark and the client's MAC
 * in ct_label (replies go back to it), then deliver through table 41. */
void
compiler_nat_bucket_actions(const struct lb_service *svc,
                            const struct lb_member *m, struct ds *ds)
{
    ds_put_format(ds, "set_field:%"PRIu32"->"PIPELINE_REG_SERVICE","
                  "ct(commit,zone=%"PRIu16",nat(dst=", svc->id,
                  svc->ct_zone);
    if (m->port && !svc->is_ipv4) {
        ds_put_char(ds, '[');
    }
    put_addr(ds, &m->address, svc->is_ipv4);
    if (m->port) {
        ds_put_format(ds, "%s:%"PRIu16, svc->is_ipv4 ? "" : "]", m->port);
    }
    ds_put_format(ds, "),exec(set_field:%"PRIu32"->ct_mark,"
                  "move:NXM_OF_ETH_SRC[]->NXM_NX_CT_LABEL[0..47]),table=%d)",
                  m->id, PIPELINE_TABLE_NAT_MEMBER);
}

/* Appends the buckets of 'svc' to 'ds'.
 *
 * OVS's hash selection gives each bucket the score (hash & 0xffff) *
 * weight and takes the highest.  That is not proportional: with weights
 * 2, 1, 1 the weight-2 bucket wins 2/3 of the keys, not 1/2.  Equal
 * weights are fair, so a member of weight w gets w buckets of weight 1
 * (after dividing all weights by their greatest common divisor, so that
 * equal weights give one bucket each).
 *
 * A member that cannot take sessions but has a backup that can keeps its
 * buckets, with its own weight and bucket ids (so no other member's
 * sessions move), and the backup's actions. */
static void
put_buckets(struct ds *ds, const struct lb_service *svc)
{
    bool live = service_has_live_weights(svc);
    const struct lb_member *m;
    struct eth_addr mac;
    unsigned int divisor = 0;

    LIST_FOR_EACH (m, node, &svc->members) {
        if (lb_member_effective(svc, m)) {
            divisor = lb_gcd(bucket_weight(svc, m, live), divisor);
        }
    }

    LIST_FOR_EACH (m, node, &svc->members) {
        const struct lb_member *to = lb_member_effective(svc, m);
        if (!to || !divisor) {
            continue;
        }
        lb_member_mac(to, &mac);   /* Known: it takes sessions. */
        unsigned int n = bucket_weight(svc, m, live) / divisor;
        for (unsigned int i = 0; i < n; i++) {
            ds_put_format(ds, ",bucket=bucket_id:%"PRIu32",weight:1,"
                          "actions=", (m->id << BUCKET_REPLICA_BITS) | i);
            if (lb_service_is_nat(svc)) {
                compiler_nat_bucket_actions(svc, to, ds);
            } else if (service_is_stateful(svc)) {
                /* The member's learn flow records the session, then its
                 * forward flow sends the packet on. */
                ds_put_format(ds, "set_field:%"PRIu32"->"
                              PIPELINE_REG_MEMBER",resubmit(,%d)",
                              to->id, PIPELINE_TABLE_LEARN);
            } else {
                ds_put_format(ds, "set_field:"ETH_ADDR_FMT"->eth_dst,NORMAL",
                              ETH_ADDR_ARGS(mac));
            }
        }
    }
}

/* The hash fields of the 5-tuple, or of the source for key "src". */
static void
put_tuple_fields(struct ds *ds, const struct lb_service *svc)
{
    const char *src = svc->is_ipv4 ? "ip_src" : "ipv6_src";
    const char *dst = svc->is_ipv4 ? "ip_dst" : "ipv6_dst";

    if (svc->key == LB_KEY_SRC) {
        ds_put_format(ds, "fields(%s)", src);
        return;
    }
    ds_put_format(ds, "fields(%s,%s,ip_proto", src, dst);
    /* OVS hashes only the fields whose prerequisites a packet meets, so
     * "any" can list both transports' ports. */
    if (svc->protocol != LB_PROTO_UDP) {
        ds_put_cstr(ds, ",tcp_src,tcp_dst");
    }
    if (svc->protocol != LB_PROTO_TCP) {
        ds_put_cstr(ds, ",udp_src,udp_dst");
    }
    ds_put_char(ds, ')');
}

static bool
service_has_label_key(const struct lb_service *svc)
{
    return (!svc->is_ipv4
            && (svc->key == LB_KEY_SRC_LABEL
                || svc->key == LB_KEY_SRC_DST_LABEL));
}

static void
put_group(struct svec *groups, const struct lb_service *svc,
          unsigned int kind)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    ds_put_format(&ds, "group_id=%"PRIu32",type=select,"
                  "selection_method=hash,",
                  pipeline_group_id(svc->id, kind));
    if (kind == PIPELINE_GROUP_LABEL) {
        ds_put_cstr(&ds, svc->key == LB_KEY_SRC_LABEL
                    ? "fields(ipv6_src,ipv6_label)"
                    : "fields(ipv6_src,ipv6_dst,ipv6_label)");
    } else if (kind == PIPELINE_GROUP_FRAG) {
        ds_put_cstr(&ds, svc->is_ipv4 ? "fields(ip_src,ip_dst)"
                                      : "fields(ipv6_src,ipv6_dst)");
    } else {
        put_tuple_fields(&ds, svc);
    }
    ds_put_format(&ds, ",selection_method_param=%#"PRIx64, svc->hash_basis);
    put_buckets(&ds, svc);
    svec_add_nocopy(groups, ds_steal_cstr(&ds));
}

/* Appends "cookie=...,table=T,priority=N," to 'ds'. */
static void
put_table_flow_head(struct ds *ds, uint32_t service_id, int table,
                    int priority)
{
    ds_put_format(ds, "cookie=%#"PRIx64",table=%d,priority=%d,",
                  pipeline_cookie(service_id), table, priority);
}

static void
put_flow_head(struct ds *ds, uint32_t service_id, int priority)
{
    put_table_flow_head(ds, service_id, PIPELINE_TABLE_CLASSIFY, priority);
}

/* Appends the match on traffic to 'svc', without ports, to 'ds'. */
static void
put_vip_match(struct ds *ds, const struct lb_service *svc)
{
    static const char *names[2][3] = {
        /* IPv6 */ { "tcp6", "udp6", "ipv6" },
        /* IPv4 */ { "tcp", "udp", "ip" },
    };
    ds_put_format(ds, "%s,%s=", names[svc->is_ipv4][svc->protocol],
                  svc->is_ipv4 ? "nw_dst" : "ipv6_dst");
    put_addr(ds, &svc->vip, svc->is_ipv4);
}

/* Appends one flow per port of 'svc' (one in all for every port) that
 * match its traffic, and 'extra', and do 'actions'. */
static void
put_table_vip_flows(struct svec *flows, const struct lb_service *svc,
                    int table, int priority, const char *extra,
                    const char *actions)
{
    size_t n = MAX(svc->n_ports, 1);

    for (size_t i = 0; i < n; i++) {
        struct ds ds = DS_EMPTY_INITIALIZER;
        put_table_flow_head(&ds, svc->id, table, priority);
        put_vip_match(&ds, svc);
        if (extra) {
            ds_put_format(&ds, ",%s", extra);
        }
        if (svc->n_ports) {
            ds_put_format(&ds, ",tp_dst=%"PRIu16, svc->ports[i]);
        }
        ds_put_format(&ds, ",actions=%s", actions);
        svec_add_nocopy(flows, ds_steal_cstr(&ds));
    }
}

static void
put_vip_flows(struct svec *flows, const struct lb_service *svc,
              int priority, const char *extra, const char *actions)
{
    put_table_vip_flows(flows, svc, PIPELINE_TABLE_CLASSIFY, priority,
                        extra, actions);
}

/* Appends the flow for fragments of 'svc''s traffic.
 *
 * The switch runs with fragment handling "normal" (ofconn sets it when it
 * connects, sync keeps it so), in which OVS looks fragments up with ports
 * 0, the first fragment's too.  Two more details of OVS decide the rest:
 *
 *   - It gives an IPv6 fragment other than the first the protocol 44 (the
 *     Fragment header's), so later IPv6 fragments can be matched only by
 *     address.  Matching the first fragments by protocol and the later
 *     ones by address would split a datagram between two services that
 *     share the VIP, so all IPv6 fragments to a VIP go one way, that of
 *     the lowest service id on the VIP (compiler_switch() keeps one flow
 *     per identity).
 *
 *   - It restores the first fragment's ports after the lookup, so select
 *     groups and learn actions do see them: fragments need a group whose
 *     fields leave the ports out (frag_group_kind()). */
static void
put_frag_flows(struct svec *flows, const struct lb_service *svc,
               const char *actions)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    put_flow_head(&ds, svc->id, PIPELINE_PRIO_FRAG);
    if (svc->is_ipv4) {
        put_vip_match(&ds, svc);
    } else {
        ds_put_cstr(&ds, "ipv6,ipv6_dst=");
        put_addr(&ds, &svc->vip, false);
    }
    ds_put_format(&ds, ",ip_frag=yes,actions=%s", actions);
    svec_add_nocopy(flows, ds_steal_cstr(&ds));
}

/* The group that balances fragments whose session is not known: one whose
 * hash fields every fragment of a datagram has alike.  The label key has
 * them (a zero label hashes as 0), and so has the source alone (key
 * "src"); the 5-tuple has not, so a service with the 5-tuple key gets a
 * group of its own on source and destination. */
static unsigned int
frag_group_kind(const struct lb_service *svc)
{
    return (service_has_label_key(svc) ? PIPELINE_GROUP_LABEL
            : svc->key == LB_KEY_FIVE_TUPLE ? PIPELINE_GROUP_FRAG
            : PIPELINE_GROUP_5TUPLE);
}

/* Appends the groups of 'svc'. */
static void
put_groups(struct svec *groups, const struct lb_service *svc)
{
    if (service_has_label_key(svc)) {
        put_group(groups, svc, PIPELINE_GROUP_LABEL);
    }
    put_group(groups, svc, PIPELINE_GROUP_5TUPLE);
    if (frag_group_kind(svc) == PIPELINE_GROUP_FRAG) {
        put_group(groups, svc, PIPELINE_GROUP_FRAG);
    }
}

static char *
group_action(const struct lb_service *svc, unsigned int kind)
{
    return xasprintf("group:%"PRIu32, pipeline_group_id(svc->id, kind));
}

/* The stateless pipeline: table 0 sends each packet to a select group. */
static void
put_stateless(const struct lb_service *svc, struct compiler_output *out)
{
    char *to_label = group_action(svc, PIPELINE_GROUP_LABEL);
    char *to_tuple = group_action(svc, PIPELINE_GROUP_5TUPLE);
    char *to_frag = group_action(svc, frag_group_kind(svc));

    put_frag_flows(&out->flows, svc, to_frag);
    if (service_has_label_key(svc)) {
        /* RFC 7098 section 3: a zero label says nothing about the flow, so
         * such packets fall back to the 5-tuple. */
        put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP_ZERO_LABEL,
                      "ipv6_label=0", to_tuple);
        put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP, NULL, to_label);
    } else {
        put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP, NULL, to_tuple);
    }
    put_groups(&out->groups, svc);
    free(to_label);
    free(to_tuple);
    free(to_frag);
}

/* The transports whose ports a stateful service learns. */
static size_t
service_transports(const struct lb_service *svc, const char *names[2])
{
    size_t n = 0;
    if (svc->protocol != LB_PROTO_UDP) {
        names[n++] = "tcp";
    }
    if (svc->protocol != LB_PROTO_TCP) {
        names[n++] = "udp";
    }
    return n;
}

/* Appends to 'ds' a learn action that records, in 'table', the session of
 * the packet at hand for member 'm': its 5-tuple (and label, if
 * 'with_label'), or with 'transport' NULL its label key, and loads 'value'
 * into 'reg' when a later packet matches. */
static void
put_learn(struct ds *ds, const struct lb_service *svc,
          const struct lb_member *m, int table, const char *transport,
          bool with_label, uint32_t value, const char *reg)
{
    const char *upper = !transport ? NULL
                        : !strcmp(transport, "tcp") ? "TCP" : "UDP";

    ds_put_format(ds, "learn(table=%d,idle_timeout=%d,priority=%d,"
                  "delete_learned,cookie=%#"PRIx64",NXM_NX_REG1[],",
                  table, svc->idle_timeout, PIPELINE_PRIO_STICK,
                  lb_service_stick_cookie(svc, m->id));
    if (svc->is_ipv4) {
        ds_put_cstr(ds, "eth_type=0x800,");
    } else {
        ds_put_cstr(ds, "eth_type=0x86dd,");
    }
    if (upper) {
        ds_put_format(ds, "nw_proto=%d,", !strcmp(transport, "tcp")
                      ? IPPROTO_TCP : IPPROTO_UDP);
    }
    if (svc->is_ipv4) {
        ds_put_cstr(ds, "NXM_OF_IP_SRC[],NXM_OF_IP_DST[],");
    } else {
        ds_put_cstr(ds, "NXM_NX_IPV6_SRC[],NXM_NX_IPV6_DST[],");
    }
    if (upper) {
        ds_put_format(ds, "NXM_OF_%s_SRC[],NXM_OF_%s_DST[],", upper, upper);
    }
    if (with_label) {
        ds_put_cstr(ds, "NXM_NX_IPV6_LABEL[],");
    }
    ds_put_format(ds, "load:%"PRIu32"->NXM_NX_REG%s[])", value,
                  reg + strlen("reg"));
}

/* Appends member 'm''s flows in the learn and forward tables. */
static void
put_member_flows(struct svec *flows, const struct lb_service *svc,
                 const struct lb_member *m, struct eth_addr mac)
{
    const char *transports[2];
    size_t n_transports = service_transports(svc, transports);
    char *resubmit = xasprintf("resubmit(,%d)", PIPELINE_TABLE_FORWARD);
    struct ds ds = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < n_transports; i++) {
        const char *t = transports[i];

        /* A packet with ports: learn its 5-tuple, and unless the label is
         * zero (RFC 7098 section 3: it says nothing), its label key. */
        for (int zero_label = 1; zero_label >= 0; zero_label--) {
            if (zero_label && svc->is_ipv4) {
                continue;
            }
            put_table_flow_head(&ds, svc->id, PIPELINE_TABLE_LEARN,
                                zero_label ? 30 : 25);
            ds_put_format(&ds, PIPELINE_REG_SERVICE"=%"PRIu32","
                          PIPELINE_REG_MEMBER"=%"PRIu32",%s%s,ip_frag=no%s,"
                          "actions=", svc->id, m->id, t,
                          svc->is_ipv4 ? "" : "6",
                          zero_label ? ",ipv6_label=0" : "");
            put_learn(&ds, svc, m, PIPELINE_TABLE_STICK_5TUPLE, t,
                      svc->label_change == LB_LABEL_REBALANCE, m->id,
                      PIPELINE_REG_TUPLE_MEMBER);
            if (svc->label_change == LB_LABEL_DROP) {
                ds_put_char(&ds, ',');
                put_learn(&ds, svc, m, PIPELINE_TABLE_LABEL_CHECK, t, true,
                          1, PIPELINE_REG_LABEL_SEEN);
            }
            if (!zero_label && !svc->is_ipv4) {
                ds_put_char(&ds, ',');
                put_learn(&ds, svc, m, PIPELINE_TABLE_STICK_LABEL, NULL,
                          true, m->id, PIPELINE_REG_LABEL_MEMBER);
            }
            ds_put_format(&ds, ",%s", resubmit);
            svec_add_nocopy(flows, ds_steal_cstr(&ds));
        }
    }

    /* Fragments and other protocols: only the label key, if any. */
    if (svc->is_ipv4) {
        put_table_flow_head(&ds, svc->id, PIPELINE_TABLE_LEARN, 0);
        ds_put_format(&ds, PIPELINE_REG_SERVICE"=%"PRIu32","
                      PIPELINE_REG_MEMBER"=%"PRIu32",actions=%s",
                      svc->id, m->id, resubmit);
        svec_add_nocopy(flows, ds_steal_cstr(&ds));
    } else {
        put_table_flow_head(&ds, svc->id, PIPELINE_TABLE_LEARN, 10);
        ds_put_format(&ds, PIPELINE_REG_SERVICE"=%"PRIu32","
                      PIPELINE_REG_MEMBER"=%"PRIu32",ipv6,ipv6_label=0,"
                      "actions=%s", svc->id, m->id, resubmit);
        svec_add_nocopy(flows, ds_steal_cstr(&ds));

        put_table_flow_head(&ds, svc->id, PIPELINE_TABLE_LEARN, 0);
        ds_put_format(&ds, PIPELINE_REG_SERVICE"=%"PRIu32","
                      PIPELINE_REG_MEMBER"=%"PRIu32",ipv6,actions=",
                      svc->id, m->id);
        put_learn(&ds, svc, m, PIPELINE_TABLE_STICK_LABEL, NULL, true,
                  m->id, PIPELINE_REG_LABEL_MEMBER);
        ds_put_format(&ds, ",%s", resubmit);
        svec_add_nocopy(flows, ds_steal_cstr(&ds));
    }

    put_table_flow_head(&ds, svc->id, PIPELINE_TABLE_FORWARD, 0);
    ds_put_format(&ds, PIPELINE_REG_SERVICE"=%"PRIu32","PIPELINE_REG_MEMBER
                  "=%"PRIu32",actions=set_field:"ETH_ADDR_FMT"->eth_dst,"
                  "NORMAL", svc->id, m->id, ETH_ADDR_ARGS(mac));
    svec_add_nocopy(flows, ds_steal_cstr(&ds));
    free(resubmit);
}

/* Appends a decide-table flow of 'svc'. */
static void
put_decide(struct svec *flows, const struct lb_service *svc, int priority,
           const char *match, const char *actions)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    put_table_flow_head(&ds, svc->id, PIPELINE_TABLE_DECIDE, priority);
    ds_put_format(&ds, PIPELINE_REG_SERVICE"=%"PRIu32"%s%s,actions=%s",
                  svc->id, *match ? "," : "", match, actions);
    svec_add_nocopy(flows, ds_steal_cstr(&ds));
}

/* The stateful pipeline (docs/pipeline.md): table 0 names the service in
 * reg1 and looks the packet up in the stick tables, whose entries load the
 * member they recorded; the decide table prefers the 5-tuple entry, then
 * the label entry, then the select group; the member's learn flow records
 * the session and its forward flow delivers.  Every packet goes through the
 * learn flow, not only the first: OVS runs learn actions when it
 * translates a flow for the datapath, not per packet, and relearning on a
 * stuck packet is what records a new label under "follow". */
static void
put_stateful(const struct lb_service *svc, struct compiler_output *out)
{
    bool label_key = service_has_label_key(svc);
    char *to_tuple = group_action(svc, PIPELINE_GROUP_5TUPLE);
    char *to_key = group_action(svc, label_key ? PIPELINE_GROUP_LABEL
                                               : PIPELINE_GROUP_5TUPLE);
    struct ds actions = DS_EMPTY_INITIALIZER;

    /* Table 0. */
    ds_put_format(&actions, "set_field:%"PRIu32"->"PIPELINE_REG_SERVICE",",
                  svc->id);
    if (svc->is_ipv4) {
        /* No label to look up: IPv4 fragments go to the fragment group. */
        char *to_frag = group_action(svc, frag_group_kind(svc));
        ds_put_cstr(&actions, to_frag);
        free(to_frag);
    } else {
        ds_put_format(&actions, "resubmit(,%d),resubmit(,%d)",
                      PIPELINE_TABLE_STICK_LABEL, PIPELINE_TABLE_DECIDE);
    }
    put_frag_flows(&out->flows, svc, ds_cstr(&actions));

    ds_clear(&actions);
    ds_put_format(&actions, "set_field:%"PRIu32"->"PIPELINE_REG_SERVICE","
                  "resubmit(,%d),", svc->id, PIPELINE_TABLE_STICK_5TUPLE);
    if (!svc->is_ipv4) {
        ds_put_format(&actions, "resubmit(,%d),",
                      PIPELINE_TABLE_STICK_LABEL);
    }
    if (svc->label_change == LB_LABEL_DROP) {
        ds_put_format(&actions, "resubmit(,%d),",
                      PIPELINE_TABLE_LABEL_CHECK);
    }
    ds_put_format(&actions, "resubmit(,%d)", PIPELINE_TABLE_DECIDE);
    put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP, NULL,
                  ds_cstr(&actions));

    /* The decide table. */
    char *from_label = xasprintf("move:NXM_NX_REG2[]->NXM_NX_REG0[],"
                                 "resubmit(,%d)", PIPELINE_TABLE_LEARN);
    char *from_tuple = xasprintf("move:NXM_NX_REG3[]->NXM_NX_REG0[],"
                                 "resubmit(,%d)", PIPELINE_TABLE_LEARN);
    if (svc->is_ipv4) {
        put_decide(&out->flows, svc, PIPELINE_PRIO_DECIDE_NEW,
                   PIPELINE_REG_TUPLE_MEMBER"=0", to_tuple);
    } else {
        char *to_frag = group_action(svc, frag_group_kind(svc));
        put_decide(&out->flows, svc, PIPELINE_PRIO_DECIDE_NEW_FRAG,
                   "ipv6,"PIPELINE_REG_LABEL_MEMBER"=0,"
                   PIPELINE_REG_TUPLE_MEMBER"=0,ip_frag=yes", to_frag);
        free(to_frag);
        if (label_key) {
            put_decide(&out->flows, svc, PIPELINE_PRIO_DECIDE_NEW_ZERO,
                       "ipv6,"PIPELINE_REG_LABEL_MEMBER"=0,"
                       PIPELINE_REG_TUPLE_MEMBER"=0,ipv6_label=0", to_tuple);
        }
        put_decide(&out->flows, svc, PIPELINE_PRIO_DECIDE_NEW,
                   PIPELINE_REG_LABEL_MEMBER"=0,"PIPELINE_REG_TUPLE_MEMBER
                   "=0", to_key);
        put_decide(&out->flows, svc, PIPELINE_PRIO_DECIDE_LABEL,
                   PIPELINE_REG_TUPLE_MEMBER"=0", from_label);
        if (svc->label_change == LB_LABEL_DROP) {
            /* RFC 7098 section 5: a known 5-tuple under a label it was
             * never seen with may be spoofed.  The flow's packet counter
             * is the service's label_change_drops. */
            put_decide(&out->flows, svc, PIPELINE_PRIO_DECIDE_SUSPECT,
                       PIPELINE_REG_LABEL_SEEN"=0", "drop");
        }
    }
    put_decide(&out->flows, svc, PIPELINE_PRIO_DECIDE_TUPLE, "", from_tuple);

    /* The members' learn and forward flows. */
    const struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        struct eth_addr mac;
        if (member_keeps_sessions(m, &mac)) {
            put_member_flows(&out->flows, svc, m, mac);
        }
    }

    put_groups(&out->groups, svc);

    free(from_label);
    free(from_tuple);
    ds_destroy(&actions);
    free(to_tuple);
    free(to_key);
}

/* NAT and NAPT services (LSNAT, docs/pipeline.md "NAT services"). */

static const char *
ip_name(const struct lb_service *svc, const char *v4, const char *v6)
{
    return svc->is_ipv4 ? v4 : v6;
}

/* Appends a flow of 'svc' in 'table' that matches reg1 and 'match'. */
static void
put_svc_flow(struct svec *flows, const struct lb_service *svc, int table,
             int priority, const char *match, const char *actions)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    put_table_flow_head(&ds, svc->id, table, priority);
    ds_put_format(&ds, PIPELINE_REG_SERVICE"=%"PRIu32"%s%s,actions=%s",
                  svc->id, *match ? "," : "", match, actions);
    svec_add_nocopy(flows, ds_steal_cstr(&ds));
}

/* The ICMP error types that conntrack relates to a session: destination
 * unreachable (which includes "fragmentation needed") and time exceeded
 * for IPv4; destination unreachable, packet too big and time exceeded for
 * IPv6.  Neighbour discovery must not pass through conntrack, so a
 * service's ICMP flows name these types. */
static const int icmp4_errors[] = { 3, 11 };
static const int icmp6_errors[] = { 1, 2, 3 };

/* Appends table 0 flows that send to conntrack the packets that match
 * 'match' (an address match, e.g. "nw_src=10.0.0.1") of 'svc''s protocol
 * with transport ports 'ports' (in 'field', "tp_src" or "tp_dst"; none
 * when 'n_ports' is 0), and the ICMP errors about them. */
static void
put_ct_error_flows(struct svec *flows, const struct lb_service *svc,
                   const char *match, const char *actions)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    if (svc->protocol == LB_PROTO_ANY) {
        return;                 /* The transport flows take them. */
    }
    const int *types = svc->is_ipv4 ? icmp4_errors : icmp6_errors;
    size_t n = (svc->is_ipv4 ? ARRAY_SIZE(icmp4_errors)
                : ARRAY_SIZE(icmp6_errors));
    for (size_t i = 0; i < n; i++) {
        put_flow_head(&ds, svc->id, PIPELINE_PRIO_VIP);
        ds_put_format(&ds, "%s,icmp_type=%d,%s,actions=%s",
                      ip_name(svc, "icmp", "icmp6"), types[i], match,
                      actions);
        svec_add_nocopy(flows, ds_steal_cstr(&ds));
    }
}

static void
put_ct_flows(struct svec *flows, const struct lb_service *svc,
             const char *match, const char *field, const uint16_t *ports,
             size_t n_ports, const char *actions)
{
    static const char *names[2][3] = {
        /* IPv6 */ { "tcp6", "udp6", "ipv6" },
        /* IPv4 */ { "tcp", "udp", "ip" },
    };
    const char *proto = names[svc->is_ipv4][svc->protocol];
    struct ds ds = DS_EMPTY_INITIALIZER;

    if (svc->protocol == LB_PROTO_ANY && !svc->is_ipv4) {
        /* "ipv6" would take neighbour discovery through conntrack too. */
        static const char *v6[] = { "tcp6", "udp6", "icmp6,icmp_type=128",
                                    "icmp6,icmp_type=129",
                                    "icmp6,icmp_type=1", "icmp6,icmp_type=2",
                                    "icmp6,icmp_type=3" };
        for (size_t i = 0; i < ARRAY_SIZE(v6); i++) {
            put_flow_head(&ds, svc->id, PIPELINE_PRIO_VIP);
            ds_put_format(&ds, "%s,%s,actions=%s", v6[i], match, actions);
            svec_add_nocopy(flows, ds_steal_cstr(&ds));
        }
    } else {
        for (size_t i = 0; i < MAX(n_ports, 1); i++) {
            put_flow_head(&ds, svc->id, PIPELINE_PRIO_VIP);
            ds_put_format(&ds, "%s,%s", proto, match);
            if (n_ports) {
                ds_put_format(&ds, ",%s=%"PRIu16, field, ports[i]);
            }
            ds_put_format(&ds, ",actions=%s", actions);
            svec_add_nocopy(flows, ds_steal_cstr(&ds));
        }
    }
    put_ct_error_flows(flows, svc, match, actions);
}

/* The transports a NAT service's sessions use, with their session idle
 * timeouts: "ip" stands for the rest (ICMP echo). */
struct nat_transport {
    const char *match;          /* IPv4 spelling. */
    const char *match6;
    int proto;                  /* IP protocol for learn, or 0. */
    const char *field;          /* NXM port field name part, or NULL. */
    int timeout;
};

static size_t
nat_transports(const struct lb_service *svc, struct nat_transport t[3])
{
    size_t n = 0;
    if (svc->protocol != LB_PROTO_UDP) {
        t[n++] = (struct nat_transport) { "tcp", "tcp6", IPPROTO_TCP, "TCP",
                                          svc->timeout_tcp };
    }
    if (svc->protocol != LB_PROTO_TCP) {
        t[n++] = (struct nat_transport) { "udp", "udp6", IPPROTO_UDP, "UDP",
                                          svc->timeout_udp };
    }
    if (svc->protocol == LB_PROTO_ANY) {
        t[n++] = (struct nat_transport) { "icmp", "icmp6",
                                          svc->is_ipv4 ? IPPROTO_ICMP
                                                       : IPPROTO_ICMPV6,
                                          NULL, svc->timeout_icmp };
    }
    return n;
}

/* Appends to 'ds' the learn action that records a session of member 'm'
 * in the sessions table, keyed by its 5-tuple after translation, so that
 * the member's session count is the number of flows with its cookie.  A
 * TCP session's entry goes 1 s after its FIN or RST. */
static void
put_session_learn(struct ds *ds, const struct lb_service *svc,
                  const struct lb_member *m, const struct nat_transport *t)
{
    ds_put_format(ds, "learn(table=%d,idle_timeout=%d,",
                  PIPELINE_TABLE_SESSIONS, MIN(t->timeout, 65535));
    if (t->proto == IPPROTO_TCP) {
        ds_put_cstr(ds, "fin_idle_timeout=1,");
    }
    ds_put_format(ds, "priority=%d,delete_learned,cookie=%#"PRIx64","
                  "NXM_NX_REG1[],eth_type=%s,nw_proto=%d,",
                  PIPELINE_PRIO_STICK, lb_service_stick_cookie(svc, m->id),
                  svc->is_ipv4 ? "0x800" : "0x86dd", t->proto);
    ds_put_cstr(ds, svc->is_ipv4 ? "NXM_OF_IP_SRC[],NXM_OF_IP_DST[]"
                                 : "NXM_NX_IPV6_SRC[],NXM_NX_IPV6_DST[]");
    if (t->field) {
        ds_put_format(ds, ",NXM_OF_%s_SRC[],NXM_OF_%s_DST[]",
                      t->field, t->field);
    }
    ds_put_char(ds, ')');
}

/* Appends member 'm''s flows in the NAT tables. */
static void
put_nat_member_flows(struct svec *flows, const struct lb_service *svc,
                     const struct lb_member *m, struct eth_addr mac)
{
    struct nat_transport t[3];
    size_t n_t = nat_transports(svc, t);
    bool napt = svc->forwarding == LB_FWD_NAPT;
    struct ds deliver = DS_EMPTY_INITIALIZER;
    struct ds ds = DS_EMPTY_INITIALIZER;
    char *match;

    /* What a client's packet does once its session is known: go to the
     * member, or under NAPT first through source translation. */
    if (napt) {
        ds_put_format(&deliver, "set_field:%"PRIu32"->"PIPELINE_REG_MEMBER
                      ",ct(commit,zone=%d,nat(src=%s", m->id,
                      svc->ct_zone + LB_CT_ZONE_SNAT,
                      svc->is_ipv4 ? "" : "[");
        put_addr(&deliver, &svc->source, svc->is_ipv4);
        ds_put_format(&deliver, "%s:%"PRIu16"-%"PRIu16"),table=%d)",
                      svc->is_ipv4 ? "" : "]",
                      svc->source_port_min, svc->source_port_max,
                      PIPELINE_TABLE_NAPT_CHECK);
    } else {
        ds_put_format(&deliver, "set_field:"ETH_ADDR_FMT"->eth_dst,NORMAL",
                      ETH_ADDR_ARGS(mac));
    }

    /* Client to member: count the session, then deliver.  The flow's
     * counters are the member's packets and bytes. */
    for (size_t i = 0; i < n_t; i++) {
        match = xasprintf("ct_mark=%#"PRIx32"/%#x,ct_state=-rpl+trk,%s",
                          m->id, PIPELINE_CT_MARK_MEMBER_MASK,
                          svc->is_ipv4 ? t[i].match : t[i].match6);
        if (svc->decision == LB_DECISION_DATAPATH_FAST) {
            put_session_learn(&ds, svc, m, &t[i]);
            ds_put_char(&ds, ',');
        }
        ds_put_format(&ds, "resubmit(,%d),%s", PIPELINE_TABLE_SESSIONS,
                      ds_cstr(&deliver));
        put_svc_flow(flows, svc, PIPELINE_TABLE_NAT_MEMBER, 20, match,
                     ds_cstr(&ds));
        ds_clear(&ds);
        free(match);
    }
    /* Related ICMP errors from the client's side: no session of their
     * own. */
    match = xasprintf("ct_mark=%#"PRIx32"/%#x,ct_state=-rpl+trk,%s",
                      m->id, PIPELINE_CT_MARK_MEMBER_MASK,
                      ip_name(svc, "ip", "ipv6"));
    put_svc_flow(flows, svc, PIPELINE_TABLE_NAT_MEMBER, 10, match,
                 ds_cstr(&deliver));
    free(match);

    /* Member to client: back to the MAC the client's packets came from.
     * The flow's counters are the member's replies (passive health). */
    match = xasprintf("ct_mark=%#"PRIx32"/%#x,ct_state=+rpl+trk",
                      m->id, PIPELINE_CT_MARK_MEMBER_MASK);
    put_svc_flow(flows, svc, PIPELINE_TABLE_NAT_MEMBER, 20, match,
                 "move:NXM_NX_CT_LABEL[0..47]->NXM_OF_ETH_DST[],NORMAL");
    free(match);

    if (napt) {
        /* OVS's conntrack lets a packet through untranslated when it has
         * no source port left (it logs "Unable to NAT due to tuple space
         * exhaustion"), so this table checks: the drop flow's counter is
         * the member's napt_exhausted. */
        match = xasprintf(PIPELINE_REG_MEMBER"=%"PRIu32",%s,%s=", m->id,
                          ip_name(svc, "ip", "ipv6"),
                          ip_name(svc, "nw_src", "ipv6_src"));
        struct ds m2 = DS_EMPTY_INITIALIZER;
        ds_put_cstr(&m2, match);
        put_addr(&m2, &svc->source, svc->is_ipv4);
        ds_put_format(&ds, "set_field:"ETH_ADDR_FMT"->eth_dst,NORMAL",
                      ETH_ADDR_ARGS(mac));
        put_svc_flow(flows, svc, PIPELINE_TABLE_NAPT_CHECK, 20,
                     ds_cstr(&m2), ds_cstr(&ds));
        ds_clear(&ds);
        ds_destroy(&m2);
        free(match);

        match = xasprintf(PIPELINE_REG_MEMBER"=%"PRIu32, m->id);
        put_svc_flow(flows, svc, PIPELINE_TABLE_NAPT_CHECK, 10, match,
                     "drop");
        free(match);
    }

    ds_destroy(&deliver);
    ds_destroy(&ds);
}

/* The NAT pipeline (docs/pipeline.md "NAT services"): table 0 sends the
 * service's traffic, both ways, through conntrack in its zone with "nat",
 * which translates packets of known sessions; table 40 sends new sessions
 * to the select group (or to flowlbd), whose buckets commit them with the
 * destination translated; table 41 delivers by member. */
static void
put_nat(const struct lb_service *svc, struct compiler_output *out)
{
    bool napt = svc->forwarding == LB_FWD_NAPT;
    char *to_ct = xasprintf("set_field:%"PRIu32"->"PIPELINE_REG_SERVICE","
                            "ct(zone=%"PRIu16",nat,table=%d)", svc->id,
                            svc->ct_zone, PIPELINE_TABLE_NAT_STATE);
    struct ds ds = DS_EMPTY_INITIALIZER;
    char *match;

    /* Table 0: clients' packets, fragments (conntrack reassembles them)
     * and members' replies. */
    put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP, NULL, to_ct);
    put_frag_flows(&out->flows, svc, to_ct);
    ds_put_format(&ds, "%s=", ip_name(svc, "nw_dst", "ipv6_dst"));
    put_addr(&ds, &svc->vip, svc->is_ipv4);
    put_ct_error_flows(&out->flows, svc, ds_cstr(&ds), to_ct);
    ds_clear(&ds);
    if (napt) {
        /* Replies come to the source address, through its zone first. */
        char *to_snat = xasprintf("set_field:%"PRIu32"->"
                                  PIPELINE_REG_SERVICE",ct(zone=%d,nat,"
                                  "table=%d)", svc->id,
                                  svc->ct_zone + LB_CT_ZONE_SNAT,
                                  PIPELINE_TABLE_NAPT_REPLY);
        ds_put_format(&ds, "%s=", ip_name(svc, "nw_dst", "ipv6_dst"));
        put_addr(&ds, &svc->source, svc->is_ipv4);
        put_ct_flows(&out->flows, svc, ds_cstr(&ds), NULL, NULL, 0,
                     to_snat);
        ds_clear(&ds);
        free(to_snat);
    } else {
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            ds_put_format(&ds, "%s=", ip_name(svc, "nw_src", "ipv6_src"));
            put_addr(&ds, &m->address, svc->is_ipv4);
            if (m->port) {
                put_ct_flows(&out->flows, svc, ds_cstr(&ds), "tp_src",
                             &m->port, 1, to_ct);
            } else {
                put_ct_flows(&out->flows, svc, ds_cstr(&ds), "tp_src",
                             svc->ports, svc->n_ports, to_ct);
            }
            ds_clear(&ds);

            /* Connections to the member from elsewhere (a health probe
             * from the host) pass through the zone too: otherwise their
             * replies, which the flows above send into it, would be
             * invalid there. */
            ds_put_format(&ds, "%s=", ip_name(svc, "nw_dst", "ipv6_dst"));
            put_addr(&ds, &m->address, svc->is_ipv4);
            if (m->port) {
                put_ct_flows(&out->flows, svc, ds_cstr(&ds), "tp_dst",
                             &m->port, 1, to_ct);
            } else {
                put_ct_flows(&out->flows, svc, ds_cstr(&ds), "tp_dst",
                             svc->ports, svc->n_ports, to_ct);
            }
            ds_clear(&ds);
        }
    }

    /* Table 40. */
    put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAT_STATE,
                 PIPELINE_PRIO_NAT_INVALID, "ct_state=+inv+trk", "drop");
    match = xasprintf(PIPELINE_REG_SERVICE"=%"PRIu32",ct_state=+new+trk",
                      svc->id);
    bool label_key = (service_has_label_key(svc)
                      && svc->decision == LB_DECISION_DATAPATH_FAST);
    char *to_new = (svc->decision == LB_DECISION_PER_SESSION
                    ? xasprintf("meter:%"PRIu32","PUNT_WHOLE_ACTION,
                                pipeline_meter_id(svc->id))
                    : group_action(svc, label_key ? PIPELINE_GROUP_LABEL
                                                  : PIPELINE_GROUP_5TUPLE));
    put_table_vip_flows(&out->flows, svc, PIPELINE_TABLE_NAT_STATE,
                        PIPELINE_PRIO_NAT_NEW, match, to_new);
    if (label_key) {
        /* RFC 7098 section 3, as for DSR: a zero label says nothing. */
        char *zero = xasprintf("%s,ipv6_label=0", match);
        char *to_tuple = group_action(svc, PIPELINE_GROUP_5TUPLE);
        put_table_vip_flows(&out->flows, svc, PIPELINE_TABLE_NAT_STATE,
                            PIPELINE_PRIO_NAT_NEW_ZERO, zero, to_tuple);
        free(to_tuple);
        free(zero);
    }
    free(to_new);
    free(match);
    /* A session is "new" until the member answers, and its later packets
     * (a retransmitted SYN, a one-way UDP flow) come out of "nat" already
     * translated: they go to their member, not to the group again. */
    ds_put_format(&ds, "resubmit(,%d)", PIPELINE_TABLE_NAT_MEMBER);
    put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAT_STATE,
                 PIPELINE_PRIO_NAT_BOUND, "ct_state=+new+dnat+trk",
                 ds_cstr(&ds));
    put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAT_STATE,
                 PIPELINE_PRIO_NAT_KNOWN, "ct_state=+trk", ds_cstr(&ds));
    ds_clear(&ds);

    /* A new connection that is not to the VIP is not the balancer's (a
     * member's own, a health probe to a member): it is committed, without
     * a member mark, so that its replies are not invalid, and goes on. */
    ds_put_format(&ds, "ct(commit,zone=%"PRIu16"),NORMAL", svc->ct_zone);
    put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAT_STATE,
                 PIPELINE_PRIO_NAT_OTHER,
                 ip_name(svc, "ct_state=+new+trk,ip", "ct_state=+new+trk,ipv6"),
                 ds_cstr(&ds));
    ds_clear(&ds);
    put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAT_STATE,
                 PIPELINE_PRIO_NAT_UNMARKED, "ct_mark=0/0xffff,ct_state=+trk",
                 "NORMAL");

    if (napt) {
        /* Table 43: a reply, translated back to the client's address,
         * goes through the service's zone to take the VIP as source. */
        put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAPT_REPLY,
                     PIPELINE_PRIO_NAT_INVALID, "ct_state=+inv+trk", "drop");
        put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAPT_REPLY,
                     PIPELINE_PRIO_NAT_NEW, "ct_state=+new+trk", "drop");
        ds_put_format(&ds, "ct(zone=%"PRIu16",nat,table=%d)", svc->ct_zone,
                      PIPELINE_TABLE_NAT_STATE);
        put_svc_flow(&out->flows, svc, PIPELINE_TABLE_NAPT_REPLY,
                     PIPELINE_PRIO_NAT_KNOWN,
                     ip_name(svc, "ct_state=+trk,ip", "ct_state=+trk,ipv6"),
                     ds_cstr(&ds));
        ds_clear(&ds);
    }

    /* The members' flows in tables 41 and 42. */
    const struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        struct eth_addr mac;
        if (member_keeps_sessions(m, &mac)) {
            put_nat_member_flows(&out->flows, svc, m, mac);
        }
    }

    if (svc->decision == LB_DECISION_DATAPATH_FAST) {
        /* Fragments need no group of their own: conntrack reassembles
         * them before the lookup. */
        if (label_key) {
            put_group(&out->groups, svc, PIPELINE_GROUP_LABEL);
        }
        put_group(&out->groups, svc, PIPELINE_GROUP_5TUPLE);
    }
    ds_destroy(&ds);
    free(to_ct);
}

/* Compiles 'svc' into 'out': its groups, the flows that send its traffic
 * to them and the punt of neighbour discovery for its VIP. */
void
compiler_service(const struct lb_service *svc, struct compiler_output *out)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    /* Neighbour discovery for the VIP goes to flowlbd, which answers from
     * the model's virtual MAC. */
    put_flow_head(&ds, svc->id, PIPELINE_PRIO_NEIGH);
    if (svc->is_ipv4) {
        ds_put_cstr(&ds, "arp,arp_op=1,arp_tpa=");
    } else {
        ds_put_cstr(&ds, "icmp6,icmp_type=135,icmp_code=0,nd_target=");
    }
    put_addr(&ds, &svc->vip, svc->is_ipv4);
    ds_put_cstr(&ds, ",actions="PUNT_ACTION);
    svec_add_nocopy(&out->flows, ds_steal_cstr(&ds));

    if (lb_service_is_nat(svc)) {
        if (svc->forwarding == LB_FWD_NAPT) {
            /* flowlbd answers for the source address too. */
            put_flow_head(&ds, svc->id, PIPELINE_PRIO_NEIGH);
            if (svc->is_ipv4) {
                ds_put_cstr(&ds, "arp,arp_op=1,arp_tpa=");
            } else {
                ds_put_cstr(&ds, "icmp6,icmp_type=135,icmp_code=0,"
                            "nd_target=");
            }
            put_addr(&ds, &svc->source, svc->is_ipv4);
            ds_put_cstr(&ds, ",actions="PUNT_ACTION);
            svec_add_nocopy(&out->flows, ds_steal_cstr(&ds));
        }
        /* Conntrack relates ICMP errors to their session and translates
         * them, "too big" included: no punt. */
        put_nat(svc, out);
        return;
    }

    /* A router that cannot forward a member's reply for size sends the
     * error to the reply's source, the VIP.  flowlbd finds the member that
     * owns the quoted flow (pmtu module) so that path MTU discovery works
     * through the balancer. */
    put_flow_head(&ds, svc->id, PIPELINE_PRIO_TOO_BIG);
    if (svc->is_ipv4) {
        ds_put_cstr(&ds, "icmp,icmp_type=3,icmp_code=4,nw_dst=");
    } else {
        ds_put_cstr(&ds, "icmp6,icmp_type=2,icmp_code=0,ipv6_dst=");
    }
    put_addr(&ds, &svc->vip, svc->is_ipv4);
    ds_put_cstr(&ds, ",actions="PUNT_WHOLE_ACTION);
    svec_add_nocopy(&out->flows, ds_steal_cstr(&ds));

    if (service_is_stateful(svc)) {
        put_stateful(svc, out);
    } else {
        put_stateless(svc, out);
    }
}

/* Compiles the switch-wide flows into 'out': catching the answers to
 * flowlbd's own solicitations, and the L2 default. */
void
compiler_base(const struct lb_model *model,
              const struct compiler_options *opts,
              struct compiler_output *out)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    put_flow_head(&ds, 0, PIPELINE_PRIO_NEIGH);
    ds_put_format(&ds, "icmp6,dl_dst="ETH_ADDR_FMT",icmp_type=136,"
                  "icmp_code=0,actions="PUNT_ACTION,
                  ETH_ADDR_ARGS(model->vmac));
    svec_add_nocopy(&out->flows, ds_steal_cstr(&ds));

    put_flow_head(&ds, 0, PIPELINE_PRIO_NEIGH);
    ds_put_format(&ds, "arp,dl_dst="ETH_ADDR_FMT",arp_op=2,"
                  "actions="PUNT_ACTION, ETH_ADDR_ARGS(model->vmac));
    svec_add_nocopy(&out->flows, ds_steal_cstr(&ds));

    if (opts->l2_normal) {
        put_flow_head(&ds, 0, PIPELINE_PRIO_L2);
        ds_put_cstr(&ds, "actions=NORMAL");
        svec_add_nocopy(&out->flows, ds_steal_cstr(&ds));
    }
}

/* Returns the identity of 'flow', a line from this module: the text
 * between the cookie and ",actions=".  The caller frees it. */
char *
compiler_flow_identity(const char *flow)
{
    const char *start = strchr(flow, ',');
    const char *end = strstr(flow, ",actions=");
    start = start ? start + 1 : flow;
    if (!end || end < start) {
        end = flow + strlen(flow);
    }
    return xmemdup0(start, end - start);
}

static int
compare_services(const void *a_, const void *b_)
{
    const struct lb_service *const *a = a_;
    const struct lb_service *const *b = b_;
    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

/* Compiles everything switch 'dpid' should hold into 'out', base flows
 * first, then services in ascending id.  A flow identity wanted twice is
 * kept once, from the lower service id. */
void
compiler_switch(const struct lb_model *model, uint64_t dpid,
                const struct compiler_options *opts,
                struct compiler_output *out)
{
    size_t n = hmap_count(&model->services);
    const struct lb_service **svcs = xmalloc(MAX(n, 1) * sizeof *svcs);
    const struct lb_service *svc;
    size_t i = 0;

    HMAP_FOR_EACH (svc, node, &model->services) {
        svcs[i++] = svc;
    }
    qsort(svcs, n, sizeof *svcs, compare_services);

    compiler_base(model, opts, out);

    struct sset seen = SSET_INITIALIZER(&seen);
    for (i = 0; i < n; i++) {
        if (!compiler_service_on_switch(svcs[i], dpid)) {
            continue;
        }
        struct compiler_output one;
        compiler_output_init(&one);
        compiler_service(svcs[i], &one);
        for (size_t j = 0; j < one.flows.n; j++) {
            char *id = compiler_flow_identity(one.flows.names[j]);
            if (sset_add_and_free(&seen, id)) {
                svec_add(&out->flows, one.flows.names[j]);
            }
        }
        svec_append(&out->groups, &one.groups);
        compiler_output_destroy(&one);
    }
    sset_destroy(&seen);
    free(svcs);
}
