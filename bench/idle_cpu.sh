#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The CPU an idle on-demand backdrop uses (issue 15: under 0.5% of one
# core): backdrop --output pipewire --on-demand on, on a private pipewire +
# wireplumber (as tests/pipewire/run.sh sets them up), with nothing linked
# to its node; utime + stime from /proc/PID/stat over SECONDS. The input
# is a looped video file (a webcam would be closed while idle anyway; the
# file is not read either). With --compare, the same with --on-demand off.
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

tmp=$(mktemp -d /tmp/backdrop-idle.XXXXXX)
chmod 700 "$tmp"
pids=()
dbus_pid=
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "$dbus_pid" ] && kill -TERM "$dbus_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state
export XDG_DATA_HOME=$tmp/data
mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME"
unset PIPEWIRE_REMOTE PIPEWIRE_NODE PIPEWIRE_RUNTIME_DIR DISPLAY WAYLAND_DISPLAY
mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
printf '%s\n' 'alsa_monitor.enabled = false' 'v4l2_monitor.enabled = false' \
    'libcamera_monitor.enabled = false' >"$XDG_CONFIG_HOME/wireplumber/main.lua.d/51-backdrop-bench.lua"
echo 'bluez_monitor.enabled = false' >"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/51-backdrop-bench.lua"
export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
dbus_pid=$(dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --fork --nopidfile --print-pid=1)
pipewire >"$tmp/pipewire.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do pw-cli info 0 >/dev/null 2>&1 && break; sleep 0.1; done
wireplumber >"$tmp/wireplumber.log" 2>&1 &
pids+=($!)
sleep 1

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
