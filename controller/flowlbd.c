/*
 * flowlbd: the flowlb OpenFlow controller daemon.
 *
 * main() parses options, daemonizes like OVS's daemons, creates the event
 * base and wires the modules: connmgr (OpenFlow) feeds the switch registry,
 * which rest renders; store loads the services from the state file into the
 * model, which rest changes and saves.  Everything then runs on one
 * libevent loop until SIGTERM or SIGINT.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "command-line.h"
#include "daemon.h"
#include "flowlb/addr.h"
#include "flowlb/compiler.h"
#include "flowlb/connmgr.h"
#include "flowlb/health.h"
#include "flowlb/ctpolicy.h"
#include "flowlb/decider.h"
#include "flowlb/lb.h"
#include "flowlb/ofmsg.h"
#include "flowlb/pmtu.h"
#include "flowlb/render.h"
#include "flowlb/resolve.h"
#include "flowlb/rest.h"
#include "flowlb/store.h"
#include "flowlb/switch.h"
#include "flowlb/sync.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(flowlbd);

/* FLOWLB_VERSION comes from configure.  PACKAGE_VERSION and VERSION are
 * Open vSwitch's, from its config.h. */

#define DEFAULT_OFP_LISTEN "tcp:127.0.0.1:6653"
#define DEFAULT_REST "127.0.0.1:8080"
#define DEFAULT_PROBE_INTERVAL_MS 5000
#define DEFAULT_STATE_FILE "/var/lib/flowlb/flowlbd.json"
#define DEFAULT_RESOLVE_INTERVAL_MS 30000
#define DEFAULT_STATS_INTERVAL_MS 1000
#define DEFAULT_AUDIT_INTERVAL_MS 60000
#define DEFAULT_OVS_VSCTL "ovs-vsctl"
#define DEFAULT_CT_DATAPATH "netdev"

struct options {
    char *ofp_listen;           /* NULL: do not listen. */
    char **ofp_connect;         /* Active targets. */
    size_t n_ofp_connect;
    char *rest;
    int probe_interval_ms;
    char *state_file;
    bool l2_normal;             /* --l2=normal (default) or none. */
    int resolve_interval_ms;
    int stats_interval_ms;
    int audit_interval_ms;
    char *ovsdb;                /* --ovsdb, or NULL. */
    char *ovs_vsctl;
    char *ct_datapath;
};

OVS_NO_RETURN static void usage(void);

/* Parses 'arg', the value of option 'name', as seconds from 'min' to 'max';
 * returns milliseconds or exits with a message. */
static int
parse_seconds(const char *name, const char *arg, double min, double max)
{
    char *end;
    double s = strtod(arg, &end);
    if (end == arg || *end || !(s >= min && s <= max)) {
        ovs_fatal(0, "%s: \"%s\" must be a number of seconds from %g to %g",
                  name, arg, min, max);
    }
    return s * 1000;
}

static void
parse_options(int argc, char *argv[], struct options *opts)
{
    enum {
        OPT_OFP_LISTEN = UCHAR_MAX + 1,
        OPT_OFP_CONNECT,
        OPT_NO_OFP_LISTEN,
        OPT_REST,
        OPT_PROBE_INTERVAL,
        OPT_STATE_FILE,
        OPT_L2,
        OPT_RESOLVE_INTERVAL,
        OPT_STATS_INTERVAL,
        OPT_AUDIT_INTERVAL,
        OPT_OVSDB,
        OPT_OVS_VSCTL,
        OPT_CT_DATAPATH,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"ofp-listen", required_argument, NULL, OPT_OFP_LISTEN},
        {"no-ofp-listen", no_argument, NULL, OPT_NO_OFP_LISTEN},
        {"ofp-connect", required_argument, NULL, OPT_OFP_CONNECT},
        {"rest", required_argument, NULL, OPT_REST},
        {"probe-interval", required_argument, NULL, OPT_PROBE_INTERVAL},
        {"state-file", required_argument, NULL, OPT_STATE_FILE},
        {"l2", required_argument, NULL, OPT_L2},
        {"resolve-interval", required_argument, NULL, OPT_RESOLVE_INTERVAL},
        {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
        {"audit-interval", required_argument, NULL, OPT_AUDIT_INTERVAL},
        {"ovsdb", required_argument, NULL, OPT_OVSDB},
        {"ovs-vsctl", required_argument, NULL, OPT_OVS_VSCTL},
        {"ct-datapath", required_argument, NULL, OPT_CT_DATAPATH},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        DAEMON_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    opts->ofp_listen = xstrdup(DEFAULT_OFP_LISTEN);
    opts->rest = xstrdup(DEFAULT_REST);
    opts->probe_interval_ms = DEFAULT_PROBE_INTERVAL_MS;
    opts->state_file = xstrdup(DEFAULT_STATE_FILE);
    opts->l2_normal = true;
    opts->resolve_interval_ms = DEFAULT_RESOLVE_INTERVAL_MS;
    opts->stats_interval_ms = DEFAULT_STATS_INTERVAL_MS;
    opts->audit_interval_ms = DEFAULT_AUDIT_INTERVAL_MS;
    opts->ovs_vsctl = xstrdup(DEFAULT_OVS_VSCTL);
    opts->ct_datapath = xstrdup(DEFAULT_CT_DATAPATH);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }

        switch (c) {
        case OPT_OFP_LISTEN:
            free(opts->ofp_listen);
            opts->ofp_listen = xstrdup(optarg);
            break;

        case OPT_NO_OFP_LISTEN:
            free(opts->ofp_listen);
            opts->ofp_listen = NULL;
            break;

        case OPT_OFP_CONNECT:
            opts->ofp_connect = xrealloc(opts->ofp_connect,
                                         (opts->n_ofp_connect + 1)
                                         * sizeof *opts->ofp_connect);
            opts->ofp_connect[opts->n_ofp_connect++] = xstrdup(optarg);
            break;

        case OPT_REST:
            free(opts->rest);
            opts->rest = xstrdup(optarg);
            break;

        case OPT_PROBE_INTERVAL: {
            char *end;
            double s = strtod(optarg, &end);
            if (*end || s < 0.1 || s > 3600) {
                ovs_fatal(0, "--probe-interval: \"%s\" must be a number of "
                          "seconds from 0.1 to 3600", optarg);
            }
            opts->probe_interval_ms = s * 1000;
            break;
        }

        case OPT_STATE_FILE:
            free(opts->state_file);
            opts->state_file = abs_file_name(NULL, optarg);
            break;

        case OPT_L2:
            if (!strcmp(optarg, "normal")) {
                opts->l2_normal = true;
            } else if (!strcmp(optarg, "none")) {
                opts->l2_normal = false;
            } else {
                ovs_fatal(0, "--l2: \"%s\" must be \"normal\" or \"none\"",
                          optarg);
            }
            break;

        case OPT_RESOLVE_INTERVAL:
            opts->resolve_interval_ms = parse_seconds("--resolve-interval",
                                                      optarg, 1, 3600);
            break;

        case OPT_AUDIT_INTERVAL:
            opts->audit_interval_ms = parse_seconds("--audit-interval",
                                                    optarg, 0.1, 86400);
            break;

        case OPT_STATS_INTERVAL:
            opts->stats_interval_ms = parse_seconds("--stats-interval",
                                                    optarg, 0.1, 3600);
            break;

        case OPT_OVSDB:
            free(opts->ovsdb);
            opts->ovsdb = *optarg ? xstrdup(optarg) : NULL;
            break;

        case OPT_OVS_VSCTL:
            free(opts->ovs_vsctl);
            opts->ovs_vsctl = xstrdup(optarg);
            break;

        case OPT_CT_DATAPATH:
            /* It becomes part of ovs-vsctl arguments and of an
             * external_ids key, so only a datapath type's characters. */
            if (!*optarg || optarg[strspn(optarg, "abcdefghijklmnopqrstuvwxyz"
                                           "0123456789_-")]) {
                ovs_fatal(0, "--ct-datapath: \"%s\" must be a datapath type "
                          "such as netdev or system", optarg);
            }
            free(opts->ct_datapath);
            opts->ct_datapath = xstrdup(optarg);
            break;

        case 'h':
            usage();

        case 'V':
            printf("flowlbd (flowlb) %s\n", FLOWLB_VERSION);
            printf("Open vSwitch library %s\n", VERSION VERSION_SUFFIX);
            printf("OpenFlow versions 0x%x:0x%x\n",
                   OFP13_VERSION, OFP15_VERSION);
            exit(EXIT_SUCCESS);

        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS

        case '?':
            exit(EXIT_FAILURE);

        default:
            abort();
        }
    }
    free(short_options);

    if (optind < argc) {
        ovs_fatal(0, "unexpected argument \"%s\" (see --help)", argv[optind]);
    }
    if (!opts->ofp_listen && !opts->n_ofp_connect) {
        ovs_fatal(0, "--no-ofp-listen needs at least one --ofp-connect");
    }

    /* Check the addresses' syntax now, before the state file is touched,
     * so that a typo costs nothing. */
    struct sockaddr_storage ss;
    socklen_t socklen;
    if (addr_parse_ip_port(opts->rest, &ss, &socklen)) {
        ovs_fatal(0, "%s: REST address must be IP:PORT", opts->rest);
    }
    if (opts->ofp_listen
        && (addr_parse_target(opts->ofp_listen, &ss, &socklen)
            || ss.ss_family == AF_UNIX)) {
        ovs_fatal(0, "%s: OpenFlow listen target must be tcp:IP:PORT",
                  opts->ofp_listen);
    }
    for (size_t i = 0; i < opts->n_ofp_connect; i++) {
        if (addr_parse_target(opts->ofp_connect[i], &ss, &socklen)) {
            ovs_fatal(0, "%s: OpenFlow connect target must be unix:PATH or "
                      "tcp:IP:PORT", opts->ofp_connect[i]);
        }
    }
}

static void
usage(void)
{
    printf("%s: flowlb OpenFlow controller\n"
           "usage: %s [OPTIONS]\n"
           "\nOpenFlow options:\n"
           "  --ofp-listen=tcp:IP:PORT  listen for switches (default: %s)\n"
           "  --no-ofp-listen           do not listen for switches\n"
           "  --ofp-connect=TARGET      connect to a switch, e.g. a bridge's\n"
           "                            unix:/var/run/openvswitch/br0.mgmt\n"
           "                            or tcp:IP:PORT (repeatable)\n"
           "  --probe-interval=SECS     send echo after SECS of silence, and\n"
           "                            declare a switch dead after 2*SECS\n"
           "                            (default: %d)\n"
           "\nREST options:\n"
           "  --rest=IP:PORT            REST API address (default: %s)\n"
           "\nServices:\n"
           "  --state-file=PATH         where the services are kept; its\n"
           "                            directory must exist (default: %s)\n"
           "  --l2=normal|none          install priority=0,actions=NORMAL on\n"
           "                            each switch, so it keeps switching\n"
           "                            other traffic (default: normal)\n"
           "  --resolve-interval=SECS   re-solicit known member MACs every\n"
           "                            SECS (default: %d); unknown ones\n"
           "                            every 1 s\n"
           "  --stats-interval=SECS     poll statistics every SECS\n"
           "                            (default: %d)\n"
           "  --audit-interval=SECS     re-read each switch every SECS and\n"
           "                            repair flows changed behind\n"
           "                            flowlbd's back (default: %d)\n"
           "\nConntrack timeout policies (NAT services' timeouts):\n"
           "  --ovsdb=TARGET            set them in this OVSDB, e.g.\n"
           "                            unix:/var/run/openvswitch/db.sock;\n"
           "                            without it the datapath's default\n"
           "                            conntrack timeouts apply\n"
           "  --ovs-vsctl=PATH          the ovs-vsctl to run (default: %s)\n"
           "  --ct-datapath=TYPE        datapath type of the switches\n"
           "                            (default: %s)\n",
           program_name, program_name, DEFAULT_OFP_LISTEN,
           DEFAULT_PROBE_INTERVAL_MS / 1000, DEFAULT_REST,
           DEFAULT_STATE_FILE, DEFAULT_RESOLVE_INTERVAL_MS / 1000,
           DEFAULT_STATS_INTERVAL_MS / 1000,
           DEFAULT_AUDIT_INTERVAL_MS / 1000, DEFAULT_OVS_VSCTL,
           DEFAULT_CT_DATAPATH);
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
           "  -h, --help                display this help message\n"
           "  -V, --version             display version information\n");
    exit(EXIT_SUCCESS);
}

/* The modules that react to model changes and to switches, for the
 * callbacks below. */
struct wiring {
    struct sync *sync;
    struct resolve *resolve;
    struct pmtu *pmtu;
    struct health *health;
    struct ctpolicy *ctpolicy;
    struct decider *decider;
};

/* The REST API changed the model: learn MACs already known for new
 * members, then recompile (deferred, so a burst costs one pass). */
static void
model_changed_cb(void *w_)
{
    struct wiring *w = w_;
    resolve_model_changed(w->resolve);
    health_model_changed(w->health);
    decider_model_changed(w->decider);
    sync_model_changed(w->sync);
    ctpolicy_model_changed(w->ctpolicy);
}

/* Health monitors changed a member's health. */
static void
health_changed_cb(void *w_)
{
    struct wiring *w = w_;
    decider_model_changed(w->decider);
    sync_model_changed(w->sync);
}

/* Resolution changed a member's MAC. */
static void
resolved_cb(void *w_)
{
    struct wiring *w = w_;
    sync_model_changed(w->sync);
}

/* sync read a member's MAC from a switch's buckets. */
static void
bucket_mac_cb(const struct in6_addr *addr, struct eth_addr mac, void *w_)
{
    struct wiring *w = w_;
    resolve_bucket_mac(w->resolve, addr, mac);
}

static void
decorate_service_cb(json_t *j, const struct lb_service *svc, void *w_)
{
    struct wiring *w = w_;
    sync_decorate_service(j, svc, w->sync);
    ctpolicy_decorate_service(j, svc, w->ctpolicy);
}

static void
decorate_status_cb(json_t *j, void *w_)
{
    struct wiring *w = w_;
    json_object_set_new(j, "ct_policy", ctpolicy_to_json(w->ctpolicy));
}

static void
decorate_switch_cb(json_t *j, uint64_t dpid, void *w_)
{
    struct wiring *w = w_;
    json_object_set_new(j, "sync", sync_switch_to_json(w->sync, dpid));
}

static void
switch_up_cb(uint64_t dpid, struct ofconn *ofconn, void *w_)
{
    struct wiring *w = w_;
    sync_switch_up(w->sync, dpid, ofconn);
    resolve_switch_up(w->resolve, dpid, ofconn);
    pmtu_switch_up(w->pmtu, dpid, ofconn);
    decider_switch_up(w->decider, dpid, ofconn);
}

static void
switch_down_cb(uint64_t dpid, void *w_)
{
    struct wiring *w = w_;
    sync_switch_down(w->sync, dpid);
    resolve_switch_down(w->resolve, dpid);
    pmtu_switch_down(w->pmtu, dpid);
    decider_switch_down(w->decider, dpid);
}

/* Packet-ins are per-session services' first packets (decider's), ICMP
 * too-big messages (pmtu's) or neighbour discovery (resolve's); the
 * answers to pmtu's stick-table lookups are pmtu's, session flows'
 * removals and errors decider's, the other replies sync's. */
static void
switch_msg_cb(uint64_t dpid, struct ofconn *ofconn OVS_UNUSED,
              enum ofptype type, const struct ofp_header *oh, void *w_)
{
    struct wiring *w = w_;
    if (type == OFPTYPE_PACKET_IN) {
        if (!decider_packet_in(w->decider, dpid, oh)
            && !pmtu_packet_in(w->pmtu, dpid, oh)) {
            resolve_packet_in(w->resolve, dpid, oh);
        }
    } else if (!pmtu_handle_msg(w->pmtu, dpid, type, oh)
               && !decider_handle_msg(w->decider, dpid, type, oh)) {
        sync_handle_msg(w->sync, dpid, type, oh);
    }
}

static void
signal_cb(evutil_socket_t signo, short what OVS_UNUSED, void *base_)
{
    VLOG_INFO("caught %s, exiting", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopbreak(base_);
}

int
main(int argc, char *argv[])
{
    struct options opts;

    memset(&opts, 0, sizeof opts);
    set_program_name(argv[0]);
    parse_options(argc, argv, &opts);

    /* Before --detach forks, so that a bad state file makes the command
     * fail, with the message on stderr, and is left as it is. */
    struct lb_model *model;
    char *error;
    if (store_load(opts.state_file, &model, &error)) {
        ovs_fatal(0, "%s", error);
    }

    /* Fork (with --detach) before libevent exists: an event base does not
     * survive fork. */
    daemonize_start(false);
    signal(SIGPIPE, SIG_IGN);

    struct event_base *base = event_base_new();
    if (!base) {
        ovs_fatal(0, "cannot create libevent event base");
    }

    struct switch_registry *switches = switch_registry_create();
    struct render_status status = {
        .version = FLOWLB_VERSION,
        .ovs_version = VERSION VERSION_SUFFIX,
        .started = time_wall_msec(),
        .switches = switches,
        .model = model,
    };

    struct compiler_options copts = { .l2_normal = opts.l2_normal };
    struct wiring w;
    w.resolve = resolve_create(base, model, opts.resolve_interval_ms,
                               resolved_cb, &w);
    w.pmtu = pmtu_create(base, model);
    w.decider = decider_create(model);
    w.sync = sync_create(base, model, &copts, opts.stats_interval_ms,
                         opts.audit_interval_ms, bucket_mac_cb, &w);
    w.health = health_create(base, model, opts.stats_interval_ms,
                             health_changed_cb, &w);
    struct ctpolicy_options ctp_opts = {
        .ovsdb = opts.ovsdb,
        .ovs_vsctl = opts.ovs_vsctl,
        .datapath = opts.ct_datapath,
    };
    w.ctpolicy = ctpolicy_create(base, model, &ctp_opts);

    struct rest_hooks rest_hooks = {
        .changed = model_changed_cb,
        .decorate_service = decorate_service_cb,
        .decorate_switch = decorate_switch_cb,
        .decorate_status = decorate_status_cb,
        .aux = &w,
    };
    struct rest *rest = rest_create(base, &status, model, opts.state_file,
                                    &rest_hooks);
    if (rest_listen(rest, opts.rest, NULL)) {
        ovs_fatal(0, "cannot serve the REST API on %s", opts.rest);
    }

    static const struct connmgr_hooks connmgr_hooks = {
        .switch_up = switch_up_cb,
        .switch_down = switch_down_cb,
        .msg = switch_msg_cb,
    };
    struct connmgr *connmgr = connmgr_create(base, switches,
                                             opts.probe_interval_ms,
                                             &connmgr_hooks, &w);
    if (opts.ofp_listen && connmgr_listen(connmgr, opts.ofp_listen, NULL)) {
        ovs_fatal(0, "cannot listen for OpenFlow on %s", opts.ofp_listen);
    }
    for (size_t i = 0; i < opts.n_ofp_connect; i++) {
        if (connmgr_connect(connmgr, opts.ofp_connect[i])) {
            ovs_fatal(0, "bad --ofp-connect target %s", opts.ofp_connect[i]);
        }
    }

    /* libevent's handlers replace the ones OVS's fatal-signal module set up
     * for the pidfile; the pidfile is still removed by its atexit hook. */
    struct event *sigterm = evsignal_new(base, SIGTERM, signal_cb, base);
    struct event *sigint = evsignal_new(base, SIGINT, signal_cb, base);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);

    VLOG_INFO("flowlbd %s started", FLOWLB_VERSION);
    daemonize_complete();

    event_base_dispatch(base);

    connmgr_destroy(connmgr);
    rest_destroy(rest);
    resolve_destroy(w.resolve);
    pmtu_destroy(w.pmtu);
    health_destroy(w.health);
    decider_destroy(w.decider);
    sync_destroy(w.sync);
    ctpolicy_destroy(w.ctpolicy);
    switch_registry_destroy(switches);
    lb_model_destroy(model);
    event_free(sigterm);
    event_free(sigint);
    event_base_free(base);

    free(opts.ofp_listen);
    for (size_t i = 0; i < opts.n_ofp_connect; i++) {
        free(opts.ofp_connect[i]);
    }
    free(opts.ofp_connect);
    free(opts.rest);
    free(opts.state_file);
    free(opts.ovsdb);
    free(opts.ovs_vsctl);
    free(opts.ct_datapath);
    VLOG_INFO("flowlbd stopped");
    return 0;
}
