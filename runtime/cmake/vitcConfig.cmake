# vitcConfig.cmake: find_package(vitc) for projects that ship vitc-compiled models.
#
#   find_package(vitc 0.1 REQUIRED)
#   vitc_add_model(classifier MODEL model.onnx TARGET neon NAME net)   # a static library
#   target_link_libraries(app PRIVATE classifier)                       # #include "net.h"
#
# The package is the installed layout `cmake --install` makes: PREFIX/bin/vitc (a
# host program: it embeds its kernel templates, so it needs nothing else at build
# time), this folder PREFIX/lib/cmake/vitc, and the toolchain files in
# PREFIX/share/vitc/toolchains. vitc always runs on the build machine, so when
# cross compiling this file is found by -Dvitc_DIR=PREFIX/lib/cmake/vitc, or by
# CMAKE_PREFIX_PATH together with find_package(... NO_CMAKE_FIND_ROOT_PATH): a
# toolchain file with CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY otherwise looks only
# inside the target's sysroot (docs/cmake.md).
#
# Sets VITC_EXECUTABLE (override with -DVITC_EXECUTABLE=/path/to/vitc), VITC_VERSION,
# VITC_TOOLCHAIN_DIR, the imported executable vitc::vitc, and vitc_add_model().
get_filename_component(_vitc_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT VITC_EXECUTABLE)
  set(VITC_EXECUTABLE "${_vitc_prefix}/bin/vitc")
endif()
if(NOT EXISTS "${VITC_EXECUTABLE}")
  set(vitc_FOUND FALSE)
  set(vitc_NOT_FOUND_MESSAGE "the vitc compiler is not at ${VITC_EXECUTABLE} (install vitc with "
                             "`cmake --install BUILD --prefix PREFIX`, or pass -DVITC_EXECUTABLE=...)")
  return()
endif()
set(VITC_VERSION "${vitc_VERSION}")
set(VITC_TOOLCHAIN_DIR "${_vitc_prefix}/share/vitc/toolchains")

if(NOT TARGET vitc::vitc)
  add_executable(vitc::vitc IMPORTED)
  set_target_properties(vitc::vitc PROPERTIES IMPORTED_LOCATION "${VITC_EXECUTABLE}")
endif()

include("${CMAKE_CURRENT_LIST_DIR}/vitcAddModel.cmake")
unset(_vitc_prefix)
