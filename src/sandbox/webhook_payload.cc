// workflow_job payloads and delivery headers as GitHub sends them.
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>

#include "sandbox/github_sim.h"
#include "webhook/signature.h"

namespace ghscale::sandbox {
namespace json = boost::json;
namespace {

json::value iso8601(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  using namespace std::chrono;
  const auto secs = floor<seconds>(*t);
  const auto days = floor<std::chrono::days>(secs);
  const year_month_day ymd{days};
  const hh_mm_ss hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return json::string(buf);
}

}  // namespace

std::string render_workflow_job_payload(const JobEvent& e) {
  const std::string owner = e.repository.substr(0, e.repository.find('/'));
  const std::string name = e.repository.substr(e.repository.find('/') + 1);
  const std::string repo_api = "https://api.github.com/repos/" + e.repository;
  json::array labels;
  for (const auto& l : e.labels.items()) labels.emplace_back(l);
  const bool has_runner = e.runner_id != 0;
  const char* status = e.status == JobStatus::kQueued ? "queued" : e.status == JobStatus::kInProgress ? "in_progress" : "completed";
  json::object job{
      {"id", e.job_id},
      {"run_id", e.run_id},
      {"run_attempt", e.run_attempt},
      {"run_url", repo_api + "/actions/runs/" + std::to_string(e.run_id)},
      {"url", repo_api + "/actions/jobs/" + std::to_string(e.job_id)},
      {"html_url", "https://github.com/" + e.repository + "/actions/runs/" + std::to_string(e.run_id) + "/job/" + std::to_string(e.job_id)},
      {"node_id", "CR_sim" + std::to_string(e.job_id)},
      {"head_sha", "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"},
      {"head_branch", "main"},
      {"status", status},
      {"conclusion", e.status == JobStatus::kCompleted ? json::value(e.conclusion.empty() ? "success" : e.conclusion) : json::value(nullptr)},
      {"created_at", iso8601(e.created_at)},
      {"started_at", iso8601(e.started_at ? e.started_at : e.created_at)},
      {"completed_at", iso8601(e.completed_at)},
      {"name", e.job_name},
      {"steps", json::array{}},
      {"labels", std::move(labels)},
      {"runner_id", has_runner ? json::value(e.runner_id) : json::value(nullptr)},
      {"runner_name", has_runner ? json::value(e.runner_name) : json::value(nullptr)},
      {"runner_group_id", has_runner ? json::value(e.runner_group_id) : json::value(nullptr)},
      {"runner_group_name", has_runner ? json::value(e.runner_group_name) : json::value(nullptr)},
      {"workflow_name", e.workflow_name},
  };
  json::object account{{"login", owner}, {"id", 4242}, {"type", "Organization"}};
  json::object root{
      {"action", e.action},
      {"workflow_job", std::move(job)},
      {"repository", json::object{{"id", 1296269}, {"name", name}, {"full_name", e.repository}, {"private", true}, {"owner", account}}},
      {"organization", json::object{{"login", owner}, {"id", 4242}}},
      {"sender", json::object{{"login", "octocat"}, {"id", 1}, {"type", "User"}}},
  };
  return json::serialize(root);
}

std::vector<std::pair<std::string, std::string>> delivery_headers(const JobEvent& e, const std::string& body,
                                                                  const std::string& secret) {
  return {
      {"Content-Type", "application/json"},
      {"User-Agent", "GitHub-Hookshot/ghscale-sim"},
      {"X-GitHub-Event", "workflow_job"},
      {"X-GitHub-Delivery", e.delivery_id},
      {"X-GitHub-Hook-ID", "424242"},
      {"X-Hub-Signature-256", webhook::sign(secret, body)},
  };
}

}  // namespace ghscale::sandbox
