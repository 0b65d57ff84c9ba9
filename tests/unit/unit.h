/*
 * The CUnit suites of flowlb's pure modules.  Each test-*.c defines one
 * registration function; unit-main.c calls them all, and holds the helpers
 * that several suites share.
 */
#ifndef FLOWLB_TESTS_UNIT_H
#define FLOWLB_TESTS_UNIT_H 1

#include <CUnit/CUnit.h>
#include <netinet/in.h>

void unit_register_addr(void);
void unit_register_balance(void);
void unit_register_compiler(void);
void unit_register_health_fsm(void);
void unit_register_ctpolicy(void);
void unit_register_lb(void);
void unit_register_lb_algo(void);
void unit_register_neigh(void);
void unit_register_ofmsg(void);
void unit_register_ptb(void);
void unit_register_render(void);
void unit_register_session(void);
void unit_register_store(void);
void unit_register_switch(void);

/* Helpers shared by the suites. */
struct in6_addr unit_ip6(const char *s);
struct in6_addr unit_ip4(const char *s);

/* Adds a suite named 'NAME' with the 'TESTS', an array of CU_TestInfo
 * ending in CU_TEST_INFO_NULL. */
#define UNIT_SUITE(NAME, TESTS)                                         \
    do {                                                                \
        CU_SuiteInfo suites_[] = {                                      \
            { NAME, NULL, NULL, NULL, NULL, TESTS },                    \
            CU_SUITE_INFO_NULL,                                         \
        };                                                              \
        CU_register_suites(suites_);                                    \
    } while (0)

#endif
