#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tools/tfjsref/setup.sh [DIR] - install the pinned npm package(s) that
# tools/tfjsref/run.js needs into DIR (default: <repo>/build/tfjsref).
# Idempotent: does nothing if the pinned version is already installed there.
# Needs: node + npm (installed from Debian apt if missing), the npm registry.
# No browser is needed: run.js runs the package's TFLite WASM build in Node.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dest=${1:-$repo/build/tfjsref}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)   # absolute
# Pinned versions (keep in sync with package.json / package-lock.json here and
# PINNED_VERSION in run.js).
pkg=@tensorflow/tfjs-tflite
ver=0.0.1-alpha.10
helpers="jpeg-js@0.4.4 pngjs@7.0.0"   # only for img2f32.js / personstats.js

say() { printf 'tfjsref-setup: %s\n' "$*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "node/npm missing; installing Debian nodejs + npm"
  if [ "$(id -u)" != 0 ]; then say "error: need root for apt-get"; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

# WebAssembly SIMD (default variant) needs Node >= 16.4; Debian 12 has 18.
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 16 ]; then
  say "error: node $(node --version) too old (need >= 16)"; exit 1
fi

has() {  # has NAME VERSION
  local pj="$dest/node_modules/$1/package.json"
  [ -f "$pj" ] &&
  [ "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).version' "$pj")" = "$2" ]
}

installed() {
  has "$pkg" "$ver" || return 1
  [ -f "$dest/node_modules/$pkg/wasm/tflite_web_api_cc_simd.wasm" ] || return 1
  [ -f "$dest/node_modules/$pkg/wasm/tflite_web_api_cc.wasm" ] || return 1
  local h
  for h in $helpers; do has "${h%@*}" "${h##*@}" || return 1; done
}

if installed; then
  say "$pkg@$ver (+ $helpers) already in $dest"
  exit 0
fi

cp "$here/package.json" "$here/package-lock.json" "$dest/"
# --legacy-peer-deps: the package declares @tensorflow/tfjs-core as a peer
# dependency, which run.js does not use (it calls the WASM module directly).
# --ignore-scripts: nothing to build; no install scripts are run.
(cd "$dest" && npm ci --legacy-peer-deps --ignore-scripts --no-audit --no-fund \
   --loglevel=error) >&2

if ! installed; then
  say "error: $pkg@$ver or $helpers not found in $dest after npm ci"; exit 1
fi
say "installed $pkg@$ver (+ $helpers) into $dest"
