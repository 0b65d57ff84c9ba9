/*
 * Tests of session: parsing a session's first packet, binding sessions to
 * members with the exact algorithms, deduplicating retransmitted first
 * packets, exact counts through removal, failure, restore and switch
 * loss, and the flow_mod and packet-out that go to the switch.
 *
 * The frames are composed with OVS's flow_compose() from a struct flow,
 * so the packets are what OVS itself would build; the bad ones are good
 * ones cut or changed.  That the switch does what the messages say is
 * shown by tests/session.at against a running ovs-vswitchd.
 */
#include <config.h>
#include "flowlb/session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "dp-packet.h"
#include "flow.h"
#include "flowlb/lb.h"
#include "flowlb/lb-algo.h"
#include "flowlb/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "unit.h"
#include "util.h"

static bool
addr_is(const struct in6_addr *a, struct in6_addr b)
{
    return ipv6_addr_equals(a, &b);
}

/* Frames. */

/* Composes into 'p' (which the caller uninits) a frame from client
 * 'src':'sport' to 'dst':'dport' with IP protocol 'proto' (for ICMP and
 * ICMPv6 'sport' is the type), IPv4 if the addresses are IPv4-mapped. */
static void
compose(struct dp_packet *p, const char *src, const char *dst,
        uint8_t proto, uint16_t sport, uint16_t dport)
{
    struct flow flow;
    struct in6_addr s = strchr(src, ':') ? unit_ip6(src) : unit_ip4(src);
    struct in6_addr d = strchr(dst, ':') ? unit_ip6(dst) : unit_ip4(dst);

    memset(&flow, 0, sizeof flow);
    flow.dl_src = (struct eth_addr) ETH_ADDR_C(0a, 00, 00, 00, 00, 11);
    flow.dl_dst = (struct eth_addr) ETH_ADDR_C(02, f1, 0b, 00, 00, 01);
    if (IN6_IS_ADDR_V4MAPPED(&s)) {
        flow.dl_type = htons(ETH_TYPE_IP);
        flow.nw_src = in6_addr_get_mapped_ipv4(&s);
        flow.nw_dst = in6_addr_get_mapped_ipv4(&d);
    } else {
        flow.dl_type = htons(ETH_TYPE_IPV6);
        flow.ipv6_src = s;
        flow.ipv6_dst = d;
    }
    flow.nw_proto = proto;
    flow.nw_ttl = 64;
    flow.tp_src = htons(sport);
    flow.tp_dst = htons(dport);
    if (proto == IPPROTO_TCP) {
        flow.tcp_flags = htons(TCP_SYN);
    }
    dp_packet_init(p, 128);
    flow_compose(p, &flow, "payload", 7);
}

static void
test_parse(void)
{
    struct session_tuple t;
    struct dp_packet p;

    compose(&p, "203.0.113.11", "198.51.100.100", IPPROTO_TCP, 40000, 80);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), 0);
    CU_ASSERT(t.is_ipv4);
    CU_ASSERT(addr_is(&t.src, unit_ip4("203.0.113.11")));
    CU_ASSERT(addr_is(&t.dst, unit_ip4("198.51.100.100")));
    CU_ASSERT_EQUAL(t.proto, IPPROTO_TCP);
    CU_ASSERT_EQUAL(t.src_port, 40000);
    CU_ASSERT_EQUAL(t.dst_port, 80);

    /* Cut inside the TCP header: no session tuple. */
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), 14 + 20 + 10, &t),
                    EINVAL);
    /* Not IP at all. */
    uint8_t *b = dp_packet_data(&p);
    b[12] = 0x08;
    b[13] = 0x06;
    CU_ASSERT_EQUAL(session_parse(b, dp_packet_size(&p), &t), EINVAL);
    dp_packet_uninit(&p);

    compose(&p, "2001:db8:c1::11", "2001:db8:f10::100", IPPROTO_UDP, 5000,
            53);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), 0);
    CU_ASSERT(!t.is_ipv4);
    CU_ASSERT(addr_is(&t.src, unit_ip6("2001:db8:c1::11")));
    CU_ASSERT(addr_is(&t.dst, unit_ip6("2001:db8:f10::100")));
    CU_ASSERT_EQUAL(t.proto, IPPROTO_UDP);
    CU_ASSERT_EQUAL(t.src_port, 5000);
    CU_ASSERT_EQUAL(t.dst_port, 53);
    dp_packet_uninit(&p);

    /* ICMP echo requests are sessions, without ports; other ICMP is
     * not. */
    compose(&p, "203.0.113.11", "198.51.100.100", IPPROTO_ICMP,
            ICMP4_ECHO_REQUEST, 0);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), 0);
    CU_ASSERT_EQUAL(t.proto, IPPROTO_ICMP);
    CU_ASSERT_EQUAL(t.src_port, 0);
    CU_ASSERT_EQUAL(t.dst_port, 0);
    dp_packet_uninit(&p);
    compose(&p, "203.0.113.11", "198.51.100.100", IPPROTO_ICMP,
            ICMP4_DST_UNREACH, 3);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), EPROTONOSUPPORT);
    dp_packet_uninit(&p);
    compose(&p, "2001:db8:c1::11", "2001:db8:f10::100", IPPROTO_ICMPV6,
            ICMP6_ECHO_REQUEST, 0);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), 0);
    CU_ASSERT_EQUAL(t.proto, IPPROTO_ICMPV6);
    dp_packet_uninit(&p);
    compose(&p, "2001:db8:c1::11", "2001:db8:f10::100", IPPROTO_ICMPV6,
            ICMP6_ECHO_REPLY, 0);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), EPROTONOSUPPORT);
    dp_packet_uninit(&p);

    /* SCTP: not a protocol a NAT service balances. */
    compose(&p, "203.0.113.11", "198.51.100.100", IPPROTO_SCTP, 1, 2);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), EPROTONOSUPPORT);
    dp_packet_uninit(&p);

    /* An IPv4 fragment, first or later, is no session's first packet. */
    compose(&p, "203.0.113.11", "198.51.100.100", IPPROTO_UDP, 5000, 53);
    struct ip_header *ip = dp_packet_l3(&p);
    ip->ip_frag_off = htons(IP_MORE_FRAGMENTS);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), EINVAL);
    ip->ip_frag_off = htons(100);
    CU_ASSERT_EQUAL(session_parse(dp_packet_data(&p), dp_packet_size(&p),
                                  &t), EINVAL);
    dp_packet_uninit(&p);
}

/* A model with one NAT service "web" on 198.51.100.100, TCP port 80,
 * three members with MACs (ids 1, 2, 3; member 2 translates to port
 * 8080), deciding per session with 'algorithm'. */
static struct lb_model *
make_model(enum lb_algo_type algorithm)
{
    static const char json_text[] =
        "{\"version\": 1, \"vmac\": \"02:f1:0b:00:00:01\","
        " \"next_service_id\": 2, \"services\": [{"
        "  \"id\": 1, \"name\": \"web\", \"vip\": \"198.51.100.100\","
        "  \"protocol\": \"tcp\", \"ports\": [80], \"key\": \"5tuple\","
        "  \"forwarding\": \"dsr\", \"switches\": [],"
        "  \"hash_basis\": \"0x1111111111111111\", \"next_member_id\": 4,"
        "  \"members\": ["
        "   {\"id\": 1, \"address\": \"198.51.100.21\","
        "    \"mac\": \"0a:00:00:00:00:21\", \"weight\": 1,"
        "    \"state\": \"enabled\"},"
        "   {\"id\": 2, \"address\": \"198.51.100.22\","
        "    \"mac\": \"0a:00:00:00:00:22\", \"weight\": 1,"
        "    \"state\": \"enabled\"},"
        "   {\"id\": 3, \"address\": \"198.51.100.23\","
        "    \"mac\": \"0a:00:00:00:00:23\", \"weight\": 1,"
        "    \"state\": \"enabled\"}]}]}";
    json_error_t jerror;
    json_t *json = json_loads(json_text, 0, &jerror);
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);
    struct lb_model *model = NULL;
    struct lb_error error = { 0, NULL, NULL };
    CU_ASSERT_EQUAL_FATAL(lb_model_from_json(json, &model, &error), 0);
    json_decref(json);

    struct lb_service *svc = lb_service_find(model, 1);
    svc->forwarding = LB_FWD_NAT;
    svc->decision = LB_DECISION_PER_SESSION;
    svc->algorithm = algorithm;
    svc->ct_zone = 5;
    svc->timeout_tcp = LB_TIMEOUT_TCP_DEFAULT;
    svc->timeout_udp = 1;
    svc->timeout_icmp = LB_TIMEOUT_OTHER_DEFAULT;
    svc->session_weight = 1;
    svc->per_session_rate = 1000;
    struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        m->cost = 1;
        m->rtt_ms = -1;
        m->health = LB_HEALTH_UNKNOWN;
    }
    lb_member_find(svc, 2)->port = 8080;
    return model;
}

static struct session_tuple
client_tuple(unsigned int i)
{
    struct session_tuple t = {
        .src = unit_ip4("203.0.113.11"),
        .dst = unit_ip4("198.51.100.100"),
        .proto = IPPROTO_TCP,
        .is_ipv4 = true,
        .src_port = 40000 + i,
        .dst_port = 80,
    };
    return t;
}

/* least-sessions with exact counts spreads 6 sessions 2/2/2; a
 * retransmitted first packet finds its session and counts nothing. */
static void
test_least_sessions_spread(void)
{
    struct lb_model *model = make_model(LB_ALGO_LEAST_SESSIONS);
    struct lb_service *svc = lb_service_find(model, 1);
    struct session_table *t = session_table_create();
    uint32_t firsts[6];

    for (unsigned int i = 0; i < 6; i++) {
        struct session_tuple c = client_tuple(i);
        struct session *s;
        bool is_new;
        CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
        CU_ASSERT(is_new);
        firsts[i] = s->member_id;
        session_set_xid(t, s, htonl(100 + i));
    }
    for (uint32_t id = 1; id <= 3; id++) {
        CU_ASSERT_EQUAL(session_count(t, 1, id), 2);
    }
    CU_ASSERT_EQUAL(session_n(t), 6);
    /* Ties go to the lowest id: 1, 2, 3, 1, 2, 3. */
    for (unsigned int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(firsts[i], i % 3 + 1);
    }

    /* Retransmitted first packets. */
    for (unsigned int i = 0; i < 6; i++) {
        struct session_tuple c = client_tuple(i);
        struct session *s;
        bool is_new;
        CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
        CU_ASSERT(!is_new);
        CU_ASSERT_EQUAL(s->member_id, firsts[i]);
    }
    CU_ASSERT_EQUAL(session_n(t), 6);

    /* The same tuple on another switch is another session. */
    struct session_tuple c0 = client_tuple(0);
    struct session *s;
    bool is_new;
    CU_ASSERT_EQUAL(session_decide(t, 2, svc, &c0, &s, &is_new), 0);
    CU_ASSERT(is_new);
    CU_ASSERT_EQUAL(session_n(t), 7);

    /* The counts reach the model. */
    session_apply_counts(t, model);
    CU_ASSERT_EQUAL(lb_member_find(svc, 1)->n_stick_entries, 3);
    CU_ASSERT_EQUAL(lb_member_find(svc, 2)->n_stick_entries, 2);
    CU_ASSERT_EQUAL(lb_member_find(svc, 3)->n_stick_entries, 2);

    /* Losing switch 2 loses its session. */
    CU_ASSERT_EQUAL(session_forget_switch(t, 2), 1);
    CU_ASSERT_EQUAL(session_count(t, 1, 1), 2);

    session_table_destroy(t);
    lb_model_destroy(model);
}

/* Flow removal and refusal unbind exactly the session named, by its
 * translated tuple (member 2 translates the port to 8080). */
static void
test_removed_and_failed(void)
{
    struct lb_model *model = make_model(LB_ALGO_ROUND_ROBIN);
    struct lb_service *svc = lb_service_find(model, 1);
    struct session_table *t = session_table_create();
    struct session *ss[3];

    for (unsigned int i = 0; i < 3; i++) {
        struct session_tuple c = client_tuple(i);
        bool is_new;
        CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &ss[i], &is_new), 0);
        session_set_xid(t, ss[i], htonl(200 + i));
    }
    CU_ASSERT_EQUAL(ss[1]->member_id, 2);
    CU_ASSERT_EQUAL(ss[1]->natted.dst_port, 8080);
    CU_ASSERT(addr_is(&ss[1]->natted.dst, unit_ip4("198.51.100.22")));
    CU_ASSERT_EQUAL(ss[0]->natted.dst_port, 80);

    /* A removal with the wrong member, or of a tuple never bound, changes
     * nothing. */
    struct session_tuple natted = ss[1]->natted;
    CU_ASSERT(!session_removed(t, 1, 1, 3, &natted));
    struct session_tuple other = natted;
    other.src_port = 1;
    CU_ASSERT(!session_removed(t, 1, 1, 2, &other));
    CU_ASSERT_EQUAL(session_count(t, 1, 2), 1);

    CU_ASSERT(session_removed(t, 1, 1, 2, &natted));
    CU_ASSERT_EQUAL(session_count(t, 1, 2), 0);
    CU_ASSERT(!session_removed(t, 1, 1, 2, &natted));

    /* An error about flow_mod 202 (member 3's session). */
    uint32_t service_id, member_id;
    CU_ASSERT(!session_failed(t, 1, htonl(999), &service_id, &member_id));
    CU_ASSERT(!session_failed(t, 2, htonl(202), &service_id, &member_id));
    CU_ASSERT(session_failed(t, 1, htonl(202), &service_id, &member_id));
    CU_ASSERT_EQUAL(service_id, 1);
    CU_ASSERT_EQUAL(member_id, 3);
    CU_ASSERT_EQUAL(session_count(t, 1, 3), 0);
    CU_ASSERT_EQUAL(session_n(t), 1);

    /* The member's count in the model follows. */
    session_apply_counts(t, model);
    CU_ASSERT_EQUAL(lb_member_find(svc, 1)->n_stick_entries, 1);
    CU_ASSERT_EQUAL(lb_member_find(svc, 3)->n_stick_entries, 0);

    /* Restored from a switch's table 45: counted once, found again by a
     * retransmitted first packet (a single-port service tells the
     * client's port). */
    CU_ASSERT(session_restore(t, 1, svc, 2, &natted));
    CU_ASSERT(!session_restore(t, 1, svc, 2, &natted));
    CU_ASSERT_EQUAL(session_count(t, 1, 2), 1);
    struct session_tuple c1 = client_tuple(1);
    struct session *s;
    bool is_new;
    CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c1, &s, &is_new), 0);
    CU_ASSERT(!is_new);
    CU_ASSERT_EQUAL(s->member_id, 2);

    /* The service goes per-session no more: its sessions are forgotten. */
    svc->decision = LB_DECISION_DATAPATH_FAST;
    CU_ASSERT(session_forget_stale(t, model));
    CU_ASSERT_EQUAL(session_n(t), 0);
    CU_ASSERT_EQUAL(session_count(t, 1, 1), 0);

    session_table_destroy(t);
    lb_model_destroy(model);
}

/* Members that cannot take sessions are never picked; without any, no
 * decision.  The round robins follow a member's backup. */
static void
test_unusable(void)
{
    struct lb_model *model = make_model(LB_ALGO_LEAST_SESSIONS);
    struct lb_service *svc = lb_service_find(model, 1);
    struct session_table *t = session_table_create();
    struct session *s;
    bool is_new;

    lb_member_find(svc, 1)->state = LB_MEMBER_DISABLED;
    lb_member_find(svc, 2)->health = LB_HEALTH_DOWN;
    for (unsigned int i = 0; i < 4; i++) {
        struct session_tuple c = client_tuple(i);
        CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
        CU_ASSERT_EQUAL(s->member_id, 3);
    }
    lb_member_find(svc, 3)->state = LB_MEMBER_DRAIN;
    struct session_tuple c = client_tuple(10);
    CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), ENOENT);
    CU_ASSERT_PTR_NULL(s);
    /* A known session still goes to its member. */
    c = client_tuple(0);
    CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
    CU_ASSERT_EQUAL(s->member_id, 3);
    session_table_destroy(t);

    /* Round robin: member 2 is down, its backup 3 takes its turns. */
    t = session_table_create();
    svc->algorithm = LB_ALGO_ROUND_ROBIN;
    lb_member_find(svc, 1)->state = LB_MEMBER_ENABLED;
    lb_member_find(svc, 3)->state = LB_MEMBER_ENABLED;
    lb_member_find(svc, 2)->backup = 3;
    unsigned int n[4] = { 0, 0, 0, 0 };
    for (unsigned int i = 0; i < 6; i++) {
        c = client_tuple(i);
        CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
        n[s->member_id]++;
    }
    CU_ASSERT_EQUAL(n[1], 2);
    CU_ASSERT_EQUAL(n[2], 0);
    CU_ASSERT_EQUAL(n[3], 4);
    session_table_destroy(t);
    lb_model_destroy(model);
}

/* The algorithm picks with the table's counts: weighted-least-load takes
 * host weights into account, and an algorithm change starts afresh. */
static void
test_weighted(void)
{
    struct lb_model *model = make_model(LB_ALGO_WEIGHTED_LEAST_LOAD);
    struct lb_service *svc = lb_service_find(model, 1);
    struct session_table *t = session_table_create();
    unsigned int n[4] = { 0, 0, 0, 0 };

    lb_member_find(svc, 1)->weight = 4;
    for (unsigned int i = 0; i < 12; i++) {
        struct session_tuple c = client_tuple(i);
        struct session *s;
        bool is_new;
        CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
        n[s->member_id]++;
    }
    CU_ASSERT_EQUAL(n[1], 8);
    CU_ASSERT_EQUAL(n[2], 2);
    CU_ASSERT_EQUAL(n[3], 2);
    session_table_destroy(t);
    lb_model_destroy(model);
}

/* The table 45 flow and the packet-out, as a switch decodes them. */
static void
test_encode(void)
{
    struct lb_model *model = make_model(LB_ALGO_ROUND_ROBIN);
    struct lb_service *svc = lb_service_find(model, 1);
    struct session_table *t = session_table_create();
    struct session *s;
    bool is_new;

    /* Round robin's first pick is member 1; the second, member 2,
     * translates the port. */
    struct session_tuple c = client_tuple(0);
    CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
    c = client_tuple(1);
    CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
    CU_ASSERT_EQUAL_FATAL(s->member_id, 2);

    struct ofpbuf *msg = session_encode_flow_mod(svc, s, OFP15_VERSION);
    struct ofputil_flow_mod fm;
    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 0);
    CU_ASSERT_EQUAL_FATAL(ofputil_decode_flow_mod(
                              &fm, msg->data, OFPUTIL_P_OF15_OXM, NULL, NULL,
                              &ofpacts, OFPP_MAX, 255), 0);
    CU_ASSERT_EQUAL(fm.command, OFPFC_ADD);
    CU_ASSERT_EQUAL(fm.table_id, PIPELINE_TABLE_SESSIONS);
    CU_ASSERT_EQUAL(fm.priority, PIPELINE_PRIO_STICK);
    CU_ASSERT_EQUAL(ntohll(fm.new_cookie), lb_service_stick_cookie(svc, 2));
    CU_ASSERT_EQUAL(fm.idle_timeout, 65535);    /* 86400 s, cut. */
    CU_ASSERT_EQUAL(fm.hard_timeout, 0);
    CU_ASSERT(fm.flags & OFPUTIL_FF_SEND_FLOW_REM);

    struct match match;
    minimatch_expand(&fm.match, &match);
    char *s_match = match_to_string(&match, NULL, OFP_DEFAULT_PRIORITY);
    CU_ASSERT_STRING_EQUAL(s_match, "tcp,reg1=0x1,nw_src=203.0.113.11,"
                           "nw_dst=198.51.100.22,tp_src=40001,tp_dst=8080");
    free(s_match);

    struct ds ds = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &ds };
    ofpacts_format(fm.ofpacts, fm.ofpacts_len, &fp);
    CU_ASSERT_STRING_EQUAL(ds_cstr(&ds), "fin_timeout(idle_timeout=1)");
    ds_clear(&ds);

    /* What a flow-removed message of it would say finds the session. */
    struct session_tuple natted;
    CU_ASSERT_EQUAL(session_tuple_from_match(&match, &natted), 0);
    uint32_t service_id, member_id;
    CU_ASSERT(session_cookie_parse(ntohll(fm.new_cookie), &service_id,
                                   &member_id));
    CU_ASSERT_EQUAL(service_id, 1);
    CU_ASSERT_EQUAL(member_id, 2);
    CU_ASSERT(!session_cookie_parse(pipeline_cookie(1), &service_id,
                                    &member_id));
    CU_ASSERT(session_removed(t, 1, service_id, member_id, &natted));
    minimatch_destroy(&fm.match);
    ofpbuf_delete(msg);

    /* UDP: its own timeout, no fin_timeout (OVS refuses it without a
     * TCP match). */
    s = NULL;
    c = client_tuple(2);
    c.proto = IPPROTO_UDP;
    CU_ASSERT_EQUAL(session_decide(t, 1, svc, &c, &s, &is_new), 0);
    msg = session_encode_flow_mod(svc, s, OFP15_VERSION);
    ofpbuf_clear(&ofpacts);
    CU_ASSERT_EQUAL_FATAL(ofputil_decode_flow_mod(
                              &fm, msg->data, OFPUTIL_P_OF15_OXM, NULL, NULL,
                              &ofpacts, OFPP_MAX, 255), 0);
    CU_ASSERT_EQUAL(fm.idle_timeout, 1);
    CU_ASSERT_EQUAL(fm.ofpacts_len, 0);
    minimatch_destroy(&fm.match);
    ofpbuf_delete(msg);

    /* The packet-out: the member's bucket actions, from the port the
     * packet came in on. */
    struct dp_packet p;
    compose(&p, "203.0.113.11", "198.51.100.100", IPPROTO_TCP, 40001, 80);
    const struct lb_member *m2 = lb_member_find(svc, 2);
    for (int commit_only = 0; commit_only < 2; commit_only++) {
        msg = session_encode_packet_out(svc, m2, dp_packet_data(&p),
                                        dp_packet_size(&p), 7, commit_only,
                                        OFP15_VERSION);
        struct ofputil_packet_out po;
        ofpbuf_clear(&ofpacts);
        CU_ASSERT_EQUAL_FATAL(ofputil_decode_packet_out(&po, msg->data,
                                                        NULL, &ofpacts), 0);
        CU_ASSERT_EQUAL(po.packet_len, dp_packet_size(&p));
        CU_ASSERT_EQUAL(memcmp(po.packet, dp_packet_data(&p),
                               po.packet_len), 0);
        CU_ASSERT_EQUAL(po.flow_metadata.flow.in_port.ofp_port, 7);
        ofpacts_format(po.ofpacts, po.ofpacts_len, &fp);
        CU_ASSERT_STRING_EQUAL(
            ds_cstr(&ds),
            commit_only
            ? "set_field:0x1->reg1,ct(commit,zone=5,"
              "nat(dst=198.51.100.22:8080),exec(set_field:0x2->ct_mark,"
              "move:NXM_OF_ETH_SRC[]->NXM_NX_CT_LABEL[0..47]))"
            : "set_field:0x1->reg1,ct(commit,table=41,zone=5,"
              "nat(dst=198.51.100.22:8080),exec(set_field:0x2->ct_mark,"
              "move:NXM_OF_ETH_SRC[]->NXM_NX_CT_LABEL[0..47]))");
        ds_clear(&ds);
        ofpbuf_delete(msg);
    }
    dp_packet_uninit(&p);

    ds_destroy(&ds);
    ofpbuf_uninit(&ofpacts);
    session_table_destroy(t);
    lb_model_destroy(model);
}

void
unit_register_session(void)
{
    static CU_TestInfo tests[] = {
        { "parse: TCP, UDP, echo; IPv4, IPv6; bad ones", test_parse },
        { "least-sessions spreads 2/2/2, retransmissions deduplicated",
          test_least_sessions_spread },
        { "flow removed, refused, restored, service changed",
          test_removed_and_failed },
        { "unusable members, backups in round robin", test_unusable },
        { "weighted-least-load by host weight", test_weighted },
        { "flow_mod and packet-out", test_encode },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("session", tests);
}
