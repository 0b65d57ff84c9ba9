/*
 * addr: parsing and formatting socket addresses.  See addr.h.
 */
#include <config.h>
#include "flowlb/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include "openvswitch/util.h"
#include "util.h"

/* Parses 's', "IPv4:PORT" or "[IPv6]:PORT" with PORT from 0 to 65535, into
 * '*ss' and '*len'.  Returns 0 or EINVAL. */
int
addr_parse_ip_port(const char *s, struct sockaddr_storage *ss,
                   socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port_s;

    memset(ss, 0, sizeof *ss);
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':' || end - s - 1 >= sizeof host) {
            return EINVAL;
        }
        memcpy(host, s + 1, end - s - 1);
        host[end - s - 1] = '\0';
        port_s = end + 2;
    } else {
        const char *colon = strchr(s, ':');
        if (!colon || colon - s >= sizeof host || strchr(colon + 1, ':')) {
            return EINVAL;
        }
        memcpy(host, s, colon - s);
        host[colon - s] = '\0';
        port_s = colon + 1;
    }

    char *end;
    long port = strtol(port_s, &end, 10);
    if (!*port_s || *end || port < 0 || port > 65535) {
        return EINVAL;
    }

    struct sockaddr_in *sin = (struct sockaddr_in *) ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
    if (s[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        *len = sizeof *sin;
    } else if (s[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        *len = sizeof *sin6;
    } else {
        return EINVAL;
    }
    return 0;
}

/* Parses an OpenFlow target, "tcp:IP:PORT" (IPv6 as "tcp:[IP]:PORT") or
 * "unix:PATH", into '*ss' and '*len'.  Returns 0 or EINVAL. */
int
addr_parse_target(const char *target, struct sockaddr_storage *ss,
                  socklen_t *len)
{
    if (!strncmp(target, "tcp:", 4)) {
        return addr_parse_ip_port(target + 4, ss, len);
    } else if (!strncmp(target, "unix:", 5)) {
        struct sockaddr_un *sun = (struct sockaddr_un *) ss;
        const char *path = target + 5;

        memset(ss, 0, sizeof *ss);
        if (!*path || strlen(path) >= sizeof sun->sun_path) {
            return EINVAL;
        }
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, path);
        *len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
        return 0;
    }
    return EINVAL;
}

/* Formats 'sa' as "IP:PORT" or "[IPv6]:PORT", or a Unix socket as its
 * path.  The caller frees the string. */
char *
addr_format_ip_port(const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN];

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        return xasprintf("%s:%d", host, ntohs(sin->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        return xasprintf("[%s]:%d", host, ntohs(sin6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        return xstrdup(((const struct sockaddr_un *) sa)->sun_path);
    }
    return xstrdup("?");
}

/* Formats 'sa' as an OpenFlow target, "tcp:IP:PORT" or "unix:PATH".  The
 * caller frees the string. */
char *
addr_format_target(const struct sockaddr *sa)
{
    char *s = addr_format_ip_port(sa);
    char *target = xasprintf("%s:%s", sa->sa_family == AF_UNIX ? "unix"
                             : "tcp", s);
    free(s);
    return target;
}
