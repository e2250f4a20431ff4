#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs tests/soak.c twice: blur, then a video background (looped), each for
# FRAMES frames of a 320x180 clip (made here from ../shared/data/video,
# kept in BUILD/soak/, never in git). Extra arguments go to soak (--no-rss
# for the sanitizer build). Ends with "N passed, M failed, K skipped".
# usage: tests/soak.sh BUILD FRAMES [--no-rss]
set -u
build=$1 frames=$2
shift 2
clip=../shared/data/video/doctor_26732.mp4
bgvideo=../shared/data/video/thoughtful_35590.mp4
for f in "$clip" "$bgvideo"; do
    [ -f "$f" ] || { echo "soak: $f is missing (needs ../shared/data)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
done
in=$build/soak/doctor_320x180.y4m
if [ ! -s "$in" ]; then
    ffmpeg -v error -y -i "$clip" -vf "scale=320:180:force_original_aspect_ratio=increase,crop=320:180" \
        -frames:v 150 -pix_fmt yuv420p -f yuv4mpegpipe "$in" ||
        { echo "soak: cannot make $in"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
passed=0 failed=0 skipped=0
for bg in "" "$bgvideo"; do
    out=$("$build/soak/soak" "$in" "$frames" $bg "$@" 2>&1)
    rc=$?
    # soak's own closing line (tests/check.h): "N passed, M failed, K skipped"
    count='^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'
    printf '%s\n' "$out" | grep -Ev "$count"
    line=$(printf '%s\n' "$out" | grep -E "$count" | tail -n 1)
    p=0 f=1 k=0
    [ -n "$line" ] && read -r p _ f _ k _ <<<"${line//,/}"
    # LeakSanitizer's report makes the process fail after its own count
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { echo "FAIL soak exited $rc"; f=1; }
    [ -n "$line" ] || echo "FAIL soak printed no count line (exit $rc)"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
