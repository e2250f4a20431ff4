#!/bin/bash
# Runs every test suite of `make test` in turn, shows their output, and
# ends with one line totalling them: "total: N passed, M failed".
# usage: scripts/check.sh MAKE-VARIABLES...
set -u
suites=(unit hostile camera-cli pipewire-test e2e golden asan soak-short fuzz-smoke)
passed=0 failed=0 broken=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for s in "${suites[@]}"; do
    echo "==== $s"
    make --no-print-directory "$@" "$s" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    # A suite's count: its "unit tests (...): N passed, M failed" totals
    # (scripts/run-tests.sh) plus the last bare "N passed, M failed" line
    # printed after them (a test program's own closing line).
    counts=$(awk '
        /^unit tests \(.*\): [0-9]+ passed, [0-9]+ failed/ {
            n = split($0, w, " "); up += w[n-3]; uf += w[n-1]; lp = lf = 0; seen = 1; next }
        /^[0-9]+ passed, [0-9]+ failed/ { lp = $1; lf = $3; seen = 1 }
        END { if (seen) print up + lp, uf + lf }' "$log")
    if [ -n "$counts" ]; then
        p=${counts% *} f=${counts#* }
    else
        # suites without a count (the fuzzer) pass or fail as a whole
        p=$((rc == 0)) f=0
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    [ "$f" -ne 0 ] && broken+=("$s")
    passed=$((passed + p)) failed=$((failed + f))
done
[ ${#broken[@]} -eq 0 ] || echo "failing suites: ${broken[*]}"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
