// Where tests find things: the shared reference material (read in place, never copied),
// the source tree (fixtures), and the built ghscale binary (integration tests).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

namespace ghscale::testing {

// GHSCALE_TESTDATA from the environment, else ../shared/testdata beside the source tree;
// nullopt when that folder is absent.
std::optional<std::filesystem::path> testdata_dir();
std::filesystem::path source_dir();
std::filesystem::path ghscale_binary();
std::string read_file(const std::filesystem::path& path);

}  // namespace ghscale::testing

// Skips the current test, visibly, when the shared reference material is absent.
#define GHSCALE_REQUIRE_TESTDATA(var)                                                              \
  auto var##_opt = ::ghscale::testing::testdata_dir();                                             \
  if (!var##_opt) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping"; \
  const std::filesystem::path var = *var##_opt
