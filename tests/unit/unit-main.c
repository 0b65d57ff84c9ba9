/*
 * unit-tests: runs every CUnit suite and exits nonzero if any test fails.
 * Also the helpers that unit.h declares for the suites.
 */
#include <config.h>

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <stdio.h>
#include "openvswitch/vlog.h"
#include "packets.h"
#include "unit.h"
#include "util.h"

/* Returns the IPv6 address 's' (a test's constant: aborts if 's' is not an
 * address). */
struct in6_addr
unit_ip6(const char *s)
{
    struct in6_addr a;

    ovs_assert(inet_pton(AF_INET6, s, &a) == 1);
    return a;
}

/* Returns the IPv4 address 's' in its IPv4-mapped IPv6 form (aborts if 's'
 * is not an address). */
struct in6_addr
unit_ip4(const char *s)
{
    ovs_be32 a;

    ovs_assert(inet_pton(AF_INET, s, &a) == 1);
    return in6_addr_mapped_ipv4(a);
}

int
main(int argc OVS_UNUSED, char *argv[])
{
    set_program_name(argv[0]);
    /* Keep the modules' warnings (expected in some tests) out of the
     * report. */
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "unit-tests: %s\n", CU_get_error_msg());
        return 1;
    }
    unit_register_addr();
    unit_register_balance();
    unit_register_compiler();
    unit_register_health_fsm();
    unit_register_ctpolicy();
    unit_register_lb();
    unit_register_lb_algo();
    unit_register_neigh();
    unit_register_ofmsg();
    unit_register_ptb();
    unit_register_render();
    unit_register_session();
    unit_register_store();
    unit_register_switch();

    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned int failed = CU_get_number_of_tests_failed();
    unsigned int run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (!run) {
        fprintf(stderr, "unit-tests: no test ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}
