#!/usr/bin/env bash
# bench/compare.sh: vitc bundles against ONNX Runtime, side by side in one run.
#
#   bench/compare.sh [--targets "scalar avx2 avx512"] [--rounds R] [--runs N] [--threads T]
#                    [--shape NAME=DxD...] [--quantize int8 | --quantized] [--base VITC] [MODEL.onnx ...]
#
# For each model: compile it for each target, build with $CC $CFLAGS, make one random
# input and ONNX Runtime's output, check every bundle matches (1e-4 relative), then time
# in R alternating rounds: each round runs ONNX Runtime (1 thread) and every bundle
# (1 thread) for N timed runs after warm-up and records each median. Prints the median of
# the round medians per runner (and the fastest round's, which a loaded machine disturbs
# least) and the ratio of medians to ONNX Runtime, as a Markdown table, with
# each runner's GFLOP/s (2 x the MACs `vitc inspect` counts, over the median) and its
# share of the measured peak (bench/fma_peak.c on this machine, times the thread count;
# PEAK_GFLOPS=X skips the measurement).
# Targets the CPU cannot run are skipped with the reason. Defaults: DeiT-Tiny, the
# small models in models/ and FilterViT's and DropoutViT's paper-scale stages. A model
# of models/export.py that is absent (DeiT-Tiny, the stages: not in git) is exported
# first. $VITC (default build/vitc) is the compiler, $BENCH_DIR (default build/bench)
# holds the work folders.
#
# --threads T (T > 1): bundles compiled with `vitc compile --threads T` (built with
# -pthread, run with --threads T) against ONNX Runtime with T intra-op threads
# (docs/threads.md). Default 1: single-threaded bundles against single-threaded ORT.
#
# --base VITC: each target's bundle is also compiled by the compiler VITC (a build of the
# commit before a change) and timed in the same rounds, rows "vitc T (base)": an A/B of a
# change alternated with ONNX Runtime and with itself.
#
# --shape NAME=1x3x64x64 (repeatable) fixes a dynamic input dimension, for vitc compile and
# inspect and for ONNX Runtime (the models of models/export.py named ocr_*).
#
# Quantized runs (docs/int8.md), where outputs agree at the percent level, not to 1e-4:
# --quantized: the models are QDQ models; each bundle must be within 5% relative L2 and
# 0.999 cosine of ONNX Runtime evaluating the graph by the spec (optimizations disabled),
# and ONNX Runtime is timed as it runs by default (its int8 kernels).
# --quantize int8: float models compiled with `vitc compile --quantize int8
# --calibrate-random 8` (rows named vitc T int8), checked against ONNX Runtime's float
# output within 5% relative L2 and 0.99 cosine.
# The last column is the bytes of weights: the model file for ONNX Runtime, NAME.weights of
# a `--weights file` compile for vitc.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="scalar avx2 avx512"
rounds=5
runs=20
threads=1
shapes=()
models=()
quant=()      # --quantize int8: vitc compile flags
quantized=""  # --quantized: QDQ models
qlabel=""
base=""       # --base VITC: the compiler of the A side of an A/B
while [ $# -gt 0 ]; do
  case "$1" in
    --targets) targets=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --shape) shapes+=(--shape "$2"); shift 2 ;;
    --quantize) [ "$2" = int8 ] || { echo "--quantize: only int8" >&2; exit 2; }
                quant=(--quantize int8 --calibrate-random 8); qlabel=" int8"; shift 2 ;;
    --quantized) quantized=1; shift ;;
    --base) base=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
if [ ${#models[@]} = 0 ]; then
  models=(models/deit_tiny.onnx models/vit_tiny32.onnx models/mobilevit_tiny.onnx models/filter_vit.onnx models/mabvit32.onnx
          models/filter_stage28.onnx models/dropout_stage28.onnx)
fi
for model in "${models[@]}"; do # export.py's regenerated models, when absent
  case "$model" in
    models/*.onnx) [ -e "$model" ] || sh tests/ensure_model.sh "$(basename "$model" .onnx)" >&2 ;;
  esac
done
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O3 -march=native}
case "$threads" in ''|*[!0-9]*|0) echo "--threads needs a count >= 1" >&2; exit 2 ;; esac
vitc_thr=(); run_thr=(); ort_thr=(--threads "$threads"); libs=(-lm); thr_label=""
if [ "$threads" -gt 1 ]; then
  vitc_thr=(--threads "$threads"); run_thr=(--threads "$threads"); libs=(-pthread -lm); thr_label=", $threads threads"
fi
VITC=${VITC:-build/vitc} # the compiler under test
BENCH_DIR=${BENCH_DIR:-build/bench} # work folders
[ -x "$VITC" ] || { echo "$VITC is missing: run bash .ci/setup.sh" >&2; exit 1; }
[ -z "$base" ] || [ -x "$base" ] || { echo "--base $base: not an executable compiler" >&2; exit 1; }

can_run() {
  case "$1" in
    scalar) return 0 ;;
    avx2) grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo ;;
    avx512) grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo && grep -qw avx512dq /proc/cpuinfo ;;
    avx512_vnni) can_run avx512 && grep -qw avx512_vnni /proc/cpuinfo ;;
    *) return 1 ;;
  esac
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

mkdir -p "$BENCH_DIR"
if [ -z "${PEAK_GFLOPS:-}" ]; then
  $CC -O2 -march=native -std=c99 -o "$BENCH_DIR/fma_peak" bench/fma_peak.c
  PEAK_GFLOPS=$("$BENCH_DIR/fma_peak" | awk '{ for (i = 1; i <= NF; i++) if ($i == "GFLOP/s") print $(i - 1) }')
fi
peak=$(awk -v p="$PEAK_GFLOPS" -v t="$threads" 'BEGIN { print p * t }')
echo "fp32 FMA peak: $PEAK_GFLOPS GFLOP/s per core (bench/fma_peak.c), $peak for $threads thread(s)"
echo
echo "| model | runner | median ms | fastest round ms | ratio to ORT | GFLOP/s | % of peak | weights bytes |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for model in "${models[@]}"; do
  name=$(basename "$model" .onnx | tr -c 'A-Za-z0-9_\n' '_')
  work=$BENCH_DIR/$name
  mkdir -p "$work/data"
  ref_level=(); [ -n "$quantized" ] && ref_level=(--opt-level disabled) # the spec's float Q/DQ
  node tests/ort/ort_run.js "$model" --gen-inputs "$work/data" --seed 7 --out-dir "$work/data" "${shapes[@]}" \
    "${ref_level[@]}" >/dev/null
  ins=(); for f in "$work/data"/input*.bin; do ins+=(--in "$f"); done
  gflop=$("$VITC" inspect "$model" "${shapes[@]}" | awk '/^total MACs/ { print 2 * $3 / 1e9 }')
  live=() # runners: a target ("avx2"), or a target built by --base ("avx2.base")
  for t in $targets; do
    if ! can_run "$t"; then echo "skip: $name/$t: this CPU cannot run target $t" >&2; continue; fi
    for run in "$t" ${base:+"$t.base"}; do
      vitc=$VITC; [ "$run" = "$t" ] || vitc=$base
      rm -rf "${work:?}/$run"
      "$vitc" compile "$model" -o "$work/$run" --name "$name" --main --target "$t" "${vitc_thr[@]}" "${shapes[@]}" \
        "${quant[@]}" -q >/dev/null
      "$vitc" compile "$model" -o "$work/$run.wfile" --name "$name" --target "$t" --weights file "${shapes[@]}" \
        "${quant[@]}" -q >/dev/null
      stat -c %s "$work/$run.wfile/$name.weights" > "$work/$run.wbytes"
      $CC $CFLAGS -o "$work/$run/prog" "$work/$run"/*.c "${libs[@]}"
      outs=(); k=0; for f in "$work/data"/ort_output*.bin; do outs+=(--out "$work/$run/out$k.bin"); k=$((k + 1)); done
      "$work/$run/prog" "${ins[@]}" "${outs[@]}" "${run_thr[@]}"
      ok=1
      for ((j = 0; j < k; j++)); do
        check=(); [ -n "$quantized" ] && check=(--rel-l2 0.05 --cosine 0.999)
        [ ${#quant[@]} -gt 0 ] && check=(--rel-l2 0.05 --cosine 0.99)
        node tests/ort/compare.js "$work/$run/out$j.bin" "$work/data/ort_output$j.bin" "${check[@]}" >/dev/null 2>&1 || ok=0
      done
      [ $ok = 1 ] || { echo "error: $name/$run does not match ONNX Runtime; not timed" >&2; continue; }
      live+=("$run")
      : > "$work/$run.times"
    done
  done
  : > "$work/ort.times"
  for ((r = 0; r < rounds; r++)); do
    node tests/ort/ort_run.js "$model" "${ins[@]}" --bench "$runs" "${ort_thr[@]}" "${shapes[@]}" | awk '/median_ms/ { print $2 }' >> "$work/ort.times"
    for t in "${live[@]}"; do
      "$work/$t/prog" "${ins[@]}" $(for ((j = 0; j < k; j++)); do printf -- '--out /dev/null '; done) --bench "$runs" "${run_thr[@]}" |
        awk '/median_ms/ { print $2 }' >> "$work/$t.times"
    done
  done
  ort=$(median < "$work/ort.times")
  fastest() { sort -g "$1" | head -1; }
  rate() { awk -v g="$gflop" -v ms="$1" -v p="$peak" 'BEGIN { r = g / (ms / 1000); printf "%.1f | %.0f%%", r, 100 * r / p }'; }
  printf "| %s | onnxruntime 1.30%s | %.2f | %.2f | 1.00 | %s | %s |\n" "$name" "$thr_label" "$ort" \
    "$(fastest "$work/ort.times")" "$(rate "$ort")" "$(stat -L -c %s "$model")"
  for run in "${live[@]}"; do
    m=$(median < "$work/$run.times")
    label="${run%.base}"; [ "$run" = "$label" ] || label="$label (base)"
    printf "| %s | vitc %s%s%s | %.2f | %.2f | %.2f | %s | %s |\n" "$name" "$label" "$qlabel" "$thr_label" "$m" \
      "$(fastest "$work/$run.times")" "$(awk -v a="$m" -v b="$ort" 'BEGIN { print a / b }')" "$(rate "$m")" \
      "$(cat "$work/$run.wbytes")"
  done
done
