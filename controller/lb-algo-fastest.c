/*
 * lb-algo-fastest: fastest-response (lb-algo.h), LSNAT 5.1 item 5: the
 * member whose health probe came back soonest.  Round trips are compared
 * in steps of LB_ALGO_RTT_STEP_MS, so that probe jitter does not decide
 * and ties go to the member with fewer sessions.  Members whose round trip
 * is unknown count only when no usable member's is known; then the
 * algorithm is least-sessions (lb-algo-least.c).
 */
#include <config.h>
#include "flowlb/lb-algo.h"

#include <math.h>
#include <stdlib.h>
#include "openvswitch/util.h"
#include "util.h"

static bool
rtt_known(const struct lb_algo_member *m)
{
    return m->usable && m->rtt_ms >= 0 && isfinite(m->rtt_ms);
}

static bool
any_rtt_known(const struct lb_algo_member *members, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rtt_known(&members[i])) {
            return true;
        }
    }
    return false;
}

/* The step 'm''s round trip falls in. */
static double
rtt_step(const struct lb_algo_member *m)
{
    return floor(m->rtt_ms / LB_ALGO_RTT_STEP_MS);
}

static int
fastest_pick(void *state OVS_UNUSED, const struct lb_algo_member *members,
             size_t n)
{
    if (!any_rtt_known(members, n)) {
        return lb_algo_least_sessions.pick(NULL, members, n);
    }

    int best = -1;
    for (size_t i = 0; i < n; i++) {
        const struct lb_algo_member *m = &members[i];
        if (!rtt_known(m)) {
            continue;
        }
        if (best < 0) {
            best = i;
            continue;
        }

        const struct lb_algo_member *b = &members[best];
        double sm = rtt_step(m), sb = rtt_step(b);
        if (sm != sb) {
            if (sm < sb) {
                best = i;
            }
        } else if (m->sessions != b->sessions) {
            if (m->sessions < b->sessions) {
                best = i;
            }
        } else if (lb_algo_weight(m) > lb_algo_weight(b)) {
            best = i;
        }
    }
    return best;
}

/* Proportional to 1 / rtt, with round trips below one step counted as one
 * step so that a zero round trip does not take everything. */
static void
fastest_weights(void *state OVS_UNUSED,
                const struct lb_algo_member *members, size_t n,
                double expected_new, unsigned int max, unsigned int *out)
{
    if (!any_rtt_known(members, n)) {
        lb_algo_least_sessions.weights(NULL, members, n, expected_new, max,
                                       out);
        return;
    }

    double *share = xmalloc(MAX(n, 1) * sizeof *share);
    for (size_t i = 0; i < n; i++) {
        const struct lb_algo_member *m = &members[i];
        share[i] = (rtt_known(m)
                    ? 1 / MAX(m->rtt_ms, LB_ALGO_RTT_STEP_MS)
                    : 0);
    }
    lb_algo_scale(share, n, max, out);
    free(share);
}

const struct lb_algo_ops lb_algo_fastest_response = {
    .name = "fastest-response",
    .pick = fastest_pick,
    .weights = fastest_weights,
};
