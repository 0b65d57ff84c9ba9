EXTRA_DIST += utilities/install-deps.sh
