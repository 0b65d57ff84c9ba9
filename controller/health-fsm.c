/*
 * health-fsm: rise/fall and passive detection.  See health-fsm.h.
 */
#include <config.h>
#include "flowlb/health-fsm.h"

#include <string.h>
#include "openvswitch/util.h"
#include "util.h"

struct hfsm_step
hfsm_probe(enum lb_health health, int count, bool ok, int rise, int fall)
{
    struct hfsm_step step = { .health = health, .count = 0, .streak = 0 };

    switch (health) {
    case LB_HEALTH_UNKNOWN:
        /* An unknown member takes sessions already, so one success is
         * enough to call it up; failures count towards 'fall' as for an
         * up member. */
        if (ok) {
            step.health = LB_HEALTH_UP;
            step.streak = 1;
            break;
        }
        /* Fall through. */
    case LB_HEALTH_UP:
        if (ok) {
            break;
        }
        step.count = count + 1;
        if (step.count >= fall) {
            step.health = LB_HEALTH_DOWN;
            step.streak = step.count;
            step.count = 0;
        }
        break;

    case LB_HEALTH_DOWN:
        if (!ok) {
            break;
        }
        step.count = count + 1;
        if (step.count >= rise) {
            step.health = LB_HEALTH_UP;
            step.streak = step.count;
            step.count = 0;
        }
        break;

    default:
        OVS_NOT_REACHED();
    }
    return step;
}

char *
hfsm_reason(const char *probe_reason, int streak)
{
    return (streak > 1
            ? xasprintf("%s (%d in a row)", probe_reason, streak)
            : xstrdup(probe_reason));
}

void
hfsm_passive_init(struct hfsm_passive *p)
{
    memset(p, 0, sizeof *p);
}

enum hfsm_verdict
hfsm_passive_sample(struct hfsm_passive *p, long long int now_ms,
                    uint64_t fwd, uint64_t reply, enum lb_health health,
                    bool active, long long int timeout_ms, char **reason)
{
    bool had_sample = p->valid;
    uint64_t prev_fwd = p->fwd;
    uint64_t prev_reply = p->reply;

    p->valid = true;
    p->fwd = fwd;
    p->reply = reply;
    *reason = NULL;

    if (p->took_down && health != LB_HEALTH_DOWN) {
        /* Something else brought it back (the active monitor's rise, or a
         * monitor change that reset it): no longer ours. */
        p->took_down = false;
    }

    if (!had_sample || fwd < prev_fwd || reply < prev_reply) {
        /* A first sample, or counters that went down because a switch
         * reconnected or flows were rebuilt: nothing to compare with. */
        p->pending = false;
        return HFSM_NONE;
    }

    if (health == LB_HEALTH_DOWN) {
        /* A member that is down takes no new sessions: watch only for the
         * way back.  The unanswered window starts afresh when it is up. */
        p->pending = false;
        if (!p->took_down || active) {
            return HFSM_NONE;
        }
        if (reply > prev_reply) {
            p->took_down = false;
            *reason = xasprintf("passive: %"PRIu64" replies seen again",
                                reply - prev_reply);
            return HFSM_UP;
        }
        if (now_ms - p->down_ms >= HFSM_PASSIVE_RETRY_MS(timeout_ms)) {
            p->took_down = false;
            *reason = xasprintf("passive: trying again after %lld s down",
                                (now_ms - p->down_ms) / 1000);
            return HFSM_RETRY;
        }
        return HFSM_NONE;
    }

    if (reply > prev_reply) {
        p->pending = false;
        return HFSM_NONE;
    }
    if (fwd > prev_fwd && !p->pending) {
        p->pending = true;
        p->since_ms = now_ms;
        p->fwd_base = prev_fwd;
    }
    if (p->pending && now_ms - p->since_ms >= timeout_ms) {
        *reason = xasprintf("passive: %"PRIu64" packets sent, no reply "
                            "for %lld s", fwd - p->fwd_base,
                            (now_ms - p->since_ms) / 1000);
        p->pending = false;
        p->took_down = true;
        p->down_ms = now_ms;
        return HFSM_DOWN;
    }
    return HFSM_NONE;
}
