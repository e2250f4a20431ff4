#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The V4L2 layer (src/capture, src/output, src/common/v4l2_*) on real
# drivers, through tests/v4l2tool: vivid at /dev/video0, v4l2loopback
# 0.12.7 at /dev/video10..13 (exclusive_caps=1).
#
#   tests/vm/run.sh tests/vm/v4l2_layer.sh [PATH/TO/v4l2tool]
#
# Build v4l2tool on the host first (build/ is read-only in the VM). Runs
# inside the VM as root. Last line: "N passed, M failed[, K skipped]";
# exit status 1 if any failed.
set -u

if [ -z "${VM_OUT:-}" ]; then
    echo "v4l2_layer.sh runs inside the VM: tests/vm/run.sh tests/vm/v4l2_layer.sh" >&2
    exit 2
fi

T=${1:-}
if [ -z "$T" ]; then
    for c in build/v4l2tool build/tests/v4l2tool build/v4l2/v4l2tool; do
        [ -x "$c" ] && { T=$c; break; }
    done
fi
if [ -z "$T" ] || [ ! -x "$T" ]; then
    echo "no v4l2tool binary (give its path as the first argument)"
    echo "0 passed, 1 failed"
    exit 1
fi

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
timings=()
timed() { timings+=("$1: $2 s"); }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# wait_caps DEV "Video Capture"|"Video Output" SECONDS: until the device's
# capabilities say so (exclusive_caps flips them with the producer)
wait_caps() {
    local i
    for i in $(seq 1 $(($3 * 5))); do
        if v4l2-ctl -d "$1" --info 2>/dev/null | sed -n '/Device Caps/,$p' | grep -q "$2"; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}
byte() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
# bars FILE BASE STEP: vivid's default picture is 75% colour bars, 8 bars
# of 80 pixels, in BT.601 video range: Y 180 162 131 112 84 65 35 16 and
# Cb 128 44 156 72 184 100 212 128. Samples the middle of each bar on
# row 240 of the first frame (Y at BASE + STEP*x, Cb at the offset
# CBASE + CSTEP*x given in the env) and compares within 3.
bars() {
    local want_y=(180 162 131 112 84 65 35 16) want_u=(128 44 156 72 184 100 212 128)
    local k x y u got=""
    for k in 0 1 2 3 4 5 6 7; do
        x=$((40 + 80 * k))
        y=$(byte "$1" $(($2 + $3 * x)))
        u=$(byte "$1" $((CBASE + CSTEP * (x / 2))))
        got+=" $y/$u"
        [ -n "$y" ] && [ -n "$u" ] || { echo "  bars:$got"; return 1; }
        if [ $((y - want_y[k])) -gt 3 ] || [ $((want_y[k] - y)) -gt 3 ] ||
           [ $((u - want_u[k])) -gt 3 ] || [ $((want_u[k] - u)) -gt 3 ]; then
            echo "  bars (Y/Cb):$got <- bar $k"
            return 1
        fi
    done
    echo "  bars (Y/Cb):$got"
}
# I420 640x480: Y at 240*640 + x; Cb plane at 307200, row 120 of 320
bars_i420() { CBASE=$((307200 + 120 * 320)) CSTEP=1 bars "$1" $((240 * 640)) 1; }
# YUYV 640x480: Y at 240*1280 + 2x, Cb at 240*1280 + 4*(x/2) + 1
bars_yuyv() { CBASE=$((240 * 1280 + 1)) CSTEP=4 bars "$1" $((240 * 1280)) 2; }
# the first and last frames differ (vivid draws a running clock)
changes() { ! cmp -s <(head -c "$2" "$1") <(tail -c "$2" "$1"); }

YUYV480=$((640 * 480 * 2))
I420_480=$((640 * 480 * 3 / 2))
t_all=$(now)

section "kernel $(uname -r), $(dmesg | grep -o 'v4l2loopback driver version [0-9.]*' | tail -n 1), tool $T"

section "list"
t=$(now)
"$T" list >"$VM_OUT/list.txt" 2>&1
rc=$?
timed "list" "$(since "$t")"
cat "$VM_OUT/list.txt"
check "list exits 0" test $rc = 0
check "vivid is a camera with YUYV 640x480@25" grep -q "^/dev/video0.camera.*driver 'vivid'" "$VM_OUT/list.txt"
check "vivid's modes include YUYV 640x480@25 and NV12" \
    bash -c "grep -A1 '^/dev/video0' '$VM_OUT/list.txt' | grep -q 'YUYV .*640x480@25' &&
             grep -A1 '^/dev/video0' '$VM_OUT/list.txt' | grep -q 'NV12'"
n=$(grep -c "loopback (free).*driver 'v4l2 loopback'" "$VM_OUT/list.txt")
# run.sh loads five (video10..14; e2e 1c feeds the fifth)
check "5 free loopback devices found by driver name (got $n)" test "$n" = 5

section "capture 30 frames of vivid, 640x480 YUYV, asked at 30 fps"
t=$(now)
"$T" capture /dev/video0 640x480 30 30 "$VM_OUT/cap.raw" >"$VM_OUT/cap.log" 2>&1
rc=$?
timed "capture 30 frames 640x480" "$(since "$t")"
cat "$VM_OUT/cap.log"
check "capture exits 0" test $rc = 0
check "chose YUYV 640x480, exact size, interval 1/25 (vivid's fastest there)" \
    grep -q "YUYV 640x480 stride 1280 interval 1/25; asked 640x480@30: exact size, rate not reached" "$VM_OUT/cap.log"
got=$(size_of "$VM_OUT/cap.raw")
check "cap.raw is 30 I420 frames of 640x480 ($((30 * I420_480)), got $got)" test "$got" = $((30 * I420_480))
check "the I420 frame is vivid's colour bars (YUYV -> I420 kept Y and Cb)" bars_i420 "$VM_OUT/cap.raw"
check "the captured frames change" changes "$VM_OUT/cap.raw" $I420_480

section "capture NV12 (forced), converted to I420"
t=$(now)
"$T" capture /dev/video0 640x480 25 10 "$VM_OUT/nv12.raw" NV12 >"$VM_OUT/nv12.log" 2>&1
rc=$?
timed "capture 10 frames NV12" "$(since "$t")"
cat "$VM_OUT/nv12.log"
check "NV12 capture exits 0 with NV12 640x480" \
    bash -c "[ $rc = 0 ] && grep -q 'NV12 640x480' '$VM_OUT/nv12.log'"
got=$(size_of "$VM_OUT/nv12.raw")
check "nv12.raw is 10 I420 frames (got $got)" test "$got" = $((10 * I420_480))
check "the NV12 -> I420 frame is vivid's colour bars" bars_i420 "$VM_OUT/nv12.raw"
# vivid draws the same picture in both formats: the Y planes of the first
# frames agree closely (only the moving clock text differs)
if [ "$got" -gt 0 ] && [ "$(size_of "$VM_OUT/cap.raw")" -gt 0 ]; then
    diff=$(cmp -l <(head -c $((640 * 480)) "$VM_OUT/cap.raw") <(head -c $((640 * 480)) "$VM_OUT/nv12.raw") | wc -l)
    check "YUYV and NV12 captures give the same Y plane but for the clock text ($diff of 307200 bytes differ)" \
        test "$diff" -lt 30000
fi

section "unsupported size: 800x600 negotiates the nearest"
"$T" capture /dev/video0 800x600 30 5 "$VM_OUT/near.raw" >"$VM_OUT/near.log" 2>&1
rc=$?
cat "$VM_OUT/near.log"
check "800x600 -> 640x480 (nearest size)" \
    bash -c "[ $rc = 0 ] && grep -q 'YUYV 640x480 .*asked 800x600@30: nearest size' '$VM_OUT/near.log'"
got=$(size_of "$VM_OUT/near.raw")
check "near.raw is 5 frames of 640x480 (got $got)" test "$got" = $((5 * I420_480))
"$T" capture /dev/video0 4000x3000 30 2 "$VM_OUT/big.raw" >"$VM_OUT/big.log" 2>&1
cat "$VM_OUT/big.log"
check "4000x3000 -> 3840x2160 (nearest size)" grep -q "YUYV 3840x2160 .*nearest size" "$VM_OUT/big.log"

section "wrong devices"
"$T" capture /dev/video99 640x480 30 1 "$VM_OUT/x.raw" >"$VM_OUT/err.log" 2>&1
rc=$?
cat "$VM_OUT/err.log"
check "missing device: one clear error" \
    bash -c "[ $rc = 1 ] && grep -q \"camera '/dev/video99' does not exist\" '$VM_OUT/err.log'"
"$T" capture /dev/video10 640x480 30 1 "$VM_OUT/x.raw" >"$VM_OUT/err.log" 2>&1
rc=$?
cat "$VM_OUT/err.log"
check "a loopback device is not a camera" \
    bash -c "[ $rc = 1 ] && grep -q 'v4l2loopback device with no producer' '$VM_OUT/err.log'"
"$T" pattern /dev/video0 1 >"$VM_OUT/err.log" 2>&1
rc=$?
cat "$VM_OUT/err.log"
check "a camera is not a loopback device" \
    bash -c "[ $rc = 1 ] && grep -q 'is a vivid device, not v4l2loopback' '$VM_OUT/err.log'"

section "loop vivid -> /dev/video10 (100 frames), read with v4l2-ctl"
t=$(now)
"$T" loop /dev/video0 /dev/video10 100 >"$VM_OUT/loop1.log" 2>&1 &
lp=$!
if wait_caps /dev/video10 "Video Capture" 30; then
    timed "loop start to Video Capture on /dev/video10" "$(since "$t")"
    pass "/dev/video10 offers Video Capture once the producer streams"
else
    fail "/dev/video10 offers Video Capture once the producer streams"
fi
v4l2-ctl -d /dev/video10 --get-fmt-video | grep -E 'Width|Pixel Format|Bytes per Line'
rm -f "$VM_OUT/loop.raw"
t=$(now)
timeout 60 v4l2-ctl -d /dev/video10 --stream-mmap --stream-count=10 --stream-to="$VM_OUT/loop.raw"
rc=$?
echo
timed "v4l2-ctl reads 10 frames from the loopback" "$(since "$t")"
got=$(size_of "$VM_OUT/loop.raw")
check "v4l2-ctl read 10 YUYV 640x480 frames from /dev/video10 (rc $rc, $got bytes)" \
    test "$rc" = 0 -a "$got" = $((10 * YUYV480))
check "a looped frame is vivid's colour bars (YUYV -> I420 -> YUYV)" bars_yuyv "$VM_OUT/loop.raw"
check "the looped frames change" changes "$VM_OUT/loop.raw" $YUYV480
t=$(now)
timeout 60 tail --pid=$lp -f /dev/null
wait $lp
rc=$?
timed "rest of the 100-frame loop" "$(since "$t")"
cat "$VM_OUT/loop1.log"
check "the loop ran its 100 frames and exited 0" \
    bash -c "[ $rc = 0 ] && grep -q 'looped 100 frames' '$VM_OUT/loop1.log'"
check "/dev/video10 offers Video Output again after the producer exits" wait_caps /dev/video10 "Video Output" 5

section "a busy camera, a fed loopback, and auto (while a producer runs)"
"$T" loop /dev/video0 /dev/video10 0 >"$VM_OUT/loop3.log" 2>&1 &
lp=$!
wait_caps /dev/video10 "Video Capture" 30
"$T" capture /dev/video0 640x480 30 1 "$VM_OUT/x.raw" >"$VM_OUT/busy.log" 2>&1
rc=$?
cat "$VM_OUT/busy.log"
check "busy camera: 'in use by another program'" \
    bash -c "[ $rc = 1 ] && grep -q \"camera '/dev/video0' is in use by another program\" '$VM_OUT/busy.log'"
"$T" pattern /dev/video10 3 >"$VM_OUT/fed.log" 2>&1
rc=$?
cat "$VM_OUT/fed.log"
check "second producer on /dev/video10: 'already fed by another producer'" \
    bash -c "[ $rc = 1 ] && grep -q \"'/dev/video10' is already fed by another producer\" '$VM_OUT/fed.log'"
"$T" pattern auto 3 >"$VM_OUT/auto.log" 2>&1
rc=$?
cat "$VM_OUT/auto.log"
check "auto skips the fed /dev/video10 and takes /dev/video11" \
    bash -c "[ $rc = 0 ] && grep -q 'loopback /dev/video11:' '$VM_OUT/auto.log'"
kill -0 $lp 2>/dev/null
check "the producer was running all along" test $? = 0
kill -TERM $lp
wait $lp
rc=$?
cat "$VM_OUT/loop3.log"
check "SIGTERM stops the producer cleanly (rc $rc)" \
    bash -c "[ $rc = 0 ] && grep -q 'stopped by a signal' '$VM_OUT/loop3.log'"

section "ffmpeg reads the loopback"
if ! command -v ffmpeg >/dev/null; then
    skip_provided "ffmpeg is not installed on the host (apt-get install ffmpeg)"
else
    "$T" loop /dev/video0 /dev/video10 0 >"$VM_OUT/loop2.log" 2>&1 &
    lp=$!
    wait_caps /dev/video10 "Video Capture" 30
    t=$(now)
    timeout 120 ffmpeg -hide_banner -nostats -loglevel error -progress pipe:1 \
        -f v4l2 -i /dev/video10 -frames:v 10 -f null - </dev/null >"$VM_OUT/ffmpeg.log" 2>&1
    rc=$?
    timed "ffmpeg -f v4l2 -i /dev/video10 -frames:v 10 -f null -" "$(since "$t")"
    frames=$(sed -n 's/^frame=//p' "$VM_OUT/ffmpeg.log" | tail -n 1)
    grep -v '=' "$VM_OUT/ffmpeg.log" | head -n 5
    check "ffmpeg read 10 frames (rc $rc, frame=$frames)" test "$rc" = 0 -a "$frames" = 10
    rm -f "$VM_OUT/ff.raw"
    timeout 120 ffmpeg -hide_banner -nostats -loglevel error -f v4l2 -i /dev/video10 -frames:v 3 \
        -f rawvideo "$VM_OUT/ff.raw" </dev/null
    got=$(size_of "$VM_OUT/ff.raw")
    check "ffmpeg's frames are YUYV 640x480 (3 frames, got $got bytes)" test "$got" = $((3 * YUYV480))
    kill -TERM $lp
    wait $lp
    rc=$?
    cat "$VM_OUT/loop2.log"
    check "SIGTERM stops the producer cleanly (rc $rc)" \
        bash -c "[ $rc = 0 ] && grep -q 'stopped by a signal' '$VM_OUT/loop2.log'"
    check "/dev/video10 offers Video Output again" wait_caps /dev/video10 "Video Output" 5
fi

section "stop and restart the producer 3 times on /dev/video10"
for i in 1 2 3; do
    sig=TERM
    [ $i = 2 ] && sig=KILL # a crash: the kernel's close must free it too
    t=$(now)
    "$T" loop /dev/video0 /dev/video10 0 >"$VM_OUT/restart$i.log" 2>&1 &
    lp=$!
    ok=1
    wait_caps /dev/video10 "Video Capture" 30 || ok=0
    rm -f "$VM_OUT/restart.raw"
    timeout 60 v4l2-ctl -d /dev/video10 --stream-mmap --stream-count=5 --stream-to="$VM_OUT/restart.raw"
    rc=$?
    echo
    got=$(size_of "$VM_OUT/restart.raw")
    kill -$sig $lp
    wait $lp 2>/dev/null
    free=1
    wait_caps /dev/video10 "Video Output" 5 || free=0
    timed "restart $i (start, 5 frames, SIG$sig, free again)" "$(since "$t")"
    check "restart $i: producer started (Video Capture), v4l2-ctl read 5 frames (rc $rc, $got bytes), SIG$sig, device free again" \
        test $ok = 1 -a "$rc" = 0 -a "$got" = $((5 * YUYV480)) -a $free = 1
done

section "MJPEG from a real driver: ffmpeg encodes into /dev/video12, capture decodes"
# vivid has no MJPEG; v4l2loopback passes ffmpeg's JPEGs through as a
# camera would. White in full-range JPEG (Y 255) must come out as video
# range (Y 235, Cb/Cr 128).
if ! command -v ffmpeg >/dev/null; then
    skip_provided "ffmpeg is not installed"
else
    ffmpeg -hide_banner -nostats -loglevel error -re -f lavfi -i "color=c=white:size=320x240:rate=25" \
        -t 60 -c:v mjpeg -pix_fmt yuvj422p -f v4l2 /dev/video12 </dev/null &
    ff=$!
    wait_caps /dev/video12 "Video Capture" 30
    "$T" list | grep -A1 '^/dev/video12'
    t=$(now)
    "$T" capture /dev/video12 320x240 25 10 "$VM_OUT/mjpeg.raw" >"$VM_OUT/mjpeg.log" 2>&1
    rc=$?
    timed "capture 10 MJPEG frames 320x240 from ffmpeg" "$(since "$t")"
    cat "$VM_OUT/mjpeg.log"
    check "MJPEG capture exits 0 with MJPG 320x240 and no undecodable frame" \
        bash -c "[ $rc = 0 ] && grep -q 'MJPG 320x240' '$VM_OUT/mjpeg.log' && grep -q 'undecodable 0' '$VM_OUT/mjpeg.log'"
    got=$(size_of "$VM_OUT/mjpeg.raw")
    check "mjpeg.raw is 10 I420 frames of 320x240 (got $got)" test "$got" = $((10 * 320 * 240 * 3 / 2))
    y=$(byte "$VM_OUT/mjpeg.raw" $((120 * 320 + 160)))
    u=$(byte "$VM_OUT/mjpeg.raw" $((320 * 240 + 60 * 160 + 80)))
    check "full-range white decoded to video range: Y $y (235), Cb $u (128)" \
        bash -c "[ -n '$y' ] && [ '$y' -ge 233 ] && [ '$y' -le 237 ] && [ '$u' -ge 126 ] && [ '$u' -le 130 ]"
    kill $ff
    wait $ff 2>/dev/null
fi

section "a write()-only producer (ffmpeg's v4l2 output) leaves 0.12.7 stuck"
if ! command -v ffmpeg >/dev/null; then
    skip_provided "ffmpeg is not installed"
else
    ffmpeg -hide_banner -nostats -loglevel error -re -f lavfi -i "testsrc2=size=320x240:rate=15" \
        -t 60 -pix_fmt yuyv422 -f v4l2 /dev/video13 </dev/null &
    ff=$!
    wait_caps /dev/video13 "Video Capture" 30
    kill $ff
    wait $ff 2>/dev/null
    sleep 0.5
    "$T" list | grep '^/dev/video13'
    "$T" pattern /dev/video13 3 >"$VM_OUT/stuck.log" 2>&1
    rc=$?
    cat "$VM_OUT/stuck.log"
    check "after ffmpeg, /dev/video13 offers nothing, and the error says to reload the module" \
        bash -c "[ $rc = 1 ] && grep -q 'offers neither output nor capture.*modprobe -r v4l2loopback' '$VM_OUT/stuck.log'"
fi

section "no loopback device"
if rmmod v4l2loopback 2>"$VM_OUT/rmmod.log"; then
    "$T" pattern auto 3 >"$VM_OUT/none.log" 2>&1
    rc=$?
    cat "$VM_OUT/none.log"
    check "one error with the modprobe line" \
        bash -c "[ $rc = 1 ] && grep -qF 'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=backdrop' '$VM_OUT/none.log' &&
                 [ \$(wc -l <'$VM_OUT/none.log') = 1 ]"
    "$T" list
else
    cat "$VM_OUT/rmmod.log"
    fail "rmmod v4l2loopback"
fi

echo
echo "timings (in the VM, TCG):"
for l in "${timings[@]}"; do echo "  $l"; done
echo "  whole script: $(since "$t_all") s"
echo
line="$passed passed, $failed failed"
[ $skipped = 0 ] || line+=", $skipped skipped"
echo "$line"
[ $failed = 0 ]
