# Tests: CUnit unit tests of the pure modules, and the autotest integration
# suite that runs real ovsdb-server, ovs-vswitchd and flowlbd per test.
# "make check" runs both through tests/run-checks.sh, which ends with one
# line "N passed, N failed".

check_PROGRAMS += tests/unit-tests
tests_unit_tests_SOURCES = \
	tests/unit/unit-main.c \
	tests/unit/unit.h \
	tests/unit/test-addr.c \
	tests/unit/test-ofmsg.c \
	tests/unit/test-render.c \
	tests/unit/test-switch.c
tests_unit_tests_CPPFLAGS = $(AM_CPPFLAGS) $(CUNIT_CFLAGS)
tests_unit_tests_LDADD = controller/libflowlb.a $(CUNIT_LIBS) \
	$(LIBEVENT_LIBS) $(JANSSON_LIBS) $(OVS_LIBS)
tests_unit_tests_DEPENDENCIES = controller/libflowlb.a $(OVS_LIBOPENVSWITCH)

TESTSUITE_AT = \
	tests/testsuite.at \
	tests/flowlb-macros.at \
	tests/switches.at \
	tests/rest.at \
	tests/daemon.at
TESTSUITE = $(srcdir)/tests/testsuite
AUTOM4TE = $(SHELL) $(top_srcdir)/build-aux/missing autom4te
AUTOTEST = $(AUTOM4TE) -I '$(srcdir)' -l autotest
EXTRA_DIST += $(TESTSUITE_AT) $(TESTSUITE) tests/package.m4 \
	tests/run-checks.sh tests/atlocal.in
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
# or -v -d for a failing test.
check-local: tests/unit-tests $(TESTSUITE) tests/atconfig tests/atlocal \
		controller/flowlbd
	@$(SHELL) $(srcdir)/tests/run-checks.sh '$(TESTSUITE)' \
		$(TESTSUITEFLAGS)

clean-local:
	test ! -f '$(TESTSUITE)' || \
		$(SHELL) '$(TESTSUITE)' -C tests --clean
	rm -f tests/unit-tests.log

# The same checks with AddressSanitizer, in a separate build (_asan/) that
# shares the OVS build.
check-asan:
	$(MKDIR_P) _asan
	cd _asan && { test -f Makefile || \
		$(abs_top_srcdir)/configure --enable-asan -q; }
	$(MAKE) -C _asan check TESTSUITEFLAGS='$(TESTSUITEFLAGS)'
.PHONY: check-asan
