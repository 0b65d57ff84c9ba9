/*
 * render: the JSON that the REST API answers with.
 *
 * Pure: builds jansson values from the switch registry, the counters and
 * error descriptions, so the shape of every answer is unit-tested without a
 * socket.  Times are wall-clock milliseconds since the epoch, passed in.
 */
#ifndef FLOWLB_RENDER_H
#define FLOWLB_RENDER_H 1

#include <jansson.h>
#include "flowlb/switch.h"

struct flowlb_counters;
struct lb_model;

/* What GET /v1/status reports beside the counters. */
struct render_status {
    const char *version;        /* flowlbd's version. */
    const char *ovs_version;    /* The libopenvswitch it is built with. */
    long long int started;      /* Wall clock, ms. */
    const struct switch_registry *switches;
    const struct lb_model *model; /* Services, or NULL. */
};

json_t *render_switch(const struct switch_entry *, long long int now);
json_t *render_switches(const struct switch_registry *, long long int now);
json_t *render_status(const struct render_status *,
                      const struct flowlb_counters *, long long int now);
json_t *render_error(int status, const char *field, const char *message);
char *render_time(long long int msec);

#endif /* flowlb/render.h */
