#include "store/memory_store.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/job_merge.h"
#include "store/lease_rules.h"

namespace ghscale::store {
namespace {

Error not_found(std::string what) { return make_error(ErrorKind::kNotFound, std::move(what)); }

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {}

  Result<RecordOutcome> record(const JobEvent& event) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    if (event.delivery_id.empty()) return make_error(ErrorKind::kInvalid, "job event has no delivery id");
    if (event.job_id == 0) return make_error(ErrorKind::kInvalid, "job event " + event.delivery_id + " has no job id");
    if (!deliveries_.emplace(event.delivery_id, event.job_id).second) return RecordOutcome::kDuplicate;
    auto it = jobs_.find(event.job_id);
    if (it == jobs_.end()) {
      it = jobs_.emplace(event.job_id, merge_job(nullptr, event)).first;
      index(it->second, true);
      return RecordOutcome::kRecorded;
    }
    index(it->second, false);
    it->second = merge_job(&it->second, event);
    index(it->second, true);
    return RecordOutcome::kRecorded;
  }

  Result<std::vector<QueuedGroup>> queued_groups(std::size_t per_group) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    std::vector<QueuedGroup> out;
    out.reserve(queued_by_labels_.size());
    for (const auto& [key, group] : queued_by_labels_) {
      QueuedGroup g;
      g.labels = group.labels;
      g.count = static_cast<std::int64_t>(group.ids.size());
      for (auto id = group.ids.begin(); id != group.ids.end() && g.oldest.size() < per_group; ++id) g.oldest.push_back(jobs_.at(*id));
      out.push_back(std::move(g));
    }
    return out;
  }

  Result<std::vector<Job>> queued_jobs(const std::optional<LabelSet>& pool_labels, std::size_t limit) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    std::vector<Job> out;
    for (std::int64_t id : queued_) {
      if (out.size() >= limit) break;
      const Job& job = jobs_.at(id);
      if (!pool_labels || job.labels.subset_of(*pool_labels)) out.push_back(job);
    }
    return out;
  }

  Result<Job> get_job(std::int64_t job_id) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) return not_found("job " + std::to_string(job_id) + " is not in the store");
    return it->second;
  }

  Result<JobCounts> job_counts() override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    JobCounts counts;
    for (const auto& [id, job] : jobs_) {
      switch (job.status) {
        case JobStatus::kWaiting: ++counts.waiting; break;
        case JobStatus::kQueued: ++counts.queued; break;
        case JobStatus::kInProgress: ++counts.in_progress; break;
        case JobStatus::kCompleted: ++counts.completed; break;
      }
    }
    return counts;
  }

  Result<std::vector<Job>> list_jobs(const JobFilter& filter) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    std::vector<Job> out;
    // Queued and running jobs are few next to the history: read them through their index.
    if (filter.status == JobStatus::kQueued || filter.status == JobStatus::kInProgress) {
      const std::set<std::int64_t>& ids = *filter.status == JobStatus::kQueued ? queued_ : in_progress_;
      out.reserve(std::min(ids.size(), filter.limit));
      for (auto id = ids.rbegin(); id != ids.rend() && out.size() < filter.limit; ++id) out.push_back(jobs_.at(*id));
      return out;
    }
    for (auto it = jobs_.rbegin(); it != jobs_.rend() && out.size() < filter.limit; ++it) {
      if (!filter.status || it->second.status == *filter.status) out.push_back(it->second);
    }
    return out;
  }

  Result<std::vector<std::int64_t>> active_run_ids(std::size_t limit) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    std::vector<std::int64_t> runs;
    runs.reserve(std::min(limit, active_runs_.size()));
    for (auto it = active_runs_.begin(); it != active_runs_.end() && runs.size() < limit; ++it) runs.push_back(it->first);
    return runs;
  }

  std::optional<std::uint64_t> running_version() override {
    std::lock_guard lock(mu_);
    return running_version_;
  }

  Status upsert_instance(const Instance& instance) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s;
    if (instance.instance_id.empty()) return make_error(ErrorKind::kInvalid, "instance has no instance_id");
    instances_[instance.instance_id] = instance;
    track_live(instance);
    return ok_status();
  }

  Result<Instance> get_instance(std::string_view instance_id) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    auto it = instances_.find(std::string(instance_id));
    if (it == instances_.end()) return not_found("instance " + std::string(instance_id) + " is not in the store");
    return it->second;
  }

  Result<std::vector<Instance>> list_instances(std::string_view pool, bool include_terminated) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    std::vector<Instance> out;
    if (!include_terminated) {
      out.reserve(live_instances_.size());
      for (const auto& id : live_instances_) {
        const Instance& instance = instances_.find(id)->second;
        if (pool.empty() || instance.pool == pool) out.push_back(instance);
      }
      return out;
    }
    for (const auto& [id, instance] : instances_) {
      if (!pool.empty() && instance.pool != pool) continue;
      if (!include_terminated && instance.state == InstanceState::kTerminated) continue;
      out.push_back(instance);
    }
    return out;
  }

  Status update_instance_state(std::string_view instance_id, InstanceState state) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s;
    auto it = instances_.find(std::string(instance_id));
    if (it == instances_.end()) return not_found("instance " + std::string(instance_id) + " is not in the store");
    it->second.state = state;
    track_live(it->second);
    return ok_status();
  }

  Result<std::int64_t> append_action(const Action& action) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    Action stored = action;
    stored.id = ++last_action_id_;
    latest_action_[{stored.pool, stored.kind}] = stored;
    actions_.push_back(std::move(stored));
    return last_action_id_;
  }

  Result<std::vector<Action>> last_actions(std::size_t n) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    std::vector<Action> out;
    for (auto it = actions_.rbegin(); it != actions_.rend() && out.size() < n; ++it) out.push_back(*it);
    return out;
  }

  Result<std::optional<Action>> last_action(std::string_view pool, ActionKind kind) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    // Indexed: a kind rare in a long log (a scale-in) would otherwise cost a scan of it.
    auto it = latest_action_.find(std::pair<std::string, ActionKind>(std::string(pool), kind));
    if (it == latest_action_.end()) return std::optional<Action>();
    return std::optional<Action>(it->second);
  }

  Result<std::optional<std::string>> get_setting(std::string_view name) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    auto it = settings_.find(std::string(name));
    if (it == settings_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status set_setting(std::string_view name, std::string_view value) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s;
    if (name.empty()) return make_error(ErrorKind::kInvalid, "setting name is empty");
    settings_[std::string(name)] = std::string(value);
    return ok_status();
  }

  Result<std::optional<Lease>> get_lease(std::string_view name) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    return find_lease(name);
  }

  Result<Lease> acquire_lease(std::string_view name, std::string_view holder, Duration ttl, TimePoint now) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    auto next = lease_after_acquire(find_lease(name), name, holder, ttl, now);
    if (next) leases_[std::string(name)] = *next;
    return next;
  }

  Result<Lease> renew_lease(std::string_view name, std::string_view holder, Duration ttl, TimePoint now) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    auto next = lease_after_renew(find_lease(name), name, holder, ttl, now);
    if (next) leases_[std::string(name)] = *next;
    return next;
  }

  Status release_lease(std::string_view name, std::string_view holder, TimePoint now) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s;
    auto current = find_lease(name);
    if (auto s = check_release(current, name, holder, now); !s) return s;
    // Keep the row (so the fencing token keeps growing), but free it for every clock.
    if (current) leases_[std::string(name)].expires_at = TimePoint{};
    return ok_status();
  }

  Result<PruneResult> prune(const RetentionPolicy& policy) override {
    std::lock_guard lock(mu_);
    if (auto s = check_open(); !s) return s.error();
    const TimePoint now = clock_->now();
    const TimePoint job_cutoff = now - policy.completed_jobs_older_than;
    const TimePoint action_cutoff = now - policy.actions_older_than;
    PruneResult result;
    std::set<std::int64_t> pruned_jobs;
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (it->second.status == JobStatus::kCompleted && it->second.received_at < job_cutoff) {
        pruned_jobs.insert(it->first);
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
    result.jobs = static_cast<std::int64_t>(pruned_jobs.size());
    // Terminated instances launched before the cutoff are history too.
    std::erase_if(instances_, [&](const auto& entry) {
      return entry.second.state == InstanceState::kTerminated && entry.second.launched_at < job_cutoff;
    });
    result.deliveries = static_cast<std::int64_t>(
        std::erase_if(deliveries_, [&](const auto& entry) { return pruned_jobs.contains(entry.second); }));
    result.actions = static_cast<std::int64_t>(
        std::erase_if(actions_, [&](const Action& a) { return a.at < action_cutoff; }));
    std::erase_if(latest_action_, [&](const auto& entry) { return entry.second.at < action_cutoff; });
    return result;
  }

  Status ping() override {
    std::lock_guard lock(mu_);
    return check_open();
  }

  Status flush() override { return ping(); }

  Status close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
    return ok_status();
  }

 private:
  Status check_open() const {
    if (closed_) return make_error(ErrorKind::kPermanent, "the memory store is closed");
    return ok_status();
  }

  // Keeps the status and label indexes in step with a job: called with add=false before
  // it changes and add=true after.
  void index(const Job& job, bool add) {
    if (job.status == JobStatus::kInProgress) ++running_version_;
    std::set<std::int64_t>* by_status = job.status == JobStatus::kQueued       ? &queued_
                                        : job.status == JobStatus::kInProgress ? &in_progress_
                                                                               : nullptr;
    if (by_status != nullptr) {
      if (add) by_status->insert(job.job_id);
      else by_status->erase(job.job_id);
      if (job.run_id != 0) {
        if (add) ++active_runs_[job.run_id];
        else if (auto r = active_runs_.find(job.run_id); r != active_runs_.end() && --r->second <= 0) active_runs_.erase(r);
      }
    }
    if (job.status != JobStatus::kQueued) return;
    const std::string key = job.labels.joined('\0');
    if (add) {
      auto [g, fresh] = queued_by_labels_.try_emplace(key);
      if (fresh) g->second.labels = job.labels;
      g->second.ids.insert(job.job_id);
    } else if (auto g = queued_by_labels_.find(key); g != queued_by_labels_.end()) {
      g->second.ids.erase(job.job_id);
      if (g->second.ids.empty()) queued_by_labels_.erase(g);
    }
  }

  void track_live(const Instance& instance) {
    if (instance.state == InstanceState::kTerminated) {
      live_instances_.erase(instance.instance_id);
    } else {
      live_instances_.insert(instance.instance_id);
    }
  }

  std::optional<Lease> find_lease(std::string_view name) const {
    auto it = leases_.find(std::string(name));
    if (it == leases_.end()) return std::nullopt;
    return it->second;
  }

  // Constant after construction.
  const std::shared_ptr<Clock> clock_;

  // Protected by mu_.
  std::mutex mu_;
  bool closed_ = false;
  std::map<std::int64_t, Job> jobs_;
  std::set<std::int64_t> queued_;  // ids of jobs whose status is queued, for queued_jobs()
  std::set<std::int64_t> in_progress_;
  std::map<std::int64_t, int> active_runs_;  // run id -> its jobs in queued_ and in_progress_ (active_run_ids())
  std::uint64_t running_version_ = 0;  // moves with in_progress_ and its jobs (running_version())
  struct LabelGroup {
    LabelSet labels;
    std::set<std::int64_t> ids;
  };
  std::map<std::string, LabelGroup> queued_by_labels_;  // queued_ by labels (joined with NUL)
  std::set<std::string, std::less<>> live_instances_;   // instances not terminated
  std::unordered_map<std::string, std::int64_t> deliveries_;  // delivery id -> job id
  std::map<std::string, Instance, std::less<>> instances_;
  std::vector<Action> actions_;  // ascending id
  std::map<std::pair<std::string, ActionKind>, Action> latest_action_;  // newest of each kind per pool
  std::int64_t last_action_id_ = 0;
  std::map<std::string, std::string, std::less<>> settings_;
  std::map<std::string, Lease, std::less<>> leases_;
};

}  // namespace

std::unique_ptr<Store> make_memory_store(std::shared_ptr<Clock> clock) {
  return std::make_unique<MemoryStore>(std::move(clock));
}

}  // namespace ghscale::store
