#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The benchmarks' raw input: 150 frames of the sample clip at SIZE and FPS
# as a .y4m in BUILD/bench/ (made once, never in git; scale and crop keep
# the person centred). Prints the file's path.
# usage: bench/make_clip.sh BUILD WxH FPS
set -euo pipefail
build=$1 size=$2 fps=$3
clip=../shared/data/video/doctor_26732.mp4
y4m=$build/bench/doctor_${size}_${fps}.y4m
if [ ! -s "$y4m" ]; then
    [ -f "$clip" ] || { echo "bench: $clip is missing (needs ../shared/data)" >&2; exit 1; }
    mkdir -p "$build/bench"
    ffmpeg -v error -y -i "$clip" -vf "fps=$fps,scale=${size%x*}:${size#*x}:force_original_aspect_ratio=increase,crop=${size%x*}:${size#*x}" \
        -frames:v 150 -pix_fmt yuv420p -f yuv4mpegpipe "$y4m"
fi
echo "$y4m"
