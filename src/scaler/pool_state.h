// Internal to the scaler's Reconciler (reconciler.cc, act.cc): what it keeps per pool
// across passes, and the helpers the act phase shares with the pass.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scaler/reconciler.h"

namespace ghscale::scaler {

// A client token stable for one scaling decision: the same pool, the same last scale-out
// and the same jobs give the same token, so a replay after a crash launches nothing new,
// while the next decision (after the scale-out was logged) gets a fresh one.
std::string client_token(const std::string& pool, std::int64_t last_scale_out_id, const Step& step);
std::string join_ids(const std::vector<std::string>& ids);  // "a,b,c"
github::Scope scope_of(const config::PoolConfig& pool);

struct Reconciler::PoolState {
  PoolState(const PoolBinding& b, const config::ReconcileConfig& rc)
      : config(b.config), provider(b.provider), scope(scope_of(b.config)), bucket(rc.launch_rate, rc.launch_burst) {}
  const config::PoolConfig& config;
  std::shared_ptr<provider::Provider> provider;
  github::Scope scope;
  TokenBucket bucket;
  std::optional<std::int64_t> runner_group_id;
  // Registration happens once per instance; remembered here as well as in the store so a
  // store write failure does not hand two configs to one instance within a process life.
  std::set<std::string> handed_over;
  // Jobs that were running on a spot instance when it vanished, and when that was seen.
  // Counted as interruptions once the job ends other than "success" (GitHub fails a job
  // whose runner disappeared); a job that succeeded had its ephemeral runner leave normally,
  // its completion webhook merely arriving after the instance was gone.
  std::map<std::int64_t, TimePoint> vanished_under;
  // For the warm pool and reuse.keep: job starts on the pool's runners per minute (the
  // last 25 hours), and the last launch-to-registration times seen.
  std::map<std::int64_t, int> starts_per_minute;
  std::deque<double> boot_seconds;
  // The pool's live instance records, sorted by id: what the store holds, as only the
  // lease holder writes them and every write goes through record()/forget() below. Read
  // from the store once per lease (records_token: the lease's fencing token then), and
  // again after a write failed; a pass reads no copy of them.
  std::vector<Instance> records;
  std::optional<std::int64_t> records_token;

  std::vector<Instance>::iterator record_slot(std::string_view id) {
    return std::lower_bound(records.begin(), records.end(), id,
                            [](const Instance& i, std::string_view v) { return i.instance_id < v; });
  }
  const Instance* find_record(std::string_view id) {
    auto it = record_slot(id);
    return it != records.end() && it->instance_id == id ? &*it : nullptr;
  }
  void cache(const Instance& rec) {
    auto it = record_slot(rec.instance_id);
    const bool have = it != records.end() && it->instance_id == rec.instance_id;
    if (rec.state == InstanceState::kTerminated) {
      if (have) records.erase(it);
    } else if (have) {
      *it = rec;
    } else {
      records.insert(it, rec);
    }
  }
};

}  // namespace ghscale::scaler
