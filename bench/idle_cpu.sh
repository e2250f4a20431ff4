#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The CPU an idle on-demand backdrop uses (issue 15: under 0.5% of one
# core): backdrop --output pipewire --on-demand on, on a private pipewire +
# wireplumber (tests/pipewire/world.sh, shared with tests/pipewire/run.sh),
# with nothing linked to its node; utime + stime from /proc/PID/stat over
# SECONDS. The input is a looped video file (a webcam would be closed while
# idle anyway; the file is not read either). With --compare, the same with
# --on-demand off.
#
#   bench/idle_cpu.sh [--compare] [BACKDROP [SECONDS [INPUT]]]
#   (defaults: build/backdrop, 60, ../shared/data/video/doctor_26732.mp4)
#
# Prints "idle CPU: X% of one core over S s (N ticks)". Speed is measured
# here, never asserted in tests.
set -u
compare=0
[ "${1:-}" = --compare ] && { compare=1; shift; }
BD=$(readlink -f "${1:-build/backdrop}")
SECS=${2:-60}
INPUT=$(readlink -f "${3:-../shared/data/video/doctor_26732.mp4}")
for t in pipewire wireplumber pw-cli dbus-daemon; do
    command -v $t >/dev/null || { echo "idle_cpu: $t is missing (scripts/install-deps.sh test)" >&2; exit 1; }
done
[ -x "$BD" ] || { echo "idle_cpu: no $BD (make)" >&2; exit 1; }
[ -f "$INPUT" ] || { echo "idle_cpu: no input $INPUT" >&2; exit 1; }

. "$(dirname "$(readlink -f "$0")")/../tests/pipewire/world.sh"
pw_world_init backdrop-idle
pw_world_start || { echo "idle_cpu: $pw_world_error" >&2; exit 1; }

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

measure() { # ON_DEMAND: prints the line
    local od=$1 pid t0 t1 hz pct
    "$BD" --input "$INPUT" --loop --output pipewire --pipewire-name backdrop-idle \
        --on-demand "$od" >"$tmp/bd-$od.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    # past start-up (model load, the first frames): then measure
    for _ in $(seq 200); do
        if [ "$od" = on ]; then grep -q "nobody streams" "$tmp/bd-$od.log" && break
        else pw-cli ls Node 2>/dev/null | grep -q backdrop-idle && break; fi
        sleep 0.1
    done
    sleep 3
    kill -0 "$pid" 2>/dev/null || { echo "idle_cpu: backdrop exited: $(tail -n 3 "$tmp/bd-$od.log")" >&2; return 1; }
    t0=$(ticks "$pid")
    sleep "$SECS"
    t1=$(ticks "$pid")
    hz=$(getconf CLK_TCK)
    pct=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.2f", d / hz / s * 100 }')
    if [ "$od" = on ]; then
        echo "idle CPU: $pct% of one core over $SECS s ($((t1 - t0)) ticks of 1/$hz s; --on-demand on, nothing linked)"
    else
        echo "for comparison, --on-demand off: $pct% of one core over $SECS s ($((t1 - t0)) ticks)"
    fi
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
}

measure on
[ $compare = 1 ] && measure off
exit 0
