#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fuzzes backdrop's parsers with libFuzzer, one target after another.
# Usage: scripts/fuzz.sh BUILD SECONDS [TARGET...]   (make fuzz / make fuzz-smoke)
# TARGET: tflite (the model reader), tfjs (the TF.js graph-model reader;
# seeds from fuzz/make_tfjs_seeds.py and RVM when it is in the cache), image (still images), y4m (the
# YUV4MPEG2 reader), options (the camera's options and config file),
# background (FFmpeg-backed files, as --background and --input read them);
# all five when none is named. SECONDS is per target; 0 replays the corpus
# once without fuzzing.
#
# For each target:
#  1. Runs every kept regression input through the target (tflite:
#     fuzz/regressions/*.crash; others: fuzz/regressions/TARGET/*); fails if
#     any crashes (those are bugs we already fixed once).
#  2. Builds the seed corpus in BUILD/fuzz/corpus (tflite) or
#     BUILD/fuzz/corpus-TARGET (kept between runs, never in git). tflite:
#     the two selfie models, the models in ../shared/data/models when
#     present, small synthetic models from fuzz/make_seeds.py (one per
#     supported op; needs python3) and the regressions. image, y4m and
#     background: tiny files made here with ffmpeg; options: config files
#     and command lines written here.
#  3. Fuzzes for SECONDS; exits non-zero if libFuzzer reports a crash, a
#     sanitizer error, a leak, a broken invariant, a timeout or an OOM. The
#     crashing input is left in BUILD/fuzz/artifacts/.
#
# Large inputs (tflite): -max_len is at least 3 MiB (and at least the
# largest seed) so the real models (up to 2.7 MB) are mutated whole.
# libFuzzer mutates such inputs slowly, so most of the work is done on the
# synthetic seeds, which are a few hundred bytes and cover every op parser;
# -dict=fuzz/tflite.dict gives the mutator the tokens (TFL3, builtin codes,
# extreme int32s) it would otherwise have to find byte by byte.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 BUILD SECONDS [tflite|image|y4m|options|background ...]" >&2
    exit 2
fi
build=$1
secs=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tflite tfjs image y4m options background)
here=$(cd "$(dirname "$0")/.." && pwd)
artifacts=$build/fuzz/artifacts
mkdir -p "$artifacts"
common=(-rss_limit_mb=2048 -timeout=30)
for t in "${targets[@]}"; do
    if [ ! -x "$build/fuzz/fuzz_$t" ]; then
        echo "fuzz: $build/fuzz/fuzz_$t is not built; run 'make fuzz-build'" >&2
        exit 2
    fi
done

# Runs the target's kept regression inputs ($@); fails on any crash.
run_regressions() {
    local bad=0 f
    for f in "$@"; do
        if ! "$fuzzer" "${common[@]}" "$f" >"$build/fuzz/regression.log" 2>&1; then
            echo "fuzz: REGRESSION: $f crashes again:" >&2
            grep -E "invariant broken|runtime error|ERROR|SUMMARY" "$build/fuzz/regression.log" | head -5 >&2 || true
            bad=$((bad + 1))
        fi
    done
    if [ "$bad" -ne 0 ]; then
        echo "fuzz: $bad of $# $target regression inputs crash" >&2
        exit 1
    fi
    echo "fuzz: $target: $# regression inputs pass"
}

# Runs libFuzzer on $corpus for $secs with the extra flags given.
fuzz_run() {
    local log=$build/fuzz/fuzz-$target.log rc
    # SECONDS 0: replay the corpus once, no mutation
    local budget=(-max_total_time="$secs")
    [ "$secs" = 0 ] && budget=(-runs=0)
    local cmd=("$fuzzer" "${common[@]}" "${budget[@]}" -artifact_prefix="$artifacts/$target-"
               -print_final_stats=1 "$@" "$corpus")
    echo "fuzz: ${cmd[*]}"
    set +e
    "${cmd[@]}" >"$log" 2>&1
    rc=$?
    set -e
    # The last status line (#N DONE cov: ... ft: ... corp: ... exec/s ...) and
    # the final stats.
    grep -aE '^#[0-9]+' "$log" | tail -n 1 || true
    grep -aE '^stat::' "$log" || true
    if [ "$rc" -ne 0 ]; then
        echo "fuzz: $target FAILED (exit $rc); full log in $log" >&2
        grep -aE "invariant broken|runtime error|ERROR:|SUMMARY|Test unit written" "$log" | head -10 >&2 || true
        echo "fuzz: fix the bug, then keep the input in fuzz/regressions/ (see its README)" >&2
        exit 1
    fi
    if [ "$secs" = 0 ]; then echo "fuzz: $target: the corpus replays without a crash"; else echo "fuzz: $target: no crash in ${secs}s"; fi
}

# Regressions of a non-tflite target: fuzz/regressions/TARGET/*.
target_regressions() {
    local list=() f
    for f in "$here/fuzz/regressions/$target"/*; do
        [ -f "$f" ] && list+=("$f")
    done
    run_regressions "${list[@]}"
    for f in "${list[@]}"; do
        cp -f "$f" "$corpus/regression_$(basename "$f")"
    done
}

fuzz_image() {
    target_regressions
    # small JPEGs and PNGs of each kind libjpeg/libpng take different paths for
    local spec
    for spec in "a.jpg:16x12:yuvj420p" "b.jpg:9x7:yuvj444p" "c.jpg:8x8:gray" "d.png:13x9:rgb24" \
                "e.png:8x8:gray" "f.png:7x5:rgba" "g.png:9x9:pal8" "h.png:6x6:rgb48be"; do
        local name=${spec%%:*} rest=${spec#*:}
        [ -s "$corpus/seed_$name" ] || ffmpeg -v error -y -f lavfi -i "testsrc=size=${rest%%:*}:rate=1" \
            -frames:v 1 -pix_fmt "${rest#*:}" "$corpus/seed_$name" ||
            echo "fuzz: warning: ffmpeg could not make seed $name" >&2
    done
    fuzz_run -max_len=65536 -close_fd_mask=1
}

fuzz_y4m() {
    target_regressions
    local spec
    for spec in "a:9x7:yuv420p" "b:16x16:yuv420p" "c:8x6:yuv444p" "d:8x8:gray"; do
        local name=${spec%%:*} rest=${spec#*:}
        [ -s "$corpus/seed_$name.y4m" ] || ffmpeg -v error -y -f lavfi -i "testsrc=size=${rest%%:*}:rate=5" \
            -frames:v 2 -pix_fmt "${rest#*:}" -strict -1 -f yuv4mpegpipe "$corpus/seed_$name.y4m" ||
            echo "fuzz: warning: ffmpeg could not make seed $name.y4m" >&2
    done
    printf 'YUV4MPEG2 W4 H2 F30000:1001 Ip A1:1 C420mpeg2 XYSCSS=420MPEG2\nFRAME\n' >"$corpus/seed_head"
    fuzz_run -max_len=8192
}

fuzz_options() {
    target_regressions
    printf 'blur = 12\nsize = 640x480\n# a comment\nmodel = general\n\0--color\0#00ff00\0--mask-low\00030' >"$corpus/seed_a"
    printf 'input=/dev/video0\noutput = pipewire\nfit=tile\n\0--size=1280x720\0--fps\00060\0-i\0-' >"$corpus/seed_b"
    printf '  light-wrap = 100\nhologram=1\nguide = luma\ntemporal=off\n\0--frames=5\0--mirror' >"$corpus/seed_c"
    printf 'grow=-64\nfeather=64\nmask-high=1\n\0--help' >"$corpus/seed_d"
    fuzz_run -max_len=4096 -close_fd_mask=1
}

fuzz_background() {
    target_regressions
    # tiny stills and clips of the kinds a background comes as
    local spec
    for spec in "a.jpg:16x12:1" "b.png:13x9:1" "c.gif:8x8:3" "d.bmp:9x7:1" "e.webp:16x16:1" \
                "f.mp4:32x18:4" "g.mkv:16x16:3" "h.y4m:8x6:2" "i.webm:16x16:3"; do
        local name=${spec%%:*} rest=${spec#*:}
        [ -s "$corpus/seed_$name" ] || ffmpeg -v error -y -f lavfi -i "testsrc=size=${rest%%:*}:rate=5" \
            -frames:v "${rest#*:}" -pix_fmt yuv420p "$corpus/seed_$name" 2>/dev/null ||
            ffmpeg -v error -y -f lavfi -i "testsrc=size=${rest%%:*}:rate=5" \
                -frames:v "${rest#*:}" "$corpus/seed_$name" ||
            echo "fuzz: warning: ffmpeg could not make seed $name" >&2
    done
    fuzz_run -max_len=16384 -close_fd_mask=1
}

fuzz_tfjs() {
    target_regressions
    python3 "$here/fuzz/make_tfjs_seeds.py" "$corpus"
    # Each synthetic seed must load, or it seeds nothing useful.
    local f
    for f in "$corpus"/seed_*; do
        local log
        log=$(FUZZ_TFJS_VERBOSE=1 "$fuzzer" "${common[@]}" "$f" 2>&1) || true
        if ! grep -q '^fuzz_tfjs: status 0$' <<<"$log"; then
            echo "fuzz: tfjs seed $(basename "$f") does not load:" >&2
            grep -E '^fuzz_tfjs:|ERROR|SUMMARY' <<<"$log" >&2 || true
            exit 1
        fi
    done
    # RVM itself, when fetched (make models-rvm), in the target's layout
    local rvm=${BACKDROP_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backdrop}/rvm-3.0.4
    if [ -f "$rvm/rvm.json" ] && [ ! -s "$corpus/model_rvm" ]; then
        python3 - "$rvm" "$corpus/model_rvm" <<'PY'
import struct, sys
j = open(sys.argv[1] + '/rvm.json', 'rb').read().replace(b'"rvm.bin"', b'"w.bin"')
open(sys.argv[2], 'wb').write(struct.pack('<I', len(j)) + j + open(sys.argv[1] + '/rvm.bin', 'rb').read())
PY
    fi
    fuzz_run -max_len=65536 -close_fd_mask=1
}

fuzz_tflite() {

# ---- 1. regressions ---------------------------------------------------------
regressions=()
for f in "$here"/fuzz/regressions/*; do
    [ -f "$f" ] || continue
    case $(basename "$f") in README*) continue ;; esac
    regressions+=("$f")
done
run_regressions "${regressions[@]}"

# ---- 2. seed corpus ---------------------------------------------------------
models=("$build/npm/selfie_segmentation/package/selfie_segmentation.tflite"
        "$build/npm/selfie_segmentation/package/selfie_segmentation_landscape.tflite")
for m in "${models[@]}"; do
    if [ ! -f "$m" ]; then
        echo "fuzz: $m is missing; run 'make models'" >&2
        exit 2
    fi
done
shared=$here/../shared/data/models
if compgen -G "$shared/*.tflite" >/dev/null; then
    models+=("$shared"/*.tflite)
elif [ "${CI:-}" = true ]; then
    echo "fuzz: $shared not found under CI: ../shared/data must be beside the checkout" >&2
    exit 1
else
    echo "fuzz: $shared not found: seeding with the selfie models only"
fi
for m in "${models[@]}"; do
    cp -f "$m" "$corpus/model_$(basename "$m")"
done
for f in "${regressions[@]}"; do
    cp -f "$f" "$corpus/regression_$(basename "$f")"
done
if command -v python3 >/dev/null 2>&1; then
    seeds=$build/fuzz/seeds
    rm -rf "$seeds"
    python3 "$here/fuzz/make_seeds.py" "$seeds"
    # Each synthetic seed should be a valid model, or it seeds nothing
    # useful. One that does not load is dropped with a warning naming it
    # (make_seeds.py needs fixing, but that is no crash in the reader); one
    # that makes the target crash is a reader bug and fails the run.
    seedlog=$build/fuzz/seeds.log
    : >"$seedlog"
    dropped=0
    for f in "$seeds"/*; do
        one=$build/fuzz/seed_one.log
        set +e
        FUZZ_TFLITE_VERBOSE=1 "$fuzzer" "${common[@]}" "$f" >"$one" 2>&1
        rc=$?
        set -e
        cat "$one" >>"$seedlog"
        if [ "$rc" -ne 0 ]; then
            echo "fuzz: seed $(basename "$f") makes the target fail (exit $rc):" >&2
            tail -n 20 "$one" >&2
            exit 1
        fi
        if ! grep -q '^fuzz_tflite: .* status 0$' "$one"; then
            echo "fuzz: warning: seed $(basename "$f") does not load with BD_OK; dropped:" >&2
            grep -E '^fuzz_tflite:' "$one" >&2 || tail -n 5 "$one" >&2
            rm -f "$f"
            dropped=$((dropped + 1))
        fi
    done
    echo "fuzz: $(find "$seeds" -type f | wc -l) synthetic seeds load ($dropped dropped)"
    cp -f "$seeds"/* "$corpus/"
else
    echo "fuzz: python3 not found: no synthetic seeds (fuzzing will be slower to reach every op)"
fi

largest=$(find "$corpus" -type f -printf '%s\n' | sort -n | tail -n 1)
max_len=$((3 * 1024 * 1024))
[ "${largest:-0}" -gt "$max_len" ] && max_len=$largest
echo "fuzz: corpus $(find "$corpus" -type f | wc -l) files, largest $largest bytes; -max_len=$max_len"

# ---- 3. fuzz ----------------------------------------------------------------
fuzz_run -max_len="$max_len" -dict="$here/fuzz/tflite.dict"
}

for target in "${targets[@]}"; do
    fuzzer=$build/fuzz/fuzz_$target
    corpus=$build/fuzz/corpus-$target
    [ "$target" = tflite ] && corpus=$build/fuzz/corpus
    mkdir -p "$corpus"
    "fuzz_$target"
done
