/*
 * compiler: the model in, the flows and groups a switch should hold out.
 *
 * Pure: it reads the lb model and writes OpenFlow objects as ovs-ofctl
 * text (the syntax of "ovs-ofctl add-flow" and "add-group" with
 * OpenFlow 1.5), which is what an operator reads in dump-flows and what the
 * golden tests compare.  sync parses the text with libopenvswitch, compares
 * it with what the switch holds and sends the difference.
 *
 * Every flow line starts "cookie=0x...,table=N,priority=N," followed by the
 * match and ",actions=...".  The part before ",actions=" without the cookie
 * is the flow's identity on a switch (table, priority, match): two services
 * that want the same flow (the Neighbor Solicitation punt for a VIP they
 * share) get one, under the cookie of the lower service id.
 *
 * docs/pipeline.md documents the output.
 */
#ifndef FLOWLB_COMPILER_H
#define FLOWLB_COMPILER_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/types.h"
#include "svec.h"

struct lb_model;
struct lb_service;

struct compiler_options {
    bool l2_normal;             /* Install "priority=0,actions=NORMAL". */
};

/* OpenFlow objects as ovs-ofctl text lines. */
struct compiler_output {
    struct svec flows;
    struct svec groups;
};

void compiler_output_init(struct compiler_output *);
void compiler_output_destroy(struct compiler_output *);

bool compiler_service_on_switch(const struct lb_service *, uint64_t dpid);
void compiler_service(const struct lb_service *, struct compiler_output *);
void compiler_base(const struct lb_model *, const struct compiler_options *,
                   struct compiler_output *);
void compiler_switch(const struct lb_model *, uint64_t dpid,
                     const struct compiler_options *,
                     struct compiler_output *);

char *compiler_flow_identity(const char *flow);

/* Appends to 'ds' the actions that bind a new session of NAT service 'svc'
 * to member 'm' (a group bucket's, and a per-session packet-out's: they
 * set reg1 first, since a packet-out starts with clear registers). */
struct ds;
struct lb_member;
void compiler_nat_bucket_actions(const struct lb_service *,
                                 const struct lb_member *, struct ds *);
uint32_t compiler_bucket_member(uint32_t bucket_id);

#endif /* flowlb/compiler.h */
