#include "sandbox/fake_github/render.h"

#include <ctime>
#include <functional>

namespace ghscale::fake_github::render {
namespace json = boost::json;
namespace {

constexpr const char* kWeb = "https://github.com/";
constexpr const char* kApi = "https://api.github.com/";

std::string node_id(std::string_view kind, std::int64_t id) { return std::string(kind) + "_kgDO" + std::to_string(id); }

}  // namespace

std::string iso8601(TimePoint t) {
  const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json::object user(const std::string& login, std::int64_t id, const std::string& type) {
  const std::string api = std::string(kApi) + "users/" + login;
  return json::object{{"login", login},
                      {"id", id},
                      {"node_id", node_id("O", id)},
                      {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(id)},
                      {"gravatar_id", ""},
                      {"url", api},
                      {"html_url", kWeb + login},
                      {"followers_url", api + "/followers"},
                      {"following_url", api + "/following{/other_user}"},
                      {"gists_url", api + "/gists{/gist_id}"},
                      {"starred_url", api + "/starred{/owner}{/repo}"},
                      {"subscriptions_url", api + "/subscriptions"},
                      {"organizations_url", api + "/orgs"},
                      {"repos_url", api + "/repos"},
                      {"events_url", api + "/events{/privacy}"},
                      {"received_events_url", api + "/received_events"},
                      {"type", type},
                      {"site_admin", false}};
}

json::object minimal_repository(const std::string& full_name, std::int64_t id) {
  const auto slash = full_name.find('/');
  const std::string owner = full_name.substr(0, slash);
  const std::string api = std::string(kApi) + "repos/" + full_name;
  json::object o{{"id", id},
                 {"node_id", node_id("R", id)},
                 {"name", full_name.substr(slash + 1)},
                 {"full_name", full_name},
                 {"owner", user(owner, static_cast<std::int64_t>(std::hash<std::string>{}(owner) % 1000000) + 1,
                                "Organization")},
                 {"private", true},
                 {"html_url", kWeb + full_name},
                 {"description", nullptr},
                 {"fork", false},
                 {"url", api}};
  // GitHub's repository object carries a family of hypermedia URLs, all required.
  static const char* const kTemplates[][2] = {
      {"archive_url", "/{archive_format}{/ref}"}, {"assignees_url", "/assignees{/user}"},
      {"blobs_url", "/git/blobs{/sha}"},          {"branches_url", "/branches{/branch}"},
      {"collaborators_url", "/collaborators{/collaborator}"}, {"comments_url", "/comments{/number}"},
      {"commits_url", "/commits{/sha}"},          {"compare_url", "/compare/{base}...{head}"},
      {"contents_url", "/contents/{+path}"},      {"contributors_url", "/contributors"},
      {"deployments_url", "/deployments"},        {"downloads_url", "/downloads"},
      {"events_url", "/events"},                  {"forks_url", "/forks"},
      {"git_commits_url", "/git/commits{/sha}"},  {"git_refs_url", "/git/refs{/sha}"},
      {"git_tags_url", "/git/tags{/sha}"},        {"hooks_url", "/hooks"},
      {"issue_comment_url", "/issues/comments{/number}"}, {"issue_events_url", "/issues/events{/number}"},
      {"issues_url", "/issues{/number}"},         {"keys_url", "/keys{/key_id}"},
      {"labels_url", "/labels{/name}"},           {"languages_url", "/languages"},
      {"merges_url", "/merges"},                  {"milestones_url", "/milestones{/number}"},
      {"notifications_url", "/notifications{?since,all,participating}"}, {"pulls_url", "/pulls{/number}"},
      {"releases_url", "/releases{/id}"},         {"stargazers_url", "/stargazers"},
      {"statuses_url", "/statuses/{sha}"},        {"subscribers_url", "/subscribers"},
      {"subscription_url", "/subscription"},      {"tags_url", "/tags"},
      {"teams_url", "/teams"},                    {"trees_url", "/git/trees{/sha}"},
  };
  for (const auto& [key, suffix] : kTemplates) o[key] = api + suffix;
  return o;
}

json::object runner(const FakeRunner& r, const std::string& group_name) {
  json::array labels;
  for (const auto& l : r.labels) labels.push_back(json::object{{"name", l}, {"type", "custom"}});
  (void)group_name;
  return json::object{{"id", r.id},
                      {"name", r.name},
                      {"os", r.os},
                      {"status", r.online ? "online" : "offline"},
                      {"busy", r.busy},
                      {"ephemeral", !r.jit_config.empty()},
                      {"labels", std::move(labels)}};
}

json::object runner_group(std::int64_t id, const std::string& name, bool is_default, const std::string& scope_url) {
  return json::object{{"id", id},
                      {"name", name},
                      {"visibility", "all"},
                      {"default", is_default},
                      {"runners_url", scope_url + "/actions/runner-groups/" + std::to_string(id) + "/runners"},
                      {"inherited", false},
                      {"allows_public_repositories", false},
                      {"restricted_to_workflows", false},
                      {"selected_workflows", json::array{}},
                      {"workflow_restrictions_read_only", false}};
}

json::object job(const FakeJob& j, const std::string& base_url, TimePoint created) {
  const std::string repo_api = base_url + "/repos/" + j.repo;
  json::array labels;
  for (const auto& l : j.labels) labels.emplace_back(l);
  const bool has_runner = j.runner_id != 0;
  return json::object{{"id", j.id},
                      {"run_id", j.run_id},
                      {"run_url", repo_api + "/actions/runs/" + std::to_string(j.run_id)},
                      {"node_id", node_id("CR", j.id)},
                      {"head_sha", "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"},
                      {"url", repo_api + "/actions/jobs/" + std::to_string(j.id)},
                      {"html_url", kWeb + j.repo + "/actions/runs/" + std::to_string(j.run_id) + "/job/" + std::to_string(j.id)},
                      {"status", j.status},
                      {"conclusion", j.status == "completed" ? json::value(j.conclusion.empty() ? "success" : j.conclusion) : json::value(nullptr)},
                      {"created_at", iso8601(j.created_at.value_or(created))},
                      {"started_at", iso8601(j.started_at.value_or(j.created_at.value_or(created)))},
                      {"completed_at", j.status == "completed" && j.completed_at ? json::value(iso8601(*j.completed_at))
                                                                                  : json::value(nullptr)},
                      {"name", j.name},
                      {"steps", json::array{}},
                      {"check_run_url", repo_api + "/check-runs/" + std::to_string(j.id)},
                      {"labels", std::move(labels)},
                      {"runner_id", has_runner ? json::value(j.runner_id) : json::value(nullptr)},
                      {"runner_name", has_runner ? json::value(j.runner_name) : json::value(nullptr)},
                      {"runner_group_id", has_runner ? json::value(1) : json::value(nullptr)},
                      {"runner_group_name", has_runner ? json::value("Default") : json::value(nullptr)},
                      {"workflow_name", "CI"},
                      {"head_branch", "main"}};
}

json::object run(const FakeRun& r, std::int64_t repo_id, const std::string& base_url, TimePoint created) {
  const std::string api = base_url + "/repos/" + r.repo + "/actions/runs/" + std::to_string(r.id);
  json::object repo = minimal_repository(r.repo, repo_id);
  return json::object{{"id", r.id},
                      {"name", r.name},
                      {"node_id", node_id("WFR", r.id)},
                      {"head_branch", "main"},
                      {"head_sha", "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"},
                      {"path", ".github/workflows/ci.yml"},
                      {"display_title", r.name},
                      {"run_number", r.id % 100000},
                      {"event", "push"},
                      {"status", r.status},
                      {"conclusion", nullptr},
                      {"workflow_id", 1},
                      {"url", api},
                      {"html_url", kWeb + r.repo + "/actions/runs/" + std::to_string(r.id)},
                      {"pull_requests", json::array{}},
                      {"created_at", iso8601(r.created_at.value_or(created))},
                      {"updated_at", iso8601(r.created_at.value_or(created))},
                      {"jobs_url", api + "/jobs"},
                      {"logs_url", api + "/logs"},
                      {"check_suite_url", base_url + "/repos/" + r.repo + "/check-suites/" + std::to_string(r.id)},
                      {"artifacts_url", api + "/artifacts"},
                      {"cancel_url", api + "/cancel"},
                      {"rerun_url", api + "/rerun"},
                      {"workflow_url", base_url + "/repos/" + r.repo + "/actions/workflows/1"},
                      {"head_commit", nullptr},
                      {"repository", repo},
                      {"head_repository", repo}};
}

json::object installation(std::int64_t id, std::int64_t app_id, const std::string& slug, const std::string& account,
                          const std::string& base_url, TimePoint created) {
  const std::string login = account.substr(0, account.find('/'));
  return json::object{{"id", id},
                      {"account", user(login, static_cast<std::int64_t>(std::hash<std::string>{}(login) % 1000000) + 1,
                                       "Organization")},
                      {"repository_selection", "all"},
                      {"access_tokens_url", base_url + "/app/installations/" + std::to_string(id) + "/access_tokens"},
                      {"repositories_url", base_url + "/installation/repositories"},
                      {"html_url", std::string(kWeb) + "organizations/" + login + "/settings/installations/" + std::to_string(id)},
                      {"app_id", app_id},
                      {"app_slug", slug},
                      {"target_id", 1},
                      {"target_type", "Organization"},
                      {"permissions", json::object{{"administration", "write"}, {"organization_self_hosted_runners", "write"}}},
                      {"events", json::array{"workflow_job"}},
                      {"created_at", iso8601(created)},
                      {"updated_at", iso8601(created)},
                      {"single_file_name", nullptr},
                      {"suspended_by", nullptr},
                      {"suspended_at", nullptr}};
}

json::object app(std::int64_t id, const std::string& slug, TimePoint created) {
  return json::object{{"id", id},
                      {"slug", slug},
                      {"node_id", node_id("A", id)},
                      {"owner", user("ghscale-owner", 4242, "Organization")},
                      {"name", slug},
                      {"description", nullptr},
                      {"external_url", "https://example.com/" + slug},
                      {"html_url", std::string(kWeb) + "apps/" + slug},
                      {"created_at", iso8601(created)},
                      {"updated_at", iso8601(created)},
                      {"permissions", json::object{{"organization_self_hosted_runners", "write"}}},
                      {"events", json::array{"workflow_job"}}};
}

json::object delivery(const FakeDelivery& d) {
  return json::object{{"id", d.id},
                      {"guid", d.guid},
                      {"delivered_at", iso8601(d.delivered_at)},
                      {"redelivery", d.redelivery},
                      {"duration", 0.27},
                      {"status", d.status_code >= 200 && d.status_code < 400 ? std::string("OK")
                                                                             : "Invalid HTTP Response: " + std::to_string(d.status_code)},
                      {"status_code", d.status_code},
                      {"event", d.event},
                      {"action", d.action},
                      {"installation_id", nullptr},
                      {"repository_id", nullptr},
                      {"throttled_at", nullptr}};
}

json::object rate_limit(std::int64_t limit, std::int64_t remaining, std::int64_t reset_epoch) {
  return json::object{{"limit", limit}, {"remaining", remaining}, {"reset", reset_epoch}, {"used", limit - remaining}};
}

json::object error(const std::string& message) {
  return json::object{{"message", message}, {"documentation_url", "https://docs.github.com/rest"}};
}

}  // namespace ghscale::fake_github::render
