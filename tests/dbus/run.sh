#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The D-Bus service and `backdrop ctl` (docs/DBUS.md) against a private
# dbus-daemon, with backdrop streaming the sample clip (looped, live pace)
# as YUV4MPEG2 into tests/dbus/probe.py, which measures every output frame:
# each live change must show in the frames, bad values must be refused with
# the service's message while the stream goes on, 100 background changes
# must drop no frame and leave RSS flat, a second instance must name the
# first, and the bus going away must not stop the stream. Clients: backdrop
# ctl, and gdbus / dbus-send as independent ones.
# usage: tests/dbus/run.sh BUILD/backdrop
set -u
B=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$ROOT/../shared/data/video
CLIP=$DATA/doctor_26732.mp4
IMG_A=$DATA/girl-919048_1280.jpg
IMG_B=$DATA/doctor-5871743_640.jpg
LITE=$ROOT/../shared/data/models/segm_lite_v681.tflite
NAME=io.github.backdrop.Camera OPATH=/io/github/backdrop/Camera IFACE=io.github.backdrop.Camera1
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() {
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
}
# what the project's own set-up provides: a skip, a failure under CI
skip_provided() {
    if [ "${CI:-}" = true ]; then bad "$* (missing under CI)"; else
        skipped=$((skipped + 1)); echo "SKIP: $*"; fi
}

for f in "$CLIP" "$IMG_A" "$IMG_B" "$LITE"; do
    [ -f "$f" ] || { skip_provided "$f missing (../shared)"; finish; }
done
for t in dbus-daemon gdbus dbus-send python3 ffmpeg; do
    command -v $t >/dev/null || { skip_provided "$t not installed (scripts/install-deps.sh test)"; finish; }
done

T=$(mktemp -d)
# the service saves live changes in the config file: a private one
export XDG_CONFIG_HOME=$T/config
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

start_bus() {
    rm -f "$T/addr"
    dbus-daemon --session --nofork --print-address=3 3>"$T/addr" 2>/dev/null &
    busp=$!
    pids+=("$busp")
    for _ in $(seq 50); do [ -s "$T/addr" ] && break; sleep 0.1; done
    export DBUS_SESSION_BUS_ADDRESS=$(head -1 "$T/addr")
}

# the probe's count of frames so far, and one field of frame N
frames() { tail -n 1 "$T/frames" 2>/dev/null | cut -d' ' -f1; }
field() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$T/frames"; }
wait_frames() {
    local want=$1
    for _ in $(seq 300); do
        [ "$(frames || echo 0)" -ge "$want" ] 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
# After a change has been accepted: the frame by which it must show. Two
# output frames (the contract), plus the one that may sit in the pipe.
AT=0
settle() {
    local n0
    n0=$(frames)
    AT=$((n0 + 3))
    wait_frames $((AT + 1))
}
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && d >= -t) }'; }
corner_is() { near "$(field $AT 2)" "$1" 10 && near "$(field $AT 3)" "$2" 8 && near "$(field $AT 4)" "$3" 8; }
# the corner block an image gives with --fit cover at the clip's size
expect() {
    ffmpeg -v error -i "$1" -vf "scale=960:540:force_original_aspect_ratio=increase,crop=960:540,format=yuv420p" \
        -f yuv4mpegpipe - | python3 "$HERE/probe.py" "$T/expect"
    cut -d' ' -f2-4 "$T/expect"
}
prop() { gdbus call --session --dest $NAME --object-path $OPATH --method org.freedesktop.DBus.Properties.Get $IFACE "$1"; }
# a uint64 property's number: gdbus prints "(<uint64 N>,)" (taking every
# digit of that read "uint64 0" as 640); "" when it is not one
uprop() { prop "$1" | sed -n 's/^(<uint64 \([0-9][0-9]*\)>,)$/\1/p'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

start_bus
mkfifo "$T/y4m"
python3 "$HERE/probe.py" "$T/frames" <"$T/y4m" &
pids+=($!)
"$B" -i "$CLIP" --loop --pace live -o - --dbus on --quiet --blur 12 >"$T/y4m" 2>"$T/bd.err" &
bdp=$!
pids+=("$bdp")
gdbus monitor --session --dest $NAME >"$T/signals" 2>&1 &
pids+=($!)
for _ in $(seq 300); do "$B" ctl get blur >/dev/null 2>&1 && break; sleep 0.1; done
wait_frames 10 || { bad "no frames from backdrop: $(cat "$T/bd.err")"; finish; }

# --- status, introspection -------------------------------------------------
"$B" ctl status >"$T/status" 2>"$T/status.err"
check "ctl status exits 0" [ $? -eq 0 ]
for k in enabled effect blur background color mirror on-demand state consumers input-device \
    output fps inference-ms cpu model; do
    grep -q "^$k = " "$T/status" || bad "ctl status lacks '$k': $(cat "$T/status" "$T/status.err")"
done
check "ctl status: blur as started, the input named" grep -q "^blur = 12$" "$T/status"
grep -q "^input-device = .*doctor_26732.mp4$" "$T/status" || bad "input-device: $(grep input "$T/status")"
gdbus introspect --session --xml --dest $NAME --object-path $OPATH >"$T/introspect.xml"
check "the installed introspection XML is the service's interface" python3 - "$T/introspect.xml" \
    "$ROOT/data/dbus/$IFACE.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
def iface(path):
    for i in ET.parse(path).getroot().iter("interface"):
        if i.get("name") == "io.github.backdrop.Camera1":
            return sorted((e.tag, e.get("name"), e.get("type"), e.get("access"),
                           tuple((a.get("name"), a.get("type"), a.get("direction"))
                                 for a in e.iter("arg"))) for e in i)
live, installed = iface(sys.argv[1]), iface(sys.argv[2])
if live != installed:
    print("service:  ", live, "\ninstalled:", installed)
sys.exit(live != installed)
EOF

# --- each change shows in the frames within two frames ----------------------
"$B" ctl set color '#ff0000' && "$B" ctl set effect color
settle
check "ctl set color + effect: red corner by frame $AT ($(field $AT 2) $(field $AT 3) $(field $AT 4))" \
    corner_is 81 90 240
dbus-send --session --print-reply --dest=$NAME $OPATH org.freedesktop.DBus.Properties.Set \
    string:$IFACE string:Color variant:string:'#0000ff' >/dev/null
settle
check "dbus-send Color: blue corner by frame $AT ($(field $AT 2) $(field $AT 3) $(field $AT 4))" \
    corner_is 41 240 110

mkdir -p "$T/home/Pictures"
cp "$IMG_A" "$T/home/Pictures/a.jpg"
read -r ay au av < <(expect "$IMG_A")
read -r by bu bv < <(expect "$IMG_B")
HOME=$T/home "$B" ctl set background '~/Pictures/a.jpg'
check "ctl set background ~/...: exit 0" [ $? -eq 0 ]
settle
check "background A in the corner by frame $AT ($(field $AT 2) vs $ay)" corner_is "$ay" "$au" "$av"
check "effect follows the background" [ "$("$B" ctl get effect)" = background ]
gdbus call --session --dest $NAME --object-path $OPATH --method org.freedesktop.DBus.Properties.Set \
    $IFACE Background "<'$IMG_B'>" >/dev/null
settle
check "gdbus Background B in the corner by frame $AT ($(field $AT 2) vs $by)" corner_is "$by" "$bu" "$bv"

"$B" ctl set effect blur && "$B" ctl set blur 1
settle
d1=$(field $AT 7)
gdbus call --session --dest $NAME --object-path $OPATH --method $IFACE.Set blur 64 >/dev/null
settle
d64=$(field $AT 7)
check "blur 1 -> 64: the shelves lose their detail by frame $AT ($d1 -> $d64)" \
    awk -v a="$d1" -v b="$d64" 'BEGIN { exit !(b < a * 0.6) }'
settle
l0=$(field $AT 5) r0=$(field $AT 6)
dbus-send --session --print-reply --dest=$NAME $OPATH org.freedesktop.DBus.Properties.Set \
    string:$IFACE string:Mirror variant:boolean:true >/dev/null
settle
l1=$(field $AT 5) r1=$(field $AT 6)
check "mirror: the dark monitor moves from left to right by frame $AT ($l0/$r0 -> $l1/$r1)" \
    awk -v a="$l0" -v b="$r0" -v c="$l1" -v d="$r1" 'BEGIN { exit !(a < b - 10 && c > d + 10) }'
"$B" ctl set mirror off
"$B" ctl set effect none
settle
check "effect none: the wall, neutral, in the corner ($(field $AT 2) $(field $AT 3) $(field $AT 4))" \
    awk -v y="$(field $AT 2)" -v u="$(field $AT 3)" -v v="$(field $AT 4)" \
    'BEGIN { exit !(y > 150 && u > 115 && u < 140 && v > 115 && v < 140) }'

# --- PropertiesChanged: from clients, and from signals to the process ------
"$B" ctl set blur 20
sleep 0.3
check "PropertiesChanged carries Blur 20" grep -q "'Blur': <20>" "$T/signals"
check "... and the effect's change" grep -q "'Effect': <'none'>" "$T/signals"
"$B" ctl set effect blur
kill -USR1 "$bdp"
sleep 2.5
check "SIGUSR1: PropertiesChanged Enabled false" grep -q "'Enabled': <false>" "$T/signals"
check "ctl get enabled after SIGUSR1: off" [ "$("$B" ctl get enabled)" = off ]
"$B" ctl toggle
check "ctl toggle: enabled again" [ "$("$B" ctl get enabled)" = on ]
"$B" ctl set enabled on
check "ctl set enabled on, when on: stays on" [ "$("$B" ctl get enabled)" = on ]
check "... with PropertiesChanged Enabled true" grep -q "'Enabled': <true>" "$T/signals"
check "read-only state via gdbus: State active" grep -q "'active'" <(prop State)

# --- the model, live: landscape <-> general, a .tflite path ---------------
# (test_live checks the mask each model gives, frame by frame)
drop0=$(uprop Dropped)
check "Dropped reads as a number ($drop0)" [ -n "$drop0" ]
n0=$(frames)
"$B" ctl set model landscape
check "ctl set model landscape: exit 0" [ $? -eq 0 ]
check "... ctl get model: landscape" [ "$("$B" ctl get model)" = landscape ]
check "... the Model property: landscape" grep -q "'landscape'" <(prop Model)
gdbus call --session --dest $NAME --object-path $OPATH --method org.freedesktop.DBus.Properties.Set \
    $IFACE Model "<'general'>" >/dev/null
check "gdbus Model general: ctl get model general" [ "$("$B" ctl get model)" = general ]
dbus-send --session --print-reply --dest=$NAME $OPATH org.freedesktop.DBus.Properties.Set \
    string:$IFACE string:Model variant:string:"$LITE" >/dev/null
check "dbus-send Model <file>: ctl get model names it" [ "$("$B" ctl get model)" = "$LITE" ]
for m in landscape general landscape general; do "$B" ctl set model $m || bad "model $m refused"; done
settle
check "... ctl status: model = general" \
    grep -q "^model = general$" <("$B" ctl status)
sleep 0.3
check "PropertiesChanged carries Model landscape" grep -q "'Model': <'landscape'>" "$T/signals"
check "... Model general" grep -q "'Model': <'general'>" "$T/signals"
check "... Model <file>" grep -qF "'Model': <'$LITE'>" "$T/signals"
check "model changes: the stream goes on" wait_frames $((n0 + 30))
check "model changes: 0 frames dropped" [ "$(uprop Dropped)" = "$drop0" ]
dbus-send --session --print-reply --dest=$NAME $OPATH org.freedesktop.DBus.Properties.Set \
    string:$IFACE string:Model variant:string:"$T/missing.tflite" >"$T/ds" 2>&1
check "dbus-send Model <missing file>: Error.NotFound naming it ($(cat "$T/ds"))" \
    grep -qF "io.github.backdrop.Error.NotFound: model '$T/missing.tflite'" "$T/ds"
check "... the old model stays" [ "$("$B" ctl get model)" = general ]

# --- bad values: refused, named, the old value and the stream stay ----------
"$B" ctl set background "$IMG_A"
settle
printf 'not a picture at all' >"$T/corrupt.jpg"
try_bad() { # NAME VALUE TEXT-IN-MESSAGE WHY-IN-MESSAGE
    local before n0 out rc msgwant=$3 why=$4
    before=$("$B" ctl get "$1")
    n0=$(frames)
    out=$("$B" ctl set "$1" "$2" 2>&1 >/dev/null)
    rc=$?
    check "ctl set $1 '$2': exit 1, one line naming it: $out" \
        eval '[ $rc -eq 1 ] && [ "$(printf "%s\n" "$out" | wc -l)" -eq 1 ] && [[ "$out" == "backdrop ctl: "*"$msgwant"* ]] && [[ "$out" == *"$why"* ]]'
    check "... $1 stays '$before'" [ "$("$B" ctl get "$1")" = "$before" ]
    check "... the stream goes on" wait_frames $((n0 + 10))
}
try_bad background "$T/missing.jpg" "$T/missing.jpg" "no such file"
try_bad background "$T/corrupt.jpg" "$T/corrupt.jpg" corrupt
try_bad blur 999 999 64
try_bad effect sparkle sparkle hologram
head -c 100000 "$LITE" >"$T/cut.tflite"
try_bad model "$T/cut.tflite" "model '$T/cut.tflite'" "corrupt TFLite file"
try_bad model portrait "model 'portrait'" "'general' and 'landscape'"
settle
check "the background is still A after the refusals" corner_is "$ay" "$au" "$av"
dbus-send --session --print-reply --dest=$NAME $OPATH org.freedesktop.DBus.Properties.Set \
    string:$IFACE string:Blur variant:int32:999 >"$T/ds" 2>&1
check "dbus-send Blur 999: InvalidArgs naming 999" grep -q "InvalidArgs.*999" "$T/ds"
"$B" ctl set size 640x480 2>"$T/ro"
check "a setting that is not live is refused, named ($(cat "$T/ro"))" grep -q "size" "$T/ro"

# --- 100 background changes: no frame dropped, RSS flat --------------------
drop0=$(uprop Dropped)
n0=$(frames)
for i in $(seq 100); do
    if [ $((i % 2)) -eq 1 ]; then img=$IMG_B; else img=$IMG_A; fi
    "$B" ctl set background "$img" || bad "change $i refused"
    case $i in 20) rss20=$(rss_kb "$bdp") ;; 100) rss100=$(rss_kb "$bdp") ;; esac
done
settle
n1=$(frames)
drop1=$(uprop Dropped)
echo "100 background changes: frames $n0 -> $n1, dropped $drop0 -> $drop1, RSS ${rss20} kB -> ${rss100} kB"
check "100 background changes: 0 frames dropped" [ "${drop1:-x}" = "${drop0:-y}" ]
check "... RSS flat (${rss20} -> ${rss100} kB, under 4 MiB more)" [ $((rss100 - rss20)) -lt 4096 ]
check "... the last (A) shows" corner_is "$ay" "$au" "$av"

# --- a second instance names the first, before opening anything -------------
"$B" -i /dev/video99 -o null --dbus on >/dev/null 2>"$T/second"
rc=$?
check "second instance: exit 1, one line naming PID $bdp: $(cat "$T/second")" \
    eval '[ $rc -eq 1 ] && [ "$(wc -l <"$T/second")" -eq 1 ] && grep -q "PID $bdp" "$T/second"'
check "... and the first one's output" grep -q "output " "$T/second"

"$B" -i "$CLIP" -o null -n 5 --quiet >/dev/null 2>"$T/side"
rc=$?
check "beside it, a file conversion (--dbus auto) runs: no service, no clash ($(cat "$T/side"))" \
    eval '[ $rc -eq 0 ] && [ ! -s "$T/side" ]'
"$B" -i "$CLIP" -o - -n 5 --quiet --dbus off >/dev/null 2>"$T/side"
rc=$?
check "beside it, --dbus off runs: no service, no clash ($(cat "$T/side"))" \
    eval '[ $rc -eq 0 ] && [ ! -s "$T/side" ]'

# --- the bus goes away: the stream goes on, one line says so ---------------
kill "$busp"
wait "$busp" 2>/dev/null
n0=$(frames)
check "bus gone: frames keep coming" wait_frames $((n0 + 30))
check "bus gone: one line says so" [ "$(grep -c "D-Bus session bus went away" "$T/bd.err")" -eq 1 ]
check "bus gone: ctl says there is no bus" eval '! "$B" ctl status 2>"$T/nobus" && [ "$(wc -l <"$T/nobus")" -eq 1 ]'
kill -TERM "$bdp"
wait "$bdp"
check "SIGTERM after the bus went away: exit 0" [ $? -eq 0 ]

# --- no bus at start; no backdrop running ---------------------------------
DBUS_SESSION_BUS_ADDRESS=unix:path=$T/no-bus "$B" -i "$CLIP" -o null -n 20 --dbus on 2>"$T/nb" >/dev/null
rc=$?
check "no session bus: backdrop runs anyway (exit $rc), its start-up line says so: $(cat "$T/nb")" \
    eval '[ $rc -eq 0 ] && [ "$(wc -l <"$T/nb")" -eq 1 ] && grep -q "no live control.*no D-Bus session bus" "$T/nb"'
DBUS_SESSION_BUS_ADDRESS=unix:path=$T/no-bus "$B" -i /dev/video99 -o null --dbus on 2>"$T/nb" >/dev/null
check "no session bus, no camera: still one line, the camera's ($(cat "$T/nb"))" \
    eval '[ "$(wc -l <"$T/nb")" -eq 1 ] && grep -q video99 "$T/nb"'
start_bus
"$B" ctl status >/dev/null 2>"$T/none"
rc=$?
check "no backdrop running: ctl exits 1 with one line ($(cat "$T/none"))" \
    eval '[ $rc -eq 1 ] && [ "$(wc -l <"$T/none")" -eq 1 ] && grep -q "no backdrop" "$T/none"'
finish
