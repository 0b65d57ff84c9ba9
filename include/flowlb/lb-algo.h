/*
 * lb-algo: the load-share algorithms of LSNAT (draft-srisuresh-lsnat-02
 * section 5), one ops table per algorithm, one file per algorithm family
 * (lb-algo-rr.c, lb-algo-least.c, lb-algo-fastest.c, lb-algo-cost.c).
 *
 * Pure: members and their load in, a choice or bucket weights out.  The
 * caller (issue 6 wires this into sync and packet-ins) gathers the loads,
 * keeps one state per service from 'create', and applies the result in
 * one of two ways:
 *
 *   - Exact ("decision": "per-session"): 'pick' chooses the member for one
 *     new session.  The caller then accounts for the session (sessions++,
 *     weighted_sessions += its type's weight) before the next pick.
 *
 *   - Datapath-fast (default): 'weights' gives select-group bucket weights
 *     for the next interval, so new sessions follow the algorithm by
 *     hashing without a controller round trip.
 *
 * Datapath-fast mapping.  The load-based algorithms (least-*, weighted-
 * least-load, cost-*) water-fill: each usable member i has a load L_i in
 * the algorithm's metric and a factor a_i (1 for least-sessions and
 * least-traffic, 1 / host weight for weighted-least-load, the access cost
 * for cost-*), and the exact rule picks the least a_i * L_i.  Giving the
 * interval's 'expected_new' load x_i = max(0, T / a_i - L_i) with T such
 * that the x_i sum to 'expected_new' brings every member that gets
 * anything to the common level T, which is where the exact rule would
 * have taken them.  The weights are proportional to the x_i, the largest
 * scaled to 'max', any nonzero x_i at least 1.  When 'expected_new' is not
 * a positive number (unknown, or no new sessions expected), the weights
 * are proportional to 1 / (a_i * (L_i + mean L)): inversely proportional
 * to the normalised load, with the mean load added so that an idle member
 * does not take an infinite weight and an idle pool splits by capacity
 * (or by inverse cost), as water-filling does.  Round-robin gives equal
 * weights (1 each), weighted-round-robin the configured weights (divided
 * by their greatest common divisor, scaled down to 'max' if larger), and
 * fastest-response weights proportional to 1 / rtt.
 *
 * Whatever the algorithm, a member that is not 'usable' (or has an
 * infinite or invalid cost) is never picked and gets weight 0, every
 * usable member's weight is within 0..max, and the weights sum to at
 * least 1 when any member is usable.
 *
 * Ties in the exact rules go, in this order, to the member with the
 * larger host weight and then to the lower index; callers pass members in
 * ascending id order, so that is the lowest id.  Algorithm-specific
 * tie-breaks come first and are listed with the algorithms below.
 */
#ifndef FLOWLB_LB_ALGO_H
#define FLOWLB_LB_ALGO_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One member as an algorithm sees it.  Members are identified by their
 * index in the array the caller passes; 'id' only lets a stateful
 * algorithm notice that the set of members changed. */
struct lb_algo_member {
    uint32_t id;
    unsigned int weight;        /* Host capacity weight, 1..LB_WEIGHT_MAX;
                                 * out-of-range values are clamped. */
    bool usable;                /* Enabled, alive, MAC known. */
    uint64_t sessions;          /* Sessions bound now. */
    uint64_t weighted_sessions; /* Sum of the session-type weights of the
                                 * sessions bound now (5.1 item 4). */
    double traffic;             /* Packets or bytes per second over a
                                 * sliding window (lb-rate.h). */
    double rtt_ms;              /* Health probe round trip; < 0 or NaN:
                                 * unknown. */
    double cost;                /* Access cost > 0.  INFINITY (unreachable),
                                 * NaN or <= 0: takes nothing. */
};

struct lb_algo_ops {
    const char *name;           /* The REST API's spelling. */

    /* Per-service state; both NULL for a stateless algorithm.  Callers use
     * lb_algo_state_create() and lb_algo_state_destroy(). */
    void *(*create)(void);
    void (*destroy)(void *state);

    /* Exact rule: returns the index in 'members' (of 'n') of the member
     * for one new session, or -1 if none is usable.  May update 'state'
     * (round-robin position). */
    int (*pick)(void *state, const struct lb_algo_member *members, size_t n);

    /* Datapath-fast: stores in 'out[i]' the bucket weight, 0..'max' (0: no
     * bucket), of each of the 'n' 'members' for the next interval.
     * 'expected_new' is the load the interval's new sessions are expected
     * to add, in the algorithm's metric (sessions; weighted sessions; the
     * packets or bytes per second they add), or <= 0 if unknown.  'max' is
     * at least 1.  Does not change the round-robin position. */
    void (*weights)(void *state, const struct lb_algo_member *members,
                    size_t n, double expected_new, unsigned int max,
                    unsigned int *out);
};

/* The algorithms: enum, REST name, ops table.
 *
 * round-robin (5.1 item 1): usable members in turn, ignoring load.
 * weighted-round-robin: nginx's smooth weighted round robin on 'weight'
 *     (5, 1, 1 gives a a b a c a a); ties to the lower index.
 * least-sessions (5.1 item 2): least 'sessions'; 'weight' only breaks
 *     ties.
 * least-traffic (5.1 item 3): least 'traffic'.  The rate reacts only as
 *     the window moves, so in exact mode a burst goes to one member.
 * weighted-least-load (5.1 item 4): least 'weighted_sessions' / 'weight',
 *     compared cross-multiplied.
 * fastest-response (5.1 item 5): least 'rtt_ms' in steps of
 *     LB_ALGO_RTT_STEP_MS, ties to fewer 'sessions'.  A member whose rtt is
 *     unknown is picked, and weighted, only when no usable member's rtt is
 *     known; if none is known the algorithm is least-sessions.
 * cost-least-load (5.2 item 1): least 'cost' * 'sessions', ties to the
 *     lower cost, then fewer sessions.
 * cost-least-traffic (5.2 item 2): least 'cost' * 'traffic', ties to the
 *     lower cost, then less traffic. */
#define LB_ALGOS                                                        \
    LB_ALGO(ROUND_ROBIN, "round-robin", lb_algo_round_robin)            \
    LB_ALGO(WEIGHTED_ROUND_ROBIN, "weighted-round-robin",               \
            lb_algo_weighted_round_robin)                               \
    LB_ALGO(LEAST_SESSIONS, "least-sessions", lb_algo_least_sessions)   \
    LB_ALGO(LEAST_TRAFFIC, "least-traffic", lb_algo_least_traffic)      \
    LB_ALGO(WEIGHTED_LEAST_LOAD, "weighted-least-load",                 \
            lb_algo_weighted_least_load)                                \
    LB_ALGO(FASTEST_RESPONSE, "fastest-response",                       \
            lb_algo_fastest_response)                                   \
    LB_ALGO(COST_LEAST_LOAD, "cost-least-load", lb_algo_cost_least_load) \
    LB_ALGO(COST_LEAST_TRAFFIC, "cost-least-traffic",                   \
            lb_algo_cost_least_traffic)

enum lb_algo_type {
#define LB_ALGO(ENUM, NAME, OPS) LB_ALGO_##ENUM,
    LB_ALGOS
#undef LB_ALGO
    LB_N_ALGOS
};

#define LB_ALGO(ENUM, NAME, OPS) extern const struct lb_algo_ops OPS;
LB_ALGOS
#undef LB_ALGO

/* fastest-response compares round trips as floor(rtt_ms / this): two in
 * the same step are equal. */
#define LB_ALGO_RTT_STEP_MS 0.1

const struct lb_algo_ops *lb_algo_get(enum lb_algo_type);
const char *lb_algo_name(enum lb_algo_type);
const struct lb_algo_ops *lb_algo_find(const char *name,
                                       enum lb_algo_type *type);
const char *lb_algo_names(void);
void *lb_algo_state_create(const struct lb_algo_ops *);
void lb_algo_state_destroy(const struct lb_algo_ops *, void *state);

/* Helpers shared by the algorithms' files. */
unsigned int lb_algo_weight(const struct lb_algo_member *);
bool lb_algo_cost_ok(const struct lb_algo_member *);
void lb_algo_scale(const double *share, size_t n, unsigned int max,
                   unsigned int *out);
void lb_algo_level(const struct lb_algo_member *, size_t n,
                   const double *load, const double *factor,
                   double expected_new, unsigned int max, unsigned int *out);

/* Defines 'OPS', a stateless algorithm named NAME whose pick is
 * PICK(members, n, ARG) and whose weights are WEIGHTS(members, n,
 * expected_new, max, out, ARG): one family of algorithms differing only in
 * ARG shares one PICK and one WEIGHTS. */
#define LB_ALGO_DEFINE(OPS, NAME, PICK, WEIGHTS, ARG)                   \
    static int                                                          \
    OPS##_pick(void *state OVS_UNUSED,                                  \
               const struct lb_algo_member *members, size_t n)          \
    {                                                                   \
        return PICK(members, n, ARG);                                   \
    }                                                                   \
                                                                        \
    static void                                                         \
    OPS##_weights(void *state OVS_UNUSED,                               \
                  const struct lb_algo_member *members, size_t n,       \
                  double expected_new, unsigned int max,                \
                  unsigned int *out)                                    \
    {                                                                   \
        WEIGHTS(members, n, expected_new, max, out, ARG);               \
    }                                                                   \
                                                                        \
    const struct lb_algo_ops OPS = {                                    \
        .name = NAME,                                                   \
        .pick = OPS##_pick,                                             \
        .weights = OPS##_weights,                                       \
    }

#endif /* flowlb/lb-algo.h */
