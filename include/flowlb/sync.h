/*
 * sync: keeps every switch holding exactly what the compiler says.
 *
 * When a switch connects, sync reads the flows under flowlbd's cookies and
 * the groups in flowlbd's id range (pipeline.h), then sends only the
 * difference from the compiler's output, in one atomic OpenFlow bundle
 * followed by a barrier, so that no packet sees half a change.  Every
 * model change (sync_model_changed()) schedules one deferred pass over all
 * switches, so a burst of REST writes costs one compile and one bundle per
 * switch.  A failed bundle changes nothing on the switch; sync logs the
 * error, counts it and re-reads the switch a second later.
 *
 * Every 'audit_interval_ms' it reads each switch again, so that flows
 * changed behind its back (ovs-ofctl, another controller) are repaired.
 *
 * What the buckets it reads say about members' MACs goes to the
 * 'bucket_mac' hook, for resolve.
 *
 * sync also polls group statistics and adds the bucket counters to the
 * members they belong to.
 */
#ifndef FLOWLB_SYNC_H
#define FLOWLB_SYNC_H 1

#include <netinet/in.h>
#include <stdint.h>
#include <jansson.h>
#include "openflow/openflow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/types.h"

struct compiler_options;
struct event_base;
struct lb_model;
struct lb_service;
struct ofconn;
struct ofp_header;
struct sync;

struct sync *sync_create(struct event_base *, struct lb_model *,
                         const struct compiler_options *,
                         int stats_interval_ms, int audit_interval_ms,
                         void (*bucket_mac)(const struct in6_addr *,
                                            struct eth_addr, void *aux),
                         void *bucket_mac_aux);
void sync_destroy(struct sync *);

void sync_switch_up(struct sync *, uint64_t dpid, struct ofconn *);
void sync_switch_down(struct sync *, uint64_t dpid);
void sync_handle_msg(struct sync *, uint64_t dpid, enum ofptype,
                     const struct ofp_header *);
void sync_model_changed(struct sync *);

json_t *sync_switch_to_json(const struct sync *, uint64_t dpid);
void sync_decorate_service(json_t *, const struct lb_service *,
                           void *sync);

#endif /* flowlb/sync.h */
