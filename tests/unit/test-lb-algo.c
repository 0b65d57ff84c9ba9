/*
 * Tests of lb-algo and lb-rate: each algorithm's exact rule on synthetic
 * loads, and its datapath-fast weights, checked by simulating intervals
 * in which new sessions are spread by weight-proportional hashing.
 */
#include <config.h>
#include "flowlb/lb-algo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "flowlb/lb-rate.h"
#include "flowlb/lb.h"
#include "openvswitch/util.h"
#include "unit.h"
#include "util.h"

#define N_ELEMS(A) (sizeof (A) / sizeof *(A))

/* A seeded PRNG (xorshift64*), so that simulations repeat exactly. */
static uint64_t prng_state;

static void
prng_seed(uint64_t seed)
{
    prng_state = seed ? seed : 1;
}

static uint64_t
prng_next(void)
{
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;
    return prng_state * 0x2545f4914f6cdd1dULL;
}

/* A number from 0 to 'n' - 1. */
static uint64_t
prng_below(uint64_t n)
{
    return (prng_next() >> 11) % n;
}

/* 'n' usable members with ids 1..n, weight 1, cost 1, rtt unknown. */
static void
init_members(struct lb_algo_member *m, size_t n)
{
    memset(m, 0, n * sizeof *m);
    for (size_t i = 0; i < n; i++) {
        m[i].id = i + 1;
        m[i].weight = 1;
        m[i].usable = true;
        m[i].rtt_ms = -1;
        m[i].cost = 1;
    }
}

/* Picks 'rounds' times with 'ops', accounting each session to its member
 * (sessions++, weighted_sessions += 'session_weight'), and stores the
 * picks as letters 'a' + index in 'seq' if nonnull. */
static void
pick_rounds(const struct lb_algo_ops *ops, struct lb_algo_member *m,
            size_t n, int rounds, unsigned int session_weight, char *seq)
{
    void *state = lb_algo_state_create(ops);

    for (int r = 0; r < rounds; r++) {
        int i = ops->pick(state, m, n);
        CU_ASSERT_FATAL(i >= 0 && i < (int) n);
        m[i].sessions++;
        m[i].weighted_sessions += session_weight;
        if (seq) {
            seq[r] = 'a' + i;
            seq[r + 1] = '\0';
        }
    }
    lb_algo_state_destroy(ops, state);
}

static int
pick_once(const struct lb_algo_ops *ops, const struct lb_algo_member *m,
          size_t n)
{
    void *state = lb_algo_state_create(ops);
    int i = ops->pick(state, m, n);
    lb_algo_state_destroy(ops, state);
    return i;
}

static void
test_registry(void)
{
    for (int t = 0; t < LB_N_ALGOS; t++) {
        enum lb_algo_type type = LB_N_ALGOS;
        const struct lb_algo_ops *ops = lb_algo_find(lb_algo_name(t), &type);
        CU_ASSERT_PTR_EQUAL(ops, lb_algo_get(t));
        CU_ASSERT_EQUAL(type, t);
        CU_ASSERT_STRING_EQUAL(ops->name, lb_algo_name(t));
        CU_ASSERT_PTR_NOT_NULL(strstr(lb_algo_names(), ops->name));
        CU_ASSERT_PTR_NOT_NULL(ops->pick);
        CU_ASSERT_PTR_NOT_NULL(ops->weights);
    }
    CU_ASSERT_EQUAL(LB_N_ALGOS, 8);
    CU_ASSERT_PTR_NULL(lb_algo_find("least-load", NULL));
    CU_ASSERT_PTR_NULL(lb_algo_find("", NULL));
    CU_ASSERT_STRING_EQUAL(lb_algo_names(),
                           "round-robin, weighted-round-robin, "
                           "least-sessions, least-traffic, "
                           "weighted-least-load, fastest-response, "
                           "cost-least-load, cost-least-traffic");
}

/* Every algorithm: with no member or none usable, pick gives -1 and the
 * weights are all 0. */
static void
test_none_usable(void)
{
    struct lb_algo_member m[3];
    unsigned int w[3];

    init_members(m, 3);
    for (size_t i = 0; i < 3; i++) {
        m[i].usable = false;
        m[i].rtt_ms = 1;
    }
    for (int t = 0; t < LB_N_ALGOS; t++) {
        const struct lb_algo_ops *ops = lb_algo_get(t);
        void *state = lb_algo_state_create(ops);
        CU_ASSERT_EQUAL(ops->pick(state, m, 3), -1);
        CU_ASSERT_EQUAL(ops->pick(state, m, 0), -1);
        memset(w, 0xff, sizeof w);
        ops->weights(state, m, 3, 10, 100, w);
        CU_ASSERT(!w[0] && !w[1] && !w[2]);
        lb_algo_state_destroy(ops, state);
    }
}

static void
test_round_robin(void)
{
    const struct lb_algo_ops *ops = &lb_algo_round_robin;
    struct lb_algo_member m[3];
    unsigned int w[3];
    char seq[16];

    init_members(m, 3);
    m[0].sessions = 100;        /* Load does not matter. */
    pick_rounds(ops, m, 3, 6, 1, seq);
    CU_ASSERT_STRING_EQUAL(seq, "abcabc");

    m[1].usable = false;
    pick_rounds(ops, m, 3, 6, 1, seq);
    CU_ASSERT_STRING_EQUAL(seq, "acacac");

    ops->weights(NULL, m, 3, 10, 100, w);
    CU_ASSERT(w[0] == 1 && w[1] == 0 && w[2] == 1);
}

static void
test_weighted_round_robin(void)
{
    const struct lb_algo_ops *ops = &lb_algo_weighted_round_robin;
    struct lb_algo_member m[3];
    unsigned int w[3];
    char seq[32];

    /* nginx's smooth weighted round robin, twice round. */
    init_members(m, 3);
    m[0].weight = 5;
    pick_rounds(ops, m, 3, 14, 1, seq);
    CU_ASSERT_STRING_EQUAL(seq, "aabacaaaabacaa");

    /* Equal weights are plain round robin; unusable members are skipped. */
    init_members(m, 3);
    pick_rounds(ops, m, 3, 6, 1, seq);
    CU_ASSERT_STRING_EQUAL(seq, "abcabc");
    m[0].usable = false;
    m[1].weight = 2;
    pick_rounds(ops, m, 3, 6, 1, seq);
    CU_ASSERT_STRING_EQUAL(seq, "bcbbcb");

    /* The sequence starts over when the members change. */
    void *state = lb_algo_state_create(ops);
    init_members(m, 3);
    m[0].weight = 5;
    CU_ASSERT_EQUAL(ops->pick(state, m, 3), 0);
    CU_ASSERT_EQUAL(ops->pick(state, m, 3), 0);
    CU_ASSERT_EQUAL(ops->pick(state, m, 3), 1);
    m[2].id = 9;
    CU_ASSERT_EQUAL(ops->pick(state, m, 3), 0);
    CU_ASSERT_EQUAL(ops->pick(state, m, 3), 0);
    CU_ASSERT_EQUAL(ops->pick(state, m, 2), 0);
    lb_algo_state_destroy(ops, state);

    /* Weights: as configured, divided by their gcd, scaled down to max. */
    init_members(m, 3);
    m[0].weight = 5;
    ops->weights(NULL, m, 3, 0, 100, w);
    CU_ASSERT(w[0] == 5 && w[1] == 1 && w[2] == 1);
    m[0].weight = 10;
    m[1].weight = 20;
    m[2].weight = 30;
    ops->weights(NULL, m, 3, 0, 100, w);
    CU_ASSERT(w[0] == 1 && w[1] == 2 && w[2] == 3);
    m[0].weight = 256;
    m[1].weight = 128;
    m[2].weight = 1;
    ops->weights(NULL, m, 3, 0, 16, w);
    CU_ASSERT(w[0] == 16 && w[1] == 8 && w[2] == 1);
    m[0].usable = false;
    ops->weights(NULL, m, 3, 0, 16, w);
    CU_ASSERT(w[0] == 0 && w[1] == 16 && w[2] == 1);
}

static void
test_least_sessions(void)
{
    const struct lb_algo_ops *ops = &lb_algo_least_sessions;
    struct lb_algo_member m[4];

    init_members(m, 4);
    m[0].sessions = 7;
    m[1].sessions = 3;
    m[2].sessions = 5;
    m[3].sessions = 3;
    /* Tie between 1 and 3: lower index. */
    CU_ASSERT_EQUAL(pick_once(ops, m, 4), 1);
    /* Tie: the larger host weight first. */
    m[3].weight = 2;
    CU_ASSERT_EQUAL(pick_once(ops, m, 4), 3);
    /* The least loaded is never picked if unusable. */
    m[3].usable = false;
    CU_ASSERT_EQUAL(pick_once(ops, m, 4), 1);
    m[1].usable = false;
    CU_ASSERT_EQUAL(pick_once(ops, m, 4), 2);

    /* Over many sessions, loads level out and unusable members get
     * nothing. */
    pick_rounds(ops, m, 4, 100, 1, NULL);
    CU_ASSERT_EQUAL(m[1].sessions, 3);
    CU_ASSERT_EQUAL(m[3].sessions, 3);
    CU_ASSERT(m[0].sessions + m[2].sessions == 112);
    CU_ASSERT_EQUAL(m[0].sessions, 56);
    CU_ASSERT_EQUAL(m[2].sessions, 56);

    /* From an idle pool, round robin by index. */
    char seq[16];
    init_members(m, 3);
    pick_rounds(ops, m, 3, 7, 1, seq);
    CU_ASSERT_STRING_EQUAL(seq, "abcabca");
}

static void
test_least_traffic(void)
{
    const struct lb_algo_ops *ops = &lb_algo_least_traffic;
    struct lb_algo_member m[3];

    init_members(m, 3);
    m[0].traffic = 1000.5;
    m[1].traffic = 1000.25;
    m[2].traffic = 3000;
    m[0].sessions = 0;
    m[1].sessions = 50;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 1);
    m[2].traffic = NAN;         /* Counts as 0. */
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 2);
    m[2].usable = false;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 1);
}

/* The draft's example (5.1 item 4): FTP sessions weigh 5, telnet 1; S3 has
 * 3 times S1's capacity; S1 has 1 FTP + 1 telnet (6x), S3 2 FTP + 5
 * telnet (15x / 3 = 5x); the new session goes to S3. */
static void
test_weighted_least_load(void)
{
    const struct lb_algo_ops *ops = &lb_algo_weighted_least_load;
    struct lb_algo_member m[2];

    init_members(m, 2);
    m[0].weight = 1;            /* S1. */
    m[0].sessions = 2;
    m[0].weighted_sessions = 1 * 5 + 1 * 1;
    m[1].weight = 3;            /* S3. */
    m[1].sessions = 7;
    m[1].weighted_sessions = 2 * 5 + 5 * 1;
    CU_ASSERT_EQUAL(pick_once(ops, m, 2), 1);

    /* Least-sessions would have chosen S1. */
    CU_ASSERT_EQUAL(pick_once(&lb_algo_least_sessions, m, 2), 0);

    /* One more telnet session on S3: 16/3 = 5.33x, still S3; then three
     * FTP sessions: 31/3 = 10.33x, S1. */
    m[1].weighted_sessions += 1;
    CU_ASSERT_EQUAL(pick_once(ops, m, 2), 1);
    m[1].weighted_sessions += 15;
    CU_ASSERT_EQUAL(pick_once(ops, m, 2), 0);

    /* Equal per-capacity load (18/3 = 6/1): the larger host, S3. */
    m[1].weighted_sessions = 18;
    CU_ASSERT_EQUAL(pick_once(ops, m, 2), 1);

    /* Over many telnet sessions from idle, capacity 1 : 3. */
    init_members(m, 2);
    m[1].weight = 3;
    pick_rounds(ops, m, 2, 400, 1, NULL);
    CU_ASSERT_EQUAL(m[0].sessions, 100);
    CU_ASSERT_EQUAL(m[1].sessions, 300);
}

static void
test_fastest_response(void)
{
    const struct lb_algo_ops *ops = &lb_algo_fastest_response;
    struct lb_algo_member m[3];
    unsigned int w[3];

    init_members(m, 3);
    m[0].rtt_ms = 2.0;
    m[1].rtt_ms = 0.5;
    m[2].rtt_ms = 4.0;
    m[1].sessions = 100;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 1);

    /* Within one step of LB_ALGO_RTT_STEP_MS: the fewer sessions. */
    m[0].rtt_ms = 0.52;
    m[1].rtt_ms = 0.55;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 0);
    m[0].sessions = 200;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 1);
    m[1].usable = false;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 0);

    /* Unknown round trips count only when none is known. */
    m[0].rtt_ms = -1;
    m[1].rtt_ms = NAN;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 2);
    m[2].rtt_ms = -1;
    m[2].sessions = 300;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 0);    /* Least sessions. */

    /* Weights proportional to 1 / rtt; unknown: 0. */
    init_members(m, 3);
    m[0].rtt_ms = 1;
    m[1].rtt_ms = 2;
    m[2].rtt_ms = 4;
    ops->weights(NULL, m, 3, 10, 100, w);
    CU_ASSERT(w[0] == 100 && w[1] == 50 && w[2] == 25);
    m[1].rtt_ms = -1;
    m[2].rtt_ms = 0;            /* Counted as one step: 10 times 1 ms. */
    ops->weights(NULL, m, 3, 10, 100, w);
    CU_ASSERT(w[0] == 10 && w[1] == 0 && w[2] == 100);
}

/* The draft's example (5.2 item 1): S1 costs twice as much as S2.  The
 * text says S1 gets twice the load; minimising cost x load, the rule it
 * states, gives S1 half the load of S2.  We follow the rule. */
static void
test_cost_least_load(void)
{
    const struct lb_algo_ops *ops = &lb_algo_cost_least_load;
    struct lb_algo_member m[3];

    init_members(m, 2);
    m[0].cost = 2;              /* S1. */
    m[1].cost = 1;              /* S2. */
    pick_rounds(ops, m, 2, 300, 1, NULL);
    CU_ASSERT_EQUAL(m[0].sessions, 100);
    CU_ASSERT_EQUAL(m[1].sessions, 200);

    /* Infinite or invalid cost: never chosen, however idle. */
    init_members(m, 3);
    m[0].cost = INFINITY;
    m[1].cost = NAN;
    m[2].sessions = 1000000;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 2);
    m[1].cost = 0;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 2);
    m[2].cost = INFINITY;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), -1);

    /* Ties on the product: the lower cost, then fewer sessions. */
    init_members(m, 3);
    m[0].cost = 3;
    m[0].sessions = 2;          /* 6. */
    m[1].cost = 2;
    m[1].sessions = 3;          /* 6. */
    m[2].cost = 2;
    m[2].sessions = 4;          /* 8. */
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 1);
    m[2].cost = 1.5;            /* 6, cheaper. */
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 2);
}

static void
test_cost_least_traffic(void)
{
    const struct lb_algo_ops *ops = &lb_algo_cost_least_traffic;
    struct lb_algo_member m[3];
    unsigned int w[3];

    init_members(m, 3);
    m[0].traffic = 100;
    m[0].cost = 1;              /* 100. */
    m[1].traffic = 40;
    m[1].cost = 3;              /* 120. */
    m[2].traffic = 1;
    m[2].cost = INFINITY;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 0);
    m[0].traffic = 130;
    CU_ASSERT_EQUAL(pick_once(ops, m, 3), 1);

    ops->weights(NULL, m, 3, 0, 100, w);
    CU_ASSERT(w[0] > 0 && w[1] > 0 && w[2] == 0);
    ops->weights(NULL, m, 3, 1000, 100, w);
    CU_ASSERT(w[0] > 0 && w[1] > 0 && w[2] == 0);
}

/* Water-filling by hand: loads 0, 10, 20 and 15 new sessions reach the
 * level 12.5: 12.5 and 2.5 new sessions, none for the third. */
static void
test_water_filling(void)
{
    struct lb_algo_member m[3];
    unsigned int w[3];

    init_members(m, 3);
    m[0].sessions = 0;
    m[1].sessions = 10;
    m[2].sessions = 20;
    lb_algo_least_sessions.weights(NULL, m, 3, 15, 100, w);
    CU_ASSERT(w[0] == 100 && w[1] == 20 && w[2] == 0);

    /* Enough to lift everyone: level 30 needs 30, 20, 10. */
    lb_algo_least_sessions.weights(NULL, m, 3, 60, 60, w);
    CU_ASSERT(w[0] == 60 && w[1] == 40 && w[2] == 20);

    /* Weighted: capacities 1 and 3, loads 6 and 15 (levels 6 and 5); 11
     * new units reach level 8: 2 and 9. */
    init_members(m, 2);
    m[0].weighted_sessions = 6;
    m[1].weight = 3;
    m[1].weighted_sessions = 15;
    lb_algo_weighted_least_load.weights(NULL, m, 2, 11, 90, w);
    CU_ASSERT(w[0] == 20 && w[1] == 90);

    /* Cost: costs 2 and 1, idle: S1 takes half of S2. */
    init_members(m, 2);
    m[0].cost = 2;
    lb_algo_cost_least_load.weights(NULL, m, 2, 30, 100, w);
    CU_ASSERT(w[0] == 50 && w[1] == 100);
}

/* Unknown expected load: 1 / (factor * (load + mean load)). */
static void
test_weights_fallback(void)
{
    struct lb_algo_member m[3];
    unsigned int w[3];

    init_members(m, 3);
    lb_algo_least_sessions.weights(NULL, m, 3, 0, 10, w);
    CU_ASSERT(w[0] == 10 && w[1] == 10 && w[2] == 10);

    m[0].sessions = 10;
    m[1].sessions = 30;
    m[2].sessions = 20;         /* Mean 20: 1/30, 1/50, 1/40. */
    lb_algo_least_sessions.weights(NULL, m, 3, NAN, 100, w);
    CU_ASSERT(w[0] == 100 && w[1] == 60 && w[2] == 75);

    /* Idle pool: split by capacity, and by inverse cost. */
    init_members(m, 3);
    m[1].weight = 2;
    m[2].weight = 4;
    lb_algo_weighted_least_load.weights(NULL, m, 3, -1, 100, w);
    CU_ASSERT(w[0] == 25 && w[1] == 50 && w[2] == 100);
    init_members(m, 3);
    m[0].cost = 4;
    m[1].cost = 2;
    lb_algo_cost_least_load.weights(NULL, m, 3, 0, 100, w);
    CU_ASSERT(w[0] == 25 && w[1] == 50 && w[2] == 100);
}

/* Every algorithm, random members: weights within 0..max, 0 for members
 * that may not take sessions, and a positive sum if any may. */
static void
test_weights_bounds(void)
{
    prng_seed(42);
    for (int round = 0; round < 2000; round++) {
        struct lb_algo_member m[6];
        unsigned int w[6];
        size_t n = 1 + prng_below(6);
        unsigned int max = 1 + prng_below(300);
        double expected = (prng_below(3) == 0 ? 0
                           : (double) prng_below(1000));

        init_members(m, n);
        for (size_t i = 0; i < n; i++) {
            m[i].weight = prng_below(300);      /* Some out of range. */
            m[i].usable = prng_below(4) != 0;
            m[i].sessions = prng_below(5) ? prng_below(100000) : 0;
            m[i].weighted_sessions = m[i].sessions * (1 + prng_below(5));
            m[i].traffic = prng_below(1000000) / 3.0;
            m[i].rtt_ms = prng_below(3) ? prng_below(10000) / 100.0 : -1;
            m[i].cost = (prng_below(5) == 0 ? INFINITY
                         : 1 + prng_below(100) / 7.0);
        }
        for (int t = 0; t < LB_N_ALGOS; t++) {
            const struct lb_algo_ops *ops = lb_algo_get(t);
            bool cost = (t == LB_ALGO_COST_LEAST_LOAD
                         || t == LB_ALGO_COST_LEAST_TRAFFIC);
            bool any = false;
            unsigned long long sum = 0;

            ops->weights(NULL, m, n, expected, max, w);
            for (size_t i = 0; i < n; i++) {
                bool can = m[i].usable && (!cost || isfinite(m[i].cost));
                any |= can;
                CU_ASSERT(w[i] <= max);
                if (!can) {
                    CU_ASSERT_EQUAL(w[i], 0);
                }
                sum += w[i];
            }
            CU_ASSERT_EQUAL(sum > 0, any);

            int pick = pick_once(ops, m, n);
            CU_ASSERT_EQUAL(pick >= 0, any);
            if (pick >= 0) {
                CU_ASSERT(m[pick].usable);
                CU_ASSERT(!cost || isfinite(m[pick].cost));
            }
        }
    }
}

/* Picks a member with probability proportional to 'w', as a select
 * group's hash spreads sessions over buckets. */
static size_t
hash_pick(const unsigned int *w, size_t n)
{
    unsigned long long sum = 0;

    for (size_t i = 0; i < n; i++) {
        sum += w[i];
    }
    CU_ASSERT_FATAL(sum > 0);

    unsigned long long r = prng_below(sum);
    for (size_t i = 0; i < n; i++) {
        if (r < w[i]) {
            return i;
        }
        r -= w[i];
    }
    OVS_NOT_REACHED();
}

/* Simulates 'intervals' of datapath-fast least-sessions over 4 members
 * that start unbalanced: each interval the weights come from 'ops', 40 new
 * sessions are hashed by them, then each member loses 0 to 20 sessions at
 * random.  Returns the largest spread (max - min) of the loads after the
 * new sessions, over the intervals after the first 10. */
static uint64_t
simulate_least_sessions(const struct lb_algo_ops *ops, int intervals)
{
    struct lb_algo_member m[4];
    unsigned int w[4];
    uint64_t worst = 0;

    prng_seed(7);
    init_members(m, 4);
    m[0].sessions = 0;
    m[1].sessions = 60;
    m[2].sessions = 120;
    m[3].sessions = 30;
    for (int t = 0; t < intervals; t++) {
        ops->weights(NULL, m, 4, 40, 64, w);
        for (int s = 0; s < 40; s++) {
            m[hash_pick(w, 4)].sessions++;
        }

        uint64_t lo = UINT64_MAX, hi = 0;
        for (size_t i = 0; i < 4; i++) {
            lo = MIN(lo, m[i].sessions);
            hi = MAX(hi, m[i].sessions);
        }
        if (t >= 10) {
            worst = MAX(worst, hi - lo);
        }

        for (size_t i = 0; i < 4; i++) {
            uint64_t gone = prng_below(21);
            m[i].sessions -= MIN(gone, m[i].sessions);
        }
    }
    return worst;
}

static void
test_simulate_least_sessions(void)
{
    /* The exact rule keeps the spread at 1 after each interval's new
     * sessions; hashing by the water-filled weights stays close to it. */
    uint64_t spread = simulate_least_sessions(&lb_algo_least_sessions, 500);
    CU_ASSERT(spread <= 25);

    /* The same hashing with round robin's equal weights drifts apart, so
     * the bound above means something. */
    uint64_t rr = simulate_least_sessions(&lb_algo_round_robin, 500);
    CU_ASSERT(rr > 50);
}

/* Simulates 400 intervals of datapath-fast weighted-least-load with
 * capacities 1, 2, 5, the last starting 100 units per capacity ahead: each
 * interval 30 new sessions, a third FTP (5 units) and the rest telnet (1),
 * are hashed by the weights of 'ops', then each member loses, at random,
 * as many units as it would get on average.  Returns the mean spread of
 * the per-capacity loads after the new sessions, after interval 50. */
static double
simulate_weighted_least_load(const struct lb_algo_ops *ops)
{
    struct lb_algo_member m[3];
    unsigned int w[3];
    double total = 0;
    int count = 0;

    prng_seed(11);
    init_members(m, 3);
    m[0].weight = 1;
    m[1].weight = 2;
    m[2].weight = 5;
    m[2].weighted_sessions = 500;
    for (int t = 0; t < 400; t++) {
        /* 30 * (5 + 1 + 1) / 3 = 70 units expected. */
        ops->weights(NULL, m, 3, 70, 100, w);
        for (int s = 0; s < 30; s++) {
            size_t i = hash_pick(w, 3);
            m[i].sessions++;
            m[i].weighted_sessions += prng_below(3) ? 1 : 5;
        }

        double lo = INFINITY, hi = 0;
        for (size_t i = 0; i < 3; i++) {
            double level = (double) m[i].weighted_sessions / m[i].weight;
            lo = MIN(lo, level);
            hi = MAX(hi, level);
        }
        if (t >= 50) {
            total += hi - lo;
            count++;
        }

        for (size_t i = 0; i < 3; i++) {
            uint64_t gone = prng_below(1 + 35 * m[i].weight / 2);
            m[i].weighted_sessions -= MIN(gone, m[i].weighted_sessions);
        }
    }
    return total / count;
}

static void
test_simulate_weighted_least_load(void)
{
    /* One FTP session is 5 units on the smallest host, so the exact rule
     * keeps the spread near 5; hashing adds each interval's noise. */
    double spread = simulate_weighted_least_load(
        &lb_algo_weighted_least_load);
    CU_ASSERT(spread <= 15);

    /* Static weights proportional to capacity never correct the head
     * start nor the drift. */
    double wrr = simulate_weighted_least_load(
        &lb_algo_weighted_round_robin);
    CU_ASSERT(wrr > 40);
}

/* Cost-least-load datapath-fast from idle, costs 2 and 1: S1 ends with
 * half of S2's load, as the exact rule gives. */
static void
test_simulate_cost(void)
{
    const struct lb_algo_ops *ops = &lb_algo_cost_least_load;
    struct lb_algo_member m[3];
    unsigned int w[3];

    prng_seed(13);
    init_members(m, 3);
    m[0].cost = 2;
    m[1].cost = 1;
    m[2].cost = INFINITY;
    for (int t = 0; t < 100; t++) {
        ops->weights(NULL, m, 3, 30, 32, w);
        CU_ASSERT_EQUAL(w[2], 0);
        for (int s = 0; s < 30; s++) {
            m[hash_pick(w, 3)].sessions++;
        }
    }
    CU_ASSERT_EQUAL(m[2].sessions, 0);
    CU_ASSERT_EQUAL(m[0].sessions + m[1].sessions, 3000);
    double ratio = (double) m[0].sessions / m[1].sessions;
    CU_ASSERT(ratio > 0.48 && ratio < 0.52);
}

static void
test_rate(void)
{
    struct lb_rate r;

    lb_rate_init(&r, 10000);
    CU_ASSERT_EQUAL(lb_rate_get(&r, 0), 0);
    lb_rate_add(&r, 0, 1000);
    CU_ASSERT_EQUAL(lb_rate_get(&r, 0), 0);

    /* 100 per second, sampled every second. */
    for (int s = 1; s <= 30; s++) {
        lb_rate_add(&r, s * 1000, 1000 + s * 100);
    }
    CU_ASSERT_DOUBLE_EQUAL(lb_rate_get(&r, 30000), 100, 1e-9);

    /* Then 300 per second for 5 s: the last 10 s average 200. */
    for (int s = 31; s <= 35; s++) {
        lb_rate_add(&r, s * 1000, 4000 + (s - 30) * 300);
    }
    CU_ASSERT_DOUBLE_EQUAL(lb_rate_get(&r, 35000), 200, 1e-9);

    /* A reset: the counter restarts from 0 and counts 300 in the next
     * second: 400 + 1500 + 300 over the 10 s. */
    lb_rate_add(&r, 36000, 300);
    CU_ASSERT_DOUBLE_EQUAL(lb_rate_get(&r, 36000), 220, 1e-9);

    /* A sample from the past is ignored. */
    lb_rate_add(&r, 20000, 999999);
    CU_ASSERT_DOUBLE_EQUAL(lb_rate_get(&r, 36000), 220, 1e-9);

    /* No sample within the window: 0. */
    CU_ASSERT_EQUAL(lb_rate_get(&r, 47000), 0);

    /* A window wider than the samples kept: the newest ones. */
    lb_rate_init(&r, 1000000);
    for (int s = 0; s < 3 * LB_RATE_SAMPLES; s++) {
        lb_rate_add(&r, s * 1000, (uint64_t) s * (s < 100 ? 10 : 20));
    }
    CU_ASSERT(r.n <= LB_RATE_SAMPLES);
    /* The counter counts 20 a second from s = 100 on. */
    CU_ASSERT_DOUBLE_EQUAL(lb_rate_get(&r, 3 * LB_RATE_SAMPLES * 1000 - 1000),
                           20, 1e-9);
}

void
unit_register_lb_algo(void)
{
    static CU_TestInfo tests[] = {
        { "registry: names, lookup, ops", test_registry },
        { "no usable member: -1 and weights 0", test_none_usable },
        { "round-robin", test_round_robin },
        { "weighted-round-robin: nginx smooth sequence",
          test_weighted_round_robin },
        { "least-sessions: least, ties, unusable", test_least_sessions },
        { "least-traffic", test_least_traffic },
        { "weighted-least-load: the draft's FTP/telnet example",
          test_weighted_least_load },
        { "fastest-response: rtt steps, unknown rtt",
          test_fastest_response },
        { "cost-least-load: S1 at twice the cost gets half",
          test_cost_least_load },
        { "cost-least-traffic", test_cost_least_traffic },
        { "weights: water-filling by hand", test_water_filling },
        { "weights: fallback without an expected load",
          test_weights_fallback },
        { "weights: bounds for every algorithm", test_weights_bounds },
        { "simulation: least-sessions by hashing stays level",
          test_simulate_least_sessions },
        { "simulation: weighted-least-load by hashing stays level",
          test_simulate_weighted_least_load },
        { "simulation: cost-least-load by hashing gives the half",
          test_simulate_cost },
        { "lb-rate: sliding window, resets", test_rate },
        CU_TEST_INFO_NULL,
    };

    UNIT_SUITE("lb-algo", tests);
}
