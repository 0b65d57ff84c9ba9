# Tests: CUnit unit tests of the pure modules, and the autotest integration
# suite that runs real ovsdb-server, ovs-vswitchd and flowlbd per test.
# "make check" runs both through tests/run-checks.sh, which ends with one
# line "N passed, N failed".

check_PROGRAMS += tests/unit-tests
tests_unit_tests_SOURCES = \
	tests/unit/unit-main.c \
	tests/unit/unit.h \
	tests/unit/test-addr.c \
	tests/unit/test-balance.c \
	tests/unit/test-compiler.c \
	tests/unit/test-health-fsm.c \
	tests/unit/test-ctpolicy.c \
	tests/unit/test-lb.c \
	tests/unit/test-lb-algo.c \
	tests/unit/test-neigh.c \
	tests/unit/test-ofmsg.c \
	tests/unit/test-ptb.c \
	tests/unit/test-render.c \
	tests/unit/test-session.c \
	tests/unit/test-store.c \
	tests/unit/test-switch.c
# UNIT_SRCDIR lets test-neigh find tests/neigh-scapy.py and test-compiler
# the golden files in tests/golden/.
tests_unit_tests_CPPFLAGS = $(AM_CPPFLAGS) $(CUNIT_CFLAGS) \
	-DUNIT_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_tests_LDADD = controller/libflowlb.a $(CUNIT_LIBS) \
	$(LIBEVENT_LIBS) $(JANSSON_LIBS) $(OVS_LIBS)
tests_unit_tests_DEPENDENCIES = controller/libflowlb.a $(OVS_LIBOPENVSWITCH)

TESTSUITE_AT = \
	tests/testsuite.at \
	tests/flowlb-macros.at \
	tests/switches.at \
	tests/rest.at \
	tests/ctl.at \
	tests/sync.at \
	tests/pmtu.at \
	tests/services.at \
	tests/stick.at \
	tests/nat.at \
	tests/session.at \
	tests/daemon.at \
	tests/ovs-build.at \
	tests/datapath.at \
	tests/services-traffic.at \
	tests/ctpolicy.at \
	tests/stick-traffic.at \
	tests/health.at \
	tests/run-checks.at \
	tests/bench.at
TESTSUITE = $(srcdir)/tests/testsuite
AUTOM4TE = $(SHELL) $(top_srcdir)/build-aux/missing autom4te
AUTOTEST = $(AUTOM4TE) -I '$(srcdir)' -l autotest
EXTRA_DIST += $(TESTSUITE_AT) $(TESTSUITE) tests/package.m4 \
	tests/run-checks.sh tests/atlocal.in tests/ipip-traffic.sh \
	tests/stick-packets.py tests/health-server.py \
	tests/lb-traffic.sh tests/stick-traffic.sh tests/stick-traffic.py \
	tests/traffic-lib.sh \
	tests/neigh-scapy.py tests/pmtu-scapy.py tests/fake-api.py \
	$(wildcard $(srcdir)/tests/golden/*.json $(srcdir)/tests/golden/*.flows)
DISTCLEANFILES += tests/atconfig tests/atlocal

$(srcdir)/tests/package.m4: $(top_srcdir)/configure.ac
	$(AM_V_GEN){ \
	  echo '# Signature of the current package.'; \
	  echo 'm4_define([AT_PACKAGE_NAME], [$(PACKAGE_NAME)])'; \
	  echo 'm4_define([AT_PACKAGE_TARNAME], [$(PACKAGE_TARNAME)])'; \
	  echo 'm4_define([AT_PACKAGE_VERSION], [$(PACKAGE_VERSION)])'; \
	  echo 'm4_define([AT_PACKAGE_STRING], [$(PACKAGE_STRING)])'; \
	  echo 'm4_define([AT_PACKAGE_BUGREPORT], [$(PACKAGE_BUGREPORT)])'; \
	} > $@

$(TESTSUITE): $(srcdir)/tests/package.m4 $(addprefix $(srcdir)/,$(TESTSUITE_AT))
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)/tests' -o $@.tmp $@.at && mv $@.tmp $@

# TESTSUITEFLAGS passes options to the autotest suite, e.g. -j2, -k dead,
# or -v -d for a failing test.  Then Open vSwitch's own tests of datapath
# actions run in $(OVS_BUILDDIR) (run-checks.sh picks them) with
# OVS_TESTSUITEFLAGS added, and those that fail run once more unless
# OVS_RECHECK=no; "make check OVS_CHECK=no" skips them.
OVS_TESTSUITEFLAGS = -j2
OVS_CHECK = yes
OVS_RECHECK = yes
check-local: tests/unit-tests $(TESTSUITE) tests/atconfig tests/atlocal \
		controller/flowlbd utilities/flowlb-ctl
	@OVS_BUILDDIR='$(OVS_BUILDDIR)' OVS_CHECK='$(OVS_CHECK)' \
	OVS_TESTSUITEFLAGS='$(OVS_TESTSUITEFLAGS)' \
	OVS_RECHECK='$(OVS_RECHECK)' \
	$(SHELL) $(srcdir)/tests/run-checks.sh '$(TESTSUITE)' \
		$(TESTSUITEFLAGS)

clean-local:
	test ! -f '$(TESTSUITE)' || \
		$(SHELL) '$(TESTSUITE)' -C tests --clean
	rm -f tests/unit-tests.log tests/ovs-testsuite.out \
		tests/ovs-testsuite.log tests/ovs-recheck.out

# The same checks with AddressSanitizer: the suites run asan/flowlbd and
# asan/unit-tests, and any report ASan writes (tests/asan-logs/) fails the
# run, also from daemons that the tests stopped.  Open vSwitch's tests do
# not run again here: OVS is not built with ASan, so they would run the
# very binaries "make check" tested.
EXTRA_PROGRAMS += asan/unit-tests
asan_unit_tests_SOURCES = $(tests_unit_tests_SOURCES) \
	$(controller_libflowlb_a_SOURCES)
asan_unit_tests_CPPFLAGS = $(tests_unit_tests_CPPFLAGS)
asan_unit_tests_CFLAGS = $(AM_CFLAGS) $(ASAN_COMPILE_FLAGS)
asan_unit_tests_LDFLAGS = $(ASAN_LINK_FLAGS)
asan_unit_tests_LDADD = $(CUNIT_LIBS) $(LIBEVENT_LIBS) $(JANSSON_LIBS) \
	$(OVS_LIBS)
asan_unit_tests_DEPENDENCIES = $(OVS_LIBOPENVSWITCH)
CLEANFILES += asan/unit-tests

check-asan: asan/unit-tests asan/flowlbd $(TESTSUITE) tests/atconfig \
		tests/atlocal bench/odp-bench utilities/flowlb-ctl
	@FLOWLB_BINDIR='$(abs_builddir)/asan' \
	UNIT_TESTS=asan/unit-tests \
	ASAN_LOG_DIR='$(abs_builddir)/tests/asan-logs' \
	$(SHELL) $(srcdir)/tests/run-checks.sh '$(TESTSUITE)' \
		$(TESTSUITEFLAGS)
.PHONY: check-asan
