/*
 * lb-algo-rr: round-robin and weighted-round-robin (lb-algo.h), the
 * algorithms that ignore load.  Weighted-round-robin is nginx's smooth
 * weighted round robin (ngx_http_upstream_get_peer()): each pick adds
 * every usable member's weight to its 'current', takes the member with
 * the largest 'current' and subtracts the total weight from it, so a
 * heavy member's turns are spread out (5, 1, 1 gives a a b a c a a).
 */
#include <config.h>
#include "flowlb/lb-algo.h"
#include "flowlb/lb.h"

#include <stdlib.h>
#include <string.h>
#include "openvswitch/util.h"
#include "util.h"

/* round-robin. */

struct rr_state {
    size_t next;                /* Index to try first. */
};

static void *
rr_create(void)
{
    return xzalloc(sizeof(struct rr_state));
}

static void
rr_destroy(void *state)
{
    free(state);
}

static int
rr_pick(void *state_, const struct lb_algo_member *members, size_t n)
{
    struct rr_state *state = state_;

    for (size_t k = 0; k < n; k++) {
        size_t i = (state->next + k) % n;
        if (members[i].usable) {
            state->next = i + 1;
            return i;
        }
    }
    return -1;
}

static void
rr_weights(void *state OVS_UNUSED, const struct lb_algo_member *members,
           size_t n, double expected_new OVS_UNUSED,
           unsigned int max OVS_UNUSED, unsigned int *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = members[i].usable;
    }
}

const struct lb_algo_ops lb_algo_round_robin = {
    .name = "round-robin",
    .create = rr_create,
    .destroy = rr_destroy,
    .pick = rr_pick,
    .weights = rr_weights,
};

/* weighted-round-robin. */

struct wrr_state {
    size_t n;
    uint32_t *ids;              /* The members 'current' belongs to. */
    long long int *current;
};

static void *
wrr_create(void)
{
    return xzalloc(sizeof(struct wrr_state));
}

static void
wrr_destroy(void *state_)
{
    struct wrr_state *state = state_;

    if (state) {
        free(state->ids);
        free(state->current);
        free(state);
    }
}

/* Starts the sequence over if the members are not those of last time. */
static void
wrr_sync(struct wrr_state *state, const struct lb_algo_member *members,
         size_t n)
{
    bool same = state->n == n;

    for (size_t i = 0; same && i < n; i++) {
        same = state->ids[i] == members[i].id;
    }
    if (!same) {
        free(state->ids);
        free(state->current);
        state->n = n;
        state->ids = xmalloc(MAX(n, 1) * sizeof *state->ids);
        state->current = xcalloc(MAX(n, 1), sizeof *state->current);
        for (size_t i = 0; i < n; i++) {
            state->ids[i] = members[i].id;
        }
    }
}

static int
wrr_pick(void *state_, const struct lb_algo_member *members, size_t n)
{
    struct wrr_state *state = state_;
    long long int total = 0;
    int best = -1;

    wrr_sync(state, members, n);
    for (size_t i = 0; i < n; i++) {
        if (members[i].usable) {
            unsigned int w = lb_algo_weight(&members[i]);
            state->current[i] += w;
            total += w;
            if (best < 0 || state->current[i] > state->current[best]) {
                best = i;
            }
        }
    }
    if (best >= 0) {
        state->current[best] -= total;
    }
    return best;
}

static void
wrr_weights(void *state OVS_UNUSED, const struct lb_algo_member *members,
            size_t n, double expected_new OVS_UNUSED, unsigned int max,
            unsigned int *out)
{
    unsigned int g = 0, top = 0;

    max = MAX(max, 1);
    for (size_t i = 0; i < n; i++) {
        if (members[i].usable) {
            g = lb_gcd(lb_algo_weight(&members[i]), g);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (members[i].usable) {
            top = MAX(top, lb_algo_weight(&members[i]) / g);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!members[i].usable) {
            out[i] = 0;
        } else {
            unsigned int w = lb_algo_weight(&members[i]) / g;
            if (top > max) {
                /* Rounded to the nearest, at least 1. */
                w = (2ULL * w * max + top) / (2ULL * top);
                w = MAX(w, 1);
            }
            out[i] = w;
        }
    }
}

const struct lb_algo_ops lb_algo_weighted_round_robin = {
    .name = "weighted-round-robin",
    .create = wrr_create,
    .destroy = wrr_destroy,
    .pick = wrr_pick,
    .weights = wrr_weights,
};
