// `ghscale pools check --config FILE [--json]`: compares each AWS pool's group or launch
// template with its configuration (provider/aws/pool_check.h). Exit 0 when everything
// matches, 1 when something differs or AWS could not be asked, 2 for usage or
// configuration errors.
#pragma once

#include <string>

namespace ghscale::app {

struct PoolsCheckOptions {
  std::string config_path;
  bool json = false;
};
int run_pools_check(const PoolsCheckOptions& options);

}  // namespace ghscale::app
