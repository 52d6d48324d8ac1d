// Instances this process launched that EC2 may not show yet. DescribeInstances is
// eventually consistent: an instance CreateFleet (or a group) just started can be missing
// from it, or listed without the tags describe() filters on, for seconds to minutes. Were
// it left out of describe(), the scaler would count no supply for it and launch again
// every tick, past max_runners. So each launch is remembered here, as the launch answer
// described it, until EC2 shows it with its tags, it is seen gone, or a deadline passes
// (an instance that never appears must not hold capacity forever). Thread-safe.
#pragma once

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
  }

  // Those still awaited at `now`; expired ones are forgotten.
  std::vector<CloudInstance> awaited(TimePoint now) {
    std::lock_guard lock(mu_);
    std::erase_if(awaited_, [&](const auto& kv) { return kv.second.deadline <= now; });
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
    awaited_.erase(std::string(id));
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
};

}  // namespace ghscale::provider
