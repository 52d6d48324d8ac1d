#include "app/secrets.h"

#include <memory>

#include "aws/secrets/ssm_secret.h"
#include "aws/services/ssm.h"
#include "aws/session.h"
#include "core/log.h"

namespace ghscale::app {
namespace {

// One SSM client for every ssm: reference, made on first need with the SDK-standard
// region, endpoint and credential resolution.
Result<aws::SsmClient*> ssm_client() {
  static std::shared_ptr<aws::Session> session;
  static std::unique_ptr<aws::SsmClient> client;
  if (client) return client.get();
  auto s = aws::Session::create(aws::SessionOptions{});
  if (!s) return s.error();
  session = std::move(*s);
  client = std::make_unique<aws::SsmClient>(session->client(aws::Service::kSsm));
  return client.get();
}

}  // namespace

Result<std::string> resolve_secret(const config::SecretRef& ref) {
  aws::SsmClient* ssm = nullptr;
  if (ref.kind == config::SecretRef::Kind::kSsm) {
    auto c = ssm_client();
    if (!c) return make_error(c.error().kind, "secret " + ref.text() + ": " + c.error().message);
    ssm = *c;
  }
  auto value = aws::resolve_secret(ref, ssm);
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
