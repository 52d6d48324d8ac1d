# Every dependency comes from a Debian bookworm package (scripts/setup installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 CONFIG REQUIRED COMPONENTS json)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CURL REQUIRED)
find_package(pugixml REQUIRED)
if(GHSCALE_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(GHSCALE_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Asio: no deprecated API; Beast and Asio are header-only.
add_library(ghscale_asio INTERFACE)
target_link_libraries(ghscale_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(ghscale_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)

# One library per folder of src/: ghscale_area(NAME SOURCES ... DEPS ...)
function(ghscale_area name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(ghscale_${name} STATIC ${A_SOURCES})
  add_library(ghscale::${name} ALIAS ghscale_${name})
  target_include_directories(ghscale_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ghscale_${name} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
endfunction()

# One test binary per area (or per kind of test in an area):
#   ghscale_test(NAME SOURCES ... DEPS ... [RELEASE_ONLY])
# Its tests are labelled for where they run (see tests/CMakeLists.txt): `sanitize` tests
# run in every configuration, ASan+UBSan included; `release-only` ones (RELEASE_ONLY, or
# every test of an area tests/CMakeLists.txt adds as such) run once, in release, and are
# not even defined when GHSCALE_RELEASE_ONLY_TESTS is off.
function(ghscale_test name)
  cmake_parse_arguments(T "RELEASE_ONLY" "" "SOURCES;DEPS" ${ARGN})
  set(label "${GHSCALE_TEST_LABEL}")
  if(T_RELEASE_ONLY)
    set(label release-only)
  endif()
  if(NOT label MATCHES "^(sanitize|release-only)$")
    message(FATAL_ERROR "ghscale_test(${name}): no label; add its area to a list in tests/CMakeLists.txt")
  endif()
  if(label STREQUAL "release-only" AND NOT GHSCALE_RELEASE_ONLY_TESTS)
    # A registration mistake, not a choice: the caller must wrap it in if(GHSCALE_RELEASE_ONLY_TESTS).
    message(FATAL_ERROR "ghscale_test(${name}) is release-only but GHSCALE_RELEASE_ONLY_TESTS is off")
  endif()
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${T_DEPS} ghscale_testing GTest::gtest GTest::gmock GTest::gtest_main)
  # PRE_TEST: ctest lists the tests when the binary or this registration changed, so a
  # label moved here reaches an existing build tree without relinking every binary.
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${label})
  # ghscale_tests (tests/CMakeLists.txt) builds every test binary of the configuration.
  set_property(GLOBAL APPEND PROPERTY GHSCALE_TEST_TARGETS ${name})
endfunction()
