EXTRA_DIST += docs/architecture.md
EXTRA_DIST += docs/datapath.md
EXTRA_DIST += docs/performance.md
