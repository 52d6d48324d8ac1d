#include "provider/sim/faulty_provider.h"

#include <array>
#include <mutex>
#include <optional>

namespace ghscale::provider {

struct FaultyProvider::State {
  struct Fault {
    std::optional<Error> error;
    int times = 0;  // -1 = always
  };
  mutable std::mutex mu;
  std::array<Fault, 5> faults;  // guarded by mu, indexed by ProviderOp
  std::array<int, 5> calls{};   // guarded by mu

  // The error to answer for this call of `op`, if any.
  std::optional<Error> take(ProviderOp op) {
    std::lock_guard lock(mu);
    const auto i = static_cast<std::size_t>(op);
    ++calls[i];
    Fault& f = faults[i];
    if (!f.error || f.times == 0) return std::nullopt;
    if (f.times > 0) --f.times;
    return f.error;
  }
};

FaultyProvider::FaultyProvider(std::shared_ptr<Provider> inner) : inner_(std::move(inner)), state_(std::make_unique<State>()) {}
FaultyProvider::~FaultyProvider() = default;

void FaultyProvider::fail_next(ProviderOp op, Error error, int times) {
  std::lock_guard lock(state_->mu);
  state_->faults[static_cast<std::size_t>(op)] = {std::move(error), times};
}

void FaultyProvider::fail_always(ProviderOp op, Error error) { fail_next(op, std::move(error), -1); }

void FaultyProvider::clear() {
  std::lock_guard lock(state_->mu);
  state_->faults = {};
}

int FaultyProvider::calls(ProviderOp op) const {
  std::lock_guard lock(state_->mu);
  return state_->calls[static_cast<std::size_t>(op)];
}

Result<std::vector<CloudInstance>> FaultyProvider::describe(std::string_view pool) {
  if (auto e = state_->take(ProviderOp::kDescribe)) return *e;
  return inner_->describe(pool);
}

Result<LaunchOutcome> FaultyProvider::launch(const LaunchRequest& request) {
  if (auto e = state_->take(ProviderOp::kLaunch)) return *e;
  return inner_->launch(request);
}

Status FaultyProvider::terminate(const std::vector<std::string>& ids) {
  if (auto e = state_->take(ProviderOp::kTerminate)) return *e;
  return inner_->terminate(ids);
}

Status FaultyProvider::protect(const std::vector<std::string>& ids, bool enabled) {
  if (auto e = state_->take(ProviderOp::kProtect)) return *e;
  return inner_->protect(ids, enabled);
}

Status FaultyProvider::hand_over(std::string_view instance_id, const Registration& registration) {
  if (auto e = state_->take(ProviderOp::kHandOver)) return *e;
  return inner_->hand_over(instance_id, registration);
}

}  // namespace ghscale::provider
