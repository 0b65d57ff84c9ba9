/*
 * lb-algo-least: least-sessions, least-traffic and weighted-least-load
 * (lb-algo.h), which differ only in the load they compare: 'sessions',
 * 'traffic', or 'weighted_sessions' per unit of host weight.  Exact
 * picks compare integers cross-multiplied, as nginx's least_conn does,
 * so there is no division on the per-session path.
 */
#include <config.h>
#include "flowlb/lb-algo.h"

#include <math.h>
#include <stdlib.h>
#include "openvswitch/util.h"
#include "util.h"

enum least_metric {
    LEAST_SESSIONS,             /* 'sessions'. */
    LEAST_TRAFFIC,              /* 'traffic'. */
    LEAST_WEIGHTED,             /* 'weighted_sessions' / 'weight'. */
};

static double
traffic(const struct lb_algo_member *m)
{
    return m->traffic > 0 && isfinite(m->traffic) ? m->traffic : 0;
}

/* Returns <0 if 'a' has less load than 'b', >0 if more, 0 if equal.
 * Loads below 2**56 cannot overflow the cross-multiplication. */
static int
compare_load(const struct lb_algo_member *a, const struct lb_algo_member *b,
             enum least_metric metric)
{
    switch (metric) {
    case LEAST_SESSIONS:
        return (a->sessions > b->sessions) - (a->sessions < b->sessions);
    case LEAST_TRAFFIC: {
        double ta = traffic(a), tb = traffic(b);
        return (ta > tb) - (ta < tb);
    }
    case LEAST_WEIGHTED: {
        uint64_t la = a->weighted_sessions * lb_algo_weight(b);
        uint64_t lb = b->weighted_sessions * lb_algo_weight(a);
        return (la > lb) - (la < lb);
    }
    }
    OVS_NOT_REACHED();
}

/* The exact rule of all three: least load, then larger host weight, then
 * lower index. */
static int
least_pick(const struct lb_algo_member *members, size_t n,
           enum least_metric metric)
{
    int best = -1;

    for (size_t i = 0; i < n; i++) {
        const struct lb_algo_member *m = &members[i];
        if (!m->usable) {
            continue;
        }
        if (best < 0) {
            best = i;
            continue;
        }
        int c = compare_load(m, &members[best], metric);
        if (c < 0 || (!c && lb_algo_weight(m)
                             > lb_algo_weight(&members[best]))) {
            best = i;
        }
    }
    return best;
}

static void
least_weights(const struct lb_algo_member *members, size_t n,
              double expected_new, unsigned int max, unsigned int *out,
              enum least_metric metric)
{
    double *load = xmalloc(MAX(n, 1) * sizeof *load);
    double *factor = xmalloc(MAX(n, 1) * sizeof *factor);

    for (size_t i = 0; i < n; i++) {
        const struct lb_algo_member *m = &members[i];
        switch (metric) {
        case LEAST_SESSIONS:
            load[i] = m->sessions;
            factor[i] = 1;
            break;
        case LEAST_TRAFFIC:
            load[i] = traffic(m);
            factor[i] = 1;
            break;
        case LEAST_WEIGHTED:
            load[i] = m->weighted_sessions;
            factor[i] = 1.0 / lb_algo_weight(m);
            break;
        }
    }
    lb_algo_level(members, n, load, factor, expected_new, max, out);
    free(factor);
    free(load);
}

LB_ALGO_DEFINE(lb_algo_least_sessions, "least-sessions",
               least_pick, least_weights, LEAST_SESSIONS);
LB_ALGO_DEFINE(lb_algo_least_traffic, "least-traffic",
               least_pick, least_weights, LEAST_TRAFFIC);
LB_ALGO_DEFINE(lb_algo_weighted_least_load, "weighted-least-load",
               least_pick, least_weights, LEAST_WEIGHTED);
