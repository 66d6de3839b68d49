# CMake toolchain file: AArch64 Linux with clang, using Debian's GNU cross
# sysroot and binutils (apt-get install clang gcc-aarch64-linux-gnu qemu-user).
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=<vitc>/runtime/cmake/toolchains/aarch64-linux-gnu-clang.cmake
#
# clang --target=aarch64-linux-gnu finds the headers, crt files and libgcc that
# gcc-aarch64-linux-gnu installs (/usr/aarch64-linux-gnu, /usr/lib/gcc-cross) and
# links with aarch64-linux-gnu-ld. Set -DVITC_CLANG=clang-14 to pick a versioned
# clang; -DVITC_CROSS_SYSROOT=/path to use another sysroot.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(VITC_CROSS_TRIPLE aarch64-linux-gnu)
if(NOT VITC_CROSS_SYSROOT)
  set(VITC_CROSS_SYSROOT /usr/${VITC_CROSS_TRIPLE})
endif()
if(NOT VITC_CLANG)
  set(VITC_CLANG clang)
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VITC_CROSS_SYSROOT VITC_CLANG)

set(CMAKE_C_COMPILER ${VITC_CLANG})
set(CMAKE_C_COMPILER_TARGET ${VITC_CROSS_TRIPLE})
set(CMAKE_CXX_COMPILER ${VITC_CLANG}++)
set(CMAKE_CXX_COMPILER_TARGET ${VITC_CROSS_TRIPLE})

set(CMAKE_FIND_ROOT_PATH ${VITC_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(VITC_QEMU_AARCH64 qemu-aarch64)
if(VITC_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${VITC_QEMU_AARCH64} -L ${VITC_CROSS_SYSROOT})
endif()
