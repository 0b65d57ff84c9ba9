/*
 * lb-rate: the rate of a cumulative counter over a sliding window, for
 * least-traffic and cost-least-traffic (lb-algo.h).
 *
 * Pure: the caller feeds samples (time in ms, counter value) as statistics
 * arrive, say a member's packet or byte count from group statistics, and
 * asks for the rate per second over the last 'window_ms'.  A counter that
 * goes down was reset (a switch reconnected, a group was rebuilt): the new
 * value is taken as counted from 0 since the reset, so the rate never goes
 * negative.  A sample older than the previous one is ignored.
 *
 * The rate is measured between the newest sample and the newest one at or
 * before the window's start (or the oldest kept, if none is that old).
 * With no sample inside the window, or fewer than two samples, the rate
 * is 0.  At most LB_RATE_SAMPLES samples are kept; a window that needs more
 * (samples much more often than window_ms / LB_RATE_SAMPLES) is shortened
 * to the newest LB_RATE_SAMPLES.
 */
#ifndef FLOWLB_LB_RATE_H
#define FLOWLB_LB_RATE_H 1

#include <stddef.h>
#include <stdint.h>

#define LB_RATE_SAMPLES 64

struct lb_rate_sample {
    long long int time_ms;
    uint64_t total;             /* Counted since lb_rate_init(), resets
                                 * included. */
};

struct lb_rate {
    long long int window_ms;
    size_t first, n;            /* Ring of 'n' samples from 'first'. */
    struct lb_rate_sample samples[LB_RATE_SAMPLES];
    uint64_t last_counter;      /* The counter as last fed. */
    uint64_t total;
};

void lb_rate_init(struct lb_rate *, long long int window_ms);
void lb_rate_add(struct lb_rate *, long long int now_ms, uint64_t counter);
double lb_rate_get(const struct lb_rate *, long long int now_ms);

#endif /* flowlb/lb-rate.h */
