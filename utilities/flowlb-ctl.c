/*
 * flowlb-ctl: the command-line client of flowlbd's REST API (docs/api.md).
 *
 * Each command turns its arguments into one or a few HTTP requests, sent
 * one at a time with libevent's evhttp client on a private event loop that
 * runs until the answer is in, and prints the JSON answers as aligned
 * tables, or as they are with --json.  It shares no code with flowlbd: the
 * API is the only contract between the two.
 *
 * Exit codes, which scripts rely on (keep --help and README.md in step):
 * 0 success, 1 the API refused the request (4xx), 2 usage error found
 * before any request, 3 flowlbd unreachable (refused, timed out), 4 server
 * error (5xx) or an answer that is not what the API promises.
 */
#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define DEFAULT_TIMEOUT 10.0

enum ctl_exit {
    CTL_OK = 0,                 /* Success. */
    CTL_REFUSED = 1,            /* The API answered 4xx. */
    CTL_USAGE = 2,              /* Bad command line, nothing sent. */
    CTL_UNREACHABLE = 3,        /* No answer: refused, reset, timed out. */
    CTL_SERVER = 4,             /* 5xx, or an answer that makes no sense. */
};

/* The server, from --server, $FLOWLB_SERVER or the default. */
static char *server_url;
static char *server_host;       /* Without brackets, to connect to. */
static char *server_authority;  /* For the Host header: "[::1]:8080". */
static int server_port;
static char *server_prefix;     /* URL path without trailing '/', or "". */
static struct timeval timeout;
static bool json_output;

static void ctl_fatal(enum ctl_exit, const char *format, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void usage(void) __attribute__((noreturn));

/* Prints "flowlb-ctl: " and 'format' to stderr and exits with 'code'. */
static void
ctl_fatal(enum ctl_exit code, const char *format, ...)
{
    va_list args;

    fputs("flowlb-ctl: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    exit(code);
}

static void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (!p) {
        ctl_fatal(CTL_SERVER, "out of memory");
    }
    return p;
}

static void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        ctl_fatal(CTL_SERVER, "out of memory");
    }
    return p;
}

static char *
xstrdup(const char *s)
{
    size_t len = strlen(s) + 1;

    return memcpy(xmalloc(len), s, len);
}

static char *xasprintf(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *format, ...)
{
    va_list args;
    char *s;

    va_start(args, format);
    if (vasprintf(&s, format, args) < 0) {
        ctl_fatal(CTL_SERVER, "out of memory");
    }
    va_end(args);
    return s;
}

/* Server URL. */

/* Sets the server from 'url', "http://HOST[:PORT][/PREFIX]" or
 * "HOST:PORT".  Exits with a usage error if 'url' is not one. */
static void
set_server(const char *url)
{
    char *full = (strstr(url, "://")
                  ? xstrdup(url) : xasprintf("http://%s", url));
    struct evhttp_uri *uri = evhttp_uri_parse(full);
    const char *scheme, *host, *path;

    if (!uri) {
        ctl_fatal(CTL_USAGE, "%s: not a URL (e.g. %s)", url, DEFAULT_SERVER);
    }
    scheme = evhttp_uri_get_scheme(uri);
    if (!scheme || strcasecmp(scheme, "http")) {
        ctl_fatal(CTL_USAGE, "%s: only http:// URLs are supported", url);
    }
    host = evhttp_uri_get_host(uri);
    if (!host || !host[0]) {
        ctl_fatal(CTL_USAGE, "%s: no host in the URL", url);
    }
    if (evhttp_uri_get_query(uri) || evhttp_uri_get_fragment(uri)
        || evhttp_uri_get_userinfo(uri)) {
        ctl_fatal(CTL_USAGE, "%s: the URL may not have a query, a fragment "
                  "or user information", url);
    }

    /* libevent keeps the brackets of an IPv6 literal. */
    free(server_host);
    if (host[0] == '[') {
        server_host = xstrdup(host + 1);
        server_host[strcspn(server_host, "]")] = '\0';
    } else {
        server_host = xstrdup(host);
    }
    server_port = evhttp_uri_get_port(uri);
    if (server_port < 0) {
        server_port = 80;
    }

    free(server_authority);
    server_authority = xasprintf(
        strchr(server_host, ':') ? "[%s]:%d" : "%s:%d", server_host,
        server_port);

    free(server_prefix);
    path = evhttp_uri_get_path(uri);
    server_prefix = xstrdup(path ? path : "");
    size_t len = strlen(server_prefix);
    while (len > 0 && server_prefix[len - 1] == '/') {
        server_prefix[--len] = '\0';
    }

    free(server_url);
    server_url = full;
    evhttp_uri_free(uri);
}

/* HTTP. */

struct http_answer {
    int status;                 /* HTTP status; 0 if there was no answer. */
    bool timed_out;             /* No answer within 'timeout'. */
    char *body;                 /* Null-terminated body, NULL if none. */
    size_t body_len;
    struct event_base *base;
};

static void
http_done(struct evhttp_request *req, void *answer_)
{
    struct http_answer *answer = answer_;

    if (req && evhttp_request_get_response_code(req)) {
        struct evbuffer *buf = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(buf);

        answer->status = evhttp_request_get_response_code(req);
        answer->body = xmalloc(len + 1);
        evbuffer_remove(buf, answer->body, len);
        answer->body[len] = '\0';
        answer->body_len = len;
    }
    event_base_loopbreak(answer->base);
}

static void
http_error(enum evhttp_request_error error, void *answer_)
{
    struct http_answer *answer = answer_;

    if (error == EVREQ_HTTP_TIMEOUT) {
        answer->timed_out = true;
    }
}

static const char *
method_name(enum evhttp_cmd_type method)
{
    switch (method) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_HEAD:
    case EVHTTP_REQ_OPTIONS:
    case EVHTTP_REQ_TRACE:
    case EVHTTP_REQ_CONNECT:
    default: return "?";
    }
}

/* Sends 'method' 'path' (relative to the server's prefix) with 'body' (may
 * be NULL) and returns the decoded JSON answer, NULL for an answer without
 * a body (204).  Exits with the documented code on any failure: the
 * caller sees only successes. */
static json_t *
http_request(enum evhttp_cmd_type method, const char *path,
             const json_t *body)
{
    struct http_answer answer = { .status = 0 };
    struct evhttp_connection *conn;
    struct evhttp_request *req;
    struct evkeyvalq *headers;
    char *uri = xasprintf("%s%s", server_prefix, path);

    answer.base = event_base_new();
    if (!answer.base) {
        ctl_fatal(CTL_SERVER, "cannot create an event base");
    }
    conn = evhttp_connection_base_new(answer.base, NULL, server_host,
                                      server_port);
    if (!conn) {
        ctl_fatal(CTL_UNREACHABLE, "%s: cannot create a connection",
                  server_url);
    }
    evhttp_connection_set_timeout_tv(conn, &timeout);
    evhttp_connection_set_retries(conn, 0);

    req = evhttp_request_new(http_done, &answer);
    evhttp_request_set_error_cb(req, http_error);
    headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Host", server_authority);
    evhttp_add_header(headers, "Accept", "application/json");
    evhttp_add_header(headers, "Connection", "close");
    if (body) {
        char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        char *length = xasprintf("%zu", strlen(text));

        /* evhttp adds Content-Length to POST and PUT only, not PATCH. */
        evhttp_add_header(headers, "Content-Type", "application/json");
        evhttp_add_header(headers, "Content-Length", length);
        free(length);
        evbuffer_add(evhttp_request_get_output_buffer(req), text,
                     strlen(text));
        free(text);
    }
    if (evhttp_make_request(conn, req, method, uri)) {
        ctl_fatal(CTL_UNREACHABLE, "%s: cannot send the request", server_url);
    }
    event_base_dispatch(answer.base);
    evhttp_connection_free(conn);
    event_base_free(answer.base);

    if (!answer.status) {
        if (answer.timed_out) {
            ctl_fatal(CTL_UNREACHABLE, "%s: no answer within %g s "
                      "(is flowlbd running?  --server, FLOWLB_SERVER)",
                      server_url,
                      timeout.tv_sec + timeout.tv_usec / 1e6);
        }
        ctl_fatal(CTL_UNREACHABLE, "%s: cannot reach flowlbd "
                  "(is it running?  --server, FLOWLB_SERVER)", server_url);
    }

    json_error_t error;
    json_t *json = NULL;
    if (answer.body_len) {
        json = json_loadb(answer.body, answer.body_len, 0, &error);
    }

    if (answer.status >= 400) {
        json_t *e = json_object_get(json, "error");
        const char *message = json_string_value(json_object_get(e,
                                                                "message"));
        enum ctl_exit code = (answer.status < 500
                              ? CTL_REFUSED : CTL_SERVER);

        if (message) {
            ctl_fatal(code, "%d %s", answer.status, message);
        }
        ctl_fatal(code, "%d (%s %s: no error message in the answer)",
                  answer.status, method_name(method), uri);
    }
    if (answer.status < 200 || answer.status >= 300) {
        ctl_fatal(CTL_SERVER, "%s %s: unexpected HTTP status %d",
                  method_name(method), uri, answer.status);
    }
    if (answer.body_len && !json) {
        ctl_fatal(CTL_SERVER, "%s %s: answer is not JSON: %s "
                  "(line %d, column %d)", method_name(method), uri,
                  error.text, error.line, error.column);
    }
    if (json && !json_is_object(json)) {
        ctl_fatal(CTL_SERVER, "%s %s: answer is not a JSON object",
                  method_name(method), uri);
    }
    free(answer.body);
    free(uri);
    return json;
}

/* GETs 'path' and returns its JSON object, exiting if there is none. */
static json_t *
http_get(const char *path)
{
    json_t *json = http_request(EVHTTP_REQ_GET, path, NULL);

    if (!json) {
        ctl_fatal(CTL_SERVER, "GET %s: empty answer", path);
    }
    return json;
}

/* Returns the array member 'name' of 'answer' of GET 'path', exiting with
 * a server error if it is not there. */
static json_t *
answer_array(const json_t *answer, const char *name, const char *path)
{
    json_t *array = json_object_get(answer, name);

    if (!json_is_array(array)) {
        ctl_fatal(CTL_SERVER, "GET %s: answer has no \"%s\" list", path,
                  name);
    }
    return array;
}

/* Returns 's' percent-encoded for use as one path segment; free it. */
static char *
path_segment(const char *s)
{
    return evhttp_uriencode(s, -1, 0);
}

static char *
service_path(const char *service)
{
    char *seg = path_segment(service);
    char *path = xasprintf("/v1/services/%s", seg);

    free(seg);
    return path;
}

/* Printing JSON. */

static void
print_json(const json_t *json)
{
    if (json) {
        char *text = json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS
                                | JSON_ENCODE_ANY
                                | JSON_REAL_PRECISION(15));

        puts(text);
        free(text);
    }
}

/* Returns a new string for a table cell that shows 'value': "-" for a
 * missing value or null, lists joined with commas, 'empty' for an empty
 * list. */
static char *
cell(const json_t *value, const char *empty)
{
    switch (value ? json_typeof(value) : JSON_NULL) {
    case JSON_STRING:
        return xstrdup(json_string_value(value));
    case JSON_INTEGER:
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
    case JSON_REAL:
        return xasprintf("%g", json_real_value(value));
    case JSON_TRUE:
        return xstrdup("true");
    case JSON_FALSE:
        return xstrdup("false");
    case JSON_ARRAY: {
        size_t n = json_array_size(value);
        if (!n) {
            return xstrdup(empty);
        }
        char *s = xstrdup("");
        for (size_t i = 0; i < n; i++) {
            char *item = cell(json_array_get(value, i), "");
            char *joined = xasprintf("%s%s%s", s, i ? "," : "", item);

            free(item);
            free(s);
            s = joined;
        }
        return s;
    }
    case JSON_OBJECT: {
        char *s = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
        return s ? s : xstrdup("-");
    }
    case JSON_NULL:
    default:
        return xstrdup("-");
    }
}

/* cell() of the member 'name' of 'object'. */
static char *
field(const json_t *object, const char *name)
{
    return cell(json_object_get(object, name), "-");
}

/* Tables. */

/* A table of strings printed with aligned columns, two spaces apart, and
 * no trailing spaces. */
struct table {
    size_t n_columns;
    char **cells;               /* Row-major; the header is the first row. */
    size_t n_cells, allocated;
};

/* Initializes 't' with 'n_columns' columns and, if 'headings' is
 * nonnull, a header row. */
static void
table_init(struct table *t, size_t n_columns, const char *const *headings)
{
    t->n_columns = n_columns;
    t->cells = NULL;
    t->n_cells = t->allocated = 0;
    for (size_t i = 0; headings && i < n_columns; i++) {
        t->cells = xrealloc(t->cells, (i + 1) * sizeof *t->cells);
        t->cells[i] = xstrdup(headings[i]);
        t->n_cells = t->allocated = i + 1;
    }
}

/* Appends 's', which 't' takes, as the next cell of 't'. */
static void
table_add(struct table *t, char *s)
{
    if (t->n_cells >= t->allocated) {
        t->allocated = t->allocated ? 2 * t->allocated : 16;
        t->cells = xrealloc(t->cells, t->allocated * sizeof *t->cells);
    }
    t->cells[t->n_cells++] = s;
}

/* Prints 't' to stdout, each line starting with 'indent'. */
static void
table_print(const struct table *t, const char *indent)
{
    size_t *widths = xmalloc(t->n_columns * sizeof *widths);

    for (size_t c = 0; c < t->n_columns; c++) {
        widths[c] = 0;
        for (size_t i = c; i < t->n_cells; i += t->n_columns) {
            size_t len = strlen(t->cells[i]);
            widths[c] = len > widths[c] ? len : widths[c];
        }
    }
    for (size_t row = 0; row * t->n_columns < t->n_cells; row++) {
        char *line = xstrdup(indent);

        for (size_t c = 0; c < t->n_columns; c++) {
            size_t i = row * t->n_columns + c;
            const char *s = i < t->n_cells ? t->cells[i] : "";
            int pad = c + 1 < t->n_columns ? (int) widths[c] + 2 : 0;
            char *next = xasprintf("%s%-*s", line, pad, s);

            free(line);
            line = next;
        }
        size_t len = strlen(line);
        while (len > 0 && line[len - 1] == ' ') {
            line[--len] = '\0';
        }
        puts(line);
        free(line);
    }
    free(widths);
}

static void
table_destroy(struct table *t)
{
    for (size_t i = 0; i < t->n_cells; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
}

/* Adds the row "'key':  'value'" to a two-column 't'; takes 'value'. */
static void
table_add_pair(struct table *t, const char *key, char *value)
{
    table_add(t, xasprintf("%s:", key));
    table_add(t, value);
}

/* Rendering the API's objects. */

static const char *const member_headings[] = {
    "ID", "ADDRESS", "MAC", "SOURCE", "WEIGHT", "STATE", "HEALTH", "PACKETS",
    "BYTES", "STICK", "SESS", "RTT",
};

/* "1.25ms" for a member's status.rtt_ms, "-" if unknown. */
static char *
rtt_cell(const json_t *status)
{
    json_t *rtt = json_object_get(status, "rtt_ms");
    return (json_is_number(rtt)
            ? xasprintf("%.3gms", json_number_value(rtt))
            : xstrdup("-"));
}

/* Prints the members in the JSON array 'members' as a table. */
static void
print_members(const json_t *members, const char *indent)
{
    struct table t;
    size_t i;
    json_t *m;

    table_init(&t, sizeof member_headings / sizeof *member_headings,
               member_headings);
    json_array_foreach (members, i, m) {
        json_t *status = json_object_get(m, "status");
        json_t *mac = json_object_get(status, "mac");

        table_add(&t, field(m, "id"));
        table_add(&t, field(m, "address"));
        table_add(&t, cell(json_is_string(mac)
                           ? mac : json_object_get(m, "mac"), "-"));
        table_add(&t, field(status, "mac_source"));
        table_add(&t, field(m, "weight"));
        table_add(&t, field(m, "state"));
        table_add(&t, field(status, "health"));
        table_add(&t, field(status, "packets"));
        table_add(&t, field(status, "bytes"));
        table_add(&t, field(status, "stick_entries"));
        table_add(&t, field(status, "sessions"));
        table_add(&t, rtt_cell(status));
    }
    table_print(&t, indent);
    table_destroy(&t);

    /* Each member's last health change and why, if it had one. */
    json_array_foreach (members, i, m) {
        json_t *status = json_object_get(m, "status");
        json_t *since = json_object_get(status, "health_since");
        if (json_is_string(since)) {
            char *id = field(m, "id");
            char *health = field(status, "health");
            char *reason = cell(json_object_get(status, "health_reason"),
                                "-");
            printf("%smember %s %s since %s: %s\n", indent, id, health,
                   json_string_value(since), reason);
            free(id);
            free(health);
            free(reason);
        }
    }
}

/* "3 (2 active)" for service 'svc'. */
static char *
members_summary(const json_t *svc)
{
    json_t *active = json_object_get(json_object_get(svc, "status"),
                                     "members_active");
    size_t n = json_array_size(json_object_get(svc, "members"));

    if (json_is_integer(active)) {
        return xasprintf("%zu (%" JSON_INTEGER_FORMAT " active)", n,
                         json_integer_value(active));
    }
    return xasprintf("%zu", n);
}

/* "00000000000000b0 in-sync, ..." from service 'svc''s status. */
static char *
sync_summary(const json_t *svc)
{
    json_t *switches = json_object_get(json_object_get(svc, "status"),
                                       "switches");
    char *s = xstrdup("");
    size_t i;
    json_t *sw;

    json_array_foreach (switches, i, sw) {
        char *dpid = field(sw, "dpid");
        char *sync = field(sw, "sync");
        char *next = xasprintf("%s%s%s %s", s, i ? ", " : "", dpid, sync);

        free(dpid);
        free(sync);
        free(s);
        s = next;
    }
    if (!s[0]) {
        free(s);
        s = xstrdup("-");
    }
    return s;
}

/* "cookie C/M, tables 0, groups label=17 5tuple=18" for 'svc'. */
static char *
openflow_summary(const json_t *svc)
{
    json_t *of = json_object_get(svc, "openflow");
    json_t *groups = json_object_get(of, "groups");
    char *cookie = field(of, "cookie");
    char *mask = field(of, "cookie_mask");
    char *tables = cell(json_object_get(of, "tables"), "-");
    char *g = xstrdup("");
    const char *key;
    json_t *value;

    if (!of) {
        free(cookie);
        free(mask);
        free(tables);
        free(g);
        return xstrdup("-");
    }
    json_object_foreach (groups, key, value) {
        char *v = cell(value, "-");
        char *next = xasprintf("%s%s%s=%s", g, g[0] ? " " : "", key, v);

        free(v);
        free(g);
        g = next;
    }
    char *s = xasprintf("cookie %s/%s, tables %s, groups %s", cookie, mask,
                        tables, g[0] ? g : "-");
    json_t *stick = json_object_get(of, "stick_cookie");
    if (json_is_string(stick)) {
        char *stick_mask = field(of, "stick_cookie_mask");
        char *next = xasprintf("%s, stick cookie %s/%s", s,
                               json_string_value(stick), stick_mask);
        free(stick_mask);
        free(s);
        s = next;
    }
    static const char *const extras[][2] = {
        { "ct_zone", "ct zone" }, { "ct_zone_snat", "snat zone" },
        { "meter", "meter" },
    };
    for (size_t i = 0; i < sizeof extras / sizeof *extras; i++) {
        json_t *v = json_object_get(of, extras[i][0]);
        if (v) {
            char *c = cell(v, "-");
            char *next = xasprintf("%s, %s %s", s, extras[i][1], c);
            free(c);
            free(s);
            s = next;
        }
    }
    free(cookie);
    free(mask);
    free(tables);
    free(g);
    return s;
}

/* "http port 0 path / expect 200, every 2 s, timeout 1 s, rise 2, fall 3"
 * for health monitor 'health', "none" for null, "-" if missing. */
static char *
health_summary(const json_t *health)
{
    if (!health) {
        return xstrdup("-");
    } else if (!json_is_object(health)) {
        return xstrdup("none");
    }

    char *type = field(health, "type");
    char *s = xstrdup(type);
    static const char *const extras[] = { "port", "path", "expect" };
    for (size_t i = 0; i < sizeof extras / sizeof *extras; i++) {
        json_t *v = json_object_get(health, extras[i]);
        if (v) {
            char *c = cell(v, "-");
            char *next = xasprintf("%s %s %s", s, extras[i], c);
            free(c);
            free(s);
            s = next;
        }
    }
    char *interval = field(health, "interval");
    char *timeout_s = field(health, "timeout");
    char *rise = field(health, "rise");
    char *fall = field(health, "fall");
    char *result = xasprintf("%s, every %s s, timeout %s s, rise %s, "
                             "fall %s", s, interval, timeout_s, rise, fall);
    free(type);
    free(s);
    free(interval);
    free(timeout_s);
    free(rise);
    free(fall);
    return result;
}

/* 'object''s members in their order, joined by ", ", each as "KEY VALUE
 * SUFFIX" if 'key_first', else "VALUE KEY"; "-" if there are none. */
static char *
join_object(const json_t *object, bool key_first, const char *suffix)
{
    char *s = xstrdup("");
    const char *key;
    json_t *value;

    json_object_foreach ((json_t *) object, key, value) {
        char *v = cell(value, "-");
        char *next = (key_first
                      ? xasprintf("%s%s%s %s%s", s, s[0] ? ", " : "", key, v,
                                  suffix)
                      : xasprintf("%s%s%s %s", s, s[0] ? ", " : "", v, key));
        free(v);
        free(s);
        s = next;
    }
    if (!s[0]) {
        free(s);
        s = xstrdup("-");
    }
    return s;
}

/* "tcp 86400 s, udp 60 s, icmp 60 s" for 'timeouts'. */
static char *
timeouts_summary(const json_t *timeouts)
{
    return join_object(timeouts, true, " s");
}

/* Adds the pair 'name': 'object''s 'name' to 't' if 'object' has it. */
static void
table_add_present(struct table *t, const json_t *object, const char *name)
{
    if (json_object_get(object, name)) {
        table_add_pair(t, name, field(object, name));
    }
}

/* Prints the fields of service 'svc', one per line, then its members. */
static void
print_service(const json_t *svc)
{
    json_t *status = json_object_get(svc, "status");
    struct table t;

    table_init(&t, 2, NULL);
    table_add_pair(&t, "id", field(svc, "id"));
    table_add_pair(&t, "name", field(svc, "name"));
    table_add_pair(&t, "vip", field(svc, "vip"));
    table_add_pair(&t, "family", field(svc, "family"));
    table_add_pair(&t, "protocol", field(svc, "protocol"));
    table_add_pair(&t, "ports", cell(json_object_get(svc, "ports"), "all"));
    table_add_pair(&t, "key", field(svc, "key"));
    table_add_pair(&t, "forwarding", field(svc, "forwarding"));
    table_add_pair(&t, "persistence", field(svc, "persistence"));
    table_add_pair(&t, "idle_timeout", field(svc, "idle_timeout"));
    table_add_pair(&t, "label_change", field(svc, "label_change"));
    if (json_object_get(svc, "source")) {
        table_add_pair(&t, "source", field(svc, "source"));
        json_t *sp = json_object_get(svc, "source_ports");
        table_add_pair(&t, "source_ports", (
                           json_array_size(sp) == 2
                           ? xasprintf("%" JSON_INTEGER_FORMAT "-%"
                                       JSON_INTEGER_FORMAT,
                                       json_integer_value(
                                           json_array_get(sp, 0)),
                                       json_integer_value(
                                           json_array_get(sp, 1)))
                           : cell(sp, "-")));
    }
    if (json_object_get(svc, "timeouts")) {
        table_add_pair(&t, "timeouts", timeouts_summary(
                           json_object_get(svc, "timeouts")));
    }
    table_add_pair(&t, "algorithm", field(svc, "algorithm"));
    table_add_pair(&t, "decision", field(svc, "decision"));
    table_add_pair(&t, "per_session_rate", field(svc, "per_session_rate"));
    table_add_pair(&t, "traffic_metric", field(svc, "traffic_metric"));
    table_add_pair(&t, "traffic_window", field(svc, "traffic_window"));
    table_add_pair(&t, "session_weight", field(svc, "session_weight"));
    table_add_pair(&t, "health",
                   health_summary(json_object_get(svc, "health")));
    table_add_pair(&t, "passive_timeout", field(svc, "passive_timeout"));
    table_add_pair(&t, "switches",
                   cell(json_object_get(svc, "switches"), "all"));
    table_add_pair(&t, "members", members_summary(svc));
    table_add_pair(&t, "packets", field(status, "packets"));
    table_add_pair(&t, "bytes", field(status, "bytes"));
    table_add_pair(&t, "stick_entries", field(status, "stick_entries"));
    table_add_pair(&t, "fragments", field(status, "fragments"));
    table_add_pair(&t, "label_change_drops",
                   field(status, "label_change_drops"));
    table_add_pair(&t, "ptb_delivered", field(status, "ptb_delivered"));
    table_add_pair(&t, "ptb_broadcast", field(status, "ptb_broadcast"));
    static const char *const nat_counters[] = {
        "sessions", "sessions_started", "reply_packets", "reply_bytes",
        "napt_exhausted", "nat_invalid",
    };
    for (size_t i = 0; i < sizeof nat_counters / sizeof *nat_counters; i++) {
        table_add_present(&t, status, nat_counters[i]);
    }
    table_add_pair(&t, "sync", sync_summary(svc));
    table_add_pair(&t, "openflow", openflow_summary(svc));
    table_print(&t, "");
    table_destroy(&t);

    putchar('\n');
    print_members(json_object_get(svc, "members"), "");
}

static const char *const service_headings[] = {
    "ID", "NAME", "VIP", "PROTO", "PORTS", "KEY", "MEMBERS", "PACKETS",
    "BYTES",
};

static void
print_service_list(const json_t *services)
{
    struct table t;
    size_t i;
    json_t *svc;

    table_init(&t, 9, service_headings);
    json_array_foreach (services, i, svc) {
        json_t *status = json_object_get(svc, "status");

        table_add(&t, field(svc, "id"));
        table_add(&t, field(svc, "name"));
        table_add(&t, field(svc, "vip"));
        table_add(&t, field(svc, "protocol"));
        table_add(&t, cell(json_object_get(svc, "ports"), "all"));
        table_add(&t, field(svc, "key"));
        table_add(&t, xasprintf("%zu", json_array_size(
                                    json_object_get(svc, "members"))));
        table_add(&t, field(status, "packets"));
        table_add(&t, field(status, "bytes"));
    }
    table_print(&t, "");
    table_destroy(&t);
}

static const char *const switch_headings[] = {
    "DPID", "STATE", "VERSION", "PEER", "PORTS", "FOR", "REASON",
};

static void
print_switch_list(const json_t *switches)
{
    struct table t;
    size_t i;
    json_t *sw;

    table_init(&t, 7, switch_headings);
    json_array_foreach (switches, i, sw) {
        json_t *state_for = json_object_get(sw, "state_for_s");

        table_add(&t, field(sw, "dpid"));
        table_add(&t, field(sw, "state"));
        table_add(&t, field(sw, "version"));
        table_add(&t, field(sw, "peer"));
        table_add(&t, field(sw, "n_ports"));
        table_add(&t, (json_is_integer(state_for)
                       ? xasprintf("%" JSON_INTEGER_FORMAT "s",
                                   json_integer_value(state_for))
                       : xstrdup("-")));
        table_add(&t, field(sw, "reason"));
    }
    table_print(&t, "");
    table_destroy(&t);
}

/* "2 total, 1 connected, ..." from the members of 'object' in their
 * order, or "-" if there are none. */
static char *
inline_object(const json_t *object)
{
    return join_object(object, false, "");
}

/* Prints GET /v1/status's answer 'status': scalars and small objects one
 * per line, bigger objects (the counters) as indented blocks after. */
static void
print_status(const json_t *status)
{
    struct table t;
    const char *key;
    json_t *value;

    table_init(&t, 2, NULL);
    json_object_foreach ((json_t *) status, key, value) {
        if (!json_is_object(value)) {
            table_add_pair(&t, key, cell(value, "-"));
        } else if (json_object_size(value) <= 4) {
            table_add_pair(&t, key, inline_object(value));
        }
    }
    table_print(&t, "");
    table_destroy(&t);

    json_object_foreach ((json_t *) status, key, value) {
        if (json_is_object(value) && json_object_size(value) > 4) {
            const char *k;
            json_t *v;

            printf("%s:\n", key);
            table_init(&t, 2, NULL);
            json_object_foreach (value, k, v) {
                table_add(&t, xstrdup(k));
                table_add(&t, cell(v, "-"));
            }
            table_print(&t, "  ");
            table_destroy(&t);
        }
    }
}

/* FIELD=VALUE arguments. */

enum field_type {
    FT_STRING,                  /* JSON string. */
    FT_INTEGER,                 /* JSON number. */
    FT_INTEGER_LIST,            /* Comma-separated: JSON list of numbers. */
    FT_STRING_LIST,             /* Comma-separated: JSON list of strings. */
    FT_NULLABLE_STRING,         /* JSON string, or null for "". */
    FT_NULLABLE_INTEGER,        /* JSON number, or null for "". */
    FT_NUMBER,                  /* JSON number, or the string "infinity". */
    FT_OBJECT,                  /* "KEY:VALUE,...": JSON object; "" or
                                 * "none": null; a first item without ':'
                                 * is the "type". */
};

struct field_spec {
    const char *name;
    enum field_type type;
};

static const struct field_spec service_fields[] = {
    { "name", FT_STRING },
    { "vip", FT_STRING },
    { "protocol", FT_STRING },
    { "ports", FT_INTEGER_LIST },
    { "key", FT_STRING },
    { "forwarding", FT_STRING },
    { "persistence", FT_STRING },
    { "idle_timeout", FT_INTEGER },
    { "label_change", FT_STRING },
    { "source", FT_STRING },
    { "source_ports", FT_INTEGER_LIST },
    { "timeouts", FT_OBJECT },
    { "algorithm", FT_STRING },
    { "decision", FT_STRING },
    { "per_session_rate", FT_INTEGER },
    { "traffic_metric", FT_STRING },
    { "traffic_window", FT_INTEGER },
    { "session_weight", FT_INTEGER },
    { "health", FT_OBJECT },
    { "passive_timeout", FT_INTEGER },
    { "switches", FT_STRING_LIST },
    { NULL, FT_STRING },
};

static const struct field_spec member_fields[] = {
    { "address", FT_STRING },
    { "mac", FT_NULLABLE_STRING },
    { "weight", FT_INTEGER },
    { "state", FT_STRING },
    { "port", FT_INTEGER },
    { "backup", FT_NULLABLE_INTEGER },
    { "cost", FT_NUMBER },
    { NULL, FT_STRING },
};

/* Parses 's' as a decimal integer into '*value'.  Range checks are the
 * API's, which knows them and says so in its error. */
static bool
parse_integer(const char *s, json_int_t *value)
{
    char *end;
    long long int v;

    if (!isdigit((unsigned char) s[0]) && s[0] != '-') {
        return false;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || end == s) {
        return false;
    }
    *value = v;
    return true;
}

/* Returns the JSON of 's': an integer or a number if it is one, else a
 * string. */
static json_t *
scalar_value(const char *s)
{
    json_int_t n;
    char *end;

    if (parse_integer(s, &n)) {
        return json_integer(n);
    }
    errno = 0;
    double d = strtod(s, &end);
    if (!errno && s[0] && !*end && (isdigit((unsigned char) s[0])
                                   || s[0] == '.' || s[0] == '-')) {
        return json_real(d);
    }
    return json_string(s);
}

/* Parses FT_OBJECT value 'value' ("KEY:VALUE,..."; "" or "none": null) of
 * argument 'arg'. */
static json_t *
parse_object(const char *arg, const char *value)
{
    if (!value[0] || !strcmp(value, "none")) {
        return json_null();
    }

    json_t *object = json_object();
    char *copy = xstrdup(value);
    char *save = NULL;
    bool first = true;

    for (char *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save), first = false) {
        char *colon = strchr(item, ':');
        const char *key = item;
        const char *v;

        if (colon) {
            *colon = '\0';
            v = colon + 1;
        } else if (first) {
            key = "type";
            v = item;
        } else {
            ctl_fatal(CTL_USAGE, "%s: %s: expected KEY:VALUE", arg, item);
        }
        if (!key[0]) {
            ctl_fatal(CTL_USAGE, "%s: empty key", arg);
        } else if (json_object_get(object, key)) {
            ctl_fatal(CTL_USAGE, "%s: %s given twice", arg, key);
        }
        json_object_set_new(object, key, scalar_value(v));
    }
    free(copy);
    return object;
}

/* Returns the JSON value of 'arg' ("FIELD=VALUE") for 'spec' and stores
 * FIELD's spec in '*specp'; exits with a usage error if 'arg' is not one
 * of 'what''s fields or its value is not of the field's type. */
static json_t *
parse_field(const char *arg, const struct field_spec *specs,
            const char *what, const struct field_spec **specp)
{
    const char *eq = strchr(arg, '=');
    const char *value = eq ? eq + 1 : NULL;
    const struct field_spec *spec;

    if (!eq || eq == arg) {
        ctl_fatal(CTL_USAGE, "%s: expected FIELD=VALUE", arg);
    }
    for (spec = specs; spec->name; spec++) {
        if (strlen(spec->name) == (size_t) (eq - arg)
            && !strncmp(spec->name, arg, eq - arg)) {
            break;
        }
    }
    if (!spec->name) {
        char *names = xstrdup("");
        for (const struct field_spec *s = specs; s->name; s++) {
            char *next = xasprintf("%s%s%s", names, s == specs ? "" : ", ",
                                   s->name);
            free(names);
            names = next;
        }
        ctl_fatal(CTL_USAGE, "%s: unknown %s field (fields: %s)", arg, what,
                  names);
    }
    *specp = spec;

    switch (spec->type) {
    case FT_STRING:
        return json_string(value);
    case FT_NULLABLE_STRING:
        return value[0] ? json_string(value) : json_null();
    case FT_NULLABLE_INTEGER:
    case FT_NUMBER: {
        json_int_t n;
        if (!value[0] && spec->type == FT_NULLABLE_INTEGER) {
            return json_null();
        } else if (spec->type == FT_NUMBER && !strcmp(value, "infinity")) {
            return json_string(value);
        } else if (spec->type == FT_NULLABLE_INTEGER
                   && parse_integer(value, &n)) {
            return json_integer(n);
        }
        json_t *number = scalar_value(value);
        if (spec->type == FT_NUMBER && json_is_number(number)) {
            return number;
        }
        json_decref(number);
        ctl_fatal(CTL_USAGE, "%s: %s must be %s", arg, spec->name,
                  (spec->type == FT_NUMBER
                   ? "a number or \"infinity\""
                   : "an integer, or empty for none"));
    }
    case FT_OBJECT:
        return parse_object(arg, value);
    case FT_INTEGER: {
        json_int_t n;
        if (!parse_integer(value, &n)) {
            ctl_fatal(CTL_USAGE, "%s: %s must be an integer", arg,
                      spec->name);
        }
        return json_integer(n);
    }
    case FT_INTEGER_LIST:
    case FT_STRING_LIST: {
        json_t *list = json_array();
        char *copy = xstrdup(value);
        char *save = NULL;

        for (char *item = strtok_r(copy, ",", &save); item;
             item = strtok_r(NULL, ",", &save)) {
            if (spec->type == FT_STRING_LIST) {
                json_array_append_new(list, json_string(item));
            } else {
                json_int_t n;
                if (!parse_integer(item, &n)) {
                    ctl_fatal(CTL_USAGE, "%s: %s must be a list of integers "
                              "separated by commas", arg, spec->name);
                }
                json_array_append_new(list, json_integer(n));
            }
        }
        free(copy);
        return list;
    }
    default:
        abort();
    }
}

/* Adds 'args[0]' to 'args[n - 1]', each "FIELD=VALUE", to 'object';
 * exits with a usage error if a field is unknown or given twice. */
static void
parse_fields(json_t *object, char *args[], int n,
             const struct field_spec *specs, const char *what)
{
    for (int i = 0; i < n; i++) {
        const struct field_spec *spec;
        json_t *value = parse_field(args[i], specs, what, &spec);

        if (json_object_get(object, spec->name)) {
            ctl_fatal(CTL_USAGE, "%s: %s given twice", args[i], spec->name);
        }
        json_object_set_new(object, spec->name, value);
    }
}

/* Commands.  Each parses all of its arguments before its first request,
 * so that a usage error sends nothing. */

/* Prints the "id" of a created object, for scripts, or with --json the
 * whole answer. */
static void
print_created(json_t *answer)
{
    if (json_output) {
        print_json(answer);
    } else {
        char *id = field(answer, "id");
        puts(id);
        free(id);
    }
}

static void
cmd_service_add(int argc, char *argv[])
{
    json_t *body = json_object();

    json_object_set_new(body, "name", json_string(argv[1]));
    json_object_set_new(body, "vip", json_string(argv[2]));
    for (int i = 3; i < argc; i++) {
        if (!strncmp(argv[i], "name=", 5) || !strncmp(argv[i], "vip=", 4)) {
            ctl_fatal(CTL_USAGE, "%s: NAME and VIP are the first two "
                      "arguments", argv[i]);
        }
    }
    parse_fields(body, argv + 3, argc - 3, service_fields, "service");

    json_t *answer = http_request(EVHTTP_REQ_POST, "/v1/services", body);
    print_created(answer);
    json_decref(answer);
    json_decref(body);
}

static void
cmd_service_list(int argc, char *argv[])
{
    json_t *answer = http_get("/v1/services");
    json_t *services = answer_array(answer, "services", "/v1/services");

    if (json_output) {
        print_json(answer);
    } else {
        print_service_list(services);
    }
    json_decref(answer);
}

static void
cmd_service_show(int argc, char *argv[])
{
    char *path = service_path(argv[1]);
    json_t *answer = http_get(path);

    if (json_output) {
        print_json(answer);
    } else {
        print_service(answer);
    }
    json_decref(answer);
    free(path);
}

static void
cmd_service_set(int argc, char *argv[])
{
    json_t *body = json_object();
    char *path = service_path(argv[1]);

    parse_fields(body, argv + 2, argc - 2, service_fields, "service");

    json_t *answer = http_request(EVHTTP_REQ_PATCH, path, body);
    if (json_output) {
        print_json(answer);
    }
    json_decref(answer);
    json_decref(body);
    free(path);
}

static void
cmd_service_del(int argc, char *argv[])
{
    char *path = service_path(argv[1]);

    json_decref(http_request(EVHTTP_REQ_DELETE, path, NULL));
    free(path);
}

static void
cmd_member_add(int argc, char *argv[])
{
    json_t *body = json_object();
    char *path = service_path(argv[1]);
    char *members_path = xasprintf("%s/members", path);

    json_object_set_new(body, "address", json_string(argv[2]));
    for (int i = 3; i < argc; i++) {
        if (!strncmp(argv[i], "address=", 8)) {
            ctl_fatal(CTL_USAGE, "%s: ADDRESS is the second argument",
                      argv[i]);
        }
    }
    parse_fields(body, argv + 3, argc - 3, member_fields, "member");

    json_t *answer = http_request(EVHTTP_REQ_POST, members_path, body);
    print_created(answer);
    json_decref(answer);
    json_decref(body);
    free(members_path);
    free(path);
}

/* Returns true if 'a' and 'b' are the same IP address, however written. */
static bool
same_address(const char *a, const char *b)
{
    unsigned char x[16], y[16];

    if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1) {
        return !memcmp(x, y, 16);
    }
    if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1) {
        return !memcmp(x, y, 4);
    }
    return !strcmp(a, b);
}

/* Returns the path of member 'member' of 'service': 'member' is an id, or
 * an address looked up in the service's member list. */
static char *
member_path(const char *service, const char *member)
{
    char *path = service_path(service);
    char *result = NULL;

    if (member[0] && strspn(member, "0123456789") == strlen(member)) {
        result = xasprintf("%s/members/%s", path, member);
    } else {
        char *list_path = xasprintf("%s/members", path);
        json_t *answer = http_get(list_path);
        json_t *members = answer_array(answer, "members", list_path);
        size_t i;
        json_t *m;

        json_array_foreach (members, i, m) {
            const char *address = json_string_value(json_object_get(
                                                        m, "address"));
            json_t *id = json_object_get(m, "id");

            if (address && json_is_integer(id)
                && same_address(address, member)) {
                result = xasprintf("%s/members/%" JSON_INTEGER_FORMAT, path,
                                   json_integer_value(id));
                break;
            }
        }
        if (!result) {
            ctl_fatal(CTL_REFUSED, "service %s has no member %s", service,
                      member);
        }
        json_decref(answer);
        free(list_path);
    }
    free(path);
    return result;
}

static void
cmd_member_set(int argc, char *argv[])
{
    json_t *body = json_object();

    parse_fields(body, argv + 3, argc - 3, member_fields, "member");

    char *path = member_path(argv[1], argv[2]);
    json_t *answer = http_request(EVHTTP_REQ_PATCH, path, body);
    if (json_output) {
        print_json(answer);
    }
    json_decref(answer);
    json_decref(body);
    free(path);
}

static void
cmd_member_del(int argc, char *argv[])
{
    char *path = member_path(argv[1], argv[2]);

    json_decref(http_request(EVHTTP_REQ_DELETE, path, NULL));
    free(path);
}

static void
cmd_member_list(int argc, char *argv[])
{
    char *path = service_path(argv[1]);
    char *list_path = xasprintf("%s/members", path);
    json_t *answer = http_get(list_path);
    json_t *members = answer_array(answer, "members", list_path);

    if (json_output) {
        print_json(answer);
    } else {
        print_members(members, "");
    }
    json_decref(answer);
    free(list_path);
    free(path);
}

static void
cmd_switch_list(int argc, char *argv[])
{
    json_t *answer = http_get("/v1/switches");
    json_t *switches = answer_array(answer, "switches", "/v1/switches");

    if (json_output) {
        print_json(answer);
    } else {
        print_switch_list(switches);
    }
    json_decref(answer);
}

static void
cmd_status(int argc, char *argv[])
{
    json_t *answer = http_get("/v1/status");

    if (json_output) {
        print_json(answer);
    } else {
        print_status(answer);
    }
    json_decref(answer);
}

/* Prints, for "show", how service 'svc' keeps its sessions and what its
 * counters of fragments, label changes and ICMP "too big" say. */
static void
print_session_summary(const json_t *svc)
{
    json_t *status = json_object_get(svc, "status");
    char *persistence = field(svc, "persistence");
    char *idle = field(svc, "idle_timeout");
    char *label_change = field(svc, "label_change");
    char *stick = field(status, "stick_entries");
    char *fragments = field(status, "fragments");
    char *drops = field(status, "label_change_drops");
    char *delivered = field(status, "ptb_delivered");
    char *broadcast = field(status, "ptb_broadcast");

    if (!strcmp(persistence, "stateful")) {
        printf("  stateful, idle timeout %s s, label change %s, "
               "stick entries %s\n", idle, label_change, stick);
    } else {
        printf("  %s\n", persistence);
    }
    printf("  fragments %s, label-change drops %s, too big: delivered %s, "
           "broadcast %s\n", fragments, drops, delivered, broadcast);

    free(persistence);
    free(idle);
    free(label_change);
    free(stick);
    free(fragments);
    free(drops);
    free(delivered);
    free(broadcast);
}

/* Prints, for "show", how service 'svc' forwards and balances and how it
 * checks its members' health. */
static void
print_balance_summary(const json_t *svc)
{
    char *forwarding = field(svc, "forwarding");
    json_t *source = json_object_get(svc, "source");
    json_t *passive = json_object_get(svc, "passive_timeout");

    printf("  %s", forwarding);
    if (json_is_string(source)) {
        printf(" from %s", json_string_value(source));
    }
    /* An older flowlbd has none of the rest. */
    if (json_object_get(svc, "algorithm")) {
        char *algorithm = field(svc, "algorithm");
        char *decision = field(svc, "decision");
        char *health = health_summary(json_object_get(svc, "health"));

        printf(", algorithm %s, decision %s, health %s", algorithm, decision,
               health);
        free(algorithm);
        free(decision);
        free(health);
    }
    if (json_integer_value(passive) > 0) {
        printf(", passive timeout %" JSON_INTEGER_FORMAT " s",
               json_integer_value(passive));
    }
    putchar('\n');
    free(forwarding);
}

/* Prints service 'svc' for "show": a five-line summary, then its members,
 * indented. */
static void
print_service_summary(const json_t *svc)
{
    json_t *status = json_object_get(svc, "status");
    char *id = field(svc, "id");
    char *name = field(svc, "name");
    char *vip = field(svc, "vip");
    char *protocol = field(svc, "protocol");
    char *ports = cell(json_object_get(svc, "ports"), "all");
    char *key = field(svc, "key");
    char *switches = cell(json_object_get(svc, "switches"), "all");
    char *members = members_summary(svc);
    char *packets = field(status, "packets");
    char *bytes = field(status, "bytes");

    printf("service %s %s: %s %s ports %s, key %s\n",
           id, name, vip, protocol, ports, key);
    printf("  switches %s, members %s, packets %s, bytes %s\n",
           switches, members, packets, bytes);
    print_balance_summary(svc);
    print_session_summary(svc);
    char *sync = sync_summary(svc);
    char *openflow = openflow_summary(svc);
    printf("  sync %s; openflow %s\n", sync, openflow);
    free(sync);
    free(openflow);
    print_members(json_object_get(svc, "members"), "  ");

    free(id);
    free(name);
    free(vip);
    free(protocol);
    free(ports);
    free(key);
    free(switches);
    free(members);
    free(packets);
    free(bytes);
}

static void
cmd_show(int argc, char *argv[])
{
    json_t *status = http_get("/v1/status");
    json_t *sw_answer = http_get("/v1/switches");
    json_t *switches = answer_array(sw_answer, "switches", "/v1/switches");
    json_t *svc_answer = http_get("/v1/services");
    json_t *services = answer_array(svc_answer, "services", "/v1/services");

    if (json_output) {
        json_t *all = json_pack("{s:O, s:O, s:O}", "status", status,
                                "switches", switches, "services", services);
        print_json(all);
        json_decref(all);
    } else {
        char *version = field(status, "version");
        char *ovs_version = field(status, "ovs_version");
        char *uptime = field(status, "uptime_s");
        char *counts = inline_object(json_object_get(status, "switches"));
        size_t i;
        json_t *svc;

        printf("flowlbd %s, Open vSwitch %s, up %s s\n", version,
               ovs_version, uptime);
        printf("switches: %s\n", counts);
        if (json_array_size(switches)) {
            putchar('\n');
            print_switch_list(switches);
        }
        json_array_foreach (services, i, svc) {
            putchar('\n');
            print_service_summary(svc);
        }
        if (!json_array_size(services)) {
            printf("\nno services\n");
        }
        free(version);
        free(ovs_version);
        free(uptime);
        free(counts);
    }
    json_decref(status);
    json_decref(sw_answer);
    json_decref(svc_answer);
}

struct command {
    const char *name;
    const char *args;           /* For usage messages. */
    int min_args, max_args;     /* Not counting the command's name. */
    void (*handler)(int argc, char *argv[]);
};

static const struct command commands[] = {
    { "service-add", "NAME VIP [FIELD=VALUE]...", 2, INT_MAX,
      cmd_service_add },
    { "service-list", "", 0, 0, cmd_service_list },
    { "service-show", "SERVICE", 1, 1, cmd_service_show },
    { "service-set", "SERVICE FIELD=VALUE...", 2, INT_MAX, cmd_service_set },
    { "service-del", "SERVICE", 1, 1, cmd_service_del },
    { "member-add", "SERVICE ADDRESS [FIELD=VALUE]...", 2, INT_MAX,
      cmd_member_add },
    { "member-set", "SERVICE MEMBER FIELD=VALUE...", 3, INT_MAX,
      cmd_member_set },
    { "member-del", "SERVICE MEMBER", 2, 2, cmd_member_del },
    { "member-list", "SERVICE", 1, 1, cmd_member_list },
    { "show", "", 0, 0, cmd_show },
    { "switch-list", "", 0, 0, cmd_switch_list },
    { "status", "", 0, 0, cmd_status },
};

static void
usage(void)
{
    printf("\
flowlb-ctl: command-line client of flowlbd's REST API\n\
usage: flowlb-ctl [OPTIONS] COMMAND [ARG...]\n\
\n\
Services (SERVICE is a service's id or name):\n\
  service-add NAME VIP [FIELD=VALUE]...   create a service\n\
  service-list                            list services\n\
  service-show SERVICE                    a service and its members\n\
  service-set SERVICE FIELD=VALUE...      change fields of a service\n\
  service-del SERVICE                     delete a service\n\
  service fields: protocol=tcp|udp|any ports=80,443\n\
    key=src-label|src-dst-label|5tuple|src forwarding=dsr|nat|napt\n\
    persistence=stateless|stateful idle_timeout=SECONDS\n\
    label_change=follow|drop|rebalance\n\
    source=ADDRESS source_ports=MIN,MAX (napt)\n\
    timeouts=tcp:SECS,udp:SECS,icmp:SECS (nat, napt)\n\
    algorithm=round-robin|weighted-round-robin|least-sessions|\n\
      least-traffic|weighted-least-load|fastest-response|\n\
      cost-least-load|cost-least-traffic\n\
    decision=datapath-fast|per-session\n\
    per_session_rate=N traffic_metric=bytes|packets traffic_window=SECS\n\
    session_weight=N passive_timeout=SECS\n\
    health=icmp|tcp|http[,interval:SECS,timeout:SECS,rise:N,fall:N,\n\
      port:PORT,path:PATH,expect:STATUS] (health= or health=none: none)\n\
    switches=DPID,DPID name=NAME vip=VIP (service-set only)\n\
\n\
Members (MEMBER is a member's id or address):\n\
  member-add SERVICE ADDRESS [FIELD=VALUE]...  add a member\n\
  member-list SERVICE                     list a service's members\n\
  member-set SERVICE MEMBER FIELD=VALUE...  change fields of a member\n\
  member-del SERVICE MEMBER               delete a member\n\
  member fields: weight=N mac=MAC (mac= clears it)\n\
    state=enabled|disabled|drain port=PORT (nat, napt)\n\
    backup=MEMBER-ID (backup= clears it) cost=NUMBER|infinity\n\
\n\
Everything else:\n\
  show                                    status, switches, services\n\
  switch-list                             connected and known switches\n\
  status                                  flowlbd's version and counters\n\
\n\
A list value is comma-separated; an empty value is an empty list.\n\
service-add and member-add print the new id.\n\
\n\
Options:\n\
  -s, --server=URL     flowlbd's REST API (default: $FLOWLB_SERVER,\n\
                       else %s)\n\
  -j, --json           print the API's JSON answers (keys sorted)\n\
  -t, --timeout=SECS   give up waiting for an answer after SECS (%g)\n\
  -h, --help           print this message\n\
  -V, --version        print the version\n\
\n\
Exit status:\n\
  0  success\n\
  1  the API refused the request (4xx); its message goes to stderr\n\
  2  usage error: bad command line, nothing was sent\n\
  3  cannot reach flowlbd (connection refused, timeout)\n\
  4  server error (5xx) or an answer that is not the API's\n",
           DEFAULT_SERVER, DEFAULT_TIMEOUT);
    exit(CTL_OK);
}

static void
parse_options(int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "server", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *server = getenv("FLOWLB_SERVER");
    double secs = DEFAULT_TIMEOUT;

    if (!server || !server[0]) {
        server = DEFAULT_SERVER;
    }
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "s:jt:hV", long_options, NULL);
        char *end;

        if (c == -1) {
            break;
        }
        switch (c) {
        case 's':
            server = optarg;
            break;
        case 'j':
            json_output = true;
            break;
        case 't':
            errno = 0;
            secs = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(secs > 0)
                || secs > 86400) {
                ctl_fatal(CTL_USAGE, "--timeout=%s: expected seconds, "
                          "more than 0 and at most 86400", optarg);
            }
            break;
        case 'h':
            usage();
        case 'V':
            printf("flowlb-ctl (flowlb) %s\n", FLOWLB_VERSION);
            exit(CTL_OK);
        case '?':
            if (optopt) {
                ctl_fatal(CTL_USAGE, "-%c: unknown option or missing "
                          "argument (--help for help)", optopt);
            }
            ctl_fatal(CTL_USAGE, "%s: unknown option or missing argument "
                      "(--help for help)", argv[optind - 1]);
        default:
            abort();
        }
    }
    set_server(server);
    timeout.tv_sec = (long) secs;
    timeout.tv_usec = (long) ((secs - timeout.tv_sec) * 1e6);
}

int
main(int argc, char *argv[])
{
    parse_options(argc, argv);
    argc -= optind;
    argv += optind;
    if (argc < 1) {
        ctl_fatal(CTL_USAGE, "missing command (--help for help)");
    }

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command *cmd = &commands[i];

        if (!strcmp(argv[0], cmd->name)) {
            int n_args = argc - 1;

            if (n_args < cmd->min_args || n_args > cmd->max_args) {
                ctl_fatal(CTL_USAGE, "usage: flowlb-ctl %s%s%s", cmd->name,
                          cmd->args[0] ? " " : "", cmd->args);
            }
            cmd->handler(argc, argv);
            return CTL_OK;
        }
    }
    ctl_fatal(CTL_USAGE, "%s: unknown command (--help for help)", argv[0]);
}
