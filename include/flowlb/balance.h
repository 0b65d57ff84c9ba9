/*
 * balance: the datapath-fast way of applying a service's algorithm
 * (lb-algo.h).  Every statistics interval, sync calls balance_run(),
 * which turns the members' live counters into the algorithm's inputs
 * (traffic rates over the service's window, sessions, probe round trips,
 * costs) and stores the select-group bucket weights the algorithm gives
 * in each member's 'bucket_weight'.  A service whose weights changed gets
 * a new generation, so that sync sends the switches one group mod.
 *
 * Pure: no sockets, no event loop; the caller passes the time.
 */
#ifndef FLOWLB_BALANCE_H
#define FLOWLB_BALANCE_H 1

#include <stddef.h>

struct lb_model;

/* The largest bucket weight balance gives a member (a member of weight w
 * gets w buckets of weight 1, compiler.c says why). */
#define BALANCE_WEIGHT_MAX 16

struct balance *balance_create(void);
void balance_destroy(struct balance *);

/* Updates every service's members' 'traffic_rate' and, for services whose
 * algorithm sets weights from load, their 'bucket_weight'.  Returns the
 * number of services whose weights changed. */
size_t balance_run(struct balance *, struct lb_model *, long long int now_ms);

#endif /* flowlb/balance.h */
