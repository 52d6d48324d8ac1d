#include "aws/secrets/ssm_secret.h"

#include "core/log.h"

namespace ghscale::aws {

Result<std::string> resolve_secret(const config::SecretRef& ref, SsmClient* ssm) {
  if (ref.kind != config::SecretRef::Kind::kSsm) {
    auto value = config::resolve_local_secret(ref);
    if (value.ok()) log::add_secret(*value);
    return value;
  }
  if (ssm == nullptr) {
    return make_error(ErrorKind::kInvalid, "secret " + ref.text() + " needs AWS access, which is not configured");
  }
  auto parameter = ssm->get_parameter(ref.target, /*decrypt=*/true);
  if (!parameter.ok()) {
    Error e = parameter.error();
    e.message = "secret " + ref.text() + ": " + e.message;
    return e;
  }
  log::add_secret(parameter->value);
  return std::move(parameter->value);
}

}  // namespace ghscale::aws
