/*
 * lb-algo-cost: cost-least-load and cost-least-traffic (lb-algo.h), LSNAT
 * 5.2: the least product of a member's access cost and its load
 * ('sessions' or 'traffic').  A member with an infinite cost (unreachable)
 * takes nothing.
 *
 * The draft contradicts itself here.  Its rule is to minimise cost x load,
 * but its example says that if S1 costs twice as much as S2, "S1 will be
 * assigned twice as much load as that of S2".  Minimising the product does
 * the opposite: the products level out at 2 * L1 = 1 * L2, so S1 gets half
 * the load of S2, which is also what a higher cost should mean.  We follow
 * the formula; test-lb-algo.c shows the half.
 */
#include <config.h>
#include "flowlb/lb-algo.h"

#include <math.h>
#include <stdlib.h>
#include "openvswitch/util.h"
#include "util.h"

static double
cost_load(const struct lb_algo_member *m, bool traffic)
{
    if (!traffic) {
        return m->sessions;
    }
    return m->traffic > 0 && isfinite(m->traffic) ? m->traffic : 0;
}

/* The exact rule: least cost x load, then lower cost, then less load, then
 * larger host weight, then lower index. */
static int
cost_pick(const struct lb_algo_member *members, size_t n, bool traffic)
{
    int best = -1;
    double best_product = 0;

    for (size_t i = 0; i < n; i++) {
        const struct lb_algo_member *m = &members[i];
        if (!m->usable || !lb_algo_cost_ok(m)) {
            continue;
        }

        double product = m->cost * cost_load(m, traffic);
        if (best >= 0) {
            const struct lb_algo_member *b = &members[best];
            if (product != best_product) {
                if (product > best_product) {
                    continue;
                }
            } else if (m->cost != b->cost) {
                if (m->cost > b->cost) {
                    continue;
                }
            } else if (cost_load(m, traffic) != cost_load(b, traffic)) {
                if (cost_load(m, traffic) > cost_load(b, traffic)) {
                    continue;
                }
            } else if (lb_algo_weight(m) <= lb_algo_weight(b)) {
                continue;
            }
        }
        best = i;
        best_product = product;
    }
    return best;
}

/* Water-filling on cost x (load + new). */
static void
cost_weights(const struct lb_algo_member *members, size_t n,
             double expected_new, unsigned int max, unsigned int *out,
             bool traffic)
{
    double *load = xmalloc(MAX(n, 1) * sizeof *load);
    double *factor = xmalloc(MAX(n, 1) * sizeof *factor);

    for (size_t i = 0; i < n; i++) {
        load[i] = cost_load(&members[i], traffic);
        factor[i] = lb_algo_cost_ok(&members[i]) ? members[i].cost : INFINITY;
    }
    lb_algo_level(members, n, load, factor, expected_new, max, out);
    free(factor);
    free(load);
}

LB_ALGO_DEFINE(lb_algo_cost_least_load, "cost-least-load",
               cost_pick, cost_weights, false);
LB_ALGO_DEFINE(lb_algo_cost_least_traffic, "cost-least-traffic",
               cost_pick, cost_weights, true);
