# fuzz/build_fuzzer.cmake: build build/fuzz/vitc_fuzz with clang in a tree of its own,
# whatever compiler the calling tree uses, and optionally run it for a while.
#
#   cmake -DSRC=<source dir> -DTREE=<clang tree> -DOUT=<folder for vitc_fuzz, vitc.dict>
#         [-DRUN_SECONDS=60 -DWORK=<scratch corpus folder>] -P fuzz/build_fuzzer.cmake
#
# tests/CMakeLists.txt runs it as the ctest test fuzz_smoke (60 s) and the top-level
# CMakeLists.txt as the target vitc_fuzz when -DVITC_FUZZ=ON is given to a gcc tree.
# A run starts from fuzz/corpus (read only) and writes what it finds to WORK/corpus and crashes to WORK; any
# crash, leak, sanitizer report or broken error contract fails it (docs/security.md).
find_program(CLANG NAMES clang-14 clang)
if(NOT CLANG)
  message(FATAL_ERROR "clang not found: apt-get install clang-14 libclang-rt-14-dev (.ci/setup.sh does)")
endif()
if(NOT EXISTS ${TREE}/CMakeCache.txt)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${TREE} -DCMAKE_C_COMPILER=${CLANG} -DVITC_FUZZ=ON
                          -DVITC_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
                  RESULT_VARIABLE rc)
  if(rc)
    file(REMOVE ${TREE}/CMakeCache.txt)
    message(FATAL_ERROR "configuring the fuzzer's tree ${TREE} failed")
  endif()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${TREE} --target vitc_fuzz -j2 RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building vitc_fuzz in ${TREE} failed")
endif()
file(MAKE_DIRECTORY ${OUT})
if(NOT TREE STREQUAL OUT)
  file(COPY ${TREE}/fuzz/vitc_fuzz ${TREE}/fuzz/vitc.dict DESTINATION ${OUT})
endif()
if(RUN_SECONDS)
  file(REMOVE_RECURSE ${WORK})
  file(MAKE_DIRECTORY ${WORK}/corpus)
  execute_process(COMMAND ${OUT}/vitc_fuzz -max_total_time=${RUN_SECONDS} -timeout=30 -rss_limit_mb=3072
                          -dict=${OUT}/vitc.dict -artifact_prefix=${WORK}/ ${WORK}/corpus ${SRC}/fuzz/corpus
                  RESULT_VARIABLE rc)
  if(rc)
    file(GLOB found ${WORK}/crash-* ${WORK}/leak-* ${WORK}/timeout-* ${WORK}/oom-*)
    message(FATAL_ERROR "vitc_fuzz failed (${rc}); reproduce with ${OUT}/vitc_fuzz FILE: ${found}")
  endif()
endif()
