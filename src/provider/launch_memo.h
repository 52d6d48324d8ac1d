// The outcomes of recent launches by client token, so a launch retried within the process
// answers what the first one got instead of asking the cloud again. Bounded (oldest
// forgotten first). Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "provider/provider.h"

namespace ghscale::provider {

class LaunchMemo {
 public:
  explicit LaunchMemo(std::size_t capacity = 1000) : capacity_(capacity) {}

  std::optional<LaunchOutcome> find(const std::string& token) const {
    if (token.empty()) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = by_token_.find(token);
    if (it == by_token_.end()) return std::nullopt;
    return it->second;
  }

  void remember(const std::string& token, const LaunchOutcome& outcome) {
    if (token.empty()) return;
    std::lock_guard lock(mu_);
    if (by_token_.emplace(token, outcome).second) order_.push_back(token);
    while (order_.size() > capacity_) {
      by_token_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, LaunchOutcome> by_token_;  // guarded by mu_
  std::deque<std::string> order_;                  // guarded by mu_
};

}  // namespace ghscale::provider
