# What every toolchain file of runtime/cmake/toolchains/ sets alike: a Linux target
# with a Debian-style cross sysroot, found-in-sysroot-only headers and libraries, and
# qemu-user as the emulator that runs the target's programs. Included by those files
# after they set
#   VITC_CROSS_TRIPLE  the GNU triple (aarch64-linux-gnu, arm-linux-gnueabihf)
#   VITC_CROSS_QEMU    the qemu-user program for it (qemu-aarch64, qemu-arm)
# Override the sysroot with -DVITC_CROSS_SYSROOT=/path (default: Debian's /usr/TRIPLE);
# the emulator is found as VITC_QEMU_AARCH64 or VITC_QEMU_ARM (a cache variable).
set(CMAKE_SYSTEM_NAME Linux)

if(NOT VITC_CROSS_SYSROOT)
  set(VITC_CROSS_SYSROOT /usr/${VITC_CROSS_TRIPLE})
endif()
# try_compile projects re-read the toolchain file: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VITC_CROSS_SYSROOT)

# Headers and libraries from the target's tree only; programs (code generators) from the host.
set(CMAKE_FIND_ROOT_PATH ${VITC_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The emulator line lets a consumer's ctest (and add_test commands naming a target) run
# the programs under qemu-user, which needs -L to find the target's dynamic loader and libc.
string(TOUPPER "VITC_${VITC_CROSS_QEMU}" _vitc_qemu_var)
string(REPLACE "-" "_" _vitc_qemu_var "${_vitc_qemu_var}")
find_program(${_vitc_qemu_var} ${VITC_CROSS_QEMU})
if(${_vitc_qemu_var})
  set(CMAKE_CROSSCOMPILING_EMULATOR ${${_vitc_qemu_var}} -L ${VITC_CROSS_SYSROOT})
endif()
