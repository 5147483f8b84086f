# vnetif_add_fuzzer(<name> SOURCES <files...> [LIBS <targets...>] CORPUS <dir>)
#
# A fuzz target is a file defining LLVMFuzzerTestOneInput (and optionally
# LLVMFuzzerInitialize). Every build makes <name>_replay (the target plus
# tests/fuzz/replay_main.c, with the build's own sanitizers) and a ctest that replays the
# committed corpus <dir> once. With -DVNETIF_SANITIZE=fuzzer (clang) it also builds
# <name>, a libFuzzer executable; scripts/fuzz.sh runs each for a while, seeded from
# <dir>, reading build-fuzz/fuzzers.txt.
set_property(GLOBAL PROPERTY VNETIF_FUZZERS "")

function(vnetif_add_fuzzer name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(NOT F_CORPUS)
    message(FATAL_ERROR "vnetif_add_fuzzer(${name}): CORPUS <dir> is required")
  endif()
  add_executable(${name}_replay ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
  target_include_directories(${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name}_replay PRIVATE ${F_LIBS} vnetif PkgConfig::DPDK Threads::Threads)
  if(VNETIF_SANITIZE STREQUAL "fuzzer")
    # the replay driver has its own main(): no libFuzzer runtime in it
    target_compile_options(${name}_replay PRIVATE ${VNETIF_WARNINGS} -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${name}_replay PRIVATE -fsanitize=address,undefined)
    add_executable(${name} ${F_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_link_libraries(${name} PRIVATE ${F_LIBS} vnetif PkgConfig::DPDK Threads::Threads)
    target_compile_options(${name} PRIVATE ${VNETIF_WARNINGS} -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    set_property(GLOBAL APPEND PROPERTY VNETIF_FUZZERS "$<TARGET_FILE:${name}> ${F_CORPUS}")
  else()
    vnetif_target_defaults(${name}_replay)
  endif()
  add_test(NAME ${name}_replay COMMAND ${name}_replay ${F_CORPUS})
  set(env "")
  if(VNETIF_SANITIZE STREQUAL "thread")
    list(APPEND env "TSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/tsan.supp halt_on_error=1")
  elseif(VNETIF_SANITIZE MATCHES "^(address|fuzzer)$")
    list(APPEND env "ASAN_OPTIONS=detect_leaks=1 abort_on_error=1" "UBSAN_OPTIONS=print_stacktrace=1 halt_on_error=1")
  endif()
  set_tests_properties(${name}_replay PROPERTIES LABELS "fuzz;unit" TIMEOUT 600 ENVIRONMENT "${env}")
endfunction()

# Called once at the end of the top-level CMakeLists.txt.
function(vnetif_write_fuzzer_list)
  get_property(list GLOBAL PROPERTY VNETIF_FUZZERS)
  string(REPLACE ";" "\n" lines "${list}")
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/fuzzers.txt CONTENT "${lines}\n")
endfunction()
