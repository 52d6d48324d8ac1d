// A Provider wrapper that fails chosen calls, for tests of the reconciler's error paths
// (in the spirit of leveldb's ErrorEnv). Calls not failed pass through. Thread-safe.
#pragma once

#include <memory>

#include "provider/provider.h"

namespace ghscale::provider {

enum class ProviderOp { kDescribe, kLaunch, kTerminate, kProtect, kHandOver };

class FaultyProvider final : public Provider {
 public:
  explicit FaultyProvider(std::shared_ptr<Provider> inner);
  ~FaultyProvider() override;

  // The next `times` calls of `op` fail with `error` (without reaching the inner provider).
  void fail_next(ProviderOp op, Error error, int times = 1);
  // Every call of `op` fails until cleared.
  void fail_always(ProviderOp op, Error error);
  void clear();
  int calls(ProviderOp op) const;

  Result<std::vector<CloudInstance>> describe(std::string_view pool) override;
  Result<LaunchOutcome> launch(const LaunchRequest& request) override;
  Status terminate(const std::vector<std::string>& ids) override;
  Status protect(const std::vector<std::string>& ids, bool enabled) override;
  Status hand_over(std::string_view instance_id, const Registration& registration) override;

 private:
  struct State;
  std::shared_ptr<Provider> inner_;
  std::unique_ptr<State> state_;
};

}  // namespace ghscale::provider
