#include "core/backoff.h"

#include <algorithm>

namespace ghscale {

JitterBackoff::JitterBackoff(Duration base, Duration cap, std::uint64_t seed)
    : base_(base), cap_(cap), rng_(seed != 0 ? seed : std::random_device{}()) {}

Duration JitterBackoff::delay(int attempt) {
  const auto ceiling = std::min<Duration::rep>(cap_.count(), base_.count() << std::clamp(attempt, 0, 16));
  std::lock_guard lock(mu_);
  return Duration{std::uniform_int_distribution<Duration::rep>(0, std::max<Duration::rep>(ceiling, 0))(rng_)};
}

}  // namespace ghscale
