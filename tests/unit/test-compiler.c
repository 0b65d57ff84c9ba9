/*
 * Tests of compiler: golden files.  Each tests/golden/NAME.json is a model
 * in the state file's format; NAME.flows holds what compiler_switch() must
 * produce for switch 00000000000000b0, one ovs-ofctl line each, flows then
 * groups.  Run the unit tests with FLOWLB_GOLDEN_UPDATE=1 to rewrite the
 * .flows files from the compiler after a deliberate change, and review the
 * diff.
 *
 * Every line must also parse with libopenvswitch's ovs-ofctl parsers for
 * OpenFlow 1.5, since that is what sync does with it.
 */
#include <config.h>
#include "flowlb/compiler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "flowlb/lb.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "unit.h"
#include "util.h"

#define GOLDEN_DPID 0xb0

static const struct compiler_options opts = { .l2_normal = true };

static struct lb_model *
load_model(const char *name)
{
    char *path = xasprintf("%s/tests/golden/%s.json", UNIT_SRCDIR, name);
    json_error_t jerror;
    json_t *json = json_load_file(path, 0, &jerror);
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);

    struct lb_model *model = NULL;
    struct lb_error error = { 0, NULL, NULL };
    int retval = lb_model_from_json(json, &model, &error);
    if (retval) {
        fprintf(stderr, "%s: %s: %s\n", path,
                error.field ? error.field : "", error.message);
    }
    CU_ASSERT_EQUAL_FATAL(retval, 0);
    lb_error_clear(&error);
    json_decref(json);
    free(path);
    return model;
}

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    struct ds ds = DS_EMPTY_INITIALIZER;
    int c;
    while ((c = getc(f)) != EOF) {
        ds_put_char(&ds, c);
    }
    fclose(f);
    return ds_steal_cstr(&ds);
}

static void
check_parses(const struct compiler_output *out)
{
    for (size_t i = 0; i < out->flows.n; i++) {
        struct ofputil_flow_mod fm;
        enum ofputil_protocol usable;
        char *error = parse_ofp_flow_mod_str(&fm, out->flows.names[i],
                                             NULL, NULL, OFPFC_ADD,
                                             &usable);
        if (error) {
            fprintf(stderr, "%s: %s\n", out->flows.names[i], error);
            free(error);
            CU_FAIL("flow does not parse");
            continue;
        }
        CU_ASSERT(usable & OFPUTIL_P_OF15_OXM);
        minimatch_destroy(&fm.match);
        free(CONST_CAST(struct ofpact *, fm.ofpacts));
    }
    for (size_t i = 0; i < out->groups.n; i++) {
        struct ofputil_group_mod gm;
        enum ofputil_protocol usable;
        char *error = parse_ofp_group_mod_str(&gm, OFPGC11_ADD,
                                              out->groups.names[i], NULL,
                                              NULL, &usable);
        if (error) {
            fprintf(stderr, "%s: %s\n", out->groups.names[i], error);
            free(error);
            CU_FAIL("group does not parse");
            continue;
        }
        CU_ASSERT(usable & OFPUTIL_P_OF15_OXM);
        ofputil_uninit_group_mod(&gm);
    }
}

/* Compiles golden model 'name', optionally adjusted by 'adjust', and
 * compares with NAME.flows. */
static void
golden(const char *name, void (*adjust)(struct lb_model *))
{
    struct lb_model *model = load_model(name);
    if (adjust) {
        adjust(model);
    }

    struct compiler_output out;
    compiler_output_init(&out);
    compiler_switch(model, GOLDEN_DPID, &opts, &out);
    check_parses(&out);

    struct ds got = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < out.flows.n; i++) {
        ds_put_format(&got, "%s\n", out.flows.names[i]);
    }
    for (size_t i = 0; i < out.groups.n; i++) {
        ds_put_format(&got, "%s\n", out.groups.names[i]);
    }

    char *path = xasprintf("%s/tests/golden/%s.flows", UNIT_SRCDIR, name);
    if (getenv("FLOWLB_GOLDEN_UPDATE")) {
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs(ds_cstr(&got), f);
        fclose(f);
    }
    char *want = read_file(path);
    CU_ASSERT_PTR_NOT_NULL(want);
    if (want && strcmp(want, ds_cstr(&got))) {
        fprintf(stderr, "\n%s differs; compiler output:\n%s", path,
                ds_cstr(&got));
        CU_FAIL("compiler output differs from golden file");
    }

    free(want);
    free(path);
    ds_destroy(&got);
    compiler_output_destroy(&out);
    lb_model_destroy(model);
}

/* Member 5 of ipv6-label has no MAC in the file: resolution found one. */
static void
resolve_member_5(struct lb_model *model)
{
    struct lb_service *svc = lb_service_find(model, 1);
    struct lb_member *m = lb_member_find(svc, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    m->resolved = true;
    m->resolved_mac = (struct eth_addr) ETH_ADDR_C(0a, 00, 00, 00, 00, 25);
}

/* Label key over two ports; disabled, draining and unresolved members take
 * no new sessions. */
static void
test_ipv6_label(void)
{
    golden("ipv6-label", NULL);
}

static void
test_ipv6_label_resolved(void)
{
    golden("ipv6-label-resolved", resolve_member_5);
}

/* Weights 2:1:1 become 2:1:1 buckets; 4:6 becomes 2:3. */
static void
test_weights(void)
{
    golden("weights", NULL);
}

static void
test_ipv4(void)
{
    golden("ipv4", NULL);
}

/* Two services on one VIP share one NS punt, under the lower id; a
 * service bound to another switch is left out. */
static void
test_shared_vip(void)
{
    golden("shared-vip", NULL);
}

/* Stateful, label_change follow: stick tables, the decide table, learn
 * and forward flows for the enabled and the draining member, none for the
 * disabled and the unresolved one. */
static void
test_stateful_follow(void)
{
    golden("stateful-follow", NULL);
}

/* Stateful "drop" over any protocol (both transports learned, the label
 * check table), and "rebalance" with the 5-tuple key (label in the
 * 5-tuple entry). */
static void
test_stateful_drop_rebalance(void)
{
    golden("stateful-drop-rebalance", NULL);
}

/* Stateful IPv4: no label table; fragments go to the 5-tuple group. */
static void
test_stateful_ipv4(void)
{
    golden("stateful-ipv4", NULL);
}

/* NAT: conntrack in the service's zone both ways, a group whose buckets
 * commit with the destination translated, member flows by ct_mark; a
 * disabled member's buckets go to its backup; "any" learns TCP, UDP and
 * ICMP sessions with their timeouts. */
static void
test_nat_ipv4(void)
{
    golden("nat-ipv4", NULL);
}

/* NAT IPv6 with a label key: new sessions hash on the label (the 5-tuple
 * for label 0), members' ports translated, neighbour discovery kept out of
 * conntrack; weights as configured until balance runs. */
static void
test_nat_ipv6(void)
{
    golden("nat-ipv6", NULL);
}

/* NAPT: the source zone, the check table, the replies to the source;
 * IPv6 per-session: new sessions to flowlbd through the meter, no group,
 * no learning. */
static void
test_napt_ipv4(void)
{
    golden("napt-ipv4", NULL);
}

static void
test_empty(void)
{
    golden("empty", NULL);
}

/* Weights: the number of buckets per member is its weight over the
 * weights' greatest common divisor. */
static void
test_bucket_member(void)
{
    CU_ASSERT_EQUAL(compiler_bucket_member(0x100), 1);
    CU_ASSERT_EQUAL(compiler_bucket_member(0x1ff), 1);
    CU_ASSERT_EQUAL(compiler_bucket_member(0xffff00), 0xffff);
}

static void
test_flow_identity(void)
{
    char *id = compiler_flow_identity(
        "cookie=0x1,table=0,priority=5,ip,actions=NORMAL");
    CU_ASSERT_STRING_EQUAL(id, "table=0,priority=5,ip");
    free(id);
}

void
unit_register_compiler(void)
{
    static CU_TestInfo tests[] = {
        { "golden: IPv6 label key, member states", test_ipv6_label },
        { "golden: resolved member joins", test_ipv6_label_resolved },
        { "golden: weights as replicated buckets", test_weights },
        { "golden: IPv4 5-tuple and src keys", test_ipv4 },
        { "golden: shared VIP, switch filter", test_shared_vip },
        { "golden: empty model, base flows", test_empty },
        { "golden: stateful, follow", test_stateful_follow },
        { "golden: stateful, drop and rebalance",
          test_stateful_drop_rebalance },
        { "golden: stateful IPv4", test_stateful_ipv4 },
        { "golden: NAT IPv4", test_nat_ipv4 },
        { "golden: NAT IPv6, label key", test_nat_ipv6 },
        { "golden: NAPT IPv4", test_napt_ipv4 },
        { "bucket ids carry member ids", test_bucket_member },
        { "flow identity", test_flow_identity },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("compiler", tests);
}
