#!/usr/bin/env bash
# bench/default_model.sh: the main job on the bundled default model.
#
# Exports the DeiT-Tiny-shaped ViT (if needed), compiles it to C with vitc, builds
# the bundle with the system C compiler, runs it and ONNX Runtime (one thread each)
# on the same random input, compares the outputs and prints both median times.
#   bench/default_model.sh [MODEL.onnx] [RUNS]
# The target is the best this machine runs (--target native: avx512, avx2, neon or
# scalar); TARGET=scalar (or any target) overrides it.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/deit_tiny.onnx}
runs=${2:-20}
name=$(basename "$model" .onnx | tr -c 'A-Za-z0-9_\n' '_')
out=build/bundles/$name
data=build/bundles/$name.data
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O3 -march=native}
target=${TARGET:-native}

[ -x build/vitc ] || { echo "build/vitc is missing: run bash .ci/setup.sh first" >&2; exit 1; }
if [ ! -e "$model" ] && [ "$model" = models/deit_tiny.onnx ]; then
  /usr/bin/python3 models/export.py --only deit_tiny --no-ort
fi

echo "== vitc compile $model (target $target)"
rm -rf "$out"
build/vitc compile "$model" -o "$out" --name "$name" --main --target "$target"
echo "== $CC $CFLAGS $out/*.c -lm"
/usr/bin/time -f "cc: %e s, peak %M KB" $CC $CFLAGS -o "$out/$name" "$out"/*.c -lm

mkdir -p "$data"
echo "== ONNX Runtime 1.30 (1 thread): reference output and timing"
ort_ms=$(node tests/ort/ort_run.js "$model" --gen-inputs "$data" --seed 1 --out-dir "$data" --bench "$runs" | awk '/median_ms/ {print $2}')
ins=(); for f in "$data"/input*.bin; do ins+=(--in "$f"); done
outs=(); i=0; for f in "$data"/ort_output*.bin; do outs+=(--out "$data/vitc_output$i.bin"); i=$((i+1)); done
echo "== vitc bundle: output and timing"
vitc_ms=$("$out/$name" "${ins[@]}" "${outs[@]}" --bench "$runs" | awk '/median_ms/ {print $2}')
status=0
for ((k = 0; k < i; k++)); do
  node tests/ort/compare.js "$data/vitc_output$k.bin" "$data/ort_output$k.bin" --rtol 1e-4 || status=1
done
echo "== times (median of $runs runs, one thread)"
echo "onnxruntime_ms $ort_ms"
echo "vitc_ms        $vitc_ms"
awk -v a="$vitc_ms" -v b="$ort_ms" 'BEGIN { if (b > 0) printf "ratio vitc/ort %.2f\n", a / b }'
[ $status = 0 ] && echo "outputs match ONNX Runtime" || echo "OUTPUTS DIFFER from ONNX Runtime"
exit $status
