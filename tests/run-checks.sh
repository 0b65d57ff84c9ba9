#!/bin/sh
# Runs the unit tests and the autotest suite from the build directory and
# ends with one line, "N passed, N failed" (", N skipped" if any), that CI
# reads.  Exits nonzero if anything failed or nothing ran.
#
# usage: run-checks.sh TESTSUITE [TESTSUITEFLAGS...]
#
# UNIT_TESTS names the unit test program (tests/unit-tests).  With
# ASAN_LOG_DIR set (make check-asan), every AddressSanitizer report written
# there counts as one more failure.

set -u
testsuite=$1
shift
suite_flags="$*"

if [ "$(id -u)" != 0 ]; then
    echo "run-checks: warning: not root; the integration tests need to" \
         "create sockets and signal daemons only, which works, but the" \
         "sandbox needs root" >&2
fi

passed=0 failed=0 skipped=0 status=0
unit_tests=${UNIT_TESTS:-tests/unit-tests}
if [ -n "${ASAN_LOG_DIR:-}" ]; then
    rm -rf "$ASAN_LOG_DIR"
    mkdir -p "$ASAN_LOG_DIR"
    ASAN_OPTIONS="detect_leaks=1:log_path=$ASAN_LOG_DIR/asan"
    export ASAN_OPTIONS
fi

echo "== unit tests (CUnit): $unit_tests =="
$unit_tests > tests/unit-tests.log 2>&1
unit_status=$?
cat tests/unit-tests.log
# CUnit's run summary: "tests  TOTAL  RAN  PASSED  FAILED  INACTIVE".
summary=$(awk '$1 == "tests" && NF >= 5 { print $3, $4, $5 }' \
              tests/unit-tests.log)
unit_ran=${summary%% *}
if [ -n "$summary" ] && [ "$unit_ran" -gt 0 ]; then
    rest=${summary#* }
    passed=$((passed + ${rest%% *}))
    failed=$((failed + ${rest#* }))
else
    echo "run-checks: unit-tests printed no summary" >&2
    failed=$((failed + 1))
fi
[ $unit_status -eq 0 ] || status=1

echo
echo "== integration tests (autotest) =="
# The suite prints one line per test: "  N: title   ok", "... FAILED (...)",
# "... skipped (...)", "... expected failure".
$SHELL "$testsuite" -C tests $suite_flags > tests/testsuite.out 2>&1
suite_status=$?
cat tests/testsuite.out
at_passed=$(grep -cE '^ *[0-9]+: .* (ok|expected failure)$' tests/testsuite.out)
at_failed=$(grep -cE '^ *[0-9]+: .* (FAILED|UNEXPECTED PASS) \(' \
                tests/testsuite.out)
at_skipped=$(grep -cE '^ *[0-9]+: .* skipped \(' tests/testsuite.out)
passed=$((passed + at_passed))
failed=$((failed + at_failed))
skipped=$((skipped + at_skipped))
if [ $suite_status -ne 0 ]; then
    status=1
    [ $at_failed -gt 0 ] || failed=$((failed + 1))
fi
if [ $((at_passed + at_failed + at_skipped)) -eq 0 ]; then
    echo "run-checks: the autotest suite ran no test" >&2
    status=1
fi

if [ -n "${ASAN_LOG_DIR:-}" ]; then
    reports=$(ls "$ASAN_LOG_DIR" | wc -l)
    echo
    echo "== AddressSanitizer: $reports report(s) =="
    for f in "$ASAN_LOG_DIR"/*; do
        [ -f "$f" ] && { echo "--- $f"; cat "$f"; }
    done
    failed=$((failed + reports))
fi

echo
if [ $skipped -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ] || status=1
exit $status
