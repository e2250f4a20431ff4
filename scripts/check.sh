#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs every test suite of `make test` in turn, shows their output, and
# ends with one line totalling them: "total: N passed, M failed, K skipped".
# usage: scripts/check.sh MAKE-VARIABLES...
set -u
suites=(unit web-test hostile camera-cli gst-test install-test dbus-test pipewire-test settings-test obs-test e2e ondemand-test settings-vm-test golden rvm-golden asan tsan-live soak-short fuzz-smoke package-test)
passed=0 failed=0 skipped=0 broken=() skipping=() times=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for s in "${suites[@]}"; do
    echo "==== $s"
    t0=$(date +%s)
    make --no-print-directory "$@" "$s" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    times+=("$s $(($(date +%s) - t0))s")
    # A suite's count: its "unit tests (...): N passed, M failed, K skipped"
    # totals (scripts/run-tests.sh) plus the last bare "N passed, M failed[,
    # K skipped]" line printed after them (a test program's own closing line).
    counts=$(awk '
        function sk(line) { return match(line, /, [0-9]+ skipped/) ? substr(line, RSTART + 2, RLENGTH - 10) + 0 : 0 }
        /^unit tests \(.*\): [0-9]+ passed, [0-9]+ failed/ {
            sub(/^unit tests \([^)]*\): /, "")
            up += $1; uf += $3; us += sk($0); lp = lf = ls = 0; seen = 1; next }
        /^[0-9]+ passed, [0-9]+ failed/ { lp = $1; lf = $3; ls = sk($0); seen = 1 }
        END { if (seen) print up + lp, uf + lf, us + ls }' "$log")
    if [ -n "$counts" ]; then
        read -r p f k <<<"$counts"
    else
        # suites without a count (the fuzzer) pass or fail as a whole
        p=$((rc == 0)) f=0 k=0
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    [ "$k" -ne 0 ] && skipping+=("$s ($k)")
    [ "$f" -ne 0 ] && broken+=("$s")
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
done
echo "suite times: ${times[*]}"
[ ${#broken[@]} -eq 0 ] || echo "failing suites: ${broken[*]}"
[ ${#skipping[@]} -eq 0 ] || echo "suites with skips: ${skipping[*]}"
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
