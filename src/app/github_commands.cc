// `ghscale github whoami|runners|groups`: the GitHub layer's view, for operators.
#include <iostream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "config/loader.h"
#include "core/version.h"
#include "github/auth.h"
#include "github/commands.h"
#include "github/rest_client.h"
#include "http/client.h"

namespace ghscale::app {
namespace {

github::Scope to_scope(const config::PoolScope& s) {
  github::Scope out;
  out.name = s.name;
  switch (s.kind) {
    case config::PoolScope::Kind::kOrg: out.kind = github::Scope::Kind::kOrg; break;
    case config::PoolScope::Kind::kRepo: out.kind = github::Scope::Kind::kRepo; break;
    case config::PoolScope::Kind::kEnterprise: out.kind = github::Scope::Kind::kEnterprise; break;
  }
  return out;
}

}  // namespace

int run_github(const GitHubOptions& o) {
  auto loaded = config::load_config_file(o.config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  const config::Config& cfg = *loaded.config;
  github::Scope scope;
  if (o.command != "whoami") {
    const config::PoolConfig* pool = nullptr;
    for (const auto& p : cfg.pools) {
      if (p.name == o.pool || (o.pool.empty() && pool == nullptr)) pool = &p;
    }
    if (pool == nullptr) {
      std::cerr << "ghscale: " << (o.pool.empty() ? "no pools configured" : "no pool named \"" + o.pool + "\"")
                << " in " << o.config_path << "\n";
      return kExitUsage;
    }
    scope = to_scope(pool->scope);
  }
  auto credentials = github::resolve_credentials(cfg.github.auth);
  if (!credentials) {
    std::cerr << "ghscale: " << credentials.error().message << "\n";
    return kExitFailure;
  }
  github::RestClientOptions options;
  options.api_url = cfg.github.api_url;
  options.rate_limit_reserve = cfg.github.rate_limit_reserve;
  auto client = github::RestClient::create(options, std::move(*credentials),
                                           http::make_curl_client({.user_agent = "ghscale/" + std::string(kVersion)}));
  if (!client) {
    std::cerr << "ghscale: " << client.error().message << "\n";
    return kExitFailure;
  }
  auto format = o.json ? github::OutputFormat::kJson : github::OutputFormat::kText;
  Result<std::string> report = std::string();
  if (o.command == "whoami") {
    report = github::whoami_report(**client, system_clock()->now(), format);
  } else if (o.command == "runners") {
    report = github::runners_report(**client, scope, format);
  } else {
    report = github::groups_report(**client, scope, format);
  }
  if (!report) {
    std::cerr << "ghscale: " << report.error().message << "\n";
    return kExitFailure;
  }
  std::cout << *report;
  if (!report->empty() && report->back() != '\n') std::cout << "\n";
  return kExitOk;
}

}  // namespace ghscale::app
