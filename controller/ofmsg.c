/*
 * ofmsg: OpenFlow message framing and version negotiation.  See ofmsg.h.
 */
#include <config.h>
#include "flowlb/ofmsg.h"

#include <errno.h>
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "util.h"

/* The type of OFPT_HELLO, the same in every OpenFlow version. */
#define OFMSG_TYPE_HELLO 0

/* Checks whether 'data', 'len' bytes read from an OpenFlow stream, starts
 * with a whole message.  Only the first 8 bytes (the header) are read, so a
 * caller may pass a longer 'len' than it has made contiguous.
 *
 * Returns 0 and stores the message's length in '*msg_len' if it does,
 * EAGAIN if more bytes are needed to tell or to complete it, and EPROTO if
 * the header is impossible (a length shorter than the header itself), in
 * which case the stream cannot be resynchronised and must be closed. */
int
ofmsg_frame(const void *data, size_t len, size_t *msg_len)
{
    const struct ofp_header *oh = data;

    if (len < sizeof *oh) {
        return EAGAIN;
    }

    size_t length = ntohs(oh->length);
    if (length < sizeof *oh) {
        return EPROTO;
    }
    if (len < length) {
        return EAGAIN;
    }
    *msg_len = length;
    return 0;
}

/* Negotiates the OpenFlow version from the peer's 'hello' and
 * 'our_versions', a bitmap with bit N set for each version N we speak, as
 * OpenFlow 1.3.1 section 6.3.1 describes: with a version bitmap on both
 * sides, the highest version in both; otherwise the lower of the two
 * headers' versions, which must be one we speak.
 *
 * Returns 0 and stores the version in '*version', EPROTO if 'hello' is not a
 * well-formed hello, or EPROTONOSUPPORT if there is no common version. */
int
ofmsg_negotiate(const struct ofp_header *hello, uint32_t our_versions,
                enum ofp_version *version)
{
    /* OFPT_HELLO is type 0 in every version, including versions newer than
     * any libopenvswitch knows, so check the header directly. */
    if (hello->type != OFMSG_TYPE_HELLO || ntohs(hello->length) < sizeof *hello) {
        return EPROTO;
    }

    /* A hello with elements we cannot parse still names the peer's highest
     * version in its header, and ofputil_decode_hello() always fills in
     * 'their_versions' from that, so its return value does not matter. */
    uint32_t their_versions;
    ofputil_decode_hello(hello, &their_versions);

    uint32_t common = our_versions & their_versions;
    if (!common) {
        return EPROTONOSUPPORT;
    }
    *version = leftmost_1bit_idx(common);
    return 0;
}

void
ofmsg_ports_init(struct ofmsg_ports *ports)
{
    ports->ports = NULL;
    ports->n = ports->allocated = 0;
}

void
ofmsg_ports_destroy(struct ofmsg_ports *ports)
{
    if (ports) {
        free(ports->ports);
        ofmsg_ports_init(ports);
    }
}

/* Appends the ports in 'reply', one part of a port description reply, to
 * 'ports' and sets '*more' to whether further parts follow.
 *
 * Returns 0 or a positive errno: EPROTO if 'reply' is not a port
 * description reply or one of its ports does not decode.  On error 'ports'
 * keeps what it had. */
int
ofmsg_ports_pull(struct ofmsg_ports *ports, const struct ofp_header *reply,
                 bool *more)
{
    enum ofptype type;
    if (ofptype_decode(&type, reply) || type != OFPTYPE_PORT_DESC_STATS_REPLY) {
        return EPROTO;
    }

    struct ofpbuf b = ofpbuf_const_initializer(reply, ntohs(reply->length));
    ofpraw_pull_assert(&b);

    size_t old_n = ports->n;
    for (;;) {
        struct ofputil_phy_port pp;
        int retval = ofputil_pull_phy_port(reply->version, &b, &pp);
        if (retval == EOF) {
            break;
        } else if (retval) {
            ports->n = old_n;
            return EPROTO;
        }
        if (ports->n >= ports->allocated) {
            ports->ports = x2nrealloc(ports->ports, &ports->allocated,
                                      sizeof *ports->ports);
        }
        ports->ports[ports->n++] = pp;
    }
    *more = ofpmp_more(reply);
    return 0;
}

int
ofmsg_flow_stats_foreach(const struct ofp_header *oh,
                         void (*cb)(const struct ofputil_flow_stats *,
                                    void *aux),
                         void *aux)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofpbuf ofpacts;
    int error;

    ofpbuf_init(&ofpacts, 0);
    for (;;) {
        struct ofputil_flow_stats fs;
        error = ofputil_decode_flow_stats_reply(&fs, &b, false, &ofpacts);
        if (error) {
            break;
        }
        cb(&fs, aux);
    }
    ofpbuf_uninit(&ofpacts);
    return error == EOF ? 0 : EPROTO;
}
