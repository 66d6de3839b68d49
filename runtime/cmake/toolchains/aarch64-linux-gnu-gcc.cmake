# CMake toolchain file: AArch64 Linux with Debian's GNU cross compiler
# (apt-get install gcc-aarch64-linux-gnu qemu-user).
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=<vitc>/runtime/cmake/toolchains/aarch64-linux-gnu-gcc.cmake
#
# Bundles compiled with `vitc compile --target neon` need no extra flags here:
# Advanced SIMD is part of every AArch64 CPU. The emulator line lets a consumer's
# ctest (and add_test commands naming a target) run the programs under qemu-user.
# Override the sysroot with -DVITC_CROSS_SYSROOT=/path (default: Debian's).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(VITC_CROSS_TRIPLE aarch64-linux-gnu)
if(NOT VITC_CROSS_SYSROOT)
  set(VITC_CROSS_SYSROOT /usr/${VITC_CROSS_TRIPLE})
endif()
# try_compile projects re-read this file: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VITC_CROSS_SYSROOT)

set(CMAKE_C_COMPILER ${VITC_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${VITC_CROSS_TRIPLE}-g++)

# Headers and libraries from the target's tree only; programs (code generators) from the host.
set(CMAKE_FIND_ROOT_PATH ${VITC_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# qemu-user needs -L to find the target's dynamic loader and libc.
find_program(VITC_QEMU_AARCH64 qemu-aarch64)
if(VITC_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${VITC_QEMU_AARCH64} -L ${VITC_CROSS_SYSROOT})
endif()
