/*
 * rest: the REST API.  See rest.h.
 *
 * Routing is a table of path patterns; a route names the methods it allows
 * so that a known path with the wrong method answers 405 with an Allow
 * header, and an unknown path 404.  Handlers build JSON with render.
 */
#include <config.h>
#include "flowlb/rest.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include "flowlb/addr.h"
#include "flowlb/counters.h"
#include "flowlb/render.h"
#include "flowlb/switch.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(rest);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

struct rest {
    struct event_base *base;
    struct evhttp *http;
    const struct render_status *status;
};

/* The answer a handler builds: an HTTP status and a JSON body. */
struct rest_reply {
    int status;
    json_t *body;
};

static void
reply_error(struct rest_reply *reply, int status, const char *field,
            const char *format, ...)
    OVS_PRINTF_FORMAT(4, 5);

static void
reply_error(struct rest_reply *reply, int status, const char *field,
            const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *message = xvasprintf(format, args);
    va_end(args);

    reply->status = status;
    reply->body = render_error(status, field, message);
    free(message);
}

/* Handlers.  'arg' is the path segment a route's "*" matched, or NULL. */

static void
get_switches(struct rest *rest, const char *arg OVS_UNUSED,
             struct rest_reply *reply)
{
    reply->body = render_switches(rest->status->switches, time_wall_msec());
}

static void
get_switch(struct rest *rest, const char *arg, struct rest_reply *reply)
{
    uint64_t dpid;
    if (switch_parse_dpid(arg, &dpid)) {
        reply_error(reply, 400, "dpid", "\"%s\" is not a datapath id: use "
                    "1 to 16 hex digits, e.g. 0000000000000001", arg);
        return;
    }
    const struct switch_entry *sw = switch_find(rest->status->switches, dpid);
    if (!sw) {
        reply_error(reply, 404, "dpid", "no switch with datapath id "
                    "%016"PRIx64, dpid);
        return;
    }
    reply->body = render_switch(sw, time_wall_msec());
}

static void
get_status(struct rest *rest, const char *arg OVS_UNUSED,
           struct rest_reply *reply)
{
    reply->body = render_status(rest->status, &flowlb_counters,
                                time_wall_msec());
}

/* A resource.  The methods it allows follow from the handlers it has: a
 * 'get' handler serves GET and HEAD. */
struct route {
    const char *pattern;        /* "*" matches one nonempty path segment. */
    void (*get)(struct rest *, const char *arg, struct rest_reply *);
};

static const struct route routes[] = {
    { "/v1/switches", get_switches },
    { "/v1/switches/*", get_switch },
    { "/v1/status", get_status },
};

/* Returns the value of the Allow header for 'route'. */
static const char *
route_allow(const struct route *route)
{
    return route->get ? "GET, HEAD" : "";
}

/* Matches 'path' against 'pattern'.  On a match returns true and, if the
 * pattern has a "*", stores the segment it matched into 'arg' (of size
 * 'arg_size'). */
static bool
route_match(const char *pattern, const char *path, char *arg, size_t arg_size)
{
    const char *star = strchr(pattern, '*');
    if (!star) {
        return !strcmp(pattern, path);
    }

    size_t prefix = star - pattern;
    if (strncmp(pattern, path, prefix)) {
        return false;
    }
    const char *seg = path + prefix;
    size_t len = strcspn(seg, "/");
    if (!len || seg[len] || len >= arg_size) {
        return false;
    }
    memcpy(arg, seg, len);
    arg[len] = '\0';
    return true;
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "?";
}

static const char *
reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    default: return status < 500 ? "Client Error" : "Server Error";
    }
}

static void
rest_dispatch(struct rest *rest, struct evhttp_request *req,
              struct rest_reply *reply)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

    if (!path || !*path) {
        path = "/";
    }
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
        char arg[128];
        const struct route *route = &routes[i];
        if (!route_match(route->pattern, path, arg, sizeof arg)) {
            continue;
        }
        if (!route->get
            || (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)) {
            const char *allow = route_allow(route);
            evhttp_add_header(evhttp_request_get_output_headers(req),
                              "Allow", allow);
            reply_error(reply, 405, NULL, "%s does not allow %s; allowed: %s",
                        path, method_name(cmd), allow);
            return;
        }
        route->get(rest, strchr(route->pattern, '*') ? arg : NULL, reply);
        return;
    }
    reply_error(reply, 404, NULL, "no such resource: %s", path);
}

static void
rest_request_cb(struct evhttp_request *req, void *rest_)
{
    struct rest *rest = rest_;
    struct rest_reply reply = { .status = 200, .body = NULL };

    COUNTER_INC(rest_requests);
    rest_dispatch(rest, req, &reply);
    if (reply.status >= 400) {
        COUNTER_INC(rest_errors);
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
        VLOG_INFO_RL(&rl, "%s %s: %d", method_name(
                         evhttp_request_get_command(req)),
                     uri && evhttp_uri_get_path(uri)
                     ? evhttp_uri_get_path(uri) : "?", reply.status);
    }

    char *text = json_dumps(reply.body, JSON_INDENT(2) | JSON_SORT_KEYS);
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add_printf(buf, "%s\n", text);
    evhttp_add_header(evhttp_request_get_output_headers(req),
                      "Content-Type", "application/json");
    evhttp_send_reply(req, reply.status, reason_phrase(reply.status), buf);
    evbuffer_free(buf);
    free(text);
    json_decref(reply.body);
}

struct rest *
rest_create(struct event_base *base, const struct render_status *status)
{
    struct rest *rest = xzalloc(sizeof *rest);
    rest->base = base;
    rest->status = status;
    rest->http = evhttp_new(base);
    evhttp_set_allowed_methods(rest->http,
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST
                               | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT
                               | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH
                               | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(rest->http, rest_request_cb, rest);
    /* Requests are small; refuse what is not. */
    evhttp_set_max_body_size(rest->http, 1024 * 1024);
    evhttp_set_max_headers_size(rest->http, 64 * 1024);
    evhttp_set_timeout(rest->http, 30);
    return rest;
}

/* Listens for HTTP on 'address', "IP:PORT" or "[IPv6]:PORT" (port 0 picks
 * a free one).  On success stores the address actually bound in '*bound'
 * (if nonnull), for the caller to free, and returns 0; otherwise returns a
 * positive errno. */
int
rest_listen(struct rest *rest, const char *address, char **bound)
{
    struct sockaddr_storage ss;
    socklen_t socklen;

    if (addr_parse_ip_port(address, &ss, &socklen)) {
        VLOG_ERR("%s: REST address must be IP:PORT", address);
        return EINVAL;
    }

    evutil_socket_t fd = socket(ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0
        || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
        || bind(fd, (struct sockaddr *) &ss, socklen)
        || listen(fd, 64)
        || evutil_make_socket_nonblocking(fd)
        || evutil_make_socket_closeonexec(fd)
        || !evhttp_accept_socket_with_handle(rest->http, fd)) {
        int error = errno;
        VLOG_ERR("%s: cannot listen for REST: %s", address,
                 ovs_strerror(error));
        if (fd >= 0) {
            evutil_closesocket(fd);
        }
        return error ? error : EINVAL;
    }

    struct sockaddr_storage local;
    socklen_t local_len = sizeof local;
    getsockname(fd, (struct sockaddr *) &local, &local_len);
    char *name = addr_format_ip_port((struct sockaddr *) &local);
    VLOG_INFO("REST API listening on http://%s", name);
    if (bound) {
        *bound = name;
    } else {
        free(name);
    }
    return 0;
}

void
rest_destroy(struct rest *rest)
{
    if (rest) {
        evhttp_free(rest->http);
        free(rest);
    }
}
