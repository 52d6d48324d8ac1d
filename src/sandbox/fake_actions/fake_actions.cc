#include "sandbox/fake_actions/fake_actions.h"

#include <algorithm>
#include <ctime>

#include "sandbox/fake_actions/state.h"

namespace ghscale::fake_actions {
namespace {

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

// Go's time.Time as encoding/json writes it (RFC 3339); an unset time is year 1.
json::value time_json(const std::optional<TimePoint>& t) {
  if (!t) return json::value("0001-01-01T00:00:00Z");
  const auto ms = t->time_since_epoch().count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return json::value(buf);
}

std::string_view kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kAssigned:
      return "JobAssigned";
    case EventKind::kStarted:
      return "JobStarted";
    case EventKind::kCompleted:
      return "JobCompleted";
  }
  return "JobAssigned";
}

}  // namespace

std::string FakeActions::State::random_hex(std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(kHex[rng() & 0xF]);
  return out;
}

std::string FakeActions::State::new_uuid() {
  return random_hex(8) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(12);
}

// A JWT as the service issues them: the client reads only its exp claim.
std::string FakeActions::State::new_admin_token() {
  const TimePoint expires = now() + options.admin_token_lifetime;
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  json::object claims{{"iss", "fake-actions"}, {"iat", iat}, {"exp", exp}, {"jti", random_hex(16)}};
  std::string token = base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url(json::serialize(claims)) + "." +
                      base64url(random_hex(64));
  admin_tokens[token] = expires;
  return token;
}

void FakeActions::State::emit(EventKind kind, const Job& j, const Runner* runner, std::string_view result) {
  auto it = scale_sets.find(j.job.scale_set_id);
  if (it == scale_sets.end()) return;
  const std::string& repo = j.job.spec.repository;
  const auto slash = repo.find('/');
  json::object e;
  e["messageType"] = kind_name(kind);
  e["runnerRequestId"] = j.job.request_id;
  e["repositoryName"] = slash == std::string::npos ? repo : repo.substr(slash + 1);
  e["ownerName"] = slash == std::string::npos ? std::string() : repo.substr(0, slash);
  e["jobId"] = "job-" + std::to_string(j.job.request_id);
  e["jobWorkflowRef"] = j.job.spec.workflow_ref;
  e["jobDisplayName"] = j.job.spec.display_name;
  // GitHub's run id: the REST run's when the job is mirrored there.
  e["workflowRunId"] = j.job.rest_run_id != 0 ? j.job.rest_run_id : j.job.spec.workflow_run_id;
  e["eventName"] = j.job.spec.event_name;
  json::array labels;
  for (const auto& l : requested_labels(j.job.spec)) labels.emplace_back(l);
  e["requestLabels"] = std::move(labels);
  e["queueTime"] = time_json(j.queue_time);
  e["scaleSetAssignTime"] = time_json(j.scale_set_assign_time);
  e["runnerAssignTime"] = time_json(j.runner_assign_time);
  e["finishTime"] = time_json(j.finish_time);
  if (kind != EventKind::kAssigned) {
    e["runnerId"] = runner != nullptr ? runner->id : 0;
    e["runnerName"] = runner != nullptr ? runner->name : std::string();
  }
  if (kind == EventKind::kCompleted) e["result"] = result;
  it->second.pending.push_back(std::move(e));
  news.notify_all();
}

FakeActions::State::ScaleSet* FakeActions::State::scale_set_named_locked(std::string_view name) {
  for (auto& [id, s] : scale_sets) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void FakeActions::State::offer_locked() {
  std::map<std::int64_t, std::deque<Runner*>> idle;  // per scale set, in registration order
  for (auto& [id, r] : runners) {
    if (r.online && !r.busy && r.job == 0) idle[r.scale_set_id].push_back(&r);
  }
  for (std::int64_t id : active) {
    Job& j = jobs.at(id);
    if (j.job.state != JobState::kAssigned) continue;
    auto& candidates = idle[j.job.scale_set_id];
    if (candidates.empty()) continue;
    Runner* r = candidates.front();
    candidates.pop_front();
    r->job = id;
    j.job.state = JobState::kOffered;
    j.job.runner_id = r->id;
    j.runner_assign_time = now();
  }
}

void FakeActions::State::settle_locked() {
  const TimePoint t = now();
  if (mirror) {
    // Removed through GitHub's REST API (a scale-in): gone here too.
    std::vector<std::int64_t> gone;
    for (const auto& [id, r] : runners) {
      if (!mirror->runner(id)) gone.push_back(id);
    }
    for (std::int64_t id : gone) drop_runner_locked(id);
  }
  // A runner that sat on its offer too long loses the job: canceled, then assigned again.
  for (std::int64_t id : std::vector<std::int64_t>(active.begin(), active.end())) {
    Job& j = jobs.at(id);
    if (j.job.state != JobState::kOffered || !j.runner_assign_time || t - *j.runner_assign_time < options.take_timeout)
      continue;
    Runner* r = nullptr;
    if (auto it = runners.find(j.job.runner_id); it != runners.end()) r = &it->second;
    j.finish_time = t;
    emit(EventKind::kCompleted, j, r, "canceled");
    if (r != nullptr) {
      r->job = 0;
      r->online = false;  // GitHub stops offering work to a runner that does not answer
    }
    j.job.runner_id = 0;
    j.runner_assign_time.reset();
    j.finish_time.reset();
    if (j.job.reassignments < options.max_reassignments) {
      ++j.job.reassignments;
      j.job.state = JobState::kAssigned;
      j.scale_set_assign_time = t;
      emit(EventKind::kAssigned, j, nullptr);
    } else {
      j.job.state = JobState::kCompleted;
      j.job.result = "canceled";
      j.finish_time = t;
      mirror_job_locked(j);
      retire_locked(id);
    }
  }
  // Queued jobs go to their scale set while it reports room for them.
  std::map<std::int64_t, std::int64_t> taken;
  for (std::int64_t id : active) {
    const Job& j = jobs.at(id);
    if (j.job.state != JobState::kQueued) ++taken[j.job.scale_set_id];
  }
  for (std::int64_t id : active) {
    Job& j = jobs.at(id);
    if (j.job.state != JobState::kQueued) continue;
    ScaleSet* s = scale_set_named_locked(j.job.spec.scale_set_name);
    if (s == nullptr) continue;
    if (s->max_capacity && taken[s->id] >= *s->max_capacity) continue;
    ++taken[s->id];
    j.job.state = JobState::kAssigned;
    j.job.scale_set_id = s->id;
    j.scale_set_assign_time = t;
    emit(EventKind::kAssigned, j, nullptr);
  }
  offer_locked();
}

FakeStatistics FakeActions::State::statistics_locked(std::int64_t scale_set_id) const {
  FakeStatistics st;
  auto s = scale_sets.find(scale_set_id);
  if (s == scale_sets.end()) return st;
  for (std::int64_t id : active) {
    const FakeJob& j = jobs.at(id).job;
    if (j.state == JobState::kQueued) {
      if (j.spec.scale_set_name == s->second.name) ++st.available;
      continue;
    }
    if (j.scale_set_id != scale_set_id) continue;
    ++st.assigned;
    if (j.state == JobState::kRunning)
      ++st.running;
    else
      ++st.acquired;
  }
  for (const auto& [id, r] : runners) {
    if (r.scale_set_id != scale_set_id) continue;
    ++st.registered_runners;
    if (r.busy)
      ++st.busy_runners;
    else if (r.online)
      ++st.idle_runners;
  }
  return st;
}

json::object FakeActions::State::statistics_json(std::int64_t scale_set_id) const {
  const FakeStatistics st = statistics_locked(scale_set_id);
  return json::object{{"totalAvailableJobs", st.available},
                      {"totalAcquiredJobs", st.acquired},
                      {"totalAssignedJobs", st.assigned},
                      {"totalRunningJobs", st.running},
                      {"totalRegisteredRunners", st.registered_runners},
                      {"totalBusyRunners", st.busy_runners},
                      {"totalIdleRunners", st.idle_runners}};
}

json::object FakeActions::State::scale_set_json(const ScaleSet& s) const {
  json::array labels;
  for (const auto& l : s.labels) labels.push_back(json::object{{"type", "System"}, {"name", l}});
  json::object setting;
  if (s.disable_update) setting["disableUpdate"] = true;
  return json::object{{"id", s.id},
                      {"name", s.name},
                      {"runnerGroupId", s.group_id},
                      {"runnerGroupName", groups.count(s.group_id) != 0 ? groups.at(s.group_id) : std::string()},
                      {"labels", std::move(labels)},
                      {"RunnerSetting", std::move(setting)},
                      {"createdOn", time_json(s.created)},
                      {"runnerJitConfigUrl",
                       public_url + "_apis/runtime/runnerscalesets/" + std::to_string(s.id) + "/generatejitconfig"},
                      {"statistics", statistics_json(s.id)}};
}

FakeScaleSetInfo FakeActions::State::info_locked(const ScaleSet& s) const {
  FakeScaleSetInfo info;
  info.id = s.id;
  info.name = s.name;
  info.runner_group_id = s.group_id;
  info.labels = s.labels;
  info.max_capacity = s.max_capacity;
  info.session_owner = s.session ? s.session->owner : std::string();
  info.pending_events = s.pending.size();
  info.unacknowledged = s.unacked.size();
  return info;
}

void FakeActions::State::remove_scale_set_locked(std::int64_t id) {
  if (scale_sets.erase(id) == 0) return;
  // Its jobs wait for a scale set of that name again; its runners are deregistered.
  for (std::int64_t jid : active) {
    Job& j = jobs.at(jid);
    if (j.job.scale_set_id != id) continue;
    j.job.state = JobState::kQueued;
    j.job.scale_set_id = 0;
    j.job.runner_id = 0;
    j.scale_set_assign_time.reset();
    j.runner_assign_time.reset();
    mirror_job_locked(j);
  }
  std::erase_if(runners, [this, id](const auto& kv) {
    if (kv.second.scale_set_id != id) return false;
    if (mirror) mirror->remove_runner(kv.first);
    return true;
  });
  news.notify_all();
}

FakeActions::FakeActions(FakeActionsOptions options) : state_(std::make_unique<State>()) {
  if (!options.clock) options.clock = system_clock();
  if (options.max_events_per_message == 0) options.max_events_per_message = 1;
  state_->options = std::move(options);
  state_->registration_check = [](std::string_view token) { return !token.empty(); };
}

FakeActions::~FakeActions() = default;

const std::string& FakeActions::api_prefix() const {
  return state_->options.api_prefix;
}

void FakeActions::set_registration_check(std::function<bool(std::string_view)> check) {
  std::lock_guard lock(state_->mu);
  state_->registration_check = std::move(check);
}

void FakeActions::set_public_url(std::string url) {
  std::lock_guard lock(state_->mu);
  if (url.empty() || url.back() != '/') url.push_back('/');
  state_->public_url = std::move(url);
}

void FakeActions::inject(FakeFault fault) {
  std::lock_guard lock(state_->mu);
  state_->faults.push_back(std::move(fault));
}

std::int64_t FakeActions::add_runner_group(const std::string& name) {
  std::lock_guard lock(state_->mu);
  const std::int64_t id = state_->groups.rbegin()->first + 1;  // "Default" is 1
  state_->groups[id] = name;
  return id;
}

void FakeActions::expire_admin_tokens() {
  std::lock_guard lock(state_->mu);
  state_->admin_tokens.clear();
}

void FakeActions::expire_message_tokens() {
  std::lock_guard lock(state_->mu);
  for (auto& [id, s] : state_->scale_sets) {
    if (s.session) s.session->token_valid = false;
  }
}

void FakeActions::lose_sessions() {
  std::lock_guard lock(state_->mu);
  for (auto& [id, s] : state_->scale_sets) s.session.reset();
  state_->news.notify_all();
}

Result<std::int64_t> FakeActions::enqueue_job(FakeJobSpec spec) {
  std::lock_guard lock(state_->mu);
  if (state_->active.size() >= state_->options.max_jobs) {
    return make_error(ErrorKind::kThrottled, "fake actions: too many jobs queued");
  }
  State::Job j;
  j.job.request_id = ++state_->next_id;
  j.job.spec = std::move(spec);
  j.queue_time = state_->now();
  const std::int64_t id = j.job.request_id;
  state_->mirror_new_job_locked(state_->jobs.emplace(id, std::move(j)).first->second);
  state_->active.insert(id);
  state_->settle_locked();
  return id;
}

std::optional<std::int64_t> FakeActions::runner_online(std::string_view encoded_jit_config) {
  std::lock_guard lock(state_->mu);
  for (auto& [id, r] : state_->runners) {
    if (r.jit_config != encoded_jit_config) continue;
    r.online = true;
    if (state_->mirror) state_->mirror->set_runner(id, true, false);
    state_->settle_locked();
    return id;
  }
  return std::nullopt;
}

std::optional<std::int64_t> FakeActions::offered_job(std::int64_t runner_id) {
  std::lock_guard lock(state_->mu);
  state_->settle_locked();
  auto it = state_->runners.find(runner_id);
  if (it == state_->runners.end() || it->second.job == 0 || it->second.busy) return std::nullopt;
  return it->second.job;
}

bool FakeActions::start_job(std::int64_t runner_id, std::int64_t request_id) {
  std::lock_guard lock(state_->mu);
  state_->settle_locked();
  auto r = state_->runners.find(runner_id);
  auto j = state_->jobs.find(request_id);
  if (r == state_->runners.end() || j == state_->jobs.end()) return false;
  if (r->second.job != request_id || j->second.job.state != JobState::kOffered) return false;
  r->second.busy = true;
  if (state_->mirror) state_->mirror->set_runner(runner_id, true, true);
  j->second.job.state = JobState::kRunning;
  j->second.runner_name = r->second.name;
  state_->mirror_job_locked(j->second);
  state_->emit(EventKind::kStarted, j->second, &r->second);
  return true;
}

bool FakeActions::finish_job(std::int64_t runner_id, std::int64_t request_id, const std::string& result) {
  std::lock_guard lock(state_->mu);
  auto r = state_->runners.find(runner_id);
  auto j = state_->jobs.find(request_id);
  if (r == state_->runners.end() || j == state_->jobs.end()) return false;
  if (r->second.job != request_id || j->second.job.state != JobState::kRunning) return false;
  j->second.job.state = JobState::kCompleted;
  j->second.job.result = result;
  j->second.finish_time = state_->now();
  state_->emit(EventKind::kCompleted, j->second, &r->second, result);
  state_->mirror_job_locked(j->second);
  state_->retire_locked(request_id);
  state_->runners.erase(r);  // a JIT runner runs one job
  if (state_->mirror) state_->mirror->remove_runner(runner_id);
  state_->settle_locked();
  return true;
}

void FakeActions::State::retire_locked(std::int64_t request_id) {
  active.erase(request_id);
  completed.push_back(request_id);
  while (completed.size() > kMaxCompletedKept) {
    jobs.erase(completed.front());
    completed.pop_front();
  }
}

void FakeActions::State::remove_runner_locked(std::int64_t runner_id) {
  drop_runner_locked(runner_id);
  settle_locked();
}

std::int64_t FakeActions::State::new_runner_id_locked(const std::string& name, const ScaleSet& s, const std::string& jit_config) {
  if (!mirror) return ++next_id;
  fake_github::FakeRunner r;
  r.scope = mirror_scope;
  r.name = name;
  r.online = false;
  r.group_id = s.group_id;
  r.labels = s.labels;
  r.jit_config = jit_config;
  return mirror->add_runner(std::move(r));
}

void FakeActions::State::drop_runner_locked(std::int64_t runner_id) {
  if (mirror) mirror->remove_runner(runner_id);
  auto r = runners.find(runner_id);
  if (r == runners.end()) return;
  if (auto j = jobs.find(r->second.job); j != jobs.end()) {
    Job& job = j->second;
    if (job.job.state == JobState::kRunning) {
      job.job.state = JobState::kCompleted;
      job.job.result = "failed";
      job.finish_time = now();
      emit(EventKind::kCompleted, job, &r->second, "failed");
      mirror_job_locked(job);
      retire_locked(job.job.request_id);
    } else if (job.job.state == JobState::kOffered) {
      job.job.state = JobState::kAssigned;
      job.job.runner_id = 0;
      job.runner_assign_time.reset();
    }
  }
  runners.erase(r);
}

void FakeActions::mirror_runners_into(std::shared_ptr<fake_github::FakeGitHub> github, std::string scope) {
  std::lock_guard lock(state_->mu);
  state_->mirror = std::move(github);
  state_->mirror_scope = std::move(scope);
}

void FakeActions::runner_gone(std::int64_t runner_id) {
  std::lock_guard lock(state_->mu);
  state_->remove_runner_locked(runner_id);
}

void FakeActions::end_long_polls() {
  std::lock_guard lock(state_->mu);
  state_->closing = true;
  state_->news.notify_all();
}

void FakeActions::settle() {
  std::lock_guard lock(state_->mu);
  state_->settle_locked();
}

void FakeActions::delete_scale_set(std::int64_t id) {
  std::lock_guard lock(state_->mu);
  state_->remove_scale_set_locked(id);
}

std::optional<FakeJob> FakeActions::job(std::int64_t request_id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->jobs.find(request_id);
  if (it == state_->jobs.end()) return std::nullopt;
  return it->second.job;
}

std::optional<FakeScaleSetInfo> FakeActions::scale_set(std::int64_t id) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->scale_sets.find(id);
  if (it == state_->scale_sets.end()) return std::nullopt;
  return state_->info_locked(it->second);
}

std::optional<FakeScaleSetInfo> FakeActions::scale_set_named(std::string_view name) const {
  std::lock_guard lock(state_->mu);
  for (const auto& [id, s] : state_->scale_sets) {
    if (s.name == name) return state_->info_locked(s);
  }
  return std::nullopt;
}

FakeStatistics FakeActions::statistics(std::int64_t scale_set_id) const {
  std::lock_guard lock(state_->mu);
  return state_->statistics_locked(scale_set_id);
}

std::int64_t FakeActions::requests(std::string_view route) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->route_counts.find(route);
  return it == state_->route_counts.end() ? 0 : it->second;
}

std::int64_t FakeActions::requests() const {
  std::lock_guard lock(state_->mu);
  return state_->request_count;
}

std::vector<std::size_t> FakeActions::delivered_message_sizes() const {
  std::lock_guard lock(state_->mu);
  return state_->delivered_sizes;
}

}  // namespace ghscale::fake_actions
