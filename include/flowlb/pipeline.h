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

/* Table 0, "classify": every flow flowlbd installs today. */
#define PIPELINE_TABLE_CLASSIFY 0

/* Priorities in table 0, highest first. */
#define PIPELINE_PRIO_NEIGH 1000     /* NS/ARP for a VIP, NA/ARP to vmac. */
#define PIPELINE_PRIO_VIP_ZERO_LABEL 510  /* VIP, IPv6 label 0: 5-tuple. */
#define PIPELINE_PRIO_VIP 500        /* VIP traffic. */
#define PIPELINE_PRIO_L2 0           /* Everything else: NORMAL. */

/* Group kinds: the low 4 bits of a service's group ids. */
#define PIPELINE_GROUP_LABEL 1       /* Hash on the flow-label key. */
#define PIPELINE_GROUP_5TUPLE 2      /* Hash on the 5-tuple (or "src"). */

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

static inline uint32_t
pipeline_group_id(uint32_t service_id, unsigned int kind)
{
    return (service_id << 4) | kind;
}

#endif /* flowlb/pipeline.h */
