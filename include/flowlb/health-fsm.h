/*
 * health-fsm: the decisions of dead host detection (LSNAT section 6).
 *
 * Pure: health (health.h) runs the probes and samples the counters, and
 * asks this module what they mean for a member's health; it neither sends
 * nor schedules anything, so every transition is unit-tested.
 *
 * Active monitors.  A member's health starts UNKNOWN, which counts as up.
 * Consecutive results against the current health are counted (the
 * member's 'health_count'): 'fall' failures in a row take an UNKNOWN or UP
 * member DOWN, 'rise' successes in a row bring a DOWN member UP, and the
 * first success of an UNKNOWN member makes it UP at once (it was taking
 * sessions already).  A result that agrees with the health resets the
 * count.
 *
 * Passive detection.  For a NAT or NAPT service with a 'passive_timeout',
 * the member's forward and reply packet counters (from the switches' flow
 * statistics) are sampled over time.  When forward packets grew and reply
 * packets then did not grow for 'passive_timeout', the member is declared
 * DOWN with a reason "passive: N packets sent, no reply for S s".  The
 * unanswered time is counted from the first sample that showed the
 * unanswered packets, so at least one packet went unanswered that long.
 * A member that passive detection took down comes back through the active
 * monitor's 'rise' if the service has one.  Without one it comes back UP
 * as soon as replies are seen again, and, since a member that is down gets
 * no new sessions and so may never answer again, it is given a new chance
 * (health UNKNOWN, taking sessions) after HFSM_PASSIVE_RETRY_MS(timeout):
 * the draft's "monitored later again after a long pause".
 */
#ifndef FLOWLB_HEALTH_FSM_H
#define FLOWLB_HEALTH_FSM_H 1

#include <stdbool.h>
#include <stdint.h>
#include "flowlb/lb.h"

/* The outcome of one active probe result. */
struct hfsm_step {
    enum lb_health health;      /* Health after the result. */
    int count;                  /* The member's new 'health_count'. */
    int streak;                 /* When 'health' changed: the results in a
                                 * row that changed it, else 0. */
};

struct hfsm_step hfsm_probe(enum lb_health, int count, bool ok,
                            int rise, int fall);

/* The reason to record for a change: 'probe_reason' alone for a streak of
 * one, else followed by " (N in a row)".  The caller frees it. */
char *hfsm_reason(const char *probe_reason, int streak);

/* Passive detection of one member. */
struct hfsm_passive {
    bool valid;                 /* Has a previous sample? */
    uint64_t fwd, reply;        /* Counters at the previous sample. */
    bool pending;               /* Packets went out unanswered... */
    long long int since_ms;     /* ...seen first at this sample... */
    uint64_t fwd_base;          /* ...and 'fwd' before them. */
    bool took_down;             /* This module took the member down... */
    long long int down_ms;      /* ...at this time. */
};

enum hfsm_verdict {
    HFSM_NONE,                  /* No change. */
    HFSM_DOWN,                  /* Unanswered for the timeout. */
    HFSM_UP,                    /* Replies again (no active monitor). */
    HFSM_RETRY,                 /* Down long enough: UNKNOWN again (no
                                 * active monitor). */
};

/* How long a member that passive detection took down waits, without an
 * active monitor, before it may take sessions again: ten timeouts, from
 * 30 s to 5 min. */
#define HFSM_PASSIVE_RETRY_MS(TIMEOUT_MS)                       \
    ((TIMEOUT_MS) * 10LL < 30000 ? 30000LL                      \
     : (TIMEOUT_MS) * 10LL > 300000 ? 300000LL                  \
     : (TIMEOUT_MS) * 10LL)

void hfsm_passive_init(struct hfsm_passive *);

/* Feeds a sample of the member's forward ('fwd') and reply ('reply')
 * packet counters taken at monotonic time 'now_ms', while its health is
 * 'health'; 'active' says whether the service has an active monitor and
 * 'timeout_ms' is its passive timeout (> 0).  Returns what to do; for
 * anything but HFSM_NONE, '*reason' is the reason to record, which the
 * caller frees.  The caller must apply a verdict other than HFSM_NONE. */
enum hfsm_verdict hfsm_passive_sample(struct hfsm_passive *,
                                      long long int now_ms,
                                      uint64_t fwd, uint64_t reply,
                                      enum lb_health health, bool active,
                                      long long int timeout_ms,
                                      char **reason);

#endif /* flowlb/health-fsm.h */
