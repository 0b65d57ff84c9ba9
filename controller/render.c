/*
 * render: JSON views for the REST API.  See render.h.
 */
#include <config.h>
#include "flowlb/render.h"

#include <time.h>
#include "flowlb/counters.h"
#include "flowlb/lb.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/util.h"
#include "flow.h"
#include "packets.h"

/* Formats wall-clock 'msec' as an ISO 8601 UTC time with milliseconds,
 * e.g. "2026-11-23T20:16:01.123Z".  The caller frees the string. */
char *
render_time(long long int msec)
{
    time_t sec = msec / 1000;
    struct tm tm;
    char buf[32];

    gmtime_r(&sec, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return xasprintf("%s.%03lldZ", buf, msec % 1000);
}

static json_t *
json_time(long long int msec)
{
    char *s = render_time(msec);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *
json_dpid(uint64_t dpid)
{
    char s[17];
    switch_format_dpid(dpid, s);
    return json_string(s);
}

/* The names of the capability bits, as OpenFlow spells them without the
 * OFPC_ prefix. */
static json_t *
render_capabilities(uint32_t caps)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        { OFPUTIL_C_FLOW_STATS, "flow_stats" },
        { OFPUTIL_C_TABLE_STATS, "table_stats" },
        { OFPUTIL_C_PORT_STATS, "port_stats" },
        { OFPUTIL_C_GROUP_STATS, "group_stats" },
        { OFPUTIL_C_IP_REASM, "ip_reasm" },
        { OFPUTIL_C_QUEUE_STATS, "queue_stats" },
        { OFPUTIL_C_PORT_BLOCKED, "port_blocked" },
        { OFPUTIL_C_BUNDLES, "bundles" },
        { OFPUTIL_C_FLOW_MONITORING, "flow_monitoring" },
    };
    json_t *list = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (caps & names[i].bit) {
            json_array_append_new(list, json_string(names[i].name));
        }
    }
    return list;
}

static json_t *
render_port(const struct ofputil_phy_port *pp)
{
    char mac[ETH_ADDR_STRLEN + 1];
    snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(pp->hw_addr));

    return json_pack(
        "{s:i, s:s, s:s, s:b, s:b, s:b, s:b, s:I, s:I}",
        "port_no", (int) ofp_to_u16(pp->port_no),
        "name", pp->name,
        "hw_addr", mac,
        "admin_down", (pp->config & OFPUTIL_PC_PORT_DOWN) != 0,
        "link_down", (pp->state & OFPUTIL_PS_LINK_DOWN) != 0,
        "blocked", (pp->state & OFPUTIL_PS_BLOCKED) != 0,
        "live", (pp->state & OFPUTIL_PS_LIVE) != 0,
        "curr_speed_kbps", (json_int_t) pp->curr_speed,
        "max_speed_kbps", (json_int_t) pp->max_speed);
}

/* Returns the short view of 'sw' that GET /v1/switches lists. */
static json_t *
render_switch_summary(const struct switch_entry *sw, long long int now)
{
    json_t *j = json_object();

    json_object_set_new(j, "dpid", json_dpid(sw->dpid));
    json_object_set_new(j, "state", json_string(switch_state_name(sw->state)));
    json_object_set_new(j, "version",
                        json_string(ofputil_version_to_string(sw->version)));
    json_object_set_new(j, "peer", json_string(sw->peer));
    json_object_set_new(j, "connected_since", json_time(sw->connected_since));
    json_object_set_new(j, "state_since", json_time(sw->state_since));
    json_object_set_new(j, "state_for_s",
                        json_integer((now - sw->state_since) / 1000));
    json_object_set_new(j, "reason",
                        sw->reason ? json_string(sw->reason) : json_null());
    json_object_set_new(j, "n_ports", json_integer(hmap_count(&sw->ports)));
    return j;
}

/* Returns the full view of 'sw' that GET /v1/switches/{dpid} answers. */
json_t *
render_switch(const struct switch_entry *sw, long long int now)
{
    json_t *j = render_switch_summary(sw, now);

    json_object_set_new(j, "n_tables", json_integer(sw->n_tables));
    json_object_set_new(j, "n_buffers", json_integer(sw->n_buffers));
    json_object_set_new(j, "capabilities",
                        render_capabilities(sw->capabilities));
    json_object_set_new(j, "n_connects", json_integer(sw->n_connects));
    json_object_set_new(j, "n_port_changes",
                        json_integer(sw->n_port_changes));

    size_t n;
    const struct switch_port **ports = switch_sorted_ports(sw, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, render_port(&ports[i]->pp));
    }
    free(ports);
    json_object_set_new(j, "ports", list);
    return j;
}

/* Returns the GET /v1/switches answer: every known switch, by dpid. */
json_t *
render_switches(const struct switch_registry *reg, long long int now)
{
    size_t n;
    const struct switch_entry **list = switch_sorted(reg, &n);
    json_t *array = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(array, render_switch_summary(list[i], now));
    }
    free(list);
    return json_pack("{s:o}", "switches", array);
}

/* Returns the GET /v1/status answer. */
json_t *
render_status(const struct render_status *st,
              const struct flowlb_counters *c, long long int now)
{
    json_t *counters = json_object();
#define COUNTER(NAME, DESCRIPTION) \
    json_object_set_new(counters, #NAME, json_integer(c->NAME));
    FLOWLB_COUNTERS
#undef COUNTER

    json_t *switches = json_object();
    json_object_set_new(switches, "total",
                        json_integer(switch_count(st->switches)));
#define SWITCH_STATE(ENUM, NAME)                                        \
    json_object_set_new(switches, NAME,                                 \
                        json_integer(switch_count_state(st->switches,   \
                                                        SWITCH_##ENUM)));
    SWITCH_STATES
#undef SWITCH_STATE

    json_t *j = json_object();
    json_object_set_new(j, "version", json_string(st->version));
    json_object_set_new(j, "ovs_version", json_string(st->ovs_version));
    json_object_set_new(j, "started", json_time(st->started));
    json_object_set_new(j, "uptime_s",
                        json_integer((now - st->started) / 1000));
    json_object_set_new(j, "switches", switches);
    if (st->model) {
        json_object_set_new(j, "services",
                            json_integer(hmap_count(&st->model->services)));
    }
    json_object_set_new(j, "counters", counters);
    return j;
}

/* Returns the body of an error answer with HTTP 'status':
 * {"error": {"status": 404, "field": null, "message": "..."}}.  'field' is
 * the JSON path or URL part at fault, or NULL when there is none. */
json_t *
render_error(int status, const char *field, const char *message)
{
    return json_pack("{s:{s:i, s:o, s:s}}", "error",
                     "status", status,
                     "field", field ? json_string(field) : json_null(),
                     "message", message);
}
