#!/usr/bin/env bash
# Runs tests/soak.c twice: blur, then a video background (looped), each for
# FRAMES frames of a 320x180 clip (made here from ../shared/data/video,
# kept in BUILD/soak/, never in git). Extra arguments go to soak (--no-rss
# for the sanitizer build). Ends with "N passed, M failed, 0 skipped".
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
passed=0 failed=0
for bg in "" "$bgvideo"; do
    out=$("$build/soak/soak" "$in" "$frames" $bg "$@" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    p=${line%% *}
    f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed/\1/p')
    [ -n "$line" ] || { p=0 f=1; }
    # LeakSanitizer's report makes the process fail after its own count
    [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && { echo "FAIL soak exited $rc"; f=1; }
    passed=$((passed + p)) failed=$((failed + f))
done
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
