# CMake toolchain file: AArch64 Linux with clang, using Debian's GNU cross
# sysroot and binutils (apt-get install clang gcc-aarch64-linux-gnu qemu-user).
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=<vitc>/runtime/cmake/toolchains/aarch64-linux-gnu-clang.cmake
#
# clang --target=aarch64-linux-gnu finds the headers, crt files and libgcc that
# gcc-aarch64-linux-gnu installs (/usr/aarch64-linux-gnu, /usr/lib/gcc-cross) and
# links with aarch64-linux-gnu-ld. Set -DVITC_CLANG=clang-14 to pick a versioned
# clang; -DVITC_CROSS_SYSROOT=/path to use another sysroot. The sysroot, the search
# modes and the qemu-user emulator are set by common/linux-cross.cmake.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(VITC_CROSS_TRIPLE aarch64-linux-gnu)
set(VITC_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/common/linux-cross.cmake)

if(NOT VITC_CLANG)
  set(VITC_CLANG clang)
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VITC_CLANG)

set(CMAKE_C_COMPILER ${VITC_CLANG})
set(CMAKE_C_COMPILER_TARGET ${VITC_CROSS_TRIPLE})
set(CMAKE_CXX_COMPILER ${VITC_CLANG}++)
set(CMAKE_CXX_COMPILER_TARGET ${VITC_CROSS_TRIPLE})
