#include "github/github_api.h"

namespace ghscale::github {

Result<std::vector<WorkflowRun>> GitHubApi::list_runs_created(std::string_view, TimePoint, TimePoint) {
  return make_error(ErrorKind::kInvalid, "github list_runs_created: not supported by this GitHub client");
}

Result<std::vector<std::string>> GitHubApi::list_org_repos(std::string_view) {
  return make_error(ErrorKind::kInvalid, "github list_org_repos: not supported by this GitHub client");
}

}  // namespace ghscale::github
