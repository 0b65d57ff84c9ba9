/*
 * sync: compiler output to switches, as differences in bundles.  See
 * sync.h.
 *
 * Flows and groups are compared in a canonical text form: the compiler's
 * lines and what a switch reports both go through libopenvswitch's decoders
 * and formatters (match_format, ofpacts_format, ofputil_group_mod_format__),
 * so two spellings of the same flow compare equal.  A flow's identity on a
 * switch is its table, priority and match; its value is its cookie and
 * actions.  A group's identity is its id.
 *
 * Per switch, sync keeps a mirror of what the switch holds under flowlbd's
 * cookies and group ids.  The mirror is filled by a dump when the switch
 * connects and updated only when a bundle commits, so it is never ahead of
 * the switch.  The compiled form of each service is cached by the service's
 * generation, so a change to one service recompiles only that service.
 */
#include <config.h>
#include "flowlb/sync.h"

#include <errno.h>
#include <string.h>
#include <event2/event.h>
#include "flowlb/balance.h"
#include "flowlb/compiler.h"
#include "flowlb/counters.h"
#include "flowlb/lb.h"
#include "flowlb/ofconn.h"
#include "flowlb/ofmsg.h"
#include "flowlb/pipeline.h"
#include "flowlb/switch.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "packets.h"
#include "openvswitch/ofp-actions.h"
#include "byte-order.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-ct.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-meter.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(sync);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* How long to wait before re-reading a switch after a failed bundle. */
#define RETRY_MS 1000

/* A flow, desired or installed. */
struct sync_flow {
    struct hmap_node node;      /* By hash of 'identity'. */
    char *identity;             /* "table=N,priority=N,MATCH", canonical. */
    char *value;                /* "cookie=0x...,actions=...", canonical. */
    uint64_t cookie;
    uint8_t table_id;
    uint16_t priority;
    struct minimatch match;
    char *text;                 /* Compiler line (desired only), or NULL. */
};

/* A group, desired or installed. */
struct sync_group {
    struct hmap_node node;      /* By hash of 'group_id'. */
    uint32_t group_id;
    char *value;                /* Canonical group description. */
    char *text;                 /* Compiler line (desired only), or NULL. */
    uint32_t *bucket_ids;       /* In bucket order, for statistics. */
    size_t n_buckets;
};

/* One service's compiled form, canonicalized, or the base flows (id 0). */
struct sync_cache {
    struct hmap_node node;      /* In sync's 'cache', by service id. */
    uint32_t service_id;
    uint64_t generation;
    struct sync_flow **flows;
    size_t n_flows;
    struct sync_group **groups;
    size_t n_groups;
    bool seen;                  /* Scratch for sync_refresh_cache(). */
};

#define SYNC_STATES                                                     \
    SYNC_STATE(DOWN, "disconnected")    /* No connection. */            \
    SYNC_STATE(UNSUPPORTED, "unsupported") /* OpenFlow < 1.5. */        \
    SYNC_STATE(READING, "reading")      /* Dumping flows and groups. */ \
    SYNC_STATE(IDLE, "idle")            /* Mirror valid, no bundle. */  \
    SYNC_STATE(COMMITTING, "committing") /* A bundle is in flight. */  \
    SYNC_STATE(FAILED, "failed")        /* Waiting to re-read. */

enum sync_state {
#define SYNC_STATE(ENUM, NAME) SYNC_##ENUM,
    SYNC_STATES
#undef SYNC_STATE
};

static const char *
sync_state_name(enum sync_state state)
{
    switch (state) {
#define SYNC_STATE(ENUM, NAME) case SYNC_##ENUM: return NAME;
        SYNC_STATES
#undef SYNC_STATE
    }
    return "unknown";
}

/* A change in flight in a bundle, applied to the mirror on commit. */
struct sync_change {
    bool is_group;
    bool is_delete;
    const char *key;            /* Flow identity, for deletes. */
    uint32_t group_id;          /* For group deletes. */
    struct sync_flow *flow;     /* Copy of the desired flow, for adds. */
    struct sync_group *group;   /* Copy of the desired group, for adds. */
};

/* Last counters seen per (group, bucket), to turn them into deltas. */
struct sync_bucket_stats {
    struct hmap_node node;
    uint32_t group_id;
    uint32_t bucket_id;
    uint64_t packets;
    uint64_t bytes;
};

/* Last counters seen per counted flow (fragment flows, the label-change
 * drop flow, stateful members' forward flows), to turn them into deltas.
 * A flow that a bundle replaces starts again from zero, which shows as a
 * counter smaller than the last one. */
struct sync_flow_counter {
    struct hmap_node node;
    uint64_t cookie;
    uint32_t member_id;         /* reg0 of a forward flow, else 0. */
    uint16_t priority;
    uint8_t table_id;
    uint64_t packets;
    uint64_t bytes;
};

/* Stick entries counted on one switch for one member, so that a new count
 * replaces this switch's share of the member's total. */
struct sync_stick_count {
    struct hmap_node node;
    uint32_t service_id;
    uint32_t member_id;
    uint64_t n;
};

/* An aggregate statistics request in flight. */
struct sync_stick_request {
    ovs_be32 xid;
    uint32_t service_id;
    uint32_t member_id;
};

struct sync_switch {
    struct hmap_node node;      /* In sync's 'switches', by dpid. */
    struct sync *sync;
    uint64_t dpid;
    struct ofconn *ofconn;      /* NULL while down. */
    enum ofp_version version;
    enum sync_state state;

    struct hmap flows;          /* Installed "struct sync_flow"s. */
    struct hmap groups;         /* Installed "struct sync_group"s. */

    /* READING. */
    ovs_be32 flows_xid, groups_xid, config_xid;
    bool flows_done, groups_done;

    /* COMMITTING. */
    uint32_t bundle_id;
    ovs_be32 first_xid, commit_xid, barrier_xid;
    struct sync_change *changes;
    size_t n_changes;
    uint64_t target_generation;
    long long int commit_started;   /* Monotonic ms. */

    uint64_t synced_generation; /* Model generation the switch matches. */
    long long int last_sync;    /* Wall clock ms of the last commit. */
    long long int last_sync_ms; /* How long it took, first message to
                                 * barrier reply. */
    char *last_error;
    unsigned int n_bundles, n_failures, n_audits, n_frag_repairs;
    unsigned long long int n_flow_mods, n_group_mods;

    struct event *retry_timer;
    ovs_be32 stats_xid;
    struct hmap bucket_stats;   /* Contains "struct sync_bucket_stats". */

    /* Flow statistics of the counted flows, one request per table. */
    ovs_be32 counters_first_xid, counters_last_xid;
    struct hmap flow_counters;  /* Contains "struct sync_flow_counter". */

    /* Stick entries per member: the requests of the last round, answered
     * in order, and this switch's counts. */
    struct sync_stick_request *stick_requests;
    size_t n_stick_requests, next_stick_reply, allocated_stick_requests;
    struct hmap stick_counts;   /* Contains "struct sync_stick_count". */

    /* Meters (see "Meters" below). */
    struct hmap meters;         /* Installed "struct sync_meter"s. */
    ovs_be32 meters_xid;        /* READING: the meter configuration. */
    bool meters_done;
    struct sync_meter_mod *meter_mods;  /* Sent since the last run. */
    size_t n_meter_mods;
    unsigned long long int n_meter_mods_sent;
    unsigned int n_meter_failures;
};

struct sync {
    struct event_base *base;
    struct lb_model *model;
    struct compiler_options opts;
    struct hmap switches;       /* Contains "struct sync_switch"es. */
    struct hmap cache;          /* Contains "struct sync_cache"s. */
    struct event *run_event;    /* Deferred pass over all switches. */
    struct event *stats_timer;
    int stats_interval;
    struct balance *balance;    /* Datapath-fast algorithm weights. */
    struct hmap nat_members;    /* Contains "struct sync_nat_member"s. */
    unsigned int nat_pass;      /* Number of the last pass over them. */
    struct event *audit_timer;  /* Re-reads every switch now and then. */

    /* Told the member MACs found in installed buckets. */
    void (*bucket_mac)(const struct in6_addr *, struct eth_addr, void *aux);
    void *bucket_mac_aux;
};

/* A member of a NAT service as the last pass over the model saw it: when
 * it stops holding sessions (down, disabled, deleted) its conntrack
 * entries are flushed on every switch, so that its clients' next packets
 * start new sessions elsewhere (LSNAT section 6). */
struct sync_nat_member {
    struct hmap_node node;      /* In sync's 'nat_members'. */
    uint32_t service_id;
    uint32_t member_id;
    struct in6_addr address;
    uint16_t zone;
    bool napt;
    uint64_t cookie;            /* Its session flows' cookie. */
    unsigned int pass;
};

static void sync_run_cb(evutil_socket_t, short, void *sync_);
static void sync_stats_cb(evutil_socket_t, short, void *sync_);
static void sync_retry_cb(evutil_socket_t, short, void *sw_);
static void sync_audit_cb(evutil_socket_t, short, void *sync_);
static void sync_switch_read(struct sync_switch *);
static void sync_meters_read(struct sync_switch *);
static void sync_meters_reset(struct sync_switch *);
static void sync_meters_add(struct sync_switch *);
static void sync_meters_delete(struct sync_switch *);
static void sync_handle_meter_config(struct sync_switch *,
                                     const struct ofp_header *);
static bool sync_meter_error(struct sync_switch *, const struct ofp_header *);

/* Flows and groups. */

static void
sync_flow_destroy(struct sync_flow *flow)
{
    if (flow) {
        free(flow->identity);
        free(flow->value);
        free(flow->text);
        minimatch_destroy(&flow->match);
        free(flow);
    }
}

static struct sync_flow *
sync_flow_clone(const struct sync_flow *src)
{
    struct sync_flow *flow = xzalloc(sizeof *flow);
    flow->identity = xstrdup(src->identity);
    flow->value = xstrdup(src->value);
    flow->cookie = src->cookie;
    flow->table_id = src->table_id;
    flow->priority = src->priority;
    minimatch_clone(&flow->match, &src->match);
    flow->text = nullable_xstrdup(src->text);
    return flow;
}

/* Creates a flow from its parts, formatting its identity and value. */
static struct sync_flow *
sync_flow_create(const struct match *match, uint16_t priority,
                 uint8_t table_id, uint64_t cookie,
                 const struct ofpact *ofpacts, size_t ofpacts_len)
{
    struct sync_flow *flow = xzalloc(sizeof *flow);
    struct ds ds = DS_EMPTY_INITIALIZER;

    ds_put_format(&ds, "table=%"PRIu8",", table_id);
    match_format(match, NULL, &ds, priority);
    flow->identity = ds_steal_cstr(&ds);

    ds_put_format(&ds, "cookie=%#"PRIx64",actions=", cookie);
    struct ofpact_format_params fp = { .s = &ds };
    ofpacts_format(ofpacts, ofpacts_len, &fp);
    flow->value = ds_steal_cstr(&ds);

    flow->cookie = cookie;
    flow->table_id = table_id;
    flow->priority = priority;
    minimatch_init(&flow->match, match);
    return flow;
}

static struct sync_flow *
sync_flow_find(const struct hmap *flows, const char *identity)
{
    struct sync_flow *flow;
    HMAP_FOR_EACH_WITH_HASH (flow, node, hash_string(identity, 0), flows) {
        if (!strcmp(flow->identity, identity)) {
            return flow;
        }
    }
    return NULL;
}

static void
sync_flows_clear(struct hmap *flows)
{
    struct sync_flow *flow;
    HMAP_FOR_EACH_POP (flow, node, flows) {
        sync_flow_destroy(flow);
    }
}

static void
sync_group_destroy(struct sync_group *group)
{
    if (group) {
        free(group->value);
        free(group->text);
        free(group->bucket_ids);
        free(group);
    }
}

static struct sync_group *
sync_group_clone(const struct sync_group *src)
{
    struct sync_group *group = xzalloc(sizeof *group);
    group->group_id = src->group_id;
    group->value = xstrdup(src->value);
    group->text = nullable_xstrdup(src->text);
    group->n_buckets = src->n_buckets;
    group->bucket_ids = xmemdup(src->bucket_ids,
                                MAX(src->n_buckets, 1)
                                * sizeof *src->bucket_ids);
    return group;
}

/* Creates a group from a group description, formatting its value. */
static struct sync_group *
sync_group_create(uint32_t group_id, uint8_t type,
                  const struct ovs_list *buckets,
                  const struct ofputil_group_props *props)
{
    struct sync_group *group = xzalloc(sizeof *group);
    struct ofputil_group_mod gm = {
        .command = OFPGC11_ADD,
        .type = type,
        .group_id = group_id,
    };
    struct ds ds = DS_EMPTY_INITIALIZER;

    /* Borrow the buckets and properties for formatting. */
    ovs_list_init(&gm.buckets);
    if (!ovs_list_is_empty(buckets)) {
        ovs_list_splice(&gm.buckets, ovs_list_front(buckets),
                        CONST_CAST(struct ovs_list *, buckets));
    }
    gm.props = *props;
    ofputil_group_mod_format__(&ds, OFP15_VERSION, &gm, NULL, NULL);
    if (!ovs_list_is_empty(&gm.buckets)) {
        ovs_list_splice(CONST_CAST(struct ovs_list *, buckets),
                        ovs_list_front(&gm.buckets), &gm.buckets);
    }

    group->group_id = group_id;
    group->value = ds_steal_cstr(&ds);

    const struct ofputil_bucket *bucket;
    group->n_buckets = ovs_list_size(buckets);
    group->bucket_ids = xmalloc(MAX(group->n_buckets, 1)
                                * sizeof *group->bucket_ids);
    size_t i = 0;
    LIST_FOR_EACH (bucket, list_node, buckets) {
        group->bucket_ids[i++] = bucket->bucket_id;
    }
    return group;
}

static struct sync_group *
sync_group_find(const struct hmap *groups, uint32_t group_id)
{
    struct sync_group *group;
    HMAP_FOR_EACH_WITH_HASH (group, node, hash_int(group_id, 0), groups) {
        if (group->group_id == group_id) {
            return group;
        }
    }
    return NULL;
}

static void
sync_groups_clear(struct hmap *groups)
{
    struct sync_group *group;
    HMAP_FOR_EACH_POP (group, node, groups) {
        sync_group_destroy(group);
    }
}

/* Is 'group_id' in the range of ids flowlbd owns (pipeline.h)? */
static bool
group_is_ours(uint32_t group_id)
{
    unsigned int kind = group_id & 0xf;
    uint32_t service_id = group_id >> 4;
    return ((kind == PIPELINE_GROUP_LABEL || kind == PIPELINE_GROUP_5TUPLE
             || kind == PIPELINE_GROUP_FRAG)
            && service_id >= 1 && service_id <= LB_SERVICE_ID_MAX);
}

/* The compile cache. */

static void
sync_cache_destroy(struct sync_cache *c)
{
    if (c) {
        for (size_t i = 0; i < c->n_flows; i++) {
            sync_flow_destroy(c->flows[i]);
        }
        for (size_t i = 0; i < c->n_groups; i++) {
            sync_group_destroy(c->groups[i]);
        }
        free(c->flows);
        free(c->groups);
        free(c);
    }
}

/* Parses the compiler's lines in 'out' into canonical flows and groups in
 * 'c'.  A line that does not parse is a bug in the compiler: it is logged
 * and left out. */
static void
sync_cache_fill(struct sync_cache *c, const struct compiler_output *out)
{
    c->flows = xmalloc(MAX(out->flows.n, 1) * sizeof *c->flows);
    for (size_t i = 0; i < out->flows.n; i++) {
        const char *text = out->flows.names[i];
        struct ofputil_flow_mod fm;
        enum ofputil_protocol usable;
        char *error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL,
                                             OFPFC_ADD, &usable);
        if (error) {
            VLOG_ERR("compiler output \"%s\" does not parse: %s", text,
                     error);
            free(error);
            continue;
        }
        struct match match;
        minimatch_expand(&fm.match, &match);
        struct sync_flow *flow = sync_flow_create(
            &match, fm.priority, fm.table_id, ntohll(fm.new_cookie),
            fm.ofpacts, fm.ofpacts_len);
        flow->text = xstrdup(text);
        c->flows[c->n_flows++] = flow;
        minimatch_destroy(&fm.match);
        free(CONST_CAST(struct ofpact *, fm.ofpacts));
    }

    c->groups = xmalloc(MAX(out->groups.n, 1) * sizeof *c->groups);
    for (size_t i = 0; i < out->groups.n; i++) {
        const char *text = out->groups.names[i];
        struct ofputil_group_mod gm;
        enum ofputil_protocol usable;
        char *error = parse_ofp_group_mod_str(&gm, OFPGC11_ADD, text, NULL,
                                              NULL, &usable);
        if (error) {
            VLOG_ERR("compiler output \"%s\" does not parse: %s", text,
                     error);
            free(error);
            continue;
        }
        struct sync_group *group = sync_group_create(gm.group_id, gm.type,
                                                     &gm.buckets, &gm.props);
        group->text = xstrdup(text);
        c->groups[c->n_groups++] = group;
        ofputil_uninit_group_mod(&gm);
    }
}

static struct sync_cache *
sync_cache_find(const struct sync *sync, uint32_t service_id)
{
    struct sync_cache *c;
    HMAP_FOR_EACH_WITH_HASH (c, node, hash_int(service_id, 0),
                             &sync->cache) {
        if (c->service_id == service_id) {
            return c;
        }
    }
    return NULL;
}

/* Brings the cache up to date with the model: recompiles the services
 * whose generation changed and forgets deleted ones. */
static void
sync_refresh_cache(struct sync *sync)
{
    struct sync_cache *c;
    HMAP_FOR_EACH (c, node, &sync->cache) {
        c->seen = c->service_id == 0;
    }

    const struct lb_service *svc;
    HMAP_FOR_EACH (svc, node, &sync->model->services) {
        c = sync_cache_find(sync, svc->id);
        if (c && c->generation == svc->generation) {
            c->seen = true;
            continue;
        }
        if (c) {
            hmap_remove(&sync->cache, &c->node);
            sync_cache_destroy(c);
        }
        c = xzalloc(sizeof *c);
        c->service_id = svc->id;
        c->generation = svc->generation;
        c->seen = true;

        struct compiler_output out;
        compiler_output_init(&out);
        compiler_service(svc, &out);
        sync_cache_fill(c, &out);
        compiler_output_destroy(&out);
        hmap_insert(&sync->cache, &c->node, hash_int(svc->id, 0));
    }

    struct sync_cache *next;
    HMAP_FOR_EACH_SAFE (c, next, node, &sync->cache) {
        if (!c->seen) {
            hmap_remove(&sync->cache, &c->node);
            sync_cache_destroy(c);
        }
    }
}

static int
compare_cache(const void *a_, const void *b_)
{
    const struct sync_cache *const *a = a_;
    const struct sync_cache *const *b = b_;
    return ((*a)->service_id < (*b)->service_id ? -1
            : (*a)->service_id > (*b)->service_id);
}

/* Fills 'flows' and 'groups' with what switch 'dpid' should hold: the
 * entries are the cache's own, not copies.  Where two services want the
 * same flow identity, the lower service id's flow is kept. */
static void
sync_desired(const struct sync *sync, uint64_t dpid, struct hmap *flows,
             struct hmap *groups)
{
    size_t n = hmap_count(&sync->cache);
    const struct sync_cache **caches = xmalloc(MAX(n, 1) * sizeof *caches);
    const struct sync_cache *c;
    size_t i = 0;

    HMAP_FOR_EACH (c, node, &sync->cache) {
        if (c->service_id) {
            const struct lb_service *svc;
            svc = lb_service_find(sync->model, c->service_id);
            if (!svc || !compiler_service_on_switch(svc, dpid)) {
                continue;
            }
        }
        caches[i++] = c;
    }
    n = i;
    qsort(caches, n, sizeof *caches, compare_cache);

    for (i = 0; i < n; i++) {
        c = caches[i];
        for (size_t j = 0; j < c->n_flows; j++) {
            struct sync_flow *flow = c->flows[j];
            if (!sync_flow_find(flows, flow->identity)) {
                hmap_insert(flows, &flow->node,
                            hash_string(flow->identity, 0));
            }
        }
        for (size_t j = 0; j < c->n_groups; j++) {
            struct sync_group *group = c->groups[j];
            hmap_insert(groups, &group->node, hash_int(group->group_id, 0));
        }
    }
    free(caches);
}

/* Switches. */

static struct sync_switch *
sync_switch_find(const struct sync *sync, uint64_t dpid)
{
    struct sync_switch *sw;
    HMAP_FOR_EACH_WITH_HASH (sw, node, hash_uint64(dpid), &sync->switches) {
        if (sw->dpid == dpid) {
            return sw;
        }
    }
    return NULL;
}

static void
sync_changes_clear(struct sync_switch *sw)
{
    for (size_t i = 0; i < sw->n_changes; i++) {
        sync_flow_destroy(sw->changes[i].flow);
        sync_group_destroy(sw->changes[i].group);
        free(CONST_CAST(char *, sw->changes[i].key));
    }
    free(sw->changes);
    sw->changes = NULL;
    sw->n_changes = 0;
}

static void
sync_bucket_stats_clear(struct sync_switch *sw)
{
    struct sync_bucket_stats *bs;
    HMAP_FOR_EACH_POP (bs, node, &sw->bucket_stats) {
        free(bs);
    }
}

static struct sync_stick_count *
stick_count_find(const struct sync_switch *sw, uint32_t service_id,
                 uint32_t member_id)
{
    struct sync_stick_count *sc;
    HMAP_FOR_EACH_WITH_HASH (sc, node, hash_2words(service_id, member_id),
                             &sw->stick_counts) {
        if (sc->service_id == service_id && sc->member_id == member_id) {
            return sc;
        }
    }
    return NULL;
}

/* Sets this switch's share of the stick entries of 'service_id''s member
 * 'member_id' to 'n'. */
static void
stick_count_set(struct sync_switch *sw, uint32_t service_id,
                uint32_t member_id, uint64_t n)
{
    struct sync_stick_count *sc = stick_count_find(sw, service_id,
                                                   member_id);
    if (!sc) {
        sc = xzalloc(sizeof *sc);
        sc->service_id = service_id;
        sc->member_id = member_id;
        hmap_insert(&sw->stick_counts, &sc->node,
                    hash_2words(service_id, member_id));
    }

    struct lb_service *svc = lb_service_find(sw->sync->model, service_id);
    struct lb_member *m = svc ? lb_member_find(svc, member_id) : NULL;
    if (m) {
        m->n_stick_entries = (m->n_stick_entries >= sc->n
                              ? m->n_stick_entries - sc->n : 0) + n;
    }
    sc->n = n;
}

/* Forgets 'sw''s statistics state; its stick entries no longer count. */
static void
sync_switch_stats_clear(struct sync_switch *sw)
{
    sync_bucket_stats_clear(sw);

    struct sync_flow_counter *fc;
    HMAP_FOR_EACH_POP (fc, node, &sw->flow_counters) {
        free(fc);
    }

    struct sync_stick_count *sc, *next;
    HMAP_FOR_EACH_SAFE (sc, next, node, &sw->stick_counts) {
        stick_count_set(sw, sc->service_id, sc->member_id, 0);
        hmap_remove(&sw->stick_counts, &sc->node);
        free(sc);
    }
    free(sw->stick_requests);
    sw->stick_requests = NULL;
    sw->n_stick_requests = sw->next_stick_reply = 0;
    sw->allocated_stick_requests = 0;
    sw->counters_first_xid = sw->counters_last_xid = 0;
}

/* Forgets what 'sw' holds, as when its connection is gone. */
static void
sync_switch_reset(struct sync_switch *sw)
{
    sync_flows_clear(&sw->flows);
    sync_groups_clear(&sw->groups);
    sync_changes_clear(sw);
    sync_switch_stats_clear(sw);
    sync_meters_reset(sw);
    evtimer_del(sw->retry_timer);
    sw->synced_generation = 0;
    sw->stats_xid = 0;
}

struct sync *
sync_create(struct event_base *base, struct lb_model *model,
            const struct compiler_options *opts, int stats_interval_ms,
            int audit_interval_ms,
            void (*bucket_mac)(const struct in6_addr *, struct eth_addr,
                               void *aux),
            void *bucket_mac_aux)
{
    struct sync *sync = xzalloc(sizeof *sync);
    sync->balance = balance_create();
    hmap_init(&sync->nat_members);
    sync->bucket_mac = bucket_mac;
    sync->bucket_mac_aux = bucket_mac_aux;
    sync->base = base;
    sync->model = model;
    sync->opts = *opts;
    hmap_init(&sync->switches);
    hmap_init(&sync->cache);
    sync->run_event = event_new(base, -1, 0, sync_run_cb, sync);
    sync->stats_interval = stats_interval_ms;
    sync->stats_timer = event_new(base, -1, EV_PERSIST, sync_stats_cb, sync);
    if (stats_interval_ms > 0) {
        struct timeval tv = { .tv_sec = stats_interval_ms / 1000,
                              .tv_usec = stats_interval_ms % 1000 * 1000 };
        event_add(sync->stats_timer, &tv);
    }

    sync->audit_timer = event_new(base, -1, EV_PERSIST, sync_audit_cb, sync);
    if (audit_interval_ms > 0) {
        struct timeval tv = { .tv_sec = audit_interval_ms / 1000,
                              .tv_usec = audit_interval_ms % 1000 * 1000 };
        event_add(sync->audit_timer, &tv);
    }

    /* The base flows depend only on the options and the virtual MAC, which
     * do not change while flowlbd runs. */
    struct sync_cache *c = xzalloc(sizeof *c);
    struct compiler_output out;
    compiler_output_init(&out);
    compiler_base(model, opts, &out);
    sync_cache_fill(c, &out);
    compiler_output_destroy(&out);
    hmap_insert(&sync->cache, &c->node, hash_int(0, 0));
    return sync;
}

void
sync_destroy(struct sync *sync)
{
    if (sync) {
        struct sync_switch *sw;
        HMAP_FOR_EACH_POP (sw, node, &sync->switches) {
            sync_switch_reset(sw);
            hmap_destroy(&sw->flows);
            hmap_destroy(&sw->groups);
            hmap_destroy(&sw->bucket_stats);
            hmap_destroy(&sw->flow_counters);
            hmap_destroy(&sw->stick_counts);
            hmap_destroy(&sw->meters);
            event_free(sw->retry_timer);
            free(sw->last_error);
            free(sw);
        }
        hmap_destroy(&sync->switches);

        struct sync_cache *c;
        HMAP_FOR_EACH_POP (c, node, &sync->cache) {
            sync_cache_destroy(c);
        }
        hmap_destroy(&sync->cache);
        event_free(sync->run_event);
        event_free(sync->stats_timer);
        event_free(sync->audit_timer);
        balance_destroy(sync->balance);
        struct sync_nat_member *nm;
        HMAP_FOR_EACH_POP (nm, node, &sync->nat_members) {
            free(nm);
        }
        hmap_destroy(&sync->nat_members);
        free(sync);
    }
}

static ovs_be32
msg_xid(const struct ofpbuf *msg)
{
    return ((const struct ofp_header *) msg->data)->xid;
}

static void
sync_set_error(struct sync_switch *sw, char *error)
{
    free(sw->last_error);
    sw->last_error = error;
}

/* Starts reading what 'sw' holds: flows under flowlbd's cookies, in every
 * table, and all groups (those outside flowlbd's range are ignored). */
static void
sync_switch_read(struct sync_switch *sw)
{
    sync_flows_clear(&sw->flows);
    sync_groups_clear(&sw->groups);
    sync_changes_clear(sw);
    sw->state = SYNC_READING;
    sw->flows_done = sw->groups_done = false;

    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(FLOWLB_COOKIE_BASE),
        .cookie_mask = htonll(FLOWLB_COOKIE_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    match_init_catchall(&fsr.match);
    struct ofpbuf *msg = ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(sw->version));
    sw->flows_xid = msg_xid(msg);
    ofconn_send(sw->ofconn, msg);

    msg = ofputil_encode_group_desc_request(sw->version, OFPG_ALL);
    sw->groups_xid = msg_xid(msg);
    ofconn_send(sw->ofconn, msg);

    /* The fragment handling too (sync_check_config()). */
    msg = ofpraw_alloc(OFPRAW_OFPT_GET_CONFIG_REQUEST, sw->version, 0);
    sw->config_xid = msg_xid(msg);
    ofconn_send(sw->ofconn, msg);

    sync_meters_read(sw);
}

/* The fragment flows assume the bridge's fragment handling is "normal"
 * (docs/pipeline.md), which the connection sets when it comes up.  It is
 * the bridge's, not the connection's, so "ovs-ofctl set-frags" or another
 * controller can change it; every read of the switch checks it and puts it
 * back. */
static void
sync_check_config(struct sync_switch *sw, const struct ofp_header *oh)
{
    struct ofputil_switch_config config;
    ofputil_decode_get_config_reply(oh, &config);
    if (config.frag != OFPUTIL_FRAG_NORMAL) {
        VLOG_WARN("%016"PRIx64": fragment handling was %s, setting it back "
                  "to normal", sw->dpid,
                  ofputil_frag_handling_to_string(config.frag));
        config.frag = OFPUTIL_FRAG_NORMAL;
        ofconn_send(sw->ofconn,
                    ofputil_encode_set_config(&config, sw->version));
        sw->n_frag_repairs++;
    }
}

void
sync_switch_up(struct sync *sync, uint64_t dpid, struct ofconn *ofconn)
{
    struct sync_switch *sw = sync_switch_find(sync, dpid);
    if (!sw) {
        sw = xzalloc(sizeof *sw);
        sw->sync = sync;
        sw->dpid = dpid;
        hmap_init(&sw->flows);
        hmap_init(&sw->groups);
        hmap_init(&sw->bucket_stats);
        hmap_init(&sw->flow_counters);
        hmap_init(&sw->stick_counts);
        hmap_init(&sw->meters);
        sw->retry_timer = evtimer_new(sync->base, sync_retry_cb, sw);
        hmap_insert(&sync->switches, &sw->node, hash_uint64(dpid));
    }
    sync_switch_reset(sw);
    sw->ofconn = ofconn;
    sw->version = ofconn_get_version(ofconn);

    /* Hash selection groups need OpenFlow 1.5's group properties. */
    if (sw->version < OFP15_VERSION) {
        VLOG_WARN("%016"PRIx64": negotiated OpenFlow %s; flowlbd needs "
                  "OpenFlow 1.5 to install services (enable it with "
                  "ovs-vsctl set bridge BR protocols=OpenFlow15)", dpid,
                  ofputil_version_to_string(sw->version));
        sw->state = SYNC_UNSUPPORTED;
        sync_set_error(sw, xstrdup("OpenFlow 1.5 needed"));
        return;
    }
    sync_switch_read(sw);
}

void
sync_switch_down(struct sync *sync, uint64_t dpid)
{
    struct sync_switch *sw = sync_switch_find(sync, dpid);
    if (sw) {
        sync_switch_reset(sw);
        sw->ofconn = NULL;
        sw->state = SYNC_DOWN;
    }
}

void
sync_model_changed(struct sync *sync)
{
    event_active(sync->run_event, EV_TIMEOUT, 1);
}

/* Encodes 'text', a compiler flow line, as a flow_mod for 'sw'. */
static struct ofpbuf *
encode_flow_add(const struct sync_switch *sw, const char *text)
{
    struct ofputil_flow_mod fm;
    enum ofputil_protocol usable;
    char *error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL, OFPFC_ADD,
                                         &usable);
    ovs_assert(!error);         /* It parsed when it was cached. */
    struct ofpbuf *msg = ofputil_encode_flow_mod(
        &fm, ofputil_protocol_from_ofp_version(sw->version));
    minimatch_destroy(&fm.match);
    free(CONST_CAST(struct ofpact *, fm.ofpacts));
    return msg;
}

static struct ofpbuf *
encode_flow_delete(const struct sync_switch *sw, const struct sync_flow *flow)
{
    struct ofputil_flow_mod fm = {
        .priority = flow->priority,
        .cookie = htonll(flow->cookie),
        .cookie_mask = OVS_BE64_MAX,
        .table_id = flow->table_id,
        .command = OFPFC_DELETE_STRICT,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
    };
    minimatch_clone(&fm.match, &flow->match);
    struct ofpbuf *msg = ofputil_encode_flow_mod(
        &fm, ofputil_protocol_from_ofp_version(sw->version));
    minimatch_destroy(&fm.match);
    return msg;
}

static struct ofpbuf *
encode_group(const struct sync_switch *sw, const char *text, int command)
{
    struct ofputil_group_mod gm;
    enum ofputil_protocol usable;
    char *error = parse_ofp_group_mod_str(&gm, command, text, NULL, NULL,
                                          &usable);
    ovs_assert(!error);
    struct ofpbuf *msg = ofputil_encode_group_mod(sw->version, &gm, NULL,
                                                  false);
    ofputil_uninit_group_mod(&gm);
    return msg;
}

static struct ofpbuf *
encode_group_delete(const struct sync_switch *sw, uint32_t group_id)
{
    struct ofputil_group_mod gm = {
        .command = OFPGC11_DELETE,
        .group_id = group_id,
        .command_bucket_id = OFPG15_BUCKET_ALL,
    };
    ovs_list_init(&gm.buckets);
    return ofputil_encode_group_mod(sw->version, &gm, NULL, false);
}

/* Messages of one bundle, collected before sending. */
struct sync_batch {
    struct ofpbuf **msgs;
    size_t n, allocated;
};

static void
batch_add(struct sync_batch *b, struct sync_switch *sw,
          struct ofpbuf *msg, struct sync_change change)
{
    if (b->n >= b->allocated) {
        b->msgs = x2nrealloc(b->msgs, &b->allocated, sizeof *b->msgs);
    }
    b->msgs[b->n++] = msg;
    sw->changes = xrealloc(sw->changes,
                           (sw->n_changes + 1) * sizeof *sw->changes);
    sw->changes[sw->n_changes++] = change;
}

/* Compares what 'sw' holds with what it should hold and, if they differ,
 * sends the difference as one atomic bundle.  Order inside the bundle:
 * groups that flows will point to first, flows next, then deletions of
 * flows and last of the groups they pointed to. */
static void
sync_switch_run(struct sync_switch *sw)
{
    struct sync *sync = sw->sync;
    struct hmap flows = HMAP_INITIALIZER(&flows);
    struct hmap groups = HMAP_INITIALIZER(&groups);
    struct sync_batch b = { NULL, 0, 0 };

    sync_desired(sync, sw->dpid, &flows, &groups);
    sync_meters_add(sw);

    struct sync_group *group;
    HMAP_FOR_EACH (group, node, &groups) {
        struct sync_group *have = sync_group_find(&sw->groups,
                                                  group->group_id);
        if (!have || strcmp(have->value, group->value)) {
            int command = have ? OFPGC11_MODIFY : OFPGC11_ADD;
            batch_add(&b, sw, encode_group(sw, group->text, command),
                      (struct sync_change) {
                          .is_group = true,
                          .group = sync_group_clone(group) });
            sw->n_group_mods++;
        }
    }

    struct sync_flow *flow;
    HMAP_FOR_EACH (flow, node, &flows) {
        struct sync_flow *have = sync_flow_find(&sw->flows, flow->identity);
        if (!have || strcmp(have->value, flow->value)) {
            batch_add(&b, sw, encode_flow_add(sw, flow->text),
                      (struct sync_change) {
                          .flow = sync_flow_clone(flow) });
            sw->n_flow_mods++;
        }
    }

    HMAP_FOR_EACH (flow, node, &sw->flows) {
        if (!sync_flow_find(&flows, flow->identity)) {
            batch_add(&b, sw, encode_flow_delete(sw, flow),
                      (struct sync_change) {
                          .is_delete = true,
                          .key = xstrdup(flow->identity) });
            sw->n_flow_mods++;
        }
    }

    HMAP_FOR_EACH (group, node, &sw->groups) {
        if (!sync_group_find(&groups, group->group_id)) {
            batch_add(&b, sw, encode_group_delete(sw, group->group_id),
                      (struct sync_change) {
                          .is_group = true, .is_delete = true,
                          .group_id = group->group_id });
            sw->n_group_mods++;
        }
    }

    /* The desired maps borrowed the cache's entries. */
    hmap_destroy(&flows);
    hmap_destroy(&groups);

    if (!b.n) {
        sw->synced_generation = sync->model->generation;
        sync_meters_delete(sw);
        return;
    }

    sw->target_generation = sync->model->generation;
    sw->bundle_id++;
    sw->commit_started = time_msec();
    sw->state = SYNC_COMMITTING;

    struct ofputil_bundle_ctrl_msg bc = {
        .bundle_id = sw->bundle_id,
        .type = OFPBCT_OPEN_REQUEST,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_ctrl_request(sw->version,
                                                            &bc);
    sw->first_xid = msg_xid(msg);
    ofconn_send(sw->ofconn, msg);

    for (size_t i = 0; i < b.n; i++) {
        struct ofputil_bundle_add_msg bam = {
            .bundle_id = sw->bundle_id,
            .flags = bc.flags,
            .msg = b.msgs[i]->data,
        };
        ofconn_send(sw->ofconn, ofputil_encode_bundle_add(sw->version,
                                                          &bam));
        ofpbuf_delete(b.msgs[i]);
    }
    free(b.msgs);

    bc.type = OFPBCT_COMMIT_REQUEST;
    msg = ofputil_encode_bundle_ctrl_request(sw->version, &bc);
    sw->commit_xid = msg_xid(msg);
    ofconn_send(sw->ofconn, msg);

    msg = ofputil_encode_barrier_request(sw->version);
    sw->barrier_xid = msg_xid(msg);
    ofconn_send(sw->ofconn, msg);

    COUNTER_INC(sync_bundles);
    VLOG_DBG("%016"PRIx64": bundle %"PRIu32" with %"PRIuSIZE" changes",
             sw->dpid, sw->bundle_id, sw->n_changes);
}

/* Sends every connected switch a conntrack flush of 'nm''s sessions (the
 * entries whose reply comes from its address, in the service's zone and,
 * for NAPT, its source zone) and deletes its session flows. */
static void
sync_flush_member(struct sync *sync, const struct sync_nat_member *nm)
{
    char addr[LB_ADDR_STRLEN];
    struct sync_switch *sw;

    lb_format_address(&nm->address, addr);
    VLOG_INFO("service %"PRIu32" member %"PRIu32" (%s) holds no sessions "
              "any more: flushing its conntrack entries in zone %"PRIu16,
              nm->service_id, nm->member_id, addr, nm->zone);
    HMAP_FOR_EACH (sw, node, &sync->switches) {
        if (!sw->ofconn || sw->state == SYNC_DOWN
            || sw->state == SYNC_UNSUPPORTED) {
            continue;
        }
        for (int i = 0; i < 1 + nm->napt; i++) {
            struct ofp_ct_match match;
            memset(&match, 0, sizeof match);
            match.l3_type = (IN6_IS_ADDR_V4MAPPED(&nm->address)
                             ? AF_INET : AF_INET6);
            match.tuple_reply.src = nm->address;
            uint16_t zone = nm->zone + (i ? LB_CT_ZONE_SNAT : 0);
            ofconn_send(sw->ofconn,
                        ofp_ct_match_encode(&match, &zone, sw->version));
        }

        struct ofputil_flow_mod fm = {
            .command = OFPFC_DELETE,
            .table_id = PIPELINE_TABLE_SESSIONS,
            .cookie = htonll(nm->cookie),
            .cookie_mask = OVS_BE64_MAX,
            .out_port = OFPP_ANY,
            .out_group = OFPG_ANY,
        };
        struct match catchall;
        match_init_catchall(&catchall);
        minimatch_init(&fm.match, &catchall);
        ofconn_send(sw->ofconn, ofputil_encode_flow_mod(
                        &fm, ofputil_protocol_from_ofp_version(sw->version)));
        minimatch_destroy(&fm.match);
    }
}

/* Compares the NAT services' members with the last pass and flushes the
 * sessions of those that stopped holding any. */
static void
sync_check_nat_members(struct sync *sync)
{
    const struct lb_service *svc;

    sync->nat_pass++;
    HMAP_FOR_EACH (svc, node, &sync->model->services) {
        if (!lb_service_is_nat(svc)) {
            continue;
        }
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            if (m->state == LB_MEMBER_DISABLED
                || m->health == LB_HEALTH_DOWN) {
                continue;       /* Holds none: flushed if it did. */
            }
            uint32_t hash = hash_2words(svc->id, m->id);
            struct sync_nat_member *nm;
            HMAP_FOR_EACH_WITH_HASH (nm, node, hash, &sync->nat_members) {
                if (nm->service_id == svc->id && nm->member_id == m->id) {
                    break;
                }
            }
            if (!nm) {
                nm = xzalloc(sizeof *nm);
                nm->service_id = svc->id;
                nm->member_id = m->id;
                hmap_insert(&sync->nat_members, &nm->node, hash);
            }
            if (nm->pass && (!ipv6_addr_equals(&nm->address, &m->address)
                             || nm->zone != svc->ct_zone)) {
                sync_flush_member(sync, nm);
            }
            nm->address = m->address;
            nm->zone = svc->ct_zone;
            nm->napt = svc->forwarding == LB_FWD_NAPT;
            nm->cookie = lb_service_stick_cookie(svc, m->id);
            nm->pass = sync->nat_pass;
        }
    }

    struct sync_nat_member *nm, *next;
    HMAP_FOR_EACH_SAFE (nm, next, node, &sync->nat_members) {
        if (nm->pass != sync->nat_pass) {
            sync_flush_member(sync, nm);
            hmap_remove(&sync->nat_members, &nm->node);
            free(nm);
        }
    }
}

static void
sync_run_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
            void *sync_)
{
    struct sync *sync = sync_;
    struct sync_switch *sw;

    sync_refresh_cache(sync);
    HMAP_FOR_EACH (sw, node, &sync->switches) {
        if (sw->state == SYNC_IDLE
            && sw->synced_generation != sync->model->generation) {
            sync_switch_run(sw);
        }
    }

    /* After the new flows and groups, so that the flushed sessions' next
     * packets find the member gone from the group. */
    sync_check_nat_members(sync);
}

/* The bundle committed: the switch now holds what it was sent. */
static void
sync_commit_done(struct sync_switch *sw)
{
    for (size_t i = 0; i < sw->n_changes; i++) {
        struct sync_change *ch = &sw->changes[i];
        if (ch->is_group) {
            uint32_t id = ch->is_delete ? ch->group_id : ch->group->group_id;
            struct sync_group *old = sync_group_find(&sw->groups, id);
            if (old) {
                hmap_remove(&sw->groups, &old->node);
                sync_group_destroy(old);
            }
            /* A modified group starts counting from zero. */
            struct sync_bucket_stats *bs, *next;
            HMAP_FOR_EACH_SAFE (bs, next, node, &sw->bucket_stats) {
                if (bs->group_id == id) {
                    hmap_remove(&sw->bucket_stats, &bs->node);
                    free(bs);
                }
            }
            if (!ch->is_delete) {
                hmap_insert(&sw->groups, &ch->group->node, hash_int(id, 0));
                ch->group = NULL;
            }
        } else {
            const char *key = ch->is_delete ? ch->key : ch->flow->identity;
            struct sync_flow *old = sync_flow_find(&sw->flows, key);
            if (old) {
                hmap_remove(&sw->flows, &old->node);
                sync_flow_destroy(old);
            }
            if (!ch->is_delete) {
                hmap_insert(&sw->flows, &ch->flow->node,
                            hash_string(ch->flow->identity, 0));
                ch->flow = NULL;
            }
        }
    }
    sync_changes_clear(sw);
    sync_meters_delete(sw);
    sw->synced_generation = sw->target_generation;
    sw->last_sync = time_wall_msec();
    sw->n_bundles++;
    sync_set_error(sw, NULL);
    sw->state = SYNC_IDLE;
    sync_model_changed(sw->sync);
}

static void
sync_retry_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
              void *sw_)
{
    struct sync_switch *sw = sw_;
    if (sw->state == SYNC_FAILED && sw->ofconn) {
        sync_switch_read(sw);
    }
}

/* The bundle failed, so the switch holds what it held before.  Re-read it
 * a little later rather than retrying at once in a loop. */
static void
sync_commit_failed(struct sync_switch *sw, const char *why)
{
    VLOG_WARN_RL(&rl, "%016"PRIx64": bundle %"PRIu32" failed, switch "
                 "unchanged: %s", sw->dpid, sw->bundle_id, why);
    COUNTER_INC(sync_failures);
    sw->n_failures++;
    sync_set_error(sw, xasprintf("bundle failed: %s", why));
    sync_changes_clear(sw);
    sw->state = SYNC_FAILED;
    struct timeval tv = { .tv_sec = RETRY_MS / 1000,
                          .tv_usec = RETRY_MS % 1000 * 1000 };
    evtimer_add(sw->retry_timer, &tv);
}

/* Adds flow 'fs' of a dump to the mirror of switch 'sw_'. */
static void
sync_mirror_flow(const struct ofputil_flow_stats *fs, void *sw_)
{
    struct sync_switch *sw = sw_;
    struct sync_flow *flow = sync_flow_create(&fs->match, fs->priority,
                                              fs->table_id,
                                              ntohll(fs->cookie),
                                              fs->ofpacts, fs->ofpacts_len);
    if (sync_flow_find(&sw->flows, flow->identity)) {
        /* Cannot happen on one switch; keep the first. */
        sync_flow_destroy(flow);
    } else {
        hmap_insert(&sw->flows, &flow->node,
                    hash_string(flow->identity, 0));
    }
}

static void
sync_handle_flow_stats(struct sync_switch *sw, const struct ofp_header *oh)
{
    if (ofmsg_flow_stats_foreach(oh, sync_mirror_flow, sw)) {
        VLOG_WARN_RL(&rl, "%016"PRIx64": bad flow stats reply", sw->dpid);
    }
    if (!ofpmp_more(oh)) {
        sw->flows_done = true;
    }
}

/* The MACs in an installed group's buckets are the members' as flowlbd
 * last knew them.  Reporting them to the 'bucket_mac' hook (resolve, which
 * owns members' MACs) lets a restarted flowlbd compile the same buckets as
 * before instead of emptying the groups until the members answer its
 * solicitations. */
static void
sync_report_bucket_macs(struct sync_switch *sw, uint32_t group_id,
                        const struct ovs_list *buckets)
{
    struct sync *sync = sw->sync;
    const struct lb_service *svc = lb_service_find(sync->model,
                                                   group_id >> 4);
    if (!svc || !sync->bucket_mac) {
        return;
    }

    const struct ofputil_bucket *bucket;
    LIST_FOR_EACH (bucket, list_node, buckets) {
        const struct lb_member *m = lb_member_find(
            svc, compiler_bucket_member(bucket->bucket_id));
        if (!m || m->has_mac) {
            continue;
        }

        const struct ofpact *a;
        OFPACT_FOR_EACH (a, bucket->ofpacts, bucket->ofpacts_len) {
            if (a->type == OFPACT_SET_FIELD) {
                const struct ofpact_set_field *sf = ofpact_get_SET_FIELD(a);
                if (sf->field->id == MFF_ETH_DST) {
                    sync->bucket_mac(&m->address, sf->value->mac,
                                     sync->bucket_mac_aux);
                    break;
                }
            }
        }
    }
}

static void
sync_handle_group_desc(struct sync_switch *sw, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    for (;;) {
        struct ofputil_group_desc gd;
        int error = ofputil_decode_group_desc_reply(&gd, &b, sw->version);
        if (error) {
            if (error != EOF) {
                VLOG_WARN_RL(&rl, "%016"PRIx64": bad group description",
                             sw->dpid);
            }
            break;
        }
        if (group_is_ours(gd.group_id)
            && !sync_group_find(&sw->groups, gd.group_id)) {
            struct sync_group *group = sync_group_create(
                gd.group_id, gd.type, &gd.buckets, &gd.props);
            hmap_insert(&sw->groups, &group->node,
                        hash_int(group->group_id, 0));
            sync_report_bucket_macs(sw, gd.group_id, &gd.buckets);
        }
        ofputil_uninit_group_desc(&gd);
    }
    if (!ofpmp_more(oh)) {
        sw->groups_done = true;
    }
}

static struct sync_bucket_stats *
bucket_stats_get(struct sync_switch *sw, uint32_t group_id,
                 uint32_t bucket_id)
{
    uint32_t hash = hash_2words(group_id, bucket_id);
    struct sync_bucket_stats *bs;
    HMAP_FOR_EACH_WITH_HASH (bs, node, hash, &sw->bucket_stats) {
        if (bs->group_id == group_id && bs->bucket_id == bucket_id) {
            return bs;
        }
    }
    bs = xzalloc(sizeof *bs);
    bs->group_id = group_id;
    bs->bucket_id = bucket_id;
    hmap_insert(&sw->bucket_stats, &bs->node, hash);
    return bs;
}

/* Adds the bucket counters in a group stats reply to the members the
 * buckets belong to, as deltas from the last reply. */
static void
sync_handle_group_stats(struct sync_switch *sw, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    for (;;) {
        struct ofputil_group_stats gs;
        int error = ofputil_decode_group_stats_reply(&b, &gs);
        if (error) {
            break;
        }
        const struct sync_group *group = sync_group_find(&sw->groups,
                                                         gs.group_id);
        struct lb_service *svc = (group
                                  ? lb_service_find(sw->sync->model,
                                                    gs.group_id >> 4)
                                  : NULL);
        /* The buckets of stateful and NAT services see only the first
         * packet of each session: they count sessions started, and the
         * members' forward flows count every packet. */
        if (svc && (svc->persistence == LB_PERSIST_STATEFUL
                    || lb_service_is_nat(svc))
            && (gs.group_id & 0xf) != PIPELINE_GROUP_FRAG) {
            for (size_t i = 0; i < gs.n_buckets; i++) {
                uint32_t bucket_id = (i < group->n_buckets
                                      ? group->bucket_ids[i] : i);
                struct sync_bucket_stats *bs;
                bs = bucket_stats_get(sw, gs.group_id, bucket_id);
                const struct bucket_counter *bc = &gs.bucket_stats[i];
                svc->n_sessions_started += (bc->packet_count >= bs->packets
                                            ? bc->packet_count - bs->packets
                                            : bc->packet_count);
                bs->packets = bc->packet_count;
            }
        } else if (svc && gs.n_buckets == group->n_buckets) {
            for (size_t i = 0; i < gs.n_buckets; i++) {
                uint32_t bucket_id = group->bucket_ids[i];
                struct sync_bucket_stats *bs;
                bs = bucket_stats_get(sw, gs.group_id, bucket_id);

                const struct bucket_counter *bc = &gs.bucket_stats[i];
                uint64_t packets = (bc->packet_count >= bs->packets
                                    ? bc->packet_count - bs->packets
                                    : bc->packet_count);
                uint64_t bytes = (bc->byte_count >= bs->bytes
                                  ? bc->byte_count - bs->bytes
                                  : bc->byte_count);
                bs->packets = bc->packet_count;
                bs->bytes = bc->byte_count;

                struct lb_member *m = lb_member_find(
                    svc, compiler_bucket_member(bucket_id));
                if (m) {
                    m->n_packets += packets;
                    m->n_bytes += bytes;
                }
            }
        }
        free(gs.bucket_stats);
    }
}

/* Returns the counter of the flow with these keys, creating it at 0. */
static struct sync_flow_counter *
flow_counter_get(struct sync_switch *sw, uint8_t table_id, uint16_t priority,
                 uint64_t cookie, uint32_t member_id)
{
    uint32_t hash = hash_uint64_basis(cookie,
                                      hash_3words(table_id, priority,
                                                  member_id));
    struct sync_flow_counter *fc;
    HMAP_FOR_EACH_WITH_HASH (fc, node, hash, &sw->flow_counters) {
        if (fc->table_id == table_id && fc->priority == priority
            && fc->cookie == cookie && fc->member_id == member_id) {
            return fc;
        }
    }
    fc = xzalloc(sizeof *fc);
    fc->table_id = table_id;
    fc->priority = priority;
    fc->cookie = cookie;
    fc->member_id = member_id;
    hmap_insert(&sw->flow_counters, &fc->node, hash);
    return fc;
}

/* Adds the counters of flow 'fs' of a stats reply to the model, if it is
 * a flow that counts something (fragments, label-change drops, stateful
 * members' packets), as deltas from the last reply. */
static void
sync_count_flow(const struct ofputil_flow_stats *fs, void *sw_)
{
    struct sync_switch *sw = sw_;
    int64_t service_id = pipeline_cookie_service(ntohll(fs->cookie));
    struct lb_service *svc = (service_id > 0
                              ? lb_service_find(sw->sync->model, service_id)
                              : NULL);
    if (!svc) {
        return;
    }

    /* The key of a counter: the member's id, and for table 41's several
     * flows per member, which one (above the 16 bits of member ids). */
    uint32_t member_id = 0;
    if (fs->table_id == PIPELINE_TABLE_NAT_MEMBER
        && (fs->match.wc.masks.ct_mark & PIPELINE_CT_MARK_MEMBER_MASK)) {
        member_id = fs->match.flow.ct_mark & PIPELINE_CT_MARK_MEMBER_MASK;
        member_id |= (uint32_t) (fs->match.flow.nw_proto
                                 | ((fs->match.flow.ct_state & CS_REPLY_DIR)
                                    ? 0x100 : 0)) << 16;
    } else if (fs->table_id == PIPELINE_TABLE_NAPT_CHECK
               && fs->priority < 20
               && fs->match.wc.masks.regs[0] == UINT32_MAX) {
        member_id = fs->match.flow.regs[0];
    } else if (fs->table_id == PIPELINE_TABLE_NAT_STATE
               && fs->priority == PIPELINE_PRIO_NAT_INVALID) {
        member_id = 0;
    } else if (fs->table_id == PIPELINE_TABLE_FORWARD
        && fs->match.wc.masks.regs[0] == UINT32_MAX) {
        member_id = fs->match.flow.regs[0];
    } else if (!(fs->table_id == PIPELINE_TABLE_CLASSIFY
                 && fs->priority == PIPELINE_PRIO_FRAG)
               && !(fs->table_id == PIPELINE_TABLE_DECIDE
                    && fs->priority == PIPELINE_PRIO_DECIDE_SUSPECT)) {
        return;
    }

    struct sync_flow_counter *fc = flow_counter_get(
        sw, fs->table_id, fs->priority, ntohll(fs->cookie), member_id);
    uint64_t packets = (fs->packet_count >= fc->packets
                        ? fs->packet_count - fc->packets
                        : fs->packet_count);
    uint64_t bytes = (fs->byte_count >= fc->bytes
                      ? fs->byte_count - fc->bytes : fs->byte_count);
    fc->packets = fs->packet_count;
    fc->bytes = fs->byte_count;

    if (fs->table_id == PIPELINE_TABLE_FORWARD) {
        struct lb_member *m = lb_member_find(svc, member_id);
        if (m) {
            m->n_packets += packets;
            m->n_bytes += bytes;
        }
    } else if (fs->table_id == PIPELINE_TABLE_NAT_MEMBER) {
        struct lb_member *m = lb_member_find(svc, member_id & 0xffff);
        if (m && (member_id >> 16) & 0x100) {
            m->n_reply_packets += packets;
            m->n_reply_bytes += bytes;
        } else if (m) {
            m->n_packets += packets;
            m->n_bytes += bytes;
        }
    } else if (fs->table_id == PIPELINE_TABLE_NAPT_CHECK) {
        struct lb_member *m = lb_member_find(svc, member_id);
        if (m) {
            m->n_napt_exhausted += packets;
        }
    } else if (fs->table_id == PIPELINE_TABLE_NAT_STATE) {
        svc->n_nat_invalid += packets;
    } else if (fs->table_id == PIPELINE_TABLE_DECIDE) {
        svc->n_label_drops += packets;
    } else {
        svc->n_fragments += packets;
    }
}

static void
sync_handle_flow_counters(struct sync_switch *sw,
                          const struct ofp_header *oh)
{
    if (ofmsg_flow_stats_foreach(oh, sync_count_flow, sw)) {
        VLOG_WARN_RL(&rl, "%016"PRIx64": bad flow stats reply", sw->dpid);
    }
}

/* Takes an aggregate statistics reply: the stick entries of the member
 * the matching request asked about.  OVS answers in order, so the reply
 * belongs to the oldest request not yet answered; requests the switch
 * refused (with an error) are skipped over. */
static void
sync_handle_stick_count(struct sync_switch *sw, const struct ofp_header *oh)
{
    while (sw->next_stick_reply < sw->n_stick_requests) {
        const struct sync_stick_request *rq
            = &sw->stick_requests[sw->next_stick_reply];
        if (ntohl(oh->xid) < ntohl(rq->xid)) {
            /* A late answer to an earlier round. */
            return;
        }
        sw->next_stick_reply++;
        if (rq->xid == oh->xid) {
            struct ofputil_aggregate_stats as;
            if (!ofputil_decode_aggregate_stats_reply(&as, oh)) {
                stick_count_set(sw, rq->service_id, rq->member_id,
                                as.flow_count);
            }
            return;
        }
    }
}

static bool
xid_in_range(ovs_be32 xid, ovs_be32 first, ovs_be32 last)
{
    return (first && ntohl(xid) >= ntohl(first)
            && ntohl(xid) <= ntohl(last));
}

void
sync_handle_msg(struct sync *sync, uint64_t dpid, enum ofptype type,
                const struct ofp_header *oh)
{
    struct sync_switch *sw = sync_switch_find(sync, dpid);
    if (!sw || !sw->ofconn) {
        return;
    }

    switch ((int) type) {
    case OFPTYPE_FLOW_STATS_REPLY:
        if (sw->state == SYNC_READING && oh->xid == sw->flows_xid) {
            sync_handle_flow_stats(sw, oh);
        } else if (xid_in_range(oh->xid, sw->counters_first_xid,
                                sw->counters_last_xid)) {
            sync_handle_flow_counters(sw, oh);
            return;
        }
        break;

    case OFPTYPE_AGGREGATE_STATS_REPLY:
        sync_handle_stick_count(sw, oh);
        return;

    case OFPTYPE_METER_CONFIG_STATS_REPLY:
        if (sw->state == SYNC_READING && oh->xid == sw->meters_xid) {
            sync_handle_meter_config(sw, oh);
        }
        break;

    case OFPTYPE_GET_CONFIG_REPLY:
        if (oh->xid == sw->config_xid) {
            sync_check_config(sw, oh);
        }
        return;

    case OFPTYPE_GROUP_DESC_STATS_REPLY:
        if (sw->state == SYNC_READING && oh->xid == sw->groups_xid) {
            sync_handle_group_desc(sw, oh);
        }
        break;

    case OFPTYPE_GROUP_STATS_REPLY:
        if (oh->xid == sw->stats_xid) {
            sync_handle_group_stats(sw, oh);
        }
        return;

    case OFPTYPE_BUNDLE_CONTROL: {
        struct ofputil_bundle_ctrl_msg bc;
        if (sw->state == SYNC_COMMITTING && oh->xid == sw->commit_xid
            && !ofputil_decode_bundle_ctrl(oh, &bc)
            && bc.type == OFPBCT_COMMIT_REPLY) {
            sync_commit_done(sw);
        }
        return;
    }

    case OFPTYPE_BARRIER_REPLY:
        if (oh->xid == sw->barrier_xid) {
            sw->last_sync_ms = time_msec() - sw->commit_started;
            VLOG_INFO("%016"PRIx64": in sync with generation %"PRIu64
                      " (%lld ms, %u bundles so far)", sw->dpid,
                      sw->synced_generation, sw->last_sync_ms,
                      sw->n_bundles);
        }
        return;

    case OFPTYPE_ERROR: {
        if (sync_meter_error(sw, oh)) {
            break;
        }
        if (sw->state != SYNC_COMMITTING
            || ntohl(oh->xid) < ntohl(sw->first_xid)
            || ntohl(oh->xid) > ntohl(sw->commit_xid)) {
            return;
        }
        enum ofperr error = ofperr_decode_msg(oh, NULL);
        if (oh->xid == sw->commit_xid) {
            sync_commit_failed(sw, ofperr_to_string(error));
        } else {
            /* The commit's error follows; log what the message was. */
            char *s = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 2);
            VLOG_WARN_RL(&rl, "%016"PRIx64": bundle %"PRIu32": %s",
                         sw->dpid, sw->bundle_id, s);
            free(s);
        }
        return;
    }

    default:
        return;
    }

    if (sw->state == SYNC_READING && sw->flows_done && sw->groups_done
        && sw->meters_done) {
        VLOG_INFO("%016"PRIx64": holds %"PRIuSIZE" flowlbd flows, "
                  "%"PRIuSIZE" flowlbd groups and %"PRIuSIZE" flowlbd "
                  "meters", sw->dpid, hmap_count(&sw->flows),
                  hmap_count(&sw->groups), hmap_count(&sw->meters));
        sw->state = SYNC_IDLE;
        sw->synced_generation = UINT64_MAX;   /* Unknown: compare. */
        sync_model_changed(sync);
    }
}

static struct ofpbuf *
encode_flow_stats_request(const struct sync_switch *sw, bool aggregate,
                          uint8_t table_id, uint64_t cookie,
                          uint64_t cookie_mask)
{
    struct ofputil_flow_stats_request fsr = {
        .aggregate = aggregate,
        .cookie = htonll(cookie),
        .cookie_mask = htonll(cookie_mask),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = table_id,
    };
    match_init_catchall(&fsr.match);
    return ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(sw->version));
}

/* Stateful services learn stick entries, NAT services one flow per
 * session: both are counted by the member's cookie.  Per-session NAT
 * services are not: flowlbd installs their session flows itself and the
 * session module counts them exactly (decider.h). */
static bool
service_counts_sessions(const struct lb_service *svc)
{
    return (svc->persistence == LB_PERSIST_STATEFUL
            || (lb_service_is_nat(svc)
                && svc->decision != LB_DECISION_PER_SESSION));
}

/* Asks 'sw' for the counters of the counted flows, and for the number of
 * stick entries of every member of its stateful services (OpenFlow
 * aggregate statistics by the member's cookie, which OVS looks up in its
 * cookie index rather than by walking the tables). */
static void
sync_request_counters(struct sync_switch *sw)
{
    const struct lb_model *model = sw->sync->model;
    static const uint8_t tables[] = {
        PIPELINE_TABLE_CLASSIFY, PIPELINE_TABLE_DECIDE,
        PIPELINE_TABLE_FORWARD, PIPELINE_TABLE_NAT_STATE,
        PIPELINE_TABLE_NAT_MEMBER, PIPELINE_TABLE_NAPT_CHECK,
    };
    bool any_stateful = false, any_nat = false;
    const struct lb_service *svc;

    HMAP_FOR_EACH (svc, node, &model->services) {
        if (compiler_service_on_switch(svc, sw->dpid)) {
            any_stateful |= svc->persistence == LB_PERSIST_STATEFUL;
            any_nat |= lb_service_is_nat(svc);
        }
    }

    for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
        bool nat_table = tables[i] >= PIPELINE_TABLE_NAT_STATE;
        if (tables[i] != PIPELINE_TABLE_CLASSIFY
            && (nat_table ? !any_nat : !any_stateful)) {
            continue;
        }
        struct ofpbuf *msg = encode_flow_stats_request(
            sw, false, tables[i], FLOWLB_COOKIE_BASE, FLOWLB_COOKIE_MASK);
        if (!i) {
            sw->counters_first_xid = msg_xid(msg);
        }
        sw->counters_last_xid = msg_xid(msg);
        ofconn_send(sw->ofconn, msg);
    }

    /* Members that no longer learn (their service went stateless, moved
     * off this switch or is gone) have no entries here any more. */
    struct sync_stick_count *sc, *next;
    HMAP_FOR_EACH_SAFE (sc, next, node, &sw->stick_counts) {
        svc = lb_service_find(model, sc->service_id);
        if (!svc || !service_counts_sessions(svc)
            || !compiler_service_on_switch(svc, sw->dpid)
            || !lb_member_find(svc, sc->member_id)) {
            stick_count_set(sw, sc->service_id, sc->member_id, 0);
            hmap_remove(&sw->stick_counts, &sc->node);
            free(sc);
        }
    }

    sw->n_stick_requests = sw->next_stick_reply = 0;
    if (!any_stateful && !any_nat) {
        return;
    }
    HMAP_FOR_EACH (svc, node, &model->services) {
        if (!service_counts_sessions(svc)
            || !compiler_service_on_switch(svc, sw->dpid)) {
            continue;
        }
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            if (sw->n_stick_requests >= sw->allocated_stick_requests) {
                sw->stick_requests = x2nrealloc(
                    sw->stick_requests, &sw->allocated_stick_requests,
                    sizeof *sw->stick_requests);
            }
            struct ofpbuf *msg = encode_flow_stats_request(
                sw, true, 0xff, lb_service_stick_cookie(svc, m->id),
                UINT64_MAX);
            sw->stick_requests[sw->n_stick_requests++]
                = (struct sync_stick_request) {
                    .xid = msg_xid(msg),
                    .service_id = svc->id,
                    .member_id = m->id,
                };
            ofconn_send(sw->ofconn, msg);
        }
    }
}

static void
sync_stats_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
              void *sync_)
{
    struct sync *sync = sync_;
    struct sync_switch *sw;

    /* The last interval's statistics have come in: apply the algorithms.
     * New weights make new generations, which the next run sends. */
    if (balance_run(sync->balance, sync->model, time_msec())) {
        sync_model_changed(sync);
    }

    HMAP_FOR_EACH (sw, node, &sync->switches) {
        if (sw->ofconn && (sw->state == SYNC_IDLE
                           || sw->state == SYNC_COMMITTING)) {
            if (hmap_count(&sw->groups)) {
                struct ofpbuf *msg = ofputil_encode_group_stats_request(
                    sw->version, OFPG_ALL);
                sw->stats_xid = msg_xid(msg);
                ofconn_send(sw->ofconn, msg);
            }
            sync_request_counters(sw);
        }
    }
}

/* Someone with access to the switch (an operator with ovs-ofctl, another
 * controller) may change flowlbd's flows behind its back.  Re-reading each
 * idle switch now and then finds that and repairs it like a reconnect. */
static void
sync_audit_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED,
              void *sync_)
{
    struct sync *sync = sync_;
    struct sync_switch *sw;

    HMAP_FOR_EACH (sw, node, &sync->switches) {
        if (sw->state == SYNC_IDLE && sw->ofconn) {
            sw->n_audits++;
            sync_switch_read(sw);
        }
    }
}

json_t *
sync_switch_to_json(const struct sync *sync, uint64_t dpid)
{
    const struct sync_switch *sw = sync_switch_find(sync, dpid);
    if (!sw) {
        return json_null();
    }
    bool in_sync = (sw->state == SYNC_IDLE
                    && sw->synced_generation == sync->model->generation);
    json_t *j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                          "state", sync_state_name(sw->state),
                          "in_sync", in_sync,
                          "flows", (json_int_t) hmap_count(&sw->flows),
                          "groups", (json_int_t) hmap_count(&sw->groups),
                          "bundles", (json_int_t) sw->n_bundles,
                          "failures", (json_int_t) sw->n_failures,
                          "flow_mods", (json_int_t) sw->n_flow_mods,
                          "group_mods", (json_int_t) sw->n_group_mods,
                          "last_sync_ms", (json_int_t) sw->last_sync_ms);
    json_object_set_new(j, "audits", json_integer(sw->n_audits));
    json_object_set_new(j, "frag_repairs", json_integer(sw->n_frag_repairs));
    json_object_set_new(j, "meters", json_integer(hmap_count(&sw->meters)));
    json_object_set_new(j, "meter_mods",
                        json_integer(sw->n_meter_mods_sent));
    json_object_set_new(j, "meter_failures",
                        json_integer(sw->n_meter_failures));
    json_object_set_new(j, "last_error", sw->last_error
                        ? json_string(sw->last_error) : json_null());
    return j;
}

/* Adds to 'j', a service's JSON, the sync state of each switch it is
 * on. */
void
sync_decorate_service(json_t *j, const struct lb_service *svc, void *sync_)
{
    const struct sync *sync = sync_;
    json_t *status = json_object_get(j, "status");
    json_t *switches = json_array();
    const struct sync_switch *sw;

    HMAP_FOR_EACH (sw, node, &sync->switches) {
        if (!compiler_service_on_switch(svc, sw->dpid)) {
            continue;
        }
        const char *state;
        if (sw->state == SYNC_DOWN || sw->state == SYNC_UNSUPPORTED
            || sw->state == SYNC_FAILED) {
            state = sync_state_name(sw->state);
        } else if (sw->state == SYNC_IDLE
                   && sw->synced_generation >= svc->generation
                   && sw->synced_generation != UINT64_MAX) {
            state = "in-sync";
        } else {
            state = "pending";
        }
        char dpid[17];
        switch_format_dpid(sw->dpid, dpid);
        json_array_append_new(switches, json_pack("{s:s, s:s}", "dpid", dpid,
                                                  "sync", state));
    }
    if (status) {
        json_object_set_new(status, "switches", switches);
    } else {
        json_object_set_new(j, "switches_sync", switches);
    }
}

/* Meters.
 *
 * A per-session NAT service's table 40 sends new sessions to flowlbd
 * through an OpenFlow meter (pipeline_meter_id()), so that a flood of new
 * sessions costs flowlbd at most 'per_session_rate' packet-ins a second
 * per switch.  Every switch holds one such meter per per-session service
 * on it: one drop band at that rate, in packets per second.  Meter ids
 * 1 to LB_SERVICE_ID_MAX are flowlbd's, as group ids in its range are:
 * sync reads them with the flows and groups, repairs what differs and
 * deletes those that no service wants.
 *
 * Meter mods cannot go in a bundle (OVS bundles take flow and group mods),
 * and a flow that refers to a meter the switch lacks is refused, so sync
 * sends the meters that flows will use before a bundle and deletes the
 * ones no flow uses after its commit (deleting a meter deletes the flows
 * that use it).  A meter mod is taken as done when sent; if the switch
 * refuses it, sync forgets the meter, and the bundle that needed it fails
 * and makes sync read the switch again. */

#define SYNC_METER_RATE_DEFAULT 1000

/* A meter, desired or installed. */
struct sync_meter {
    struct hmap_node node;      /* By hash of 'id'. */
    uint32_t id;
    uint16_t flags;             /* OFPMF13_*. */
    uint16_t n_bands;
    uint16_t band_type;         /* Of the first band. */
    uint32_t rate;
    uint32_t burst_size;
};

/* A meter mod in flight, to name the meter if the switch refuses it. */
struct sync_meter_mod {
    ovs_be32 xid;
    uint32_t meter_id;
    uint16_t command;
};

static bool
meter_is_ours(uint32_t meter_id)
{
    return meter_id >= 1 && meter_id <= LB_SERVICE_ID_MAX;
}

static struct sync_meter *
sync_meter_find(const struct hmap *meters, uint32_t id)
{
    struct sync_meter *m;
    HMAP_FOR_EACH_WITH_HASH (m, node, hash_int(id, 0), meters) {
        if (m->id == id) {
            return m;
        }
    }
    return NULL;
}

static bool
sync_meter_equals(const struct sync_meter *a, const struct sync_meter *b)
{
    return (a->flags == b->flags && a->n_bands == b->n_bands
            && a->band_type == b->band_type && a->rate == b->rate
            && a->burst_size == b->burst_size);
}

static void
sync_meters_clear(struct hmap *meters)
{
    struct sync_meter *m;
    HMAP_FOR_EACH_POP (m, node, meters) {
        free(m);
    }
}

/* Forgets the meters 'sw' holds, as when its connection is gone. */
static void
sync_meters_reset(struct sync_switch *sw)
{
    sync_meters_clear(&sw->meters);
    free(sw->meter_mods);
    sw->meter_mods = NULL;
    sw->n_meter_mods = 0;
    sw->meters_xid = 0;
}

/* Fills 'meters' with the meters switch 'sw' should hold. */
static void
sync_meters_desired(const struct sync_switch *sw, struct hmap *meters)
{
    const struct lb_service *svc;
    HMAP_FOR_EACH (svc, node, &sw->sync->model->services) {
        if (!lb_service_is_nat(svc)
            || svc->decision != LB_DECISION_PER_SESSION
            || !compiler_service_on_switch(svc, sw->dpid)) {
            continue;
        }
        struct sync_meter *m = xzalloc(sizeof *m);
        m->id = pipeline_meter_id(svc->id);
        m->flags = OFPMF13_PKTPS;
        m->n_bands = 1;
        m->band_type = OFPMBT13_DROP;
        m->rate = (svc->per_session_rate > 0 ? svc->per_session_rate
                   : SYNC_METER_RATE_DEFAULT);
        hmap_insert(meters, &m->node, hash_int(m->id, 0));
    }
}

/* Sends 'sw' a meter mod with 'command' for meter 'm' (only its id for a
 * delete) and remembers it until the next run. */
static void
sync_meter_send(struct sync_switch *sw, uint16_t command,
                const struct sync_meter *m)
{
    struct ofputil_meter_band band = {
        .type = m->band_type,
        .rate = m->rate,
        .burst_size = m->burst_size,
    };
    struct ofputil_meter_mod mm = {
        .command = command,
        .meter = {
            .meter_id = m->id,
            .flags = command == OFPMC13_DELETE ? 0 : m->flags,
            .n_bands = command == OFPMC13_DELETE ? 0 : 1,
            .bands = &band,
        },
    };
    struct ofpbuf *msg = ofputil_encode_meter_mod(sw->version, &mm);
    sw->meter_mods = xrealloc(sw->meter_mods, (sw->n_meter_mods + 1)
                              * sizeof *sw->meter_mods);
    sw->meter_mods[sw->n_meter_mods++] = (struct sync_meter_mod) {
        .xid = msg_xid(msg),
        .meter_id = m->id,
        .command = command,
    };
    sw->n_meter_mods_sent++;
    ofconn_send(sw->ofconn, msg);
}

/* Adds to 'sw', or modifies, the meters it should hold and does not, ahead
 * of the bundle whose flows may use them. */
static void
sync_meters_add(struct sync_switch *sw)
{
    struct hmap desired = HMAP_INITIALIZER(&desired);

    sw->n_meter_mods = 0;
    sync_meters_desired(sw, &desired);

    struct sync_meter *m, *next;
    HMAP_FOR_EACH_SAFE (m, next, node, &desired) {
        struct sync_meter *have = sync_meter_find(&sw->meters, m->id);
        if (have && sync_meter_equals(have, m)) {
            continue;
        }
        sync_meter_send(sw, have ? OFPMC13_MODIFY : OFPMC13_ADD, m);
        if (have) {
            hmap_remove(&sw->meters, &have->node);
            free(have);
        }
        hmap_remove(&desired, &m->node);
        hmap_insert(&sw->meters, &m->node, hash_int(m->id, 0));
    }
    sync_meters_clear(&desired);
    hmap_destroy(&desired);
}

/* Deletes from 'sw' the meters of flowlbd's that it should not hold, once
 * no flow uses them. */
static void
sync_meters_delete(struct sync_switch *sw)
{
    struct hmap desired = HMAP_INITIALIZER(&desired);
    sync_meters_desired(sw, &desired);

    struct sync_meter *m, *next;
    HMAP_FOR_EACH_SAFE (m, next, node, &sw->meters) {
        if (!sync_meter_find(&desired, m->id)) {
            sync_meter_send(sw, OFPMC13_DELETE, m);
            hmap_remove(&sw->meters, &m->node);
            free(m);
        }
    }
    sync_meters_clear(&desired);
    hmap_destroy(&desired);
}

/* Starts reading the meters 'sw' holds, with its flows and groups. */
static void
sync_meters_read(struct sync_switch *sw)
{
    sync_meters_clear(&sw->meters);
    sw->meters_done = false;
    struct ofpbuf *msg = ofputil_encode_meter_request(
        sw->version, OFPUTIL_METER_CONFIG, OFPM13_ALL);
    sw->meters_xid = msg_xid(msg);
    ofconn_send(sw->ofconn, msg);
}

/* Adds the meters in flowlbd's range in meter configuration reply 'oh' to
 * the mirror of 'sw'. */
static void
sync_handle_meter_config(struct sync_switch *sw, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofpbuf bands;

    ofpbuf_init(&bands, 64);
    for (;;) {
        struct ofputil_meter_config mc;
        int error = ofputil_decode_meter_config(&b, &mc, &bands);
        if (error) {
            if (error != EOF) {
                VLOG_WARN_RL(&rl, "%016"PRIx64": bad meter configuration",
                             sw->dpid);
            }
            break;
        }
        if (!meter_is_ours(mc.meter_id)
            || sync_meter_find(&sw->meters, mc.meter_id)) {
            continue;
        }
        struct sync_meter *m = xzalloc(sizeof *m);
        m->id = mc.meter_id;
        m->flags = mc.flags;
        m->n_bands = mc.n_bands;
        if (mc.n_bands) {
            m->band_type = mc.bands[0].type;
            m->rate = mc.bands[0].rate;
            /* Without OFPMF13_BURST the burst size means nothing, and OVS
             * reports what it chose. */
            m->burst_size = (mc.flags & OFPMF13_BURST
                             ? mc.bands[0].burst_size : 0);
        }
        hmap_insert(&sw->meters, &m->node, hash_int(m->id, 0));
    }
    ofpbuf_uninit(&bands);
    if (!ofpmp_more(oh)) {
        sw->meters_done = true;
    }
}

/* Handles error 'oh' if it is about a meter request or meter mod of
 * 'sw''s and returns true, otherwise returns false. */
static bool
sync_meter_error(struct sync_switch *sw, const struct ofp_header *oh)
{
    enum ofperr error = ofperr_decode_msg(oh, NULL);

    if (sw->meters_xid && oh->xid == sw->meters_xid) {
        /* A switch without meters: nothing of flowlbd's to read.  Adding
         * one will fail and say so. */
        VLOG_WARN_RL(&rl, "%016"PRIx64": cannot read meters: %s", sw->dpid,
                     ofperr_to_string(error));
        sw->meters_xid = 0;
        sw->meters_done = true;
        return true;
    }

    for (size_t i = 0; i < sw->n_meter_mods; i++) {
        const struct sync_meter_mod *mm = &sw->meter_mods[i];
        if (mm->xid != oh->xid) {
            continue;
        }
        VLOG_WARN_RL(&rl, "%016"PRIx64": meter %"PRIu32" %s failed: %s",
                     sw->dpid, mm->meter_id,
                     (mm->command == OFPMC13_ADD ? "add"
                      : mm->command == OFPMC13_MODIFY ? "modify" : "delete"),
                     ofperr_to_string(error));
        sw->n_meter_failures++;
        sync_set_error(sw, xasprintf("meter %"PRIu32": %s", mm->meter_id,
                                     ofperr_to_string(error)));
        /* What the switch holds is unknown now; the next read tells. */
        struct sync_meter *m = sync_meter_find(&sw->meters, mm->meter_id);
        if (m) {
            hmap_remove(&sw->meters, &m->node);
            free(m);
        }
        return true;
    }
    return false;
}
