#!/bin/bash
# bench/int8_speed.sh: DeiT-Tiny's int8 bundles against its fp32 bundle, alternated in one
# run on one thread (issue 13's bounds: QDQ and --quantize int8 in at most 0.45x the fp32
# bundle's time on AVX-512 VNNI, 0.65x on AVX2 alone).
#
#   bench/int8_speed.sh [--rounds R] [--runs N] [--targets "avx512 avx512_vnni"]
#
# Per target T (avx512_vnni and avx2 run the fp32 model as avx512 and avx2: the
# sub-target changes only the int8 GEMM): the fp32 DeiT-Tiny, the QDQ DeiT-Tiny
# (models/deit_tiny_qdq.onnx, written by models/quantize_qdq.py when absent) and
# `--quantize int8` of the fp32 one, built with $CC $CFLAGS (default -O3 -march=native;
# CFLAGS="-O3 -march=znver3" makes the avx2 rows a Zen 3 proxy on a newer CPU, as
# docs/PERFORMANCE.md explains), each timed for
# N runs per round (median) in R alternating rounds; printed: the median of the round
# medians and the ratio to the fp32 bundle, and each bundle's weights bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5; runs=20; targets="avx512_vnni avx2"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
VITC=${VITC:-build/vitc}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O3 -march=native}
[ -e models/deit_tiny.onnx ] || sh tests/ensure_model.sh deit_tiny >&2
[ -e models/deit_tiny_qdq.onnx ] || /usr/bin/python3 models/quantize_qdq.py models/deit_tiny.onnx models/deit_tiny_qdq.onnx >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/int8_speed.XXXXXX")
trap 'rm -rf "$work"' EXIT
node tests/ort/ort_run.js models/deit_tiny.onnx --gen-inputs "$work/d" --seed 7 --out-dir "$work/d" >/dev/null
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "| target | bundle | median ms | ratio to fp32 | weights bytes |"
echo "| --- | --- | ---: | ---: | ---: |"
for t in $targets; do
  base=${t%_vnni}
  names=(fp32 qdq quantize_int8)
  "$VITC" compile models/deit_tiny.onnx -o "$work/$t/fp32" --name net --main --target "$base" -q >/dev/null
  "$VITC" compile models/deit_tiny_qdq.onnx -o "$work/$t/qdq" --name net --main --target "$t" -q >/dev/null
  "$VITC" compile models/deit_tiny.onnx -o "$work/$t/quantize_int8" --name net --main --target "$t" -q \
    --quantize int8 >/dev/null
  for b in "${names[@]}"; do
    $CC $CFLAGS -o "$work/$t/$b/prog" "$work/$t/$b/net.c" "$work/$t/$b/net_main.c" -lm
    : > "$work/$t/$b.times"
  done
  for ((r = 0; r < rounds; r++)); do
    for b in "${names[@]}"; do
      "$work/$t/$b/prog" --in "$work/d/input0.bin" --out /dev/null --bench "$runs" | awk '/median_ms/ { print $2 }' \
        >> "$work/$t/$b.times"
    done
  done
  f=$(median < "$work/$t/fp32.times")
  for b in "${names[@]}"; do
    m=$(median < "$work/$t/$b.times")
    bytes=$("$VITC" compile "$( [ $b = qdq ] && echo models/deit_tiny_qdq.onnx || echo models/deit_tiny.onnx)" \
      -o "$work/$t/$b.w" --name net --target "$([ $b = fp32 ] && echo "$base" || echo "$t")" --weights file -q \
      $([ $b = quantize_int8 ] && echo --quantize int8) >/dev/null && stat -c %s "$work/$t/$b.w/net.weights")
    printf "| %s | %s | %.2f | %.2f | %s |\n" "$t" "$b" "$m" "$(awk -v a="$m" -v b="$f" 'BEGIN { print a / b }')" "$bytes"
  done
done
