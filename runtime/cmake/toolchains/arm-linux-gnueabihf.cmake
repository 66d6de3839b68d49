# CMake toolchain file: 32-bit ARMv7-A Linux, hard-float, with NEON, using
# Debian's GNU cross compiler (apt-get install gcc-arm-linux-gnueabihf qemu-user).
#
#   cmake -S . -B build-armv7 -DCMAKE_TOOLCHAIN_FILE=<vitc>/runtime/cmake/toolchains/arm-linux-gnueabihf.cmake
#
# vitc's neon bundles run on AArch32 too, but the compiler must be told the FPU:
# -mfpu=neon-vfpv4 (NEON with fused multiply-add, every Cortex-A7/A15/A17 and
# later) and the hard-float ABI of the Debian armhf sysroot. For a NEON unit
# without VFPv4 (Cortex-A8/A9), pass -DVITC_ARM_FPU=neon: the bundle then uses
# separate multiply and add (see docs/cross-compiling.md). The sysroot, the search
# modes and the qemu-user emulator are set by common/linux-cross.cmake.
set(CMAKE_SYSTEM_PROCESSOR armv7-a)
set(VITC_CROSS_TRIPLE arm-linux-gnueabihf)
set(VITC_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/common/linux-cross.cmake)

if(NOT VITC_ARM_FPU)
  set(VITC_ARM_FPU neon-vfpv4)
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VITC_ARM_FPU)

set(CMAKE_C_COMPILER ${VITC_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${VITC_CROSS_TRIPLE}-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=${VITC_ARM_FPU} -mfloat-abi=hard")
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=${VITC_ARM_FPU} -mfloat-abi=hard")
