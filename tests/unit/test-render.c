/*
 * Tests of render: the JSON that the REST API answers with.
 */
#include <config.h>
#include "flowlb/render.h"

#include <string.h>
#include "flow.h"
#include "flowlb/counters.h"
#include "openvswitch/ofp-switch.h"
#include "unit.h"

static struct switch_registry *
two_switches(void)
{
    static const struct switch_hello h15 = {
        .version = OFP15_VERSION, .peer = "tcp:127.0.0.1:40000",
        .n_buffers = 0, .n_tables = 254,
        .capabilities = OFPUTIL_C_FLOW_STATS | OFPUTIL_C_GROUP_STATS
                        | OFPUTIL_C_BUNDLES,
    };
    static const struct switch_hello h13 = {
        .version = OFP13_VERSION, .peer = "unix:/run/br1.mgmt",
        .n_tables = 254,
    };
    struct switch_registry *reg = switch_registry_create();

    struct switch_entry *sw = switch_connected(reg, 0xb0, &h15,
                                               1700000000123LL);
    struct ofputil_phy_port pps[2];
    memset(pps, 0, sizeof pps);
    pps[0].port_no = OFPP_LOCAL;
    strcpy(pps[0].name, "br0");
    pps[0].hw_addr = (struct eth_addr) ETH_ADDR_C(0a, 00, 00, 00, 00, 01);
    pps[1].port_no = u16_to_ofp(1);
    strcpy(pps[1].name, "p1");
    pps[1].state = OFPUTIL_PS_LINK_DOWN;
    pps[1].config = OFPUTIL_PC_PORT_DOWN;
    pps[1].curr_speed = 10000000;
    switch_set_ports(sw, pps, 2);

    sw = switch_connected(reg, 0x1, &h13, 1700000000000LL);
    switch_disconnected(sw, SWITCH_DEAD, "no message for 2000 ms",
                        1700000005000LL);
    return reg;
}

static void
test_time(void)
{
    char *s = render_time(0);
    CU_ASSERT_STRING_EQUAL(s, "1970-01-01T00:00:00.000Z");
    free(s);
    s = render_time(1700000000123LL);
    CU_ASSERT_STRING_EQUAL(s, "2023-11-14T22:13:20.123Z");
    free(s);
}

static void
test_switches(void)
{
    struct switch_registry *reg = two_switches();
    json_t *j = render_switches(reg, 1700000010000LL);
    json_t *list = json_object_get(j, "switches");

    CU_ASSERT_EQUAL_FATAL(json_array_size(list), 2);

    /* Ordered by dpid, dpids as ovs-ofctl prints them. */
    json_t *dead = json_array_get(list, 0);
    json_t *live = json_array_get(list, 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dead, "dpid")),
                           "0000000000000001");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(live, "dpid")),
                           "00000000000000b0");

    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dead, "state")),
                           "dead");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dead, "reason")),
                           "no message for 2000 ms");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(dead, "state_for_s")),
                    5);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(live, "state")),
                           "connected");
    CU_ASSERT(json_is_null(json_object_get(live, "reason")));
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(live, "version")), "OpenFlow15");
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(live, "connected_since")),
        "2023-11-14T22:13:20.123Z");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(live, "n_ports")), 2);

    /* The list is a summary: no port details. */
    CU_ASSERT_PTR_NULL(json_object_get(live, "ports"));

    json_decref(j);
    switch_registry_destroy(reg);
}

static void
test_switch_detail(void)
{
    struct switch_registry *reg = two_switches();
    json_t *j = render_switch(switch_find(reg, 0xb0), 1700000010000LL);

    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "peer")),
                           "tcp:127.0.0.1:40000");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "n_tables")), 254);

    json_t *caps = json_object_get(j, "capabilities");
    CU_ASSERT_EQUAL_FATAL(json_array_size(caps), 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(caps, 0)),
                           "flow_stats");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(caps, 2)),
                           "bundles");

    /* Ports by number: p1 (1) before LOCAL (65534). */
    json_t *ports = json_object_get(j, "ports");
    CU_ASSERT_EQUAL_FATAL(json_array_size(ports), 2);
    json_t *p1 = json_array_get(ports, 0);
    json_t *local = json_array_get(ports, 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p1, "name")),
                           "p1");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(p1, "port_no")), 1);
    CU_ASSERT(json_is_true(json_object_get(p1, "admin_down")));
    CU_ASSERT(json_is_true(json_object_get(p1, "link_down")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(p1,
                                                       "curr_speed_kbps")),
                    10000000);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(local, "port_no")),
                    65534);
    CU_ASSERT(json_is_false(json_object_get(local, "link_down")));
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(local, "hw_addr")),
        "0a:00:00:00:00:01");

    json_decref(j);
    switch_registry_destroy(reg);
}

static void
test_status(void)
{
    struct switch_registry *reg = two_switches();
    struct render_status st = {
        .version = "0.1.0", .ovs_version = "3.1.0+flowlb.1.x",
        .started = 1700000000000LL, .switches = reg,
    };
    struct flowlb_counters c;
    memset(&c, 0, sizeof c);
    c.ofp_handshakes = 7;
    c.rest_errors = 2;

    json_t *j = render_status(&st, &c, 1700000042999LL);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "uptime_s")), 42);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "version")),
                           "0.1.0");

    json_t *sw = json_object_get(j, "switches");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sw, "total")), 2);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sw, "connected")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sw, "dead")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sw, "disconnected")),
                    0);

    /* Every counter is there, by name. */
    json_t *counters = json_object_get(j, "counters");
    CU_ASSERT_EQUAL(json_object_size(counters),
                    sizeof c / sizeof c.ofp_handshakes);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(counters,
                                                       "ofp_handshakes")), 7);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(counters,
                                                       "rest_errors")), 2);

    json_decref(j);
    switch_registry_destroy(reg);
}

static void
test_error(void)
{
    json_t *j = render_error(404, "dpid", "no switch with datapath id 1");
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    CU_ASSERT_STRING_EQUAL(s, "{\"error\":{\"field\":\"dpid\","
                           "\"message\":\"no switch with datapath id 1\","
                           "\"status\":404}}");
    free(s);
    json_decref(j);

    j = render_error(405, NULL, "no");
    CU_ASSERT(json_is_null(json_object_get(json_object_get(j, "error"),
                                           "field")));
    json_decref(j);
}

void
unit_register_render(void)
{
    static CU_TestInfo tests[] = {
        { "times are ISO 8601 UTC with ms", test_time },
        { "GET /v1/switches", test_switches },
        { "GET /v1/switches/{dpid}", test_switch_detail },
        { "GET /v1/status", test_status },
        { "error bodies", test_error },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("render", tests);
}
