#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make web-test: the WebAssembly build in real browsers and against the
# native library.
#  - Chromium (headless, its fake camera playing the doctor clip): the demo
#    page (cross-origin isolated: the threads build, live mode, and exact
#    mode asked for; the upload run not isolated: one thread, exact) with a colour, a blur and an uploaded
#    background, probed after
#    3 s; a corrupt upload leaves an error on the page and the old
#    background in place. The colour run's output canvas is saved as
#    build/web/screenshot.png. Its camera frames take the VideoFrame path
#    (copyTo in, a VideoFrame of their format out).
#  - Firefox ESR (headless, its fake camera): the page loads, processes,
#    fps > 0 (a smoke test).
#  - yuv frames: I420 and NV12 in any plane layout give the same masks and
#    output (under node);
#  - equality: masks of the wasm module (under node) and of the same C
#    built natively, byte for byte, with the library's C kernels;
#  - the wasm SIMD twins (model, refine, compositor) against their C
#    twins, under node.
# usage: tests/web/run.sh BUILD
set -u
build=${1:-build}
web=$build/web
out=$web/test-out
pass=0 fail=0 skip=0
t0=$(date +%s)
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
skip() {
    if [ "${CI:-}" = true ]; then nok "$* (missing under CI)"; else echo "skip - $*"; skip=$((skip + 1)); fi
}

rm -rf "$out" "$web/test"
mkdir -p "$out" "$web/test"
cp tests/web/process.html "$web/test/"
# The uploads: a plain blue picture, and a "JPEG" that is not one.
ffmpeg -loglevel error -y -f lavfi -i color=c=0x0000ff:s=640x360 -frames:v 1 "$web/test/blue.png"
head -c 4000 /dev/urandom > "$web/test/corrupt.jpg"

# Two servers: a plain one, and one whose pages are cross-origin isolated
# (COOP/COEP: the module's threads, live mode).
python3 tests/web/server.py "$web" "$out" > "$out/port" &
server=$!
python3 tests/web/server.py "$web" "$out" --isolated > "$out/port-isolated" &
server2=$!
trap 'kill $server $server2 2>/dev/null; [ -z "${browser:-}" ] || kill $browser 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$out/port" ] && [ -s "$out/port-isolated" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$out/port")/index.html"
isolated="http://127.0.0.1:$(cat "$out/port-isolated")/index.html"

# waits for N report lines in $out/NAME.jsonl (at most T seconds)
await() {
    local name=$1 n=$2 t=$3
    for _ in $(seq $((t * 10))); do
        [ -f "$out/$name.jsonl" ] && [ "$(wc -l < "$out/$name.jsonl")" -ge "$n" ] && return 0
        sleep 0.1
    done
    return 1
}

chromium_run() { # NAME QUERY REPORTS [PAGE]
    local name=$1 query=$2 n=$3 page=${4:-$base} prof
    prof=$(mktemp -d)
    chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$prof" \
        --use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
        --use-file-for-fake-video-capture="$web/doctor.y4m" \
        --autoplay-policy=no-user-gesture-required \
        "$page?$query&report=/report/$name" > "$out/$name.log" 2>&1 &
    browser=$!
    await "$name" "$n" 60
    local rc=$?
    kill $browser 2>/dev/null
    wait $browser 2>/dev/null
    browser=
    rm -rf "$prof"
    return $rc
}

# CHECK NAME PYTHON-EXPRESSION over r (the list of reports): prints why on failure
check() {
    local name=$1 what=$2 expr=$3
    if python3 - "$out/$name.jsonl" "$expr" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
def green(p): return p[1] > 200 and p[0] < 80 and p[2] < 80
def blue(p): return p[2] > 200 and p[0] < 80 and p[1] < 80
def light(p): return min(p[:3]) > 150 and max(p[:3]) - min(p[:3]) < 50
ok = eval(sys.argv[2])
if not ok:
    print('  reports:', json.dumps(r), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
    then ok "$what"; else nok "$what"; fi
}

have_chromium=1
command -v chromium >/dev/null || have_chromium=0
[ -f "$web/doctor.y4m" ] || have_chromium=0
if [ $have_chromium = 1 ]; then
    if chromium_run color "effect=color&color=00ff00&model=general&screenshot" 1 "$isolated"; then
        check color "chromium colour: corners green, the person's centre not, after 3 s" \
            'all(green(p) for p in r[0]["probes"][:2]) and not any(green(p) for p in r[0]["probes"][2:]) and r[0]["stats"]["frames"] > 0 and not r[0]["error"]'
        [ -f "$out/color.png" ] && cp "$out/color.png" "$web/screenshot.png"
        [ -s "$web/screenshot.png" ] && ok "chromium screenshot of the output: $web/screenshot.png" || nok "chromium screenshot"
        python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).readline())["stats"]; print("  chromium stats: %.1f fps, inference %.1f ms, refine %.1f ms, composite %.1f ms, %d frames" % (s["fps"], s["inference_ms"], s["refine_ms"], s["composite_ms"], s["frames"]))' "$out/color.jsonl"
        # the page's ms-per-stage readout comes from the library's stats
        # (bd_filter_get_stats), which a runtime without CPU clocks once
        # left at 0
        check color "chromium stage times: inference, refine and composite ms above 0" \
            'all(r[0]["stats"][k] > 0 for k in ("inference_ms", "refine_ms", "composite_ms"))'
        # the camera's VideoFrames go in by copyTo in their own format and
        # out as VideoFrames of it: no canvas readback, no RGBA
        check color "chromium: camera frames in by VideoFrame.copyTo (I420/NV12), out as VideoFrames of that format" \
            'r[0]["stats"]["input"] in ("I420 copyTo", "NV12 copyTo") and r[0]["stats"]["output"] == r[0]["stats"]["input"].split()[0] + " VideoFrame"'
        # cross-origin isolated: the threads build, the model on its own
        # thread (the filter's live mode, as the camera's)
        check color "chromium, cross-origin isolated: the threads build in live mode (the model on its own thread)" \
            'r[0]["stats"]["mode"] == "live" and r[0]["stats"]["frames"] > 0 and 0 < r[0]["stats"]["inferences"] <= r[0]["stats"]["frames_total"]'
        python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).readline())["stats"]; print("  chromium live: %d frames, %d of them taken by the model policy (the rest: the newest mask)" % (s["frames_total"], s["inferences"]))' "$out/color.jsonl"
    else
        nok "chromium colour: no report in 60 s ($(tail -c 300 "$out/color.log" | tr '\n' ' '))"
    fi
    # Backdrop.process() on camera VideoFrames, in both modes (live: the
    # 4th frame's mask may still be empty, the model's thread not having
    # finished its first run: frames take the newest mask there is)
    for mode in live exact; do
        if chromium_run "process-$mode" "mode=$mode" 1 "${isolated%index.html}test/process.html"; then
            check "process-$mode" "chromium process(VideoFrame), $mode: a VideoFrame of the camera's format back, the colour in its corner; the mask alone" \
                'not r[0]["error"] and len(r[0]["frames"]) == 3 and all(f["out"] == "VideoFrame" and f["format"] == f["in"] and (f["width"], f["height"]) == (640, 360) and f["mode"] == "'$mode'" and green(f["corner"]) for f in r[0]["frames"]) and r[0]["mask"]["type"] == "Uint8Array" and r[0]["mask"]["length"] == 640 * 360 and ("'$mode'" == "live" or 0 < r[0]["mask"]["person"] < 640 * 360 / 2)'
        else
            nok "chromium process(VideoFrame), $mode: no report in 60 s"
        fi
    done
    if chromium_run blur "effect=blur&blur=12&mode=exact" 1 "$isolated"; then
        check blur "chromium blur (isolated, mode=exact: threads there, every frame its own mask): corners the light blurred room (not black, not green), the person's centre the white coat" \
            'all(light(p) for p in r[0]["probes"][:2]) and light(r[0]["probes"][2]) and r[0]["stats"]["frames"] > 0 and not r[0]["error"] and r[0]["stats"]["mode"] == "exact" and r[0]["stats"]["inferences"] == r[0]["stats"]["frames_total"]'
    else
        nok "chromium blur: no report in 60 s"
    fi
    if chromium_run upload "background=test/blue.png&background=test/corrupt.jpg" 2; then
        check upload "chromium uploaded background (not isolated: one thread, exact mode): corners blue, the person's centre not" \
            'all(blue(p) for p in r[0]["probes"][:2]) and not any(blue(p) for p in r[0]["probes"][2:]) and not r[0]["error"] and r[0]["stats"]["mode"] == "exact" and r[0]["stats"]["input"].endswith("copyTo")'
        check upload "chromium corrupt upload: an error on the page, the old background continues" \
            '"background" in r[1]["error"] and all(blue(p) for p in r[1]["probes"][:2]) and r[1]["stats"]["frames"] > r[0]["stats"]["frames"]'
    else
        nok "chromium upload: no reports in 60 s"
    fi
else
    skip "chromium tests: chromium or $web/doctor.y4m missing (make deps-test; make web)"
fi

if command -v firefox-esr >/dev/null; then
    prof=$(mktemp -d)
    cat > "$prof/user.js" <<'JS'
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.autoplay.default", 0);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
JS
    firefox-esr --headless --no-remote --profile "$prof" "$base?effect=color&color=00ff00&report=/report/firefox" \
        > "$out/firefox.log" 2>&1 &
    browser=$!
    if await firefox 1 90; then
        check firefox "firefox-esr smoke (not isolated: one thread, exact; RGBA path: no insertable streams): loads, processes its fake camera, fps > 0" \
            'r[0]["stats"]["frames"] > 0 and r[0]["stats"]["fps"] > 0 and not r[0]["error"] and r[0]["stats"]["input"] == "RGBA readback" and r[0]["stats"]["mode"] == "exact"'
        python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).readline())["stats"]; print("  firefox stats: %.1f fps, inference %.1f ms, %d frames" % (s["fps"], s["inference_ms"], s["frames"]))' "$out/firefox.jsonl"
    else
        nok "firefox-esr smoke: no report in 90 s ($(tail -c 300 "$out/firefox.log" | tr '\n' ' '))"
    fi
    kill $browser 2>/dev/null
    wait $browser 2>/dev/null
    browser=
    rm -rf "$prof"
else
    skip "firefox-esr smoke: firefox-esr missing (make deps-test)"
fi

# Equality: the library's C kernels natively (its AVX2/FMA twins round
# differently by design), the same frames and settings.
frames=$web/doctor-640x360.rgba
for settings in "" "model=landscape mask-low=30 mask-high=70"; do
    BACKDROP_REF_ISA=base BACKDROP_MASK_ISA=base "$build/tests/web/native_masks" "$frames" 640 360 "$out/native.mask" $settings &&
        node tests/web/masks.mjs "$web" "$frames" 640 360 "$out/wasm.mask" $settings > "$out/node.log" 2>&1
    if [ $? -eq 0 ] && [ -s "$out/native.mask" ] && cmp -s "$out/native.mask" "$out/wasm.mask"; then
        ok "equality: wasm masks = native masks byte for byte, 6 frames 640x360${settings:+, $settings}"
    else
        nok "equality${settings:+ ($settings)}: $(cmp "$out/native.mask" "$out/wasm.mask" 2>&1 | head -1; tail -c 200 "$out/node.log")"
    fi
done

# An odd-sized frame (the filter takes even sizes): node, the module alone.
if node --no-experimental-fetch tests/web/odd.mjs "$web" "$web/doctor-640x360.rgba" > "$out/odd.log" 2>&1; then
    ok "odd size: $(tail -1 "$out/odd.log")"
else
    nok "odd size: $(tail -c 300 "$out/odd.log")"
fi

# The camera's own frames (bdw_process_yuv: what VideoFrame.copyTo feeds):
# I420 and NV12 in any layout, the same masks and output.
if node --no-experimental-fetch tests/web/yuv.mjs "$web" "$web/doctor-640x360.i420" 640 360 > "$out/yuv.log" 2>&1; then
    ok "yuv frames: $(tail -1 "$out/yuv.log")"
else
    nok "yuv frames: $(tail -c 300 "$out/yuv.log")"
fi

# The wasm SIMD kernels against their C twins (node; this emscripten's
# loader fetch()es its .wasm unless node's fetch is off).
if node --no-experimental-fetch "$web/tests/test_refine_simd128.js" > "$out/twins.log" 2>&1; then
    ok "simd128 refine kernels = their C twins ($(tail -1 "$out/twins.log"))"
else
    sed 's/^/  /' "$out/twins.log" | tail -20
    nok "simd128 refine kernels = their C twins"
fi
# The ref backend's op tests under wasm: its baseline variant with the
# simd128 twins against naive references, and bit for bit against the
# plain C (bd_ref_simd(0)); the x86 variants are absent there.
if node --no-experimental-fetch "$web/tests/test_ref_ops.js" > "$out/ref-ops.log" 2>&1; then
    ok "ref backend ops under wasm: naive references, simd128 twins = plain C ($(tail -1 "$out/ref-ops.log"))"
else
    grep FAIL "$out/ref-ops.log" | head -20 | sed 's/^/  /'
    nok "ref backend ops under wasm ($(tail -1 "$out/ref-ops.log"))"
fi
if node --no-experimental-fetch "$web/tests/test_composite_simd128.js" > "$out/twins-composite.log" 2>&1; then
    ok "simd128 compositor kernels = their C twins ($(tail -1 "$out/twins-composite.log"))"
else
    sed 's/^/  /' "$out/twins-composite.log" | tail -20
    nok "simd128 compositor kernels = their C twins"
fi

echo "web-test: $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
