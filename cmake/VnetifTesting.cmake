# vnetif_add_suite(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>] [TIMEOUT <s>] [SERIAL])
#
# One libcheck suite = one executable = one ctest test. Suites run CK_NOFORK: each is its
# own process with its own EAL (embedded default: --no-huge, unique --file-prefix), since
# forked libcheck children share no-huge EAL memory (see docs/dpdk-notes.md).
# SERIAL: the suite runs alone (ctest RUN_SERIAL), for checks that need CPUs no other
# suite is using.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CHECK REQUIRED IMPORTED_TARGET check)

function(vnetif_add_suite name)
  cmake_parse_arguments(S "SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${S_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${S_LIBS} vnetif PkgConfig::CHECK PkgConfig::DPDK Threads::Threads)
  vnetif_target_defaults(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT S_TIMEOUT)
    set(S_TIMEOUT 300)
  endif()
  set(env "CK_FORK=no" "CK_DEFAULT_TIMEOUT=120")
  if(VNETIF_SANITIZE STREQUAL "thread")
    list(APPEND env "TSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1"
                    "VNETIF_TEST_SCALE=tsan")
  elseif(VNETIF_SANITIZE STREQUAL "address")
    list(APPEND env "ASAN_OPTIONS=detect_leaks=1 abort_on_error=1" "UBSAN_OPTIONS=print_stacktrace=1 halt_on_error=1")
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${S_LABELS}" TIMEOUT ${S_TIMEOUT} ENVIRONMENT "${env}")
  if(S_SERIAL) # checks that need the CPUs free of other suites
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()
