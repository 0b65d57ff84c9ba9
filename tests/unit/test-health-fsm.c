/*
 * Tests of health-fsm: every rise/fall transition of an active monitor
 * and the passive rule on sampled counters.
 */
#include <config.h>
#include "flowlb/health-fsm.h"

#include <stdlib.h>
#include <string.h>
#include "flowlb/lb.h"
#include "unit.h"

/* A member's health and count, fed result by result. */
struct member {
    enum lb_health health;
    int count;
};

/* Feeds 'results' ('+' success, '-' failure) with 'rise' and 'fall' and
 * returns the streak of the last step. */
static int
feed(struct member *m, const char *results, int rise, int fall)
{
    struct hfsm_step step = { .streak = 0 };

    for (const char *r = results; *r; r++) {
        step = hfsm_probe(m->health, m->count, *r == '+', rise, fall);
        m->health = step.health;
        m->count = step.count;
    }
    return step.streak;
}

static void
test_unknown(void)
{
    /* The first success from UNKNOWN is enough, whatever 'rise'. */
    struct member m = { LB_HEALTH_UNKNOWN, 0 };
    CU_ASSERT_EQUAL(feed(&m, "+", 5, 3), 1);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    CU_ASSERT_EQUAL(m.count, 0);

    /* Failures count towards 'fall' as for an up member. */
    m = (struct member) { LB_HEALTH_UNKNOWN, 0 };
    CU_ASSERT_EQUAL(feed(&m, "--", 2, 3), 0);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UNKNOWN);
    CU_ASSERT_EQUAL(m.count, 2);
    CU_ASSERT_EQUAL(feed(&m, "-", 2, 3), 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m.count, 0);

    /* Failures then a success: UP, count cleared. */
    m = (struct member) { LB_HEALTH_UNKNOWN, 0 };
    feed(&m, "--+", 2, 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    CU_ASSERT_EQUAL(m.count, 0);
}

static void
test_fall(void)
{
    struct member m = { LB_HEALTH_UP, 0 };

    /* Two failures, a success: the count starts again. */
    feed(&m, "--", 2, 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    CU_ASSERT_EQUAL(m.count, 2);
    feed(&m, "+", 2, 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    CU_ASSERT_EQUAL(m.count, 0);

    /* Exactly 'fall' in a row. */
    CU_ASSERT_EQUAL(feed(&m, "--", 2, 3), 0);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    CU_ASSERT_EQUAL(feed(&m, "-", 2, 3), 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m.count, 0);

    /* More failures keep it down, count stays 0. */
    CU_ASSERT_EQUAL(feed(&m, "---", 2, 3), 0);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m.count, 0);

    /* fall 1: the first failure. */
    m = (struct member) { LB_HEALTH_UP, 0 };
    CU_ASSERT_EQUAL(feed(&m, "-", 2, 1), 1);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
}

static void
test_rise(void)
{
    struct member m = { LB_HEALTH_DOWN, 0 };

    /* One success, a failure: the count starts again. */
    feed(&m, "+", 3, 2);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m.count, 1);
    feed(&m, "-", 3, 2);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m.count, 0);

    /* Exactly 'rise' in a row. */
    CU_ASSERT_EQUAL(feed(&m, "++", 3, 2), 0);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m.count, 2);
    CU_ASSERT_EQUAL(feed(&m, "+", 3, 2), 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    CU_ASSERT_EQUAL(m.count, 0);

    /* rise 1. */
    m = (struct member) { LB_HEALTH_DOWN, 0 };
    CU_ASSERT_EQUAL(feed(&m, "+", 1, 2), 1);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);

    /* A flapping member never changes with rise and fall above 1. */
    m = (struct member) { LB_HEALTH_UP, 0 };
    feed(&m, "-+-+-+-+-+-+", 2, 2);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    m = (struct member) { LB_HEALTH_DOWN, 0 };
    feed(&m, "+-+-+-+-+-+-", 2, 2);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);

    /* A whole cycle. */
    m = (struct member) { LB_HEALTH_UNKNOWN, 0 };
    feed(&m, "+", 2, 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
    feed(&m, "---", 2, 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_DOWN);
    feed(&m, "++", 2, 3);
    CU_ASSERT_EQUAL(m.health, LB_HEALTH_UP);
}

static void
test_reason(void)
{
    char *s = hfsm_reason("tcp connect: Connection refused", 3);
    CU_ASSERT_STRING_EQUAL(s, "tcp connect: Connection refused (3 in a row)");
    free(s);
    s = hfsm_reason("http: status 200", 1);
    CU_ASSERT_STRING_EQUAL(s, "http: status 200");
    free(s);
}

/* One passive sample; checks the verdict and, when there is one, that
 * the reason is 'expect'. */
static void
sample(struct hfsm_passive *p, long long int now, uint64_t fwd,
       uint64_t reply, enum lb_health health, bool active,
       enum hfsm_verdict verdict, const char *expect)
{
    char *reason;
    enum hfsm_verdict v = hfsm_passive_sample(p, now, fwd, reply, health,
                                              active, 2000, &reason);
    CU_ASSERT_EQUAL(v, verdict);
    if (v == HFSM_NONE) {
        CU_ASSERT_PTR_NULL(reason);
    } else if (expect) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
        CU_ASSERT_STRING_EQUAL(reason, expect);
    }
    free(reason);
}

static void
test_passive_down(void)
{
    struct hfsm_passive p;
    const enum lb_health UNK = LB_HEALTH_UNKNOWN;

    /* Forward grows, replies grow: healthy forever. */
    hfsm_passive_init(&p);
    for (int t = 0; t < 20; t++) {
        sample(&p, t * 1000, t * 10, t * 10, UNK, false, HFSM_NONE, NULL);
    }

    /* Forward grows at 1 s and goes on growing; no reply: first seen at
     * 1 s, down at 3 s with 2000 ms timeout, counting the packets from
     * the sample before. */
    hfsm_passive_init(&p);
    sample(&p, 0, 100, 50, UNK, false, HFSM_NONE, NULL);
    sample(&p, 1000, 105, 50, UNK, false, HFSM_NONE, NULL);
    sample(&p, 2000, 110, 50, UNK, false, HFSM_NONE, NULL);
    sample(&p, 2999, 110, 50, UNK, false, HFSM_NONE, NULL);
    sample(&p, 3000, 112, 50, UNK, false, HFSM_DOWN,
           "passive: 12 packets sent, no reply for 2 s");

    /* Forward grows once then stops: the packets stay unanswered. */
    hfsm_passive_init(&p);
    sample(&p, 0, 0, 0, LB_HEALTH_UP, true, HFSM_NONE, NULL);
    sample(&p, 1000, 1, 0, LB_HEALTH_UP, true, HFSM_NONE, NULL);
    sample(&p, 2000, 1, 0, LB_HEALTH_UP, true, HFSM_NONE, NULL);
    sample(&p, 3500, 1, 0, LB_HEALTH_UP, true, HFSM_DOWN,
           "passive: 1 packets sent, no reply for 2 s");

    /* A reply inside the timeout clears the window; a later unanswered
     * burst starts a new one. */
    hfsm_passive_init(&p);
    sample(&p, 0, 0, 0, UNK, false, HFSM_NONE, NULL);
    sample(&p, 1000, 3, 0, UNK, false, HFSM_NONE, NULL);
    sample(&p, 2000, 3, 1, UNK, false, HFSM_NONE, NULL);
    sample(&p, 3000, 3, 1, UNK, false, HFSM_NONE, NULL);
    sample(&p, 4000, 3, 1, UNK, false, HFSM_NONE, NULL);
    sample(&p, 5000, 4, 1, UNK, false, HFSM_NONE, NULL);
    sample(&p, 6000, 4, 1, UNK, false, HFSM_NONE, NULL);
    sample(&p, 7000, 4, 1, UNK, false, HFSM_DOWN,
           "passive: 1 packets sent, no reply for 2 s");

    /* No forward traffic at all: never down. */
    hfsm_passive_init(&p);
    for (int t = 0; t < 20; t++) {
        sample(&p, t * 1000, 7, 7, UNK, false, HFSM_NONE, NULL);
    }

    /* Counters that go down (switch reconnected) start again: no verdict
     * from the old window. */
    hfsm_passive_init(&p);
    sample(&p, 0, 100, 100, UNK, false, HFSM_NONE, NULL);
    sample(&p, 1000, 110, 100, UNK, false, HFSM_NONE, NULL);
    sample(&p, 2000, 5, 2, UNK, false, HFSM_NONE, NULL);
    sample(&p, 3000, 5, 2, UNK, false, HFSM_NONE, NULL);
    sample(&p, 4000, 5, 2, UNK, false, HFSM_NONE, NULL);
    sample(&p, 5000, 6, 2, UNK, false, HFSM_NONE, NULL);
    sample(&p, 7000, 6, 2, UNK, false, HFSM_DOWN, NULL);
}

static void
test_passive_recover(void)
{
    struct hfsm_passive p;
    const enum lb_health DOWN = LB_HEALTH_DOWN;

    /* Without an active monitor: replies seen again bring it up. */
    hfsm_passive_init(&p);
    sample(&p, 0, 0, 0, LB_HEALTH_UNKNOWN, false, HFSM_NONE, NULL);
    sample(&p, 1000, 5, 0, LB_HEALTH_UNKNOWN, false, HFSM_NONE, NULL);
    sample(&p, 3000, 5, 0, LB_HEALTH_UNKNOWN, false, HFSM_DOWN, NULL);
    sample(&p, 4000, 6, 0, DOWN, false, HFSM_NONE, NULL);
    sample(&p, 5000, 6, 2, DOWN, false, HFSM_UP,
           "passive: 2 replies seen again");
    /* Up again, the window starts afresh. */
    sample(&p, 6000, 7, 2, LB_HEALTH_UP, false, HFSM_NONE, NULL);
    sample(&p, 7000, 7, 2, LB_HEALTH_UP, false, HFSM_NONE, NULL);
    sample(&p, 8000, 7, 2, LB_HEALTH_UP, false, HFSM_DOWN, NULL);

    /* Without an active monitor and without replies: UNKNOWN again after
     * the retry pause (30 s for a 2 s timeout), and judged again. */
    CU_ASSERT_EQUAL(HFSM_PASSIVE_RETRY_MS(2000), 30000);
    CU_ASSERT_EQUAL(HFSM_PASSIVE_RETRY_MS(10000), 100000);
    CU_ASSERT_EQUAL(HFSM_PASSIVE_RETRY_MS(3600000), 300000);
    hfsm_passive_init(&p);
    sample(&p, 0, 0, 0, LB_HEALTH_UNKNOWN, false, HFSM_NONE, NULL);
    sample(&p, 1000, 5, 0, LB_HEALTH_UNKNOWN, false, HFSM_NONE, NULL);
    sample(&p, 3000, 5, 0, LB_HEALTH_UNKNOWN, false, HFSM_DOWN, NULL);
    sample(&p, 32999, 5, 0, DOWN, false, HFSM_NONE, NULL);
    sample(&p, 33000, 5, 0, DOWN, false, HFSM_RETRY,
           "passive: trying again after 30 s down");
    sample(&p, 34000, 6, 0, LB_HEALTH_UNKNOWN, false, HFSM_NONE, NULL);
    sample(&p, 36000, 6, 0, LB_HEALTH_UNKNOWN, false, HFSM_DOWN, NULL);

    /* With an active monitor: replies do not bring it up, nor does time;
     * the monitor's rise does, and then the window starts afresh. */
    hfsm_passive_init(&p);
    sample(&p, 0, 0, 0, LB_HEALTH_UP, true, HFSM_NONE, NULL);
    sample(&p, 1000, 5, 0, LB_HEALTH_UP, true, HFSM_NONE, NULL);
    sample(&p, 3000, 5, 0, LB_HEALTH_UP, true, HFSM_DOWN, NULL);
    sample(&p, 4000, 5, 9, DOWN, true, HFSM_NONE, NULL);
    sample(&p, 100000, 5, 9, DOWN, true, HFSM_NONE, NULL);
    sample(&p, 101000, 6, 9, LB_HEALTH_UP, true, HFSM_NONE, NULL);
    sample(&p, 102000, 6, 9, LB_HEALTH_UP, true, HFSM_NONE, NULL);
    sample(&p, 103000, 6, 9, LB_HEALTH_UP, true, HFSM_DOWN,
           "passive: 1 packets sent, no reply for 2 s");

    /* Down by the active monitor: passive detection neither brings it
     * up on replies nor retries it, and judges it again once up. */
    hfsm_passive_init(&p);
    sample(&p, 0, 0, 0, DOWN, false, HFSM_NONE, NULL);
    sample(&p, 1000, 5, 0, DOWN, false, HFSM_NONE, NULL);
    sample(&p, 2000, 5, 3, DOWN, false, HFSM_NONE, NULL);
    sample(&p, 60000, 6, 3, DOWN, false, HFSM_NONE, NULL);
    sample(&p, 400000, 6, 3, DOWN, false, HFSM_NONE, NULL);
    sample(&p, 401000, 6, 3, LB_HEALTH_UP, false, HFSM_NONE, NULL);
    sample(&p, 402000, 7, 3, LB_HEALTH_UP, false, HFSM_NONE, NULL);
    sample(&p, 404000, 7, 3, LB_HEALTH_UP, false, HFSM_DOWN, NULL);

    /* Taken down passively, then brought up by something else (a monitor
     * change reset it): no longer passive detection's to bring back. */
    hfsm_passive_init(&p);
    sample(&p, 0, 0, 0, LB_HEALTH_UP, false, HFSM_NONE, NULL);
    sample(&p, 1000, 5, 0, LB_HEALTH_UP, false, HFSM_NONE, NULL);
    sample(&p, 3000, 5, 0, LB_HEALTH_UP, false, HFSM_DOWN, NULL);
    CU_ASSERT(p.took_down);
    sample(&p, 4000, 5, 0, LB_HEALTH_UNKNOWN, false, HFSM_NONE, NULL);
    CU_ASSERT(!p.took_down);
}

void
unit_register_health_fsm(void)
{
    static CU_TestInfo tests[] = {
        { "unknown: first success up, failures count", test_unknown },
        { "up: fall failures in a row go down", test_fall },
        { "down: rise successes in a row come up", test_rise },
        { "reasons with the streak", test_reason },
        { "passive: unanswered for the timeout goes down",
          test_passive_down },
        { "passive: recovery with and without an active monitor",
          test_passive_recover },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("health-fsm", tests);
}
