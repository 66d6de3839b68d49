#!/bin/sh
# tests/check_toolchains.sh VITC WORK: the CMake toolchain files for ARM
# (runtime/cmake/toolchains/*.cmake), used the way a consumer uses them.
#
# vit_tiny32 is compiled once for the neon target with --main; then, per toolchain
# file, tests/toolchain_consumer is configured with -DCMAKE_TOOLCHAIN_FILE, built,
# and its ctest run, which runs the harness under the toolchain's emulator; the
# output must match ONNX Runtime's (computed on the host) within 1e-4 * max(1,
# max|ref|). A missing compiler, qemu or ONNX Runtime fails the test: the setup
# installs them all.
set -u
vitc=$1
work=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
model=$repo/models/vit_tiny32.onnx

if ! node -e "require('$repo/tests/ort/node_modules/onnxruntime-node')" >/dev/null 2>&1; then
  echo "check_toolchains: FAIL: node with onnxruntime-node is not available (.ci/setup.sh installs it; see tests/ort)"
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
node "$repo/tests/ort/ort_run.js" "$model" --gen-inputs "$work/ref" --seed 7 --out-dir "$work/ref" >"$work/ort.log" 2>&1 ||
  { echo "check_toolchains: FAIL: ONNX Runtime failed on $model:"; cat "$work/ort.log"; exit 1; }
"$vitc" compile "$model" -o "$work/bundle" --target neon --main --quiet >/dev/null ||
  { echo "check_toolchains: FAIL: vitc compile --target neon failed"; exit 1; }
# The generated-code contract, for AArch64 and for ARMv7 (docs/validate.md).
for f in "$work"/bundle/*.c; do
  for triple in aarch64-linux-gnu arm-linux-gnueabihf; do
    "$vitc" validate "$f" --target neon --triple "$triple" ||
      { echo "check_toolchains: FAIL: vitc validate $f --target neon --triple $triple"; exit 1; }
  done
done

# toolchain file, C compiler, emulator, sysroot, Debian packages
set -- \
  "aarch64-linux-gnu-gcc aarch64-linux-gnu-gcc qemu-aarch64 /usr/aarch64-linux-gnu gcc-aarch64-linux-gnu,libc6-dev-arm64-cross,qemu-user" \
  "aarch64-linux-gnu-clang clang qemu-aarch64 /usr/aarch64-linux-gnu clang,gcc-aarch64-linux-gnu,libc6-dev-arm64-cross,qemu-user" \
  "arm-linux-gnueabihf arm-linux-gnueabihf-gcc qemu-arm /usr/arm-linux-gnueabihf gcc-arm-linux-gnueabihf,libc6-dev-armhf-cross,qemu-user"
ran=0
failed=0
for row in "$@"; do
  set -- $row
  tc=$1 cc=$2 emu=$3 sysroot=$4 pkgs=$5
  if ! command -v "$cc" >/dev/null || ! command -v "$emu" >/dev/null || [ ! -d "$sysroot" ]; then
    echo "[$tc] FAIL: needs $cc, $emu and $sysroot (apt-get install $(echo "$pkgs" | tr , ' '))"
    failed=$((failed + 1))
    continue
  fi
  b=$work/build-$tc
  ok=1
  cmake -S "$repo/tests/toolchain_consumer" -B "$b" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$repo/runtime/cmake/toolchains/$tc.cmake" \
    -DBUNDLE_DIR="$work/bundle" -DINPUT="$work/ref/input0.bin" >"$b.configure.log" 2>&1 ||
    { echo "[$tc] FAIL: cmake configure:"; tail -20 "$b.configure.log"; ok=0; }
  [ $ok = 1 ] && { cmake --build "$b" >"$b.build.log" 2>&1 ||
    { echo "[$tc] FAIL: build:"; tail -20 "$b.build.log"; ok=0; }; }
  [ $ok = 1 ] && { ctest --test-dir "$b" --output-on-failure >"$b.ctest.log" 2>&1 ||
    { echo "[$tc] FAIL: ctest (the harness under $emu):"; tail -20 "$b.ctest.log"; ok=0; }; }
  if [ $ok = 1 ]; then
    how=$(grep -o 'add_test([a-z_]* "[^"]*" "-L" "[^"]*"' "$b/CTestTestfile.cmake" | sed 's/add_test([a-z_]* //; s/"//g')
    cmp=$(node "$repo/tests/ort/compare.js" "$b/output.bin" "$work/ref/ort_output0.bin" 2>&1) || ok=0
    echo "[$tc] $(grep -o 'identification is .*' "$b.configure.log" | head -1 | sed 's/identification is //'), run by ctest via '$how': $cmp: $([ $ok = 1 ] && echo ok || echo FAIL)"
  fi
  ran=$((ran + 1))
  [ $ok = 1 ] || failed=$((failed + 1))
done
echo "check_toolchains: $ran toolchain(s) run, $failed failed"
[ $failed = 0 ]
