/*
 * addr: socket addresses as flowlbd's options and logs spell them.
 *
 * Pure: "IP:PORT" or "[IPv6]:PORT" (port 0 meaning "any free port"), and
 * the OpenFlow target forms "tcp:IP:PORT" and "unix:PATH".
 */
#ifndef FLOWLB_ADDR_H
#define FLOWLB_ADDR_H 1

#include <sys/socket.h>

int addr_parse_ip_port(const char *, struct sockaddr_storage *,
                       socklen_t *);
int addr_parse_target(const char *, struct sockaddr_storage *, socklen_t *);
char *addr_format_ip_port(const struct sockaddr *);
char *addr_format_target(const struct sockaddr *);

#endif /* flowlb/addr.h */
