/*
 * ctpolicy: NAT and NAPT services' session idle timeouts as Open vSwitch
 * conntrack timeout policies, one per conntrack zone.
 *
 * A NAT service's sessions live in its conntrack zone 'ct_zone' (NAPT's
 * source translation also in ct_zone + LB_CT_ZONE_SNAT), and conntrack
 * forgets a session after its own idle timeouts, which OpenFlow cannot
 * set: they are configuration of the datapath in OVSDB (tables Datapath,
 * CT_Zone and CT_Timeout_Policy), which ovs-vswitchd applies.  flowlbd
 * speaks only OpenFlow to switches, so with --ovsdb this module runs
 * ovs-vsctl against that database, one command at a time, to make the
 * zones' policies follow the model (docs/pipeline.md, "Timeouts").
 * Without --ovsdb nothing is applied and the datapath's defaults hold.
 *
 * The pure part computes the wanted policy of every zone from the model,
 * reads what ovs-vsctl prints, and plans the one ovs-vsctl transaction
 * that turns what OVSDB holds into what the model wants.  It is unit
 * tested.  The I/O part runs the commands (posix_spawn, no shell) with
 * their output collected by a libevent event on a pipe.
 *
 * Which zones are flowlbd's: the transaction that sets policies also
 * records their zone numbers in the Open_vSwitch record's external_ids,
 * key "flowlb-ct-zones-DATAPATH", so a later flowlbd (after a restart, or
 * after a service was deleted while it was down) removes exactly the
 * policies that flowlbd set and no service needs any more, and leaves
 * every other zone's policy alone.
 */
#ifndef FLOWLB_CTPOLICY_H
#define FLOWLB_CTPOLICY_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "openvswitch/hmap.h"

struct event_base;
struct lb_model;
struct lb_service;
struct svec;

/* The timeout keys flowlbd sets, in CT_Timeout_Policy's spelling, with
 * the service timeout each follows: "tcp" is timeout_tcp; "tcp-short" the
 * TCP states around a connection's life (opening, closing, closed), which
 * get CTPOLICY_TCP_SHORT seconds or timeout_tcp if that is smaller; "udp"
 * is timeout_udp (also other IP protocols, which conntrack treats as
 * UDP); "icmp" is timeout_icmp.  These are the keys OVS's userspace
 * conntrack uses (lib/conntrack-tp.c). */
#define CTPOLICY_KEYS                                           \
    CTPOLICY_KEY(TCP_SYN_SENT, "tcp_syn_sent", TCP_SHORT)       \
    CTPOLICY_KEY(TCP_SYN_RECV, "tcp_syn_recv", TCP_SHORT)       \
    CTPOLICY_KEY(TCP_ESTABLISHED, "tcp_established", TCP)       \
    CTPOLICY_KEY(TCP_FIN_WAIT, "tcp_fin_wait", TCP_SHORT)       \
    CTPOLICY_KEY(TCP_TIME_WAIT, "tcp_time_wait", TCP_SHORT)     \
    CTPOLICY_KEY(TCP_CLOSE, "tcp_close", TCP_SHORT)             \
    CTPOLICY_KEY(UDP_FIRST, "udp_first", UDP)                   \
    CTPOLICY_KEY(UDP_SINGLE, "udp_single", UDP)                 \
    CTPOLICY_KEY(UDP_MULTIPLE, "udp_multiple", UDP)             \
    CTPOLICY_KEY(ICMP_FIRST, "icmp_first", ICMP)                \
    CTPOLICY_KEY(ICMP_REPLY, "icmp_reply", ICMP)

enum ctpolicy_key {
#define CTPOLICY_KEY(ENUM, NAME, FOLLOWS) CTPOLICY_##ENUM,
    CTPOLICY_KEYS
#undef CTPOLICY_KEY
    CTPOLICY_N_KEYS
};

const char *ctpolicy_key_name(enum ctpolicy_key);

/* Seconds for the short TCP states (a SYN without answer, a FIN or RST
 * seen): as OVS's own default for a SYN, and short because flowlbd's
 * session flows already end a second after a FIN or RST
 * (fin_idle_timeout=1, docs/pipeline.md). */
#define CTPOLICY_TCP_SHORT 30

/* A timeout that a listed policy does not set. */
#define CTPOLICY_UNSET UINT32_MAX

/* One zone's timeout policy. */
struct ctpolicy_zone {
    struct hmap_node node;      /* In ctpolicy_zones' 'zones', by zone. */
    uint16_t zone;
    uint32_t service_id;        /* Wanted: the service owning it; else 0. */
    uint32_t timeouts[CTPOLICY_N_KEYS]; /* Seconds, or CTPOLICY_UNSET. */
    bool foreign;               /* Listed with keys flowlbd does not set. */
};

/* A set of zones and their policies. */
struct ctpolicy_zones {
    struct hmap zones;          /* Contains "struct ctpolicy_zone"s. */
};

void ctpolicy_zones_init(struct ctpolicy_zones *);
void ctpolicy_zones_destroy(struct ctpolicy_zones *);
void ctpolicy_zones_clear(struct ctpolicy_zones *);
void ctpolicy_zones_swap(struct ctpolicy_zones *, struct ctpolicy_zones *);
struct ctpolicy_zone *ctpolicy_zones_find(const struct ctpolicy_zones *,
                                          uint16_t zone);
struct ctpolicy_zone *ctpolicy_zones_add(struct ctpolicy_zones *,
                                         uint16_t zone);
void ctpolicy_zones_remove(struct ctpolicy_zones *, uint16_t zone);
size_t ctpolicy_zones_count(const struct ctpolicy_zones *);
uint16_t *ctpolicy_zones_sorted(const struct ctpolicy_zones *, size_t *n);
bool ctpolicy_zone_equal(const struct ctpolicy_zone *,
                         const struct ctpolicy_zone *);

/* The model's side. */
void ctpolicy_service_timeouts(const struct lb_service *,
                               uint32_t timeouts[CTPOLICY_N_KEYS]);
size_t ctpolicy_service_zones(const struct lb_service *, uint16_t zones[2]);
void ctpolicy_wanted(const struct lb_model *, struct ctpolicy_zones *);

/* What ovs-vsctl prints.  ctpolicy_parse_listing() parses the lines of
 * "ovs-vsctl list-zone-tp DATAPATH" into 'zones';
 * ctpolicy_parse_owned() the value of "ovs-vsctl --if-exists get
 * Open_vSwitch . external_ids:KEY" (a quoted list of zones, or an empty
 * line) into 'owned'.  Each returns 0 or EINVAL with a message in
 * '*error' that the caller frees. */
int ctpolicy_parse_listing(const char *text, struct ctpolicy_zones *zones,
                           char **error);
int ctpolicy_parse_owned(const char *text, struct ctpolicy_zones *owned,
                         char **error);

/* What one transaction changes.  'add' (set or replace a policy) are the
 * wanted zones that OVSDB lacks or holds with other timeouts; 'del' the
 * zones in OVSDB that flowlbd owns and no service wants.  'note' is true
 * if the record of owned zones must be rewritten. */
struct ctpolicy_plan {
    uint16_t *add;
    size_t n_add;
    uint16_t *del;
    size_t n_del;
    bool note;
};

void ctpolicy_plan_compute(const struct ctpolicy_zones *wanted,
                           const struct ctpolicy_zones *present,
                           const struct ctpolicy_zones *owned,
                           struct ctpolicy_plan *);
bool ctpolicy_plan_is_empty(const struct ctpolicy_plan *);
void ctpolicy_plan_destroy(struct ctpolicy_plan *);

/* Appends to 'args' the ovs-vsctl commands (each after a "--") that carry
 * out 'plan' on datapath 'datapath': "--may-exist add-zone-tp" for each
 * zone to add, with 'wanted''s timeouts, "--if-exists del-zone-tp" for
 * each to delete, and the record of owned zones, now 'wanted''s zones, in
 * external_ids key 'note_key'. */
void ctpolicy_plan_to_args(const struct ctpolicy_plan *,
                           const struct ctpolicy_zones *wanted,
                           const char *datapath, const char *note_key,
                           struct svec *args);

/* I/O: the module that applies the policies. */
struct ctpolicy_options {
    const char *ovsdb;          /* ovs-vsctl --db target, or NULL: off. */
    const char *ovs_vsctl;      /* Program, found on PATH if no slash. */
    const char *datapath;       /* Datapath type, e.g. "netdev". */
    int retry_ms;               /* After a failure; 0: 5000. */
};

struct ctpolicy *ctpolicy_create(struct event_base *, const struct lb_model *,
                                 const struct ctpolicy_options *);
void ctpolicy_destroy(struct ctpolicy *);
void ctpolicy_model_changed(struct ctpolicy *);

/* "policy", "datapath-default", "pending" or "failed" for NAT service
 * 'svc'; NULL for other services. */
const char *ctpolicy_service_state(const struct ctpolicy *,
                                   const struct lb_service *);
void ctpolicy_decorate_service(json_t *service_json,
                               const struct lb_service *,
                               const struct ctpolicy *);
json_t *ctpolicy_to_json(const struct ctpolicy *);

#endif /* flowlb/ctpolicy.h */
