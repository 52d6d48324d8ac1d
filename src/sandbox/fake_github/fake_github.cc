#include "sandbox/fake_github/fake_github.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <random>

#include "sandbox/fake_github/jwt_verify.h"
#include "sandbox/fake_github/render.h"
#include "sandbox/fake_github/state.h"

namespace ghscale::fake_github {
namespace json = boost::json;
FakeGitHub::FakeGitHub(FakeGitHubOptions options) : state_(std::make_unique<State>()) {
  if (!options.clock) options.clock = system_clock();
  state_->options = std::move(options);
  state_->created = state_->now() - std::chrono::hours(24 * 30);
}

FakeGitHub::~FakeGitHub() = default;

std::string FakeGitHub::base_path() const { return state_->options.api_prefix; }

void FakeGitHub::add_pat(const std::string& token, const std::string& scopes) {
  std::lock_guard lock(state_->mu);
  state_->pats[token] = scopes;
}

void FakeGitHub::add_app(std::int64_t app_id, const std::string& slug, const std::string& public_key_pem) {
  std::lock_guard lock(state_->mu);
  state_->apps[app_id] = State::App{slug, public_key_pem};
}

std::int64_t FakeGitHub::add_installation(std::int64_t app_id, const std::string& account) {
  std::lock_guard lock(state_->mu);
  const std::int64_t id = ++state_->next_id;
  state_->installations[id] = State::Installation{app_id, account};
  return id;
}

std::int64_t FakeGitHub::add_runner_group(const std::string& scope, const std::string& name, bool is_default) {
  std::lock_guard lock(state_->mu);
  const std::int64_t id = is_default ? 1 : ++state_->next_id;
  state_->groups.push_back(State::Group{id, scope, name, is_default});
  return id;
}

std::int64_t FakeGitHub::add_runner(FakeRunner runner) {
  std::lock_guard lock(state_->mu);
  runner.id = ++state_->next_id;
  const std::int64_t id = runner.id;
  state_->runners[id] = std::move(runner);
  state_->note_runner(id);
  return id;
}

void FakeGitHub::set_runner(std::int64_t id, bool online, bool busy) {
  std::lock_guard lock(state_->mu);
  if (auto it = state_->runners.find(id); it != state_->runners.end()) {
    it->second.online = online;
    it->second.busy = busy;
    state_->note_runner(id);
  }
}

std::optional<FakeRunner> FakeGitHub::find_runner(const std::string& scope, const std::string& name) const {
  std::lock_guard lock(state_->mu);
  for (const auto& [id, r] : state_->runners) {
    if (r.scope == scope && r.name == name) return r;
  }
  return std::nullopt;
}

bool FakeGitHub::claim_runner(std::int64_t id) {
  std::lock_guard lock(state_->mu);
  auto it = state_->runners.find(id);
  if (it == state_->runners.end() || !it->second.online || it->second.busy) return false;
  it->second.busy = true;
  state_->note_runner(id);
  return true;
}

void FakeGitHub::remove_runner(std::int64_t id) {
  std::lock_guard lock(state_->mu);
  if (state_->runners.erase(id) != 0) state_->note_runner(id);
}

void FakeGitHub::update_job(std::int64_t id, const std::string& status, std::int64_t runner_id,
                            const std::string& runner_name, const std::string& conclusion) {
  std::lock_guard lock(state_->mu);
  auto it = state_->jobs.find(id);
  if (it == state_->jobs.end()) return;
  it->second.status = status;
  if (status == "in_progress" && !it->second.started_at) it->second.started_at = state_->now();
  if (status == "completed" && !it->second.completed_at) {
    it->second.completed_at = state_->now();
    if (!it->second.started_at) it->second.started_at = it->second.completed_at;
  }
  it->second.runner_id = runner_id;
  it->second.runner_name = runner_name;
  it->second.conclusion = conclusion;
  state_->note_job(id);
}

void FakeGitHub::set_run_status(std::int64_t run_id, const std::string& status) {
  std::lock_guard lock(state_->mu);
  if (auto it = state_->runs.find(run_id); it != state_->runs.end()) it->second.status = status;
}

void FakeGitHub::add_repo(const std::string& full_name) {
  std::lock_guard lock(state_->mu);
  state_->repo_id(full_name);
}

std::int64_t FakeGitHub::add_run(FakeRun run) {
  std::lock_guard lock(state_->mu);
  run.id = ++state_->next_id;
  state_->repo_id(run.repo);
  const std::int64_t id = run.id;
  state_->runs[id] = std::move(run);
  return id;
}

std::int64_t FakeGitHub::add_job(FakeJob job) {
  std::lock_guard lock(state_->mu);
  job.id = ++state_->next_id;
  const std::int64_t id = job.id;
  state_->jobs[id] = std::move(job);
  state_->note_job(id);
  return id;
}

std::int64_t FakeGitHub::add_delivery(FakeDelivery delivery) {
  std::lock_guard lock(state_->mu);
  delivery.id = ++state_->next_id;
  if (delivery.guid.empty()) delivery.guid = "0b989ba4-242f-11e5-81e1-" + std::to_string(delivery.id);
  const std::int64_t id = delivery.id;
  state_->deliveries.push_back(std::move(delivery));
  return id;
}

void FakeGitHub::inject(Fault fault) {
  std::lock_guard lock(state_->mu);
  state_->faults.push_back(std::move(fault));
}

void FakeGitHub::set_read_lag(ReadLag lag) {
  std::lock_guard lock(state_->mu);
  State& s = *state_;
  s.lag = lag;
  s.runner_history.clear();
  s.job_history.clear();
  // What exists already has always been readable: its one state dates from the epoch.
  if (lag.runners > Duration::zero()) {
    for (const auto& [id, r] : s.runners) s.runner_history[id].emplace_back(TimePoint{}, r);
  }
  if (lag.jobs > Duration::zero()) {
    for (const auto& [id, j] : s.jobs) s.job_history[id].emplace_back(TimePoint{}, j);
  }
}

void FakeGitHub::set_remaining(const std::string& token, const std::string& resource, std::int64_t remaining) {
  std::lock_guard lock(state_->mu);
  std::string owner = token;
  if (auto it = state_->installation_tokens.find(token); it != state_->installation_tokens.end()) {
    owner = "installation:" + std::to_string(it->second.installation_id);
  }
  state_->bucket(owner, resource).remaining = remaining;
}

std::optional<FakeRunner> FakeGitHub::runner(std::int64_t id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->runners.find(id);
  if (it == state_->runners.end()) return std::nullopt;
  return it->second;
}

std::vector<FakeRunner> FakeGitHub::runners(const std::string& scope) const {
  std::lock_guard lock(state_->mu);
  std::vector<FakeRunner> out;
  for (const auto& [id, r] : state_->runners) {
    if (r.scope == scope) out.push_back(r);
  }
  return out;
}

std::int64_t FakeGitHub::remaining(const std::string& token, const std::string& resource) const {
  std::lock_guard lock(state_->mu);
  std::string owner = token;
  if (auto it = state_->installation_tokens.find(token); it != state_->installation_tokens.end()) {
    owner = "installation:" + std::to_string(it->second.installation_id);
  }
  return state_->bucket(owner, resource).remaining;
}

std::int64_t FakeGitHub::requests_to(const std::string& path_prefix) const {
  std::lock_guard lock(state_->mu);
  std::int64_t n = 0;
  for (const auto& [path, count] : state_->path_counts) {
    if (path.rfind(path_prefix, 0) == 0) n += count;
  }
  return n;
}

std::vector<std::int64_t> FakeGitHub::redelivered() const {
  std::lock_guard lock(state_->mu);
  return state_->redelivered;
}

std::vector<std::string> FakeGitHub::issued_tokens() const {
  std::lock_guard lock(state_->mu);
  return state_->issued;
}

}  // namespace ghscale::fake_github
