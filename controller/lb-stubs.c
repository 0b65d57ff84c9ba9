/*
 * lb-stubs: TEMPORARY, until the model helper's lb.c is in main.  The
 * model API functions of the issue 6 contract that the session module
 * calls, as the model helper defines them.  Delete this file when merging
 * main brings them.
 */
#include <config.h>
#include "flowlb/lb.h"

bool
lb_member_alive(const struct lb_member *m)
{
    return m->health != LB_HEALTH_DOWN;
}

bool
lb_member_takes_sessions(const struct lb_member *m)
{
    struct eth_addr mac;
    return (m->state == LB_MEMBER_ENABLED && lb_member_alive(m)
            && lb_member_mac(m, &mac));
}

const struct lb_member *
lb_member_effective(const struct lb_service *svc, const struct lb_member *m)
{
    if (lb_member_takes_sessions(m)) {
        return m;
    } else if (m->backup) {
        const struct lb_member *b = lb_member_find(svc, m->backup);
        if (b && lb_member_takes_sessions(b)) {
            return b;
        }
    }
    return NULL;
}
