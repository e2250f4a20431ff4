#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tools/tfjsref/selftest.sh [PKG_DIR] - smoke test of run.js on the shared models.
# Runs setup.sh (idempotent), then: --info on DeepLab and BodyPix, a zero-input
# inference on each (checked against values recorded when run.js was written),
# both wasm variants, and the expected clear failure on segm_full_v679
# (MediaPipe custom op). Models come from $MODELS_DIR (default
# <repo>/../shared/data/models). Ends with 'N passed, N failed, N skipped'; a
# missing model is a skip, and a failure under CI=true (the set-up provides it).
# shellcheck disable=SC2015,SC2016  # ok/bad always return 0; node code in single quotes
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
pkgdir=${1:-$repo/build/tfjsref}
models=${MODELS_DIR:-$repo/../shared/data/models}
run() { node "$here/run.js" --pkg-dir "$pkgdir" "$@"; }

bash "$here/setup.sh" "$pkgdir" || { echo "setup failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

tmp=$(mktemp -d /tmp/tfjsref-selftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; skipped=0
ok()  { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
skip_provided() {
  if [ "${CI:-}" = true ]; then bad "$1 (missing under CI)"; else echo "SKIP $1"; skipped=$((skipped + 1)); fi
}

head -c $((257 * 257 * 3 * 4)) /dev/zero > "$tmp/zero257.f32"

# check FILE COUNT v0 v1 v2 : element count and first three values (tol 1e-3)
check() {
  node -e '
    const [f, n, ...exp] = process.argv.slice(1);
    const b = require("fs").readFileSync(f);
    const a = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
    if (a.length !== Number(n)) { console.error(`count ${a.length} != ${n}`); process.exit(1); }
    exp.forEach((e, i) => { if (!(Math.abs(a[i] - Number(e)) < 1e-3)) {
      console.error(`value[${i}] ${a[i]} != ${e}`); process.exit(1); } });
  ' "$@"
}

dl=$models/deeplabv3_257_mv_gpu.tflite
bp=$models/body-pix-float-050-8.tflite
mp=$models/segm_full_v679.tflite

info=$(run --model "$dl" --info) &&
  grep -q '"shape":\[1,257,257,3\]' <<<"$info" &&
  grep -q '"shape":\[1,257,257,21\]' <<<"$info" && ok "deeplab --info" || bad "deeplab --info"
info=$(run --model "$bp" --info) &&
  grep -q '"name":"float_segments","shape":\[1,33,33,1\]' <<<"$info" &&
  ok "bodypix --info" || bad "bodypix --info"

for v in simd plain; do
  run --model "$dl" --in "$tmp/zero257.f32" --out "$tmp/dl.f32" --variant "$v" &&
    check "$tmp/dl.f32" 1387029 9.38677 -0.50353 2.15098 &&
    ok "deeplab zero input ($v)" || bad "deeplab zero input ($v)"
  run --model "$bp" --in "$tmp/zero257.f32" --out "$tmp/bp.f32" --variant "$v" &&
    check "$tmp/bp.f32" 1089 -5.27320 -5.94430 -6.03181 &&
    ok "bodypix zero input ($v)" || bad "bodypix zero input ($v)"
done

head -c 100 /dev/zero > "$tmp/short.f32"
if run --model "$dl" --in "$tmp/short.f32" --out "$tmp/x.f32" 2>"$tmp/err"; then
  bad "wrong input size rejected"
else
  [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'needs exactly 792588' "$tmp/err" &&
    ok "wrong input size rejected" || bad "wrong input size rejected"
fi

if [ -f "$mp" ]; then
  if run --model "$mp" --info 2>"$tmp/err" >/dev/null; then
    bad "segm_full custom op reported"
  else
    [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'Convolution2DTransposeBias' "$tmp/err" &&
      ok "segm_full custom op reported" || bad "segm_full custom op reported"
  fi
else
  skip_provided "segm_full custom op reported: $mp missing"
fi

# several --in/--out pairs on one interpreter give what separate runs give
head -c $((257 * 257 * 3 * 4)) /dev/urandom > "$tmp/rand257.f32"
run --model "$bp" --in "$tmp/rand257.f32" --out "$tmp/r1.f32" &&
  run --model "$bp" --in "$tmp/zero257.f32" --out "$tmp/z2.f32" --in "$tmp/rand257.f32" --out "$tmp/r2.f32" &&
  check "$tmp/z2.f32" 1089 -5.27320 -5.94430 -6.03181 && cmp -s "$tmp/r1.f32" "$tmp/r2.f32" &&
  ok "two inputs in one run" || bad "two inputs in one run"

echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
[ "$fail" = 0 ]
