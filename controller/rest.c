/*
 * rest: the REST API.  See rest.h.
 *
 * Routing is a table of path patterns, each with a handler per method; the
 * methods a route allows follow from the handlers it has, so that a known
 * path with the wrong method answers 405 with an Allow header, and an
 * unknown path 404.  Bodies of POST, PUT and PATCH are parsed here, once,
 * and must be JSON objects; lb validates their fields.  Handlers build JSON
 * with render and lb.
 */
#include <config.h>
#include "flowlb/rest.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include "flowlb/addr.h"
#include "flowlb/counters.h"
#include "flowlb/lb.h"
#include "flowlb/render.h"
#include "flowlb/store.h"
#include "flowlb/switch.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(rest);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

struct rest {
    struct event_base *base;
    struct evhttp *http;
    const struct render_status *status;
    struct lb_model *model;
    char *state_path;
    struct store *store;        /* Writes 'state_path'. */
    struct rest_hooks hooks;
};

/* The answer a handler builds: an HTTP status, a JSON body (NULL for 204)
 * and, for 201, the new resource's path. */
struct rest_reply {
    int status;
    json_t *body;
    char *location;
};

/* One request as handlers see it. */
#define REST_MAX_ARGS 2
#define REST_ARG_SIZE 128
struct rest_call {
    /* The path segments that the route's "*"s matched, in order. */
    char args[REST_MAX_ARGS][REST_ARG_SIZE];

    /* For POST, PUT and PATCH: the body, a JSON object. */
    json_t *body;

    struct rest_reply reply;
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

/* Answers with 'error' and clears it. */
static void
reply_lb_error(struct rest_reply *reply, struct lb_error *error)
{
    reply->status = error->status;
    reply->body = render_error(error->status, error->field, error->message);
    lb_error_clear(error);
}

/* Handlers of the read-only views. */

static void
get_switches(struct rest *rest, struct rest_call *call)
{
    call->reply.body = render_switches(rest->status->switches,
                                       time_wall_msec());
}

static void
get_switch(struct rest *rest, struct rest_call *call)
{
    const char *arg = call->args[0];
    uint64_t dpid;

    if (switch_parse_dpid(arg, &dpid)) {
        reply_error(&call->reply, 400, "dpid", "\"%s\" is not a datapath "
                    "id: use 1 to 16 hex digits, e.g. 0000000000000001",
                    arg);
        return;
    }
    const struct switch_entry *sw = switch_find(rest->status->switches, dpid);
    if (!sw) {
        reply_error(&call->reply, 404, "dpid", "no switch with datapath id "
                    "%016"PRIx64, dpid);
        return;
    }
    call->reply.body = render_switch(sw, time_wall_msec());
    if (rest->hooks.decorate_switch) {
        rest->hooks.decorate_switch(call->reply.body, dpid, rest->hooks.aux);
    }
}

static void
get_status(struct rest *rest, struct rest_call *call)
{
    call->reply.body = render_status(rest->status, &flowlb_counters,
                                     time_wall_msec());
    if (rest->hooks.decorate_status) {
        rest->hooks.decorate_status(call->reply.body, rest->hooks.aux);
    }
}

/* Services and members. */

static json_t *
service_json(const struct rest *rest, const struct lb_service *svc)
{
    json_t *j = lb_service_to_json(svc);
    if (rest->hooks.decorate_service) {
        rest->hooks.decorate_service(j, svc, rest->hooks.aux);
    }
    return j;
}

/* Finds the service that path segment 'args[0]' names, by id or name.  If
 * there is none, answers 404 and returns NULL. */
static struct lb_service *
find_service(const struct rest *rest, struct rest_call *call)
{
    const char *arg = call->args[0];
    struct lb_service *svc = lb_service_lookup(rest->model, arg);
    if (!svc) {
        reply_error(&call->reply, 404, "id", "no service \"%s\": name a "
                    "service by its id or its name", arg);
    }
    return svc;
}

/* Finds the member of 'svc' that path segment 'args[1]' names by its id.  If
 * there is none, answers 404 and returns NULL. */
static struct lb_member *
find_member(struct rest_call *call, const struct lb_service *svc)
{
    const char *arg = call->args[1];
    size_t len = strlen(arg);
    struct lb_member *m = NULL;

    if (len <= 5 && strspn(arg, "0123456789") == len) {
        unsigned long int id = strtoul(arg, NULL, 10);
        m = id <= LB_MEMBER_ID_MAX ? lb_member_find(svc, id) : NULL;
    }
    if (!m) {
        reply_error(&call->reply, 404, "mid", "service %"PRIu32" has no "
                    "member \"%s\": name a member by its id", svc->id, arg);
    }
    return m;
}

/* Saves the model after a change that 'snap' undoes.  On success, tells
 * the hooks and returns true.  On failure, undoes the change, answers 500
 * and returns false: then any pointer into the changed service is stale.
 * Consumes 'snap' either way. */
static bool
commit(struct rest *rest, struct lb_snapshot *snap, struct rest_call *call)
{
    int error = store_write(rest->store, rest->model);
    if (error) {
        COUNTER_INC(state_save_failures);
        lb_snapshot_restore(rest->model, snap);
        reply_error(&call->reply, 500, NULL, "cannot save the state file "
                    "%s (%s), so the change was not made",
                    rest->state_path, ovs_strerror(error));
        return false;
    }
    lb_snapshot_destroy(snap);
    COUNTER_INC(rest_changes);
    if (rest->hooks.changed) {
        rest->hooks.changed(rest->hooks.aux);
    }
    return true;
}

static void
get_services(struct rest *rest, struct rest_call *call)
{
    size_t n;
    const struct lb_service **list = lb_model_sorted(rest->model, &n);
    json_t *array = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(array, service_json(rest, list[i]));
    }
    free(list);
    call->reply.body = json_pack("{s:o}", "services", array);
}

static void
post_services(struct rest *rest, struct rest_call *call)
{
    /* The hash basis is the service's secret (RFC 7098 section 5). */
    uint64_t hash_basis;
    if (getrandom(&hash_basis, sizeof hash_basis, 0) != sizeof hash_basis) {
        reply_error(&call->reply, 500, NULL, "cannot get random bytes: %s",
                    ovs_strerror(errno));
        return;
    }

    struct lb_model *model = rest->model;
    struct lb_snapshot *snap = lb_snapshot_take(model,
                                                model->next_service_id);
    struct lb_error error = { .status = 0 };
    struct lb_service *svc;
    if (lb_service_create(model, call->body, hash_basis, &svc, &error)) {
        lb_snapshot_destroy(snap);
        reply_lb_error(&call->reply, &error);
        return;
    }
    if (commit(rest, snap, call)) {
        VLOG_INFO("service %"PRIu32" (%s) created", svc->id, svc->name);
        call->reply.status = 201;
        call->reply.location = xasprintf("/v1/services/%"PRIu32, svc->id);
        call->reply.body = service_json(rest, svc);
    }
}

static void
get_service(struct rest *rest, struct rest_call *call)
{
    struct lb_service *svc = find_service(rest, call);
    if (svc) {
        call->reply.body = service_json(rest, svc);
    }
}

/* PUT if 'patch' is false, else PATCH, of a service. */
static void
change_service(struct rest *rest, struct rest_call *call, bool patch)
{
    struct lb_service *svc = find_service(rest, call);
    if (!svc) {
        return;
    }

    struct lb_snapshot *snap = lb_snapshot_take(rest->model, svc->id);
    struct lb_error error = { .status = 0 };
    int status = (patch
                  ? lb_service_patch(rest->model, svc, call->body, &error)
                  : lb_service_put(rest->model, svc, call->body, &error));
    if (status) {
        lb_snapshot_destroy(snap);
        reply_lb_error(&call->reply, &error);
        return;
    }
    if (commit(rest, snap, call)) {
        VLOG_INFO("service %"PRIu32" (%s) changed", svc->id, svc->name);
        call->reply.body = service_json(rest, svc);
    }
}

static void
put_service(struct rest *rest, struct rest_call *call)
{
    change_service(rest, call, false);
}

static void
patch_service(struct rest *rest, struct rest_call *call)
{
    change_service(rest, call, true);
}

static void
delete_service(struct rest *rest, struct rest_call *call)
{
    struct lb_service *svc = find_service(rest, call);
    if (!svc) {
        return;
    }

    uint32_t id = svc->id;
    struct lb_snapshot *snap = lb_snapshot_take(rest->model, id);
    lb_service_delete(rest->model, svc);
    if (commit(rest, snap, call)) {
        VLOG_INFO("service %"PRIu32" deleted", id);
        call->reply.status = 204;
    }
}

static void
get_members(struct rest *rest, struct rest_call *call)
{
    struct lb_service *svc = find_service(rest, call);
    if (svc) {
        json_t *array = json_array();
        const struct lb_member *m;
        LIST_FOR_EACH (m, node, &svc->members) {
            json_array_append_new(array, lb_member_to_json(m));
        }
        call->reply.body = json_pack("{s:o}", "members", array);
    }
}

static void
post_members(struct rest *rest, struct rest_call *call)
{
    struct lb_service *svc = find_service(rest, call);
    if (!svc) {
        return;
    }

    struct lb_snapshot *snap = lb_snapshot_take(rest->model, svc->id);
    struct lb_error error = { .status = 0 };
    struct lb_member *m;
    if (lb_member_create(rest->model, svc, call->body, &m, &error)) {
        lb_snapshot_destroy(snap);
        reply_lb_error(&call->reply, &error);
        return;
    }
    if (commit(rest, snap, call)) {
        VLOG_INFO("service %"PRIu32" (%s): member %"PRIu32" created",
                  svc->id, svc->name, m->id);
        call->reply.status = 201;
        call->reply.location = xasprintf("/v1/services/%"PRIu32
                                         "/members/%"PRIu32, svc->id, m->id);
        call->reply.body = lb_member_to_json(m);
    }
}

static void
get_member(struct rest *rest, struct rest_call *call)
{
    struct lb_service *svc = find_service(rest, call);
    struct lb_member *m = svc ? find_member(call, svc) : NULL;
    if (m) {
        call->reply.body = lb_member_to_json(m);
    }
}

/* PUT if 'patch' is false, else PATCH, of a member. */
static void
change_member(struct rest *rest, struct rest_call *call, bool patch)
{
    struct lb_service *svc = find_service(rest, call);
    struct lb_member *m = svc ? find_member(call, svc) : NULL;
    if (!m) {
        return;
    }

    struct lb_snapshot *snap = lb_snapshot_take(rest->model, svc->id);
    struct lb_error error = { .status = 0 };
    int status = (patch
                  ? lb_member_patch(rest->model, svc, m, call->body, &error)
                  : lb_member_put(rest->model, svc, m, call->body, &error));
    if (status) {
        lb_snapshot_destroy(snap);
        reply_lb_error(&call->reply, &error);
        return;
    }
    if (commit(rest, snap, call)) {
        VLOG_INFO("service %"PRIu32" (%s): member %"PRIu32" changed",
                  svc->id, svc->name, m->id);
        call->reply.body = lb_member_to_json(m);
    }
}

static void
put_member(struct rest *rest, struct rest_call *call)
{
    change_member(rest, call, false);
}

static void
patch_member(struct rest *rest, struct rest_call *call)
{
    change_member(rest, call, true);
}

static void
delete_member(struct rest *rest, struct rest_call *call)
{
    struct lb_service *svc = find_service(rest, call);
    struct lb_member *m = svc ? find_member(call, svc) : NULL;
    if (!m) {
        return;
    }

    uint32_t id = svc->id, mid = m->id;
    struct lb_snapshot *snap = lb_snapshot_take(rest->model, id);
    lb_member_delete(rest->model, svc, m);
    if (commit(rest, snap, call)) {
        VLOG_INFO("service %"PRIu32": member %"PRIu32" deleted", id, mid);
        call->reply.status = 204;
    }
}

/* Routing. */

typedef void rest_handler(struct rest *, struct rest_call *);

/* A resource.  The methods it allows follow from the handlers it has: a
 * 'get' handler serves GET and HEAD. */
struct route {
    const char *pattern;        /* Each "*" matches one nonempty segment. */
    rest_handler *get;
    rest_handler *post;
    rest_handler *put;
    rest_handler *patch;
    rest_handler *delete;
};

static const struct route routes[] = {
    { "/v1/services", .get = get_services, .post = post_services },
    { "/v1/services/*", .get = get_service, .put = put_service,
      .patch = patch_service, .delete = delete_service },
    { "/v1/services/*/members", .get = get_members, .post = post_members },
    { "/v1/services/*/members/*", .get = get_member, .put = put_member,
      .patch = patch_member, .delete = delete_member },
    { "/v1/switches", .get = get_switches },
    { "/v1/switches/*", .get = get_switch },
    { "/v1/status", .get = get_status },
};

/* Returns the value of the Allow header for 'route', for the caller to
 * free. */
static char *
route_allow(const struct route *route)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    if (route->get) {
        ds_put_cstr(&ds, "GET, HEAD, ");
    }
    if (route->post) {
        ds_put_cstr(&ds, "POST, ");
    }
    if (route->put) {
        ds_put_cstr(&ds, "PUT, ");
    }
    if (route->patch) {
        ds_put_cstr(&ds, "PATCH, ");
    }
    if (route->delete) {
        ds_put_cstr(&ds, "DELETE, ");
    }
    ds_chomp(&ds, ' ');
    ds_chomp(&ds, ',');
    return ds_steal_cstr(&ds);
}

static rest_handler *
route_handler(const struct route *route, enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD:
        return route->get;
    case EVHTTP_REQ_POST:
        return route->post;
    case EVHTTP_REQ_PUT:
        return route->put;
    case EVHTTP_REQ_PATCH:
        return route->patch;
    case EVHTTP_REQ_DELETE:
        return route->delete;
    case EVHTTP_REQ_OPTIONS:
    case EVHTTP_REQ_TRACE:
    case EVHTTP_REQ_CONNECT:
        return NULL;
    }
    return NULL;
}

/* Matches 'path' against 'pattern'.  On a match returns true and stores
 * the segments that the pattern's "*"s matched into 'args'. */
static bool
route_match(const char *pattern, const char *path,
            char args[REST_MAX_ARGS][REST_ARG_SIZE])
{
    size_t n_args = 0;

    for (;;) {
        if (*pattern == '*') {
            size_t len = strcspn(path, "/");
            if (!len || len >= REST_ARG_SIZE || n_args >= REST_MAX_ARGS) {
                return false;
            }
            memcpy(args[n_args], path, len);
            args[n_args++][len] = '\0';
            pattern++;
            path += len;
        } else if (*pattern != *path) {
            return false;
        } else if (!*pattern) {
            return true;
        } else {
            pattern++;
            path++;
        }
    }
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
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 422: return "Unprocessable Entity";
    case 500: return "Internal Server Error";
    case 507: return "Insufficient Storage";
    default: return status < 500 ? "Client Error" : "Server Error";
    }
}

static const char *
json_type_name(const json_t *json)
{
    switch (json_typeof(json)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Parses the body of 'req' into 'call->body'.  Bodies over 1 MiB never get
 * here: evhttp answers them with 413 itself.  Returns false, having
 * answered 400, if the body is not a JSON object in UTF-8. */
static bool
parse_body(struct evhttp_request *req, struct rest_call *call)
{
    struct evbuffer *input = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(input);
    if (!len) {
        reply_error(&call->reply, 400, NULL,
                    "the request has no body; send a JSON object");
        return false;
    }

    const char *data = (const char *) evbuffer_pullup(input, -1);
    json_error_t error;
    json_t *json = json_loadb(data, len, JSON_REJECT_DUPLICATES, &error);
    if (!json) {
        if (json_error_code(&error) == json_error_invalid_utf8) {
            reply_error(&call->reply, 400, NULL, "the body is not valid "
                        "UTF-8: line %d, column %d: %s",
                        error.line, error.column, error.text);
        } else {
            reply_error(&call->reply, 400, NULL, "the body is not valid "
                        "JSON: line %d, column %d: %s",
                        error.line, error.column, error.text);
        }
        return false;
    }
    if (!json_is_object(json)) {
        reply_error(&call->reply, 400, NULL, "the body must be a JSON "
                    "object, not %s", json_type_name(json));
        json_decref(json);
        return false;
    }
    call->body = json;
    return true;
}

static void
rest_dispatch(struct rest *rest, struct evhttp_request *req,
              struct rest_call *call)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

    if (!path || !*path) {
        path = "/";
    }
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
        const struct route *route = &routes[i];
        if (!route_match(route->pattern, path, call->args)) {
            continue;
        }

        rest_handler *handler = route_handler(route, cmd);
        if (!handler) {
            char *allow = route_allow(route);
            evhttp_add_header(evhttp_request_get_output_headers(req),
                              "Allow", allow);
            reply_error(&call->reply, 405, NULL,
                        "%s does not allow %s; allowed: %s",
                        path, method_name(cmd), allow);
            free(allow);
            return;
        }
        if ((cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_PUT
             || cmd == EVHTTP_REQ_PATCH) && !parse_body(req, call)) {
            return;
        }
        handler(rest, call);
        return;
    }
    reply_error(&call->reply, 404, NULL, "no such resource: %s", path);
}

static void
rest_request_cb(struct evhttp_request *req, void *rest_)
{
    struct rest *rest = rest_;
    struct rest_call call = { .reply = { .status = 200 } };
    struct rest_reply *reply = &call.reply;

    COUNTER_INC(rest_requests);
    rest_dispatch(rest, req, &call);
    json_decref(call.body);
    if (reply->status >= 400) {
        COUNTER_INC(rest_errors);
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
        VLOG_INFO_RL(&rl, "%s %s: %d", method_name(
                         evhttp_request_get_command(req)),
                     uri && evhttp_uri_get_path(uri)
                     ? evhttp_uri_get_path(uri) : "?", reply->status);
    }

    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    if (reply->location) {
        evhttp_add_header(headers, "Location", reply->location);
        free(reply->location);
    }
    if (!reply->body) {
        evhttp_send_reply(req, reply->status, reason_phrase(reply->status),
                          NULL);
        return;
    }

    /* 15 digits, so that 0.1 s reads 0.1 rather than
     * 0.10000000000000001. */
    char *text = json_dumps(reply->body, (JSON_INDENT(2) | JSON_SORT_KEYS
                                          | JSON_REAL_PRECISION(15)));
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add_printf(buf, "%s\n", text);
    evhttp_add_header(headers, "Content-Type", "application/json");
    evhttp_send_reply(req, reply->status, reason_phrase(reply->status), buf);
    evbuffer_free(buf);
    free(text);
    json_decref(reply->body);
}

/* Creates the REST API on 'base'.  It reads 'status', reads and changes
 * 'model', saves it into the state file 'state_path' after every change and
 * calls 'hooks' (which may be NULL).  Nothing listens until rest_listen().
 */
struct rest *
rest_create(struct event_base *base, const struct render_status *status,
            struct lb_model *model, const char *state_path,
            const struct rest_hooks *hooks)
{
    struct rest *rest = xzalloc(sizeof *rest);
    rest->base = base;
    rest->status = status;
    rest->model = model;
    rest->state_path = xstrdup(state_path);
    rest->store = store_create(state_path);
    if (hooks) {
        rest->hooks = *hooks;
    }
    rest->http = evhttp_new(base);
    evhttp_set_allowed_methods(rest->http,
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST
                               | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT
                               | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH
                               | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(rest->http, rest_request_cb, rest);
    /* Requests are small; refuse what is not.  A bigger body gets evhttp's
     * own answer, 413 with an HTML body, and the connection closes. */
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
        free(rest->state_path);
        store_destroy(rest->store);
        free(rest);
    }
}
