#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Hostile files and arguments through the backdrop command (make hostile,
# and under ASan+UBSan by make asan).
# Usage: tests/hostile_models.sh BACKDROP_BIN       (run from the repo root)
#
# Every bad case must exit non-zero but below 128 (>= 128 is a signal: a
# crash) and print exactly one line on stderr naming the file or option at
# fault; a sanitizer report counts as a crash. A good image with a good
# model must exit 0 and write the mask.
# The unsupported-op model is written by the unit test binary
# (test_hostile --write-unsupported), found next to BACKDROP_BIN in
# tests/ (override with TEST_HOSTILE=path). The selfie models are read from
# BD_TEST_MODELS (default build/npm/selfie_segmentation/package).
# Last line: "N passed, M failed, K skipped" (nothing here is skipped: what
# it needs is built or made here); exit status 1 when M > 0.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BACKDROP_BIN" >&2
    exit 2
fi
bin=$1
models=${BD_TEST_MODELS:-build/npm/selfie_segmentation/package}
helper=${TEST_HOSTILE:-$(dirname "$bin")/tests/test_hostile}
selfie=$models/selfie_segmentation.tflite

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

for f in "$bin" "$selfie"; do
    if [ ! -e "$f" ]; then
        echo "hostile: $f is missing (make all models)"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backdrop-hostile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- test files (all made here) --------------------------------------------

# A 96x64 gradient JPEG (ImageMagick, -strip -quality 75) and a PNG whose
# IHDR declares 100000x100000 pixels (valid CRCs, 64 bytes of pixel data).
base64 -d >"$tmp/good.jpg" <<'EOF'
/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a
HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIy
MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCABAAGADASIA
AhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAAAAQF/8QAFRABAQAAAAAAAAAAAAAAAAAAABP/xAAX
AQEBAQEAAAAAAAAAAAAAAAAABAUG/8QAFhEBAQEAAAAAAAAAAAAAAAAAABMS/9oADAMBAAIRAxEA
PwDQoUSUKMuboKK6FElChMoroUSUKEyiuhRJQoTKK6FElChMoroUSUKEyiWhRJQosmj2roUSUKEz
auhRJQoTNq6FElChM2roUSUKEzauhRJQoTNpKFElCi2aPauhRJQoTNq6FElChM2roUSUKEzauhRJ
QoTNq6FElChM2loUSUKLZotq6FElChM2roUSUKEzauhRJQoTNq6FElChM2roUSUKEzb/2Q==
EOF
base64 -d >"$tmp/huge.png" <<'EOF'
iVBORw0KGgoAAAANSUhEUgABhqAAAYagCAIAAAAnMJyfAAAADElEQVR4nGNgoAwAAABAAAG3NHzvAAAAAElFTkSuQmCC
EOF
head -c 200 "$tmp/good.jpg" >"$tmp/truncated.jpg"
head -c 65536 /dev/urandom >"$tmp/noise.png"
: >"$tmp/empty.tflite"
mkdir "$tmp/dir.tflite"
head -c 1000 "$selfie" >"$tmp/truncated.tflite"
head -c $(( $(wc -c <"$selfie") / 2 )) "$selfie" >"$tmp/half.tflite"
# Flip one bit of the file identifier "TFL3" (byte 4), and of the root
# table offset (byte 0).
flip() { # src dst offset xor
    cp "$1" "$2"
    local b
    b=$(od -An -tu1 -j "$3" -N1 "$1" | tr -d ' ')
    # shellcheck disable=SC2059 # the format is the octal escape of the byte
    printf "$(printf '\\%03o' $(( b ^ $4 )))" | dd of="$2" bs=1 seek="$3" conv=notrunc status=none
}
flip "$selfie" "$tmp/flipped-ident.tflite" 4 1
flip "$selfie" "$tmp/flipped-root.tflite" 0 128
head -c 4096 /dev/urandom >"$tmp/random.tflite"
have_unsupported=0
if [ -x "$helper" ] && BD_TEST_MODELS=$models "$helper" --write-unsupported "$tmp/unsupported.tflite"; then
    have_unsupported=1
fi

# ---- the checks -------------------------------------------------------------

# expect_error NAME NEEDLE [NEEDLE2] -- ARGS...: exit 1..127, exactly one
# stderr line, containing NEEDLE (and NEEDLE2).
expect_error() {
    local name=$1 needle=$2 needle2=
    shift 2
    if [ "$1" != -- ]; then
        needle2=$1
        shift
    fi
    shift
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    local lines
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ge 128 ] || grep -qE 'Sanitizer|runtime error|LeakSanitizer' "$tmp/err"; then
        fail "$name: CRASH (exit $rc): $(head -c 600 "$tmp/err")"
    elif [ "$rc" -eq 0 ]; then
        fail "$name: exit 0, expected an error"
    elif [ "$lines" -ne 1 ]; then
        fail "$name: $lines lines on stderr (want 1): $(head -c 600 "$tmp/err")"
    elif ! grep -qF -- "$needle" "$tmp/err"; then
        fail "$name: stderr does not name '$needle': $(cat "$tmp/err")"
    elif [ -n "$needle2" ] && ! grep -qF -- "$needle2" "$tmp/err"; then
        fail "$name: stderr does not name '$needle2': $(cat "$tmp/err")"
    else
        pass "$name (exit $rc): $(cat "$tmp/err")"
    fi
}

img=$tmp/good.jpg
out=$tmp/mask.png

# Models, through 'models FILE' and through 'mask --model FILE'.
expect_error "truncated model (1000 bytes)" truncated.tflite -- models "$tmp/truncated.tflite"
expect_error "truncated model (half)" half.tflite -- mask "$img" -o "$out" --model "$tmp/half.tflite"
expect_error "bit-flipped identifier" flipped-ident.tflite -- models "$tmp/flipped-ident.tflite"
expect_error "bit-flipped root offset" flipped-root.tflite -- mask "$img" -o "$out" --model "$tmp/flipped-root.tflite"
expect_error "non-existent model path" "$tmp/nope/model.tflite" -- models "$tmp/nope/model.tflite"
expect_error "unknown built-in model name" nosuchmodel -- mask "$img" -o "$out" --model nosuchmodel
expect_error "directory as model" "$tmp/dir.tflite" -- mask "$img" -o "$out" --model "$tmp/dir.tflite"
expect_error "zero-byte model" empty.tflite -- models "$tmp/empty.tflite"
expect_error "random bytes as model" random.tflite -- models "$tmp/random.tflite"
expect_error "image given as model" good.jpg -- models "$img"
if [ "$have_unsupported" -eq 1 ]; then
    expect_error "unsupported op (SQUARED_DIFFERENCE)" unsupported.tflite SQUARED_DIFFERENCE -- \
        mask "$img" -o "$out" --model "$tmp/unsupported.tflite"
else
    fail "unsupported op: cannot write the model with '$helper --write-unsupported' (build it: make $helper)"
fi

# Images.
expect_error "truncated JPEG" truncated.jpg -- mask "$tmp/truncated.jpg" -o "$out"
expect_error "random bytes named .png" noise.png -- mask "$tmp/noise.png" -o "$out"
expect_error "PNG declaring 100000x100000" huge.png -- cutout "$tmp/huge.png" -o "$out"
expect_error "non-existent image" missing.jpg -- mask "$tmp/missing.jpg" -o "$out"
expect_error "directory as image" "$tmp/dir.tflite" -- mask "$tmp/dir.tflite" -o "$out"
expect_error "model given as image" selfie_segmentation.tflite -- mask "$selfie" -o "$out"
expect_error "unwritable output" "$tmp/nope/out.png" -- mask "$img" -o "$tmp/nope/out.png"

# Options.
expect_error "bad --class" "class 'nosuchclass'" "no class of that name" -- mask "$img" -o "$out" --class nosuchclass
expect_error "out-of-range --class index" "class '7'" "0..0" -- mask "$img" -o "$out" --class 7
expect_error "out-of-range --threads" --threads -- mask "$img" -o "$out" --threads 99
expect_error "negative --threads" --threads -- mask "$img" -o "$out" --threads -1
expect_error "non-numeric --threads" --threads -- bench --threads lots
expect_error "bad --backend" --backend -- mask "$img" -o "$out" --backend gpu
expect_error "unknown option" --bogus -- mask "$img" -o "$out" --bogus
expect_error "option without its value" --model -- mask "$img" -o "$out" --model
expect_error "unknown command" frobnicate -- frobnicate

# The good path still works.
rm -f "$out"
"$bin" mask "$img" -o "$out" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && [ -s "$out" ] && [ ! -s "$tmp/err" ]; then
    pass "mask of a good JPEG with the default model"
else
    fail "mask of a good JPEG: exit $rc, stderr: $(head -c 600 "$tmp/err")"
fi
rm -f "$out"
"$bin" mask "$img" -o "$out" --model "$selfie" --backend ref >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && [ -s "$out" ] && [ ! -s "$tmp/err" ]; then
    pass "mask of a good JPEG with --model FILE --backend ref"
else
    fail "mask with --model FILE --backend ref: exit $rc, stderr: $(head -c 600 "$tmp/err")"
fi

echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
