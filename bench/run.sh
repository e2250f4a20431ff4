#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Engine benchmark: bare XNNPACK graph vs backdrop's xnnpack and ref backends
# vs TFLite-WASM-SIMD (the npm reference), measured in one run, with ratios.
# usage: bench/run.sh BUILD HMS_PACKAGE_DIR [ROUNDS]
set -euo pipefail
build=$1 hms=$2 rounds=${3:-300}
cc=${CC:-cc}
LIBS="-lavformat -lavcodec -lavutil -lswscale -lyuv -ljpeg -lpng -lm -lpthread -lXNNPACK -lpthreadpool"
mkdir -p "$build/bench"
$cc -std=c17 -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/bench_engine.c "$build/libbackdrop.a" \
    $LIBS -o "$build/bench/bench_engine"

models=${NPM:-$build/npm}/selfie_segmentation/package
printf '%-10s %8s %8s %8s %8s %8s %9s %9s %9s %9s\n' model bare_ms xnn_ms ref_ms wasm_ms load+build \
    xnn/bare wasm/xnn ref/xnn
for m in general landscape; do
    file=$models/selfie_segmentation.tflite
    [ $m = landscape ] && file=$models/selfie_segmentation_landscape.tflite
    out=$("$build/bench/bench_engine" $m "$rounds")
    get() { echo "$out" | sed -n "s/^$1=//p"; }
    wasm=$(node tools/tfliteref/run.js --pkg "$hms" --model "$file" --bench "$rounds" |
        sed -n 's/^median_ms=\([0-9.]*\).*/\1/p')
    bare=$(get bare_ms) xnn=$(get xnnpack_ms) ref=$(get ref_ms)
    lb=$(awk -v a="$(get load_ms)" -v b="$(get build_ms)" 'BEGIN{printf "%.3f", a+b}')
    awk -v m=$m -v b="$bare" -v x="$xnn" -v r="$ref" -v w="$wasm" -v lb="$lb" 'BEGIN{
        printf "%-10s %8.3f %8.3f %8.3f %8.3f %8.3f %9.3f %9.2f %9.2f\n", m, b, x, r, w, lb, x/b, w/x, r/x }'
done
echo "targets: xnn/bare <= 1.05, wasm/xnn >= 2.5, ref/xnn <= 3, load+build <= 5 ms (single thread)"

# Input normalisation of each model, scored against the portraits' alpha.
$cc -std=c17 -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/normalisation.c "$build/libbackdrop.a" \
    $LIBS -o "$build/bench/normalisation"
shared=../shared/data
if [ -d $shared/portraits-dev ]; then
    echo
    echo "mean IoU vs ground-truth alpha over the portraits, by input range:"
    "$build/bench/normalisation" $shared general landscape $shared/models/segm_full_v679.tflite \
        $shared/models/segm_lite_v681.tflite $shared/models/deeplabv3_257_mv_gpu.tflite \
        $shared/models/body-pix-float-050-8.tflite
fi
