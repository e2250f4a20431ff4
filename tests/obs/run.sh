#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a program that drives libobs headless (tests/obs/test_obs.c,
# bench/bench_obs.c) inside a private Xvfb: OBS 29's only renderer on Linux
# is libobs-opengl, which needs an X (EGL) display; under Xvfb Mesa gives it
# llvmpipe, GL on the CPU. The program's own output (with OBS's log lines)
# is shown, and its closing "N passed, M failed, K skipped" line counts.
# usage: tests/obs/run.sh [--bench] PROGRAM PLUGIN.so PLUGIN-DATA-DIR [BENCH-ARGS...]
set -u
bench=0
[ "${1:-}" = --bench ] && { bench=1; shift; }
prog=$1 plugin=$2 data=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../vm/lib.sh
. "$here/../vm/lib.sh"
clip=../shared/data/video/doctor_26732.mp4
t0=$(date +%s)

missing=""
for t in Xvfb ffmpeg; do command -v "$t" >/dev/null || missing="$missing $t"; done
[ -e /usr/lib/x86_64-linux-gnu/obs-plugins/obs-ffmpeg.so ] || missing="$missing obs-studio(obs-ffmpeg.so)"
[ -f "$clip" ] || missing="$missing $clip"
if [ -n "$missing" ]; then
    skip_provided "obs-test needs:$missing (make deps-test; ../shared/data beside the checkout)"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
fi

T=$(mktemp -d)
xpid=""
cleanup() { [ -n "$xpid" ] && kill "$xpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$T/display" 2>"$T/xvfb.log" &
xpid=$!
for _ in $(seq 100); do [ -s "$T/display" ] && break; sleep 0.1; done
if ! [ -s "$T/display" ]; then
    fail "Xvfb did not start: $(cat "$T/xvfb.log")"
    echo "$passed passed, $failed failed, $skipped skipped"
    exit 1
fi
export DISPLAY=:$(head -1 "$T/display")
unset WAYLAND_DISPLAY
# libobs writes nothing to the user's config (no module config path given);
# HOME is a scratch one all the same, so nothing of a real OBS is read.
export HOME=$T/home
mkdir -p "$HOME"

if [ "$bench" = 1 ]; then
    # the clip at 720p, the size the issue asks the time at
    in720=$T/doctor_720p.mp4
    ffmpeg -v error -y -i "$clip" -t 25 -vf scale=1280:720 -an -c:v libx264 -preset veryfast \
        -crf 18 -pix_fmt yuv420p "$in720" || { echo "ffmpeg failed"; exit 1; }
    "$prog" "$plugin" "$data" "$in720" "$@"
    exit
fi
"$prog" "$plugin" "$data" "$clip" 2>&1 | tee "$T/test.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T/test.log" | tail -n 1)
read -r p _ f _ k _ <<<"$(echo "$line" | tr -d ,)"
passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${k:-0}))
[ -n "$line" ] && [ "$rc" -eq 0 ] || fail "$prog exited $rc"

section "OBS Studio itself loads the module (its own log)"
# The obs program, as a user runs it, with the module in the per-user
# plugin folder OBS 29 searches (~/.config/obs-studio/plugins/NAME/bin/64bit
# and .../data): its log must list it among the loaded modules.
if command -v obs >/dev/null; then
    u=$HOME/.config/obs-studio/plugins/obs-backdrop
    mkdir -p "$u/bin/64bit" "$u/data/locale"
    cp "$plugin" "$u/bin/64bit/"
    cp "$data/locale/en-US.ini" "$u/data/locale/"
    obs --disable-updater --minimize-to-tray >"$T/obs.out" 2>&1 &
    opid=$!
    logs=$HOME/.config/obs-studio/logs
    for _ in $(seq 300); do
        grep -qs "Loaded Modules:" "$logs"/*.txt && break
        sleep 0.1
    done
    sleep 1
    kill "$opid" 2>/dev/null
    wait "$opid" 2>/dev/null
    grep -hE "backdrop|Loaded Modules|OBS [0-9]+\.[0-9]+" "$logs"/*.txt 2>/dev/null | head -n 8
    if grep -qsE "^[0-9:.]+:     obs-backdrop\.so$" "$logs"/*.txt &&
        grep -qs "filter 'backdrop_filter' registered" "$logs"/*.txt; then
        pass "OBS's log lists obs-backdrop.so among its loaded modules"
    else
        fail "OBS's log does not show obs-backdrop.so loaded: $(tail -n 20 "$T/obs.out")"
    fi
else
    skip_provided "the obs program (obs-studio)"
fi
echo "obs-test: $(($(date +%s) - t0)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
