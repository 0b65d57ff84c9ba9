/*
 * Tests of ctpolicy's pure part: the zones and timeouts the model wants,
 * ovs-vsctl's output parsed, and the transaction that makes OVSDB follow.
 */
#include <config.h>
#include "flowlb/ctpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "flowlb/lb.h"
#include "openvswitch/util.h"
#include "svec.h"
#include "unit.h"
#include "util.h"

/* Creates a service in 'model' from JSON 'text' (which must be valid). */
static struct lb_service *
make_service(struct lb_model *model, const char *text)
{
    json_error_t jerror;
    json_t *body = json_loads(text, 0, &jerror);
    struct lb_error error = { 0, NULL, NULL };
    struct lb_service *svc = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    int status = lb_service_create(model, body, 1, &svc, &error);
    if (status) {
        fprintf(stderr, "%s: %s\n", error.field, error.message);
    }
    CU_ASSERT_EQUAL_FATAL(status, 0);
    json_decref(body);
    lb_error_clear(&error);
    return svc;
}

static uint32_t
timeout(const struct ctpolicy_zones *zs, uint16_t zone, enum ctpolicy_key k)
{
    const struct ctpolicy_zone *z = ctpolicy_zones_find(zs, zone);
    return z ? z->timeouts[k] : 0;
}

/* Every zone of every NAT service with its service's timeouts; DSR
 * services have none; NAPT has two zones. */
static void
test_wanted(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *nat = make_service(model,
        "{\"name\": \"nat\", \"vip\": \"192.0.2.1\", \"protocol\": \"any\","
        " \"forwarding\": \"nat\","
        " \"timeouts\": {\"tcp\": 300, \"udp\": 7, \"icmp\": 9}}");
    struct lb_service *napt = make_service(model,
        "{\"name\": \"napt\", \"vip\": \"192.0.2.2\", \"ports\": [80],"
        " \"forwarding\": \"napt\", \"source\": \"192.0.2.200\","
        " \"timeouts\": {\"tcp\": 10}}");
    make_service(model, "{\"name\": \"dsr\", \"vip\": \"192.0.2.3\"}");
    struct lb_service *defaults = make_service(model,
        "{\"name\": \"def\", \"vip\": \"2001:db8::4\", \"protocol\": \"udp\","
        " \"forwarding\": \"nat\"}");

    CU_ASSERT(nat->ct_zone && napt->ct_zone && defaults->ct_zone);

    struct ctpolicy_zones wanted;
    ctpolicy_zones_init(&wanted);
    ctpolicy_wanted(model, &wanted);
    CU_ASSERT_EQUAL(ctpolicy_zones_count(&wanted), 4);

    uint16_t z = nat->ct_zone;
    CU_ASSERT_EQUAL(ctpolicy_zones_find(&wanted, z)->service_id, nat->id);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_ESTABLISHED), 300);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_SYN_SENT), 30);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_SYN_RECV), 30);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_FIN_WAIT), 30);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_TIME_WAIT), 30);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_CLOSE), 30);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_UDP_FIRST), 7);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_UDP_SINGLE), 7);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_UDP_MULTIPLE), 7);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_ICMP_FIRST), 9);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_ICMP_REPLY), 9);

    /* NAPT: both zones, the short TCP states capped by a smaller TCP
     * timeout, UDP and ICMP at their defaults. */
    for (int i = 0; i < 2; i++) {
        z = napt->ct_zone + (i ? LB_CT_ZONE_SNAT : 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ctpolicy_zones_find(&wanted, z));
        CU_ASSERT_EQUAL(ctpolicy_zones_find(&wanted, z)->service_id,
                        napt->id);
        CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_ESTABLISHED), 10);
        CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_SYN_SENT), 10);
        CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_CLOSE), 10);
        CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_UDP_SINGLE),
                        LB_TIMEOUT_OTHER_DEFAULT);
        CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_ICMP_REPLY),
                        LB_TIMEOUT_OTHER_DEFAULT);
    }

    z = defaults->ct_zone;
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_TCP_ESTABLISHED),
                    LB_TIMEOUT_TCP_DEFAULT);
    CU_ASSERT_EQUAL(timeout(&wanted, z, CTPOLICY_UDP_FIRST),
                    LB_TIMEOUT_OTHER_DEFAULT);

    /* A PATCH shows; a delete takes the zones away. */
    json_t *patch = json_loads(
        "{\"timeouts\": {\"tcp\": 300, \"udp\": 11, \"icmp\": 9}}", 0,
        NULL);
    struct lb_error error = { 0, NULL, NULL };
    CU_ASSERT_EQUAL(lb_service_patch(model, nat, patch, &error), 0);
    json_decref(patch);
    lb_service_delete(model, napt);
    ctpolicy_wanted(model, &wanted);
    CU_ASSERT_EQUAL(ctpolicy_zones_count(&wanted), 2);
    CU_ASSERT_EQUAL(timeout(&wanted, nat->ct_zone, CTPOLICY_UDP_FIRST), 11);
    CU_ASSERT_EQUAL(timeout(&wanted, nat->ct_zone, CTPOLICY_ICMP_FIRST), 9);

    ctpolicy_zones_destroy(&wanted);
    lb_model_destroy(model);
}

/* ovs-vsctl list-zone-tp's lines. */
static void
test_parse_listing(void)
{
    struct ctpolicy_zones zs;
    char *error;

    ctpolicy_zones_init(&zs);
    CU_ASSERT_EQUAL(ctpolicy_parse_listing("", &zs, &error), 0);
    CU_ASSERT_EQUAL(ctpolicy_zones_count(&zs), 0);

    CU_ASSERT_EQUAL(ctpolicy_parse_listing(
        "Zone:5, Timeout Policies: icmp_first=9 tcp_established=30 "
        "udp_first=7\n"
        "Zone:32773, Timeout Policies: system default\n"
        "Zone:6, Timeout Policies: tcp_close_wait=3 udp_single=4\n",
        &zs, &error), 0);
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_EQUAL(ctpolicy_zones_count(&zs), 3);
    CU_ASSERT_EQUAL(timeout(&zs, 5, CTPOLICY_ICMP_FIRST), 9);
    CU_ASSERT_EQUAL(timeout(&zs, 5, CTPOLICY_TCP_ESTABLISHED), 30);
    CU_ASSERT_EQUAL(timeout(&zs, 5, CTPOLICY_UDP_FIRST), 7);
    CU_ASSERT_EQUAL(timeout(&zs, 5, CTPOLICY_UDP_SINGLE), CTPOLICY_UNSET);
    CU_ASSERT(!ctpolicy_zones_find(&zs, 5)->foreign);
    CU_ASSERT_EQUAL(timeout(&zs, 32773, CTPOLICY_TCP_ESTABLISHED),
                    CTPOLICY_UNSET);
    /* A key flowlbd does not set makes the zone differ from any policy
     * flowlbd wants. */
    CU_ASSERT(ctpolicy_zones_find(&zs, 6)->foreign);
    CU_ASSERT_EQUAL(timeout(&zs, 6, CTPOLICY_UDP_SINGLE), 4);

    static const char *bad[] = {
        "Zone:x, Timeout Policies: tcp_established=1",
        "Zone:70000, Timeout Policies: tcp_established=1",
        "Zone:5 Timeout Policies: tcp_established=1",
        "Zone:5, Timeout Policies: tcp_established",
        "Zone:5, Timeout Policies: tcp_established=",
        "Zone:5, Timeout Policies: =3",
        "Zone:5, Timeout Policies: tcp_established=3x",
        "Zone:5, Timeout Policies: tcp_established=99999999999",
        "ovs-vsctl: something else",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        ctpolicy_zones_clear(&zs);
        CU_ASSERT_EQUAL(ctpolicy_parse_listing(bad[i], &zs, &error), EINVAL);
        CU_ASSERT_PTR_NOT_NULL(error);
        free(error);
    }
    ctpolicy_zones_destroy(&zs);
}

/* The record of flowlbd's zones. */
static void
test_parse_owned(void)
{
    struct ctpolicy_zones zs;
    char *error;

    ctpolicy_zones_init(&zs);
    CU_ASSERT_EQUAL(ctpolicy_parse_owned("\n", &zs, &error), 0);
    CU_ASSERT_EQUAL(ctpolicy_parse_owned("", &zs, &error), 0);
    CU_ASSERT_EQUAL(ctpolicy_zones_count(&zs), 0);
    CU_ASSERT_EQUAL(ctpolicy_parse_owned("\"5,32773,6\"\n", &zs, &error), 0);
    CU_ASSERT_EQUAL(ctpolicy_zones_count(&zs), 3);
    CU_ASSERT_PTR_NOT_NULL(ctpolicy_zones_find(&zs, 32773));

    static const char *bad[] = {
        "5,6", "\"5,x\"", "\"0\"", "\"65536\"", "\"", "\"5;6\"",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CU_ASSERT_EQUAL(ctpolicy_parse_owned(bad[i], &zs, &error), EINVAL);
        CU_ASSERT_PTR_NOT_NULL(error);
        free(error);
    }
    ctpolicy_zones_destroy(&zs);
}

static void
set_zone(struct ctpolicy_zones *zs, uint16_t zone, uint32_t tcp)
{
    struct ctpolicy_zone *z = ctpolicy_zones_add(zs, zone);
    for (int i = 0; i < CTPOLICY_N_KEYS; i++) {
        z->timeouts[i] = i == CTPOLICY_TCP_ESTABLISHED ? tcp : 30;
    }
}

static bool
plan_is(const struct ctpolicy_plan *plan, const char *add, const char *del,
        bool note)
{
    char buf[2][128];
    for (int k = 0; k < 2; k++) {
        const uint16_t *list = k ? plan->del : plan->add;
        size_t n = k ? plan->n_del : plan->n_add;
        buf[k][0] = '\0';
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(buf[k]);
            snprintf(buf[k] + len, sizeof buf[k] - len, "%s%u",
                     i ? "," : "", list[i]);
        }
    }
    if (strcmp(buf[0], add) || strcmp(buf[1], del) || plan->note != note) {
        fprintf(stderr, "plan: add %s del %s note %d, expected add %s del %s "
                "note %d\n", buf[0], buf[1], plan->note, add, del, note);
        return false;
    }
    return true;
}

/* The diff: add what is missing or different, delete only flowlbd's own
 * zones that no service wants, and keep the record of owned zones true. */
static void
test_plan(void)
{
    struct ctpolicy_zones wanted, present, owned;
    struct ctpolicy_plan plan;

    ctpolicy_zones_init(&wanted);
    ctpolicy_zones_init(&present);
    ctpolicy_zones_init(&owned);

    /* Nothing anywhere. */
    ctpolicy_plan_compute(&wanted, &present, &owned, &plan);
    CU_ASSERT(ctpolicy_plan_is_empty(&plan));
    ctpolicy_plan_destroy(&plan);

    /* A new service: its zone added and recorded. */
    set_zone(&wanted, 5, 30);
    set_zone(&wanted, 32773, 30);
    ctpolicy_plan_compute(&wanted, &present, &owned, &plan);
    CU_ASSERT(plan_is(&plan, "5,32773", "", true));
    ctpolicy_plan_destroy(&plan);

    /* Applied: nothing to do. */
    set_zone(&present, 5, 30);
    set_zone(&present, 32773, 30);
    ctpolicy_zones_add(&owned, 5);
    ctpolicy_zones_add(&owned, 32773);
    ctpolicy_plan_compute(&wanted, &present, &owned, &plan);
    CU_ASSERT(ctpolicy_plan_is_empty(&plan));
    ctpolicy_plan_destroy(&plan);

    /* A changed timeout, or a foreign key in OVSDB: that zone again. */
    set_zone(&wanted, 5, 31);
    ctpolicy_zones_find(&present, 32773)->foreign = true;
    ctpolicy_plan_compute(&wanted, &present, &owned, &plan);
    CU_ASSERT(plan_is(&plan, "5,32773", "", false));
    ctpolicy_plan_destroy(&plan);
    set_zone(&present, 5, 31);
    ctpolicy_zones_find(&present, 32773)->foreign = false;

    /* A service gone: its zones deleted; an operator's zone 7 (not
     * recorded) stays; an owned zone that OVSDB lost is only dropped from
     * the record. */
    ctpolicy_zones_remove(&wanted, 32773);
    set_zone(&present, 7, 100);
    ctpolicy_zones_add(&owned, 9);
    ctpolicy_plan_compute(&wanted, &present, &owned, &plan);
    CU_ASSERT(plan_is(&plan, "", "32773", true));
    ctpolicy_plan_destroy(&plan);

    /* An operator's zone that a service now wants with the same policy:
     * taken over, only recorded. */
    set_zone(&wanted, 7, 100);
    ctpolicy_zones_remove(&owned, 9);
    ctpolicy_zones_remove(&present, 32773);
    ctpolicy_zones_remove(&owned, 32773);
    ctpolicy_plan_compute(&wanted, &present, &owned, &plan);
    CU_ASSERT(plan_is(&plan, "", "", true));
    ctpolicy_plan_destroy(&plan);

    ctpolicy_zones_destroy(&wanted);
    ctpolicy_zones_destroy(&present);
    ctpolicy_zones_destroy(&owned);
}

static char *
join(const struct svec *args)
{
    size_t len = 1;
    for (size_t i = 0; i < args->n; i++) {
        len += strlen(args->names[i]) + 1;
    }
    char *s = xzalloc(len);
    for (size_t i = 0; i < args->n; i++) {
        if (i) {
            strcat(s, " ");
        }
        strcat(s, args->names[i]);
    }
    return s;
}

/* The ovs-vsctl commands of a plan, exactly. */
static void
test_plan_args(void)
{
    struct ctpolicy_zones wanted;
    struct ctpolicy_plan plan;
    struct svec args = SVEC_EMPTY_INITIALIZER;

    ctpolicy_zones_init(&wanted);
    struct ctpolicy_zone *z = ctpolicy_zones_add(&wanted, 5);
    z->timeouts[CTPOLICY_TCP_ESTABLISHED] = 30;
    z->timeouts[CTPOLICY_UDP_FIRST] = 7;
    ctpolicy_zones_add(&wanted, 40000)->timeouts[CTPOLICY_ICMP_REPLY] = 9;

    uint16_t add[] = { 5, 40000 };
    uint16_t del[] = { 6 };
    plan = (struct ctpolicy_plan) { add, 2, del, 1, true };
    ctpolicy_plan_to_args(&plan, &wanted, "netdev", "flowlb-ct-zones-netdev",
                          &args);
    char *s = join(&args);
    CU_ASSERT_STRING_EQUAL(s,
        "-- --may-exist add-zone-tp netdev zone=5 tcp_established=30 "
        "udp_first=7 "
        "-- --may-exist add-zone-tp netdev zone=40000 icmp_reply=9 "
        "-- --if-exists del-zone-tp netdev zone=6 "
        "-- set Open_vSwitch . external_ids:flowlb-ct-zones-netdev="
        "\"5,40000\"");
    free(s);

    /* The last zone gone: the record goes too. */
    svec_clear(&args);
    ctpolicy_zones_clear(&wanted);
    plan = (struct ctpolicy_plan) { NULL, 0, del, 1, true };
    ctpolicy_plan_to_args(&plan, &wanted, "system", "flowlb-ct-zones-system",
                          &args);
    s = join(&args);
    CU_ASSERT_STRING_EQUAL(s,
        "-- --if-exists del-zone-tp system zone=6 "
        "-- remove Open_vSwitch . external_ids flowlb-ct-zones-system");
    free(s);

    svec_destroy(&args);
    ctpolicy_zones_destroy(&wanted);
}

void
unit_register_ctpolicy(void)
{
    static CU_TestInfo tests[] = {
        { "wanted zones from the model", test_wanted },
        { "list-zone-tp parsed", test_parse_listing },
        { "owned zones record parsed", test_parse_owned },
        { "plan against OVSDB", test_plan },
        { "plan as ovs-vsctl arguments", test_plan_args },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("ctpolicy", tests);
}
