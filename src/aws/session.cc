#include "aws/session.h"

namespace ghscale::aws {

Result<std::shared_ptr<Session>> Session::create(SessionOptions options) {
  std::shared_ptr<Session> s(new Session());
  if (!options.context.http) options.context.http = http::make_curl_client();
  const CredentialContext& ctx = options.context;
  auto region = resolve_region(ctx.env, options.region, [&]() -> std::optional<std::string> {
    if (!options.region_from_imds) return std::nullopt;
    return imds_region(ctx);
  });
  if (!region.ok()) return region.error();
  s->region_ = *region;
  for (const ServiceInfo& info : all_services()) {
    auto it = options.service_endpoint_urls.find(info.id);
    const std::string& explicit_url = it != options.service_endpoint_urls.end() ? it->second : options.endpoint_url;
    auto endpoint = resolve_endpoint(info.id, s->region_.region, ctx.env, explicit_url);
    if (!endpoint.ok()) return endpoint.error();
    s->endpoints_.emplace(info.id, *endpoint);
  }
  if (!options.credentials) {
    CredentialContext c = ctx;
    if (!c.sleeper) c.sleeper = options.sleeper;
    options.credentials = make_default_credential_chain(c);
  }
  s->credentials_ = options.credentials;
  s->options_ = std::move(options);
  return s;
}

std::shared_ptr<AwsClient> Session::client(Service service) {
  std::lock_guard lock(mu_);
  auto& slot = clients_[service];
  if (!slot) {
    AwsClientOptions o;
    o.http = options_.context.http;
    o.credentials = credentials_;
    o.clock = options_.context.clock;
    o.sleeper = options_.sleeper;
    o.quota = quota_;
    o.retry = options_.retry;
    slot = std::make_shared<AwsClient>(service, region_.region, endpoints_.at(service).url, std::move(o));
  }
  return slot;
}

}  // namespace ghscale::aws
