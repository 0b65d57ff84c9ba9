/*
 * Tests of balance: the algorithms' weights applied to a model's live
 * counters.
 */
#include <config.h>
#include "flowlb/balance.h"

#include <math.h>
#include <stdlib.h>
#include <jansson.h>
#include "flowlb/lb.h"
#include "flowlb/lb-algo.h"
#include "unit.h"

static struct lb_service *
make_service(struct lb_model *model, enum lb_algo_type algorithm)
{
    json_t *body = json_loads(
        "{\"name\": \"web\", \"vip\": \"192.0.2.1\", \"ports\": [80],"
        " \"members\": ["
        "  {\"address\": \"192.0.2.11\", \"mac\": \"02:00:00:00:00:11\"},"
        "  {\"address\": \"192.0.2.12\", \"mac\": \"02:00:00:00:00:12\"},"
        "  {\"address\": \"192.0.2.13\", \"mac\": \"02:00:00:00:00:13\"}]}",
        0, NULL);
    struct lb_error error = { 0, NULL, NULL };
    struct lb_service *svc = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(lb_service_create(model, body, 1, &svc, &error), 0);
    json_decref(body);
    svc->algorithm = algorithm;
    svc->traffic_window = 10;
    svc->session_weight = 1;
    struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        m->cost = 1;
        m->rtt_ms = -1;
    }
    return svc;
}

static struct lb_member *
nth(struct lb_service *svc, size_t n)
{
    struct lb_member *m;
    LIST_FOR_EACH (m, node, &svc->members) {
        if (!n--) {
            return m;
        }
    }
    return NULL;
}

/* least-sessions: the loaded member gets the least weight; a change bumps
 * the generation once, the same loads again change nothing. */
static void
test_least_sessions(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = make_service(model, LB_ALGO_LEAST_SESSIONS);
    struct balance *b = balance_create();

    nth(svc, 0)->n_stick_entries = 100;
    nth(svc, 1)->n_stick_entries = 10;
    nth(svc, 2)->n_stick_entries = 10;
    uint64_t generation = svc->generation;
    CU_ASSERT_EQUAL(balance_run(b, model, 1000), 1);
    CU_ASSERT(svc->generation > generation);
    CU_ASSERT(nth(svc, 0)->bucket_weight < nth(svc, 1)->bucket_weight);
    CU_ASSERT_EQUAL(nth(svc, 1)->bucket_weight, nth(svc, 2)->bucket_weight);
    CU_ASSERT(nth(svc, 1)->bucket_weight <= BALANCE_WEIGHT_MAX);

    generation = svc->generation;
    CU_ASSERT_EQUAL(balance_run(b, model, 2000), 0);
    CU_ASSERT_EQUAL(svc->generation, generation);

    /* A member that goes down gets nothing. */
    nth(svc, 1)->health = LB_HEALTH_DOWN;
    CU_ASSERT_EQUAL(balance_run(b, model, 3000), 1);
    CU_ASSERT_EQUAL(nth(svc, 1)->bucket_weight, 0);
    CU_ASSERT(nth(svc, 2)->bucket_weight > 0);

    balance_destroy(b);
    lb_model_destroy(model);
}

/* least-traffic: rates come from the members' byte counters over the
 * window; the busy member's weight falls. */
static void
test_least_traffic(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = make_service(model, LB_ALGO_LEAST_TRAFFIC);
    struct balance *b = balance_create();

    for (int t = 0; t <= 5; t++) {
        nth(svc, 0)->n_bytes = 1000000ULL * t;
        nth(svc, 1)->n_bytes = 1000ULL * t;
        nth(svc, 2)->n_bytes = 1000ULL * t;
        balance_run(b, model, 1000LL * t);
    }
    CU_ASSERT(fabs(nth(svc, 0)->traffic_rate - 1e6) < 1);
    CU_ASSERT(fabs(nth(svc, 1)->traffic_rate - 1e3) < 1);
    CU_ASSERT(nth(svc, 0)->bucket_weight < nth(svc, 1)->bucket_weight);

    balance_destroy(b);
    lb_model_destroy(model);
}

/* The round robins keep configured weights: balance leaves bucket_weight
 * alone, but still measures traffic. */
static void
test_round_robin_not_live(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = make_service(model,
                                          LB_ALGO_WEIGHTED_ROUND_ROBIN);
    struct balance *b = balance_create();

    nth(svc, 0)->n_packets = 0;
    balance_run(b, model, 0);
    nth(svc, 0)->n_packets = 500;
    svc->traffic_metric = LB_TRAFFIC_PACKETS;
    CU_ASSERT_EQUAL(balance_run(b, model, 1000), 0);
    CU_ASSERT_EQUAL(nth(svc, 0)->bucket_weight, 0);

    balance_destroy(b);
    lb_model_destroy(model);
}

/* A per-session service has no group: no weights, no recompile, but its
 * traffic rates are measured for least-traffic's exact picks. */
static void
test_per_session_not_live(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = make_service(model, LB_ALGO_LEAST_SESSIONS);
    struct balance *b = balance_create();

    svc->forwarding = LB_FWD_NAT;
    svc->decision = LB_DECISION_PER_SESSION;
    svc->traffic_metric = LB_TRAFFIC_PACKETS;
    nth(svc, 0)->n_stick_entries = 100;
    balance_run(b, model, 0);
    nth(svc, 0)->n_packets = 500;
    uint64_t generation = svc->generation;
    CU_ASSERT_EQUAL(balance_run(b, model, 1000), 0);
    CU_ASSERT_EQUAL(svc->generation, generation);
    CU_ASSERT_EQUAL(nth(svc, 1)->bucket_weight, 0);
    CU_ASSERT(nth(svc, 0)->traffic_rate > 0);

    balance_destroy(b);
    lb_model_destroy(model);
}

/* Deleting a member or a service while balance remembers it. */
static void
test_forget(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = make_service(model, LB_ALGO_COST_LEAST_LOAD);
    struct balance *b = balance_create();

    nth(svc, 2)->cost = INFINITY;
    balance_run(b, model, 0);
    CU_ASSERT_EQUAL(nth(svc, 2)->bucket_weight, 0);
    CU_ASSERT(nth(svc, 0)->bucket_weight > 0);
    lb_member_delete(model, svc, nth(svc, 0));
    balance_run(b, model, 1000);
    lb_service_delete(model, svc);
    CU_ASSERT_EQUAL(balance_run(b, model, 2000), 0);

    balance_destroy(b);
    lb_model_destroy(model);
}

void
unit_register_balance(void)
{
    static CU_TestInfo tests[] = {
        { "least-sessions weights, generation", test_least_sessions },
        { "least-traffic from byte counters", test_least_traffic },
        { "round robins keep configured weights",
          test_round_robin_not_live },
        { "per-session services have no weights",
          test_per_session_not_live },
        { "deleted members and services", test_forget },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("balance", tests);
}
