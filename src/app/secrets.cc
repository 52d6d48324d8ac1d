#include "app/secrets.h"

#include "core/log.h"

namespace ghscale::app {

Result<std::string> resolve_secret(const config::SecretRef& ref) {
  if (ref.kind == config::SecretRef::Kind::kSsm) {
    return make_error(ErrorKind::kInvalid,
                      "secret " + ref.text() + ": ssm: references are not wired into this build yet; use env: or file:");
  }
  auto value = config::resolve_local_secret(ref);
  if (value) log::add_secret(*value);
  return value;
}

Result<std::vector<std::string>> resolve_secrets(const std::vector<config::SecretRef>& refs) {
  std::vector<std::string> out;
  for (const auto& ref : refs) {
    auto v = resolve_secret(ref);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace ghscale::app
