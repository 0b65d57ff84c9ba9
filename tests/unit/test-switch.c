/*
 * Tests of switch: the registry by datapath id.
 */
#include <config.h>
#include "flowlb/switch.h"

#include <errno.h>
#include <string.h>
#include "flow.h"
#include "unit.h"

static const struct switch_hello hello13 = {
    .version = OFP13_VERSION, .peer = "tcp:127.0.0.1:1000",
    .n_buffers = 0, .n_tables = 254, .capabilities = 0,
};

static struct ofputil_phy_port
port(int no, const char *name)
{
    struct ofputil_phy_port pp;
    memset(&pp, 0, sizeof pp);
    pp.port_no = u16_to_ofp(no);
    strncpy(pp.name, name, sizeof pp.name - 1);
    return pp;
}

static void
test_connect_and_find(void)
{
    struct switch_registry *reg = switch_registry_create();

    CU_ASSERT_PTR_NULL(switch_find(reg, 1));
    struct switch_entry *sw = switch_connected(reg, 1, &hello13, 5000);
    CU_ASSERT_PTR_EQUAL(switch_find(reg, 1), sw);
    CU_ASSERT_EQUAL(sw->state, SWITCH_CONNECTED);
    CU_ASSERT_EQUAL(sw->connected_since, 5000);
    CU_ASSERT_EQUAL(sw->n_connects, 1);
    CU_ASSERT_STRING_EQUAL(sw->peer, "tcp:127.0.0.1:1000");
    CU_ASSERT_EQUAL(switch_count(reg), 1);

    switch_registry_destroy(reg);
}

static void
test_disconnect_and_reconnect(void)
{
    struct switch_registry *reg = switch_registry_create();
    struct switch_entry *sw = switch_connected(reg, 7, &hello13, 1000);
    struct ofputil_phy_port pps[] = { port(1, "p1"), port(2, "p2") };
    switch_set_ports(sw, pps, 2);

    /* The entry outlives its connection, with the reason. */
    switch_disconnected(sw, SWITCH_DEAD, "no echo reply", 2000);
    CU_ASSERT_PTR_EQUAL(switch_find(reg, 7), sw);
    CU_ASSERT_EQUAL(sw->state, SWITCH_DEAD);
    CU_ASSERT_EQUAL(sw->state_since, 2000);
    CU_ASSERT_STRING_EQUAL(sw->reason, "no echo reply");
    CU_ASSERT_EQUAL(switch_count_state(reg, SWITCH_DEAD), 1);
    CU_ASSERT_EQUAL(switch_count_state(reg, SWITCH_CONNECTED), 0);

    /* Reconnecting reuses the entry, clears the reason and the ports until
     * the new port list comes in. */
    struct switch_entry *again = switch_connected(reg, 7, &hello13, 3000);
    CU_ASSERT_PTR_EQUAL(again, sw);
    CU_ASSERT_EQUAL(sw->state, SWITCH_CONNECTED);
    CU_ASSERT_PTR_NULL(sw->reason);
    CU_ASSERT_EQUAL(sw->n_connects, 2);
    CU_ASSERT_EQUAL(sw->connected_since, 3000);
    CU_ASSERT_EQUAL(hmap_count(&sw->ports), 0);
    CU_ASSERT_EQUAL(switch_count(reg), 1);

    switch_registry_destroy(reg);
}

static void
test_port_status(void)
{
    struct switch_registry *reg = switch_registry_create();
    struct switch_entry *sw = switch_connected(reg, 1, &hello13, 0);
    struct ofputil_phy_port pps[] = { port(3, "p3"), port(1, "p1") };
    switch_set_ports(sw, pps, 2);

    struct ofputil_phy_port p2 = port(2, "p2");
    switch_port_status(sw, OFPPR_ADD, &p2);
    struct ofputil_phy_port p1 = port(1, "p1");
    p1.config = OFPUTIL_PC_PORT_DOWN;
    switch_port_status(sw, OFPPR_MODIFY, &p1);
    struct ofputil_phy_port p3 = port(3, "p3");
    switch_port_status(sw, OFPPR_DELETE, &p3);

    size_t n;
    const struct switch_port **ports = switch_sorted_ports(sw, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(ports[0]->pp.name, "p1");
    CU_ASSERT_EQUAL(ports[0]->pp.config, OFPUTIL_PC_PORT_DOWN);
    CU_ASSERT_STRING_EQUAL(ports[1]->pp.name, "p2");
    CU_ASSERT_EQUAL(sw->n_port_changes, 3);
    free(ports);

    /* Deleting a port we never heard of changes nothing but the count. */
    struct ofputil_phy_port p9 = port(9, "p9");
    switch_port_status(sw, OFPPR_DELETE, &p9);
    CU_ASSERT_EQUAL(hmap_count(&sw->ports), 2);

    switch_registry_destroy(reg);
}

static void
test_sorted(void)
{
    struct switch_registry *reg = switch_registry_create();
    uint64_t dpids[] = { 0x30, 0x1, 0xffffffffffffffffULL, 0x20 };
    for (size_t i = 0; i < ARRAY_SIZE(dpids); i++) {
        switch_connected(reg, dpids[i], &hello13, 0);
    }

    size_t n;
    const struct switch_entry **list = switch_sorted(reg, &n);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(list[0]->dpid, 0x1);
    CU_ASSERT_EQUAL(list[1]->dpid, 0x20);
    CU_ASSERT_EQUAL(list[2]->dpid, 0x30);
    CU_ASSERT_EQUAL(list[3]->dpid, 0xffffffffffffffffULL);
    free(list);
    switch_registry_destroy(reg);
}

static void
test_dpid_parse(void)
{
    static const struct {
        const char *s;
        uint64_t dpid;
    } good[] = {
        { "0000000000000001", 1 },
        { "1", 1 },
        { "0x00000000000000b0", 0xb0 },
        { "dpid:00000000000000B0", 0xb0 },
        { "00:00:00:00:00:00:00:b0", 0xb0 },
        { "ffffffffffffffff", 0xffffffffffffffffULL },
    };
    static const char *bad[] = {
        "", "0x", "g", "00000000000000001", "00:00:00:00:00:00:00:0g",
        "00-00-00-00-00-00-00-01", "1 ", "-1",
    };

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        uint64_t dpid = 0;
        CU_ASSERT_EQUAL(switch_parse_dpid(good[i].s, &dpid), 0);
        CU_ASSERT_EQUAL(dpid, good[i].dpid);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        uint64_t dpid;
        CU_ASSERT_EQUAL(switch_parse_dpid(bad[i], &dpid), EINVAL);
    }

    char s[17];
    switch_format_dpid(0xb0, s);
    CU_ASSERT_STRING_EQUAL(s, "00000000000000b0");
}

void
unit_register_switch(void)
{
    static CU_TestInfo tests[] = {
        { "connect and find", test_connect_and_find },
        { "disconnect keeps the entry; reconnect reuses it",
          test_disconnect_and_reconnect },
        { "port status add, modify, delete", test_port_status },
        { "sorted by dpid", test_sorted },
        { "dpid parse and format", test_dpid_parse },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("switch", tests);
}
