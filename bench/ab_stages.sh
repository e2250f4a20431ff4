#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Refinement + compositing, this tree against another commit, run by run in
# turn: bench_stages of each, alternated ROUNDS times on the same clip, so
# that the machine's drift (+-20% between runs here) falls on both alike.
# Prints every run and the medians of warm refine + composite, of the ratio
# to the pass-through, and new / base. The base is built in a temporary git
# worktree (with this tree's fetched models), then removed.
#
# usage: bench/ab_stages.sh BUILD BASE_COMMIT [ROUNDS]
set -euo pipefail
build=$1 base=$2 rounds=${3:-5}
git rev-parse --verify -q "$base^{commit}" > /dev/null || {
    echo "ab_stages: '$base' is not a commit of this repository" >&2
    exit 1
}
make --no-print-directory -s "$build/bench/bench_stages"
clip=$(bench/make_clip.sh "$build" 1280x720 30)
wt=$(mktemp -d)
trap 'git worktree remove --force "$wt" > /dev/null 2>&1 || rm -rf "$wt"' EXIT
git worktree add -q --detach "$wt" "$base"
mkdir -p "$wt/build"
cp -r "$build/npm" "$wt/build/"
make --no-print-directory -s -C "$wt" build/bench/bench_stages > "$wt/build.log" 2>&1 || {
    echo "ab_stages: building $base failed:" >&2
    tail -5 "$wt/build.log" >&2
    exit 1
}
new=$build/bench/bench_stages old=$wt/build/bench/bench_stages
# "refine + composite, warm   1.342 ms (...)  = 10.2 x pass-through" -> "1.342 10.2"
warm() { "$1" "$clip" | awk '/refine \+ composite, warm/ { print $5, $(NF - 2) }'; }
: > "$wt/new.txt"
: > "$wt/old.txt"
for ((i = 0; i < rounds; i++)); do
    o=$(warm "$old") n=$(warm "$new")
    echo "run $((i + 1)): base $o   new $n (ms, x pass-through)"
    echo "$o" >> "$wt/old.txt"
    echo "$n" >> "$wt/new.txt"
done
med() { sort -n -k"$2" "$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
mo=$(med "$wt/old.txt" 1) mn=$(med "$wt/new.txt" 1)
echo "median warm refine + composite: base $mo ms ($(med "$wt/old.txt" 2) x pass-through)," \
    "new $mn ms ($(med "$wt/new.txt" 2) x); new / base $(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.3f", a / b }')"
