#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# End-to-end tests of the virtual camera: build/backdrop between real V4L2
# drivers (vivid, v4l2loopback 0.12.7) in the qemu VM, read back by
# v4l2-ctl, ffmpeg and Chromium.
#
#   tests/vm/e2e.sh prepare MEDIA_DIR [VIDEO]    on the host: the clips the
#       VM plays as a webcam (VIDEO, default ../shared/data/video/doctor_26732.mp4,
#       cut to 4 s of 640x360 at 15 fps, as raw YUYV and as MJPEG)
#   tests/vm/run.sh tests/vm/e2e.sh [MEDIA_DIR]   in the VM (make e2e does both)
#
# 1. vivid -> backdrop -> /dev/video10: size, YUYV/I420, rate (v4l2-ctl, ffmpeg)
# 1c. a webcam (v4l2tool's pattern on /dev/video14) goes away mid-stream and
#    comes back: the virtual camera keeps its rate with the marked last
#    frame, logs it once, and takes the webcam back by itself
# 2. a person (ffmpeg plays the clip into a loopback as the webcam, YUYV and
#    MJPEG) -> backdrop --color '#00ff00' -> /dev/video11: the background is
#    green, the person is not
# 3. Chromium opens /dev/video11 with getUserMedia (tests/vm/gum.html, served
#    by tests/vm/e2e.py) and posts pixels back: the same check in RGB
# 4. SIGTERM and restart backdrop on /dev/video10 five times
# 5. device trouble: a busy camera, a missing one, a size it lacks, a
#    loopback device already fed
# 6. consumer churn: 50 opens with reads of random length, then frames at once
# Last line: "N passed, M failed[, K skipped]"; exit status 1 if any failed.
# Env (VM_ENV passes it in): E2E_CHROMIUM (default chromium),
# E2E_CHROMIUM_ARGS (more Chromium flags), E2E_BACKDROP (default build/backdrop),
# E2E_V4L2TOOL (default build/v4l2tool: tests/v4l2tool.c, a producer that
# streams properly, so its device is reusable after it stops).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${1:-}" = prepare ]; then
    out=${2:?usage: e2e.sh prepare MEDIA_DIR [VIDEO]}
    src=${3:-$HERE/../../../shared/data/video/doctor_26732.mp4}
    mkdir -p "$out"
    if [ ! -f "$src" ]; then
        # CI has ../shared beside the clone: its absence there is a failure
        if [ "${CI:-}" = true ]; then
            echo "e2e: no $src under CI: ../shared/data must be beside the checkout" >&2
            exit 1
        fi
        echo "e2e: no $src: the person tests will be skipped" >&2
        exit 0
    fi
    cut=(-t 4 -i "$src" -an -vf scale=640:360,fps=15)
    stamp="$(realpath "$src") $(stat -c %s "$src") 4s 640x360 15fps v1"
    if [ "$(cat "$out/.stamp" 2>/dev/null)" != "$stamp" ]; then
        command -v ffmpeg >/dev/null || { echo "e2e: ffmpeg is not installed (scripts/install-deps.sh e2e)" >&2; exit 1; }
        ffmpeg -hide_banner -loglevel error -y "${cut[@]}" -pix_fmt yuyv422 -c:v rawvideo "$out/doctor_yuyv.nut" &&
        ffmpeg -hide_banner -loglevel error -y "${cut[@]}" -pix_fmt yuvj422p -c:v mjpeg -q:v 4 "$out/doctor_mjpeg.mkv" ||
            { echo "e2e: ffmpeg could not cut $src" >&2; exit 1; }
        echo "$stamp" >"$out/.stamp"
    fi
    exit 0
fi

if [ -z "${VM_OUT:-}" ]; then
    echo "e2e.sh runs inside the VM: tests/vm/run.sh tests/vm/e2e.sh [MEDIA_DIR] (or make e2e)" >&2
    exit 2
fi

. "$HERE/lib.sh"
MEDIA=${1:-build/e2e}
BD=${E2E_BACKDROP:-build/backdrop}
CHROMIUM=${E2E_CHROMIUM:-chromium}
PY="python3 $HERE/e2e.py"
LOOP_OUT=/dev/video10    # tests 1 and 4
CAM_OUT=/dev/video11     # tests 2 and 3: backdrop's camera
CAM_YUYV=/dev/video12    # tests 2 and 3: ffmpeg as the webcam; a device
CAM_MJPEG=/dev/video13   # ffmpeg fed is unusable after it (see README)
CAM_GONE=/dev/video14    # test 2c: a webcam that goes away and comes back
V4L2TOOL=${E2E_V4L2TOOL:-build/v4l2tool}

now() { echo "$EPOCHREALTIME"; }   # no exec: a fork costs 40-100 ms under TCG
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
timings=()
timed() { timings+=("$1: $2 s"); }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# field DEVICE LABEL: a "Label : value" line of v4l2-ctl --all
field() { v4l2-ctl -d "$1" --all 2>/dev/null | sed -n "s/^[[:space:]]*$2[[:space:]]*: //p" | head -n 1; }
# wait_caps DEV "Video Capture"|"Video Output" SECONDS: until the device's
# capabilities say so (exclusive_caps=1 flips them with the producer)
wait_caps() {
    local end=$((${EPOCHREALTIME%.*} + $3))
    while :; do
        v4l2-ctl -d "$1" --info 2>/dev/null | sed -n '/Device Caps/,$p' | grep -q "$2" && return 0
        [ "${EPOCHREALTIME%.*}" -lt $end ] || return 1
        sleep 0.2
    done
}
within() { # VALUE LOW HIGH (decimals)
    awk -v v="$1" -v a="$2" -v b="$3" 'BEGIN { exit !(v != "" && v + 0 >= a && v + 0 <= b) }'
}

# -- backdrop: every invocation goes through these two -----------------------
BD_PID=
# start_backdrop LOG ARGS...: backdrop's camera mode in the background
# The VM's CPU is an emulated Nehalem (no AVX2: tests/vm/README.md), where
# the mask refiner and the light wrap run their plain C twins under TCG at
# 100+ ms a 640x480 frame: far from a real CPU without AVX2 (a few ms), but
# enough to make the frame thread miss 15 fps. These tests are about the
# devices, formats and rates, so they use the bilinear mask and no light
# wrap (E2E_BACKDROP_ARGS overrides); the refined path is tested on the
# host (test_pipeline, camera-cli, test_refine, test_composite).
# --on-demand off: these tests stream from the first frame (on demand has
# its own suite, tests/vm/ondemand.sh)
BD_ARGS=(${E2E_BACKDROP_ARGS---raw-mask --light-wrap 0 --on-demand off})
start_backdrop() {
    local log=$1
    shift
    echo "  \$ backdrop $* ${BD_ARGS[*]}"
    "$BD" "$@" "${BD_ARGS[@]}" >"$log" 2>&1 &
    BD_PID=$!
}
# stop_backdrop SIG: sends SIG, waits (SIGKILL after 10 s); sets BD_RC and
# BD_EXIT_S (seconds from the signal to the exit)
stop_backdrop() {
    local t wd
    t=$(now)
    kill -"$1" "$BD_PID" 2>/dev/null
    (sleep 10; kill -KILL "$BD_PID" 2>/dev/null) &
    wd=$!
    wait "$BD_PID"
    BD_RC=$?
    BD_EXIT_S=$(since "$t")
    kill "$wd" 2>/dev/null
    wait "$wd" 2>/dev/null
    BD_PID=
    stops+=("$BD_EXIT_S")
}
# After a SIGTERM in tests 1-3: exit status 0, and no hang. The stop joins
# the inference thread, so it waits for the inference in flight: about a
# second under TCG (milliseconds on real CPUs); test 4 checks the 1 s bound.
check_stopped() {
    check "SIGTERM: backdrop exits 0 within 5 s (rc $BD_RC, after $BD_EXIT_S s)" \
        bash -c "[ '$BD_RC' = 0 ] && awk 'BEGIN { exit !($BD_EXIT_S <= 5.0) }'"
}
stops=()

BG=()   # other background jobs, stopped on exit
cleanup() {
    local p
    [ -n "$BD_PID" ] && kill -KILL "$BD_PID" 2>/dev/null
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
}
trap cleanup EXIT

# read_frames DEV N FILE: N frames with v4l2-ctl (mmap); its log (with
# per-frame timestamps) in FILE.log; returns v4l2-ctl's status
read_frames() {
    rm -f "$3"
    timeout 60 v4l2-ctl -d "$1" --stream-mmap --stream-count="$2" --verbose --stream-to="$3" >"$3.log" 2>&1
}
# ts_fps LOG SKIP: frame rate from the buffer timestamps of read_frames'
# log, ignoring the first SKIP frames (the queue fills at once at the start)
ts_fps() {
    awk -v skip="$2" '/dqbuf/ && / ts: / {
            for (i = 1; i <= NF; i++) if ($i == "ts:") t = $(i + 1)
            n++; if (n == skip + 1) a = t; if (n > skip) { b = t; m++ }
        } END { if (m > 1 && b > a) printf "%.1f", (m - 1) / (b - a) }' "$1"
}
# green Y U V / not_green Y U V: BT.601 limited-range #00ff00 is Y 145,
# Cb 54, Cr 34 (16 + 219 * 0.587, 128 - 224 * 0.3313, 128 - 224 * 0.4187)
green() { [ $(($1 - 145)) -ge -15 ] && [ $(($1 - 145)) -le 15 ] && [ $(($2 - 54)) -ge -15 ] && [ $(($2 - 54)) -le 15 ] &&
          [ $(($3 - 34)) -ge -15 ] && [ $(($3 - 34)) -le 15 ]; }
not_green() { local du=$(($2 - 54)) dv=$(($3 - 34)); [ $((${du#-} + ${dv#-})) -ge 60 ]; }
# where the doctor is and is not, in fractions of the frame (see the clip)
REGIONS='tl:0.02,0.02,0.15,0.15;tr:0.85,0.02,0.98,0.15;person:0.58,0.55,0.7,0.8'
# frame_state FILE FMT WxH FRAME: prints "masked", "all-green" or "other",
# then the regions' Y/U/V; sets REG_tl REG_tr REG_person
frame_state() {
    local name y u v state
    REG_tl='' REG_tr='' REG_person=''
    while read -r name y u v; do
        eval "REG_$name='$y $u $v'"
    done < <($PY stats "$1" "$2" "$3" "$4" "$REGIONS" 2>/dev/null)
    # shellcheck disable=SC2086
    if [ -z "${REG_tl:-}" ] || [ -z "${REG_person:-}" ]; then
        state=none
    elif green $REG_tl && green $REG_tr && not_green $REG_person; then
        state=masked
    elif green $REG_tl && green $REG_tr && green $REG_person; then
        state=all-green
    else
        state=other
    fi
    echo "$state (Y/Cb/Cr: top-left ${REG_tl:-?}, top-right ${REG_tr:-?}, person ${REG_person:-?})"
}

t_all=$(now)
section "kernel $(uname -r), $(dmesg | grep -o 'v4l2loopback driver version [0-9.]*' | tail -n 1)"
"$BD" version 2>&1 | head -n 1
if ! "$BD" --help 2>&1 | grep -q -- '--output-format'; then
    fail "$BD has the camera mode (--input/--output/--output-format)"
    echo "0 passed, 1 failed"
    exit 1
fi
v4l2-ctl --list-devices 2>/dev/null | grep -v '^$'

# -----------------------------------------------------------------------------
section "0. backdrop devices"
devs=$("$BD" devices 2>&1)
echo "$devs"
check "devices lists vivid as a camera with YUYV modes" \
    bash -c "grep -q '^/dev/video0 *camera' <<<\"\$1\" && grep -q 'YUYV .*640x480@' <<<\"\$1\"" _ "$devs"
check "devices lists $LOOP_OUT as a free loopback" grep -q "^$LOOP_OUT *loopback .*: free" <<<"$devs"

# -----------------------------------------------------------------------------
section "1. vivid -> backdrop -> $LOOP_OUT (640x480 at 15 fps, blur)"
YUYV480=$((640 * 480 * 2))
I420_480=$((640 * 480 * 3 / 2))
t=$(now)
start_backdrop "$VM_OUT/t1.log" --input /dev/video0 --output $LOOP_OUT --size 640x480 --fps 15
if wait_caps $LOOP_OUT "Video Capture" 60; then
    timed "backdrop start to Video Capture on $LOOP_OUT" "$(since "$t")"
    pass "$LOOP_OUT offers Video Capture once backdrop streams"
else
    fail "$LOOP_OUT offers Video Capture once backdrop streams"
fi
fmt=$(v4l2-ctl -d $LOOP_OUT --get-fmt-video 2>/dev/null)
echo "$fmt" | grep -E 'Width|Pixel Format|Size Image'
check "the loopback's format is YUYV 640x480" \
    bash -c "grep -q 'Width/Height *: 640/480' <<<\"\$1\" && grep -q \"'YUYV'\" <<<\"\$1\"" _ "$fmt"
t=$(now)
read_frames $LOOP_OUT 45 "$VM_OUT/t1.raw"
rc=$?
timed "v4l2-ctl reads 45 frames" "$(since "$t")"
got=$(size_of "$VM_OUT/t1.raw")
check "v4l2-ctl read 45 YUYV 640x480 frames (rc $rc, $got bytes)" test "$rc" = 0 -a "$got" = $((45 * YUYV480))
fps=$(ts_fps "$VM_OUT/t1.raw.log" 5)
grep -c 'dropped' "$VM_OUT/t1.raw.log" | sed 's/^/  dqbufs with dropped frames: /'
check "frames arrive at the input's 15 fps while the model runs (${fps:-?} fps over 40 frames)" within "$fps" 12 18
if [ "$got" -ge $((2 * YUYV480)) ]; then
    check "the frames change" bash -c "! cmp -s <(head -c $YUYV480 '$VM_OUT/t1.raw') <(tail -c $YUYV480 '$VM_OUT/t1.raw')"
else
    fail "the frames change (no frames)"
fi
t=$(now)
timeout 60 ffmpeg -hide_banner -nostats -f v4l2 -i $LOOP_OUT -frames:v 30 -f framecrc - \
    </dev/null >"$VM_OUT/t1.ffmpeg.crc" 2>"$VM_OUT/t1.ffmpeg.log"
rc=$?
timed "ffmpeg start and read 30 frames" "$(since "$t")"
stream=$(grep -m1 'Stream #0:0' "$VM_OUT/t1.ffmpeg.log" | sed 's/^ *//')
echo "  $stream"
frames=$(grep -vc '^#' "$VM_OUT/t1.ffmpeg.crc")
check "ffmpeg read 30 frames (rc $rc, got $frames)" test "$rc" = 0 -a "$frames" = 30
check "ffmpeg sees yuyv422 640x480" grep -q 'yuyv422.*640x480' <<<"$stream"
# framecrc: "0, pts, dts, duration, size, crc" in the stream's time base
ffps=$(awk -F', *' '/^#tb 0:/ { split($0, a, " "); split(a[3], r, "/"); tb = r[1] / r[2] }
        !/^#/ { n++; if (n == 6) a0 = $2; if (n > 6) { b0 = $2; m++ } }
        END { if (m > 0 && b0 > a0) printf "%.1f", m / ((b0 - a0) * tb) }' "$VM_OUT/t1.ffmpeg.crc")
check "ffmpeg's frames come at 15 fps (${ffps:-?} fps by their timestamps)" within "$ffps" 12 18
sizes=$(grep -v '^#' "$VM_OUT/t1.ffmpeg.crc" | awk -F', *' '{ print $5 }' | sort -u | tr '\n' ' ')
check "ffmpeg's frames are $YUYV480 bytes (got: $sizes)" test "$sizes" = "$YUYV480 "
stop_backdrop TERM
cat "$VM_OUT/t1.log"
check_stopped
check "$LOOP_OUT offers Video Output again" wait_caps $LOOP_OUT "Video Output" 5

section "1b. the same in I420, with the default input and output (the first camera, the first free loopback)"
t=$(now)
start_backdrop "$VM_OUT/t1b.log" --size 640x480 --fps 15 --output-format i420
ok=0
wait_caps $LOOP_OUT "Video Capture" 60 && ok=1
timed "backdrop start to Video Capture (I420)" "$(since "$t")"
check "backdrop found vivid and $LOOP_OUT by itself" test $ok = 1
fmt=$(v4l2-ctl -d $LOOP_OUT --get-fmt-video 2>/dev/null)
echo "$fmt" | grep -E 'Width|Pixel Format|Size Image'
check "the loopback's format is YU12 (I420) 640x480, $I420_480 bytes" \
    bash -c "grep -q 'Width/Height *: 640/480' <<<\"\$1\" && grep -q \"'YU12'\" <<<\"\$1\" && grep -q 'Size Image *: $I420_480' <<<\"\$1\"" _ "$fmt"
read_frames $LOOP_OUT 30 "$VM_OUT/t1b.raw"
rc=$?
got=$(size_of "$VM_OUT/t1b.raw")
check "v4l2-ctl read 30 I420 frames (rc $rc, $got bytes)" test "$rc" = 0 -a "$got" = $((30 * I420_480))
fps=$(ts_fps "$VM_OUT/t1b.raw.log" 5)
check "I420 frames arrive at 15 fps (${fps:-?} fps)" within "$fps" 12 18
timeout 60 ffmpeg -hide_banner -nostats -f v4l2 -i $LOOP_OUT -frames:v 5 -f framecrc - \
    </dev/null >"$VM_OUT/t1b.ffmpeg.crc" 2>"$VM_OUT/t1b.ffmpeg.log"
rc=$?
stream=$(grep -m1 'Stream #0:0' "$VM_OUT/t1b.ffmpeg.log" | sed 's/^ *//')
echo "  $stream"
check "ffmpeg reads 5 yuv420p 640x480 frames (rc $rc)" \
    bash -c "[ $rc = 0 ] && grep -q 'yuv420p.*640x480' <<<\"\$1\" && [ \$(grep -vc '^#' '$VM_OUT/t1b.ffmpeg.crc') = 5 ]" _ "$stream"
stop_backdrop TERM
cat "$VM_OUT/t1b.log"
check_stopped
wait_caps $LOOP_OUT "Video Output" 5

# -----------------------------------------------------------------------------
# person WEBCAM FORMAT CLIP: ffmpeg plays CLIP into WEBCAM; backdrop reads it
# and writes $CAM_OUT with a green background. Leaves both running (FF_PID,
# BD_PID) for the next test.
FF_PID=
person() {
    local cam=$1 fmt=$2 clip=$3 t state first="" masked=0 i
    t=$(now)
    ffmpeg -hide_banner -nostats -loglevel error -re -stream_loop -1 -i "$clip" -c:v copy -f v4l2 "$cam" \
        </dev/null >"$VM_OUT/t2-$fmt.ffmpeg.log" 2>&1 &
    FF_PID=$!
    BG+=("$FF_PID")
    if wait_caps "$cam" "Video Capture" 60; then
        timed "ffmpeg ($fmt) start to Video Capture on $cam" "$(since "$t")"
        pass "ffmpeg feeds $cam as a $fmt webcam"
    else
        fail "ffmpeg feeds $cam as a $fmt webcam"
        cat "$VM_OUT/t2-$fmt.ffmpeg.log"
        return 1
    fi
    v4l2-ctl -d "$cam" --get-fmt-video | grep -E 'Width|Pixel Format'
    check "$cam offers $fmt 640x360" \
        bash -c "v4l2-ctl -d '$cam' --list-formats-ext | grep -q \"'$fmt'\" && v4l2-ctl -d '$cam' --get-fmt-video | grep -q 'Width/Height *: 640/360'"
    t=$(now)
    start_backdrop "$VM_OUT/t2-$fmt.log" --input "$cam" --output $CAM_OUT --size 640x360 --fps 15 --color '#00ff00'
    if ! wait_caps $CAM_OUT "Video Capture" 60; then
        fail "backdrop reads the $fmt webcam and feeds $CAM_OUT"
        cat "$VM_OUT/t2-$fmt.log"
        return 1
    fi
    timed "backdrop ($fmt webcam) start to Video Capture on $CAM_OUT" "$(since "$t")"
    pass "backdrop reads the $fmt webcam and feeds $CAM_OUT"
    # Until its first mask backdrop shows the whole frame as background;
    # inference takes about a second in the VM: poll a frame at a time.
    for i in $(seq 1 30); do
        read_frames $CAM_OUT 1 "$VM_OUT/t2-$fmt.poll.raw"
        state=$(frame_state "$VM_OUT/t2-$fmt.poll.raw" yuyv 640x360 0)
        [ -n "$first" ] || { first=$state; echo "  first frame read at $(since "$t") s: $state"; }
        if [ "${state%% *}" = masked ]; then
            masked=1
            break
        fi
        [ "${EPOCHREALTIME%.*}" -lt $((${t%.*} + 40)) ] || break
        sleep 0.5
    done
    timed "backdrop ($fmt) start to the first masked frame read" "$(since "$t")"
    echo "  after $(since "$t") s: $state"
    check "before its first mask backdrop sends a frame (all background, or already masked): $first" \
        bash -c "case '$first' in all-green*|masked*) exit 0;; *) exit 1;; esac"
    check "within 40 s: green background, person not green ($fmt webcam)" test $masked = 1
    read_frames $CAM_OUT 15 "$VM_OUT/t2-$fmt.raw"
    rc=$?
    got=$(size_of "$VM_OUT/t2-$fmt.raw")
    check "v4l2-ctl read 15 YUYV 640x360 frames (rc $rc, $got bytes)" test "$rc" = 0 -a "$got" = $((15 * 640 * 360 * 2))
    fps=$(ts_fps "$VM_OUT/t2-$fmt.raw.log" 5)
    check "at the webcam's 15 fps (${fps:-?} fps)" within "$fps" 12 18
    state=$(frame_state "$VM_OUT/t2-$fmt.raw" yuyv 640x360 -1)
    check "the last of them: green background, person not green: $state" test "${state%% *}" = masked
    # the webcam's picture is moving: backdrop's output follows it
    check "the frames change" bash -c "! cmp -s <(head -c $((640 * 360 * 2)) '$VM_OUT/t2-$fmt.raw') <(tail -c $((640 * 360 * 2)) '$VM_OUT/t2-$fmt.raw')"
}
stop_person() {
    [ -n "$BD_PID" ] && stop_backdrop TERM
    cat "$VM_OUT/t2-$1.log"
    check_stopped
    kill "$FF_PID" 2>/dev/null
    wait "$FF_PID" 2>/dev/null
    wait_caps $CAM_OUT "Video Output" 5
}

# lost_and_back: a webcam goes away mid-stream and comes back. The webcam
# is v4l2tool's moving pattern on $CAM_GONE (a producer that streams
# properly: its device is usable again after it stops, unlike ffmpeg's);
# backdrop reads it and writes $CAM_OUT with a green background. When the
# producer is killed (an unplug, as far as backdrop can tell) the virtual
# camera must keep its rate, show the last frame blurred and marked (a
# white crossed-out camera: a point on the slash is white, one inside the
# camera body is dark) and log it once; when the producer comes back,
# backdrop takes the webcam again by itself and the background is green
# again. The points, for 640x360 (the icon is h/6 = 60 px per unit around
# the centre): on the slash (0.5, 0.5) -> x 348..352, y 208..212; in the
# body (-0.4, 0.15) -> x 294..298, y 188..192.
LOST_REGIONS='slash:0.544,0.578,0.55,0.589;hole:0.459,0.522,0.466,0.533'
# poll_state STATE N: reads one 640x360 frame of $CAM_OUT every half second,
# at most N times, until frame_state says STATE; prints the last state
poll_state() {
    local i state=none
    for i in $(seq 1 "$2"); do
        read_frames $CAM_OUT 1 "$VM_OUT/t2c.poll.raw"
        state=$(frame_state "$VM_OUT/t2c.poll.raw" yuyv 640x360 0)
        [ "${state%% *}" = "$1" ] && break
        sleep 0.5
    done
    echo "$state"
}
PAT_PID=
start_pattern() {
    "$V4L2TOOL" pattern $CAM_GONE 0 --size 640x360 --fps 15 >"$VM_OUT/t2c.pattern$1.log" 2>&1 &
    PAT_PID=$!
    BG+=("$PAT_PID")
    wait_caps $CAM_GONE "Video Capture" 30
}
lost_and_back() {
    local t rc got fps n i state slash hole name y u v
    if [ ! -x "$V4L2TOOL" ]; then
        skip_provided "no $V4L2TOOL (make $V4L2TOOL on the host)"
        return 0
    fi
    check "v4l2tool feeds $CAM_GONE" start_pattern 1
    t=$(now)
    start_backdrop "$VM_OUT/t2c.log" --input $CAM_GONE --output $CAM_OUT --size 640x360 --fps 15 --color '#00ff00'
    wait_caps $CAM_OUT "Video Capture" 60
    state=$(poll_state all-green 60)
    timed "backdrop on the pattern webcam: start to a green frame" "$(since "$t")"
    check "backdrop streams the pattern webcam with a green background: $state" test "${state%% *}" = all-green
    kill "$PAT_PID" 2>/dev/null
    wait "$PAT_PID" 2>/dev/null
    sleep 2.5
    check "backdrop keeps running when its webcam goes away" kill -0 "$BD_PID"
    read_frames $CAM_OUT 15 "$VM_OUT/t2c.raw"
    rc=$?
    got=$(size_of "$VM_OUT/t2c.raw")
    check "v4l2-ctl read 15 frames while the webcam is gone (rc $rc, $got bytes)" \
        test "$rc" = 0 -a "$got" = $((15 * 640 * 360 * 2))
    fps=$(ts_fps "$VM_OUT/t2c.raw.log" 5)
    check "the virtual camera keeps its 15 fps (${fps:-?} fps)" within "$fps" 12 18
    slash='' hole=''
    while read -r name y u v; do
        [ "$name" = slash ] && slash="$y $u $v"
        [ "$name" = hole ] && hole="$y $u $v"
    done < <($PY stats "$VM_OUT/t2c.raw" yuyv 640x360 -1 "$LOST_REGIONS" 2>/dev/null)
    check "it shows the last frame marked as lost: white slash ($slash), dark blurred frame ($hole)" \
        bash -c "set -- $slash $hole; [ \${1:-0} -ge 215 ] && [ \${4:-255} -le 160 ]"
    n=$(grep -c "lost" "$VM_OUT/t2c.log")
    check "the log says so once ($n lines: $(grep -m1 lost "$VM_OUT/t2c.log"))" test "$n" = 1
    t=$(now)
    start_pattern 2
    for i in $(seq 1 60); do
        grep -qF "$CAM_GONE is back" "$VM_OUT/t2c.log" && break
        sleep 0.5
    done
    check "backdrop takes the webcam back by itself ($(grep -m1 -F "$CAM_GONE is back" "$VM_OUT/t2c.log"))" \
        grep -qF "$CAM_GONE is back" "$VM_OUT/t2c.log"
    timed "webcam back to backdrop's 'is back'" "$(since "$t")"
    state=$(poll_state all-green 30)
    check "after the return: the green background again: $state" test "${state%% *}" = all-green
    stop_backdrop TERM
    cat "$VM_OUT/t2c.log"
    check_stopped
    kill "$PAT_PID" 2>/dev/null
    wait "$PAT_PID" 2>/dev/null
    wait_caps $CAM_OUT "Video Output" 5
}

section "1c. a webcam goes away mid-stream (its producer killed) and comes back"
lost_and_back

if [ -f "$MEDIA/doctor_yuyv.nut" ] && [ -f "$MEDIA/doctor_mjpeg.mkv" ]; then
    section "2a. a person: ffmpeg plays $MEDIA/doctor_yuyv.nut into $CAM_YUYV (YUYV) -> backdrop --color '#00ff00' -> $CAM_OUT"
    person $CAM_YUYV YUYV "$MEDIA/doctor_yuyv.nut"
    stop_person YUYV

    section "2b. the same with an MJPEG webcam: $MEDIA/doctor_mjpeg.mkv into $CAM_MJPEG"
    have_person=0
    person $CAM_MJPEG MJPG "$MEDIA/doctor_mjpeg.mkv" && have_person=1
else
    section "2. a person"
    skip_provided "no $MEDIA/doctor_yuyv.nut (tests/vm/e2e.sh prepare $MEDIA on the host; it needs ../shared/data/video/doctor_26732.mp4)"
    have_person=0
fi

# -----------------------------------------------------------------------------
section "3. Chromium opens backdrop's camera ($CAM_OUT) with getUserMedia"
if ! command -v "$CHROMIUM" >/dev/null; then
    skip_provided "$CHROMIUM is not installed on the host (scripts/install-deps.sh e2e)"
elif [ $have_person = 0 ]; then
    skip "Chromium: no person pipeline running (test 2)"
else
    "$CHROMIUM" --version 2>/dev/null | head -n 1
    port=8765
    $PY serve $port "$VM_OUT" "$HERE/gum.html" >"$VM_OUT/server.log" 2>&1 &
    srv=$!
    BG+=("$srv")
    for _ in $(seq 1 100); do grep -q serving "$VM_OUT/server.log" && break; sleep 0.1; done
    check "the page server listens on 127.0.0.1:$port" grep -q serving "$VM_OUT/server.log"
    card=$(field $CAM_OUT 'Card type')
    # v4l2loopback names its cards "Dummy video device (0x000N)": pick ours
    # by the number, the same in the label Chromium shows
    want=${card##* }
    url="http://127.0.0.1:$port/gum.html?label=$want&w=640&h=360&settle=500&samples=3&every=300&regions=$REGIONS"
    profile=$(mktemp -d /tmp/e2e-chromium.XXXXXX)
    # the flags of the test, then ones that make it start about twice as
    # fast under TCG (fewer processes, no GPU process, fewer services)
    flags=(--headless --no-sandbox --use-fake-ui-for-media-stream --disable-background-networking
           --disable-component-update --disable-sync --no-first-run "--user-data-dir=$profile"
           --single-process --disable-gpu --disable-extensions --mute-audio --no-default-browser-check
           --disable-default-apps --disable-breakpad --disable-domain-reliability --password-store=basic
           --disable-client-side-phishing-detection --disable-component-extensions-with-background-pages
           --disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,DialMediaRouteProvider,PaintHolding
           ${E2E_CHROMIUM_ARGS:-})
    t=$(now)
    timeout 180 "$CHROMIUM" "${flags[@]}" "$url" >"$VM_OUT/chromium.log" 2>&1 &
    cr=$!
    BG+=("$cr")
    while [ ! -e "$VM_OUT/gum.json" ] && kill -0 $cr 2>/dev/null; do sleep 0.25; done
    secs=$(since "$t")
    timed "Chromium start to the page's result" "$secs"
    sed 's/^/  | /' "$VM_OUT/gum.log" 2>/dev/null
    if [ -e "$VM_OUT/gum.json" ]; then
        $PY gum "$VM_OUT/gum.json" >"$VM_OUT/gum.txt"
        sed 's/^/  /' "$VM_OUT/gum.txt"
        val() { sed -n "s/^$1 //p" "$VM_OUT/gum.txt" | head -n 1; }
        check "Chromium opened '$(val label)' and sent a result after ${secs} s (error: $(val error))" test "$(val ok)" = 1
        check "getUserMedia gives 640x360 (got $(val width)x$(val height))" test "$(val width)x$(val height)" = 640x360
        rgb() { sed -n "s/^region $1 //p" "$VM_OUT/gum.txt"; }
        is_green() { [ $# = 3 ] && [ "$1" -le 90 ] && [ "$2" -ge 180 ] && [ "$3" -le 90 ]; }
        # shellcheck disable=SC2046
        check "Chromium sees a green top-left corner (RGB $(rgb tl))" is_green $(rgb tl)
        # shellcheck disable=SC2046
        check "Chromium sees a green top-right corner (RGB $(rgb tr))" is_green $(rgb tr)
        # shellcheck disable=SC2046
        seen() { sed -n "s/^seen $1 //p" "$VM_OUT/gum.txt"; }
        # shellcheck disable=SC2046
        check "Chromium sees the person, not green, in one of 3 samples (RGB $(seen person); last $(rgb person))" bash -c '[ $# = 3 ] && { [ "$1" -ge 100 ] || [ "$3" -ge 100 ]; }' _ $(seen person)
    else
        fail "Chromium sent a result (it ran ${secs} s)"
        grep -v -e dbus -e font_unique "$VM_OUT/chromium.log" | tail -n 15
    fi
    kill $cr 2>/dev/null
    wait $cr 2>/dev/null
    kill $srv 2>/dev/null
    wait $srv 2>/dev/null
    rm -rf "$profile"
fi
if [ $have_person = 1 ]; then
    stop_person MJPG
fi

# -----------------------------------------------------------------------------
section "4. SIGTERM and restart backdrop on $LOOP_OUT five times"
# 640x360: the landscape model, the shortest inference to wait for at the
# stop (under TCG the general model's ~0.7-1 s made some stops take 1.3 s)
YUYV360=$((640 * 360 * 2))
for i in 1 2 3 4 5; do
    t=$(now)
    start_backdrop "$VM_OUT/t4-$i.log" --input /dev/video0 --output $LOOP_OUT --size 640x360 --fps 15
    ok=1
    wait_caps $LOOP_OUT "Video Capture" 60 || ok=0
    read_frames $LOOP_OUT 5 "$VM_OUT/t4.raw"
    rc=$?
    got=$(size_of "$VM_OUT/t4.raw")
    check "restart $i: backdrop feeds $LOOP_OUT, v4l2-ctl read 5 frames (rc $rc, $got bytes)" \
        test $ok = 1 -a "$rc" = 0 -a "$got" = $((5 * YUYV360))
    stop_backdrop TERM
    free=1
    wait_caps $LOOP_OUT "Video Output" 5 || free=0
    timed "restart $i (start, 5 frames, SIGTERM, free again)" "$(since "$t")"
    check "restart $i: SIGTERM -> exit 0 within 1 s (rc $BD_RC, ${BD_EXIT_S} s), $LOOP_OUT free again" \
        bash -c "[ '$BD_RC' = 0 ] && [ $free = 1 ] && awk 'BEGIN { exit !($BD_EXIT_S <= 1.0) }'"
    [ "$BD_RC" = 0 ] || cat "$VM_OUT/t4-$i.log"
done

# -----------------------------------------------------------------------------
section "5. device trouble: busy camera, missing camera, a size the camera lacks, a loopback already fed"
# expect_fail NAME NEEDLE ARGS...: backdrop exits 1 within 30 s with one
# line that contains NEEDLE
expect_fail() {
    local name=$1 needle=$2 rc lines
    shift 2
    echo "  \$ backdrop $*"
    timeout 30 "$BD" "$@" "${BD_ARGS[@]}" >"$VM_OUT/t5.log" 2>&1
    rc=$?
    lines=$(wc -l <"$VM_OUT/t5.log")
    check "$name: exit 1, one line naming '$needle' (rc $rc: $(head -c 300 "$VM_OUT/t5.log"))" \
        bash -c "[ $rc = 1 ] && [ $lines = 1 ] && grep -qF -- \"\$1\" '$VM_OUT/t5.log'" _ "$needle"
}
v4l2-ctl -d /dev/video0 --set-fmt-video=width=640,height=360 --stream-mmap --stream-count=100000 \
    --stream-to=/dev/null >/dev/null 2>&1 &
holder=$!
BG+=("$holder")
sleep 2
expect_fail "a busy camera" "is in use by another program" --input /dev/video0 --output $LOOP_OUT
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_fail "a missing camera" "/dev/video99" --input /dev/video99 --output $LOOP_OUT
expect_fail "a path that is not a camera" "/dev/null" --input /dev/null --output $LOOP_OUT
# a size vivid does not offer: the nearest one it does, said in the start-up line
t=$(now)
start_backdrop "$VM_OUT/t5-size.log" --input /dev/video0 --output $LOOP_OUT --size 100x100 --fps 15
wait_caps $LOOP_OUT "Video Capture" 60
fmt=$(v4l2-ctl -d $LOOP_OUT --get-fmt-video 2>/dev/null | grep 'Width/Height' | tr -d ' ')
startup=$(head -n 1 "$VM_OUT/t5-size.log")
echo "  $startup; loopback $fmt"
check "--size 100x100: backdrop takes vivid's nearest size and says which (${fmt#*:}; $startup)" \
    bash -c "[ -n '$fmt' ] && [ '${fmt#*:}' != 100/100 ] && grep -qF \"(\$(echo '${fmt#*:}' | tr / x)\" <<<'$startup'"
# a second producer on the same loopback device: refused, the first keeps going
expect_fail "a loopback device already fed" "already fed by another producer" \
    --input "$MEDIA/doctor_yuyv.nut" --output $LOOP_OUT
check "the first producer keeps running" kill -0 "$BD_PID"

# -----------------------------------------------------------------------------
section "6. consumer churn: 50 opens of the virtual camera with reads of random length"
# the backdrop of test 5 (vivid -> $LOOP_OUT) keeps running; half the
# consumers stream with mmap (v4l2-ctl, 1..6 frames), half read() a random
# number of bytes (all of which must come); then the next consumer must get
# frames at once
RANDOM=42
t=$(now)
errs=0
for i in $(seq 1 50); do
    if [ $((i % 2)) = 0 ]; then
        timeout 20 v4l2-ctl -d $LOOP_OUT --stream-mmap --stream-count=$((1 + RANDOM % 6)) \
            --stream-to=/dev/null >/dev/null 2>&1 || errs=$((errs + 1))
    else
        # up to about three 320x180 YUYV frames, in read()s of the driver's size
        n=$((1 + RANDOM * 11))
        got=$(timeout 20 head -c $n $LOOP_OUT | wc -c)
        [ "$got" = "$n" ] || { errs=$((errs + 1)); echo "  read $got of $n bytes"; }
    fi
done
timed "50 consumers opened, read and closed $LOOP_OUT" "$(since "$t")"
check "every consumer got its frames ($errs of 50 failed)" test "$errs" = 0
check "backdrop is still running" kill -0 "$BD_PID"
t=$(now)
read_frames $LOOP_OUT 1 "$VM_OUT/t6-first.raw"
first=$(since "$t")
check "the next consumer's first frame came at once (${first} s, under 3 s in the VM)" \
    awk "BEGIN { exit !($first < 3.0) }"
read_frames $LOOP_OUT 20 "$VM_OUT/t6.raw"
fps=$(ts_fps "$VM_OUT/t6.raw.log" 5)
check "and frames at the camera's 15 fps (${fps:-?} fps)" within "$fps" 12 18
stop_backdrop TERM
n=$(wc -l <"$VM_OUT/t5-size.log")
check "backdrop logged nothing but its start-up line through it all ($n lines)" test "$n" = 1
[ "$n" = 1 ] || cat "$VM_OUT/t5-size.log"
check "SIGTERM after the churn: exit 0 within 1 s (rc $BD_RC, ${BD_EXIT_S} s)" \
    bash -c "[ '$BD_RC' = 0 ] && awk 'BEGIN { exit !($BD_EXIT_S <= 1.0) }'"
wait_caps $LOOP_OUT "Video Output" 5

echo
echo "timings (in the VM, TCG):"
for l in "${timings[@]}"; do echo "  $l"; done
echo "  SIGTERM to exit, each stop: ${stops[*]} s"
echo "  whole script: $(since "$t_all") s"
echo
line="$passed passed, $failed failed"
[ $skipped = 0 ] || line+=", $skipped skipped"
echo "$line"
[ $failed = 0 ]
