// The calls of a `reconcile --once` pass that failed, kept so the summary can say which
// call failed and why where the reconciler only logged it (a pool it could not observe,
// the sweep's GitHub reads): build_scaler's wrap hooks put a watcher around each provider
// and the GitHub client. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "github/github_api.h"
#include "provider/provider.h"

namespace ghscale::app {

struct FailedCall {
  std::string pool;   // the pool whose provider failed; empty for a GitHub call
  std::string call;   // "describe", "launch"...; "GitHub list_runners"...
  std::string error;  // Error::describe(), redacted
};

class FailedCalls {
 public:
  void add(FailedCall call);
  // What failed since the last take(), oldest first.
  std::vector<FailedCall> take();

 private:
  std::mutex mu_;
  std::vector<FailedCall> calls_;  // guarded by mu_
};

std::shared_ptr<provider::Provider> watch_provider(std::string pool, std::shared_ptr<provider::Provider> inner,
                                                   std::shared_ptr<FailedCalls> failed);
std::shared_ptr<github::GitHubApi> watch_github(std::shared_ptr<github::GitHubApi> inner,
                                                std::shared_ptr<FailedCalls> failed);

}  // namespace ghscale::app
