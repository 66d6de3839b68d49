# vitcAddModel.cmake: vitc_add_model(), included by vitcConfig.cmake.
#
#   vitc_add_model(<target> MODEL model.onnx TARGET scalar|avx2|avx512|neon|native
#                  [NAME name] [SHAPE input=1x3x224x224 ...] [OPTIONS --strict-nan ...]
#                  [WEIGHTS EMBED|FILE] [DEPENDS file ...] [MAIN]
#                  [VERIFY [VERIFY_OPTIONS --rtol 1e-4 --random 3 ...]])
#
# At build time vitc compiles the model into ${CMAKE_CURRENT_BINARY_DIR}/<target>/
# (NAME.c, NAME.h, vitc_runtime.h, and NAME_main.c with MAIN); <target> is a static
# library of NAME.c with that folder on its PUBLIC include path, so linking it is
# all a program needs to #include "NAME.h". MAIN adds the executable <target>_main,
# the command-line harness (prog --in IN.bin --out OUT.bin [--bench N]).
#
# VERIFY adds the ctest test <target>_verify: `vitc verify` of the model for the
# target (docs/verify.md): vitc builds it with this project's C compiler and flags
# (CMAKE_C_COMPILER, CMAKE_C_FLAGS; when cross compiling also the compiler's target
# and sysroot) and runs it, under CMAKE_CROSSCOMPILING_EMULATOR when cross compiling,
# against ONNX Runtime (onnxruntime-node, docs/verify.md says how to install it).
# VERIFY_OPTIONS are more `vitc verify` options; --strict-nan in OPTIONS is passed on.
# The project must call enable_testing() for the test to run.
#
# WEIGHTS FILE (vitc compile --weights file, for big models) writes the weights to
# NAME.weights in that folder instead of into NAME.c; the program loads the file and
# binds it (NAME_bind_weights), the harness takes --weights PATH. The library's
# property VITC_WEIGHTS_FILE is its full path (empty with WEIGHTS EMBED, the
# default), for install() rules and for telling the program where it is.
#
# The C flags a target needs (-mavx2 -mfma, ...) are not written down here: they
# come from `vitc targets`, asked once per configure, so target.c stays their only
# home. TARGET native is resolved at configure time by that same query, on the
# build machine, and is refused when cross compiling (the build machine says
# nothing about the board). The library's properties VITC_TARGET (the resolved
# target), VITC_NAME, VITC_DIR and VITC_WEIGHTS_FILE say what was made.
#
# The generated files depend on the model, on the vitc executable, and on the
# model's external data files. Those are named inside the model; a model small
# enough to hold its weights outside (under 16 MB) is scanned at configure time for
# names of files next to it, and re-scanned when it changes. DEPENDS adds files the
# scan cannot see.
include_guard(GLOBAL)

# Reads `vitc targets` into global properties: _VITC_TARGETS (the names),
# _VITC_CFLAGS_<name>, _VITC_NATIVE and _VITC_NATIVE_WHY.
function(_vitc_query_targets)
  get_property(done GLOBAL PROPERTY _VITC_TARGETS SET)
  if(done)
    return()
  endif()
  execute_process(COMMAND "${VITC_EXECUTABLE}" targets OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "vitc: `${VITC_EXECUTABLE} targets` failed (${rc}): ${err}")
  endif()
  # The reasons carry semicolons ("has avx2, fma; lacks avx512f"), which would split a line.
  string(REPLACE ";" "," out "${out}")
  string(REPLACE "\n" ";" lines "${out}")
  set(names)
  foreach(line IN LISTS lines)
    if(line MATCHES "^([A-Za-z0-9_]+): ?(.*)$")
      list(APPEND names ${CMAKE_MATCH_1})
      separate_arguments(flags UNIX_COMMAND "${CMAKE_MATCH_2}")
      set_property(GLOBAL PROPERTY _VITC_CFLAGS_${CMAKE_MATCH_1} "${flags}")
    elseif(line MATCHES "^native = ([A-Za-z0-9_]+) \\((.*)\\)$")
      set_property(GLOBAL PROPERTY _VITC_NATIVE "${CMAKE_MATCH_1}")
      set_property(GLOBAL PROPERTY _VITC_NATIVE_WHY "${CMAKE_MATCH_2}")
    endif()
  endforeach()
  if(NOT names)
    message(FATAL_ERROR "vitc: `${VITC_EXECUTABLE} targets` listed no targets (is it vitc 0.1 or later?)")
  endif()
  get_property(native GLOBAL PROPERTY _VITC_NATIVE)
  if(NOT native)
    message(FATAL_ERROR "vitc: `${VITC_EXECUTABLE} targets` did not say what native picks: ${out}")
  endif()
  set_property(GLOBAL PROPERTY _VITC_TARGETS "${names}")
endfunction()

# Files next to `model` whose names appear in it: its external data. Protobuf puts
# a length byte before a string and the next field's tag after it, either of which
# may be printable, so each string is also tried without its first and last byte.
function(_vitc_external_data model out_var)
  set(found)
  file(SIZE "${model}" size)
  if(size LESS 16777216)
    get_filename_component(dir "${model}" DIRECTORY)
    get_filename_component(self "${model}" NAME)
    file(STRINGS "${model}" strings REGEX "^[^;[\\]?[A-Za-z0-9_][A-Za-z0-9_.+-]*.?$" LENGTH_MINIMUM 3)
    list(REMOVE_DUPLICATES strings)
    foreach(s IN LISTS strings)
      string(LENGTH "${s}" n)
      if(n LESS 3) # a ';' in the first byte split it
        continue()
      endif()
      math(EXPR n1 "${n} - 1")
      math(EXPR n2 "${n} - 2")
      string(SUBSTRING "${s}" 1 -1 no_first)
      string(SUBSTRING "${s}" 0 ${n1} no_last)
      string(SUBSTRING "${s}" 1 ${n2} no_both)
      foreach(name IN ITEMS "${s}" "${no_first}" "${no_last}" "${no_both}")
        if(name MATCHES "^[A-Za-z0-9_]" AND NOT name STREQUAL self AND EXISTS "${dir}/${name}"
           AND NOT IS_DIRECTORY "${dir}/${name}")
          list(APPEND found "${dir}/${name}")
        endif()
      endforeach()
    endforeach()
    list(REMOVE_DUPLICATES found)
    # A re-exported model may name other files: scan again when it changes.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${model}")
  endif()
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()

function(vitc_add_model target)
  set(usage "vitc_add_model(<target> MODEL model.onnx TARGET t [NAME n] [SHAPE in=1x3x224x224 ...] [OPTIONS ...] [WEIGHTS EMBED|FILE] [DEPENDS ...] [MAIN] [VERIFY [VERIFY_OPTIONS ...]])")
  cmake_parse_arguments(PARSE_ARGV 1 arg "MAIN;VERIFY" "MODEL;TARGET;NAME;WEIGHTS" "SHAPE;OPTIONS;DEPENDS;VERIFY_OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vitc_add_model(${target}): unexpected arguments '${arg_UNPARSED_ARGUMENTS}'; usage: ${usage}")
  endif()
  if(arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "vitc_add_model(${target}): ${arg_KEYWORDS_MISSING_VALUES} needs a value; usage: ${usage}")
  endif()
  if(TARGET ${target})
    message(FATAL_ERROR "vitc_add_model(${target}): a target named '${target}' already exists")
  endif()

  # MODEL: an existing file, relative to this CMakeLists.txt.
  if(NOT arg_MODEL)
    message(FATAL_ERROR "vitc_add_model(${target}): no MODEL given; usage: ${usage}")
  endif()
  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}" OR IS_DIRECTORY "${model}")
    message(FATAL_ERROR "vitc_add_model(${target}): MODEL ${model} is not a file")
  endif()

  # TARGET: one of `vitc targets`, or native (this machine's best, native builds only).
  if(NOT arg_TARGET)
    message(FATAL_ERROR "vitc_add_model(${target}): no TARGET given; usage: ${usage}")
  endif()
  _vitc_query_targets()
  get_property(known GLOBAL PROPERTY _VITC_TARGETS)
  string(REPLACE ";" ", " known_str "${known}")
  set(vtarget "${arg_TARGET}")
  if(vtarget STREQUAL "native")
    if(CMAKE_CROSSCOMPILING)
      message(FATAL_ERROR "vitc_add_model(${target}): TARGET native means the machine running the build, "
                          "but this build cross compiles for ${CMAKE_SYSTEM_PROCESSOR}: name the target "
                          "(one of: ${known_str})")
    endif()
    get_property(vtarget GLOBAL PROPERTY _VITC_NATIVE)
    get_property(why GLOBAL PROPERTY _VITC_NATIVE_WHY)
    message(STATUS "vitc: ${target}: TARGET native: picked ${vtarget} (${why})")
  elseif(NOT vtarget IN_LIST known)
    message(FATAL_ERROR "vitc_add_model(${target}): unknown TARGET '${vtarget}' (known: ${known_str}, native)")
  endif()
  # A bundle for another ISA would fail in the C compiler with pages of intrinsics errors.
  set(proc "${CMAKE_SYSTEM_PROCESSOR}")
  if(proc AND ((vtarget MATCHES "^avx" AND NOT proc MATCHES "^(x86_64|AMD64|amd64|x86|i[3-6]86)$")
               OR (vtarget STREQUAL "neon" AND NOT proc MATCHES "^(aarch64|arm64|ARM64|arm)")))
    message(FATAL_ERROR "vitc_add_model(${target}): TARGET ${vtarget} does not run on ${proc}; to build for "
                        "another CPU, cross compile (-DCMAKE_TOOLCHAIN_FILE=${VITC_TOOLCHAIN_DIR}/...)")
  endif()
  get_property(cflags GLOBAL PROPERTY _VITC_CFLAGS_${vtarget})

  # NAME: vitc's default, the model's stem as a C identifier ("m_" before a digit).
  set(name "${arg_NAME}")
  if(NOT name)
    get_filename_component(stem "${model}" NAME_WLE)
    string(MAKE_C_IDENTIFIER "${stem}" name) # "3x" -> "_3x"
    if(stem MATCHES "^[0-9]")
      set(name "m${name}")
    endif()
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "vitc_add_model(${target}): NAME '${name}' is not a C identifier")
  endif()

  # WEIGHTS: in NAME.c (EMBED, the default) or in NAME.weights next to it (FILE).
  set(weights "${arg_WEIGHTS}")
  if(NOT weights)
    set(weights EMBED)
  endif()
  if(NOT weights MATCHES "^(EMBED|FILE)$")
    message(FATAL_ERROR "vitc_add_model(${target}): WEIGHTS '${weights}' is not EMBED or FILE")
  endif()
  if(arg_OPTIONS MATCHES "(^|;)--weights")
    message(FATAL_ERROR "vitc_add_model(${target}): give the weights mode as WEIGHTS EMBED|FILE, not in OPTIONS")
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  set(outputs "${dir}/${name}.c" "${dir}/${name}.h" "${dir}/vitc_runtime.h")
  set(args compile "${model}" -o "${dir}" --target ${vtarget} --name ${name})
  set(weights_file "")
  if(weights STREQUAL "FILE")
    set(weights_file "${dir}/${name}.weights")
    list(APPEND args --weights file)
    list(APPEND outputs "${weights_file}")
  endif()
  foreach(shape IN LISTS arg_SHAPE)
    list(APPEND args --shape "${shape}")
  endforeach()
  if(arg_MAIN)
    list(APPEND args --main)
    list(APPEND outputs "${dir}/${name}_main.c")
  endif()
  # --threads N (N > 1) adds the worker pool files, built with the threads library.
  set(threads 0)
  set(prev "")
  foreach(opt IN LISTS arg_OPTIONS)
    if(prev STREQUAL "--threads")
      set(threads "${opt}")
    elseif(opt MATCHES "^--threads=(.*)$")
      set(threads "${CMAKE_MATCH_1}")
    endif()
    set(prev "${opt}")
  endforeach()
  set(pool_sources)
  if(threads MATCHES "^[0-9]+$" AND threads GREATER 1)
    set(pool_sources "${dir}/vitc_pool.c")
    list(APPEND outputs "${dir}/vitc_pool.c" "${dir}/vitc_pool.h")
  endif()
  list(APPEND args ${arg_OPTIONS})

  _vitc_external_data("${model}" data_files)
  set(depends "${model}" ${data_files} "${VITC_EXECUTABLE}")
  foreach(dep IN LISTS arg_DEPENDS)
    get_filename_component(dep "${dep}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND depends "${dep}")
  endforeach()

  file(RELATIVE_PATH model_shown "${CMAKE_SOURCE_DIR}" "${model}")
  if(model_shown MATCHES "^\\.\\./")
    set(model_shown "${model}")
  endif()
  # The path, not vitc::vitc: CMake would run an imported executable through
  # CMAKE_CROSSCOMPILING_EMULATOR, but vitc is a program of the build machine.
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${VITC_EXECUTABLE}" ${args}
    DEPENDS ${depends}
    COMMENT "vitc: compiling ${model_shown} for ${vtarget} into ${target}/${name}.c"
    VERBATIM)

  add_library(${target} STATIC "${dir}/${name}.c" ${pool_sources})
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${dir}>")
  target_compile_options(${target} PRIVATE ${cflags})
  target_compile_features(${target} PRIVATE c_std_99)
  if(NOT WIN32)
    target_link_libraries(${target} PUBLIC -lm) # -lm, not m: a target may be called m
  endif()
  if(pool_sources)
    find_package(Threads REQUIRED)
    target_link_libraries(${target} PUBLIC Threads::Threads)
  endif()
  set_target_properties(${target} PROPERTIES VITC_TARGET ${vtarget} VITC_NAME ${name} VITC_DIR "${dir}"
                                             VITC_WEIGHTS_FILE "${weights_file}")

  if(arg_MAIN)
    add_executable(${target}_main "${dir}/${name}_main.c")
    target_link_libraries(${target}_main PRIVATE ${target})
  endif()

  if(arg_VERIFY)
    set(vargs verify "${model}" --target ${vtarget})
    foreach(shape IN LISTS arg_SHAPE)
      list(APPEND vargs --shape "${shape}")
    endforeach()
    if("--strict-nan" IN_LIST arg_OPTIONS)
      list(APPEND vargs --strict-nan)
    endif()
    set(cc "${CMAKE_C_COMPILER}")
    if(CMAKE_CROSSCOMPILING)
      if(CMAKE_C_COMPILER_TARGET)
        string(APPEND cc " --target=${CMAKE_C_COMPILER_TARGET}")
      endif()
      if(CMAKE_SYSROOT)
        string(APPEND cc " --sysroot=${CMAKE_SYSROOT}")
      endif()
      if(CMAKE_CROSSCOMPILING_EMULATOR)
        string(JOIN " " runner ${CMAKE_CROSSCOMPILING_EMULATOR})
        list(APPEND vargs --runner "${runner}")
      endif()
    endif()
    list(APPEND vargs ${arg_VERIFY_OPTIONS})
    add_test(NAME ${target}_verify COMMAND "${VITC_EXECUTABLE}" ${vargs})
    # CC for the host's targets, VITC_CROSS_CC for neon built off ARM (vitc verify picks)
    set_tests_properties(${target}_verify PROPERTIES
                         ENVIRONMENT "CC=${cc};VITC_CROSS_CC=${cc};VITC_CFLAGS=${CMAKE_C_FLAGS}")
  endif()
endfunction()
