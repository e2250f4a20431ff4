#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make bench-web: headless Chromium, its fake camera playing the doctor clip
# at 1280x720; backdrop's wasm (default settings, in its Worker) and
# MediaPipe's own wasm (@mediapipe/selfie_segmentation, SIMD, general model)
# on the same frames, interleaved; then the sustained fps of the whole
# Worker loop on the live camera (bench.js), in turns: the module's
# VideoFrame path, its RGBA path and, with BASELINE (another build's web/
# folder, e.g. main's), that build. Prints the table and the ratios.
# usage: bench/web/run.sh BUILD NPM [FRAMES [SETTINGS [BASELINE]]]  (SETTINGS: a&b query, e.g. model=general)
set -eu
build=$1 npm=$2 n=${3:-60} settings=${4:-} baseline=${5:-}
web=$build/web
out=$web/bench-out
rm -rf "$out" "$web/bench"
mkdir -p "$out" "$web/bench"
cp bench/web/bench.html bench/web/bench.js "$web/bench/"
ln -s "$(realpath "$npm/selfie_segmentation/package")" "$web/bench/mediapipe"
if [ -n "$baseline" ]; then
    [ -f "$baseline/backdrop.js" ] || { echo "bench-web: no backdrop.js in $baseline (a build's web/ folder)" >&2; exit 1; }
    ln -s "$(realpath "$baseline")" "$web/bench/baseline"
    settings="baseline=1${settings:+&$settings}"
fi
python3 tests/web/server.py "$web" "$out" --isolated > "$out/port" &
server=$!
prof=$(mktemp -d)
trap 'kill $server 2>/dev/null; [ -z "${browser:-}" ] || kill $browser 2>/dev/null; rm -rf "$prof"' EXIT
for _ in $(seq 50); do [ -s "$out/port" ] && break; sleep 0.1; done
# MediaPipe's solution draws with WebGL: SwiftShader, the software GL, here.
chromium --headless=new --no-sandbox --user-data-dir="$prof" --enable-unsafe-swiftshader \
    --use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
    --use-file-for-fake-video-capture="$web/doctor-720p.y4m" \
    "http://127.0.0.1:$(cat "$out/port")/bench/bench.html?n=$n&report=/report/bench${settings:+&$settings}" > "$out/chromium.log" 2>&1 &
browser=$!
for _ in $(seq 4500); do [ -s "$out/bench.jsonl" ] && break; sleep 0.1; done
kill $browser 2>/dev/null || true
browser=
[ -s "$out/bench.jsonl" ] || { echo "bench-web: no result in 450 s" >&2; tail -5 "$out/chromium.log" >&2; exit 1; }
echo "load: $(uptime)"
python3 - "$out/bench.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
if 'error' in r:
    sys.exit('bench-web: ' + r['error'])
o, m, s = r['ours'], r['mediapipe'], r['sustained']
print(f"bench-web: headless Chromium, {r['width']}x{r['height']}, settings {r.get('settings') or 'default'}")
print()
print("Sustained, the whole Worker loop (camera track in, output VideoFrame out), 720p30 camera;")
print("each kind's median turn (stages: medians over the turn, ms):")
print()
print("| path | fps sustained | camera frames out | frames the model policy took | Worker ms a frame (mean) | inference | refine | composite | turns (fps) |")
print("|---|---|---|---|---|---|---|---|---|")
names = {'live': 'live: threads, VideoFrame in/out',
         'yuv': 'exact: one thread, VideoFrame in/out',
         'rgba': "exact: one thread, RGBA in/out (main's path)",
         'baseline': 'baseline build (exact, RGBA)'}
for k, v in s.items():
    f = lambda x: f"{v[x]:.1f}" if x in v else '-'
    pc = lambda x: f"{100 * v[x]:.0f}%" if x in v else '-'
    print(f"| {names.get(k, k)} | **{v['fps']:.1f}** | {pc('camera_share')} | {pc('policy_share')} | {f('worker_ms')} | "
          f"{f('inference_ms')} | {f('refine_ms')} | {f('composite_ms')} | {', '.join(map(str, v['fps_turns']))} |")
print()
print("inference: the model's input and runs per output frame (live: on the model's own thread, beside the frames').")
print("VideoFrame in/out: VideoFrame.copyTo into the wasm heap, a VideoFrame of its format out; RGBA: canvas readback, RGBA out.")
print("frames the model policy took: exact, each frame's mask is made from that frame (the policy may keep the last")
print("map); live, the other frames are refined and composited with the newest mask, made from an earlier frame.")
for a in ('live', 'yuv'):
    for k in ('yuv', 'rgba', 'baseline'):
        if a != k and a in s and k in s and s[k]['fps'] > 0:
            print(f"\nratio fps sustained, {names[a]} / {names[k]}: {s[a]['fps'] / s[k]['fps']:.2f}", end='')
print("\n")
print(f"Per frame, {r['frames']} frames interleaved with MediaPipe (ImageBitmap in, RGBA out; medians, ms):")
print()
print("| | inference | refine | composite | pipeline | Worker round trip |")
print("|---|---|---|---|---|---|")
print(f"| backdrop wasm (Worker) | {o['inference_ms']:.1f} | {o['refine_ms']:.1f} | {o['composite_ms']:.1f} | "
      f"{o['pipeline_ms']:.1f} ({o['pipeline_fps']:.1f} fps) | {o['call_ms']:.1f} ({o['fps']:.1f} fps) |")
print(f"| MediaPipe wasm (selfie_segmentation, general): segmentation | | | | {m['segmentation_ms']:.1f} ({m['fps']:.1f} fps) | |")
print()
print(f"ratio ours/MediaPipe: inference {r['ratio_inference']:.2f}, whole pipeline {r['ratio_pipeline']:.2f}")
PY
