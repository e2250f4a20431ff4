#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make bench-web: headless Chromium, its fake camera playing the doctor clip
# at 1280x720; backdrop's wasm (default settings, in its Worker) and
# MediaPipe's own wasm (@mediapipe/selfie_segmentation, SIMD, general model)
# on the same frames, interleaved. Prints the table and the ratios.
# usage: bench/web/run.sh BUILD NPM [FRAMES [SETTINGS]]  (SETTINGS: a&b query, e.g. model=general)
set -eu
build=$1 npm=$2 n=${3:-60} settings=${4:-}
web=$build/web
out=$web/bench-out
rm -rf "$out" "$web/bench"
mkdir -p "$out" "$web/bench"
cp bench/web/bench.html bench/web/bench.js "$web/bench/"
ln -s "$(realpath "$npm/selfie_segmentation/package")" "$web/bench/mediapipe"
python3 tests/web/server.py "$web" "$out" > "$out/port" &
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
for _ in $(seq 3000); do [ -s "$out/bench.jsonl" ] && break; sleep 0.1; done
kill $browser 2>/dev/null || true
browser=
[ -s "$out/bench.jsonl" ] || { echo "bench-web: no result in 300 s" >&2; tail -5 "$out/chromium.log" >&2; exit 1; }
python3 - "$out/bench.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
if 'error' in r:
    sys.exit('bench-web: ' + r['error'])
o, m = r['ours'], r['mediapipe']
print(f"bench-web: headless Chromium, {r['width']}x{r['height']}, {r['frames']} frames (medians, ms), settings {r.get('settings') or 'default'}")
print(f"  backdrop wasm (Worker): inference {o['inference_ms']:.1f}  refine {o['refine_ms']:.1f}  "
      f"composite {o['composite_ms']:.1f}  pipeline {o['pipeline_ms']:.1f}  ({o['pipeline_fps']:.1f} fps; "
      f"with the Worker round trip {o['call_ms']:.1f} ms, {o['fps']:.1f} fps)")
print(f"  MediaPipe wasm (selfie_segmentation, general): segmentation {m['segmentation_ms']:.1f}  ({m['fps']:.1f} fps)")
print(f"  ratio ours/theirs: inference {r['ratio_inference']:.2f}, whole pipeline {r['ratio_pipeline']:.2f}")
PY
