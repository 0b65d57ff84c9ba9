/*
 * lb-algo: the registry of load-share algorithms and what their files
 * share: clamping, scaling shares to bucket weights, and water-filling.
 * See lb-algo.h.
 */
#include <config.h>
#include "flowlb/lb-algo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "flowlb/lb.h"
#include "openvswitch/util.h"
#include "util.h"

static const struct lb_algo_ops *const algos[] = {
#define LB_ALGO(ENUM, NAME, OPS) &OPS,
    LB_ALGOS
#undef LB_ALGO
};

static const char *const algo_names[] = {
#define LB_ALGO(ENUM, NAME, OPS) NAME,
    LB_ALGOS
#undef LB_ALGO
};

/* Returns the ops of 'type'. */
const struct lb_algo_ops *
lb_algo_get(enum lb_algo_type type)
{
    return type < LB_N_ALGOS ? algos[type] : NULL;
}

/* Returns the REST name of 'type'. */
const char *
lb_algo_name(enum lb_algo_type type)
{
    return type < LB_N_ALGOS ? algo_names[type] : "unknown";
}

/* Returns the ops of the algorithm called 'name', and stores its type in
 * '*type' if 'type' is nonnull, or returns NULL if there is none. */
const struct lb_algo_ops *
lb_algo_find(const char *name, enum lb_algo_type *type)
{
    for (size_t i = 0; i < LB_N_ALGOS; i++) {
        if (!strcmp(name, algo_names[i])) {
            if (type) {
                *type = i;
            }
            return algos[i];
        }
    }
    return NULL;
}

/* Returns the names of all algorithms, separated by ", ", for error
 * messages. */
const char *
lb_algo_names(void)
{
    static const char names[] = ""
#define LB_ALGO(ENUM, NAME, OPS) ", " NAME
        LB_ALGOS
#undef LB_ALGO
        ;
    return names + 2;
}

/* Returns new per-service state for 'ops', NULL if it needs none. */
void *
lb_algo_state_create(const struct lb_algo_ops *ops)
{
    return ops->create ? ops->create() : NULL;
}

/* Frees 'state' from lb_algo_state_create('ops').  Accepts NULL. */
void
lb_algo_state_destroy(const struct lb_algo_ops *ops, void *state)
{
    if (ops->destroy && state) {
        ops->destroy(state);
    }
}

/* Returns 'm''s host weight clamped to LB_WEIGHT_MIN..LB_WEIGHT_MAX. */
unsigned int
lb_algo_weight(const struct lb_algo_member *m)
{
    return (m->weight < LB_WEIGHT_MIN ? LB_WEIGHT_MIN
            : m->weight > LB_WEIGHT_MAX ? LB_WEIGHT_MAX
            : m->weight);
}

/* Returns true if 'm''s cost is a finite positive number, that is, 'm' may
 * take sessions under a cost algorithm. */
bool
lb_algo_cost_ok(const struct lb_algo_member *m)
{
    return isfinite(m->cost) && m->cost > 0;
}

/* Scales the 'n' nonnegative 'share's to weights in 'out': the largest
 * share becomes 'max' (at least 1), the others proportionally, rounded,
 * and any positive share at least 1.  A share that is 0, negative or not a
 * number gets 0. */
void
lb_algo_scale(const double *share, size_t n, unsigned int max,
              unsigned int *out)
{
    double top = 0;

    max = MAX(max, 1);
    for (size_t i = 0; i < n; i++) {
        if (share[i] > top && isfinite(share[i])) {
            top = share[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (top > 0 && share[i] > 0 && isfinite(share[i])) {
            double w = round(share[i] / top * max);
            out[i] = w < 1 ? 1 : w > max ? max : w;
        } else {
            out[i] = 0;
        }
    }
}

struct level_entry {
    double level;               /* factor * load, now. */
    size_t idx;
};

static int
compare_level(const void *a_, const void *b_)
{
    const struct level_entry *a = a_;
    const struct level_entry *b = b_;

    return (a->level < b->level ? -1
            : a->level > b->level ? 1
            : a->idx < b->idx ? -1
            : a->idx > b->idx);
}

/* The datapath-fast weights of the load-based algorithms (lb-algo.h): the
 * member at index i, if usable and if 'factor[i]' is finite and positive,
 * has load 'load[i]' (negative or NaN counts as 0) and level factor[i] *
 * load[i].  Water-fills 'expected_new' onto the members, or, if it is not
 * positive, weighs them by 1 / (factor * (load + mean load)), and scales
 * the result into 'out' (of 'n', 0..'max'). */
void
lb_algo_level(const struct lb_algo_member *members, size_t n,
              const double *load, const double *factor,
              double expected_new, unsigned int max, unsigned int *out)
{
    struct level_entry *e = xmalloc(MAX(n, 1) * sizeof *e);
    double *share = xcalloc(MAX(n, 1), sizeof *share);
    double *l = xmalloc(MAX(n, 1) * sizeof *l);
    size_t k = 0;
    double sum_load = 0;

    for (size_t i = 0; i < n; i++) {
        l[i] = load[i] > 0 && isfinite(load[i]) ? load[i] : 0;
        if (members[i].usable && isfinite(factor[i]) && factor[i] > 0) {
            e[k].level = factor[i] * l[i];
            e[k].idx = i;
            sum_load += l[i];
            k++;
        }
    }

    if (!k) {
        /* Nothing usable: all weights 0. */
    } else if (expected_new > 0 && isfinite(expected_new)) {
        /* Raise the lowest levels together until 'expected_new' is used
         * up: with the first 'j' members (by level) active, bringing them
         * all to level T costs sum(T / a - L) = T * inv - loads. */
        qsort(e, k, sizeof *e, compare_level);
        double inv = 0, loads = 0, t = 0;
        for (size_t j = 0; j < k; j++) {
            size_t i = e[j].idx;
            inv += 1 / factor[i];
            loads += l[i];
            t = (expected_new + loads) / inv;
            if (j + 1 == k || t <= e[j + 1].level) {
                break;
            }
        }
        for (size_t j = 0; j < k; j++) {
            size_t i = e[j].idx;
            double x = t / factor[i] - l[i];
            share[i] = x > 0 ? x : 0;
        }
    } else {
        /* Unknown: inversely proportional to the normalised load, with the
         * mean load added so that idle members stay finite. */
        double mean = sum_load / k;
        if (!(mean > 0)) {
            mean = 1;
        }
        for (size_t j = 0; j < k; j++) {
            size_t i = e[j].idx;
            share[i] = 1 / (factor[i] * (l[i] + mean));
        }
    }
    lb_algo_scale(share, n, max, out);

    free(l);
    free(share);
    free(e);
}
