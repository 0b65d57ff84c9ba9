/*
 * Tests of ofmsg: framing, version negotiation, port description replies.
 * Messages are built with libopenvswitch's encoders, as a switch would.
 */
#include <config.h>
#include "flowlb/ofmsg.h"

#include <errno.h>
#include <string.h>
#include "flow.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "unit.h"
#include "util.h"

static void
test_frame_whole(void)
{
    struct ofpbuf *hello = ofputil_encode_hello(OFMSG_VERSION_BITMAP);
    size_t len = 0;

    CU_ASSERT_EQUAL(ofmsg_frame(hello->data, hello->size, &len), 0);
    CU_ASSERT_EQUAL(len, hello->size);
    ofpbuf_delete(hello);
}

static void
test_frame_partial(void)
{
    struct ofpbuf *hello = ofputil_encode_hello(OFMSG_VERSION_BITMAP);
    size_t len;

    /* Every prefix short of the whole message needs more bytes. */
    for (size_t i = 0; i < hello->size; i++) {
        CU_ASSERT_EQUAL(ofmsg_frame(hello->data, i, &len), EAGAIN);
    }
    ofpbuf_delete(hello);
}

static void
test_frame_two_messages(void)
{
    struct ofpbuf *a = ofputil_encode_echo_request(OFP15_VERSION);
    struct ofpbuf *b = ofputil_encode_hello(OFMSG_VERSION_BITMAP);
    struct ofpbuf stream;
    size_t len;

    ofpbuf_init(&stream, 0);
    ofpbuf_put(&stream, a->data, a->size);
    ofpbuf_put(&stream, b->data, b->size);

    /* The first message ends where the second starts. */
    CU_ASSERT_EQUAL(ofmsg_frame(stream.data, stream.size, &len), 0);
    CU_ASSERT_EQUAL(len, a->size);
    CU_ASSERT_EQUAL(ofmsg_frame((char *) stream.data + len,
                                stream.size - len, &len), 0);
    CU_ASSERT_EQUAL(len, b->size);

    ofpbuf_uninit(&stream);
    ofpbuf_delete(a);
    ofpbuf_delete(b);
}

static void
test_frame_bad_length(void)
{
    /* A header that claims to be shorter than itself cannot be framed. */
    struct ofp_header oh = { .version = OFP15_VERSION, .type = 2,
                             .length = htons(7), .xid = 0 };
    size_t len;
    CU_ASSERT_EQUAL(ofmsg_frame(&oh, sizeof oh, &len), EPROTO);

    oh.length = htons(0);
    CU_ASSERT_EQUAL(ofmsg_frame(&oh, sizeof oh, &len), EPROTO);
}

static int
negotiate_with(uint32_t their_bitmap, enum ofp_version *version)
{
    struct ofpbuf *hello = ofputil_encode_hello(their_bitmap);
    int error = ofmsg_negotiate(hello->data, OFMSG_VERSION_BITMAP, version);
    ofpbuf_delete(hello);
    return error;
}

static void
test_negotiate_prefers_15(void)
{
    enum ofp_version v;

    /* OVS's default: every version from 1.0 to 1.5. */
    CU_ASSERT_EQUAL(negotiate_with(0x7e, &v), 0);
    CU_ASSERT_EQUAL(v, OFP15_VERSION);

    CU_ASSERT_EQUAL(negotiate_with((1u << OFP10_VERSION)
                                   | (1u << OFP13_VERSION)
                                   | (1u << OFP14_VERSION), &v), 0);
    CU_ASSERT_EQUAL(v, OFP14_VERSION);

    CU_ASSERT_EQUAL(negotiate_with(1u << OFP13_VERSION, &v), 0);
    CU_ASSERT_EQUAL(v, OFP13_VERSION);
}

static void
test_negotiate_no_common(void)
{
    enum ofp_version v;

    CU_ASSERT_EQUAL(negotiate_with(1u << OFP10_VERSION, &v),
                    EPROTONOSUPPORT);
    CU_ASSERT_EQUAL(negotiate_with((1u << OFP11_VERSION)
                                   | (1u << OFP12_VERSION), &v),
                    EPROTONOSUPPORT);
}

static void
test_negotiate_header_only(void)
{
    /* A hello without a version bitmap means "every version up to the
     * header's". */
    struct ofp_header oh = { .version = OFP13_VERSION, .type = 0,
                             .length = htons(8), .xid = htonl(1) };
    enum ofp_version v;
    CU_ASSERT_EQUAL(ofmsg_negotiate(&oh, OFMSG_VERSION_BITMAP, &v), 0);
    CU_ASSERT_EQUAL(v, OFP13_VERSION);

    /* From a newer switch than we know, our best. */
    oh.version = 0x09;
    CU_ASSERT_EQUAL(ofmsg_negotiate(&oh, OFMSG_VERSION_BITMAP, &v), 0);
    CU_ASSERT_EQUAL(v, OFP15_VERSION);

    oh.version = OFP12_VERSION;
    CU_ASSERT_EQUAL(ofmsg_negotiate(&oh, OFMSG_VERSION_BITMAP, &v),
                    EPROTONOSUPPORT);
}

static void
test_negotiate_not_hello(void)
{
    struct ofpbuf *echo = ofputil_encode_echo_request(OFP15_VERSION);
    enum ofp_version v;
    CU_ASSERT_EQUAL(ofmsg_negotiate(echo->data, OFMSG_VERSION_BITMAP, &v),
                    EPROTO);
    ofpbuf_delete(echo);
}

/* Builds the port description reply a switch with 'n' ports sends, as a
 * list of one or more multipart messages. */
static void
make_port_desc_reply(enum ofp_version version, size_t n,
                     struct ovs_list *replies)
{
    struct ofpbuf *request = ofputil_encode_port_desc_stats_request(
        version, OFPP_ANY);
    ofpmp_init(replies, request->data);
    for (size_t i = 0; i < n; i++) {
        struct ofputil_phy_port pp;
        memset(&pp, 0, sizeof pp);
        pp.port_no = u16_to_ofp(i + 1);
        snprintf(pp.name, sizeof pp.name, "p%"PRIuSIZE, i + 1);
        pp.hw_addr = (struct eth_addr) ETH_ADDR_C(aa, 55, aa, 55, 00, 01);
        pp.state = OFPUTIL_PS_LIVE;
        pp.curr_speed = 10000000;
        ofputil_append_port_desc_stats_reply(&pp, replies);
    }
    ofpbuf_delete(request);
}

static void
pull_all(struct ovs_list *replies, struct ofmsg_ports *ports,
         size_t *n_msgs)
{
    struct ofpbuf *reply;
    *n_msgs = 0;
    LIST_FOR_EACH_POP (reply, list_node, replies) {
        bool more;

        /* As a switch does when it sends each part. */
        ofpmsg_update_length(reply);
        CU_ASSERT_EQUAL(ofmsg_ports_pull(ports, reply->data, &more), 0);
        CU_ASSERT_EQUAL(more, !ovs_list_is_empty(replies));
        (*n_msgs)++;
        ofpbuf_delete(reply);
    }
}

static void
test_ports_single(void)
{
    enum ofp_version versions[] = { OFP13_VERSION, OFP14_VERSION,
                                    OFP15_VERSION };
    for (size_t v = 0; v < ARRAY_SIZE(versions); v++) {
        struct ovs_list replies;
        struct ofmsg_ports ports;
        size_t n_msgs;

        make_port_desc_reply(versions[v], 3, &replies);
        ofmsg_ports_init(&ports);
        pull_all(&replies, &ports, &n_msgs);
        CU_ASSERT_EQUAL(n_msgs, 1);
        CU_ASSERT_EQUAL_FATAL(ports.n, 3);
        CU_ASSERT_STRING_EQUAL(ports.ports[2].name, "p3");
        CU_ASSERT_EQUAL(ofp_to_u16(ports.ports[2].port_no), 3);
        CU_ASSERT_EQUAL(ports.ports[0].curr_speed, 10000000);
        ofmsg_ports_destroy(&ports);
    }
}

static void
test_ports_multipart(void)
{
    /* 2000 ports do not fit in one 64 kB message. */
    struct ovs_list replies;
    struct ofmsg_ports ports;
    size_t n_msgs;

    make_port_desc_reply(OFP15_VERSION, 2000, &replies);
    ofmsg_ports_init(&ports);
    pull_all(&replies, &ports, &n_msgs);
    CU_ASSERT(n_msgs > 1);
    CU_ASSERT_EQUAL_FATAL(ports.n, 2000);
    CU_ASSERT_STRING_EQUAL(ports.ports[1999].name, "p2000");
    ofmsg_ports_destroy(&ports);
}

static void
test_ports_wrong_message(void)
{
    struct ofpbuf *echo = ofputil_encode_echo_request(OFP15_VERSION);
    struct ofmsg_ports ports;
    bool more;

    ofmsg_ports_init(&ports);
    CU_ASSERT_EQUAL(ofmsg_ports_pull(&ports, echo->data, &more), EPROTO);
    CU_ASSERT_EQUAL(ports.n, 0);
    ofmsg_ports_destroy(&ports);
    ofpbuf_delete(echo);
}

static void
test_ports_truncated(void)
{
    /* A reply whose last port is cut short is refused whole. */
    struct ovs_list replies;
    struct ofmsg_ports ports;
    bool more;

    make_port_desc_reply(OFP15_VERSION, 2, &replies);
    struct ofpbuf *reply = CONTAINER_OF(ovs_list_front(&replies),
                                        struct ofpbuf, list_node);
    ofpmsg_update_length(reply);
    reply->size -= 8;
    ofpmsg_update_length(reply);

    ofmsg_ports_init(&ports);
    CU_ASSERT_EQUAL(ofmsg_ports_pull(&ports, reply->data, &more), EPROTO);
    CU_ASSERT_EQUAL(ports.n, 0);
    ofmsg_ports_destroy(&ports);
    ofpbuf_list_delete(&replies);
}

/* A flow stats reply with cookies 1, 2, 3, as a switch builds it. */
static struct ofpbuf *
make_flow_stats_reply(void)
{
    struct ofputil_flow_stats_request fsr = {
        .out_port = OFPP_ANY, .out_group = OFPG_ANY, .table_id = 0xff,
    };
    match_init_catchall(&fsr.match);
    struct ofpbuf *request = ofputil_encode_flow_stats_request(
        &fsr, OFPUTIL_P_OF15_OXM);
    struct ovs_list replies;
    ofpmp_init(&replies, request->data);
    for (int i = 1; i <= 3; i++) {
        struct ofputil_flow_stats fs;
        memset(&fs, 0, sizeof fs);
        match_init_catchall(&fs.match);
        fs.cookie = htonll(i);
        fs.priority = 100 + i;
        fs.packet_count = fs.byte_count = 0;
        ofputil_append_flow_stats_reply(&fs, &replies, NULL);
    }
    ofpbuf_delete(request);
    struct ofpbuf *reply = CONTAINER_OF(ovs_list_pop_front(&replies),
                                        struct ofpbuf, list_node);
    ofpmsg_update_length(reply);
    ofpbuf_list_delete(&replies);
    return reply;
}

static void
sum_cookies(const struct ofputil_flow_stats *fs, void *sum_)
{
    uint64_t *sum = sum_;
    *sum = *sum * 10 + ntohll(fs->cookie);
}

static void
test_flow_stats_foreach(void)
{
    struct ofpbuf *reply = make_flow_stats_reply();
    uint64_t sum = 0;

    CU_ASSERT_EQUAL(ofmsg_flow_stats_foreach(reply->data, sum_cookies,
                                             &sum), 0);
    CU_ASSERT_EQUAL(sum, 123);

    /* Cut into the last flow: the first two, then EPROTO. */
    reply->size -= 8;
    ofpmsg_update_length(reply);
    sum = 0;
    CU_ASSERT_EQUAL(ofmsg_flow_stats_foreach(reply->data, sum_cookies,
                                             &sum), EPROTO);
    CU_ASSERT_EQUAL(sum, 12);
    ofpbuf_delete(reply);
}

void
unit_register_ofmsg(void)
{
    static CU_TestInfo tests[] = {
        { "frame a whole message", test_frame_whole },
        { "frame needs the whole message", test_frame_partial },
        { "frame two messages in one read", test_frame_two_messages },
        { "frame refuses length < 8", test_frame_bad_length },
        { "negotiate prefers the highest common version",
          test_negotiate_prefers_15 },
        { "negotiate fails without a common version",
          test_negotiate_no_common },
        { "negotiate from a hello without bitmap",
          test_negotiate_header_only },
        { "negotiate needs a hello", test_negotiate_not_hello },
        { "port descriptions in one reply, 1.3 to 1.5", test_ports_single },
        { "port descriptions over several replies", test_ports_multipart },
        { "port descriptions: wrong message", test_ports_wrong_message },
        { "port descriptions: truncated port", test_ports_truncated },
        { "flow stats: each flow, then EPROTO if cut",
          test_flow_stats_foreach },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("ofmsg", tests);
}
