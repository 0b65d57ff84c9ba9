/*
 * switch: the registry of switches by datapath id.  See switch.h.
 */
#include <config.h>
#include "flowlb/switch.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flow.h"
#include "hash.h"
#include "openvswitch/util.h"

struct switch_registry {
    struct hmap switches;       /* Contains "struct switch_entry"s. */
};

const char *
switch_state_name(enum switch_state state)
{
    switch (state) {
#define SWITCH_STATE(ENUM, NAME) case SWITCH_##ENUM: return NAME;
        SWITCH_STATES
#undef SWITCH_STATE
    }
    return "unknown";
}

struct switch_registry *
switch_registry_create(void)
{
    struct switch_registry *reg = xmalloc(sizeof *reg);
    hmap_init(&reg->switches);
    return reg;
}

static void
clear_ports(struct switch_entry *sw)
{
    struct switch_port *port;
    HMAP_FOR_EACH_POP (port, node, &sw->ports) {
        free(port);
    }
}

void
switch_registry_destroy(struct switch_registry *reg)
{
    if (reg) {
        struct switch_entry *sw;
        HMAP_FOR_EACH_POP (sw, node, &reg->switches) {
            clear_ports(sw);
            hmap_destroy(&sw->ports);
            free(sw->peer);
            free(sw->reason);
            free(sw);
        }
        hmap_destroy(&reg->switches);
        free(reg);
    }
}

static uint32_t
hash_dpid(uint64_t dpid)
{
    return hash_uint64(dpid);
}

struct switch_entry *
switch_find(const struct switch_registry *reg, uint64_t dpid)
{
    struct switch_entry *sw;
    HMAP_FOR_EACH_WITH_HASH (sw, node, hash_dpid(dpid), &reg->switches) {
        if (sw->dpid == dpid) {
            return sw;
        }
    }
    return NULL;
}

/* Records that the switch with 'dpid' completed an OpenFlow handshake at
 * wall-clock time 'now' (in ms), as 'hello' describes, creating its entry if
 * it is new.  Its ports are forgotten until switch_set_ports() says what
 * they are now.  Returns the entry. */
struct switch_entry *
switch_connected(struct switch_registry *reg, uint64_t dpid,
                 const struct switch_hello *hello, long long int now)
{
    struct switch_entry *sw = switch_find(reg, dpid);
    if (!sw) {
        sw = xzalloc(sizeof *sw);
        sw->dpid = dpid;
        hmap_init(&sw->ports);
        hmap_insert(&reg->switches, &sw->node, hash_dpid(dpid));
    }

    sw->state = SWITCH_CONNECTED;
    free(sw->peer);
    sw->peer = xstrdup(hello->peer);
    sw->version = hello->version;
    sw->n_buffers = hello->n_buffers;
    sw->n_tables = hello->n_tables;
    sw->capabilities = hello->capabilities;
    clear_ports(sw);
    sw->connected_since = sw->state_since = now;
    free(sw->reason);
    sw->reason = NULL;
    sw->n_connects++;
    return sw;
}

static struct switch_port *
find_port(const struct switch_entry *sw, ofp_port_t port_no)
{
    struct switch_port *port;
    HMAP_FOR_EACH_WITH_HASH (port, node, hash_int(ofp_to_u16(port_no), 0),
                             &sw->ports) {
        if (port->pp.port_no == port_no) {
            return port;
        }
    }
    return NULL;
}

static void
put_port(struct switch_entry *sw, const struct ofputil_phy_port *pp)
{
    struct switch_port *port = find_port(sw, pp->port_no);
    if (!port) {
        port = xmalloc(sizeof *port);
        hmap_insert(&sw->ports, &port->node,
                    hash_int(ofp_to_u16(pp->port_no), 0));
    }
    port->pp = *pp;
}

/* Replaces the ports of 'sw' by the 'n' in 'pps'. */
void
switch_set_ports(struct switch_entry *sw, const struct ofputil_phy_port *pps,
                 size_t n)
{
    clear_ports(sw);
    for (size_t i = 0; i < n; i++) {
        put_port(sw, &pps[i]);
    }
}

/* Applies a port status message: port 'pp' was added, deleted or modified
 * as 'reason' says. */
void
switch_port_status(struct switch_entry *sw, enum ofp_port_reason reason,
                   const struct ofputil_phy_port *pp)
{
    if (reason == OFPPR_DELETE) {
        struct switch_port *port = find_port(sw, pp->port_no);
        if (port) {
            hmap_remove(&sw->ports, &port->node);
            free(port);
        }
    } else {
        put_port(sw, pp);
    }
    sw->n_port_changes++;
}

/* Records that the connection to 'sw' ended at wall-clock time 'now' (ms),
 * in 'state' (SWITCH_DEAD or SWITCH_DISCONNECTED), because of 'reason'. */
void
switch_disconnected(struct switch_entry *sw, enum switch_state state,
                    const char *reason, long long int now)
{
    sw->state = state;
    sw->state_since = now;
    free(sw->reason);
    sw->reason = xstrdup(reason);
}

size_t
switch_count(const struct switch_registry *reg)
{
    return hmap_count(&reg->switches);
}

size_t
switch_count_state(const struct switch_registry *reg, enum switch_state state)
{
    const struct switch_entry *sw;
    size_t n = 0;
    HMAP_FOR_EACH (sw, node, &reg->switches) {
        n += sw->state == state;
    }
    return n;
}

static int
compare_switches(const void *a_, const void *b_)
{
    const struct switch_entry *const *a = a_;
    const struct switch_entry *const *b = b_;
    return (*a)->dpid < (*b)->dpid ? -1 : (*a)->dpid > (*b)->dpid;
}

/* Returns a newly allocated array of the switches in 'reg' ordered by
 * datapath id, and their number in '*n'.  The caller frees the array. */
const struct switch_entry **
switch_sorted(const struct switch_registry *reg, size_t *n)
{
    const struct switch_entry **list;
    const struct switch_entry *sw;

    *n = 0;
    list = xmalloc((hmap_count(&reg->switches) + 1) * sizeof *list);
    HMAP_FOR_EACH (sw, node, &reg->switches) {
        list[(*n)++] = sw;
    }
    qsort(list, *n, sizeof *list, compare_switches);
    return list;
}

static int
compare_ports(const void *a_, const void *b_)
{
    const struct switch_port *const *a = a_;
    const struct switch_port *const *b = b_;
    uint16_t pa = ofp_to_u16((*a)->pp.port_no);
    uint16_t pb = ofp_to_u16((*b)->pp.port_no);
    return pa < pb ? -1 : pa > pb;
}

/* Returns a newly allocated array of the ports of 'sw' ordered by port
 * number, and their number in '*n'.  The caller frees the array. */
const struct switch_port **
switch_sorted_ports(const struct switch_entry *sw, size_t *n)
{
    const struct switch_port **list;
    const struct switch_port *port;

    *n = 0;
    list = xmalloc((hmap_count(&sw->ports) + 1) * sizeof *list);
    HMAP_FOR_EACH (port, node, &sw->ports) {
        list[(*n)++] = port;
    }
    qsort(list, *n, sizeof *list, compare_ports);
    return list;
}

/* Parses 's' as a datapath id into '*dpid'.  Accepts what operators copy
 * from OVS: 1 to 16 hex digits with an optional "0x" ("0000000000000001",
 * "0x1", "dpid:0000000000000001" from ovs-ofctl show), or eight
 * colon-separated byte pairs ("00:00:00:00:00:00:00:01").
 *
 * Returns 0 or EINVAL. */
int
switch_parse_dpid(const char *s, uint64_t *dpid)
{
    char digits[17];
    size_t n = 0;

    if (!strncmp(s, "dpid:", 5)) {
        s += 5;
    } else if (!strncasecmp(s, "0x", 2)) {
        s += 2;
    }

    if (strlen(s) == 23) {
        /* Colon form: xx:xx:xx:xx:xx:xx:xx:xx. */
        for (size_t i = 0; i < 23; i++) {
            if (i % 3 == 2) {
                if (s[i] != ':') {
                    return EINVAL;
                }
            } else if (isxdigit((unsigned char) s[i])) {
                digits[n++] = s[i];
            } else {
                return EINVAL;
            }
        }
    } else {
        for (; *s; s++) {
            if (!isxdigit((unsigned char) *s) || n >= 16) {
                return EINVAL;
            }
            digits[n++] = *s;
        }
    }
    if (!n) {
        return EINVAL;
    }
    digits[n] = '\0';
    *dpid = strtoull(digits, NULL, 16);
    return 0;
}

/* Formats 'dpid' into 's' as 16 hex digits, as "ovs-ofctl show" does. */
void
switch_format_dpid(uint64_t dpid, char s[17])
{
    snprintf(s, 17, "%016"PRIx64, dpid);
}
