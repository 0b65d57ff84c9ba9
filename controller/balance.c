/*
 * balance: datapath-fast algorithm weights.  See balance.h.
 */
#include <config.h>
#include "flowlb/balance.h"

#include <math.h>
#include <stdlib.h>
#include "flowlb/lb.h"
#include "flowlb/lb-algo.h"
#include "flowlb/lb-rate.h"
#include "openvswitch/hmap.h"
#include "openvswitch/util.h"
#include "hash.h"

/* What balance remembers of one member between runs. */
struct balance_member {
    struct hmap_node node;      /* In 'members', by service and member id. */
    uint32_t service_id;
    uint32_t member_id;
    int metric;                 /* enum lb_traffic_metric fed to 'rate'. */
    struct lb_rate rate;
    unsigned int seen;          /* Run number of the last run that saw it. */
};

/* ...and of one service. */
struct balance_service {
    struct hmap_node node;      /* In 'services', by id. */
    uint32_t id;
    int algorithm;              /* The algorithm 'state' belongs to. */
    void *state;
    uint64_t sessions_started;  /* 'n_sessions_started' at the last run. */
    unsigned int seen;
};

struct balance {
    struct hmap members;
    struct hmap services;
    unsigned int run;
};

struct balance *
balance_create(void)
{
    struct balance *b = xzalloc(sizeof *b);
    hmap_init(&b->members);
    hmap_init(&b->services);
    return b;
}

static void
service_free(struct balance_service *bs)
{
    lb_algo_state_destroy(lb_algo_get(bs->algorithm), bs->state);
    free(bs);
}

void
balance_destroy(struct balance *b)
{
    if (b) {
        struct balance_member *bm;
        HMAP_FOR_EACH_POP (bm, node, &b->members) {
            free(bm);
        }
        hmap_destroy(&b->members);
        struct balance_service *bs;
        HMAP_FOR_EACH_POP (bs, node, &b->services) {
            service_free(bs);
        }
        hmap_destroy(&b->services);
        free(b);
    }
}

static struct balance_member *
member_get(struct balance *b, const struct lb_service *svc,
           const struct lb_member *m)
{
    uint32_t hash = hash_2words(svc->id, m->id);
    struct balance_member *bm;

    HMAP_FOR_EACH_WITH_HASH (bm, node, hash, &b->members) {
        if (bm->service_id == svc->id && bm->member_id == m->id) {
            break;
        }
    }
    if (!bm) {
        bm = xzalloc(sizeof *bm);
        bm->service_id = svc->id;
        bm->member_id = m->id;
        bm->metric = -1;
        hmap_insert(&b->members, &bm->node, hash);
    }
    if (bm->metric != (int) svc->traffic_metric
        || bm->rate.window_ms != svc->traffic_window * 1000LL) {
        /* A new metric or window starts a new series. */
        bm->metric = svc->traffic_metric;
        lb_rate_init(&bm->rate, svc->traffic_window * 1000LL);
    }
    bm->seen = b->run;
    return bm;
}

static struct balance_service *
service_get(struct balance *b, const struct lb_service *svc)
{
    struct balance_service *bs;

    HMAP_FOR_EACH_WITH_HASH (bs, node, hash_int(svc->id, 0), &b->services) {
        if (bs->id == svc->id) {
            break;
        }
    }
    if (!bs) {
        bs = xzalloc(sizeof *bs);
        bs->id = svc->id;
        bs->algorithm = -1;
        bs->sessions_started = svc->n_sessions_started;
        hmap_insert(&b->services, &bs->node, hash_int(svc->id, 0));
    }
    if (bs->algorithm != svc->algorithm) {
        if (bs->algorithm >= 0) {
            lb_algo_state_destroy(lb_algo_get(bs->algorithm), bs->state);
        }
        bs->algorithm = svc->algorithm;
        bs->state = lb_algo_state_create(lb_algo_get(svc->algorithm));
    }
    bs->seen = b->run;
    return bs;
}

/* The load the next interval's new sessions are expected to add, in the
 * algorithm's metric: as many sessions as the last interval started (the
 * group sees each session's first packet), weighted for
 * weighted-least-load.  For the traffic algorithms the traffic a new
 * session brings is not known, so 0 (unknown). */
static double
expected_new(const struct lb_service *svc, uint64_t started)
{
    switch (svc->algorithm) {
    case LB_ALGO_LEAST_SESSIONS:
    case LB_ALGO_COST_LEAST_LOAD:
    case LB_ALGO_FASTEST_RESPONSE:
        return started;
    case LB_ALGO_WEIGHTED_LEAST_LOAD:
        return (double) started * svc->session_weight;
    default:
        return 0;
    }
}

static bool
balance_service(struct balance *b, struct lb_service *svc,
                long long int now_ms)
{
    size_t n = ovs_list_size(&svc->members);
    struct lb_algo_member *am = xcalloc(MAX(n, 1), sizeof *am);
    unsigned int *weights = xcalloc(MAX(n, 1), sizeof *weights);
    struct balance_service *bs = service_get(b, svc);
    struct lb_member *m;
    size_t i = 0;

    LIST_FOR_EACH (m, node, &svc->members) {
        struct balance_member *bm = member_get(b, svc, m);
        lb_rate_add(&bm->rate, now_ms,
                    svc->traffic_metric == LB_TRAFFIC_PACKETS
                    ? m->n_packets : m->n_bytes);
        m->traffic_rate = lb_rate_get(&bm->rate, now_ms);

        am[i++] = (struct lb_algo_member) {
            .id = m->id,
            .weight = m->weight,
            .usable = lb_member_takes_sessions(m),
            .sessions = m->n_stick_entries,
            .weighted_sessions = m->n_stick_entries * svc->session_weight,
            .traffic = m->traffic_rate,
            .rtt_ms = m->rtt_ms,
            .cost = m->cost,
        };
    }

    uint64_t started = svc->n_sessions_started - bs->sessions_started;
    bs->sessions_started = svc->n_sessions_started;
    if (!lb_service_weights_are_live(svc)) {
        free(am);
        free(weights);
        return false;
    }

    lb_algo_get(svc->algorithm)->weights(bs->state, am, n,
                                         expected_new(svc, started),
                                         BALANCE_WEIGHT_MAX, weights);
    bool changed = false;
    i = 0;
    LIST_FOR_EACH (m, node, &svc->members) {
        if (m->bucket_weight != weights[i]) {
            m->bucket_weight = weights[i];
            changed = true;
        }
        i++;
    }
    free(am);
    free(weights);
    return changed;
}

size_t
balance_run(struct balance *b, struct lb_model *model, long long int now_ms)
{
    struct lb_service *svc;
    size_t n_changed = 0;

    b->run++;
    HMAP_FOR_EACH (svc, node, &model->services) {
        if (balance_service(b, svc, now_ms)) {
            /* Live state, not configuration: a new generation makes sync
             * recompile the service (one group mod) without a save. */
            svc->generation = ++model->generation;
            n_changed++;
        }
    }

    /* Forget services and members that are gone. */
    struct balance_member *bm, *next_bm;
    HMAP_FOR_EACH_SAFE (bm, next_bm, node, &b->members) {
        if (bm->seen != b->run) {
            hmap_remove(&b->members, &bm->node);
            free(bm);
        }
    }
    struct balance_service *bs, *next_bs;
    HMAP_FOR_EACH_SAFE (bs, next_bs, node, &b->services) {
        if (bs->seen != b->run) {
            hmap_remove(&b->services, &bs->node);
            service_free(bs);
        }
    }
    return n_changed;
}
