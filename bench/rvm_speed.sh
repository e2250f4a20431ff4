#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# RVM's speed figures of bench/rvm-fusion.md, in one run (the load average
# printed before and after: the machine is shared):
#  1. the engine alone (bench/bench_rvm.c, sizes and thread counts
#     interleaved round by round): auto at 1 and 2 threads, and XNNPACK
#     forced at 2 threads (what auto picked before);
#  2. against TF.js (tfjs-backend-wasm) on the same 5 video frames at
#     1280x720, ratio 0.5, the automatic one there (tests/rvm_golden.c:
#     per-frame medians);
#  3. the live camera at 720p30: a 720p30 .y4m paced as a camera delivers
#     it (bench/bench_pipeline.c MODEL THREADS): output fps and the mask
#     rate, the default model's and --model rvm's at 1 and 2 threads.
# usage: bench/rvm_speed.sh BUILD NPM [ROUNDS] [LIVE_FRAMES]
set -euo pipefail
build=$1 npm=$2 rounds=${3:-7} frames=${4:-300}
make --no-print-directory -s NPM="$npm" "$build/bench/bench_rvm" "$build/bench/bench_pipeline" "$build/rvm_golden"
rvm=$(scripts/fetch-models.sh "$npm" rvm)
tfjs=$(scripts/fetch-models.sh "$npm" rvm-ref)
y4m=$(bench/make_clip.sh "$build" 1280x720 30)
bg=../shared/data/video/girl-919048_1280.jpg
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  $(date -u +%FT%TZ)"
"$build/bench/bench_rvm" "$rvm/rvm.json" "$rounds" 640x480:auto:1 640x480:auto:2 1280x720:auto:1 \
    1280x720:auto:2 1920x1080:auto:1 1920x1080:auto:2 1280x720:auto:2:xnnpack
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/rvm_golden" "$rvm" "$tfjs" tools/rvmref/run.js ../shared/data/video/doctor_26732.mp4 \
    "$build/rvm-golden" 1280x720:0.5 | grep -E "per frame|passed"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for m in auto:1 rvm:1 rvm:2; do
    "$build/bench/bench_pipeline" "$y4m" 1280x720@30 "$frames" "$bg" "${m%:*}" "${m#*:}"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)  $(date -u +%FT%TZ)"
