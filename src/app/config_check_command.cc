#include <iostream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "config/loader.h"

namespace ghscale::app {

int run_config_check(const std::string& path, bool quiet) {
  auto result = config::load_config_file(path);
  if (!result.ok()) {
    std::cerr << config::format_all(result.errors);
    std::cerr << path << ": " << result.errors.size() << (result.errors.size() == 1 ? " error" : " errors") << "\n";
    return kExitUsage;
  }
  if (!quiet) {
    std::size_t n = result.config->pools.size();
    std::cout << path << ": ok (" << n << (n == 1 ? " pool" : " pools") << ")\n";
  }
  return kExitOk;
}

}  // namespace ghscale::app
