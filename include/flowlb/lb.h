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

#define LB_FORWARDINGS                          \
    LB_FORWARDING(DSR, "dsr")

enum lb_forwarding {
#define LB_FORWARDING(ENUM, NAME) LB_FWD_##ENUM,
    LB_FORWARDINGS
#undef LB_FORWARDING
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

const char *lb_protocol_name(enum lb_protocol);
const char *lb_key_name(enum lb_key);
const char *lb_forwarding_name(enum lb_forwarding);
const char *lb_member_state_name(enum lb_member_state);

#define LB_WEIGHT_MIN 1
#define LB_WEIGHT_MAX 256

/* Service ids run from 1 to LB_SERVICE_ID_MAX so that cookies and group ids
 * derived from them (pipeline.h) fit; member ids from 1 to
 * LB_MEMBER_ID_MAX.  Ids are never reused within a model's life. */
#define LB_SERVICE_ID_MAX 0x00ffffff
#define LB_MEMBER_ID_MAX 0xffff

struct lb_member {
    struct ovs_list node;       /* In lb_service's 'members', ascending id. */
    uint32_t id;

    /* Configuration. */
    struct in6_addr address;    /* IPv4-mapped for an IPv4 member. */
    bool has_mac;               /* Operator gave 'mac'? */
    struct eth_addr mac;        /* Valid if 'has_mac'. */
    int weight;                 /* LB_WEIGHT_MIN to LB_WEIGHT_MAX. */
    enum lb_member_state state;

    /* Live state, never saved: what resolution found (only used when
     * !has_mac) and what the switches count. */
    bool resolved;
    struct eth_addr resolved_mac;
    long long int resolved_at;  /* Wall clock ms, or 0. */
    uint64_t n_packets;         /* Group bucket counters, all switches. */
    uint64_t n_bytes;
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
    int status;                 /* 400, 404, 409, 422. */
    char *field;
    char *message;
};

void lb_error_set(struct lb_error *, int status, const char *field,
                  const char *format, ...) OVS_PRINTF_FORMAT(4, 5);
void lb_error_clear(struct lb_error *);

#endif /* flowlb/lb.h */
