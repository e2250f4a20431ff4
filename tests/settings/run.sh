#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# backdrop-settings (src/settings/) against the real camera, in a private
# world: Xvfb, a private dbus-daemon (whose activation directory starts
# backdrop the way the installed file hands it to systemd), pipewire and
# wireplumber in a fresh XDG_RUNTIME_DIR, and backdrop itself streaming a
# photo of a person to a PipeWire camera, on demand. The test drives the
# window through its GApplication actions (org.gtk.Actions on the bus: the
# controls' own code paths) and after each step checks the camera's D-Bus
# properties and the pixels of the window's preview: the service absent
# (the window says so), Start, a background from the gallery, the blur,
# the toggle, a colour, a corrupt file (an inline error, the old setting
# kept), the settings saved and back after the camera is killed and
# started again, memory while the preview runs, and the camera going idle
# once the window closes. Screenshots of each state go to OUT.
# usage: tests/settings/run.sh BUILD/backdrop BUILD/backdrop-settings OUT [SOAK_SECONDS]
set -u
B=$(realpath "$1") APP=$(realpath "$2") OUT=$(mkdir -p "$3" && realpath "$3") SOAK=${4:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$ROOT/../shared/data/video
PERSON=$DATA/doctor-5871743_640.jpg PHOTO=$DATA/girl-919048_1280.jpg
NAME=io.github.backdrop.Camera OPATH=/io/github/backdrop/Camera IFACE=io.github.backdrop.Camera1
APP_ID=io.github.backdrop.Settings APP_PATH=/io/github/backdrop/Settings
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() { echo "$passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; exit; }
skip_provided() {
    if [ "${CI:-}" = true ]; then bad "$* (missing under CI)"; else
        skipped=$((skipped + 1)); echo "SKIP: $*"; fi
}
for f in "$PERSON" "$PHOTO"; do [ -f "$f" ] || { skip_provided "$f missing (../shared)"; finish; }; done
for t in Xvfb xwininfo dbus-daemon gdbus pipewire wireplumber pw-cli ffmpeg ffprobe python3; do
    command -v $t >/dev/null || { skip_provided "$t not installed (scripts/install-deps.sh test)"; finish; }
done
gst-inspect-1.0 pipewiresrc >/dev/null 2>&1 || { skip_provided "pipewiresrc missing (gstreamer1.0-pipewire)"; finish; }

T=$(mktemp -d /tmp/backdrop-settings.XXXXXX)
chmod 700 "$T"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    [ -f "$T/bd.pid" ] && kill "$(cat "$T/bd.pid")" 2>/dev/null
    sleep 0.3
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # SECONDS COMMAND...: until it succeeds
    local end=$(($(date +%s%N) + $1 * 1000000000)); shift
    until "$@" >/dev/null 2>&1; do [ "$(date +%s%N)" -ge "$end" ] && return 1; sleep 0.1; done
}

# ---- the private world ----------------------------------------------------------
export XDG_RUNTIME_DIR=$T/run XDG_CONFIG_HOME=$T/config XDG_STATE_HOME=$T/state
export XDG_DATA_HOME=$T/data XDG_CACHE_HOME=$T/cache HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME" "$HOME" "$XDG_CACHE_HOME"
unset PIPEWIRE_REMOTE PIPEWIRE_NODE WAYLAND_DISPLAY
mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
printf '%s\n' 'alsa_monitor.enabled = false' 'v4l2_monitor.enabled = false' \
    'libcamera_monitor.enabled = false' >"$XDG_CONFIG_HOME/wireplumber/main.lua.d/51-backdrop-test.lua"
echo 'bluez_monitor.enabled = false' >"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/51-backdrop-test.lua"

# wallpapers: two solid colours (their pixels are known) and a photo
mkdir -p "$T/walls/debian" "$T/services"
ffmpeg -v error -f lavfi -i color=c=0xc03030:s=320x180 -frames:v 1 "$T/walls/debian/red.png"
ffmpeg -v error -f lavfi -i color=c=0x3040c0:s=320x180 -frames:v 1 "$T/walls/blue.png"
ffmpeg -v error -i "$PHOTO" -vf scale=640:-2 "$T/walls/photo.jpg"
export BACKDROP_WALLPAPERS=$T/walls
head -c 3000 "$PHOTO" >"$T/corrupt.jpg"   # a JPEG cut short
cp "$T/corrupt.jpg" "$T/walls/broken.jpg"  # and one among the wallpapers
ffmpeg -v error -i "$PERSON" -vf scale=640:360:force_original_aspect_ratio=increase,crop=640:360 "$T/person.png"

# The camera as the bus starts it: the installed activation file hands
# backdrop.service to systemd; here the bus runs it itself.
cat >"$T/start-backdrop.sh" <<EOS
#!/bin/sh
echo \$\$ > "$T/bd.pid"
exec "$B" --input "$T/person.png" --output pipewire --on-demand on --idle-timeout 1 --fps 15 \
    --quiet >>"$T/bd.log" 2>&1
EOS
chmod +x "$T/start-backdrop.sh"
printf '[D-BUS Service]\nName=%s\nExec=%s\n' $NAME "$T/start-backdrop.sh" >"$T/services/$NAME.service"
cat >"$T/bus.conf" <<EOS
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$XDG_RUNTIME_DIR/bus</listen>
  <servicedir>$T/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOS
export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
dbus-daemon --config-file="$T/bus.conf" --nofork >"$T/dbus.log" 2>&1 &
pids+=($!)
wait_for 5 test -S "$XDG_RUNTIME_DIR/bus" || { bad "setup: dbus-daemon: $(cat "$T/dbus.log")"; finish; }
pipewire >"$T/pipewire.log" 2>&1 &
pids+=($!)
wait_for 10 pw-cli info 0 || { bad "setup: pipewire: $(tail -3 "$T/pipewire.log")"; finish; }
wireplumber >"$T/wireplumber.log" 2>&1 &
pids+=($!)
wait_for 10 sh -c 'pw-cli ls Metadata | grep -q "metadata.name = \"default\""' ||
    { bad "setup: wireplumber: $(tail -3 "$T/wireplumber.log")"; finish; }
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$T/display" 2>"$T/xvfb.log" &
pids+=($!)
wait_for 10 test -s "$T/display" || { bad "setup: Xvfb: $(cat "$T/xvfb.log")"; finish; }
export DISPLAY=:$(head -1 "$T/display")
# Xvfb has no GL worth the name: GTK draws with cairo
export GSK_RENDERER=${GSK_RENDERER:-cairo} GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_A11Y=none

# ---- helpers --------------------------------------------------------------------
prop() { # a camera property, bare (strings unquoted)
    gdbus call --session --dest $NAME --object-path $OPATH \
        --method org.freedesktop.DBus.Properties.Get $IFACE "$1" 2>/dev/null |
        sed -e 's/^(<\(.*\)>,)$/\1/' -e "s/^'\(.*\)'$/\1/" -e 's/^uint64 //'
}
act() { # ACTION [GVARIANT-PARAMETER]
    local p="[]"
    [ $# -gt 1 ] && p="[<$2>]"
    gdbus call --session --dest $APP_ID --object-path $APP_PATH --method org.gtk.Actions.Activate \
        "$1" "$p" "{}" >/dev/null
}
app_state() { # the window's own words: the status or error action's state
    gdbus call --session --dest $APP_ID --object-path $APP_PATH --method org.gtk.Actions.Describe "$1" \
        2>/dev/null | sed -n -e "s/^((true, [^[]*\[<'\(.*\)'>\]),)\$/\1/p" \
            -e "s/^((true, [^[]*\[<\"\(.*\)\">\]),)\$/\1/p"
}
is() { [ "$(prop "$1")" = "$2" ]; }
says() { app_state "$1" | grep -q "$2"; }   # says status|error PATTERN
shot() { act screenshot "'$OUT/$1.png'"; act save-preview "'$T/$1-preview.png'"; sleep 0.3; }
# Waits until the preview has moved on (frames after the change), then
# saves it: $1 state name. The camera shows a change by its second frame.
CUR=none
preview() {
    CUR=$1
    sleep 1
    rm -f "$T/$1-preview.png"
    act save-preview "'$T/$1-preview.png'"
    wait_for 5 test -s "$T/$1-preview.png"
    act screenshot "'$OUT/settings-$1.png'"
    wait_for 5 test -s "$OUT/settings-$1.png"
}
px() { python3 "$HERE/pixels.py" "$T/$CUR-preview.png" "$@" 2>/dev/null; }
near() { # "R G B SD" "R G B" TOLERANCE
    python3 -c 'import sys
a = [float(v) for v in sys.argv[1].split()[:3]]; b = [float(v) for v in sys.argv[2].split()[:3]]
sys.exit(0 if len(a) == 3 and len(b) == 3 and all(abs(x - y) <= float(sys.argv[3]) for x, y in zip(a, b)) else 1)' "$1" "$2" "$3"
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---- 0. the window without a camera ---------------------------------------------
t0=$(date +%s%N)
"$APP" >"$T/app.log" 2>&1 &
app=$!
pids+=("$app")
wait_for 10 sh -c "grep -q 'window shown' '$T/app.log'" || { bad "the window never showed: $(tail -5 "$T/app.log")"; finish; }
echo "log: $(grep -o 'window shown .*' "$T/app.log") (the process's own clock); $(( ($(date +%s%N) - t0) / 1000000 )) ms from exec to the log line"
wait_for 5 sh -c "[ -n \"\$(gdbus call --session --dest $APP_ID --object-path $APP_PATH --method org.gtk.Actions.List 2>/dev/null)\" ]"
if wait_for 5 says status 'not running'; then
    ok "no camera: the window says '$(app_state status | cut -c1-60)…'"
else bad "no camera: status '$(app_state status)'"; fi
act screenshot "'$OUT/settings-absent.png'"

# ---- 1. Start (the bus activates the camera), the preview wakes it --------------
act start
if wait_for 20 is State active; then
    ok "Start: the camera runs and is active (the preview streams): consumers $(prop Consumers)"
else bad "Start: state '$(prop State)' consumers '$(prop Consumers)': $(tail -3 "$T/bd.log")"; fi
wait_for 10 sh -c "grep -q 'first preview frame' '$T/app.log'" &&
    echo "log: $(grep -o 'first preview frame.*' "$T/app.log")"
if wait_for 5 says status 'call app sees' && wait_for 5 says controls "camera=$T/person.png"; then
    ok "running: the window says '$(app_state status)', and names what the camera reads"
else bad "running: status '$(app_state status)', controls '$(app_state controls)'"; fi

# ---- 2. a background from the gallery ---------------------------------------------
act set-background "'$T/walls/debian/red.png'"
if wait_for 10 is Background "$T/walls/debian/red.png" && is Effect background &&
    wait_for 5 says controls "effect=background .*selected=$T/walls/debian/red.png"; then
    ok "gallery: Background = red.png, Effect = background, the picture marked in the gallery"
else bad "gallery: Background '$(prop Background)' Effect '$(prop Effect)'"; fi
preview background
c=$(px tl tr | tr '\n' ' ')
if near "$(px tl)" "192 48 48" 20 && near "$(px tr)" "192 48 48" 20; then
    ok "gallery: the preview's top corners are the picture's red ($c)"
else bad "gallery: top corners $c (want 192 48 48)"; fi

# ---- 3. the blur ------------------------------------------------------------------------
act set-effect "'blur'"
act set-blur 2
wait_for 10 is Blur 2 && wait_for 5 is Effect blur
preview blur-2
act set-blur 60
if wait_for 10 is Blur 60 && is Effect blur; then ok "blur: Blur = 60, Effect = blur"
else bad "blur: Blur '$(prop Blur)' Effect '$(prop Effect)'"; fi
preview blur-60
sd60=$(px tr | cut -d' ' -f4)
sd2=$(python3 "$HERE/pixels.py" "$T/blur-2-preview.png" tr | cut -d' ' -f4)
if python3 -c "import sys; sys.exit(0 if float('$sd60') < 0.8 * float('$sd2') else 1)" 2>/dev/null; then
    ok "blur: the background's detail falls from blur 2 to 60 (luma SD $sd2 -> $sd60)"
else bad "blur: luma SD $sd2 (blur 2) -> $sd60 (blur 60): want a drop of 20 %"; fi

# ---- 4. the toggle --------------------------------------------------------------------------
raw=$(python3 "$HERE/pixels.py" "$T/person.png" tr)
act toggle
if wait_for 5 is Enabled false; then ok "toggle: Enabled = false"
else bad "toggle: Enabled '$(prop Enabled)'"; fi
preview off
if near "$(px tr)" "$raw" 12; then ok "toggle: the preview is the camera as is (corner $(px tr), input $raw)"
else bad "toggle: corner $(px tr), want the input's $raw"; fi
act toggle
wait_for 5 is Enabled true && ok "toggle again: Enabled = true" || bad "toggle again: Enabled '$(prop Enabled)'"

# ---- 5. a colour ------------------------------------------------------------------------------
act set-color "'#00ff00'"
if wait_for 10 is Color '#00ff00' && is Effect color && wait_for 5 says controls 'effect=color blur=60 color=#00ff00'; then
    ok "colour: Color = #00ff00, Effect = color; the controls: $(app_state controls)"
else bad "colour: Color '$(prop Color)' Effect '$(prop Effect)'"; fi
preview color
if near "$(px tl)" "0 255 0" 24 && near "$(px tr)" "0 255 0" 24; then
    ok "colour: the top corners are green ($(px tl tr | tr '\n' ' '))"
else bad "colour: top corners $(px tl tr | tr '\n' ' ')"; fi

# ---- 5b. the model ---------------------------------------------------------------------------
act set-model "'landscape'"
if wait_for 10 is Model landscape && wait_for 5 says controls 'model=landscape'; then
    ok "model: Model = landscape, the chooser shows it"
else bad "model: Model '$(prop Model)', controls '$(app_state controls)'"; fi

# ---- 5c. mirror, light wrap, hologram, none, on demand --------------------------------------
act set-mirror true
wait_for 10 is Mirror true && wait_for 5 says controls 'mirror=on' &&
    ok "mirror: Mirror = true, the switch on" || bad "mirror: Mirror '$(prop Mirror)'"
act set-mirror false
act set-light-wrap 55
wait_for 10 is LightWrap 55 && wait_for 5 says controls 'light-wrap=55' &&
    ok "light wrap: LightWrap = 55" || bad "light wrap: LightWrap '$(prop LightWrap)'"
act set-effect "'hologram'"
wait_for 10 is Effect hologram && ok "hologram: Effect = hologram" || bad "hologram: Effect '$(prop Effect)'"
act set-effect "'none'"
if wait_for 10 is Effect none; then ok "none: Effect = none"; else bad "none: Effect '$(prop Effect)'"; fi
preview none
near "$(px tr)" "$raw" 12 && ok "none: the preview is the camera as is (corner $(px tr))" ||
    bad "none: corner $(px tr), want the input's $raw"
act set-on-demand false
if wait_for 10 is OnDemand false && grep -q '^on-demand = off$' "$XDG_CONFIG_HOME/backdrop/backdrop.conf"; then
    ok "on demand off: OnDemand = false, saved"
else bad "on demand off: OnDemand '$(prop OnDemand)'"; fi
act set-on-demand true
wait_for 10 is OnDemand true || bad "on demand on again: OnDemand '$(prop OnDemand)'"
act set-color "'#00ff00'"
wait_for 10 is Effect color || bad "colour again: Effect '$(prop Effect)'"

# ---- 6. a corrupt file: an inline error, the old setting kept -------------------------------------
act set-background "'$T/corrupt.jpg'"
if wait_for 10 says error "corrupt.jpg"; then
    ok "corrupt file: the window says '$(app_state error)'"
else bad "corrupt file: error '$(app_state error)', status '$(app_state status)'"; fi
if is Effect color && is Color '#00ff00' && [ "$(prop Background)" != "$T/corrupt.jpg" ]; then
    ok "corrupt file: the camera keeps colour #00ff00 (Background '$(prop Background)')"
else bad "corrupt file: Effect '$(prop Effect)' Background '$(prop Background)'"; fi
preview corrupt
near "$(px tl)" "0 255 0" 24 && ok "corrupt file: the preview is still green" ||
    bad "corrupt file: the preview's corner $(px tl)"
grep -qx "$T/corrupt.jpg" "$XDG_CONFIG_HOME/backdrop/settings-gallery" 2>/dev/null &&
    bad "corrupt file: kept in the user's gallery" || ok "corrupt file: not added to the gallery"
# the same file among the wallpapers, clicked: the selection goes back
act set-background "'$T/walls/broken.jpg'"
if wait_for 10 says error broken.jpg && wait_for 5 says controls 'effect=color .*selected=$'; then
    ok "corrupt wallpaper clicked: refused, the controls back to the colour: $(app_state controls)"
else bad "corrupt wallpaper clicked: error '$(app_state error)', controls '$(app_state controls)'"; fi
is Effect color && is Color '#00ff00' || bad "corrupt wallpaper: Effect '$(prop Effect)' Color '$(prop Color)'"

# ---- 6b. Add…: its action (the button's) opens the file dialog ----------------------
# GtkFileChooserNative: the portal's dialog under Flatpak, GTK's own here
# (X11, no portal). The file chosen in it goes through add_user_file, the
# path set-background takes for a file outside the gallery (step 6):
# choosing in the dialog itself would need input injection (no xdotool in
# the test deps) or the accessibility bus (off: NO_AT_BRIDGE).
dialog_up() { xwininfo -root -tree 2>/dev/null | grep -q '"Choose a background"'; }
act choose-background
if wait_for 10 dialog_up; then ok "Add…: the file dialog 'Choose a background' is open"
else bad "Add…: no window 'Choose a background' ($(xwininfo -root -tree 2>/dev/null | grep -c '"'))"; fi
act screenshot "'$OUT/settings-add-dialog.png'"
act choose-background
sleep 0.5
n=$(xwininfo -root -tree 2>/dev/null | grep -c '"Choose a background"')
[ "$n" = 1 ] && ok "Add… again: still one dialog" || bad "Add… again: $n dialogs"

# ---- 7. the effect switched back to the picture; saved; the camera killed,
# started again: the window recovers, the camera has what was chosen -----------
act set-effect "'background'"
if wait_for 10 is Effect background && is Background "$T/walls/debian/red.png"; then
    ok "effect switched to background: the red picture again"
else bad "effect background: Effect '$(prop Effect)' Background '$(prop Background)'"; fi
preview red-again
near "$(px tl)" "192 48 48" 20 && ok "effect switched: the preview is red again" ||
    bad "effect switched: the preview's corner $(px tl)"
conf=$XDG_CONFIG_HOME/backdrop/backdrop.conf
if grep -q '^blur = 60$' "$conf" 2>/dev/null && grep -q "^background = \"*$T/walls/debian/red.png\"*$" "$conf" &&
    [ "$(grep '^effect' "$conf" | tail -1)" = "effect = background" ]; then
    ok "saved: $conf has blur 60, the red background, effect background"
else bad "saved: $conf: $(tr '\n' '|' <"$conf" 2>/dev/null)"; fi
kill -9 "$(cat "$T/bd.pid")"
if wait_for 5 says status 'not running'; then
    ok "killed: the window says '$(app_state status | cut -c1-60)…'"
else bad "killed: status '$(app_state status)'"; fi
act screenshot "'$OUT/settings-killed.png'"
act start
if wait_for 20 is State active && is Effect background && is Background "$T/walls/debian/red.png" && is Blur 60 &&
    is Model landscape; then
    ok "started again: active, with the saved background, blur and model (from the config file)"
else bad "started again: State '$(prop State)' Effect '$(prop Effect)' Background '$(prop Background)' Blur '$(prop Blur)' Model '$(prop Model)': $(tail -2 "$T/bd.log")"; fi
preview back
near "$(px tl)" "192 48 48" 20 && ok "started again: the preview is back, red" ||
    bad "started again: the preview's corner $(px tl)"
act set-background "'$T/walls/photo.jpg'"
wait_for 10 is Effect background
preview photo

# ---- 8. memory while the preview runs ------------------------------------------------------------
sleep 3
r0=$(rss_kb "$app") f0=$(prop FramesOut)
samples="$r0"
for _ in $(seq $((SOAK / 5))); do sleep 5; samples="$samples $(rss_kb "$app")"; done
r1=$(rss_kb "$app") f1=$(prop FramesOut)
grow=$((r1 - r0))
if [ "$((f1 - f0))" -gt $((SOAK * 5)) ] && [ "$grow" -lt 6144 ]; then
    ok "memory: RSS $r0 -> $r1 KiB over ${SOAK} s of preview ($((f1 - f0)) frames; samples $samples)"
else bad "memory: RSS $r0 -> $r1 KiB over ${SOAK} s, $((f1 - f0)) frames (samples $samples)"; fi

# ---- 9. closing the window lets the camera idle -----------------------------------------------------
act quit
dialog_open=0
dialog_up && dialog_open=1
if wait_for 5 sh -c "! kill -0 $app"; then
    wait "$app"
    rc=$?
    [ "$rc" -eq 0 ] && ok "closed: the app exited 0" || bad "closed: the app exited $rc: $(tail -3 "$T/app.log")"
else bad "closed: the app still runs 5 s after app.quit"; fi
if [ $dialog_open = 1 ]; then
    dialog_up && bad "closed: the Add… dialog stayed" || ok "closed: the Add… dialog went with it"
else echo "note: the Add… dialog was no longer open when the window closed"; fi
if wait_for 6 is State idle; then ok "closed: the camera went idle"
else bad "closed: the camera's State '$(prop State)' 6 s after the window closed"; fi
ls "$OUT"/settings-*.png | sed 's/^/screenshot: /'
finish
