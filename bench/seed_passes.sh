#!/usr/bin/env bash
# bench/seed_passes.sh: the seed passes' models against ONNX Runtime, and each ratio
# against the bound the project set for it (issue 8, docs/PERFORMANCE.md).
#
#   bench/seed_passes.sh [--targets "avx2 avx512"] [--rounds R] [--runs N]
#
# Runs bench/compare.sh (vitc and ONNX Runtime alternated in one run, one thread,
# ratio of medians; every bundle checked against ONNX Runtime before it is timed) on
# FilterViT's and DropoutViT's stages and models, MobileViT-XXS, MABViT at ViT-S size
# and DeiT-Tiny with and without NOSE's degenerated blocks, then prints per model and
# target the ratio and its bound. NOSE's bound is not a ratio to ONNX Runtime but to the
# same network undegenerated: vitc's time on deit_tiny_nose (blocks 0, 2, 4, 6 at
# lambda = 0) over its time on deit_tiny, both from the same run. Models absent from
# models/ are exported first (models/export.py, through compare.sh). A bound exceeded is
# reported, not an error: timings on a shared machine are not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="avx2 avx512"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --targets) targets=$2; shift 2 ;;
    --rounds | --runs) args+=("$1" "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# model and its bound (vitc time / ONNX Runtime time); "-" for the NOSE pair's reference
bounds="filter_stage28 0.5
filter_vit2 0.5
filter_vit 0.5
filter_vit_b2 0.6
filter_vit_seq 0.6
dropout_stage28 0.4
dropout_vit 0.4
mobilevit_xxs 0.85
mabvit_s 0.65
mabvit_s_geglu 0.65
mabvit_s_sep 0.65
deit_tiny -
deit_tiny_nose -"
models=()
while read -r m _; do models+=("models/$m.onnx"); done <<< "$bounds"
table=$(bench/compare.sh --targets "$targets" "${args[@]}" "${models[@]}")
echo "$table"
echo
echo "| model | target | vitc / ORT | bound | |"
echo "| --- | --- | ---: | ---: | --- |"
while read -r m bound; do
  [ "$bound" = - ] && continue
  for t in $targets; do
    r=$(echo "$table" | awk -F' *[|] *' -v m="$m" -v r="vitc $t" '$2 == m && $3 == r { print $6 }')
    [ -n "$r" ] || { echo "| $m | $t | (not timed) | $bound | |"; continue; }
    echo "| $m | $t | $r | $bound | $(awk -v r="$r" -v b="$bound" 'BEGIN { print (r <= b ? "within" : "OVER") }') |"
  done
done <<< "$bounds"
for t in $targets; do
  a=$(echo "$table" | awk -F' *[|] *' -v r="vitc $t" '$2 == "deit_tiny_nose" && $3 == r { print $4 }')
  b=$(echo "$table" | awk -F' *[|] *' -v r="vitc $t" '$2 == "deit_tiny" && $3 == r { print $4 }')
  [ -n "$a" ] && [ -n "$b" ] || continue
  awk -v a="$a" -v b="$b" -v t="$t" 'BEGIN { r = a / b; printf "| deit_tiny_nose / deit_tiny (NOSE, vitc alone) | %s | %.2f | 0.87 | %s |\n", t, r, (r <= 0.87 ? "within" : "OVER") }'
done
