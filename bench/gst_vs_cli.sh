#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The GStreamer element's CPU per frame against the CLI's, at 1280x720, in
# one interleaved run (the machine is shared: each round runs all four in
# turn, and the medians are compared). Both read the same 150 raw I420
# frames of the sample clip (bench/make_clip.sh), offline / exact mode
# (every frame its own mask), blur (the default effect), output thrown
# away:
#   cli      backdrop -i clip.y4m -o null --pace offline
#   cli-pass the same with --effect none (reading and writing alone)
#   gst      filesrc ! rawvideoparse ! backdrop mode=exact ! fakesink
#   gst-pass the same with identity instead of backdrop
# CPU = user + system time of the whole process, per frame; "added" is
# over its own pass-through.
# usage: bench/gst_vs_cli.sh BUILD [ROUNDS]
set -euo pipefail
build=$1 rounds=${2:-3}
make --no-print-directory -s "$build/backdrop" "$build/gstreamer/libgstbackdrop.so"
y4m=$(bench/make_clip.sh "$build" 1280x720 30)
raw=$build/bench/doctor_1280x720_30.yuv
[ -s "$raw" ] || ffmpeg -v error -y -i "$y4m" -f rawvideo -pix_fmt yuv420p "$raw"
frames=$(($(stat -c %s "$raw") / (1280 * 720 * 3 / 2)))
export GST_PLUGIN_PATH=$build/gstreamer GST_REGISTRY=$build/bench/gst-registry.bin
gst_run() { # element
    gst-launch-1.0 -q filesrc location="$raw" blocksize=1382400 ! \
        rawvideoparse width=1280 height=720 format=i420 framerate=30/1 ! "$@" ! fakesink sync=false
}
cpu() { # command... : prints user+system seconds of it
    local t0 t1 me=$BASHPID # this shell's: the command's time is in its cutime
    t0=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$me/stat")
    "$@" >/dev/null
    t1=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$me/stat")
    echo "$t0 $t1" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($2 - $1) / hz}'
}
out=$build/bench/gst_vs_cli.txt
: >"$out"
gst_run identity >/dev/null # the registry, once
for r in $(seq "$rounds"); do
    for k in cli cli-pass gst gst-pass; do
        case $k in
        cli) s=$(cpu "$build/backdrop" -q -i "$y4m" -o null --pace offline) ;;
        cli-pass) s=$(cpu "$build/backdrop" -q -i "$y4m" -o null --pace offline --effect none) ;;
        gst) s=$(cpu gst_run backdrop mode=exact) ;;
        gst-pass) s=$(cpu gst_run identity) ;;
        esac
        echo "round=$r run=$k frames=$frames cpu_s=$s" | tee -a "$out"
    done
done
awk '
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    n[v["run"]]++; t[v["run"], n[v["run"]]] = v["cpu_s"] / v["frames"] * 1000 }
  function med(k,   a, i, j, c, x) {
      c = n[k]; for (i = 1; i <= c; i++) a[i] = t[k, i]
      for (i = 2; i <= c; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2 }
  END {
      cli = med("cli"); cp = med("cli-pass"); g = med("gst"); gp = med("gst-pass")
      printf "1280x720, %d rounds, medians (CPU ms per frame, whole process):\n", n["cli"]
      printf "  cli %.2f (pass-through %.2f, added %.2f)\n", cli, cp, cli - cp
      printf "  gst %.2f (pass-through %.2f, added %.2f)\n", g, gp, g - gp
      printf "  element / CLI: %.2f in total, %.2f added over pass-through\n", g / cli, (g - gp) / (cli - cp) }
' "$out"
