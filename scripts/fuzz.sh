#!/usr/bin/env bash
# Fuzzes the TFLite reader with libFuzzer.
# Usage: scripts/fuzz.sh BUILD SECONDS      (make fuzz / make fuzz-smoke)
#
#  1. Runs every file in fuzz/regressions/ through the target; fails if any
#     crashes (those are bugs we already fixed once).
#  2. Builds the seed corpus in BUILD/fuzz/corpus (kept between runs, never
#     in git): the two selfie models, the models in ../shared/data/models
#     when present, small synthetic models from fuzz/make_seeds.py (one per
#     supported op; needs python3) and the regressions.
#  3. Fuzzes for SECONDS; exits non-zero if libFuzzer reports a crash, a
#     sanitizer error, a broken graph invariant, a timeout or an OOM. The
#     crashing input is left in BUILD/fuzz/artifacts/.
#
# Large inputs: -max_len is at least 3 MiB (and at least the largest seed)
# so the real models (up to 2.7 MB) are mutated whole. libFuzzer mutates such
# inputs slowly, so most of the work is done on the synthetic seeds, which are
# a few hundred bytes and cover every op parser; -dict=fuzz/tflite.dict gives
# the mutator the tokens (TFL3, builtin codes, extreme int32s) it would
# otherwise have to find byte by byte.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD SECONDS" >&2
    exit 2
fi
build=$1
secs=$2
here=$(cd "$(dirname "$0")/.." && pwd)
fuzzer=$build/fuzz/fuzz_tflite
if [ ! -x "$fuzzer" ]; then
    echo "fuzz: $fuzzer is not built; run 'make fuzz-build'" >&2
    exit 2
fi

corpus=$build/fuzz/corpus
artifacts=$build/fuzz/artifacts
log=$build/fuzz/fuzz.log
mkdir -p "$corpus" "$artifacts"
common=(-rss_limit_mb=2048 -timeout=30)

# ---- 1. regressions ---------------------------------------------------------
regressions=()
for f in "$here"/fuzz/regressions/*; do
    [ -f "$f" ] || continue
    case $(basename "$f") in README*) continue ;; esac
    regressions+=("$f")
done
bad=0
for f in "${regressions[@]}"; do
    if ! "$fuzzer" "${common[@]}" "$f" >"$build/fuzz/regression.log" 2>&1; then
        echo "fuzz: REGRESSION: $f crashes again:" >&2
        grep -E "invariant broken|runtime error|ERROR|SUMMARY" "$build/fuzz/regression.log" | head -5 >&2 || true
        bad=$((bad + 1))
    fi
done
if [ "$bad" -ne 0 ]; then
    echo "fuzz: $bad of ${#regressions[@]} regression inputs crash" >&2
    exit 1
fi
echo "fuzz: ${#regressions[@]} regression inputs pass"

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
cmd=("$fuzzer" "${common[@]}" -max_len="$max_len" -max_total_time="$secs"
     -dict="$here/fuzz/tflite.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus")
echo "fuzz: ${cmd[*]}"
set +e
"${cmd[@]}" >"$log" 2>&1
rc=$?
set -e
# The last status line (#N DONE cov: ... ft: ... corp: ... exec/s ...) and
# the final stats.
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
grep -E '^stat::' "$log" || true
if [ "$rc" -ne 0 ]; then
    echo "fuzz: FAILED (exit $rc); full log in $log" >&2
    grep -E "invariant broken|runtime error|ERROR:|SUMMARY|Test unit written" "$log" | head -10 >&2 || true
    echo "fuzz: fix the bug, then keep the input: cp $artifacts/<crash-file> fuzz/regressions/<what-it-does>" >&2
    exit 1
fi
echo "fuzz: no crash in ${secs}s"
