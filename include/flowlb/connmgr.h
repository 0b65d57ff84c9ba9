/*
 * connmgr: every OpenFlow connection flowlbd has, and the switch registry
 * they feed.
 *
 * It listens for switches (passive) and connects to bridges' management
 * sockets (active, with reconnect and exponential backoff), creates an
 * ofconn for each connection and turns what they report into registry
 * updates.  When one switch is connected more than once (say through its
 * controller setting and its management socket), the newest connection is
 * the one the registry follows; the others stay open as standbys.
 */
#ifndef FLOWLB_CONNMGR_H
#define FLOWLB_CONNMGR_H 1

struct connmgr;
struct event_base;
struct switch_registry;

struct connmgr *connmgr_create(struct event_base *, struct switch_registry *,
                               int probe_interval_ms);
void connmgr_destroy(struct connmgr *);

int connmgr_listen(struct connmgr *, const char *target, char **bound);
int connmgr_connect(struct connmgr *, const char *target);

#endif /* flowlb/connmgr.h */
