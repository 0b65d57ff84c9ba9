/*
 * ctpolicy: conntrack timeout policies of NAT services' zones.  See
 * ctpolicy.h.
 *
 * The first half is pure (model in, ovs-vsctl arguments out, ovs-vsctl's
 * output parsed) and unit-tested; the second half runs ovs-vsctl.
 */
#include <config.h>
#include "flowlb/ctpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/event.h>
#include "flowlb/lb.h"
#include "flowlb/render.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "hash.h"
#include "svec.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(ctpolicy);

extern char **environ;

/* What each key follows. */
enum ctpolicy_follows {
    FOLLOWS_TCP,
    FOLLOWS_TCP_SHORT,
    FOLLOWS_UDP,
    FOLLOWS_ICMP,
};

static const struct {
    const char *name;
    enum ctpolicy_follows follows;
} keys[CTPOLICY_N_KEYS] = {
#define CTPOLICY_KEY(ENUM, NAME, FOLLOWS) { NAME, FOLLOWS_##FOLLOWS },
    CTPOLICY_KEYS
#undef CTPOLICY_KEY
};

const char *
ctpolicy_key_name(enum ctpolicy_key key)
{
    return key < CTPOLICY_N_KEYS ? keys[key].name : "unknown";
}

static int
key_from_name(const char *name)
{
    for (int i = 0; i < CTPOLICY_N_KEYS; i++) {
        if (!strcmp(keys[i].name, name)) {
            return i;
        }
    }
    return -1;
}

/* Zone sets. */

void
ctpolicy_zones_init(struct ctpolicy_zones *zs)
{
    hmap_init(&zs->zones);
}

void
ctpolicy_zones_clear(struct ctpolicy_zones *zs)
{
    struct ctpolicy_zone *z;
    HMAP_FOR_EACH_POP (z, node, &zs->zones) {
        free(z);
    }
}

void
ctpolicy_zones_destroy(struct ctpolicy_zones *zs)
{
    if (zs) {
        ctpolicy_zones_clear(zs);
        hmap_destroy(&zs->zones);
    }
}

void
ctpolicy_zones_swap(struct ctpolicy_zones *a, struct ctpolicy_zones *b)
{
    hmap_swap(&a->zones, &b->zones);
}

struct ctpolicy_zone *
ctpolicy_zones_find(const struct ctpolicy_zones *zs, uint16_t zone)
{
    struct ctpolicy_zone *z;
    HMAP_FOR_EACH_IN_BUCKET (z, node, hash_int(zone, 0), &zs->zones) {
        if (z->zone == zone) {
            return z;
        }
    }
    return NULL;
}

/* Returns 'zs''s zone 'zone', added with every timeout unset if it was
 * not there. */
struct ctpolicy_zone *
ctpolicy_zones_add(struct ctpolicy_zones *zs, uint16_t zone)
{
    struct ctpolicy_zone *z = ctpolicy_zones_find(zs, zone);
    if (!z) {
        z = xzalloc(sizeof *z);
        z->zone = zone;
        for (int i = 0; i < CTPOLICY_N_KEYS; i++) {
            z->timeouts[i] = CTPOLICY_UNSET;
        }
        hmap_insert(&zs->zones, &z->node, hash_int(zone, 0));
    }
    return z;
}

void
ctpolicy_zones_remove(struct ctpolicy_zones *zs, uint16_t zone)
{
    struct ctpolicy_zone *z = ctpolicy_zones_find(zs, zone);
    if (z) {
        hmap_remove(&zs->zones, &z->node);
        free(z);
    }
}

size_t
ctpolicy_zones_count(const struct ctpolicy_zones *zs)
{
    return hmap_count(&zs->zones);
}

static int
compare_zones(const void *a_, const void *b_)
{
    const uint16_t *a = a_, *b = b_;
    return *a < *b ? -1 : *a > *b;
}

/* Returns 'zs''s zone numbers, ascending, in an array the caller frees,
 * and their number in '*n'. */
uint16_t *
ctpolicy_zones_sorted(const struct ctpolicy_zones *zs, size_t *n)
{
    uint16_t *list = xmalloc((hmap_count(&zs->zones) + 1) * sizeof *list);
    const struct ctpolicy_zone *z;
    *n = 0;
    HMAP_FOR_EACH (z, node, &zs->zones) {
        list[(*n)++] = z->zone;
    }
    qsort(list, *n, sizeof *list, compare_zones);
    return list;
}

/* True if 'a' and 'b' set the same timeouts to the same values (and
 * neither has keys flowlbd does not know). */
bool
ctpolicy_zone_equal(const struct ctpolicy_zone *a,
                    const struct ctpolicy_zone *b)
{
    return (!a->foreign && !b->foreign
            && !memcmp(a->timeouts, b->timeouts, sizeof a->timeouts));
}

/* The model's side. */

/* Fills 'timeouts' with the policy of NAT service 'svc''s zones. */
void
ctpolicy_service_timeouts(const struct lb_service *svc,
                          uint32_t timeouts[CTPOLICY_N_KEYS])
{
    uint32_t tcp_short = MIN(CTPOLICY_TCP_SHORT, svc->timeout_tcp);
    for (int i = 0; i < CTPOLICY_N_KEYS; i++) {
        switch (keys[i].follows) {
        case FOLLOWS_TCP:
            timeouts[i] = svc->timeout_tcp;
            break;
        case FOLLOWS_TCP_SHORT:
            timeouts[i] = tcp_short;
            break;
        case FOLLOWS_UDP:
            timeouts[i] = svc->timeout_udp;
            break;
        case FOLLOWS_ICMP:
            timeouts[i] = svc->timeout_icmp;
            break;
        default:
            OVS_NOT_REACHED();
        }
    }
}

/* Stores the conntrack zones of 'svc' in 'zones' and returns how many: 0
 * for a service that is not NAT (or has no zone yet), 1 for NAT, 2 for
 * NAPT. */
size_t
ctpolicy_service_zones(const struct lb_service *svc, uint16_t zones[2])
{
    size_t n = 0;
    if (lb_service_is_nat(svc) && svc->ct_zone) {
        zones[n++] = svc->ct_zone;
        if (svc->forwarding == LB_FWD_NAPT) {
            zones[n++] = svc->ct_zone + LB_CT_ZONE_SNAT;
        }
    }
    return n;
}

/* Replaces 'wanted' by the policy of every zone of every NAT service in
 * 'model'.  The model never gives two services one zone; if it did, the
 * lower service id would win. */
void
ctpolicy_wanted(const struct lb_model *model, struct ctpolicy_zones *wanted)
{
    ctpolicy_zones_clear(wanted);

    size_t n;
    const struct lb_service **services = lb_model_sorted(model, &n);
    for (size_t i = 0; i < n; i++) {
        const struct lb_service *svc = services[i];
        uint16_t zones[2];
        size_t n_zones = ctpolicy_service_zones(svc, zones);
        for (size_t j = 0; j < n_zones; j++) {
            if (ctpolicy_zones_find(wanted, zones[j])) {
                continue;
            }
            struct ctpolicy_zone *z = ctpolicy_zones_add(wanted, zones[j]);
            z->service_id = svc->id;
            ctpolicy_service_timeouts(svc, z->timeouts);
        }
    }
    free(services);
}

/* ovs-vsctl's output. */

static int
parse_error(char **error, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

static int
parse_error(char **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    *error = xvasprintf(format, args);
    va_end(args);
    return EINVAL;
}

/* Parses one line of list-zone-tp into 'zones'. */
static int
parse_listing_line(const char *line, struct ctpolicy_zones *zones,
                   char **error)
{
    unsigned int zone;
    int n = 0;

    if (sscanf(line, "Zone:%u, Timeout Policies:%n", &zone, &n) != 1 || !n
        || zone > UINT16_MAX) {
        return parse_error(error, "unexpected zone listing \"%s\"", line);
    }
    struct ctpolicy_zone *z = ctpolicy_zones_add(zones, zone);
    const char *p = line + n;
    p += strspn(p, " ");
    if (!strcmp(p, "system default")) {
        /* A zone without a policy: every timeout unset. */
        return 0;
    }

    char *copy = xstrdup(p);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        char *end;
        unsigned long long value = eq ? strtoull(eq + 1, &end, 10) : 0;
        if (!eq || eq == tok || end == eq + 1 || *end
            || value > UINT32_MAX) {
            int retval = parse_error(error, "zone %u: unexpected timeout "
                                     "\"%s\"", zone, tok);
            free(copy);
            return retval;
        }
        *eq = '\0';
        int key = key_from_name(tok);
        if (key < 0) {
            z->foreign = true;
        } else {
            z->timeouts[key] = value;
        }
    }
    free(copy);
    return 0;
}

int
ctpolicy_parse_listing(const char *text, struct ctpolicy_zones *zones,
                       char **error)
{
    char *copy = xstrdup(text);
    char *save = NULL;
    int retval = 0;

    *error = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && !retval;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[strspn(line, " \r")]) {
            retval = parse_listing_line(line, zones, error);
        }
    }
    free(copy);
    return retval;
}

int
ctpolicy_parse_owned(const char *text, struct ctpolicy_zones *owned,
                     char **error)
{
    const char *p = text + strspn(text, " \n");
    size_t len = strcspn(p, "\n");

    *error = NULL;
    if (!len) {
        return 0;               /* No record: flowlbd owns nothing. */
    }
    if (len < 2 || p[0] != '"' || p[len - 1] != '"') {
        return parse_error(error, "unexpected owned zones \"%.*s\"",
                           (int) len, p);
    }

    char *list = xmemdup0(p + 1, len - 2);
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        unsigned long value = strtoul(tok, &end, 10);
        if (end == tok || *end || !value || value > UINT16_MAX) {
            int retval = parse_error(error, "unexpected owned zone \"%s\"",
                                     tok);
            free(list);
            return retval;
        }
        ctpolicy_zones_add(owned, value);
    }
    free(list);
    return 0;
}

/* Plans. */

static void
plan_push(uint16_t **list, size_t *n, uint16_t zone)
{
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = zone;
}

/* Fills 'plan' with what turns 'present' (what OVSDB holds), of which
 * flowlbd owns 'owned', into 'wanted'.  A wanted zone that OVSDB already
 * holds with the same timeouts but someone else set is taken over (its
 * policy is what the service needs anyway, and recording it means it
 * goes when the service goes). */
void
ctpolicy_plan_compute(const struct ctpolicy_zones *wanted,
                      const struct ctpolicy_zones *present,
                      const struct ctpolicy_zones *owned,
                      struct ctpolicy_plan *plan)
{
    memset(plan, 0, sizeof *plan);

    size_t n;
    uint16_t *zones = ctpolicy_zones_sorted(wanted, &n);
    for (size_t i = 0; i < n; i++) {
        const struct ctpolicy_zone *w = ctpolicy_zones_find(wanted, zones[i]);
        const struct ctpolicy_zone *p = ctpolicy_zones_find(present,
                                                            zones[i]);
        if (!p || !ctpolicy_zone_equal(w, p)) {
            plan_push(&plan->add, &plan->n_add, zones[i]);
        }
        if (!ctpolicy_zones_find(owned, zones[i])) {
            plan->note = true;
        }
    }
    free(zones);

    zones = ctpolicy_zones_sorted(owned, &n);
    for (size_t i = 0; i < n; i++) {
        if (!ctpolicy_zones_find(wanted, zones[i])) {
            plan->note = true;
            if (ctpolicy_zones_find(present, zones[i])) {
                plan_push(&plan->del, &plan->n_del, zones[i]);
            }
        }
    }
    free(zones);
}

bool
ctpolicy_plan_is_empty(const struct ctpolicy_plan *plan)
{
    return !plan->n_add && !plan->n_del && !plan->note;
}

void
ctpolicy_plan_destroy(struct ctpolicy_plan *plan)
{
    if (plan) {
        free(plan->add);
        free(plan->del);
        memset(plan, 0, sizeof *plan);
    }
}

/* Modifying a zone is "--may-exist add-zone-tp", which replaces its
 * policy: a del-zone-tp and an add-zone-tp of one zone in one transaction
 * would delete it, because ovs-vsctl's add does not see the delete. */
void
ctpolicy_plan_to_args(const struct ctpolicy_plan *plan,
                      const struct ctpolicy_zones *wanted,
                      const char *datapath, const char *note_key,
                      struct svec *args)
{
    for (size_t i = 0; i < plan->n_add; i++) {
        const struct ctpolicy_zone *z = ctpolicy_zones_find(wanted,
                                                            plan->add[i]);
        ovs_assert(z);
        svec_add(args, "--");
        svec_add(args, "--may-exist");
        svec_add(args, "add-zone-tp");
        svec_add(args, datapath);
        svec_add_nocopy(args, xasprintf("zone=%"PRIu16, z->zone));
        for (int k = 0; k < CTPOLICY_N_KEYS; k++) {
            if (z->timeouts[k] != CTPOLICY_UNSET) {
                svec_add_nocopy(args, xasprintf("%s=%"PRIu32, keys[k].name,
                                                z->timeouts[k]));
            }
        }
    }
    for (size_t i = 0; i < plan->n_del; i++) {
        svec_add(args, "--");
        svec_add(args, "--if-exists");
        svec_add(args, "del-zone-tp");
        svec_add(args, datapath);
        svec_add_nocopy(args, xasprintf("zone=%"PRIu16, plan->del[i]));
    }
    if (plan->note) {
        size_t n;
        uint16_t *zones = ctpolicy_zones_sorted(wanted, &n);
        svec_add(args, "--");
        if (n) {
            struct ds ds = DS_EMPTY_INITIALIZER;
            ds_put_format(&ds, "external_ids:%s=\"", note_key);
            for (size_t i = 0; i < n; i++) {
                ds_put_format(&ds, "%s%"PRIu16, i ? "," : "", zones[i]);
            }
            ds_put_char(&ds, '"');
            svec_add(args, "set");
            svec_add(args, "Open_vSwitch");
            svec_add(args, ".");
            svec_add_nocopy(args, ds_steal_cstr(&ds));
        } else {
            svec_add(args, "remove");
            svec_add(args, "Open_vSwitch");
            svec_add(args, ".");
            svec_add(args, "external_ids");
            svec_add(args, note_key);
        }
        free(zones);
    }
}

/* I/O: running ovs-vsctl. */

#define CTPOLICY_RETRY_MS 5000
#define CHILD_KILL_MS 30000     /* ovs-vsctl's own --timeout is 10 s. */
#define CHILD_OUTPUT_MAX 1048576

/* The step of a pass that the running ovs-vsctl does. */
enum ctpolicy_step {
    STEP_IDLE,                  /* Nothing running. */
    STEP_READ,                  /* Owned zones and list-zone-tp. */
    STEP_CREATE,                /* Creating the Datapath record. */
    STEP_APPLY,                 /* The plan's transaction. */
};

struct ctpolicy {
    struct event_base *base;
    const struct lb_model *model;
    char *ovsdb;                /* NULL: off. */
    char *ovs_vsctl;
    char *datapath;
    char *note_key;             /* "flowlb-ct-zones-DATAPATH". */
    int retry_ms;

    struct ctpolicy_zones wanted;   /* As of the current pass's start. */
    struct ctpolicy_zones present;  /* What OVSDB holds, as last known. */
    struct ctpolicy_zones owned;    /* Of 'present', flowlbd's. */
    struct ctpolicy_plan plan;      /* STEP_APPLY's. */
    bool synced;                /* 'present' matched 'wanted' after the
                                 * last pass, which succeeded. */
    bool dirty;                 /* The model changed since the current
                                 * pass started. */
    bool created;               /* This pass created the Datapath. */

    /* The child. */
    enum ctpolicy_step step;
    pid_t pid;
    int fd;                     /* Read end of its stdout and stderr. */
    struct event *read_event;
    struct ds output;
    int status;                 /* From waitpid(). */

    struct event *pass_event;   /* Deferred start of a pass. */
    struct event *retry_timer;
    struct event *reap_timer;   /* Polls waitpid() after EOF. */
    struct event *kill_timer;

    /* Status. */
    unsigned long long n_runs;  /* ovs-vsctl commands run. */
    unsigned long long n_failures;
    char *last_error;           /* NULL after a good pass. */
    long long int last_success; /* Wall clock ms, or 0. */
};

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

static void ctpolicy_start_pass(struct ctpolicy *);
static void ctpolicy_step_done(struct ctpolicy *);

static void
pass_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *cp_)
{
    struct ctpolicy *cp = cp_;
    if (cp->step == STEP_IDLE && !evtimer_pending(cp->retry_timer, NULL)) {
        ctpolicy_start_pass(cp);
    }
}

static void
retry_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *cp_)
{
    struct ctpolicy *cp = cp_;
    if (cp->step == STEP_IDLE) {
        ctpolicy_start_pass(cp);
    }
}

static void
reap(struct ctpolicy *cp)
{
    int status;
    pid_t pid = waitpid(cp->pid, &status, WNOHANG);
    if (pid == 0) {
        /* Its output is closed but it has not exited yet: look again
         * soon, rather than block the loop. */
        struct timeval tv = { 0, 10000 };
        evtimer_add(cp->reap_timer, &tv);
        return;
    }
    cp->status = pid < 0 ? -1 : status;
    if (pid < 0) {
        ds_put_format(&cp->output, "waitpid: %s\n", ovs_strerror(errno));
    }
    cp->pid = 0;
    evtimer_del(cp->kill_timer);
    ctpolicy_step_done(cp);
}

static void
reap_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *cp_)
{
    reap(cp_);
}

static void
kill_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *cp_)
{
    struct ctpolicy *cp = cp_;
    if (cp->pid > 0) {
        VLOG_WARN_RL(&rl, "%s still running after %d s, killing it",
                     cp->ovs_vsctl, CHILD_KILL_MS / 1000);
        kill(cp->pid, SIGKILL);
    }
}

static void
read_cb(evutil_socket_t fd, short what OVS_UNUSED, void *cp_)
{
    struct ctpolicy *cp = cp_;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n > 0) {
        if (cp->output.length < CHILD_OUTPUT_MAX) {
            ds_put_buffer(&cp->output, buf, n);
        }
        return;
    }

    /* EOF or an error: the child is done with its output. */
    event_free(cp->read_event);
    cp->read_event = NULL;
    close(cp->fd);
    cp->fd = -1;
    reap(cp);
}

/* Runs ovs-vsctl with the common options and 'args' for 'step'. */
static void
ctpolicy_spawn(struct ctpolicy *cp, enum ctpolicy_step step,
               const struct svec *args)
{
    struct svec argv = SVEC_EMPTY_INITIALIZER;
    svec_add(&argv, cp->ovs_vsctl);
    svec_add_nocopy(&argv, xasprintf("--db=%s", cp->ovsdb));
    svec_add(&argv, "--timeout=10");
    /* The policies are OVSDB's to keep: flowlbd does not wait for
     * ovs-vswitchd to take them (which it does whenever it runs), so a
     * stopped ovs-vswitchd does not make every run time out. */
    svec_add(&argv, "--no-wait");
    /* Keep its log messages out of the output; its fatal errors still
     * come, as "ovs-vsctl: MESSAGE". */
    svec_add(&argv, "-vconsole:off");
    svec_append(&argv, args);
    svec_terminate(&argv);

    if (VLOG_IS_DBG_ENABLED()) {
        struct ds cmd = DS_EMPTY_INITIALIZER;
        for (size_t i = 0; i < argv.n; i++) {
            ds_put_format(&cmd, "%s%s", i ? " " : "", argv.names[i]);
        }
        VLOG_DBG("running %s", ds_cstr(&cmd));
        ds_destroy(&cmd);
    }

    cp->step = step;
    cp->n_runs++;
    ds_clear(&cp->output);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) {
        ds_put_format(&cp->output, "pipe: %s", ovs_strerror(errno));
        cp->status = -1;
        svec_destroy(&argv);
        ctpolicy_step_done(cp);
        return;
    }

    /* posix_spawn() is fork() and exec() without the hazards of running
     * code in a forked copy of an event loop.  The child gets /dev/null as
     * stdin and the pipe as stdout and stderr. */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    /* Nor does it need flowlbd's log file or OVS's internal pipes, which
     * are not close-on-exec. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    pid_t pid;
    int error = posix_spawnp(&pid, cp->ovs_vsctl, &fa, NULL, argv.names,
                             environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    svec_destroy(&argv);
    if (error) {
        close(fds[0]);
        ds_put_format(&cp->output, "cannot run %s: %s", cp->ovs_vsctl,
                      ovs_strerror(error));
        cp->status = -1;
        ctpolicy_step_done(cp);
        return;
    }

    cp->pid = pid;
    cp->fd = fds[0];
    fcntl(cp->fd, F_SETFL, O_NONBLOCK);
    cp->read_event = event_new(cp->base, cp->fd, EV_READ | EV_PERSIST,
                               read_cb, cp);
    event_add(cp->read_event, NULL);
    struct timeval tv = { CHILD_KILL_MS / 1000, 0 };
    evtimer_add(cp->kill_timer, &tv);
}

static void
spawn_read(struct ctpolicy *cp)
{
    struct svec args = SVEC_EMPTY_INITIALIZER;
    svec_add(&args, "--");
    svec_add(&args, "--if-exists");
    svec_add(&args, "get");
    svec_add(&args, "Open_vSwitch");
    svec_add(&args, ".");
    svec_add_nocopy(&args, xasprintf("external_ids:%s", cp->note_key));
    svec_add(&args, "--");
    svec_add(&args, "list-zone-tp");
    svec_add(&args, cp->datapath);
    ctpolicy_spawn(cp, STEP_READ, &args);
    svec_destroy(&args);
}

/* The Datapath record of 'datapath' does not exist: create an empty one
 * (ovs-vswitchd fills in its version and capabilities).  Only after a
 * read found none, so an operator's record with its zones is never
 * replaced, except by a record created in the moment between the two
 * commands. */
static void
spawn_create(struct ctpolicy *cp)
{
    struct svec args = SVEC_EMPTY_INITIALIZER;
    svec_add(&args, "--");
    svec_add(&args, "--id=@dp");
    svec_add(&args, "create");
    svec_add(&args, "Datapath");
    svec_add(&args, "datapath_version=0");
    svec_add(&args, "--");
    svec_add(&args, "set");
    svec_add(&args, "Open_vSwitch");
    svec_add(&args, ".");
    svec_add_nocopy(&args, xasprintf("datapaths:%s=@dp", cp->datapath));
    ctpolicy_spawn(cp, STEP_CREATE, &args);
    svec_destroy(&args);
}

static void
ctpolicy_start_pass(struct ctpolicy *cp)
{
    cp->dirty = false;
    cp->created = false;
    ctpolicy_wanted(cp->model, &cp->wanted);

    /* Nothing to do if the last pass succeeded and the model still wants
     * what it left. */
    if (cp->synced) {
        struct ctpolicy_plan plan;
        ctpolicy_plan_compute(&cp->wanted, &cp->present, &cp->owned, &plan);
        bool empty = ctpolicy_plan_is_empty(&plan);
        ctpolicy_plan_destroy(&plan);
        if (empty) {
            return;
        }
    }
    cp->synced = false;
    spawn_read(cp);
}

/* The output's last line that starts with "ovs-vsctl: ", which is its
 * error message, or else the whole output. */
static char *
child_error(const struct ctpolicy *cp)
{
    const char *s = ds_cstr_ro(&cp->output);
    const char *msg = NULL;
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        if (!strncmp(p, "ovs-vsctl: ", 11)) {
            msg = p + 11;
        }
    }
    if (!msg) {
        msg = s;
    }
    size_t len = strcspn(msg, "\n");
    if (!len) {
        if (WIFEXITED(cp->status)) {
            return xasprintf("%s exited with status %d", cp->ovs_vsctl,
                             WEXITSTATUS(cp->status));
        }
        return xasprintf("%s failed", cp->ovs_vsctl);
    }
    return xmemdup0(msg, len);
}

static void
ctpolicy_fail(struct ctpolicy *cp, char *error)
{
    VLOG_WARN_RL(&rl, "conntrack timeout policies not applied: %s; "
                 "retrying in %d s", error, cp->retry_ms / 1000);
    free(cp->last_error);
    cp->last_error = error;
    cp->n_failures++;
    cp->step = STEP_IDLE;
    cp->synced = false;
    struct timeval tv = { cp->retry_ms / 1000, (cp->retry_ms % 1000) * 1000 };
    evtimer_add(cp->retry_timer, &tv);
}

static void
ctpolicy_succeed(struct ctpolicy *cp)
{
    cp->step = STEP_IDLE;
    cp->synced = true;
    cp->last_success = time_wall_msec();
    if (cp->last_error) {
        VLOG_INFO("conntrack timeout policies in %s: applied again",
                  cp->ovsdb);
        free(cp->last_error);
        cp->last_error = NULL;
    }
    if (cp->dirty) {
        event_active(cp->pass_event, EV_TIMEOUT, 1);
    }
}

static bool
child_ok(const struct ctpolicy *cp)
{
    return cp->status >= 0 && WIFEXITED(cp->status)
           && !WEXITSTATUS(cp->status);
}

static void
read_done(struct ctpolicy *cp)
{
    const char *out = ds_cstr_ro(&cp->output);
    if (!child_ok(cp)) {
        bool no_datapath = (strstr(out, "record not found")
                            || strstr(out, "does not exist"));
        if (no_datapath && !cp->created) {
            if (!ctpolicy_zones_count(&cp->wanted)) {
                /* No record, so no zone has a policy, and none needs
                 * one. */
                ctpolicy_zones_clear(&cp->present);
                ctpolicy_zones_clear(&cp->owned);
                ctpolicy_succeed(cp);
            } else {
                cp->created = true;
                spawn_create(cp);
            }
            return;
        }
        ctpolicy_fail(cp, child_error(cp));
        return;
    }

    /* The first line is the owned zones' record, the rest the listing. */
    const char *nl = strchr(out, '\n');
    char *owned_text = nl ? xmemdup0(out, nl - out) : xstrdup(out);
    const char *listing = nl ? nl + 1 : "";
    char *error;
    ctpolicy_zones_clear(&cp->owned);
    ctpolicy_zones_clear(&cp->present);
    if (ctpolicy_parse_owned(owned_text, &cp->owned, &error)
        || ctpolicy_parse_listing(listing, &cp->present, &error)) {
        free(owned_text);
        ctpolicy_fail(cp, error);
        return;
    }
    free(owned_text);

    ctpolicy_plan_destroy(&cp->plan);
    ctpolicy_plan_compute(&cp->wanted, &cp->present, &cp->owned, &cp->plan);
    if (ctpolicy_plan_is_empty(&cp->plan)) {
        ctpolicy_succeed(cp);
        return;
    }
    struct svec args = SVEC_EMPTY_INITIALIZER;
    ctpolicy_plan_to_args(&cp->plan, &cp->wanted, cp->datapath, cp->note_key,
                          &args);
    ctpolicy_spawn(cp, STEP_APPLY, &args);
    svec_destroy(&args);
}

static void
apply_done(struct ctpolicy *cp)
{
    if (!child_ok(cp)) {
        ctpolicy_fail(cp, child_error(cp));
        return;
    }

    /* OVSDB now holds what the plan said. */
    for (size_t i = 0; i < cp->plan.n_add; i++) {
        const struct ctpolicy_zone *w = ctpolicy_zones_find(&cp->wanted,
                                                            cp->plan.add[i]);
        struct ctpolicy_zone *p = ctpolicy_zones_add(&cp->present, w->zone);
        memcpy(p->timeouts, w->timeouts, sizeof p->timeouts);
        p->foreign = false;
    }
    for (size_t i = 0; i < cp->plan.n_del; i++) {
        ctpolicy_zones_remove(&cp->present, cp->plan.del[i]);
    }
    ctpolicy_zones_clear(&cp->owned);
    const struct ctpolicy_zone *w;
    HMAP_FOR_EACH (w, node, &cp->wanted.zones) {
        ctpolicy_zones_add(&cp->owned, w->zone);
    }
    VLOG_INFO("conntrack timeout policies on datapath %s: %"PRIuSIZE" set, "
              "%"PRIuSIZE" removed", cp->datapath, cp->plan.n_add,
              cp->plan.n_del);
    ctpolicy_succeed(cp);
}

static void
ctpolicy_step_done(struct ctpolicy *cp)
{
    enum ctpolicy_step step = cp->step;
    cp->step = STEP_IDLE;
    switch (step) {
    case STEP_READ:
        read_done(cp);
        break;
    case STEP_CREATE:
        if (!child_ok(cp)) {
            ctpolicy_fail(cp, child_error(cp));
        } else {
            VLOG_INFO("created the Datapath record of %s in %s",
                      cp->datapath, cp->ovsdb);
            spawn_read(cp);
        }
        break;
    case STEP_APPLY:
        apply_done(cp);
        break;
    case STEP_IDLE:
    default:
        OVS_NOT_REACHED();
    }
}

/* Creates the module.  With 'opts->ovsdb' NULL it applies nothing and
 * only answers "datapath-default"; otherwise it starts a pass at once,
 * which also removes the policies of services deleted while flowlbd was
 * not running. */
struct ctpolicy *
ctpolicy_create(struct event_base *base, const struct lb_model *model,
                const struct ctpolicy_options *opts)
{
    struct ctpolicy *cp = xzalloc(sizeof *cp);
    cp->base = base;
    cp->model = model;
    cp->ovsdb = nullable_xstrdup(opts->ovsdb);
    cp->ovs_vsctl = xstrdup(opts->ovs_vsctl ? opts->ovs_vsctl : "ovs-vsctl");
    cp->datapath = xstrdup(opts->datapath ? opts->datapath : "netdev");
    cp->note_key = xasprintf("flowlb-ct-zones-%s", cp->datapath);
    cp->retry_ms = opts->retry_ms > 0 ? opts->retry_ms : CTPOLICY_RETRY_MS;
    ctpolicy_zones_init(&cp->wanted);
    ctpolicy_zones_init(&cp->present);
    ctpolicy_zones_init(&cp->owned);
    cp->fd = -1;
    ds_init(&cp->output);
    cp->pass_event = event_new(base, -1, 0, pass_cb, cp);
    cp->retry_timer = evtimer_new(base, retry_cb, cp);
    cp->reap_timer = evtimer_new(base, reap_cb, cp);
    cp->kill_timer = evtimer_new(base, kill_cb, cp);
    if (cp->ovsdb) {
        event_active(cp->pass_event, EV_TIMEOUT, 1);
    }
    return cp;
}

void
ctpolicy_destroy(struct ctpolicy *cp)
{
    if (!cp) {
        return;
    }
    if (cp->pid > 0) {
        /* ovs-vsctl ends at once on SIGTERM; wait for it so that no
         * zombie is left. */
        kill(cp->pid, SIGTERM);
        waitpid(cp->pid, NULL, 0);
    }
    if (cp->read_event) {
        event_free(cp->read_event);
    }
    if (cp->fd >= 0) {
        close(cp->fd);
    }
    event_free(cp->pass_event);
    event_free(cp->retry_timer);
    event_free(cp->reap_timer);
    event_free(cp->kill_timer);
    ds_destroy(&cp->output);
    ctpolicy_plan_destroy(&cp->plan);
    ctpolicy_zones_destroy(&cp->wanted);
    ctpolicy_zones_destroy(&cp->present);
    ctpolicy_zones_destroy(&cp->owned);
    free(cp->ovsdb);
    free(cp->ovs_vsctl);
    free(cp->datapath);
    free(cp->note_key);
    free(cp->last_error);
    free(cp);
}

/* The model changed: one pass (deferred, so a burst of changes costs one)
 * after the running one, if any. */
void
ctpolicy_model_changed(struct ctpolicy *cp)
{
    if (cp->ovsdb) {
        cp->dirty = true;
        if (cp->step == STEP_IDLE) {
            event_active(cp->pass_event, EV_TIMEOUT, 1);
        }
    }
}

const char *
ctpolicy_service_state(const struct ctpolicy *cp,
                       const struct lb_service *svc)
{
    uint16_t zones[2];
    size_t n = ctpolicy_service_zones(svc, zones);
    if (!n) {
        return NULL;
    }
    if (!cp->ovsdb) {
        return "datapath-default";
    }

    uint32_t timeouts[CTPOLICY_N_KEYS];
    ctpolicy_service_timeouts(svc, timeouts);
    bool applied = true;
    for (size_t i = 0; i < n; i++) {
        const struct ctpolicy_zone *p = ctpolicy_zones_find(&cp->present,
                                                            zones[i]);
        if (!p || p->foreign
            || memcmp(p->timeouts, timeouts, sizeof timeouts)) {
            applied = false;
        }
    }
    return (applied ? "policy"
            : cp->last_error ? "failed"
            : "pending");
}

/* Adds "timeouts_applied" to NAT service 'svc''s JSON 'j' (in its
 * "status", if it has one). */
void
ctpolicy_decorate_service(json_t *j, const struct lb_service *svc,
                          const struct ctpolicy *cp)
{
    const char *state = ctpolicy_service_state(cp, svc);
    if (state) {
        json_t *status = json_object_get(j, "status");
        json_object_set_new(status ? status : j, "timeouts_applied",
                            json_string(state));
    }
}

/* Returns the "ct_policy" object of GET /v1/status. */
json_t *
ctpolicy_to_json(const struct ctpolicy *cp)
{
    const char *state = (!cp->ovsdb ? "off"
                         : cp->step != STEP_IDLE ? "running"
                         : cp->last_error ? "failed"
                         : cp->synced ? "idle"
                         : "pending");
    size_t n_applied = 0;
    const struct ctpolicy_zone *w;
    HMAP_FOR_EACH (w, node, &cp->wanted.zones) {
        const struct ctpolicy_zone *p = ctpolicy_zones_find(&cp->present,
                                                            w->zone);
        if (p && ctpolicy_zone_equal(w, p)) {
            n_applied++;
        }
    }

    json_t *j = json_object();
    json_object_set_new(j, "state", json_string(state));
    json_object_set_new(j, "ovsdb", cp->ovsdb ? json_string(cp->ovsdb)
                                              : json_null());
    json_object_set_new(j, "datapath", json_string(cp->datapath));
    json_object_set_new(j, "zones", json_integer(n_applied));
    json_object_set_new(j, "runs", json_integer(cp->n_runs));
    json_object_set_new(j, "failures", json_integer(cp->n_failures));
    json_object_set_new(j, "last_error", cp->last_error
                                         ? json_string(cp->last_error)
                                         : json_null());
    if (cp->last_success) {
        char *t = render_time(cp->last_success);
        json_object_set_new(j, "last_success", json_string(t));
        free(t);
    } else {
        json_object_set_new(j, "last_success", json_null());
    }
    return j;
}
