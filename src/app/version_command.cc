#include <iostream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "core/version.h"

namespace ghscale::app {

int run_version(bool json) {
  if (json) {
    std::cout << "{\"version\":\"" << kVersion << "\"}\n";
  } else {
    std::cout << "ghscale " << kVersion << "\n";
  }
  return kExitOk;
}

}  // namespace ghscale::app
