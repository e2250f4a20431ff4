# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers shared by the VM test scripts (sourced, not run): pass/fail/skip
# counters, check NAME COMMAND..., and section headers.
passed=0 failed=0 skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# skip: this machine truly lacks it. skip_provided: the project's own set-up
# provides it (../shared/data, ffmpeg, Chromium...), so under CI=true its
# absence is a failure, not a skip.
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
skip_provided() {
    if [ "${CI:-}" = true ]; then fail "missing under CI (the project's set-up provides it): $*"
    else skip "$*"; fi
}
check() { # NAME COMMAND...: pass if COMMAND succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
section() { echo; echo "== $*"; }
