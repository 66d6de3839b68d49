#!/usr/bin/env bash
# generated/regenerate.sh: rebuild the golden bundles in generated/ from models/.
#
#   generated/regenerate.sh [VITC]        VITC defaults to build/vitc
#
# Each golden is what `vitc compile models/MODEL.onnx --main ...` writes, committed so
# that a change to the emitter, a template or a pass shows up as a reviewable diff of
# the generated C. tests/check_golden.c recompiles every generated/*/ folder with the
# command recorded in its banner and fails on any byte of difference; run this script
# (and review `git diff generated/`) when such a change is intended. generated/README.md
# says more.
#
# One golden per target family, all of vit_tiny32, the smallest committed ViT (patch
# embedding Conv, LayerNorm, attention, Erf GELU MLP, Gemm head): scalar with its
# weights embedded; avx512, neon, and avx2 with --threads 2 with their weights in a
# file (--weights file: NAME.c holds the code and the weights' offsets, NAME.weights
# the packed weights, ~300 KB), so that each folder stays well under 1 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
VITC=${1:-build/vitc}
# folder (the bundle's --name) | model | options
GOLDENS=(
  "vit_tiny32|vit_tiny32|"
  "vit_tiny32_avx512|vit_tiny32|--target avx512 --weights file"
  "vit_tiny32_neon|vit_tiny32|--target neon --weights file"
  "vit_tiny32_avx2_threads2|vit_tiny32|--target avx2 --threads 2 --weights file"
)

for row in "${GOLDENS[@]}"; do
  IFS='|' read -r name model options <<<"$row"
  tmp="generated/.$name.new"
  rm -rf "$tmp"
  # shellcheck disable=SC2086 # options are words
  "$VITC" compile "models/$model.onnx" -o "$tmp" --name "$name" --main --quiet $options >/dev/null
  rm -rf "generated/$name"
  mv "$tmp" "generated/$name"
  echo "regenerated generated/$name/"
done
