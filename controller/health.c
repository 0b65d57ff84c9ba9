/*
 * health: probes and passive sampling for dead host detection.  See
 * health.h; the decisions are health-fsm's.
 */
#include <config.h>
#include "flowlb/health.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include "csum.h"
#include "flowlb/counters.h"
#include "flowlb/health-fsm.h"
#include "flowlb/lb.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "random.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(health);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(20, 50);

/* Linux's raw ICMP socket filter (linux/icmp.h, which clashes with
 * glibc's netinet/ip_icmp.h): a bit set per ICMP type to drop. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
struct health_icmp_filter {
    uint32_t data;
};

/* The most of a status line we read. */
#define STATUS_LINE_MAX 512

/* What a target is configured to do.  A change of any of it restarts
 * the target's probing. */
struct probe_config {
    enum lb_monitor_type type;  /* LB_MONITOR_NONE: passive only. */
    int interval_ms;
    int timeout_ms;
    uint16_t port;              /* tcp and http; 0 if there is none. */
    char *path;                 /* http. */
    struct in6_addr addr;       /* IPv4-mapped for IPv4. */
};

/* Probing one member of one service. */
struct health_target {
    struct hmap_node node;      /* In health's 'targets'. */
    struct health *h;
    uint32_t svc_id;
    uint32_t member_id;
    bool wanted;                /* Scratch for health_model_changed(). */

    struct probe_config cfg;
    struct event *tick;         /* Starts the next probe. */
    struct event *deadline;     /* Ends the running probe. */

    /* The probe in progress, if 'running'. */
    bool running;
    long long int start_us;     /* Monotonic. */
    int fd;                     /* tcp and http, else -1. */
    struct event *io;           /* On 'fd'. */
    bool connected;
    char *request;              /* http: what is left to send... */
    size_t request_len;         /* ...and its length. */
    size_t request_sent;
    char reply[STATUS_LINE_MAX];
    size_t reply_len;
    bool icmp_pending;          /* icmp: in health's 'icmp_pending'... */
    struct hmap_node icmp_node; /* ...by sequence number. */
    uint16_t echo_seq;

    /* Passive detection, when the service has it. */
    bool passive;
    long long int passive_timeout_ms;
    struct hfsm_passive passive_state;
};

/* An ICMP or ICMPv6 socket. */
struct icmp_sock {
    int fd;                     /* -1: not open. */
    bool raw;                   /* Raw socket (else a ping socket). */
    int error;                  /* Why it could not be opened, or 0. */
    struct event *ev;
};

struct health {
    struct event_base *base;
    struct lb_model *model;
    struct hmap targets;        /* Contains "struct health_target"s. */
    struct hmap icmp_pending;   /* Targets with an echo outstanding. */
    struct icmp_sock icmp4, icmp6;
    uint16_t echo_id;
    uint16_t echo_next_seq;
    struct event *sample;       /* Passive sampling timer. */
    struct event *notify;       /* Calls 'changed', deferred. */
    void (*changed)(void *aux);
    void *aux;
};

static void tick_cb(evutil_socket_t, short, void *t_);
static void deadline_cb(evutil_socket_t, short, void *t_);
static void sample_cb(evutil_socket_t, short, void *h_);
static void notify_cb(evutil_socket_t, short, void *h_);
static void icmp_read_cb(evutil_socket_t, short, void *s_);

static struct timeval
ms_to_tv(long long int ms)
{
    return (struct timeval) { .tv_sec = ms / 1000,
                              .tv_usec = ms % 1000 * 1000 };
}

static double
elapsed_ms(const struct health_target *t)
{
    return (time_usec() - t->start_us) / 1000.0;
}

struct health *
health_create(struct event_base *base, struct lb_model *model,
              int sample_ms, void (*changed)(void *aux), void *aux)
{
    struct health *h = xzalloc(sizeof *h);
    h->base = base;
    h->model = model;
    hmap_init(&h->targets);
    hmap_init(&h->icmp_pending);
    h->icmp4.fd = h->icmp6.fd = -1;
    h->echo_id = random_uint32();
    h->echo_next_seq = random_uint32();
    h->changed = changed;
    h->aux = aux;
    h->notify = event_new(base, -1, 0, notify_cb, h);
    h->sample = event_new(base, -1, EV_PERSIST, sample_cb, h);
    struct timeval tv = ms_to_tv(MAX(sample_ms, 100));
    event_add(h->sample, &tv);
    health_model_changed(h);
    return h;
}

static void
icmp_sock_close(struct icmp_sock *s)
{
    if (s->fd >= 0) {
        event_free(s->ev);
        close(s->fd);
        s->fd = -1;
    }
}

static void target_destroy(struct health_target *);

void
health_destroy(struct health *h)
{
    if (h) {
        struct health_target *t;
        HMAP_FOR_EACH_SAFE (t, node, &h->targets) {
            target_destroy(t);
        }
        hmap_destroy(&h->targets);
        hmap_destroy(&h->icmp_pending);
        icmp_sock_close(&h->icmp4);
        icmp_sock_close(&h->icmp6);
        event_free(h->sample);
        event_free(h->notify);
        free(h);
    }
}

/* Schedules a call of 'changed' once the loop is idle. */
static void
notify(struct health *h)
{
    /* Activating an active event does nothing: one call per burst. */
    event_active(h->notify, EV_TIMEOUT, 0);
}

static void
notify_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *h_)
{
    struct health *h = h_;
    if (h->changed) {
        h->changed(h->aux);
    }
}

/* Looks up the service and member of 't' in the model; false if either
 * is gone. */
static bool
target_lookup(const struct health_target *t, struct lb_service **svcp,
              struct lb_member **mp)
{
    struct lb_service *svc = lb_service_find(t->h->model, t->svc_id);
    struct lb_member *m = svc ? lb_member_find(svc, t->member_id) : NULL;
    *svcp = svc;
    *mp = m;
    return m != NULL;
}

/* Records 'health' with 'reason' for member 'm' of 'svc' and tells the
 * owner. */
static void
set_health(struct health *h, struct lb_service *svc, struct lb_member *m,
           enum lb_health health, const char *reason)
{
    char addr[LB_ADDR_STRLEN];
    lb_format_address(&m->address, addr);
    VLOG_INFO_RL(&rl, "service %s member %"PRIu32" (%s): %s -> %s: %s",
                 svc->name, m->id, addr, lb_health_name(m->health),
                 lb_health_name(health), reason);
    lb_member_set_health(h->model, svc, m, health, reason,
                         time_wall_msec());
    COUNTER_INC(health_changes);
    notify(h);
}

/* The running probe of 't' is over: frees what it holds. */
static void
probe_stop(struct health_target *t)
{
    if (!t->running) {
        return;
    }
    t->running = false;
    event_del(t->deadline);
    if (t->io) {
        event_free(t->io);
        t->io = NULL;
    }
    if (t->fd >= 0) {
        /* Reset rather than close, so that probes leave no TIME_WAIT
         * sockets behind (as HAProxy's checks do). */
        struct linger linger = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
        close(t->fd);
        t->fd = -1;
    }
    free(t->request);
    t->request = NULL;
    if (t->icmp_pending) {
        hmap_remove(&t->h->icmp_pending, &t->icmp_node);
        t->icmp_pending = false;
    }
}

/* The probe of 't' ended with 'ok' (round trip 'rtt_ms' if ok) and
 * 'reason': feed it to the state machine. */
static void
probe_done(struct health_target *t, bool ok, double rtt_ms,
           const char *reason)
{
    struct health *h = t->h;
    struct lb_service *svc;
    struct lb_member *m;

    probe_stop(t);
    if (ok) {
        COUNTER_INC(health_probes_ok);
    } else {
        COUNTER_INC(health_probes_failed);
    }
    if (!target_lookup(t, &svc, &m) || svc->monitor.type == LB_MONITOR_NONE) {
        return;
    }
    VLOG_DBG("service %s member %"PRIu32": %s: %s", svc->name, m->id,
             ok ? "ok" : "failed", reason);

    if (ok) {
        m->rtt_ms = rtt_ms;
    }
    struct hfsm_step step = hfsm_probe(m->health, m->health_count, ok,
                                       svc->monitor.rise, svc->monitor.fall);
    if (step.health != m->health) {
        char *why = hfsm_reason(reason, step.streak);
        set_health(h, svc, m, step.health, why);
        free(why);
    }
    m->health_count = step.count;
}

static void
probe_fail(struct health_target *t, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

static void
probe_fail(struct health_target *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *reason = xvasprintf(format, args);
    va_end(args);
    probe_done(t, false, 0, reason);
    free(reason);
}

/* The probe of 't' could not be run for a reason of this host's, not the
 * member's (no ICMP socket without the privilege, out of file
 * descriptors): it says nothing about the member, whose health stays as
 * it is, rather than taking every member down at once. */
static void
probe_local_error(struct health_target *t, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

static void
probe_local_error(struct health_target *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *reason = xvasprintf(format, args);
    va_end(args);

    probe_stop(t);
    COUNTER_INC(health_probes_local_errors);
    VLOG_WARN_RL(&rl, "service %"PRIu32" member %"PRIu32": %s: probe not "
                 "run, health left as it is", t->svc_id, t->member_id,
                 reason);
    free(reason);
}

static const char *
type_name(const struct health_target *t)
{
    return lb_monitor_name(t->cfg.type);
}

static void
deadline_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *t_)
{
    struct health_target *t = t_;

    if (!t->running) {
        return;
    }
    switch (t->cfg.type) {
    case LB_MONITOR_ICMP:
        probe_fail(t, "icmp: no echo reply in %d ms", t->cfg.timeout_ms);
        break;
    case LB_MONITOR_TCP:
        probe_fail(t, "tcp connect: no answer in %d ms", t->cfg.timeout_ms);
        break;
    case LB_MONITOR_HTTP:
        probe_fail(t, "http: %s in %d ms",
                   t->connected ? "no status line" : "no connection",
                   t->cfg.timeout_ms);
        break;
    case LB_MONITOR_NONE:
    default:
        OVS_NOT_REACHED();
    }
}

/* ICMP. */

static bool
target_is_ipv4(const struct health_target *t)
{
    return IN6_IS_ADDR_V4MAPPED(&t->cfg.addr);
}

/* Opens the ICMP socket for IPv4 ('v4') or IPv6, raw if allowed, else a
 * ping socket.  Returns 0 or an errno. */
static int
icmp_sock_open(struct health *h, bool v4)
{
    struct icmp_sock *s = v4 ? &h->icmp4 : &h->icmp6;
    int family = v4 ? AF_INET : AF_INET6;
    int proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;

    if (s->fd >= 0) {
        return 0;
    }
    s->raw = true;
    s->fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (s->fd < 0 && (errno == EPERM || errno == EACCES)) {
        s->raw = false;
        s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       proto);
    }
    if (s->fd < 0) {
        int error = errno;
        if (error != s->error) {
            VLOG_WARN("cannot open an %s socket for health probes: %s",
                      v4 ? "ICMP" : "ICMPv6", ovs_strerror(error));
        }
        s->error = error;
        return error;
    }
    s->error = 0;

    /* Raw sockets see every ICMP message the host receives: let only
     * echo replies through. */
    if (s->raw && v4) {
        struct health_icmp_filter filter = { ~(1u << ICMP_ECHOREPLY) };
        setsockopt(s->fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
    } else if (s->raw) {
        struct icmp6_filter filter;
        ICMP6_FILTER_SETBLOCKALL(&filter);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
        setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter,
                   sizeof filter);
    }
    s->ev = event_new(h->base, s->fd, EV_READ | EV_PERSIST, icmp_read_cb, h);
    event_add(s->ev, NULL);
    return 0;
}

static struct health_target *
icmp_find(const struct health *h, uint16_t seq)
{
    struct health_target *t;
    HMAP_FOR_EACH_WITH_HASH (t, icmp_node, hash_int(seq, 0),
                             &h->icmp_pending) {
        if (t->echo_seq == seq) {
            return t;
        }
    }
    return NULL;
}

static void
icmp_probe(struct health_target *t)
{
    struct health *h = t->h;
    bool v4 = target_is_ipv4(t);
    int error = icmp_sock_open(h, v4);
    if (error) {
        probe_local_error(t, "icmp: socket: %s", ovs_strerror(error));
        return;
    }

    /* A sequence number no other outstanding echo has. */
    do {
        t->echo_seq = h->echo_next_seq++;
    } while (icmp_find(h, t->echo_seq));
    hmap_insert(&h->icmp_pending, &t->icmp_node, hash_int(t->echo_seq, 0));
    t->icmp_pending = true;

    /* Type, code, checksum, identifier, sequence, then a payload that
     * says who sent it. */
    uint8_t msg[8 + 16];
    memset(msg, 0, sizeof msg);
    msg[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
    msg[4] = h->echo_id >> 8;
    msg[5] = h->echo_id;
    msg[6] = t->echo_seq >> 8;
    msg[7] = t->echo_seq;
    memcpy(&msg[8], "flowlb-health", 13);
    if (v4) {
        /* The kernel computes ICMPv6 checksums itself, not ICMPv4's. */
        ovs_be16 sum = csum(msg, sizeof msg);
        memcpy(&msg[2], &sum, sizeof sum);
    }

    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (v4) {
        struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, &t->cfg.addr.s6_addr[12], 4);
        len = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = t->cfg.addr;
        len = sizeof *sin6;
    }
    t->start_us = time_usec();
    struct icmp_sock *s = v4 ? &h->icmp4 : &h->icmp6;
    if (sendto(s->fd, msg, sizeof msg, 0, (struct sockaddr *) &ss, len)
        < 0) {
        probe_fail(t, "icmp: send: %s", ovs_strerror(errno));
    }
}

/* Handles one datagram from ICMP socket 's' ('v4' or ICMPv6). */
static void
icmp_receive(struct health *h, const struct icmp_sock *s, bool v4,
             const uint8_t *buf, size_t n, const struct sockaddr_storage *ss)
{
    /* A raw IPv4 socket gives the IP header too. */
    if (v4 && s->raw) {
        if (n < 20 || (buf[0] >> 4) != 4 || (buf[0] & 0xf) * 4 > n) {
            return;
        }
        size_t ihl = (buf[0] & 0xf) * 4;
        buf += ihl;
        n -= ihl;
    }
    if (n < 8 || buf[0] != (v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY)) {
        return;
    }
    uint16_t id = (buf[4] << 8) | buf[5];
    uint16_t seq = (buf[6] << 8) | buf[7];
    /* A ping socket's identifier is the kernel's choice, and the kernel
     * gives such a socket only its own replies. */
    if (s->raw && id != h->echo_id) {
        return;
    }
    struct health_target *t = icmp_find(h, seq);
    if (!t || !t->running || target_is_ipv4(t) != v4) {
        return;
    }
    struct in6_addr from;
    if (v4) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
        from = in6_addr_mapped_ipv4(sin->sin_addr.s_addr);
    } else {
        from = ((const struct sockaddr_in6 *) ss)->sin6_addr;
    }
    if (!ipv6_addr_equals(&from, &t->cfg.addr)) {
        return;
    }
    probe_done(t, true, elapsed_ms(t), "icmp: echo reply");
}

static void
icmp_read_cb(evutil_socket_t fd, short what OVS_UNUSED, void *h_)
{
    struct health *h = h_;
    bool v4 = fd == h->icmp4.fd;
    const struct icmp_sock *s = v4 ? &h->icmp4 : &h->icmp6;

    /* Bounded: at most 64 datagrams per callback. */
    for (int i = 0; i < 64; i++) {
        uint8_t buf[1500];
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0,
                             (struct sockaddr *) &ss, &len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                VLOG_WARN_RL(&rl, "ICMP receive: %s", ovs_strerror(errno));
            }
            return;
        }
        icmp_receive(h, s, v4, buf, n, &ss);
    }
}

/* TCP and HTTP. */

static void stream_cb(evutil_socket_t, short, void *t_);

/* Waits for 'what' (EV_READ or EV_WRITE) on the probe's socket. */
static void
stream_wait(struct health_target *t, short what)
{
    if (t->io) {
        event_free(t->io);
    }
    t->io = event_new(t->h->base, t->fd, what, stream_cb, t);
    event_add(t->io, NULL);
}

/* Parses the status line in 't''s reply and finishes the probe. */
static void
http_status_line(struct health_target *t, const struct lb_service *svc)
{
    const char *p = t->reply;
    int status = 0;

    if (!strncmp(p, "HTTP/", 5)) {
        p += strcspn(p, " \r\n");
        if (*p == ' ') {
            p++;
            if (p[0] >= '1' && p[0] <= '5' && isdigit((unsigned char) p[1])
                && isdigit((unsigned char) p[2])
                && (p[3] == ' ' || p[3] == '\r' || p[3] == '\n')) {
                status = (p[0] - '0') * 100 + (p[1] - '0') * 10
                         + (p[2] - '0');
            }
        }
    }
    if (!status) {
        size_t len = strcspn(t->reply, "\r\n");
        probe_fail(t, "http: bad status line \"%.*s\"", (int) MIN(len, 64),
                   t->reply);
    } else if (status != svc->monitor.expect_status) {
        probe_fail(t, "http: status %d, expected %d", status,
                   svc->monitor.expect_status);
    } else {
        char *reason = xasprintf("http: status %d", status);
        probe_done(t, true, elapsed_ms(t), reason);
        free(reason);
    }
}

static void
stream_cb(evutil_socket_t fd, short what OVS_UNUSED, void *t_)
{
    struct health_target *t = t_;
    struct lb_service *svc;
    struct lb_member *m;
    bool http = t->cfg.type == LB_MONITOR_HTTP;

    if (!t->connected) {
        int error = 0;
        socklen_t len = sizeof error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) {
            error = errno;
        }
        if (error == EINPROGRESS || error == EALREADY) {
            stream_wait(t, EV_WRITE);
            return;
        } else if (error) {
            probe_fail(t, "%s connect: %s", type_name(t),
                       ovs_strerror(error));
            return;
        }
        t->connected = true;
        if (!http) {
            probe_done(t, true, elapsed_ms(t), "tcp: connected");
            return;
        }
    }

    if (!target_lookup(t, &svc, &m)) {
        probe_stop(t);
        return;
    }

    if (t->request_sent < t->request_len) {
        ssize_t n = send(fd, t->request + t->request_sent,
                         t->request_len - t->request_sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                stream_wait(t, EV_WRITE);
            } else {
                probe_fail(t, "http: send: %s", ovs_strerror(errno));
            }
            return;
        }
        t->request_sent += n;
        stream_wait(t, t->request_sent < t->request_len ? EV_WRITE : EV_READ);
        return;
    }

    ssize_t n = recv(fd, t->reply + t->reply_len,
                     sizeof t->reply - 1 - t->reply_len, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            stream_wait(t, EV_READ);
        } else {
            probe_fail(t, "http: receive: %s", ovs_strerror(errno));
        }
        return;
    }
    t->reply_len += n;
    t->reply[t->reply_len] = '\0';
    if (memchr(t->reply, '\n', t->reply_len)) {
        http_status_line(t, svc);
    } else if (!n) {
        probe_fail(t, "http: connection closed before a status line");
    } else if (t->reply_len >= sizeof t->reply - 1) {
        probe_fail(t, "http: status line longer than %d bytes",
                   STATUS_LINE_MAX - 1);
    } else {
        stream_wait(t, EV_READ);
    }
}

static void
stream_probe(struct health_target *t)
{
    bool v4 = target_is_ipv4(t);
    struct sockaddr_storage ss;
    socklen_t len;
    char host[LB_ADDR_STRLEN];

    if (!t->cfg.port) {
        probe_local_error(t, "%s: no port to probe", type_name(t));
        return;
    }
    memset(&ss, 0, sizeof ss);
    if (v4) {
        struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, &t->cfg.addr.s6_addr[12], 4);
        sin->sin_port = htons(t->cfg.port);
        len = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = t->cfg.addr;
        sin6->sin6_port = htons(t->cfg.port);
        len = sizeof *sin6;
    }

    t->connected = false;
    t->reply_len = 0;
    t->request_sent = 0;
    if (t->cfg.type == LB_MONITOR_HTTP) {
        /* Host carries the port when it is not HTTP's. */
        char port[8] = "";
        if (t->cfg.port != 80) {
            snprintf(port, sizeof port, ":%u", t->cfg.port);
        }
        lb_format_address(&t->cfg.addr, host);
        t->request = xasprintf("GET %s HTTP/1.0\r\n"
                               "Host: %s%s%s%s\r\n"
                               "User-Agent: flowlb-health\r\n"
                               "\r\n",
                               t->cfg.path ? t->cfg.path : "/",
                               v4 ? "" : "[", host, v4 ? "" : "]", port);
        t->request_len = strlen(t->request);
    }

    t->start_us = time_usec();
    t->fd = socket(v4 ? AF_INET : AF_INET6,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0) {
        probe_local_error(t, "%s: socket: %s", type_name(t),
                          ovs_strerror(errno));
        return;
    }
    if (connect(t->fd, (struct sockaddr *) &ss, len) < 0
        && errno != EINPROGRESS) {
        probe_fail(t, "%s connect: %s", type_name(t), ovs_strerror(errno));
        return;
    }
    /* Writable once connected, or with the error. */
    stream_wait(t, EV_WRITE);
}

/* Scheduling. */

static void
tick_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *t_)
{
    struct health_target *t = t_;

    if (t->running) {
        /* The timeout equals the interval and this fired first. */
        deadline_cb(-1, 0, t);
    }
    struct timeval tv = ms_to_tv(t->cfg.interval_ms);
    event_add(t->tick, &tv);

    t->running = true;
    t->fd = -1;
    COUNTER_INC(health_probes);
    tv = ms_to_tv(t->cfg.timeout_ms);
    event_add(t->deadline, &tv);
    if (t->cfg.type == LB_MONITOR_ICMP) {
        icmp_probe(t);
    } else {
        stream_probe(t);
    }
}

/* The port a tcp or http monitor of 'svc' probes on 'm' (contract: the
 * monitor's port, else the member's, else the service's first, else 80
 * for http), or 0 if there is none. */
static uint16_t
probe_port(const struct lb_service *svc, const struct lb_member *m)
{
    if (svc->monitor.port) {
        return svc->monitor.port;
    } else if (m->port) {
        return m->port;
    } else if (svc->n_ports) {
        return svc->ports[0];
    } else if (svc->monitor.type == LB_MONITOR_HTTP) {
        return 80;
    }
    return 0;
}

static void
config_from_model(struct probe_config *cfg, const struct lb_service *svc,
                  const struct lb_member *m)
{
    const struct lb_monitor *mon = &svc->monitor;

    memset(cfg, 0, sizeof *cfg);
    cfg->type = mon->type;
    cfg->addr = m->address;
    if (mon->type != LB_MONITOR_NONE) {
        cfg->interval_ms = MAX(mon->interval_ms, 100);
        cfg->timeout_ms = MAX(MIN(mon->timeout_ms, cfg->interval_ms), 1);
        if (mon->type != LB_MONITOR_ICMP) {
            cfg->port = probe_port(svc, m);
        }
        if (mon->type == LB_MONITOR_HTTP) {
            cfg->path = mon->path;      /* Not owned until stored. */
        }
    }
}

static bool
config_equal(const struct probe_config *a, const struct probe_config *b)
{
    return (a->type == b->type
            && a->interval_ms == b->interval_ms
            && a->timeout_ms == b->timeout_ms
            && a->port == b->port
            && ipv6_addr_equals(&a->addr, &b->addr)
            && !strcmp(a->path ? a->path : "", b->path ? b->path : ""));
}

/* (Re)starts 't''s probes with 'cfg': the first one at a random point of
 * the first interval. */
static void
target_configure(struct health_target *t, const struct probe_config *cfg)
{
    probe_stop(t);
    free(t->cfg.path);
    t->cfg = *cfg;
    t->cfg.path = nullable_xstrdup(cfg->path);
    event_del(t->tick);
    if (t->cfg.type != LB_MONITOR_NONE) {
        struct timeval tv = ms_to_tv(random_range(t->cfg.interval_ms));
        event_add(t->tick, &tv);
    }
}

static struct health_target *
target_find(const struct health *h, uint32_t svc_id, uint32_t member_id)
{
    struct health_target *t;
    HMAP_FOR_EACH_WITH_HASH (t, node, hash_2words(svc_id, member_id),
                             &h->targets) {
        if (t->svc_id == svc_id && t->member_id == member_id) {
            return t;
        }
    }
    return NULL;
}

static struct health_target *
target_create(struct health *h, uint32_t svc_id, uint32_t member_id)
{
    struct health_target *t = xzalloc(sizeof *t);
    t->h = h;
    t->svc_id = svc_id;
    t->member_id = member_id;
    t->fd = -1;
    t->tick = event_new(h->base, -1, 0, tick_cb, t);
    t->deadline = event_new(h->base, -1, 0, deadline_cb, t);
    hfsm_passive_init(&t->passive_state);
    hmap_insert(&h->targets, &t->node, hash_2words(svc_id, member_id));
    return t;
}

static void
target_destroy(struct health_target *t)
{
    probe_stop(t);
    hmap_remove(&t->h->targets, &t->node);
    event_free(t->tick);
    event_free(t->deadline);
    free(t->cfg.path);
    free(t);
}

/* Passive detection applies to NAT and NAPT services only: the switches
 * see no replies of a DSR member. */
static bool
passive_enabled(const struct lb_service *svc)
{
    return svc->passive_timeout > 0 && lb_service_is_nat(svc);
}

void
health_model_changed(struct health *h)
{
    struct health_target *t;
    struct lb_service *svc;

    HMAP_FOR_EACH (t, node, &h->targets) {
        t->wanted = false;
    }

    HMAP_FOR_EACH (svc, node, &h->model->services) {
        bool passive = passive_enabled(svc);
        if (svc->monitor.type == LB_MONITOR_NONE && !passive) {
            continue;
        }
        struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            t = target_find(h, svc->id, m->id);
            if (!t) {
                /* Its zeroed configuration differs from any member's
                 * (the address ::), so it is configured below. */
                t = target_create(h, svc->id, m->id);
            }
            t->wanted = true;

            struct probe_config cfg;
            config_from_model(&cfg, svc, m);
            if (!config_equal(&cfg, &t->cfg)) {
                target_configure(t, &cfg);
            }

            if (passive != t->passive) {
                hfsm_passive_init(&t->passive_state);
                t->passive = passive;
            }
            t->passive_timeout_ms = svc->passive_timeout * 1000LL;
        }
    }

    HMAP_FOR_EACH_SAFE (t, node, &h->targets) {
        if (!t->wanted) {
            target_destroy(t);
        }
    }
}

static void
sample_cb(evutil_socket_t fd OVS_UNUSED, short what OVS_UNUSED, void *h_)
{
    struct health *h = h_;
    long long int now = time_msec();
    struct health_target *t;

    HMAP_FOR_EACH (t, node, &h->targets) {
        struct lb_service *svc;
        struct lb_member *m;
        if (!t->passive || !target_lookup(t, &svc, &m)) {
            continue;
        }

        char *reason;
        enum hfsm_verdict v = hfsm_passive_sample(
            &t->passive_state, now, m->n_packets, m->n_reply_packets,
            m->health, svc->monitor.type != LB_MONITOR_NONE,
            t->passive_timeout_ms, &reason);
        switch (v) {
        case HFSM_NONE:
            break;
        case HFSM_DOWN:
            COUNTER_INC(health_passive_down);
            set_health(h, svc, m, LB_HEALTH_DOWN, reason);
            m->health_count = 0;
            break;
        case HFSM_UP:
            set_health(h, svc, m, LB_HEALTH_UP, reason);
            m->health_count = 0;
            break;
        case HFSM_RETRY:
            set_health(h, svc, m, LB_HEALTH_UNKNOWN, reason);
            m->health_count = 0;
            break;
        default:
            OVS_NOT_REACHED();
        }
        free(reason);
    }
}
