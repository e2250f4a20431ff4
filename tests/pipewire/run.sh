#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The PipeWire camera (src/output/pipewire_out.c) against a real daemon:
# a private D-Bus session bus, pipewire and wireplumber run as the current
# user in a fresh XDG_RUNTIME_DIR (no systemd, root is fine), a feeder
# creates the camera node and GStreamer's pipewiresrc consumes it; the
# frames it receives are checked byte by byte. Everything started here is
# stopped and the temp dir removed on any exit.
#
# usage: tests/pipewire/run.sh PW_FEED [--node NAME] [--size WxH]
#                              [--color '#rrggbb'] [--tolerance T] [-- FEEDER...]
#   PW_FEED   build/pw_feed (tests/pw_feed.c): the checker, the pattern
#             feeder, and the default feeder
#   FEEDER    the command that must create the node NAME (default
#             backdrop-test) of WxH (default 320x240) sending solid
#             --color frames (default #00ff00) until SIGTERM; default:
#             PW_FEED --name NAME --size WxH --color COLOUR --frames 0.
#             E.g. -- build/backdrop --input clip.mp4 --output pipewire --color '#00ff00' --frames 100000
#
# Cases: no daemon (clear error, no crash); the node's properties; an I420
# consumer, then a YUY2 consumer after it left (reconnect: frames dropped
# in between, then flowing again); the feeder's clean stop; an odd size
# (stride padding) with a moving pattern in I420 and YUY2 (layout and
# frame order); the daemon killed mid-stream (clear error, no crash).
# Prints "ok ..." / "FAIL ..." lines and "N passed, M failed, 0 skipped".
set -u

if [ $# -lt 1 ]; then
    sed -n '9,17p' "$0" >&2
    exit 2
fi
pw_feed=$(readlink -f "$1")
shift
node=backdrop-test size=320x240 color='#00ff00' tol=0
while [ $# -gt 0 ]; do
    case $1 in
    --node) node=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --color) color=$2; shift 2 ;;
    --tolerance) tol=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ $# -gt 0 ]; then
    feeder=("$@")
else
    feeder=("$pw_feed" --name "$node" --size "$size" --color "$color" --frames 0)
fi

passed=0 failed=0
ok() { echo "ok $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
t_start=$(date +%s.%N)

missing=""
for tool in pipewire wireplumber pw-cli dbus-daemon gst-launch-1.0 gst-inspect-1.0; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -z "$missing" ] && ! gst-inspect-1.0 pipewiresrc >/dev/null 2>&1; then
    missing=" gstreamer1.0-pipewire"
fi
if [ -n "$missing" ] || [ ! -x "$pw_feed" ]; then
    bad "setup: missing${missing:- $pw_feed}: run scripts/install-deps.sh test (and make the checker)"
    echo "$passed passed, $failed failed, 0 skipped"
    exit 1
fi

# waits up to $1 seconds for the command after it to succeed
wait_for() {
    local deadline=$(($(date +%s%N) + $1 * 1000000000))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
not_running() {
    local st
    st=$(sed "s/.*) //" "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -z "$st" ] || [ "$st" = Z ]
}

tmp=$(mktemp -d /tmp/backdrop-pw.XXXXXX)
chmod 700 "$tmp"
pids=()        # every background process we started, stopped on exit
dbus_pid=""
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait_for 3 not_running "$p" || kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [ -n "$dbus_pid" ] && kill -TERM "$dbus_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private world: our own runtime dir (the daemon's socket), config and
# state dirs (no user config is read, nothing is written to $HOME), bus.
export XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state
export XDG_DATA_HOME=$tmp/data
mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME"
unset PIPEWIRE_REMOTE PIPEWIRE_NODE PIPEWIRE_RUNTIME_DIR DISPLAY WAYLAND_DISPLAY
# This wireplumber must not open the machine's sound cards, cameras or
# Bluetooth (on a desktop, the user's own session owns them): only the
# linking policy runs. Its user config dir is read after /usr/share's.
mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
printf '%s\n' 'alsa_monitor.enabled = false' 'v4l2_monitor.enabled = false' \
    'libcamera_monitor.enabled = false' \
    >"$XDG_CONFIG_HOME/wireplumber/main.lua.d/51-backdrop-test.lua"
echo 'bluez_monitor.enabled = false' \
    >"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/51-backdrop-test.lua"

# Runs the feeder in the background: $1 = log prefix, the rest = command.
# Sets feeder_pid.
start_feeder() {
    local log=$1
    shift
    "$@" >"$tmp/$log.out" 2>"$tmp/$log.err" &
    feeder_pid=$!
    pids+=("$feeder_pid")
}

# Stops process $1 with SIGTERM and waits up to 5 s; sets stop_rc (124 on
# a hang, after which it is killed).
stop_proc() {
    local p=$1
    kill -TERM "$p" 2>/dev/null
    if wait_for 5 not_running "$p"; then
        wait "$p" 2>/dev/null
        stop_rc=$?
    else
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
        stop_rc=124
    fi
}

node_listed() { pw-cli ls Node 2>/dev/null | grep -q "node.name = \"$1\""; }

# Consumes N buffers of node $1 in format $2 into file $3 (30 buffers,
# 20 s at most). Extra arguments go to filesink.
consume() {
    local target=$1 fmt=$2 file=$3
    shift 3
    timeout 20 gst-launch-1.0 -q pipewiresrc target-object="$target" num-buffers=30 \
        ! "video/x-raw,format=$fmt" ! filesink location="$file" "$@" >"$file.log" 2>&1
}

one_line() { tr '\n' ' ' <"$1" | cut -c1-300; }

# ---- 1. no daemon -----------------------------------------------------------
timeout 10 "${feeder[@]}" >"$tmp/nodaemon.out" 2>"$tmp/nodaemon.err"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && grep -qi "pipewire" "$tmp/nodaemon.err"; then
    ok "no daemon: exit $rc, $(one_line "$tmp/nodaemon.err")"
else
    bad "no daemon: exit $rc (want 1..123 with a PipeWire message): $(one_line "$tmp/nodaemon.err")"
fi

# ---- the private session bus, pipewire, wireplumber -------------------------
export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
dbus_pid=$(dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --fork --nopidfile \
    --print-pid=1 2>"$tmp/dbus.log")
pipewire >"$tmp/pipewire.log" 2>&1 &
pw_pid=$!
pids+=("$pw_pid")
if ! wait_for 10 pw-cli info 0; then
    bad "setup: pipewire does not answer 'pw-cli info 0' after 10 s: $(tail -3 "$tmp/pipewire.log")"
    echo "$passed passed, $failed failed, 0 skipped"
    exit 1
fi
wireplumber >"$tmp/wireplumber.log" 2>&1 &
wp_pid=$!
pids+=("$wp_pid")
# wireplumber is ready once its "default" metadata exists
if ! wait_for 10 sh -c 'pw-cli ls Metadata | grep -q "metadata.name = \"default\""'; then
    bad "setup: wireplumber not ready after 10 s: $(tail -3 "$tmp/wireplumber.log")"
    echo "$passed passed, $failed failed, 0 skipped"
    exit 1
fi
t_ready=$(date +%s.%N)

# ---- 2. the node ------------------------------------------------------------
start_feeder feed "${feeder[@]}"
if wait_for 10 node_listed "$node"; then
    info=$(pw-cli ls Node | awk -v n="node.name = \"$node\"" '
        /^\tid / { if (hit) exit; block = "" } { block = block $0 "\n" } index($0, n) { hit = 1 }
        END { if (hit) printf "%s", block }')
    id=$(echo "$info" | sed -n 's/^\tid \([0-9]*\),.*/\1/p')
    if echo "$info" | grep -q 'media.class = "Video/Source"' &&
        echo "$info" | grep -q 'media.role = "Camera"'; then
        ok "node '$node' (id $id) is a Video/Source with media.role Camera"
    else
        bad "node '$node' properties: $(echo "$info" | tr -s '\t\n' '  ')"
    fi
else
    bad "node '$node' not listed within 10 s: $(one_line "$tmp/feed.err")"
fi

# ---- 3./4. I420 consumer, then YUY2 after it left (reconnect) ---------------
w=${size%x*} h=${size#*x}
check_args=(--size "$size" --color "$color" --tolerance "$tol" --min-frames 30)
if consume "$node" I420 "$tmp/c1.i420"; then
    if res=$("$pw_feed" check "$tmp/c1.i420" --format I420 "${check_args[@]}" 2>&1); then
        ok "I420 consumer: $res, every pixel $color"
    else
        bad "I420 consumer: $res"
    fi
else
    bad "I420 consumer: gst-launch failed: $(one_line "$tmp/c1.i420.log")"
fi
sleep 0.5 # no consumer for a while: the feeder drops
# sync=true: the buffers' timestamps must be sane for a clocked sink
if consume "$node" YUY2 "$tmp/c2.yuy2" sync=true; then
    if res=$("$pw_feed" check "$tmp/c2.yuy2" --format YUY2 "${check_args[@]}" 2>&1); then
        ok "YUY2 consumer after the first left: $res, every pixel $color"
    else
        bad "YUY2 consumer after the first left: $res"
    fi
else
    bad "YUY2 consumer after the first left: gst-launch failed: $(one_line "$tmp/c2.yuy2.log")"
fi

# ---- 5. the feeder stops cleanly; its counts show drops then flow -----------
if not_running "$feeder_pid"; then
    wait "$feeder_pid"
    bad "feeder died during the test (exit $?): $(one_line "$tmp/feed.err")"
else
    stop_proc "$feeder_pid"
    counts=$(grep -o 'queued=[0-9]* dropped=[0-9]*' "$tmp/feed.out" | tail -1)
    if [ "$stop_rc" -ne 0 ]; then
        bad "feeder stop: exit $stop_rc on SIGTERM: $(one_line "$tmp/feed.err")"
    elif [ -z "$counts" ]; then
        ok "feeder stop: exit 0 on SIGTERM (it prints no counts)"
    else
        q=${counts#queued=} q=${q% *} d=${counts#*dropped=}
        if [ "$q" -ge 60 ] && [ "$d" -gt 0 ]; then
            ok "feeder stop: exit 0 on SIGTERM, $counts (dropped without a consumer, then flowing again)"
        else
            bad "feeder stop: $counts (want queued >= 60 and dropped > 0)"
        fi
    fi
fi
if wait_for 5 sh -c "! pw-cli ls Node | grep -q 'node.name = \"$node\"'"; then
    ok "node '$node' removed once the feeder stopped"
else
    bad "node '$node' still listed 5 s after the feeder stopped"
fi

# ---- 6./7. odd size, moving pattern: layout and frame order -----------------
start_feeder pattern "$pw_feed" --name backdrop-pattern --size 322x242 --pattern --frames 0
if wait_for 10 node_listed backdrop-pattern; then
    for fmt in I420 YUY2; do
        if consume backdrop-pattern "$fmt" "$tmp/p.$fmt"; then
            if res=$("$pw_feed" check "$tmp/p.$fmt" --size 322x242 --format "$fmt" --pattern \
                --min-frames 30 2>&1); then
                ok "pattern 322x242 $fmt (padded strides): $res"
            else
                bad "pattern 322x242 $fmt: $res"
            fi
        else
            bad "pattern 322x242 $fmt: gst-launch failed: $(one_line "$tmp/p.$fmt.log")"
        fi
    done
else
    bad "pattern feeder: node not listed within 10 s: $(one_line "$tmp/pattern.err")"
fi
stop_proc "$feeder_pid"

# ---- 7b. on demand (when the feeder is backdrop) ------------------------------
# Idle while nothing consumes the node (the input is not read), active once
# pipewiresrc links, idle again after --idle-timeout once it left. The
# state comes from backdrop's own log lines, so --quiet is left out.
if [ "$(basename "${feeder[0]}")" = backdrop ]; then
    od_feeder=()
    for a in "${feeder[@]}"; do [ "$a" = --quiet ] || od_feeder+=("$a"); done
    start_feeder od "${od_feeder[@]}" --on-demand on --idle-timeout 1
    if wait_for 10 node_listed "$node"; then
        sleep 2
        if grep -q "on demand: nobody streams" "$tmp/od.err" && ! grep -q "streaming from" "$tmp/od.err"; then
            ok "on demand: idle while no consumer links (the input closed)"
        else
            bad "on demand: idle while no consumer links: $(one_line "$tmp/od.err")"
        fi
        if consume "$node" I420 "$tmp/od.i420" && [ "$(stat -c %s "$tmp/od.i420")" -gt 0 ]; then
            ok "on demand: pipewiresrc linked and got 30 frames"
        else
            bad "on demand: pipewiresrc got no frames: $(one_line "$tmp/od.i420.log")"
        fi
        if grep -q "on demand: 1 streaming from pipewire:$node" "$tmp/od.err"; then
            ok "on demand: active while pipewiresrc streamed"
        else
            bad "on demand: never active: $(one_line "$tmp/od.err")"
        fi
        if wait_for 6 sh -c "[ \$(grep -c 'on demand: nobody streams' '$tmp/od.err') -ge 2 ]"; then
            ok "on demand: idle again after the consumer left"
        else
            bad "on demand: not idle again 6 s after the consumer left: $(one_line "$tmp/od.err")"
        fi
    else
        bad "on demand: node not listed within 10 s: $(one_line "$tmp/od.err")"
    fi
    stop_proc "$feeder_pid"
fi

# ---- 8. the daemon goes away mid-stream ---------------------------------------
start_feeder gone "${feeder[@]}"
if wait_for 10 node_listed "$node"; then
    gst-launch-1.0 -q pipewiresrc target-object="$node" ! "video/x-raw,format=I420" \
        ! fakesink >"$tmp/gone.gst.log" 2>&1 &
    gst_pid=$!
    pids+=("$gst_pid")
    sleep 1
    stop_proc "$pw_pid"
    if wait_for 5 not_running "$feeder_pid"; then
        wait "$feeder_pid"
        rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && grep -qi "pipewire" "$tmp/gone.err"; then
            ok "daemon killed mid-stream: feeder exit $rc, $(one_line "$tmp/gone.err")"
        else
            bad "daemon killed mid-stream: feeder exit $rc (want 1..123 with a message): $(one_line "$tmp/gone.err")"
        fi
    else
        bad "daemon killed mid-stream: the feeder still runs 5 s later"
    fi
    kill -TERM "$gst_pid" 2>/dev/null
else
    bad "daemon test: node not listed within 10 s: $(one_line "$tmp/gone.err")"
fi

t_end=$(date +%s.%N)
awk -v a="$t_start" -v r="$t_ready" -v e="$t_end" \
    'BEGIN { printf "time: %.1f s (%.1f s to start the daemons)\n", e - a, r - a }'
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
