# flowlbd and the library of its modules, which the unit tests link too.

noinst_LIBRARIES += controller/libflowlb.a
controller_libflowlb_a_SOURCES = \
	controller/addr.c \
	controller/balance.c \
	controller/compiler.c \
	controller/connmgr.c \
	controller/counters.c \
	controller/health.c \
	controller/health-fsm.c \
	controller/ctpolicy.c \
	controller/decider.c \
	controller/lb.c \
	controller/lb-algo.c \
	controller/lb-algo-cost.c \
	controller/lb-algo-fastest.c \
	controller/lb-algo-least.c \
	controller/lb-algo-rr.c \
	controller/lb-rate.c \
	controller/neigh.c \
	controller/ofconn.c \
	controller/ofmsg.c \
	controller/pmtu.c \
	controller/ptb.c \
	controller/render.c \
	controller/resolve.c \
	controller/session.c \
	controller/rest.c \
	controller/store.c \
	controller/switch.c \
	controller/sync.c \
	include/flowlb/addr.h \
	include/flowlb/balance.h \
	include/flowlb/compiler.h \
	include/flowlb/connmgr.h \
	include/flowlb/counters.h \
	include/flowlb/health.h \
	include/flowlb/health-fsm.h \
	include/flowlb/ctpolicy.h \
	include/flowlb/decider.h \
	include/flowlb/lb.h \
	include/flowlb/lb-algo.h \
	include/flowlb/lb-rate.h \
	include/flowlb/neigh.h \
	include/flowlb/ofconn.h \
	include/flowlb/ofmsg.h \
	include/flowlb/pipeline.h \
	include/flowlb/pmtu.h \
	include/flowlb/ptb.h \
	include/flowlb/render.h \
	include/flowlb/resolve.h \
	include/flowlb/session.h \
	include/flowlb/rest.h \
	include/flowlb/store.h \
	include/flowlb/switch.h \
	include/flowlb/sync.h

bin_PROGRAMS += controller/flowlbd
controller_flowlbd_SOURCES = controller/flowlbd.c
controller_flowlbd_LDADD = controller/libflowlb.a $(LIBEVENT_LIBS) \
	$(JANSSON_LIBS) $(OVS_LIBS)
controller_flowlbd_DEPENDENCIES = controller/libflowlb.a $(OVS_LIBOPENVSWITCH)

# The same daemon with AddressSanitizer, for "make check-asan".  It compiles
# the sources again rather than linking libflowlb.a, whose objects have no
# ASan instrumentation.
EXTRA_PROGRAMS += asan/flowlbd
asan_flowlbd_SOURCES = $(controller_libflowlb_a_SOURCES) $(controller_flowlbd_SOURCES)
asan_flowlbd_CFLAGS = $(AM_CFLAGS) $(ASAN_COMPILE_FLAGS)
asan_flowlbd_LDFLAGS = $(ASAN_LINK_FLAGS)
asan_flowlbd_LDADD = $(LIBEVENT_LIBS) $(JANSSON_LIBS) $(OVS_LIBS)
asan_flowlbd_DEPENDENCIES = $(OVS_LIBOPENVSWITCH)
CLEANFILES += asan/flowlbd
