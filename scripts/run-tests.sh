#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs each unit-test binary; each prints "N passed, M failed, K skipped"
# last (tests/check.h). Prints the overall total in the same form and fails
# if any test failed or a binary printed no count.
set -u
build=$1
shift
total_p=0
total_f=0
total_s=0
for t in "$@"; do
    echo "== $t"
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out" | tail -n 25
    # skipped tests are named wherever they were printed, not only in the tail
    printf '%s\n' "$out" | head -n -25 | grep -E '^SKIP' || true
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
    if [ -z "$p" ] || [ $rc -ne 0 ]; then
        echo "FAIL: $t exited $rc"
        f=$(( ${f:-0} + 1 ))
    fi
    total_p=$((total_p + ${p:-0}))
    total_f=$((total_f + ${f:-0}))
    total_s=$((total_s + ${s:-0}))
done
echo "unit tests ($build): $total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
