#!/usr/bin/env bash
# generated/regenerate.sh: rebuild the golden bundles in generated/ from models/.
#
#   generated/regenerate.sh [VITC]        VITC defaults to build/vitc
#
# Each golden is what `vitc compile models/NAME.onnx --main` writes, committed so that
# a change to the emitter, a template or a pass shows up as a reviewable diff of the
# generated C. tests/check_golden.c recompiles every generated/*/ folder with the
# command recorded in its banner and fails on any byte of difference; run this
# script (and review `git diff generated/`) when such a change is intended.
#
# vit_tiny32 is the smallest committed ViT: patch embedding Conv, LayerNorm,
# attention (MatMul/Softmax), Erf GELU MLP, Gemm head.
set -euo pipefail
cd "$(dirname "$0")/.."
VITC=${1:-build/vitc}
GOLDENS=(vit_tiny32)

for name in "${GOLDENS[@]}"; do
  tmp="generated/.$name.new"
  rm -rf "$tmp"
  "$VITC" compile "models/$name.onnx" -o "$tmp" --main --quiet >/dev/null
  rm -rf "generated/$name"
  mv "$tmp" "generated/$name"
  echo "regenerated generated/$name/"
done
