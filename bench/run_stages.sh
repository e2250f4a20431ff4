#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Refinement + compositing on real frames and masks (bench/bench_stages.c).
# usage: bench/run_stages.sh BUILD
set -euo pipefail
build=$1
make --no-print-directory -s "$build/bench/bench_stages"
"$build/bench/bench_stages" "$(bench/make_clip.sh "$build" 1280x720 30)"
