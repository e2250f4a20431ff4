#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The full-pipeline benchmark (bench/bench_pipeline.c), this tree against
# another commit, in one run: for each size, base then new, ROUNDS times
# in turn, so that the machine's drift falls on both alike. Prints each
# run's summary and a table of the medians: CPU ms per frame of blur-raw
# (one model run) and of the default blur, their ratio, model runs a frame,
# and the live run's CPU in % of a core. The base is built in a temporary
# git worktree (with the models of NPM), then removed.
#
# usage: bench/ab_pipeline.sh BUILD BASE_COMMIT [ROUNDS] [SIZES]
#   SIZES: e.g. "640x480:30 1280x720:30 1920x1080:60" (the default)
#   NPM=dir: the models (default BUILD/npm)
#   BASE_BIN=file: BASE's bench_pipeline, already built (else built here)
set -euo pipefail
build=$1 base=$2 rounds=${3:-1} sizes=${4:-"640x480:30 1280x720:30 1920x1080:60"}
npm=${NPM:-$build/npm}
frames=300
bg=../shared/data/video/girl-919048_1280.jpg
git rev-parse --verify -q "$base^{commit}" > /dev/null || {
    echo "ab_pipeline: '$base' is not a commit of this repository" >&2
    exit 1
}
make --no-print-directory -s NPM="$npm" "$build/bench/bench_pipeline"
if [ -n "${BASE_BIN:-}" ]; then
    old=$BASE_BIN # BASE's bench_pipeline, built before (the build takes minutes)
else
    wt=$(mktemp -d)
    trap 'git worktree remove --force "$wt" > /dev/null 2>&1 || rm -rf "$wt"' EXIT
    git worktree add -q --detach "$wt" "$base"
    make --no-print-directory -s -j2 -C "$wt" NPM="$npm" build/bench/bench_pipeline > "$wt/build.log" 2>&1 || {
        echo "ab_pipeline: building $base failed:" >&2
        tail -5 "$wt/build.log" >&2
        exit 1
    }
    old=$wt/build/bench/bench_pipeline
fi
new=$build/bench/bench_pipeline
out=$build/bench/ab_pipeline.txt
: > "$out"
for spec in $sizes; do
    size=${spec%:*} fps=${spec#*:}
    y4m=$(bench/make_clip.sh "$build" "$size" "$fps")
    n=$frames
    [ "$fps" = 60 ] && n=$((frames * 2))
    for ((i = 0; i < rounds; i++)); do
        for who in base new; do
            bin=$old
            [ "$who" = new ] && bin=$new
            "$bin" "$y4m" "${size}@${fps}" "$n" "$bg" | sed "s/^/tree=$who /" | tee -a "$out" |
                awk '/effect=(blur-raw|blur) / { print }' | cut -c1-160
        done
    done
done
echo
# medians per tree and size
awk '
  { delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
  v["mode"] == "offline" && (v["effect"] == "blur-raw" || v["effect"] == "blur") {
      k = v["tree"] SUBSEP v["size"] SUBSEP v["effect"]
      cpu[k] = cpu[k] " " v["cpu_ms"]
      if ("model_runs" in v) runs[k] = runs[k] " " v["model_runs"] / v["frames"]
      sizes[v["size"]] = 1
  }
  v["mode"] == "live" { live[v["tree"] SUBSEP v["size"]] = live[v["tree"] SUBSEP v["size"]] " " v["cpu_pct"] }
  function med(s,   a, n, i, j, t) {
      n = split(s, a, " "); if (!n) return -1
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j] < a[j - 1]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return a[int((n + 1) / 2)]
  }
  END {
      printf "%-14s %-5s %9s %9s %7s %10s %9s\n", "size", "tree", "raw ms", "blur ms", "ratio", "runs/frame", "live %"
      for (s in sizes) for (t = 0; t < 2; t++) {
          tr = t ? "new" : "base"
          r = med(cpu[tr, s, "blur-raw"]); b = med(cpu[tr, s, "blur"]); rn = med(runs[tr, s, "blur"])
          printf "%-14s %-5s %9.2f %9.2f %7.2f %10s %9.0f\n", s, tr, r, b, b / r,
              rn < 0 ? "-" : sprintf("%.2f", rn), med(live[tr, s])
      }
  }' "$out"
