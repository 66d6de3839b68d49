# CMake toolchain file: AArch64 Linux with Debian's GNU cross compiler
# (apt-get install gcc-aarch64-linux-gnu qemu-user).
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=<vitc>/runtime/cmake/toolchains/aarch64-linux-gnu-gcc.cmake
#
# Bundles compiled with `vitc compile --target neon` need no extra flags here:
# Advanced SIMD is part of every AArch64 CPU. The sysroot, the search modes and the
# qemu-user emulator are set by common/linux-cross.cmake.
# Override the sysroot with -DVITC_CROSS_SYSROOT=/path (default: Debian's).
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(VITC_CROSS_TRIPLE aarch64-linux-gnu)
set(VITC_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/common/linux-cross.cmake)

set(CMAKE_C_COMPILER ${VITC_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${VITC_CROSS_TRIPLE}-g++)
