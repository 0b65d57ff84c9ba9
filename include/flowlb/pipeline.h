/*
 * pipeline: the numbers flowlbd's OpenFlow objects carry on a switch.
 *
 * One place for table numbers, priorities, cookies and group ids, so the
 * compiler, sync, the REST API and docs/pipeline.md agree.  Every flow
 * flowlbd installs has a cookie whose top 16 bits are FLOWLB_COOKIE_TAG:
 * sync reads and replaces only those, and an operator can list them with
 * "ovs-ofctl dump-flows br0 cookie=0xf1b0000000000000/0xffff000000000000".
 *
 *   cookie   = 0xf1b0 << 48 | service id << 16      (bits 15..0 reserved)
 *   group id = service id << 4 | group kind
 *
 * Service id 0 is the switch-wide "base" cookie: the neighbour discovery
 * punts and the L2 default flow.
 */
#ifndef FLOWLB_PIPELINE_H
#define FLOWLB_PIPELINE_H 1

#include <stdint.h>

#define FLOWLB_COOKIE_TAG 0xf1b0ULL
#define FLOWLB_COOKIE_MASK 0xffff000000000000ULL
#define FLOWLB_COOKIE_BASE (FLOWLB_COOKIE_TAG << 48)

/* Tables.  Stateless services use table 0 only; stateful services
 * (persistence "stateful") look their sessions up in stick tables that OVS
 * "learn" actions fill in the datapath (docs/pipeline.md). */
#define PIPELINE_TABLE_CLASSIFY 0       /* Which service; first lookups. */
#define PIPELINE_TABLE_STICK_5TUPLE 10  /* Learned: 5-tuple -> reg3. */
#define PIPELINE_TABLE_STICK_LABEL 11   /* Learned: label key -> reg2. */
#define PIPELINE_TABLE_DECIDE 12        /* 5-tuple, else label, else group. */
#define PIPELINE_TABLE_LABEL_CHECK 13   /* Learned, "drop": 5-tuple+label. */
#define PIPELINE_TABLE_LEARN 20         /* Per member: record the session. */
#define PIPELINE_TABLE_FORWARD 30       /* Per member: to its MAC. */

/* NAT and NAPT services (forwarding "nat", "napt"; docs/pipeline.md "NAT
 * services").  Table 0 sends the service's packets, both directions,
 * through conntrack in the service's zone with "nat" (which translates
 * packets of known sessions); the NAT tables then decide. */
#define PIPELINE_TABLE_NAT_STATE 40     /* After ct: new, known, invalid. */
#define PIPELINE_TABLE_NAT_MEMBER 41    /* Per member (ct_mark): deliver. */
#define PIPELINE_TABLE_NAPT_CHECK 42    /* NAPT: source translated? */
#define PIPELINE_TABLE_NAPT_REPLY 43    /* NAPT reply, after the SNAT zone. */
#define PIPELINE_TABLE_SESSIONS 45      /* One flow per session: counts. */

/* Conntrack marks of NAT sessions: ct_mark holds the member id, and
 * ct_label bits 0..47 the client's Ethernet source, which replies take as
 * their destination. */
#define PIPELINE_CT_MARK_MEMBER_MASK 0xffff

/* Registers of the stateful pipeline. */
#define PIPELINE_REG_MEMBER "reg0"      /* The member chosen. */
#define PIPELINE_REG_SERVICE "reg1"     /* The service's id. */
#define PIPELINE_REG_LABEL_MEMBER "reg2"    /* From the label entry. */
#define PIPELINE_REG_TUPLE_MEMBER "reg3"    /* From the 5-tuple entry. */
#define PIPELINE_REG_LABEL_SEEN "reg4"  /* 1: 5-tuple known with this label. */

/* Priorities in table 0, highest first. */
#define PIPELINE_PRIO_NEIGH 1000     /* NS/ARP for a VIP, NA/ARP to vmac. */
#define PIPELINE_PRIO_TOO_BIG 900    /* ICMP "too big" to a VIP: punt. */
#define PIPELINE_PRIO_FRAG 515       /* VIP fragment. */
#define PIPELINE_PRIO_VIP_ZERO_LABEL 510  /* VIP, IPv6 label 0: 5-tuple. */
#define PIPELINE_PRIO_VIP 500        /* VIP traffic. */
#define PIPELINE_PRIO_L2 0           /* Everything else: NORMAL. */

/* Priorities in the NAT tables. */
#define PIPELINE_PRIO_NAT_INVALID 100   /* ct_state=+inv: drop, counted. */
#define PIPELINE_PRIO_NAT_BOUND 95      /* New but bound (+dnat): table 41. */
#define PIPELINE_PRIO_NAT_NEW_ZERO 91   /* ...label key, label 0: 5-tuple. */
#define PIPELINE_PRIO_NAT_NEW 90        /* New session to the VIP. */
#define PIPELINE_PRIO_NAT_OTHER 80      /* New, not to the VIP: NORMAL. */
#define PIPELINE_PRIO_NAT_UNMARKED 15   /* Known, not the balancer's. */
#define PIPELINE_PRIO_NAT_KNOWN 10      /* Known session: to table 41. */

/* Priorities in the decide table. */
#define PIPELINE_PRIO_DECIDE_NEW_FRAG 51    /* No entry, a fragment. */
#define PIPELINE_PRIO_DECIDE_NEW_ZERO 50    /* No entry, label 0: group. */
#define PIPELINE_PRIO_DECIDE_NEW 49         /* No entry: group. */
#define PIPELINE_PRIO_DECIDE_LABEL 40       /* Label entry only. */
#define PIPELINE_PRIO_DECIDE_SUSPECT 30     /* "drop": label changed. */
#define PIPELINE_PRIO_DECIDE_TUPLE 20       /* 5-tuple entry. */

/* Learned entries' priority. */
#define PIPELINE_PRIO_STICK 100

/* Group kinds: the low 4 bits of a service's group ids. */
#define PIPELINE_GROUP_LABEL 1       /* Hash on the flow-label key. */
#define PIPELINE_GROUP_5TUPLE 2      /* Hash on the 5-tuple (or "src"). */
#define PIPELINE_GROUP_FRAG 3        /* 5-tuple key: fragments. */

/* Meter ids: a per-session service's packet-ins go through meter
 * (service id), so that a SYN flood cannot drown flowlbd. */
static inline uint32_t
pipeline_meter_id(uint32_t service_id)
{
    return service_id;
}

static inline uint64_t
pipeline_cookie(uint32_t service_id)
{
    return FLOWLB_COOKIE_BASE | ((uint64_t) service_id << 16);
}

/* Returns the service id in 'cookie', or -1 if it is not flowlbd's. */
static inline int64_t
pipeline_cookie_service(uint64_t cookie)
{
    return ((cookie & FLOWLB_COOKIE_MASK) == FLOWLB_COOKIE_BASE
            ? (int64_t) ((cookie >> 16) & 0xffffffff) : -1);
}

/* Learned stick entries carry their own tag, so that sync (which owns the
 * FLOWLB_COOKIE_TAG flows) leaves them alone:
 *
 *   0xf1b1 PP SSSSSS MMMM   (tag, label-change policy, service, member)
 *
 * OVS deletes the entries a member's learn flows made when those flows go
 * ("delete_learned"), and the policy byte makes a policy change do the
 * same for the whole service, since entries of one policy mean nothing to
 * another. */
#define FLOWLB_STICK_COOKIE_TAG 0xf1b1ULL
#define FLOWLB_STICK_COOKIE_MASK 0xffff00ffffff0000ULL  /* Service-wide. */

static inline uint64_t
pipeline_stick_cookie(uint32_t service_id, unsigned int policy,
                      uint32_t member_id)
{
    return (FLOWLB_STICK_COOKIE_TAG << 48 | (uint64_t) (policy & 0xff) << 40
            | (uint64_t) (service_id & 0xffffff) << 16 | member_id);
}

static inline uint32_t
pipeline_group_id(uint32_t service_id, unsigned int kind)
{
    return (service_id << 4) | kind;
}

#endif /* flowlb/pipeline.h */
