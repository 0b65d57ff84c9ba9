/*
 * compiler: model to OpenFlow text.  See compiler.h and docs/pipeline.md.
 */
#include <config.h>
#include "flowlb/compiler.h"

#include <arpa/inet.h>
#include <string.h>
#include "flowlb/lb.h"
#include "flowlb/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "sset.h"

/* Packets punted to flowlbd (neighbour discovery) are small; 256 bytes
 * hold any NS, NA or ARP frame with room for VLAN tags. */
#define PUNT_ACTION "CONTROLLER:256"

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

/* A member takes new sessions only when enabled and its MAC is known. */
static bool
member_usable(const struct lb_member *m, struct eth_addr *mac)
{
    if (m->state != LB_MEMBER_ENABLED) {
        return false;
    }
    if (m->has_mac) {
        *mac = m->mac;
        return true;
    }
    if (m->resolved) {
        *mac = m->resolved_mac;
        return true;
    }
    return false;
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

/* Appends the buckets of 'svc' to 'ds'.
 *
 * OVS's hash selection gives each bucket the score (hash & 0xffff) *
 * weight and takes the highest.  That is not proportional: with weights
 * 2, 1, 1 the weight-2 bucket wins 2/3 of the keys, not 1/2.  Equal
 * weights are fair, so a member of weight w gets w buckets of weight 1
 * (after dividing all weights by their greatest common divisor, so that
 * equal weights give one bucket each). */
static void
put_buckets(struct ds *ds, const struct lb_service *svc)
{
    const struct lb_member *m;
    struct eth_addr mac;
    unsigned int divisor = 0;

    LIST_FOR_EACH (m, node, &svc->members) {
        if (member_usable(m, &mac)) {
            divisor = lb_gcd(m->weight, divisor);
        }
    }

    LIST_FOR_EACH (m, node, &svc->members) {
        if (!member_usable(m, &mac)) {
            continue;
        }
        unsigned int n = m->weight / divisor;
        for (unsigned int i = 0; i < n; i++) {
            ds_put_format(ds, ",bucket=bucket_id:%"PRIu32",weight:1,"
                          "actions=set_field:"ETH_ADDR_FMT"->eth_dst,NORMAL",
                          (m->id << BUCKET_REPLICA_BITS) | i,
                          ETH_ADDR_ARGS(mac));
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
    } else {
        put_tuple_fields(&ds, svc);
    }
    ds_put_format(&ds, ",selection_method_param=%#"PRIx64, svc->hash_basis);
    put_buckets(&ds, svc);
    svec_add_nocopy(groups, ds_steal_cstr(&ds));
}

/* Appends "cookie=...,table=0,priority=N," to 'ds'. */
static void
put_flow_head(struct ds *ds, uint32_t service_id, int priority)
{
    ds_put_format(ds, "cookie=%#"PRIx64",table=%d,priority=%d,",
                  pipeline_cookie(service_id), PIPELINE_TABLE_CLASSIFY,
                  priority);
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

static void
put_vip_flows(struct svec *flows, const struct lb_service *svc,
              int priority, const char *extra, unsigned int kind)
{
    size_t n = MAX(svc->n_ports, 1);

    for (size_t i = 0; i < n; i++) {
        struct ds ds = DS_EMPTY_INITIALIZER;
        put_flow_head(&ds, svc->id, priority);
        put_vip_match(&ds, svc);
        if (extra) {
            ds_put_format(&ds, ",%s", extra);
        }
        if (svc->n_ports) {
            ds_put_format(&ds, ",tp_dst=%"PRIu16, svc->ports[i]);
        }
        ds_put_format(&ds, ",actions=group:%"PRIu32,
                      pipeline_group_id(svc->id, kind));
        svec_add_nocopy(flows, ds_steal_cstr(&ds));
    }
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

    if (service_has_label_key(svc)) {
        /* RFC 7098 section 3: a zero label says nothing about the flow, so
         * such packets fall back to the 5-tuple. */
        put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP_ZERO_LABEL,
                      "ipv6_label=0", PIPELINE_GROUP_5TUPLE);
        put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP, NULL,
                      PIPELINE_GROUP_LABEL);
        put_group(&out->groups, svc, PIPELINE_GROUP_LABEL);
    } else {
        put_vip_flows(&out->flows, svc, PIPELINE_PRIO_VIP, NULL,
                      PIPELINE_GROUP_5TUPLE);
    }
    put_group(&out->groups, svc, PIPELINE_GROUP_5TUPLE);
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
