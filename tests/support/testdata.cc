#include "support/testdata.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ghscale::testing {

std::optional<std::filesystem::path> testdata_dir() {
  std::filesystem::path dir = GHSCALE_TESTDATA_DEFAULT;
  if (const char* env = std::getenv("GHSCALE_TESTDATA"); env != nullptr && *env != '\0') dir = env;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return dir;
}

std::filesystem::path source_dir() { return GHSCALE_SOURCE_DIR; }

std::filesystem::path ghscale_binary() {
  if (const char* env = std::getenv("GHSCALE_BINARY"); env != nullptr && *env != '\0') return env;
  return GHSCALE_BINARY_PATH;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ghscale::testing
