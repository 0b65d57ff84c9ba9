/*
 * lb: the load-balancing model.  See lb.h.
 *
 * Every change goes through three steps so that a rejected one changes
 * nothing: parse and validate the JSON into a 'struct service_config' or
 * 'struct member_config' (422), check that against the rest of the model
 * (409), then apply it.  PATCH merges its body into the JSON of the current
 * configuration and then goes through the same steps as PUT, and the state
 * file goes through the same validators as REST bodies.
 */
#include <config.h>
#include "flowlb/lb.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bitmap.h"
#include "flowlb/lb-algo.h"
#include "flowlb/pipeline.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

/* Names of the enums, indexed by value. */
static const char *const protocol_names[] = {
#define LB_PROTOCOL(ENUM, NAME) NAME,
    LB_PROTOCOLS
#undef LB_PROTOCOL
};
static const char *const key_names[] = {
#define LB_KEY(ENUM, NAME) NAME,
    LB_KEYS
#undef LB_KEY
};
static const char *const forwarding_names[] = {
#define LB_FORWARDING(ENUM, NAME) NAME,
    LB_FORWARDINGS
#undef LB_FORWARDING
};
static const char *const persistence_names[] = {
#define LB_PERSISTENCE(ENUM, NAME) NAME,
    LB_PERSISTENCES
#undef LB_PERSISTENCE
};
static const char *const label_change_names[] = {
#define LB_LABEL_CHANGE(ENUM, NAME) NAME,
    LB_LABEL_CHANGES
#undef LB_LABEL_CHANGE
};
static const char *const member_state_names[] = {
#define LB_MEMBER_STATE(ENUM, NAME) NAME,
    LB_MEMBER_STATES
#undef LB_MEMBER_STATE
};
static const char *const decision_names[] = {
#define LB_DECISION(ENUM, NAME) NAME,
    LB_DECISIONS
#undef LB_DECISION
};
static const char *const traffic_metric_names[] = {
#define LB_TRAFFIC_METRIC(ENUM, NAME) NAME,
    LB_TRAFFIC_METRICS
#undef LB_TRAFFIC_METRIC
};
static const char *const monitor_names[] = {
#define LB_MONITOR(ENUM, NAME) NAME,
    LB_MONITORS
#undef LB_MONITOR
};
static const char *const health_names[] = {
#define LB_HEALTH(ENUM, NAME) NAME,
    LB_HEALTHS
#undef LB_HEALTH
};

/* The enums' values are their names' indexes (each list defines both), so
 * a name is a lookup. */
static const char *
enum_name(const char *const names[], size_t n, unsigned int value)
{
    return value < n ? names[value] : "<unknown>";
}

const char *
lb_protocol_name(enum lb_protocol protocol)
{
    return enum_name(protocol_names, ARRAY_SIZE(protocol_names), protocol);
}

const char *
lb_key_name(enum lb_key key)
{
    return enum_name(key_names, ARRAY_SIZE(key_names), key);
}

const char *
lb_forwarding_name(enum lb_forwarding forwarding)
{
    return enum_name(forwarding_names, ARRAY_SIZE(forwarding_names),
                     forwarding);
}

const char *
lb_member_state_name(enum lb_member_state state)
{
    return enum_name(member_state_names, ARRAY_SIZE(member_state_names),
                     state);
}

const char *
lb_persistence_name(enum lb_persistence persistence)
{
    return enum_name(persistence_names, ARRAY_SIZE(persistence_names),
                     persistence);
}

const char *
lb_label_change_name(enum lb_label_change label_change)
{
    return enum_name(label_change_names, ARRAY_SIZE(label_change_names),
                     label_change);
}

const char *
lb_decision_name(enum lb_decision decision)
{
    return enum_name(decision_names, ARRAY_SIZE(decision_names), decision);
}

const char *
lb_traffic_metric_name(enum lb_traffic_metric metric)
{
    return enum_name(traffic_metric_names, ARRAY_SIZE(traffic_metric_names),
                     metric);
}

const char *
lb_monitor_name(enum lb_monitor_type type)
{
    return enum_name(monitor_names, ARRAY_SIZE(monitor_names), type);
}

const char *
lb_health_name(enum lb_health health)
{
    return enum_name(health_names, ARRAY_SIZE(health_names), health);
}

bool
lb_service_is_nat(const struct lb_service *svc)
{
    return svc->forwarding == LB_FWD_NAT || svc->forwarding == LB_FWD_NAPT;
}

bool
lb_service_weights_are_live(const struct lb_service *svc)
{
    return (svc->algorithm != LB_ALGO_ROUND_ROBIN
            && svc->algorithm != LB_ALGO_WEIGHTED_ROUND_ROBIN
            && svc->decision != LB_DECISION_PER_SESSION);
}

uint64_t
lb_service_stick_cookie(const struct lb_service *svc, uint32_t member_id)
{
    /* The policy byte: 1 + label_change, so that no stick cookie has 0
     * there. */
    return pipeline_stick_cookie(svc->id, 1 + svc->label_change, member_id);
}

static bool
key_is_label(enum lb_key key)
{
    return key == LB_KEY_SRC_LABEL || key == LB_KEY_SRC_DST_LABEL;
}

/* Errors. */

/* Fills 'error', which must be clear (zeroed or lb_error_clear()ed). */
void
lb_error_set(struct lb_error *error, int status, const char *field,
             const char *format, ...)
{
    va_list args;

    va_start(args, format);
    error->status = status;
    error->field = field ? xstrdup(field) : NULL;
    error->message = xvasprintf(format, args);
    va_end(args);
}

void
lb_error_clear(struct lb_error *error)
{
    free(error->field);
    free(error->message);
    error->status = 0;
    error->field = NULL;
    error->message = NULL;
}

/* Fills 'error' for the field whose JSON path is 'prefix' followed by
 * 'name', e.g. "members[2]." and "weight", or just "members[2]" when
 * 'name' is empty.  The message starts with the path.  Returns 'status'. */
static int OVS_PRINTF_FORMAT(5, 6)
field_error(struct lb_error *error, int status, const char *prefix,
            const char *name, const char *format, ...)
{
    char *path = xasprintf("%s%s", prefix, name);
    size_t len = strlen(path);
    if (len && path[len - 1] == '.') {
        path[len - 1] = '\0';
    }

    va_list args;
    va_start(args, format);
    char *text = xvasprintf(format, args);
    va_end(args);

    if (*path) {
        lb_error_set(error, status, path, "%s: %s", path, text);
    } else {
        lb_error_set(error, status, NULL, "%s", text);
    }
    free(text);
    free(path);
    return status;
}

/* Formatting. */

void
lb_format_address(const struct in6_addr *addr, char s[LB_ADDR_STRLEN])
{
    if (IN6_IS_ADDR_V4MAPPED(addr)) {
        inet_ntop(AF_INET, &addr->s6_addr[12], s, LB_ADDR_STRLEN);
    } else {
        inet_ntop(AF_INET6, addr, s, LB_ADDR_STRLEN);
    }
}

static json_t *
json_address(const struct in6_addr *addr)
{
    char s[LB_ADDR_STRLEN];
    lb_format_address(addr, s);
    return json_string(s);
}

static json_t *
json_mac(struct eth_addr mac)
{
    char s[ETH_ADDR_STRLEN + 1];
    snprintf(s, sizeof s, ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));
    return json_string(s);
}

static json_t *
json_hex64(uint64_t value)
{
    char s[19];
    snprintf(s, sizeof s, "0x%016"PRIx64, value);
    return json_string(s);
}

static json_t *
json_dpid(uint64_t dpid)
{
    char s[17];
    snprintf(s, sizeof s, "%016"PRIx64, dpid);
    return json_string(s);
}

/* Returns wall clock 'ms' (since the epoch) as an ISO-8601 UTC string
 * with milliseconds, e.g. "2026-11-24T05:11:11.123Z". */
static json_t *
json_time(long long int ms)
{
    time_t sec = ms / 1000;
    char s[32], full[40];
    struct tm tm;

    gmtime_r(&sec, &tm);
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(full, sizeof full, "%s.%03dZ", s, (int) (ms % 1000));
    return json_string(full);
}

static json_t *
json_nullable_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Stores the MAC 'member' uses into '*mac': the configured one, else the
 * resolved one.  Returns false if it has none. */
bool
lb_member_mac(const struct lb_member *member, struct eth_addr *mac)
{
    if (member->has_mac) {
        *mac = member->mac;
        return true;
    } else if (member->resolved) {
        *mac = member->resolved_mac;
        return true;
    }
    return false;
}

/* Parsing and validating single values. */

/* Returns "a, b, c" for 'names', for the caller to free. */
static char *
join_names(const char *const names[], size_t n)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&ds, "%s%s", i ? ", " : "", names[i]);
    }
    return ds_steal_cstr(&ds);
}

/* Fails if 'object' has a member not in 'allowed'; with 'required', also if
 * it lacks one of them. */
/* Fields that state files written by an older flowlbd lack.  Everything
 * else the state file must have, but these take their defaults, so that an
 * upgrade keeps the configuration. */
static bool
field_is_newer(const char *name)
{
    static const char *const newer[] = {
        /* Stateful services. */
        "persistence", "idle_timeout", "label_change",
        /* NAT, algorithms and health (issue 6): services... */
        "source", "source_ports", "timeouts", "algorithm", "decision",
        "per_session_rate", "traffic_metric", "traffic_window",
        "session_weight", "health", "passive_timeout", "ct_zone",
        /* ...and members. */
        "port", "backup", "cost",
    };
    for (size_t i = 0; i < ARRAY_SIZE(newer); i++) {
        if (!strcmp(name, newer[i])) {
            return true;
        }
    }
    return false;
}

static int
check_fields(const json_t *object, const char *prefix,
             const char *const allowed[], size_t n_allowed, bool required,
             struct lb_error *error)
{
    const char *key;
    json_t *value;

    json_object_foreach (CONST_CAST(json_t *, object), key, value) {
        size_t i;
        for (i = 0; i < n_allowed; i++) {
            if (!strcmp(key, allowed[i])) {
                break;
            }
        }
        if (i == n_allowed) {
            char *list = join_names(allowed, n_allowed);
            field_error(error, 422, prefix, key,
                        "unknown field; the fields are %s", list);
            free(list);
            return 422;
        }
    }
    if (required) {
        for (size_t i = 0; i < n_allowed; i++) {
            if (!json_object_get(object, allowed[i])
                && !field_is_newer(allowed[i])) {
                return field_error(error, 422, prefix, allowed[i],
                                   "required");
            }
        }
    }
    return 0;
}

static int
parse_enum(const json_t *value, const char *prefix, const char *name,
           const char *const names[], size_t n, int *index,
           struct lb_error *error)
{
    const char *s = json_string_value(value);
    for (size_t i = 0; s && i < n; i++) {
        if (!strcmp(s, names[i])) {
            *index = i;
            return 0;
        }
    }

    char *list = join_names(names, n);
    field_error(error, 422, prefix, name, "must be one of %s", list);
    free(list);
    return 422;
}

static int
parse_int(const json_t *value, const char *prefix, const char *name,
          long long int min, long long int max, long long int *result,
          struct lb_error *error)
{
    if (!json_is_integer(value)
        || json_integer_value(value) < min
        || json_integer_value(value) > max) {
        return field_error(error, 422, prefix, name,
                           "must be an integer from %lld to %lld", min, max);
    }
    *result = json_integer_value(value);
    return 0;
}

/* Parses an address for a VIP or a member: IPv4 (stored IPv4-mapped) or
 * IPv6, neither unspecified, loopback, multicast nor broadcast. */
static int
parse_address(const json_t *value, const char *prefix, const char *name,
              struct in6_addr *addr, struct lb_error *error)
{
    const char *s = json_string_value(value);
    const char *problem = NULL;
    struct in_addr a4;

    if (s && inet_pton(AF_INET, s, &a4) == 1) {
        uint32_t h = ntohl(a4.s_addr);
        *addr = in6_addr_mapped_ipv4(a4.s_addr);
        if (!h) {
            problem = "unspecified";
        } else if (h >> 24 == 127) {
            problem = "loopback";
        } else if (h >> 28 == 0xe) {
            problem = "multicast";
        } else if (h == UINT32_MAX) {
            problem = "broadcast";
        }
    } else if (s && inet_pton(AF_INET6, s, addr) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(addr)) {
            return field_error(error, 422, prefix, name,
                               "\"%s\" is IPv4-mapped: write the IPv4 "
                               "address as a.b.c.d", s);
        } else if (IN6_IS_ADDR_UNSPECIFIED(addr)) {
            problem = "unspecified";
        } else if (IN6_IS_ADDR_LOOPBACK(addr)) {
            problem = "loopback";
        } else if (IN6_IS_ADDR_MULTICAST(addr)) {
            problem = "multicast";
        }
    } else {
        return field_error(error, 422, prefix, name,
                           "must be an IPv6 or IPv4 address string, e.g. "
                           "2001:db8::1 or 192.0.2.1");
    }

    if (problem) {
        return field_error(error, 422, prefix, name,
                           "%s is a %s address; use a unicast one", s,
                           problem);
    }
    return 0;
}

static bool
is_hex_string(const char *s, size_t len)
{
    if (strlen(s) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!strchr("0123456789abcdefABCDEF", s[i])) {
            return false;
        }
    }
    return true;
}

/* Parses a unicast, nonzero MAC written xx:xx:xx:xx:xx:xx. */
static int
parse_mac(const json_t *value, const char *prefix, const char *name,
          struct eth_addr *mac, struct lb_error *error)
{
    const char *s = json_string_value(value);
    bool ok = s && strlen(s) == 17;

    for (size_t i = 0; ok && i < 6; i++) {
        char digits[3] = { s[i * 3], s[i * 3 + 1], '\0' };
        ok = is_hex_string(digits, 2) && (i == 5 || s[i * 3 + 2] == ':');
        if (ok) {
            mac->ea[i] = strtoul(digits, NULL, 16);
        }
    }
    if (!ok) {
        return field_error(error, 422, prefix, name,
                           "must be a MAC address xx:xx:xx:xx:xx:xx");
    } else if (eth_addr_is_multicast(*mac)) {
        return field_error(error, 422, prefix, name,
                           "%s is a multicast MAC; use a unicast one", s);
    } else if (eth_addr_is_zero(*mac)) {
        return field_error(error, 422, prefix, name,
                           "must not be 00:00:00:00:00:00");
    }
    return 0;
}

/* Parses "0x" followed by exactly 16 hex digits. */
static int
parse_hex64(const json_t *value, const char *prefix, const char *name,
            uint64_t *result, struct lb_error *error)
{
    const char *s = json_string_value(value);
    if (!s || strncmp(s, "0x", 2) || !is_hex_string(s + 2, 16)) {
        return field_error(error, 422, prefix, name,
                           "must be a string \"0x\" and 16 hex digits");
    }
    *result = strtoull(s + 2, NULL, 16);
    return 0;
}

/* A name is 1 to 63 ASCII letters, digits, '_', '.' or '-' starting with a
 * letter, so that it never looks like an id. */
static bool
name_is_valid(const char *s)
{
    size_t len = strlen(s);
    if (!len || len > 63) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (!letter && (!i || (!digit && !strchr("_.-", c)))) {
            return false;
        }
    }
    return true;
}

static int
compare_u16(const void *a_, const void *b_)
{
    uint16_t a = *(const uint16_t *) a_;
    uint16_t b = *(const uint16_t *) b_;
    return a < b ? -1 : a > b;
}

static int
compare_u64(const void *a_, const void *b_)
{
    uint64_t a = *(const uint64_t *) a_;
    uint64_t b = *(const uint64_t *) b_;
    return a < b ? -1 : a > b;
}

/* Parsed, validated configurations. */

struct member_config {
    uint32_t id;                /* Only from the state file; else 0. */
    struct in6_addr address;
    bool has_mac;
    struct eth_addr mac;
    int weight;
    enum lb_member_state state;
    uint16_t port;
    uint32_t backup;            /* 0: none. */
    double cost;
};

struct service_config {
    const char *name;           /* Points into the JSON parsed. */
    struct in6_addr vip;
    bool is_ipv4;
    enum lb_protocol protocol;
    uint16_t *ports;
    size_t n_ports;
    enum lb_key key;
    enum lb_forwarding forwarding;
    enum lb_persistence persistence;
    int idle_timeout;
    enum lb_label_change label_change;
    struct in6_addr source;     /* NAPT only. */
    uint16_t source_port_min, source_port_max;
    int timeout_tcp, timeout_udp, timeout_icmp;
    int algorithm;              /* enum lb_algo_type. */
    enum lb_decision decision;
    int per_session_rate;
    enum lb_traffic_metric traffic_metric;
    int traffic_window;
    int session_weight;
    struct lb_monitor monitor;  /* 'path' is a copy, or NULL. */
    int passive_timeout;
    uint64_t *switches;
    size_t n_switches;
    bool has_members;           /* False: keep the current members. */
    struct member_config *members;
    size_t n_members;

    /* Only from the state file. */
    uint32_t id;
    uint64_t hash_basis;
    uint32_t next_member_id;
    uint16_t ct_zone;           /* 0: absent, allocate one. */
};

static void
service_config_destroy(struct service_config *cfg)
{
    free(cfg->ports);
    free(cfg->switches);
    free(cfg->members);
    free(cfg->monitor.path);
}

static bool
forwarding_is_nat(enum lb_forwarding forwarding)
{
    return forwarding == LB_FWD_NAT || forwarding == LB_FWD_NAPT;
}

static const char *const member_fields[] = {
    "address", "mac", "weight", "state", "port", "backup", "cost", "id",
};
#define N_MEMBER_REST_FIELDS 7  /* The state file adds "id". */

/* Parses a member's access cost: a number greater than 0, or "infinity"
 * (the member takes nothing under the cost-* algorithms). */
static int
parse_cost(const json_t *value, const char *prefix, const char *name,
           double *cost, struct lb_error *error)
{
    const char *s = json_string_value(value);
    if (s && !strcmp(s, "infinity")) {
        *cost = INFINITY;
        return 0;
    } else if (json_is_number(value) && json_number_value(value) > 0
               && isfinite(json_number_value(value))) {
        *cost = json_number_value(value);
        return 0;
    }
    return field_error(error, 422, prefix, name,
                       "must be a number greater than 0, or \"infinity\"");
}

/* Parses member 'json' whose JSON path is 'prefix' (e.g. "members[2]." or
 * ""), from the state file if 'state', into 'mc'. */
static int
parse_member(const json_t *json, const char *prefix, bool state,
             struct member_config *mc, struct lb_error *error)
{
    size_t n_fields = N_MEMBER_REST_FIELDS + state;
    long long int value;
    int index;
    json_t *j;

    memset(mc, 0, sizeof *mc);
    if (!json_is_object(json)) {
        return field_error(error, 422, prefix, "", "must be an object");
    }
    if (check_fields(json, prefix, member_fields, n_fields, state, error)) {
        return 422;
    }

    j = json_object_get(json, "address");
    if (!j) {
        return field_error(error, 422, prefix, "address", "required");
    } else if (parse_address(j, prefix, "address", &mc->address, error)) {
        return 422;
    }

    j = json_object_get(json, "mac");
    if (j && !json_is_null(j)) {
        if (parse_mac(j, prefix, "mac", &mc->mac, error)) {
            return 422;
        }
        mc->has_mac = true;
    }

    mc->weight = 1;
    j = json_object_get(json, "weight");
    if (j) {
        if (parse_int(j, prefix, "weight", LB_WEIGHT_MIN, LB_WEIGHT_MAX,
                      &value, error)) {
            return 422;
        }
        mc->weight = value;
    }

    mc->state = LB_MEMBER_ENABLED;
    j = json_object_get(json, "state");
    if (j) {
        if (parse_enum(j, prefix, "state", member_state_names,
                       ARRAY_SIZE(member_state_names), &index, error)) {
            return 422;
        }
        mc->state = index;
    }

    j = json_object_get(json, "port");
    if (j) {
        if (parse_int(j, prefix, "port", 0, 65535, &value, error)) {
            return 422;
        }
        mc->port = value;
    }

    j = json_object_get(json, "backup");
    if (j && !json_is_null(j)) {
        if (!json_is_integer(j) || json_integer_value(j) < 0
            || json_integer_value(j) > LB_MEMBER_ID_MAX) {
            return field_error(error, 422, prefix, "backup",
                               "must be the id of another member of the "
                               "service (1 to %d), or 0 or null for none",
                               LB_MEMBER_ID_MAX);
        }
        mc->backup = json_integer_value(j);
    }

    mc->cost = 1;
    j = json_object_get(json, "cost");
    if (j && parse_cost(j, prefix, "cost", &mc->cost, error)) {
        return 422;
    }

    if (state) {
        if (parse_int(json_object_get(json, "id"), prefix, "id", 1,
                      LB_MEMBER_ID_MAX, &value, error)) {
            return 422;
        }
        mc->id = value;
    }
    return 0;
}

/* Checks that member address 'addr' at JSON path 'prefix''name' suits a
 * service whose VIP is 'vip'. */
static int
check_member_family(const struct in6_addr *addr, const struct in6_addr *vip,
                    const char *prefix, const char *name,
                    struct lb_error *error)
{
    bool vip_is_ipv4 = IN6_IS_ADDR_V4MAPPED(vip);
    if (IN6_IS_ADDR_V4MAPPED(addr) != vip_is_ipv4) {
        return field_error(error, 422, prefix, name,
                           "must be an %s address, like the service's VIP",
                           vip_is_ipv4 ? "IPv4" : "IPv6");
    } else if (ipv6_addr_equals(addr, vip)) {
        return field_error(error, 422, prefix, name,
                           "must differ from the service's VIP");
    }
    return 0;
}

static const char *const service_fields[] = {
    "name", "vip", "protocol", "ports", "key", "forwarding", "persistence",
    "idle_timeout", "label_change", "source", "source_ports", "timeouts",
    "algorithm", "decision", "per_session_rate", "traffic_metric",
    "traffic_window", "session_weight", "health", "passive_timeout",
    "switches", "members",
    "id", "hash_basis", "next_member_id", "ct_zone",
};
#define N_SERVICE_REST_FIELDS 22 /* The state file adds the other four. */

static int
parse_ports(const json_t *json, const char *prefix,
            struct service_config *cfg, struct lb_error *error)
{
    if (!json_is_array(json) || json_array_size(json) > LB_PORTS_MAX) {
        return field_error(error, 422, prefix, "ports",
                           "must be a list of at most %d port numbers "
                           "(empty: every port)", LB_PORTS_MAX);
    }

    size_t n = json_array_size(json);
    cfg->ports = xmalloc(MAX(n, 1) * sizeof *cfg->ports);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        long long int port;

        snprintf(name, sizeof name, "ports[%"PRIuSIZE"]", i);
        if (parse_int(json_array_get(json, i), prefix, name, 1, 65535,
                      &port, error)) {
            return 422;
        }
        for (size_t k = 0; k < i; k++) {
            if (cfg->ports[k] == port) {
                return field_error(error, 422, prefix, name,
                                   "port %lld is listed twice", port);
            }
        }
        cfg->ports[cfg->n_ports++] = port;
    }
    qsort(cfg->ports, cfg->n_ports, sizeof *cfg->ports, compare_u16);
    return 0;
}

static int
parse_switches(const json_t *json, const char *prefix,
               struct service_config *cfg, struct lb_error *error)
{
    if (!json_is_array(json)) {
        return field_error(error, 422, prefix, "switches",
                           "must be a list of datapath ids (empty: every "
                           "switch)");
    }

    size_t n = json_array_size(json);
    cfg->switches = xmalloc(MAX(n, 1) * sizeof *cfg->switches);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(json, i));
        char name[32];

        snprintf(name, sizeof name, "switches[%"PRIuSIZE"]", i);
        if (!s || !is_hex_string(s, 16)) {
            return field_error(error, 422, prefix, name,
                               "must be a datapath id of 16 hex digits, "
                               "e.g. 00000000000000b0");
        }
        uint64_t dpid = strtoull(s, NULL, 16);
        for (size_t k = 0; k < i; k++) {
            if (cfg->switches[k] == dpid) {
                return field_error(error, 422, prefix, name,
                                   "switch %s is listed twice", s);
            }
        }
        cfg->switches[cfg->n_switches++] = dpid;
    }
    qsort(cfg->switches, cfg->n_switches, sizeof *cfg->switches,
          compare_u64);
    return 0;
}

static int
parse_members(const json_t *json, const char *prefix, bool state,
              struct service_config *cfg, struct lb_error *error)
{
    if (!json_is_array(json) || json_array_size(json) > LB_MEMBER_ID_MAX) {
        return field_error(error, 422, prefix, "members",
                           "must be a list of at most %d member objects",
                           LB_MEMBER_ID_MAX);
    }

    size_t n = json_array_size(json);
    cfg->has_members = true;
    cfg->members = xmalloc(MAX(n, 1) * sizeof *cfg->members);
    for (size_t i = 0; i < n; i++) {
        struct member_config *mc = &cfg->members[i];
        char *mprefix = xasprintf("%smembers[%"PRIuSIZE"].", prefix, i);
        int status = parse_member(json_array_get(json, i), mprefix, state,
                                  mc, error);
        if (!status) {
            status = check_member_family(&mc->address, &cfg->vip, mprefix,
                                         "address", error);
        }
        if (!status && mc->port && !forwarding_is_nat(cfg->forwarding)) {
            status = field_error(error, 422, mprefix, "port",
                                 "must be 0 with forwarding dsr, which "
                                 "does not translate ports");
        }
        if (!status && state && mc->id >= cfg->next_member_id) {
            status = field_error(error, 422, mprefix, "id",
                                 "must be less than next_member_id (%"
                                 PRIu32")", cfg->next_member_id);
        }
        for (size_t k = 0; !status && k < i; k++) {
            if (state && cfg->members[k].id == mc->id) {
                status = field_error(error, 422, mprefix, "id",
                                     "members[%"PRIuSIZE"] has the same id",
                                     k);
            }
        }
        free(mprefix);
        if (status) {
            return status;
        }
        cfg->n_members++;
    }

    /* Only once every field is valid: a duplicate is a conflict (409). */
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < i; k++) {
            if (ipv6_addr_equals(&cfg->members[k].address,
                                 &cfg->members[i].address)) {
                char *mprefix = xasprintf("%smembers[%"PRIuSIZE"].", prefix,
                                          i);
                field_error(error, 409, mprefix, "address",
                            "members[%"PRIuSIZE"] has the same address", k);
                free(mprefix);
                return 409;
            }
        }
    }
    return 0;
}

/* Parses "persistence", "idle_timeout" and "label_change" from 'json' into
 * 'cfg', whose VIP is already parsed.
 *
 * "label_change" says what a stateful service does when a known 5-tuple
 * comes with a new label.  A stateless service has no memory of the old
 * label, so for it the only true value is "rebalance"; an IPv4 packet has
 * no label, so for an IPv4 service the only true value is "follow".  The
 * default is the one true value, or "follow" for stateful IPv6 services,
 * and any other value is refused rather than silently ignored. */
static int
parse_persistence(const json_t *json, const char *prefix,
                  struct service_config *cfg, struct lb_error *error)
{
    long long int value;
    int index;
    json_t *j;

    cfg->persistence = LB_PERSIST_STATELESS;
    j = json_object_get(json, "persistence");
    if (j) {
        if (parse_enum(j, prefix, "persistence", persistence_names,
                       ARRAY_SIZE(persistence_names), &index, error)) {
            return 422;
        }
        cfg->persistence = index;
    }

    cfg->idle_timeout = LB_IDLE_TIMEOUT_DEFAULT;
    j = json_object_get(json, "idle_timeout");
    if (j) {
        if (parse_int(j, prefix, "idle_timeout", 1, LB_IDLE_TIMEOUT_MAX,
                      &value, error)) {
            return 422;
        }
        cfg->idle_timeout = value;
    }

    enum lb_label_change only;
    const char *why;
    if (cfg->persistence == LB_PERSIST_STATELESS) {
        only = LB_LABEL_REBALANCE;
        why = "a stateless service keeps no session to follow or check";
    } else if (cfg->is_ipv4) {
        only = LB_LABEL_FOLLOW;
        why = "IPv4 packets carry no flow label";
    } else {
        only = -1;
        why = NULL;
    }

    cfg->label_change = only == -1 ? LB_LABEL_FOLLOW : only;
    j = json_object_get(json, "label_change");
    if (j) {
        if (parse_enum(j, prefix, "label_change", label_change_names,
                       ARRAY_SIZE(label_change_names), &index, error)) {
            return 422;
        }
        if (only != -1 && index != only) {
            return field_error(error, 422, prefix, "label_change",
                               "must be %s: %s", lb_label_change_name(only),
                               why);
        }
        cfg->label_change = index;
    }
    return 0;
}

/* Parses the LSNAT fields: "source" and "source_ports" (NAPT only) and
 * "timeouts" (NAT and NAPT), into 'cfg', whose VIP and forwarding are
 * already parsed.  A field that the forwarding does not use is refused
 * rather than ignored. */
static int
parse_nat(const json_t *json, const char *prefix, struct service_config *cfg,
          struct lb_error *error)
{
    bool nat = forwarding_is_nat(cfg->forwarding);
    bool napt = cfg->forwarding == LB_FWD_NAPT;
    long long int value;
    json_t *j;

    j = json_object_get(json, "source");
    if (!j || json_is_null(j)) {
        if (napt) {
            return field_error(error, 422, prefix, "source",
                               "required with forwarding napt: the "
                               "balancer's address that members see "
                               "sessions come from");
        }
    } else if (!napt) {
        return field_error(error, 422, prefix, "source",
                           "only a napt service takes a source address");
    } else if (parse_address(j, prefix, "source", &cfg->source, error)) {
        return 422;
    } else if (IN6_IS_ADDR_V4MAPPED(&cfg->source) != cfg->is_ipv4) {
        return field_error(error, 422, prefix, "source",
                           "must be an %s address, like the service's VIP",
                           cfg->is_ipv4 ? "IPv4" : "IPv6");
    } else if (ipv6_addr_equals(&cfg->source, &cfg->vip)) {
        return field_error(error, 422, prefix, "source",
                           "must differ from the service's VIP");
    }

    cfg->source_port_min = 1024;
    cfg->source_port_max = 65535;
    j = json_object_get(json, "source_ports");
    if (j) {
        long long int min, max;
        char *pprefix = xasprintf("%ssource_ports", prefix);

        if (!napt) {
            free(pprefix);
            return field_error(error, 422, prefix, "source_ports",
                               "only a napt service takes source ports");
        } else if (!json_is_array(j) || json_array_size(j) != 2) {
            free(pprefix);
            return field_error(error, 422, prefix, "source_ports",
                               "must be a list [min, max] of two port "
                               "numbers");
        } else if (parse_int(json_array_get(j, 0), pprefix, "[0]", 1, 65535,
                             &min, error)
                   || parse_int(json_array_get(j, 1), pprefix, "[1]", 1,
                                65535, &max, error)) {
            free(pprefix);
            return 422;
        }
        free(pprefix);
        if (min > max) {
            return field_error(error, 422, prefix, "source_ports",
                               "min (%lld) must not exceed max (%lld)",
                               min, max);
        }
        cfg->source_port_min = min;
        cfg->source_port_max = max;
    }

    cfg->timeout_tcp = LB_TIMEOUT_TCP_DEFAULT;
    cfg->timeout_udp = LB_TIMEOUT_OTHER_DEFAULT;
    cfg->timeout_icmp = LB_TIMEOUT_OTHER_DEFAULT;
    j = json_object_get(json, "timeouts");
    if (j) {
        static const char *const fields[] = { "tcp", "udp", "icmp" };
        int *timeouts[] = {
            &cfg->timeout_tcp, &cfg->timeout_udp, &cfg->timeout_icmp,
        };

        if (!nat) {
            return field_error(error, 422, prefix, "timeouts",
                               "only nat and napt services take session "
                               "timeouts (dsr: idle_timeout)");
        } else if (!json_is_object(j)) {
            return field_error(error, 422, prefix, "timeouts",
                               "must be an object {\"tcp\": s, \"udp\": s, "
                               "\"icmp\": s}");
        }

        char *tprefix = xasprintf("%stimeouts.", prefix);
        int status = check_fields(j, tprefix, fields, ARRAY_SIZE(fields),
                                  false, error);
        for (size_t i = 0; !status && i < ARRAY_SIZE(fields); i++) {
            const json_t *t = json_object_get(j, fields[i]);
            if (t) {
                status = parse_int(t, tprefix, fields[i], 1, LB_TIMEOUT_MAX,
                                   &value, error);
                *timeouts[i] = value;
            }
        }
        free(tprefix);
        if (status) {
            return status;
        }
    }
    return 0;
}

/* Parses the algorithm and how its choice is applied: "algorithm",
 * "decision", "per_session_rate", "traffic_metric", "traffic_window" and
 * "session_weight", into 'cfg', whose forwarding is already parsed. */
static int
parse_algorithm(const json_t *json, const char *prefix,
                struct service_config *cfg, struct lb_error *error)
{
    long long int value;
    int index;
    json_t *j;

    cfg->algorithm = LB_ALGO_WEIGHTED_ROUND_ROBIN;
    j = json_object_get(json, "algorithm");
    if (j) {
        enum lb_algo_type type;
        const char *s = json_string_value(j);
        if (!s || !lb_algo_find(s, &type)) {
            return field_error(error, 422, prefix, "algorithm",
                               "must be one of %s", lb_algo_names());
        }
        cfg->algorithm = type;
    }

    cfg->decision = LB_DECISION_DATAPATH_FAST;
    j = json_object_get(json, "decision");
    if (j) {
        if (parse_enum(j, prefix, "decision", decision_names,
                       ARRAY_SIZE(decision_names), &index, error)) {
            return 422;
        }
        cfg->decision = index;
    }
    if (cfg->decision == LB_DECISION_PER_SESSION
        && !forwarding_is_nat(cfg->forwarding)) {
        return field_error(error, 422, prefix, "decision",
                           "per-session needs forwarding nat or napt, "
                           "whose sessions flowlbd can bind one by one");
    }

    static const struct {
        const char *name;
        int min, max, dflt;
        size_t offset;
    } ints[] = {
        { "per_session_rate", 1, 100000, 1000,
          offsetof(struct service_config, per_session_rate) },
        { "traffic_window", 1, 3600, 10,
          offsetof(struct service_config, traffic_window) },
        { "session_weight", 1, LB_WEIGHT_MAX, 1,
          offsetof(struct service_config, session_weight) },
    };
    for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
        int *field = (int *) ((char *) cfg + ints[i].offset);
        *field = ints[i].dflt;
        j = json_object_get(json, ints[i].name);
        if (j) {
            if (parse_int(j, prefix, ints[i].name, ints[i].min, ints[i].max,
                          &value, error)) {
                return 422;
            }
            *field = value;
        }
        if (i == 0) {
            /* "traffic_metric" comes between, in the order of the API's
             * table. */
            cfg->traffic_metric = LB_TRAFFIC_BYTES;
            j = json_object_get(json, "traffic_metric");
            if (j) {
                if (parse_enum(j, prefix, "traffic_metric",
                               traffic_metric_names,
                               ARRAY_SIZE(traffic_metric_names), &index,
                               error)) {
                    return 422;
                }
                cfg->traffic_metric = index;
            }
        }
    }
    return 0;
}

/* Parses a duration in seconds, a number (fractions allowed) from 0.1 to
 * 3600, into milliseconds. */
static int
parse_seconds(const json_t *value, const char *prefix, const char *name,
              int *ms, struct lb_error *error)
{
    double s = json_number_value(value);
    if (!json_is_number(value) || !(s >= 0.1) || s > 3600) {
        return field_error(error, 422, prefix, name,
                           "must be a number of seconds from 0.1 to 3600");
    }
    *ms = lround(s * 1000);
    return 0;
}

/* An HTTP request path: "/" and then printable ASCII without spaces, so
 * that it can go into a request line as it is. */
static bool
http_path_is_valid(const char *s)
{
    size_t len = strlen(s);
    if (s[0] != '/' || len > 1024) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] <= ' ' || s[i] > '~') {
            return false;
        }
    }
    return true;
}

/* Parses health monitor object 'j', whose JSON path is 'prefix' (e.g.
 * "health."), into 'mon' (whose 'path' the caller frees). */
static int
parse_monitor(const json_t *j, const char *prefix, struct lb_monitor *mon,
              struct lb_error *error)
{
    static const char *const fields[] = {
        "type", "interval", "timeout", "rise", "fall", "port", "path",
        "expect",
    };
    long long int value;
    const json_t *v;

    if (check_fields(j, prefix, fields, ARRAY_SIZE(fields), false, error)) {
        return 422;
    }

    const char *type = json_string_value(json_object_get(j, "type"));
    for (int i = LB_MONITOR_ICMP; type && i <= LB_MONITOR_HTTP; i++) {
        if (!strcmp(type, monitor_names[i])) {
            mon->type = i;
        }
    }
    if (mon->type == LB_MONITOR_NONE) {
        return field_error(error, 422, prefix, "type",
                           "must be one of icmp, tcp, http (a health "
                           "object needs a type; null: no monitor)");
    }
    bool http = mon->type == LB_MONITOR_HTTP;

    mon->interval_ms = 2000;
    v = json_object_get(j, "interval");
    if (v && parse_seconds(v, prefix, "interval", &mon->interval_ms,
                           error)) {
        return 422;
    }
    mon->timeout_ms = MIN(1000, mon->interval_ms);
    v = json_object_get(j, "timeout");
    if (v) {
        if (parse_seconds(v, prefix, "timeout", &mon->timeout_ms, error)) {
            return 422;
        } else if (mon->timeout_ms > mon->interval_ms) {
            return field_error(error, 422, prefix, "timeout",
                               "must not exceed interval (%g s)",
                               mon->interval_ms / 1000.0);
        }
    }

    mon->rise = 2;
    mon->fall = 3;
    v = json_object_get(j, "rise");
    if (v) {
        if (parse_int(v, prefix, "rise", 1, 100, &value, error)) {
            return 422;
        }
        mon->rise = value;
    }
    v = json_object_get(j, "fall");
    if (v) {
        if (parse_int(v, prefix, "fall", 1, 100, &value, error)) {
            return 422;
        }
        mon->fall = value;
    }

    v = json_object_get(j, "port");
    if (v) {
        if (parse_int(v, prefix, "port", 0, 65535, &value, error)) {
            return 422;
        } else if (value && mon->type == LB_MONITOR_ICMP) {
            return field_error(error, 422, prefix, "port",
                               "must be 0 for an icmp monitor, which uses "
                               "no port");
        }
        mon->port = value;
    }

    v = json_object_get(j, "path");
    if (v) {
        const char *path = json_string_value(v);
        if (!http) {
            return field_error(error, 422, prefix, "path",
                               "only an http monitor takes a path");
        } else if (!path || !http_path_is_valid(path)) {
            return field_error(error, 422, prefix, "path",
                               "must be a string of at most 1024 "
                               "printable characters, no spaces, starting "
                               "with \"/\"");
        }
    }
    if (http) {
        mon->path = xstrdup(v ? json_string_value(v) : "/");
    }

    mon->expect_status = http ? 200 : 0;
    v = json_object_get(j, "expect");
    if (v) {
        if (!http) {
            return field_error(error, 422, prefix, "expect",
                               "only an http monitor takes an expected "
                               "status");
        } else if (parse_int(v, prefix, "expect", 100, 599, &value,
                             error)) {
            return 422;
        }
        mon->expect_status = value;
    }
    return 0;
}

/* Parses "health" and "passive_timeout" into 'cfg', whose forwarding is
 * already parsed.  Passive detection watches the members' replies, which
 * only NAT and NAPT services see. */
static int
parse_health(const json_t *json, const char *prefix,
             struct service_config *cfg, struct lb_error *error)
{
    const json_t *j = json_object_get(json, "health");

    memset(&cfg->monitor, 0, sizeof cfg->monitor);
    cfg->monitor.type = LB_MONITOR_NONE;
    if (j && !json_is_null(j)) {
        if (!json_is_object(j)) {
            return field_error(error, 422, prefix, "health",
                               "must be an object {\"type\": \"icmp\", "
                               "\"tcp\" or \"http\", ...}, or null for "
                               "none");
        }
        char *hprefix = xasprintf("%shealth.", prefix);
        int status = parse_monitor(j, hprefix, &cfg->monitor, error);
        free(hprefix);
        if (status) {
            return status;
        }
    }

    long long int value;
    cfg->passive_timeout = 0;
    j = json_object_get(json, "passive_timeout");
    if (j) {
        if (parse_int(j, prefix, "passive_timeout", 0, 3600, &value,
                      error)) {
            return 422;
        } else if (value && !forwarding_is_nat(cfg->forwarding)) {
            return field_error(error, 422, prefix, "passive_timeout",
                               "must be 0 with forwarding dsr: replies "
                               "bypass the balancer, so none can be seen");
        }
        cfg->passive_timeout = value;
    }
    return 0;
}

/* Parses service 'json', whose JSON path is 'prefix' (e.g. "services[3]."
 * or ""), from the state file if 'state', into 'cfg', which the caller
 * destroys with service_config_destroy() whatever this returns.  Absent
 * fields take their defaults. */
static int
parse_service(const json_t *json, const char *prefix, bool state,
              struct service_config *cfg, struct lb_error *error)
{
    size_t n_fields = state ? ARRAY_SIZE(service_fields)
                            : N_SERVICE_REST_FIELDS;
    long long int value;
    int index;
    json_t *j;

    memset(cfg, 0, sizeof *cfg);
    if (!json_is_object(json)) {
        return field_error(error, 422, prefix, "", "must be an object");
    }
    if (check_fields(json, prefix, service_fields, n_fields, state, error)) {
        return 422;
    }

    j = json_object_get(json, "name");
    if (!j) {
        return field_error(error, 422, prefix, "name", "required");
    }
    cfg->name = json_string_value(j);
    if (!cfg->name || !name_is_valid(cfg->name)) {
        return field_error(error, 422, prefix, "name",
                           "must be a string of 1 to 63 letters, digits, "
                           "'_', '.' or '-' that starts with a letter");
    }

    j = json_object_get(json, "vip");
    if (!j) {
        return field_error(error, 422, prefix, "vip", "required");
    } else if (parse_address(j, prefix, "vip", &cfg->vip, error)) {
        return 422;
    }
    cfg->is_ipv4 = IN6_IS_ADDR_V4MAPPED(&cfg->vip);

    cfg->protocol = LB_PROTO_TCP;
    j = json_object_get(json, "protocol");
    if (j) {
        if (parse_enum(j, prefix, "protocol", protocol_names,
                       ARRAY_SIZE(protocol_names), &index, error)) {
            return 422;
        }
        cfg->protocol = index;
    }

    j = json_object_get(json, "ports");
    if (j && parse_ports(j, prefix, cfg, error)) {
        return 422;
    }
    if (cfg->n_ports && cfg->protocol == LB_PROTO_ANY) {
        return field_error(error, 422, prefix, "ports",
                           "must be empty (every port) when protocol is "
                           "any");
    }

    cfg->key = cfg->is_ipv4 ? LB_KEY_FIVE_TUPLE : LB_KEY_SRC_DST_LABEL;
    j = json_object_get(json, "key");
    if (j) {
        if (parse_enum(j, prefix, "key", key_names, ARRAY_SIZE(key_names),
                       &index, error)) {
            return 422;
        }
        cfg->key = index;
    }
    if (cfg->is_ipv4 && key_is_label(cfg->key)) {
        return field_error(error, 422, prefix, "key",
                           "%s needs an IPv6 VIP; an IPv4 service uses "
                           "5tuple or src", lb_key_name(cfg->key));
    }

    cfg->forwarding = LB_FWD_DSR;
    j = json_object_get(json, "forwarding");
    if (j) {
        if (parse_enum(j, prefix, "forwarding", forwarding_names,
                       ARRAY_SIZE(forwarding_names), &index, error)) {
            return 422;
        }
        cfg->forwarding = index;
    }

    if (parse_persistence(json, prefix, cfg, error)
        || parse_nat(json, prefix, cfg, error)
        || parse_algorithm(json, prefix, cfg, error)
        || parse_health(json, prefix, cfg, error)) {
        return 422;
    }

    j = json_object_get(json, "switches");
    if (j && parse_switches(j, prefix, cfg, error)) {
        return 422;
    }

    if (state) {
        if (parse_int(json_object_get(json, "id"), prefix, "id", 1,
                      LB_SERVICE_ID_MAX, &value, error)) {
            return 422;
        }
        cfg->id = value;
        if (parse_hex64(json_object_get(json, "hash_basis"), prefix,
                        "hash_basis", &cfg->hash_basis, error)) {
            return 422;
        }
        if (parse_int(json_object_get(json, "next_member_id"), prefix,
                      "next_member_id", 1, LB_MEMBER_ID_MAX + 1, &value,
                      error)) {
            return 422;
        }
        cfg->next_member_id = value;

        j = json_object_get(json, "ct_zone");
        if (j) {
            if (parse_int(j, prefix, "ct_zone", 0, LB_CT_ZONE_MAX, &value,
                          error)) {
                return 422;
            }
            cfg->ct_zone = value;
        }
    }

    j = json_object_get(json, "members");
    if (j) {
        return parse_members(j, prefix, state, cfg, error);
    }
    return 0;
}

/* The model. */

static uint32_t
hash_service_id(uint32_t id)
{
    return hash_int(id, 0);
}

struct lb_model *
lb_model_create(void)
{
    struct lb_model *model = xzalloc(sizeof *model);
    hmap_init(&model->services);
    model->next_service_id = 1;
    return model;
}

static struct lb_member *
member_new(uint32_t id)
{
    struct lb_member *m = xzalloc(sizeof *m);
    m->id = id;
    m->cost = 1;
    m->rtt_ms = -1;
    m->health = LB_HEALTH_UNKNOWN;
    return m;
}

static void
member_free(struct lb_member *m)
{
    if (m) {
        size_t n = MIN(m->n_history, LB_HEALTH_HISTORY);
        for (size_t i = 0; i < n; i++) {
            free(m->history[i].reason);
        }
        free(m->health_reason);
        free(m);
    }
}

/* Returns a deep copy of 'm', not in any list. */
static struct lb_member *
member_clone(const struct lb_member *m)
{
    struct lb_member *copy = xmemdup(m, sizeof *m);
    size_t n = MIN(m->n_history, LB_HEALTH_HISTORY);
    for (size_t i = 0; i < n; i++) {
        copy->history[i].reason = nullable_xstrdup(m->history[i].reason);
    }
    copy->health_reason = nullable_xstrdup(m->health_reason);
    return copy;
}

static void
service_free(struct lb_service *svc)
{
    if (svc) {
        struct lb_member *m;
        LIST_FOR_EACH_POP (m, node, &svc->members) {
            member_free(m);
        }
        free(svc->name);
        free(svc->ports);
        free(svc->switches);
        free(svc->monitor.path);
        free(svc);
    }
}

void
lb_model_destroy(struct lb_model *model)
{
    if (model) {
        struct lb_service *svc;
        HMAP_FOR_EACH_POP (svc, node, &model->services) {
            service_free(svc);
        }
        hmap_destroy(&model->services);
        free(model);
    }
}

struct lb_service *
lb_service_find(const struct lb_model *model, uint32_t id)
{
    struct lb_service *svc;
    HMAP_FOR_EACH_WITH_HASH (svc, node, hash_service_id(id),
                             &model->services) {
        if (svc->id == id) {
            return svc;
        }
    }
    return NULL;
}

struct lb_service *
lb_service_find_by_name(const struct lb_model *model, const char *name)
{
    struct lb_service *svc;
    HMAP_FOR_EACH (svc, node, &model->services) {
        if (!strcmp(svc->name, name)) {
            return svc;
        }
    }
    return NULL;
}

struct lb_service *
lb_service_lookup(const struct lb_model *model, const char *id_or_name)
{
    size_t len = strlen(id_or_name);
    if (len && len <= 10 && strspn(id_or_name, "0123456789") == len) {
        unsigned long long int id = strtoull(id_or_name, NULL, 10);
        return id <= LB_SERVICE_ID_MAX ? lb_service_find(model, id) : NULL;
    }
    return lb_service_find_by_name(model, id_or_name);
}

struct lb_member *
lb_member_find(const struct lb_service *svc, uint32_t id)
{
    struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        if (m->id == id) {
            return m;
        }
    }
    return NULL;
}

static struct lb_member *
member_find_by_address(const struct lb_service *svc,
                       const struct in6_addr *address)
{
    struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        if (ipv6_addr_equals(&m->address, address)) {
            return m;
        }
    }
    return NULL;
}

static int
compare_services(const void *a_, const void *b_)
{
    const struct lb_service *const *a = a_;
    const struct lb_service *const *b = b_;
    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

const struct lb_service **
lb_model_sorted(const struct lb_model *model, size_t *n)
{
    const struct lb_service **list;
    const struct lb_service *svc;
    size_t i = 0;

    *n = hmap_count(&model->services);
    list = xmalloc(MAX(*n, 1) * sizeof *list);
    HMAP_FOR_EACH (svc, node, &model->services) {
        list[i++] = svc;
    }
    qsort(list, *n, sizeof *list, compare_services);
    return list;
}

/* Records a change to 'svc' (NULL for a deletion). */
static void
touch(struct lb_model *model, struct lb_service *svc)
{
    model->generation++;
    if (svc) {
        svc->generation = model->generation;
    }
}

/* Conflicts. */

static bool
protocols_overlap(enum lb_protocol a, enum lb_protocol b)
{
    return a == LB_PROTO_ANY || b == LB_PROTO_ANY || a == b;
}

/* Returns true if port lists 'a' and 'b' (empty: every port) share a port,
 * storing it into '*port' (0 for "every port"). */
static bool
ports_overlap(const uint16_t *a, size_t n_a, const uint16_t *b, size_t n_b,
              uint16_t *port)
{
    if (!n_a || !n_b) {
        *port = n_a ? a[0] : n_b ? b[0] : 0;
        return true;
    }
    for (size_t i = 0; i < n_a; i++) {
        for (size_t k = 0; k < n_b; k++) {
            if (a[i] == b[k]) {
                *port = a[i];
                return true;
            }
        }
    }
    return false;
}

/* Checks 'cfg', meant to replace 'self' (NULL for a new service), against
 * the other services of 'model' and, when it keeps its members, against
 * them. */
static int
check_service_conflicts(const struct lb_model *model,
                        const struct service_config *cfg,
                        const struct lb_service *self, const char *prefix,
                        struct lb_error *error)
{
    const struct lb_service *other = lb_service_find_by_name(model,
                                                             cfg->name);
    if (other && other != self) {
        return field_error(error, 409, prefix, "name",
                           "service %"PRIu32" is already named \"%s\"",
                           other->id, cfg->name);
    }

    HMAP_FOR_EACH (other, node, &model->services) {
        uint16_t port;
        if (other != self
            && ipv6_addr_equals(&other->vip, &cfg->vip)
            && protocols_overlap(other->protocol, cfg->protocol)
            && ports_overlap(cfg->ports, cfg->n_ports, other->ports,
                             other->n_ports, &port)) {
            char vip[LB_ADDR_STRLEN];
            char *what = (port ? xasprintf("port %"PRIu16, port)
                          : xstrdup("every port"));
            lb_format_address(&cfg->vip, vip);
            field_error(error, 409, prefix, "vip",
                        "service %"PRIu32" (%s) already balances %s %s %s",
                        other->id, other->name, vip,
                        lb_protocol_name(other->protocol), what);
            free(what);
            return 409;
        }
    }

    if (self && !cfg->has_members) {
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &self->members) {
            struct lb_error e = { .status = 0 };
            if (check_member_family(&m->address, &cfg->vip, "", "", &e)) {
                lb_error_clear(&e);
                char addr[LB_ADDR_STRLEN];
                lb_format_address(&m->address, addr);
                return field_error(error, 422, prefix, "vip",
                                   "does not suit member %"PRIu32" (%s): "
                                   "a VIP and its members are one family "
                                   "and differ", m->id, addr);
            }
        }
    }
    return 0;
}

/* Returns true if a member with translated port 'a_port' of a service with
 * ports 'a_ports' (of 'n_a') may be sent packets to a port that a member
 * with 'b_port' of a service with 'b_ports' may be sent too.  Port 0 keeps
 * the client's destination port: one of the service's ports, or any port
 * if it lists none. */
static bool
member_ports_overlap(uint16_t a_port, const uint16_t *a_ports, size_t n_a,
                     uint16_t b_port, const uint16_t *b_ports, size_t n_b)
{
    uint16_t port;
    if (a_port) {
        a_ports = &a_port;
        n_a = 1;
    }
    if (b_port) {
        b_ports = &b_port;
        n_b = 1;
    }
    return ports_overlap(a_ports, n_a, b_ports, n_b, &port);
}

/* Returns a NAT or NAPT service of 'model' other than 'self' that has a
 * member at 'address' whose protocol and ports overlap those of a member at
 * 'address', port 'port', of a service with 'protocol' and 'ports' (of
 * 'n_ports'), or NULL if there is none.  Two such members' replies would
 * look the same, and flowlbd could not tell which service's conntrack zone
 * they belong to. */
static const struct lb_service *
nat_member_clash(const struct lb_model *model, const struct lb_service *self,
                 enum lb_protocol protocol, const uint16_t *ports,
                 size_t n_ports, const struct in6_addr *address,
                 uint16_t port)
{
    const struct lb_service *other;
    HMAP_FOR_EACH (other, node, &model->services) {
        if (other == self || !lb_service_is_nat(other)
            || !protocols_overlap(protocol, other->protocol)) {
            continue;
        }
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &other->members) {
            if (ipv6_addr_equals(&m->address, address)
                && member_ports_overlap(port, ports, n_ports, m->port,
                                        other->ports, other->n_ports)) {
                return other;
            }
        }
    }
    return NULL;
}

static int
nat_clash_error(struct lb_error *error, const char *prefix,
                const char *name, const struct lb_service *other,
                const struct in6_addr *address)
{
    char addr[LB_ADDR_STRLEN];
    lb_format_address(address, addr);
    return field_error(error, 409, prefix, name,
                       "service %"PRIu32" (%s) is nat or napt and has "
                       "member %s on an overlapping protocol and port: "
                       "their replies could not be told apart",
                       other->id, other->name, addr);
}

/* Checks the LSNAT parts of 'cfg', meant to replace 'self' (NULL for a new
 * service), against the other services of 'model': NAPT source addresses
 * are nobody's VIP and nobody else's source, and members of NAT services
 * do not clash (nat_member_clash()). */
static int
check_nat_conflicts(const struct lb_model *model,
                    const struct service_config *cfg,
                    const struct lb_service *self, const char *prefix,
                    struct lb_error *error)
{
    const struct lb_service *other;
    char addr[LB_ADDR_STRLEN];

    HMAP_FOR_EACH (other, node, &model->services) {
        if (other == self) {
            continue;
        }
        if (other->forwarding == LB_FWD_NAPT
            && ipv6_addr_equals(&other->source, &cfg->vip)) {
            lb_format_address(&cfg->vip, addr);
            return field_error(error, 409, prefix, "vip",
                               "%s is the napt source address of service "
                               "%"PRIu32" (%s)", addr, other->id,
                               other->name);
        }
        if (cfg->forwarding != LB_FWD_NAPT) {
            continue;
        }
        lb_format_address(&cfg->source, addr);
        if (ipv6_addr_equals(&other->vip, &cfg->source)) {
            return field_error(error, 409, prefix, "source",
                               "%s is the VIP of service %"PRIu32" (%s)",
                               addr, other->id, other->name);
        } else if (other->forwarding == LB_FWD_NAPT
                   && ipv6_addr_equals(&other->source, &cfg->source)) {
            return field_error(error, 409, prefix, "source",
                               "service %"PRIu32" (%s) already sends from "
                               "%s", other->id, other->name, addr);
        }
    }

    if (!forwarding_is_nat(cfg->forwarding)) {
        return 0;
    }
    if (cfg->has_members) {
        for (size_t i = 0; i < cfg->n_members; i++) {
            const struct member_config *mc = &cfg->members[i];
            other = nat_member_clash(model, self, cfg->protocol, cfg->ports,
                                     cfg->n_ports, &mc->address, mc->port);
            if (other) {
                char *mprefix = xasprintf("%smembers[%"PRIuSIZE"].", prefix,
                                          i);
                nat_clash_error(error, mprefix, "address", other,
                                &mc->address);
                free(mprefix);
                return 409;
            }
        }
    } else if (self) {
        const struct lb_member *m;
        size_t i = 0;
        LIST_FOR_EACH (m, node, &self->members) {
            other = nat_member_clash(model, self, cfg->protocol, cfg->ports,
                                     cfg->n_ports, &m->address, m->port);
            if (other) {
                char *mprefix = xasprintf("%smembers[%"PRIuSIZE"].", prefix,
                                          i);
                nat_clash_error(error, mprefix, "address", other,
                                &m->address);
                free(mprefix);
                return 409;
            }
            i++;
        }
    }
    return 0;
}

/* Checks the members that 'cfg' gives 'svc' (NULL for a new service), or
 * keeps, against the rest of 'cfg': a backup names another member of the
 * result, a tcp monitor finds a port for every member, and dsr translates
 * no port.  In a member list the ids are those the members will have: an
 * address 'svc' has keeps its id, the new ones are numbered in list
 * order (members_replace()). */
static int
check_service_members(const struct lb_service *svc,
                      const struct service_config *cfg, const char *prefix,
                      struct lb_error *error)
{
    bool nat = forwarding_is_nat(cfg->forwarding);
    bool tcp_needs_port = (cfg->monitor.type == LB_MONITOR_TCP
                           && !cfg->monitor.port && !cfg->n_ports);
    static const char tcp_port[] = "a tcp monitor needs a port: set "
        "health.port, give the service ports, or give every member a port";

    if (!cfg->has_members) {
        const struct lb_member *m;
        if (!svc) {
            return 0;
        }
        LIST_FOR_EACH (m, node, &svc->members) {
            if (m->port && !nat) {
                return field_error(error, 422, prefix, "forwarding",
                                   "dsr does not translate ports, and "
                                   "member %"PRIu32" has port %"PRIu16": "
                                   "give the members too, or set their "
                                   "port to 0 first", m->id, m->port);
            } else if (tcp_needs_port && !m->port) {
                return field_error(error, 422, prefix, "health.port",
                                   "%s (member %"PRIu32" has none)",
                                   tcp_port, m->id);
            }
        }
        return 0;
    }

    uint32_t *ids = xmalloc(MAX(cfg->n_members, 1) * sizeof *ids);
    uint32_t next = svc ? svc->next_member_id : 1;
    for (size_t i = 0; i < cfg->n_members; i++) {
        const struct member_config *mc = &cfg->members[i];
        const struct lb_member *m = (svc
                                     ? member_find_by_address(svc,
                                                              &mc->address)
                                     : NULL);
        ids[i] = mc->id ? mc->id : m ? m->id : next++;
    }

    int status = 0;
    for (size_t i = 0; !status && i < cfg->n_members; i++) {
        const struct member_config *mc = &cfg->members[i];
        char *mprefix = xasprintf("%smembers[%"PRIuSIZE"].", prefix, i);
        if (mc->backup) {
            size_t k;
            for (k = 0; k < cfg->n_members; k++) {
                if (ids[k] == mc->backup) {
                    break;
                }
            }
            if (k == i) {
                status = field_error(error, 422, mprefix, "backup",
                                     "must not be the member itself (id "
                                     "%"PRIu32")", ids[i]);
            } else if (k == cfg->n_members) {
                bool dropped = svc && lb_member_find(svc, mc->backup);
                status = field_error(error, 422, mprefix, "backup",
                                     "no member %"PRIu32" in the member "
                                     "list%s", mc->backup,
                                     dropped ? ", which drops it" : "");
            }
        }
        if (!status && tcp_needs_port && !mc->port) {
            status = field_error(error, 422, prefix, "health.port",
                                 "%s (members[%"PRIuSIZE"] has none)",
                                 tcp_port, i);
        }
        free(mprefix);
    }
    free(ids);
    return status;
}

/* Returns the smallest conntrack zone that no service of 'model' other than
 * 'self' has, or 0 if every one is taken. */
static uint16_t
ct_zone_alloc(const struct lb_model *model, const struct lb_service *self)
{
    unsigned long *used = bitmap_allocate(LB_CT_ZONE_MAX + 1);
    const struct lb_service *svc;

    HMAP_FOR_EACH (svc, node, &model->services) {
        if (svc != self && svc->ct_zone) {
            bitmap_set1(used, svc->ct_zone);
        }
    }
    size_t zone = bitmap_scan(used, false, 1, LB_CT_ZONE_MAX + 1);
    bitmap_free(used);
    return zone <= LB_CT_ZONE_MAX ? zone : 0;
}

/* Stores into '*zone' the conntrack zone of 'self' (NULL for a new
 * service), allocating one if it has none.  Only a NAT or NAPT service
 * needs one: for it, when none is left, fails with 507. */
static int
ct_zone_assign(const struct lb_model *model, const struct lb_service *self,
               const struct service_config *cfg, const char *prefix,
               uint16_t *zone, struct lb_error *error)
{
    *zone = self ? self->ct_zone : 0;
    if (!*zone) {
        *zone = ct_zone_alloc(model, self);
        if (!*zone && forwarding_is_nat(cfg->forwarding)) {
            return field_error(error, 507, prefix, "forwarding",
                               "no conntrack zone is left for a %s "
                               "service: other services hold all %d",
                               lb_forwarding_name(cfg->forwarding),
                               LB_CT_ZONE_MAX);
        }
    }
    return 0;
}

/* Checks that 'svc' has ids left for the members 'cfg' adds. */
static int
check_member_ids(const struct lb_service *svc,
                 const struct service_config *cfg, struct lb_error *error)
{
    size_t n_new = 0;
    for (size_t i = 0; i < cfg->n_members; i++) {
        if (!svc || !member_find_by_address(svc, &cfg->members[i].address)) {
            n_new++;
        }
    }
    uint32_t next = svc ? svc->next_member_id : 1;
    if (n_new > LB_MEMBER_ID_MAX + 1 - next) {
        return field_error(error, 409, "", "members",
                           "the service has no member ids left; ids are "
                           "never reused, create a new service");
    }
    return 0;
}

/* Returns the greatest common divisor of 'a' and 'b' (the other one if
 * either is 0): weights divided by it keep their ratios with the fewest
 * buckets. */
unsigned int
lb_gcd(unsigned int a, unsigned int b)
{
    while (b) {
        unsigned int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Applying validated configurations. */

/* Records a change of 'm''s health to 'health', for 'reason' (copied, may
 * be NULL), at wall clock 'now_ms', in 'm' and its history.  Returns false,
 * changing nothing, if 'm' already has 'health'. */
static bool
member_record_health(struct lb_member *m, enum lb_health health,
                     const char *reason, long long int now_ms)
{
    if (m->health == health) {
        return false;
    }

    /* The ring's oldest event makes room once it is full. */
    struct lb_health_event *e = &m->history[m->n_history
                                            % LB_HEALTH_HISTORY];
    if (m->n_history >= LB_HEALTH_HISTORY) {
        free(e->reason);
    }
    e->time_ms = now_ms;
    e->health = health;
    e->reason = nullable_xstrdup(reason);
    m->n_history++;

    m->health = health;
    m->health_count = 0;
    m->health_since_ms = now_ms;
    free(m->health_reason);
    m->health_reason = nullable_xstrdup(reason);
    return true;
}

/* Forgets what the monitors found out about 'm', because they or the host
 * they probe changed: its health goes back to unknown (which counts as up)
 * and its round trip to unknown. */
static void
member_reset_health(struct lb_member *m, const char *reason)
{
    member_record_health(m, LB_HEALTH_UNKNOWN, reason, time_wall_msec());
    m->health_count = 0;
    m->rtt_ms = -1;
}

static void
member_apply(struct lb_member *m, const struct member_config *mc)
{
    if (!ipv6_addr_equals(&m->address, &mc->address)) {
        /* Another host: what was resolved, counted and probed is not
         * its. */
        m->resolved = false;
        m->resolved_mac = eth_addr_zero;
        m->n_packets = 0;
        m->n_bytes = 0;
        m->n_reply_packets = 0;
        m->n_reply_bytes = 0;
        m->n_napt_exhausted = 0;
        m->traffic_rate = 0;
        member_reset_health(m, "address changed");
    }
    m->address = mc->address;
    m->has_mac = mc->has_mac;
    m->mac = mc->has_mac ? mc->mac : eth_addr_zero;
    m->weight = mc->weight;
    m->state = mc->state;
    m->port = mc->port;
    m->backup = mc->backup;
    m->cost = mc->cost;
}

static int
compare_members(const void *a_, const void *b_)
{
    const struct lb_member *const *a = a_;
    const struct lb_member *const *b = b_;
    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

/* Replaces the members of 'svc' by those of 'cfg'.  A member whose address
 * 'svc' already has keeps its id and live state. */
static void
members_replace(struct lb_service *svc, const struct service_config *cfg)
{
    struct lb_member **array = xmalloc(MAX(cfg->n_members, 1)
                                       * sizeof *array);
    for (size_t i = 0; i < cfg->n_members; i++) {
        const struct member_config *mc = &cfg->members[i];
        struct lb_member *m = member_find_by_address(svc, &mc->address);
        if (m) {
            ovs_list_remove(&m->node);
        } else {
            m = member_new(mc->id ? mc->id : svc->next_member_id++);
        }
        member_apply(m, mc);
        array[i] = m;
    }

    struct lb_member *m;
    LIST_FOR_EACH_POP (m, node, &svc->members) {
        member_free(m);
    }
    qsort(array, cfg->n_members, sizeof *array, compare_members);
    for (size_t i = 0; i < cfg->n_members; i++) {
        ovs_list_push_back(&svc->members, &array[i]->node);
    }
    free(array);
}

static bool
monitors_equal(const struct lb_monitor *a, const struct lb_monitor *b)
{
    return (a->type == b->type
            && a->interval_ms == b->interval_ms
            && a->timeout_ms == b->timeout_ms
            && a->rise == b->rise
            && a->fall == b->fall
            && a->port == b->port
            && nullable_string_is_equal(a->path, b->path)
            && a->expect_status == b->expect_status);
}

static void
service_apply(struct lb_service *svc, struct service_config *cfg)
{
    free(svc->name);
    svc->name = xstrdup(cfg->name);
    svc->vip = cfg->vip;
    svc->is_ipv4 = cfg->is_ipv4;
    svc->protocol = cfg->protocol;

    free(svc->ports);
    svc->ports = cfg->n_ports ? cfg->ports : NULL;
    svc->n_ports = cfg->n_ports;
    if (svc->ports) {
        cfg->ports = NULL;
    }

    svc->key = cfg->key;
    svc->forwarding = cfg->forwarding;
    svc->persistence = cfg->persistence;
    svc->idle_timeout = cfg->idle_timeout;
    svc->label_change = cfg->label_change;

    svc->source = cfg->source;
    svc->source_port_min = cfg->source_port_min;
    svc->source_port_max = cfg->source_port_max;
    svc->timeout_tcp = cfg->timeout_tcp;
    svc->timeout_udp = cfg->timeout_udp;
    svc->timeout_icmp = cfg->timeout_icmp;
    svc->algorithm = cfg->algorithm;
    svc->decision = cfg->decision;
    svc->per_session_rate = cfg->per_session_rate;
    svc->traffic_metric = cfg->traffic_metric;
    svc->traffic_window = cfg->traffic_window;
    svc->session_weight = cfg->session_weight;

    /* What the monitors found means nothing to another monitor, and a
     * member that passive detection took down would stay down with it
     * off. */
    bool health_changed = (!monitors_equal(&svc->monitor, &cfg->monitor)
                           || svc->passive_timeout != cfg->passive_timeout);
    free(svc->monitor.path);
    svc->monitor = cfg->monitor;
    cfg->monitor.path = NULL;
    svc->passive_timeout = cfg->passive_timeout;

    free(svc->switches);
    svc->switches = cfg->n_switches ? cfg->switches : NULL;
    svc->n_switches = cfg->n_switches;
    if (svc->switches) {
        cfg->switches = NULL;
    }

    if (cfg->has_members) {
        members_replace(svc, cfg);
    }
    if (health_changed) {
        struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            member_reset_health(m, "monitor changed");
        }
    }
}

static struct lb_service *
service_new(uint32_t id, uint64_t hash_basis)
{
    struct lb_service *svc = xzalloc(sizeof *svc);
    svc->id = id;
    svc->hash_basis = hash_basis;
    svc->next_member_id = 1;
    svc->monitor.type = LB_MONITOR_NONE;
    ovs_list_init(&svc->members);
    return svc;
}

/* Changes from REST bodies. */

int
lb_service_create(struct lb_model *model, const json_t *body,
                  uint64_t hash_basis, struct lb_service **svcp,
                  struct lb_error *error)
{
    struct service_config cfg;
    uint16_t zone = 0;
    int status = parse_service(body, "", false, &cfg, error);
    if (!status) {
        status = check_service_members(NULL, &cfg, "", error);
    }
    if (!status) {
        status = check_service_conflicts(model, &cfg, NULL, "", error);
    }
    if (!status) {
        status = check_nat_conflicts(model, &cfg, NULL, "", error);
    }
    if (!status && model->next_service_id > LB_SERVICE_ID_MAX) {
        status = field_error(error, 409, "", "",
                             "no service ids left; ids are never reused");
    }
    if (!status) {
        status = check_member_ids(NULL, &cfg, error);
    }
    if (!status) {
        status = ct_zone_assign(model, NULL, &cfg, "", &zone, error);
    }
    if (!status) {
        struct lb_service *svc = service_new(model->next_service_id++,
                                             hash_basis);
        svc->ct_zone = zone;
        service_apply(svc, &cfg);
        hmap_insert(&model->services, &svc->node, hash_service_id(svc->id));
        touch(model, svc);
        *svcp = svc;
    }
    service_config_destroy(&cfg);
    return status;
}

int
lb_service_put(struct lb_model *model, struct lb_service *svc,
               const json_t *body, struct lb_error *error)
{
    struct service_config cfg;
    uint16_t zone = 0;
    int status = parse_service(body, "", false, &cfg, error);
    if (!status) {
        status = check_service_members(svc, &cfg, "", error);
    }
    if (!status) {
        status = check_service_conflicts(model, &cfg, svc, "", error);
    }
    if (!status) {
        status = check_nat_conflicts(model, &cfg, svc, "", error);
    }
    if (!status) {
        status = check_member_ids(svc, &cfg, error);
    }
    if (!status) {
        status = ct_zone_assign(model, svc, &cfg, "", &zone, error);
    }
    if (!status) {
        svc->ct_zone = zone;
        service_apply(svc, &cfg);
        touch(model, svc);
    }
    service_config_destroy(&cfg);
    return status;
}

/* Returns the JSON of seconds 'ms' / 1000: an integer when it is one. */
static json_t *
json_seconds(int ms)
{
    return ms % 1000 ? json_real(ms / 1000.0) : json_integer(ms / 1000);
}

/* Returns 'svc''s health monitor as JSON, null for none. */
static json_t *
monitor_to_json(const struct lb_monitor *mon)
{
    if (mon->type == LB_MONITOR_NONE) {
        return json_null();
    }

    json_t *j = json_object();
    json_object_set_new(j, "type", json_string(lb_monitor_name(mon->type)));
    json_object_set_new(j, "interval", json_seconds(mon->interval_ms));
    json_object_set_new(j, "timeout", json_seconds(mon->timeout_ms));
    json_object_set_new(j, "rise", json_integer(mon->rise));
    json_object_set_new(j, "fall", json_integer(mon->fall));
    if (mon->type != LB_MONITOR_ICMP) {
        json_object_set_new(j, "port", json_integer(mon->port));
    }
    if (mon->type == LB_MONITOR_HTTP) {
        json_object_set_new(j, "path", json_string(mon->path));
        json_object_set_new(j, "expect", json_integer(mon->expect_status));
    }
    return j;
}

/* Returns the configuration of 'svc' as JSON, without members: what PUT
 * takes, and the part of the REST and state views that they share.  The
 * fields that 'svc''s forwarding does not take are left out, so that what
 * GET returns can be PUT back. */
static json_t *
service_config_to_json(const struct lb_service *svc)
{
    json_t *ports = json_array();
    for (size_t i = 0; i < svc->n_ports; i++) {
        json_array_append_new(ports, json_integer(svc->ports[i]));
    }
    json_t *switches = json_array();
    for (size_t i = 0; i < svc->n_switches; i++) {
        json_array_append_new(switches, json_dpid(svc->switches[i]));
    }

    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(svc->name));
    json_object_set_new(j, "vip", json_address(&svc->vip));
    json_object_set_new(j, "protocol",
                        json_string(lb_protocol_name(svc->protocol)));
    json_object_set_new(j, "ports", ports);
    json_object_set_new(j, "key", json_string(lb_key_name(svc->key)));
    json_object_set_new(j, "forwarding",
                        json_string(lb_forwarding_name(svc->forwarding)));
    json_object_set_new(j, "persistence",
                        json_string(lb_persistence_name(svc->persistence)));
    json_object_set_new(j, "idle_timeout", json_integer(svc->idle_timeout));
    json_object_set_new(j, "label_change",
                        json_string(lb_label_change_name(svc->label_change)));
    if (svc->forwarding == LB_FWD_NAPT) {
        json_object_set_new(j, "source", json_address(&svc->source));
        json_object_set_new(j, "source_ports",
                            json_pack("[i, i]", svc->source_port_min,
                                      svc->source_port_max));
    }
    if (lb_service_is_nat(svc)) {
        json_object_set_new(j, "timeouts",
                            json_pack("{s:i, s:i, s:i}",
                                      "tcp", svc->timeout_tcp,
                                      "udp", svc->timeout_udp,
                                      "icmp", svc->timeout_icmp));
    }
    json_object_set_new(j, "algorithm",
                        json_string(lb_algo_name(svc->algorithm)));
    json_object_set_new(j, "decision",
                        json_string(lb_decision_name(svc->decision)));
    json_object_set_new(j, "per_session_rate",
                        json_integer(svc->per_session_rate));
    json_object_set_new(j, "traffic_metric", json_string(
                            lb_traffic_metric_name(svc->traffic_metric)));
    json_object_set_new(j, "traffic_window",
                        json_integer(svc->traffic_window));
    json_object_set_new(j, "session_weight",
                        json_integer(svc->session_weight));
    json_object_set_new(j, "health", monitor_to_json(&svc->monitor));
    json_object_set_new(j, "passive_timeout",
                        json_integer(svc->passive_timeout));
    json_object_set_new(j, "switches", switches);
    return j;
}

/* Returns the configuration of 'm' as JSON, with its id if 'with_id'. */
static json_t *
member_config_to_json(const struct lb_member *m, bool with_id)
{
    json_t *j = json_object();
    if (with_id) {
        json_object_set_new(j, "id", json_integer(m->id));
    }
    json_object_set_new(j, "address", json_address(&m->address));
    json_object_set_new(j, "mac", m->has_mac ? json_mac(m->mac) : json_null());
    json_object_set_new(j, "weight", json_integer(m->weight));
    json_object_set_new(j, "state",
                        json_string(lb_member_state_name(m->state)));
    json_object_set_new(j, "port", json_integer(m->port));
    json_object_set_new(j, "backup",
                        m->backup ? json_integer(m->backup) : json_null());
    json_object_set_new(j, "cost",
                        (isinf(m->cost) ? json_string("infinity")
                         : m->cost < 1e15 && m->cost == floor(m->cost)
                         ? json_integer(m->cost)
                         : json_real(m->cost)));
    return j;
}

/* Returns the index of 'name' in 'names' (of 'n'), or -1. */
static int
name_index(const char *const names[], size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++) {
        if (!strcmp(name, names[i])) {
            return i;
        }
    }
    return -1;
}

int
lb_service_patch(struct lb_model *model, struct lb_service *svc,
                 const json_t *body, struct lb_error *error)
{
    if (!json_is_object(body)) {
        return field_error(error, 422, "", "", "must be an object");
    }
    json_t *merged = service_config_to_json(svc);
    /* A label_change the body leaves alone follows a change of persistence
     * or VIP family to its new default, since the old value may mean
     * nothing there (see parse_persistence()). */
    if (!json_object_get(body, "label_change")
        && (json_object_get(body, "persistence")
            || json_object_get(body, "vip"))) {
        json_object_del(merged, "label_change");
    }

    /* Likewise, a change of forwarding drops the fields that the new one
     * does not take (and refuses) unless the body gives them: NAPT's
     * source, NAT's timeouts, per-session decisions, passive detection and
     * the members' ports. */
    const char *fwd_name = json_string_value(json_object_get(body,
                                                             "forwarding"));
    int fwd = name_index(forwarding_names, ARRAY_SIZE(forwarding_names),
                         fwd_name);
    if (fwd >= 0) {
        static const struct {
            const char *field;
            bool napt;          /* Only NAPT takes it, else NAT too. */
        } fields[] = {
            { "source", true }, { "source_ports", true },
            { "timeouts", false }, { "decision", false },
            { "passive_timeout", false },
        };
        for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
            bool takes = (fields[i].napt ? fwd == LB_FWD_NAPT
                          : forwarding_is_nat(fwd));
            if (!takes && !json_object_get(body, fields[i].field)) {
                json_object_del(merged, fields[i].field);
            }
        }

        const struct lb_member *m;
        bool ports = false;
        LIST_FOR_EACH (m, node, &svc->members) {
            ports = ports || m->port;
        }
        if (!forwarding_is_nat(fwd) && ports
            && !json_object_get(body, "members")) {
            json_t *members = json_array();
            LIST_FOR_EACH (m, node, &svc->members) {
                json_t *mj = member_config_to_json(m, false);
                json_object_del(mj, "port");
                json_array_append_new(members, mj);
            }
            json_object_set_new(merged, "members", members);
        }
    }

    json_object_update(merged, CONST_CAST(json_t *, body));
    int status = lb_service_put(model, svc, merged, error);
    json_decref(merged);
    return status;
}

void
lb_service_delete(struct lb_model *model, struct lb_service *svc)
{
    hmap_remove(&model->services, &svc->node);
    service_free(svc);
    touch(model, NULL);
}

/* Checks member 'mc', meant to replace 'self' (NULL for a new member),
 * against 'svc'. */
static int
check_member(const struct lb_model *model, const struct lb_service *svc,
             const struct member_config *mc, const struct lb_member *self,
             struct lb_error *error)
{
    if (check_member_family(&mc->address, &svc->vip, "", "address", error)) {
        return 422;
    }
    if (mc->port && !lb_service_is_nat(svc)) {
        return field_error(error, 422, "", "port",
                           "must be 0 with forwarding dsr, which does not "
                           "translate ports");
    }
    if (mc->backup && self && mc->backup == self->id) {
        return field_error(error, 422, "", "backup",
                           "must not be the member itself (id %"PRIu32")",
                           self->id);
    } else if (mc->backup && !lb_member_find(svc, mc->backup)) {
        return field_error(error, 422, "", "backup",
                           "the service has no member %"PRIu32, mc->backup);
    }
    if (svc->monitor.type == LB_MONITOR_TCP && !svc->monitor.port
        && !svc->n_ports && !mc->port) {
        return field_error(error, 422, "", "port",
                           "the service's tcp monitor needs a port: give "
                           "the member one, or the service health.port or "
                           "ports");
    }

    const struct lb_member *other = member_find_by_address(svc,
                                                           &mc->address);
    if (other && other != self) {
        return field_error(error, 409, "", "address",
                           "member %"PRIu32" already has this address",
                           other->id);
    }
    if (!self && svc->next_member_id > LB_MEMBER_ID_MAX) {
        return field_error(error, 409, "", "",
                           "the service has no member ids left; ids are "
                           "never reused, create a new service");
    }
    if (lb_service_is_nat(svc)) {
        const struct lb_service *clash;
        clash = nat_member_clash(model, svc, svc->protocol, svc->ports,
                                 svc->n_ports, &mc->address, mc->port);
        if (clash) {
            return nat_clash_error(error, "", "address", clash,
                                   &mc->address);
        }
    }
    return 0;
}

int
lb_member_create(struct lb_model *model, struct lb_service *svc,
                 const json_t *body, struct lb_member **memberp,
                 struct lb_error *error)
{
    struct member_config mc;
    int status = parse_member(body, "", false, &mc, error);
    if (!status) {
        status = check_member(model, svc, &mc, NULL, error);
    }
    if (!status) {
        struct lb_member *m = member_new(svc->next_member_id++);
        member_apply(m, &mc);
        ovs_list_push_back(&svc->members, &m->node);
        touch(model, svc);
        *memberp = m;
    }
    return status;
}

int
lb_member_put(struct lb_model *model, struct lb_service *svc,
              struct lb_member *m, const json_t *body,
              struct lb_error *error)
{
    struct member_config mc;
    int status = parse_member(body, "", false, &mc, error);
    if (!status) {
        status = check_member(model, svc, &mc, m, error);
    }
    if (!status) {
        member_apply(m, &mc);
        touch(model, svc);
    }
    return status;
}

int
lb_member_patch(struct lb_model *model, struct lb_service *svc,
                struct lb_member *m, const json_t *body,
                struct lb_error *error)
{
    if (!json_is_object(body)) {
        return field_error(error, 422, "", "", "must be an object");
    }
    json_t *merged = member_config_to_json(m, false);
    json_object_update(merged, CONST_CAST(json_t *, body));
    int status = lb_member_put(model, svc, m, merged, error);
    json_decref(merged);
    return status;
}

/* Deletes 'm' from 'svc'.  Members whose backup it was have none any
 * more. */
void
lb_member_delete(struct lb_model *model, struct lb_service *svc,
                 struct lb_member *m)
{
    struct lb_member *other;
    LIST_FOR_EACH (other, node, &svc->members) {
        if (other->backup == m->id) {
            other->backup = 0;
        }
    }
    ovs_list_remove(&m->node);
    member_free(m);
    touch(model, svc);
}

/* Health. */

void
lb_member_set_health(struct lb_model *model, struct lb_service *svc,
                     struct lb_member *m, enum lb_health health,
                     const char *reason, long long int now_ms)
{
    if (member_record_health(m, health, reason, now_ms)) {
        touch(model, svc);
    }
}

bool
lb_member_alive(const struct lb_member *m)
{
    return m->health != LB_HEALTH_DOWN;
}

bool
lb_member_takes_sessions(const struct lb_member *m)
{
    struct eth_addr mac;
    return (m->state == LB_MEMBER_ENABLED && lb_member_alive(m)
            && lb_member_mac(m, &mac));
}

const struct lb_member *
lb_member_effective(const struct lb_service *svc, const struct lb_member *m)
{
    if (lb_member_takes_sessions(m)) {
        return m;
    } else if (m->backup) {
        const struct lb_member *b = lb_member_find(svc, m->backup);
        if (b && lb_member_takes_sessions(b)) {
            return b;
        }
    }
    return NULL;
}

/* Snapshots. */

struct lb_snapshot {
    uint32_t id;
    struct lb_service *service; /* Deep copy, or NULL if there was none. */
    uint32_t next_service_id;
    uint64_t generation;
};

static struct lb_service *
service_clone(const struct lb_service *svc)
{
    struct lb_service *copy = xmemdup(svc, sizeof *svc);
    copy->name = xstrdup(svc->name);
    copy->ports = svc->ports ? xmemdup(svc->ports, svc->n_ports
                                       * sizeof *svc->ports) : NULL;
    copy->switches = (svc->switches
                      ? xmemdup(svc->switches,
                                svc->n_switches * sizeof *svc->switches)
                      : NULL);
    copy->monitor.path = nullable_xstrdup(svc->monitor.path);
    ovs_list_init(&copy->members);

    const struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        struct lb_member *mcopy = member_clone(m);
        ovs_list_push_back(&copy->members, &mcopy->node);
    }
    return copy;
}

struct lb_snapshot *
lb_snapshot_take(const struct lb_model *model, uint32_t id)
{
    struct lb_snapshot *snap = xzalloc(sizeof *snap);
    const struct lb_service *svc = lb_service_find(model, id);

    snap->id = id;
    snap->service = svc ? service_clone(svc) : NULL;
    snap->next_service_id = model->next_service_id;
    snap->generation = model->generation;
    return snap;
}

void
lb_snapshot_restore(struct lb_model *model, struct lb_snapshot *snap)
{
    struct lb_service *svc = lb_service_find(model, snap->id);
    if (svc) {
        hmap_remove(&model->services, &svc->node);
        service_free(svc);
    }
    if (snap->service) {
        hmap_insert(&model->services, &snap->service->node,
                    hash_service_id(snap->id));
        snap->service = NULL;
    }
    model->next_service_id = snap->next_service_id;
    model->generation = snap->generation;
    lb_snapshot_destroy(snap);
}

void
lb_snapshot_destroy(struct lb_snapshot *snap)
{
    if (snap) {
        service_free(snap->service);
        free(snap);
    }
}

/* REST views. */

json_t *
lb_member_to_json(const struct lb_member *m)
{
    json_t *j = member_config_to_json(m, true);
    struct eth_addr mac;
    bool has_mac = lb_member_mac(m, &mac);
    const char *source = (m->has_mac ? "configured"
                          : m->resolved ? "resolved"
                          : "unresolved");

    json_t *status = json_pack("{s:o, s:s, s:I, s:I, s:I}",
                               "mac", has_mac ? json_mac(mac) : json_null(),
                               "mac_source", source,
                               "packets", (json_int_t) m->n_packets,
                               "bytes", (json_int_t) m->n_bytes,
                               "stick_entries",
                               (json_int_t) m->n_stick_entries);

    json_object_set_new(status, "takes_sessions",
                        json_boolean(lb_member_takes_sessions(m)));
    json_object_set_new(status, "health",
                        json_string(lb_health_name(m->health)));
    json_object_set_new(status, "health_since",
                        (m->n_history ? json_time(m->health_since_ms)
                         : json_null()));
    json_object_set_new(status, "health_reason",
                        json_nullable_string(m->health_reason));
    json_t *history = json_array();
    size_t n = MIN(m->n_history, LB_HEALTH_HISTORY);
    for (size_t i = m->n_history - n; i < m->n_history; i++) {
        const struct lb_health_event *e = &m->history[i % LB_HEALTH_HISTORY];
        json_array_append_new(history, json_pack(
                                  "{s:o, s:s, s:o}",
                                  "time", json_time(e->time_ms),
                                  "health", lb_health_name(e->health),
                                  "reason", json_nullable_string(e->reason)));
    }
    json_object_set_new(status, "health_history", history);
    json_object_set_new(status, "rtt_ms",
                        m->rtt_ms >= 0 ? json_real(m->rtt_ms) : json_null());
    json_object_set_new(status, "sessions",
                        json_integer(m->n_stick_entries));
    json_object_set_new(status, "traffic_rate", json_real(m->traffic_rate));
    json_object_set_new(status, "bucket_weight",
                        json_integer(m->bucket_weight));
    json_object_set_new(status, "reply_packets",
                        json_integer(m->n_reply_packets));
    json_object_set_new(status, "reply_bytes",
                        json_integer(m->n_reply_bytes));
    json_object_set_new(status, "napt_exhausted",
                        json_integer(m->n_napt_exhausted));
    json_object_set_new(j, "status", status);
    return j;
}

json_t *
lb_service_to_json(const struct lb_service *svc)
{
    json_t *j = service_config_to_json(svc);
    json_t *members = json_array();
    uint64_t packets = 0, bytes = 0, stick_entries = 0;
    uint64_t reply_packets = 0, reply_bytes = 0, napt_exhausted = 0;
    int n_active = 0;

    const struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        json_array_append_new(members, lb_member_to_json(m));
        packets += m->n_packets;
        bytes += m->n_bytes;
        stick_entries += m->n_stick_entries;
        reply_packets += m->n_reply_packets;
        reply_bytes += m->n_reply_bytes;
        napt_exhausted += m->n_napt_exhausted;
        if (lb_member_takes_sessions(m)) {
            n_active++;
        }
    }

    /* The groups compiler.c makes: none for a per-session NAT service,
     * and no fragment group for any NAT service (conntrack reassembles
     * fragments). */
    json_t *groups = json_object();
    bool nat = lb_service_is_nat(svc);
    bool has_groups = !nat || svc->decision == LB_DECISION_DATAPATH_FAST;
    if (has_groups && !svc->is_ipv4 && key_is_label(svc->key)) {
        json_object_set_new(groups, "label", json_integer(
                                pipeline_group_id(svc->id,
                                                  PIPELINE_GROUP_LABEL)));
    }
    if (has_groups) {
        json_object_set_new(groups, "5tuple", json_integer(
                                pipeline_group_id(svc->id,
                                                  PIPELINE_GROUP_5TUPLE)));
    }
    if (!nat && svc->key == LB_KEY_FIVE_TUPLE) {
        json_object_set_new(groups, "fragments", json_integer(
                                pipeline_group_id(svc->id,
                                                  PIPELINE_GROUP_FRAG)));
    }

    json_object_set_new(j, "id", json_integer(svc->id));
    json_object_set_new(j, "family",
                        json_string(svc->is_ipv4 ? "ipv4" : "ipv6"));
    json_object_set_new(j, "generation", json_integer(svc->generation));
    json_object_set_new(j, "members", members);
    json_t *status = json_pack("{s:I, s:I, s:i}",
                               "packets", (json_int_t) packets,
                               "bytes", (json_int_t) bytes,
                               "members_active", n_active);
    json_object_set_new(status, "fragments",
                        json_integer(svc->n_fragments));
    json_object_set_new(status, "label_change_drops",
                        json_integer(svc->n_label_drops));
    json_object_set_new(status, "ptb_delivered",
                        json_integer(svc->n_ptb_delivered));
    json_object_set_new(status, "ptb_broadcast",
                        json_integer(svc->n_ptb_broadcast));
    json_object_set_new(status, "stick_entries",
                        json_integer(stick_entries));
    if (lb_service_is_nat(svc)) {
        json_object_set_new(status, "sessions", json_integer(stick_entries));
        json_object_set_new(status, "reply_packets",
                            json_integer(reply_packets));
        json_object_set_new(status, "reply_bytes",
                            json_integer(reply_bytes));
        json_object_set_new(status, "napt_exhausted",
                            json_integer(napt_exhausted));
        json_object_set_new(status, "sessions_started",
                            json_integer(svc->n_sessions_started));
        json_object_set_new(status, "nat_invalid",
                            json_integer(svc->n_nat_invalid));
    }
    json_object_set_new(j, "status", status);

    json_t *openflow = json_pack("{s:o, s:o}",
                                 "cookie",
                                 json_hex64(pipeline_cookie(svc->id)),
                                 "cookie_mask", json_hex64(
                                     FLOWLB_COOKIE_MASK
                                     | (uint64_t) UINT32_MAX << 16));
    json_t *tables = json_array();
    json_array_append_new(tables, json_integer(PIPELINE_TABLE_CLASSIFY));
    if (lb_service_is_nat(svc)) {
        /* Conntrack keeps NAT sessions; the stick tag marks the session
         * flows of table 45. */
        json_array_append_new(tables,
                              json_integer(PIPELINE_TABLE_NAT_STATE));
        json_array_append_new(tables,
                              json_integer(PIPELINE_TABLE_NAT_MEMBER));
        if (svc->forwarding == LB_FWD_NAPT) {
            json_array_append_new(tables,
                                  json_integer(PIPELINE_TABLE_NAPT_CHECK));
            json_array_append_new(tables,
                                  json_integer(PIPELINE_TABLE_NAPT_REPLY));
        }
        json_array_append_new(tables, json_integer(PIPELINE_TABLE_SESSIONS));
        json_object_set_new(openflow, "stick_cookie",
                            json_hex64(lb_service_stick_cookie(svc, 0)));
        json_object_set_new(openflow, "stick_cookie_mask",
                            json_hex64(FLOWLB_STICK_COOKIE_MASK));
        json_object_set_new(openflow, "ct_zone", json_integer(svc->ct_zone));
        if (svc->forwarding == LB_FWD_NAPT) {
            json_object_set_new(openflow, "ct_zone_snat", json_integer(
                                    svc->ct_zone + LB_CT_ZONE_SNAT));
        }
        if (svc->decision == LB_DECISION_PER_SESSION) {
            json_object_set_new(openflow, "meter",
                                json_integer(pipeline_meter_id(svc->id)));
        }
    } else if (svc->persistence == LB_PERSIST_STATEFUL) {
        static const int stateful_tables[] = {
            PIPELINE_TABLE_STICK_5TUPLE, PIPELINE_TABLE_STICK_LABEL,
            PIPELINE_TABLE_DECIDE, PIPELINE_TABLE_LABEL_CHECK,
            PIPELINE_TABLE_LEARN, PIPELINE_TABLE_FORWARD,
        };
        for (size_t i = 0; i < ARRAY_SIZE(stateful_tables); i++) {
            int table = stateful_tables[i];
            if (table == PIPELINE_TABLE_LABEL_CHECK
                && svc->label_change != LB_LABEL_DROP) {
                continue;
            }
            if (table == PIPELINE_TABLE_STICK_LABEL && svc->is_ipv4) {
                continue;
            }
            json_array_append_new(tables, json_integer(table));
        }
        json_object_set_new(openflow, "stick_cookie",
                            json_hex64(lb_service_stick_cookie(svc, 0)));
        json_object_set_new(openflow, "stick_cookie_mask",
                            json_hex64(FLOWLB_STICK_COOKIE_MASK));
    }
    json_object_set_new(openflow, "tables", tables);
    json_object_set_new(openflow, "groups", groups);
    json_object_set_new(j, "openflow", openflow);
    return j;
}

/* The state file's view. */

#define LB_STATE_VERSION 1

json_t *
lb_model_to_json(const struct lb_model *model)
{
    size_t n;
    const struct lb_service **list = lb_model_sorted(model, &n);
    json_t *services = json_array();

    for (size_t i = 0; i < n; i++) {
        json_array_append_new(services, lb_service_to_state_json(list[i]));
    }
    free(list);

    json_t *j = lb_model_header_to_json(model);
    json_object_set_new(j, "services", services);
    return j;
}

/* Returns service 'svc' as the state file holds it, secrets included. */
json_t *
lb_service_to_state_json(const struct lb_service *svc)
{
    json_t *j = service_config_to_json(svc);
    json_t *members = json_array();
    const struct lb_member *m;

    LIST_FOR_EACH (m, node, &svc->members) {
        json_array_append_new(members, member_config_to_json(m, true));
    }
    json_object_set_new(j, "id", json_integer(svc->id));
    json_object_set_new(j, "hash_basis", json_hex64(svc->hash_basis));
    json_object_set_new(j, "next_member_id",
                        json_integer(svc->next_member_id));
    json_object_set_new(j, "ct_zone", json_integer(svc->ct_zone));
    json_object_set_new(j, "members", members);
    return j;
}

/* Returns the state file's top level without "services". */
json_t *
lb_model_header_to_json(const struct lb_model *model)
{
    json_t *j = json_object();
    json_object_set_new(j, "version", json_integer(LB_STATE_VERSION));
    json_object_set_new(j, "vmac", json_mac(model->vmac));
    json_object_set_new(j, "next_service_id",
                        json_integer(model->next_service_id));
    return j;
}

static const char *const model_fields[] = {
    "version", "vmac", "next_service_id", "services",
};

static int
model_from_json(const json_t *json, struct lb_model *model,
                struct lb_error *error)
{
    long long int value;

    if (!json_is_object(json)) {
        return field_error(error, 422, "", "", "must be a JSON object");
    }
    if (check_fields(json, "", model_fields, ARRAY_SIZE(model_fields), true,
                     error)) {
        return 422;
    }
    if (parse_int(json_object_get(json, "version"), "", "version",
                  LB_STATE_VERSION, LB_STATE_VERSION, &value, error)
        || parse_mac(json_object_get(json, "vmac"), "", "vmac", &model->vmac,
                     error)
        || parse_int(json_object_get(json, "next_service_id"), "",
                     "next_service_id", 1, LB_SERVICE_ID_MAX + 1, &value,
                     error)) {
        return 422;
    }
    model->next_service_id = value;

    const json_t *services = json_object_get(json, "services");
    if (!json_is_array(services)) {
        return field_error(error, 422, "", "services", "must be a list");
    }
    for (size_t i = 0; i < json_array_size(services); i++) {
        char *prefix = xasprintf("services[%"PRIuSIZE"].", i);
        struct service_config cfg;
        int status = parse_service(json_array_get(services, i), prefix, true,
                                   &cfg, error);
        if (!status && cfg.id >= model->next_service_id) {
            status = field_error(error, 422, prefix, "id",
                                 "must be less than next_service_id (%"
                                 PRIu32")", model->next_service_id);
        }
        if (!status && lb_service_find(model, cfg.id)) {
            status = field_error(error, 422, prefix, "id",
                                 "another service has id %"PRIu32, cfg.id);
        }
        if (!status) {
            status = check_service_members(NULL, &cfg, prefix, error);
        }
        if (!status) {
            status = check_service_conflicts(model, &cfg, NULL, prefix,
                                             error);
        }
        if (!status) {
            status = check_nat_conflicts(model, &cfg, NULL, prefix, error);
        }
        if (!status && cfg.ct_zone) {
            const struct lb_service *other;
            HMAP_FOR_EACH (other, node, &model->services) {
                if (other->ct_zone == cfg.ct_zone) {
                    status = field_error(error, 422, prefix, "ct_zone",
                                         "service %"PRIu32" has zone %"
                                         PRIu16" too", other->id,
                                         cfg.ct_zone);
                    break;
                }
            }
        }
        if (!status) {
            struct lb_service *svc = service_new(cfg.id, cfg.hash_basis);
            svc->next_member_id = cfg.next_member_id;
            svc->ct_zone = cfg.ct_zone;
            service_apply(svc, &cfg);
            hmap_insert(&model->services, &svc->node,
                        hash_service_id(svc->id));
            touch(model, svc);
        }
        service_config_destroy(&cfg);
        free(prefix);
        if (status) {
            return status;
        }
    }

    /* Files from before NAT services have no zones: every service gets
     * one, as at create, once the zones the file has are all known. */
    for (size_t i = 0; i < json_array_size(services); i++) {
        const json_t *id = json_object_get(json_array_get(services, i), "id");
        struct lb_service *svc = lb_service_find(model,
                                                 json_integer_value(id));
        if (!svc->ct_zone) {
            svc->ct_zone = ct_zone_alloc(model, svc);
            if (!svc->ct_zone && lb_service_is_nat(svc)) {
                char *prefix = xasprintf("services[%"PRIuSIZE"].", i);
                field_error(error, 422, prefix, "ct_zone",
                            "no conntrack zone is left for it");
                free(prefix);
                return 422;
            }
        }
    }
    return 0;
}

int
lb_model_from_json(const json_t *json, struct lb_model **modelp,
                   struct lb_error *error)
{
    struct lb_model *model = lb_model_create();
    int status = model_from_json(json, model, error);
    if (status) {
        lb_model_destroy(model);
        model = NULL;
    }
    *modelp = model;
    return status;
}
