#!/usr/bin/env bash
# bench/big_models.sh: compile time and memory on big ViTs, weights embedded and in a file.
#
#   bench/big_models.sh [--models "vit_base16 vit_large16"] [--target T] [--runs N] [--no-chain]
#                       [--cc-large-embed]
#
# For ViT-Base/16 (86M parameters) and ViT-Large/16 (304M) at 224 with random weights
# (models/export.py --only, written to $BENCH_DIR, default build/bench, never to models/)
# and for each weights mode (embed: in NAME.c; file: vitc compile --weights file):
#   - vitc compile: wall time and peak resident memory (/usr/bin/time), the size of
#     NAME.c and of NAME.weights;
#   - $CC -O3 with the target's flags from `vitc targets` (the target: --target, else
#     what native picks here): wall time and peak memory;
#   - one run of the bundle compared with ONNX Runtime on the same input
#     (tests/ort/compare.js: 1e-4 * max(1, max|ref|));
#   - the median of --runs timed runs (after warm-up) of the bundle and of ONNX Runtime
#     1.30 (1 thread each, tests/ort/ort_run.js --bench).
# ViT-Large embedded is a 3.5 GB C file: vitc compile is measured, but cc is skipped
# (the line says why) unless --cc-large-embed. Then, unless --no-chain, the chain of
# 5,000 to 40,000 element-wise nodes (tests/check_chain.c --write): vitc compile time
# and peak memory. Prints the CPU and Markdown tables (docs/PERFORMANCE.md has them).
# Needs build/vitc and build/tests/check_chain (cmake --build build), /usr/bin/time,
# node with tests/ort/node_modules, and /usr/bin/python3 with torch and onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
models="vit_base16 vit_large16"
target=""
runs=5
chain=1
cc_large_embed=0
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-chain) chain=0; shift ;;
    --cc-large-embed) cc_large_embed=1; shift ;;
    *) echo "usage: bench/big_models.sh [--models \"vit_base16 vit_large16\"] [--target T] [--runs N] [--no-chain] [--cc-large-embed]" >&2; exit 2 ;;
  esac
done
VITC=${VITC:-build/vitc}
CC=${CC:-cc}
BENCH_DIR=${BENCH_DIR:-build/bench}
CHAIN=${CHAIN:-build/tests/check_chain}
[ -x "$VITC" ] || { echo "$VITC is missing: cmake --build build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
mkdir -p "$BENCH_DIR"

# The target and its C flags, as `vitc targets` prints them (compiler/emit/target.c).
[ -n "$target" ] || target=$("$VITC" targets | sed -n 's/^native = \([a-z0-9_]*\) .*/\1/p')
flags=$("$VITC" targets | sed -n "s/^$target: \{0,1\}//p")

# "SECONDS MB" of a command (its own output discarded), or fail with its error
# (called as m=$(measure ...), so set -e stops the script).
measure() {
  local log="$BENCH_DIR/.measure.log"
  if ! /usr/bin/time -f "%e %M" -o "$BENCH_DIR/.time" "$@" >"$log" 2>&1; then
    echo "error: $* failed:" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  awk '{ printf "%s %.0f", $1, $2 / 1024 }' "$BENCH_DIR/.time"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mb() { awk -v b="$1" 'BEGIN { printf(b < 1e7 ? "%.1f" : "%.0f", b / 1e6) }'; }

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1) (family $(sed -n 's/^cpu family\t*: //p' /proc/cpuinfo | head -1)," \
  "model $(sed -n 's/^model\t*: //p' /proc/cpuinfo | head -1)), $(nproc) cores; target $target ($CC -O3 $flags)"
echo
rows=()
for name in $models; do
  model=$BENCH_DIR/$name.onnx
  if [ ! -e "$model" ]; then
    echo "exporting $name (models/export.py) ..." >&2
    /usr/bin/python3 models/export.py --only "$name" --out-dir "$BENCH_DIR" --no-ort >&2
  fi
  work=$BENCH_DIR/$name
  mkdir -p "$work/data"
  node tests/ort/ort_run.js "$model" --gen-inputs "$work/data" --seed 7 --out-dir "$work/data" >/dev/null
  ort_ms=$(node tests/ort/ort_run.js "$model" --in "$work/data/input0.bin" --bench "$runs" | awk '/median_ms/ { print $2 }')
  params=$("$VITC" inspect "$model" | awk '/^parameters/ { printf "%.0fM", $2 / 1e6 }')
  for mode in embed file; do
    dir=$work/$mode
    rm -rf "$dir"
    wflag=(); [ $mode = file ] && wflag=(--weights file)
    m=$(measure "$VITC" compile "$model" -o "$dir" --target "$target" --name "$name" --main -q "${wflag[@]}")
    read -r vt vm <<<"$m"
    csize=$(mb "$(stat -c %s "$dir/$name.c")")
    wsize=-; [ $mode = file ] && wsize=$(mb "$(stat -c %s "$dir/$name.weights")")
    if [ $mode = embed ] && [ $name = vit_large16 ] && [ $cc_large_embed = 0 ]; then
      echo "$name, embed: cc skipped: a ${csize} MB C file (--cc-large-embed builds it; ViT-Base's ~1 GB one already takes the time and memory in the table)" >&2
      rm -f "$dir/$name.c" # several GB of disk
      rows+=("| $name ($params) | embed | $vt | $vm | $csize | $wsize | skipped | skipped | - | - | $ort_ms | - |")
      continue
    fi
    # shellcheck disable=SC2086 # $flags is a list of flags
    m=$(measure "$CC" -O3 $flags -o "$dir/prog" "$dir"/*.c -lm)
    read -r ct cm <<<"$m"
    "$dir/prog" --in "$work/data/input0.bin" --out "$dir/out0.bin" # file mode: NAME.weights next to prog
    cmp=$(node tests/ort/compare.js "$dir/out0.bin" "$work/data/ort_output0.bin" 2>&1) && ok=yes || ok=NO
    err=$(echo "$cmp" | awk '/max_abs_err/ { printf "%.1e", $2 }')
    vitc_ms=$("$dir/prog" --in "$work/data/input0.bin" --out /dev/null --bench "$runs" | awk '/median_ms/ { print $2 }')
    ratio=$(awk -v a="$vitc_ms" -v b="$ort_ms" 'BEGIN { printf "%.2f", a / b }')
    rows+=("| $name ($params) | $mode | $vt | $vm | $csize | $wsize | $ct | $cm | $ok ($err) | $vitc_ms | $ort_ms | $ratio |")
  done
done
echo "| model | weights | vitc compile s | vitc peak MB | NAME.c MB | NAME.weights MB | cc -O3 s | cc peak MB | matches ORT (max abs err) | vitc ms | ORT ms | vitc / ORT |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
for r in "${rows[@]}"; do echo "$r"; done

if [ $chain = 1 ]; then
  [ -x "$CHAIN" ] || { echo "$CHAIN is missing: cmake --build build" >&2; exit 1; }
  echo
  echo "| chain of element-wise nodes | vitc compile s | vitc peak MB |"
  echo "| ---: | ---: | ---: |"
  for n in 5000 10000 20000 40000; do
    "$CHAIN" --write "$n" "$BENCH_DIR/chain_$n.onnx"
    m=$(measure "$VITC" compile "$BENCH_DIR/chain_$n.onnx" -o "$BENCH_DIR/chain_$n" --target "$target" -q)
    read -r t mem <<<"$m"
    echo "| $n | $t | $mem |"
  done
fi
