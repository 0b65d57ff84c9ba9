# Benchmarks of the datapath actions (docs/performance.md): "make bench"
# runs bench/odp-actions.sh and bench/megaflows.sh.  They are not tests and
# "make check" does not run them, but it builds bench/odp-bench, one file,
# and tests/bench.at runs both briefly, so that they keep working as the
# OVS patch series changes.

check_PROGRAMS += bench/odp-bench
bench_odp_bench_SOURCES = bench/odp-bench.c
bench_odp_bench_LDADD = $(OVS_LIBS)
bench_odp_bench_DEPENDENCIES = $(OVS_LIBOPENVSWITCH)

EXTRA_DIST += bench/odp-actions.sh bench/megaflows.sh bench/services.sh \
	bench/services-client.py bench/stick.sh bench/stick-gen.py \
	bench/session.sh bench/session-client.py

bench: bench/odp-bench
	ODP_BENCH='$(abs_builddir)/bench/odp-bench' \
		$(SHELL) $(srcdir)/bench/odp-actions.sh
	@echo
	OVS_BUILDDIR='$(OVS_BUILDDIR)' $(SHELL) $(srcdir)/bench/megaflows.sh
.PHONY: bench

bench-services: controller/flowlbd
	OVS_BUILDDIR='$(OVS_BUILDDIR)' FLOWLBD='$(abs_builddir)/controller/flowlbd' \
		$(SHELL) $(srcdir)/bench/services.sh
.PHONY: bench-services

# Needs root, network namespaces and trafgen (netsniff-ng); about 6 minutes.
bench-stick: controller/flowlbd
	OVS_BUILDDIR='$(OVS_BUILDDIR)' FLOWLBD='$(abs_builddir)/controller/flowlbd' \
		$(SHELL) $(srcdir)/bench/stick.sh
.PHONY: bench-stick

# Needs root and network namespaces; about 15 seconds.
bench-session: controller/flowlbd
	OVS_BUILDDIR='$(OVS_BUILDDIR)' FLOWLBD='$(abs_builddir)/controller/flowlbd' \
		$(SHELL) $(srcdir)/bench/session.sh
.PHONY: bench-session
