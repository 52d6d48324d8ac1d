// Instances this process launched that EC2 may not show yet. DescribeInstances is
// eventually consistent: an instance CreateFleet (or a group) just started can be missing
// from it, or listed without the tags describe() filters on, for seconds to minutes. Were
// it left out of describe(), the scaler would count no supply for it and launch again
// every tick, past max_runners. So each launch is remembered here, as the launch answer
// described it, until EC2 shows it with its tags, it is seen gone, or a deadline passes
// (an instance that never appears must not hold capacity forever). What is awaited can be
// kept beyond the process (launch_ledger.h): entries() and restore(), and changes() says
// when it changed. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "provider/provider.h"

namespace ghscale::provider {

class RecentLaunches {
 public:
  explicit RecentLaunches(Duration window) : window_(window) {}

  // `instance` as the launch answer described it (id, market, tags), launched at `now`.
  void add(CloudInstance instance, TimePoint now) {
    std::lock_guard lock(mu_);
    const std::string id = instance.id;
    awaited_[id] = Entry{std::move(instance), now + window_};
    ++changes_;
  }

  // One awaited until `deadline`, as an earlier process remembered it.
  void restore(CloudInstance instance, TimePoint deadline) {
    std::lock_guard lock(mu_);
    const std::string id = instance.id;
    awaited_[id] = Entry{std::move(instance), deadline};
  }

  // Every one awaited, with its deadline.
  std::vector<std::pair<CloudInstance, TimePoint>> entries() const {
    std::lock_guard lock(mu_);
    std::vector<std::pair<CloudInstance, TimePoint>> out;
    for (const auto& [id, e] : awaited_) out.emplace_back(e.instance, e.deadline);
    return out;
  }

  // Counts the changes made by add, settle and expiry.
  std::uint64_t changes() const {
    std::lock_guard lock(mu_);
    return changes_;
  }

  // Those still awaited at `now`; expired ones are forgotten.
  std::vector<CloudInstance> awaited(TimePoint now) {
    std::lock_guard lock(mu_);
    changes_ += std::erase_if(awaited_, [&](const auto& kv) { return kv.second.deadline <= now; });
    std::vector<CloudInstance> out;
    out.reserve(awaited_.size());
    for (const auto& [id, e] : awaited_) out.push_back(e.instance);
    return out;
  }

  // The remembered instance when `id` is still awaited at `now`.
  std::optional<CloudInstance> find(std::string_view id, TimePoint now) const {
    std::lock_guard lock(mu_);
    auto it = awaited_.find(std::string(id));
    if (it == awaited_.end() || it->second.deadline <= now) return std::nullopt;
    return it->second.instance;
  }

  // EC2 now shows it with its tags, or it is gone (terminated by us or by EC2): describe()
  // has the truth from here on.
  void settle(std::string_view id) {
    std::lock_guard lock(mu_);
    changes_ += awaited_.erase(std::string(id));
  }

  Duration window() const { return window_; }

 private:
  struct Entry {
    CloudInstance instance;
    TimePoint deadline;
  };
  const Duration window_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> awaited_;  // guarded by mu_
  std::uint64_t changes_ = 0;                          // guarded by mu_
};

}  // namespace ghscale::provider
