/* odp-bench: the per-packet cost of a list of datapath actions, as the
 * userspace datapath runs it.
 *
 * It parses datapath actions as text (odp_actions_from_string(), the syntax
 * of "ovs-appctl dpctl/dump-flows" and tests/odp.at) and runs them with
 * odp_execute_actions() on batches of 32 copies of one packet, the way
 * dpif-netdev does.  Between two runs of a batch every packet is restored
 * to its original bytes and metadata; only the odp_execute_actions() calls
 * are timed.  bench/odp-actions.sh runs it over a set of actions and prints
 * a table (docs/performance.md).
 *
 * Actions that need a datapath are handed to a callback here: "tnl_push"
 * pushes its header with netdev_push_header() on a tunnel netdev of the
 * header's type, as dpif-netdev's push_tnl_action() does, so its cost
 * counts; "output" does nothing.  Any other such action (recirc, ct,
 * userspace, tnl_pop, ...) is refused: it cannot be measured alone.
 *
 * With --count=N it runs exactly N packets (rounded up to whole batches)
 * and no timer, for "valgrind --tool=callgrind
 * --toggle-collect=odp_execute_actions": instructions per packet are then
 * the collected Ir divided by N. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp-packet.h"
#include "flow.h"
#include "netdev.h"
#include "netlink.h"
#include "odp-execute.h"
#include "odp-netlink.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

/* Room for any header push without reallocating the buffer, as in a DPDK
 * mbuf (RTE_PKTMBUF_HEADROOM). */
#define BENCH_HEADROOM 128

/* The default packet: IPv6 TCP, 64 bytes of payload (138 bytes). */
#define DEFAULT_FLOW \
    "in_port(1),eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02)," \
    "eth_type(0x86dd),ipv6(src=2001:db8:f10::11,dst=2001:db8:f10::21," \
    "label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=40000,dst=80)"

struct bench_options {
    const char *actions;
    const char *flow;           /* Datapath flow key, or NULL. */
    const char *hex;            /* Packet as hex, or NULL. */
    int runs;                   /* Timed runs; the median is reported. */
    int batches;                /* Batches of 32 packets per run. */
    long long count;            /* Nonzero: callgrind mode, this many. */
    bool print;                 /* Print the packet before and after. */
    bool parse_only;
};

/* The batch under test and what restores it. */
struct bench_batch {
    struct dp_packet_batch batch;
    struct dp_packet_batch saved_batch;
    struct dp_packet saved[NETDEV_MAX_BURST];
    void *saved_data;           /* The packet's bytes, from its data. */
    uint32_t size;
};

/* Tunnel netdevs for tnl_push, by OVS_VPORT_TYPE_*. */
static struct netdev *tnl_netdevs[256];
static const char *refused_action;

OVS_NO_RETURN static void usage(void);

static void
usage(void)
{
    printf("usage: %s [OPTIONS] ACTIONS\n"
           "Runs datapath ACTIONS (as dpctl/dump-flows prints them) on\n"
           "batches of 32 packets and prints the time per packet.\n"
           "  --flow=KEY      packet from a datapath flow key (default:\n"
           "                  an IPv6 TCP packet, 138 bytes)\n"
           "  --packet=HEX    the packet as hex bytes, from Ethernet\n"
           "  --runs=N        timed runs, median reported (default 11)\n"
           "  --batches=N     batches of 32 packets per run (default 4000)\n"
           "  --count=N       run N packets untimed (for callgrind)\n"
           "  --print         print the packet before and after the actions\n"
           "  --parse         only parse ACTIONS and print them back\n"
           "  --version       print the Open vSwitch version\n",
           program_name);
    exit(EXIT_SUCCESS);
}

static long long
parse_count(const char *opt, const char *s, long long max)
{
    char *end;
    long long n;

    errno = 0;
    n = strtoll(s, &end, 10);
    if (errno || *end || n < 1 || n > max) {
        ovs_fatal(0, "--%s: must be an integer from 1 to %lld", opt, max);
    }
    return n;
}

static void
parse_options(int argc, char *argv[], struct bench_options *o)
{
    static const struct option long_options[] = {
        {"flow", required_argument, NULL, 'f'},
        {"packet", required_argument, NULL, 'p'},
        {"runs", required_argument, NULL, 'r'},
        {"batches", required_argument, NULL, 'b'},
        {"count", required_argument, NULL, 'c'},
        {"print", no_argument, NULL, 'P'},
        {"parse", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };

    memset(o, 0, sizeof *o);
    o->runs = 11;
    o->batches = 4000;
    for (;;) {
        int c = getopt_long(argc, argv, "hV", long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'f':
            o->flow = optarg;
            break;
        case 'p':
            o->hex = optarg;
            break;
        case 'r':
            o->runs = parse_count("runs", optarg, 1000);
            break;
        case 'b':
            o->batches = parse_count("batches", optarg, 100000000);
            break;
        case 'c':
            o->count = parse_count("count", optarg, 1LL << 40);
            break;
        case 'P':
            o->print = true;
            break;
        case 'x':
            o->parse_only = true;
            break;
        case 'h':
            usage();
        case 'V':
            ovs_print_version(0, 0);
            exit(EXIT_SUCCESS);
        default:
            exit(EXIT_FAILURE);
        }
    }
    if (optind != argc - 1) {
        ovs_fatal(0, "exactly one ACTIONS argument required (--help)");
    }
    if (o->flow && o->hex) {
        ovs_fatal(0, "--flow and --packet are exclusive");
    }
    o->actions = argv[optind];
}

/* Returns the packet that 'o' describes, with its metadata and offsets set
 * as dpif-netdev sets them on receive, in a buffer with BENCH_HEADROOM
 * bytes of headroom. */
static struct dp_packet *
make_packet(const struct bench_options *o)
{
    struct dp_packet *composed, *packet;
    struct flow flow;
    char *error = NULL;

    if (o->hex) {
        const char *end = eth_from_hex(o->hex, &composed);
        if (!composed || *end) {
            ovs_fatal(0, "--packet: not a hex packet");
        }
    } else {
        struct ofpbuf key;

        ofpbuf_init(&key, 0);
        if (odp_flow_from_string(o->flow ? o->flow : DEFAULT_FLOW, NULL,
                                 &key, NULL, &error)) {
            ovs_fatal(0, "--flow: %s", error ? error : "cannot parse");
        }
        if (odp_flow_key_to_flow(key.data, key.size, &flow, &error)
            == ODP_FIT_ERROR) {
            ovs_fatal(0, "--flow: %s", error ? error : "bad flow key");
        }
        ofpbuf_uninit(&key);
        composed = dp_packet_new(0);
        flow_compose(composed, &flow, NULL, 64);
    }

    packet = dp_packet_new_with_headroom(dp_packet_size(composed),
                                         BENCH_HEADROOM);
    dp_packet_put(packet, dp_packet_data(composed), dp_packet_size(composed));
    dp_packet_delete(composed);

    /* What dpif-netdev knows of a packet when it executes actions: the
     * offsets miniflow_extract() set, the input port, the RSS hash. */
    pkt_metadata_init(&packet->md, u32_to_odp(1));
    flow_extract(packet, &flow);
    dp_packet_set_rss_hash(packet, flow_hash_5tuple(&flow, 0));
    return packet;
}

static void
print_packet(const char *what, const struct dp_packet *packet)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct dp_packet *copy = dp_packet_clone(packet);
    struct flow flow;

    flow_extract(copy, &flow);
    flow_format(&s, &flow, NULL);
    printf("%s (%"PRIu32" bytes): %s\n", what, dp_packet_size(packet),
           ds_cstr(&s));
    ds_clear(&s);
    ds_put_hex_dump(&s, dp_packet_data(packet), dp_packet_size(packet), 0,
                    false);
    fputs(ds_cstr(&s), stdout);
    ds_destroy(&s);
    dp_packet_delete(copy);
}

static const char *
tnl_netdev_type(uint32_t tnl_type)
{
    switch (tnl_type) {
    case OVS_VPORT_TYPE_GRE: return "gre";
    case OVS_VPORT_TYPE_VXLAN: return "vxlan";
    case OVS_VPORT_TYPE_GENEVE: return "geneve";
    case OVS_VPORT_TYPE_ERSPAN: return "erspan";
    case OVS_VPORT_TYPE_IP6ERSPAN: return "ip6erspan";
    case OVS_VPORT_TYPE_IP6GRE: return "ip6gre";
    case OVS_VPORT_TYPE_GTPU: return "gtpu";
    default: return NULL;
    }
}

/* The tunnel netdev that pushes headers of 'tnl_type', opened on first
 * use (open_tnl_netdevs() opens them before any run). */
static struct netdev *
tnl_netdev(uint32_t tnl_type)
{
    const char *type = tnl_netdev_type(tnl_type);
    char name[32];
    int error;

    if (!type || tnl_type >= ARRAY_SIZE(tnl_netdevs)) {
        ovs_fatal(0, "tnl_push: no tunnel netdev for header type %"PRIu32,
                  tnl_type);
    }
    if (!tnl_netdevs[tnl_type]) {
        snprintf(name, sizeof name, "bench_%s", type);
        error = netdev_open(name, type, &tnl_netdevs[tnl_type]);
        if (error) {
            ovs_fatal(error, "tnl_push: cannot open a %s netdev", type);
        }
    }
    return tnl_netdevs[tnl_type];
}

/* Opens the tunnel netdevs that the tnl_push actions in 'actions', also
 * nested in clone(), will need, so that no run pays for opening them (a
 * callgrind count would include it). */
static void
open_tnl_netdevs(const struct nlattr *actions, size_t actions_len)
{
    const struct nlattr *a;
    unsigned int left;

    NL_ATTR_FOR_EACH_UNSAFE (a, left, actions, actions_len) {
        if (nl_attr_type(a) == OVS_ACTION_ATTR_TUNNEL_PUSH) {
            const struct ovs_action_push_tnl *data = nl_attr_get(a);
            tnl_netdev(data->tnl_type);
        } else if (nl_attr_type(a) == OVS_ACTION_ATTR_CLONE) {
            open_tnl_netdevs(nl_attr_get(a), nl_attr_get_size(a));
        }
    }
}

/* odp_execute_actions()'s callback for the actions that need a datapath. */
static void
bench_dp_execute(void *dp OVS_UNUSED, struct dp_packet_batch *batch,
                 const struct nlattr *a, bool should_steal OVS_UNUSED)
{
    enum ovs_action_attr type = nl_attr_type(a);

    if (type == OVS_ACTION_ATTR_TUNNEL_PUSH) {
        const struct ovs_action_push_tnl *data = nl_attr_get(a);

        /* As dpif-netdev's dp_execute_cb() and push_tnl_action(). */
        dp_packet_batch_apply_cutlen(batch);
        netdev_push_header(tnl_netdev(data->tnl_type), batch, data);
    } else if (type != OVS_ACTION_ATTR_OUTPUT && !refused_action) {
        struct ds s = DS_EMPTY_INITIALIZER;

        format_odp_actions(&s, a, NLA_ALIGN(a->nla_len), NULL);
        refused_action = ds_steal_cstr(&s);
    }
}

static void
bench_batch_init(struct bench_batch *b, struct dp_packet *packet)
{
    dp_packet_batch_init(&b->batch);
    for (int i = 0; i < NETDEV_MAX_BURST; i++) {
        struct dp_packet *p = dp_packet_clone_with_headroom(packet,
                                                            BENCH_HEADROOM);
        p->md = packet->md;
        dp_packet_set_rss_hash(p, dp_packet_get_rss_hash(packet));
        b->saved[i] = *p;
        dp_packet_batch_add(&b->batch, p);
    }
    b->saved_batch = b->batch;
    b->size = dp_packet_size(packet);
    b->saved_data = xmemdup(dp_packet_data(packet), b->size);
}

/* Puts every packet of 'b' back as it was before the actions ran.  The
 * actions must have left the buffers where they were: a shallow copy of
 * struct dp_packet restores all but the bytes. */
static void
bench_batch_reset(struct bench_batch *b)
{
    b->batch = b->saved_batch;
    for (int i = 0; i < NETDEV_MAX_BURST; i++) {
        struct dp_packet *p = b->batch.packets[i];

        *p = b->saved[i];
        memcpy(dp_packet_data(p), b->saved_data, b->size);
    }
}

/* Fails unless the actions left 'b' with all its packets in their own
 * buffers, so that bench_batch_reset() can restore them. */
static void
bench_batch_check(const struct bench_batch *b)
{
    if (refused_action) {
        ovs_fatal(0, "%s needs a datapath: it cannot be measured here",
                  refused_action);
    }
    if (dp_packet_batch_size(&b->batch) != NETDEV_MAX_BURST) {
        ovs_fatal(0, "the actions dropped packets (%"PRIuSIZE" of %d left)",
                  dp_packet_batch_size(&b->batch), NETDEV_MAX_BURST);
    }
    for (int i = 0; i < NETDEV_MAX_BURST; i++) {
        const struct dp_packet *p = b->batch.packets[i];
        if (p != b->saved_batch.packets[i]
            || dp_packet_base(p) != dp_packet_base(&b->saved[i])) {
            ovs_fatal(0, "the actions reallocated a packet buffer");
        }
    }
}

static long long
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
compare_doubles(const void *a_, const void *b_)
{
    const double *a = a_, *b = b_;
    return *a < *b ? -1 : *a > *b;
}

static double
median(double *v, int n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The cost of one pair of now_ns() calls, which every timed batch pays. */
static double
timer_overhead_ns(void)
{
    double samples[101];

    for (int i = 0; i < ARRAY_SIZE(samples); i++) {
        long long start = now_ns();
        for (int j = 0; j < 100; j++) {
            long long t0 = now_ns();
            long long t1 = now_ns();
            (void) t0;
            (void) t1;
        }
        samples[i] = (now_ns() - start) / 100.0;
    }
    return median(samples, ARRAY_SIZE(samples));
}

static void
run_batch(struct bench_batch *b, const struct ofpbuf *actions)
{
    odp_execute_actions(NULL, &b->batch, false, actions->data, actions->size,
                        bench_dp_execute);
}

int
main(int argc, char *argv[])
{
    struct bench_options o;
    struct bench_batch *b;
    struct dp_packet *packet;
    struct ofpbuf actions;
    int error;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_WARN);
    parse_options(argc, argv, &o);

    ofpbuf_init(&actions, 0);
    error = odp_actions_from_string(o.actions, NULL, &actions);
    if (error) {
        ovs_fatal(0, "%s: the datapath action parser rejects it (%s)",
                  o.actions, ovs_strerror(error));
    }
    if (o.parse_only) {
        struct ds s = DS_EMPTY_INITIALIZER;
        format_odp_actions(&s, actions.data, actions.size, NULL);
        printf("%s\n", ds_cstr(&s));
        ds_destroy(&s);
        return 0;
    }

    odp_execute_init();
    open_tnl_netdevs(actions.data, actions.size);
    packet = make_packet(&o);
    b = xzalloc(sizeof *b);
    bench_batch_init(b, packet);

    /* One batch first, to check that the actions can run here.  In
     * callgrind mode it is the first of the batches counted. */
    run_batch(b, &actions);
    bench_batch_check(b);
    if (o.print) {
        print_packet("before", packet);
        print_packet("after", b->batch.packets[0]);
    }
    bench_batch_reset(b);

    if (o.count) {
        long long batches = DIV_ROUND_UP(o.count, NETDEV_MAX_BURST);
        for (long long i = 1; i < batches; i++) {
            run_batch(b, &actions);
            bench_batch_reset(b);
        }
        printf("packets=%lld\n", batches * NETDEV_MAX_BURST);
        return 0;
    }

    double overhead = timer_overhead_ns();
    double *per_packet = xcalloc(o.runs, sizeof *per_packet);
    for (int r = 0; r < o.runs; r++) {
        long long total = 0;
        for (int i = 0; i < o.batches; i++) {
            long long start = now_ns();
            run_batch(b, &actions);
            total += now_ns() - start;
            bench_batch_reset(b);
        }
        per_packet[r] = (total - overhead * o.batches)
                        / ((double) o.batches * NETDEV_MAX_BURST);
    }
    double min = per_packet[0], max = per_packet[0];
    for (int r = 1; r < o.runs; r++) {
        min = MIN(min, per_packet[r]);
        max = MAX(max, per_packet[r]);
    }
    printf("ns_per_packet=%.2f min=%.2f max=%.2f runs=%d packets_per_run=%d "
           "timer_overhead_ns=%.1f\n", median(per_packet, o.runs), min, max,
           o.runs, o.batches * NETDEV_MAX_BURST, overhead);
    return 0;
}
