#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The settings window's camera and start-up (issue 17) on real V4L2 drivers
# and a real systemd --user, in the VM (make settings-vm-test):
#
#   tests/vm/run.sh tests/vm/settings.sh BACKDROP BACKDROP_SETTINGS OD_CONSUMER VM_ENV
#   (vivid with two capture devices: VM_VIVID_ARGS="n_devs=2 ...")
#
# The installed unit runs under systemd --user (restart.sh's manager) with
# the session bus of dbus-user-session (dbus.socket, --systemd-activation)
# and backdrop's activation file (SystemdService=backdrop.service) in
# XDG_RUNTIME_DIR/dbus-1/services. vivid's second camera shows 100% red.
#  a. the camera switched live over D-Bus (backdrop ctl set input) while a
#     consumer streams: no error and no stall for it, the red frames of the
#     new camera, the old camera closed, the new one saved in the config;
#     a busy camera, a missing one, /dev/null and backdrop's own output
#     refused, each named, with the camera in use kept and frames going on;
#     a switch while idle opens nothing until a program streams
#  b. the window (Xvfb, driven through its GApplication actions as in
#     tests/settings/run.sh): backdrop stopped, the window says so; its one
#     Start button starts backdrop.service through the bus and systemd;
#     its preview reads the loopback device (v4l2src) and wakes the camera;
#     its camera chooser switches to the red camera (the preview turns
#     red); "Start when I log in" enables and disables the unit
#     (systemctl --user is-enabled); closing it lets the camera idle.
# Screenshots: VM_OUT/settings-vm-*.png. Last line: "N passed, M failed, K skipped".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${VM_OUT:-}" ]; then
    echo "settings.sh runs inside the VM: make settings-vm-test" >&2
    exit 2
fi
. "$HERE/lib.sh"
# shellcheck source=restart.sh
. "$HERE/restart.sh" # rs_start_manager, rs_ctl
BD=$(realpath "$1") APP=$(realpath "$2") CONS=$(realpath "$3")
# shellcheck source=/dev/null
. "$4"
t_start=$SECONDS
OUT=/dev/video10 CAM0=/dev/video0 CAM1=/dev/video1
NAME=io.github.backdrop.Camera OPATH=/io/github/backdrop/Camera IFACE=io.github.backdrop.Camera1
APP_ID=io.github.backdrop.Settings APP_PATH=/io/github/backdrop/Settings
W=$(mktemp -d /tmp/settings-vm.XXXXXX)
pids=()
finish() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rs_ctl stop backdrop 2>/dev/null
    rs_ctl exit 2>/dev/null
    sleep 0.5
    [ -n "${RS_MANAGER:-}" ] && kill -KILL "$RS_MANAGER" 2>/dev/null
    echo
    echo "settings.sh: $((SECONDS - t_start)) s in the VM"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" = 0 ]
    exit
}

wait_for() { # SECONDS COMMAND...
    local end=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do [ $SECONDS -ge "$end" ] && return 1; sleep 0.2; done
}
prop() {
    gdbus call --session --dest $NAME --object-path $OPATH \
        --method org.freedesktop.DBus.Properties.Get $IFACE "$1" 2>/dev/null |
        sed -e 's/^(<\(.*\)>,)$/\1/' -e "s/^'\(.*\)'$/\1/" -e 's/^uint64 //'
}
is() { [ "$(prop "$1")" = "$2" ]; }
bdpid() { rs_ctl show -p MainPID --value backdrop 2>/dev/null; }
# backdrop's pid, read once per start (systemctl can be slow to answer
# on a loaded host: an empty pid would count 0 fds)
BDPID=
fds_on() { ls -l "/proc/$BDPID/fd" 2>/dev/null | grep -c -- "-> $1\$"; }
# the mean Cr (V) of the last YUYV frame in FILE (640x360): vivid's 100%
# red is about 225, its colour bars about 130
mean_v() { # FILE
    python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
f = 640 * 360 * 2
last = d[len(d) // f * f - f:len(d) // f * f]
v = last[3::4]
print(round(sum(v) / max(1, len(v))))' "$1"
}
# the consumer's newest mean Cr (od_consumer's OD_COLOUR_LOG)
cur_v() { tail -n 1 "$W/colour.txt" 2>/dev/null | cut -d' ' -f2; }
grab() { # FILE: 3 frames of the output (when no other program streams)
    rm -f "$1"
    timeout 20 v4l2-ctl -d $OUT --stream-mmap --stream-count=3 --stream-to="$1" >/dev/null 2>&1
    [ -s "$1" ]
}

section "set-up: systemd --user, its session bus, the unit"
red=$(v4l2-ctl -d $CAM1 -L 2>/dev/null | sed -n 's/^[[:space:]]*\([0-9]*\): 100% Red[[:space:]]*$/\1/p' | head -n 1)
if [ -z "$red" ] || ! v4l2-ctl -d $CAM1 --set-ctrl test_pattern="$red" 2>/dev/null; then
    fail "vivid's second camera $CAM1 with a red pattern (VM_VIVID_ARGS n_devs=2): $(ls /dev/video* | tr '\n' ' ')"
    v4l2-ctl -d $CAM1 -L 2>&1 | grep -i -A12 pattern | sed 's/^/  | /'
    finish
fi
v4l2-ctl -d $CAM0 --set-parm=15 >/dev/null 2>&1
v4l2-ctl -d $CAM1 --set-parm=15 >/dev/null 2>&1
rs_start_manager || { fail "systemd --user runs in the VM"; finish; }
export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
mkdir -p "$XDG_RUNTIME_DIR/dbus-1/services" "$XDG_CONFIG_HOME/systemd/user/backdrop.service.d" \
    "$XDG_CONFIG_HOME/backdrop"
# the activation file as make install writes it
sed "s|@BINDIR@|$(dirname "$BD")|g" "$HERE/../../data/dbus/$NAME.service.in" \
    >"$XDG_RUNTIME_DIR/dbus-1/services/$NAME.service" 2>/dev/null ||
    cp "$HERE/../../data/dbus/$NAME.service" "$XDG_RUNTIME_DIR/dbus-1/services/"
sed "s|@BINDIR@|$(dirname "$BD")|g" "$HERE/../../data/backdrop.service.in" \
    >"$XDG_CONFIG_HOME/systemd/user/backdrop.service"
printf '[Service]\nEnvironment=XDG_CONFIG_HOME=%s DBUS_SESSION_BUS_ADDRESS=%s\nStandardOutput=append:%s\nStandardError=append:%s\n' \
    "$XDG_CONFIG_HOME" "$DBUS_SESSION_BUS_ADDRESS" "$VM_OUT/backdrop-service.log" "$VM_OUT/backdrop-service.log" \
    >"$XDG_CONFIG_HOME/systemd/user/backdrop.service.d/test.conf"
CONF=$XDG_CONFIG_HOME/backdrop/backdrop.conf
printf 'input = %s\noutput = %s\nsize = 640x360\nfps = 15\nidle-timeout = 2\neffect = none\n' $CAM0 $OUT >"$CONF"
rs_ctl daemon-reload
rs_ctl start dbus.socket
if wait_for 30 gdbus call --session --dest org.freedesktop.systemd1 --object-path /org/freedesktop/systemd1 \
        --method org.freedesktop.systemd1.Manager.GetUnitFileState backdrop.service; then
    pass "the session bus (dbus.socket) is up and systemd --user answers on it"
else
    fail "systemd --user on the session bus ($(rs_ctl is-active dbus.socket dbus.service | tr '\n' ' '))"
    finish
fi

section "a. the camera switched live over D-Bus"
rs_ctl start backdrop
wait_for 60 is State idle || { fail "backdrop.service up, idle ($(rs_ctl is-active backdrop))"; tail -n 20 "$VM_OUT/backdrop-service.log"; finish; }
wait_for 20 test -n "$(bdpid)" -a "$(bdpid)" != 0 && BDPID=$(bdpid)
echo "  backdrop.service: pid $BDPID"
OD_COLOUR_LOG=$W/colour.txt "$CONS" stall $OUT 25 >"$W/cons.txt" 2>&1 &
cpid=$!
if wait_for 30 is State active && wait_for 10 test "$(fds_on $CAM0)" = 1; then
    pass "a consumer streams: active, reading $CAM0"
else fail "a consumer streams: State '$(prop State)', fds on $CAM0: $(fds_on $CAM0)"; fi
sleep 2
v0=$(cur_v)
t0=$EPOCHREALTIME
"$BD" ctl set input $CAM1 2>"$W/set.txt"
rc=$?
echo "  ctl set input $CAM1: status $rc in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s $(cat "$W/set.txt")"
if [ $rc = 0 ] && is Input $CAM1 && wait_for 5 is InputDevice $CAM1; then
    pass "switched: Input and InputDevice are $CAM1"
else fail "switched: status $rc, Input '$(prop Input)', InputDevice '$(prop InputDevice)'"; fi
check "the old camera is closed, the new one open (fds on $CAM0: $(fds_on $CAM0), on $CAM1: $(fds_on $CAM1))" \
    test "$(fds_on $CAM0)$(fds_on $CAM1)" = 01
sleep 1.5
v1=$(cur_v)
check "the output shows the new camera: mean Cr $v0 (colour bars) -> $v1 (red)" \
    test "${v0:-0}" -lt 170 -a "${v1:-0}" -ge 200
check "saved: $(grep '^input' "$CONF")" grep -qx "input = $CAM1" "$CONF"

# refusals: each named, the camera in use kept, frames going on
timeout 60 v4l2-ctl -d $CAM0 --stream-mmap --stream-count=900 >/dev/null 2>&1 &
busy=$!
pids+=($busy)
sleep 1
for bad in "$CAM0:busy" "/dev/video99:missing" "/dev/null:not a camera" "$OUT:its own output"; do
    dev=${bad%%:*} what=${bad#*:}
    msg=$("$BD" ctl set input "$dev" 2>&1)
    rc=$?
    if [ $rc != 0 ] && grep -q "input '$dev'" <<<"$msg" && grep -q "stays" <<<"$msg" && is Input $CAM1 &&
        is InputDevice $CAM1; then
        pass "$what ($dev) refused, $CAM1 kept: $msg"
    else fail "$what ($dev): status $rc, '$msg', Input '$(prop Input)' InputDevice '$(prop InputDevice)'"; fi
done
kill $busy 2>/dev/null
sleep 1.5
v2=$(cur_v)
check "after the refusals the output is still the red camera (mean Cr $v2)" test "${v2:-0}" -ge 200
wait $cpid
r=$(cat "$W/cons.txt")
echo "  consumer: $r"
# shellcheck disable=SC2086
set -- $r
check "the consumer saw no error across the switch and the refusals (errors $6, first $8)" test "$6" = 0
check "... and no stall (longest gap ${10} ms)" test "${10:-99999}" -lt 1500
check "... in one format throughout (${16}; ${14} changes)" test "${14:-1}" = 0 -a "${16:-}" = 640x360/YUYV

if wait_for 10 is State idle && wait_for 5 test "$(fds_on $CAM1)" = 0; then
    pass "idle after the consumer: no camera open"
else fail "idle: State '$(prop State)', fds on $CAM1: $(fds_on $CAM1)"; fi
"$BD" ctl set input $CAM0 2>"$W/set.txt"
rc=$?
sleep 1
check "a switch while idle: accepted ($rc), Input $CAM0, the webcam stays off (fds $(fds_on $CAM0))" \
    bash -c "[ $rc = 0 ] && [ '$(prop Input)' = $CAM0 ] && [ $(fds_on $CAM0) = 0 ]"
grab "$W/idle-switch.yuv"
v3=$(mean_v "$W/idle-switch.yuv")
check "a program streams: the new camera's colour bars (mean Cr $v3)" test "${v3:-0}" -gt 0 -a "${v3:-0}" -lt 170
rs_ctl stop backdrop

# SETTINGS_VM_PARTS=a (make settings-vm-test passes it into the VM): the
# library's switch alone, for its mutants (tests/mutants/settings.txt)
case ${SETTINGS_VM_PARTS:-ab} in *b*) ;; *) finish ;; esac

section "b. the window: Start, the loopback preview, the camera chooser, start at log-in"
if ! command -v Xvfb >/dev/null; then skip_provided "Xvfb"; finish; fi
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$W/display" 2>"$W/xvfb.log" &
pids+=($!)
wait_for 20 test -s "$W/display" || { fail "Xvfb: $(cat "$W/xvfb.log")"; finish; }
export DISPLAY=:$(head -n 1 "$W/display") GSK_RENDERER=cairo GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_A11Y=none
act() {
    local p="[]"
    [ $# -gt 1 ] && p="[<$2>]"
    gdbus call --session --dest $APP_ID --object-path $APP_PATH --method org.gtk.Actions.Activate \
        "$1" "$p" "{}" >/dev/null
}
app_state() {
    gdbus call --session --dest $APP_ID --object-path $APP_PATH --method org.gtk.Actions.Describe "$1" \
        2>/dev/null | sed -n -e "s/^((true, [^[]*\[<'\(.*\)'>\]),)\$/\1/p" -e "s/^((true, [^[]*\[<\"\(.*\)\">\]),)\$/\1/p"
}
says() { app_state "$1" | grep -q "$2"; }
# no wallpapers: their thumbnails are decoded at start, slow under TCG
mkdir -p "$W/walls"
BACKDROP_WALLPAPERS=$W/walls "$APP" >"$VM_OUT/settings-app.log" 2>&1 &
app=$!
pids+=($app)
if wait_for 120 grep -q 'window shown' "$VM_OUT/settings-app.log" && wait_for 20 says status 'not running'; then
    pass "backdrop stopped: the window says '$(app_state status | cut -c1-50)…' ($(grep -o 'window shown.*' "$VM_OUT/settings-app.log"))"
else fail "the window without backdrop: status '$(app_state status)': $(tail -n 3 "$VM_OUT/settings-app.log")"; fi
act screenshot "'$VM_OUT/settings-vm-stopped.png'"
act start
if wait_for 60 test "$(rs_ctl is-active backdrop)" = active && wait_for 30 is State active; then
    pass "Start: the bus had systemd start backdrop.service (active), the preview streams from $(prop Output)"
else fail "Start: unit '$(rs_ctl is-active backdrop)', State '$(prop State)', status '$(app_state status)'"; fi
wait_for 30 grep -q 'first preview frame' "$VM_OUT/settings-app.log" &&
    echo "  log: $(grep -o 'first preview frame.*' "$VM_OUT/settings-app.log")"
if wait_for 20 says status 'call app sees'; then pass "the loopback preview shows frames: '$(app_state status)'"
else fail "the loopback preview: status '$(app_state status)'"; fi
act set-camera "'$CAM1'"
if wait_for 20 is Input $CAM1 && wait_for 10 is InputDevice $CAM1 && wait_for 10 says controls "camera=.*($CAM1)"; then
    pass "the camera chooser: Input $CAM1, the chooser shows it"
else fail "the camera chooser: Input '$(prop Input)', controls '$(app_state controls)', error '$(app_state error)'"; fi
sleep 2
rm -f "$W/pv.png"
act save-preview "'$W/pv.png'"
wait_for 10 test -s "$W/pv.png"
act screenshot "'$VM_OUT/settings-vm-red-camera.png'"
# (seen missing under a loaded host, with nothing in the app's log: said, not failed)
wait_for 30 test -s "$VM_OUT/settings-vm-red-camera.png" || echo "  note: no screenshot settings-vm-red-camera.png"
# (the top-left corner has vivid's text on it)
c=$(python3 "$HERE/../settings/pixels.py" "$W/pv.png" tr br 2>/dev/null | tr '\n' ' ')
check "the preview (v4l2src on $OUT) is the red camera: corners $c" \
    python3 -c 'import sys; v = [float(x) for x in sys.argv[1].split()]; sys.exit(0 if len(v) == 8 and v[0] > 150 and v[1] < 80 and v[4] > 150 and v[5] < 80 else 1)' "$c"
act set-autostart true
if wait_for 10 test "$(rs_ctl is-enabled backdrop)" = enabled && wait_for 5 says controls 'autostart=on'; then
    pass "Start when I log in: backdrop.service enabled ($(readlink "$XDG_CONFIG_HOME/systemd/user/default.target.wants/backdrop.service"))"
else fail "Start when I log in: is-enabled '$(rs_ctl is-enabled backdrop)', controls '$(app_state controls)', error '$(app_state error)'"; fi
act screenshot "'$VM_OUT/settings-vm-autostart.png'"
wait_for 30 test -s "$VM_OUT/settings-vm-autostart.png" || fail "screenshot settings-vm-autostart.png: $(tail -n 2 "$VM_OUT/settings-app.log")"
act set-autostart false
if wait_for 10 test "$(rs_ctl is-enabled backdrop)" = disabled && wait_for 5 says controls 'autostart=off'; then
    pass "switched off: backdrop.service disabled"
else fail "switched off: is-enabled '$(rs_ctl is-enabled backdrop)', controls '$(app_state controls)'"; fi
act quit
wait_for 10 sh -c "! kill -0 $app" || fail "the window did not close"
if wait_for 15 is State idle; then pass "the window closed: the camera idles"
else fail "the window closed: State '$(prop State)'"; fi
finish
