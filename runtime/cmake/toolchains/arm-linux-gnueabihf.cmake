# CMake toolchain file: 32-bit ARMv7-A Linux, hard-float, with NEON, using
# Debian's GNU cross compiler (apt-get install gcc-arm-linux-gnueabihf qemu-user).
#
#   cmake -S . -B build-armv7 -DCMAKE_TOOLCHAIN_FILE=<vitc>/runtime/cmake/toolchains/arm-linux-gnueabihf.cmake
#
# vitc's neon bundles run on AArch32 too, but the compiler must be told the FPU:
# -mfpu=neon-vfpv4 (NEON with fused multiply-add, every Cortex-A7/A15/A17 and
# later) and the hard-float ABI of the Debian armhf sysroot. For a NEON unit
# without VFPv4 (Cortex-A8/A9), pass -DVITC_ARM_FPU=neon: the bundle then uses
# separate multiply and add (see docs/cross-compiling.md).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)

set(VITC_CROSS_TRIPLE arm-linux-gnueabihf)
if(NOT VITC_CROSS_SYSROOT)
  set(VITC_CROSS_SYSROOT /usr/${VITC_CROSS_TRIPLE})
endif()
if(NOT VITC_ARM_FPU)
  set(VITC_ARM_FPU neon-vfpv4)
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VITC_CROSS_SYSROOT VITC_ARM_FPU)

set(CMAKE_C_COMPILER ${VITC_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${VITC_CROSS_TRIPLE}-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=${VITC_ARM_FPU} -mfloat-abi=hard")
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=${VITC_ARM_FPU} -mfloat-abi=hard")

set(CMAKE_FIND_ROOT_PATH ${VITC_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(VITC_QEMU_ARM qemu-arm)
if(VITC_QEMU_ARM)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${VITC_QEMU_ARM} -L ${VITC_CROSS_SYSROOT})
endif()
