#include "scaler/observe.h"

#include <algorithm>

#include "scaler/name_index.h"

namespace ghscale::scaler {

using provider::CloudInstance;
using provider::Lifecycle;

Observation observe(const ObserveInput& in) {
  Observation out;
  Snapshot& snap = out.snapshot;
  const std::string prefix = runner_name_prefix(in.pool.name);
  snap.queued_jobs = in.queued;
  snap.queued_beyond = in.queued_beyond;
  snap.runners_fresh = in.runners_fresh;

  // A busy flag is believed unless the webhooks saw that runner's job end after the list
  // was fetched (a stale list cannot know); a fresh list is believed as it is.
  auto listed_busy = [&](const github::Runner& r) {
    if (!r.busy || in.runners_fresh || in.freed_at == nullptr) return r.busy;
    auto f = in.freed_at->find(r.name);
    return f == in.freed_at->end() || f->second < in.runners_listed_at;
  };
  snap.runners.reserve(in.runners.size());
  snap.running_jobs.reserve(in.running.size());
  snap.instances.reserve(in.cloud.size());
  NameIndex<const github::Runner*> runner_by_name;
  runner_by_name.reserve(in.runners.size());
  for (const auto& r : in.runners) {
    if (r.name.rfind(prefix, 0) != 0) continue;
    snap.runners.push_back({r.id, r.name, r.status == github::RunnerStatus::kOnline, listed_busy(r)});
    runner_by_name.add(r.name, &r);
  }
  runner_by_name.seal();
  NameIndex<std::int64_t> jobs_on;          // by runner name
  NameIndex<const Job*> jobs_on_instance;   // any of its registrations
  jobs_on.reserve(in.running.size());
  jobs_on_instance.reserve(in.running.size());
  for (const Job& j : in.running) {
    if (j.runner_name.rfind(prefix, 0) != 0) continue;
    snap.running_jobs.push_back({j.job_id, j.runner_name});
    jobs_on.add(j.runner_name, j.job_id);
    jobs_on_instance.add(instance_of_runner(in.pool.name, j.runner_name), &j);
  }
  jobs_on.seal();
  jobs_on_instance.seal();
  // Records by id: the reconciler keeps them sorted, so they are searched in place; any
  // other order is sorted here first (by pointer, nothing copied).
  const auto by_id = [](const Instance& a, const Instance& b) { return a.instance_id < b.instance_id; };
  std::vector<const Instance*> sorted_records;
  if (!std::is_sorted(in.records.begin(), in.records.end(), by_id)) {
    sorted_records.reserve(in.records.size());
    for (const Instance& r : in.records) sorted_records.push_back(&r);
    std::sort(sorted_records.begin(), sorted_records.end(), [&](const Instance* a, const Instance* b) { return by_id(*a, *b); });
  }
  auto record_of = [&](std::string_view id) -> const Instance* {
    if (sorted_records.empty()) {
      auto it = std::lower_bound(in.records.begin(), in.records.end(), id,
                                 [](const Instance& r, std::string_view v) { return r.instance_id < v; });
      return it != in.records.end() && it->instance_id == id ? &*it : nullptr;
    }
    auto it = std::lower_bound(sorted_records.begin(), sorted_records.end(), id,
                               [](const Instance* r, std::string_view v) { return r->instance_id < v; });
    return it != sorted_records.end() && (*it)->instance_id == id ? *it : nullptr;
  };
  // Which records the cloud still lists (by position in in.records).
  std::vector<char> listed(in.records.size(), 0);

  for (const CloudInstance& c : in.cloud) {
    if (c.lifecycle == Lifecycle::kTerminated) continue;
    const Instance* had = record_of(c.id);
    if (had != nullptr) listed[static_cast<std::size_t>(had - in.records.data())] = 1;
    InstanceView v;
    v.id = c.id;
    v.market = c.market;
    v.lifecycle = c.lifecycle;
    v.launched_at = c.launched_at;
    v.scale_in_protected = c.scale_in_protected;
    v.placeholder = c.placeholder;
    if (c.placeholder) {
      // Booting supply with no id of its own yet: nothing to record or register.
      v.runner_name = runner_name_for(in.pool.name, c.id);
      snap.instances.push_back(std::move(v));
      continue;
    }
    // Keep the store's record in step with what the cloud, GitHub and the webhooks say.
    // The record is read in place and copied only when it changes: a steady pool costs no
    // copy per instance per pass.
    const bool fresh_record = had == nullptr;
    const InstanceState had_state = had != nullptr ? had->state : InstanceState::kBooting;
    std::optional<TimePoint> registered_at = had != nullptr ? had->registered_at : std::nullopt;
    std::optional<TimePoint> last_busy_at = had != nullptr ? had->last_busy_at : std::nullopt;
    std::int64_t runner_id = had != nullptr ? had->runner_id : 0;
    static const std::string kNoName;
    const std::string& rec_runner_name = had != nullptr ? had->runner_name : kNoName;
    // The runner of its latest registration (a reused instance has had several).
    v.registration = rec_runner_name.empty() ? 0 : registration_of(in.pool.name, c.id, rec_runner_name);
    v.runner_name = v.registration > 0 ? rec_runner_name : runner_name_for(in.pool.name, c.id);
    v.registration = std::max(v.registration, 1);
    const github::Runner* const* r = runner_by_name.find(v.runner_name);
    const github::Runner* runner = r == nullptr ? nullptr : *r;
    const bool online = runner != nullptr && runner->status == github::RunnerStatus::kOnline;
    const bool job_known = jobs_on.contains(v.runner_name);
    // A job on an earlier registration's runner: handed its next one while busy (reuse).
    const auto on_instance = jobs_on_instance.range(c.id);
    v.busy_before_next = std::any_of(on_instance.begin(), on_instance.end(),
                                     [&](const auto& e) { return e.second->runner_name != v.runner_name; });
    bool busy = job_known || v.busy_before_next || (runner != nullptr && listed_busy(*runner));
    if (!busy && v.registration > 1) {
      // Handed its next registration while busy (reuse), the instance runs the earlier one
      // until that job ends. With the job's in_progress delivery lost, only the runner list
      // tells: without this look, the waiting registration read as a boot that timed out
      // and the busy instance was terminated under its job.
      const std::string previous = runner_name_for(in.pool.name, c.id, v.registration - 1);
      if (const github::Runner* const* p = runner_by_name.find(previous); p != nullptr && listed_busy(**p)) {
        v.busy_before_next = true;
        busy = true;
      }
    }
    // A runner that took a job was online: the in_progress delivery registers it as surely
    // as the list does.
    if ((online || job_known) && !registered_at) registered_at = in.now;
    if (runner != nullptr) runner_id = runner->id;
    // last_busy_at moves when busyness changes (the first pass that sees a job start or
    // end), not on every pass while busy: a busy pool costs no record write per pass.
    if ((had_state == InstanceState::kBusy) != busy) last_busy_at = in.now;
    // An ephemeral runner busy since it registered and not now has run its one job; a
    // stale list may still call it online, but it takes nothing more.
    v.spent = in.pool.ephemeral && !busy && registered_at && last_busy_at && *last_busy_at >= *registered_at;
    const InstanceState state = busy            ? InstanceState::kBusy
                                : v.spent       ? InstanceState::kDraining
                                : online        ? InstanceState::kIdle
                                : registered_at ? InstanceState::kDraining
                                                : InstanceState::kBooting;
    v.handed_over = !rec_runner_name.empty() || in.handed_over.count(c.id) > 0;
    v.registered_at = registered_at;
    v.last_busy_at = last_busy_at;
    const bool changed = fresh_record || had_state != state || had->registered_at != registered_at ||
                         had->runner_id != runner_id || had->last_busy_at != last_busy_at;
    if (changed) {
      Instance rec;
      if (fresh_record) {
        rec.pool = in.pool.name;
        rec.instance_id = c.id;
        rec.market = c.market;
        rec.instance_type = c.instance_type;
        rec.launched_at = c.launched_at;
      } else {
        rec = *had;
      }
      rec.state = state;
      rec.registered_at = registered_at;
      rec.last_busy_at = last_busy_at;
      rec.runner_id = runner_id;
      out.upserts.push_back(std::move(rec));
    }
    snap.instances.push_back(std::move(v));
  }
  // Instances the store thinks alive but the cloud no longer lists (spot reclaim, gone).
  for (std::size_t r = 0; r < in.records.size(); ++r) {
    const Instance& rec = in.records[r];
    if (listed[r] != 0 || rec.state == InstanceState::kTerminated) continue;
    out.vanished.push_back(rec.instance_id);
    // Not terminated by us, and its runner still had a job by the webhooks: maybe reclaimed
    // under the job; the reconciler decides when the job ends.
    if (rec.market != Market::kSpot) continue;
    for (const auto& e : jobs_on_instance.range(rec.instance_id)) out.jobs_on_vanished_spot.push_back(e.second->job_id);
  }
  return out;
}

bool removes_capacity(const Plan& plan) {
  return std::any_of(plan.steps.begin(), plan.steps.end(), [](const Step& s) {
    return s.kind == StepKind::kDeregister || s.kind == StepKind::kTerminate || s.kind == StepKind::kDeleteRunner;
  });
}

}  // namespace ghscale::scaler
