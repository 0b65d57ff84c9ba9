/*
 * lb: the load-balancing model, services and their members.
 *
 * Pure: no sockets, no event loop.  rest and store turn JSON into model
 * changes through this module and nothing else, so validation lives in one
 * place; the compiler reads the model and never writes it.  Every change
 * bumps the model's generation and the changed service's, so the compiler
 * can tell what to recompile.
 *
 * Addresses are kept as IPv6; an IPv4 address is IPv4-mapped
 * (::ffff:a.b.c.d) and 'is_ipv4' says so.
 */
#ifndef FLOWLB_LB_H
#define FLOWLB_LB_H 1

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"

/* Each enum is one list so names and values never drift.  The names are
 * the REST API's spelling. */
#define LB_PROTOCOLS                            \
    LB_PROTOCOL(TCP, "tcp")                     \
    LB_PROTOCOL(UDP, "udp")                     \
    LB_PROTOCOL(ANY, "any")

enum lb_protocol {
#define LB_PROTOCOL(ENUM, NAME) LB_PROTO_##ENUM,
    LB_PROTOCOLS
#undef LB_PROTOCOL
};

/* What identifies a session for the hash (RFC 7098 section 3).  The label
 * keys are IPv6 only and fall back to the 5-tuple for a zero label; IPv4
 * services use 5TUPLE or SRC. */
#define LB_KEYS                                         \
    LB_KEY(SRC_LABEL, "src-label")                      \
    LB_KEY(SRC_DST_LABEL, "src-dst-label")              \
    LB_KEY(FIVE_TUPLE, "5tuple")                        \
    LB_KEY(SRC, "src")

enum lb_key {
#define LB_KEY(ENUM, NAME) LB_KEY_##ENUM,
    LB_KEYS
#undef LB_KEY
};

/* How packets reach a member.  DSR rewrites only the Ethernet
 * destination (the member holds the VIP); NAT translates the destination
 * address and port (LSNAT, draft-srisuresh-lsnat-02 sections 3.1 and 3.2)
 * and NAPT the source too (section 3.3), in OVS conntrack. */
#define LB_FORWARDINGS                          \
    LB_FORWARDING(DSR, "dsr")                   \
    LB_FORWARDING(NAT, "nat")                   \
    LB_FORWARDING(NAPT, "napt")

enum lb_forwarding {
#define LB_FORWARDING(ENUM, NAME) LB_FWD_##ENUM,
    LB_FORWARDINGS
#undef LB_FORWARDING
};

/* Where a service keeps its sessions (RFC 7098 section 4).  STATELESS
 * hashes every packet; STATEFUL records each session's member in stick
 * tables learned in the datapath (docs/pipeline.md). */
#define LB_PERSISTENCES                         \
    LB_PERSISTENCE(STATELESS, "stateless")      \
    LB_PERSISTENCE(STATEFUL, "stateful")

enum lb_persistence {
#define LB_PERSISTENCE(ENUM, NAME) LB_PERSIST_##ENUM,
    LB_PERSISTENCES
#undef LB_PERSISTENCE
};

/* What a stateful service does with a packet whose 5-tuple it knows under
 * another flow label.  FOLLOW keeps the connection on its member (Linux
 * re-randomises a connection's label after a retransmission timeout, see
 * net.core.txrehash); DROP is RFC 7098 section 5's heuristic against
 * spoofed labels; REBALANCE treats the new label as a new flow, as a
 * stateless service does. */
#define LB_LABEL_CHANGES                        \
    LB_LABEL_CHANGE(FOLLOW, "follow")           \
    LB_LABEL_CHANGE(DROP, "drop")               \
    LB_LABEL_CHANGE(REBALANCE, "rebalance")

enum lb_label_change {
#define LB_LABEL_CHANGE(ENUM, NAME) LB_LABEL_##ENUM,
    LB_LABEL_CHANGES
#undef LB_LABEL_CHANGE
};

/* A member's administrative state.  DRAIN takes no new sessions. */
#define LB_MEMBER_STATES                        \
    LB_MEMBER_STATE(ENABLED, "enabled")         \
    LB_MEMBER_STATE(DISABLED, "disabled")       \
    LB_MEMBER_STATE(DRAIN, "drain")

enum lb_member_state {
#define LB_MEMBER_STATE(ENUM, NAME) LB_MEMBER_##ENUM,
    LB_MEMBER_STATES
#undef LB_MEMBER_STATE
};

/* Where a session's member is chosen (lb-algo.h).  DATAPATH_FAST: the
 * select group, whose bucket weights the controller recomputes every
 * statistics interval; PER_SESSION: flowlbd, on the session's first
 * packet (NAT and NAPT services only). */
#define LB_DECISIONS                                    \
    LB_DECISION(DATAPATH_FAST, "datapath-fast")         \
    LB_DECISION(PER_SESSION, "per-session")

enum lb_decision {
#define LB_DECISION(ENUM, NAME) LB_DECISION_##ENUM,
    LB_DECISIONS
#undef LB_DECISION
};

/* The metric of least-traffic and cost-least-traffic. */
#define LB_TRAFFIC_METRICS                      \
    LB_TRAFFIC_METRIC(BYTES, "bytes")           \
    LB_TRAFFIC_METRIC(PACKETS, "packets")

enum lb_traffic_metric {
#define LB_TRAFFIC_METRIC(ENUM, NAME) LB_TRAFFIC_##ENUM,
    LB_TRAFFIC_METRICS
#undef LB_TRAFFIC_METRIC
};

/* Health monitor types (LSNAT section 6).  NONE: no monitor. */
#define LB_MONITORS                             \
    LB_MONITOR(NONE, "none")                    \
    LB_MONITOR(ICMP, "icmp")                    \
    LB_MONITOR(TCP, "tcp")                      \
    LB_MONITOR(HTTP, "http")

enum lb_monitor_type {
#define LB_MONITOR(ENUM, NAME) LB_MONITOR_##ENUM,
    LB_MONITORS
#undef LB_MONITOR
};

/* A member's health as the monitors see it.  UNKNOWN (no monitor, or no
 * result yet) counts as up. */
#define LB_HEALTHS                              \
    LB_HEALTH(UNKNOWN, "unknown")               \
    LB_HEALTH(UP, "up")                         \
    LB_HEALTH(DOWN, "down")

enum lb_health {
#define LB_HEALTH(ENUM, NAME) LB_HEALTH_##ENUM,
    LB_HEALTHS
#undef LB_HEALTH
};

const char *lb_protocol_name(enum lb_protocol);
const char *lb_key_name(enum lb_key);
const char *lb_forwarding_name(enum lb_forwarding);
const char *lb_member_state_name(enum lb_member_state);
const char *lb_persistence_name(enum lb_persistence);
const char *lb_label_change_name(enum lb_label_change);
const char *lb_decision_name(enum lb_decision);
const char *lb_traffic_metric_name(enum lb_traffic_metric);
const char *lb_monitor_name(enum lb_monitor_type);
const char *lb_health_name(enum lb_health);

#define LB_IDLE_TIMEOUT_DEFAULT 300
#define LB_IDLE_TIMEOUT_MAX 65535   /* OpenFlow's idle_timeout is 16 bits. */

/* Conntrack zones of NAT services: the DNAT zone is the service's
 * 'ct_zone', NAPT's source translation uses ct_zone + LB_CT_ZONE_SNAT. */
#define LB_CT_ZONE_MAX 0x7fff
#define LB_CT_ZONE_SNAT 0x8000

#define LB_WEIGHT_MIN 1
#define LB_WEIGHT_MAX 256

/* Service ids run from 1 to LB_SERVICE_ID_MAX so that cookies and group ids
 * derived from them (pipeline.h) fit; member ids from 1 to
 * LB_MEMBER_ID_MAX.  Ids are never reused within a model's life. */
#define LB_SERVICE_ID_MAX 0x00ffffff
#define LB_MEMBER_ID_MAX 0xffff

/* NAT and NAPT session idle timeouts, seconds (LSNAT section 2.4). */
#define LB_TIMEOUT_TCP_DEFAULT 86400
#define LB_TIMEOUT_OTHER_DEFAULT 60
#define LB_TIMEOUT_MAX 604800

/* A health monitor's configuration (docs/api.md "health"). */
struct lb_monitor {
    enum lb_monitor_type type;  /* LB_MONITOR_NONE: the rest is unused. */
    int interval_ms;            /* Between probes; default 2000. */
    int timeout_ms;             /* A probe's limit; default 1000. */
    int rise;                   /* Successes to come up; default 2. */
    int fall;                   /* Failures to go down; default 3. */
    uint16_t port;              /* tcp, http; 0: the member's port, else
                                 * the service's first port. */
    char *path;                 /* http: request path, default "/". */
    int expect_status;          /* http: expected status, default 200. */
};

/* One change of a member's health, for its history. */
struct lb_health_event {
    long long int time_ms;      /* Wall clock, ms since the epoch. */
    enum lb_health health;
    char *reason;               /* E.g. "tcp connect: Connection refused". */
};

#define LB_HEALTH_HISTORY 8     /* Changes kept per member. */

struct lb_member {
    struct ovs_list node;       /* In lb_service's 'members', ascending id. */
    uint32_t id;

    /* Configuration. */
    struct in6_addr address;    /* IPv4-mapped for an IPv4 member. */
    bool has_mac;               /* Operator gave 'mac'? */
    struct eth_addr mac;        /* Valid if 'has_mac'. */
    int weight;                 /* LB_WEIGHT_MIN to LB_WEIGHT_MAX. */
    enum lb_member_state state;
    uint16_t port;              /* NAT/NAPT: translated port; 0: keep. */
    uint32_t backup;            /* Member id taking its new sessions while
                                 * it cannot, or 0. */
    double cost;                /* cost-* algorithms: > 0, or INFINITY. */

    /* Live state, never saved: what resolution found (only used when
     * !has_mac) and what the switches count. */
    bool resolved;
    struct eth_addr resolved_mac;
    uint64_t n_packets;         /* Packets forwarded to it, all switches. */
    uint64_t n_bytes;
    uint64_t n_stick_entries;   /* Learned entries, all switches; for NAT
                                 * and NAPT, its sessions. */

    /* Live, NAT and NAPT: replies seen from it, sessions that NAPT could
     * not translate for want of a source port. */
    uint64_t n_reply_packets;
    uint64_t n_reply_bytes;
    uint64_t n_napt_exhausted;

    /* Live, the algorithms' inputs and output (lb-algo.h). */
    double traffic_rate;        /* Per second, in the service's metric. */
    double rtt_ms;              /* Last good probe's round trip, or -1. */
    unsigned int bucket_weight; /* Datapath-fast weight; 0: none. */

    /* Live, health (monitors and passive detection). */
    enum lb_health health;
    int health_count;           /* Consecutive results against 'health'. */
    long long int health_since_ms;  /* Wall clock of the last change. */
    char *health_reason;        /* Why, or NULL. */
    struct lb_health_event history[LB_HEALTH_HISTORY];
    size_t n_history;           /* Events so far; the newest is at
                                 * (n_history - 1) % LB_HEALTH_HISTORY. */
};

struct lb_service {
    struct hmap_node node;      /* In lb_model's 'services', by id. */
    uint32_t id;
    uint64_t generation;        /* Model generation of its last change. */

    char *name;
    struct in6_addr vip;        /* IPv4-mapped for an IPv4 VIP. */
    bool is_ipv4;
    enum lb_protocol protocol;
    uint16_t *ports;            /* Ascending, unique; NULL when... */
    size_t n_ports;             /* ...0, meaning every port. */
    enum lb_key key;
    enum lb_forwarding forwarding;
    uint64_t *switches;         /* Datapath ids, ascending; NULL when... */
    size_t n_switches;          /* ...0, meaning every switch. */
    uint64_t hash_basis;        /* Random, secret, saved (RFC 7098 s. 5). */
    enum lb_persistence persistence;
    int idle_timeout;           /* Seconds, for stick entries. */
    enum lb_label_change label_change;

    /* LSNAT (forwarding "nat" and "napt"). */
    uint16_t ct_zone;           /* Conntrack zone, 1..LB_CT_ZONE_MAX, saved;
                                 * NAPT also uses ct_zone + LB_CT_ZONE_SNAT. */
    struct in6_addr source;     /* NAPT: the balancer's source address. */
    uint16_t source_port_min, source_port_max;  /* NAPT: its ports. */
    int timeout_tcp;            /* Session idle timeouts, seconds. */
    int timeout_udp;
    int timeout_icmp;

    /* The algorithm (lb-algo.h) and how its choice is applied. */
    int algorithm;              /* enum lb_algo_type. */
    enum lb_decision decision;
    int per_session_rate;       /* Per-session: packet-ins a second, the
                                 * rate of its meter. */
    enum lb_traffic_metric traffic_metric;
    int traffic_window;         /* Seconds, for the *-traffic algorithms. */
    int session_weight;         /* weighted-least-load: this service type's
                                 * weight per session. */

    /* Dead host detection (LSNAT section 6). */
    struct lb_monitor monitor;
    int passive_timeout;        /* Seconds without a reply while sessions
                                 * are assigned: down.  0: off. */

    /* Live counters, never saved, summed over switches. */
    uint64_t n_fragments;       /* Fragments that matched its flows. */
    uint64_t n_label_drops;     /* Dropped by label_change "drop". */
    uint64_t n_ptb_delivered;   /* ICMP "too big" to the owning member. */
    uint64_t n_ptb_broadcast;   /* ...to every member: owner unknown. */
    uint64_t n_sessions_started;    /* New sessions through the group. */
    uint64_t n_nat_invalid;     /* NAT: dropped as conntrack-invalid. */

    struct ovs_list members;    /* Contains "struct lb_member"s. */
    uint32_t next_member_id;
};

struct lb_model {
    struct hmap services;       /* Contains "struct lb_service"s. */
    uint32_t next_service_id;
    uint64_t generation;        /* Incremented by every change. */
    struct eth_addr vmac;       /* The MAC VIPs answer from; saved. */
};

/* A rejected request: the HTTP status it deserves, the JSON path of the
 * offending field (e.g. "members[2].weight", or NULL) and a message that
 * names the allowed values. */
struct lb_error {
    int status;                 /* 400, 404, 409, 422, 507. */
    char *field;
    char *message;
};

void lb_error_set(struct lb_error *, int status, const char *field,
                  const char *format, ...) OVS_PRINTF_FORMAT(4, 5);
void lb_error_clear(struct lb_error *);

unsigned int lb_gcd(unsigned int a, unsigned int b);

/* The most ports one service may list. */
#define LB_PORTS_MAX 256

/* The model and lookups.  lb_service_lookup() takes a REST path segment:
 * all digits names an id, anything else a name (names start with a
 * letter, so the two never clash).  lb_model_sorted() returns the services
 * by ascending id in an array that the caller frees. */
struct lb_model *lb_model_create(void);
void lb_model_destroy(struct lb_model *);
struct lb_service *lb_service_find(const struct lb_model *, uint32_t id);
struct lb_service *lb_service_find_by_name(const struct lb_model *,
                                           const char *name);
struct lb_service *lb_service_lookup(const struct lb_model *,
                                     const char *id_or_name);
struct lb_member *lb_member_find(const struct lb_service *, uint32_t id);
const struct lb_service **lb_model_sorted(const struct lb_model *,
                                          size_t *n);

/* Changes from REST bodies.  Each validates 'body' completely before it
 * changes anything: it either applies the whole change, bumps the
 * generations and returns 0, or changes nothing, fills 'error' (which the
 * caller then clears) and returns the error's HTTP status.
 *
 * PUT replaces the whole configuration (absent fields take their
 * defaults); PATCH changes only the fields 'body' has.  For a service,
 * "members" (when present) replaces the member list: a listed address that
 * the service already has keeps its member id and live state. */
int lb_service_create(struct lb_model *, const json_t *body,
                      uint64_t hash_basis, struct lb_service **,
                      struct lb_error *);
int lb_service_put(struct lb_model *, struct lb_service *,
                   const json_t *body, struct lb_error *);
int lb_service_patch(struct lb_model *, struct lb_service *,
                     const json_t *body, struct lb_error *);
void lb_service_delete(struct lb_model *, struct lb_service *);

int lb_member_create(struct lb_model *, struct lb_service *,
                     const json_t *body, struct lb_member **,
                     struct lb_error *);
int lb_member_put(struct lb_model *, struct lb_service *, struct lb_member *,
                  const json_t *body, struct lb_error *);
int lb_member_patch(struct lb_model *, struct lb_service *,
                    struct lb_member *, const json_t *body,
                    struct lb_error *);
void lb_member_delete(struct lb_model *, struct lb_service *,
                      struct lb_member *);

/* Undo for one change: lb_snapshot_take() copies service 'id' (or notes
 * that it does not exist) and the model's counters; lb_snapshot_restore()
 * puts them back exactly, generations included, and frees the snapshot.
 * rest uses it when the state file cannot be saved. */
struct lb_snapshot *lb_snapshot_take(const struct lb_model *, uint32_t id);
void lb_snapshot_restore(struct lb_model *, struct lb_snapshot *);
void lb_snapshot_destroy(struct lb_snapshot *);

/* JSON.  The REST views (docs/api.md) never include the hash basis.  The
 * state file's view has every configuration field, the ids, the hash
 * basis and no live state; lb_model_from_json() validates it as strictly
 * as a REST request and names the JSON path of what is wrong. */
json_t *lb_service_to_json(const struct lb_service *);
json_t *lb_member_to_json(const struct lb_member *);
json_t *lb_model_to_json(const struct lb_model *);
json_t *lb_service_to_state_json(const struct lb_service *);
json_t *lb_model_header_to_json(const struct lb_model *);
int lb_model_from_json(const json_t *, struct lb_model **,
                       struct lb_error *);

/* Formatting, canonical so that output is deterministic. */
#define LB_ADDR_STRLEN INET6_ADDRSTRLEN
void lb_format_address(const struct in6_addr *, char s[LB_ADDR_STRLEN]);
bool lb_member_mac(const struct lb_member *, struct eth_addr *mac);

/* The cookie of the stick entries that 'svc''s member 'member_id' learns
 * (pipeline.h); member id 0 gives the service-wide value to use with
 * FLOWLB_STICK_COOKIE_MASK. */
uint64_t lb_service_stick_cookie(const struct lb_service *,
                                 uint32_t member_id);

/* Health.  lb_member_set_health() records a change of 'm''s health (no-op
 * if 'health' is what it has), with 'reason' (copied) and the wall clock
 * 'now_ms', in its history; it bumps the generations, since a member that
 * goes down takes no new sessions.  lb_member_alive() is false only for a
 * member that is down.  lb_member_takes_sessions() says whether 'm' may
 * take new sessions: enabled, alive and with a known MAC. */
void lb_member_set_health(struct lb_model *, struct lb_service *,
                          struct lb_member *, enum lb_health,
                          const char *reason, long long int now_ms);
bool lb_member_alive(const struct lb_member *);
bool lb_member_takes_sessions(const struct lb_member *);

/* The member that takes 'm''s new sessions: 'm' if it can, else its
 * backup if that one can (a backup's own backup is not followed), else
 * NULL. */
const struct lb_member *lb_member_effective(const struct lb_service *,
                                            const struct lb_member *m);

/* True for "nat" and "napt". */
bool lb_service_is_nat(const struct lb_service *);

/* True if 'svc''s select group takes its bucket weights from the load
 * (balance.h): a load-based algorithm, and a group to weight (not
 * "per-session").  The round robins keep the configured weights. */
bool lb_service_weights_are_live(const struct lb_service *);

#endif /* flowlb/lb.h */
