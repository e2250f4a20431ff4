#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The PipeWire camera (src/output/pipewire_out.c) against a real daemon:
# a private D-Bus session bus, pipewire and wireplumber run as the current
# user in a fresh XDG_RUNTIME_DIR (no systemd, root is fine), a feeder
# creates the camera node and GStreamer's pipewiresrc consumes it; the
# frames it receives are checked byte by byte. Everything started here is
# stopped and the temp dir removed on any exit (tests/pipewire/world.sh,
# which bench/idle_cpu.sh shares).
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
# frame order); on demand with backdrop as the feeder (idle, active, idle
# again; two consumers at once counted 2, then 1, then 0); the daemon
# killed mid-stream (clear error, no crash).
# Prints "ok ..." / "FAIL ..." lines and "N passed, M failed, 0 skipped".
set -u

if [ $# -lt 1 ]; then
    sed -n '11,19p' "$0" >&2
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

# the temp dir, the private world's environment, the cleanup on exit
. "$(dirname "$(readlink -f "$0")")/world.sh"
pw_world_init backdrop-pw

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
if ! pw_world_start; then
    bad "setup: $pw_world_error"
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
# Two pipewiresrc consumers at once: the count (D-Bus Consumers, read with
# gdbus, the state with backdrop ctl, and the status line: "N streaming
# from OUT" when it turns active, "consumers of OUT: N" when the count
# changes while active; it shows once a second, so the 1 before the 2 may
# not show) goes 1, 2, then 1 when the first stops, then 0 and idle after
# --idle-timeout once the second stops.
od_bus_consumers() {
    gdbus call --session --dest io.github.backdrop.Camera --object-path /io/github/backdrop/Camera \
        --method org.freedesktop.DBus.Properties.Get io.github.backdrop.Camera1 Consumers \
        2>/dev/null | tr -cd '0-9-'
}
od_bus_is() { # CONSUMERS STATE
    [ "$(od_bus_consumers)" = "$1" ] && [ "$("${feeder[0]}" ctl get state 2>/dev/null)" = "$2" ]
}
od_gst() { # LOG: a consumer until stopped; sets gst_pid
    gst-launch-1.0 -q pipewiresrc target-object="$node" ! "video/x-raw,format=I420" ! fakesink \
        >"$tmp/$1.log" 2>&1 &
    gst_pid=$!
    pids+=("$gst_pid")
}
od_two() {
    local a b idle0
    idle0=$(grep -c 'on demand: nobody streams' "$tmp/od.err")
    od_gst two-a
    a=$gst_pid
    if wait_for 10 od_bus_is 1 active; then
        ok "on demand, two consumers: the first: D-Bus Consumers 1, State active"
    else
        bad "on demand, two consumers: the first: D-Bus Consumers '$(od_bus_consumers)' (want 1): $(one_line "$tmp/two-a.log")"
    fi
    od_gst two-b
    b=$gst_pid
    if wait_for 10 od_bus_is 2 active &&
        wait_for 3 grep -Eq "(consumers of pipewire:$node: 2$|: 2 streaming from pipewire:$node: )" "$tmp/od.err"; then
        ok "on demand, two consumers: both: D-Bus Consumers 2, the status line says 2"
    else
        bad "on demand, two consumers: both: D-Bus Consumers '$(od_bus_consumers)' (want 2): $(grep "on demand" "$tmp/od.err" | tr "\n" " ")"
    fi
    stop_proc "$a"
    if wait_for 5 od_bus_is 1 active &&
        wait_for 3 grep -q "consumers of pipewire:$node: 1\$" "$tmp/od.err"; then
        ok "on demand, two consumers: the first stopped: D-Bus Consumers 1, the status line says 1"
    else
        bad "on demand, two consumers: the first stopped: D-Bus Consumers '$(od_bus_consumers)' (want 1): $(one_line "$tmp/od.err")"
    fi
    stop_proc "$b"
    if wait_for 6 od_bus_is 0 idle &&
        wait_for 3 sh -c "[ \$(grep -c 'on demand: nobody streams' '$tmp/od.err') -gt $idle0 ]"; then
        ok "on demand, two consumers: both stopped: D-Bus Consumers 0, State idle after the grace period"
    else
        bad "on demand, two consumers: both stopped: D-Bus Consumers '$(od_bus_consumers)' (want 0, idle): $(one_line "$tmp/od.err")"
    fi
}
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
        od_two
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
