#!/bin/bash
# bench/int8_error.sh: how far vitc's int8 bundles are from the graph's defined
# semantics (docs/int8.md): the error table of issue 13.
#
#   bench/int8_error.sh [--targets "scalar avx2 avx512_vnni neon neon_dotprod"] [--seeds "7 8 9"] QDQ.onnx
#   bench/int8_error.sh --quantize [--targets ...] [--seeds ...] FLOAT.onnx
#
# For each seed (tests/ort/ort_run.js --gen-inputs: uniform in [-1, 1)), ONNX Runtime
# evaluates the QDQ model twice: by the spec (graphOptimizationLevel disabled: float
# Q/DQ) and with its int8 kernels (all); each target's bundle runs on the same input
# (neon under qemu-aarch64 -cpu max). Printed per target: relative L2 and cosine
# against both, averaged over the seeds, and ONNX Runtime's own int8 kernels against
# the spec. With --quantize, the float model is compiled with `vitc compile
# --quantize int8` (random calibration) and compared with ONNX Runtime's float output.
# The noise floor, printed first: ONNX Runtime by the spec on the same input moved up
# by one ulp in every element (numpy's nextafter) against the spec on the input. A
# quantized net turns any last-bit difference into rounding flips at its quantize
# steps and those into percent-level output differences; ONNX Runtime's int8 run
# shares every float kernel (conv, LayerNorm, attention) with its spec run, vitc's
# bundles share none.
set -e
cd "$(dirname "$0")/.."
targets="scalar avx2 avx512 avx512_vnni neon neon_dotprod"
seeds="7 8 9"
quantize=""
while [ $# -gt 1 ]; do
  case "$1" in
    --targets) targets=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --quantize) quantize=1; shift ;;
    *) break ;;
  esac
done
model=$1
[ -f "$model" ] || { echo "usage: $0 [--quantize] [--targets T] [--seeds S] MODEL.onnx" >&2; exit 2; }
VITC=${VITC:-build/vitc}
work=$(mktemp -d "${TMPDIR:-/tmp}/int8_error.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmp() { node tests/ort/compare.js "$1" "$2" --rel-l2 1 --cosine -1 | awk '{ print $2, $4 }'; }
mean() { awk '{ r += $1; c += $2; n++ } END { printf "%.4f | %.6f", r / n, c / n }'; }
for s in $seeds; do
  node tests/ort/ort_run.js "$model" --gen-inputs "$work/s$s" --seed "$s" --out-dir "$work/s$s" \
    --opt-level disabled >/dev/null
  mv "$work/s$s/ort_output0.bin" "$work/s$s/spec.bin"
  node tests/ort/ort_run.js "$model" --in "$work/s$s/input0.bin" --out "$work/s$s/ort.bin" >/dev/null
  [ -n "$quantize" ] && continue
  /usr/bin/python3 -c "import sys, numpy as np
x = np.fromfile(sys.argv[1], np.float32)
np.nextafter(x, np.float32(np.inf)).astype(np.float32).tofile(sys.argv[2])" "$work/s$s/input0.bin" "$work/s$s/ulp.bin"
  node tests/ort/ort_run.js "$model" --in "$work/s$s/ulp.bin" --out "$work/s$s/spec_ulp.bin" --opt-level disabled \
    >/dev/null
done
if [ -z "$quantize" ]; then
  echo "| target | rel L2 vs spec | cosine vs spec | rel L2 vs ORT int8 | cosine vs ORT int8 |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  printf "| ONNX Runtime by the spec, input one ulp up (noise floor) | %s | | |\n" \
    "$(for s in $seeds; do cmp "$work/s$s/spec_ulp.bin" "$work/s$s/spec.bin"; done | mean)"
  printf "| ONNX Runtime int8 kernels (all) | %s | | |\n" "$(for s in $seeds; do cmp "$work/s$s/ort.bin" "$work/s$s/spec.bin"; done | mean)"
else
  echo "| target | rel L2 vs float | cosine vs float |"
  echo "| --- | ---: | ---: |"
fi
for t in $targets; do
  flags=$("$VITC" targets | awk -v t="$t" '$1 == t":" { $1 = ""; print }')
  cc=${CC:-cc}; run=()
  case $t in neon*) cc=aarch64-linux-gnu-gcc; run=(qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu) ;; esac
  q=(); [ -n "$quantize" ] && q=(--quantize int8 --calibrate-random 8)
  "$VITC" compile "$model" -o "$work/$t" --name net --main --target "$t" -q "${q[@]}" >/dev/null
  $cc -O2 $flags -o "$work/$t/prog" "$work/$t/net.c" "$work/$t/net_main.c" -lm
  for s in $seeds; do "${run[@]}" "$work/$t/prog" --in "$work/s$s/input0.bin" --out "$work/$t/out$s.bin"; done
  if [ -z "$quantize" ]; then
    printf "| vitc %s | %s | %s |\n" "$t" "$(for s in $seeds; do cmp "$work/$t/out$s.bin" "$work/s$s/spec.bin"; done | mean)" \
      "$(for s in $seeds; do cmp "$work/$t/out$s.bin" "$work/s$s/ort.bin"; done | mean)"
  else
    printf "| vitc %s --quantize int8 | %s |\n" "$t" "$(for s in $seeds; do cmp "$work/$t/out$s.bin" "$work/s$s/ort.bin"; done | mean)"
  fi
done
