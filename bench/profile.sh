#!/usr/bin/env bash
# bench/profile.sh: where the time goes, per kind of op, in a vitc bundle and in ONNX Runtime.
#
#   bench/profile.sh [--target T] [--runs N] [MODEL.onnx]      (default: the target --target native picks, DeiT-Tiny)
#
# vitc: compiles the model with --main, builds it with $CC $CFLAGS -g -DVITC_PROFILE (each kernel
# stays a function of its own: templates/prelude.h; the median is printed next to the plain
# build's so the cost of that is visible), samples N runs with `perf record` and sums the samples
# per kernel family (the kernel symbol names say the family: vitc_f32_attention_*, ...).
# ONNX Runtime: bench/ort_profile.js, ORT's own profiler, summed per op type of its optimized graph.
# Both on one thread, on the same random input. Percentages are of each runtime's own total.
set -euo pipefail
cd "$(dirname "$0")/.."
target=""
runs=200
model=models/deit_tiny.onnx
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) model=$1; shift ;;
  esac
done
command -v perf >/dev/null || { echo "profile: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
[ -x build/vitc ] || { echo "build/vitc is missing: run bash .ci/setup.sh" >&2; exit 1; }
[ -n "$target" ] || target=$(build/vitc targets | awk '$1 == "native" { print $3 }') # what --target native picks
[ -e "$model" ] || sh tests/ensure_model.sh "$(basename "$model" .onnx)" >&2 # DeiT-Tiny, the stages: not in git
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O3 -march=native}

name=$(basename "$model" .onnx | tr -c 'A-Za-z0-9_\n' '_')
work=build/bench/profile/$name/$target
rm -rf "$work" && mkdir -p "$work/data"
node tests/ort/ort_run.js "$model" --gen-inputs "$work/data" --seed 7 --out-dir "$work/data" >/dev/null
ins=(); for f in "$work/data"/input*.bin; do ins+=(--in "$f"); done
build/vitc compile "$model" -o "$work/c" --name "$name" --main --target "$target" -q >/dev/null
# shellcheck disable=SC2086
$CC $CFLAGS -o "$work/prog" "$work/c"/*.c -lm
# shellcheck disable=SC2086
$CC $CFLAGS -g -DVITC_PROFILE -o "$work/prog_profile" "$work/c"/*.c -lm
plain=$("$work/prog" "${ins[@]}" --out /dev/null --bench 50 | awk '/median_ms/ {print $2}')
profiled=$("$work/prog_profile" "${ins[@]}" --out /dev/null --bench 50 | awk '/median_ms/ {print $2}')
perf record -q -F 4000 -o "$work/perf.data" "$work/prog_profile" "${ins[@]}" --out /dev/null --bench "$runs" >/dev/null 2>&1

echo "## vitc $name --target $target: median $plain ms (built with -DVITC_PROFILE: $profiled ms)"
echo
echo "| kernel family | share of samples |"
echo "| --- | ---: |"
perf report -i "$work/perf.data" --stdio --sort symbol 2>/dev/null | awk '
  /^#/ || NF < 3 { next }
  {
    pct = $1; sub(/%/, "", pct); sym = $3
    if (sym ~ /gemm_ukernel/) k = "GEMM microkernel (with fused bias, GELU, residual)"
    else if (sym ~ /gemm_pack|gemm_drive|gemm_[0-9]+x[0-9]+/) k = "GEMM packing of A and driver loops"
    else if (sym ~ /f32_gemm|f32_matmul/) k = "GEMM (reference kernel)"
    else if (sym ~ /attention/) k = "fused attention (QK^T, softmax, .V)"
    else if (sym ~ /conv2d/) k = "convolution: im2col packing, depthwise and direct kernels"
    else if (sym ~ /tokens|topk/) k = "token selection: TopK, gather and scatter of tokens"
    else if (sym ~ /layernorm/) k = "LayerNorm"
    else if (sym ~ /softmax/) k = "Softmax"
    else if (sym ~ /transpose|copy|gather|concat|slice/) k = "layout copies"
    else if (sym ~ /^vitc_/) k = "element-wise and other kernels"
    else if (sym ~ /^__mem(set|move|cpy)/) k = "memcpy, memset (copies and zero padding in kernels)"
    else k = "outside the model (libc, kernel, harness)"
    share[k] += pct
  }
  END { for (k in share) printf "| %s | %.1f%% |\n", k, share[k] }' | sort -t'|' -k3 -rn
echo
echo "## ONNX Runtime (its own profiler, 1 thread; profiling adds overhead)"
echo
echo "| op type | ms per run | share |"
echo "| --- | ---: | ---: |"
node bench/ort_profile.js "$model" "${ins[@]}" --runs 20 | awk '
  $1 == "total" { total = $0; next }
  { printf "| %s | %.2f | %.1f%% |\n", $1, $2, $3 }
  END { sub(/^total /, "", total); print ""; print "kernel time total " total }'
