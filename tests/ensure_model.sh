#!/bin/sh
# tests/ensure_model.sh NAME: make sure models/NAME.onnx exists, exporting it with
# models/export.py (Debian's torch) when it is absent. ctest runs this as the setup
# fixture of the model's regression test (models/deit_tiny.onnx is 22 MB: not in git).
#
# The export goes to a temporary folder inside models/ and is renamed into place, so
# an interrupted export never leaves a truncated model behind. Fails, with the
# reason, when torch or onnx is missing (the setup installs them).
set -eu
name=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
model="$repo/models/$name.onnx"
if [ -s "$model" ]; then
  echo "ensure_model: $model is present (delete it to re-export)"
  exit 0
fi
py=/usr/bin/python3
if ! "$py" -c 'import torch, onnx, numpy' 2>/dev/null; then
  echo "ensure_model: FAIL: $model is absent and $py cannot import torch, onnx and numpy" \
       "(apt-get install python3-torch python3-onnx python3-numpy)"
  exit 1
fi
tmp=$(mktemp -d "$repo/models/.export-$name-XXXXXX.tmp")
trap 'rm -rf "$tmp"' EXIT
echo "ensure_model: exporting $name with models/export.py (about a minute)"
"$py" "$repo/models/export.py" --only "$name" --no-ort --out-dir "$tmp"
mv "$tmp/$name.onnx" "$model"
echo "ensure_model: wrote $model"
