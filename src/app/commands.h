// The CLI's commands, each a function from parsed options to an exit code.
#pragma once

#include <string>

namespace ghscale::app {

struct ServeOptions {
  std::string config_path;
};
int run_serve(const ServeOptions& options);

int run_config_check(const std::string& path, bool quiet);

int run_version(bool json);

}  // namespace ghscale::app
