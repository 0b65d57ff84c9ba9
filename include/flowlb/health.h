/*
 * health: dead host detection (LSNAT section 6), the I/O half.
 *
 * For every member of a service with a health monitor ('monitor' in
 * struct lb_service), a probe from the host's own stack every monitor
 * interval, the first one at a random point of the first interval so
 * that members are not probed in step:
 *
 *   icmp  an ICMP or ICMPv6 echo request on a raw socket (a ping socket
 *         if raw ones are not allowed), matched by identifier, sequence
 *         number and source address;
 *   tcp   a non-blocking connect to the member's address and the
 *         monitor's port: success when it connects, failure when it is
 *         refused or unreachable;
 *   http  the same connect, then "GET path HTTP/1.0": success when the
 *         status line carries the expected status.
 *
 * A probe that has no answer within the monitor's timeout fails.  The
 * round trip of a successful probe (echo reply, connect, status line) goes
 * into the member's 'rtt_ms' for fastest-response.  health-fsm turns the
 * results into the member's health (rise and fall), and
 * lb_member_set_health() records each change with its reason.
 *
 * For NAT and NAPT services with a 'passive_timeout', every 'sample_ms'
 * health also samples each member's forward and reply packet counters,
 * which sync fills from flow statistics, and health-fsm's passive rule
 * may take a member down (or, without a monitor, bring it back).  DSR
 * services see no replies, so passive detection does not apply to them.
 *
 * health keeps its probes keyed by service id and member id, never by
 * pointer: each result looks the member up in the model again, and
 * health_model_changed() brings the probes in line with the model
 * (members added or removed, monitors changed).  When any member's health
 * changes, 'changed' is called once from the event loop (deferred, so a
 * burst costs one call); flowlbd recompiles the flows then.
 */
#ifndef FLOWLB_HEALTH_H
#define FLOWLB_HEALTH_H 1

struct event_base;
struct lb_model;

struct health *health_create(struct event_base *, struct lb_model *,
                             int sample_ms,
                             void (*changed)(void *aux), void *aux);
void health_destroy(struct health *);

/* The model changed (REST or state file): reconcile the probes. */
void health_model_changed(struct health *);

#endif /* flowlb/health.h */
