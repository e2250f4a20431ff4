# Helpers shared by the VM test scripts (sourced, not run): pass/fail/skip
# counters, check NAME COMMAND..., and section headers.
passed=0 failed=0 skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
check() { # NAME COMMAND...: pass if COMMAND succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
section() { echo; echo "== $*"; }
