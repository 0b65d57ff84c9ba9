EXTRA_DIST += utilities/install-deps.sh

# "make sandbox" runs flowlbd beside the patched OVS with client and server
# namespaces, for trying flowlb by hand; "make sandbox-stop" removes it all.
# Both need root.  The state lives in sandbox/ in the source tree, which git
# ignores.  See utilities/flowlb-sandbox.sh.
SANDBOX_ENV = \
	OVS_BUILDDIR='$(OVS_BUILDDIR)' \
	FLOWLBD='$(abs_builddir)/controller/flowlbd' \
	SANDBOX_DIR='$(abs_top_srcdir)/sandbox'

sandbox: all
	$(SANDBOX_ENV) $(SHELL) $(srcdir)/utilities/flowlb-sandbox.sh start

sandbox-stop:
	$(SANDBOX_ENV) $(SHELL) $(srcdir)/utilities/flowlb-sandbox.sh stop

EXTRA_DIST += utilities/flowlb-sandbox.sh

# flowlb-ctl, the command-line client of the REST API.  It talks to
# flowlbd only over HTTP, so it links neither libflowlb.a nor Open
# vSwitch, and needs none of their headers.
bin_PROGRAMS += utilities/flowlb-ctl
utilities_flowlb_ctl_SOURCES = utilities/flowlb-ctl.c
utilities_flowlb_ctl_CPPFLAGS = $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
utilities_flowlb_ctl_LDADD = $(LIBEVENT_LIBS) $(JANSSON_LIBS)
