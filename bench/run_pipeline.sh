#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Full-pipeline benchmark (bench/bench_pipeline.c) at 640x480, 1280x720 and
# 1920x1080: raw .y4m inputs made from the sample clip (kept in
# BUILD/bench/, never in git), offline runs (inference on every frame)
# with pass-through / blur / image, and a live run at the input's rate.
# 1080p is also made at 60 fps for the sustained-rate check.
# usage: bench/run_pipeline.sh BUILD [FRAMES]
set -euo pipefail
build=$1 frames=${2:-300}
clip=../shared/data/video/doctor_26732.mp4
bg=../shared/data/video/girl-919048_1280.jpg
for f in "$clip" "$bg"; do
    [ -f "$f" ] || { echo "bench: $f is missing (needs ../shared/data)" >&2; exit 1; }
done
mkdir -p "$build/bench"
make --no-print-directory -s "$build/bench/bench_pipeline" "$build/bench/bench_stages" \
    "$build/bench/bench_source"
for spec in 640x480:30 1280x720:30 1920x1080:30 1920x1080:60; do
    size=${spec%:*} fps=${spec#*:}
    y4m=$(bench/make_clip.sh "$build" "$size" "$fps")
    label=${size}@${fps}
    n=$frames
    [ "$fps" = 60 ] && n=$((frames * 2))
    "$build/bench/bench_pipeline" "$y4m" "$label" "$n" "$bg"
done | tee "$build/bench/pipeline.txt"
# Summary: CPU per frame over pass-through, in the same run.
awk '
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
  v["mode"] == "offline" && v["effect"] == "pass" { pass[v["size"]] = v["cpu_ms"] }
  v["mode"] == "offline" && v["effect"] != "pass" && v["effect"] != "warmup" {
      printf "%-14s %-8s cpu %.2f ms/frame (pass-through %.2f, added %.2f; infer %.2f mask %.2f composite %.2f output %.2f; model runs %.2f a frame)\n",
          v["size"], v["effect"], v["cpu_ms"], pass[v["size"]], v["cpu_ms"] - pass[v["size"]],
          v["infer_ms"], v["mask_ms"], v["composite_ms"], v["output_ms"],
          v["frames"] ? v["model_runs"] / v["frames"] : 0 }
  v["mode"] == "live" {
      printf "%-14s live   %.1f fps out of %.2f, dropped %d, cpu %.0f%% of a core, latency p50 %.2f p99 %.2f ms (frame interval %.1f ms)\n",
          v["size"], v["wall_fps"], v["in_fps"], v["dropped"], v["cpu_pct"], v["lat_p50_ms"], v["lat_p99_ms"], 1000 / v["in_fps"] }
' "$build/bench/pipeline.txt"
# The source alone: the live runs read a .y4m file where a user has a
# camera; a camera costs its YUYV -> I420 conversion instead (and the null
# output leaves out the loopback's copy a camera's user also pays).
for spec in 1280x720:30 1920x1080:60; do
    "$build/bench/bench_source" "$(bench/make_clip.sh "$build" "${spec%:*}" "${spec#*:}")" 300 3
done
# Refinement + compositing alone, on the clip's real frames and masks.
"$build/bench/bench_stages" "$(bench/make_clip.sh "$build" 1280x720 30)"
echo "targets: 1280x720 blur-raw <= 3.3 ms CPU per frame with inference on every frame;"
echo "         refinement + compositing (mask + composite of blur) <= 1.5 ms at 1280x720;"
echo "         1920x1080@60 live at 60 fps; latency p99 <= one frame interval"
