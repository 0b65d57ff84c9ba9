EXTRA_DIST += docs/architecture.md
EXTRA_DIST += docs/datapath.md
