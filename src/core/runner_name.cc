#include "core/runner_name.h"

namespace ghscale {

std::string runner_name_prefix(std::string_view pool) {
  std::string prefix(kRunnerNameHead);
  prefix += pool;
  prefix += '-';
  return prefix;
}

std::string runner_name_for(std::string_view pool, std::string_view instance_id, int registration) {
  std::string name = runner_name_prefix(pool);
  name += instance_id;
  if (registration > 1) name += "-r" + std::to_string(registration);
  return name;
}

std::size_t longest_runner_name(std::string_view pool, int registrations) {
  const std::size_t suffix = registrations > 1 ? 2 + std::to_string(registrations).size() : 0;
  return kRunnerNameHead.size() + pool.size() + 1 + kLongestInstanceIdLength + suffix;
}

}  // namespace ghscale
