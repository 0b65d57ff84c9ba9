/*
 * unit-tests: runs every CUnit suite and exits nonzero if any test fails.
 */
#include <config.h>

#include <CUnit/Basic.h>
#include <stdio.h>
#include "openvswitch/vlog.h"
#include "unit.h"
#include "util.h"

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
    unit_register_compiler();
    unit_register_lb();
    unit_register_lb_algo();
    unit_register_neigh();
    unit_register_ofmsg();
    unit_register_ptb();
    unit_register_render();
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
