#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Fetches the source of Debian's libyuv (the version the native build links,
# pinned by sha256) into $1 (default build/web/libyuv), for the WebAssembly
# build: Debian ships no wasm libyuv, and the library's stages scale with it.
# Idempotent; nothing of it is committed.
set -eu
out=${1:-build/web/libyuv}
ver=0.0~git20230123.b2528b0
sum=cc22ebe94004ac2e5718acdc45980c6f3b83599f19f5bd768c5ca034de659eef
[ -f "$out/.verified" ] && exit 0
mkdir -p "$out"
tgz="$out/libyuv_$ver.orig.tar.gz"
url="http://deb.debian.org/debian/pool/main/liby/libyuv/libyuv_$ver.orig.tar.gz"
if ! curl -fsSL -o "$tgz" "$url"; then
    echo "error: cannot download $url; check network access to deb.debian.org" >&2
    exit 1
fi
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sum" ]; then
    echo "error: $url: sha256 $got, expected $sum; refusing to use it" >&2
    rm -f "$tgz"
    exit 1
fi
tar xzf "$tgz" -C "$out" --strip-components=1
rm -f "$tgz"
touch "$out/.verified"
