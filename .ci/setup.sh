#!/usr/bin/env bash
# .ci/setup.sh: installs everything vitc needs on Debian 12 and builds it.
#   apt: toolchain, protobuf-c, Debian's onnx.proto and backend test data, Check,
#        torch/onnx/numpy (exporting the test models), ARM cross compilers and qemu-user,
#        libclang 14 (vitc validate), clang 14 with its sanitizer and libFuzzer runtimes (fuzz/),
#        node (if absent)
#   npm: onnxruntime-node 1.30.0 (the reference), into tests/ort/node_modules
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

pkgs=(build-essential cmake pkg-config clang
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata check
      python3-torch python3-onnx python3-numpy
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user
      libclang-14-dev llvm-14-dev                                 # vitc validate parses generated C with libclang
      clang-14 libclang-rt-14-dev)                                # the fuzzer: -fsanitize=fuzzer,address,undefined (fuzz/)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -e tests/ort/node_modules/onnxruntime-node/package.json ]; then
  echo "setup: installing onnxruntime-node (npm)"
  # The post-install script would try to download GPU libraries; the package ships the CPU library.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --prefix tests/ort --no-audit --no-fund --loglevel=error
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

# The DeiT-Tiny-shaped model is 22 MB: regenerated, not committed.
if [ ! -e models/deit_tiny.onnx ]; then
  echo "setup: exporting models/deit_tiny.onnx"
  /usr/bin/python3 models/export.py --only deit_tiny --no-ort
fi
echo "setup: done (compiler at build/vitc)"
