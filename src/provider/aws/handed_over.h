// Instances a provider handed a registration to, so that a registration whose instance
// went away before its bootstrap read (and deleted) it does not stay in SSM: an instance
// reclaimed while booting, ended by its group, or ended by itself with its next
// registration still waiting. describe() is where a provider sees an instance gone,
// whatever ended it, so it calls remove_gone() there. In-process only: after a restart,
// terminate() still deletes what it ends. Thread-safe.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "provider/aws/ssm_hand_over.h"
#include "provider/provider.h"

namespace ghscale::provider {

class HandedOver {
 public:
  void add(std::string_view id) {
    std::lock_guard lock(mu_);
    ids_.emplace(id);
  }

  void forget(std::string_view id) {
    std::lock_guard lock(mu_);
    ids_.erase(std::string(id));
  }

  // Taken before describing: an instance handed over later may not be in that answer yet.
  std::set<std::string> snapshot() const {
    std::lock_guard lock(mu_);
    return ids_;
  }

  // Deletes the registration of each of `before` that `listed` (the describe answer) no
  // longer shows, and forgets it; one that cannot be deleted now is tried again next time.
  void remove_gone(const std::set<std::string>& before, const std::vector<CloudInstance>& listed, SsmHandOver& ssm) {
    std::set<std::string> live;
    for (const auto& c : listed) {
      if (c.lifecycle != Lifecycle::kTerminated) live.insert(c.id);
    }
    for (const auto& id : before) {
      if (live.count(id) != 0) continue;
      if (Status st = ssm.remove(id); !st.ok()) {
        log::warn("cannot delete the registration parameter of an instance that is gone",
                  {{"instance", id}, {"error", st.error().describe()}});
        continue;
      }
      forget(id);
    }
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> ids_;  // guarded by mu_
};

}  // namespace ghscale::provider
