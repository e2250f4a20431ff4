#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Smoke test of the VM harness: the V4L2 devices that run.sh promises.
#   tests/vm/run.sh tests/vm/smoke.sh
# Runs inside the VM (as root, in a chroot of the host's /). The last line
# is "N passed, M failed[, K skipped]"; the exit code is 1 if any failed.
set -u

if [ -z "${VM_OUT:-}" ]; then
    echo "smoke.sh runs inside the VM: tests/vm/run.sh tests/vm/smoke.sh" >&2
    exit 2
fi

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# field DEVICE LABEL: a "Label : value" line of v4l2-ctl --all
field() { v4l2-ctl -d "$1" --all 2>/dev/null | sed -n "s/^[[:space:]]*$2[[:space:]]*: //p" | head -n 1; }

section "kernel $(uname -r), $(dmesg | grep -o 'v4l2loopback driver version [0-9.]*' | tail -n 1)"
v4l2-ctl --list-devices

section "vivid at /dev/video0"
check "/dev/video0 is a character device" test -c /dev/video0
drv=$(field /dev/video0 'Driver name')
check "/dev/video0 driver is vivid (got '$drv')" test "$drv" = vivid
v4l2-ctl -d /dev/video0 --list-formats-ext | head -n 12
check "vivid lists YUYV" sh -c "v4l2-ctl -d /dev/video0 --list-formats | grep -q YUYV"

section "v4l2loopback at /dev/video10..13"
for n in 10 11 12 13; do
    dev=/dev/video$n
    if [ ! -c "$dev" ]; then
        fail "$dev exists"
        continue
    fi
    drv=$(field "$dev" 'Driver name')
    # v4l2loopback 0.12 says "v4l2 loopback", later versions "v4l2loopback"
    check "$dev driver is v4l2loopback (got '$drv')" test "${drv// /}" = v4l2loopback
done
v4l2-ctl -d /dev/video10 --info

section "stream 30 frames from vivid"
# vivid starts at 5 fps; under TCG it keeps up with 30 fps at 640x360
v4l2-ctl -d /dev/video0 --set-fmt-video=width=640,height=360,pixelformat=YUYV --set-parm=30
size=$(field /dev/video0 'Size Image')
rm -f "$VM_OUT/frames.raw"
start=$(date +%s.%N)
timeout 120 v4l2-ctl -d /dev/video0 --stream-mmap --stream-count=30 --stream-to="$VM_OUT/frames.raw"
rc=$?
echo
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
got=$(stat -c %s "$VM_OUT/frames.raw" 2>/dev/null || echo 0)
check "v4l2-ctl --stream-mmap exited 0 (rc $rc, ${secs}s)" test "$rc" = 0
check "frames.raw is 30 x $size bytes (got $got)" test -n "$size" -a "$got" = "$((30 * ${size:-0}))"

section "ffmpeg -> /dev/video10 -> v4l2-ctl"
if ! command -v ffmpeg >/dev/null; then
    skip_provided "ffmpeg is not installed on the host (apt-get install ffmpeg)"
else
    w=320 h=240
    ffmpeg -hide_banner -nostats -loglevel error -re -f lavfi -i "testsrc2=size=${w}x${h}:rate=15" \
        -t 120 -pix_fmt yuyv422 -f v4l2 /dev/video10 </dev/null &
    ff=$!
    # With exclusive_caps=1 the device turns into a capture device once a
    # producer has set a format and started writing.
    ok=0
    for _ in $(seq 1 60); do
        if v4l2-ctl -d /dev/video10 --info 2>/dev/null | grep -q 'Video Capture'; then
            ok=1
            break
        fi
        kill -0 $ff 2>/dev/null || break
        sleep 0.5
    done
    check "/dev/video10 offers Video Capture once ffmpeg writes" test $ok = 1
    v4l2-ctl -d /dev/video10 --info | sed -n '/Device Caps/,$p'
    v4l2-ctl -d /dev/video10 --get-fmt-video | grep -E 'Width|Pixel|Size Image'
    rm -f "$VM_OUT/loop.raw"
    timeout 60 v4l2-ctl -d /dev/video10 --stream-mmap --stream-count=10 --stream-to="$VM_OUT/loop.raw"
    rc=$?
    echo
    frame=$((w * h * 2))
    got=$(stat -c %s "$VM_OUT/loop.raw" 2>/dev/null || echo 0)
    check "v4l2-ctl read from /dev/video10 (rc $rc)" test "$rc" = 0
    check "loop.raw is 10 x $frame bytes (got $got)" test "$got" = $((10 * frame))
    # testsrc2 is colourful and moves: a frame has many byte values and
    # the first and last frames differ.
    if [ "$got" = $((10 * frame)) ]; then
        values=$(head -c $frame "$VM_OUT/loop.raw" | tail -c 32768 | od -An -v -tu1 -w1 | sort -u | wc -l)
        check "a frame from the loopback is a picture ($values distinct byte values)" test "$values" -gt 32
        check "the frames change" bash -c "! cmp -s <(head -c $frame '$VM_OUT/loop.raw') <(tail -c $frame '$VM_OUT/loop.raw')"
    else
        fail "a frame from the loopback is a picture (no frames)"
        fail "the frames change (no frames)"
    fi
    kill $ff 2>/dev/null
    wait $ff 2>/dev/null
fi

echo
line="$passed passed, $failed failed"
[ $skipped = 0 ] || line+=", $skipped skipped"
echo "$line"
[ $failed = 0 ]
