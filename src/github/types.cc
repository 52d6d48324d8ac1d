#include "github/types.h"

#include "github/github_api.h"
#include "http/message.h"

namespace ghscale::github {

std::string Scope::path() const {
  switch (kind) {
    case Kind::kOrg:
      return "orgs/" + name;
    case Kind::kRepo:
      return "repos/" + name;
    case Kind::kEnterprise:
      return "enterprises/" + name;
  }
  return {};
}

std::string Scope::describe() const {
  switch (kind) {
    case Kind::kOrg:
      return "org '" + name + "'";
    case Kind::kRepo:
      return "repo '" + name + "'";
    case Kind::kEnterprise:
      return "enterprise '" + name + "'";
  }
  return {};
}

std::string_view to_string(RunnerStatus status) { return status == RunnerStatus::kOnline ? "online" : "offline"; }

Result<std::int64_t> resolve_runner_group(GitHubApi& api, const Scope& scope, std::string_view name) {
  auto groups = api.list_runner_groups(scope);
  if (!groups) return std::move(groups).error();
  for (const auto& g : *groups) {
    if (http::iequals(g.name, name)) return g.id;
  }
  return make_error(ErrorKind::kNotFound,
                    "github: no runner group '" + std::string(name) + "' in " + scope.describe());
}

}  // namespace ghscale::github
